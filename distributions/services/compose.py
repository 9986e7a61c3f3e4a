"""Composing, scheduling, editing, cancelling and duplicating distributions (portal-side writes)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from connections.audit import audit_record
from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics.errors import NotFoundError

from .. import rules
from ..models import (
    CANCELLABLE_STATES,
    EDITABLE_STATES,
    Channel,
    Distribution,
    DistributionEvent,
    EventKind,
    Kind,
    State,
)
from ..pickers import contact_label, list_members

logger = logging.getLogger(__name__)

# The fields a user composes; duplicating copies exactly these.
COMPOSED_FIELDS = (
    "name", "survey_id", "survey_name",
    "from_email", "from_name", "reply_to_email", "subject", "subject_message_id",
    "library_id", "message_id", "message_text", "message_preview",
    "directory_id", "mailing_list_id", "mailing_list_name", "contact_lookup_id", "contact_label",
    "sample_id", "transaction_id", "transaction_batch_id",
    "link_type", "link_expires_at", "embedded_data", "send_at",
)


class DistributionInvalid(Exception):
    """The composed distribution breaks a rule. `problems` maps field names (None: whole form) to messages."""

    def __init__(self, problems: dict[str | None, list[str]]):
        self.problems = problems
        super().__init__("; ".join(m for msgs in problems.values() for m in msgs))


class DistributionStateError(Exception):
    """The distribution is no longer in a state that allows this (it started sending meanwhile, …)."""


def event_add(distribution: Distribution, kind: str, message: str = "", *, actor=None, request_id: str = "",
              detail: dict | None = None) -> DistributionEvent:
    return DistributionEvent.objects.create(
        distribution=distribution,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message,
        request_id=request_id or "",
        detail=detail or {},
    )


def _audit(distribution: Distribution, action: str, *, actor=None, detail: str = "", outcome: str = "ok",
           request_id: str = "") -> None:
    audit_record(
        actor=actor,
        connection=distribution.connection,
        action=action,
        target=f"distribution {distribution.pk}: {distribution}"[:300],
        outcome=outcome,
        request_id=request_id,
        detail=detail,
    )


def when_text(value) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%-d %b %Y %H:%M %Z")


def _validate(d: Distribution, *, for_draft: bool) -> None:
    found = rules.problems(d, for_draft=for_draft)
    if found:
        raise DistributionInvalid(found)


def _inherit_from_parent(d: Distribution) -> None:
    """A reminder or thank-you goes out for its parent's survey (and to its recipients: rules.py)."""
    if d.kind in (Kind.REMINDER, Kind.THANKYOU) and d.parent_id:
        parent = d.parent
        d.survey_id = parent.survey_id
        d.survey_name = parent.survey_name
        if not d.name:
            word = "Reminder" if d.kind == Kind.REMINDER else "Thank you"
            d.name = f"{word}: {parent.name or parent.survey_name}"[: rules.SMS_NAME_LIMIT]


def _resolve_from_qualtrics(d: Distribution, *, actor) -> None:
    """Check the chosen survey, list and messages exist, and keep their names for the screens."""
    client = connection_client(d.connection, actor=actor)
    problems: dict[str | None, list[str]] = {}
    if d.survey_id and not d.is_follow_up:
        try:
            survey = client.surveys.get(d.survey_id)
        except NotFoundError:
            problems.setdefault("survey_id", []).append(
                f"Qualtrics has no survey {d.survey_id} for this connection: choose another."
            )
        else:
            d.survey_name = (survey or {}).get("name") or (survey or {}).get("SurveyName") or d.survey_name
    if d.mailing_list_id and d.directory_id:
        try:
            found = client.mailing_lists.get(d.directory_id, d.mailing_list_id)
        except NotFoundError:
            problems.setdefault("mailing_list_id", []).append(
                f"Qualtrics has no mailing list {d.mailing_list_id} in this directory: choose another."
            )
        else:
            d.mailing_list_name = (found or {}).get("name") or d.mailing_list_name
            if d.contact_lookup_id:
                # Kept so the distribution's page names the contact ("Ana Lima in Beta testers"), not its lookup ID.
                members = list_members(d.connection, d.directory_id, d.mailing_list_id)
                chosen = next((m for m in members if m.get("contactLookupId") == d.contact_lookup_id), None)
                d.contact_label = contact_label(chosen) if chosen else d.contact_label
    if d.library_id and d.message_id:
        try:
            message = client.libraries.messages.get(d.library_id, d.message_id)
        except NotFoundError:
            problems.setdefault("message_id", []).append(
                f"Qualtrics has no message {d.message_id} in library {d.library_id}: choose another."
            )
        else:
            d.message_preview = message_text_of(message)
    if d.subject_message_id and d.library_id:
        try:
            client.libraries.messages.get(d.library_id, d.subject_message_id)
        except NotFoundError:
            problems.setdefault("subject_message_id", []).append(
                f"Qualtrics has no subject message {d.subject_message_id} in library {d.library_id}."
            )
    if problems:
        raise DistributionInvalid(problems)


