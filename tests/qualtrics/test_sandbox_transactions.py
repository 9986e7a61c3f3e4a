"""The client's transaction, batch, sample, dedup and add-existing methods against the sandbox, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qualtrics import BadRequestError, NotFoundError


def gold_list(acme) -> str:
    return next(m["id"] for m in acme["mailingLists"] if m["name"] == "Gold customers")


def first_member(api, directory, mailing_list_id) -> dict:
    return api.mailing_lists.members.list(directory, mailing_list_id, page_size=1).items[0]


class TestTransactions:
    def test_create_one_and_list_a_contacts_transactions(self, api, acme):
        directory, gold = acme["defaultDirectoryId"], gold_list(acme)
        contact = first_member(api, directory, gold)["contactId"]
        paris = timezone(timedelta(hours=2))
        transaction_id = api.transactions.create_one(
            directory, contact_id=contact, mailing_list_id=gold, date=datetime(2025, 6, 1, 11, 15, tzinfo=paris),
            data={"OrderId": "ORD-77", "Amount": "19.90"},
        )
        assert transaction_id.startswith("CTR_")
        listed = list(api.transactions.list_for_contact(directory, contact).iter_all())
        mine = next(t for t in listed if t["id"] == transaction_id)
        assert mine["transactionDate"] == "2025-06-01T09:15:00Z"  # sent in UTC
        assert mine["data"] == {"OrderId": "ORD-77", "Amount": "19.90"} and mine["mailingListId"] == gold

    def test_a_transaction_qualtrics_leaves_unprocessed_is_an_error_with_its_reason(self, api, acme):
        directory = acme["defaultDirectoryId"]
        with pytest.raises(BadRequestError) as caught:
            api.transactions.create_one(directory, contact_id="CID_nobody123456789", mailing_list_id=gold_list(acme),
                                        date=datetime.now(UTC), data={})
        assert caught.value.code == "CONTACT_NOT_FOUND" and "No contact" in caught.value.message

    def test_an_unknown_contact_has_no_transactions_to_list(self, api, acme):
        with pytest.raises(NotFoundError):
            api.transactions.list_for_contact(acme["defaultDirectoryId"], "CID_nobody123456789")


class TestTransactionBatches:
    def test_create_add_list_get_and_delete(self, api, acme):
        directory, gold = acme["defaultDirectoryId"], gold_list(acme)
        contact = first_member(api, directory, gold)["contactId"]
        made = [api.transactions.create_one(directory, contact_id=contact, mailing_list_id=gold,
                                            date=datetime(2025, 6, day, tzinfo=UTC)) for day in (1, 2)]
        batch = api.transaction_batches.create(directory, creation_date=datetime(2025, 6, 3, tzinfo=UTC))["id"]
        assert batch.startswith("BT_")
        assert api.transaction_batches.add_transactions(directory, batch, made) is None
        assert [t["id"] for t in api.transaction_batches.list_transactions(directory, batch).iter_all()] == made
        got = api.transaction_batches.get(directory, batch)
        assert got["transactionIds"] == made and got["creationDate"] == "2025-06-03T00:00:00Z"
        assert batch in {b["id"] for b in api.transaction_batches.list(directory).iter_all()}
        api.transaction_batches.delete(directory, batch)
        with pytest.raises(NotFoundError):
            api.transaction_batches.get(directory, batch)


class TestDirectoriesSamplesAndMembers:
    def test_a_directory_and_its_deduplication(self, api, acme):
        directory = acme["defaultDirectoryId"]
        assert api.directories.get(directory)["name"] == "Default Directory"
        assert api.directories.deduplication(directory) == {
            "email": True, "firstName": False, "lastName": False, "phone": False, "externalDataReference": False}
        with pytest.raises(NotFoundError):
            api.directories.get("POOL_nothing1234567")

    def test_samples(self, api, acme):
        names = [s["name"] for s in api.samples.list(acme["defaultDirectoryId"]).iter_all()]
        assert names == ["Newsletter: one in ten", "Gold: pilot group"]

    def test_add_existing_contacts_to_a_list_makes_no_new_contact(self, api, acme, sandbox):
        sandbox.configure(job_seconds=0)
        directory = acme["defaultDirectoryId"]
        fresh = api.mailing_lists.create(directory, name="Existing people")["id"]
        someone = first_member(api, directory, gold_list(acme))
        started = api.mailing_lists.members.add_existing(directory, fresh, contacts=[{"email": someone["email"]}])
        summary = api.contact_imports.get_summary(directory, fresh, started["id"])
        assert summary["contacts"]["count"] == {"added": 0, "updated": 1, "failed": 0}
        [member] = api.mailing_lists.members.list(directory, fresh).items
        assert member["contactId"] == someone["contactId"]
        assert sum(1 for _ in api.contacts.list(directory).iter_all()) == acme["counts"]["contacts"]
