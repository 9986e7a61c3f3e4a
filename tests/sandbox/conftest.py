"""Helpers for the sandbox's own tests: an API session per token and a few look-ups.

The `sandbox` and `sandbox_server` fixtures come from tests/fixtures/sandbox.py (a plugin of tests/conftest.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from sandbox.server import SandboxServer

REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Api:
    """A thin requests wrapper for one token against one base URL."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["X-API-TOKEN"] = token

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        return self.session.request(method, url, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self("PUT", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Call, assert a 200 envelope, and return `result` (None for meta-only answers)."""
        response = self(method, path, json=body, **kwargs) if body is not None else self(method, path, **kwargs)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["meta"]["httpStatus"] == "200 - OK"
        return payload.get("result")

    def collect(self, path: str, **kwargs: Any) -> tuple[list[Any], int]:
        """Follow nextPage to the end; return all elements and the number of pages."""
        elements: list[Any] = []
        pages = 0
        url: str | None = path
        while url:
            result = self.ok("GET", url, **kwargs)
            elements.extend(result["elements"])
            pages += 1
            url = result["nextPage"]
            kwargs.pop("params", None)
        return elements, pages


def error_of(response: requests.Response) -> dict[str, Any]:
    return response.json()["meta"]["error"]


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox.base_url, sandbox.admin_token)


@pytest.fixture
def user_api(sandbox: SandboxServer) -> Api:
    return Api(sandbox.base_url, sandbox.user_token)


@pytest.fixture
def acme(sandbox: SandboxServer) -> dict[str, Any]:
    return sandbox.brand("acme")


@pytest.fixture
def control(sandbox: SandboxServer) -> Api:
    return Api(sandbox.root_url, None)


def list_id(brand: dict[str, Any], name: str) -> str:
    return next(row["id"] for row in brand["mailingLists"] if row["name"] == name)


def survey_id(brand: dict[str, Any], name: str) -> str:
    return next(row["id"] for row in brand["surveys"] if row["name"] == name)