def message_text_of(message: dict | None) -> str:
    """The text of a library message in its first language (English when present)."""
    texts = (message or {}).get("messages") or {}
    if not isinstance(texts, dict) or not texts:
        return ""
    for lang in ("en", "EN", "en-us", "en-gb"):
        if texts.get(lang):
            return str(texts[lang])
    return str(next(iter(texts.values())) or "")


def _apply(d: Distribution, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in COMPOSED_FIELDS:
            raise ValueError(f"{name} is not a composed field")
        if isinstance(value, str):
            value = value.strip()
        setattr(d, name, value)
    if d.embedded_data is None:
        d.embedded_data = {}


def distribution_create(
    *,
    connection: Connection,
    actor,
    channel: str,
    kind: str = Kind.INVITE,
    fields: dict[str, Any],
    parent: Distribution | None = None,
    schedule: bool = True,
    check_in_qualtrics: bool = True,
) -> Distribution:
    """Create a draft, or a scheduled distribution that the sweep will send when it is due."""
    d = Distribution(connection=connection, channel=channel, kind=kind, parent=parent, created_by=actor)
    _apply(d, fields)
    _inherit_from_parent(d)
    _validate(d, for_draft=not schedule)
    if check_in_qualtrics:
        _resolve_from_qualtrics(d, actor=actor)
    d.state = State.SCHEDULED if schedule else State.DRAFT
    with transaction.atomic():
        d.save()
        event_add(d, EventKind.CREATED, _created_text(d), actor=actor)
        if schedule:
            event_add(d, EventKind.SCHEDULED, f"Scheduled for {when_text(d.send_at)}.", actor=actor)
        _audit(d, "distribution.schedule" if schedule else "distribution.draft", actor=actor,
               detail=f"send at {d.send_at.isoformat() if d.send_at else '—'}; {d.recipients_label}")
    return d


def _created_text(d: Distribution) -> str:
    text = f"{d.get_channel_display()} {d.get_kind_display().lower()} of “{d.survey_name or d.survey_id}”"
    if d.parent_id:
        text += f", following “{d.parent}”"
    return text + "."


def _locked(pk: int) -> Distribution:
    qs = Distribution.objects.select_related("connection", "parent")
    if db_connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=pk)


def distribution_update(
    *,
    distribution: Distribution,
    actor,
    fields: dict[str, Any],
    schedule: bool = True,
    check_in_qualtrics: bool = True,
) -> Distribution:
    """Change a draft, scheduled or held distribution. Refused once it has started sending."""
    candidate = Distribution.objects.select_related("connection", "parent").get(pk=distribution.pk)
    _apply(candidate, fields)
    _inherit_from_parent(candidate)
    _validate(candidate, for_draft=not schedule)
    if check_in_qualtrics:
        _resolve_from_qualtrics(candidate, actor=actor)
    with transaction.atomic():
        current = _locked(distribution.pk)
        if current.state not in EDITABLE_STATES:
            raise DistributionStateError(
                f"It is {current.get_state_display().lower()} now, so it can no longer be changed."
            )
        before = {name: getattr(current, name) for name in COMPOSED_FIELDS}
        for name in COMPOSED_FIELDS:
            setattr(current, name, getattr(candidate, name))
        changed = [name for name in COMPOSED_FIELDS if before[name] != getattr(current, name)]
        was = current.state
        current.state = State.SCHEDULED if schedule else State.DRAFT
        if current.state == State.SCHEDULED:
            current.held_reason = ""
        current.save()
        labels = ", ".join(name.replace("_", " ") for name in changed) or "nothing"
        event_add(current, EventKind.EDITED, f"Changed: {labels}.", actor=actor, detail={"fields": changed})
        if schedule and (was != State.SCHEDULED or "send_at" in changed):
            event_add(current, EventKind.SCHEDULED, f"Scheduled for {when_text(current.send_at)}.", actor=actor)
        _audit(current, "distribution.edit", actor=actor, detail=f"changed: {labels}; state {current.state}")
    return current


