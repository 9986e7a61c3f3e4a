"""The tasks are thin: they call the services and own the retry; beat runs the sweep, reaper and stats."""

from __future__ import annotations

import datetime

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from distributions import tasks
from distributions.models import Distribution, State
from distributions.services import SendOutcome
from portal.celery import app

from .conftest import make_distribution

pytestmark = pytest.mark.django_db


def test_beat_runs_the_sweep_every_15_seconds_and_the_reaper_and_stats_refresh():
    app.finalize()
    schedule = app.conf.beat_schedule
    assert schedule["distributions-sweep"]["task"] == "distributions.sweep"
    assert schedule["distributions-sweep"]["schedule"] == 15.0
    assert schedule["distributions-reap"]["task"] == "distributions.reap"
    assert schedule["distributions-refresh-stats"]["task"] == "distributions.refresh_stats"
    for entry in ("distributions-sweep", "distributions-reap", "distributions-refresh-stats"):
        assert schedule[entry]["options"]["expires"] < schedule[entry]["schedule"]


def test_the_send_task_is_late_acknowledged_and_takes_ids_only():
    assert tasks.distribution_send_task.acks_late is True
    assert tasks.distribution_send_task.name == "distributions.send"


def test_a_transient_outcome_retries_with_the_new_token_and_countdown(monkeypatch):
    seen = {}

    def fake_send(*, distribution_id, claim_token, worker):
        seen.update(distribution_id=distribution_id, claim_token=claim_token, worker=worker)
        return SendOutcome("retry", retry_in=7.5, claim_token="new-token")

    retried = {}

    def fake_retry(*, args, countdown):
        retried.update(args=args, countdown=countdown)
        return Retry("retrying", when=countdown)

    monkeypatch.setattr("distributions.services.distribution_send", fake_send)
    monkeypatch.setattr(tasks.distribution_send_task, "retry", fake_retry)
    with pytest.raises(Retry):
        tasks.distribution_send_task(42, "old-token")
    assert seen["distribution_id"] == 42 and seen["claim_token"] == "old-token" and seen["worker"]
    assert retried == {"args": (42, "new-token"), "countdown": 7.5}


@pytest.mark.parametrize("status", ["sent", "failed", "held", "skipped"])
def test_final_outcomes_do_not_retry(monkeypatch, status):
    monkeypatch.setattr("distributions.services.distribution_send",
                        lambda **kwargs: SendOutcome(status))
    monkeypatch.setattr(tasks.distribution_send_task, "retry",
                        lambda **kwargs: pytest.fail("a final outcome must not retry"))
    assert tasks.distribution_send_task(1, "t") == status


def test_the_sweep_task_claims_due_rows(live, enqueued):
    due = make_distribution(live.connection)
    make_distribution(live.connection, send_at=timezone.now() + datetime.timedelta(hours=1))
    assert tasks.distributions_sweep_task() == 1
    due.refresh_from_db()
    assert due.state == State.QUEUED and due.claim_token
    assert [pk for pk, _token, _countdown in enqueued] == [due.pk]


def test_the_reaper_task_reports_what_it_did(live, enqueued):
    d = make_distribution(live.connection, state=State.SENDING, claim_token="t",
                          claimed_at=timezone.now() - datetime.timedelta(hours=2))
    assert tasks.distributions_reap_task() == {"reclaimed": 1, "requeued": 0}
    d.refresh_from_db()
    assert d.state == State.QUEUED and d.claim_token != "t"
    assert Distribution.objects.get(pk=d.pk).events.filter(kind="reconciled").exists()
