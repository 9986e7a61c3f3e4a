"""Forwarding events: destinations (e-mail or an outgoing webhook) and sending each delivery exactly once.

A delivery is claimed (`pending` → `sending`, with a token) by a conditional UPDATE before anything leaves;
only the claim's winner sends, and the outcome is recorded conditionally on its token. Failures are retried
with exponential back-off (`SUBSCRIPTIONS_RETRY_BASE_SECONDS`, doubling) until `SUBSCRIPTIONS_RETRY_HOURS`
after the delivery was planned, then parked as a dead letter that a manager can replay.

A worker killed mid-send leaves its delivery `sending`; the sweep hands it back after
`SUBSCRIPTIONS_STALE_CLAIM_SECONDS`. Whether that one request arrived cannot be known, so every webhook
carries the delivery's ID (`X-Portal-Delivery`) for the receiver to drop a repeat (README: outgoing webhooks).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from connections.audit import audit_record
from connections.crypto import decrypt_token, encrypt_token

from .. import outbound
from ..models import Delivery, DeliveryState, Destination, DestinationKind, EmailMode, Event, Subscription
from .processing import next_hour, stale_after

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Portal-Signature"
MAX_RECIPIENTS = 20
USER_AGENT = "QualtricsPortal-Webhooks/1"
# A task waits this long at most by publishing itself again with a countdown; longer waits are the sweep's
# (a countdown longer than the broker's visibility timeout would be delivered twice).
SHORT_WAIT = 30.0


def allow_local() -> bool:
    return bool(settings.DEBUG and settings.SUBSCRIPTIONS_LOCAL_DESTINATIONS)


# --- destinations ----------------------------------------------------------------------------------


def destination_create(*, subscription: Subscription, actor, kind: str, emails: str = "",
                       email_mode: str = EmailMode.EACH, url: str = "") -> tuple[Destination, str]:
    """Add a destination; (it, the webhook's signing key to show once, or "")."""
    key = ""
    fields: dict = {"kind": kind}
    if kind == DestinationKind.EMAIL:
        recipients = [line.strip() for line in emails.replace(",", "\n").splitlines() if line.strip()]
        if not recipients:
            raise ValidationError({"emails": "Give at least one e-mail address."})
        if len(recipients) > MAX_RECIPIENTS:
            raise ValidationError({"emails": f"At most {MAX_RECIPIENTS} addresses."})
        for address in recipients:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError({"emails": f"“{address[:80]}” is not an e-mail address."}) from None
        if email_mode not in EmailMode.values:
            raise ValidationError({"email_mode": "Choose each event or an hourly digest."})
        fields.update(emails="\n".join(recipients), email_mode=email_mode)
        detail = f"e-mail to {len(recipients)} address(es), {email_mode}"
    elif kind == DestinationKind.WEBHOOK:
        try:
            outbound.check_url(url.strip(), allow_local=allow_local())
        except outbound.UnsafeDestination as exc:
            raise ValidationError({"url": f"{str(exc)[:1].upper()}{str(exc)[1:]}."}) from None
        key = "whsec_" + secrets.token_urlsafe(32)
        fields.update(url=url.strip(), signing_key_encrypted=encrypt_token(key))
        detail = f"webhook {url.strip()}"
    else:
        raise ValidationError({"kind": "Choose e-mail or webhook."})
    with transaction.atomic():
        destination = Destination.objects.create(subscription=subscription, created_by=actor, **fields)
        audit_record(actor=actor, connection=subscription.connection, action="subscription.destination.create",
                     target=subscription.qualtrics_id, detail=detail)
    return destination, key


def destination_delete(*, destination: Destination, actor) -> None:
    subscription = destination.subscription
    with transaction.atomic():
        audit_record(actor=actor, connection=subscription.connection, action="subscription.destination.delete",
                     target=subscription.qualtrics_id, detail=str(destination))
        destination.delete()


def delivery_replay(*, subscription: Subscription, actor, delivery_ids: list[int] | None = None) -> int:
    """Send dead letters again (all of the subscription's, or those given), with a new retry window."""
    qs = Delivery.objects.filter(destination__subscription=subscription, state=DeliveryState.DEAD)
    if delivery_ids is not None:
        qs = qs.filter(pk__in=delivery_ids)
    now = timezone.now()
    with transaction.atomic():
        ids = list(qs.values_list("pk", flat=True))
        count = Delivery.objects.filter(pk__in=ids, state=DeliveryState.DEAD).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, created_at=now, error="", status=None,
            enqueued_at=now)
        if count:
            audit_record(actor=actor, connection=subscription.connection, action="subscription.delivery.replay",
                         target=subscription.qualtrics_id, detail=f"{count} dead letter(s)")
            for pk in ids:
                enqueue_delivery(pk)
    return count


