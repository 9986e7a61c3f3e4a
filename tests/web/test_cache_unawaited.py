"""Cache operations sent without waiting for Redis' reply: what a page asks before other work, or keeps
while it renders, is answered by the time it is needed (web.cache)."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from tests.fixtures.dedicated_redis import free_port
from web import cache as tolerant_cache

pytestmark = pytest.mark.services


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {
        "BACKEND": "web.cache.TolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/14",
        "KEY_PREFIX": f"unawaited-{uuid.uuid4().hex}",
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
    }}
    yield cache


def pool_of(cache_):
    return cache_._connections[cache_._alias]._cache._get_connection_pool(True)


def test_a_value_set_unawaited_is_there_once_its_reply_is_read(redis_cache):
    pool = pool_of(redis_cache)
    kept = tolerant_cache.set_unawaited("page", {"cursor": "https://x/next", "number": 2}, 60)
    assert len(pool._in_use_connections) == 1  # its connection waits for the reply, out of the pool
    kept()
    assert not pool._in_use_connections
    assert redis_cache.get("page") == {"cursor": "https://x/next", "number": 2}
    client = redis_cache._connections[redis_cache._alias]._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_key("page")) <= 60


def test_values_read_unawaited_are_the_cache_s_own_and_other_commands_meanwhile_are_unaffected(redis_cache):
    redis_cache.set_many({"a": (1, "one"), "b": 412})
    answer = tolerant_cache.get_many_unawaited(["a", "b", "missing"])
    redis_cache.set("c", "set while the read was on its way")  # on another connection of the pool
    assert answer() == {"a": (1, "one"), "b": 412}
    assert redis_cache.get("c") == "set while the read was on its way"


def test_a_timeout_of_zero_deletes_as_cache_set_does(redis_cache):
    redis_cache.set("gone", 1)
    tolerant_cache.set_unawaited("gone", 2, 0)()
    assert redis_cache.get("gone") is None


def test_while_redis_is_unreachable_reads_miss_and_writes_are_dropped(settings):
    settings.CACHES = {"default": {
        "BACKEND": "web.cache.TolerantRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
    }}
    try:
        assert tolerant_cache.get_many_unawaited(["a"])() == {}
        assert tolerant_cache.set_unawaited("a", 1, 60)() is None
    finally:
        tolerant_cache._Reachability.down = False


def test_on_another_cache_both_happen_at_once(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "unawaited"}}
    kept = tolerant_cache.set_unawaited("a", 1, 60)
    assert cache.get("a") == 1
    kept()
    assert tolerant_cache.get_many_unawaited(["a", "b"])() == {"a": 1}
