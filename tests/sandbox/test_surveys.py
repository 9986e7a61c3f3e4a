"""Surveys, response exports (async, zip of CSV) and single responses."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from .conftest import Api, error_of, survey_id


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


def test_list_and_get_surveys(api, survey):
    surveys = api.ok("GET", "/surveys")["elements"]
    assert len(surveys) == 3
    assert set(surveys[0]) == {"id", "name", "ownerId", "lastModified", "creationDate", "isActive"}
    assert {s["isActive"] for s in surveys} == {True, False}
    detail = api.ok("GET", f"/surveys/{survey}")
    assert detail["name"] == "Customer Satisfaction 2025"
    assert set(detail["questions"]) == {"QID1", "QID2", "QID3", "QID4", "QID5", "QID6"}
    assert detail["questions"]["QID1"]["questionType"] == {"type": "MC", "selector": "NPS", "subSelector": None}
    assert detail["questions"]["QID3"]["validation"] == {"doesForceResponse": True}
    assert set(detail["questions"]["QID4"]["subQuestions"]) == {"1", "2", "3"}
    assert detail["exportColumnMap"]["Q4_2"] == {"question": "QID4", "subQuestion": "QID4.subQuestions.2"}
    assert [element["type"] for element in detail["flow"]] == ["EmbeddedData", "Block", "BlockRandomizer", "Block"]
    assert {field["name"] for field in detail["embeddedData"]} == {"Region", "CustomerTier"}
    assert detail["responseCounts"]["auditable"] >= 25
    assert set(detail["expiration"]) == {"startDate", "endDate"}


def test_update_survey(api, survey):
    response = api.put(f"/surveys/{survey}", {"isActive": False, "name": "CSAT (paused)",
                                               "expiration": {"startDate": "2025-01-01T00:00:00Z",
                                                              "endDate": "2026-01-01T00:00:00Z"}})
    assert response.status_code == 200 and "result" not in response.json()
    detail = api.ok("GET", f"/surveys/{survey}")
    assert (detail["isActive"], detail["name"]) == (False, "CSAT (paused)")
    assert detail["expiration"]["endDate"] == "2026-01-01T00:00:00Z"
    assert error_of(api.put(f"/surveys/{survey}", {"IsActive": True}))["errorCode"] == "RP_9"
    assert api.put(f"/surveys/{survey}", {"isActive": "yes"}).status_code == 400


def test_export_progresses_with_the_clock_and_yields_a_zipped_csv(api, survey, sandbox):
    sandbox.configure(job_seconds=600)
    started = api.ok("POST", f"/surveys/{survey}/export-responses", {"format": "csv"})
    assert started["progressId"].startswith("ES_")
    assert started["status"] == "inProgress" and started["percentComplete"] < 100
    poll = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")
    assert poll["status"] == "inProgress" and "fileId" not in poll
    sandbox.advance_clock(300)
    halfway = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")
    assert 49 <= halfway["percentComplete"] < 60
    sandbox.advance_clock(301)
    done = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")
    assert done["status"] == "complete" and done["percentComplete"] == 100
    file = api.get(f"/surveys/{survey}/export-responses/{done['fileId']}/file")
    assert file.status_code == 200
    assert file.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(file.content))
    [name] = archive.namelist()
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    assert rows[0][:3] == ["StartDate", "EndDate", "Status"]
    assert "ResponseId" in rows[0] and "Q1" in rows[0]
    assert json.loads(rows[2][0]) == {"ImportId": "startDate"}
    count = api.ok("GET", f"/surveys/{survey}")["responseCounts"]["auditable"]
    assert len(rows) - 3 == count
    response_ids = {row[rows[0].index("ResponseId")] for row in rows[3:]}
    one = next(iter(response_ids))
    assert api.ok("GET", f"/surveys/{survey}/responses/{one}")["responseId"] == one


def test_export_options_and_errors(api, survey, sandbox):
    sandbox.configure(job_seconds=0)
    started = api.ok("POST", f"/surveys/{survey}/export-responses", {"format": "json", "compress": False, "limit": 3})
    assert started["status"] == "complete"
    file_id = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")["fileId"]
    body = api.get(f"/surveys/{survey}/export-responses/{file_id}/file").json()
    assert len(body["responses"]) == 3
    assert body["responses"][0]["responseId"].startswith("R_")
    assert error_of(api.post(f"/surveys/{survey}/export-responses", {})) == {
        "errorMessage": "Expected param not found: format", "errorCode": "RP_10"}
    assert api.post(f"/surveys/{survey}/export-responses", {"format": "pdf"}).status_code == 400
    assert api.get(f"/surveys/{survey}/export-responses/ES_xxxxxxxxxxxxxxx").status_code == 404
    assert api.get(f"/surveys/{survey}/export-responses/nope-def/file").status_code == 404


def test_exports_through_the_wrong_datacenter_fail_unless_switched_off(sandbox, survey):
    proxied = Api(sandbox.base_url_template.format(datacenter="fra1"), sandbox.admin_token)
    refused = proxied.post(f"/surveys/{survey}/export-responses", {"format": "csv"})
    assert refused.status_code == 400
    assert "iad1.qualtrics.com" in error_of(refused)["errorMessage"]
    sandbox.configure(proxied_exports_fail=False)
    allowed = proxied.post(f"/surveys/{survey}/export-responses", {"format": "csv"})
    assert allowed.status_code == 200
    assert allowed.json()["meta"]["notice"].startswith("Request proxied.")


def test_single_response(api, survey, sandbox):
    response_id = sandbox.state.brands["acme"].surveys[survey].responses.copy().popitem()[0]
    got = api.ok("GET", f"/surveys/{survey}/responses/{response_id}")
    assert got["responseId"] == response_id
    assert got["values"]["finished"] == 1
    assert 0 <= got["values"]["QID1"] <= 10
    assert set(got) == {"responseId", "values", "labels", "displayedFields", "displayedValues"}