# --- sending -------------------------------------------------------------------------------------


def enqueue_delivery(delivery_id: int) -> None:
    from ..tasks import delivery_send_task

    def publish():
        try:
            delivery_send_task.apply_async((delivery_id,))
        except Exception:  # the broker is down: the sweep finds the delivery in the database
            logger.exception("could not enqueue delivery %s; the sweep will", delivery_id)

    transaction.on_commit(publish)


def webhook_body(delivery: Delivery) -> bytes:
    event = delivery.event
    try:
        message = json.loads(event.message)
    except ValueError:
        message = event.message
    document = {
        "id": f"evt_{event.pk}",
        "deliveryId": f"dlv_{delivery.pk}",
        "topic": event.topic,
        "receivedAt": event.received_at.isoformat(),
        "subscription": {"id": event.subscription.qualtrics_id, "surveyId": event.subscription.survey_id,
                         "surveyName": event.subscription.survey_name},
        "event": message,
        "response": event.response,
        "answers": (event.summary or {}).get("answers", []),
        "responseError": event.error or None,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(key: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body with the destination's key>`."""
    digest = hmac.new(key.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _retry_or_dead(delivery: Delivery, mine, error: str, status: int | None = None) -> float | None:
    base = float(settings.SUBSCRIPTIONS_RETRY_BASE_SECONDS)
    delay = min(base * 2 ** max(delivery.attempts - 1, 0), 3600.0)
    deadline = delivery.created_at + datetime.timedelta(hours=float(settings.SUBSCRIPTIONS_RETRY_HOURS))
    retry_at = timezone.now() + datetime.timedelta(seconds=delay)
    if retry_at > deadline:
        mine.update(state=DeliveryState.DEAD, claim_token="", error=error[:2000], status=status)
        logger.warning("delivery %s is a dead letter after %s attempt(s): %s", delivery.pk, delivery.attempts, error)
        return None
    mine.update(state=DeliveryState.PENDING, claim_token="", error=error[:2000], status=status,
                next_attempt_at=retry_at, enqueued_at=timezone.now() if delay <= SHORT_WAIT else None)
    return delay


def delivery_send(*, delivery_id: int) -> float | None:
    """Send one due delivery (e-mail each, or webhook) if this worker wins its claim. Returns the retry delay."""
    token = uuid.uuid4().hex
    now = timezone.now()
    if not Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now).exclude(
        destination__kind=DestinationKind.EMAIL, destination__email_mode=EmailMode.DIGEST,
    ).update(state=DeliveryState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1):
        return None
    delivery = Delivery.objects.select_related("event__subscription__connection", "destination").get(pk=delivery_id)
    mine = Delivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING, claim_token=token)
    destination = delivery.destination
    if destination.kind == DestinationKind.EMAIL:
        try:
            _mail([delivery.event], destination)
        except Exception as exc:  # SMTP refused or unreachable: tried again later
            return _retry_or_dead(delivery, mine, f"E-mail not sent: {exc.__class__.__name__}: {exc}")
        mine.update(state=DeliveryState.SENT, claim_token="", sent_at=timezone.now(), error="")
        return None
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Portal-Event": f"evt_{delivery.event_id}", "X-Portal-Delivery": f"dlv_{delivery.pk}",
        SIGNATURE_HEADER: sign(decrypt_token(destination.signing_key_encrypted), body, int(time.time())),
    }
    try:
        answer = outbound.post(destination.url, body, headers, allow_local=allow_local(),
                               ca_file=settings.SUBSCRIPTIONS_DESTINATION_CA_FILE)
    except outbound.UnsafeDestination as exc:
        mine.update(state=DeliveryState.DEAD, claim_token="", error=f"Refused: {exc}"[:2000])
        logger.warning("delivery %s refused: %s", delivery.pk, exc)
        return None
    except Exception as exc:  # the destination could not be reached (connection, TLS, timeout)
        return _retry_or_dead(delivery, mine, f"{exc.__class__.__name__}: {exc}"[:500])
    if 200 <= answer.status < 300:
        mine.update(state=DeliveryState.SENT, claim_token="", sent_at=timezone.now(), status=answer.status, error="")
        return None
    snippet = answer.body[:200].decode("utf-8", "replace")
    return _retry_or_dead(delivery, mine, f"HTTP {answer.status}: {snippet}", status=answer.status)


