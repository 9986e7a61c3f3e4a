"""Event subscriptions in the browser against the sandbox, with a real worker: subscribe to a survey's completed
responses, forward them to a local HTTPS receiver and by e-mail, record a response in the sandbox, watch it arrive
in the live feed and at both destinations, then delete the subscription."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from subscriptions.models import Delivery, DeliveryState, Subscription

from .receivers import HttpsDestination

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def destination(settings):
    with HttpsDestination() as receiver:
        settings.DEBUG = True  # development: a destination on this machine is allowed
        settings.SUBSCRIPTIONS_LOCAL_DESTINATIONS = True
        settings.SUBSCRIPTIONS_DESTINATION_CA_FILE = receiver.ca_file
        yield receiver


def test_subscribe_receive_see_it_live_forward_it_and_delete(browser_as, shot, subs, live_server, settings,
                                                             destination, celery_worker):
    settings.PORTAL_BASE_URL = live_server.url  # where the sandbox posts: the live portal
    page = browser_as(subs.manager)
    page.goto(f"/c/{subs.connection.pk}/surveys/")
    page.get_by_role("link", name="Subscriptions").first.click()
    expect(page.get_by_test_id("base-url-warning")).to_be_visible()  # 127.0.0.1 is not public
    expect(page.get_by_text("No event subscription in this brand yet")).to_be_visible()
    page.get_by_test_id("new-subscription").click()
    page.locator(f"#id_survey_id option[value='{subs.survey_id}']").wait_for(state="attached")
    page.locator("#id_survey_id").select_option(subs.survey_id)
    expect(page.get_by_label("Topic")).to_have_value("completed")
    page.get_by_label("Answers to show").fill("QID1, QID3")
    shot(page, "subscriptions-create")
    page.get_by_test_id("create-subscription").click()
    expect(page).to_have_url(re.compile(r"/subscriptions/\d+/$"))
    subscription = Subscription.objects.get()

    # Two destinations: the HTTPS receiver (its key shown once) and an e-mail per event.
    page.get_by_test_id("add-destination").click()
    page.get_by_label("Send to").select_option("webhook")
    page.get_by_label("Webhook URL").fill(destination.url)
    page.get_by_test_id("save-destination").click()
    expect(page.get_by_test_id("signing-key")).to_contain_text("whsec_")
    shot(page, "subscriptions-webhook-key")
    page.get_by_test_id("add-destination").click()
    page.get_by_label("Send to").select_option("email")
    page.get_by_label("E-mail addresses").fill("ops@example.com")
    page.get_by_test_id("save-destination").click()
    expect(page.get_by_test_id("destination")).to_have_count(2)

    # A test goes through the portal's address to the receiver, and on to the destinations.
    page.get_by_test_id("send-test").click()
    expect(page.get_by_text("Test event received and stored")).to_be_visible()
    assert wait_for(lambda: len(destination.received) == 1 and len(mail.outbox) == 1)
    assert destination.received[0]["json"]["event"]["Status"] == "Test"
    destination.received.clear()
    mail.outbox.clear()

    # The list marks it as this portal's.
    page.get_by_role("link", name="Event subscriptions").click()
    expect(page.locator(f'[data-qualtrics-id="{subscription.qualtrics_id}"]')).to_have_attribute("data-mark", "ours")
    shot(page, "subscriptions-list")

    # A respondent finishes the survey: Qualtrics (the sandbox) posts to the receiver.
    page.get_by_test_id("feed-tab").click()
    recorded = subs.record_response()
    assert recorded["deliveries"][0]["status"] == 200, recorded["deliveries"]
    row = page.locator(f'[data-testid="feed-row"][data-response-id="{recorded["responseId"]}"]')
    expect(row).to_have_attribute("data-state", "processed", timeout=30_000)
    expect(row).to_contain_text("How likely are you to recommend")  # the question's text, not its QID
    shot(page, "subscriptions-live-feed")

    assert wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT).count() == 4), \
        list(Delivery.objects.values("state", "error"))
    (received,) = destination.received
    assert received["json"]["event"]["ResponseID"] == recorded["responseId"]
    assert received["json"]["response"]["responseId"] == recorded["responseId"]
    (message,) = mail.outbox
    assert recorded["responseId"] in message.subject and message.to == ["ops@example.com"]

    # Per survey: the subscription's page links to the survey's feed.
    page.goto(subscription.get_absolute_url())
    page.get_by_test_id("survey-feed").click()
    expect(page.get_by_test_id("feed-survey")).to_have_value(subs.survey_id)
    expect(row).to_be_visible()

    # Delete it: gone in Qualtrics and here.
    page.goto(subscription.get_absolute_url())
    page.get_by_test_id("delete-subscription").click()
    page.get_by_test_id("confirm-button").click()
    expect(page).to_have_url(re.compile(r"/subscriptions/$"))
    expect(page.get_by_text("No event subscription in this brand yet")).to_be_visible()
    shot(page, "subscriptions-deleted")
    assert subs.qualtrics_subscriptions() == [] and not Subscription.objects.exists()
