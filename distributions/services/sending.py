"""Sending due distributions to Qualtrics, exactly once, whatever happens to workers and messages.

How a distribution goes out:

1. The **sweep** (beat, every few seconds, any number at once) claims due `scheduled` rows with one
   conditional UPDATE (`state=scheduled` → `queued`, with a claim token), using
   `SELECT … FOR UPDATE SKIP LOCKED` where the database has it so concurrent sweeps split the work,
   and enqueues one task per batch of claimed rows (SEND_BATCH) after commit.
2. The **batch task** reads its rows in one query, builds each connection's client once, and sends the
   rows one after the other. Each row is claimed again (`queued` + its token → `sending`) by one
   conditional UPDATE that is also the write-ahead of step 3: only one task can win it, and only the
   winner may call Qualtrics. Every later write is conditional on `state=sending` and the same token,
   so a claim taken away by the reaper can never be written over. A send that goes well costs four
   queries (that UPDATE, the one marking it sent, its two timeline entries in one INSERT, its audit
   entry) and one round trip to Redis (its slot in the shared rate budget).
3. Before the create call the row is marked `needs_lookup` (write-ahead). From then on nothing is
   ever sent again for it before the portal has looked in Qualtrics for its `reference` (carried in
   the e-mail's embedded data, or in the SMS name). A failure that surely never reached Qualtrics
   (429, a connection that was never made, the local rate budget) clears the mark again.
4. Transient failures go back to `queued` with a new token and a countdown (Celery retry); permanent
   ones (400, 403, 404) fail at once with Qualtrics' message; a rejected token holds the row.
5. A row whose call may have reached Qualtrics is **never failed** while its fate is unknown: it is
   `checking` (Qualtrics) and looked up again with back-off until Qualtrics answers, however long
   faults last. The lookup asks only for the distributions sent around the send date the attempt
   gave (Qualtrics keeps that date) and picks the one carrying the reference; each page is asked
   again at once after a fault rather than starting the lookup over.
6. 429s: the client pauses the whole brand through the shared cache for Qualtrics' `Retry-After` and
   lowers the brand's budget (see the rate limiter), so the other sends of the brand wait too; a task
   told to wait by that budget is rescheduled without a request, and without it counting as a failure.
7. The **reaper** puts rows left `sending` by a dead worker back to `queued`, or to `checking` when
   their `needs_lookup` mark says a call may have been made, and re-enqueues `queued` and `checking`
   rows whose message was lost. The database, not the broker, is the source of truth.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections.audit import QualtricsCallAuditor
from connections.crypto import TokenDecryptionError
from connections.models import Connection
from connections.qualtrics_client import connection_client
from connections.services import connection_mark_token_rejected
from qualtrics import RetryPolicy
from qualtrics.errors import (
    AuthenticationError,
    BudgetExhaustedError,
    ConnectionFailedError,
    InvalidResponseError,
    QualtricsError,
    RateLimitedError,
)

from .. import payloads, rules
from ..models import Channel, Distribution, DistributionEvent, EventKind, State
from .compose import _audit, event_add, when_text

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Rows one send task takes: its query, its clients and its broker message are shared by them.
SEND_BATCH = 20
# A batch hands back the rows it has not started after this long, so its task ends well inside its
# time limit (and no row waits behind a slow batch for long).
SEND_BATCH_SECONDS = 45.0
# When the portal's own budget is used up for no longer than this, the sender waits for the slot with
# its claim held (no request was made, the write-ahead stays true) instead of rescheduling the row.
BUDGET_WAIT_SECONDS = 10.0
# Only for sends that surely never reached Qualtrics: one whose fate is unknown is never given up.
MAX_TRANSIENT_FAILURES = 10
# Waiting for Qualtrics' 429s is not a failure; still, not forever (the portal's own budget: no limit).
MAX_RATE_LIMITED = 500
MAX_BACKOFF_SECONDS = 300
# When Qualtrics' answer will not change by itself (a refused lookup, the token unreadable), look
# again only now and then.
SLOW_CHECK_SECONDS = 1800
# Qualtrics keeps the send date it was given; the lookup asks for those sent this close to the one
# the attempt gave. Rows from before that date was kept are looked for around their send time.
LOOKUP_MARGIN = datetime.timedelta(minutes=1)
LOOKUP_WIDE_MARGIN = datetime.timedelta(hours=12)
# Listed distributions without their embedded data are read one by one, up to this many.
LOOKUP_DETAIL_LIMIT = 20
# A lookup page that fails is asked again at once (reads are safe to repeat), so one fault does not
# start the whole lookup over; a 429 is not waited for here (the brand pause reschedules the task).
LOOKUP_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=2.0, max_total_wait=4.0,
                           wait_for_budget=False)


class LookupInconclusive(Exception):
    """Qualtrics answered, but not in a way that tells whether it holds the distribution."""


def stale_sending_after() -> datetime.timedelta:
    """How long a row may stay `sending` before its worker is taken for dead.

    Longer than a task may live (the hard time limit kills it) plus one Qualtrics call, so no call
    of the old worker can still be in flight when the reaper takes the row back.
    """
    return datetime.timedelta(seconds=float(settings.DISTRIBUTIONS_STALE_SENDING_SECONDS))


def lost_queued_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.DISTRIBUTIONS_LOST_QUEUED_SECONDS))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def new_token() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | failed | held | retry | skipped | deferred (left queued for the next batch)
    retry_in: float | None = None
    claim_token: str = ""
    message: str = ""


def _enqueue(pk: int, token: str, countdown: float | None = None) -> None:
    """Send the task once the claim is committed (never before: the task must see the claim)."""
    from ..tasks import distribution_send_task

    def publish():
        try:
            distribution_send_task.apply_async((pk, token), countdown=countdown)
        except Exception:  # the broker is down: the reaper enqueues it again later
            logger.exception("could not enqueue distribution %s; the reaper will retry", pk)

    transaction.on_commit(publish)


def _enqueue_many(pks: list[int], token: str) -> None:
    """One batch task per SEND_BATCH rows of a sweep, published through one broker connection once the
    claim is committed."""
    from ..tasks import distributions_send_batch_task

    def publish():
        try:
            with distributions_send_batch_task.app.producer_or_acquire() as producer:
                for start in range(0, len(pks), SEND_BATCH):
                    distributions_send_batch_task.apply_async((pks[start:start + SEND_BATCH], token),
                                                              producer=producer)
        except Exception:  # the broker is down: the reaper enqueues them again later
            logger.exception("could not enqueue %d distribution(s); the reaper will retry", len(pks))

    transaction.on_commit(publish)


def _blocked_reason(connection: Connection) -> str:
    if not connection.enabled:
        return "Its connection is disabled. It goes out when a manager enables the connection again."
    if connection.token_rejected_at is not None:
        return (
            f"Qualtrics stopped accepting the connection's {connection.credential_noun} on "
            f"{when_text(connection.token_rejected_at)}. It goes out as soon as it works again (a manager can "
            f"rotate {connection.secret_noun} or test the connection)."
        )
    return ""


# --- send -------------------------------------------------------------------------------------


def _error_fields(exc: Exception) -> dict[str, Any]:
    return {
        "last_error": (getattr(exc, "message", "") or str(exc))[:2000],
        "last_error_code": (getattr(exc, "code", "") or "")[:60],
        "last_error_status": getattr(exc, "status", None),
        "last_error_request_id": (getattr(exc, "request_id", "") or "")[:64],
    }


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    text = getattr(exc, "message", "") or str(exc)
    code = getattr(exc, "code", "")
    head = f"Qualtrics answered {status}" if status else type(exc).__name__.replace("Error", " error")
    return f"{head}: “{text}”" + (f" ({code})" if code else "")


def backoff_seconds(failures: int, ceiling: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s … (the base is a setting), at most 5 minutes."""
    base = float(settings.DISTRIBUTIONS_RETRY_BASE_SECONDS)
    top = min(ceiling, base * 2 ** min(max(failures - 1, 0), 30))
    return round(top * (0.5 + random.random() / 2), 1)


