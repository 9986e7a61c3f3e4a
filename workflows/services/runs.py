"""Starting, cancelling, retrying and resuming runs of a trigger."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.audit import audit_record
from connections.qualtrics_client import connection_client
from qualtrics import MAX_EVENT_BYTES, RetryPolicy

from .. import payloads
from ..models import RETRYABLE_ITEM_STATES, ItemState, Run, RunItem, RunKind, RunState, Trigger
from .sending import (
    Tuning,
    _audit,
    claim_next,
    enqueue_planner,
    enqueue_senders,
    run_finish_if_done,
    send_item,
    worker_name,
)
from .triggers import connection_username

SEARCH_FIELDS = ("email", "extRef", "firstName", "lastName", "phone", "embeddedData")
SEARCH_COMPARISONS = ("eq", "contains")
# One event typed by a person: a short wait for the rate limit is fine, a second attempt only when the first
# surely never reached Qualtrics (the policy's rule for POST).
SINGLE_RETRY = RetryPolicy(max_attempts=2, max_total_wait=5.0, wait_for_budget=False)


class RunStateError(ValidationError):
    """The run is not in a state that allows this."""


def _snapshot(trigger: Trigger) -> dict:
    """What a run sends: the trigger as it is now (a later edit of the trigger does not change a run)."""
    return {"url": trigger.url, "auth": trigger.auth, "username": connection_username(trigger.connection),
            "payload_template": trigger.payload_template}


def check_payload(payload: str) -> str:
    """A single event's payload: valid JSON of at most 100 KB, else ValidationError on "payload"."""
    if not (payload or "").strip():
        raise ValidationError({"payload": "The event is empty: give a JSON document."})
    size = len(payload.encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        raise ValidationError({"payload": f"The event is {size / 1024:.0f} KB; Qualtrics accepts at most "
                                          f"{MAX_EVENT_BYTES // 1024} KB."})
    try:
        json.loads(payload)
    except ValueError as exc:
        raise ValidationError({"payload": f"The event is not valid JSON: {exc}."}) from None
    return payload


def payload_for_contact(*, trigger: Trigger, contact: dict | None, **context) -> str:
    """The trigger's template filled in for one contact (or with empty fields), pretty-printed to edit."""
    values = payloads.contact_fields(contact or {}, payloads.placeholders(trigger.payload_template), **context)
    return json.dumps(json.loads(payloads.render(trigger.payload_template, values)), indent=2, ensure_ascii=False)


def run_send_one(*, trigger: Trigger, actor, payload: str, contact_id: str = "", label: str = "") -> RunItem:
    """Send one event now (from the trigger's page or a contact's) and return its item, answer recorded.

    It is a run of its own, so it shows in the history. When the rate budget makes it wait, a worker sends it
    shortly and the item says so.
    """
    check_payload(payload)
    with transaction.atomic():
        run = Run.objects.create(trigger=trigger, connection=trigger.connection, kind=RunKind.SINGLE,
                                 state=RunState.SENDING, created_by=actor, source_label=label[:300],
                                 heartbeat_at=timezone.now(), **_snapshot(trigger))
        RunItem.objects.create(run=run, contact_id=contact_id[:40], label=label[:300], payload=payload)
    item = claim_next(run, worker_name())
    if item is None:  # a sweep (or another process) took it the very moment it was written
        return RunItem.objects.get(run=run)
    client = connection_client(trigger.connection, actor=actor, retry=SINGLE_RETRY)
    outcome = send_item(run, item, client)
    if outcome == "wait":
        with transaction.atomic():
            enqueue_senders(run.pk, 1, countdown=1.0)
    elif outcome != "hold":
        run_finish_if_done(run)
    item.refresh_from_db()
    return item


def _start(trigger: Trigger, actor, kind: str, **fields) -> Run:
    with transaction.atomic():
        run = Run.objects.create(trigger=trigger, connection=trigger.connection, kind=kind, state=RunState.PLANNING,
                                 created_by=actor, **_snapshot(trigger), **fields)
        _audit(run, "workflow.run.start", detail=f"{run.get_kind_display()}: {run.source_label}")
        enqueue_planner(run.pk)
    return run


def run_start_list(*, trigger: Trigger, actor, directory_id: str, mailing_list_id: str, mailing_list_name: str = "",
                   skip_opted_out: bool = True) -> Run:
    """Send the trigger's event for every member of a mailing list, as a Celery job."""
    if not directory_id or not mailing_list_id:
        raise ValidationError({"mailing_list_id": "Choose a directory and a mailing list."})
    return _start(trigger, actor, RunKind.LIST, directory_id=directory_id, mailing_list_id=mailing_list_id,
                  source_label=f"Members of {mailing_list_name or mailing_list_id}", skip_opted_out=skip_opted_out)


def run_start_search(*, trigger: Trigger, actor, directory_id: str, field: str, comparison: str, value: str,
                     key: str = "", skip_opted_out: bool = True) -> Run:
    """Send the trigger's event for every contact a directory search finds, as a Celery job."""
    problems = {}
    if not directory_id:
        problems["directory_id"] = "Choose a directory."
    if field not in SEARCH_FIELDS:
        problems["field"] = "Choose a contact field to search."
    if comparison not in SEARCH_COMPARISONS:
        problems["comparison"] = "Choose how to compare."
    if not (value or "").strip():
        problems["value"] = "Give the value to search for."
    if field == "embeddedData" and not (key or "").strip():
        problems["key"] = "Name the embedded data field to search."
    if problems:
        raise ValidationError(problems)
    search = {"field": field, "comparison": comparison, "value": value.strip()}
    what = f"{field}" if field != "embeddedData" else f"embedded data {key.strip()}"
    if field == "embeddedData":
        search["key"] = key.strip()
    verb = "is" if comparison == "eq" else "contains"
    return _start(trigger, actor, RunKind.SEARCH, directory_id=directory_id, search=search,
                  source_label=f"Contacts whose {what} {verb} “{value.strip()}”", skip_opted_out=skip_opted_out)


def run_cancel(*, run: Run, actor) -> int:
    """Stop a run: events not sent yet will not be; those on their way finish. Returns how many were dropped."""
    with transaction.atomic():
        if not Run.objects.filter(pk=run.pk, state__in=(RunState.PLANNING, RunState.SENDING, RunState.HELD)).update(
            state=RunState.CANCELLED, finished_at=timezone.now(), lease_token="", lease_expires_at=None,
            heartbeat_at=None,
        ):
            raise RunStateError("This run has already finished.")
        dropped = RunItem.objects.filter(run=run, state=ItemState.PENDING).update(
            state=ItemState.CANCELLED, claim_token="", error="The run was cancelled before this event was sent."
        )
        _audit_actor(run, actor, "workflow.run.cancel", f"{dropped} event(s) not sent")
    return dropped


def _audit_actor(run: Run, actor, action: str, detail: str) -> None:
    audit_record(actor=actor, connection=run.connection, action=action, target=run.trigger.name, detail=detail)


def run_retry(*, run: Run, actor, item_ids: list[int] | None = None, states=RETRYABLE_ITEM_STATES) -> int:
    """Send failed events (or those that may have arrived) again: all of them in `states`, or the ones named.

    An event that "may have arrived" could reach the workflow twice: the screen asks the person to check the
    workflow's run history first. Returns how many were put back to send.
    """
    with transaction.atomic():
        items = RunItem.objects.filter(run=run, state__in=[s for s in states if s in RETRYABLE_ITEM_STATES])
        if item_ids is not None:
            items = items.filter(pk__in=item_ids)
        count = items.update(state=ItemState.PENDING, claim_token="", next_attempt_at=None, waits=0, unreached=0,
                             error="", status=None, request_id="")
        if not count:
            return 0
        Run.objects.filter(pk=run.pk).filter(~Q(state=RunState.PLANNING)).update(
            state=RunState.SENDING, finished_at=None, held_reason="", heartbeat_at=timezone.now()
        )
        _audit_actor(run, actor, "workflow.run.retry", f"{count} event(s) to send again")
        enqueue_senders(run.pk, min(Tuning.from_settings().senders, count))
    return count


def run_resume(*, run: Run, actor) -> None:
    """Go on with a held run (after its cause was fixed: a rotated token, a corrected workflow)."""
    with transaction.atomic():
        planning = not run.planned_at and run.kind != RunKind.SINGLE
        state = RunState.PLANNING if planning else RunState.SENDING
        if not Run.objects.filter(pk=run.pk, state=RunState.HELD).update(
            state=state, held_reason="", heartbeat_at=None if planning else timezone.now()
        ):
            raise RunStateError("Only a held run can be resumed.")
        RunItem.objects.filter(run=run, state=ItemState.PENDING).update(error="", status=None, request_id="")
        _audit_actor(run, actor, "workflow.run.resume", run.source_label or run.get_kind_display())
        if planning:
            enqueue_planner(run.pk)
        else:
            enqueue_senders(run.pk, Tuning.from_settings().senders)
