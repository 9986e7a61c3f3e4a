"""In the browser: compose, preview, schedule, and watch a distribution go out through a real worker."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from distributions import services
from distributions.models import Channel, Distribution, Kind, State

from .conftest import sms_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def pick(page, field: str, value: str) -> None:
    """Choose `value` in a picker once htmx has loaded it from the connection."""
    page.locator(f"#id_{field} option[value='{value}']").wait_for(state="attached")
    page.locator(f"#id_{field}").select_option(value)


def tomorrow_at_noon() -> str:
    """A send time for the form that is ahead and never at night (a night send asks for a tick first, so a time
    a few minutes ahead failed these tests from 22:00 to 06:00); the tests then make it due themselves."""
    noon = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=12, minute=0)
    return noon.strftime("%Y-%m-%dT%H:%M")


def time_passes_until_due(d: Distribution) -> None:
    """Stand-in for waiting until the send time: move it to now, then run the sweep as beat would."""
    Distribution.objects.filter(pk=d.pk).update(send_at=timezone.now() - datetime.timedelta(seconds=1))
    services.distributions_sweep()


def test_compose_an_email_with_a_library_message_preview_schedule_and_see_it_sent(
    browser_as, shot, live, acme, celery_worker
):
    page = browser_as(live.operator)
    page.goto(reverse("distributions:distribution_list", kwargs={"connection_id": live.connection.pk}))
    expect(page.get_by_text("No distributions yet")).to_be_visible()
    shot(page, "distributions-list-empty")
    page.get_by_test_id("new-email").click()
    expect(page.get_by_role("heading", name="New e-mail distribution")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Spring satisfaction invite")
    pick(page, "survey_id", acme.survey_id)
    page.get_by_label("From name").fill("Acme research")
    page.get_by_label("Subject", exact=True).fill("Two minutes for us?")
    pick(page, "library_id", acme.library_id)
    pick(page, "message_id", acme.messages["invite"])
    expect(page.get_by_test_id("message-preview")).to_be_visible()
    pick(page, "mailing_list_id", acme.small_list_id)
    page.get_by_label("Embedded data").fill("Campaign = spring")
    page.get_by_label("Send at").fill(tomorrow_at_noon())
    shot(page, "distributions-compose-email")

    page.get_by_test_id("preview-button").click()
    panel = page.get_by_test_id("preview-panel")
    expect(panel.get_by_test_id("preview-total")).to_be_visible()
    total = int(panel.get_by_test_id("preview-total").inner_text())
    assert total > 0
    expect(panel.get_by_test_id("preview-sample")).to_be_visible()
    expect(panel.get_by_test_id("preview-message")).to_be_visible()
    shot(page, "distributions-preview-email")

    page.get_by_test_id("schedule-button").click()
    page.wait_for_url(re.compile(r"/distributions/\d+/$"))
    expect(page.get_by_test_id("distribution-status")).to_contain_text("Scheduled for")
    expect(page.get_by_test_id("toast").first).to_contain_text("Scheduled")
    shot(page, "distributions-scheduled")
    d = Distribution.objects.get()
    assert d.state == State.SCHEDULED and d.survey_name == acme.survey_name

    time_passes_until_due(d)
    assert wait_for(lambda: Distribution.objects.get(pk=d.pk).state == State.SENT)
    # The page polls its status, reloads when it changes, then fetches the stats from Qualtrics.
    expect(page.get_by_test_id("distribution-status")).to_contain_text("Sent to Qualtrics", timeout=20_000)
    sent = page.locator("[data-stat='sent']")
    expect(sent).to_be_visible(timeout=20_000)
    assert int(sent.inner_text()) > 0
    funnel = page.get_by_test_id("funnel")
    expect(funnel).to_contain_text("Opened")
    assert funnel.locator("svg.funnel-bar").count() == 4  # sent, opened, started, finished
    expect(page.get_by_test_id("timeline")).to_contain_text("Sent to Qualtrics as EMD_")
    expect(page.get_by_test_id("history-table")).to_be_visible(timeout=20_000)
    shot(page, "distributions-sent-with-stats")

    page.goto(reverse("distributions:distribution_list", kwargs={"connection_id": live.connection.pk}))
    expect(page.get_by_test_id("crud-table")).to_contain_text("Spring satisfaction invite")
    shot(page, "distributions-list")


def test_compose_an_sms_reminder_with_its_parent(browser_as, shot, live, acme, celery_worker):
    parent = services.distribution_create(connection=live.connection, actor=live.operator, channel=Channel.SMS,
                                          fields=sms_fields(acme, name="Visit SMS"))
    time_passes_until_due(parent)
    assert wait_for(lambda: Distribution.objects.get(pk=parent.pk).state == State.SENT)

    page = browser_as(live.operator)
    page.goto(parent.get_absolute_url())
    expect(page.get_by_test_id("distribution-status")).to_contain_text("Sent to Qualtrics")
    page.get_by_test_id("action-reminder").click()
    expect(page.get_by_role("heading", name=re.compile("New SMS reminder"))).to_be_visible()
    expect(page.get_by_label(re.compile("^Reminder"))).to_be_checked()
    expect(page.get_by_label("Parent SMS distribution")).to_have_value(str(parent.pk))
    expect(page.get_by_label("Name")).to_have_value("Reminder: Visit SMS")
    page.get_by_label("Or your own text").fill("Still a minute for our survey? ${l://SurveyURL} Thanks — Acme")
    expect(page.locator("#sms-length")).to_contain_text("segment")
    page.get_by_label("Send at").fill(tomorrow_at_noon())
    shot(page, "distributions-compose-sms-reminder")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("preview-segments")).to_contain_text("segment")
    shot(page, "distributions-preview-sms-reminder")
    page.get_by_test_id("schedule-button").click()
    page.wait_for_url(re.compile(r"/distributions/\d+/$"))
    reminder = Distribution.objects.get(kind=Kind.REMINDER)
    assert reminder.parent_id == parent.pk and reminder.channel == Channel.SMS
    time_passes_until_due(reminder)
    assert wait_for(lambda: Distribution.objects.get(pk=reminder.pk).state == State.SENT)
    expect(page.get_by_test_id("distribution-status")).to_contain_text("Sent to Qualtrics", timeout=20_000)
    expect(page.locator("[data-stat='sent']")).to_be_visible(timeout=20_000)
    shot(page, "distributions-sms-reminder-sent")
