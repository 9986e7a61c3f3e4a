"""Keeping a sent distribution's status and statistics in step with Qualtrics."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.crypto import TokenDecryptionError
from connections.qualtrics_client import connection_client
from qualtrics import RetryPolicy
from qualtrics.errors import AuthenticationError, QualtricsError

from ..models import Channel, Distribution, EventKind, State
from .compose import DistributionStateError, _audit, event_add

logger = logging.getLogger(__name__)

# Fresh sends change fast; older ones are refreshed less often, and not at all after a month.
FRESH_FOR = datetime.timedelta(days=1)
FRESH_INTERVAL = datetime.timedelta(minutes=5)
OLD_INTERVAL = datetime.timedelta(hours=1)
TRACK_FOR = datetime.timedelta(days=30)
STATS_BATCH = 100

STAT_LABELS = {
    "sent": "Sent",
    "failed": "Failed",
    "opened": "Opened",
    "started": "Started",
    "finished": "Finished",
    "bounced": "Bounced",
    "skipped": "Skipped",
    "complaints": "Complaints",
    "blocked": "Blocked",
    "credits": "Credits",
    "segments": "Segments",
}


def distribution_refresh_stats(*, distribution: Distribution, actor=None, client=None,
                               record_event: bool | None = None) -> Distribution:
    """Fetch the distribution from Qualtrics and keep its status and stats. Raises QualtricsError."""
    d = distribution
    if d.state != State.SENT or not d.qualtrics_id:
        raise DistributionStateError("Only a distribution Qualtrics has created has statistics.")
    client = client or connection_client(d.connection, actor=actor)
    if d.channel == Channel.SMS:
        result = client.sms_distributions.get(d.qualtrics_id, survey_id=d.survey_id) or {}
    else:
        result = client.distributions.get(d.qualtrics_id, survey_id=d.survey_id) or {}
    now = timezone.now()
    stats = result.get("stats") if isinstance(result.get("stats"), dict) else {}
    first = d.stats_refreshed_at is None
    if record_event is None:
        record_event = first or actor is not None
    with transaction.atomic():
        Distribution.objects.filter(pk=d.pk).update(
            qualtrics_stats=stats,
            qualtrics_status=str(result.get("requestStatus") or d.qualtrics_status)[:40],
            stats_refreshed_at=now,
        )
        d.refresh_from_db()
        if record_event:
            summary = ", ".join(f"{STAT_LABELS.get(k, k).lower()} {v}" for k, v in stats.items()) or "no figures yet"
            event_add(d, EventKind.STATS, f"Stats refreshed: {summary}.", actor=actor,
                      request_id=str((client.last_meta or {}).get("requestId") or ""))
        if actor is not None:
            _audit(d, "distribution.refresh_stats", actor=actor)
    return d


def stats_due(*, now: datetime.datetime | None = None):
    now = now or timezone.now()
    fresh = Q(sent_at__gte=now - FRESH_FOR) & (
        Q(stats_refreshed_at__isnull=True) | Q(stats_refreshed_at__lt=now - FRESH_INTERVAL)
    )
    older = Q(sent_at__lt=now - FRESH_FOR, sent_at__gte=now - TRACK_FOR) & (
        Q(stats_refreshed_at__isnull=True) | Q(stats_refreshed_at__lt=now - OLD_INTERVAL)
    )
    return (
        Distribution.objects.filter(state=State.SENT)
        .exclude(qualtrics_id="")
        .filter(connection__enabled=True, connection__token_rejected_at__isnull=True)
        .filter(fresh | older)
        .select_related("connection")
        .order_by("stats_refreshed_at", "sent_at")
    )


def distributions_refresh_stats_due(*, now: datetime.datetime | None = None, limit: int = STATS_BATCH) -> int:
    """The periodic refresh: a bounded batch, stalest first; a failing connection is skipped."""
    refreshed = 0
    skip_connections: set[int] = set()
    for d in stats_due(now=now)[:limit]:
        if d.connection_id in skip_connections:
            continue
        try:
            client = connection_client(d.connection, retry=RetryPolicy.none(), audit=False)
            distribution_refresh_stats(distribution=d, client=client)
            refreshed += 1
        except (AuthenticationError, TokenDecryptionError):
            skip_connections.add(d.connection_id)
        except QualtricsError as exc:
            logger.info("stats refresh of distribution %s failed: %s", d.pk, exc)
            if exc.is_transient:
                skip_connections.add(d.connection_id)
    return refreshed
