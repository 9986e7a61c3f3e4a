"""OAuth client credentials in the client package: the token request, the bearer header, one refetch after a
401, and a call outside the granted scopes told apart as MissingScopeError."""

from __future__ import annotations

import pytest
import requests

from qualtrics import (
    AuthenticationError,
    Bearer,
    ClientRefusedError,
    InvalidScopeError,
    MissingScopeError,
    PermissionDeniedError,
    QualtricsClient,
    UnsafeRequestError,
)
from qualtrics.oauth import request_access_token, token_url
from qualtrics.scopes import needed_scope, scope_missing_for_call
from tests.fixtures.secrets import register_token

from .fakes import TOKEN, envelope, make_client


def fetch(sandbox, *, scopes=(), client=None, secret=None):
    client_id, client_secret = sandbox.oauth_client()
    register_token(client_secret)
    access = request_access_token(
        url=sandbox.token_url, client_id=client or client_id, client_secret=secret or client_secret, scopes=scopes,
        session=requests.Session(), timeout=(5, 30),
    )
    return register_token(access.token) and access


def test_it_finds_the_token_endpoint_beside_the_api():
    assert token_url("https://iad1.qualtrics.com/API/v3") == "https://iad1.qualtrics.com/oauth2/token"
    assert token_url("http://127.0.0.1:9/fra1/API/v3/") == "http://127.0.0.1:9/fra1/oauth2/token"


def test_it_gets_a_token_with_the_scopes_asked_for(sandbox):
    access = fetch(sandbox, scopes=["read:users", "write:mailing_lists"])
    assert access.scopes == ("read:users", "write:mailing_lists")
    assert access.expires_in == 3600
    assert access.token not in repr(access)
    call = sandbox.calls("POST", "oauth2/token")[-1]
    assert call["status"] == 200 and call["body"] is None  # the sandbox's log keeps no secret either


def test_a_wrong_secret_is_a_refused_client_whose_error_holds_no_secret(sandbox):
    wrong = "W" * 60 + "zzzz"
    with pytest.raises(ClientRefusedError) as refused:
        fetch(sandbox, secret=wrong)
    assert refused.value.status == 401
    assert wrong not in str(refused.value) and wrong not in repr(refused.value)


def test_a_scope_the_client_was_not_created_with_is_refused(sandbox, control):
    acme = sandbox.brand("acme")
    created = control.post("oauth/clients", brandId=acme["brandId"], scopes=["read:users"])
    register_token(created["clientSecret"])
    with pytest.raises(InvalidScopeError) as refused:
        fetch(sandbox, client=created["clientId"], secret=created["clientSecret"], scopes=["write:users"])
    assert refused.value.scopes == ("write:users",)


def test_a_bearer_client_sends_authorization_bearer_and_no_api_token(transport):
    transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
    with make_client(transport, bearer=Bearer()) as client:
        client.whoami()
    headers = transport.sent[-1].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert "X-API-TOKEN" not in headers


def test_a_401_fetches_a_fresh_token_once(transport):
    fresh = "F" * 36 + "resh"
    transport.on("GET", "/users", envelope(status=401, error_code="AUTH_6.0", error_message="invalid_client"),
                 envelope({"elements": []}))
    refreshed = []

    def refresh(refused):
        refreshed.append(refused)
        return fresh

    with make_client(transport, bearer=Bearer(refresh=refresh)) as client:
        client.users.list()
    assert refreshed == [TOKEN]
    assert [r.headers["Authorization"] for r in transport.sent] == [f"Bearer {TOKEN}", f"Bearer {fresh}"]


def test_a_second_401_is_not_refetched_again(transport):
    transport.on("GET", "/users", envelope(status=401, error_code="AUTH_6.0", error_message="invalid_client"))
    tokens = iter(["A" * 40, "B" * 40, "C" * 40])
    client = make_client(transport, bearer=Bearer(refresh=lambda refused: next(tokens)))
    with client, pytest.raises(AuthenticationError) as failed:
        client.users.list()
    assert len(transport.sent) == 2
    assert failed.value.code == "AUTH_6.0"


@pytest.mark.parametrize("status", [403, 401])
def test_a_call_outside_the_granted_scopes_is_a_missing_scope(sandbox, status):
    sandbox.configure(oauth_missing_scope_status=status)
    access = fetch(sandbox, scopes=["read:users"])
    client = QualtricsClient(sandbox.base_url, access.token, bearer=Bearer(scopes=frozenset(access.scopes)))
    with client:
        assert client.users.list().items  # granted
        directory = sandbox.brand("acme")["directoryIds"][0]
        with pytest.raises(MissingScopeError) as missing:
            client.mailing_lists.list(directory)
    assert missing.value.scope == "read:mailing_lists"
    assert isinstance(missing.value, PermissionDeniedError)


def test_an_api_token_403_stays_a_permission_error(transport):
    transport.on("GET", "/users", envelope(status=403, error_message="Not a brand administrator"))
    with make_client(transport) as client, pytest.raises(PermissionDeniedError) as denied:
        client.users.list()
    assert not isinstance(denied.value, MissingScopeError)


def test_the_scope_of_a_call_is_read_from_its_route():
    assert needed_scope("GET", "/whoami") is None
    assert needed_scope("POST", "/directories/POOL_1/mailinglists") == ("mailing_lists", True)
    assert needed_scope("POST", "/directories/POOL_1/contacts/search") == ("directory_contacts", False)
    assert scope_missing_for_call(["manage:users"], "PUT", "/users/UR_1") == ""
    assert scope_missing_for_call(["read:users"], "PUT", "/users/UR_1") == "write:users"
    assert scope_missing_for_call(["manage:all"], "GET", "/somethingnew") == ""


def test_a_workflow_event_never_carries_a_bearer_token(transport):
    url = ("https://iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId="
           "11111111-1111-1111-1111-111111111111")
    with make_client(transport, bearer=Bearer()) as client, pytest.raises(UnsafeRequestError) as refused:
        client.workflows.send_event(url, {"a": 1}, auth="token")
    assert "not an OAuth client" in str(refused.value)
    assert transport.sent == []
