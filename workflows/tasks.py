"""Celery tasks of the workflows app: ids in, a service call, and the rescheduling.

Tasks are safe to deliver twice (acks_late): the planner takes a lease on its run, and each event is
claimed with a conditional UPDATE before it is sent.
"""

from __future__ import annotations

import os

from celery import shared_task

BEAT_SCHEDULE = {
    "workflows-sweep": {
        "task": "workflows.sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
}


@shared_task(name="workflows.plan", acks_late=True, ignore_result=True)
def run_plan_task(run_id: int) -> None:
    """Read a run's members for one step; schedule the next step itself."""
    from .services import run_plan

    countdown = run_plan(run_id=run_id)
    if countdown is not None:
        run_plan_task.apply_async((run_id,), countdown=countdown)


@shared_task(name="workflows.send", bind=True, acks_late=True, ignore_result=True)
def run_send_task(self, run_id: int) -> None:
    """Send a run's due events for one step; go on in a new task while there is work."""
    from .services import run_send

    worker = f"{self.request.hostname or 'worker'}:{os.getpid()}"
    countdown = run_send(run_id=run_id, worker=worker)
    if countdown is not None:
        run_send_task.apply_async((run_id,), countdown=countdown or None)


@shared_task(name="workflows.sweep", ignore_result=True)
def runs_sweep_task() -> dict:
    """Mark events dead workers left mid-call, restart lost planners and idle senders, close finished runs."""
    from .services import runs_sweep

    return runs_sweep()
