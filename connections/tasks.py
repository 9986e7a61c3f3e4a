"""Daily alerts about connections: expiring tokens and tokens Qualtrics no longer accepts.

The expiry sweep claims what is due and hands it to workers in batches (no Qualtrics call is needed);
the token-health sweep lists connection ids and fans out one task per batch of them, so several workers
share the whoami calls. Every task is safe to run twice or concurrently: an alert is sent only by whoever
inserted (or took over) its AlertSent row.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab
from django.db import transaction

logger = logging.getLogger(__name__)

MAX_HEALTH_RETRIES = 3

BEAT_SCHEDULE = {
    "connections-expiry-sweep": {
        "task": "connections.tasks.connections_expiry_sweep_task",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "connections-token-health-sweep": {
        "task": "connections.tasks.connections_token_health_sweep_task",
        "schedule": crontab(hour=5, minute=30),
        "options": {"expires": 6 * 3600},
    },
}


# Connections one token-health task checks (one broker message, one SMTP connection for their alerts).
HEALTH_BATCH = 50


def _enqueue_batches(task, ids: list[int], size: int) -> int:
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        transaction.on_commit(lambda chunk=chunk: task.delay(chunk))
    return len(ids)


@shared_task(name="connections.tasks.connections_expiry_sweep_task", ignore_result=True)
def connections_expiry_sweep_task() -> int:
    """Claim every expiry alert due today (what is due read in one query, the alerts recorded in one insert)
    and hand them to workers in batches, each sent over one SMTP connection."""
    from .services import connections_expiry_sweep

    report = connections_expiry_sweep(deliver=lambda ids, claim: connections_alerts_deliver_task.delay(ids, claim))
    return report.claimed


@shared_task(name="connections.tasks.connections_alerts_deliver_task", ignore_result=True)
def connections_alerts_deliver_task(alert_ids: list[int], claim: str) -> int:
    """Send one batch of claimed alerts over one SMTP connection (a repeated message sends nothing)."""
    from .services import alerts_deliver

    return alerts_deliver(alert_ids=alert_ids, claim=claim).sent


@shared_task(name="connections.tasks.connections_token_health_sweep_task", ignore_result=True)
def connections_token_health_sweep_task() -> int:
    """Fan out: one whoami per enabled connection, HEALTH_BATCH connections per task."""
    from .selectors import connections_due_for_token_check

    return _enqueue_batches(connections_token_health_batch_task, connections_due_for_token_check(), HEALTH_BATCH)


@shared_task(
    bind=True,
    name="connections.tasks.connections_token_health_batch_task",
    ignore_result=True,
    max_retries=MAX_HEALTH_RETRIES,
)
def connections_token_health_batch_task(self, connection_ids: list[int]) -> dict:
    """whoami on a batch of connections; the rejected ones alerted together (once per rejection); those that
    failed for now are checked again later, a few times."""
    from qualtrics import RetryPolicy

    from .services import connections_token_health_batch

    outcome = connections_token_health_batch(connection_ids=connection_ids, retry=RetryPolicy.none())
    if outcome.transient and self.request.retries < MAX_HEALTH_RETRIES:
        countdown = outcome.retry_after or 60 * (2**self.request.retries)
        raise self.retry(args=(outcome.transient,), countdown=min(countdown, 3600))
    return {"ok": len(outcome.ok), "rejected": len(outcome.rejected), "transient": len(outcome.transient)}


@shared_task(
    bind=True,
    name="connections.tasks.connection_token_health_task",
    ignore_result=True,
    max_retries=MAX_HEALTH_RETRIES,
)
def connection_token_health_task(self, connection_id: int) -> bool | None:
    """whoami on one connection; a rejected token alerts once; transient failures retry a few times."""
    from qualtrics import RetryPolicy

    from .models import Connection
    from .services import connection_token_health_check

    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return None
    result = connection_token_health_check(connection=connection, retry=RetryPolicy.none())
    error = result.error
    if error is not None and getattr(error, "is_transient", False) and self.request.retries < MAX_HEALTH_RETRIES:
        countdown = getattr(error, "retry_after", None) or 60 * (2**self.request.retries)
        raise self.retry(countdown=min(countdown, 3600))
    return result.ok
