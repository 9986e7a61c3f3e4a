"""Running a bulk CSV import in Celery, one bounded step at a time, safe with several workers.

A step leases the import row (conditional UPDATE), plans the file into chunks once, sends chunks to
Qualtrics' transaction-contacts import, follows them to their outcome, and recovers a chunk whose
upload may or may not have reached Qualtrics by looking its contacts up before sending it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections.audit import audit_record
from connections.models import AuditEvent
from connections.qualtrics_client import connection_client
from qualtrics import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)
from web.leases import Lease

from .. import csvimport
from .. import validation as v
from ..models import ContactImport, ImportChunk, ImportRejection
from .import_check import contact_import_check_step
from .imports import CANCELLED_REASON, row_checker, skip_pending_chunks
from .memberships import planned_members

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass(frozen=True)
class ImportTuning:
    lease_seconds: float = 90.0
    step_seconds: float = 40.0
    max_in_flight: int = 4
    poll_interval: float = 0.5
    recovery_grace_seconds: float = 300.0
    clock_skew_seconds: float = 120.0
    max_send_attempts: int = 5
    max_poll_failures: int = 20
    max_refused_in_a_row: int = 3

    @classmethod
    def from_settings(cls) -> ImportTuning:
        return cls(
            lease_seconds=float(_setting("CONTACT_IMPORT_LEASE_SECONDS", cls.lease_seconds)),
            step_seconds=float(_setting("CONTACT_IMPORT_STEP_SECONDS", cls.step_seconds)),
            max_in_flight=int(_setting("CONTACT_IMPORT_MAX_IN_FLIGHT", cls.max_in_flight)),
            poll_interval=float(_setting("CONTACT_IMPORT_POLL_INTERVAL", cls.poll_interval)),
            recovery_grace_seconds=settings.CONTACT_IMPORT_RECOVERY_GRACE,
        )


RECHECK_SECONDS = 5.0
# Following a chunk's job: the first look after FIRST_POLL_SECONDS; then, once the job reports progress, when
# its pace says it should be done (a little after, so one look usually finds it finished); while it reports
# none, twice as long as the last wait. Never sooner than the tuning's poll interval, never later than
# MAX_POLL_SECONDS. Jobs that take Qualtrics 10 s cost 2 to 3 looks rather than ten.
FIRST_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 30.0
PACE_MARGIN = 1.1
IMPORT_RETRY = RetryPolicy(max_attempts=3, max_total_wait=10.0, wait_for_budget=False)


class _Fatal(Exception):
    """Stops the whole import (token refused, list gone, Qualtrics refusing chunk after chunk)."""


class _RetryLater(Exception):
    """Qualtrics did not answer for now: end this step and run the next one after `countdown` s."""

    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


def contact_import_run(*, import_id: int, tuning: ImportTuning | None = None,
                       sleep: Callable[[float], None] = time.sleep) -> float | None:
    """Work on an import for one step (at most `step_seconds`): the check of its file while it is being
    checked (import_check), then its run.

    Returns None when there is nothing more to do here (finished, or another worker holds it), or the
    seconds after which the next step should run. Safe to call from several workers at once: a lease
    on the import row, taken with a conditional UPDATE, lets one of them work at a time.
    """
    tuning = tuning or ImportTuning.from_settings()
    Status = ContactImport.Status
    if ContactImport.objects.filter(pk=import_id, status=Status.CHECKING).exists():
        return contact_import_check_step(import_id=import_id, tuning=tuning)
    now = timezone.now()
    lease = Lease.take(ContactImport.objects.filter(status__in=ContactImport.ACTIVE), import_id,
                       seconds=tuning.lease_seconds, heartbeat_at=now)
    if lease is None:
        return None
    lease.mine.filter(status=Status.QUEUED).update(status=Status.RUNNING, started_at=now)
    contact_import = ContactImport.objects.select_related("connection", "created_by").get(pk=import_id)
    runner = _ImportRunner(contact_import, lease, tuning, sleep)
    countdown = None
    try:
        countdown = runner.run()
    except RateLimitedError as exc:
        countdown = max(float(exc.retry_after or 5.0), 0.5)
    except _RetryLater as exc:
        countdown = exc.countdown
    except _Fatal as exc:
        runner.fail(str(exc))
    finally:
        lease.release(next_run_in=countdown)
    return countdown


class _ImportRunner:
    def __init__(self, contact_import: ContactImport, lease: Lease, tuning: ImportTuning, sleep):
        self.imp = contact_import
        self.lease = lease
        self.token = lease.token  # also the claim token of the chunks this step sends
        self.tuning = tuning
        self.sleep = sleep
        self.client = connection_client(contact_import.connection, actor=contact_import.created_by, retry=IMPORT_RETRY)
        self.refused_in_a_row = 0
        self.last_check: dict[int, float] = {}
        # When each sent chunk's job is looked at next, and the last wait (time.monotonic() based).
        self.next_poll: dict[int, float] = {}
        self.poll_wait: dict[int, float] = {}

    # The lease ----------------------------------------------------------------------------------

    def renew(self) -> bool:
        return self.lease.renew(heartbeat_at=timezone.now())

    def chunks(self):
        return ImportChunk.objects.filter(contact_import=self.imp).defer("payload", "rows")

    # The loop -----------------------------------------------------------------------------------

    def run(self) -> float | None:
        if not self.imp.planned:
            self.plan()
        deadline = time.monotonic() + self.tuning.step_seconds
        S = ImportChunk.Status
        idle = self.tuning.poll_interval
        while True:
            if not self.renew():
                return None
            status = ContactImport.objects.values_list("status", flat=True).get(pk=self.imp.pk)
            cancelling = status == ContactImport.Status.CANCELLING
            progressed = False
            for chunk in self.chunks().filter(status=S.SENDING).order_by("index"):
                progressed |= self.recover(chunk)
            for chunk in self.chunks().filter(status=S.SENT).order_by("index"):
                if time.monotonic() >= self.next_poll.get(chunk.pk, 0.0):
                    progressed |= self.poll(chunk)
            in_flight = self.chunks().filter(status__in=[S.SENDING, S.SENT]).count()
            if not cancelling:
                while in_flight < self.tuning.max_in_flight:
                    chunk = self.chunks().filter(status=S.PENDING).order_by("index").first()
                    if chunk is None or not self.renew():
                        break
                    if self.send(chunk):
                        progressed = True
                        in_flight += 1
            open_chunks = self.chunks().filter(status__in=[S.SENDING, S.SENT]).count()
            pending = self.chunks().filter(status=S.PENDING).count()
            if cancelling and not open_chunks:
                self.skip_pending(CANCELLED_REASON)
                self.finish(ContactImport.Status.CANCELLED)
                return None
            if not open_chunks and not pending:
                self.finish(ContactImport.Status.COMPLETED)
                return None
            if time.monotonic() >= deadline:
                return 0.0
            if progressed:
                idle = self.tuning.poll_interval
            else:
                waiting = [self.next_poll.get(c, 0.0) for c in self.chunks().filter(status=S.SENT)
                           .values_list("pk", flat=True)]
                if waiting and not self.chunks().filter(status=S.SENDING).exists():
                    # Only jobs to follow: sleep until the first one is due a look (within this step).
                    self.sleep(max(min(min(waiting), deadline) - time.monotonic(), 0.05))
                else:
                    self.sleep(idle)
                    idle = min(idle * 2, max(self.tuning.poll_interval, 1.0))

    # Planning: the file (or the contacts to add) becomes chunks -----------------------------------

    def plan(self) -> None:
        """Check every row again and store the chunks to send. Each chunk is its own short write (a long
        transaction would block other writers on SQLite); `planned` is set only at the end, so a worker
        that dies while planning leaves a plan that the next run discards and makes again."""
        imp = self.imp
        size = imp.chunk_size
        ImportChunk.objects.filter(contact_import=imp).delete()
        ImportRejection.objects.filter(contact_import=imp).delete()
        chunk_rows: list[int] = []
        payload: list[dict] = []
        rejections: list[ImportRejection] = []
        index = sent = rejected = 0
        source = ImportRejection.Source.FILE
        try:
            for number, contact, reason in self.rows():
                if contact is None:
                    rejected += 1
                    rejections.append(ImportRejection(contact_import=imp, row_number=number, source=source,
                                                      reason=reason))
                    if len(rejections) >= 1000:
                        ImportRejection.objects.bulk_create(rejections)
                        rejections = []
                    continue
                sent += 1
                chunk_rows.append(number)
                payload.append(contact)
                if len(payload) >= size:
                    self._store_chunk(index, chunk_rows, payload)
                    index, chunk_rows, payload = index + 1, [], []
                    self.renew()
        except (AuthenticationError, PermissionDeniedError, NotFoundError, BadRequestError) as exc:
            raise _Fatal(_explain(exc)) from exc  # the contacts to add could not be read
        except (ServerError, ConnectionFailedError) as exc:
            raise _RetryLater(10.0) from exc
        if payload:
            self._store_chunk(index, chunk_rows, payload)
            index += 1
        ImportRejection.objects.bulk_create(rejections)
        self.lease.mine.update(planned=True, total_chunks=index, rows_to_send=sent, rows_rejected=rejected,
                               row_count=sent + rejected)
        imp.refresh_from_db()

    def rows(self):
        """(row number, what Qualtrics receives or None, why not) for each row of the file, or each contact
        to put on the list."""
        imp = self.imp
        if not imp.is_from_file:
            yield from planned_members(imp, self.client)
            return
        checker = row_checker(imp)
        if checker.mapping_errors():
            raise _Fatal("The column mapping is not valid any more: " + " ".join(checker.mapping_errors()))
        with imp.file.open("rb") as raw:
            for number, cells in csvimport.iter_rows(raw, encoding=imp.encoding, delimiter=imp.delimiter):
                result = checker.check(number, cells)
                yield number, result.contact, "; ".join(m for _, m in result.problems)

    def _store_chunk(self, index: int, rows: list[int], payload: list[dict]) -> None:
        ImportChunk.objects.create(contact_import=self.imp, index=index, first_row=rows[0], last_row=rows[-1],
                                   row_count=len(rows), rows=rows, payload=payload)

    # Sending one chunk ---------------------------------------------------------------------------

    def send(self, chunk: ImportChunk) -> bool:
        """Claim a pending chunk and POST it. True when it left (or may have left) for Qualtrics."""
        S = ImportChunk.Status
        now = timezone.now()
        # Only while the import runs: once a cancel is confirmed no chunk is claimed, so none is sent.
        claimed = ImportChunk.objects.filter(
            pk=chunk.pk, status=S.PENDING, contact_import__status=ContactImport.Status.RUNNING
        ).update(status=S.SENDING, claim_token=self.token, claimed_at=now, attempts=F("attempts") + 1, error="")
        if not claimed:
            return False
        mine = ImportChunk.objects.filter(pk=chunk.pk, status=S.SENDING, claim_token=self.token)
        payload = ImportChunk.objects.values_list("payload", flat=True).get(pk=chunk.pk)
        try:
            result = self.upload(payload)
        except RateLimitedError:
            # Refused before anything happened (a 429, or the portal's own budget): put it back.
            mine.update(status=S.PENDING, claim_token="", claimed_at=None, attempts=F("attempts") - 1)
            raise
        except ConnectionFailedError as exc:
            if exc.may_have_reached_server:
                mine.update(error=f"No answer to the upload ({exc.message}); checking Qualtrics before going on.")
                return True
            attempts = ImportChunk.objects.values_list("attempts", flat=True).get(pk=chunk.pk)
            if attempts >= self.tuning.max_send_attempts:
                self.refuse(chunk, f"Qualtrics could not be reached after {attempts} tries: {exc.message}")
                return True
            mine.update(status=S.PENDING, claim_token="", error=f"Qualtrics could not be reached: {exc.message}")
            raise _RetryLater(10.0) from exc
        except ServerError as exc:
            # A 5xx to a POST may come after Qualtrics acted on it: check before sending again.
            mine.update(error=f"Qualtrics answered {exc.status} ({exc.message}); checking before going on.")
            return True
        except (AuthenticationError, PermissionDeniedError, NotFoundError) as exc:
            mine.update(status=S.PENDING, claim_token="", attempts=F("attempts") - 1)
            raise _Fatal(_explain(exc)) from exc
        except BadRequestError as exc:
            self.refuse(chunk, f"Qualtrics refused this chunk: {exc.message}"
                        + (f" (request id {exc.request_id})" if exc.request_id else ""))
            self.refused_in_a_row += 1
            if self.refused_in_a_row >= self.tuning.max_refused_in_a_row:
                raise _Fatal(f"Qualtrics refused {self.refused_in_a_row} chunks in a row, so the rest was not "
                             f"sent. Its last answer: {exc.message}") from exc
            return True
        self.refused_in_a_row = 0
        job_id = str((result or {}).get("id") or "")
        if not job_id:
            mine.update(error="Qualtrics accepted the upload without an import id; checking its contacts.")
            return True
        mine.update(status=S.SENT, qualtrics_import_id=job_id, sent_at=timezone.now())
        self.next_poll[chunk.pk] = time.monotonic() + max(FIRST_POLL_SECONDS, self.tuning.poll_interval)
        return True

    def upload(self, payload: list[dict]) -> dict:
        imp = self.imp
        if not imp.is_from_file:
            return self.client.mailing_lists.members.add_existing(imp.directory_id, imp.mailing_list_id,
                                                                  contacts=payload)
        meta = None
        if imp.transaction_batch_id:
            meta = {"batchId": imp.transaction_batch_id, "fields": row_checker(imp).transaction_fields}
        return self.client.contact_imports.start(imp.directory_id, imp.mailing_list_id, contacts=payload,
                                                 transaction_meta=meta)

    def refuse(self, chunk: ImportChunk, reason: str) -> None:
        """A chunk Qualtrics refused outright: nothing of it was imported."""
        S = ImportChunk.Status
        with transaction.atomic():
            changed = ImportChunk.objects.filter(pk=chunk.pk, status__in=[S.SENDING, S.SENT]).update(
                status=S.FAILED, error=reason, finished_at=timezone.now()
            )
            if changed:
                rows = ImportChunk.objects.values_list("rows", flat=True).get(pk=chunk.pk)
                ImportRejection.objects.bulk_create(
                    [ImportRejection(contact_import=self.imp, row_number=r, source=ImportRejection.Source.QUALTRICS,
                                     reason=reason) for r in rows]
                )
                ContactImport.objects.filter(pk=self.imp.pk).update(failed=F("failed") + len(rows))

    # Following a sent chunk ----------------------------------------------------------------------

    def poll(self, chunk: ImportChunk) -> bool:
        S = ImportChunk.Status
        imp = self.imp
        try:
            progress = self.client.contact_imports.get(
                imp.directory_id, imp.mailing_list_id, chunk.qualtrics_import_id
            )
            status = str(progress.get("status") or "").lower()
            if status not in ("complete", "completed", "failed", "error"):
                percent = float(progress.get("percentComplete") or 0)
                ImportChunk.objects.filter(pk=chunk.pk, status=S.SENT).update(
                    percent_complete=max(0, min(int(percent), 99)), poll_failures=0
                )
                self.next_poll[chunk.pk] = time.monotonic() + self.next_poll_wait(chunk, percent)
                return False
            summary = self.client.contact_imports.get_summary(
                imp.directory_id, imp.mailing_list_id, chunk.qualtrics_import_id
            )
        except NotFoundError as exc:
            self.refuse(chunk, f"Qualtrics no longer knows import {chunk.qualtrics_import_id}: {exc.message}")
            return True
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise _Fatal(_explain(exc)) from exc
        except (ServerError, ConnectionFailedError, BadRequestError) as exc:
            failures = chunk.poll_failures + 1
            if failures >= self.tuning.max_poll_failures:
                self.refuse(chunk, f"Qualtrics did not report the outcome of import {chunk.qualtrics_import_id} "
                            f"after {failures} tries ({exc.message}); check the list before importing again.")
                return True
            ImportChunk.objects.filter(pk=chunk.pk).update(poll_failures=failures)
            raise _RetryLater(5.0) from exc
        if status in ("failed", "error"):
            self.refuse(chunk, f"Qualtrics reported that import {chunk.qualtrics_import_id} failed.")
            return True
        counts = ((summary.get("contacts") or {}).get("count") or {}) if isinstance(summary, dict) else {}
        invalid = [str(e) for e in (summary.get("invalidEmails") or [])] if isinstance(summary, dict) else []
        self.complete(chunk, added=int(counts.get("added") or 0), updated=int(counts.get("updated") or 0),
                      failed=int(counts.get("failed") or 0), invalid_emails=invalid)
        return True

    def next_poll_wait(self, chunk: ImportChunk, percent: float) -> float:
        """Seconds until the job of a sent chunk is looked at again, guided by its progress."""
        if 0 < percent < 100 and chunk.sent_at is not None:
            elapsed = max((timezone.now() - chunk.sent_at).total_seconds(), 0.0)
            wait = elapsed * (100 - percent) / percent * PACE_MARGIN
        else:
            wait = self.poll_wait.get(chunk.pk, FIRST_POLL_SECONDS) * 2
        wait = min(max(wait, self.tuning.poll_interval, 0.2), MAX_POLL_SECONDS)
        self.poll_wait[chunk.pk] = wait
        return wait

    def complete(self, chunk: ImportChunk, *, added: int, updated: int, failed: int, invalid_emails: list[str],
                 recovered: bool = False) -> None:
        S = ImportChunk.Status
        with transaction.atomic():
            changed = ImportChunk.objects.filter(pk=chunk.pk, status__in=[S.SENDING, S.SENT]).update(
                status=S.DONE, finished_at=timezone.now(), percent_complete=100, added=added, updated=updated,
                failed=failed, invalid_emails=invalid_emails[:1000], recovered=recovered, error="",
            )
            if not changed:
                return
            ContactImport.objects.filter(pk=self.imp.pk).update(
                added=F("added") + added, updated=F("updated") + updated, failed=F("failed") + failed,
                invalid_emails=F("invalid_emails") + len(invalid_emails),
            )
            if invalid_emails:
                bad = {e.strip().lower() for e in invalid_emails}
                full = ImportChunk.objects.only("rows", "payload").get(pk=chunk.pk)
                ImportRejection.objects.bulk_create(
                    [ImportRejection(contact_import=self.imp, row_number=row, source=ImportRejection.Source.QUALTRICS,
                                     reason="Qualtrics refused the e-mail address")
                     for row, contact in zip(full.rows, full.payload, strict=False)
                     if str(contact.get("email", "")).strip().lower() in bad]
                )

    # Recovering a chunk whose upload may or may not have reached Qualtrics -----------------------

    def recover(self, chunk: ImportChunk) -> bool:
        """Never send such a chunk blindly: look its contacts up in the list first.

        Found (members of the list, changed since the chunk was claimed): it was imported, done.
        Not found yet: wait, since imports take a while. Still not found after the grace period: the
        upload never arrived, so the chunk goes back to the queue and is sent (once more) later.
        """
        S = ImportChunk.Status
        last = self.last_check.get(chunk.pk)
        if last is not None and time.monotonic() - last < RECHECK_SECONDS:
            return False
        self.last_check[chunk.pk] = time.monotonic()
        full = ImportChunk.objects.only("payload", "claimed_at", "rows").get(pk=chunk.pk)
        try:
            landed = self.verify(full)
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise _Fatal(_explain(exc)) from exc
        except (ServerError, ConnectionFailedError, BadRequestError, NotFoundError) as exc:
            raise _RetryLater(5.0) from exc
        if landed:
            self.complete(chunk, added=0, updated=0, failed=0, invalid_emails=[], recovered=True)
            logger.info("Import %s chunk %s: found in Qualtrics after an interruption", self.imp.pk, chunk.index)
            return True
        claimed_at = full.claimed_at or timezone.now()
        age = (timezone.now() - claimed_at).total_seconds()
        if age < self.tuning.recovery_grace_seconds:
            return False
        ImportChunk.objects.filter(pk=chunk.pk, status=S.SENDING, claim_token=chunk.claim_token).update(
            status=S.PENDING, claim_token="",
            error="The earlier upload never reached Qualtrics (none of its contacts are on the list); sent again.",
        )
        return True

    def verify(self, chunk: ImportChunk) -> bool:
        payload = chunk.payload
        if not payload:
            return True
        picks = sorted({0, len(payload) // 2, len(payload) - 1})
        since_ms = ((chunk.claimed_at or timezone.now()).timestamp() - self.tuning.clock_skew_seconds) * 1000
        imp = self.imp
        for i in picks:
            contact = payload[i]
            field, value = next(((f, contact[f]) for f in v.IDENTIFIERS if contact.get(f)), (None, None))
            if field is None:
                continue
            page = self.client.contacts.search(
                imp.directory_id, filter={"filterType": field, "comparison": "eq", "value": value}, page_size=5
            )
            for found in page.items:
                contact_id = found.get("contactId") or found.get("id")
                detail = self.client.contacts.get(imp.directory_id, contact_id)
                member = imp.mailing_list_id in (detail.get("mailingListMembership") or {})
                modified = detail.get("lastModified")
                recent = not isinstance(modified, (int, float)) or modified >= since_ms
                if member and recent:
                    return True
        return False

    # The end -------------------------------------------------------------------------------------

    def skip_pending(self, reason: str) -> None:
        skip_pending_chunks(self.imp, reason)

    def finish(self, status: str) -> None:
        now = timezone.now()
        updated = self.lease.mine.update(status=status, finished_at=now)
        if not updated:
            return
        self.imp.refresh_from_db()
        imp = self.imp
        # A cancelled import did what its user asked: a success, like a completed one.
        outcome = AuditEvent.Outcome.FAILED if status == ContactImport.Status.FAILED else AuditEvent.Outcome.OK
        audit_record(
            actor=imp.created_by, connection=imp.connection, action=f"contacts.import.{status}",
            target=f"{imp.directory_id}/{imp.mailing_list_id}", outcome=outcome,
            detail=f"{imp.original_name}: {imp.added:,} added, {imp.updated:,} updated, {imp.failed:,} failed, "
                   f"{imp.invalid_emails:,} invalid e-mails, {imp.rows_rejected:,} rows left out by the check"
                   + (f". {imp.error}" if imp.error else ""),
        )

    def fail(self, reason: str) -> None:
        S = ImportChunk.Status
        ContactImport.objects.filter(pk=self.imp.pk).update(error=reason[:2000])
        self.skip_pending("the import stopped")
        for chunk in ImportChunk.objects.filter(contact_import=self.imp, status__in=[S.SENDING, S.SENT]).only("rows"):
            self.refuse(chunk, f"Outcome unknown: the import stopped ({reason[:200]})")
        self.finish(ContactImport.Status.FAILED)


def _explain(exc: QualtricsError) -> str:
    from web.errors import explain

    error = explain(exc)
    text = f"{error['title']}: {error['message']}"
    if error.get("request_id"):
        text += f" (request id {error['request_id']})"
    return text
