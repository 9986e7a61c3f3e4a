"""Running an export in Celery: start the Qualtrics job, follow it with a growing wait, stream its file into
storage. Safe with several workers and with workers that die.

A step leases the export row (a conditional UPDATE) and renews the lease while it works; what the job has
reached is saved on the row as it goes (the progress ID, then the file ID), so a worker that takes over
after a death continues from there: a started job is not started again and a file is stored once, by the
holder of the lease at the end (a file stored by a worker that lost its lease is deleted again).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections.qualtrics_client import connection_client
from qualtrics import (
    ConnectionFailedError,
    InvalidResponseError,
    QualtricsError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)
from web.errors import error_text
from web.leases import Lease

from .. import exportfiles
from ..models import EXTENSIONS, ExportSchedule, ResponseExport

logger = logging.getLogger(__name__)

# Reads are asked again at once after a fault; nothing waits inside the client for the rate budget (a used-up
# budget ends the step, and the next one comes when there is room).
EXPORT_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=2.0, max_total_wait=5.0, wait_for_budget=False)
TRANSIENT = (ServerError, ConnectionFailedError, InvalidResponseError)
# Starting an export of a large survey may take longer than an ordinary call (the sandbox builds the whole file in
# that call); a start that timed out is started again, as another Qualtrics job, so it is given more time.
START_TIMEOUT = (5.0, 120.0)


@dataclass(frozen=True)
class ExportTuning:
    lease_seconds: float = 90.0
    step_seconds: float = 40.0
    first_wait: float = 1.0  # the first look at the job, after starting it
    wait_factor: float = 1.6  # each look waits this much longer than the one before
    max_wait: float = 15.0
    max_failures: int = 5  # transient failures in a row before the export is given up
    renew_every_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> ExportTuning:
        return cls(lease_seconds=float(settings.RESPONSES_EXPORT_LEASE_SECONDS),
                   step_seconds=float(settings.RESPONSES_EXPORT_STEP_SECONDS))

    def wait_before_poll(self, polls: int, *, percent: float = 0.0, elapsed: float = 0.0) -> float:
        """1 s, 1.6 s, 2.6 s, 4.1 s, 6.6 s, 10.5 s, then 15 s: a job Qualtrics prepares in 10 s is looked at
        five times, a long one about four times a minute. When Qualtrics' percentage says the job is nearly done,
        the next look comes when it should be (the time taken so far, scaled), not a whole step later."""
        wait = min(self.max_wait, self.first_wait * self.wait_factor ** polls)
        if 0 < percent < 100 and elapsed > 0:
            remaining = elapsed * (100 - percent) / percent
            wait = min(wait, max(self.first_wait, remaining * 1.1 + 0.2))
        return wait


class _Fatal(Exception):
    """Ends the export as failed, with this text."""

    def __init__(self, text: str, request_id: str = ""):
        super().__init__(text)
        self.request_id = request_id


class _Lost(Exception):
    """Another worker took the export over (this one was taken for dead): stop without a trace."""


class _Later(Exception):
    """Nothing more to do in this step; the next one runs after `countdown` seconds."""

    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


def response_export_run(*, export_id: int, tuning: ExportTuning | None = None,
                        sleep: Callable[[float], None] = time.sleep) -> float | None:
    """Work on an export for one step (at most `step_seconds`). Returns None when there is nothing more to do
    here (finished, or another worker holds it), else the seconds after which the next step should run."""
    tuning = tuning or ExportTuning.from_settings()
    now = timezone.now()
    lease = Lease.take(ResponseExport.objects.filter(status__in=ResponseExport.ACTIVE), export_id,
                       seconds=tuning.lease_seconds, heartbeat_at=now, workers=F("workers") + 1)
    if lease is None:
        return None
    lease.mine.filter(status=ResponseExport.Status.QUEUED).update(status=ResponseExport.Status.RUNNING,
                                                                  started_at=now)
    export = ResponseExport.objects.select_related("connection", "created_by", "schedule").get(pk=export_id)
    runner = _ExportRunner(export, lease, tuning, sleep)
    countdown = None
    try:
        countdown = runner.run()
    except _Later as later:
        countdown = later.countdown
    except _Lost:
        countdown = None
    except _Fatal as fatal:
        runner.finish(ResponseExport.Status.FAILED, error=str(fatal), request_id=fatal.request_id)
    except Exception as exc:  # a fault of the portal's own: say so on the export rather than leave it running
        logger.exception("export %s failed", export_id)
        runner.finish(ResponseExport.Status.FAILED,
                      error=f"The portal could not finish the export ({type(exc).__name__}).")
    finally:
        lease.release(next_run_in=countdown)
    return countdown


class _ExportRunner:
    def __init__(self, export: ResponseExport, lease: Lease, tuning: ExportTuning, sleep):
        self.export = export
        self.lease = lease
        self.tuning = tuning
        self.sleep = sleep
        self.calls = 0

    @cached_property
    def client(self):
        return connection_client(self.export.connection, actor=self.export.created_by, retry=EXPORT_RETRY,
                                 hooks=[self._count_call])

    def _count_call(self, record) -> None:
        self.calls += 1

    def save(self, **changes) -> None:
        """Save what the job reached (and the calls it took), if this worker still holds the export."""
        changes.setdefault("api_calls", F("api_calls") + self.calls)
        self.calls = 0
        if not self.lease.mine.update(**changes):
            raise _Lost from None  # taken over: the new holder carries on
        for name, value in changes.items():
            if not hasattr(value, "resolve_expression"):
                setattr(self.export, name, value)

    def renew(self) -> bool:
        return self.lease.renew(heartbeat_at=timezone.now())

    # The loop ----------------------------------------------------------------------------------------

    def run(self) -> float | None:
        deadline = time.monotonic() + self.tuning.step_seconds
        Stage = ResponseExport.Stage
        while True:
            if not self.renew():
                return None
            status = ResponseExport.objects.values_list("status", flat=True).get(pk=self.export.pk)
            if status == ResponseExport.Status.CANCELLING:
                self.finish(ResponseExport.Status.CANCELLED, error="Cancelled.")
                return None
            try:
                if self.export.stage == Stage.START:
                    self.start()
                    wait = self.tuning.wait_before_poll(0)
                elif self.export.stage == Stage.PREPARE:
                    wait = self.poll()
                else:
                    self.download()
                    return None
            except RateLimitedError as exc:
                self.save()
                raise _Later(max(float(exc.retry_after or 5.0), 0.5)) from None
            except TRANSIENT as exc:
                failures = self.export.failures + 1
                if failures >= self.tuning.max_failures:
                    raise _Fatal(f"Gave up after {failures} failures in a row. {error_text(exc)}",
                                 exc.request_id or "") from None
                self.save(failures=failures, error=f"Retrying: {error_text(exc)}")
                raise _Later(min(60.0, 2.0 ** failures)) from None
            except QualtricsError as exc:
                raise _Fatal(error_text(exc), exc.request_id or "") from None
            if self.export.failures:
                self.save(failures=0, error="")
            if wait is not None:
                if time.monotonic() + wait >= deadline:
                    return wait
                self.sleep(wait)

    # Each stage ----------------------------------------------------------------------------------------

    def start(self) -> None:
        body = dict(self.export.options)
        if self.export.incremental:
            if self.export.continuation_token_sent:
                body["continuationToken"] = self.export.continuation_token_sent
            else:
                body["allowContinuation"] = True
        result = self.client.response_exports.start(self.export.survey_id, format=self.export.format, options=body,
                                                    timeout=START_TIMEOUT)
        progress_id = str(result.get("progressId") or "")
        if not progress_id:
            raise _Fatal("Qualtrics started the export without giving its progress ID.")
        self.save(progress_id=progress_id, stage=ResponseExport.Stage.PREPARE,
                  percent=int(float(result.get("percentComplete") or 0)))

    def poll(self) -> float | None:
        result = self.client.response_exports.progress(self.export.survey_id, self.export.progress_id)
        status = str(result.get("status") or "")
        percent = int(float(result.get("percentComplete") or 0))
        polls = self.export.polls + 1
        if status == "failed":
            self.save(polls=polls)
            raise _Fatal("Qualtrics could not prepare the export file (it reported the export as failed). "
                         "Try again; if it fails again, try fewer responses or another format.")
        if status == "complete":
            file_id = str(result.get("fileId") or "")
            if not file_id:
                raise _Fatal("Qualtrics finished the export without giving its file ID.")
            self.save(polls=polls, percent=100, file_id=file_id, stage=ResponseExport.Stage.DOWNLOAD,
                      continuation_token=str(result.get("continuationToken") or ""))
            return None
        self.save(polls=polls, percent=min(percent, 99))
        return self.tuning.wait_before_poll(polls, percent=percent, elapsed=self.elapsed())

    def elapsed(self) -> float:
        started = self.export.started_at or self.export.created_at
        return max(0.0, (timezone.now() - started).total_seconds()) if started else 0.0

    def download(self) -> None:
        export = self.export
        renewed_at = [0]

        def keep_lease(written: int) -> None:
            if written - renewed_at[0] >= self.tuning.renew_every_bytes:
                renewed_at[0] = written
                if not self.renew():
                    raise _Lost

        with self.client.response_exports.download(export.survey_id, export.file_id) as chunks:
            spooled = exportfiles.spool(chunks, keep_lease)
        self.calls += 1
        try:
            inner, _inner_name = exportfiles.unpacked(spooled)
            counter = exportfiles.ResponseCounter(export.format)
            reader = exportfiles.CountingReader(inner, counter)
            name = export_file_name(export)
            stored = default_storage.save(export.file.field.generate_filename(export, name), File(reader, name=name))
        finally:
            spooled.close()
        with transaction.atomic():
            done = self.lease.mine.filter(status__in=ResponseExport.ACTIVE).update(
                file=stored, file_name=name, size=reader.size, response_count=counter.count,
                stage=ResponseExport.Stage.DONE, status=ResponseExport.Status.COMPLETED, finished_at=timezone.now(),
                api_calls=F("api_calls") + self.calls, error="", error_request_id="",
                lease_token="", lease_expires_at=None)
            if done and export.schedule_id and export.incremental and export.continuation_token:
                ExportSchedule.objects.filter(pk=export.schedule_id).update(
                    continuation_token=export.continuation_token)
        if not done:
            default_storage.delete(stored)  # cancelled or taken over meanwhile: this copy is not the export's
            return
        logger.info("export %s: %s responses, %s bytes", export.pk, counter.count, reader.size)
        _after_run(export.pk)

    def finish(self, status: str, *, error: str = "", request_id: str = "") -> None:
        updated = self.lease.mine.update(status=status, error=error[:4000], error_request_id=request_id[:64],
                                         finished_at=timezone.now(), api_calls=F("api_calls") + self.calls,
                                         lease_token="", lease_expires_at=None)
        if updated:
            _after_run(self.export.pk)


def _after_run(export_id: int) -> None:
    """What a schedule's run does once it has ended: tell who asked to be told."""
    from .schedules import export_schedule_run_ended

    transaction.on_commit(lambda: export_schedule_run_ended(export_id=export_id))


def export_file_name(export: ResponseExport) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", export.survey_name or export.survey_id).strip("-.")[:80] or "responses"
    return f"{base}-{export.pk}.{EXTENSIONS[export.format]}"
