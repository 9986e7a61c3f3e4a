"""The worker's check of an uploaded file: each row checked once, and kept as the chunks to send.

The mapping page only queues it (contact_import_check); contact_import_run hands an import that is
"checking" to `contact_import_check_step`. A step leases the import row (conditional UPDATE), reads the
file one row at a time from where the last save stopped, and saves each chunk of valid rows together with
the rows refused before it, the de-duplication keys of its rows (kept in the database, ImportKey: the
worker's memory is the same for a file of any length, and a step that resumes reads nothing back), the
report so far and its place in the file, in one transaction that commits only while the step still holds
the lease. So a worker that dies loses at most the rows since its last save (the next step goes on from
there; no row is checked twice), two workers never check at once, and a check the mapping restarted (which
clears the lease) saves nothing more. When the check ends the import is planned: starting it sends the
chunks without reading the file again.
"""

from __future__ import annotations

import logging
import time

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from web.leases import Lease

from .. import csvfile, csvimport
from ..models import ContactImport, ImportChunk, ImportKey, ImportRejection
from .imports import row_checker

logger = logging.getLogger(__name__)

REJECTIONS_PER_SAVE = 2000  # rows refused in a row are saved in batches of this many, with the place reached


class _LeaseLost(Exception):
    """Another step took the check over, or the mapping restarted it: stop without saving."""


def contact_import_check_step(*, import_id: int, tuning) -> float | None:
    """Check rows of the file for at most `tuning.step_seconds`. Returns the seconds before the next step,
    or None when the check ended (or is not this step's to do)."""
    lease = Lease.take(ContactImport.objects.filter(status=ContactImport.Status.CHECKING), import_id,
                       seconds=tuning.lease_seconds, heartbeat_at=timezone.now())
    if lease is None:
        return None
    countdown = None
    try:
        countdown = _Check(ContactImport.objects.get(pk=import_id), lease, tuning).run()
    except _LeaseLost:
        logger.info("Import %s: the check was taken over or restarted; this step stops", import_id)
    finally:
        lease.release(next_run_in=countdown)
    return countdown