def _countdown(exc: QualtricsError | None, failures: int, ceiling: float = MAX_BACKOFF_SECONDS) -> float:
    """Qualtrics' (or the budget's) Retry-After when it gave one, else the back-off."""
    if exc is not None and exc.retry_after is not None:
        # Spread the waiters out (by up to 5 s) so they do not all come back in the same second.
        wait = float(exc.retry_after)
        return round(wait + random.random() * min(max(wait, 2.0), 5.0), 1)
    return backoff_seconds(failures, ceiling)


class _RefusedWriteAuditor(QualtricsCallAuditor):
    """Audits the create calls Qualtrics refused or never answered. One it accepted is audited once, as
    `distribution.sent` with Qualtrics' request id, in the step that marks the row sent."""

    def __call__(self, record) -> None:
        if record.status is not None and record.status < 400:
            return
        super().__call__(record)


def distribution_send(*, distribution_id: int, claim_token: str, worker: str = "") -> SendOutcome:
    """Send one queued distribution if this caller wins its claim. Safe to call any number of times."""
    outcomes = distributions_send_batch(distribution_ids=[distribution_id], claim_token=claim_token, worker=worker)
    return outcomes[distribution_id]


_NOT_MINE = SendOutcome("skipped", message="not mine to send (cancelled, sent or claimed again)")


