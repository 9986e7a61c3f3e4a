"""Sweeps over bulk imports: uploaded files purged after the retention period, abandoned imports found."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import ContactImport

logger = logging.getLogger(__name__)


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
    """Imports that should be running (or checking their file) but nobody works on: a lease that expired
    (its worker died), or a next step overdue (its message was lost). Returns their ids, to enqueue again."""
    now = timezone.now()
    overdue = now - datetime.timedelta(seconds=grace_seconds)
    return list(
        ContactImport.objects.filter(status__in=[*ContactImport.ACTIVE, ContactImport.Status.CHECKING])
        .filter(
            Q(lease_expires_at__lt=now)
            | Q(lease_expires_at__isnull=True, next_run_at__lt=overdue)
            | Q(lease_expires_at__isnull=True, next_run_at__isnull=True, queued_at__lt=overdue)
        )
        .values_list("pk", flat=True)
    )
