"""E-mail distributions: body rules (RP_9/RP_10), sends, stats, history, scheduling, cancelling, follow-ups,
generated links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import error_of, list_id, survey_id

HISTORY_STATUSES = {"Pending", "Success", "Error", "Opened", "Complaint", "Skipped", "Blocked", "Failure", "Unknown",
                    "SoftBounce", "HardBounce", "SurveyStarted", "SurveyPartiallyFinished", "SurveyFinished",
                    "SurveyScreenedOut", "SessionExpired"}


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


@pytest.fixture
def newsletter(acme):
    return list_id(acme, "Newsletter subscribers")


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_now(control):
    return datetime.strptime(control.get("/_sandbox/clock").json()["now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def email_body(survey, mailing_list, send_date="2020-01-01T00:00:00Z", **extra):
    body = {
        "message": {"messageText": "<p>Please answer ${l://SurveyLink}</p>"},
        "recipients": {"mailingListId": mailing_list},
        "header": {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme CX", "replyToEmail": "cx@acme.example",
                   "subject": "Your opinion"},
        "surveyLink": {"surveyId": survey, "type": "Individual", "expirationDate": "2030-01-01T00:00:00Z"},
        "sendDate": send_date,
        "embeddedData": {"portalRef": "ref-1"},
    }
    body.update(extra)
    return body


def expected_sent(api, pool, mailing_list):
    members, _ = api.collect(f"/directories/{pool}/mailinglists/{mailing_list}/contacts")
    return sum(1 for m in members if m["email"] and not m["unsubscribed"] and not m["directoryUnsubscribed"])


def test_send_now_counts_stats_and_history(api, acme, survey, newsletter):
    distribution_id = api.ok("POST", "/distributions", email_body(survey, newsletter))["id"]
    got = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})
    assert got["requestStatus"] == "Done"
    assert got["requestType"] == "Invite"
    assert got["recipients"]["mailingListId"] == newsletter
    assert got["message"]["messageType"] == "Inline"
    assert got["embeddedData"] == {"portalRef": "ref-1"}
    assert got["surveyLink"]["linkType"] == "Individual"
    stats = got["stats"]
    assert set(stats) == {"sent", "failed", "started", "bounced", "opened", "skipped", "finished", "complaints",
                          "blocked"}
    assert stats["sent"] == expected_sent(api, acme["defaultDirectoryId"], newsletter)
    assert stats["bounced"] > 0 and stats["skipped"] > 0
    assert 0 < stats["finished"] <= stats["started"] <= stats["opened"] <= stats["sent"]

    history, _ = api.collect(f"/distributions/{distribution_id}/history")
    assert len(history) == 200
    assert {row["status"] for row in history} <= HISTORY_STATUSES
    finished = [row for row in history if row["status"] == "SurveyFinished"]
    assert len(finished) == stats["finished"]
    assert all(row["responseId"].startswith("R_") and row["responseCompletedAt"] for row in finished)
    assert all(row["distributionID"] == distribution_id for row in history)
    assert all(row["contactLookupId"].startswith("CGC_") and row["contactId"].startswith("CID_") for row in history)
    response = api.ok("GET", f"/surveys/{survey}/responses/{finished[0]['responseId']}")
    assert response["values"]["finished"] == 1

    listed = api.ok("GET", "/distributions", params={"surveyId": survey, "distributionRequestType": "Invite"})
    row = next(d for d in listed["elements"] if d["id"] == distribution_id)
    assert "messageText" not in row["message"] and row["message"]["messageType"] == "Inline"


def test_engagement_can_be_switched_off(api, sandbox, survey, newsletter):
    sandbox.configure(simulate_engagement=False)
    distribution_id = api.ok("POST", "/distributions", email_body(survey, newsletter))["id"]
    stats = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})["stats"]
    assert stats["opened"] == stats["started"] == stats["finished"] == 0
    assert stats["sent"] > 0


def test_single_contact_send_uses_the_lookup_id(api, acme, survey):
    beta = list_id(acme, "Beta testers")
    members = api.ok("GET", f"/directories/{acme['defaultDirectoryId']}/mailinglists/{beta}/contacts")["elements"]
    target = members[0]
    body = email_body(survey, beta, recipients={"mailingListId": beta, "contactId": target["contactLookupId"]})
    distribution_id = api.ok("POST", "/distributions", body)["id"]
    history = api.ok("GET", f"/distributions/{distribution_id}/history")["elements"]
    assert [row["contactLookupId"] for row in history] == [target["contactLookupId"]]
    wrong = email_body(survey, beta, recipients={"mailingListId": beta, "contactId": target["contactId"]})
    assert "CGC_" in error_of(api.post("/distributions", wrong))["errorMessage"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"drop": "sendDate"}, {"errorMessage": "Expected param not found: sendDate", "errorCode": "RP_10"}),
    ({"drop": "header"}, {"errorMessage": "Expected param not found: header", "errorCode": "RP_10"}),
    ({"add": {"linkType": "Individual"}}, {"errorMessage": "Unexpected json key provided: linkType",
                                           "errorCode": "RP_9"}),
    ({"add": {"SendDate": "2020-01-01T00:00:00Z"}}, {"errorMessage": "Unexpected json key provided: SendDate",
                                                     "errorCode": "RP_9"}),
])
def test_email_form_rp_errors(api, survey, newsletter, change, expected):
    body = email_body(survey, newsletter)
    if "drop" in change:
        del body[change["drop"]]
    else:
        body.update(change["add"])
    response = api.post("/distributions", body)
    assert response.status_code == 400
    assert error_of(response) == expected


def test_links_form_rejects_email_keys(api, survey, newsletter):
    body = {"action": "CreateDistribution", "surveyId": survey, "linkType": "Individual", "description": "links",
            "mailingListId": newsletter, "sendDate": "2020-01-01T00:00:00Z"}
    assert error_of(api.post("/distributions", body)) == {"errorMessage": "Unexpected json key provided: sendDate",
                                                           "errorCode": "RP_9"}
    del body["sendDate"], body["description"]
    assert error_of(api.post("/distributions", body)) == {"errorMessage": "Expected param not found: description",
                                                           "errorCode": "RP_10"}


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("message", {"libraryId": "UR_x", "messageId": "MS_x", "messageText": "hi"}, "not both"),
    ("message", {}, "messageText"),
    ("recipients", {}, "mailingListId"),
    ("recipients", {"mailingListId": "CG_a", "transactionBatchId": "BT_b"}, "not both"),
    ("recipients", {"transactionBatchId": "BT_b", "contactId": "CGC_c"}, "cannot be combined with contactId"),
    ("header", {"fromEmail": "nobody", "fromName": "x", "subject": "y"}, "fromEmail"),
    ("sendDate", "next tuesday", "sendDate"),
    ("surveyLink", {"surveyId": "SV_x", "type": "Personal"}, None),
])
def test_email_form_value_errors(api, survey, newsletter, field, value, needle):
    body = email_body(survey, newsletter)
    body[field] = value
    response = api.post("/distributions", body)
    assert response.status_code in (400, 404)
    if needle:
        assert response.status_code == 400
        assert needle in error_of(response)["errorMessage"]


def test_unknown_references_are_404(api, survey, newsletter):
    for field, value in (("recipients", {"mailingListId": "CG_xxxxxxxxxxxxxxx"}),
                         ("surveyLink", {"surveyId": "SV_xxxxxxxxxxxxxxx"}),
                         ("message", {"libraryId": "UR_xxxxxxxxxxxxxxx", "messageId": "MS_xxxxxxxxxxxxxxx"})):
        body = email_body(survey, newsletter)
        body[field] = value
        assert api.post("/distributions", body).status_code == 404, field


def test_library_message_is_resolved(api, survey, newsletter):
    me = api.ok("GET", "/whoami")["userId"]
    invite = api.ok("GET", f"/libraries/{me}/messages", params={"category": "invite"})["elements"][0]
    body = email_body(survey, newsletter, message={"libraryId": me, "messageId": invite["id"]})
    distribution_id = api.ok("POST", "/distributions", body)["id"]
    message = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})["message"]
    assert message["messageType"] == "Library" and message["messageId"] == invite["id"]
    assert "SurveyLink" in message["messageText"]


def test_list_requires_survey_id(api):
    response = api.get("/distributions")
    assert error_of(response) == {"errorMessage": "Expected param not found: surveyId", "errorCode": "RP_10"}


def test_scheduled_send_goes_out_when_the_clock_passes_send_date(api, sandbox, control, survey, newsletter, acme):
    send_at = clock_now(control) + timedelta(hours=1)
    distribution_id = api.ok("POST", "/distributions", email_body(survey, newsletter, iso(send_at)))["id"]
    pending = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})
    assert pending["requestStatus"] == "Pending"
    assert pending["stats"]["sent"] == 0
    assert api.ok("GET", f"/distributions/{distribution_id}/history")["elements"] == []
    sandbox.advance_clock(1800)
    assert api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})["requestStatus"] == "Pending"
    control.post("/_sandbox/clock", {"advanceSeconds": 1801})
    done = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})
    assert done["requestStatus"] == "Done"
    assert done["stats"]["sent"] == expected_sent(api, acme["defaultDirectoryId"], newsletter)
    assert done["sendDate"] == iso(send_at)


def test_deleting_a_scheduled_send_cancels_it(api, sandbox, control, survey, newsletter):
    send_at = clock_now(control) + timedelta(hours=1)
    distribution_id = api.ok("POST", "/distributions", email_body(survey, newsletter, iso(send_at)))["id"]
    assert api.delete(f"/distributions/{distribution_id}").status_code == 200
    sandbox.advance_clock(7200)
    assert api.get(f"/distributions/{distribution_id}", params={"surveyId": survey}).status_code == 404
    rows = control.get("/_sandbox/distributions").json()["distributions"]
    row = next(r for r in rows if r["id"] == distribution_id)
    assert row["status"] == "canceled"
    assert row["stats"]["sent"] == 0
    assert row["embeddedData"] == {"portalRef": "ref-1"}


def test_deleting_a_sent_distribution_removes_it(api, survey, newsletter, control):
    distribution_id = api.ok("POST", "/distributions", email_body(survey, newsletter))["id"]
    assert api.delete(f"/distributions/{distribution_id}").status_code == 200
    assert api.get(f"/distributions/{distribution_id}", params={"surveyId": survey}).status_code == 404
    assert api.delete(f"/distributions/{distribution_id}").status_code == 404
    row = next(r for r in control.get("/_sandbox/distributions").json()["distributions"] if r["id"] == distribution_id)
    assert row["status"] == "deleted"


def follow_up_body(send_date="2020-01-01T00:00:00Z"):
    return {"header": {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme", "subject": "Reminder"},
            "message": {"messageText": "Still time!"}, "sendDate": send_date}


def test_reminders_and_thank_yous_need_a_parent(api):
    for kind in ("reminders", "thankyous"):
        response = api.post(f"/distributions/EMD_xxxxxxxxxxxxxxx/{kind}", follow_up_body())
        assert response.status_code == 404
        assert response.json()["meta"]["httpStatus"] == "404 - Not Found"


def test_reminders_go_to_non_finishers_and_thank_yous_to_finishers(api, survey, newsletter, sandbox, control):
    sandbox.configure(simulate_engagement=False)
    parent = api.ok("POST", "/distributions", email_body(survey, newsletter))["id"]
    history, _ = api.collect(f"/distributions/{parent}/history")
    finisher = next(row for row in history if row["status"] == "Success")
    done = control.post("/_sandbox/responses", {"surveyId": survey, "distributionId": parent,
                                                "contactLookupId": finisher["contactLookupId"]})
    assert done.status_code == 200 and done.json()["responseId"].startswith("R_")

    reminder = api.ok("POST", f"/distributions/{parent}/reminders", follow_up_body())
    assert set(reminder) == {"distributionId"}
    reminder_id = reminder["distributionId"]
    got = api.ok("GET", f"/distributions/{reminder_id}", params={"surveyId": survey})
    assert (got["requestType"], got["parentDistributionId"]) == ("Reminder", parent)
    reached = {row["contactLookupId"] for row in api.collect(f"/distributions/{reminder_id}/history")[0]}
    eligible = {row["contactLookupId"] for row in history
                if row["status"] in ("Success", "Opened", "SurveyStarted") and row["contactLookupId"]
                != finisher["contactLookupId"]}
    assert reached == eligible

    thanks = api.ok("POST", f"/distributions/{parent}/thankyous", follow_up_body())["distributionId"]
    thanked = [row["contactLookupId"] for row in api.collect(f"/distributions/{thanks}/history")[0]]
    assert thanked == [finisher["contactLookupId"]]

    sandbox.configure(reminder_result_key="id")
    assert set(api.ok("POST", f"/distributions/{parent}/reminders", follow_up_body())) == {"id"}
    sandbox.configure(reminder_result_key="both")
    assert set(api.ok("POST", f"/distributions/{parent}/reminders", follow_up_body())) == {"id", "distributionId"}
    assert error_of(api.post(f"/distributions/{parent}/reminders", {**follow_up_body(), "recipients": {}})
                    )["errorCode"] == "RP_9"


def test_seeded_invite_has_a_reminder(api, survey):
    distributions = api.ok("GET", "/distributions", params={"surveyId": survey})["elements"]
    kinds = {d["requestType"]: d for d in distributions}
    assert set(kinds) == {"Invite", "Reminder"}
    assert kinds["Reminder"]["parentDistributionId"] == kinds["Invite"]["id"]
    assert kinds["Invite"]["stats"]["sent"] > 0


def test_generated_links(api, acme, survey, newsletter):
    body = {"action": "CreateDistribution", "surveyId": survey, "linkType": "Individual",
            "description": "Kiosk links", "expirationDate": "2030-06-01 00:00:00", "mailingListId": newsletter}
    distribution_id = api.ok("POST", "/distributions", body)["id"]
    assert distribution_id.startswith("EMD_")
    got = api.ok("GET", f"/distributions/{distribution_id}", params={"surveyId": survey})
    assert got["requestType"] == "GeneratedInvite"
    links, _ = api.collect(f"/distributions/{distribution_id}/links", params={"surveyId": survey})
    assert len(links) == 200
    assert len({row["link"] for row in links}) == 200
    first = links[0]
    assert first["contactId"].startswith("CGC_")
    assert survey in first["link"] and first["status"] == "Email not sent"
    assert first["linkExpiration"] == "2030-06-01T00:00:00Z"
    assert set(first) == {"contactId", "transactionId", "link", "exceededContactFrequency", "linkExpiration",
                          "status", "lastName", "firstName", "externalDataReference", "email", "unsubscribed"}
    assert api.get(f"/distributions/{distribution_id}/links").json()["meta"]["error"]["errorCode"] == "RP_10"

    archived = survey_id(acme, "Product Feedback (archived)")
    inactive = api.post("/distributions", {**body, "surveyId": archived})
    assert inactive.status_code == 400 and "not active" in error_of(inactive)["errorMessage"]
