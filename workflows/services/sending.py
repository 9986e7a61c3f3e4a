"""Sending a run's events: each member's exactly once, whatever happens to workers and broker messages.

How a list (or search) run goes out:

1. **Reading the members.** One planner at a time holds a lease on the run (a conditional UPDATE), reads
   the members page by page through the client, and writes one item per member together with the cursor
   of the next page, in one transaction. Items are unique per run and contact, so a page read twice adds
   nobody twice; a planner that dies leaves its lease to expire, and the next one resumes at the cursor.
2. **Sending.** Then a few senders (Celery tasks) work through the items. A sender claims one waiting item
   with a conditional UPDATE (`pending` → `sending`, with a token of its own; `SKIP LOCKED` where the
   database has it), posts the event, and records the answer conditionally on its token. Only the winner
   of the claim posts.
3. **Write-ahead.** The item is `sending` before its event leaves. An item the sweep finds still `sending`
   after longer than any call can last was left by a worker that died mid-call: the event may have arrived,
   and Qualtrics offers no way to ask (docs/qualtrics-api.md#workflow-events). It becomes `in_doubt` ("may
   have arrived") and is never sent again unless a person retries it.
4. **Failures.** What surely never reached Qualtrics (the portal's rate budget, a 429, a connection never
   made) puts the item back to `pending` with a time to try again. A 4xx answer fails it with Qualtrics'
   message. A refused token, a trigger Qualtrics does not know, or a URL no longer on the connection's host
   holds the whole run until someone resumes it. A 5xx or a lost answer leaves it `in_doubt`.
5. **The sweep** (beat) marks what dead workers left mid-call, re-enqueues planners whose lease expired,
   restarts senders of runs that have due items and no sender at work, and closes runs with nothing left.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from connections.audit import audit_record
from connections.qualtrics_client import connection_client
from connections.services import connection_mark_token_rejected
from qualtrics import (
    AuthenticationError,
    BadRequestError,
    BudgetExhaustedError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsError,
    RateLimitedError,
    RetryPolicy,
    UnsafeRequestError,
)
from qualtrics.errors import status_from_meta
from web.errors import error_text
from web.leases import Lease

from .. import payloads
from ..models import Auth, ItemState, Run, RunItem, RunKind, RunState

logger = logging.getLogger(__name__)

SEARCH_CAP = 10_000  # Qualtrics pages a contact search no further (docs/qualtrics-api.md#pagination)
READ_RETRY = RetryPolicy(max_attempts=3, max_total_wait=10.0, wait_for_budget=False)
MAX_UNREACHED = 5  # connections never made before an item fails
MAX_WAITS = 200  # waits for the rate limit before an item fails
SHORT_WAIT = 30.0  # a sender waits this long at most by rescheduling itself; longer waits are the sweep's


@dataclass(frozen=True)
class Tuning:
    senders: int = 4
    step_seconds: float = 40.0
    lease_seconds: float = 90.0
    heartbeat_seconds: float = 2.0

    @classmethod
    def from_settings(cls) -> Tuning:
        return cls(senders=max(int(settings.WORKFLOWS_RUN_SENDERS), 1),
                   step_seconds=float(getattr(settings, "WORKFLOWS_STEP_SECONDS", cls.step_seconds)))


def stale_sending_after() -> datetime.timedelta:
    """How long an item may stay `sending` before its worker is taken for dead: longer than a task may live
    (its hard time limit kills it), so no call of that worker can still be in flight."""
    return datetime.timedelta(seconds=float(settings.WORKFLOWS_STALE_SENDING_SECONDS))


def idle_senders_after() -> datetime.timedelta:
    """How long a sending run may go without a sender's heartbeat before the sweep starts senders again."""
    return datetime.timedelta(seconds=float(settings.WORKFLOWS_IDLE_SENDERS_SECONDS))


def new_token() -> str:
    return uuid.uuid4().hex


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- enqueueing (always after commit: the task must see what was written) ----------------------------


def enqueue_planner(run_id: int, countdown: float | None = None) -> None:
    from ..tasks import run_plan_task

    def publish():
        try:
            run_plan_task.apply_async((run_id,), countdown=countdown)
        except Exception:  # the broker is down: the sweep enqueues it again once the lease has expired
            logger.exception("could not enqueue the planner of run %s; the sweep will", run_id)

    transaction.on_commit(publish)