def distributions_send_batch(*, distribution_ids: list[int], claim_token: str, worker: str = "",
                             budget_seconds: float = SEND_BATCH_SECONDS) -> dict[int, SendOutcome]:
    """Send the batch's queued distributions this caller wins, one after the other; {id: outcome}.

    What can be done once for the batch is: one query reads its rows (with connection, parent and
    author), and each connection's client (its token decrypted) is built once. Rows not started after
    `budget_seconds` are left queued under the same token ("deferred") for the caller to hand on.
    """
    worker = (worker or worker_name())[:200]
    deadline = time.monotonic() + budget_seconds
    rows = {
        d.pk: d
        for d in Distribution.objects.filter(
            pk__in=distribution_ids, state__in=(State.QUEUED, State.CHECKING), claim_token=claim_token
        ).select_related("connection", "parent", "created_by")
    }
    clients: dict[tuple[int, int | None], Any] = {}
    outcomes: dict[int, SendOutcome] = {}
    started = False
    for pk in distribution_ids:
        d = rows.get(pk)
        if d is None:
            outcomes[pk] = _NOT_MINE
        elif started and time.monotonic() > deadline:
            outcomes[pk] = SendOutcome("deferred", claim_token=claim_token, message="left for the next batch")
        else:
            started = True
            outcomes[pk] = _send_loaded(d, claim_token, worker, _client_of(d, clients), deadline)
    return outcomes


def _client_of(d: Distribution, clients: dict) -> Any:
    """The batch's client for the row's connection and author (or the error building it raised)."""
    key = (d.connection_id, d.created_by_id)
    if key not in clients:
        try:
            clients[key] = connection_client(
                d.connection, retry=RetryPolicy.none(), audit=False,
                hooks=[_RefusedWriteAuditor(connection=d.connection, actor=d.created_by)],
            )
        except TokenDecryptionError as exc:
            clients[key] = exc
    return clients[key]


