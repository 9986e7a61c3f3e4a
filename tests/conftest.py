"""Fixtures shared by the whole suite: personas around one connection, htmx helpers, the sandbox."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from connections.models import Role

from .factories import PASSWORD, make_connection, make_team, make_user, share
from .fixtures.cache import clear_own_cache
from .fixtures.secrets import register_token

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.browser",
    "tests.fixtures.services",
    "tests.fixtures.secrets",
    "tests.fixtures.dedicated_redis",
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts and ends with an empty cache: a 429 in one test pauses the brand and lowers its
    budget there (as it should, for every process of the portal), screens cache Qualtrics reads for a
    minute and page keys for longer. Only this test process's keys go (see tests.fixtures.cache)."""
    clear_own_cache()
    yield
    clear_own_cache()


@pytest.fixture(autouse=True)
def list_tables_wait_for_qualtrics(settings):
    """List pages wait for Qualtrics as long as a test may take, so what a test reads is the page with its
    table whatever the load of the machine; the tests of the loading table lower it (web/test_table_loading)."""
    settings.LIST_TABLE_GRACE_SECONDS = 60


@dataclass
class Personas:
    """Everyone a connection-scoped view must be tested with.

    owner: created the connection (a manager); manager/operator/viewer: shared with as single users,
    except `team_operator`, who is an operator through a team; outsider: no share at all.
    """

    connection: object
    owner: object
    manager: object
    operator: object
    team_operator: object
    viewer: object
    outsider: object
    token: str

    def all_with_access(self):
        return [self.owner, self.manager, self.operator, self.team_operator, self.viewer]


def personas_around(connection, owner, token: str) -> Personas:
    """Share `connection` with one user per role (and an operator through a team); add an outsider."""
    manager = make_user("max")
    operator = make_user("otto")
    team_operator = make_user("tina")
    viewer = make_user("vera")
    outsider = make_user("oscar")
    share(connection, user=manager, role=Role.MANAGER)
    share(connection, user=operator, role=Role.OPERATOR)
    share(connection, user=viewer, role=Role.VIEWER)
    share(connection, team=make_team("Survey ops", team_operator), role=Role.OPERATOR)
    return Personas(connection, owner, manager, operator, team_operator, viewer, outsider, token)


@pytest.fixture
def personas(db) -> Personas:
    """Personas around a connection whose token no Qualtrics knows (for views that call nothing)."""
    owner = make_user("olivia", first_name="Olivia")
    token = "T" * 36 + "abcd"
    connection = make_connection(owner, token=token, account_type="UT_BRANDADMIN")
    return personas_around(connection, owner, token)


@pytest.fixture
def sandbox_personas(portal_sandbox) -> Personas:
    """Personas around the sandbox's acme connection: every Qualtrics call reaches the sandbox.

    `.sandbox` is the sandbox server.
    """
    sandbox, connection, owner = portal_sandbox
    personas = personas_around(connection, owner, sandbox.admin_token)
    personas.sandbox = sandbox
    return personas


@pytest.fixture
def login(client):
    """login(user) signs the test client in as `user` and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


@pytest.fixture
def hx():
    """Extra headers that make a Django test-client request an htmx (partial) request."""
    return dict(HX)


@pytest.fixture
def portal_sandbox(sandbox, settings, db):
    """The portal pointed at the running sandbox, with a connection on its acme brand-admin token.

    Returns (sandbox, connection, owner). Personas can be added with tests.factories.share.
    """
    settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
    for brand in sandbox.info()["brands"]:
        for row in brand["tokens"]:
            register_token(row["token"])
        for row in brand.get("oauthClients", ()):
            register_token(row["clientSecret"])
    owner = make_user("sandra", first_name="Sandra")
    acme = next(b for b in sandbox.info()["brands"] if b["brandId"] == "acme")
    connection = make_connection(
        owner,
        name="Acme (sandbox)",
        datacenter=acme["datacenter"],
        token=sandbox.admin_token,
        brand_id="acme",
        account_type="UT_BRANDADMIN",
    )
    return sandbox, connection, owner


__all__ = ["PASSWORD", "Personas"]
