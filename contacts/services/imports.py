"""A bulk CSV import before and around its run: upload, map the columns, start, cancel.

The check of the rows (import_check) and the run itself (import_runner) are done by a Celery task step
by step; the sweeps that purge old files and find abandoned imports are in import_sweeps.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from connections.audit import audit_record
from qualtrics import NotFoundError
from web.leases import Lease

from .. import csvfile, csvimport, selectors
from .. import validation as v
from ..models import ContactImport, ImportChunk, ImportKey, ImportRejection
from ..tasks import contact_import_run_task

logger = logging.getLogger(__name__)


def contact_import_create(*, connection, actor, directory: dict, mailing_list: dict, upload,
                          phone_region: str = "") -> ContactImport:
    """Keep an uploaded CSV (as UTF-8) with its header; raises csvfile.CSVFormatError when it is unusable.
    Only the header and the file's bounds are read here: the rows are checked by a worker."""
    prepared = csvfile.prepare(upload)
    try:
        contact_import = ContactImport(
            connection=connection,
            created_by=actor,
            directory_id=directory["directoryId"],
            mailing_list_id=mailing_list["mailingListId"],
            mailing_list_name=mailing_list.get("name", "")[:200],
            dedup_fields=selectors.directory_dedup_fields(directory),
            original_name=(upload.name or "contacts.csv")[:255],
            size=upload.size or 0,
            encoding="utf-8",
            original_encoding=csvfile.ENCODING_NAMES[prepared.encoding],
            delimiter=prepared.delimiter,
            headers=prepared.headers,
            mapping=csvimport.auto_mapping(prepared.headers),
            phone_region=(phone_region or v.default_phone_region()).upper(),
            chunk_size=settings.CONTACT_IMPORT_CHUNK_SIZE,
        )
        contact_import.file.save(f"import-{uuid.uuid4().hex}.csv", File(prepared.file), save=False)
        contact_import.save()
    finally:
        prepared.file.close()
    return contact_import


def row_checker(contact_import: ContactImport, *, keys_in_memory: bool = True) -> csvimport.RowChecker:
    """The checker of this import's rows, with its mapping, phone region and the directory's dedup fields
    (see csvimport.RowChecker for `keys_in_memory`)."""
    return csvimport.RowChecker(
        contact_import.headers, contact_import.mapping, phone_region=contact_import.phone_region,
        dedup_fields=contact_import.dedup_fields, keys_in_memory=keys_in_memory,
    )


NEW_BATCH = "new"  # the transaction batch chosen on the mapping: one made when the import starts


def contact_import_check(*, contact_import: ContactImport, mapping: list[str], phone_region: str,
                         transaction_batch_id: str = "") -> list[str]:
    """Save the column mapping (and the transaction batch the rows' transactions go into) and queue the
    check of every row, which a worker does (import_check); returns mapping errors (nothing queued then).
    A check already under way or done is discarded: the rows are checked again with the new mapping."""
    if contact_import.status not in ContactImport.MAPPABLE:
        return ["This import has already started; its mapping can no longer change."]
    contact_import.mapping = list(mapping)
    contact_import.phone_region = phone_region.upper()
    contact_import.transaction_batch_id = transaction_batch_id
    checker = row_checker(contact_import)
    errors = checker.mapping_errors()
    if transaction_batch_id and not checker.transaction_fields:
        errors.append("Map at least one column as transaction data to put the rows' transactions in a batch.")
    now = timezone.now()
    changes = {
        "mapping": contact_import.mapping, "phone_region": contact_import.phone_region,
        "transaction_batch_id": transaction_batch_id, "report": {}, "planned": False, "total_chunks": 0,
        "rows_to_send": 0, "rows_rejected": 0, "check_offset": 0, "check_row": 0,
        # A step still checking with the old mapping holds this lease: cleared, it can save nothing more.
        "lease_token": "", "lease_expires_at": None,
        "status": ContactImport.Status.UPLOADED if errors else ContactImport.Status.CHECKING,
        "queued_at": None if errors else now, "next_run_at": None if errors else now,
    }
    with transaction.atomic():
        changed = ContactImport.objects.filter(pk=contact_import.pk, status__in=ContactImport.MAPPABLE).update(
            **changes)
        if not changed:
            return ["This import has already started; its mapping can no longer change."]
        ImportChunk.objects.filter(contact_import=contact_import).delete()
        ImportRejection.objects.filter(contact_import=contact_import).delete()
        ImportKey.objects.filter(contact_import=contact_import).delete()
        if not errors:
            enqueue_import_step(contact_import.pk)
    for name, value in changes.items():
        setattr(contact_import, name, value)
    return errors


