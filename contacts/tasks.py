"""Celery tasks for XM Directory work: ids in, a service call, and the rescheduling policy.

The import task is idempotent and safe to deliver twice (acks_late): the service takes a lease on the
import row with a conditional UPDATE, and each chunk is claimed the same way before it is sent.

Services enqueue these tasks, so this module imports nothing of them at import time: each task imports
its service when it runs.
"""

from __future__ import annotations

from celery import shared_task

BEAT_SCHEDULE = {
    "contacts-import-reaper": {
        "task": "contacts.tasks.contact_import_reap_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "contacts-import-file-purge": {
        "task": "contacts.tasks.contact_import_purge_files_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}


@shared_task(acks_late=True, ignore_result=True)
def contact_import_run_task(import_id: int) -> None:
    """One step of an import (at most CONTACT_IMPORT_STEP_SECONDS); schedules the next one itself."""
    from .services import contact_import_run

    countdown = contact_import_run(import_id=import_id)
    if countdown is not None:
        contact_import_run_task.apply_async((import_id,), countdown=countdown)


@shared_task(ignore_result=True)
def contact_import_reap_task() -> list[int]:
    """Re-enqueue imports whose worker died (lease expired) or whose next step never came."""
    from .services import contact_import_reap

    found = contact_import_reap()
    for import_id in found:
        contact_import_run_task.delay(import_id)
    return found


@shared_task(ignore_result=True)
def contact_import_purge_files_task() -> int:
    """Delete uploaded files of imports that ended more than CONTACT_IMPORT_FILE_RETENTION_DAYS ago."""
    from .services import contact_import_purge_files

    return contact_import_purge_files()
