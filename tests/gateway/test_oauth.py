"""The gateway on a connection that signs in with an OAuth client: the key's caller never sees the bearer
token, and a call outside the client's scopes comes back as Qualtrics refused it."""

from __future__ import annotations

import pytest

from connections.models import Role
from gateway.models import GatewayCall
from gateway.services import api_key_issue
from tests.connections.oauth import sandbox_oauth_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def oauth_gw(gw):
    connection = sandbox_oauth_connection(gw.sandbox, gw.owner, scopes="read:surveys read:directories")
    gw.connection = connection
    return gw


def test_a_key_on_an_oauth_connection_reads_through_the_clients_bearer_token(oauth_gw):
    _key, text = api_key_issue(connection=oauth_gw.connection, actor=oauth_gw.owner, role=Role.MANAGER,
                               name="Segment", preset="read_only")
    response = oauth_gw.call("GET", "/surveys", text, QUERY_STRING="pageSize=2")
    assert response.status_code == 200, response.content
    assert len(response.json()["result"]["elements"]) == 2
    relayed = [c for c in oauth_gw.sandbox.calls(path_contains="/surveys") if c["method"] == "GET"][-1]
    assert relayed["status"] == 200
    assert "Bearer" not in response.content.decode()
    assert GatewayCall.objects.get().status == 200


def test_a_call_outside_the_clients_scopes_is_qualtrics_refusal_not_the_gateways(oauth_gw):
    _key, text = api_key_issue(connection=oauth_gw.connection, actor=oauth_gw.owner, role=Role.MANAGER,
                               name="Segment", preset="read_only")
    response = oauth_gw.call("GET", "/users", text)
    assert response.status_code in (401, 403)
    call = GatewayCall.objects.get()
    assert not call.refused  # Qualtrics said no, for the scope; the key itself was allowed