def contact_import_start(*, contact_import: ContactImport, actor) -> bool:
    """Queue a checked import; the worker sends it. False when it was not ready (already started).

    Its transaction batch is made now when a new one was chosen; a batch chosen that no longer exists
    refuses the start (ValidationError) before anything is sent."""
    if contact_import.status == ContactImport.Status.READY and contact_import.transaction_batch_id:
        _prepare_batch(contact_import, actor)
    now = timezone.now()
    started = ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.READY).update(
        status=ContactImport.Status.QUEUED, queued_at=now, next_run_at=now
    )
    if not started:
        return False
    report = contact_import.report or {}
    audit_record(
        actor=actor, connection=contact_import.connection, action="contacts.import.start",
        target=f"{contact_import.directory_id}/{contact_import.mailing_list_id}",
        detail=f"{contact_import.original_name}: {report.get('valid', 0):,} rows to send, "
               f"{report.get('rejected', 0):,} left out after the check",
    )
    enqueue_import_step(contact_import.pk)
    return True


def enqueue_import_step(import_id: int, countdown: float = 0) -> None:
    """Hand a step of the import to a worker once the current transaction commits."""

    def send():
        try:
            contact_import_run_task.apply_async((import_id,), countdown=countdown)
        except Exception:  # broker down: the reaper enqueues it again once the broker is back
            logger.exception("Could not enqueue contact import %s", import_id)

    transaction.on_commit(send)


CANCELLED_REASON = "the import was cancelled"


def contact_import_cancel(*, contact_import: ContactImport, actor) -> str:
    """Stop an import. Nothing more leaves for Qualtrics once this returns: the chunks not yet sent are
    marked as not sent in the same transaction, and a worker claims a chunk only while its import runs
    (import_runner). Chunks already sent finish in Qualtrics and are counted; the worker then ends the
    import as cancelled (at once when nothing runs it). Returns the new status."""
    now = timezone.now()
    pk = contact_import.pk
    free = Lease.free(now)
    Status = ContactImport.Status
    with transaction.atomic():
        done = discarded = ContactImport.objects.filter(pk=pk, status__in=ContactImport.MAPPABLE).update(
            status=Status.CANCELLED, cancel_requested_at=now, finished_at=now, lease_token="", lease_expires_at=None
        )
        if discarded:  # checked but never sent: the chunks and refused rows of the check go with the file
            ImportChunk.objects.filter(contact_import_id=pk).delete()
            ImportRejection.objects.filter(contact_import_id=pk).delete()
        if not done:  # queued and no step has run (a step makes it "running"): nothing was sent
            done = ContactImport.objects.filter(pk=pk, status=Status.QUEUED).filter(free).update(
                status=Status.CANCELLED, cancel_requested_at=now, finished_at=now
            )
            if done:
                skip_pending_chunks(contact_import, CANCELLED_REASON)
        if not done:
            done = ContactImport.objects.filter(pk=pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
                status=Status.CANCELLING, cancel_requested_at=now
            )
            if done:
                skip_pending_chunks(contact_import, CANCELLED_REASON)
    contact_import.refresh_from_db()
    if discarded and contact_import.file:
        contact_import.file.delete(save=True)  # never sent: keep no copy of the people in it
    if done:
        audit_record(actor=actor, connection=contact_import.connection, action="contacts.import.cancel",
                     target=f"{contact_import.directory_id}/{contact_import.mailing_list_id}",
                     detail=f"{contact_import.original_name} ({contact_import.get_status_display().lower()})")
    return contact_import.status


def skip_pending_chunks(contact_import: ContactImport, reason: str) -> None:
    """Mark the chunks not yet claimed as not sent, each of their rows with `reason`."""
    S = ImportChunk.Status
    with transaction.atomic():
        for chunk in ImportChunk.objects.filter(contact_import=contact_import, status=S.PENDING).only("rows"):
            changed = ImportChunk.objects.filter(pk=chunk.pk, status=S.PENDING).update(
                status=S.SKIPPED, error=reason, finished_at=timezone.now()
            )
            if changed:
                ImportRejection.objects.bulk_create(
                    [ImportRejection(contact_import=contact_import, row_number=r,
                                     source=ImportRejection.Source.NOT_SENT, reason=f"Not sent: {reason}")
                     for r in chunk.rows]
                )


def _prepare_batch(contact_import: ContactImport, actor) -> None:
    from .batches import batch_create

    reads = {"connection": contact_import.connection, "actor": actor}
    if contact_import.transaction_batch_id == NEW_BATCH:
        batch_id = batch_create(**reads, directory_id=contact_import.directory_id)
        ContactImport.objects.filter(pk=contact_import.pk).update(transaction_batch_id=batch_id)
        contact_import.transaction_batch_id = batch_id
        return
    try:
        selectors.batch_get(**reads, directory_id=contact_import.directory_id,
                            batch_id=contact_import.transaction_batch_id)
    except NotFoundError:
        raise ValidationError(f"The transaction batch {contact_import.transaction_batch_id} no longer exists "
                              "(deleted meanwhile): choose another one on the mapping, then start again.") from None
