"""Daily sweeps: managers told about API keys about to expire (one small task per key), and the audit rows of
gateway calls older than GATEWAY_CALL_RETENTION_DAYS deleted."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.db import transaction

BEAT_SCHEDULE = {
    "gateway-key-expiry-sweep": {
        "task": "gateway.tasks.api_keys_expiry_sweep_task",
        "schedule": crontab(hour=6, minute=15),
        "options": {"expires": 6 * 3600},
    },
    "gateway-calls-retention-sweep": {
        "task": "gateway.tasks.gateway_calls_retention_sweep_task",
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": 6 * 3600},
    },
}


@shared_task(name="gateway.tasks.api_keys_expiry_sweep_task", ignore_result=True)
def api_keys_expiry_sweep_task() -> int:
    from .services.alerts import keys_due_for_expiry_notice

    ids = keys_due_for_expiry_notice()
    for pk in ids:
        transaction.on_commit(lambda pk=pk: api_key_expiry_notice_task.delay(pk))
    return len(ids)


@shared_task(name="gateway.tasks.api_key_expiry_notice_task", ignore_result=True)
def api_key_expiry_notice_task(key_id: int) -> bool:
    from .services.alerts import api_key_expiry_notice_send

    return api_key_expiry_notice_send(key_id=key_id)


@shared_task(name="gateway.tasks.gateway_calls_retention_sweep_task", ignore_result=True)
def gateway_calls_retention_sweep_task() -> int:
    from .services.retention import gateway_calls_expire

    return gateway_calls_expire()
