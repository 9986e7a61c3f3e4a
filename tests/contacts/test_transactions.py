"""Contact transactions, transaction batches and existing contacts put on lists, through the screens,
against the sandbox: every persona, htmx variants, and bad input that must leave nothing half-done."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Profile
from contacts import selectors
from contacts.models import ContactImport
from qualtrics import BadRequestError
from qualtrics.resources import Transactions

from .conftest import csv_upload, finish_check
from .test_import import run_to_end
from .test_views import body, first_contact, seeded_list, url

pytestmark = pytest.mark.django_db


def gold(xm) -> dict:
    return seeded_list(xm, "Gold customers")


def seeded_batch(xm) -> dict:
    return next(iter(xm.client.transaction_batches.list(xm.directory_id).iter_all()))


def transactions_of(xm, contact_id) -> list[dict]:
    return list(xm.client.transactions.list_for_contact(xm.directory_id, contact_id).iter_all())


def writes(xm) -> list[dict]:
    """The calls that changed something in Qualtrics (a contact search is a read sent as a POST)."""
    return [c for c in xm.calls() if c["method"] in ("POST", "PUT", "DELETE") and not c["path"].endswith("/search")]


def a_gold_member(xm) -> dict:
    return xm.client.mailing_lists.members.list(xm.directory_id, gold(xm)["mailingListId"]).items[0]


class TestAccess:
    def urls(self, xm):
        contact = a_gold_member(xm)["contactId"]
        batch = seeded_batch(xm)["id"]
        newsletter = seeded_list(xm)["mailingListId"]
        reads = [
            url("contact_transaction_list", xm, contact_id=contact),
            url("batch_list", xm),
            url("batch_detail", xm, batch_id=batch),
        ]
        writes = [
            url("contact_transaction_create", xm, contact_id=contact),
            url("transaction_upsert", xm),
            url("batch_create", xm),
            url("batch_add", xm, batch_id=batch),
            url("batch_delete", xm, batch_id=batch),
            url("contact_add_to_list", xm, contact_id=contact),
            url("contact_results_to_list", xm) + "?field=email&comparison=contains&q=example",
            url("member_add_existing", xm, mailing_list_id=newsletter),
            url("member_picker", xm, mailing_list_id=newsletter) + "?q=an",
            url("member_picker_chip", xm, mailing_list_id=newsletter) + "?contact_id=CID_1&label=Ann",
        ]
        posts = [url("batch_add_selected", xm)]
        return reads, writes, posts

    def test_anonymous_users_are_sent_to_log_in(self, xm, client):
        reads, writes, posts = self.urls(xm)
        for target in reads + writes + posts:
            response = client.get(target)
            assert response.status_code == 302 and response["Location"].startswith(reverse("login")), target

    def test_outsiders_do_not_see_the_connection(self, xm, login):
        reads, writes_, posts = self.urls(xm)
        xm.clear_calls()
        client = login(xm.outsider)
        for target in reads + writes_:
            assert client.get(target).status_code == 404, target
        for target in writes_ + posts:
            assert client.post(target, {"transaction_ids": "CTR_x"}).status_code == 404, target
        assert not xm.calls()

    def test_viewers_read_and_may_not_write(self, xm, login):
        reads, writes_, posts = self.urls(xm)
        xm.clear_calls()
        client = login(xm.viewer)
        for target in reads:
            html = body(client.get(target))
            assert "Add a transaction" not in html and "Add transactions" not in html, target
            assert 'name="transaction_ids"' not in html, target
        for target in writes_:
            assert client.get(target).status_code == 403, target
        for target in writes_ + posts:
            assert client.post(target, {"transaction_ids": "CTR_x", "mailing_list_id": "x"}).status_code == 403
        assert not writes(xm)

    @pytest.mark.parametrize("who", ["operator", "owner"])
    def test_operators_and_managers_open_every_screen(self, xm, login, who):
        reads, writes_, _ = self.urls(xm)
        client = login(getattr(xm, who))
        for target in reads + writes_:
            assert client.get(target).status_code == 200, target

    def test_lists_and_forms_answer_htmx_with_their_part(self, xm, login, hx):
        reads, writes_, _ = self.urls(xm)
        client = login(xm.operator)
        for target in reads:
            part = body(client.get(target, **hx))
            assert 'id="crud-table"' in part and "<html" not in part, target
        for target in writes_[:2]:
            part = body(client.post(target, {"date": "not a date"}, **hx))
            assert 'id="crud-form"' in part and "<html" not in part and "Enter a valid date/time" in part, target


def in_zone(user, zone: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"timezone": zone})


class TestAddATransaction:
    def test_the_date_is_read_in_the_users_time_zone_and_the_data_as_names_and_values(self, xm, login):
        member = a_gold_member(xm)
        in_zone(xm.operator, "Europe/Berlin")
        client = login(xm.operator)
        target = url("contact_transaction_create", xm, contact_id=member["contactId"])
        form = body(client.get(target))
        assert f'<option value="{gold(xm)["mailingListId"]}" selected' in form  # the contact's list first
        response = client.post(target, {"mailing_list_id": gold(xm)["mailingListId"], "date": "2025-07-01T10:30",
                                        "data": "OrderId = ORD-9\nAmount = 12.50"})
        assert response.status_code == 302, body(response)
        assert response["Location"] == url("contact_transaction_list", xm, contact_id=member["contactId"])
        sent = xm.calls("POST", "/transactions")[-1]["body"]
        [entry] = sent.values()
        assert entry["transactionDate"] == "2025-07-01 08:30:00"  # 10:30 in Berlin in summer is 08:30 UTC
        assert entry["data"] == {"OrderId": "ORD-9", "Amount": "12.50"}
        tab = body(client.get(response["Location"]))
        assert "OrderId: ORD-9 · Amount: 12.50" in tab and "1 Jul 2025 10:30" in tab and "Gold customers" in tab

    @pytest.mark.parametrize(("data", "date", "message"), [
        ("OrderId ORD-9", "2025-07-01T10:30", "Line 1: write it as name = value."),
        ('["ORD-9"]', "2025-07-01T10:30", "a JSON object, not a list"),
        ('{"Order": {"Id": 9}}', "2025-07-01T10:30", "holds no plain value"),
        ("Points = 3", "2025-07-01T10:30", "reserved by Qualtrics"),
        ("A = 1", "01/07/2025 25:99", "Enter a valid date/time."),
        ("A = 1", "", "This field is required."),
    ])
    def test_bad_input_is_explained_and_nothing_is_sent(self, xm, login, data, date, message):
        member = a_gold_member(xm)
        xm.clear_calls()
        response = login(xm.operator).post(url("contact_transaction_create", xm, contact_id=member["contactId"]), {
            "mailing_list_id": gold(xm)["mailingListId"], "date": date, "data": data})
        assert response.status_code == 200 and message in body(response)
        assert not writes(xm)

    def test_an_unknown_contact_is_explained(self, xm, login):
        response = login(xm.operator).get(url("contact_transaction_list", xm, contact_id="CID_nobody123456789"))
        assert response.status_code == 404 and "Qualtrics could not find it" in body(response)
        form = login(xm.operator).get(url("contact_transaction_create", xm, contact_id="CID_nobody123456789"))
        assert form.status_code == 404

    def test_a_batch_deleted_meanwhile_is_explained_and_no_transaction_is_made(self, xm, login):
        member = a_gold_member(xm)
        batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
        client = login(xm.operator)
        target = url("contact_transaction_create", xm, contact_id=member["contactId"])
        assert f'value="{batch}"' in body(client.get(target))
        xm.client.transaction_batches.delete(xm.directory_id, batch)  # someone else, meanwhile
        before = len(transactions_of(xm, member["contactId"]))
        response = client.post(target, {"mailing_list_id": gold(xm)["mailingListId"], "date": "2025-07-01T10:30",
                                        "data": "A = 1", "batch_id": batch})
        html = body(response)
        assert response.status_code == 200 and f"The transaction batch {batch} no longer exists" in html
        assert len(transactions_of(xm, member["contactId"])) == before

    def test_it_goes_into_the_batch_chosen(self, xm, login):
        member = a_gold_member(xm)
        batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
        response = login(xm.operator).post(url("contact_transaction_create", xm, contact_id=member["contactId"]), {
            "mailing_list_id": gold(xm)["mailingListId"], "date": "2025-07-01T10:30", "data": "A = 1",
            "batch_id": batch})
        assert response.status_code == 302
        [added] = xm.client.transaction_batches.get(xm.directory_id, batch)["transactionIds"]
        assert added in {t["id"] for t in transactions_of(xm, member["contactId"])}


class TestRecordATransaction:
    """Upsert: the contact by ID, else external reference, e-mail, phone (in that order), else created."""

    def post(self, xm, login, **fields):
        form = {"mailing_list_id": gold(xm)["mailingListId"], "date": "2025-08-01T09:00", "data": "Visit = store",
                **fields}
        return login(xm.operator).post(url("transaction_upsert", xm), form)

    def test_by_contact_id(self, xm, login):
        member = a_gold_member(xm)
        response = self.post(xm, login, contact_id=member["contactId"], email="someone.else@example.org")
        assert response.status_code == 302
        assert response["Location"] == url("contact_transaction_list", xm, contact_id=member["contactId"])
        assert transactions_of(xm, member["contactId"])[0]["data"] == {"Visit": "store"}

    def test_the_external_reference_comes_before_the_email(self, xm, login):
        by_ref = first_contact(xm, extRef="CRM-100004")
        other = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all()
                     if c.get("email") and c["contactId"] != by_ref["contactId"])
        response = self.post(xm, login, extRef="CRM-100004", email=other["email"])
        assert response["Location"].endswith(f"/contacts/{by_ref['contactId']}/transactions/")
        page = body(login(xm.operator).get(response["Location"]))
        assert "Found the contact by external reference" in page

    def test_by_email_then_by_phone(self, xm, login):
        with_email = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("email"))
        assert self.post(xm, login, email=with_email["email"].upper())["Location"].endswith(
            f"/contacts/{with_email['contactId']}/transactions/")
        with_phone = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("phone"))
        national = with_phone["phone"][2:]  # +1555… written as a US number
        assert self.post(xm, login, phone=national)["Location"].endswith(
            f"/contacts/{with_phone['contactId']}/transactions/")

    def test_a_contact_not_found_is_created_with_the_optional_fields(self, xm, login):
        response = self.post(xm, login, email="new.buyer@example.org", extRef="NB-1", firstName="Nora",
                             lastName="Buyer", language="fr", unsubscribed="on", embedded="Source = shop")
        contact_id = response["Location"].split("/contacts/")[1].split("/")[0]
        contact = xm.client.contacts.get(xm.directory_id, contact_id)
        assert (contact["firstName"], contact["language"], contact["extRef"]) == ("Nora", "fr", "NB-1")
        assert contact["directoryUnsubscribed"] is True and contact["embeddedData"] == {"Source": "shop"}
        [transaction] = transactions_of(xm, contact_id)
        assert transaction["data"] == {"Visit": "store"}  # the contact's fields never become transaction data
        assert "Created contact" in body(login(xm.operator).get(response["Location"]))

    def test_an_unknown_contact_id_is_refused_and_nothing_is_created(self, xm, login):
        xm.clear_calls()
        response = self.post(xm, login, contact_id="CID_nobody123456789", email="never.made@example.org")
        assert response.status_code == 200 and "No contact CID_nobody123456789 in this directory" in body(response)
        assert not writes(xm)

    def test_nothing_to_find_the_contact_by_is_refused(self, xm, login):
        response = self.post(xm, login, firstName="Only a name")
        assert "Give the contact ID, or an external reference, e-mail or phone number" in body(response)
        response = self.post(xm, login, contact_id="12345")
        assert "A contact ID looks like CID_" in body(response)

    def test_a_contact_created_for_a_refused_transaction_is_removed_again(self, xm, login, monkeypatch):
        def refuse(self, *args, **kwargs):
            raise BadRequestError("Transaction data too large", status=400, code="TX_1")

        monkeypatch.setattr(Transactions, "create_one", refuse)
        response = self.post(xm, login, email="half.done@example.org")
        assert response.status_code == 200 and "Transaction data too large" in body(response)
        found = xm.client.contacts.search(xm.directory_id, filter={"filterType": "email", "comparison": "eq",
                                                                   "value": "half.done@example.org"})
        assert found.items == []
        assert xm.calls("DELETE", "/contacts/CID_")

    def test_a_mailing_list_deleted_meanwhile_is_explained_before_anything_is_written(self, xm, login):
        fresh = xm.new_list("Short-lived")
        client = login(xm.operator)
        assert f'value="{fresh}"' in body(client.get(url("transaction_upsert", xm)))
        xm.client.mailing_lists.delete(xm.directory_id, fresh)
        xm.clear_calls()
        response = self.post(xm, login, mailing_list_id=fresh, email="late@example.org")
        assert "This mailing list no longer exists (deleted meanwhile)." in body(response)
        assert not writes(xm)


class TestBatches:
    def test_the_list_and_a_batchs_members(self, xm, login):
        batch = seeded_batch(xm)
        client = login(xm.viewer)
        listing = body(client.get(url("batch_list", xm)))
        assert batch["id"] in listing and url("batch_detail", xm, batch_id=batch["id"]) in listing
        detail = body(client.get(url("batch_detail", xm, batch_id=batch["id"])))
        assert "12 transactions" in detail and "1–12 of 12 transactions" in detail
        transaction = xm.client.transaction_batches.list_transactions(xm.directory_id, batch["id"]).items[0]
        contact = xm.client.contacts.get(xm.directory_id, transaction["contactId"])
        assert f"{contact['firstName']} {contact['lastName']}" in detail and "OrderId: ORD-50" in detail
        assert url("contact_detail", xm, contact_id=transaction["contactId"]) in detail

    def test_create_add_by_id_and_delete(self, xm, login):
        member = a_gold_member(xm)
        made = [xm.client.transactions.create_one(xm.directory_id, contact_id=member["contactId"],
                                                  mailing_list_id=gold(xm)["mailingListId"],
                                                  date=f"2025-06-0{day} 10:00:00") for day in (1, 2)]
        client = login(xm.operator)
        response = client.post(url("batch_create", xm), {"transaction_ids": made[0]})
        batch = response["Location"].rstrip("/").split("/")[-1]
        assert response["Location"] == url("batch_detail", xm, batch_id=batch)
        response = client.post(url("batch_add", xm, batch_id=batch), {"transaction_ids": f"{made[0]}, {made[1]}"})
        assert response["Location"] == url("batch_detail", xm, batch_id=batch)
        assert "Added 1 transaction to the batch (1 already in it)." in body(client.get(response["Location"]))
        assert xm.client.transaction_batches.get(xm.directory_id, batch)["transactionIds"] == made
        empty = client.post(url("batch_create", xm), {"transaction_ids": ""})
        assert empty.status_code == 302
        empty_id = empty["Location"].rstrip("/").split("/")[-1]
        assert xm.client.transaction_batches.get(xm.directory_id, empty_id)["transactionIds"] == []
        confirm = body(client.get(url("batch_delete", xm, batch_id=batch)))
        assert "Its 2 transactions stay in the contacts&#x27; histories." in confirm
        response = client.post(url("batch_delete", xm, batch_id=batch))
        assert response["Location"] == url("batch_list", xm)
        assert batch not in {b["id"] for b in xm.client.transaction_batches.list(xm.directory_id).iter_all()}
        assert {t["id"] for t in transactions_of(xm, member["contactId"])} >= set(made)

    @pytest.mark.parametrize(("ids", "message"), [
        ("", "This field is required."),
        ("12345", "A transaction ID looks like CTR_"),
        ("CTR_nothing12345678", "Nothing was added"),
    ])
    def test_bad_transaction_ids_add_nothing(self, xm, login, ids, message):
        batch = seeded_batch(xm)
        response = login(xm.operator).post(url("batch_add", xm, batch_id=batch["id"]), {"transaction_ids": ids})
        assert response.status_code == 200 and message in body(response)
        assert xm.client.transaction_batches.get(xm.directory_id, batch["id"])["transactionIds"] == \
            batch["transactionIds"]

    def test_a_batch_deleted_meanwhile_is_explained(self, xm, login):
        member = a_gold_member(xm)
        made = xm.client.transactions.create_one(xm.directory_id, contact_id=member["contactId"],
                                                 mailing_list_id=gold(xm)["mailingListId"], date="2025-06-01 10:00:00")
        batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
        xm.client.transaction_batches.delete(xm.directory_id, batch)
        client = login(xm.operator)
        response = client.post(url("batch_add", xm, batch_id=batch), {"transaction_ids": made})
        assert f"The transaction batch {batch} no longer exists (it was deleted meanwhile)." in body(response)
        gone = client.get(url("batch_detail", xm, batch_id=batch))
        assert gone.status_code == 404 and "Back to the transaction batches" in body(gone)

    def test_ticked_transactions_of_a_contact_go_into_a_batch(self, xm, login):
        member = a_gold_member(xm)
        made = [xm.client.transactions.create_one(xm.directory_id, contact_id=member["contactId"],
                                                  mailing_list_id=gold(xm)["mailingListId"],
                                                  date=f"2025-06-0{day} 10:00:00") for day in (1, 2)]
        batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
        client = login(xm.operator)
        tab = url("contact_transaction_list", xm, contact_id=member["contactId"])
        page = body(client.get(tab))
        assert f'value="{made[0]}" form="to-batch"' in page and f'<option value="{batch}">' in page
        response = client.post(url("batch_add_selected", xm), {"batch_id": batch, "transaction_ids": made,
                                                               "next": tab})
        assert response["Location"] == tab
        assert f"Added 2 transactions to {batch}." in body(client.get(tab))
        nothing = client.post(url("batch_add_selected", xm), {"batch_id": batch, "next": "https://evil.test/"})
        assert nothing["Location"] == url("contact_list", xm)


class TestExistingContactsOntoALists:
    def test_pick_several_on_the_lists_page_without_copies(self, xm, login, hx):
        xm.sandbox.configure(job_seconds=0)
        client = login(xm.operator)
        target = xm.mailing_list_id
        short = body(client.get(url("member_picker", xm, mailing_list_id=target), {"q": "a"}, **hx))
        assert "Type at least two characters." in short
        results = body(client.get(url("member_picker", xm, mailing_list_id=target), {"field": "lastName",
                                                                                     "q": "er"}, **hx))
        picked = list(dict.fromkeys(re.findall(r'"contact_id": "(CID_\w+)"', results)))[:3]
        assert len(picked) == 3
        chip = body(client.get(url("member_picker_chip", xm, mailing_list_id=target),
                               {"contact_id": picked[0], "label": "<b>Ann</b>"}, **hx))
        assert f'name="contact_id" value="{picked[0]}"' in chip and "&lt;b&gt;Ann&lt;/b&gt;" in chip
        before = sum(1 for _ in xm.client.contacts.list(xm.directory_id).iter_all())
        response = client.post(url("member_add_existing", xm, mailing_list_id=target), {"contact_id": picked})
        job = ContactImport.objects.get(source=ContactImport.Source.CONTACTS)
        assert response["Location"] == url("import_detail", xm, mailing_list_id=target, import_id=job.pk)
        run_to_end(job)
        assert sorted(m["contactId"] for m in xm.members()) == sorted(picked)
        assert sum(1 for _ in xm.client.contacts.list(xm.directory_id).iter_all()) == before
        summary = body(client.get(response["Location"]))
        assert 'data-testid="summary-put-on-list">3<' in summary and "Every contact is on the list." in summary
        sent = xm.calls("POST", "/transactioncontacts")[-1]["body"]["contacts"]
        assert all(set(c) == {"email"} for c in sent)  # only what the directory recognises contacts by

    def test_the_duplicate_offer_of_add_member_puts_the_existing_contact_on_the_list(self, xm, login, hx):
        xm.sandbox.configure(job_seconds=0)
        existing = first_contact(xm, extRef="CRM-100003")
        client = login(xm.operator)
        offer = body(client.post(url("member_create", xm, mailing_list_id=xm.mailing_list_id),
                                 {"firstName": "Again", "extRef": "CRM-100003"}))
        assert 'data-testid="add-existing-instead"' in offer
        assert f'hx-post="{url("member_add_existing", xm, mailing_list_id=xm.mailing_list_id)}"' in offer
        assert f'"contact_id": "{existing["contactId"]}"' in offer
        response = client.post(url("member_add_existing", xm, mailing_list_id=xm.mailing_list_id),
                               {"contact_id": existing["contactId"]}, **hx)
        job = ContactImport.objects.get()
        assert response["HX-Redirect"] == url("import_detail", xm, mailing_list_id=xm.mailing_list_id,
                                              import_id=job.pk)
        run_to_end(job)
        assert [m["contactId"] for m in xm.members()] == [existing["contactId"]]

    def test_a_contact_the_directory_cannot_recognise_is_marked_in_the_picker(self, xm, login, hx):
        without = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if not c.get("email"))
        part = body(login(xm.operator).get(url("member_picker", xm, mailing_list_id=xm.mailing_list_id),
                                           {"field": "extRef", "q": without["extRef"]}, **hx))
        assert "no e-mail: cannot be added" in part and f'"contact_id": "{without["contactId"]}"' not in part

    def test_nothing_chosen_is_refused(self, xm, login, hx):
        part = body(login(xm.operator).post(url("member_add_existing", xm, mailing_list_id=xm.mailing_list_id),
                                            {}, **hx))
        assert "Choose at least one contact." in part and "<html" not in part
        assert not ContactImport.objects.exists()

    def test_from_a_contacts_page(self, xm, login):
        xm.sandbox.configure(job_seconds=0)
        contact = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("email"))
        client = login(xm.operator)
        form = body(client.get(url("contact_add_to_list", xm, contact_id=contact["contactId"])))
        assert f'value="{xm.mailing_list_id}"' in form
        response = client.post(url("contact_add_to_list", xm, contact_id=contact["contactId"]),
                               {"mailing_list_id": xm.mailing_list_id})
        job = ContactImport.objects.get()
        assert response["Location"] == url("import_detail", xm, mailing_list_id=xm.mailing_list_id, import_id=job.pk)
        run_to_end(job)
        assert [m["contactId"] for m in xm.members()] == [contact["contactId"]]
        form = body(client.get(url("contact_add_to_list", xm, contact_id=contact["contactId"])))
        assert f'value="{xm.mailing_list_id}"' not in form  # it is on that list now

    def test_every_result_of_a_search_in_the_background(self, xm, login, hx):
        xm.sandbox.configure(job_seconds=0)
        client = login(xm.operator)
        search = {"field": "lastName", "comparison": "contains", "q": "son"}
        listing = body(client.get(url("contact_list", xm), search, **hx))
        assert 'data-testid="results-to-list"' in listing
        form = body(client.get(url("contact_results_to_list", xm), search))
        assert "last name contains “son”" in form
        response = client.post(url("contact_results_to_list", xm), {**search, "mailing_list_id": xm.mailing_list_id})
        job = ContactImport.objects.get(source=ContactImport.Source.SEARCH)
        assert response["Location"] == url("import_detail", xm, mailing_list_id=xm.mailing_list_id, import_id=job.pk)
        run_to_end(job)
        found = list(xm.client.contacts.search(xm.directory_id, page_size=100, filter={
            "filterType": "lastName", "comparison": "contains", "value": "son"}).iter_all())
        with_email = {c["id"] for c in found if c.get("email")}
        assert with_email and {m["contactId"] for m in xm.members()} == with_email
        job.refresh_from_db()
        assert (job.row_count, job.rows_rejected) == (len(found), len(found) - len(with_email))
        if job.rows_rejected:
            rows = list(selectors.contact_import_rejected_rows(contact_import=job))
            assert "has no e-mail, which this directory recognises contacts by" in rows[1][1]

    def test_a_directory_that_merges_nothing_refuses_before_anything_is_queued(self, xm, login, monkeypatch):
        monkeypatch.setattr(selectors, "directory_dedup_fields", lambda directory: [])
        contact = first_contact(xm)
        response = login(xm.operator).post(url("contact_add_to_list", xm, contact_id=contact["contactId"]),
                                           {"mailing_list_id": xm.mailing_list_id})
        assert response.status_code == 200 and "This directory merges no contacts" in body(response)
        assert not ContactImport.objects.exists()

    def test_a_list_deleted_meanwhile_is_explained(self, xm, login):
        contact = first_contact(xm)
        gone = xm.new_list("Gone soon")
        client = login(xm.operator)
        assert f'value="{gone}"' in body(client.get(url("contact_add_to_list", xm, contact_id=contact["contactId"])))
        xm.client.mailing_lists.delete(xm.directory_id, gone)
        response = client.post(url("contact_add_to_list", xm, contact_id=contact["contactId"]),
                               {"mailing_list_id": gone})
        assert response.status_code == 200 and "Qualtrics could not find it" in body(response)
        assert not ContactImport.objects.exists()


class TestCsvImportTransactions:
    HEADER = ["Email", "First Name", "Order", "Amount"]
    ROWS = [["buyer1@example.net", "Bea", "ORD-1", "10.00"], ["buyer2@example.net", "Cal", "ORD-2", "20.00"]]

    def mapped(self, xm, login, batch: str):
        client = login(xm.operator)
        client.post(url("import_create", xm, mailing_list_id=xm.mailing_list_id),
                    {"file": csv_upload(self.ROWS, self.HEADER), "phone_region": "GB"})
        imp = ContactImport.objects.get()
        kwargs = {"mailing_list_id": xm.mailing_list_id, "import_id": imp.pk}
        page = body(client.get(url("import_map", xm, **kwargs)))
        assert "Transaction data (column name)" in page and "A new batch, made when the import starts" in page
        client.post(url("import_map", xm, **kwargs), {
            "col_0": "email", "col_1": "firstName", "col_2": "transaction", "col_3": "transaction",
            "phone_region": "GB", "transaction_batch": batch})
        finish_check(imp)
        return client, imp, kwargs, body(client.get(url("import_map", xm, **kwargs)))

    def test_rows_land_in_a_new_batch_with_their_transaction_data(self, xm, login):
        xm.sandbox.configure(job_seconds=0)
        client, imp, kwargs, report = self.mapped(xm, login, "new")
        assert "ORD-1" in report.split('data-testid="import-preview"')[1]
        response = client.post(url("import_start", xm, **kwargs))
        imp.refresh_from_db()
        assert imp.transaction_batch_id.startswith("BT_")
        run_to_end(imp)
        upload = xm.calls("POST", "/transactioncontacts")[-1]["body"]
        assert upload["transactionMeta"] == {"batchId": imp.transaction_batch_id, "fields": ["Order", "Amount"]}
        assert upload["contacts"][0]["transactionData"] == {"Order": "ORD-1", "Amount": "10.00"}
        batch = xm.client.transaction_batches.get(xm.directory_id, imp.transaction_batch_id)
        assert len(batch["transactionIds"]) == 2
        detail = body(client.get(response["Location"]))
        assert imp.transaction_batch_id in detail and "Added" not in detail.split("import-summary")[0][-20:]

    def test_a_batch_without_transaction_columns_is_refused(self, xm, login):
        client = login(xm.operator)
        client.post(url("import_create", xm, mailing_list_id=xm.mailing_list_id),
                    {"file": csv_upload(self.ROWS, self.HEADER), "phone_region": "GB"})
        imp = ContactImport.objects.get()
        response = client.post(url("import_map", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk), {
            "col_0": "email", "col_1": "firstName", "col_2": "", "col_3": "", "phone_region": "GB",
            "transaction_batch": seeded_batch(xm)["id"]})
        assert "Map at least one column as transaction data" in body(response)
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.UPLOADED

    def test_a_batch_deleted_before_the_start_stops_it_with_nothing_sent(self, xm, login):
        batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
        client, imp, kwargs, _ = self.mapped(xm, login, batch)
        xm.client.transaction_batches.delete(xm.directory_id, batch)
        xm.clear_calls()
        response = client.post(url("import_start", xm, **kwargs), follow=True)
        assert f"The transaction batch {batch} no longer exists (deleted meanwhile)" in body(response)
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.READY and not xm.calls("POST", "/transactioncontacts")
