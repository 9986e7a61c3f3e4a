"""Transactions, batches and existing contacts onto lists in a real browser, against the live portal and
the sandbox, with a real worker where a job runs in the background."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from .test_browser import contacts_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def directory_url(xm, rest: str) -> str:
    return f"/c/{xm.connection.pk}/directory/{xm.directory_id}/{rest}"


def gold_id(xm) -> str:
    return next(m["mailingListId"] for m in xm.client.mailing_lists.list(xm.directory_id).iter_all()
                if m["name"] == "Gold customers")


def test_add_existing_contacts_with_the_picker(xm, browser_as, shot, celery_worker):
    xm.sandbox.configure(job_seconds=0)
    page = browser_as(xm.operator)
    page.goto(directory_url(xm, f"lists/{xm.mailing_list_id}/members/"))
    expect(page.get_by_test_id("directory-nav")).to_contain_text("Transaction batches")
    page.get_by_role("link", name="Add existing contacts").click()
    page.get_by_label("Search by").select_option("lastName")
    page.get_by_test_id("picker-search").fill("er")
    results = page.get_by_test_id("picker-results")
    expect(results.get_by_role("button", name=re.compile("^Choose")).first).to_be_visible()
    for index in range(3):
        results.get_by_role("button", name=re.compile("^Choose")).nth(index).click()
        expect(page.get_by_test_id("chip")).to_have_count(index + 1)
    page.get_by_test_id("chip").nth(2).get_by_role("button").click()  # changed their mind about the third
    expect(page.get_by_test_id("chip")).to_have_count(2)
    shot(page, "add-existing-picker")
    page.get_by_test_id("add-chosen").click()
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("summary-put-on-list")).to_have_text("2")
    expect(page.get_by_test_id("import-status")).to_have_text("Completed")
    shot(page, "add-existing-done")
    assert len(xm.members()) == 2


def test_every_result_of_a_search_onto_a_list_in_the_background(xm, browser_as, shot, celery_worker):
    xm.sandbox.configure(job_seconds=0)
    page = browser_as(xm.operator)
    page.goto(contacts_url(xm))
    expect(page.get_by_test_id("dedup-rule")).to_contain_text("same e-mail as one person")
    page.get_by_label("Search by").select_option("lastName")
    page.get_by_label("Match").select_option("contains")
    page.get_by_label("Search for").fill("son")
    expect(page.get_by_test_id("results-to-list")).to_be_visible()
    shot(page, "search-results-to-list-offer")
    page.get_by_role("link", name="Add all the results to a list…").click()
    expect(page.get_by_test_id("form-intro")).to_contain_text("last name contains “son”")
    page.get_by_label("Mailing list").select_option(xm.mailing_list_id)
    shot(page, "search-results-to-list-form")
    page.get_by_role("button", name="Add them all to the list").click()
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=60_000)
    shot(page, "search-results-to-list-done")
    found = [c for c in xm.client.contacts.search(xm.directory_id, page_size=100, filter={
        "filterType": "lastName", "comparison": "contains", "value": "son"}).iter_all() if c.get("email")]
    assert len(xm.members()) == len(found) > 0


def test_a_contacts_transactions_and_its_list(xm, browser_as, shot, celery_worker):
    xm.sandbox.configure(job_seconds=0)
    contact = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("email"))
    batch = xm.client.transaction_batches.create(xm.directory_id)["id"]
    page = browser_as(xm.operator)
    page.goto(directory_url(xm, f"contacts/{contact['contactId']}/"))
    expect(page.get_by_test_id("contact-tabs")).to_be_visible()
    page.get_by_role("link", name="Add to list…").click()
    page.get_by_label("Mailing list").select_option(xm.mailing_list_id)
    shot(page, "contact-add-to-list")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_test_id("summary-put-on-list")).to_have_text("1", timeout=60_000)

    page.goto(directory_url(xm, f"contacts/{contact['contactId']}/"))
    page.get_by_role("link", name="Add a transaction").click()
    page.get_by_label("Mailing list").select_option(gold_id(xm))
    page.get_by_label("Date and time").fill("2025-09-14T16:45")
    page.get_by_label("Transaction data").fill("OrderId ORD-77")  # not name = value
    page.get_by_role("button", name="Add the transaction").click()
    expect(page.get_by_test_id("error-data")).to_contain_text("Line 1: write it as name = value.")
    shot(page, "transaction-form-invalid")
    page.get_by_label("Transaction data").fill("OrderId = ORD-77\nAmount = 59.00")
    page.get_by_role("button", name="Add the transaction").click()
    table = page.get_by_test_id("crud-table")
    expect(table).to_contain_text("OrderId: ORD-77 · Amount: 59.00")
    expect(table).to_contain_text("14 Sep 2025 16:45")
    expect(page.get_by_test_id("toast").first).to_contain_text("Added transaction CTR_")
    table.locator("input[name=transaction_ids]").first.check()
    page.get_by_label("Add the ticked transactions to").select_option(batch)
    shot(page, "contact-transactions-tab")
    page.get_by_test_id("to-batch").get_by_role("button", name="Add to the batch").click()
    expect(page.get_by_test_id("toast").first).to_contain_text(f"Added 1 transaction to {batch}")
    assert len(xm.client.transaction_batches.get(xm.directory_id, batch)["transactionIds"]) == 1


def test_record_a_transaction_for_a_contact_found_or_created(xm, browser_as, shot):
    page = browser_as(xm.operator)
    page.goto(contacts_url(xm))
    page.get_by_role("link", name="Record a transaction").click()
    expect(page.get_by_test_id("form-intro")).to_contain_text("external reference, then e-mail, then phone number")
    page.get_by_label("Mailing list").select_option(gold_id(xm))
    page.get_by_label("E-mail").fill("walk.in@example.org")
    page.get_by_label("Phone").fill("(555) 201-3344")
    page.get_by_text("If no contact is found: the new contact's other fields").click()
    page.get_by_label("First name").fill("Wally")
    page.get_by_label("Last name").fill("Walkin")
    page.get_by_label("Embedded data").fill("Source = store")
    page.get_by_label("Date and time").fill("2025-10-02T11:00")
    page.get_by_label("Transaction data").fill("Store = Downtown\nBasket = 3")
    shot(page, "transaction-upsert-form")
    page.get_by_role("button", name="Record the transaction").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Created contact CID_")
    expect(page.get_by_test_id("crud-table")).to_contain_text("Store: Downtown · Basket: 3")
    expect(page.get_by_role("heading", name="Wally Walkin")).to_be_visible()
    shot(page, "transaction-upsert-created")

    page.goto(contacts_url(xm))
    page.get_by_role("link", name="Record a transaction").click()
    page.get_by_label("Mailing list").select_option(gold_id(xm))
    page.get_by_label("E-mail").fill("WALK.IN@example.org")
    page.get_by_label("Date and time").fill("2025-10-03T11:00")
    page.get_by_label("Transaction data").fill("Store = Airport")
    page.get_by_role("button", name="Record the transaction").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Found the contact by e-mail")
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(2)


def test_transaction_batches(xm, browser_as, shot):
    seeded = next(iter(xm.client.transaction_batches.list(xm.directory_id).iter_all()))
    page = browser_as(xm.operator)
    page.goto(contacts_url(xm))
    page.get_by_role("link", name="Transaction batches").click()
    expect(page.get_by_test_id("crud-table")).to_contain_text(seeded["id"])
    shot(page, "batch-list")
    page.get_by_role("link", name=seeded["id"]).click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text("12 transactions")
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(12)
    shot(page, "batch-members")

    page.goto(directory_url(xm, "batches/"))
    page.get_by_role("link", name="New transaction batch").click()
    page.get_by_role("button", name="Create the batch").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Created transaction batch BT_")
    expect(page.get_by_test_id("crud-table")).to_contain_text("This batch holds no transactions yet.")
    add = page.get_by_test_id("batch-add")
    add.get_by_label("Transaction IDs").fill(" ".join(seeded["transactionIds"][:3]) + " CTR_unknown12345678")
    add.get_by_role("button", name="Add to the batch").click()
    expect(page.get_by_test_id("crud-form")).to_contain_text("Nothing was added")
    page.get_by_label("Transaction IDs").fill("\n".join(seeded["transactionIds"][:3]))
    page.get_by_role("button", name="Add to the batch").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Added 3 transactions to the batch")
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Delete").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("confirm-delete")).to_contain_text("stay in the contacts' histories")
    page.wait_for_timeout(400)  # the modal's fade-in
    shot(page, "batch-delete-confirm")
    dialog.get_by_role("button", name="Delete transaction batch").click()
    expect(page).to_have_url(re.compile(r"/batches/$"))
    expect(page.get_by_test_id("toast").first).to_contain_text("Deleted transaction batch")


def test_a_csv_import_puts_its_transactions_in_a_new_batch(xm, browser_as, shot, celery_worker, tmp_path):
    xm.sandbox.configure(job_seconds=0)
    path = tmp_path / "purchases.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Order", "Amount"])
        writer.writerows([[f"buyer{n}@example.net", f"Buyer{n}", f"ORD-{n}", f"{n}.00"] for n in range(1, 31)])
    page = browser_as(xm.operator)
    page.goto(directory_url(xm, f"lists/{xm.mailing_list_id}/imports/new/"))
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_label("Import “Order” as").select_option("transaction")
    page.get_by_label("Import “Amount” as").select_option("transaction")
    page.get_by_label("Transaction batch").select_option("new")
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("import-preview")).to_contain_text("ORD-1")
    shot(page, "import-transactions-mapping")
    page.get_by_test_id("start-import").click()
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=60_000)
    shot(page, "import-transactions-done")
    page.get_by_role("link", name=re.compile("^BT_")).click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text("30 transactions")
    expect(page.get_by_test_id("crud-table")).to_contain_text("Order: ORD-1 · Amount: 1.00")


def test_cancelling_an_import_stops_it_and_says_what_was_imported(xm, browser_as, shot, celery_worker, settings):
    from .test_import import start_import
    from .test_import_cancel import wait_for

    settings.CONTACT_IMPORT_POLL_INTERVAL = 0.05
    imp = start_import(xm, [[f"F{i}", f"L{i}", f"p{i}@example.net", f"EXT-{i}", ""] for i in range(300)],
                       chunk_size=50)
    xm.sandbox.configure(job_seconds=0, latency_ms=1500)
    xm.clear_calls()
    page = browser_as(xm.operator)
    page.on("dialog", lambda dialog: dialog.accept())  # "Stop this import?"
    page.goto(directory_url(xm, f"lists/{xm.mailing_list_id}/imports/{imp.pk}/"))
    page.get_by_test_id("start-import").click()
    wait_for(lambda: xm.calls("POST", "/transactioncontacts"), 60, "the first upload")
    page.get_by_test_id("cancel-import").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Cancelled: nothing more is sent")
    uploads_at_cancel = len(xm.calls("POST", "/transactioncontacts"))
    expect(page.get_by_test_id("cancelled-summary")).to_contain_text("had been imported before the cancel",
                                                                     timeout=60_000)
    expect(page.get_by_test_id("import-status")).to_have_text("Cancelled")
    shot(page, "import-cancelled-summary")
    assert len(xm.calls("POST", "/transactioncontacts")) == uploads_at_cancel