def _send_loaded(d: Distribution, claim_token: str, worker: str, client, deadline: float) -> SendOutcome:
    """Send one row read by its batch (still `queued` or `checking` under `claim_token` when read)."""
    now = timezone.now()
    claimable = Distribution.objects.filter(pk=d.pk, state__in=(State.QUEUED, State.CHECKING),
                                            claim_token=claim_token)
    mine = Distribution.objects.filter(pk=d.pk, state=State.SENDING, claim_token=claim_token)
    send_date = max(d.send_at or now, now).replace(microsecond=0)

    if not d.needs_lookup and not isinstance(client, Exception) and not _blocked_reason(d.connection):
        d.send_at = send_date  # what the rules must judge is the send date Qualtrics is given
        if not rules.problems(d, now=send_date):
            # The usual case: the claim and the write-ahead are one UPDATE.
            if not claimable.update(state=State.SENDING, claimed_at=now, claimed_by=worker, needs_lookup=True,
                                    qualtrics_send_date=send_date, attempts=F("attempts") + 1, updated_at=now):
                return _NOT_MINE
            return _create(d, mine, client, send_date, attempt=d.attempts + 1, needs_lookup_before=False,
                           deadline=deadline)

    # Anything else (held, unreadable token, a lookup first, rules broken) claims the row, then decides.
    if not claimable.update(state=State.SENDING, claimed_at=now, claimed_by=worker, updated_at=now):
        return _NOT_MINE
    reason = _blocked_reason(d.connection)
    if reason:
        return _hold(d, mine, reason)
    if isinstance(client, TokenDecryptionError):
        text = "The connection's saved API token cannot be read: a manager must enter it again."
        if d.needs_lookup:
            return _check_later(d, mine, None, f"{text} Until then Qualtrics cannot be asked whether it was "
                                "created, so nothing is sent.", slow=True)
        return _fail(d, mine, client, text)

    verified_absent = False
    if d.needs_lookup:
        try:
            found = find_in_qualtrics(client, d)
        except QualtricsError as exc:
            return _after_error(d, mine, exc, during_lookup=True, needs_lookup_before=True)
        except LookupInconclusive as exc:
            return _check_later(d, mine, None, f"{exc} Check in Qualtrics whether it exists (reference "
                                f"{d.reference}); the portal keeps looking meanwhile and sends nothing.", slow=True)
        if found is not None:
            return _mark_sent(d, mine, found, client, reconciled=True)
        event_add(d, EventKind.LOOKUP, "Not found in Qualtrics, so it was never created: sending it now.")
        verified_absent = True

    d.send_at = send_date
    found_problems = rules.problems(d, now=send_date)
    if found_problems:
        text = " ".join(m for msgs in found_problems.values() for m in msgs)
        return _fail(d, mine, None, f"It no longer passes the rules, so it was not sent: {text}", needs_lookup=False)

    if not mine.update(needs_lookup=True, qualtrics_send_date=send_date, attempts=F("attempts") + 1, updated_at=now):
        return SendOutcome("skipped", message="claim lost before the call")
    return _create(d, mine, client, send_date, attempt=d.attempts + 1,
                   needs_lookup_before=d.needs_lookup and not verified_absent, deadline=deadline)


def _create(d: Distribution, mine, client, send_date: datetime.datetime, *, attempt: int,
            needs_lookup_before: bool, deadline: float) -> SendOutcome:
    """The create call of a claimed, written-ahead row, and what its answer means."""
    while True:
        try:
            result = payloads.create_in_qualtrics(client, d, send_date)
        except BudgetExhaustedError as exc:
            # The portal's own budget: no request was made. A short wait is spent here, claim held.
            wait = float(exc.retry_after or 1.0)
            if wait <= BUDGET_WAIT_SECONDS and time.monotonic() + wait < deadline:
                time.sleep(wait)
                continue
            return _after_error(d, mine, exc, needs_lookup_before=needs_lookup_before, attempt=attempt)
        except QualtricsError as exc:
            return _after_error(d, mine, exc, needs_lookup_before=needs_lookup_before, attempt=attempt)
        break
    if not isinstance(result, dict) or not result.get("id"):
        exc = InvalidResponseError("Qualtrics accepted the call but named no distribution id", status=200)
        return _after_error(d, mine, exc, needs_lookup_before=True, attempt=attempt)
    return _mark_sent(d, mine, result, client, attempt=attempt)


