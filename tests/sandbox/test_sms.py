"""SMS distributions: the method rules (each invalid combination), the full object on create, list/get/delete."""

from __future__ import annotations

import pytest

from .conftest import error_of, list_id, survey_id

FUTURE = "2031-01-01T00:00:00Z"


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


@pytest.fixture
def beta(acme):
    return list_id(acme, "Beta testers")


def sms_body(survey, **fields):
    body = {"surveyId": survey, "name": "Spring SMS", "sendDate": "2020-01-01T00:00:00Z", "method": "Invite"}
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def parent(api, survey, beta):
    body = sms_body(survey, recipients={"mailingListId": beta}, message={"messageText": "Tell us ${l://SurveyLink}"})
    return api.ok("POST", "/distributions/sms", body)["id"]


def test_invite_returns_the_full_sms_object(api, survey, beta, acme):
    body = sms_body(survey, recipients={"mailingListId": beta}, message={"messageText": "x" * 170},
                    sendDate=FUTURE)
    created = api.ok("POST", "/distributions/sms", body)
    assert created["id"].startswith("SMSD_")
    assert set(created) >= {"id", "ownerId", "organizationId", "requestStatus", "requestType", "surveyId", "name",
                            "sendDate", "recipients", "message", "stats"}
    assert (created["requestType"], created["requestStatus"], created["name"]) == ("Invite", "Scheduled",
                                                                                   "Spring SMS")
    assert created["recipients"]["mailingListId"] == beta
    assert set(created["recipients"]) == {"mailingListId", "contactId", "libraryId", "sampleId", "transactionId",
                                          "transactionBatchId"}
    assert created["message"]["messageText"] == "x" * 170
    assert set(created["stats"]) == {"sent", "failed", "started", "finished", "credits", "segments"}
    assert created["stats"]["sent"] == 0


def test_sent_sms_counts_recipients_with_phones(api, survey, beta, acme, sandbox):
    sandbox.configure(simulate_engagement=False)
    body = sms_body(survey, recipients={"mailingListId": beta}, message={"messageText": "y" * 200})
    created = api.ok("POST", "/distributions/sms", body)
    assert created["requestStatus"] == "Done"
    members, _ = api.collect(f"/directories/{acme['defaultDirectoryId']}/mailinglists/{beta}/contacts")
    reachable = sum(1 for m in members if m["phone"] and not m["unsubscribed"] and not m["directoryUnsubscribed"])
    assert created["stats"]["sent"] == reachable
    assert created["stats"]["segments"] == 2
    assert created["stats"]["credits"] == 2 * reachable


def test_library_message_and_interactive(api, survey, beta):
    me = api.ok("GET", "/whoami")["userId"]
    sms_invite = api.ok("GET", f"/libraries/{me}/messages", params={"category": "smsInvite"})["elements"][0]
    created = api.ok("POST", "/distributions/sms", sms_body(
        survey, recipients={"mailingListId": beta}, message={"libraryId": me, "messageId": sms_invite["id"]}))
    assert created["message"]["messageId"] == sms_invite["id"]
    assert created["message"]["messageText"].startswith("Acme")
    interactive = api.ok("POST", "/distributions/sms", sms_body(
        survey, method="Interactive", recipients={"mailingListId": beta}))
    assert interactive["requestType"] == "Interactive"


@pytest.mark.parametrize("spelling", ["Reminder", "ThankYou", "Thankyou"])
def test_follow_ups_with_a_parent(api, survey, parent, spelling):
    created = api.ok("POST", "/distributions/sms", sms_body(
        survey, method=spelling, parentDistributionId=parent, message={"messageText": "Reminder!"}))
    assert created["parentDistributionId"] == parent
    assert created["requestType"] == ("Reminder" if spelling == "Reminder" else "ThankYou")


