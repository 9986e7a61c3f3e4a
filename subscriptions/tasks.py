"""Celery tasks of the subscriptions app: ids in, a service call, and the rescheduling.

Safe to deliver twice (acks_late): events and deliveries are claimed with a conditional UPDATE first.
"""

from __future__ import annotations

from celery import shared_task

# Longer waits than this are left to the sweep (see services.forwarding.SHORT_WAIT).
SHORT_WAIT = 30.0

BEAT_SCHEDULE = {
    "subscriptions-sweep": {
        "task": "subscriptions.sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
}


@shared_task(name="subscriptions.process", acks_late=True, ignore_result=True)
def event_process_task(event_id: int) -> None:
    from .services import event_process

    countdown = event_process(event_id=event_id)
    if countdown is not None and countdown <= SHORT_WAIT:
        event_process_task.apply_async((event_id,), countdown=countdown)


@shared_task(name="subscriptions.deliver", acks_late=True, ignore_result=True)
def delivery_send_task(delivery_id: int) -> None:
    from .services import delivery_send

    countdown = delivery_send(delivery_id=delivery_id)
    if countdown is not None and countdown <= SHORT_WAIT:  # longer waits: the sweep publishes it when due
        delivery_send_task.apply_async((delivery_id,), countdown=countdown)


@shared_task(name="subscriptions.digest", acks_late=True, ignore_result=True)
def digest_send_task(destination_id: int) -> None:
    from .services import digest_send

    digest_send(destination_id=destination_id)


@shared_task(name="subscriptions.sweep", ignore_result=True)
def subscriptions_sweep_task() -> dict:
    from .services import subscriptions_sweep

    return subscriptions_sweep()
