"""In the browser: the preview blocks what cannot work and asks for "send anyway" on a probable mistake."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from connections.qualtrics_client import connection_client
from distributions.models import Distribution

from .test_browser import pick

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def compose(page, live, acme, *, text: str) -> None:
    page.goto(reverse("distributions:distribution_create_email", kwargs={"connection_id": live.connection.pk}))
    page.get_by_label("Name", exact=True).fill("Autumn invite")
    pick(page, "survey_id", acme.survey_id)
    page.get_by_label("From name").fill("Acme research")
    page.get_by_label("Subject", exact=True).fill("Two minutes for us?")
    page.get_by_label("Or your own text").fill(text)
    pick(page, "mailing_list_id", acme.small_list_id)
    day = timezone.localdate() + datetime.timedelta(days=1)
    page.get_by_label("Send at").fill(f"{day.isoformat()}T12:00")
    page.get_by_test_id("preview-button").click()


def test_a_message_without_a_survey_link_needs_send_anyway(browser_as, shot, live, acme):
    page = browser_as(live.operator)
    compose(page, live, acme, text="Please answer our survey.")
    warnings = page.get_by_test_id("preview-warnings")
    expect(warnings).to_contain_text("The message has no survey link")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        warnings.scroll_into_view_if_needed()
        shot(page, f"distributions-guardrail-warning-{width}")
    page.get_by_test_id("schedule-button").click()
    expect(page.get_by_text("Tick “Send anyway” to schedule")).to_be_visible()
    assert not Distribution.objects.exists()
    page.get_by_label(re.compile("Send anyway")).check()
    page.get_by_test_id("schedule-button").click()
    page.wait_for_url(re.compile(r"/distributions/\d+/$"))
    assert Distribution.objects.get().name == "Autumn invite"


def test_an_inactive_survey_cannot_be_scheduled(browser_as, shot, live, acme):
    connection_client(live.connection, audit=False).surveys.update(acme.survey_id, is_active=False)
    page = browser_as(live.operator)
    compose(page, live, acme, text="Hello ${l://SurveyLink?d=Take the survey}")
    blocks = page.get_by_test_id("preview-blocks")
    expect(blocks).to_contain_text("is inactive")
    expect(page.get_by_test_id("schedule-button")).to_have_count(0)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        blocks.scroll_into_view_if_needed()
        shot(page, f"distributions-guardrail-blocked-{width}")
