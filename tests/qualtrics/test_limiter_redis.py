"""The rate limiter shared by two real processes through Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .test_ratelimit import max_in_any_window

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.services


def run_workers(*argument_lists: list[str]) -> list[dict]:
    """Start one worker process per argument list, let them all begin at once, return their reports."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.qualtrics.limiter_worker", *map(str, arguments)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in argument_lists
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    start = time.time() + 0.2
    for worker in workers:
        worker.stdin.write(f"{start!r}\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.mark.parametrize("store", ["script", "cache"])
def test_two_processes_never_exceed_the_budget_in_any_window_and_use_it_fully(store):
    """Two processes race for a 30-a-minute budget for 130 s of a clock running 8 times faster, counting
    in one step by the portal's script, or by the cache's own calls."""
    prefix = f"test-limiter-{uuid.uuid4().hex}"
    budget, speed, duration = 30, 8.0, 130.0
    arguments = ["accelerated", prefix, budget, speed, duration, store]
    results = run_workers(arguments, arguments)
    stamps = sorted(t for result in results for t in result["taken"])
    assert all(result["taken"] for result in results), "both processes got slots"
    assert max_in_any_window(stamps) <= budget
    # Work was always waiting, so each slot was reused about 61 s (the 60 s window plus the
    # one-second bucket in progress) after it was last taken. The bounds leave room for a busy
    # machine, where a process may be held up for a moment.
    assert len(stamps) >= 2 * budget + budget // 2
    gaps = sorted(stamps[i] - stamps[i - budget] for i in range(budget, len(stamps)))
    assert gaps[0] >= 60.0
    assert gaps[len(gaps) // 2] <= 62.0


def test_two_clients_share_one_budget_against_the_sandbox(sandbox):
    sandbox.configure(rate_limit=30)
    prefix = f"test-limiter-{uuid.uuid4().hex}"
    arguments = ["http", prefix, 30, sandbox.base_url, sandbox.admin_token, 25]
    results = run_workers(arguments, arguments)
    assert sum(r["made"] for r in results) == 30
    assert sum(r["refused"] for r in results) == 20
    statuses = [call["status"] for call in sandbox.calls(path_contains="/whoami")]
    assert statuses == [200] * 30


def test_the_script_store_counts_what_the_cache_reads_and_refuses_with_the_counts():
    from django.core.cache.backends.redis import RedisCache

    from connections.rate_store import RedisRateCounters, rate_counters
    from tests.qualtrics.limiter_worker import REDIS_URL

    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"store-{uuid.uuid4().hex[:8]}"})
    store = rate_counters(cache)
    assert isinstance(store, RedisRateCounters)
    brand, route = ["b:1", "b:2", "b:3"], ["r:1", "r:2", "r:3"]
    cache.set("b:1", 2)  # an earlier second of the brand's window
    assert store.take([brand, route], 2, [4, 1], 60) is None
    assert cache.get_many(brand + route) == {"b:1": 2, "b:3": 1, "r:3": 1}
    assert store.take([brand, route], 2, [4, 1], 60) == (1, [0, 0, 1])  # the route is full
    assert store.take([brand], 2, [3], 60) == (0, [2, 0, 1])  # so is a smaller brand budget
    assert cache.get("b:3") == 1  # a refusal counts nothing
    assert 0 < cache._cache.get_client().ttl(cache.make_key("b:3")) <= 60  # counters expire after the window
    assert store.take([brand], 2, [9], 60, tally=["h:7"], tally_ttl=90000) is None
    assert store.take([brand], 2, [4], 60, guards=["g"], tally=["h:7"], tally_ttl=90000) is not None  # refused
    assert cache.get("h:7") == 1  # tallied once: a refusal tallies nothing
    assert 86400 < cache._cache.get_client().ttl(cache.make_key("h:7")) <= 90000


def test_the_script_store_hands_over_a_429s_feedback_instead_of_counting():
    """A pause or a lowered budget left by a 429 comes back from the one step (as the cache would read it), and
    nothing is counted; with none set, the slot is taken in that same step."""
    from django.core.cache.backends.redis import RedisCache

    from connections.rate_store import rate_counters
    from tests.qualtrics.limiter_worker import REDIS_URL

    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"store-{uuid.uuid4().hex[:8]}"})
    store = rate_counters(cache)
    brand = ["b:1", "b:2", "b:3"]
    guards = ["pause:b", "learned:b"]
    assert store.take([brand], 2, [5], 60, guards=guards) is None
    cache.set("pause:b", 1234.5, 60)
    cache.set("learned:b", (7, 1000.0), 60)
    assert store.take([brand], 2, [5], 60, guards=guards) == {"pause:b": 1234.5, "learned:b": (7, 1000.0)}
    assert cache.get("b:3") == 1  # only the first take counted


def test_the_portals_shared_limiter_counts_by_the_script_on_the_redis_cache():
    """The limiter every page and task uses is built on Django's `cache` proxy, which is no RedisCache
    itself: it must still count by the one-round-trip script, checking the 429 feedback in the same step."""
    from connections.qualtrics_client import shared_rate_limiter
    from connections.rate_store import RedisRateCounters

    limiter = shared_rate_limiter()
    store = limiter.shared.backend
    assert isinstance(store, RedisRateCounters)
    brand = f"script-{uuid.uuid4().hex[:8]}"
    sent = []
    client = store.cache._cache.get_client(write=True).__class__
    original = client.execute_command

    def counting(self, *args, **kwargs):
        sent.append(args[0])
        return original(self, *args, **kwargs)

    client.execute_command = counting
    try:
        assert limiter.acquire(brand, "GET", "/users") == 0
    finally:
        client.execute_command = original
    assert sent == ["EVALSHA"]  # one round trip: the feedback checked, the budget checked and counted
    assert limiter.shared.usage(brand) == {f"b:{brand}": 1}
    assert limiter.hourly_use(brand, hours=1)[0][1] == 1
