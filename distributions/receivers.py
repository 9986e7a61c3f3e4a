"""How distributions answer the hooks of the apps below them (connected in DistributionsConfig.ready()):
the connections app's (a connection shown or deleted) and the surveys app's (a survey shown or deleted)."""

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


def survey_distributions(sender, *, connection, survey_id, pending_only=False, **kwargs) -> Dependents:
    """A survey's distributions made in the portal: all of them for its page; for its delete confirmation,
    those still to be sent, which would fail once it is gone."""
    if pending_only:
        return Dependents(
            title="Scheduled distributions",
            noun="scheduled distribution(s)",
            fate="would fail without the survey, so they will be cancelled",
            none_text="No distribution of this survey is scheduled in the portal.",
            items=tuple(_item(d) for d in selectors.scheduled_for_survey(connection, survey_id)),
        )
    return Dependents(
        title="Distributions in the portal",
        noun="distribution(s)",
        none_text="No distribution of this survey was composed in the portal.",
        items=tuple(_item(d, state=True) for d in selectors.for_survey(connection, survey_id)),
    )


def cancel_survey_distributions(sender, *, connection, survey_id, actor, survey_name="", **kwargs) -> Dependents:
    """The survey was deleted: cancel its distributions not sent yet, each with a timeline entry saying why."""
    cancelled = services.distributions_cancel_for_survey(connection=connection, survey_id=survey_id,
                                                         survey_name=survey_name, actor=actor)
    return Dependents(title="Scheduled distributions", noun="scheduled distribution(s)",
                      items=tuple(_item(d) for d in cancelled))


def _as_dependents(distributions: Iterable[Distribution]) -> Dependents:
    return Dependents(
        title="Scheduled distributions",
        noun="scheduled distribution(s)",
        fate="will be cancelled before they are sent",
        none_text="No distribution is scheduled through this connection.",
        items=tuple(_item(d) for d in distributions),
    )


def _item(d: Distribution, *, state: bool = False) -> Dependent:
    note = _due(d)
    if state:
        note = f"{d.get_state_display().lower()}, {note}" if note else d.get_state_display().lower()
    return Dependent(label=str(d), url=d.get_absolute_url(), note=note)


def _due(distribution: Distribution) -> str:
    if not distribution.send_at:
        return ""
    local = timezone.localtime(distribution.send_at)
    return f"due {local.day} {local:%b %Y %H:%M}"
