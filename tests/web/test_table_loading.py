"""Long work with feedback: a slow Qualtrics shows the page at once with a loading table; a post in progress
disables its form's buttons with a spinner, so nothing is sent twice."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.distributions.conftest import acme  # noqa: F401 - the fixture, for the compose form
from tests.distributions.test_browser import pick

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_qualtrics(sandbox_personas, settings):
    settings.LIST_TABLE_GRACE_SECONDS = 0.3
    sandbox_personas.sandbox.configure(latency_ms=3000)
    return sandbox_personas


def test_a_slow_list_shows_the_page_at_once_then_its_table(slow_qualtrics, browser_as, shot):
    personas = slow_qualtrics
    page = browser_as(personas.viewer)
    users = reverse("brandadmin:user_list", kwargs={"connection_id": personas.connection.pk})
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(users, wait_until="commit")
        loading = page.get_by_test_id("table-loading")
        expect(loading).to_be_visible()
        expect(loading).to_contain_text("Loading the users from Qualtrics")
        expect(page.get_by_role("heading", name="Users")).to_be_visible()
        shot(page, f"web-table-loading-{width}")
        expect(page.get_by_test_id("crud-table")).to_contain_text("Dana Whitfield", timeout=20_000)
        expect(loading).to_have_count(0)
        expect(page.get_by_test_id("page-summary")).to_contain_text("users on the first page")
    shot(page, "web-table-loaded-390")


def test_a_post_in_progress_disables_its_buttons(slow_qualtrics, browser_as, acme):  # noqa: F811
    personas = slow_qualtrics
    page = browser_as(personas.operator)
    page.goto(reverse("distributions:distribution_create_email", kwargs={"connection_id": personas.connection.pk}))
    page.get_by_label("Name", exact=True).fill("Slow invite")
    pick(page, "survey_id", acme.survey_id)
    page.get_by_label("From name").fill("Acme research")
    page.get_by_label("Subject", exact=True).fill("Hello")
    page.get_by_label("Or your own text").fill("Hello ${l://SurveyLink}")
    pick(page, "mailing_list_id", acme.small_list_id)
    day = timezone.localdate() + datetime.timedelta(days=1)
    page.get_by_label("Send at").fill(f"{day.isoformat()}T12:00")
    preview = page.get_by_test_id("preview-button")
    preview.click()
    expect(preview).to_be_disabled()
    expect(page.get_by_test_id("draft-button")).to_be_disabled()
    expect(page.get_by_test_id("compose-form")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("preview-total")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("preview-button")).to_be_enabled()
    expect(page.get_by_test_id("compose-form")).not_to_have_attribute("aria-busy", "true")