class _Check:
    def __init__(self, contact_import: ContactImport, lease: Lease, tuning):
        self.imp = contact_import
        self.lease = lease
        self.tuning = tuning
        self.checker = row_checker(contact_import, keys_in_memory=False)
        self.report = csvimport.Report.from_dict(contact_import.report or {})
        self.chunks = contact_import.total_chunks

    def run(self) -> float | None:
        imp = self.imp
        errors = self.checker.mapping_errors()
        if errors:  # the mapping page refuses these: only a mapping saved by other means gets here
            self.fail(" ".join(errors))
            return None
        deadline = time.monotonic() + self.tuning.step_seconds
        place = (imp.check_offset, imp.check_row)
        checked: list[csvimport.RowResult] = []
        valid = 0
        with imp.file.open("rb") as raw:
            try:
                for number, cells, end in csvfile.records(raw, encoding=imp.encoding, delimiter=imp.delimiter,
                                                          after=place if place[0] else None):
                    place = (end, number)
                    if not any(cell.strip() for cell in cells):
                        continue
                    result = self.checker.check(number, cells)
                    checked.append(result)
                    valid += result.contact is not None
                    out_of_time = time.monotonic() >= deadline
                    if valid >= imp.chunk_size or len(checked) - valid >= REJECTIONS_PER_SAVE or out_of_time:
                        self.save(place, checked)
                        checked, valid = [], 0
                        if out_of_time:
                            return 0.0
            except csvfile.CSVFormatError as exc:
                self.fail(str(exc))
                return None
        self.save(place, checked, last=True)
        ImportKey.objects.filter(contact_import=imp).delete()  # the check is over: no row comes after
        return None

    def save(self, place: tuple[int, int], checked: list[csvimport.RowResult], last: bool = False) -> None:
        """Keep the rows checked since the last save, up to `place` in the file: their keys (a row whose key
        an earlier row has is a duplicate of that row), the valid rows as a chunk, the others refused."""
        imp = self.imp
        with transaction.atomic():
            first_rows = _keep_keys(imp, [(r.key, r.row_number) for r in checked if r.key is not None])
            rows, payload, refused = [], [], []
            for result in checked:
                earlier = first_rows.get(result.key) if result.key is not None else None
                if earlier is not None and earlier != result.row_number:
                    result.refuse_as_duplicate(self.checker.duplicate_of(earlier))
                self.report.add(result)
                if result.contact is None:
                    refused.append(ImportRejection(contact_import=imp, row_number=result.row_number,
                                                   reason="; ".join(m for _, m in result.problems)))
                else:
                    rows.append(result.row_number)
                    payload.append(result.contact)
            report = self.report
            now = timezone.now()
            changes = {
                "check_offset": place[0], "check_row": place[1], "total_chunks": self.chunks + bool(payload),
                "rows_to_send": report.valid, "rows_rejected": report.rejected, "heartbeat_at": now,
                "report": report.as_dict() | {"key_fields": self.checker.key_fields},
                "lease_expires_at": self.lease.expiry(),
            }
            if last:
                ready = report.valid > 0
                changes.update(status=ContactImport.Status.READY if ready else ContactImport.Status.UPLOADED,
                               planned=ready, row_count=report.rows)
            if payload:
                ImportChunk.objects.create(contact_import=imp, index=self.chunks, first_row=rows[0],
                                           last_row=rows[-1], row_count=len(rows), rows=rows, payload=payload)
            ImportRejection.objects.bulk_create(refused)
            if not self._mine().update(**changes):
                raise _LeaseLost  # rolls the chunk, its keys and the refused rows back
        self.chunks += bool(payload)

    def fail(self, message: str) -> None:
        """The check stopped on something that concerns the whole file: back to the mapping, which shows it;
        nothing of this check is kept."""
        with transaction.atomic():
            if self._mine().update(status=ContactImport.Status.UPLOADED, report={"error": message}, planned=False,
                                   total_chunks=0, rows_to_send=0, rows_rejected=0):
                ImportChunk.objects.filter(contact_import=self.imp).delete()
                ImportRejection.objects.filter(contact_import=self.imp).delete()
                ImportKey.objects.filter(contact_import=self.imp).delete()

    def _mine(self):
        return self.lease.mine.filter(status=ContactImport.Status.CHECKING)


def _keep_keys(contact_import: ContactImport, met: list[tuple[int, int]]) -> dict[int, int]:
    """Keep each (key, row) of `met` (in file order) whose key is new to the import; returns the row each of
    their keys was first met on, now or in an earlier save. Inside the caller's transaction."""
    if not met:
        return {}
    keys, rows = zip(*met, strict=True)
    if db.vendor == "postgresql":
        # The keys as arrays: a model instance and its parameters per key cost the check of a million rows
        # more than checking them. The insert returns the keys it kept; only the others (duplicates, few)
        # are looked up, joined key by key to the index (a list of keys in a filter let the planner scan
        # every key of the import once the table had grown).
        table = db.ops.quote_name(ImportKey._meta.db_table)
        with db.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO {table} ("contact_import_id", "key", "row") '  # noqa: S608 - the model's own table
                "SELECT %s, met.key, met.row FROM unnest(%s::bigint[], %s::integer[]) WITH ORDINALITY "
                'AS met(key, row, place) ORDER BY met.place ON CONFLICT DO NOTHING RETURNING "key", "row"',
                [contact_import.pk, list(keys), list(rows)],
            )
            first_rows = dict(cursor.fetchall())
            earlier = list({key for key in keys if key not in first_rows})
            if earlier:
                cursor.execute(f'SELECT kept."key", kept."row" FROM unnest(%s::bigint[]) AS met(key) '  # noqa: S608
                               f'JOIN {table} kept ON kept."contact_import_id" = %s AND kept."key" = met.key',
                               [earlier, contact_import.pk])
                first_rows.update(cursor.fetchall())
            return first_rows
    ImportKey.objects.bulk_create([ImportKey(contact_import=contact_import, key=key, row=row) for key, row in met],
                                  ignore_conflicts=True)
    found = ImportKey.objects.filter(contact_import=contact_import, key__in=set(keys)).values_list("key", "row")
    return dict(found)
