"""Exactly once, with real workers and sweeps running at once on PostgreSQL + Redis against the sandbox.

The sandbox's own record (`/_sandbox/distributions`) is the proof: every reference appears once.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections import Counter

import pytest
import requests
from django.utils import timezone

from distributions import services
from distributions.models import Channel, Distribution, Kind, State
from distributions.rules import REFERENCE_KEY

from .processes import Processes, environment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def procs(portal_sandbox, tmp_path):
    sandbox, _connection, _owner = portal_sandbox
    processes = Processes(environment(sandbox.base_url_template), tmp_path)
    yield processes
    processes.stop_all()


def due_rows(connection, acme, count: int, **extra) -> list[int]:
    """`count` e-mail invites due now, each to one contact of a small list."""
    now = timezone.now() - datetime.timedelta(seconds=1)
    rows = [
        Distribution(
            connection=connection, channel=Channel.EMAIL, kind=Kind.INVITE, state=State.SCHEDULED,
            name=f"Load {n}", survey_id=acme.survey_id, survey_name=acme.survey_name,
            from_email="noreply@qualtrics.com", from_name="Acme", subject="Hello", message_text="Please answer",
            directory_id=acme.directory_id, mailing_list_id=acme.small_list_id,
            contact_lookup_id=acme.contact_lookup_id, link_type="Individual", send_at=now,
            reference=uuid.uuid4(), **extra,
        )
        for n in range(count)
    ]
    Distribution.objects.bulk_create(rows)
    return list(Distribution.objects.filter(connection=connection).values_list("pk", flat=True))


def sandbox_references(sandbox) -> Counter:
    answer = requests.get(f"{sandbox.root_url}/_sandbox/distributions", params={"brandId": "acme"}, timeout=30)
    answer.raise_for_status()
    return Counter((row.get("embeddedData") or {}).get(REFERENCE_KEY) for row in answer.json()["distributions"])


def wait_until_final(ids, procs, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        pending = Distribution.objects.filter(pk__in=ids).exclude(state__in=(State.SENT, State.FAILED)).count()
        if pending == 0:
            return
        time.sleep(0.5)
    states = Counter(Distribution.objects.filter(pk__in=ids).values_list("state", flat=True))
    raise AssertionError(f"not all distributions finished in {timeout:.0f} s: {dict(states)}\n{procs.logs()}")


def assert_each_sent_once(ids, sandbox) -> None:
    references = {str(r) for r in Distribution.objects.filter(pk__in=ids).values_list("reference", flat=True)}
    counts = sandbox_references(sandbox)
    states = Counter(Distribution.objects.filter(pk__in=ids).values_list("state", flat=True))
    failed = list(Distribution.objects.filter(pk__in=ids, state=State.FAILED).values_list("last_error", flat=True))
    assert states == {State.SENT: len(ids)}, failed[:5]
    missing = [r for r in references if counts[r] == 0]
    doubled = {r: counts[r] for r in references if counts[r] > 1}
    assert not missing, f"{len(missing)} never reached Qualtrics"
    assert not doubled, f"sent more than once: {doubled}"
    assert sum(counts[r] for r in references) == len(ids)
    qualtrics_ids = list(Distribution.objects.filter(pk__in=ids).values_list("qualtrics_id", flat=True))
    assert len(set(qualtrics_ids)) == len(ids) and all(q.startswith("EMD_") for q in qualtrics_ids)


def test_200_due_at_once_two_workers_two_sweeps_each_sent_once(portal_sandbox, acme, procs):
    sandbox, connection, _owner = portal_sandbox
    ids = due_rows(connection, acme, 200)
    procs.worker("w1")
    procs.worker("w2")
    procs.sweeper("s1", interval=0.1)
    procs.sweeper("s2", interval=0.1)
    wait_until_final(ids, procs)
    assert_each_sent_once(ids, sandbox)
    attempts = Counter(Distribution.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    assert attempts == {1: 200}
    workers = Counter(Distribution.objects.filter(pk__in=ids).values_list("claimed_by", flat=True))
    assert len(workers) >= 2, f"one worker did everything: {workers}"


def test_faults_and_rate_limits_all_sent_each_once(portal_sandbox, acme, procs):
    sandbox, connection, _owner = portal_sandbox
    # One call in five answers 500 after Qualtrics has acted on it; the brand allows 80 calls a minute,
    # fewer than the sends and look-ups need, so 429s come too.
    sandbox.configure(fail_rate=0.2, fail_mode="after", rate_limit=80)
    ids = due_rows(connection, acme, 100)
    procs.worker("w1")
    procs.worker("w2")
    procs.sweeper("s1")
    procs.sweeper("s2")
    wait_until_final(ids, procs, timeout=300)
    assert_each_sent_once(ids, sandbox)
    rows = Distribution.objects.filter(pk__in=ids)
    assert sum(r.transient_failures for r in rows) > 0, "no fault was injected"
    calls = sandbox.calls(method="GET", path_contains="/distributions")
    assert calls, "no distribution was looked up before a resend"
    assert any(c.get("status") == 429 for c in sandbox.calls()), "the rate limit was never reached"


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(portal_sandbox, acme, procs):
    sandbox, connection, _owner = portal_sandbox
    # Qualtrics creates the first distribution of the batch, then holds its answer back: the worker dies
    # waiting, with the rest of its batch still queued behind it.
    requests.post(f"{sandbox.root_url}/_sandbox/stall", json={"path_contains": "/distributions", "method": "POST",
                                                              "seconds": 30, "when": "after", "count": 1},
                  timeout=10).raise_for_status()
    ids = due_rows(connection, acme, 12)
    first = procs.worker("w1", concurrency=3)
    services.distributions_sweep()
    ours = {str(r) for r in Distribution.objects.filter(pk__in=ids).values_list("reference", flat=True)}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Only this test's references count: the demo seed has distributions of its own, and the worker
        # must be killed after Qualtrics created the row, not merely after the row was claimed.
        created = sum(n for reference, n in sandbox_references(sandbox).items() if reference in ours)
        sending = Distribution.objects.filter(pk__in=ids, state=State.SENDING).count()
        if created >= 1 and sending >= 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the worker never got stuck mid-send\n{procs.logs()}")
    procs.kill(first)
    stuck = set(Distribution.objects.filter(pk__in=ids, state=State.SENDING).values_list("pk", flat=True))
    assert len(stuck) == 1
    assert all(Distribution.objects.get(pk=pk).needs_lookup for pk in stuck)
    assert Distribution.objects.filter(pk__in=ids, state=State.QUEUED).count() == 11

    # After the restart the reaper takes back what the dead worker held (its claims are long stale by then:
    # a zero threshold stands in for the wait) and re-enqueues the messages it had taken.
    procs.worker("w2")
    result = services.distributions_reap(stale_after=datetime.timedelta(0), lost_after=datetime.timedelta(0))
    assert result == {"reclaimed": 1, "requeued": 11}
    wait_until_final(ids, procs)
    assert_each_sent_once(ids, sandbox)
    for pk in stuck:
        d = Distribution.objects.get(pk=pk)
        assert d.attempts == 1, "a distribution created before the crash was sent again"
        assert d.events.filter(kind="reconciled", message__startswith="Found in Qualtrics").exists()


def test_sustained_faults_and_a_low_rate_limit_fail_nothing_qualtrics_created_and_429s_stay_rare(
    portal_sandbox, acme, procs
):
    sandbox, connection, _owner = portal_sandbox
    # Half the calls fail after Qualtrics has acted on them, every answer takes 20 ms, and the brand
    # allows 300 calls a minute, which the portal does not know (it budgets Qualtrics' documented 3,000).
    # Before the portal checked instead of failing and backed off per brand, 12 of these 200 ended
    # "failed" although Qualtrics had created them, and 546 of 1,302 calls were refused with 429.
    sandbox.configure(fail_rate=0.5, fail_mode="after", rate_limit=300, latency_ms=20)
    ids = due_rows(connection, acme, 200)
    already = len(sandbox.calls())
    procs.worker("w1")
    procs.worker("w2")
    procs.sweeper("s1", seconds=700)
    procs.sweeper("s2", seconds=700)
    wait_until_final(ids, procs, timeout=600)
    assert_each_sent_once(ids, sandbox)
    calls = sandbox.calls()[already:]
    refused = sum(1 for c in calls if c["status"] == 429)
    assert refused < 0.1 * len(calls), f"{refused} of {len(calls)} calls were refused with 429"
    assert any(c["status"] == 500 for c in calls), "no fault was injected"
    lookups = [c for c in calls if c["method"] == "GET" and c["path"].endswith("/distributions")]
    assert lookups, "nothing was looked up"
    assert all("sendStartDate" in c["query"] and "sendEndDate" in c["query"] for c in lookups)
