"""Fixtures for the gateway: keys issued on a connection, and calls made with them as a program would."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import Role
from gateway.services import api_key_issue


class Gateway:
    """A connection's personas with helpers to issue keys and call the gateway through the test client."""

    def __init__(self, personas, client):
        self.personas = personas
        self.connection = personas.connection
        self.client = client

    def __getattr__(self, name):
        return getattr(self.personas, name)

    def issue(self, name="Segment production", preset="read_only", **options):
        return api_key_issue(connection=self.connection, actor=self.owner, role=Role.MANAGER, name=name,
                             preset=preset, **options)

    def api_url(self, path: str, connection_id=None) -> str:
        return reverse("gateway_api", kwargs={"connection_id": connection_id or self.connection.pk,
                                              "path": path.lstrip("/")})

    def call(self, method: str, path: str, key: str | None, *, bearer=False, connection_id=None, **extra):
        headers = {}
        if key is not None:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if bearer else {"HTTP_X_API_TOKEN": key}
        return self.client.generic(method, self.api_url(path, connection_id), **headers, **extra)

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"gateway:{name}", kwargs={"connection_id": self.connection.pk, **kwargs})


@pytest.fixture
def gw(sandbox_personas, client) -> Gateway:
    """Keys on the sandbox's acme connection: every call the gateway relays reaches the sandbox."""
    return Gateway(sandbox_personas, client)


@pytest.fixture
def local_gw(personas, client) -> Gateway:
    """Keys on a connection no Qualtrics knows (for what is refused before any call)."""
    return Gateway(personas, client)


def error_of(response) -> dict:
    """The error part of Qualtrics' envelope in a gateway answer."""
    meta = response.json()["meta"]
    assert meta["httpStatus"].startswith(str(response.status_code))
    assert meta["requestId"]
    return meta["error"]