INVALID = [
    ("Invite without recipients", {"message": {"messageText": "hi"}}, "recipients is required"),
    ("Invite without message", {"recipients": "LIST"}, "message is required"),
    ("Invite with a parent", {"recipients": "LIST", "message": {"messageText": "hi"}, "parentDistributionId": "PARENT"},
     "parentDistributionId is not allowed"),
    ("Invite with both message forms", {"recipients": "LIST", "message": {"messageText": "hi", "libraryId": "UR_x",
                                                                          "messageId": "MS_x"}}, "not both"),
    ("Interactive with a message", {"method": "Interactive", "recipients": "LIST", "message": {"messageText": "hi"}},
     "message is not used"),
    ("Interactive with a parent", {"method": "Interactive", "recipients": "LIST", "parentDistributionId": "PARENT"},
     "parentDistributionId is not allowed"),
    ("Interactive without recipients", {"method": "Interactive"}, "recipients is required"),
    ("Reminder with recipients", {"method": "Reminder", "recipients": "LIST", "message": {"messageText": "hi"},
                                  "parentDistributionId": "PARENT"}, "recipients is not allowed"),
    ("Reminder without a parent", {"method": "Reminder", "message": {"messageText": "hi"}},
     "parentDistributionId is required"),
    ("Reminder without a message", {"method": "Reminder", "parentDistributionId": "PARENT"}, "message is required"),
    ("ThankYou with recipients", {"method": "ThankYou", "recipients": "LIST", "message": {"messageText": "hi"},
                                  "parentDistributionId": "PARENT"}, "recipients is not allowed"),
    ("Thankyou without a parent", {"method": "Thankyou", "message": {"messageText": "hi"}},
     "parentDistributionId is required"),
    ("unknown method", {"method": "Blast", "recipients": "LIST", "message": {"messageText": "hi"}},
     "method must be one of"),
    ("list and batch together", {"recipients": {"mailingListId": "LIST", "transactionBatchId": "BT_x"},
                                 "message": {"messageText": "hi"}}, "not both"),
    ("neither list nor batch", {"recipients": {"contactId": "CGC_x"}, "message": {"messageText": "hi"}},
     "give mailingListId"),
    ("two single targets", {"recipients": {"mailingListId": "LIST", "contactId": "CGC_x", "sampleId": "SMP_x"},
                            "message": {"messageText": "hi"}}, "only one of"),
    ("batch with a transaction", {"recipients": {"transactionBatchId": "BT_x", "transactionId": "CTR_x"},
                                  "message": {"messageText": "hi"}}, "cannot be combined with transactionId"),
    ("name too long", {"name": "n" * 101, "recipients": "LIST", "message": {"messageText": "hi"}}, "at most 100"),
]


@pytest.mark.parametrize(("label", "fields", "needle"), INVALID, ids=[row[0] for row in INVALID])
def test_method_rules(api, survey, beta, parent, label, fields, needle):
    fields = dict(fields)
    if fields.get("recipients") == "LIST":
        fields["recipients"] = {"mailingListId": beta}
    elif isinstance(fields.get("recipients"), dict):
        fields["recipients"] = {k: beta if v == "LIST" else v for k, v in fields["recipients"].items()}
    if fields.get("parentDistributionId") == "PARENT":
        fields["parentDistributionId"] = parent
    response = api.post("/distributions/sms", sms_body(survey, **fields))
    assert response.status_code == 400, response.text
    assert needle in error_of(response)["errorMessage"]


def test_rp_errors_and_unknown_parent(api, survey, beta):
    body = sms_body(survey, recipients={"mailingListId": beta}, message={"messageText": "hi"})
    assert error_of(api.post("/distributions/sms", {**body, "channel": "sms"})) == {
        "errorMessage": "Unexpected json key provided: channel", "errorCode": "RP_9"}
    without_name = {k: v for k, v in body.items() if k != "name"}
    assert error_of(api.post("/distributions/sms", without_name)) == {
        "errorMessage": "Expected param not found: name", "errorCode": "RP_10"}
    reminder = sms_body(survey, method="Reminder", parentDistributionId="SMSD_xxxxxxxxxxxxxxx",
                        message={"messageText": "hi"})
    assert api.post("/distributions/sms", reminder).status_code == 404


def test_list_get_delete(api, survey, parent):
    listed = api.ok("GET", "/distributions/sms", params={"surveyId": survey})
    assert parent in {row["id"] for row in listed["elements"]}
    assert listed["nextPage"] is None
    assert api.ok("GET", f"/distributions/sms/{parent}", params={"surveyId": survey})["id"] == parent
    assert error_of(api.get(f"/distributions/sms/{parent}"))["errorCode"] == "RP_10"
    assert api.get("/distributions/sms").status_code == 400
    assert api.delete(f"/distributions/sms/{parent}").status_code == 200
    assert api.get(f"/distributions/sms/{parent}", params={"surveyId": survey}).status_code == 404


def test_deleting_a_scheduled_sms_cancels_it(api, survey, beta, sandbox, control):
    created = api.ok("POST", "/distributions/sms", sms_body(
        survey, recipients={"mailingListId": beta}, message={"messageText": "hi"}, sendDate=FUTURE))
    assert api.delete(f"/distributions/sms/{created['id']}").status_code == 200
    row = next(r for r in control.get("/_sandbox/distributions").json()["distributions"] if r["id"] == created["id"])
    assert (row["channel"], row["status"]) == ("sms", "canceled")