def enqueue_senders(run_id: int, count: int = 1, countdown: float | None = None) -> None:
    from ..tasks import run_send_task

    def publish():
        try:
            for _ in range(count):
                run_send_task.apply_async((run_id,), countdown=countdown)
        except Exception:  # the broker is down: the sweep starts senders again later
            logger.exception("could not enqueue senders of run %s; the sweep will", run_id)

    transaction.on_commit(publish)


# --- reading the members ---------------------------------------------------------------------------


class _LeaseLost(Exception):
    """Another planner holds the run now, or it was cancelled: undo this page and stop."""


def run_plan(*, run_id: int, tuning: Tuning | None = None) -> float | None:
    """Read members for one step (at most `step_seconds`). Returns the countdown of the next step, or None
    when there is nothing more for a planner to do (done, held, or another planner has the run)."""
    tuning = tuning or Tuning.from_settings()
    lease = Lease.take(Run.objects.filter(state=RunState.PLANNING), run_id, seconds=tuning.lease_seconds)
    if lease is None:
        return None
    run = Run.objects.select_related("connection", "created_by").get(pk=run_id)
    mine = lease.mine.filter(state=RunState.PLANNING)
    client = connection_client(run.connection, actor=run.created_by, retry=READ_RETRY)
    needed = payloads.placeholders(run.payload_template)
    deadline = time.monotonic() + tuning.step_seconds
    try:
        while True:
            items, next_cursor, read, skipped, notice = _read_page(client, run, needed)
            done = not next_cursor
            updates: dict[str, Any] = {
                "plan_cursor": next_cursor or "", "members_read": F("members_read") + read,
                "members_skipped": F("members_skipped") + skipped,
                "lease_expires_at": lease.expiry(),
            }
            if notice:
                updates["plan_notice"] = notice[:500]
            if done:
                updates.update(state=RunState.SENDING, planned_at=timezone.now(), lease_token="",
                               lease_expires_at=None, heartbeat_at=timezone.now())
            try:
                with transaction.atomic():
                    RunItem.objects.bulk_create(items, ignore_conflicts=True)
                    if not mine.update(**updates):
                        raise _LeaseLost
                    if done:
                        enqueue_senders(run.pk, tuning.senders)
            except _LeaseLost:
                return None
            run.plan_cursor = next_cursor or ""
            run.members_read += read
            if done:
                logger.info("run %s: %d member(s) read, sending", run.pk, run.members_read)
                return None
            if time.monotonic() > deadline:
                lease.release()
                return 0.0
    except QualtricsError as exc:
        if exc.is_transient:
            lease.release()
            return max(float(exc.retry_after or 10.0), 1.0)
        reason = f"Could not read the members: {error_text(exc)}"
        with transaction.atomic():
            if mine.update(state=RunState.HELD, held_reason=reason[:500], lease_token="", lease_expires_at=None):
                _audit(run, "workflow.run.hold", detail=reason, outcome="failed")
        return None


def _read_page(client, run: Run, needed: list[str]) -> tuple[list[RunItem], str, int, int, str]:
    """One page of members as items: (items, the next page's cursor or "", read, skipped, notice)."""
    embedded = payloads.needs_embedded_data(run.payload_template) or None
    notice = ""
    if run.kind == RunKind.LIST:
        page = client.mailing_lists.members.list(
            run.directory_id, run.mailing_list_id, page_url=run.plan_cursor or None, include_embedded=embedded
        )
    else:
        search = run.search or {}
        condition = {"filterType": search.get("field"), "comparison": search.get("comparison"),
                     "value": search.get("value", "")}
        if search.get("field") == "embeddedData":
            condition["key"] = search.get("key", "")
        page = client.contacts.search(run.directory_id, filter=condition, skip_token=run.plan_cursor or None,
                                      include_embedded=embedded)
    following = page.next_page or ""
    if run.kind == RunKind.SEARCH and following and run.members_read + len(page.items) >= SEARCH_CAP:
        following = ""
        notice = (f"Qualtrics' contact search returns at most {SEARCH_CAP:,} contacts, and this search found more: "
                  "only the first ones are sent. Narrow the search, or use a mailing list.")
    context = {"mailingListId": run.mailing_list_id or None, "directoryId": run.directory_id or None}
    items, skipped = [], 0
    for member in page.items:
        contact_id = str(member.get("contactId") or member.get("id") or "")
        if not contact_id:
            skipped += 1
            continue
        if run.skip_opted_out and (member.get("unsubscribed") or member.get("directoryUnsubscribed")):
            skipped += 1
            continue
        items.append(RunItem(run=run, contact_id=contact_id[:40], label=payloads.contact_label(member),
                             fields=payloads.contact_fields(member, needed, **context)))
    return items, following, len(page.items), skipped, notice


