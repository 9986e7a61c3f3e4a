"""Fixtures for the connection tests: the personas around a connection that lives in the sandbox."""

from __future__ import annotations

import pytest


@pytest.fixture
def live(sandbox_personas):
    """Personas around the sandbox's acme connection (every Qualtrics call reaches the sandbox)."""
    return sandbox_personas


@pytest.fixture
def globex_token(sandbox):
    return next(row["token"] for row in sandbox.brand("globex")["tokens"] if row["admin"])
