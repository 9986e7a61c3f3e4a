"""Registering event subscriptions in Qualtrics, sending a test through the receiver, deleting them."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import urllib.parse

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connections.audit import audit_record
from connections.crypto import decrypt_token, encrypt_token
from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics import NotFoundError, QualtricsError
from surveys.definition import plain_text

from ..models import Subscription, Topic, qualtrics_topic

logger = logging.getLogger(__name__)

TEST_TIMEOUT = 10.0
# Field keys of a response: letters, digits, and the separators Qualtrics uses (QID12_TEXT, QID3#1_2, SC_x).
FIELD_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_#-.")


def receivers_prefix() -> str:
    """Where every receiver of this portal lives: `PORTAL_BASE_URL` + /hooks/qualtrics/."""
    return settings.PORTAL_BASE_URL.rstrip("/") + "/hooks/qualtrics/"


def receiver_url(receiver_id: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("qualtrics_receiver", kwargs={"receiver_id": receiver_id})


def receiver_id_of(url: str) -> str | None:
    """The receiver ID in one of this portal's receiver URLs, or None for any other URL."""
    prefix = receivers_prefix()
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix):].strip("/")
    return rest if rest and "/" not in rest else None


def base_url_warning() -> str:
    """Why Qualtrics could not reach `PORTAL_BASE_URL` ("" when it looks public)."""
    parts = urllib.parse.urlsplit(settings.PORTAL_BASE_URL)
    host = (parts.hostname or "").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and not ip.is_global:
        reason = f"{host} is not a public address"
    elif ip is None and (host in ("localhost", "") or "." not in host
                         or host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa"))):
        reason = f"{host or 'it'} is not a public host name"
    elif parts.scheme != "https":
        reason = "it is not HTTPS"
    else:
        return ""
    return (f"The portal's address (PORTAL_BASE_URL, {settings.PORTAL_BASE_URL}) cannot be reached from Qualtrics: "
            f"{reason}. Subscriptions made now point there; set PORTAL_BASE_URL to the portal's public HTTPS address.")


def clean_fields(text: str) -> str:
    fields = [f.strip() for f in (text or "").replace("\n", ",").split(",") if f.strip()]
    for name in fields:
        if len(name) > 60 or not set(name) <= FIELD_CHARACTERS:
            raise ValidationError({"answer_fields": f"“{name[:60]}” is not a response field key (such as QID1)."})
    if len(fields) > 10:
        raise ValidationError({"answer_fields": "Choose at most 10 fields."})
    return ", ".join(fields)


def question_texts(client, survey_id: str, fields: str) -> dict[str, str]:
    """The question text of each chosen response field (QID2_TEXT is a part of QID2), from the survey's
    definition; {} when there is none to read (the feed then shows the field keys)."""
    chosen = [f.strip() for f in fields.split(",") if f.strip()]
    if not chosen:
        return {}
    try:
        questions = client.survey_definitions.get(survey_id).get("Questions") or {}
    except QualtricsError:
        return {}
    texts = {}
    for name in chosen:
        question = questions.get(name) or questions.get(name.split("_", 1)[0])
        if isinstance(question, dict):
            text = plain_text(question.get("QuestionText"))
            if text:
                texts[name] = text[:200]
    return texts


def subscription_create(*, connection: Connection, actor, kind: str, survey_id: str, survey_name: str = "",
                        answer_fields: str = "") -> Subscription:
    """Create the subscription in Qualtrics with a new shared key and receiver address, then keep it here.

    Should the portal fail between the two, the subscription shows in the list as an orphan (ours, unknown)."""
    if kind not in Topic.values:
        raise ValidationError({"kind": "Choose a topic."})
    if not survey_id:
        raise ValidationError({"survey_id": "Choose a survey."})
    fields = clean_fields(answer_fields)
    receiver_id = secrets.token_urlsafe(24)
    shared_key = secrets.token_hex(32)
    topics = qualtrics_topic(kind, survey_id)
    url = receiver_url(receiver_id)
    client = connection_client(connection, actor=actor)
    created = client.event_subscriptions.create(topics=topics, publication_url=url, shared_key=shared_key)
    with transaction.atomic():
        subscription = Subscription.objects.create(
            connection=connection, qualtrics_id=created.get("id", ""), kind=kind, topics=topics, survey_id=survey_id,
            survey_name=survey_name[:300], receiver_id=receiver_id, shared_key_encrypted=encrypt_token(shared_key),
            publication_url=url, answer_fields=fields, answer_labels=question_texts(client, survey_id, fields),
            created_by=actor,
        )
        audit_record(actor=actor, connection=connection, action="subscription.create", target=subscription.qualtrics_id,
                     detail=f"{topics} → {receivers_prefix()}…")
    return subscription


def shared_key(subscription: Subscription) -> str:
    return decrypt_token(subscription.shared_key_encrypted)


def subscription_delete(*, subscription: Subscription, actor) -> None:
    """Delete in Qualtrics (already gone there is fine), then here with its events and destinations."""
    connection = subscription.connection
    client = connection_client(connection, actor=actor)
    note = ""
    if subscription.qualtrics_id:
        try:
            client.event_subscriptions.delete(subscription.qualtrics_id)
        except NotFoundError:
            note = "; it was already gone from Qualtrics"
    from .receiving import forget_receiver

    forget_receiver(subscription.receiver_id)
    with transaction.atomic():
        audit_record(actor=actor, connection=connection, action="subscription.delete",
                     target=subscription.qualtrics_id, detail=f"{subscription.topics}{note}")
        subscription.delete()


class NotAnOrphan(ValidationError):
    """The subscription is not one of this portal's unknown ones (anymore): nothing was deleted."""


def orphan_delete(*, connection: Connection, actor, qualtrics_id: str) -> None:
    """Delete a subscription that points at this portal's receivers but that the portal does not know.

    Checked again in Qualtrics first: a subscription pointing elsewhere, or one the portal knows, is refused."""
    client = connection_client(connection, actor=actor)
    found = client.event_subscriptions.get(qualtrics_id)
    receiver = receiver_id_of(found.get("publicationUrl") or "")
    if receiver is None:
        raise NotAnOrphan("This subscription does not point at this portal: it is not deleted here.")
    if Subscription.objects.filter(receiver_id=receiver).exists() or \
            Subscription.objects.filter(connection=connection, qualtrics_id=qualtrics_id).exists():
        raise NotAnOrphan("The portal knows this subscription: delete it from its own page.")
    client.event_subscriptions.delete(qualtrics_id)
    audit_record(actor=actor, connection=connection, action="subscription.orphan.delete", target=qualtrics_id,
                 detail=f"{found.get('topics', '')} → {found.get('publicationUrl', '')}")


def test_message(subscription: Subscription, actor) -> dict:
    return {"Status": "Test", "SurveyID": subscription.survey_id, "BrandID": subscription.connection.brand_id or "",
            "SentBy": actor.get_username() if actor else "", "SentAt": timezone.now().isoformat(timespec="seconds"),
            "TestID": secrets.token_hex(8)}


def subscription_test(*, subscription: Subscription, actor) -> str:
    """Post a test event to the subscription's receiver as Qualtrics would (form-encoded, signed), through the
    portal's public address: it shows whether that address answers. Returns "" or what went wrong."""
    text = json.dumps(test_message(subscription, actor), separators=(",", ":"))
    form = {
        "Topic": f"{subscription.connection.brand_id or 'brand'}.portal.test",
        "MSG": text,
        "HMAC": hmac.new(shared_key(subscription).encode(), text.encode(), hashlib.sha512).hexdigest(),
    }
    try:
        answer = requests.post(subscription.publication_url, data=form, timeout=TEST_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        outcome = f"The receiver's address did not answer: {exc.__class__.__name__}."
    else:
        outcome = "" if 200 <= answer.status_code < 300 else f"The receiver answered HTTP {answer.status_code}."
    audit_record(actor=actor, connection=subscription.connection, action="subscription.test",
                 target=subscription.qualtrics_id, outcome="failed" if outcome else "ok", detail=outcome)
    return outcome

