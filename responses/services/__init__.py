"""Writes of the responses app, one module per workflow: exports (made, run, swept), schedules, a single
response's changes, imports."""

from .daily import DAYS as DAILY_DAYS
from .daily import daily_counts_forget, daily_counts_request, survey_daily_counts_run
from .export_runner import ExportTuning, response_export_run
from .export_sweeps import response_export_purge_files, response_export_reap
from .exports import export_body, response_export_cancel, response_export_create
from .imports import UnreadableFile, response_import_create, response_import_reap, response_import_run
from .schedules import (
    export_schedule_delete,
    export_schedule_run_ended,
    export_schedule_save,
    export_schedules_sweep,
    next_slot,
)
from .single import response_delete, response_embedded_data_set

__all__ = [
    "DAILY_DAYS",
    "ExportTuning",
    "UnreadableFile",
    "daily_counts_forget",
    "daily_counts_request",
    "export_body",
    "export_schedule_delete",
    "export_schedule_run_ended",
    "export_schedule_save",
    "export_schedules_sweep",
    "next_slot",
    "response_delete",
    "response_embedded_data_set",
    "response_export_cancel",
    "response_export_create",
    "response_export_purge_files",
    "response_export_reap",
    "response_export_run",
    "response_import_create",
    "response_import_reap",
    "response_import_run",
    "survey_daily_counts_run",
]
