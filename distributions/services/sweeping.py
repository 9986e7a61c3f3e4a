"""The sweep that claims due distributions and the reaper that takes back what dead workers left (steps 1
and 7 in `sending`'s account of how a distribution goes out)."""

from __future__ import annotations

import datetime
import logging

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Distribution, DistributionEvent, EventKind, State
from .compose import _audit, event_add, when_text
from .sending import (
    SWEEP_BATCH,
    _blocked_reason,
    _enqueue,
    _enqueue_many,
    lost_queued_after,
    new_token,
    stale_sending_after,
)

logger = logging.getLogger(__name__)


# --- sweep ------------------------------------------------------------------------------------


def distributions_sweep(*, now: datetime.datetime | None = None, batch_size: int = SWEEP_BATCH) -> list[int]:
    """Hold what cannot go out, resume what can again, claim what is due. Returns the claimed ids."""
    now = now or timezone.now()
    _hold_blocked(now)
    _resume_unblocked(now)
    return _claim_due(now, batch_size)


def _claim_due(now: datetime.datetime, batch_size: int) -> list[int]:
    with transaction.atomic():
        due = Distribution.objects.filter(
            state=State.SCHEDULED,
            send_at__lte=now,
            connection__enabled=True,
            connection__token_rejected_at__isnull=True,
        ).order_by("send_at", "pk")
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return []
        token = new_token()
        Distribution.objects.filter(pk__in=ids, state=State.SCHEDULED).update(
            state=State.QUEUED, claim_token=token, next_attempt_at=now, claimed_at=None, claimed_by="",
            updated_at=now,
        )
        mine = list(
            Distribution.objects.filter(pk__in=ids, state=State.QUEUED, claim_token=token).values_list("pk", flat=True)
        )
        DistributionEvent.objects.bulk_create(
            [DistributionEvent(distribution_id=pk, kind=EventKind.QUEUED, created_at=now,
                               message="Due: queued for sending.") for pk in mine]
        )
        _enqueue_many(mine, token)
    if mine:
        logger.info("sweep claimed %d due distribution(s)", len(mine))
    return mine


def _hold_blocked(now: datetime.datetime) -> None:
    blocked = Distribution.objects.filter(state=State.SCHEDULED, send_at__lte=now).filter(
        Q(connection__enabled=False) | Q(connection__token_rejected_at__isnull=False)
    ).select_related("connection")
    for d in blocked[:SWEEP_BATCH]:
        reason = _blocked_reason(d.connection)
        if Distribution.objects.filter(pk=d.pk, state=State.SCHEDULED).update(
            state=State.HELD, held_reason=reason[:300], updated_at=now
        ):
            event_add(d, EventKind.HELD, reason)
            _audit(d, "distribution.hold", detail=reason)


def _resume_unblocked(now: datetime.datetime) -> None:
    ready = Distribution.objects.filter(
        state=State.HELD, connection__enabled=True, connection__token_rejected_at__isnull=True
    ).select_related("connection")
    for d in ready[:SWEEP_BATCH]:
        if Distribution.objects.filter(pk=d.pk, state=State.HELD).update(
            state=State.SCHEDULED, held_reason="", updated_at=now
        ):
            when = "now" if d.send_at and d.send_at <= now else f"at {when_text(d.send_at)}"
            event_add(d, EventKind.RESUMED, f"The connection works again: it goes out {when}.")
            _audit(d, "distribution.resume")


# --- reaper -----------------------------------------------------------------------------------


def distributions_reap(
    *,
    now: datetime.datetime | None = None,
    stale_after: datetime.timedelta | None = None,
    lost_after: datetime.timedelta | None = None,
) -> dict[str, int]:
    """Take back rows a dead worker left `sending`, and re-enqueue `queued` rows whose message was lost."""
    now = now or timezone.now()
    stale_after = stale_after if stale_after is not None else stale_sending_after()
    lost_after = lost_after if lost_after is not None else lost_queued_after()
    reclaimed = 0
    for d in Distribution.objects.filter(state=State.SENDING, claimed_at__lt=now - stale_after):
        token = new_token()
        with transaction.atomic():
            if not Distribution.objects.filter(pk=d.pk, state=State.SENDING, claim_token=d.claim_token).update(
                state=State.CHECKING if d.needs_lookup else State.QUEUED, claim_token=token, next_attempt_at=now,
                claimed_at=None, claimed_by="", updated_at=now,
            ):
                continue
            if d.needs_lookup:
                text = (f"Left sending by {d.claimed_by or 'a worker'} that stopped answering. The call may have "
                        "reached Qualtrics: checking Qualtrics before anything is sent again.")
            else:
                text = (f"Left sending by {d.claimed_by or 'a worker'} that stopped before calling Qualtrics: "
                        "sending it again.")
            event_add(d, EventKind.RECONCILED, text, detail={"worker": d.claimed_by})
            _audit(d, "distribution.reconcile", detail=text)
            _enqueue(d.pk, token)
        reclaimed += 1
    requeued = 0
    waiting = (State.QUEUED, State.CHECKING)
    for d in Distribution.objects.filter(state__in=waiting, next_attempt_at__lt=now - lost_after):
        token = new_token()
        with transaction.atomic():
            if Distribution.objects.filter(pk=d.pk, state=d.state, claim_token=d.claim_token).update(
                claim_token=token, next_attempt_at=now, updated_at=now
            ):
                _enqueue(d.pk, token)
                requeued += 1
    if reclaimed or requeued:
        logger.warning("reaper: %d row(s) taken back from dead workers, %d lost message(s) re-sent",
                       reclaimed, requeued)
    return {"reclaimed": reclaimed, "requeued": requeued}
