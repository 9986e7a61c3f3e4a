"""Reads of the gateway: a connection's keys with their use, one key, its calls."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from connections.models import Connection

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
