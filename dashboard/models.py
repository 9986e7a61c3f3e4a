from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the heartbeat task, so pages can warn when no worker runs."""

    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table was made when this model lived in the project package; installations keep it.
        db_table = "portal_workerheartbeat"

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
