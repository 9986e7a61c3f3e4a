"""How distributions answer the connections app's hooks (connected in DistributionsConfig.ready())."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from connections.signals import Dependent, Dependents

from . import selectors, services
from .models import Distribution


def scheduled_distributions(sender, *, connection, **kwargs) -> Dependents:
    """The distributions waiting to go out through `connection`, for its page and delete confirmation."""
    return _as_dependents(selectors.scheduled_for_connection(connection))


def cancel_scheduled_distributions(sender, *, connection, actor, **kwargs) -> Dependents:
    """The connection is being deleted: cancel what has not started sending, and say what was cancelled."""
    return _as_dependents(services.distributions_cancel_for_connection(connection, actor))


def _as_dependents(distributions: Iterable[Distribution]) -> Dependents:
    return Dependents(
        title="Scheduled distributions",
        noun="scheduled distribution(s)",
        fate="will be cancelled before they are sent",
        none_text="No distribution is scheduled through this connection.",
        items=tuple(
            Dependent(label=str(d), url=d.get_absolute_url(), note=_due(d)) for d in distributions
        ),
    )


def _due(distribution: Distribution) -> str:
    if not distribution.send_at:
        return ""
    local = timezone.localtime(distribution.send_at)
    return f"due {local.day} {local:%b %Y %H:%M}"
