"""A list run of 2,000 members with real workers on PostgreSQL + Redis, its worker killed with kill -9 while
events are on their way: it resumes, and every member's event reaches the sandbox exactly once.

The sandbox's own record of the events it received (`/_sandbox/workflow-events`) is the proof. A proxy in
front of it holds back the answers to a few events after the sandbox has recorded them, so the kill comes
while the worker's calls are in flight, the case where a naive resend would double them.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter

import pytest
from django.conf import settings

from tests.distributions.processes import Processes, environment
from workflows import services
from workflows.models import ItemState, Run, RunItem, RunState

from .proxy import HoldingProxy

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MEMBERS = 2000
SENDERS = 4  # the worker's threads, and the run's senders


@pytest.fixture
def proxy(wf):
    proxy = HoldingProxy(wf.sandbox.root_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def procs(proxy, tmp_path, settings):
    settings.QUALTRICS_API_BASE_URL = proxy.base_url_template
    processes = Processes(environment(proxy.base_url_template, WORKFLOWS_RUN_SENDERS=str(SENDERS)), tmp_path)
    yield processes
    processes.stop_all()


def counts(run) -> Counter:
    return Counter(RunItem.objects.filter(run=run).values_list("state", flat=True))


def wait_for(predicate, procs, what: str, timeout: float = 240.0, sweep: bool = False) -> None:
    """Wait for `predicate`, running the beat sweep every couple of seconds if asked (nothing else runs it)."""
    deadline = time.monotonic() + timeout
    last_sweep = 0.0
    while time.monotonic() < deadline:
        procs.check_alive()
        if predicate():
            return
        if sweep and time.monotonic() - last_sweep > 2:
            services.runs_sweep()
            last_sweep = time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s\n{procs.logs()}")


def test_a_run_of_2000_killed_mid_way_resumes_and_sends_each_member_once(wf, proxy, procs):
    assert settings.WORKFLOWS_RUN_SENDERS == SENDERS
    list_id = wf.new_list("Two thousand", MEMBERS)
    members = {m["contactId"] for m in wf.members(list_id)}
    assert len(members) == MEMBERS
    trigger = wf.trigger(url=proxy.rewrite(wf.secured["eventUrl"]))
    run = services.run_start_list(trigger=trigger, actor=wf.operator, directory_id=wf.directory_id,
                                  mailing_list_id=list_id, mailing_list_name="Two thousand")

    first = procs.worker("w1", concurrency=SENDERS)
    wait_for(lambda: counts(run)[ItemState.SENT] >= MEMBERS // 3, procs, "a third of the events going out",
             sweep=True)
    # From now on the sandbox records each event but its answer stays with the proxy: every sender ends up
    # waiting for one, mid-call, and the worker dies there.
    proxy.hold(SENDERS)
    wait_for(lambda: proxy.held == SENDERS and counts(run)[ItemState.SENDING] == SENDERS, procs,
             "every sender waiting for an answer", timeout=60)
    procs.kill(first)

    in_flight = set(RunItem.objects.filter(run=run, state=ItemState.SENDING).values_list("contact_id", flat=True))
    before = counts(run)
    assert len(in_flight) == SENDERS and before[ItemState.SENT] < MEMBERS - SENDERS
    received = wf.contacts_received(wf.secured["id"])
    assert all(received[c] == 1 for c in in_flight), "the held events reached the sandbox"
    assert sum(received.values()) == before[ItemState.SENT] + SENDERS

    # After the restart the sweep finds what the dead worker left mid-call (its claims are long stale by then:
    # a zero threshold stands in for the wait) and starts senders again for the rest.
    proxy.release()
    swept = services.runs_sweep(stale_after=datetime.timedelta(0), idle_after=datetime.timedelta(0))
    assert swept == {"in_doubt": SENDERS, "planners": 0, "senders": 1}
    procs.worker("w2", concurrency=SENDERS)
    wait_for(lambda: Run.objects.get(pk=run.pk).state == RunState.DONE, procs, "the run finishing", sweep=True)

    received = wf.contacts_received(wf.secured["id"])
    doubled = {c: n for c, n in received.items() if n > 1}
    assert not doubled, f"sent more than once: {doubled}"
    assert set(received) == members and sum(received.values()) == MEMBERS
    after = counts(run)
    assert after == {ItemState.SENT: MEMBERS - SENDERS, ItemState.IN_DOUBT: SENDERS}
    assert set(RunItem.objects.filter(run=run, state=ItemState.IN_DOUBT).values_list("contact_id", flat=True)) \
        == in_flight
    assert set(RunItem.objects.filter(run=run).values_list("attempts", flat=True)) == {1}
    workers = Counter(RunItem.objects.filter(run=run, state=ItemState.SENT).values_list("claimed_by", flat=True))
    assert any(w.startswith("w1@") for w in workers) and any(w.startswith("w2@") for w in workers)
    run.refresh_from_db()
    assert run.members_read == MEMBERS and run.finished_at is not None
