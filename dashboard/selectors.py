import datetime

from django.utils import timezone

from .models import WorkerHeartbeat

STALE_AFTER = datetime.timedelta(minutes=2)


def worker_status() -> dict:
    """Whether a Celery worker ran recently: scheduled sends and imports need one."""
    last = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if last is None:
        return {"ok": False, "seen_at": None}
    return {"ok": timezone.now() - last.seen_at < STALE_AFTER, "seen_at": last.seen_at}
