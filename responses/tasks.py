"""Celery tasks of the responses app: ids in, a service call, the rescheduling policy.

The export task is safe to deliver twice (acks_late): the service leases the export row before it works on
it. Services enqueue these tasks, so the services are imported when a task runs, not before.
"""

from __future__ import annotations

from celery import shared_task

BEAT_SCHEDULE = {
    "responses-schedules-sweep": {
        "task": "responses.tasks.export_schedules_sweep_task",
        "schedule": 30.0,
        "options": {"expires": 28},
    },
    "responses-export-reaper": {
        "task": "responses.tasks.response_export_reap_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "responses-export-file-purge": {
        "task": "responses.tasks.response_export_purge_files_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}


@shared_task(acks_late=True, ignore_result=True)
def response_export_run_task(export_id: int) -> None:
    """One step of an export (at most about 40 s); schedules the next one itself."""
    from .services import response_export_run

    countdown = response_export_run(export_id=export_id)
    if countdown is not None:
        response_export_run_task.apply_async((export_id,), countdown=countdown)


@shared_task(acks_late=True, ignore_result=True)
def response_import_run_task(import_id: int) -> None:
    """One step of a response import; schedules the next one itself."""
    from .services import response_import_run

    countdown = response_import_run(import_id=import_id)
    if countdown is not None:
        response_import_run_task.apply_async((import_id,), countdown=countdown)


@shared_task(ignore_result=True)
def response_export_reap_task() -> list[int]:
    """Re-enqueue exports (and imports) whose worker died (lease expired) or whose next step never came."""
    from .services import response_export_reap, response_import_reap

    found = response_export_reap()
    for export_id in found:
        response_export_run_task.delay(export_id)
    for import_id in response_import_reap():
        response_import_run_task.delay(import_id)
    return found


@shared_task(ignore_result=True)
def response_export_purge_files_task() -> int:
    """Delete export files older than RESPONSES_EXPORT_RETENTION_DAYS."""
    from .services import response_export_purge_files

    return response_export_purge_files()


@shared_task(ignore_result=True)
def export_schedules_sweep_task() -> int:
    """Start the run of every due schedule slot, once."""
    from .services import export_schedules_sweep

    return len(export_schedules_sweep())


@shared_task(ignore_result=True, soft_time_limit=240)
def survey_daily_counts_task(connection_id: int, survey_id: str) -> None:
    """Count a survey's responses per hour for its chart (a read: a second delivery only counts again)."""
    from .services.daily import survey_daily_counts_run

    survey_daily_counts_run(connection_id=connection_id, survey_id=survey_id)