# --- sending ---------------------------------------------------------------------------------------


def run_send(*, run_id: int, worker: str = "", tuning: Tuning | None = None) -> float | None:
    """Send due events of a run for one step. Returns the countdown after which this sender should go on, or
    None when it stops (nothing due now, the run finished, or it is no longer sending)."""
    tuning = tuning or Tuning.from_settings()
    try:
        run = Run.objects.select_related("connection", "created_by").get(pk=run_id)
    except Run.DoesNotExist:
        return None
    if run.state != RunState.SENDING:
        return None
    worker = (worker or worker_name())[:200]
    client = connection_client(run.connection, actor=run.created_by, retry=RetryPolicy.none())
    deadline = time.monotonic() + tuning.step_seconds
    next_beat = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_beat:
            if not Run.objects.filter(pk=run.pk, state=RunState.SENDING).update(heartbeat_at=timezone.now()):
                return None  # cancelled or held meanwhile
            next_beat = time.monotonic() + tuning.heartbeat_seconds
        item = claim_next(run, worker)
        if item is None:
            return _after_idle(run)
        outcome = send_item(run, item, client)
        if outcome == "hold":
            return None
        if outcome == "wait":  # the budget (or Qualtrics) asks to wait: so will the rest, so stop until then
            return _after_idle(run)
    return 0.0  # time is up with work left: the next step goes on at once


def claim_next(run: Run, worker: str) -> RunItem | None:
    """Claim the run's next due item for this worker (pending → sending), or None when none is due."""
    for _ in range(20):
        now = timezone.now()
        with transaction.atomic():
            due = RunItem.objects.filter(run=run, state=ItemState.PENDING).filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
            ).order_by("pk")
            if db_connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            pk = due.values_list("pk", flat=True).first()
            if pk is None:
                return None
            token = new_token()
            if RunItem.objects.filter(pk=pk, state=ItemState.PENDING).update(
                state=ItemState.SENDING, claim_token=token, claimed_at=now, claimed_by=worker,
                attempts=F("attempts") + 1,
            ):
                return RunItem.objects.get(pk=pk)
    return None


def _after_idle(run: Run) -> float | None:
    """Nothing can go now: wait a little for items due soon, leave longer waits to the sweep, or finish."""
    earliest = RunItem.objects.filter(run=run, state=ItemState.PENDING).aggregate(at=Min("next_attempt_at"))["at"]
    if earliest is not None:
        wait = max((earliest - timezone.now()).total_seconds(), 0.0)
        if wait <= SHORT_WAIT:
            return round(wait + 0.1, 2)
        Run.objects.filter(pk=run.pk, state=RunState.SENDING).update(heartbeat_at=None)
        return None
    if not RunItem.objects.filter(run=run, state=ItemState.PENDING).exists():
        run_finish_if_done(run)
    return None


def run_finish_if_done(run: Run) -> bool:
    """Close a sending run once nothing is waiting or on its way."""
    with transaction.atomic():
        busy = RunItem.objects.filter(run=run, state__in=(ItemState.PENDING, ItemState.SENDING)).exists()
        if busy or not Run.objects.filter(pk=run.pk, state=RunState.SENDING).update(
            state=RunState.DONE, finished_at=timezone.now(), heartbeat_at=None
        ):
            return False
        counts = item_counts(run)
        if run.kind != RunKind.SINGLE:
            # Events a person cancelled were not sent because they asked so: only failures make it "failed".
            failed = counts.get(ItemState.FAILED, 0) + counts.get(ItemState.IN_DOUBT, 0)
            _audit(run, "workflow.run.finish", detail=counts_text(counts), outcome="failed" if failed else "ok")
    return True


def item_counts(run: Run) -> dict[str, int]:
    return {row["state"]: row["n"] for row in RunItem.objects.filter(run=run).values("state").annotate(n=Count("pk"))}


def counts_text(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(state, 0):,} {label.lower()}" for state, label in ItemState.choices if counts.get(state)]
    return ", ".join(parts) or "nothing to send"


