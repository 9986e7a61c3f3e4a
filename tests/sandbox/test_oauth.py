"""OAuth client credentials: POST /oauth2/token, then API calls with `Authorization: Bearer`, checked by scope."""

from __future__ import annotations

import re

import pytest
import requests

from sandbox import oauth
from sandbox.routes import API

from .conftest import error_of


def token(sandbox, scope=None, client=None, url=None, **kwargs):
    client_id, secret = client or sandbox.oauth_client()
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return requests.post(url or sandbox.token_url, auth=(client_id, secret), data=form, timeout=5, **kwargs)


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def access(sandbox, scope=None, client=None):
    reply = token(sandbox, scope, client)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def test_token_endpoint_issues_a_bearer_token(sandbox):
    reply = token(sandbox, "read:users read:surveys")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    payload = reply.json()
    assert set(payload) == {"access_token", "token_type", "expires_in", "scope"}
    assert payload["token_type"] == "Bearer" and payload["expires_in"] == 3600
    assert payload["scope"] == "read:users read:surveys"
    assert re.match(r"^[A-Za-z0-9]{64}$", payload["access_token"])
    whoami = requests.get(f"{sandbox.base_url}/whoami", headers=bearer(payload["access_token"]), timeout=5)
    assert whoami.status_code == 200 and whoami.json()["result"]["accountType"] == "UT_BRANDADMIN"


