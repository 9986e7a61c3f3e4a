"""How long the gateway's call records are kept: a busy integration makes millions of calls a month."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from ..models import GatewayCall

BATCH = 5000


def gateway_calls_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete call records older than GATEWAY_CALL_RETENTION_DAYS, in batches (short transactions, no long
    lock on a table the gateway writes to all the time). Returns how many went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.GATEWAY_CALL_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(GatewayCall.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += GatewayCall.objects.filter(pk__in=ids).delete()[0]