def send_item(run: Run, item: RunItem, client) -> str:
    """Post one claimed item's event and record what happened (only while the claim holds).

    Returns "sent", "failed", "in_doubt", "wait" (back to pending, nothing sent), "hold" (the run is held)
    or "lost" (the claim was taken away meanwhile).
    """
    mine = RunItem.objects.filter(pk=item.pk, claim_token=item.claim_token,
                                  state__in=(ItemState.SENDING, ItemState.IN_DOUBT))
    try:
        payload = item.payload if run.kind == RunKind.SINGLE else payloads.render(run.payload_template, item.fields)
    except ValueError as exc:
        return _record(mine, ItemState.FAILED, error=f"The event could not be made from the template: {exc}. "
                       "Not sent.", unsent=True)
    problem = payloads.size_problem(payload)
    if problem:
        return _record(mine, ItemState.FAILED, error=f"{problem} Not sent.", unsent=True)
    started = time.monotonic()
    try:
        meta = client.workflows.send_event(run.url, payload, auth=run.auth, username=run.username)
    except RateLimitedError as exc:  # the portal's budget (no call made), or Qualtrics' 429 (refused unprocessed)
        return _wait(mine, item, exc, called=not isinstance(exc, BudgetExhaustedError))
    except ConnectionFailedError as exc:
        if not exc.may_have_reached_server:
            return _wait(mine, item, exc, unreached=True, called=False)
        return _record(mine, ItemState.IN_DOUBT, exc=exc, started=started,
                       error=f"{_describe(exc)} The event may have arrived: check the workflow's run history "
                       "in Qualtrics before retrying it.")
    except (AuthenticationError, PermissionDeniedError, NotFoundError, UnsafeRequestError) as exc:
        return _hold(run, mine, item, exc)
    except BadRequestError as exc:
        return _record(mine, ItemState.FAILED, exc=exc, started=started, error=f"{_describe(exc)} Not run.")
    except QualtricsError as exc:
        return _record(mine, ItemState.IN_DOUBT, exc=exc, started=started,
                       error=f"{_describe(exc)} The event may have arrived: check the workflow's run history "
                       "in Qualtrics before retrying it.")
    return _record(mine, ItemState.SENT, started=started, status=status_from_meta(meta) or 200,
                   request_id=str(meta.get("requestId") or ""))


def _describe(exc: QualtricsError) -> str:
    text = getattr(exc, "message", "") or str(exc)
    head = f"Qualtrics answered {exc.status}" if exc.status else "No answer from Qualtrics"
    return f"{head}: “{text}”" + (f" ({exc.code})." if exc.code else ".")


def _record(mine, state: str, *, exc: QualtricsError | None = None, started: float | None = None,
            status: int | None = None, request_id: str = "", error: str = "", unsent: bool = False) -> str:
    now = timezone.now()
    updates: dict[str, Any] = {
        "state": state,
        "status": status if status is not None else getattr(exc, "status", None),
        "request_id": (request_id or getattr(exc, "request_id", "") or "")[:64],
        "error": error,
        "next_attempt_at": None,
        "duration_ms": round((time.monotonic() - started) * 1000) if started is not None else None,
        "sent_at": now if state == ItemState.SENT else None,
    }
    if unsent:
        updates["attempts"] = F("attempts") - 1
    if not mine.update(**updates):
        logger.warning("an event's outcome (%s) came after its claim was taken away", state)
        return "lost"
    return "in_doubt" if state == ItemState.IN_DOUBT else state


def _wait(mine, item: RunItem, exc: QualtricsError, *, unreached: bool = False, called: bool = True) -> str:
    """Nothing reached Qualtrics' workflow (the rate budget, a 429, a connection never made): back to pending,
    to be sent after the wait; failed, unsent, after too many waits or failed connections."""
    waits = item.waits + (0 if unreached else 1)
    unreached_count = item.unreached + (1 if unreached else 0)
    if unreached and unreached_count >= MAX_UNREACHED:
        return _record(mine, ItemState.FAILED, exc=exc, unsent=not called,
                       error=f"Could not reach Qualtrics {unreached_count} times: {exc.message}. Not sent.")
    if waits >= MAX_WAITS:
        return _record(mine, ItemState.FAILED, exc=exc, unsent=not called,
                       error=f"Gave up after waiting {waits} times for the rate limit. Not sent.")
    if unreached:
        wait = min(5.0 * 2 ** (unreached_count - 1), 300.0)
    else:
        wait = float(exc.retry_after if exc.retry_after is not None else 5.0)
    updated = mine.update(state=ItemState.PENDING, claim_token="", attempts=F("attempts") - (0 if called else 1),
                          waits=waits,
                          unreached=unreached_count,
                          next_attempt_at=timezone.now() + datetime.timedelta(seconds=wait))
    return "wait" if updated else "lost"


