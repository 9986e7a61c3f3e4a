"""Fixtures for the brand administration tests: personas around the sandbox's acme connection."""

from __future__ import annotations

import pytest

from tests.factories import make_connection


@pytest.fixture
def team(sandbox_personas):
    """Personas around the sandbox's acme brand-admin connection (every call reaches the sandbox).

    `team.sandbox` is the sandbox; `team.connection` uses its brand-admin token.
    """
    return sandbox_personas


@pytest.fixture
def non_admin_connection(portal_sandbox):
    """A connection on the same acme brand made with the sandbox's non-admin token, owned by the owner."""
    sandbox, connection, owner = portal_sandbox
    return make_connection(
        owner,
        name="Acme (not an admin)",
        datacenter=connection.datacenter,
        token=sandbox.user_token,
        brand_id="acme",
        account_type="UT_standard",
        qualtrics_user_name="sam.ortiz@acme.example",
    )


@pytest.fixture
def acme(sandbox):
    """The acme brand as the sandbox holds it (users, groups, user types…)."""
    return sandbox.brand("acme")


@pytest.fixture
def qualtrics(portal_sandbox):
    """A client on the sandbox's acme brand (admin token), for arranging and checking test data."""
    from connections.qualtrics_client import connection_client

    _sandbox, connection, _owner = portal_sandbox
    return connection_client(connection, audit=False)


@pytest.fixture
def users_by_name(qualtrics):
    """username's first part (e.g. "sam.ortiz") -> the acme user as listed by Qualtrics."""
    return {u["username"].split("@")[0]: u for u in qualtrics.users.list().iter_all()}


@pytest.fixture
def groups_by_name(qualtrics):
    return {g["name"]: g for g in qualtrics.groups.list().iter_all()}
