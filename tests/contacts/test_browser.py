"""The XM Directory screens in a real browser, against the live portal and the sandbox."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PEOPLE_HEADER, people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def contacts_url(xm) -> str:
    return f"/c/{xm.connection.pk}/directory/"


def test_it_browses_and_searches_contacts(xm, browser_as, shot):
    target = next(c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("email"))
    page = browser_as(xm.viewer)
    page.goto(contacts_url(xm))
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(50)
    shot(page, "contacts-list")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=[0-9a-f]{16}$"))
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(50)
    page.get_by_label("Search by").select_option("email")
    page.get_by_label("Search for").fill(target["email"])
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(1)
    shot(page, "contacts-search")
    page.get_by_test_id("crud-table").get_by_role("link").first.click()
    expect(page.get_by_test_id("contact-detail")).to_be_visible()
    expect(page.get_by_test_id("embedded-data")).to_contain_text("CustomerTier")
    assert page.get_by_role("link", name="Edit").count() == 0  # a viewer only reads
    shot(page, "contact-detail")


def test_it_creates_edits_and_deletes_a_contact(xm, browser_as, shot):
    page = browser_as(xm.operator)
    page.goto(contacts_url(xm))
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail", exact=True).fill("ada.lovelace@example.org")
    page.get_by_label("Phone").fill("+44 20 7946 0018")
    page.get_by_label("External reference").fill("ADA-1815")
    page.get_by_label("Language").fill("EN-GB")
    names, values = page.locator("input[name=ed_name]"), page.locator("input[name=ed_value]")
    names.nth(0).fill("Plan")
    values.nth(0).fill("Gold")
    page.get_by_test_id("add-embedded-row").click()
    expect(names).to_have_count(2)
    names.nth(1).fill("Points")
    values.nth(1).fill("12")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("crud-form")).to_contain_text("reserved by Qualtrics")
    shot(page, "contact-form-invalid")
    page.locator("tr.embedded-row", has=page.locator("input[value=Points]")).get_by_role("button").click()
    expect(names).to_have_count(2)  # Plan, and the blank row kept at the end
    page.get_by_test_id("add-embedded-row").click()
    expect(names).to_have_count(3)
    names.last.fill("Team")
    values.last.fill("Analytical Engines")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("contact-detail")).to_be_visible()
    expect(page.get_by_test_id("toast").first).to_contain_text("Saved")
    expect(page.get_by_test_id("embedded-data")).to_contain_text("Analytical Engines")
    expect(page.get_by_test_id("contact-detail")).to_contain_text("+442079460018")
    shot(page, "contact-created")

    page.get_by_role("link", name="Edit").click()
    page.locator("tr.embedded-row", has=page.locator("input[value=Plan]")).get_by_role("button").click()
    page.get_by_label("First name").fill("Augusta Ada")
    shot(page, "contact-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Augusta Ada Lovelace")).to_be_visible()
    expect(page.get_by_test_id("embedded-data")).to_contain_text("Analytical Engines")
    expect(page.get_by_test_id("embedded-data")).not_to_contain_text("Plan")  # removed, not left empty

    page.get_by_role("link", name="Delete").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("confirm-delete")).to_contain_text("leaves the directory and every mailing list")
    expect(dialog.get_by_role("button", name="Delete contact")).to_be_visible()
    page.wait_for_timeout(400)  # the modal's fade-in
    shot(page, "contact-delete-confirm")
    dialog.get_by_role("button", name="Delete contact").click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    assert not [c for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("extRef") == "ADA-1815"]


def test_it_creates_a_list_and_adds_and_removes_a_member(xm, browser_as, shot):
    page = browser_as(xm.operator)
    page.goto(contacts_url(xm))
    page.get_by_role("link", name="Mailing lists").click()
    expect(page.get_by_test_id("crud-table")).to_contain_text("Newsletter subscribers")
    shot(page, "mailing-lists")
    page.get_by_role("link", name="New mailing list").click()
    page.get_by_label("Name").fill("Autumn survey panel")
    page.get_by_label("Owner").select_option(label="CX Team")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Autumn survey panel")).to_be_visible()
    expect(page.get_by_test_id("crud-table")).to_contain_text("Nobody is on this list yet")

    page.get_by_role("link", name="Add member").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail", exact=True).fill("grace.hopper@example.org")
    page.locator("input[name=ed_name]").first.fill("Rank")
    page.locator("input[name=ed_value]").first.fill("Rear admiral")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("member-detail")).to_contain_text("CGC_")
    shot(page, "member-detail")
    page.get_by_role("link", name="Autumn survey panel").click()
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(1)
    shot(page, "member-list")
    page.get_by_test_id("crud-table").get_by_role("link", name="Grace Hopper").click()
    page.get_by_role("link", name="Remove from list").click()
    dialog = page.locator("#modal")
    expect(dialog).to_contain_text("stays in the directory")
    expect(dialog.get_by_role("button", name="Remove from list")).to_be_visible()
    page.wait_for_timeout(400)  # the modal's fade-in
    shot(page, "member-remove-confirm")
    dialog.get_by_role("button", name="Remove from list").click()
    expect(page.get_by_test_id("crud-table")).to_contain_text("Nobody is on this list yet")
    contacts = xm.client.contacts.list(xm.directory_id).iter_all()
    assert any(c.get("email") == "grace.hopper@example.org" for c in contacts)


def test_it_imports_two_thousand_rows_with_live_progress(xm, browser_as, shot, celery_worker, tmp_path):
    rows = [*people(2000), ["Bad", "Address", "not-an-email", "EXT-BAD", ""]]
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PEOPLE_HEADER)
        writer.writerows(rows)
    page = browser_as(xm.operator)
    page.goto(f"/c/{xm.connection.pk}/directory/{xm.directory_id}/lists/{xm.mailing_list_id}/members/")
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(str(path))
    # Countries by name (the code beside it), not bare ISO codes.
    page.get_by_label("Country for phone numbers without a country code").select_option(label="United Kingdom (GB)")
    shot(page, "import-upload")
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_test_id("import-mapping")).to_contain_text("person0@example.net")
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("import-checking")).to_be_visible()  # a worker checks the rows; the page follows
    shot(page, "import-checking")
    expect(page.get_by_test_id("rows-valid")).to_have_text("2,000")
    expect(page.get_by_test_id("issue-counts")).to_contain_text("Invalid e-mail addresses")
    shot(page, "import-report")
    page.get_by_test_id("start-import").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("list-summary")).to_contain_text("about 0 contacts")  # loaded before the import
    shot(page, "import-progress")
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=90_000)
    expect(page.get_by_test_id("list-summary")).to_contain_text("about 2,000 contacts")  # updated when it ended
    expect(page.get_by_test_id("summary-added")).to_have_text("2,000")
    expect(page.get_by_test_id("import-status")).to_have_text("Completed")
    shot(page, "import-summary")
    with page.expect_download() as download:
        page.get_by_test_id("download-rejected").click()
    rejected = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rejected) == 2 and "not-an-email" in rejected[1]
    assert len(xm.members()) == 2000
