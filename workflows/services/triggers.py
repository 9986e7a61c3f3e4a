"""Saving workflow triggers: the URL must be a JSON-event URL of the connection's own datacenter."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from connections.audit import audit_record
from connections.models import Connection
from connections.qualtrics_client import api_base_url
from qualtrics import UnsafeRequestError
from qualtrics.paths import event_url

from .. import payloads
from ..models import ACTIVE_RUN_STATES, Auth, Trigger


class TriggerInUse(ValidationError):
    """The trigger has a run still sending its events."""


def connection_username(connection: Connection) -> str:
    """The Qualtrics username Basic authentication sends: the one a manager gave, else the one whoami reported."""
    return (connection.qualtrics_username or connection.qualtrics_user_name or "").strip()


def trigger_check(*, connection: Connection, url: str, auth: str, payload_template: str) -> dict:
    """The checked URL and its form, or a ValidationError naming each field that is wrong."""
    problems: dict[str, str] = {}
    checked = None
    try:
        checked = event_url(url, api_base_url=api_base_url(connection))
    except UnsafeRequestError as exc:
        problems["url"] = f"{exc.message[:1].upper()}{exc.message[1:]}."
    if auth == Auth.BASIC and not connection_username(connection):
        problems["auth"] = ("Basic authentication sends the connection's Qualtrics username, and this connection has "
                            "none: a manager can add it on the connection's page, or choose X-API-TOKEN.")
    try:
        payloads.check_template(payload_template)
    except payloads.TemplateError as exc:
        problems["payload_template"] = str(exc)
    if problems:
        raise ValidationError(problems)
    return {"url": checked.url, "url_form": checked.form}


def _name_taken(connection: Connection, name: str, exclude: int | None = None) -> bool:
    qs = Trigger.objects.annotate(lower=Lower("name")).filter(connection=connection, lower=name.strip().lower())
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def trigger_create(*, connection: Connection, actor, name: str, description: str = "", url: str, auth: str,
                   payload_template: str) -> Trigger:
    checked = trigger_check(connection=connection, url=url, auth=auth, payload_template=payload_template)
    if _name_taken(connection, name):
        raise ValidationError({"name": "This connection already has a trigger with this name."})
    with transaction.atomic():
        trigger = Trigger.objects.create(
            connection=connection, name=name.strip(), description=description.strip(), auth=auth,
            payload_template=payload_template, created_by=actor, **checked,
        )
        audit_record(actor=actor, connection=connection, action="workflow.trigger.create", target=trigger.name,
                     detail=f"{trigger.get_auth_display()}; {checked['url_form']} URL")
    return trigger


def trigger_update(*, trigger: Trigger, actor, name: str, description: str = "", url: str, auth: str,
                   payload_template: str) -> Trigger:
    checked = trigger_check(connection=trigger.connection, url=url, auth=auth, payload_template=payload_template)
    if _name_taken(trigger.connection, name, exclude=trigger.pk):
        raise ValidationError({"name": "This connection already has a trigger with this name."})
    with transaction.atomic():
        trigger.name, trigger.description = name.strip(), description.strip()
        trigger.auth, trigger.payload_template = auth, payload_template
        trigger.url, trigger.url_form = checked["url"], checked["url_form"]
        trigger.save()
        audit_record(actor=actor, connection=trigger.connection, action="workflow.trigger.update",
                     target=trigger.name, detail=f"{trigger.get_auth_display()}; {checked['url_form']} URL")
    return trigger


def trigger_delete(*, trigger: Trigger, actor) -> None:
    """Delete a trigger and its run history; refused while one of its runs is still at work."""
    if trigger.runs.filter(state__in=ACTIVE_RUN_STATES).exists():
        raise TriggerInUse("A run of this trigger is still sending its events (or held): cancel it first.")
    with transaction.atomic():
        audit_record(actor=actor, connection=trigger.connection, action="workflow.trigger.delete",
                     target=trigger.name)
        trigger.delete()