def _request_id(client) -> str:
    meta = getattr(client, "last_meta", None) or {}
    return str(meta.get("requestId") or "")


def _mark_sent(d: Distribution, mine, result: dict, client, *, reconciled: bool = False,
               attempt: int | None = None) -> SendOutcome:
    now = timezone.now()
    qualtrics_id = str(result.get("id") or "")
    updates: dict[str, Any] = {
        "state": State.SENT,
        "qualtrics_id": qualtrics_id,
        "qualtrics_status": str(result.get("requestStatus") or "")[:40],
        "sent_at": now,
        "needs_lookup": False,
        "claim_token": "",
        "next_attempt_at": None,
        "last_error": "",
        "last_error_code": "",
        "last_error_status": None,
        "last_error_request_id": "",
        "updated_at": now,
    }
    if isinstance(result.get("stats"), dict):
        updates["qualtrics_stats"] = result["stats"]
    request_id = "" if reconciled else _request_id(client)
    with transaction.atomic():  # the new state shows together with its timeline entries
        if not mine.update(**updates):
            logger.warning("distribution %s: created as %s but the claim was lost; the reaper will find it",
                           d.pk, qualtrics_id)
            return SendOutcome("skipped", message="claim lost after the call")
        if reconciled:
            text = f"Found in Qualtrics as {qualtrics_id} (created by an earlier attempt): not sent again."
            event_add(d, EventKind.RECONCILED, text, detail={"qualtrics_id": qualtrics_id})
        else:
            DistributionEvent.objects.bulk_create([  # both entries in one INSERT
                DistributionEvent(distribution=d, kind=EventKind.ATTEMPT, created_at=now, request_id=request_id,
                                  message=f"Attempt {attempt}: Qualtrics created it."),
                DistributionEvent(distribution=d, kind=EventKind.SENT, created_at=now, request_id=request_id,
                                  message=f"Sent to Qualtrics as {qualtrics_id}.",
                                  detail={"qualtrics_id": qualtrics_id}),
            ])
        _audit(d, "distribution.sent", request_id=request_id,
               detail=f"Qualtrics id {qualtrics_id}" + (" (found by lookup)" if reconciled else ""))
    return SendOutcome("sent", message=qualtrics_id)


def _hold(d: Distribution, mine, reason: str, exc: Exception | None = None, *, needs_lookup: bool | None = None
          ) -> SendOutcome:
    updates: dict[str, Any] = {"state": State.HELD, "held_reason": reason[:300], "claim_token": "",
                               "next_attempt_at": None, "updated_at": timezone.now()}
    if exc is not None:
        updates.update(_error_fields(exc))
    if needs_lookup is not None:
        updates["needs_lookup"] = needs_lookup
    with transaction.atomic():
        if not mine.update(**updates):
            return SendOutcome("skipped", message="claim lost")
        event_add(d, EventKind.HELD, reason, request_id=getattr(exc, "request_id", "") or "")
        _audit(d, "distribution.hold", detail=reason, outcome="denied" if exc is not None else "ok",
               request_id=getattr(exc, "request_id", "") or "")
    return SendOutcome("held", message=reason)


def _fail(d: Distribution, mine, exc: Exception | None, text: str, *, needs_lookup: bool | None = None
          ) -> SendOutcome:
    updates: dict[str, Any] = {"state": State.FAILED, "claim_token": "", "next_attempt_at": None,
                               "updated_at": timezone.now()}
    if exc is not None:
        updates.update(_error_fields(exc))
    else:
        updates.update(last_error=text[:2000], last_error_code="", last_error_status=None, last_error_request_id="")
    if needs_lookup is not None:
        updates["needs_lookup"] = needs_lookup
    request_id = getattr(exc, "request_id", "") or ""
    with transaction.atomic():
        if not mine.update(**updates):
            return SendOutcome("skipped", message="claim lost")
        event_add(d, EventKind.FAILED, text, request_id=request_id,
                  detail={"status": getattr(exc, "status", None), "code": getattr(exc, "code", "") or ""})
        _audit(d, "distribution.send", outcome="failed", detail=text, request_id=request_id)
    return SendOutcome("failed", message=text)


