"""Processing received events: the response read through the shared budget, the summary, the live feed."""

from __future__ import annotations

from unittest import mock

import pytest

from connections.qualtrics_client import connection_client
from qualtrics import FallbackRateLimiter, RateLimitedError
from subscriptions import services
from subscriptions.models import Delivery, Destination, Event, EventState
from surveys.definition import plain_text

pytestmark = pytest.mark.django_db


def receive(subs, client, subscription, response_id: str) -> Event:
    with mock.patch("subscriptions.services.receiving.enqueue_processing"):
        assert subs.post(client, subscription, subs.message(response_id)).status_code == 200
    return Event.objects.get(response_id=response_id)


def test_reads_the_response_and_keeps_the_chosen_answers(client, subs):
    subscription = subs.create(fields="QID1, QID5, QID6_TEXT, NotThere")
    recorded = subs.record_response()
    event = receive(subs, client, subscription, recorded["responseId"])
    assert services.event_process(event_id=event.pk) is None
    event.refresh_from_db()
    assert event.state == EventState.PROCESSED and event.response["responseId"] == recorded["responseId"]
    answers = {a["field"]: a["value"] for a in event.summary["answers"]}
    assert set(answers) == {"QID1", "QID5", "QID6_TEXT", "NotThere"} and answers["NotThere"] == ""
    assert answers["QID1"] == str(event.response["labels"]["QID1"])  # the label where Qualtrics gives one
    assert answers["QID6_TEXT"] == str(event.response["values"].get("QID6_TEXT", ""))
    assert event.summary["finished"] is True
    # Each field carries its question's text from the survey's definition; a field with no question, none.
    questions = connection_client(subs.connection, audit=False).survey_definitions.get(subs.survey_id)["Questions"]
    texts = {a["field"]: a["question"] for a in event.summary["answers"]}
    assert texts["QID1"] == plain_text(questions["QID1"]["QuestionText"]) != ""
    assert texts["QID6_TEXT"] == plain_text(questions["QID6"]["QuestionText"])
    assert texts["NotThere"] == ""
    assert subscription.answer_labels == {k: v for k, v in texts.items() if v}
    # Processing again does nothing (the claim is gone).
    assert services.event_process(event_id=event.pk) is None


def test_a_response_qualtrics_does_not_know_is_still_forwarded_with_the_reason(client, subs):
    subscription = subs.create()
    Destination.objects.create(subscription=subscription, kind="email", emails="ops@example.com")
    event = receive(subs, client, subscription, "R_unknown0000000")
    with mock.patch("subscriptions.services.forwarding.enqueue_delivery") as enqueue:
        services.event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == EventState.FAILED and "could not find" in event.error.lower()
    delivery = Delivery.objects.get()
    enqueue.assert_called_once_with(delivery.pk)


def test_a_rate_limit_puts_the_event_back_for_later(client, subs):
    subscription = subs.create()
    event = receive(subs, client, subscription, "R_limited0000000")
    with mock.patch("qualtrics.resources.responses.Responses.get",
                    side_effect=RateLimitedError("Too many", status=429, retry_after=42.0)):
        delay = services.event_process(event_id=event.pk)
    event.refresh_from_db()
    assert delay >= 42.0 and event.state == EventState.RECEIVED and event.next_attempt_at is not None
    assert services.event_process(event_id=event.pk) is None  # not due yet: nobody claims it
    event.refresh_from_db()
    assert event.attempts == 1


def test_reads_go_through_the_shared_budget_route(client, subs):
    """The read takes a slot of the brand's shared budget and of Qualtrics' single-response route."""
    subscription = subs.create()
    recorded = subs.record_response()
    event = receive(subs, client, subscription, recorded["responseId"])
    original, calls = FallbackRateLimiter.try_acquire, []

    def spy(self, brand_key, method, path):
        calls.append((method, path, [scope for scope, _ in self.shared.budgets_for(brand_key, method, path)]))
        return original(self, brand_key, method, path)

    with mock.patch.object(FallbackRateLimiter, "try_acquire", spy):
        services.event_process(event_id=event.pk)
    (read,) = [c for c in calls if "/responses/" in c[1]]
    assert read[0] == "GET" and any(scope.endswith(":response-read") for scope in read[2]), read


class TestFeed:
    def test_shows_answers_per_survey_and_polls(self, login, subs, client, hx):
        subscription = subs.create(fields="QID1")
        recorded = subs.record_response()
        event = receive(subs, client, subscription, recorded["responseId"])
        services.event_process(event_id=event.pk)
        event.refresh_from_db()
        manager = login(subs.manager)
        page = manager.get(subs.url("feed")).content.decode()
        assert 'hx-trigger="every 3s"' in page and recorded["responseId"] in page
        assert event.summary["answers"][0]["value"] in page
        question = subscription.answer_labels["QID1"]
        assert f'<span class="text-body-secondary" title="QID1">{question[:59]}' in page  # the question, not "QID1"
        rows = manager.get(subs.url("feed") + f"?partial=rows&survey={subs.survey_id}", **hx).content.decode()
        assert rows.startswith('\n<tbody id="feed-rows"') or '<tbody id="feed-rows"' in rows[:200]
        assert recorded["responseId"] in rows
        other = manager.get(subs.url("feed") + "?partial=rows&survey=SV_other", **hx).content.decode()
        assert recorded["responseId"] not in other and "No event yet" in other
