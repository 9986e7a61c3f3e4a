"""Exports with real workers and two beat-like sweepers on PostgreSQL and Redis: a worker killed with kill -9 in
the middle of a scheduled export; the export finishes once, and the schedule's next run is not doubled."""

from __future__ import annotations

import csv
import datetime
import io
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.files.storage import default_storage
from django.utils import timezone

from responses import services
from responses.models import ExportSchedule, ResponseExport
from tests.distributions.processes import ROOT, Processes, environment

from .conftest import record_responses

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# A beat: the schedules' sweep and the reaper, as CELERY_BEAT_SCHEDULE runs them, every `interval` seconds.
BEAT = """
import sys, time, django
django.setup()
from responses.tasks import export_schedules_sweep_task, response_export_reap_task
stop_at = time.monotonic() + float(sys.argv[1])
while time.monotonic() < stop_at:
    export_schedules_sweep_task()
    response_export_reap_task()
    time.sleep(float(sys.argv[2]))
"""


class Beats(Processes):
    def beat(self, name: str, *, seconds: float = 240, interval: float = 0.3):
        import subprocess

        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-c", BEAT, str(seconds), str(interval)], cwd=ROOT, env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process


@pytest.fixture
def procs(portal_sandbox, tmp_path, settings):
    sandbox, _connection, _owner = portal_sandbox
    settings.MEDIA_ROOT = tmp_path / "media"
    env = environment(sandbox.base_url_template, MEDIA_ROOT=str(settings.MEDIA_ROOT),
                      RESPONSES_EXPORT_LEASE_SECONDS="4")
    processes = Beats(env, tmp_path)
    yield processes
    processes.stop_all()


def wait_for(condition, procs, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not seen in {timeout:.0f} s\n{procs.logs()}")


def ids_in(export) -> list[str]:
    with default_storage.open(export.file.name) as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    return [row[rows[0].index("ResponseId")] for row in rows[3:]]


def test_a_worker_killed_mid_export_the_export_finishes_once_and_the_next_run_is_not_doubled(portal_sandbox, procs):
    sandbox, connection, owner = portal_sandbox
    from connections.qualtrics_client import connection_client

    client = connection_client(connection, audit=False)
    survey = next(s for s in client.surveys.list().iter_all() if s["name"] == "Customer Satisfaction 2025")
    recorded = client.surveys.get(survey["id"])["responseCounts"]["auditable"]
    # Qualtrics holds the first file download back: the worker that asks for it is killed while it waits.
    requests.post(f"{sandbox.root_url}/_sandbox/stall", json={"path_contains": "/file", "method": "GET",
                                                              "seconds": 60, "count": 1}, timeout=10).raise_for_status()
    schedule = services.export_schedule_save(schedule=ExportSchedule(
        connection=connection, survey_id=survey["id"], survey_name=survey["name"], name="Hourly", frequency="hourly",
        minute=0, incremental=True, notify_on="never", options=services.export_body(fmt="csv")),
        actor=owner, created=True)
    ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())

    first_worker = procs.worker("w1", concurrency=2)
    procs.beat("beat1")
    procs.beat("beat2")
    run = wait_for(lambda: ResponseExport.objects.filter(schedule=schedule, stage="download", status="running")
                   .exclude(lease_token="").first(), procs, "the first run downloading its file")
    time.sleep(0.5)  # the worker is inside the held download
    procs.kill(first_worker)
    # Recorded after the first run's export was made in Qualtrics, so they belong to the next run, which may
    # start the moment the first completes.
    new = record_responses(sandbox, survey["id"], 2)
    # The slot comes round again while the first run is unfinished: it must wait for it, not start beside it.
    ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
    procs.worker("w2", concurrency=2)

    run = wait_for(lambda: ResponseExport.objects.filter(pk=run.pk, status="completed").first(), procs,
                   "the killed run finishing on the other worker")
    assert run.workers == 2 and run.response_count == recorded
    second = wait_for(lambda: ResponseExport.objects.filter(schedule=schedule, status="completed")
                      .exclude(pk=run.pk).first(), procs, "the next slot's run")
    time.sleep(3)  # two beats keep sweeping: nothing more may start for this slot
    runs = ResponseExport.objects.filter(schedule=schedule)
    assert runs.count() == 2, list(runs.values("slot", "status"))
    # One export started in Qualtrics per run: the killed run's was not started again. (Counted once both
    # runs ended: the next slot's run may start the moment the killed one completes.)
    assert len(sandbox.calls("POST", "export-responses")) == 2, "an export was started again in Qualtrics"
    assert sorted(ids_in(second)) == sorted(new)
    assert len(ids_in(run)) == recorded
    stored = list(Path(default_storage.path(f"response-exports/{connection.pk}/{survey['id']}")).iterdir())
    assert len(stored) == 2, stored  # one file per run: the killed worker's download left nothing behind
    schedule.refresh_from_db()
    assert schedule.continuation_token == second.continuation_token and schedule.next_run_at > timezone.now() - \
        datetime.timedelta(seconds=5)
