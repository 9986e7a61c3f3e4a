"""Taking in what Qualtrics posts: check it, store it once, and leave the work to a worker.

The receiver answers as soon as the event is stored; fetching the response and forwarding happen in tasks
(enqueued after the commit, and found again by the sweep should the broker lose them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
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


def dedupe_key(topic: str, message: dict) -> str:
    """Qualtrics may post the same event again: a response event is the same event for the same topic and
    response; any other is the same when its message is."""
    response_id = message.get("ResponseID")
    if isinstance(response_id, str) and response_id:
        return f"{topic}:{response_id}"[:200]
    digest = hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()[:40]
    return f"{topic[:150]}:{digest}"


@dataclass(frozen=True)
class Receiver:
    subscription_id: int
    connection_id: int
    shared_key: str
    expires: float


# receiver ID -> what a post to it needs, for RECEIVER_CACHE_SECONDS: each post then costs the database one
# INSERT (its own transaction) and nothing else. A subscription deleted meanwhile is caught by that INSERT.
_receivers: dict[str, Receiver] = {}
RECEIVER_CACHE_SECONDS = 30.0
RECEIVER_CACHE_SIZE = 10_000


def _receiver(receiver_id: str) -> Receiver:
    now = time.monotonic()
    found = _receivers.get(receiver_id)
    if found is not None and found.expires > now:
        return found
    subscription = Subscription.objects.filter(receiver_id=receiver_id).only(
        "pk", "connection_id", "shared_key_encrypted").first()
    if subscription is None:
        _receivers.pop(receiver_id, None)
        raise Refusal(404, "no subscription has this receiver")
    if len(_receivers) >= RECEIVER_CACHE_SIZE:
        _receivers.clear()
    found = _receivers[receiver_id] = Receiver(subscription.pk, subscription.connection_id,
                                               shared_key(subscription), now + RECEIVER_CACHE_SECONDS)
    return found


def forget_receiver(receiver_id: str) -> None:
    _receivers.pop(receiver_id, None)


def verify(key: str, message: str, signature: str) -> None:
    """HMAC-SHA512 of the raw MSG with the subscription's key, compared in constant time."""
    if not signature:
        raise Refusal(401, "unsigned (no HMAC field)")
    expected = hmac.new(key.encode(), message.encode("utf-8"), hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower().encode("ascii", "replace").decode()):
        raise Refusal(403, "mis-signed (the HMAC does not match)")


def event_receive(*, receiver_id: str, body: bytes, content_type: str) -> tuple[Event, bool]:
    """Check a post and store its event; (event, whether it is new). Raises Refusal with a 4xx status.

    The event is committed (one INSERT, its own transaction) before this returns, and its processing task
    published after: the receiver answers once the event is safe, whatever becomes of the message."""
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise Refusal(415, f"the body is not form-encoded ({content_type[:60] or 'no content type'})")
    receiver = _receiver(receiver_id)
    form = parse_form(body)
    text = form.get("MSG", "")
    verify(receiver.shared_key, text, form.get("HMAC", ""))
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
        "connection_id": receiver.connection_id, "topic": topic,
        "survey_id": str(message.get("SurveyID") or "")[:40], "response_id": str(message.get("ResponseID") or "")[:40],
        "message": text,
    }
    try:
        if transaction.get_connection().in_atomic_block:  # under a test's transaction: a savepoint of its own
            with transaction.atomic():
                event = Event.objects.create(subscription_id=receiver.subscription_id, dedupe_key=key,
                                             enqueued_at=timezone.now(), **fields)
        else:
            event = Event.objects.create(subscription_id=receiver.subscription_id, dedupe_key=key,
                                         enqueued_at=timezone.now(), **fields)
    except IntegrityError:
        if not Event.objects.filter(subscription_id=receiver.subscription_id, dedupe_key=key).update(
                duplicates=F("duplicates") + 1):
            forget_receiver(receiver_id)  # the subscription was deleted since it was cached
            raise Refusal(404, "no subscription has this receiver") from None
        return Event.objects.get(subscription_id=receiver.subscription_id, dedupe_key=key), False
    enqueue_processing(event.pk)
    return event, True


def enqueue_processing(event_id: int) -> None:
    """Publish the event's processing task once what was written is committed (at once outside a transaction)."""
    from ..tasks import event_process_task

    def publish():
        # One try, no retries: with the broker down the receiver still answers at once, and the sweep
        # publishes the event (it is in the database) once the broker is back.
        try:
            event_process_task.apply_async((event_id,), retry=False)
        except Exception as exc:
            logger.warning("could not enqueue event %s (%s: %s); the sweep will", event_id, type(exc).__name__, exc)

    transaction.on_commit(publish)
