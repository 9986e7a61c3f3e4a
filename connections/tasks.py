"""Daily alerts about connections: expiring tokens and tokens Qualtrics no longer accepts.

Each sweep only lists connection ids and fans out one small task per connection, so several workers
share the load. Every task loads its connection by id, quietly stops if it is gone or disabled, and
is safe to run twice or concurrently: an alert is sent only by whoever inserts its AlertSent row.
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


def _enqueue(task, ids) -> int:
    count = 0
    for pk in ids:
        transaction.on_commit(lambda pk=pk: task.delay(pk))
        count += 1
    return count


@shared_task(name="connections.tasks.connections_expiry_sweep_task", ignore_result=True)
def connections_expiry_sweep_task() -> int:
    """Fan out: one expiry check per enabled connection that has an expiration date."""
    from .selectors import connections_due_for_expiry_check

    return _enqueue(connection_expiry_check_task, connections_due_for_expiry_check())


@shared_task(name="connections.tasks.connection_expiry_check_task", ignore_result=True)
def connection_expiry_check_task(connection_id: int) -> str | None:
    from .models import Connection
    from .services import connection_expiry_alert_send

    connection = Connection.objects.filter(pk=connection_id, enabled=True).select_related("owner").first()
    if connection is None:
        return None
    return connection_expiry_alert_send(connection=connection)


@shared_task(name="connections.tasks.connections_token_health_sweep_task", ignore_result=True)
def connections_token_health_sweep_task() -> int:
    """Fan out: one whoami per enabled connection."""
    from .selectors import connections_due_for_token_check

    return _enqueue(connection_token_health_task, connections_due_for_token_check())


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
