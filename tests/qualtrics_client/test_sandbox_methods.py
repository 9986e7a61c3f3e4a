"""Every client method against the sandbox, over real HTTP."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from qualtrics import BadRequestError, NotFoundError, Page, QualtricsClient

HEADER = {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme Research", "subject": "Your opinion"}
ID = {
    prefix: re.compile(rf"^{prefix}_[A-Za-z0-9]{{15}}$")
    for prefix in ("CID", "CGC", "CG", "UR", "GR", "EMD", "SMSD", "SUB", "BT", "PGR", "ES")
}


def soon(minutes: int = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def message_of(api: QualtricsClient, library_id: str, category: str) -> dict:
    return next(m for m in api.iter_library_messages(library_id) if m["category"] == category)


class TestAccount:
    def test_whoami(self, api, acme):
        me = api.whoami()
        assert me["brandId"] == "acme"
        assert me["accountType"] == "UT_BRANDADMIN"
        assert me["datacenter"] == acme["datacenter"]
        assert api.last_meta["httpStatus"] == "200 - OK"
        assert re.fullmatch(r"[0-9a-f-]{36}", api.last_meta["requestId"])

    def test_directories(self, api, acme):
        page = api.list_directories()
        assert [d["directoryId"] for d in page.elements] == acme["directoryIds"]
        assert [d["directoryId"] for d in api.iter_directories()] == acme["directoryIds"]


class TestDirectoryContacts:
    def test_create_get_update_delete(self, api, acme):
        directory = acme["defaultDirectoryId"]
        created = api.create_directory_contact(
            directory,
            first_name="Ada",
            last_name="Byron",
            email="ada.byron@example.com",
            phone="+15550100",
            ext_ref="EMP-42",
            language="en",
            embedded_data={"Department": "Engineering"},
        )
        assert ID["CID"].match(created["id"])
        contact = api.get_directory_contact(directory, created["id"])
        assert (contact["firstName"], contact["extRef"]) == ("Ada", "EMP-42")
        assert contact["embeddedData"] == {"Department": "Engineering"}
        assert api.update_directory_contact(directory, created["id"], last_name="Lovelace") is None
        assert api.get_directory_contact(directory, created["id"])["lastName"] == "Lovelace"
        assert api.delete_directory_contact(directory, created["id"]) is None
        with pytest.raises(NotFoundError):
            api.get_directory_contact(directory, created["id"])

    def test_list_and_iterate(self, api, acme):
        directory = acme["defaultDirectoryId"]
        first = api.list_directory_contacts(directory)
        assert len(first.elements) == 50 and first.next_page
        assert sum(1 for _ in api.iter_directory_contacts(directory)) == acme["counts"]["contacts"]

    def test_search(self, api, acme):
        directory = acme["defaultDirectoryId"]
        api.create_directory_contact(directory, first_name="Zed", email="zed@example.com", ext_ref="FIND-ME")
        page = api.search_directory_contacts(
            directory, filter={"filterType": "extRef", "comparison": "eq", "value": "FIND-ME"}
        )
        assert [c["extRef"] for c in page.elements] == ["FIND-ME"]
        assert page.next_page is None
        found = list(
            api.iter_search_directory_contacts(
                directory, filter={"filterType": "email", "comparison": "contains", "value": "@example."}, page_size=40
            )
        )
        assert len({c["id"] for c in found}) == len(found) > 40

    def test_opted_out(self, api, acme):
        opted_out = list(api.iter_directory_opted_out_contacts(acme["defaultDirectoryId"]))
        assert opted_out and all(c["unsubscribed"] for c in opted_out)


class TestMailingLists:
    def test_crud(self, api, acme):
        directory = acme["defaultDirectoryId"]
        created = api.create_mailing_list(directory, name="Pilot panel")
        assert ID["CG"].match(created["id"])
        assert api.get_mailing_list(directory, created["id"], include_count=True)["contactCount"] == 0
        api.update_mailing_list(directory, created["id"], name="Pilot panel 2")
        names = [m["name"] for m in api.iter_mailing_lists(directory)]
        assert "Pilot panel 2" in names
        assert len(api.list_mailing_lists(directory).elements) == len(acme["mailingLists"]) + 1
        api.delete_mailing_list(directory, created["id"])
        with pytest.raises(NotFoundError):
            api.get_mailing_list(directory, created["id"])

    def test_shared_with_a_group(self, api, acme):
        directory = acme["defaultDirectoryId"]
        group = api.list_groups().elements[0]["id"]
        api.create_mailing_list(directory, name="Shared", owner_id=group)
        shared = api.list_mailing_lists(directory, owner_id=group).elements
        assert "Shared" in [m["name"] for m in shared]


class TestMailingListContacts:
    def test_crud_keeps_the_directory_contact(self, api, acme):
        directory = acme["defaultDirectoryId"]
        mailing_list = api.create_mailing_list(directory, name="Members")["id"]
        created = api.create_mailing_list_contact(
            directory,
            mailing_list,
            first_name="Bo",
            last_name="Diddley",
            email="bo@example.com",
            embedded_data={"Tier": "gold"},
        )
        assert ID["CID"].match(created["id"]) and ID["CGC"].match(created["contactLookupId"])
        member = api.get_mailing_list_contact(directory, mailing_list, created["id"])
        assert member["contactLookupId"] == created["contactLookupId"]
        api.update_mailing_list_contact(directory, mailing_list, created["id"], unsubscribed=True)
        listed = api.list_mailing_list_contacts(directory, mailing_list).elements
        assert [(c["contactId"], c["mailingListUnsubscribed"]) for c in listed] == [(created["id"], True)]
        assert [c["contactId"] for c in api.iter_mailing_list_opted_out_contacts(directory, mailing_list)] == [
            created["id"]
        ]
        api.delete_mailing_list_contact(directory, mailing_list, created["id"])
        assert list(api.iter_mailing_list_contacts(directory, mailing_list)) == []
        assert api.get_directory_contact(directory, created["id"])["firstName"] == "Bo"

    def test_bounced_and_opted_out(self, api, acme):
        directory = acme["defaultDirectoryId"]
        lists = [m["id"] for m in acme["mailingLists"] if m["directoryId"] == directory]
        bounced = [c for ml in lists for c in api.iter_mailing_list_bounced_contacts(directory, ml)]
        opted = [c for ml in lists for c in api.iter_mailing_list_opted_out_contacts(directory, ml)]
        assert bounced and opted
        first = api.list_mailing_list_bounced_contacts(directory, lists[0])
        assert isinstance(first, Page)


class TestImports:
    def test_transaction_contacts_import(self, api, acme, sandbox):
        directory = acme["defaultDirectoryId"]
        mailing_list = api.create_mailing_list(directory, name="Imported")["id"]
        batch = api.create_transaction_batch(directory)
        assert ID["BT"].match(batch["id"])
        started = api.start_transaction_contacts_import(
            directory,
            mailing_list,
            contacts=[
                {"firstName": "Ima", "email": "ima@example.com", "transactionData": {"store": "12"}},
                {"firstName": "Ura", "email": "ura@example.com", "transactionData": {"store": "7"}},
                {"firstName": "Bad", "email": "not-an-email"},
            ],
            transaction_meta={"batchId": batch["id"], "fields": ["store"]},
        )
        progress = api.get_transaction_contacts_import(directory, mailing_list, started["id"])
        assert progress["status"] != "complete"
        sandbox.advance_clock(30)
        done = api.get_transaction_contacts_import(directory, mailing_list, started["id"])
        assert (done["status"], done["percentComplete"]) == ("complete", 100.0)
        summary = api.get_transaction_contacts_import_summary(directory, mailing_list, started["id"])
        assert summary["contacts"]["count"]["added"] == 2
        assert "not-an-email" in str(summary["invalidEmails"])
        assert len(list(api.iter_mailing_list_contacts(directory, mailing_list))) == 2


class TestUsers:
    def test_crud_and_api_tokens(self, api, acme):
        user_type = next(t for t in acme["userTypes"] if t != "UT_BRANDADMIN")
        created = api.create_user(
            username="new.hire@acme.example",
            first_name="New",
            last_name="Hire",
            user_type=user_type,
            email="new.hire@acme.example",
            password="A-long-Passw0rd!",
            time_zone="Europe/Paris",
        )
        assert ID["UR"].match(created["id"])
        assert api.get_user(created["id"])["timeZone"] == "Europe/Paris"
        api.update_user(created["id"], first_name="Newer")
        assert api.get_user(created["id"])["firstName"] == "Newer"
        with pytest.raises(BadRequestError):
            api.get_user_api_token(created["id"])
        token = api.create_user_api_token(created["id"])["apiToken"]
        assert len(token) == 40
        assert api.get_user_api_token(created["id"]) == {"apiToken": token}
        assert api.whoami()  # the new token does not replace this client's
        api.delete_user(created["id"])
        with pytest.raises(NotFoundError):
            api.get_user(created["id"])

    def test_list_and_iterate(self, api, acme):
        users = list(api.iter_users())
        assert len(users) == acme["counts"]["users"]
        page = api.list_users(page_size=7)
        assert len(page.elements) == 7 and "offset=7" in page.next_page


class TestGroups:
    def test_crud_and_members(self, api, acme):
        group_type = next(iter(acme["groupTypes"]))
        created = api.create_group(group_type=group_type, name="Pilot team")
        assert ID["GR"].match(created["id"])
        assert api.get_group(created["id"])["name"] == "Pilot team"
        api.update_group(created["id"], name="Pilot squad")
        assert api.get_group(created["id"])["name"] == "Pilot squad"
        users = [u["id"] for u in api.list_users(page_size=3).elements]
        for user in users:
            api.add_group_member(created["id"], user_id=user)
        assert sorted(u["id"] for u in api.iter_group_members(created["id"])) == sorted(users)
        api.remove_group_member(created["id"], users[0])
        assert sorted(u["id"] for u in api.list_group_members(created["id"]).elements) == sorted(users[1:])
        assert created["id"] in [g["id"] for g in api.iter_groups()]
        api.delete_group(created["id"])
        with pytest.raises(NotFoundError):
            api.get_group(created["id"])


class TestLibrariesAndSurveys:
    def test_libraries_and_messages(self, api, acme):
        libraries = [lib["libraryId"] for lib in api.iter_libraries()]
        assert {lib["id"] for lib in acme["libraries"]} <= set(libraries)
        library = acme["libraries"][0]["id"]
        invites = api.list_library_messages(library, category="invite").elements
        assert invites and {m["category"] for m in invites} == {"invite"}
        message = api.get_library_message(library, invites[0]["id"])
        assert message["messages"]["en"]

    def test_surveys(self, api, acme):
        surveys = list(api.iter_surveys())
        assert [s["id"] for s in surveys] == [s["id"] for s in acme["surveys"]]
        survey = acme["surveys"][0]["id"]
        api.update_survey(survey, name="Renamed", is_active=False)
        details = api.get_survey(survey)
        assert (details["name"], details["isActive"]) == ("Renamed", False)
        assert api.list_surveys().elements[0]["name"] == "Renamed"


class TestEmailDistributions:
    def test_create_get_history_follow_ups_delete(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        mailing_list = acme["mailingLists"][2]["id"]
        library = acme["libraries"][0]["id"]
        invite = message_of(api, library, "invite")
        created = api.create_distribution(
            message={"libraryId": library, "messageId": invite["id"]},
            recipients={"mailingListId": mailing_list},
            header=HEADER,
            survey_link={"surveyId": survey, "type": "Individual"},
            send_date=soon(),
            embedded_data={"wave": "pilot"},
        )
        assert ID["EMD"].match(created["id"])
        pending = api.get_distribution(created["id"], survey_id=survey)
        assert pending["requestStatus"] == "Pending"
        sandbox.advance_clock(600)
        sent = api.get_distribution(created["id"], survey_id=survey)
        assert sent["requestStatus"] == "Done" and sent["stats"]["sent"] > 0
        history = list(api.iter_distribution_history(created["id"]))
        assert len(history) == sent["stats"]["sent"] + sent["stats"]["failed"] + sent["stats"].get("skipped", 0)
        assert api.list_distribution_history(created["id"]).elements[0]["distributionID"] == created["id"]
        reminder_message = message_of(api, library, "reminder")
        reminder = api.create_reminder(
            created["id"],
            header={**HEADER, "subject": "Reminder"},
            message={"libraryId": library, "messageId": reminder_message["id"]},
            send_date=soon(30),
        )
        thanks = api.create_thank_you(
            created["id"],
            header={**HEADER, "subject": "Thank you"},
            message={"libraryId": library, "messageId": message_of(api, library, "thankYou")["id"]},
            send_date=soon(30),
        )
        assert ID["EMD"].match(reminder["id"]) and ID["EMD"].match(thanks["id"])
        listed = {d["id"] for d in api.iter_distributions(survey_id=survey)}
        assert {created["id"], reminder["id"], thanks["id"]} <= listed
        reminders = api.list_distributions(survey_id=survey, distribution_request_type="Reminder").elements
        assert reminder["id"] in {d["id"] for d in reminders}
        assert {d["requestType"] for d in reminders} == {"Reminder"}
        api.delete_distribution(reminder["id"])
        assert reminder["id"] not in {d["id"] for d in api.iter_distributions(survey_id=survey)}

    def test_reminder_result_key_variants(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        library = acme["libraries"][0]["id"]
        message = {"libraryId": library, "messageId": message_of(api, library, "invite")["id"]}
        parent = api.create_distribution(
            message=message,
            recipients={"mailingListId": acme["mailingLists"][0]["id"]},
            header=HEADER,
            survey_link={"surveyId": survey, "type": "Individual"},
            send_date=soon(),
        )
        for key in ("id", "distributionId", "both"):
            sandbox.configure(reminder_result_key=key)
            reminder = api.create_reminder(parent["id"], header=HEADER, message=message, send_date=soon(60))
            assert ID["EMD"].match(reminder["id"])

    def test_generated_links(self, api, acme):
        survey = acme["surveys"][0]["id"]
        mailing_list = acme["mailingLists"][2]["id"]
        created = api.generate_distribution_links(
            survey_id=survey,
            description="Personal links",
            mailing_list_id=mailing_list,
            expiration_date=soon(60 * 24 * 30),
        )
        page = api.list_distribution_links(created["id"], survey_id=survey, page_size=10)
        assert len(page.elements) == 10 and page.next_page
        links = list(api.iter_distribution_links(created["id"], survey_id=survey))
        assert len(links) == acme["mailingLists"][2]["contactCount"]
        assert all(ID["CGC"].match(link["contactId"]) and link["link"].startswith("https://") for link in links)


class TestSmsDistributions:
    def test_create_list_get_delete(self, api, acme):
        survey = acme["surveys"][0]["id"]
        library = acme["libraries"][0]["id"]
        created = api.create_sms_distribution(
            survey_id=survey,
            name="SMS pilot",
            send_date=soon(60),
            method="Invite",
            recipients={"mailingListId": acme["mailingLists"][2]["id"]},
            message={"libraryId": library, "messageId": message_of(api, library, "smsInvite")["id"]},
        )
        assert ID["SMSD"].match(created["id"])
        assert api.get_sms_distribution(created["id"], survey_id=survey)["name"] == "SMS pilot"
        assert [d["id"] for d in api.list_sms_distributions(survey_id=survey).elements] == [created["id"]]
        assert [d["id"] for d in api.iter_sms_distributions(survey_id=survey)] == [created["id"]]
        reminder = api.create_sms_distribution(
            survey_id=survey,
            name="SMS reminder",
            send_date=soon(120),
            method="Reminder",
            message={"messageText": "Still time to answer: ${l://SurveyURL}"},
            parent_distribution_id=created["id"],
        )
        assert ID["SMSD"].match(reminder["id"])
        api.delete_sms_distribution(reminder["id"])
        api.delete_sms_distribution(created["id"])
        assert api.list_sms_distributions(survey_id=survey).elements == []

    def test_method_rules_come_back_as_bad_requests(self, api, acme):
        with pytest.raises(BadRequestError):
            api.create_sms_distribution(
                survey_id=acme["surveys"][0]["id"],
                name="Reminder with recipients",
                send_date=soon(),
                method="Reminder",
                recipients={"mailingListId": acme["mailingLists"][0]["id"]},
                message={"messageText": "x"},
            )


class TestEventSubscriptions:
    def test_create_list_get_delete(self, api, acme):
        topic = f"surveyengine.completedResponse.{acme['surveys'][0]['id']}"
        created = api.create_event_subscription(
            topics=topic, publication_url="https://hooks.acme.example/qualtrics", shared_key="s3cret"
        )
        assert ID["SUB"].match(created["id"])
        got = api.get_event_subscription(created["id"])
        assert (got["topics"], got["publicationUrl"]) == (topic, "https://hooks.acme.example/qualtrics")
        assert [s["id"] for s in api.list_event_subscriptions().elements] == [created["id"]]
        assert [s["id"] for s in api.iter_event_subscriptions()] == [created["id"]]
        api.delete_event_subscription(created["id"])
        with pytest.raises(NotFoundError):
            api.get_event_subscription(created["id"])


class TestResponseExports:
    def test_start_poll_download(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        started = api.start_response_export(survey, format="csv")
        assert started["status"] == "inProgress"
        sandbox.advance_clock(30)
        progress = api.get_response_export_progress(survey, started["progressId"])
        assert progress["status"] == "complete" and progress["fileId"]
        data = api.download_response_export(survey, progress["fileId"])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            (name,) = archive.namelist()
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        assert "ResponseId" in rows[0]
        assert len(rows) > 1

    def test_uncompressed_json(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        started = api.start_response_export(survey, format="json", compress=False)
        sandbox.advance_clock(30)
        progress = api.get_response_export_progress(survey, started["progressId"])
        data = api.download_response_export(survey, progress["fileId"])
        assert data.lstrip().startswith(b"{")


class TestGenericCall:
    def test_any_relative_path(self, api, acme):
        directory = acme["defaultDirectoryId"]
        batches = api.call("GET", f"directories/{directory}/transactionbatches")
        assert batches["elements"] == []
        batch = api.create_transaction_batch(directory)
        assert api.call("GET", f"/directories/{directory}/transactionbatches/{batch['id']}")["id"] == batch["id"]

    def test_unknown_routes_are_not_found(self, api):
        with pytest.raises(NotFoundError) as caught:
            api.call("GET", "/doesnotexist")
        assert caught.value.message == "API call does not exist: GET /API/v3/doesnotexist"
        assert caught.value.code is None