def digest_send(*, destination_id: int) -> int:
    """Send one e-mail with every due digest delivery of a destination. Returns how many it carried."""
    token = uuid.uuid4().hex
    now = timezone.now()
    due = Delivery.objects.filter(destination_id=destination_id, state=DeliveryState.PENDING, next_attempt_at__lte=now)
    claimed = Delivery.objects.filter(pk__in=list(due.values_list("pk", flat=True)[:500]),
                                      state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return 0
    mine = Delivery.objects.filter(claim_token=token, state=DeliveryState.SENDING)
    deliveries = list(mine.select_related("event__subscription__connection", "destination").order_by("pk"))
    destination = deliveries[0].destination
    try:
        _mail([d.event for d in deliveries], destination)
    except Exception as exc:
        for delivery in deliveries:
            retry = _retry_or_dead(delivery, Delivery.objects.filter(pk=delivery.pk, claim_token=token),
                                   f"E-mail not sent: {exc}")
            if retry is not None:  # the whole digest goes again at the next hour
                Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=next_hour(timezone.now()))
        return 0
    mine.update(state=DeliveryState.SENT, claim_token="", sent_at=timezone.now(), error="")
    return len(deliveries)


def _mail(events: list[Event], destination: Destination) -> None:
    subscription = destination.subscription
    context = {"events": events, "subscription": subscription, "digest": len(events) > 1 or
               destination.email_mode == EmailMode.DIGEST,
               "feed_url": settings.PORTAL_BASE_URL.rstrip("/") + subscription.get_absolute_url()}
    subject = " ".join(render_to_string("emails/subscription-event-subject.txt", context).split())
    send_mail(subject=subject, message=render_to_string("emails/subscription-event-body.txt", context),
              from_email=None, recipient_list=destination.recipients)


# --- the sweep -------------------------------------------------------------------------------------


def subscriptions_sweep(limit: int = 1000) -> dict:
    """Find what is due whatever became of broker messages: events to process, deliveries to send, digests,
    and rows that dead workers left claimed.

    A row is published again only when its last task was published more than `SUBSCRIPTIONS_LOST_QUEUED_SECONDS`
    ago (or never), and the sweep marks it published with a conditional UPDATE first: several beat schedulers
    sweeping at once publish each row once, and a busy queue is not flooded with copies."""
    from .processing import enqueue_processing_now

    now = timezone.now()
    stale = now - stale_after()
    lost = now - datetime.timedelta(seconds=float(settings.SUBSCRIPTIONS_LOST_QUEUED_SECONDS))
    reclaimed_events = Event.objects.filter(state="processing", claimed_at__lt=stale).update(
        state="received", claim_token="", enqueued_at=None)
    reclaimed_deliveries = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stale).update(
        state=DeliveryState.PENDING, claim_token="", next_attempt_at=now, enqueued_at=None)
    unqueued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost)
    events = _mark_published(Event.objects.filter(state="received").filter(unqueued).exclude(
        next_attempt_at__gt=now), now, limit)
    for pk in events:
        enqueue_processing_now(pk)
    due = Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
    digest = Q(destination__kind=DestinationKind.EMAIL, destination__email_mode=EmailMode.DIGEST)
    singles = _mark_published(due.exclude(digest).filter(unqueued), now, limit)
    for pk in singles:
        _publish_delivery(pk)
    digests = list(due.filter(digest).values_list("destination_id", flat=True).distinct())
    for destination_id in digests:
        _publish_digest(destination_id)
    return {"reclaimed_events": reclaimed_events, "reclaimed_deliveries": reclaimed_deliveries,
            "events": len(events), "deliveries": len(singles), "digests": len(digests)}


def _mark_published(rows, now, limit: int) -> list[int]:
    """The ids among `rows` this sweep marks as published (a conditional UPDATE: another sweep's are skipped)."""
    candidates = list(rows.order_by("pk").values_list("pk", "enqueued_at")[:limit])
    mine = []
    for pk, seen in candidates:
        if rows.model.objects.filter(pk=pk, enqueued_at=seen).update(enqueued_at=now) if seen else \
                rows.model.objects.filter(pk=pk, enqueued_at__isnull=True).update(enqueued_at=now):
            mine.append(pk)
    return mine


def _publish_delivery(pk: int) -> None:
    from ..tasks import delivery_send_task

    try:
        delivery_send_task.apply_async((pk,))
    except Exception:
        logger.exception("could not enqueue delivery %s", pk)


def _publish_digest(destination_id: int) -> None:
    from ..tasks import digest_send_task

    try:
        digest_send_task.apply_async((destination_id,))
    except Exception:
        logger.exception("could not enqueue the digest of destination %s", destination_id)
