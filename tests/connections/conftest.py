"""Fixtures for the connection tests: the personas around a connection that lives in the sandbox."""

from __future__ import annotations

import pytest

from connections.models import Role
from tests.conftest import Personas
from tests.factories import make_team, make_user, share


@pytest.fixture
def live(portal_sandbox):
    """Personas around the sandbox's acme connection (every Qualtrics call reaches the sandbox)."""
    sandbox, connection, owner = portal_sandbox
    manager = make_user("max")
    operator = make_user("otto")
    team_operator = make_user("tina")
    viewer = make_user("vera")
    outsider = make_user("oscar")
    share(connection, user=manager, role=Role.MANAGER)
    share(connection, user=operator, role=Role.OPERATOR)
    share(connection, user=viewer, role=Role.VIEWER)
    share(connection, team=make_team("Survey ops", team_operator), role=Role.OPERATOR)
    personas = Personas(connection, owner, manager, operator, team_operator, viewer, outsider, sandbox.admin_token)
    personas.sandbox = sandbox
    return personas


@pytest.fixture
def globex_token(sandbox):
    return next(row["token"] for row in sandbox.brand("globex")["tokens"] if row["admin"])
