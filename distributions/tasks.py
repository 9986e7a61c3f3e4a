"""Celery tasks of the distributions app: thin; the services own the workflow."""

from __future__ import annotations

import os
from collections import Counter

from celery import shared_task

BEAT_SCHEDULE = {
    "distributions-sweep": {
        "task": "distributions.sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
    "distributions-reap": {
        "task": "distributions.reap",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    "distributions-refresh-stats": {
        "task": "distributions.refresh_stats",
        "schedule": 300.0,
        "options": {"expires": 290.0},
    },
}


@shared_task(name="distributions.sweep", ignore_result=True)
def distributions_sweep_task() -> int:
    """Claim due distributions and enqueue one send task for each."""
    from .services import distributions_sweep

    return len(distributions_sweep())


@shared_task(name="distributions.reap", ignore_result=True)
def distributions_reap_task() -> dict:
    """Take back rows left sending by dead workers; re-enqueue lost messages."""
    from .services import distributions_reap

    return distributions_reap()


@shared_task(name="distributions.send", bind=True, acks_late=True, ignore_result=True, max_retries=None)
def distribution_send_task(self, distribution_id: int, claim_token: str) -> str:
    """Send one distribution if its claim token still holds; reschedule itself on a transient failure."""
    from .services import distribution_send

    worker = f"{self.request.hostname or 'worker'}:{os.getpid()}"
    outcome = distribution_send(distribution_id=distribution_id, claim_token=claim_token, worker=worker)
    if outcome.status == "retry":
        raise self.retry(args=(distribution_id, outcome.claim_token), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="distributions.send_batch", bind=True, acks_late=True, ignore_result=True)
def distributions_send_batch_task(self, distribution_ids: list[int], claim_token: str) -> dict:
    """Send a sweep's batch of claimed rows; a row to retry later gets a task of its own with its countdown,
    rows the batch had no time for go on in a new batch."""
    from .services import distributions_send_batch

    worker = f"{self.request.hostname or 'worker'}:{os.getpid()}"
    outcomes = distributions_send_batch(distribution_ids=distribution_ids, claim_token=claim_token, worker=worker)
    for pk, outcome in outcomes.items():
        if outcome.status == "retry":
            distribution_send_task.apply_async((pk, outcome.claim_token), countdown=outcome.retry_in)
    deferred = [pk for pk, outcome in outcomes.items() if outcome.status == "deferred"]
    if deferred:
        distributions_send_batch_task.apply_async((deferred, claim_token))
    return dict(Counter(outcome.status for outcome in outcomes.values()))


@shared_task(name="distributions.refresh_stats", ignore_result=True)
def distributions_refresh_stats_task() -> int:
    """Refresh status and stats of recently sent distributions."""
    from .services import distributions_refresh_stats_due

    return distributions_refresh_stats_due()