def test_multipart_form_and_body_credentials_are_accepted(sandbox):
    client_id, secret = sandbox.oauth_client("globex")
    multipart = requests.post(sandbox.token_url, auth=(client_id, secret), timeout=5,
                              files={"grant_type": (None, "client_credentials"), "scope": (None, "read:groups")})
    assert multipart.status_code == 200 and multipart.json()["scope"] == "read:groups"
    in_body = requests.post(sandbox.token_url, timeout=5, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert in_body.status_code == 200 and in_body.json()["scope"] == "manage:all"
    me = requests.get(f"{sandbox.base_url}/whoami", headers=bearer(in_body.json()["access_token"]), timeout=5)
    assert me.json()["result"]["brandId"] == "globex"


def test_token_endpoint_refusals(sandbox):
    client_id, _ = sandbox.oauth_client()
    wrong = token(sandbox, client=(client_id, "not-the-secret"))
    assert wrong.status_code == 401
    assert wrong.json()["meta"] == {"httpStatus": "401 - Unauthorized", "requestId": wrong.json()["meta"]["requestId"],
                                    "error": {"errorMessage": "invalid_client", "errorCode": "AUTH_6.0"}}
    assert requests.post(sandbox.token_url, data={"grant_type": "client_credentials"}, timeout=5).status_code == 401
    grant = requests.post(sandbox.token_url, auth=sandbox.oauth_client(), data={"grant_type": "password"}, timeout=5)
    assert grant.status_code == 400 and error_of(grant)["errorMessage"] == "unsupported_grant_type"
    no_grant = requests.post(sandbox.token_url, auth=sandbox.oauth_client(), data={}, timeout=5)
    assert no_grant.status_code == 400
    unknown = token(sandbox, "read:users read:everything")
    assert unknown.status_code == 400 and error_of(unknown)["errorMessage"] == "invalid_scope: read:everything"
    assert requests.get(sandbox.token_url, timeout=5).status_code == 405


def test_scopes_are_checked_per_route_family(sandbox, acme):
    readonly = access(sandbox, "read:users read:directory_contacts")
    directory = acme["defaultDirectoryId"]
    base = sandbox.base_url
    assert requests.get(f"{base}/users", headers=bearer(readonly), timeout=5).status_code == 200
    assert requests.get(f"{base}/directories/{directory}/contacts", headers=bearer(readonly), timeout=5).ok
    search = requests.post(f"{base}/directories/{directory}/contacts/search", headers=bearer(readonly), timeout=5,
                           json={"filter": {"filterType": "lastName", "comparison": "eq", "value": "Smith"}})
    assert search.status_code == 200, "a search only reads"
    refused = requests.post(f"{base}/groups", json={"type": "GT_x", "name": "No"}, headers=bearer(readonly), timeout=5)
    assert refused.status_code == 403
    assert error_of(refused) == {"errorMessage": "The access token does not grant the scope this call needs: "
                                                 "write:groups or manage:groups or manage:all",
                                 "errorCode": "AUTH_1"}
    lists = requests.get(f"{base}/directories/{directory}/mailinglists", headers=bearer(readonly), timeout=5)
    assert lists.status_code == 403
    manager = access(sandbox, "manage:mailing_lists")
    assert requests.get(f"{base}/directories/{directory}/mailinglists", headers=bearer(manager), timeout=5).ok
    sandbox.configure(oauth_missing_scope_status=401)
    again = requests.get(f"{base}/directories/{directory}/mailinglists", headers=bearer(readonly), timeout=5)
    assert again.status_code == 401 and error_of(again)["errorCode"] == "AUTH_6.0"
    everything = access(sandbox)
    assert requests.get(f"{base}/eventsubscriptions", headers=bearer(everything), timeout=5).ok


def test_every_route_belongs_to_a_scope_family():
    for route in API.routes:
        needed = oauth.required_scopes(route.method, route.pattern)
        if route.pattern == "/whoami":
            assert needed == ()
            continue
        assert needed != ("manage:all",), f"{route.method} {route.pattern} has no scope family"
        assert needed[-1] == "manage:all" and all(scope in oauth.SCOPES for scope in needed)
    assert oauth.required_scopes("GET", "/surveys/{surveyId}/export-responses/{id}")[0] == "read:survey_responses"
    assert oauth.required_scopes("POST", "/surveys/{surveyId}/export-responses")[0] == "read:survey_responses"
    assert oauth.required_scopes("PUT", "/surveys/{surveyId}")[0] == "write:surveys"
    assert oauth.required_scopes("DELETE", "/somethingnew") == ("manage:all",)


def test_expired_and_revoked_tokens_are_refused(sandbox, control):
    first, second = access(sandbox), access(sandbox)
    whoami = f"{sandbox.base_url}/whoami"
    sandbox.advance_clock(3599)
    assert requests.get(whoami, headers=bearer(first), timeout=5).status_code == 200
    sandbox.advance_clock(2)
    expired = requests.get(whoami, headers=bearer(first), timeout=5)
    assert expired.status_code == 401 and error_of(expired) == {"errorMessage": "invalid_client",
                                                                "errorCode": "AUTH_6.0"}
    third = access(sandbox)
    assert control.post("/_sandbox/oauth/tokens/revoke", {"accessToken": third}).json() == {"revoked": True}
    assert requests.get(whoami, headers=bearer(third), timeout=5).status_code == 401
    assert requests.get(whoami, headers=bearer("unknown"), timeout=5).status_code == 401
    rows = control.get("/_sandbox/oauth/tokens").json()["tokens"]
    assert [(r["expired"], r["revoked"]) for r in rows] == [(True, False), (True, False), (False, True)]
    assert second in {r["accessToken"] for r in rows}
    sandbox.configure(oauth_token_seconds=60)
    assert token(sandbox).json()["expires_in"] == 60


def test_clients_are_created_and_revoked_through_the_control_api(sandbox, control):
    created = control.post("/_sandbox/oauth/clients", {"brandId": "acme", "scopes": "read:users write:groups",
                                                       "name": "Reporting"}).json()
    assert re.match(r"^[0-9a-f]{32}$", created["clientId"]) and len(created["clientSecret"]) == 64
    assert created["scopes"] == ["read:users", "write:groups"] and created["userName"] == "dana.whitfield@acme.example"
    mine = (created["clientId"], created["clientSecret"])
    assert token(sandbox, client=mine).json()["scope"] == "read:users write:groups"
    beyond = token(sandbox, "read:users read:surveys", client=mine)
    assert beyond.status_code == 400 and error_of(beyond)["errorMessage"] == "invalid_scope: read:surveys"
    issued = access(sandbox, "read:users", client=mine)
    revoked = control.post("/_sandbox/oauth/clients/revoke", {"clientId": created["clientId"]}).json()
    assert revoked == {"revoked": True, "tokensRevoked": 2}
    assert requests.get(f"{sandbox.base_url}/users", headers=bearer(issued), timeout=5).status_code == 401
    assert token(sandbox, client=mine).status_code == 401
    listed = control.get("/_sandbox/oauth/clients", params={"brandId": "acme"}).json()
    assert listed["tokenUrl"] == sandbox.token_url
    assert [row["revoked"] for row in listed["clients"]] == [False, True]
    assert control.post("/_sandbox/oauth/clients", {"brandId": "acme", "scopes": ["read:nothing"]}).status_code == 400
    assert control.post("/_sandbox/oauth/clients", {"brandId": "nope"}).status_code == 400


def test_a_client_owned_by_a_non_administrator_cannot_call_admin_routes(sandbox, control):
    created = control.post("/_sandbox/oauth/clients", {"brandId": "acme", "admin": False}).json()
    member = access(sandbox, "read:users", client=(created["clientId"], created["clientSecret"]))
    assert requests.get(f"{sandbox.base_url}/users", headers=bearer(member), timeout=5).status_code == 403


def test_a_token_works_only_on_the_datacenter_that_issued_it(sandbox):
    issued = token(sandbox, url=sandbox.root_url + "/iad1/oauth2/token").json()["access_token"]
    template = sandbox.base_url_template
    assert requests.get(template.format(datacenter="iad1") + "/whoami", headers=bearer(issued), timeout=5).ok
    assert requests.get(sandbox.base_url + "/whoami", headers=bearer(issued), timeout=5).ok
    elsewhere = requests.get(template.format(datacenter="fra1") + "/whoami", headers=bearer(issued), timeout=5)
    assert elsewhere.status_code == 401


def test_seeded_clients_are_the_same_each_start(sandbox):
    acme_client = sandbox.brand("acme")["oauthClients"]
    sandbox.reset("empty")
    assert sandbox.brand("acme")["oauthClients"] == acme_client
    assert [row["scopes"] for row in acme_client] == [["manage:all"]]


@pytest.mark.parametrize("path", ["/oauth2/token", "/api/oauth/token", "/fra1/oauth2/token"])
def test_token_endpoint_paths(sandbox, path):
    assert token(sandbox, url=sandbox.root_url + path).status_code == 200
