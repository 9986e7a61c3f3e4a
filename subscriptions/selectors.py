"""Reads of the subscriptions app: what Qualtrics holds compared with what the portal knows, the feed, deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from connections.models import Connection
from connections.qualtrics_client import connection_client

from .models import Delivery, DeliveryState, Destination, Event, Subscription
from .services import receiver_id_of

FEED_SIZE = 50


@dataclass
class Row:
    """One subscription of the brand as Qualtrics lists it, with what the portal makes of it."""

    qualtrics_id: str
    topics: str
    publication_url: str
    successful_calls: int | None
    mark: str  # "ours", "orphan" (points at this portal, unknown to it), "elsewhere", or "missing" (not in Qualtrics)
    subscription: Subscription | None = None


def brand_subscriptions(*, connection: Connection, actor) -> list[Row]:
    """Every subscription Qualtrics lists for the brand, and the portal's own that Qualtrics no longer has."""
    client = connection_client(connection, actor=actor)
    known = {s.receiver_id: s for s in subscription_list(connection=connection)}
    rows, seen = [], set()
    for item in client.event_subscriptions.list().iter_all():
        url = item.get("publicationUrl") or ""
        receiver = receiver_id_of(url)
        mine = known.get(receiver) if receiver else None
        if mine is not None:
            seen.add(mine.pk)
        mark = "elsewhere" if receiver is None else ("ours" if mine is not None else "orphan")
        rows.append(Row(item.get("id", ""), item.get("topics", ""), url, item.get("successfulCalls"), mark, mine))
    for subscription in known.values():
        if subscription.pk not in seen:
            rows.append(Row(subscription.qualtrics_id, subscription.topics, subscription.publication_url, None,
                            "missing", subscription))
    order = {"ours": 0, "missing": 1, "orphan": 2, "elsewhere": 3}
    rows.sort(key=lambda r: (order[r.mark], r.topics))
    return rows


def subscription_list(*, connection: Connection) -> QuerySet[Subscription]:
    return Subscription.objects.filter(connection=connection).annotate(
        event_count=Count("events", distinct=True)).select_related("created_by")


def subscription_get(*, connection: Connection, subscription_id) -> Subscription:
    try:
        return Subscription.objects.select_related("connection", "created_by").get(connection=connection,
                                                                                   pk=int(subscription_id))
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise Http404("No such subscription") from None


def destination_get(*, subscription: Subscription, destination_id) -> Destination:
    try:
        return subscription.destinations.get(pk=int(destination_id))
    except (Destination.DoesNotExist, ValueError, TypeError):
        raise Http404("No such destination") from None


def destinations_of(*, subscription: Subscription) -> list[Destination]:
    return list(subscription.destinations.annotate(
        sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
        waiting=Count("deliveries", filter=Q(deliveries__state__in=(DeliveryState.PENDING, DeliveryState.SENDING))),
        dead=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DEAD)),
    ))


def dead_letters(*, subscription: Subscription, limit: int = 50) -> list[Delivery]:
    return list(Delivery.objects.filter(destination__subscription=subscription, state=DeliveryState.DEAD)
                .select_related("event", "destination").order_by("-pk")[:limit])


def feed(*, connection: Connection, survey_id: str = "", limit: int = FEED_SIZE) -> list[Event]:
    """The latest events of the connection (of one survey), newest first."""
    qs = Event.objects.filter(connection=connection).select_related("subscription")
    if survey_id:
        qs = qs.filter(survey_id=survey_id)
    return list(qs.order_by("-received_at", "-pk")[:limit])


def feed_surveys(*, connection: Connection) -> list[tuple[str, str]]:
    """(survey ID, name) of the connection's subscriptions, for the feed's filter."""
    seen: dict[str, str] = {}
    for survey_id, name in Subscription.objects.filter(connection=connection).exclude(survey_id="").values_list(
            "survey_id", "survey_name"):
        seen.setdefault(survey_id, name or survey_id)
    return sorted(seen.items(), key=lambda pair: pair[1].lower())
