import socket

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat

BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "dashboard.tasks.worker_heartbeat_task", "schedule": 30.0, "options": {"expires": 30}},
}


@shared_task
def worker_heartbeat_task(name: str | None = None) -> str:
    name = name or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
    return name
