"""Taking in what Qualtrics posts: check it, store it once, and leave the work to a worker.

The receiver answers as soon as the event is stored; fetching the response and forwarding happen in tasks
(enqueued after the commit, and found again by the sweep should the broker lose them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Event, Subscription
from .registering import shared_key

logger = logging.getLogger("subscriptions.receiver")

MAX_BODY_BYTES = 64 * 1024
HMAC_HEX_LENGTH = 128  # SHA-512


@dataclass(frozen=True)
class Refusal(Exception):
    status: int
    reason: str


def parse_form(body: bytes) -> dict[str, str]:
    """The form fields, each given once; a field given twice or text that is not UTF-8 is refused."""
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, "the body is not a UTF-8 form") from None
    if any(len(values) > 1 for values in fields.values()):
        raise Refusal(400, "a field is given more than once")
    return {name: values[0] for name, values in fields.items()}


def verify(subscription: Subscription, message: str, signature: str) -> None:
    """HMAC-SHA512 of the raw MSG with the subscription's key, compared in constant time."""
    if not signature:
        raise Refusal(401, "unsigned (no HMAC field)")
    expected = hmac.new(shared_key(subscription).encode(), message.encode("utf-8"), hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower().encode("ascii", "replace").decode()):
        raise Refusal(403, "mis-signed (the HMAC does not match)")


def dedupe_key(topic: str, message: dict) -> str:
    """Qualtrics may post the same event again: a response event is the same event for the same topic and
    response; any other is the same when its message is."""
    response_id = message.get("ResponseID")
    if isinstance(response_id, str) and response_id:
        return f"{topic}:{response_id}"[:200]
    digest = hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()[:40]
    return f"{topic[:150]}:{digest}"


def event_receive(*, receiver_id: str, body: bytes, content_type: str) -> tuple[Event, bool]:
    """Check a post and store its event; (event, whether it is new). Raises Refusal with a 4xx status."""
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise Refusal(415, f"the body is not form-encoded ({content_type[:60] or 'no content type'})")
    subscription = Subscription.objects.select_related("connection").filter(receiver_id=receiver_id).first()
    if subscription is None:
        raise Refusal(404, "no subscription has this receiver")
    form = parse_form(body)
    text = form.get("MSG", "")
    verify(subscription, text, form.get("HMAC", ""))
    topic = form.get("Topic", "").strip()
    if not topic or len(topic) > 200:
        raise Refusal(400, "no Topic")
    try:
        message = json.loads(text)
    except ValueError:
        raise Refusal(400, "MSG is not JSON") from None
    if not isinstance(message, dict):
        raise Refusal(400, "MSG is not a JSON object")
    key = dedupe_key(topic, message)
    fields = {
        "connection_id": subscription.connection_id, "topic": topic,
        "survey_id": str(message.get("SurveyID") or "")[:40], "response_id": str(message.get("ResponseID") or "")[:40],
        "message": text,
    }
    try:
        with transaction.atomic():
            event = Event.objects.create(subscription=subscription, dedupe_key=key, enqueued_at=timezone.now(),
                                         **fields)
            enqueue_processing(event.pk)
    except IntegrityError:
        Event.objects.filter(subscription=subscription, dedupe_key=key).update(duplicates=F("duplicates") + 1)
        return Event.objects.get(subscription=subscription, dedupe_key=key), False
    return event, True


def enqueue_processing(event_id: int) -> None:
    from ..tasks import event_process_task

    def publish():
        try:
            event_process_task.apply_async((event_id,))
        except Exception:  # the broker is down: the sweep finds the event in the database
            logger.exception("could not enqueue event %s; the sweep will", event_id)

    transaction.on_commit(publish)
