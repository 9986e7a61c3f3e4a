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

FORMAT_LABELS = {"csv": "CSV", "tsv": "TSV (tab-separated)", "json": "JSON",
                 "ndjson": "NDJSON (a JSON object per line)", "spss": "SPSS (.sav)", "xml": "XML"}


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
    shot(page, "responses-survey-page")
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


def first_response_id(team, csat) -> str:
    from django.core.files.storage import default_storage
    from django.test import TestCase

    from responses import services

    from .conftest import run_export

    with TestCase.captureOnCommitCallbacks(execute=True):
        export = services.response_export_create(connection=team.connection, actor=team.operator,
                                                 survey_id=csat["id"], survey_name=csat["name"], fmt="csv",
                                                 options=services.export_body(fmt="csv", limit=1))
    export = run_export(export.pk, team.sandbox)
    with default_storage.open(export.file.name) as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    return rows[3][rows[0].index("ResponseId")]


def test_a_response_is_found_read_changed_and_deleted(team, csat, browser_as, shot, qualtrics):
    response_id = first_response_id(team, csat)
    viewer = browser_as(team.viewer)
    viewer.goto(f"/c/{team.connection.pk}/surveys/{csat['id']}/")
    viewer.get_by_role("link", name="Open a response").click()
    viewer.get_by_label("Response ID").fill(response_id)
    viewer.get_by_role("button", name="Open").click()
    expect(viewer.get_by_test_id("response-id")).to_have_text(response_id)
    expect(viewer.get_by_test_id("answers")).to_contain_text("How likely are you to recommend Acme")
    expect(viewer.get_by_test_id("finished")).to_have_text("Yes")
    assert viewer.get_by_test_id("embedded-form").count() == 0 and viewer.get_by_test_id("delete-response").count() == 0
    shot(viewer, "responses-response")

    operator = browser_as(team.operator)
    operator.goto(viewer.url)
    form = operator.get_by_test_id("embedded-form")
    form.get_by_label("Field").fill("Region")
    form.get_by_label("Value").fill("Antarctica")
    form.get_by_role("button", name="Set the field").click()
    expect(operator.get_by_test_id("embedded-Region")).to_have_text("Antarctica")
    assert qualtrics.responses.get(csat["id"], response_id)["values"]["Region"] == "Antarctica"

    manager = browser_as(team.manager)
    manager.goto(viewer.url)
    manager.get_by_test_id("delete-response").click()
    expect(manager.get_by_test_id("confirm-delete")).to_contain_text(f"Delete response “{response_id}”?")
    shot(manager, "responses-response-delete")
    manager.get_by_test_id("confirm-button").click()
    expect(manager.get_by_test_id("find-response")).to_be_visible()
    expect(manager.locator("#toasts")).to_contain_text(f"Response {response_id} deleted.")
    viewer.reload()
    expect(viewer.locator("body")).to_contain_text("Qualtrics could not find it")


def test_an_operator_imports_responses_from_an_export_file(team, csat, browser_as, shot, celery_worker, tmp_path,
                                                          qualtrics):
    before = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    path = tmp_path / "responses.csv"
    path.write_text("StartDate,EndDate,Finished,Q1,Q3,Region\n"
                    "2025-03-01 10:00:00,2025-03-01 10:05:00,1,9,2,EMEA\n"
                    "2025-03-02 11:00:00,2025-03-02 11:04:00,1,3,4,APAC\n"
                    "2025-03-03 12:00:00,2025-03-03 12:02:00,1,10,5,NA\n")
    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/responses/{csat['id']}/imports/")
    page.get_by_test_id("new-import").click()
    page.get_by_label("Responses (CSV or TSV)").set_input_files(str(path))
    shot(page, "responses-import-upload")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("imported")).to_have_text("3")
    shot(page, "responses-import-done")
    assert qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"] == before + 3


def beat_tick(schedule_id: int) -> None:
    """The schedule's slot comes (its time moved to now), and beat sends its sweep through the broker, as it
    does every 30 s (CELERY_BEAT_SCHEDULE["responses-schedules-sweep"])."""
    from django.utils import timezone

    from portal.celery import app
    from responses.models import ExportSchedule
    from responses.tasks import BEAT_SCHEDULE

    ExportSchedule.objects.filter(pk=schedule_id).update(next_run_at=timezone.now())
    entry = BEAT_SCHEDULE["responses-schedules-sweep"]
    app.send_task(entry["task"], **entry["options"])


def reload_until(page, condition, seconds: float = 30.0) -> None:
    """The schedule's page shows its runs as they are when it is loaded: load it again until `condition`."""
    for _ in range(int(seconds * 2)):
        page.reload()
        if condition():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"not seen in {seconds} s: {page.get_by_test_id('runs').inner_text()}")


def test_a_scheduled_incremental_export_run_twice_by_the_beat(team, csat, browser_as, shot, celery_worker,
                                                              qualtrics):
    from responses.models import ExportSchedule

    from .conftest import record_responses

    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/responses/{csat['id']}/")
    page.get_by_test_id("new-schedule").click()
    page.get_by_role("textbox", name="Name").fill("Hourly for the CX team")
    page.get_by_label("Runs").select_option("Every hour")
    page.get_by_label("Minute past the hour").fill("5")
    page.get_by_label("Send an e-mail").select_option("Nobody")
    shot(page, "responses-schedule-form")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_test_id("schedule-name")).to_have_text("Hourly for the CX team")
    schedule = ExportSchedule.objects.get()
    assert schedule.incremental and schedule.next_run_at.minute == 5

    recorded = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    beat_tick(schedule.pk)
    reload_until(page, lambda: page.get_by_test_id("run-count").all_inner_texts() == [str(recorded)])
    new = record_responses(team.sandbox, csat["id"], 3)
    beat_tick(schedule.pk)
    reload_until(page, lambda: page.get_by_test_id("run-count").all_inner_texts() == ["3", str(recorded)])
    shot(page, "responses-schedule-runs")
    with page.expect_download() as download:
        page.get_by_test_id("run-download").first.click()
    assert sorted(read_file("csv", Path(download.value.path()).read_bytes())) == sorted(new)


def test_an_operator_follows_an_export_live_and_cancels_it(team, csat, browser_as, shot, celery_worker):
    team.sandbox.configure(job_seconds=120.0)  # Qualtrics takes its time preparing this one
    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/responses/{csat['id']}/")
    page.get_by_test_id("new-export").click()
    page.get_by_role("button", name="Start the export").click()
    expect(page.get_by_test_id("export-stage")).to_contain_text("Qualtrics prepares the file", timeout=30_000)
    expect(page.get_by_role("progressbar")).to_be_visible()
    shot(page, "responses-export-progress")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("cancel-export").click()
    expect(page.get_by_test_id("export-cancelled")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("export-status")).to_have_text("Cancelled")
    assert team.sandbox.calls("GET", "/file") == []


def test_a_viewer_sees_the_surveys_responses_per_day(team, csat, browser_as, shot, celery_worker):
    page = browser_as(team.viewer)
    page.goto(f"/c/{team.connection.pk}/responses/{csat['id']}/")
    card = page.get_by_test_id("daily-responses")
    card.get_by_test_id("count-responses").click()
    expect(card.locator("figcaption")).to_contain_text("Responses recorded each day, the last 30 days",
                                                       timeout=30_000)
    card.get_by_text("The figures").click()
    expect(card.locator("tbody tr")).to_have_count(30)
    shot(page, "responses-per-day")
    card.get_by_test_id("count-responses").click()
    expect(card.locator("figcaption")).to_contain_text("Responses recorded each day", timeout=30_000)
