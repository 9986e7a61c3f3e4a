"""The receiver Qualtrics posts to: what it stores, and every refusal (a 4xx and one log line, never a 500)."""

from __future__ import annotations

import logging
from unittest import mock

import pytest

from subscriptions.models import Event, EventState
from subscriptions.services import shared_key

from .conftest import signed_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(subs):
    return subs.create()


def refusal_logged(caplog, status: int) -> bool:
    lines = [r for r in caplog.records if r.name == "subscriptions.receiver"]
    return len(lines) == 1 and f"({status})" in lines[0].getMessage()


def test_stores_a_signed_event_once_and_answers_at_once(client, subs, subscription):
    with mock.patch("subscriptions.services.receiving.enqueue_processing") as enqueue:
        response = subs.post(client, subscription)
    assert response.status_code == 200 and response.content == b"stored\n"
    event = Event.objects.get()
    assert (event.topic, event.survey_id, event.response_id, event.state) == (
        subs.topic(), subs.survey_id, "R_abc123", EventState.RECEIVED)
    enqueue.assert_called_once_with(event.pk)
    # Qualtrics retries the same event: stored once, counted.
    again = subs.post(client, subscription)
    assert again.status_code == 200 and again.content == b"already stored\n"
    event.refresh_from_db()
    assert Event.objects.count() == 1 and event.duplicates == 1
    # Another response, or the same response on another topic, is another event.
    subs.post(client, subscription, subs.message("R_other"))
    subs.post(client, subscription, topic=f"acme.surveyengine.partialResponse.{subs.survey_id}")
    assert Event.objects.count() == 3


def test_needs_no_session_or_csrf(subs, subscription):
    from django.test import Client

    response = subs.post(Client(enforce_csrf_checks=True), subscription)
    assert response.status_code == 200


@pytest.mark.parametrize(("case", "status"), [
    ("unsigned", 401), ("mis-signed", 403), ("signed with another key", 403), ("unknown receiver", 404),
    ("oversized", 413), ("JSON body", 415), ("MSG not JSON", 400), ("no topic", 400), ("field twice", 400),
    ("not UTF-8", 400),
])
def test_refusals(client, subs, subscription, caplog, case, status):
    caplog.set_level(logging.WARNING, logger="subscriptions.receiver")
    url = f"/hooks/qualtrics/{subscription.receiver_id}/"
    key = shared_key(subscription)
    form_type = "application/x-www-form-urlencoded"
    if case == "unsigned":
        response = subs.post(client, subscription, signature="")
    elif case == "mis-signed":
        response = subs.post(client, subscription, signature="0" * 128)
    elif case == "signed with another key":
        response = client.post(url, signed_form("another key", subs.message(), subs.topic()), content_type=form_type)
    elif case == "unknown receiver":
        response = client.post("/hooks/qualtrics/nobody-here/", signed_form(key, subs.message(), subs.topic()),
                               content_type=form_type)
    elif case == "oversized":
        message = subs.message() | {"Padding": "x" * 70_000}
        response = client.post(url, signed_form(key, message, subs.topic()), content_type=form_type)
    elif case == "JSON body":
        response = client.post(url, {"Topic": subs.topic(), "MSG": "{}"}, content_type="application/json")
    elif case == "MSG not JSON":
        response = client.post(url, signed_form(key, "not json", subs.topic()), content_type=form_type)
    elif case == "no topic":
        response = client.post(url, signed_form(key, subs.message(), ""), content_type=form_type)
    elif case == "field twice":
        body = signed_form(key, subs.message(), subs.topic()) + b"&Topic=again"
        response = client.post(url, body, content_type=form_type)
    else:
        response = client.post(url, b"Topic=%ff%fe&MSG=x", content_type=form_type)
    assert response.status_code == status, response.content
    assert refusal_logged(caplog, status)
    assert not Event.objects.exists()
    # The log line names no key and no body.
    assert key not in caplog.text and "R_abc123" not in caplog.text


def test_only_post(client, subscription):
    response = client.get(f"/hooks/qualtrics/{subscription.receiver_id}/")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_broker_that_is_down_does_not_fail_the_receiver(client, subs, subscription,
                                                          django_capture_on_commit_callbacks):
    with mock.patch("subscriptions.tasks.event_process_task.apply_async", side_effect=OSError("broker down")) as send, \
            django_capture_on_commit_callbacks(execute=True):
        response = subs.post(client, subscription)
    assert send.called and response.status_code == 200 and Event.objects.count() == 1  # the sweep finds it


@pytest.mark.django_db(transaction=True)
def test_a_subscription_deleted_elsewhere_is_refused_despite_the_cache(client, subs, subscription):
    """Another process deleted it: this one's cached receiver finds out at the INSERT and refuses."""
    from subscriptions.models import Subscription

    assert subs.post(client, subscription).status_code == 200  # cached now
    Subscription.objects.filter(pk=subscription.pk).delete()  # not through the service: the cache stays
    response = subs.post(client, subscription, subs.message("R_after"))
    assert response.status_code == 404
    assert subs.post(client, subscription, subs.message("R_again")).status_code == 404
