"""Workflow JSON-event triggers: events POSTed to the inbound-event URLs, in both forms, and recorded."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import REQUEST_ID


@pytest.fixture
def workflows(control):
    rows = control.get("/_sandbox/workflows", params={"brandId": "acme"}).json()["workflows"]
    return {"auth": next(w for w in rows if w["requireAuthentication"]),
            "open": next(w for w in rows if not w["requireAuthentication"])}


def events(control, **params):
    return control.get("/_sandbox/workflow-events", params=params).json()["events"]


def basic(username, token):
    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()


def test_demo_brand_has_workflows_with_both_url_forms(control, sandbox, workflows):
    auth = workflows["auth"]
    new_form = urlsplit(auth["eventUrl"])
    assert new_form.path == "/inbound-event/v1/events/json/triggers"
    assert parse_qs(new_form.query) == {"urlTokenId": [auth["urlTokenId"]]}
    legacy = urlsplit(auth["legacyEventUrl"])
    assert legacy.path == "/inbound-event/v1/events/JSON/triggers"
    assert parse_qs(legacy.query) == {"contextId": [auth["id"]], "userId": [auth["ownerId"]], "brandId": ["acme"],
                                      "triggerId": [auth["triggerId"]]}
    assert auth["id"].startswith("OC_") and len(auth["id"]) == 18
    assert {w["id"] for w in sandbox.brand("acme")["workflows"]} == {workflows["auth"]["id"], workflows["open"]["id"]}
    assert control.post("/_sandbox/reset", {"seed": "empty"}).json()["brands"][0]["workflows"] == []


def test_event_with_an_api_token_on_the_url_token_form(control, sandbox, workflows):
    auth = workflows["auth"]
    body = {"ticket": {"id": "T-1001", "priority": "high"}, "customer": {"email": "pat@example.com"}, "extra": [1]}
    reply = requests.post(auth["eventUrl"], json=body, timeout=5,
                          headers={"X-API-TOKEN": sandbox.admin_token, "Accept": "application/json"})
    assert reply.status_code == 200
    payload = reply.json()
    assert set(payload) == {"meta"} and payload["meta"]["httpStatus"] == "200 - OK"
    assert REQUEST_ID.match(payload["meta"]["requestId"])
    [event] = events(control, workflowId=auth["id"])
    assert event["body"] == body
    assert event["fields"] == {"ticketId": "T-1001", "email": "pat@example.com", "priority": "high"}
    assert (event["urlForm"], event["authentication"], event["brandId"]) == ("urlTokenId", "X-API-TOKEN", "acme")
    assert event["userId"] == sandbox.brand("acme")["tokens"][0]["userId"]
    assert event["eventId"] == payload["meta"]["requestId"]
    [logged] = control.get("/_sandbox/calls", params={"path_contains": "/inbound-event/"}).json()["calls"]
    assert (logged["status"], logged["brandId"], logged["body"]) == (200, "acme", body)


def test_event_with_basic_username_and_token_on_the_legacy_form(control, sandbox, workflows):
    auth = workflows["auth"]
    token_row = sandbox.brand("acme")["tokens"][1]
    reply = requests.post(auth["legacyEventUrl"], json={"ticket": {"id": 7}}, timeout=5,
                          headers={"Authorization": basic(token_row["userName"], token_row["token"])})
    assert reply.status_code == 200, reply.text
    [event] = events(control)
    assert (event["urlForm"], event["authentication"], event["userId"]) == ("legacy", "Basic", token_row["userId"])
    assert event["fields"] == {"ticketId": 7, "email": None, "priority": None}
    # The user name may carry the brand the way Qualtrics writes it.
    again = requests.post(auth["eventUrl"], json={}, timeout=5,
                          headers={"Authorization": basic(f"{token_row['userName']}#acme", token_row["token"])})
    assert again.status_code == 200


def test_a_trigger_without_authentication_takes_anonymous_events(control, workflows):
    reply = requests.post(workflows["open"]["eventUrl"] + "&force_isolation=true", timeout=5,
                          json={"orderId": "O-9", "buyer": {"email": "b@example.com"}, "total": 12.5})
    assert reply.status_code == 200
    [event] = events(control, workflowId=workflows["open"]["id"])
    assert event["authentication"] is None and event["userId"] is None
    assert event["fields"] == {"orderId": "O-9", "email": "b@example.com", "total": 12.5}


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 400, "ATP_2"),
    ({"X-API-TOKEN": "x" * 40}, 401, "DCD_7"),
    ({"Authorization": "Bearer abc"}, 401, "DCD_7"),
    ({"Authorization": "Basic !!!"}, 401, "DCD_7"),
], ids=["no credentials", "unknown token", "oauth bearer", "bad basic"])
def test_a_trigger_that_requires_authentication_refuses(control, workflows, headers, status, code):
    reply = requests.post(workflows["auth"]["eventUrl"], json={"a": 1}, headers=headers, timeout=5)
    assert reply.status_code == status
    assert reply.json()["meta"]["error"]["errorCode"] == code
    assert events(control) == []


def test_credentials_of_another_user_or_brand_are_refused(sandbox, workflows):
    acme_admin = sandbox.brand("acme")["tokens"][0]
    wrong_name = requests.post(workflows["auth"]["eventUrl"], json={}, timeout=5,
                               headers={"Authorization": basic("someone@acme.example", acme_admin["token"])})
    assert wrong_name.status_code == 401
    globex_token = sandbox.brand("globex")["tokens"][0]["token"]
    other_brand = requests.post(workflows["auth"]["eventUrl"], json={}, timeout=5,
                                headers={"X-API-TOKEN": globex_token})
    assert other_brand.status_code == 403


def test_unknown_workflows_and_missing_parameters(control, sandbox, workflows):
    root = sandbox.root_url + "/inbound-event/v1/events/json/triggers"
    unknown = requests.post(root, params={"urlTokenId": "00000000-0000-4000-8000-000000000000"}, json={}, timeout=5)
    assert unknown.status_code == 404
    assert unknown.json()["meta"]["httpStatus"] == "404 - Not Found"
    auth = workflows["auth"]
    legacy = {"contextId": auth["id"], "userId": auth["ownerId"], "brandId": "globex", "triggerId": auth["triggerId"]}
    assert requests.post(root, params=legacy, json={}, timeout=5).status_code == 404
    missing = requests.post(root, params={"contextId": auth["id"]}, json={}, timeout=5)
    assert missing.status_code == 400 and missing.json()["meta"]["error"]["errorCode"] == "RP_10"
    assert requests.post(root, json={}, timeout=5).json()["meta"]["error"]["errorMessage"] == \
        "Expected param not found: urlTokenId"
    control.post("/_sandbox/config", {"workflow_unknown_status": 400})
    assert requests.post(root, params={"urlTokenId": "nope"}, json={}, timeout=5).status_code == 400


def test_bodies_must_be_json_of_at_most_100_kb(control, sandbox, workflows):
    url = workflows["open"]["eventUrl"]
    assert requests.post(url, data="<xml/>", headers={"Content-Type": "application/xml"}, timeout=5).status_code == 400
    assert requests.post(url, json={"blob": "x" * (100 * 1024)}, timeout=5).status_code == 413
    assert requests.post(url, json={"blob": "x" * (100 * 1024 - 20)}, timeout=5).status_code == 200
    assert requests.get(url, timeout=5).status_code == 405
    assert len(events(control)) == 1


def test_events_count_against_the_brand_rate_limit(control, sandbox, workflows):
    control.post("/_sandbox/config", {"rate_limit": 2})
    statuses = [requests.post(workflows["open"]["eventUrl"], json={}, timeout=5).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_workflows_can_be_added_and_events_cleared(control, sandbox):
    created = control.post("/_sandbox/workflows", {"brandId": "globex", "name": "Escalation", "fields": {
        "first": "$.items[0].sku", "spaced": "$['a b']"}, "requireAuthentication": False}).json()
    assert created["brandId"] == "globex" and created["requireAuthentication"] is False
    assert requests.post(created["eventUrl"], json={"items": [{"sku": "S1"}], "a b": 2}, timeout=5).ok
    assert events(control, brandId="globex")[-1]["fields"] == {"first": "S1", "spaced": 2}
    assert control.delete("/_sandbox/workflow-events").json()["count"] == 0
    assert events(control) == []
    assert control.post("/_sandbox/workflows", {"brandId": "nope", "name": "x"}).status_code == 400
    assert control.post("/_sandbox/workflows", {"brandId": "acme", "name": "x", "fields": {"a": "b"}}).status_code \
        == 400
