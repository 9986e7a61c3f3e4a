"""An export before and around its run: what Qualtrics is asked for, creating it, cancelling it."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from connections.audit import audit_record
from qualtrics.resources.responses import NOT_FOR_JSON

from ..models import ResponseExport

logger = logging.getLogger(__name__)

# Qualtrics' names of the metadata fields an export may be limited to (surveyMetadataIds).
METADATA_FIELDS = (
    ("startDate", "Start date"), ("endDate", "End date"), ("status", "Response type"), ("ipAddress", "IP address"),
    ("progress", "Progress"), ("duration", "Duration"), ("finished", "Finished"), ("recordedDate", "Recorded date"),
    ("_recordId", "Response ID"), ("recipientLastName", "Recipient last name"),
    ("recipientFirstName", "Recipient first name"), ("recipientEmail", "Recipient e-mail"),
    ("externalDataReference", "External reference"), ("locationLatitude", "Latitude"),
    ("locationLongitude", "Longitude"), ("distributionChannel", "Distribution channel"),
    ("userLanguage", "Language"),
)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_body(*, fmt: str, use_labels: bool = False, starts: datetime.datetime | None = None,
                ends: datetime.datetime | None = None, in_progress: bool = False, filter_id: str = "",
                question_ids: list[str] | None = None, metadata_ids: list[str] | None = None,
                embedded_ids: list[str] | None = None, limit: int | None = None, breakout_sets: bool = True,
                newline_replacement: str = "", time_zone: str = "") -> dict[str, Any]:
    """The options of `POST /surveys/{id}/export-responses` (besides `format`) for what a person chose.

    The window's ends are moments (the form reads them in the person's zone); Qualtrics gets them in UTC. The
    file's dates are written in `time_zone`. JSON and NDJSON files hold the API's own shape: the options
    Qualtrics refuses for them are left out.
    """
    body: dict[str, Any] = {"compress": True}
    if starts is not None:
        body["startDate"] = _utc(starts)
    if ends is not None:
        body["endDate"] = _utc(ends)
    if in_progress:
        body["exportResponsesInProgress"] = True
    if filter_id:
        body["filterId"] = filter_id
    if question_ids is not None:
        body["questionIds"] = list(question_ids)
    if metadata_ids is not None:
        body["surveyMetadataIds"] = list(metadata_ids)
    if embedded_ids is not None:
        body["embeddedDataIds"] = list(embedded_ids)
    if limit is not None:
        body["limit"] = limit
    body["useLabels"] = bool(use_labels)
    body["breakoutSets"] = bool(breakout_sets)
    if newline_replacement:
        body["newlineReplacement"] = newline_replacement
    if time_zone:
        body["timeZone"] = time_zone
    if fmt in ("json", "ndjson"):
        body = {key: value for key, value in body.items() if key not in NOT_FOR_JSON}
    return body


def enqueue_export_step(export_id: int, countdown: float = 0) -> None:
    """Send the export's task once the row is committed (the task must find it)."""
    from ..tasks import response_export_run_task

    def send():
        try:
            response_export_run_task.apply_async((export_id,), countdown=countdown)
        except Exception:  # the broker is down: the reaper enqueues it again
            logger.exception("could not enqueue export %s; the reaper will", export_id)

    transaction.on_commit(send)


def response_export_create(*, connection, actor, survey_id: str, survey_name: str, fmt: str,
                           options: dict[str, Any]) -> ResponseExport:
    """Queue an export of a survey's responses; a worker runs it."""
    with transaction.atomic():
        export = ResponseExport.objects.create(
            connection=connection, created_by=actor if getattr(actor, "pk", None) else None, survey_id=survey_id,
            survey_name=survey_name[:300], format=fmt, options=options, next_run_at=timezone.now(),
        )
        audit_record(actor=actor, connection=connection, action="responses.export.create",
                     target=f"{survey_name} ({survey_id})", detail=f"{fmt} export #{export.pk}")
        enqueue_export_step(export.pk)
    return export


def response_export_cancel(*, export: ResponseExport, actor) -> str:
    """Stop an export: at once when no worker holds it, else the worker stops at its next step (Qualtrics'
    own job cannot be stopped; nothing more is asked of it). Returns the export's new status."""
    Status = ResponseExport.Status
    now = timezone.now()
    with transaction.atomic():
        done = ResponseExport.objects.filter(pk=export.pk, status__in=[Status.QUEUED, Status.RUNNING],
                                             lease_token="").update(
            status=Status.CANCELLED, cancel_requested_at=now, finished_at=now, error="Cancelled.")
        if not done:
            ResponseExport.objects.filter(pk=export.pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
                status=Status.CANCELLING, cancel_requested_at=now)
        export.refresh_from_db()
        if export.status in (Status.CANCELLED, Status.CANCELLING):
            audit_record(actor=actor, connection=export.connection, action="responses.export.cancel",
                         target=f"{export.survey_name} ({export.survey_id})", detail=f"export #{export.pk}")
    return export.status
