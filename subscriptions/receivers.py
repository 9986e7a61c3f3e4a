"""How event subscriptions answer the connections app's hooks (connected in SubscriptionsConfig.ready())."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from connections.qualtrics_client import connection_client
from connections.signals import Dependent, Dependents
from qualtrics import NotFoundError, QualtricsError

from .models import Subscription

logger = logging.getLogger(__name__)


def subscriptions_of(sender, *, connection, **kwargs) -> Dependents:
    """The connection's event subscriptions, for its page and its delete confirmation."""
    return _as_dependents(Subscription.objects.filter(connection=connection))


def delete_subscriptions(sender, *, connection, actor, **kwargs) -> Dependents:
    """The connection is being deleted: delete its subscriptions in Qualtrics too, so that Qualtrics stops
    posting to receivers that are about to go. One Qualtrics refuses stays there (its posts are then refused
    as unknown); the deletion goes on."""
    subscriptions = list(Subscription.objects.filter(connection=connection))
    if subscriptions:
        client = connection_client(connection, actor=actor)
        for subscription in subscriptions:
            try:
                client.event_subscriptions.delete(subscription.qualtrics_id)
            except NotFoundError:
                pass
            except QualtricsError as exc:
                logger.warning("could not delete event subscription %s of connection %s: %s",
                               subscription.qualtrics_id, connection.pk, exc)
    return _as_dependents(subscriptions)


def _as_dependents(subscriptions: Iterable[Subscription]) -> Dependents:
    return Dependents(
        title="Event subscriptions",
        noun="event subscription(s)",
        fate="will be deleted in Qualtrics, with their events and forwarding",
        none_text="No event subscription posts to this portal through this connection.",
        items=tuple(Dependent(label=str(s), url=s.get_absolute_url(), note=s.qualtrics_id) for s in subscriptions),
    )
