"""Event subscriptions and webhook delivery: form-encoded Topic/MSG/HMAC posted to a real local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from sandbox import webhooks

from .conftest import survey_id


class Receiver:
    """A tiny HTTP endpoint that records what is POSTed to it; `statuses` are answered in turn (the last repeats)."""

    def __init__(self, status: int = 200, statuses: tuple[int, ...] = (), on_post=None) -> None:
        received = self.received = []
        self.statuses = list(statuses) or [status]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if on_post is not None:
                    on_post(body)
                received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/qualtrics/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def forms(self) -> list[dict[str, str]]:
        return [{key: values[0] for key, values in parse_qs(row["body"], strict_parsing=True).items()}
                for row in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"expected {count} deliveries, got {len(self.received)}"
        return self.forms()

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
    # Deliveries to different subscriptions go out side by side, in no set order.
    assert sorted(r["path"] for r in receiver.received[1:]) == ["/qualtrics/hook", "/qualtrics/hook/other"]


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


def _subscribe(api, topics, url, **extra):
    return api.ok("POST", "/eventsubscriptions", {"topics": topics, "publicationUrl": url, "encrypt": False,
                                                  **extra})["id"]


def test_partial_response_goes_only_to_partial_subscriptions(api, control, survey, receiver):
    _subscribe(api, f"surveyengine.partialResponse.{survey}", receiver.url + "/partial", sharedKey="k")
    _subscribe(api, f"surveyengine.completedResponse.{survey}", receiver.url + "/completed")
    outcome = control.post("/_sandbox/responses", {"surveyId": survey, "finished": False}).json()
    assert outcome["finished"] is False and [d["status"] for d in outcome["deliveries"]] == [200]
    [form] = receiver.forms()
    assert receiver.received[0]["path"] == "/qualtrics/hook/partial"
    assert form["Topic"] == f"acme.surveyengine.partialResponse.{survey}"
    assert json.loads(form["MSG"]) == {"Status": "Partial", "SurveyID": survey, "ResponseID": outcome["responseId"],
                                       "CompletedDate": outcome["completedDate"], "BrandID": "acme"}
    assert form["HMAC"] == hmac.new(b"k", form["MSG"].encode(), hashlib.sha512).hexdigest()
    values = api.ok("GET", f"/surveys/{survey}/responses/{outcome['responseId']}")["values"]
    assert values["finished"] == 0 and 0 < values["progress"] < 100
    assert control.post("/_sandbox/responses", {"surveyId": survey, "finished": "no"}).status_code == 400


def test_a_distribution_response_names_its_recipient_and_distribution(api, control, survey, receiver):
    _subscribe(api, "surveyengine.completedResponse.*", receiver.url)
    invite = next(d for d in api.ok("GET", "/distributions", params={"surveyId": survey})["elements"]
                  if d["requestType"] == "Invite")
    history, _ = api.collect(f"/distributions/{invite['id']}/history")
    first, second = [row for row in history if row["status"] in ("Success", "Opened")][:2]
    outcome = control.post("/_sandbox/responses", {"surveyId": survey, "distributionId": invite["id"],
                                                   "contactLookupId": first["contactLookupId"]}).json()
    message = json.loads(receiver.forms()[0]["MSG"])
    assert message == {"Status": "Complete", "SurveyID": survey, "ResponseID": outcome["responseId"],
                       "RecipientID": first["contactId"], "DistributionID": invite["id"],
                       "CompletedDate": outcome["completedDate"], "BrandID": "acme"}
    control.post("/_sandbox/config", {"webhook_message_fields": "observed"})
    control.post("/_sandbox/responses", {"surveyId": survey, "distributionId": invite["id"],
                                         "contactLookupId": second["contactLookupId"]})
    assert set(json.loads(receiver.forms()[1]["MSG"])) == {"Status", "SurveyID", "ResponseID", "CompletedDate",
                                                           "BrandID"}


def test_activating_and_deactivating_a_survey_publish_controlpanel_topics(api, survey, receiver):
    _subscribe(api, "controlpanel.activateSurvey", receiver.url + "/on")
    _subscribe(api, f"controlpanel.deactivateSurvey.{survey}", receiver.url + "/off")
    api.ok("PUT", f"/surveys/{survey}", {"isActive": False})
    [off] = receiver.wait_for(1)
    assert receiver.received[0]["path"] == "/qualtrics/hook/off"
    assert off["Topic"] == "acme.controlpanel.deactivateSurvey"
    assert json.loads(off["MSG"]) == {"Status": "Inactive", "SurveyID": survey, "BrandID": "acme"}
    api.ok("PUT", f"/surveys/{survey}", {"isActive": False, "name": "Renamed"})
    api.ok("PUT", f"/surveys/{survey}", {"isActive": True})
    forms = receiver.wait_for(2)
    time.sleep(0.3)
    assert len(receiver.received) == 2, "a PUT that does not change isActive publishes nothing"
    assert receiver.received[1]["path"] == "/qualtrics/hook/on"
    assert json.loads(forms[1]["MSG"]) == {"Status": "Active", "SurveyID": survey, "BrandID": "acme"}


def test_created_distribution_topic_follows_its_switch(api, control, acme, survey, receiver):
    _subscribe(api, "controlpanel.createdDistribution", receiver.url)
    body = {"message": {"messageText": "Hi"}, "recipients": {"mailingListId": acme["mailingLists"][4]["id"]},
            "header": {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme", "subject": "Hi"},
            "surveyLink": {"surveyId": survey}, "sendDate": "2030-01-01T00:00:00Z"}
    created = api.ok("POST", "/distributions", body)["id"]
    [form] = receiver.wait_for(1)
    assert form["Topic"] == "acme.controlpanel.createdDistribution"
    assert json.loads(form["MSG"]) == {"DistributionID": created, "SurveyID": survey, "BrandID": "acme"}
    control.post("/_sandbox/config", {"webhook_unconfirmed_topics": False})
    api.ok("POST", "/distributions", body)
    time.sleep(0.3)
    assert len(receiver.received) == 1


def test_a_failed_delivery_is_retried_on_the_sandbox_clock(api, control, survey):
    flaky = Receiver(statuses=(503, 500, 200))
    try:
        control.post("/_sandbox/config", {"webhook_retry_delays": [30, 120, 600]})
        subscription = _subscribe(api, "surveyengine.completedResponse.*", flaky.url)
        outcome = control.post("/_sandbox/responses", {"surveyId": survey}).json()
        assert outcome["deliveries"][0]["status"] == 503
        log = control.get("/_sandbox/webhook-deliveries").json()
        assert log["pending"] == 1
        assert [(a["attempt"], a["status"], a["retryInSeconds"]) for a in log["attempts"]] == [(1, 503, 30)]
        control.post("/_sandbox/clock", {"advanceSeconds": 29})
        time.sleep(0.4)
        assert len(flaky.received) == 1
        control.post("/_sandbox/clock", {"advanceSeconds": 1})
        flaky.wait_for(2)
        # The receiver has the second attempt before the sandbox has logged its failure and scheduled the
        # next one; the clock moves on only once it has (else the retry would be due 120 s after the move).
        deadline = time.monotonic() + 5
        while len(control.get("/_sandbox/webhook-deliveries").json()["attempts"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        control.post("/_sandbox/clock", {"advanceSeconds": 120})
        flaky.wait_for(3)
        assert len({row["body"] for row in flaky.received}) == 1, "every attempt carries the same form"
        deadline = time.monotonic() + 5
        while control.get("/_sandbox/webhook-deliveries").json()["count"] < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        log = control.get("/_sandbox/webhook-deliveries", params={"subscriptionId": subscription}).json()
        assert [(a["attempt"], a["status"], a["retryInSeconds"]) for a in log["attempts"]] == [
            (1, 503, 30), (2, 500, 120), (3, 200, None)]
        assert log["pending"] == 0
        assert api.ok("GET", f"/eventsubscriptions/{subscription}")["successfulCalls"] == 1
    finally:
        flaky.close()


def test_retries_stop_when_the_schedule_ends_or_the_sandbox_is_reset(api, control, sandbox, survey):
    down = Receiver(status=500)
    try:
        control.post("/_sandbox/config", {"webhook_retry_delays": [0]})
        _subscribe(api, "surveyengine.completedResponse.*", down.url)
        control.post("/_sandbox/responses", {"surveyId": survey})
        down.wait_for(2)
        time.sleep(0.3)
        assert len(down.received) == 2
        control.post("/_sandbox/config", {"webhook_retry_delays": [3600]})
        control.post("/_sandbox/responses", {"surveyId": survey})
        assert control.get("/_sandbox/webhook-deliveries").json()["pending"] == 1
        sandbox.reset("demo")
        assert control.get("/_sandbox/webhook-deliveries").json() == {"count": 0, "attempts": [], "pending": 0}
        assert control.post("/_sandbox/config", {"webhook_retry_delays": [-1]}).status_code == 400
    finally:
        down.close()


def test_a_receiver_may_call_back_into_the_sandbox_while_it_is_notified(api, control, sandbox, survey):
    fetched = []

    def fetch(body):
        message = json.loads(parse_qs(body)["MSG"][0])
        fetched.append(requests.get(f"{sandbox.base_url}/surveys/{message['SurveyID']}/responses/"
                                    f"{message['ResponseID']}", headers={"X-API-TOKEN": sandbox.admin_token},
                                    timeout=5).status_code)

    calling_back = Receiver(on_post=fetch)
    try:
        _subscribe(api, "surveyengine.completedResponse.*", calling_back.url)
        outcome = control.post("/_sandbox/responses", {"surveyId": survey}, timeout=10).json()
        assert outcome["deliveries"][0]["status"] == 200
        assert fetched == [200]
    finally:
        calling_back.close()


def test_response_recorded_is_callable_from_other_recorders(api, sandbox, survey, receiver):
    """The function any code that records a response calls (with or without the sandbox's lock held)."""
    _subscribe(api, f"surveyengine.completedResponse.{survey}", receiver.url)
    with sandbox.state.lock:
        response = next(iter(sandbox.state.brands["acme"].surveys[survey].responses.values()))
        deliveries = webhooks.response_recorded(sandbox.state, survey, response, True)
    webhooks.wait(deliveries, 5)
    assert [d.status for d in deliveries] == [200]
    assert json.loads(receiver.forms()[0]["MSG"])["ResponseID"] == response.id
    assert webhooks.response_recorded(sandbox.state, "SV_unknown", response, True) == []
