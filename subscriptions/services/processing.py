"""Processing a received event: read the whole response from Qualtrics (for response topics), keep what the
feed shows, and create one delivery per destination of its subscription.

An event is claimed (`received` → `processing`) with a conditional UPDATE, so two workers never process it
both; deliveries are unique per event and destination, so processing twice would add none twice.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connections.qualtrics_client import connection_client
from qualtrics import QualtricsError, RetryPolicy
from web.errors import error_text

from ..models import RESPONSE_TOPICS, Delivery, DestinationKind, EmailMode, Event, EventState

logger = logging.getLogger(__name__)

# Waits for the shared budget happen by rescheduling, never inside a worker.
READ_RETRY = RetryPolicy(max_attempts=2, max_total_wait=5.0, wait_for_budget=False)
MAX_ATTEMPTS = 8


def next_hour(now: datetime.datetime) -> datetime.datetime:
    return now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)


def summarize(response: dict | None, fields: list[str], questions: dict[str, str] | None = None) -> dict:
    """The chosen answers (label when Qualtrics gives one, else the value), each with its question's text when
    known (`questions`), and a few facts of the response."""
    if not response:
        return {}
    values = response.get("values") or {}
    labels = response.get("labels") or {}
    answers = []
    for name in fields:
        shown = labels.get(name, values.get(name))
        if isinstance(shown, list):
            shown = ", ".join(str(item) for item in shown)
        elif isinstance(shown, dict):
            shown = json.dumps(shown, ensure_ascii=False)
        answers.append({"field": name, "question": (questions or {}).get(name, ""),
                        "value": "" if shown is None else str(shown)[:300]})
    return {
        "finished": None if values.get("finished") is None else bool(values.get("finished")),
        "progress": values.get("progress"),
        "recordedDate": values.get("recordedDate") or values.get("endDate") or "",
        "answers": answers,
    }


def event_process(*, event_id: int) -> float | None:
    """Process one event if it is due and unclaimed. Returns seconds until it should be tried again, or None."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = Event.objects.filter(pk=event_id, state=EventState.RECEIVED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).update(state=EventState.PROCESSING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    event = Event.objects.select_related("subscription", "connection").get(pk=event_id)
    mine = Event.objects.filter(pk=event_id, state=EventState.PROCESSING, claim_token=token)
    subscription = event.subscription
    response, error, state = None, "", EventState.PROCESSED
    if subscription.kind in RESPONSE_TOPICS and event.response_id and event.survey_id:
        try:
            client = connection_client(event.connection, retry=READ_RETRY, audit=False)
            response = client.responses.get(event.survey_id, event.response_id)
        except QualtricsError as exc:
            if exc.is_transient and event.attempts < MAX_ATTEMPTS:
                delay = max(float(exc.retry_after or 0), min(5.0 * 2 ** event.attempts, 600.0))
                mine.update(state=EventState.RECEIVED, claim_token="", error=error_text(exc)[:1000],
                            next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
                            enqueued_at=timezone.now() if delay <= 30 else None)  # longer: the sweep's
                return delay
            # Forwarded all the same, without the response: the event itself still happened.
            error, state = error_text(exc)[:1000], EventState.FAILED
    with transaction.atomic():
        if not mine.update(state=state, claim_token="", summary=summarize(response, subscription.chosen_fields,
                                                                      subscription.answer_labels),
                           response=response, error=error, processed_at=timezone.now()):
            return None  # the sweep took it back meanwhile; whoever holds it now finishes it
        plan_deliveries(event)
    return None


def plan_deliveries(event: Event) -> None:
    """One delivery per destination (none twice); each e-mailed at once or in the next hourly digest."""
    from .forwarding import enqueue_delivery

    now = timezone.now()
    rows = []
    for destination in event.subscription.destinations.all():
        digest = destination.kind == DestinationKind.EMAIL and destination.email_mode == EmailMode.DIGEST
        rows.append(Delivery(event=event, destination=destination, next_attempt_at=next_hour(now) if digest else now,
                             enqueued_at=None if digest else now))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    for delivery in Delivery.objects.filter(event=event, state="pending", next_attempt_at__lte=now):
        enqueue_delivery(delivery.pk)


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.SUBSCRIPTIONS_STALE_CLAIM_SECONDS))


def enqueue_processing_now(event_id: int) -> None:
    """Publish the processing task at once (outside any transaction: the sweep's)."""
    from ..tasks import event_process_task

    try:
        event_process_task.apply_async((event_id,))
    except Exception:
        logger.exception("could not enqueue event %s", event_id)
