"""The audit trail in a browser: words not codes, readable at 1,280 px, filters the CSV export honours."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import AuditEvent
from tests.factories import make_connection, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST_PATH = "/directories/POOL_abcdefghijklmno/mailinglists/CG_abcdefghijklmno/contacts"


def seed(connection, owner):
    now = timezone.now()

    def event(minutes_ago, **fields):
        AuditEvent.objects.create(connection=connection, connection_label=connection.name, actor=owner,
                                  actor_label=owner.get_username(),
                                  created_at=now - datetime.timedelta(minutes=minutes_ago), **fields)

    event(1, action="qualtrics.post", target=LIST_PATH, request_id="a1b2c3d4-e5f6-4a1b-8c9d-0e1f2a3b4c5d",
          detail="Added one contact to the list after the import's recovery step looked for it and found nothing "
                 "there; a long detail that must wrap inside its cell instead of pushing the table wider.")
    event(2, action="contacts.import.cancelled", target="POOL_abcdefghijklmno/CG_abcdefghijklmno",
          detail="people.csv: 120 added, 0 updated, 0 failed, 0 invalid e-mails, 0 rows left out by the check")
    event(3, action="qualtrics.delete", target="/distributions/EMD_abcdefghijklmno", outcome="failed",
          detail="Not found")
    AuditEvent.objects.create(connection=connection, action="connection.test", actor_label="someone-else",
                              created_at=now - datetime.timedelta(days=40))


def test_the_audit_trail_reads_in_words_fits_and_exports_what_is_filtered(browser_as, shot):
    owner = make_user("ada", first_name="Ada")
    connection = make_connection(owner, name="Acme production")
    seed(connection, owner)
    page = browser_as(owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/c/{connection.pk}/audit/")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(4)
    first = rows.first
    expect(first.get_by_test_id("audit-what")).to_contain_text("Created in Qualtrics")
    expect(first.get_by_test_id("audit-target")).to_have_text(
        "directory POOL_abcdefghijklmno › mailing list CG_abcdefghijklmno › contact")
    cancelled = rows.nth(1)
    expect(cancelled).to_contain_text("Contact import stopped after a cancel")
    expect(cancelled).to_contain_text("Done")
    expect(cancelled).not_to_contain_text("Failed")
    # Nothing overflows at 1,280 px: the table fits its card, the page has no horizontal scroll.
    fits = page.evaluate("""() => {
        const table = document.querySelector('[data-testid=audit-table]');
        return [table.scrollWidth, table.closest('.card-table').clientWidth, document.documentElement.scrollWidth,
                window.innerWidth];
    }""")
    assert fits[0] <= fits[1] and fits[2] <= fits[3], fits
    shot(page, "connections-audit-1280")

    # Who, what, outcome and dates filter; the CSV export is the same selection.
    page.get_by_label("What").select_option(label="Deleted in Qualtrics")
    expect(rows).to_have_count(1)
    page.get_by_label("What").select_option(label="Any action")
    page.get_by_label("Outcome").select_option(label="Done")
    expect(rows).to_have_count(3)
    # Typing in "Who" sends the filter 500 ms after the last key, and each answer swaps the export link too (out
    # of band): a click on a link being replaced starts no download (seen once under CI load), so every answer
    # is in before the click.
    with page.expect_response(lambda answer: "actor=ada" in answer.url):
        page.get_by_label("Who").fill("ada")
    page.get_by_label("From").fill(timezone.localdate().isoformat())
    page.get_by_label("From").press("Enter")
    expect(rows).to_have_count(2)
    expect(page.locator(".htmx-request")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    with open(download.value.path(), encoding="utf-8-sig") as exported_file:
        exported = list(csv.reader(io.StringIO(exported_file.read())))
    assert [row[3] for row in exported[1:]] == ["Created in Qualtrics", "Contact import stopped after a cancel"]
    assert {row[6] for row in exported[1:]} == {"Done"}

    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"/c/{connection.pk}/audit/")
    expect(rows).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "connections-audit-390")
