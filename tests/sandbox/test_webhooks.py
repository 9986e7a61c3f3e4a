"""Event subscriptions and webhook delivery: form-encoded Topic/MSG/HMAC posted to a real local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from .conftest import survey_id


class Receiver:
    """A tiny HTTP endpoint that records what is POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        received = self.received = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append({"path": self.path, "headers": dict(self.headers),
                                 "body": self.rfile.read(length).decode()})
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/qualtrics/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


def test_subscription_crud(api, survey, receiver):
    created = api.ok("POST", "/eventsubscriptions", {"topics": f"surveyengine.completedResponse.{survey}",
                                                     "publicationUrl": receiver.url, "encrypt": False})
    subscription_id = created["id"]
    listed = api.ok("GET", "/eventsubscriptions")["elements"]
    assert [row["id"] for row in listed] == [subscription_id]
    got = api.ok("GET", f"/eventsubscriptions/{subscription_id}")
    assert got == {"id": subscription_id, "scope": "brand", "topics": f"surveyengine.completedResponse.{survey}",
                   "publicationUrl": receiver.url, "encrypted": False, "successfulCalls": 0}
    assert api.post("/eventsubscriptions", {"topics": "x", "publicationUrl": "ftp://nowhere"}).status_code == 400
    assert api.post("/eventsubscriptions", {"publicationUrl": receiver.url}).json()["meta"]["error"][
        "errorCode"] == "RP_10"
    assert api.delete(f"/eventsubscriptions/{subscription_id}").status_code == 200
    assert api.get(f"/eventsubscriptions/{subscription_id}").status_code == 404


def test_completed_response_is_delivered_with_hmac(api, control, survey, receiver):
    subscription_id = api.ok("POST", "/eventsubscriptions", {
        "topics": f"surveyengine.completedResponse.{survey}", "publicationUrl": receiver.url, "encrypt": False,
        "sharedKey": "s3cret-key"})["id"]
    done = control.post("/_sandbox/responses", {"surveyId": survey})
    assert done.status_code == 200
    outcome = done.json()
    assert outcome["deliveries"] == [{"subscriptionId": subscription_id, "publicationUrl": receiver.url,
                                      "status": 200, "error": None}]
    [delivery] = receiver.received
    assert delivery["path"] == "/qualtrics/hook"
    assert delivery["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = {key: values[0] for key, values in parse_qs(delivery["body"], strict_parsing=True).items()}
    assert set(form) == {"Topic", "MSG", "HMAC"}
    assert form["Topic"] == f"acme.surveyengine.completedResponse.{survey}"
    message = json.loads(form["MSG"])
    assert message == {"Status": "Complete", "SurveyID": survey, "ResponseID": outcome["responseId"],
                       "CompletedDate": outcome["completedDate"], "BrandID": "acme"}
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", message["CompletedDate"])
    expected = hmac.new(b"s3cret-key", form["MSG"].encode(), hashlib.sha512).hexdigest()
    assert form["HMAC"] == expected and len(form["HMAC"]) == 128 and form["HMAC"] == form["HMAC"].lower()
    assert api.ok("GET", f"/eventsubscriptions/{subscription_id}")["successfulCalls"] == 1
    assert api.ok("GET", f"/surveys/{survey}/responses/{outcome['responseId']}")["values"]["finished"] == 1


def test_wildcards_and_topics_that_do_not_match(api, control, survey, acme, receiver):
    api.ok("POST", "/eventsubscriptions", {"topics": "surveyengine.completedResponse.*",
                                           "publicationUrl": receiver.url})
    other = survey_id(acme, "Onboarding Pulse")
    api.ok("POST", "/eventsubscriptions", {"topics": f"surveyengine.completedResponse.{other}",
                                           "publicationUrl": receiver.url + "/other"})
    control.post("/_sandbox/responses", {"surveyId": survey})
    assert len(receiver.received) == 1
    form = parse_qs(receiver.received[0]["body"])
    assert "HMAC" not in form
    control.post("/_sandbox/responses", {"surveyId": other})
    assert [r["path"] for r in receiver.received[1:]] == ["/qualtrics/hook", "/qualtrics/hook/other"]


def test_failed_delivery_is_reported_not_counted(api, control, survey):
    failing = Receiver(status=500)
    try:
        subscription_id = api.ok("POST", "/eventsubscriptions", {
            "topics": "surveyengine.completedResponse.*", "publicationUrl": failing.url})["id"]
        outcome = control.post("/_sandbox/responses", {"surveyId": survey}).json()
        assert outcome["deliveries"][0]["status"] == 500
        assert api.ok("GET", f"/eventsubscriptions/{subscription_id}")["successfulCalls"] == 0
    finally:
        failing.close()


def test_completing_a_response_updates_the_distribution(api, control, survey):
    invite = next(d for d in api.ok("GET", "/distributions", params={"surveyId": survey})["elements"]
                  if d["requestType"] == "Invite")
    history, _ = api.collect(f"/distributions/{invite['id']}/history")
    target = next(row for row in history if row["status"] in ("Success", "Opened"))
    before = api.ok("GET", f"/distributions/{invite['id']}", params={"surveyId": survey})["stats"]
    outcome = control.post("/_sandbox/responses", {"surveyId": survey, "distributionId": invite["id"],
                                                   "contactLookupId": target["contactLookupId"]}).json()
    after = api.ok("GET", f"/distributions/{invite['id']}", params={"surveyId": survey})["stats"]
    assert after["finished"] == before["finished"] + 1
    assert after["started"] == before["started"] + 1
    row = next(r for r in api.collect(f"/distributions/{invite['id']}/history")[0]
               if r["contactLookupId"] == target["contactLookupId"])
    assert row["status"] == "SurveyFinished" and row["responseId"] == outcome["responseId"]
    response = api.ok("GET", f"/surveys/{survey}/responses/{outcome['responseId']}")
    assert response["values"]["distributionChannel"] == "email"
    again = control.post("/_sandbox/responses", {"surveyId": survey, "distributionId": invite["id"],
                                                 "contactLookupId": target["contactLookupId"]})
    assert again.status_code == 400
    assert control.post("/_sandbox/responses", {"surveyId": "SV_xxxxxxxxxxxxxxx"}).status_code == 404
