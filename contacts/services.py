"""Writes to a brand's XM Directory, and the bulk CSV import that runs in Celery.

Every Qualtrics call goes through `connection_client(connection, actor=user)`, whose hook audits each
write with Qualtrics' request id; the import is audited here as well (start, cancel, outcome).
Functions are keyword-only and named `<entity>_<action>`.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
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

from . import csvimport, selectors
from . import validation as v
from .models import ContactImport, ImportChunk, ImportRejection

logger = logging.getLogger(__name__)

CLIENT_ARGS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "extRef": "ext_ref",
    "language": "language",
    "unsubscribed": "unsubscribed",
    "embeddedData": "embedded_data",
}


def _setting(name: str, default):
    return getattr(settings, name, default)


def _client(connection, user, retry=None):
    return connection_client(connection, actor=user, retry=retry)


def _kwargs(data: dict, *, keep_blank: bool) -> dict:
    """Client keyword arguments from Qualtrics-spelled contact data.

    On create, blank fields are left out; on edit they are sent as "" so clearing a field clears it.
    """
    out = {}
    for key, arg in CLIENT_ARGS.items():
        if key not in data:
            continue
        value = data[key]
        if value in (None, "") and not keep_blank:
            continue
        if key == "embeddedData" and not value:
            continue
        out[arg] = "" if value is None else value
    return out


# --- Directory contacts -----------------------------------------------------------------------


class DuplicateContactError(Exception):
    """A contact with the same external reference or e-mail exists; the user chooses what to do."""

    def __init__(self, existing: dict, *, on_list: bool = False):
        self.existing = existing
        self.on_list = on_list
        field = v.FIELD_LABELS.get(existing.get("matched_on", ""), "details").lower()
        super().__init__(f"A contact with the same {field} already exists ({existing.get('contactId')}).")


def contact_create(*, connection, user, directory_id: str, data: dict, on_duplicate: str = "ask") -> dict:
    """Create a directory contact; "create or update": look it up by extRef, then e-mail, first.

    on_duplicate: "ask" raises DuplicateContactError when one exists; "create" creates anyway;
    "update:<CID_…>" updates that contact instead. Returns {"id", "updated"}.
    """
    if on_duplicate.startswith("update:"):
        contact_id = on_duplicate.split(":", 1)[1]
        contact_update(connection=connection, user=user, directory_id=directory_id, contact_id=contact_id,
                       data=data)
        return {"id": contact_id, "updated": True}
    if on_duplicate == "ask":
        existing = selectors.contact_find_existing(
            connection=connection, user=user, directory_id=directory_id,
            ext_ref=data.get("extRef", ""), email=data.get("email", ""),
        )
        if existing is not None:
            raise DuplicateContactError(existing)
    result = _client(connection, user).contacts.create(directory_id, **_kwargs(data, keep_blank=False))
    return {"id": result["id"], "updated": False}


def contact_update(*, connection, user, directory_id: str, contact_id: str, data: dict,
                   removed_embedded: tuple[str, ...] = ()) -> None:
    """Change a contact. Embedded-data fields removed in the editor are cleared (set to ""): the API
    has no way to delete a field's name."""
    data = dict(data)
    if removed_embedded:
        embedded = dict(data.get("embeddedData") or {})
        for name in removed_embedded:
            embedded.setdefault(name, "")
        data["embeddedData"] = embedded
    _client(connection, user).contacts.update(directory_id, contact_id, **_kwargs(data, keep_blank=True))


def contact_delete(*, connection, user, directory_id: str, contact_id: str) -> None:
    """Delete the contact from the directory; Qualtrics also takes it off every mailing list."""
    _client(connection, user).contacts.delete(directory_id, contact_id)


# --- Mailing lists ----------------------------------------------------------------------------


def mailing_list_create(*, connection, user, directory_id: str, name: str, owner_id: str = "") -> str:
    result = _client(connection, user).mailing_lists.create(directory_id, name=name, owner_id=owner_id or None)
    _forget_owner_cache(connection)
    return result["id"]


