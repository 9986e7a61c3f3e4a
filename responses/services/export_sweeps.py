"""Sweeps over exports: files deleted after the retention period, exports nobody works on taken back."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from ..models import ResponseExport

logger = logging.getLogger(__name__)


def response_export_purge_files(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of exports made more than `days` ago (RESPONSES_EXPORT_RETENTION_DAYS by default); the
    export's row stays, saying when its file went. Idempotent and safe from several sweeps at once: each file is
    claimed by a conditional UPDATE before it is deleted. Returns how many files were deleted."""
    days = settings.RESPONSES_EXPORT_RETENTION_DAYS if days is None else days
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    deleted = 0
    stale = ResponseExport.objects.filter(finished_at__lt=cutoff, purged_at__isnull=True).exclude(file="")
    for pk, name in stale.values_list("pk", "file").iterator():
        if not ResponseExport.objects.filter(pk=pk, file=name, purged_at__isnull=True).update(purged_at=now):
            continue  # another sweep took it
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("export %s: could not delete its file %s", pk, name, exc_info=True)
        deleted += 1
    if deleted:
        logger.info("deleted the files of %d exports older than %d days", deleted, days)
    return deleted


def response_export_reap(*, grace_seconds: float = 60.0, now: datetime.datetime | None = None) -> list[int]:
    """Exports that should be running but nobody works on: a lease that expired (its worker died) or a next
    step overdue (its message was lost). Returns their ids, to enqueue again."""
    now = now or timezone.now()
    overdue = now - datetime.timedelta(seconds=grace_seconds)
    return list(
        ResponseExport.objects.filter(status__in=ResponseExport.ACTIVE)
        .filter(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, next_run_at__lt=overdue)
                | Q(lease_expires_at__isnull=True, next_run_at__isnull=True, created_at__lt=overdue))
        .values_list("pk", flat=True)
    )
