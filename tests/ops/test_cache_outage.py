"""With the cache (Redis) unreachable, pages that call Qualtrics still work.

Before, every such page was a 500: the shared rate budget lives in the cache, and Django's RedisCache
raises ConnectionRefusedError-caused errors on every call while Redis is down.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.urls import reverse

from connections import qualtrics_client
from qualtrics import FallbackRateLimiter, RateLimiter, StoreOutage
from tests.distributions.processes import ROOT
from tests.fixtures.dedicated_redis import free_port
from web import cache as tolerant_cache


@pytest.fixture
def cache_on_a_closed_port(settings):
    """The cache as CACHE_URL=redis://… configures it, on a port where nothing listens."""
    settings.CACHES = {"default": {
        "BACKEND": "web.cache.TolerantRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
    }}
    yield
    # The outage is remembered per process; the next test starts with a reachable shared budget.
    qualtrics_client._outage.get().retry_at = None
    qualtrics_client._local_counters.get().clear()
    tolerant_cache._Reachability.down = False


def test_a_redis_cache_url_configures_the_tolerant_backend():
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "CACHE_URL": "redis://127.0.0.1:6399/3"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "'BACKEND': 'web.cache.TolerantRedisCache'" in out.stdout
    assert "'socket_connect_timeout': 1.0" in out.stdout


@pytest.mark.django_db
def test_reads_miss_and_writes_are_dropped_while_redis_is_unreachable(cache_on_a_closed_port, caplog):
    with caplog.at_level(logging.WARNING, logger="web.cache"):
        assert cache.get("anything", "default") == "default"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("a", 1) is False
        cache.set("a", 1)
        cache.delete("a")
        # A counter cannot be answered from a miss: it still raises, for the rate budget to fall back.
        with pytest.raises(tolerant_cache.UNREACHABLE):
            cache.incr("a")
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1, "the outage is logged once, not once per call"


def test_the_survey_pages_render_from_qualtrics_while_the_cache_is_unreachable(
    sandbox_personas, cache_on_a_closed_port, client, caplog
):
    team = sandbox_personas
    client.force_login(team.viewer)
    kwargs = {"connection_id": team.connection.pk}
    survey = next(s for s in team.sandbox.brand("acme")["surveys"] if s["name"] == "Customer Satisfaction 2025")
    with caplog.at_level(logging.WARNING):
        listing = client.get(reverse("surveys:survey_list", kwargs=kwargs) + "?q=satisfaction")
        rows = client.get(reverse("surveys:survey_rows", kwargs=kwargs) + f"?id={survey['id']}")
        detail = client.get(reverse("surveys:survey_detail", kwargs={**kwargs, "survey_id": survey["id"]}))
    assert listing.status_code == 200
    assert "Customer Satisfaction 2025" in listing.content.decode()
    assert rows.status_code == 200
    assert survey["id"] in rows.content.decode()
    assert detail.status_code == 200
    assert "Customer Satisfaction 2025" in detail.content.decode()
    assert team.sandbox.calls(method="GET", path_contains="/surveys"), "no page called Qualtrics"
    fallbacks = [r for r in caplog.records if "shared Qualtrics rate budget is unreachable" in r.getMessage()]
    assert len(fallbacks) == 1
    assert "local budget of 300 requests a minute" in fallbacks[0].getMessage()


class Unreachable(Exception):
    pass


class DownCounters:
    """A store that is down until `up` is set."""

    def __init__(self, store):
        self.store = store
        self.up = False

    def __getattr__(self, name):
        method = getattr(self.store, name)  # only what the store has (no one-step `take` on this one)

        def call(*args, **kwargs):
            if not self.up:
                raise Unreachable("connection refused")
            return method(*args, **kwargs)

        return call


def test_the_budget_falls_back_to_the_local_one_and_returns_to_the_shared_one(caplog):
    from django.core.cache.backends.locmem import LocMemCache

    now = [1000.0]
    shared_store = DownCounters(LocMemCache("ops-shared", {}))
    shared = RateLimiter(shared_store, brand_budget_per_minute=100, sleep=lambda s: None)
    local = RateLimiter(LocMemCache("ops-local", {}), brand_budget_per_minute=2, sleep=lambda s: None, max_wait=0)
    limiter = FallbackRateLimiter(shared, local, unavailable=(Unreachable,), outage=StoreOutage(),
                                  retry_shared_seconds=10, monotonic=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="qualtrics"):
        assert limiter.try_acquire("acme", "GET", "/surveys") == 0
        assert limiter.try_acquire("acme", "GET", "/surveys") == 0
        # The local budget (2 a minute here) is what holds while the shared store is down.
        assert limiter.try_acquire("acme", "GET", "/surveys") > 0
        shared_store.up = True
        now[0] += 5
        assert limiter.usage("acme") == {"b:acme": 2}, "the shared store is not asked again before 10 s"
        now[0] += 6
        assert limiter.try_acquire("acme", "GET", "/surveys") == 0
        assert limiter.usage("acme") == {"b:acme": 1}, "counted in the shared store again"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unreachable" in m for m in messages) == 1
    assert sum("answers again: this process counts against it" in m for m in messages) == 1