def mailing_list_update(*, connection, user, directory_id: str, mailing_list_id: str, name: str,
                        owner_id: str = "") -> None:
    _client(connection, user).mailing_lists.update(
        directory_id, mailing_list_id, name=name, owner_id=owner_id or None
    )


def mailing_list_delete(*, connection, user, directory_id: str, mailing_list_id: str) -> None:
    """Delete the list; its contacts stay in the directory."""
    _client(connection, user).mailing_lists.delete(directory_id, mailing_list_id)


def _forget_owner_cache(connection) -> None:
    from django.core.cache import cache

    cache.delete(f"contacts:owners:{connection.pk}")


# --- Mailing-list members ---------------------------------------------------------------------


def member_create(*, connection, user, directory_id: str, mailing_list_id: str, data: dict,
                  on_duplicate: str = "ask") -> dict:
    """Put a contact on a list. Qualtrics makes a new directory contact for it every time, so look the
    contact up first: on_duplicate "ask" raises DuplicateContactError (on_list tells whether it is
    already a member); "create" adds it anyway. Returns {"id", "contactLookupId"}."""
    if on_duplicate == "ask":
        existing = selectors.contact_find_existing(
            connection=connection, user=user, directory_id=directory_id,
            ext_ref=data.get("extRef", ""), email=data.get("email", ""),
        )
        if existing is not None:
            detail = selectors.contact_get(connection=connection, user=user, directory_id=directory_id,
                                           contact_id=existing["contactId"])
            on_list = mailing_list_id in (detail.get("mailingListMembership") or {})
            raise DuplicateContactError({**existing, **detail, "matched_on": existing["matched_on"]},
                                        on_list=on_list)
    return _client(connection, user).mailing_lists.members.create(
        directory_id, mailing_list_id, **_kwargs(data, keep_blank=False)
    )


def member_update(*, connection, user, directory_id: str, mailing_list_id: str, contact_id: str, data: dict,
                  removed_embedded: tuple[str, ...] = ()) -> None:
    """Change a member: contact fields change the directory contact; `unsubscribed` is list-level."""
    data = dict(data)
    if removed_embedded:
        embedded = dict(data.get("embeddedData") or {})
        for name in removed_embedded:
            embedded.setdefault(name, "")
        data["embeddedData"] = embedded
    _client(connection, user).mailing_lists.members.update(
        directory_id, mailing_list_id, contact_id, **_kwargs(data, keep_blank=True)
    )


def member_delete(*, connection, user, directory_id: str, mailing_list_id: str, contact_id: str) -> None:
    """Take the contact off the list; the directory contact and its other memberships stay."""
    _client(connection, user).mailing_lists.members.delete(directory_id, mailing_list_id, contact_id)


# --- Bulk CSV import: preparing ---------------------------------------------------------------


def contact_import_create(*, connection, user, directory: dict, mailing_list: dict, upload,
                          phone_region: str = "") -> ContactImport:
    """Keep an uploaded CSV and read its shape; raises csvimport.CSVFormatError when it is unusable."""
    upload.seek(0)
    shape = csvimport.inspect(upload)
    upload.seek(0)
    contact_import = ContactImport(
        connection=connection,
        created_by=user,
        directory_id=directory["directoryId"],
        mailing_list_id=mailing_list["mailingListId"],
        mailing_list_name=mailing_list.get("name", "")[:200],
        dedup_fields=selectors.directory_dedup_fields(directory),
        original_name=(upload.name or "contacts.csv")[:255],
        size=upload.size or 0,
        encoding=shape.encoding,
        delimiter=shape.delimiter,
        headers=shape.headers,
        row_count=shape.row_count,
        mapping=csvimport.auto_mapping(shape.headers),
        phone_region=(phone_region or v.default_phone_region()).upper(),
        chunk_size=settings.CONTACT_IMPORT_CHUNK_SIZE,
    )
    contact_import.file.save(f"import-{uuid.uuid4().hex}.csv", upload, save=False)
    contact_import.save()
    return contact_import


def _checker(contact_import: ContactImport) -> csvimport.RowChecker:
    return csvimport.RowChecker(
        contact_import.headers, contact_import.mapping, phone_region=contact_import.phone_region,
        dedup_fields=contact_import.dedup_fields,
    )