def distribution_schedule(*, distribution: Distribution, actor) -> Distribution:
    """Schedule a draft as it is (after checking every rule)."""
    fields = {name: getattr(distribution, name) for name in COMPOSED_FIELDS}
    return distribution_update(distribution=distribution, actor=actor, fields=fields, schedule=True)


def distribution_cancel(*, distribution: Distribution, actor, reason: str = "") -> Distribution:
    """Cancel it unless it has started sending (a claimed-but-unsent row is still stopped in time)."""
    updated = Distribution.objects.filter(
        pk=distribution.pk, state__in=CANCELLABLE_STATES, needs_lookup=False
    ).update(state=State.CANCELLED, claim_token="", next_attempt_at=None, updated_at=timezone.now())
    distribution.refresh_from_db()
    if not updated:
        if distribution.needs_lookup and distribution.state in (*CANCELLABLE_STATES, State.CHECKING):
            raise DistributionStateError(
                "A call to create it may have reached Qualtrics, so it cannot be cancelled here: the portal "
                "looks it up there first."
            )
        raise DistributionStateError(
            f"It is {distribution.get_state_display().lower()}, so it can no longer be cancelled."
        )
    event_add(distribution, EventKind.CANCELLED, reason or "Cancelled before it was sent.", actor=actor)
    _audit(distribution, "distribution.cancel", actor=actor, detail=reason)
    return distribution


def distribution_duplicate(*, distribution: Distribution, actor) -> Distribution:
    """A draft copy (no send time, fresh reference) to adjust and schedule."""
    copy = Distribution(
        connection=distribution.connection,
        channel=distribution.channel,
        kind=distribution.kind,
        parent=distribution.parent,
        created_by=actor,
        state=State.DRAFT,
    )
    for name in COMPOSED_FIELDS:
        setattr(copy, name, getattr(distribution, name))
    copy.send_at = None
    if copy.name:
        copy.name = f"Copy of {copy.name}"[: rules.SMS_NAME_LIMIT if copy.channel == Channel.SMS else 100]
    with transaction.atomic():
        copy.save()
        event_add(copy, EventKind.CREATED, f"Duplicated from “{distribution}” (#{distribution.pk}).", actor=actor)
        _audit(copy, "distribution.duplicate", actor=actor, detail=f"copy of distribution {distribution.pk}")
    return copy


def distributions_cancel_for_connection(connection: Connection, actor) -> list[Distribution]:
    """Cancel every distribution of `connection` that has not started sending; returns them."""
    cancelled = []
    for d in Distribution.objects.filter(connection=connection, state__in=CANCELLABLE_STATES).exclude(
        state=State.DRAFT
    ):
        try:
            cancelled.append(
                distribution_cancel(distribution=d, actor=actor, reason="Cancelled: its connection was deleted.")
            )
        except DistributionStateError:
            logger.info("distribution %s started sending before its connection was deleted", d.pk)
    return cancelled


def distributions_cancel_for_survey(*, connection: Connection, survey_id: str, survey_name: str = "",
                                    actor) -> list[Distribution]:
    """The survey was deleted: cancel its distributions that have not started sending; returns them."""
    label = f"“{survey_name}” ({survey_id})" if survey_name else survey_id
    who = f" by {actor.get_username()}" if getattr(actor, "pk", None) else ""
    cancelled = []
    for d in Distribution.objects.filter(connection=connection, survey_id=survey_id,
                                         state__in=CANCELLABLE_STATES).exclude(state=State.DRAFT):
        try:
            cancelled.append(distribution_cancel(
                distribution=d, actor=actor, reason=f"Cancelled: its survey {label} was deleted in Qualtrics{who}."))
        except DistributionStateError:
            logger.info("distribution %s started sending before its survey was deleted", d.pk)
    return cancelled
