"""Forwarding events to destinations: e-mail (each or hourly digest) and signed webhooks, each delivery once,
retried with back-off, then a dead letter a manager replays."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from connections.models import AuditEvent
from subscriptions import services
from subscriptions.models import Delivery, DeliveryState, Destination, Event

from .receivers import HttpsDestination

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_https(settings):
    """A test HTTPS receiver on this machine, allowed as in development, its CA trusted."""
    with HttpsDestination() as destination:
        settings.DEBUG = True
        settings.SUBSCRIPTIONS_LOCAL_DESTINATIONS = True
        settings.SUBSCRIPTIONS_DESTINATION_CA_FILE = destination.ca_file
        yield destination


def processed_event(subs, client, subscription, response_id=None) -> Event:
    response_id = response_id or subs.record_response()["responseId"]
    with mock.patch("subscriptions.services.receiving.enqueue_processing"):
        subs.post(client, subscription, subs.message(response_id))
    event = Event.objects.get(response_id=response_id)
    with mock.patch("subscriptions.services.forwarding.enqueue_delivery"):
        services.event_process(event_id=event.pk)
    return event


def test_webhook_is_signed_and_carries_the_event_and_the_response(login, subs, client, local_https, hx):
    subscription = subs.create(fields="QID1")
    page = login(subs.manager).post(subs.url("destination_create", subscription_id=subscription.pk),
                                    {"kind": "webhook", "url": local_https.url}).content.decode()
    assert 'data-testid="signing-key"' in page
    key = page.split('user-select-all">', 1)[1].split("<", 1)[0]
    assert key.startswith("whsec_")
    assert AuditEvent.objects.filter(action="subscription.destination.create").count() == 1
    event = processed_event(subs, client, subscription)
    delivery = Delivery.objects.get()
    assert services.delivery_send(delivery_id=delivery.pk) is None
    assert services.delivery_send(delivery_id=delivery.pk) is None  # once: the claim is gone
    (received,) = local_https.received
    document, headers = received["json"], received["headers"]
    assert document["event"]["ResponseID"] == event.response_id and document["response"]["responseId"] == \
        event.response_id
    assert document["answers"][0]["field"] == "QID1" and headers["X-Portal-Delivery"] == f"dlv_{delivery.pk}"
    timestamp, signature = (part.split("=", 1)[1] for part in headers["X-Portal-Signature"].split(","))
    expected = hmac.new(key.encode(), timestamp.encode() + b"." + received["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.status == 200 and delivery.attempts == 1


def test_failures_back_off_then_become_dead_letters_that_a_manager_replays(login, subs, client, local_https,
                                                                            settings):
    settings.SUBSCRIPTIONS_RETRY_BASE_SECONDS = 30
    subscription = subs.create()
    services.destination_create(subscription=subscription, actor=subs.owner, kind="webhook", url=local_https.url)
    processed_event(subs, client, subscription)
    delivery = Delivery.objects.get()
    local_https.server.fail_every = 1
    delays = []
    for _ in range(3):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        delays.append(services.delivery_send(delivery_id=delivery.pk))
    assert delays == [30, 60, 120]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.status == 503 and delivery.attempts == 3
    # After 24 hours of trying, the next failure parks it.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now(),
                                                   created_at=timezone.now() - datetime.timedelta(hours=24))
    assert services.delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD and "HTTP 503" in delivery.error
    manager = login(subs.manager)
    assert 'data-testid="dead-letters"' in manager.get(subscription.get_absolute_url()).content.decode()
    local_https.server.fail_every = 0
    with mock.patch("subscriptions.services.forwarding.enqueue_delivery") as enqueue:
        manager.post(subs.url("delivery_replay", subscription_id=subscription.pk))
    enqueue.assert_called_once_with(delivery.pk)
    services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and len(local_https.received) == 1
    assert AuditEvent.objects.filter(action="subscription.delivery.replay", actor=subs.manager).count() == 1


def test_an_address_that_turned_internal_is_refused_at_send_time(subs, client, settings):
    subscription = subs.create()
    destination, _key = services.destination_create(subscription=subscription, actor=subs.owner, kind="webhook",
                                                    url="https://hooks.example.org/in")
    processed_event(subs, client, subscription)
    delivery = Delivery.objects.get(destination=destination)
    with mock.patch("socket.getaddrinfo", return_value=[(2, 1, 6, "", ("127.0.0.1", 443))]), \
            mock.patch("urllib3.HTTPSConnectionPool.urlopen") as sent:
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert not sent.called and delivery.state == DeliveryState.DEAD and "127.0.0.1" in delivery.error


@pytest.mark.parametrize(("url", "words"), [("http://hooks.example.org/x", "HTTPS"),
                                            ("https://127.0.0.1:9/x", None)])
def test_destination_form_refusals(login, subs, url, words):
    subscription = subs.create()
    response = login(subs.manager).post(subs.url("destination_create", subscription_id=subscription.pk),
                                        {"kind": "webhook", "url": url})
    page = response.content.decode()
    if words:
        assert 'data-testid="error-url"' in page and words in page and not Destination.objects.exists()
    else:  # a literal loopback address passes the form; it is refused when resolved at send time
        assert Destination.objects.count() == 1


def test_email_each_event(subs, client):
    subscription = subs.create(fields="QID1")
    services.destination_create(subscription=subscription, actor=subs.owner, kind="email",
                                emails="ops@example.com\nlead@example.com")
    event = processed_event(subs, client, subscription)
    services.delivery_send(delivery_id=Delivery.objects.get().pk)
    (message,) = mail.outbox
    assert message.to == ["ops@example.com", "lead@example.com"] and event.response_id in message.subject
    assert f"{subscription.answer_labels['QID1']} (QID1):" in message.body
    assert subscription.get_absolute_url() in message.body


def test_email_hourly_digest_sends_one_mail_for_the_hour(subs, client):
    subscription = subs.create()
    services.destination_create(subscription=subscription, actor=subs.owner, kind="email",
                                emails="digest@example.com", email_mode="digest")
    first, second = processed_event(subs, client, subscription), processed_event(subs, client, subscription)
    deliveries = list(Delivery.objects.all())
    assert all(d.next_attempt_at.minute == 0 and d.next_attempt_at > timezone.now() for d in deliveries)
    assert services.digest_send(destination_id=deliveries[0].destination_id) == 0  # not due yet
    assert services.delivery_send(delivery_id=deliveries[0].pk) is None and not mail.outbox  # never one by one
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert services.digest_send(destination_id=deliveries[0].destination_id) == 2
    assert services.digest_send(destination_id=deliveries[0].destination_id) == 0
    (message,) = mail.outbox
    assert "2 events" in message.subject and first.response_id in message.body and second.response_id in message.body


def test_sweep_takes_back_what_dead_workers_left_and_enqueues_what_is_due(subs, client, settings):
    subscription = subs.create()
    services.destination_create(subscription=subscription, actor=subs.owner, kind="email", emails="a@example.com")
    event = processed_event(subs, client, subscription)
    delivery = Delivery.objects.get()
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.SUBSCRIPTIONS_STALE_CLAIM_SECONDS + 5)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SENDING, claimed_at=long_ago,
                                                   claim_token="dead")
    Event.objects.filter(pk=event.pk).update(state="processing", claimed_at=long_ago, received_at=long_ago)
    with mock.patch("subscriptions.tasks.delivery_send_task.apply_async") as deliver, \
            mock.patch("subscriptions.tasks.event_process_task.apply_async") as process:
        result = services.subscriptions_sweep()
    assert result["reclaimed_events"] == 1 and result["reclaimed_deliveries"] == 1
    deliver.assert_called_once_with((delivery.pk,))
    process.assert_called_once_with((event.pk,))
    # A second sweep (another beat, or the next round) publishes nothing more until the message seems lost.
    with mock.patch("subscriptions.tasks.delivery_send_task.apply_async") as deliver, \
            mock.patch("subscriptions.tasks.event_process_task.apply_async") as process:
        assert services.subscriptions_sweep()["deliveries"] == 0
    assert not deliver.called and not process.called
    settings.SUBSCRIPTIONS_LOST_QUEUED_SECONDS = 0
    with mock.patch("subscriptions.tasks.delivery_send_task.apply_async") as deliver, \
            mock.patch("subscriptions.tasks.event_process_task.apply_async"):
        assert services.subscriptions_sweep()["deliveries"] == 1


def test_webhook_body_is_json_with_ids(subs, client):
    subscription = subs.create()
    services.destination_create(subscription=subscription, actor=subs.owner, kind="email", emails="a@example.com")
    processed_event(subs, client, subscription)
    delivery = Delivery.objects.select_related("event__subscription").get()
    document = json.loads(services.forwarding.webhook_body(delivery))
    assert document["id"] == f"evt_{delivery.event_id}" and document["subscription"]["surveyId"] == subs.survey_id


def test_a_name_that_does_not_resolve_now_is_tried_again(subs, client):
    import socket

    subscription = subs.create()
    services.destination_create(subscription=subscription, actor=subs.owner, kind="webhook",
                                url="https://hooks.example.org/in")
    processed_event(subs, client, subscription)
    delivery = Delivery.objects.get()
    with mock.patch("socket.getaddrinfo", side_effect=socket.gaierror(-3, "Temporary failure")):
        assert services.delivery_send(delivery_id=delivery.pk) == 30
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and "could not be resolved" in delivery.error
