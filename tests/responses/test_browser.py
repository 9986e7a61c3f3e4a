"""The responses screens in Chromium against the live portal, a real worker and the sandbox: exports in every
format (each file opened with a reader of its format), a response's page, an import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect

from tests.sandbox import savfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORMAT_LABELS = {"csv": "CSV", "tsv": "TSV (tab-separated)", "json": "JSON", "ndjson": "NDJSON (a JSON object per line)",
                 "spss": "SPSS (.sav)", "xml": "XML"}


def read_file(fmt: str, data: bytes) -> list[str]:
    """The response IDs in an export file, read the way a program reading that format would."""
    if fmt in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter="," if fmt == "csv" else "\t"))
        column = rows[0].index("ResponseId")
        return [row[column] for row in rows[3:]]
    if fmt == "json":
        return [item["responseId"] for item in json.loads(data)["responses"]]
    if fmt == "ndjson":
        return [json.loads(line)["responseId"] for line in data.splitlines() if line.strip()]
    if fmt == "xml":
        return [node.findtext("ResponseId") for node in ElementTree.fromstring(data).findall("Response")]
    sav = savfile.read(data)
    column = next(i for i, v in enumerate(sav.variables) if v.name == "ResponseId")
    return [str(case[column]).strip() for case in sav.cases]


def export_through_the_page(page, fmt: str, limit: int, shot=None) -> tuple[str, bytes]:
    page.get_by_test_id("new-export").click()
    page.get_by_label("Format").select_option(FORMAT_LABELS[fmt])
    page.get_by_label("At most this many responses").fill(str(limit))
    if shot:
        shot(page, "responses-export-form")
    page.get_by_role("button", name="Start the export").click()
    expect(page.get_by_test_id("export-progress")).to_be_visible()
    expect(page.get_by_test_id("export-summary")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("export-count")).to_have_text(str(limit))
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_an_operator_exports_in_every_format_and_each_file_opens(team, csat, browser_as, shot, celery_worker):
    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/surveys/{csat['id']}/")
    page.get_by_role("link", name="Export responses").click()
    expect(page.get_by_test_id("export-files")).to_contain_text("No export of this survey yet")
    seen = {}
    for number, fmt in enumerate(FORMAT_LABELS, start=1):
        name, data = export_through_the_page(page, fmt, limit=3 + number, shot=shot if fmt == "csv" else None)
        if fmt == "csv":
            shot(page, "responses-export-done")
        ids = read_file(fmt, data)
        assert len(ids) == 3 + number and all(i.startswith("R_") for i in ids), (fmt, ids)
        assert name.endswith("." + ("sav" if fmt == "spss" else fmt))
        seen[fmt] = ids
        page.get_by_role("link", name="All exports of this survey").click()
    expect(page.get_by_test_id("export-row")).to_have_count(6)
    shot(page, "responses-export-list")
    assert seen["csv"] == seen["json"][:4]  # the same responses, oldest first, whatever the format


def test_an_export_qualtrics_refuses_says_why_in_its_words(team, csat, browser_as, shot, celery_worker):
    """Through the wrong datacenter Qualtrics proxies reads but refuses exports: the export fails at once, with
    Qualtrics' message and request id, and nothing stays running."""
    team.connection.datacenter = "fra1"
    team.connection.save(update_fields=["datacenter"])
    page = browser_as(team.viewer)
    operator = browser_as(team.operator)
    operator.goto(f"/c/{team.connection.pk}/responses/{csat['id']}/")
    operator.get_by_test_id("new-export").click()
    operator.get_by_role("button", name="Start the export").click()
    expect(operator.get_by_test_id("export-error")).to_contain_text("request id", timeout=30_000)
    expect(operator.get_by_test_id("export-status")).to_have_text("Failed")
    shot(operator, "responses-export-failed")
    page.goto(operator.url)
    expect(page.get_by_test_id("export-error")).to_contain_text("Qualtrics said")
    assert page.get_by_test_id("cancel-export").count() == 0
