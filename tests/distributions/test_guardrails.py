"""The preview's guardrails: what cannot work blocks scheduling, what is probably a mistake needs "send anyway"."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone

from connections.qualtrics_client import connection_client
from distributions.guardrails import LARGE_RECIPIENTS, guardrails
from distributions.models import Channel, Distribution, Kind
from distributions.preview import Preview
from surveys.selectors import FactsError, SurveyFacts

from .test_views import email_post, url

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")


def noon_tomorrow() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return datetime.datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def daytime(**overrides):
    return {"send_at": timezone.localtime(noon_tomorrow()).strftime("%Y-%m-%dT%H:%M"), **overrides}


def active(**kwargs) -> SurveyFacts:
    return SurveyFacts(survey_id="SV_x", name="Visit survey", owner_id="UR_x", is_active=True, **kwargs)


def candidate(**fields) -> Distribution:
    values = {"channel": Channel.EMAIL, "kind": Kind.INVITE, "survey_id": "SV_x", "send_at": noon_tomorrow()}
    values.update(fields)
    return Distribution(**values)


def reached(total: int, reachable: int, **kwargs) -> Preview:
    return Preview(channel=Channel.EMAIL, total=total, reachable=reachable,
                   message_text="Hello ${l://SurveyLink?d=Go}", **kwargs)


def keys(checks) -> tuple[list[str], list[str]]:
    return [c.key for c in checks.blocks], [c.key for c in checks.warnings]


class TestTheChecks:
    def test_a_sound_invitation_passes_without_remark(self):
        assert guardrails(candidate(), reached(3, 3), survey=active(), time_zone=UTC).clear

    def test_an_inactive_or_deleted_survey_blocks(self):
        inactive = SurveyFacts(survey_id="SV_x", name="Old", owner_id="", is_active=False)
        assert keys(guardrails(candidate(), reached(3, 3), survey=inactive, time_zone=UTC)) == (["survey-inactive"], [])
        gone = FactsError("SV_x", {"status": 404, "title": "Not found"})
        assert keys(guardrails(candidate(), reached(3, 3), survey=gone, time_zone=UTC))[0] == ["survey-deleted"]

    def test_a_survey_closing_before_the_send_blocks_and_one_opening_after_warns(self):
        closes = active(ends=noon_tomorrow() - datetime.timedelta(hours=1))
        assert keys(guardrails(candidate(), reached(3, 3), survey=closes, time_zone=UTC))[0] == ["survey-closed"]
        opens = active(starts=noon_tomorrow() + datetime.timedelta(days=1))
        assert keys(guardrails(candidate(), reached(3, 3), survey=opens, time_zone=UTC)) == ([], ["survey-not-open"])

    def test_nobody_reachable_blocks_an_invitation_and_says_why(self):
        checks = guardrails(candidate(), reached(3, 0, unsubscribed=2, missing_address=1), survey=active(),
                            time_zone=UTC)
        assert keys(checks) == (["no-recipients"], [])
        assert "2 unsubscribed, 1 without e-mail address" in checks.blocks[0].explanation

    def test_a_reminder_to_a_finished_list_warns(self):
        checks = guardrails(candidate(kind=Kind.REMINDER), reached(0, 0), survey=active(), time_zone=UTC)
        assert keys(checks) == ([], ["reminder-finished"])

    def test_a_very_large_send_warns(self):
        checks = guardrails(candidate(), reached(LARGE_RECIPIENTS, LARGE_RECIPIENTS), survey=active(), time_zone=UTC)
        assert keys(checks) == ([], ["many-recipients"])
        assert keys(guardrails(candidate(), reached(LARGE_RECIPIENTS - 1, LARGE_RECIPIENTS - 1), survey=active(),
                               time_zone=UTC)) == ([], [])

    def test_an_invitation_without_a_survey_link_warns_a_thank_you_does_not(self):
        plain = Preview(channel=Channel.EMAIL, total=3, reachable=3, message_text="<p>Please answer our survey</p>")
        assert keys(guardrails(candidate(), plain, survey=active(), time_zone=UTC)) == ([], ["no-survey-link"])
        assert keys(guardrails(candidate(kind=Kind.THANKYOU), plain, survey=active(), time_zone=UTC)) == ([], [])
        url_form = Preview(channel=Channel.SMS, total=3, reachable=3, message_text="Go: ${l://SurveyURL}")
        assert guardrails(candidate(channel=Channel.SMS), url_form, survey=active(), time_zone=UTC).clear

    def test_a_send_in_the_night_of_the_senders_time_zone_warns(self):
        tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")  # noon UTC is 21:00 there; 15:00 UTC is midnight
        assert guardrails(candidate(), reached(3, 3), survey=active(), time_zone=tokyo).clear
        night = candidate(send_at=noon_tomorrow() + datetime.timedelta(hours=3))
        checks = guardrails(night, reached(3, 3), survey=active(), time_zone=tokyo)
        assert keys(checks) == ([], ["night-send"])
        assert "00:00 in Asia/Tokyo" in checks.warnings[0].explanation


def digest_of(response) -> str:
    return re.search(rb'name="preview_digest" value="([^"]+)"', response.content).group(1).decode()


class TestOnTheForm:
    def test_an_inactive_survey_is_blocked_even_when_scheduling_is_forced(self, login, live, acme):
        connection_client(live.connection, audit=False).surveys.update(acme.survey_id, is_active=False)
        client = login(live.operator)
        target = url("distribution_create_email", live.connection)
        data = email_post(acme, **daytime())
        preview = client.post(target, {**data, "action": "preview"})
        body = preview.content.decode()
        assert 'data-testid="preview-blocks"' in body and "is inactive" in body
        assert 'data-testid="schedule-button"' not in body
        forced = client.post(target, {**data, "action": "schedule", "send_anyway": "on",
                                      "preview_digest": digest_of(preview)})
        assert forced.status_code == 200 and b'data-testid="preview-blocks"' in forced.content
        assert not Distribution.objects.exists()

    def test_a_deleted_survey_is_blocked(self, login, live, acme):
        client = login(live.operator)
        data = email_post(acme, survey_id="SV_" + "Z" * 15, **daytime())
        preview = client.post(url("distribution_create_email", live.connection), {**data, "action": "preview"})
        assert b"The survey no longer exists" in preview.content

    def test_a_link_expiring_before_the_send_is_refused_before_the_preview(self, login, live, acme):
        client = login(live.operator)
        sent = noon_tomorrow()
        data = email_post(acme, send_at=timezone.localtime(sent).strftime("%Y-%m-%dT%H:%M"),
                          link_expires_at=timezone.localtime(sent - datetime.timedelta(hours=1)).strftime(
                              "%Y-%m-%dT%H:%M"))
        response = client.post(url("distribution_create_email", live.connection), {**data, "action": "preview"})
        assert b"The survey link must expire after the distribution is sent" in response.content
        assert b'name="preview_digest"' not in response.content

    def test_a_warning_needs_send_anyway_then_schedules(self, login, live, acme, hx):
        client = login(live.operator)
        target = url("distribution_create_email", live.connection)
        data = email_post(acme, library_id="", message_id="", message_text="<p>Please answer our survey.</p>",
                          **daytime())
        preview = client.post(target, {**data, "action": "preview"}, **hx)
        assert b"The message has no survey link" in preview.content and b'name="send_anyway"' in preview.content
        refused = client.post(target, {**data, "action": "schedule", "preview_digest": digest_of(preview)}, **hx)
        assert refused.status_code == 200 and b"Tick \xe2\x80\x9cSend anyway\xe2\x80\x9d" in refused.content
        assert not Distribution.objects.exists()
        scheduled = client.post(target, {**data, "action": "schedule", "send_anyway": "on",
                                         "preview_digest": digest_of(preview)}, **hx)
        assert scheduled.status_code == 200 and scheduled.headers["HX-Redirect"]
        assert Distribution.objects.get().name == "Spring invite"

    def test_a_clean_preview_schedules_without_a_checkbox(self, login, live, acme):
        client = login(live.operator)
        target = url("distribution_create_email", live.connection)
        data = email_post(acme, **daytime())
        preview = client.post(target, {**data, "action": "preview"})
        assert b'name="send_anyway"' not in preview.content and b"preview-warnings" not in preview.content
        response = client.post(target, {**data, "action": "schedule", "preview_digest": digest_of(preview)})
        assert response.status_code == 302
