"""The worker's check of an uploaded file: each row checked once, and kept as the chunks to send.

The mapping page only queues it (contact_import_check); contact_import_run hands an import that is
"checking" to `contact_import_check_step`. A step leases the import row (conditional UPDATE), reads the
file one row at a time from where the last save stopped, and saves each chunk of valid rows together with
the rows refused before it, the report so far and its place in the file, in one transaction that commits
only while the step still holds the lease. So a worker that dies loses at most the rows since its last
save (the next step goes on from there; no row is checked twice), two workers never check at once, and a
check the mapping restarted (which clears the lease) saves nothing more. When the check ends the import is
planned: starting it sends the chunks without reading the file again.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import csvfile, csvimport
from ..models import ContactImport, ImportChunk, ImportRejection
from .imports import row_checker

logger = logging.getLogger(__name__)

REJECTIONS_PER_SAVE = 2000  # rows refused in a row are saved in batches of this many, with the place reached


class _LeaseLost(Exception):
    """Another step took the check over, or the mapping restarted it: stop without saving."""


def contact_import_check_step(*, import_id: int, tuning) -> float | None:
    """Check rows of the file for at most `tuning.step_seconds`. Returns the seconds before the next step,
    or None when the check ended (or is not this step's to do)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    Status = ContactImport.Status
    claimed = ContactImport.objects.filter(pk=import_id, status=Status.CHECKING).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    ).update(lease_token=token, lease_expires_at=now + datetime.timedelta(seconds=tuning.lease_seconds),
             heartbeat_at=now)
    if not claimed:
        return None
    countdown = None
    try:
        countdown = _Check(ContactImport.objects.get(pk=import_id), token, tuning).run()
    except _LeaseLost:
        logger.info("Import %s: the check was taken over or restarted; this step stops", import_id)
    finally:
        changes = {"lease_token": "", "lease_expires_at": None}
        if countdown is not None:
            changes["next_run_at"] = timezone.now() + datetime.timedelta(seconds=countdown)
        ContactImport.objects.filter(pk=import_id, lease_token=token).update(**changes)
    return countdown


class _Check:
    def __init__(self, contact_import: ContactImport, token: str, tuning):
        self.imp = contact_import
        self.token = token
        self.tuning = tuning
        self.checker = row_checker(contact_import)
        self.report = csvimport.Report.from_dict(contact_import.report or {})
        self.chunks = contact_import.total_chunks

    def run(self) -> float | None:
        imp = self.imp
        errors = self.checker.mapping_errors()
        if errors:  # the mapping page refuses these: only a mapping saved by other means gets here
            self.fail(" ".join(errors))
            return None
        self.recall()
        deadline = time.monotonic() + self.tuning.step_seconds
        place = (imp.check_offset, imp.check_row)
        rows: list[int] = []
        payload: list[dict] = []
        refused: list[ImportRejection] = []
        with imp.file.open("rb") as raw:
            try:
                for number, cells, end in csvfile.records(raw, encoding=imp.encoding, delimiter=imp.delimiter,
                                                          after=place if place[0] else None):
                    place = (end, number)
                    if not any(cell.strip() for cell in cells):
                        continue
                    result = self.checker.check(number, cells)
                    self.report.add(result)
                    if result.contact is None:
                        refused.append(ImportRejection(contact_import=imp, row_number=number,
                                                       reason="; ".join(m for _, m in result.problems)))
                    else:
                        rows.append(number)
                        payload.append(result.contact)
                    out_of_time = time.monotonic() >= deadline
                    if len(payload) >= imp.chunk_size or len(refused) >= REJECTIONS_PER_SAVE or out_of_time:
                        self.save(place, rows, payload, refused)
                        rows, payload, refused = [], [], []
                        if out_of_time:
                            return 0.0
            except csvfile.CSVFormatError as exc:
                self.fail(str(exc))
                return None
        self.save(place, rows, payload, refused, last=True)
        return None

    def recall(self) -> None:
        """The rows kept by earlier steps, for the duplicate check: read back from their chunks."""
        stored = ImportChunk.objects.filter(contact_import=self.imp).order_by("index").values_list("rows", "payload")
        for rows, payload in stored.iterator(chunk_size=20):
            for number, contact in zip(rows, payload, strict=False):
                self.checker.remember(number, contact)

    def save(self, place: tuple[int, int], rows: list[int], payload: list[dict], refused: list[ImportRejection],
             last: bool = False) -> None:
        report = self.report
        now = timezone.now()
        changes = {
            "check_offset": place[0], "check_row": place[1], "total_chunks": self.chunks + bool(payload),
            "rows_to_send": report.valid, "rows_rejected": report.rejected, "heartbeat_at": now,
            "report": report.as_dict() | {"key_fields": self.checker.key_fields},
            "lease_expires_at": now + datetime.timedelta(seconds=self.tuning.lease_seconds),
        }
        if last:
            ready = report.valid > 0
            changes.update(status=ContactImport.Status.READY if ready else ContactImport.Status.UPLOADED,
                           planned=ready, row_count=report.rows)
        with transaction.atomic():
            if payload:
                ImportChunk.objects.create(contact_import=self.imp, index=self.chunks, first_row=rows[0],
                                           last_row=rows[-1], row_count=len(rows), rows=rows, payload=payload)
            ImportRejection.objects.bulk_create(refused)
            if not self._mine().update(**changes):
                raise _LeaseLost  # rolls the chunk and the refused rows back
        self.chunks += bool(payload)

    def fail(self, message: str) -> None:
        """The check stopped on something that concerns the whole file: back to the mapping, which shows it;
        nothing of this check is kept."""
        with transaction.atomic():
            if self._mine().update(status=ContactImport.Status.UPLOADED, report={"error": message}, planned=False,
                                   total_chunks=0, rows_to_send=0, rows_rejected=0):
                ImportChunk.objects.filter(contact_import=self.imp).delete()
                ImportRejection.objects.filter(contact_import=self.imp).delete()

    def _mine(self):
        return ContactImport.objects.filter(pk=self.imp.pk, status=ContactImport.Status.CHECKING,
                                            lease_token=self.token)
