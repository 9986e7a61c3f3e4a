"""Writes of the workflows app: triggers (triggers), starting, pausing, resuming and cancelling runs
(runs), and sending their events exactly once (sending).

Views, tasks and the sweep import from here.
"""

from .runs import (
    RunStateError,
    check_payload,
    payload_for_contact,
    run_cancel,
    run_resume,
    run_retry,
    run_send_one,
    run_start_list,
    run_start_search,
)
from .sending import Tuning, item_counts, run_plan, run_send, runs_sweep
from .triggers import TriggerInUse, connection_username, trigger_create, trigger_delete, trigger_update

__all__ = [
    "RunStateError",
    "TriggerInUse",
    "Tuning",
    "check_payload",
    "connection_username",
    "item_counts",
    "payload_for_contact",
    "run_cancel",
    "run_plan",
    "run_resume",
    "run_retry",
    "run_send",
    "run_send_one",
    "run_start_list",
    "run_start_search",
    "runs_sweep",
    "trigger_create",
    "trigger_delete",
    "trigger_update",
]
