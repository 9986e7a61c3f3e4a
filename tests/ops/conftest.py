"""Fixtures for the operations tests."""

from __future__ import annotations

from tests.distributions.conftest import acme  # noqa: F401 - the sandbox brand's IDs, for the send tests