def contact_import_check(*, contact_import: ContactImport, mapping: list[str], phone_region: str) -> list[str]:
    """Save the column mapping and check every row; returns mapping errors (nothing to send then)."""
    if contact_import.status not in (ContactImport.Status.UPLOADED, ContactImport.Status.READY):
        return ["This import has already started; its mapping can no longer change."]
    contact_import.mapping = list(mapping)
    contact_import.phone_region = phone_region.upper()
    checker = _checker(contact_import)
    errors = checker.mapping_errors()
    if errors:
        contact_import.report = {}
        contact_import.status = ContactImport.Status.UPLOADED
    else:
        with contact_import.file.open("rb") as raw:
            report = csvimport.check_file(
                raw, encoding=contact_import.encoding, delimiter=contact_import.delimiter, checker=checker
            )
        contact_import.report = report.as_dict() | {"key_fields": checker.key_fields}
        contact_import.status = (
            ContactImport.Status.READY if report.valid else ContactImport.Status.UPLOADED
        )
        if not report.valid:
            errors = ["No row of the file can be imported: see the problems below."]
    contact_import.save(update_fields=["mapping", "phone_region", "report", "status"])
    return errors


def contact_import_start(*, contact_import: ContactImport, user) -> bool:
    """Queue a checked import; the worker sends it. False when it was not ready (already started)."""
    now = timezone.now()
    started = ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.READY).update(
        status=ContactImport.Status.QUEUED, queued_at=now, next_run_at=now
    )
    if not started:
        return False
    report = contact_import.report or {}
    audit_record(
        actor=user, connection=contact_import.connection, action="contacts.import.start",
        target=f"{contact_import.directory_id}/{contact_import.mailing_list_id}",
        detail=f"{contact_import.original_name}: {report.get('valid', 0):,} rows to send, "
               f"{report.get('rejected', 0):,} left out after the check",
    )
    _enqueue_run(contact_import.pk)
    return True


def _enqueue_run(import_id: int, countdown: float = 0) -> None:
    def send():
        from .tasks import contact_import_run_task

        try:
            contact_import_run_task.apply_async((import_id,), countdown=countdown)
        except Exception:  # broker down: the reaper enqueues it again once the broker is back
            logger.exception("Could not enqueue contact import %s", import_id)

    transaction.on_commit(send)


def contact_import_cancel(*, contact_import: ContactImport, user) -> str:
    """Stop an import: at once when nothing runs it, else the worker stops after the chunks in flight.
    Returns the new status."""
    now = timezone.now()
    pk = contact_import.pk
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    Status = ContactImport.Status
    with transaction.atomic():
        done = discarded = ContactImport.objects.filter(pk=pk, status__in=[Status.UPLOADED, Status.READY]).update(
            status=Status.CANCELLED, cancel_requested_at=now, finished_at=now
        )
        if not done:
            done = ContactImport.objects.filter(pk=pk, status=Status.QUEUED, planned=False).filter(free).update(
                status=Status.CANCELLED, cancel_requested_at=now, finished_at=now
            )
        if not done:
            done = ContactImport.objects.filter(pk=pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
                status=Status.CANCELLING, cancel_requested_at=now
            )
    contact_import.refresh_from_db()
    if discarded and contact_import.file:
        contact_import.file.delete(save=True)  # never sent: keep no copy of the people in it
    if done:
        audit_record(actor=user, connection=contact_import.connection, action="contacts.import.cancel",
                     target=f"{contact_import.directory_id}/{contact_import.mailing_list_id}",
                     detail=f"{contact_import.original_name} ({contact_import.get_status_display().lower()})")
    return contact_import.status


