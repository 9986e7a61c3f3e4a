"""Every client method against the sandbox, over real HTTP.

Routes the client has no method for are sent with plain requests (the `http` fixture).
"""

from __future__ import annotations

import re
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
    return next(m for m in api.libraries.messages.list(library_id).iter_all() if m["category"] == category)


class TestAccount:
    def test_whoami(self, api, acme):
        me = api.whoami()
        assert me["brandId"] == "acme"
        assert me["accountType"] == "UT_BRANDADMIN"
        assert me["datacenter"] == acme["datacenter"]
        assert api.last_meta["httpStatus"] == "200 - OK"
        assert re.fullmatch(r"[0-9a-f-]{36}", api.last_meta["requestId"])

    def test_directories(self, api, acme):
        page = api.directories.list()
        assert [d["directoryId"] for d in page.items] == acme["directoryIds"]
        assert [d["directoryId"] for d in api.directories.list().iter_all()] == acme["directoryIds"]


class TestDirectoryContacts:
    def test_create_get_update_delete(self, api, acme):
        directory = acme["defaultDirectoryId"]
        created = api.contacts.create(
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
        contact = api.contacts.get(directory, created["id"])
        assert (contact["firstName"], contact["extRef"]) == ("Ada", "EMP-42")
        assert contact["embeddedData"] == {"Department": "Engineering"}
        assert api.contacts.update(directory, created["id"], last_name="Lovelace") is None
        assert api.contacts.get(directory, created["id"])["lastName"] == "Lovelace"
        assert api.contacts.delete(directory, created["id"]) is None
        with pytest.raises(NotFoundError):
            api.contacts.get(directory, created["id"])

    def test_list_and_iterate(self, api, acme):
        directory = acme["defaultDirectoryId"]
        first = api.contacts.list(directory, page_size=50)
        assert len(first.items) == 50 and first.next_page
        assert sum(1 for _ in api.contacts.list(directory).iter_all()) == acme["counts"]["contacts"]

    def test_search(self, api, acme):
        directory = acme["defaultDirectoryId"]
        api.contacts.create(directory, first_name="Zed", email="zed@example.com", ext_ref="FIND-ME")
        page = api.contacts.search(
            directory, filter={"filterType": "extRef", "comparison": "eq", "value": "FIND-ME"}
        )
        assert [c["extRef"] for c in page.items] == ["FIND-ME"]
        assert page.next_page is None
        found = list(
            api.contacts.search(
                directory, filter={"filterType": "email", "comparison": "contains", "value": "@example."}, page_size=40
            ).iter_all()
        )
        assert len({c["id"] for c in found}) == len(found) > 40


class TestMailingLists:
    def test_crud(self, api, acme):
        directory = acme["defaultDirectoryId"]
        created = api.mailing_lists.create(directory, name="Pilot panel")
        assert ID["CG"].match(created["id"])
        assert api.mailing_lists.get(directory, created["id"], include_count=True)["contactCount"] == 0
        api.mailing_lists.update(directory, created["id"], name="Pilot panel 2")
        names = [m["name"] for m in api.mailing_lists.list(directory).iter_all()]
        assert "Pilot panel 2" in names
        assert len(api.mailing_lists.list(directory).items) == len(acme["mailingLists"]) + 1
        api.mailing_lists.delete(directory, created["id"])
        with pytest.raises(NotFoundError):
            api.mailing_lists.get(directory, created["id"])

    def test_shared_with_a_group(self, api, acme):
        directory = acme["defaultDirectoryId"]
        group = api.groups.list().items[0]["id"]
        api.mailing_lists.create(directory, name="Shared", owner_id=group)
        shared = api.mailing_lists.list(directory, owner_id=group).items
        assert "Shared" in [m["name"] for m in shared]


class TestMailingListContacts:
    def test_crud_keeps_the_directory_contact(self, api, acme):
        directory = acme["defaultDirectoryId"]
        mailing_list = api.mailing_lists.create(directory, name="Members")["id"]
        created = api.mailing_lists.members.create(
            directory,
            mailing_list,
            first_name="Bo",
            last_name="Diddley",
            email="bo@example.com",
            embedded_data={"Tier": "gold"},
        )
        assert ID["CID"].match(created["id"]) and ID["CGC"].match(created["contactLookupId"])
        member = api.mailing_lists.members.get(directory, mailing_list, created["id"])
        assert member["contactLookupId"] == created["contactLookupId"]
        api.mailing_lists.members.update(directory, mailing_list, created["id"], unsubscribed=True)
        listed = api.mailing_lists.members.list(directory, mailing_list).items
        assert [(c["contactId"], c["mailingListUnsubscribed"]) for c in listed] == [(created["id"], True)]
        opted_out = api.mailing_lists.members.list_opted_out(directory, mailing_list).iter_all()
        assert [c["contactId"] for c in opted_out] == [created["id"]]
        api.mailing_lists.members.delete(directory, mailing_list, created["id"])
        assert list(api.mailing_lists.members.list(directory, mailing_list).iter_all()) == []
        assert api.contacts.get(directory, created["id"])["firstName"] == "Bo"

    def test_bounced_and_opted_out(self, api, acme):
        directory = acme["defaultDirectoryId"]
        lists = [m["id"] for m in acme["mailingLists"] if m["directoryId"] == directory]
        bounced = [c for ml in lists for c in api.mailing_lists.members.list_bounced(directory, ml).iter_all()]
        opted = [c for ml in lists for c in api.mailing_lists.members.list_opted_out(directory, ml).iter_all()]
        assert bounced and opted
        first = api.mailing_lists.members.list_bounced(directory, lists[0])
        assert isinstance(first, Page)


class TestImports:
    def test_transaction_contacts_import(self, api, http, acme, sandbox):
        directory = acme["defaultDirectoryId"]
        mailing_list = api.mailing_lists.create(directory, name="Imported")["id"]
        batch = http.ok("POST", f"/directories/{directory}/transactionbatches", {"transactionIds": []})
        assert ID["BT"].match(batch["id"])
        started = api.contact_imports.start(
            directory,
            mailing_list,
            contacts=[
                {"firstName": "Ima", "email": "ima@example.com", "transactionData": {"store": "12"}},
                {"firstName": "Ura", "email": "ura@example.com", "transactionData": {"store": "7"}},
                {"firstName": "Bad", "email": "not-an-email"},
            ],
            transaction_meta={"batchId": batch["id"], "fields": ["store"]},
        )
        progress = api.contact_imports.get(directory, mailing_list, started["id"])
        assert progress["status"] != "complete"
        sandbox.advance_clock(30)
        done = api.contact_imports.get(directory, mailing_list, started["id"])
        assert (done["status"], done["percentComplete"]) == ("complete", 100.0)
        summary = api.contact_imports.get_summary(directory, mailing_list, started["id"])
        assert summary["contacts"]["count"]["added"] == 2
        assert "not-an-email" in str(summary["invalidEmails"])
        assert len(list(api.mailing_lists.members.list(directory, mailing_list).iter_all())) == 2


class TestUsers:
    def test_crud_and_api_tokens(self, api, http, acme):
        user_type = next(t for t in acme["userTypes"] if t != "UT_BRANDADMIN")
        created = api.users.create(
            username="new.hire@acme.example",
            first_name="New",
            last_name="Hire",
            user_type=user_type,
            email="new.hire@acme.example",
            password="A-long-Passw0rd!",
            time_zone="Europe/Paris",
        )
        assert ID["UR"].match(created["id"])
        assert api.users.get(created["id"])["timeZone"] == "Europe/Paris"
        api.users.update(created["id"], first_name="Newer")
        assert api.users.get(created["id"])["firstName"] == "Newer"
        assert http.get(f"/users/{created['id']}/apitoken").status_code == 400
        token = api.users.create_api_token(created["id"])["apiToken"]
        assert len(token) == 40
        assert http.ok("GET", f"/users/{created['id']}/apitoken") == {"apiToken": token}
        assert api.whoami()  # the new token does not replace this client's
        api.users.delete(created["id"])
        with pytest.raises(NotFoundError):
            api.users.get(created["id"])

    def test_list_and_iterate(self, api, acme):
        users = list(api.users.list().iter_all())
        assert len(users) == acme["counts"]["users"]
        page = api.users.list(page_size=7)
        assert len(page.items) == 7 and "offset=7" in page.next_page


class TestGroups:
    def test_crud_and_members(self, api, acme):
        group_type = next(iter(acme["groupTypes"]))
        created = api.groups.create(group_type=group_type, name="Pilot team")
        assert ID["GR"].match(created["id"])
        assert api.groups.get(created["id"])["name"] == "Pilot team"
        api.groups.update(created["id"], name="Pilot squad")
        assert api.groups.get(created["id"])["name"] == "Pilot squad"
        users = [u["id"] for u in api.users.list(page_size=3).items]
        for user in users:
            api.groups.members.add(created["id"], user_id=user)
        assert sorted(u["id"] for u in api.groups.members.list(created["id"]).iter_all()) == sorted(users)
        api.groups.members.remove(created["id"], users[0])
        assert sorted(u["id"] for u in api.groups.members.list(created["id"]).items) == sorted(users[1:])
        assert created["id"] in [g["id"] for g in api.groups.list().iter_all()]
        api.groups.delete(created["id"])
        with pytest.raises(NotFoundError):
            api.groups.get(created["id"])


class TestLibrariesAndSurveys:
    def test_libraries_and_messages(self, api, acme):
        libraries = [lib["libraryId"] for lib in api.libraries.list().iter_all()]
        assert {lib["id"] for lib in acme["libraries"]} <= set(libraries)
        library = acme["libraries"][0]["id"]
        invites = api.libraries.messages.list(library, category="invite").items
        assert invites and {m["category"] for m in invites} == {"invite"}
        message = api.libraries.messages.get(library, invites[0]["id"])
        assert message["messages"]["en"]

    def test_surveys(self, api, http, acme):
        surveys = list(api.surveys.list().iter_all())
        assert [s["id"] for s in surveys] == [s["id"] for s in acme["surveys"]]
        survey = acme["surveys"][0]["id"]
        http.ok("PUT", f"/surveys/{survey}", {"name": "Renamed", "isActive": False})
        details = api.surveys.get(survey)
        assert (details["name"], details["isActive"]) == ("Renamed", False)
        assert api.surveys.list().items[0]["name"] == "Renamed"


class TestEmailDistributions:
    def test_create_get_history_follow_ups_delete(self, api, http, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        mailing_list = acme["mailingLists"][2]["id"]
        library = acme["libraries"][0]["id"]
        invite = message_of(api, library, "invite")
        created = api.distributions.create(
            message={"libraryId": library, "messageId": invite["id"]},
            recipients={"mailingListId": mailing_list},
            header=HEADER,
            survey_link={"surveyId": survey, "type": "Individual"},
            send_date=soon(),
            embedded_data={"wave": "pilot"},
        )
        assert ID["EMD"].match(created["id"])
        pending = api.distributions.get(created["id"], survey_id=survey)
        assert pending["requestStatus"] == "Pending"
        sandbox.advance_clock(600)
        sent = api.distributions.get(created["id"], survey_id=survey)
        assert sent["requestStatus"] == "Done" and sent["stats"]["sent"] > 0
        history = list(api.distributions.list_history(created["id"]).iter_all())
        assert len(history) == sent["stats"]["sent"] + sent["stats"]["failed"] + sent["stats"].get("skipped", 0)
        assert api.distributions.list_history(created["id"]).items[0]["distributionID"] == created["id"]
        reminder_message = message_of(api, library, "reminder")
        reminder = api.distributions.create_reminder(
            created["id"],
            header={**HEADER, "subject": "Reminder"},
            message={"libraryId": library, "messageId": reminder_message["id"]},
            send_date=soon(30),
        )
        thanks = api.distributions.create_thank_you(
            created["id"],
            header={**HEADER, "subject": "Thank you"},
            message={"libraryId": library, "messageId": message_of(api, library, "thankYou")["id"]},
            send_date=soon(30),
        )
        assert ID["EMD"].match(reminder["id"]) and ID["EMD"].match(thanks["id"])
        listed = {d["id"] for d in api.distributions.list(survey_id=survey).iter_all()}
        assert {created["id"], reminder["id"], thanks["id"]} <= listed
        reminders = api.distributions.list(survey_id=survey, distribution_request_type="Reminder").items
        assert reminder["id"] in {d["id"] for d in reminders}
        assert {d["requestType"] for d in reminders} == {"Reminder"}
        http.ok("DELETE", f"/distributions/{reminder['id']}")
        assert reminder["id"] not in {d["id"] for d in api.distributions.list(survey_id=survey).iter_all()}

    def test_reminder_result_key_variants(self, api, acme, sandbox):
        survey = acme["surveys"][0]["id"]
        library = acme["libraries"][0]["id"]
        message = {"libraryId": library, "messageId": message_of(api, library, "invite")["id"]}
        parent = api.distributions.create(
            message=message,
            recipients={"mailingListId": acme["mailingLists"][0]["id"]},
            header=HEADER,
            survey_link={"surveyId": survey, "type": "Individual"},
            send_date=soon(),
        )
        for key in ("id", "distributionId", "both"):
            sandbox.configure(reminder_result_key=key)
            reminder = api.distributions.create_reminder(
                parent["id"], header=HEADER, message=message, send_date=soon(60)
            )
            assert ID["EMD"].match(reminder["id"])


class TestSmsDistributions:
    def test_create_list_get_delete(self, api, http, acme):
        survey = acme["surveys"][0]["id"]
        library = acme["libraries"][0]["id"]
        created = api.sms_distributions.create(
            survey_id=survey,
            name="SMS pilot",
            send_date=soon(60),
            method="Invite",
            recipients={"mailingListId": acme["mailingLists"][2]["id"]},
            message={"libraryId": library, "messageId": message_of(api, library, "smsInvite")["id"]},
        )
        assert ID["SMSD"].match(created["id"])
        assert api.sms_distributions.get(created["id"], survey_id=survey)["name"] == "SMS pilot"
        assert [d["id"] for d in api.sms_distributions.list(survey_id=survey).items] == [created["id"]]
        assert [d["id"] for d in api.sms_distributions.list(survey_id=survey).iter_all()] == [created["id"]]
        reminder = api.sms_distributions.create(
            survey_id=survey,
            name="SMS reminder",
            send_date=soon(120),
            method="Reminder",
            message={"messageText": "Still time to answer: ${l://SurveyURL}"},
            parent_distribution_id=created["id"],
        )
        assert ID["SMSD"].match(reminder["id"])
        http.ok("DELETE", f"/distributions/sms/{reminder['id']}")
        http.ok("DELETE", f"/distributions/sms/{created['id']}")
        assert api.sms_distributions.list(survey_id=survey).items == []

    def test_method_rules_come_back_as_bad_requests(self, api, acme):
        with pytest.raises(BadRequestError):
            api.sms_distributions.create(
                survey_id=acme["surveys"][0]["id"],
                name="Reminder with recipients",
                send_date=soon(),
                method="Reminder",
                recipients={"mailingListId": acme["mailingLists"][0]["id"]},
                message={"messageText": "x"},
            )


class TestGenericCall:
    def test_any_relative_path(self, api, acme):
        directory = acme["defaultDirectoryId"]
        seeded = api.request("GET", f"directories/{directory}/transactionbatches")["elements"]
        batch = api.request("POST", f"directories/{directory}/transactionbatches", json={"transactionIds": []})
        assert api.request("GET", f"/directories/{directory}/transactionbatches/{batch['id']}")["id"] == batch["id"]
        after = api.request("GET", f"directories/{directory}/transactionbatches")["elements"]
        assert [b["id"] for b in after] == [*(b["id"] for b in seeded), batch["id"]]

    def test_unknown_routes_are_not_found(self, api):
        with pytest.raises(NotFoundError) as caught:
            api.request("GET", "/doesnotexist")
        assert caught.value.message == "API call does not exist: GET /API/v3/doesnotexist"
        assert caught.value.code is None
