"""Importing responses from a CSV or TSV file in Qualtrics' export layout: checked on upload, then run in Celery
as Qualtrics' import job (started once: the job's Idempotency-Key makes a repeated start the same job), followed
until Qualtrics says it is complete or failed."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import time
import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.audit import audit_record
from connections.qualtrics_client import connection_client
from qualtrics import QualtricsError, RateLimitedError, RetryPolicy
from web.errors import ExplainableError, error_text
from web.leases import Lease

from ..models import ResponseImport

logger = logging.getLogger(__name__)
MAX_BYTES = 5 * 1024 * 1024
LEASE_SECONDS = 90.0
STEP_SECONDS = 40.0
IMPORT_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=2.0, max_total_wait=5.0, wait_for_budget=False)
TRANSIENT_LIMIT = 5


class UnreadableFile(ExplainableError):
    title = "This file cannot be imported"
    hint = "Export the responses from Qualtrics (CSV or TSV) and upload that file, or one in the same layout."


def read_upload(data: bytes, name: str) -> tuple[str, int]:
    """(format, responses in the file) of an uploaded file, or UnreadableFile saying what is wrong with it."""
    if not data.strip():
        raise UnreadableFile("The file is empty.")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB, the most Qualtrics accepts "
                             "in one import. Split it.")
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile("The file is not UTF-8 text (save it as “CSV UTF-8”).") from None
    if "\0" in text:
        raise UnreadableFile("The file holds binary data, not text.")
    fmt = "tsv" if name.lower().endswith(".tsv") or text.split("\n", 1)[0].count("\t") > text.split(
        "\n", 1)[0].count(",") else "csv"
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",", strict=True)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise UnreadableFile(f"The file is not valid {fmt.upper()}: {exc}.") from None
    if not rows or len(rows[0]) < 2:
        raise UnreadableFile("The first row must name the columns (StartDate, ResponseId, Q1, …), separated by "
                             + ("tabs." if fmt == "tsv" else "commas."))
    header_rows = 1
    for index, row in enumerate(rows[:3]):
        if row and row[0].strip().startswith('{"ImportId"'):
            header_rows = index + 1
    count = len(rows) - header_rows
    if count < 1:
        raise UnreadableFile("The file names its columns but holds no response.")
    return fmt, count


def response_import_create(*, connection, actor, survey_id: str, survey_name: str, upload) -> ResponseImport:
    data = upload.read()
    fmt, count = read_upload(data, upload.name or "")
    upload.seek(0)
    with transaction.atomic():
        job = ResponseImport(connection=connection, created_by=actor, survey_id=survey_id,
                             survey_name=survey_name[:300], original_name=(upload.name or "responses.csv")[:255],
                             format=fmt, size=len(data), row_count=count, idempotency_key=uuid.uuid4().hex,
                             next_run_at=timezone.now())
        job.file.save(f"{uuid.uuid4().hex}.{fmt}", upload, save=False)
        job.save()
        audit_record(actor=actor, connection=connection, action="responses.import.create",
                     target=f"{survey_name} ({survey_id})", detail=f"{job.original_name}: {count} responses")
        enqueue_import_step(job.pk)
    return job


def enqueue_import_step(import_id: int, countdown: float = 0) -> None:
    from ..tasks import response_import_run_task

    def send():
        try:
            response_import_run_task.apply_async((import_id,), countdown=countdown)
        except Exception:
            logger.exception("could not enqueue response import %s; the reaper will", import_id)

    transaction.on_commit(send)


def response_import_run(*, import_id: int, sleep: Callable[[float], None] = time.sleep,
                        step_seconds: float = STEP_SECONDS) -> float | None:
    """One step of an import (lease, start once, follow). None when done or held elsewhere, else the countdown."""
    lease = Lease.take(ResponseImport.objects.filter(status__in=ResponseImport.ACTIVE), import_id,
                       seconds=LEASE_SECONDS)
    if lease is None:
        return None
    job = ResponseImport.objects.select_related("connection", "created_by").get(pk=import_id)
    mine = lease.mine
    client = connection_client(job.connection, actor=job.created_by, retry=IMPORT_RETRY)
    deadline = time.monotonic() + step_seconds
    countdown: float | None = None
    wait = 1.0
    try:
        if job.survey_count_before is None:
            counts = client.surveys.get(job.survey_id).get("responseCounts") or {}
            job.survey_count_before = int(counts.get("auditable") or 0)
            mine.update(survey_count_before=job.survey_count_before, status=ResponseImport.Status.RUNNING)
        if not job.progress_id:
            with job.file.open("rb") as handle:
                content = handle.read()
            result = client.responses.import_file(job.survey_id, content=content, format=job.format,
                                                  idempotency_key=job.idempotency_key)
            job.progress_id = str(result.get("progressId") or "")
            mine.update(progress_id=job.progress_id, percent=int(float(result.get("percentComplete") or 0)))
        while True:
            result = client.responses.import_progress(job.survey_id, job.progress_id)
            status = result.get("status")
            percent = int(float(result.get("percentComplete") or 0))
            if status == "complete":
                counts = client.surveys.get(job.survey_id).get("responseCounts") or {}
                after = int(counts.get("auditable") or 0)
                mine.update(status=ResponseImport.Status.COMPLETED, percent=100, finished_at=timezone.now(),
                            imported=max(0, after - (job.survey_count_before or 0)))
                return None
            if status == "failed":
                mine.update(status=ResponseImport.Status.FAILED, finished_at=timezone.now(),
                            error="Qualtrics refused the file: no response was imported. Check that its columns "
                                  "are those of an export of this survey.")
                return None
            mine.update(percent=min(percent, 99))
            if time.monotonic() + wait >= deadline:
                countdown = wait
                return countdown
            sleep(wait)
            wait = min(wait * 1.6, 10.0)
    except RateLimitedError as exc:
        countdown = max(float(exc.retry_after or 5.0), 0.5)
        return countdown
    except QualtricsError as exc:
        mine.update(status=ResponseImport.Status.FAILED, finished_at=timezone.now(), error=error_text(exc))
        return None
    finally:
        lease.release(next_run_in=countdown)


def response_import_reap(*, grace_seconds: float = 60.0) -> list[int]:
    now = timezone.now()
    overdue = now - datetime.timedelta(seconds=grace_seconds)
    return list(ResponseImport.objects.filter(status__in=ResponseImport.ACTIVE).filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, next_run_at__lt=overdue)
    ).values_list("pk", flat=True))
