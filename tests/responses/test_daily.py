"""A survey's responses per day: counted by a worker from a small export, kept a while, drawn per day in the
viewer's time zone; the card says when it is still counting or why it could not."""

from __future__ import annotations

import datetime
import json
import urllib.request

import pytest
from django.utils import timezone

from responses.services import daily
from responses.services.daily import cache_key, hours_of, survey_daily_counts_run

from .conftest import url

pytestmark = pytest.mark.django_db


def bulk_record(sandbox, survey_id: str, count: int, days: int) -> None:
    """`count` responses spread evenly over the sandbox's last `days` days."""
    request = urllib.request.Request(f"{sandbox.root_url}/_sandbox/bulk-responses", method="POST",
                                      data=json.dumps({"surveyId": survey_id, "count": count, "days": days}).encode(),
                                      headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


@pytest.fixture
def counts_asked(monkeypatch):
    asked = []
    from responses.tasks import survey_daily_counts_task

    monkeypatch.setattr(survey_daily_counts_task, "delay", lambda *args: asked.append(args))
    return asked


def test_lines_are_counted_per_utc_hour_and_what_is_not_a_date_is_left_out():
    lines = [b'{"values": {"recordedDate": "2026-11-20T10:15:00Z"}}', b"",
             b'{"values": {"recordedDate": "2026-11-20T10:59:59Z"}}', b'{"values": {"recordedDate": "soon"}}',
             b'{"values": {"recordedDate": "2026-11-21T00:00:00+01:00"}}']
    hour = int(datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC).timestamp())
    assert hours_of(lines) == {hour: 2, int(datetime.datetime(2026, 11, 20, 23, tzinfo=datetime.UTC).timestamp()): 1}
    assert list(daily._lines([b'{"a"', b': 1}\n{"b": 2}\n', b'{"c": 3}'])) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']


def test_a_worker_counts_every_response_of_the_window_from_one_small_export(team, csat):
    sandbox = team.sandbox
    before = survey_daily_counts_run(connection_id=team.connection.pk, survey_id=csat["id"],
                                     sleep=sandbox.advance_clock)
    bulk_record(sandbox, csat["id"], 60, days=20)  # one response every 8 hours, up to the sandbox's now
    after = survey_daily_counts_run(connection_id=team.connection.pk, survey_id=csat["id"],
                                    sleep=sandbox.advance_clock)
    assert sum(after["hours"].values()) - sum(before["hours"].values()) == 60
    starts = [call for call in sandbox.calls("POST") if call["path"].endswith("/export-responses")][-1]
    assert starts["body"]["format"] == "ndjson" and starts["body"]["surveyMetadataIds"] == ["recordedDate"]
    assert starts["body"]["questionIds"] == [] and starts["body"]["compress"] is False


def test_the_card_counts_when_asked_once_while_it_runs_and_then_draws_the_days(team, csat, login, hx, counts_asked):
    client = login(team.viewer)
    address = url("survey_daily", team.connection, csat["id"])
    idle = client.get(address, **hx).content.decode()
    assert "counts them from a small export when you ask" in idle and counts_asked == []  # no export unasked
    first = client.get(address + "?count=1", **hx).content.decode()
    assert "Counting the last 30 days" in first and 'hx-trigger="load delay:2s"' in first
    assert "Counting the last 30 days" in client.get(address, **hx).content.decode()
    assert counts_asked == [(team.connection.pk, csat["id"])]  # asked once; the card only looks again

    survey_daily_counts_run(connection_id=team.connection.pk, survey_id=csat["id"], sleep=team.sandbox.advance_clock)
    drawn = client.get(address, **hx).content.decode()
    assert 'data-testid="bar-chart"' in drawn and "Responses recorded each day, the last 30 days" in drawn
    assert drawn.count("<rect") == 30 and "hx-trigger" not in drawn
    today = timezone.localdate()
    assert f'<th scope="row" class="fw-normal">{today.day} {today:%b}</th>' in drawn

    again = client.get(address + "?count=1", **hx).content.decode()
    assert "Counting the last 30 days" in again and len(counts_asked) == 2


def test_a_count_qualtrics_refuses_says_why_and_can_be_asked_again(team, login, hx, counts_asked):
    survey_daily_counts_run(connection_id=team.connection.pk, survey_id="SV_000000000000000",
                            sleep=team.sandbox.advance_clock)
    page = login(team.viewer).get(url("survey_daily", team.connection, "SV_000000000000000"), **hx).content.decode()
    assert 'data-testid="daily-error"' in page and "could not be counted" in page
    assert counts_asked == []  # a failure is shown for a minute, not counted again at once


class TestPersonas:
    def test_anonymous_outsider_and_every_role(self, team, csat, client, login, counts_asked):
        address = url("survey_daily", team.connection, csat["id"])
        assert client.get(address).status_code == 302
        assert login(team.outsider).get(address).status_code == 404
        for persona in (team.viewer, team.operator, team.manager, team.owner):
            assert login(persona).get(address + "?count=1").status_code == 200
        assert len(counts_asked) == 4  # each asked anew

    def test_the_survey_exports_page_loads_the_card(self, team, csat, login):
        page = login(team.viewer).get(url("export_list", team.connection, csat["id"])).content.decode()
        assert f'hx-get="{url("survey_daily", team.connection, csat["id"])}" hx-trigger="load"' in page

    def test_the_counts_are_kept_in_the_cache_for_a_while(self, team, csat):
        from django.core.cache import cache

        kept = survey_daily_counts_run(connection_id=team.connection.pk, survey_id=csat["id"],
                                       sleep=team.sandbox.advance_clock)
        assert cache.get(cache_key(team.connection.pk, csat["id"])) == kept
