"""The survey screens in Chromium against the live portal and the sandbox: every action, with screenshots."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from distributions.models import EventKind, State
from tests.distributions.conftest import make_distribution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def surveys_url(team) -> str:
    return f"/c/{team.connection.pk}/surveys/"


def detail_url(team, survey) -> str:
    return f"{surveys_url(team)}{survey['id']}/"


def open_modal(page, test_id: str):
    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id(test_id)).to_be_visible()
    page.wait_for_timeout(400)  # the modal's fade-in
    return dialog


def test_a_viewer_browses_searches_and_reads_a_survey(team, demo, browser_as, shot, qualtrics):
    recorded = qualtrics.surveys.get(demo.csat["id"])["responseCounts"]["auditable"]
    page = browser_as(team.viewer)
    page.goto(surveys_url(team))
    table = page.get_by_test_id("crud-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id(f"counts-{demo.csat['id']}")).to_have_text(str(recorded))  # loaded after the page
    expect(table).to_contain_text("Dana Whitfield")
    assert page.get_by_test_id("import-survey").count() == 0
    shot(page, "surveys-list")

    page.get_by_label("Status").select_option("inactive")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Product Feedback (archived)")
    expect(page).to_have_url(re.compile(r"status=inactive"))
    page.get_by_label("Status").select_option("")
    page.get_by_label("Name").fill("pulse")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Onboarding Pulse")
    expect(page.get_by_test_id(f"counts-{demo.onboarding['id']}")).not_to_have_text("…")
    shot(page, "surveys-search")

    page.get_by_label("Name").fill("")
    expect(table.locator("tbody tr")).to_have_count(3)
    table.get_by_role("link", name="Customer Satisfaction 2025").click()
    detail = page.get_by_test_id("survey-detail")
    expect(detail.get_by_test_id("definition-counts")).to_have_text(
        "6 questions in 4 blocks, 2 requiring an answer.")
    expect(detail.get_by_test_id("flow")).to_contain_text("Randomizer: shows 2 of these 2 in random order, evenly")
    expect(detail.get_by_test_id("quota")).to_have_count(3)
    expect(detail.get_by_test_id("recorded")).to_have_text(str(recorded))
    expect(detail.get_by_test_id("anonymous-link")).to_have_text(
        f"https://acme.iad1.qualtrics.com/jfe/form/{demo.csat['id']}")
    assert page.get_by_role("link", name="Rename").count() == 0  # a viewer only reads
    assert page.get_by_test_id("delete-survey").count() == 0
    shot(page, "survey-detail")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone a question's text keeps a readable width
    question = detail.get_by_role("cell", name=re.compile(r"^How likely are you to recommend")).first
    assert question.bounding_box()["width"] > 250
    page.set_viewport_size({"width": 1366, "height": 900})


def test_an_operator_deactivates_and_activates_a_survey(team, demo, browser_as, shot, qualtrics):
    page = browser_as(team.operator)
    page.goto(detail_url(team, demo.csat))
    page.get_by_test_id("deactivate").click()
    dialog = open_modal(page, "confirm-status")
    expect(dialog).to_contain_text("Respondents can no longer answer it.")
    shot(page, "survey-deactivate-confirm")
    dialog.get_by_role("button", name="Deactivate the survey").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("respondents can no longer answer it")
    expect(page.get_by_test_id("survey-status")).to_have_text("Inactive")
    assert qualtrics.surveys.get(demo.csat["id"])["isActive"] is False
    shot(page, "survey-deactivated")
    page.get_by_test_id("activate").click()
    expect(page.get_by_test_id("survey-status")).to_have_text("Active")
    expect(page.get_by_test_id("toast").first).to_contain_text("Activated")
    assert qualtrics.surveys.get(demo.csat["id"])["isActive"] is True


def test_an_operator_renames_a_survey_and_sets_its_window(team, demo, browser_as, shot, qualtrics):
    page = browser_as(team.operator)
    page.goto(detail_url(team, demo.onboarding))
    page.get_by_role("link", name="Rename").click()
    page.get_by_label("Name").fill("N" * 500)
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_test_id("error-name")).to_have_text(
        "A survey name may be at most 200 characters; this one has 500.")
    shot(page, "survey-rename-too-long")
    page.get_by_label("Name").fill("Onboarding Pulse 2031")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name=re.compile("Onboarding Pulse 2031"))).to_be_visible()

    page.get_by_role("link", name="Expiration window").click()
    page.get_by_label("Opens").fill("2031-06-30T09:00")
    page.get_by_label("Closes").fill("2031-06-01T09:00")
    page.get_by_role("button", name="Save the window").click()
    expect(page.get_by_test_id("error-ends")).to_contain_text("before it starts")
    shot(page, "survey-window-ends-before-it-starts")
    page.get_by_label("Closes").fill("2031-07-31T18:00")
    page.get_by_role("button", name="Save the window").click()
    expect(page.get_by_test_id("window")).to_contain_text("opens 30 Jun 2031 09:00 · closes 31 Jul 2031 18:00")
    expect(page.get_by_test_id("survey-status")).to_have_text("Closed")  # active, but its window opens later
    shot(page, "survey-window-set")
    window = qualtrics.surveys.get(demo.onboarding["id"])["expiration"]
    assert window["startDate"].startswith("2031-06-30T09:00:00")  # the test user's zone is UTC


def test_an_operator_copies_exports_and_imports_surveys(team, demo, browser_as, shot, qualtrics, tmp_path):
    page = browser_as(team.operator)
    page.goto(detail_url(team, demo.csat))
    page.get_by_role("link", name="Copy").click()
    page.get_by_label("Name of the copy").fill("CSAT 2026 pilot")
    page.get_by_label("Owner of the copy").select_option(label="Sam Ortiz")
    shot(page, "survey-copy")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_role("heading", name=re.compile("CSAT 2026 pilot"))).to_be_visible()
    expect(page.get_by_test_id("owner")).to_contain_text("Sam Ortiz")
    expect(page.get_by_test_id("survey-status")).to_have_text("Inactive")
    expect(page.get_by_test_id("quota")).to_have_count(3)
    shot(page, "survey-copied")

    with page.expect_download() as download:
        page.get_by_test_id("export-qsf").click()
    assert download.value.suggested_filename == "csat-2026-pilot.qsf"
    exported = tmp_path / "csat.qsf"
    download.value.save_as(exported)
    assert json.loads(exported.read_text())["SurveyEntry"]["SurveyName"] == "CSAT 2026 pilot"

    page.goto(surveys_url(team))
    page.get_by_test_id("import-survey").click()
    not_a_survey = tmp_path / "contacts.csv"
    not_a_survey.write_text("First Name,Email\nAda,ada@example.org\n")
    page.get_by_label("Survey file (.qsf)").set_input_files(str(not_a_survey))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("error-file")).to_contain_text("This is not a Qualtrics survey file (.qsf)")
    shot(page, "survey-import-not-a-qsf")
    empty = tmp_path / "empty.qsf"
    empty.write_bytes(b"")
    page.get_by_label("Survey file (.qsf)").set_input_files(str(empty))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("error-file")).to_have_text("The file is empty.")
    page.get_by_label("Name", exact=True).fill("CSAT reimported")
    page.get_by_label("Survey file (.qsf)").set_input_files(str(exported))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("CSAT reimported"))).to_be_visible()
    expect(page.get_by_test_id("toast").first).to_contain_text("Imported the survey “CSAT reimported”.")
    expect(page.get_by_test_id("definition-counts")).to_contain_text("6 questions in 4 blocks")
    shot(page, "survey-imported")
    assert sum(s["name"] == "CSAT reimported" for s in qualtrics.surveys.list().iter_all()) == 1


def test_a_manager_deletes_a_survey_and_its_scheduled_distribution_is_cancelled(team, demo, browser_as, shot,
                                                                                qualtrics):
    due = timezone.now() + datetime.timedelta(days=3)
    scheduled = make_distribution(team.connection, name="Autumn invite", survey_id=demo.archived["id"],
                                  survey_name=demo.archived["name"], send_at=due)
    recorded = qualtrics.surveys.get(demo.archived["id"])["responseCounts"]["auditable"]
    page = browser_as(team.manager)
    page.goto(detail_url(team, demo.archived))
    expect(page.get_by_test_id("survey-work").filter(has_text="Autumn invite")).to_contain_text(
        "Autumn invite · E-mail invite")
    page.get_by_test_id("delete-survey").click()
    dialog = open_modal(page, "confirm-delete")
    expect(dialog).to_contain_text("Product Feedback (archived)")
    expect(dialog).to_contain_text(f"with its {recorded} recorded responses")
    expect(dialog).to_contain_text("1 scheduled distribution(s) would fail without the survey")
    expect(dialog).to_contain_text("Autumn invite · E-mail invite")
    shot(page, "survey-delete-confirm")
    dialog.get_by_role("button", name="Delete survey").click()
    expect(page).to_have_url(re.compile(r"/surveys/$"))
    expect(page.get_by_test_id("toast").first).to_contain_text("Cancelled 1 scheduled distribution(s)")
    expect(page.get_by_test_id("crud-table").locator("tbody tr")).to_have_count(2)
    shot(page, "survey-deleted")
    scheduled.refresh_from_db()
    assert scheduled.state == State.CANCELLED
    page.goto(scheduled.get_absolute_url())
    expect(page.get_by_text(re.compile(r"Cancelled: its survey “Product Feedback \(archived\)”"))).to_be_visible()
    shot(page, "survey-deleted-distribution-timeline")
    assert scheduled.events.filter(kind=EventKind.CANCELLED).count() == 1


def test_the_compose_forms_survey_picker_shows_status_and_warns_when_inactive(team, demo, browser_as, shot):
    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/distributions/new/email/")
    picker = page.locator("#id_survey_id")
    picker.locator(f"option[value='{demo.archived['id']}']").wait_for(state="attached")
    expect(picker.locator(f"option[value='{demo.archived['id']}']")).to_contain_text("inactive")
    page.get_by_label("Search survey").fill("feedback")
    expect(picker.locator("option")).to_have_count(2)  # the blank choice and the one match
    picker.select_option(demo.archived["id"])
    warning = page.get_by_test_id("survey-warning")
    expect(warning).to_contain_text("“Product Feedback (archived)” is inactive")
    shot(page, "distribution-compose-inactive-survey")
    page.get_by_label("Search survey").fill("")
    picker.locator(f"option[value='{demo.csat['id']}']").wait_for(state="attached")
    picker.select_option(demo.csat["id"])
    expect(page.get_by_test_id("survey-ok")).to_contain_text("Active")
    expect(warning).to_have_count(0)


def test_a_survey_deleted_in_qualtrics_meanwhile_is_explained(team, demo, browser_as, shot, qualtrics):
    page = browser_as(team.operator)
    page.goto(detail_url(team, demo.onboarding))
    page.get_by_role("link", name="Rename").click()
    qualtrics.surveys.delete(demo.onboarding["id"])
    page.get_by_label("Name").fill("Too late")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_test_id("qualtrics-error").first).to_contain_text("deleted in Qualtrics meanwhile")
    shot(page, "survey-deleted-meanwhile")
    assert Path(page.url).name == "rename"