# --- Bulk CSV import: running (in Celery) -----------------------------------------------------


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
    """Work on an import for one step (at most `step_seconds`).

    Returns None when there is nothing more to do here (finished, or another worker holds it), or the
    seconds after which the next step should run. Safe to call from several workers at once: a lease
    on the import row, taken with a conditional UPDATE, lets one of them work at a time.
    """
    tuning = tuning or ImportTuning.from_settings()
    token = uuid.uuid4().hex
    now = timezone.now()
    Status = ContactImport.Status
    claimed = ContactImport.objects.filter(pk=import_id, status__in=ContactImport.ACTIVE).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    ).update(lease_token=token, lease_expires_at=now + datetime.timedelta(seconds=tuning.lease_seconds),
             heartbeat_at=now)
    if not claimed:
        return None
    ContactImport.objects.filter(pk=import_id, status=Status.QUEUED, lease_token=token).update(
        status=Status.RUNNING, started_at=now
    )
    contact_import = ContactImport.objects.select_related("connection", "created_by").get(pk=import_id)
    runner = _ImportRunner(contact_import, token, tuning, sleep)
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
        changes = {"lease_token": "", "lease_expires_at": None}
        if countdown is not None:
            changes["next_run_at"] = timezone.now() + datetime.timedelta(seconds=countdown)
        ContactImport.objects.filter(pk=import_id, lease_token=token).update(**changes)
    return countdown


class _ImportRunner:
    def __init__(self, contact_import: ContactImport, token: str, tuning: ImportTuning, sleep):
        self.imp = contact_import
        self.token = token
        self.tuning = tuning
        self.sleep = sleep
        self.client = _client(contact_import.connection, contact_import.created_by, retry=IMPORT_RETRY)
        self.refused_in_a_row = 0
        self.last_check: dict[int, float] = {}

    # The lease ----------------------------------------------------------------------------------

    def renew(self) -> bool:
        now = timezone.now()
        return bool(ContactImport.objects.filter(pk=self.imp.pk, lease_token=self.token).update(
            lease_expires_at=now + datetime.timedelta(seconds=self.tuning.lease_seconds), heartbeat_at=now
        ))

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
                self.skip_pending("the import was cancelled")
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
                self.sleep(idle)
                idle = min(idle * 2, max(self.tuning.poll_interval, 1.0))

    # Planning: the file becomes chunks -----------------------------------------------------------

    def plan(self) -> None:
        """Check every row again and store the chunks to send. Each chunk is its own short write (a long
        transaction would block other writers on SQLite); `planned` is set only at the end, so a worker
        that dies while planning leaves a plan that the next run discards and makes again."""
        imp = self.imp
        checker = _checker(imp)
        if checker.mapping_errors():
            raise _Fatal("The column mapping is not valid any more: " + " ".join(checker.mapping_errors()))
        size = imp.chunk_size
        ImportChunk.objects.filter(contact_import=imp).delete()
        ImportRejection.objects.filter(contact_import=imp).delete()
        chunk_rows: list[int] = []
        payload: list[dict] = []
        rejections: list[ImportRejection] = []
        index = sent = rejected = 0
        with imp.file.open("rb") as raw:
            for number, cells in csvimport.iter_rows(raw, encoding=imp.encoding, delimiter=imp.delimiter):
                result = checker.check(number, cells)
                if result.contact is None:
                    rejected += 1
                    rejections.append(ImportRejection(
                        contact_import=imp, row_number=number, source=ImportRejection.Source.FILE,
                        reason="; ".join(m for _, m in result.problems),
                    ))
                    if len(rejections) >= 1000:
                        ImportRejection.objects.bulk_create(rejections)
                        rejections = []
                    continue
                sent += 1
                chunk_rows.append(number)
                payload.append(result.contact)
                if len(payload) >= size:
                    self._store_chunk(index, chunk_rows, payload)
                    index, chunk_rows, payload = index + 1, [], []
                    self.renew()
        if payload:
            self._store_chunk(index, chunk_rows, payload)
            index += 1
        ImportRejection.objects.bulk_create(rejections)
        ContactImport.objects.filter(pk=imp.pk, lease_token=self.token).update(
            planned=True, total_chunks=index, rows_to_send=sent, rows_rejected=rejected
        )
        imp.refresh_from_db()

    def _store_chunk(self, index: int, rows: list[int], payload: list[dict]) -> None:
        ImportChunk.objects.create(contact_import=self.imp, index=index, first_row=rows[0], last_row=rows[-1],
                                   row_count=len(rows), rows=rows, payload=payload)

    # Sending one chunk ---------------------------------------------------------------------------

    def send(self, chunk: ImportChunk) -> bool:
        """Claim a pending chunk and POST it. True when it left (or may have left) for Qualtrics."""
        S = ImportChunk.Status
        now = timezone.now()
        claimed = ImportChunk.objects.filter(pk=chunk.pk, status=S.PENDING).update(
            status=S.SENDING, claim_token=self.token, claimed_at=now, attempts=F("attempts") + 1, error=""
        )
        if not claimed:
            return False
        mine = ImportChunk.objects.filter(pk=chunk.pk, status=S.SENDING, claim_token=self.token)
        payload = ImportChunk.objects.values_list("payload", flat=True).get(pk=chunk.pk)
        try:
            result = self.client.contact_imports.start(
                self.imp.directory_id, self.imp.mailing_list_id, contacts=payload
            )
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
        return True

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
                percent = int(float(progress.get("percentComplete") or 0))
                ImportChunk.objects.filter(pk=chunk.pk, status=S.SENT).update(
                    percent_complete=max(0, min(percent, 99)), poll_failures=0
                )
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
        S = ImportChunk.Status
        with transaction.atomic():
            for chunk in ImportChunk.objects.filter(contact_import=self.imp, status=S.PENDING).only("rows"):
                changed = ImportChunk.objects.filter(pk=chunk.pk, status=S.PENDING).update(
                    status=S.SKIPPED, error=reason, finished_at=timezone.now()
                )
                if changed:
                    ImportRejection.objects.bulk_create(
                        [ImportRejection(contact_import=self.imp, row_number=r, source=ImportRejection.Source.NOT_SENT,
                                         reason=f"Not sent: {reason}") for r in chunk.rows]
                    )

    def finish(self, status: str) -> None:
        now = timezone.now()
        updated = ContactImport.objects.filter(pk=self.imp.pk, lease_token=self.token).update(
            status=status, finished_at=now
        )
        if not updated:
            return
        self.imp.refresh_from_db()
        imp = self.imp
        outcome = AuditEvent.Outcome.OK if status == ContactImport.Status.COMPLETED else AuditEvent.Outcome.FAILED
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
    from portal.errors import explain

    error = explain(exc)
    text = f"{error['title']}: {error['message']}"
    if error.get("request_id"):
        text += f" (request id {error['request_id']})"
    return text


