"""Fixtures for the connection tests: the personas around a connection that lives in the sandbox."""

from __future__ import annotations

import types

import pytest


@pytest.fixture
def live(sandbox_personas):
    """Personas around the sandbox's acme connection (every Qualtrics call reaches the sandbox)."""
    return sandbox_personas


@pytest.fixture
def globex_token(sandbox):
    return next(row["token"] for row in sandbox.brand("globex")["tokens"] if row["admin"])


@pytest.fixture
def hooks(monkeypatch):
    """The connection hooks with no receiver but those the test connects (other apps' are set aside)."""
    from connections.signals import connection_deleting, connection_dependents

    for signal in (connection_dependents, connection_deleting):
        monkeypatch.setattr(signal, "receivers", [])
    return types.SimpleNamespace(dependents=connection_dependents, deleting=connection_deleting)