def _after_error(d: Distribution, mine, exc: QualtricsError, *, needs_lookup_before: bool,
                 during_lookup: bool = False, attempt: int | None = None) -> SendOutcome:
    """Decide what a failed call means: hold, retry later, check Qualtrics again later, or fail now."""
    what = "Looking it up in Qualtrics" if during_lookup else f"Attempt {attempt}"
    if isinstance(exc, AuthenticationError):
        connection_mark_token_rejected(connection=d.connection)
        d.connection.refresh_from_db()
        reason = _blocked_reason(d.connection) or "Qualtrics did not accept the connection's API token."
        # A refused token means Qualtrics did nothing with the call.
        return _hold(d, mine, reason, exc, needs_lookup=needs_lookup_before)

    uncertain_success = isinstance(exc, InvalidResponseError) and (exc.status or 200) < 400
    if exc.is_transient or uncertain_success:
        surely_not_sent = during_lookup or isinstance(exc, RateLimitedError) or (
            isinstance(exc, ConnectionFailedError) and not exc.may_have_reached_server
        )
        needs_lookup = needs_lookup_before if surely_not_sent else True
        limited = isinstance(exc, RateLimitedError)
        local = isinstance(exc, BudgetExhaustedError)  # the portal's own budget: no request was made
        failures = d.transient_failures + (0 if limited else 1)
        waits = d.rate_limited + (1 if limited else 0)
        if not needs_lookup and not local and (failures >= MAX_TRANSIENT_FAILURES or waits >= MAX_RATE_LIMITED):
            # Nothing can exist in Qualtrics for it, so giving up creates no trap for a resend.
            text = (f"Gave up after {failures} temporary failures. Last: {_describe(exc)}." if not limited else
                    f"Gave up after waiting {waits} times for the rate limit. Last: {_describe(exc)}.")
            return _fail(d, mine, exc, text + " It was not created in Qualtrics: send a copy when it works again.",
                         needs_lookup=False)
        countdown = _countdown(exc, failures)
        if needs_lookup:
            if during_lookup:
                text = f"{what} failed for now: {_describe(exc)}. Checking again in {countdown:.0f} s."
            else:
                text = (f"{what} failed: {_describe(exc)}. The call may have reached Qualtrics, so it is looked up "
                        f"there in {countdown:.0f} s before anything is sent again.")
            return _retry(d, mine, exc, countdown, text, needs_lookup=True, failures=failures, waits=waits,
                          record=not local, refund_attempt=local and not during_lookup)
        text = f"{what} failed for now: {_describe(exc)}. Trying again in {countdown:.0f} s."
        return _retry(d, mine, exc, countdown, text, needs_lookup=False, failures=failures, waits=waits,
                      record=not local, refund_attempt=local and not during_lookup)

    if during_lookup:
        # Qualtrics refused the lookup itself (a permission, a survey it no longer finds): the send may
        # still exist there, so it stays "checking" rather than failing, and says what blocks it.
        return _check_later(d, mine, exc, f"Qualtrics refused the lookup: {_describe(exc)}. Check there whether it "
                            f"exists (reference {d.reference}); the portal keeps looking meanwhile and sends nothing.",
                            slow=True)
    return _fail(d, mine, exc, f"{what}: {_describe(exc)}. Not retried: fix the distribution and send a copy.",
                 needs_lookup=False)