def contact_import_purge_files(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the uploaded files of imports that ended more than `days` ago (the setting by default):
    they hold people's personal data and are kept only for the rejected-rows download. Safe to run
    from several sweeps at once: each file is claimed by a conditional UPDATE before it is deleted.
    Returns how many files were deleted."""
    days = settings.CONTACT_IMPORT_FILE_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    stale = ContactImport.objects.filter(status__in=ContactImport.FINISHED, finished_at__lt=cutoff).exclude(file="")
    for pk, name in stale.values_list("pk", "file").iterator():
        if not ContactImport.objects.filter(pk=pk, file=name).update(file="", file_purged_at=timezone.now()):
            continue  # another sweep took it
        try:
            ContactImport.file.field.storage.delete(name)
        except OSError:
            logger.warning("Import %s: could not delete its file %s", pk, name, exc_info=True)
        deleted += 1
    if deleted:
        logger.info("Deleted the uploaded files of %s finished imports", deleted)
    return deleted


def contact_import_reap(*, grace_seconds: float = 60.0) -> list[int]:
    """Imports that should be running but nobody works on: a lease that expired (its worker died), or
    a next step overdue (its message was lost). Returns their ids, to enqueue again."""
    now = timezone.now()
    overdue = now - datetime.timedelta(seconds=grace_seconds)
    return list(
        ContactImport.objects.filter(status__in=ContactImport.ACTIVE)
        .filter(
            Q(lease_expires_at__lt=now)
            | Q(lease_expires_at__isnull=True, next_run_at__lt=overdue)
            | Q(lease_expires_at__isnull=True, next_run_at__isnull=True, queued_at__lt=overdue)
        )
        .values_list("pk", flat=True)
    )
