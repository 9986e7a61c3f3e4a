"""Exports run against the sandbox: every format, the options Qualtrics receives, failures explained, cancel,
the retention sweep and the reaper."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zoneinfo

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from django.utils import timezone

from responses import services
from responses.models import ResponseExport

from .conftest import run_export


def make_export(team, csat, fmt="csv", **options):
    body = services.export_body(fmt=fmt, **options)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.response_export_create(connection=team.connection, actor=team.operator,
                                               survey_id=csat["id"], survey_name=csat["name"], fmt=fmt, options=body)


def stored_text(export) -> str:
    with default_storage.open(export.file.name, "rb") as handle:
        return handle.read().decode("utf-8-sig")


def test_a_csv_export_is_started_followed_and_stored_with_its_count(team, csat, qualtrics, enqueued):
    export = make_export(team, csat, "csv")
    assert enqueued == [("responses.tasks.response_export_run_task", (export.pk,), 0)]
    export = run_export(export.pk, team.sandbox)
    assert export.status == "completed", export.error
    rows = list(csv.reader(io.StringIO(stored_text(export))))
    recorded = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    assert export.response_count == len(rows) - 3 == recorded
    assert export.size == default_storage.size(export.file.name)
    assert export.file.name.startswith(f"response-exports/{team.connection.pk}/{csat['id']}/")
    assert export.file_name.endswith(".csv")
    starts = team.sandbox.calls("POST", "export-responses")
    assert len(starts) == 1
    assert export.api_calls == len(team.sandbox.calls(path_contains="export-responses"))


@pytest.mark.parametrize("fmt", ["tsv", "json", "ndjson", "xml", "spss"])
def test_every_format_is_stored_as_qualtrics_wrote_it(team, csat, qualtrics, fmt):
    recorded = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    export = run_export(make_export(team, csat, fmt, use_labels=True, newline_replacement=" ").pk, team.sandbox)
    assert export.status == "completed", export.error
    assert export.response_count == recorded
    with default_storage.open(export.file.name, "rb") as handle:
        data = handle.read()
    if fmt == "json":
        assert len(json.loads(data)["responses"]) == recorded
    elif fmt == "ndjson":
        assert len([json.loads(line) for line in data.splitlines() if line.strip()]) == recorded
    elif fmt == "tsv":
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter="\t"))) == recorded + 3
    elif fmt == "xml":
        from xml.etree import ElementTree

        assert len(ElementTree.fromstring(data).findall("Response")) == recorded
    else:
        assert data.startswith(b"$FL2")


def test_the_options_reach_qualtrics_as_its_names_and_the_window_in_utc(team, csat, settings):
    zone = zoneinfo.ZoneInfo("Europe/Paris")
    starts = datetime.datetime(2020, 1, 1, 9, 0, tzinfo=zone)
    ends = datetime.datetime(2030, 1, 1, 9, 0, tzinfo=zone)
    body = services.export_body(fmt="csv", use_labels=True, starts=starts, ends=ends, in_progress=False,
                                metadata_ids=["startDate", "_recordId"], embedded_ids=["Region"], limit=5,
                                breakout_sets=False, newline_replacement=" | ", time_zone="Europe/Paris")
    assert body["startDate"] == "2020-01-01T08:00:00Z" and body["endDate"] == "2030-01-01T08:00:00Z"
    export = run_export(make_export(team, csat, "csv", use_labels=True, starts=starts, ends=ends,
                                    metadata_ids=["startDate", "_recordId"], embedded_ids=["Region"], limit=5,
                                    breakout_sets=False, newline_replacement=" | ",
                                    time_zone="Europe/Paris").pk, team.sandbox)
    assert export.status == "completed", export.error
    sent = team.sandbox.calls("POST", "export-responses")[0]["body"]
    assert sent["limit"] == 5 and sent["surveyMetadataIds"] == ["startDate", "_recordId"]
    assert sent["timeZone"] == "Europe/Paris" and sent["useLabels"] is True and sent["breakoutSets"] is False
    assert export.response_count == 5
    narrow = services.export_body(fmt="csv", starts=datetime.datetime(2024, 5, 22, tzinfo=datetime.UTC),
                                  ends=datetime.datetime(2024, 5, 23, tzinfo=datetime.UTC))
    windowed = run_export(make_export(team, csat, "csv", starts=datetime.datetime(2024, 5, 22, tzinfo=datetime.UTC),
                                      ends=datetime.datetime(2024, 5, 23, tzinfo=datetime.UTC)).pk, team.sandbox)
    dates = [row[0][:10] for row in list(csv.reader(io.StringIO(stored_text(windowed))))[3:]]
    assert narrow["endDate"] == "2024-05-23T00:00:00Z" and dates and set(dates) == {"2024-05-22"}
    header = next(csv.reader(io.StringIO(stored_text(export))))
    assert header[:2] == ["StartDate", "ResponseId"] and header[-1] == "Region"


def test_json_exports_leave_out_what_qualtrics_refuses_for_them():
    body = services.export_body(fmt="ndjson", use_labels=True, breakout_sets=True, newline_replacement=" ",
                                time_zone="UTC", limit=3)
    assert body == {"compress": True, "limit": 3}


def test_a_refused_export_fails_with_qualtrics_words_and_request_id(team, csat):
    export = make_export(team, csat, "csv", filter_id="FILTER_does_not_exist")
    export = run_export(export.pk, team.sandbox)
    assert export.status == "failed"
    assert "Invalid filterId" in export.error and "request id" in export.error
    assert export.error_request_id
    assert not export.file and export.lease_token == ""


def test_an_unknown_survey_fails_the_export_with_not_found(team):
    with TestCase.captureOnCommitCallbacks(execute=True):
        export = services.response_export_create(connection=team.connection, actor=team.operator,
                                                 survey_id="SV_doesNotExist00", survey_name="gone", fmt="csv",
                                                 options={"compress": True})
    export = run_export(export.pk, team.sandbox)
    assert export.status == "failed" and "could not find" in export.error


def test_qualtrics_failing_again_and_again_ends_the_export_as_failed_not_running(team, csat):
    team.sandbox.configure(fail_rate=1.0)
    export = run_export(make_export(team, csat).pk, team.sandbox)
    assert export.status == "failed"
    assert "Gave up after 5 failures" in export.error and "temporary problem" in export.error


def test_a_transient_fault_is_retried_and_the_export_completes(team, csat):
    team.sandbox.configure(fail_rate=0.3)
    export = run_export(make_export(team, csat).pk, team.sandbox)
    team.sandbox.configure(fail_rate=0.0)
    assert export.status == "completed", export.error


def test_cancel_before_a_worker_takes_it_ends_it_at_once(team, csat):
    export = make_export(team, csat)
    assert services.response_export_cancel(export=export, actor=team.operator) == "cancelled"
    assert run_export(export.pk, team.sandbox).status == "cancelled"
    assert team.sandbox.calls("POST", "export-responses") == []


def test_cancel_while_a_worker_holds_it_stops_it_at_its_next_step(team, csat):
    export = make_export(team, csat)
    ResponseExport.objects.filter(pk=export.pk).update(lease_token="x" * 32,
                                                       lease_expires_at=timezone.now() + datetime.timedelta(seconds=1))
    assert services.response_export_cancel(export=export, actor=team.operator) == "cancelling"
    ResponseExport.objects.filter(pk=export.pk).update(lease_token="", lease_expires_at=None)
    export = run_export(export.pk, team.sandbox)
    assert export.status == "cancelled" and not export.file


def test_a_dead_worker_s_export_is_found_by_the_reaper_and_resumed_without_a_second_start(team, csat):
    export = make_export(team, csat)
    tuning = services.ExportTuning(step_seconds=0.0)
    assert services.response_export_run(export_id=export.pk, tuning=tuning, sleep=team.sandbox.advance_clock) \
        is not None
    export.refresh_from_db()
    assert export.stage == "prepare" and export.progress_id
    # The worker dies holding the lease: nobody else may take it until the lease runs out.
    ResponseExport.objects.filter(pk=export.pk).update(lease_token="dead" * 8,
                                                       lease_expires_at=timezone.now() + datetime.timedelta(seconds=60))
    assert services.response_export_run(export_id=export.pk) is None
    assert services.response_export_reap() == []
    ResponseExport.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.response_export_reap() == [export.pk]
    export = run_export(export.pk, team.sandbox)
    assert export.status == "completed" and export.workers == 2  # the first worker, then the one after the reaper
    assert len(team.sandbox.calls("POST", "export-responses")) == 1


def test_the_retention_sweep_deletes_old_files_once(team, csat, settings):
    export = run_export(make_export(team, csat).pk, team.sandbox)
    name = export.file.name
    assert default_storage.exists(name)
    assert services.response_export_purge_files() == 0
    later = timezone.now() + datetime.timedelta(days=settings.RESPONSES_EXPORT_RETENTION_DAYS, hours=1)
    assert services.response_export_purge_files(now=later) == 1
    assert services.response_export_purge_files(now=later) == 0
    export.refresh_from_db()
    assert not default_storage.exists(name) and export.purged_at and not export.has_file



def test_the_wait_between_looks_grows_and_shrinks_when_qualtrics_says_it_is_nearly_done():
    tuning = services.ExportTuning()
    assert [round(tuning.wait_before_poll(n), 1) for n in range(8)] == [1.0, 1.6, 2.6, 4.1, 6.6, 10.5, 15.0, 15.0]
    assert tuning.wait_before_poll(4, percent=93, elapsed=9.3) == pytest.approx(1.0)  # 0.7 s left: look in 1 s
    assert tuning.wait_before_poll(4, percent=50, elapsed=6.0) == pytest.approx(6.6, abs=0.1)  # the step is shorter


def test_a_job_of_two_real_seconds_is_looked_at_twice(team, csat):
    """In real time (the sandbox's clock is the wall clock here): start, two looks, the file."""
    import time

    team.sandbox.configure(job_seconds=2.0)
    export = make_export(team, csat)
    started = time.monotonic()
    assert services.response_export_run(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.status == "completed" and time.monotonic() - started < 3.5
    assert export.api_calls == len(team.sandbox.calls(path_contains="export-responses")) == 4
