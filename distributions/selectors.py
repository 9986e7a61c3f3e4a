"""Reads of the distributions app: the portal's records, and what the pickers and preview fetch."""

from __future__ import annotations

import datetime
from dataclasses import replace

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from connections.access import connections_for
from connections.models import Connection
from qualtrics import Page
from web.charts import Bar, Funnel

from .models import Channel, Distribution, Kind, State
from .pickers import (  # noqa: F401  (re-exported: the pickers are reads too)
    PickerItem,
    contacts_for_picker,
    directories_for_picker,
    libraries_for_picker,
    mailing_lists_for_picker,
    message_for_preview,
    messages_for_picker,
)
from .preview import Preview, distribution_preview  # noqa: F401
from .services.stats import STAT_LABELS

UPCOMING_STATES = (State.SCHEDULED, State.QUEUED, State.SENDING, State.CHECKING, State.HELD)


def _upcoming_first(qs: QuerySet[Distribution]) -> QuerySet[Distribution]:
    """Pending ones first, soonest first; then drafts; then everything else, newest first."""
    return qs.annotate(
        _group=Case(
            When(state__in=UPCOMING_STATES, then=Value(0)),
            When(state=State.DRAFT, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("_group", Case(When(state__in=UPCOMING_STATES, then="send_at")), "-send_at", "-created_at", "-pk")


def distribution_list(
    *,
    connection: Connection,
    state: str = "",
    channel: str = "",
    survey: str = "",
    sent_from: datetime.date | None = None,
    sent_to: datetime.date | None = None,
    search: str = "",
) -> QuerySet[Distribution]:
    qs = Distribution.objects.filter(connection=connection).select_related("parent", "created_by")
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    if survey:
        qs = qs.filter(Q(survey_id__iexact=survey) | Q(survey_name__icontains=survey))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(survey_name__icontains=search) | Q(qualtrics_id__iexact=search))
    if sent_from:
        qs = qs.filter(send_at__date__gte=sent_from)
    if sent_to:
        qs = qs.filter(send_at__date__lte=sent_to)
    return _upcoming_first(qs)


def distribution_get(*, connection: Connection, distribution_id) -> Distribution:
    try:
        return Distribution.objects.select_related("connection", "parent", "created_by").get(
            connection=connection, pk=int(distribution_id)
        )
    except (Distribution.DoesNotExist, ValueError, TypeError):
        raise Http404("No such distribution") from None


def upcoming_distributions_for(user, limit: int = 10) -> list[Distribution]:
    """The user's accessible connections' scheduled distributions, soonest first (the dashboard)."""
    return list(
        Distribution.objects.filter(connection__in=connections_for(user), state__in=UPCOMING_STATES)
        .select_related("connection")
        .order_by("send_at", "pk")[:limit]
    )


def scheduled_for_connection(connection: Connection) -> QuerySet[Distribution]:
    """Distributions waiting to go out through `connection`: what deleting it cancels."""
    return Distribution.objects.filter(
        connection=connection, state__in=(State.SCHEDULED, State.QUEUED, State.HELD)
    ).order_by("send_at", "pk")


def for_survey(connection: Connection, survey_id: str, *, limit: int = 50) -> QuerySet[Distribution]:
    """The distributions of one survey made through `connection`, pending ones first (the survey's page)."""
    return _upcoming_first(Distribution.objects.filter(connection=connection, survey_id=survey_id))[:limit]


def scheduled_for_survey(connection: Connection, survey_id: str) -> QuerySet[Distribution]:
    """Distributions of one survey waiting to go out: what deleting the survey would make fail."""
    return scheduled_for_connection(connection).filter(survey_id=survey_id)


def parents_for(*, connection: Connection, channel: str) -> QuerySet[Distribution]:
    """Sent invites a reminder or thank-you may follow."""
    kinds = (Kind.INVITE, Kind.INTERACTIVE) if channel == Channel.SMS else (Kind.INVITE,)
    return (
        Distribution.objects.filter(connection=connection, channel=channel, state=State.SENT, kind__in=kinds)
        .exclude(qualtrics_id="")
        .order_by("-sent_at", "-pk")
    )


def follow_ups_of(distribution: Distribution) -> QuerySet[Distribution]:
    return distribution.follow_ups.order_by("send_at", "pk")


def distribution_history_page(*, client, distribution: Distribution, page_url: str | None = None,
                              page_size: int = 50) -> Page:
    """One page of per-recipient history, each row with the contact's name when known. E-mail only:
    where Qualtrics keeps none (SMS, or not sent yet), an empty page whose notice says why."""
    if distribution.channel == Channel.SMS:
        return Page([], notice="Qualtrics keeps no per-recipient history for SMS distributions; see the stats above.")
    if not distribution.qualtrics_id:
        if distribution.state == State.CHECKING:
            return Page([], notice="The portal is still checking whether Qualtrics created it; the history "
                                   "appears once it has been found there.")
        return Page([], notice="History appears once Qualtrics has created it.")
    page = client.distributions.list_history(distribution.qualtrics_id, page_size=page_size, page_url=page_url)
    names = _recipient_names(distribution)
    rows = [{**row, "name": names.get(row.get("contactLookupId") or "", "")} for row in page.items]
    return replace(page, items=rows)


def _recipient_names(distribution: Distribution) -> dict[str, str]:
    """Lookup ID -> contact name, from the (cached) members of the list it went to; empty if unknown."""
    from qualtrics.errors import QualtricsError

    from .pickers import contact_label, list_members

    source = distribution.parent if distribution.is_follow_up and distribution.parent_id else distribution
    if not source.directory_id or not source.mailing_list_id:
        return {}
    try:
        members = list_members(distribution.connection, source.directory_id, source.mailing_list_id)
    except QualtricsError:
        return {}
    return {m["contactLookupId"]: contact_label(m) for m in members if m.get("contactLookupId")}


FUNNEL_STEPS = ("sent", "opened", "started", "finished")


def stats_funnel(stats: dict | None) -> Funnel | None:
    """A distribution's figures as a funnel (sent → opened → started → finished; SMS has no "opened"), the
    others (failed, bounced, …, an SMS's credits and segments) beside it; None before Qualtrics gave any."""
    if not stats:
        return None
    steps = [Bar(STAT_LABELS[key], int(stats[key] or 0)) for key in FUNNEL_STEPS if key in stats]
    # In STAT_LABELS' order, not the stored one: PostgreSQL's jsonb keeps keys sorted by length.
    known = list(STAT_LABELS)
    others = sorted((key for key in stats if key not in FUNNEL_STEPS),
                    key=lambda key: (known.index(key) if key in known else len(known), key))
    aside = [Bar(STAT_LABELS.get(key, key.capitalize()), int(stats[key] or 0)) for key in others]
    return Funnel(title="Recipients at each step", steps=steps, aside=aside)
