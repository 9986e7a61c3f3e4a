"""Reads of the gateway: a connection's keys with their use, one key, its calls, the gateway's use at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from connections.access import connections_for
from connections.models import Connection, Role

from .models import ApiKey, GatewayCall

RECENT_CALLS = 100


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def key_list(*, connection: Connection) -> QuerySet[ApiKey]:
    """The connection's keys, each with `last_used_at`, `calls_today` and `errors_today`."""
    today = Q(calls__created_at__gte=_start_of_today())
    return (
        ApiKey.objects.filter(connection=connection)
        .select_related("created_by")
        .annotate(
            last_used_at=Max("calls__created_at"),
            calls_today=Count("calls", filter=today),
            errors_today=Count("calls", filter=today & Q(calls__status__gte=400)),
        )
    )


def key_get(*, connection: Connection, key_id) -> ApiKey:
    try:
        return key_list(connection=connection).get(pk=int(key_id))
    except (ApiKey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such API key") from None


def key_calls(*, key: ApiKey) -> QuerySet[GatewayCall]:
    """The key's calls, newest first."""
    return GatewayCall.objects.filter(key=key)


@dataclass(frozen=True)
class GatewayUse:
    """Calls made with keys in a period, and how many the gateway itself refused (its refusal rate)."""

    calls: int
    refused: int
    failed: int  # answered with an error status, by Qualtrics or by the gateway

    @property
    def refused_percent(self) -> float:
        return 100.0 * self.refused / self.calls if self.calls else 0.0


def gateway_use_for(user, *, hours: int = 24) -> GatewayUse | None:
    """The gateway's use over the last `hours` on the connections `user` manages (the ones whose keys they
    see), or None when none of them has a key."""
    # From the keys (few) to the user's connections, not the other way round: someone with thousands of
    # connections would otherwise have each of them looked up among the keys.
    with_keys = ApiKey.objects.values("connection_id")
    managed = list(connections_for(user, role=Role.MANAGER).filter(pk__in=with_keys).values_list("pk", flat=True))
    if not managed:
        return None
    since = timezone.now() - timedelta(hours=hours)
    totals = GatewayCall.objects.filter(key__connection__in=managed, created_at__gte=since).aggregate(
        calls=Count("pk"), refused=Count("pk", filter=Q(refused=True)), failed=Count("pk", filter=Q(status__gte=400))
    )
    return GatewayUse(**totals)
