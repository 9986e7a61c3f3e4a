"""The API console on an OAuth client connection: calls carry the bearer token, curl names the bearer variable,
and a call outside the client's scopes says which scope is missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import Role
from tests.connections.oauth import sandbox_oauth_connection
from tests.factories import share

from .conftest import form

pytestmark = pytest.mark.django_db


def url(connection, name="console"):
    return reverse(f"apiconsole:{name}", kwargs={"connection_id": connection.pk})


@pytest.fixture
def oauth_console(sandbox_personas):
    p = sandbox_personas
    connection = sandbox_oauth_connection(p.sandbox, p.owner, scopes="read:users read:surveys")
    share(connection, user=p.operator, role=Role.OPERATOR)
    share(connection, user=p.viewer, role=Role.VIEWER)
    return p, connection


def test_a_call_goes_out_with_the_bearer_token_and_curl_says_so(login, oauth_console, hx):
    p, connection = oauth_console
    client = login(p.owner)
    page = client.post(url(connection, "send"), form(path="/users"), **hx).content.decode()
    assert "200" in page and "UR_" in page
    assert "Authorization: Bearer $QUALTRICS_ACCESS_TOKEN" in page.replace("&quot;", '"')
    assert "X-API-TOKEN" not in page.split('id="answer-curl"')[1]
    assert p.sandbox.calls("GET", "/users")[-1]["status"] == 200


def test_a_call_outside_the_scopes_names_the_missing_scope(login, oauth_console, hx):
    p, connection = oauth_console
    page = login(p.owner).post(url(connection, "send"), form(path="/groups"), **hx).content.decode()
    assert "403" in page and "read:groups" in page


def test_who_may_open_the_console_is_unchanged(login, oauth_console):
    p, connection = oauth_console
    assert login(p.owner).get(url(connection)).status_code == 200
    assert login(p.viewer).get(url(connection)).status_code == 403
    assert login(p.outsider).get(url(connection)).status_code == 404
