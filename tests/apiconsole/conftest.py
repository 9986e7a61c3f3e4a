"""Fixtures for the API console: personas around the sandbox's acme connection, and the sandbox's call log."""

from __future__ import annotations

import re

import pytest
import requests
from django.urls import reverse


class Console:
    """The personas of a sandbox connection, with helpers to reach the console and see what the sandbox got."""

    def __init__(self, personas):
        self.personas = personas
        self.connection = personas.connection
        self.sandbox = personas.sandbox

    def __getattr__(self, name):
        return getattr(self.personas, name)

    def url(self, name: str = "console", **kwargs) -> str:
        return reverse(f"apiconsole:{name}", kwargs={"connection_id": self.connection.pk, **kwargs})

    def calls(self, method: str = "", path_contains: str = "") -> list[dict]:
        reply = requests.get(f"{self.sandbox.root_url}/_sandbox/calls",
                             params={"method": method, "path_contains": path_contains}, timeout=10)
        reply.raise_for_status()
        return reply.json()["calls"]


@pytest.fixture
def console(sandbox_personas) -> Console:
    return Console(sandbox_personas)


def form(method="GET", path="/whoami", query=(), headers=(), body="", **extra) -> dict:
    """The console form's fields, rows as the page posts them."""
    data = {"method": method, "path": path, "body": body,
            "query_name": [n for n, _ in query], "query_value": [v for _, v in query],
            "header_name": [n for n, _ in headers], "header_value": [v for _, v in headers]}
    data.update(extra)
    return data


def confirm_digest(response) -> str:
    found = re.search(rb'name="confirm" value="([0-9a-f]+)"', response.content)
    assert found, "no confirmation step in the answer"
    return found.group(1).decode()