def _hold(run: Run, mine, item: RunItem, exc: QualtricsError) -> str:
    """Every other event would be refused too: put this one back and hold the run until someone resumes it."""
    if isinstance(exc, AuthenticationError):
        if run.auth == Auth.TOKEN:  # with Basic, the username may be what was refused
            connection_mark_token_rejected(connection=run.connection)
        reason = (f"Qualtrics did not accept the event's credentials ({error_text(exc)}). Check the trigger's "
                  "authentication (and the connection's token and username); then resume.")
    elif isinstance(exc, PermissionDeniedError):
        reason = f"Qualtrics refused the event for this token ({error_text(exc)}); check the trigger's settings."
    elif isinstance(exc, NotFoundError):
        reason = f"Qualtrics knows no trigger at this URL ({error_text(exc)}); check the workflow in Qualtrics."
    else:
        reason = f"The trigger URL is refused: {exc.message}."
    with transaction.atomic():
        mine.update(state=ItemState.PENDING, claim_token="",
                    status=getattr(exc, "status", None), request_id=(getattr(exc, "request_id", "") or "")[:64],
                    error=reason)
        if Run.objects.filter(pk=run.pk, state=RunState.SENDING).update(
            state=RunState.HELD, held_reason=reason[:500], heartbeat_at=None
        ):
            _audit(run, "workflow.run.hold", detail=reason, outcome="denied" if exc.status in (401, 403) else "failed",
                   request_id=getattr(exc, "request_id", "") or "")
    return "hold"


# --- the sweep -------------------------------------------------------------------------------------


def runs_sweep(*, now: datetime.datetime | None = None, stale_after: datetime.timedelta | None = None,
               idle_after: datetime.timedelta | None = None) -> dict[str, int]:
    """What beat runs every few seconds: mark events dead workers left mid-call, re-enqueue lost planners,
    restart senders of runs with due work and none at it, close runs with nothing left."""
    now = now or timezone.now()
    stale_after = stale_after if stale_after is not None else stale_sending_after()
    idle_after = idle_after if idle_after is not None else idle_senders_after()
    in_doubt = 0
    for item in RunItem.objects.filter(state=ItemState.SENDING, claimed_at__lt=now - stale_after).select_related("run"):
        text = (f"The worker sending this event ({item.claimed_by or 'unknown'}) stopped before Qualtrics' answer "
                "was recorded. The event may have arrived: check the workflow's run history in Qualtrics before "
                "retrying it.")
        if RunItem.objects.filter(pk=item.pk, state=ItemState.SENDING, claim_token=item.claim_token).update(
            state=ItemState.IN_DOUBT, error=text
        ):
            in_doubt += 1
    planners = 0
    planning = Run.objects.filter(Lease.free(now), state=RunState.PLANNING,
                                  created_at__lt=now - datetime.timedelta(seconds=5))
    for run in planning:
        with transaction.atomic():
            enqueue_planner(run.pk)
        planners += 1
    started = 0
    idle = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - idle_after)
    for run in Run.objects.filter(state=RunState.SENDING):
        pending = RunItem.objects.filter(run=run, state=ItemState.PENDING)
        if not pending.exists():
            run_finish_if_done(run)
            continue
        if not pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)).exists():
            continue
        with transaction.atomic():
            if Run.objects.filter(pk=run.pk, state=RunState.SENDING).filter(idle).update(heartbeat_at=now):
                enqueue_senders(run.pk, Tuning.from_settings().senders)
                started += 1
    if in_doubt or planners or started:
        logger.warning("workflow sweep: %d event(s) left mid-call by dead workers, %d planner(s) and %d run(s) "
                       "restarted", in_doubt, planners, started)
    return {"in_doubt": in_doubt, "planners": planners, "senders": started}


def _audit(run: Run, action: str, *, detail: str = "", outcome: str = "ok", request_id: str = "") -> None:
    audit_record(actor=run.created_by, connection=run.connection, action=action, target=str(run.trigger.name),
                 outcome=outcome, request_id=request_id, detail=detail)
