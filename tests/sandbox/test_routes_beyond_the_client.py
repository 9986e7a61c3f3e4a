"""Routes the portal's client has no method for (nothing in the portal calls them yet), over HTTP.

These are the requests the client used to send for them: opted-out directory contacts, generated
survey links, event subscriptions and response exports.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

from .conftest import error_of

ID = {prefix: re.compile(rf"^{prefix}_[A-Za-z0-9]{{15}}$") for prefix in ("CGC", "EMD", "SUB", "BT", "ES")}


def soon(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def links_body(survey: str, **target: str) -> dict:
    return {"action": "CreateDistribution", "surveyId": survey, "linkType": "Individual",
            "description": "Personal links", **target}


def test_directory_opted_out_contacts(api, acme):
    opted_out, _pages = api.collect(
        f"/directories/{acme['defaultDirectoryId']}/contacts/optedOutContacts", params={"pageSize": 100}
    )
    assert opted_out and all(c["unsubscribed"] for c in opted_out)


class TestGeneratedLinks:
    def test_links_for_a_mailing_list_page_by_page(self, api, acme):
        survey = acme["surveys"][0]["id"]
        mailing_list = acme["mailingLists"][2]
        body = {**links_body(survey, mailingListId=mailing_list["id"]), "expirationDate": soon(60 * 24 * 30)}
        created = api.ok("POST", "/distributions", body)
        assert ID["EMD"].match(created["id"])
        first = api.ok("GET", f"/distributions/{created['id']}/links", params={"surveyId": survey, "pageSize": 10})
        assert len(first["elements"]) == 10 and first["nextPage"]
        links, _pages = api.collect(f"/distributions/{created['id']}/links", params={"surveyId": survey})
        assert len(links) == mailing_list["contactCount"]
        assert all(ID["CGC"].match(link["contactId"]) and link["link"].startswith("https://") for link in links)

    def test_links_need_exactly_one_target(self, api, acme):
        survey = acme["surveys"][0]["id"]
        neither = api.post("/distributions", links_body(survey))
        assert neither.status_code == 400
        assert error_of(neither) == {"errorMessage": "Expected param not found: mailingListId", "errorCode": "RP_10"}
        both = api.post("/distributions", links_body(
            survey, mailingListId=acme["mailingLists"][0]["id"], transactionBatchId="BT_123456789012345"
        ))
        assert both.status_code == 400
        assert error_of(both)["errorMessage"] == "Unexpected json key provided: transactionBatchId"

    def test_links_for_a_transaction_batch_use_the_batch_action(self, api, acme):
        directory = acme["defaultDirectoryId"]
        batch = api.ok("POST", f"/directories/{directory}/transactionbatches",
                       {"transactionIds": [], "creationDate": soon(0)})["id"]
        assert ID["BT"].match(batch)
        survey = acme["surveys"][0]["id"]
        body = {**links_body(survey, transactionBatchId=batch), "action": "CreateTransactionBatchDistribution"}
        created = api.ok("POST", "/distributions", body)
        got = api.ok("GET", f"/distributions/{created['id']}", params={"surveyId": survey})
        assert got["requestType"] == "GeneratedInvite"
        assert got["recipients"]["transactionBatchId"] == batch
        wrong_action = api.post("/distributions", links_body(survey, transactionBatchId=batch))
        assert error_of(wrong_action)["errorMessage"] == "Unexpected json key provided: transactionBatchId"


def test_event_subscription_lifecycle(api, acme):
    topic = f"surveyengine.completedResponse.{acme['surveys'][0]['id']}"
    body = {"topics": topic, "publicationUrl": "https://hooks.acme.example/qualtrics", "encrypt": False,
            "sharedKey": "s3cret"}
    created = api.ok("POST", "/eventsubscriptions", body)
    assert ID["SUB"].match(created["id"])
    got = api.ok("GET", f"/eventsubscriptions/{created['id']}")
    assert (got["topics"], got["publicationUrl"]) == (topic, "https://hooks.acme.example/qualtrics")
    assert [s["id"] for s in api.ok("GET", "/eventsubscriptions")["elements"]] == [created["id"]]
    every, _pages = api.collect("/eventsubscriptions")
    assert [s["id"] for s in every] == [created["id"]]
    assert api.delete(f"/eventsubscriptions/{created['id']}").status_code == 200
    assert api.get(f"/eventsubscriptions/{created['id']}").status_code == 404


class TestResponseExports:
    def export(self, api, sandbox, survey: str, **options) -> dict:
        started = api.ok("POST", f"/surveys/{survey}/export-responses", {"format": "csv", **options})
        assert started["status"] == "inProgress"
        sandbox.advance_clock(30)
        progress = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")
        assert progress["status"] == "complete" and progress["fileId"]
        return progress

    def test_start_poll_download(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        progress = self.export(api, sandbox, survey)
        file = api.get(f"/surveys/{survey}/export-responses/{progress['fileId']}/file")
        with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
            (name,) = archive.namelist()
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        assert "ResponseId" in rows[0]
        assert len(rows) > 1

    def test_uncompressed_json(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        progress = self.export(api, sandbox, survey, format="json", compress=False)
        file = api.get(f"/surveys/{survey}/export-responses/{progress['fileId']}/file")
        assert file.content.lstrip().startswith(b"{")

    def test_the_file_comes_as_bytes_and_a_missing_one_as_an_error(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        progress = self.export(api, sandbox, survey)
        file = api.get(f"/surveys/{survey}/export-responses/{progress['fileId']}/file", headers={"Accept": "*/*"})
        assert file.status_code == 200
        assert file.headers["Content-Type"] == "application/zip"
        assert file.content.startswith(b"PK\x03\x04")
        missing = api.get(f"/surveys/{survey}/export-responses/F_xxxxxxxxxxxxxxx/file")
        assert missing.status_code == 404 and error_of(missing)["errorMessage"]