def _retry(d: Distribution, mine, exc: QualtricsError | None, countdown: float, text: str, *, needs_lookup: bool,
           failures: int, waits: int, record: bool = True, refund_attempt: bool = False) -> SendOutcome:
    """Back to `queued`, or to `checking` when its fate in Qualtrics is unknown, with a new claim token."""
    token = new_token()
    now = timezone.now()
    updates: dict[str, Any] = {
        "state": State.CHECKING if needs_lookup else State.QUEUED,
        "claim_token": token,
        "next_attempt_at": now + datetime.timedelta(seconds=countdown),
        "needs_lookup": needs_lookup,
        "transient_failures": failures,
        "rate_limited": waits,
        "claimed_at": None,
        "updated_at": now,
    }
    if record and exc is not None:
        updates.update(_error_fields(exc))
    elif record:
        updates.update(last_error=text[:2000], last_error_code="", last_error_status=None, last_error_request_id="")
    if refund_attempt:
        updates["attempts"] = F("attempts") - 1  # the local budget refused it: nothing was sent
    with transaction.atomic():
        if not mine.update(**updates):
            return SendOutcome("skipped", message="claim lost")
        if record:
            detail = {"countdown": countdown}
            if exc is not None:
                detail.update(status=exc.status, code=exc.code or "")
            event_add(d, EventKind.CHECKING if needs_lookup else EventKind.RETRY, text,
                      request_id=getattr(exc, "request_id", "") or "", detail=detail)
    return SendOutcome("retry", retry_in=countdown, claim_token=token, message=str(exc) if exc else text)


def _check_later(d: Distribution, mine, exc: QualtricsError | None, text: str, *, slow: bool = False
                 ) -> SendOutcome:
    """Its fate in Qualtrics is unknown and nothing local can settle it: look again after a while."""
    failures = d.transient_failures + 1
    countdown = backoff_seconds(failures, SLOW_CHECK_SECONDS if slow else MAX_BACKOFF_SECONDS)
    return _retry(d, mine, exc, countdown, f"{text} Next check in {countdown:.0f} s.", needs_lookup=True,
                  failures=failures, waits=d.rate_limited)


# --- lookup -----------------------------------------------------------------------------------


def find_in_qualtrics(client, d: Distribution) -> dict | None:
    """The distribution Qualtrics holds for `d`'s reference, or None when it surely holds none.

    Raises the client's QualtricsError when Qualtrics could not be asked, and LookupInconclusive when
    its answer cannot tell.
    """
    reader = client.with_options(retry=LOOKUP_RETRY)
    if d.channel == Channel.SMS:
        # Qualtrics filters SMS distributions by survey only: every page of the survey's is read.
        name = payloads.sms_qualtrics_name(d)
        for element in reader.sms_distributions.list(survey_id=d.survey_id).iter_all():
            if element.get("name") == name:
                return element
        return None
    if d.qualtrics_send_date:
        around, margin = d.qualtrics_send_date, LOOKUP_MARGIN
    else:
        around, margin = d.send_at or timezone.now(), LOOKUP_WIDE_MARGIN
    reference = str(d.reference)
    unread = []
    for element in reader.distributions.list(
        survey_id=d.survey_id, send_start_date=around - margin, send_end_date=around + margin
    ).iter_all():
        data = element.get("embeddedData")
        if isinstance(data, dict):
            if data.get(rules.REFERENCE_KEY) == reference:
                return element
        elif element.get("id"):
            unread.append(element["id"])
    if len(unread) > LOOKUP_DETAIL_LIMIT:
        raise LookupInconclusive(
            f"Qualtrics listed {len(unread)} distributions sent around the same time without their embedded "
            "data, too many to read one by one."
        )
    for distribution_id in unread:
        found = reader.distributions.get(distribution_id, survey_id=d.survey_id) or {}
        data = found.get("embeddedData")
        if isinstance(data, dict) and data.get(rules.REFERENCE_KEY) == reference:
            return found
    return None
