"""Scheduled exports: when each slot falls, making a slot's run exactly once, and telling people how it went.

A slot's run is an export row with the schedule and the slot, unique together: however many beat schedulers
sweep at once, one of them creates it and the others meet the constraint. The schedule's next slot moves on
in the same transaction. A schedule with a run still going waits for it (an incremental run must start where
the previous one ended); a run that fails leaves the continuation token where it was, so the next run covers
what the failed one would have.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from connections.audit import audit_record

from ..models import ExportSchedule, ResponseExport
from .exports import enqueue_export_step

logger = logging.getLogger(__name__)
SWEEP_BATCH = 200


def next_slot(schedule: ExportSchedule, *, after: datetime.datetime) -> datetime.datetime:
    """The first slot of `schedule` strictly after `after`, computed in the schedule's time zone (so a daily run
    at 07:00 stays at 07:00 local across daylight-saving changes)."""
    zone = zoneinfo.ZoneInfo(schedule.time_zone or "UTC")
    local = after.astimezone(zone)
    F = ExportSchedule.Frequency
    if schedule.frequency == F.HOURLY:
        candidate = local.replace(minute=schedule.minute, second=0, microsecond=0)
        step = datetime.timedelta(hours=1)
    else:
        at = schedule.time_of_day or datetime.time(0, 0)
        candidate = datetime.datetime.combine(local.date(), at, tzinfo=zone)
        step = datetime.timedelta(days=1)
        if schedule.frequency == F.WEEKLY:
            candidate += datetime.timedelta(days=((schedule.weekday or 0) - local.weekday()) % 7)
            step = datetime.timedelta(days=7)
    while candidate.astimezone(datetime.UTC) <= after:
        if schedule.frequency == F.HOURLY:
            candidate = (candidate.astimezone(datetime.UTC) + step).astimezone(zone)
        else:
            naive = candidate.replace(tzinfo=None) + step
            candidate = naive.replace(tzinfo=zone)
    return candidate.astimezone(datetime.UTC)


def export_options(schedule: ExportSchedule) -> dict:
    """The body Qualtrics receives at each run (what starts with "_" is the portal's own note)."""
    return {key: value for key, value in schedule.options.items() if not key.startswith("_")}


def export_schedule_save(*, schedule: ExportSchedule, actor, created: bool) -> ExportSchedule:
    """Save a schedule (made or changed by a person) with its next slot from now."""
    schedule.next_run_at = next_slot(schedule, after=timezone.now()) if schedule.enabled else None
    if created:
        schedule.created_by = actor
    schedule.full_clean()
    schedule.save()
    audit_record(actor=actor, connection=schedule.connection,
                 action="responses.schedule.create" if created else "responses.schedule.update",
                 target=f"{schedule.name} ({schedule.survey_id})")
    return schedule


def export_schedule_delete(*, schedule: ExportSchedule, actor) -> None:
    audit_record(actor=actor, connection=schedule.connection, action="responses.schedule.delete",
                 target=f"{schedule.name} ({schedule.survey_id})")
    schedule.delete()


def export_schedules_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Make the run of every due slot (once), move each schedule to its next slot, queue the runs. Returns the
    ids of the exports made."""
    now = now or timezone.now()
    made: list[int] = []
    due = ExportSchedule.objects.filter(enabled=True, next_run_at__lte=now, connection__enabled=True)
    for schedule in due.select_related("connection").order_by("next_run_at", "pk")[:SWEEP_BATCH]:
        slot = schedule.next_run_at
        try:
            with transaction.atomic():
                # The schedule row is locked and read again: the previous run may have ended since the query
                # above, leaving a newer continuation token (it ends and moves the token in one transaction,
                # which waits for this lock). An incremental run must start from the newest one.
                token = (ExportSchedule.objects.select_for_update().filter(pk=schedule.pk, next_run_at=slot)
                         .values_list("continuation_token", flat=True).first())
                if token is None:
                    continue  # another sweep has this slot
                if ResponseExport.objects.filter(schedule=schedule, status__in=ResponseExport.ACTIVE).exists():
                    continue  # the previous run still goes: this slot's run waits for it
                ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=next_slot(schedule, after=now))
                export = ResponseExport.objects.create(
                    connection=schedule.connection, created_by=schedule.created_by, survey_id=schedule.survey_id,
                    survey_name=schedule.survey_name, schedule=schedule, slot=slot, format=schedule.format,
                    options=export_options(schedule), incremental=schedule.incremental,
                    continuation_token_sent=token if schedule.incremental else "",
                    next_run_at=now,
                )
                enqueue_export_step(export.pk)
        except IntegrityError:
            continue  # the slot's run exists already: made by another sweep
        made.append(export.pk)
    if made:
        logger.info("schedules: %d run(s) started", len(made))
    return made


def export_schedule_run_ended(*, export_id: int) -> bool:
    """E-mail a schedule's recipients that its run ended, if they asked for this outcome. Returns whether a
    message went out."""
    export = ResponseExport.objects.select_related("schedule", "connection").filter(pk=export_id).first()
    if export is None or export.schedule is None or export.status == ResponseExport.Status.CANCELLED:
        return False
    schedule = export.schedule
    ok = export.status == ResponseExport.Status.COMPLETED
    wanted = {ExportSchedule.Notify.BOTH, ExportSchedule.Notify.SUCCESS if ok else ExportSchedule.Notify.FAILURE}
    if schedule.notify_on not in wanted or not schedule.recipients:
        return False
    base = settings.PORTAL_BASE_URL.rstrip("/")
    context = {"export": export, "schedule": schedule, "ok": ok, "connection": export.connection,
               "export_url": base + export.get_absolute_url(), "schedule_url": base + schedule.get_absolute_url(),
               "retention_days": settings.RESPONSES_EXPORT_RETENTION_DAYS}
    try:
        send_mail(subject=" ".join(render_to_string("emails/response-export-run-subject.txt", context).split()),
                  message=render_to_string("emails/response-export-run-body.txt", context),
                  from_email=None, recipient_list=schedule.recipients)
    except Exception:
        logger.exception("schedule %s: could not e-mail the outcome of run %s", schedule.pk, export.pk)
        return False
    return True
