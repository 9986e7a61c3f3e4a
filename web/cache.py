"""The Redis cache, answering a miss instead of raising while Redis is unreachable.

Django's RedisCache raises on every connection error, so a Redis outage turned each page that reads a
cached value into a 500. The cache only ever holds what can be read again (Qualtrics reads, page keys),
so while Redis is away this backend answers reads as misses and drops writes, logging the outage once
(and its end). Counters are the exception: `incr`/`decr` cannot be answered from a miss, so they still
raise, and a caller that counts (the shared Qualtrics rate budget) falls back on its own.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# What the cache raises when Redis cannot be reached (refused, reset, timed out, still loading its data).
UNREACHABLE: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                                                OSError)


class _Reachability:
    """Whether this process last found Redis reachable, so that an outage is logged once each way."""

    down = False

    @classmethod
    def failed(cls, operation: str, exc: BaseException) -> None:
        if not cls.down:
            cls.down = True
            logger.warning("The cache (Redis) is unreachable (%s on %s): reads answer as misses, writes are "
                           "dropped until it answers again", exc, operation)

    @classmethod
    def answered(cls) -> None:
        if cls.down:
            cls.down = False
            logger.warning("The cache (Redis) answers again")


def _as_miss(miss):
    """Run the client call; while Redis is unreachable, answer `miss(*args, **kwargs)` instead."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _Reachability.failed(method.__name__, exc)
                return miss(*args, **kwargs)
            _Reachability.answered()
            return result

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class TolerantRedisCacheClient(RedisCacheClient):
    get = _as_miss(_default)(RedisCacheClient.get)
    get_many = _as_miss(lambda *a, **k: {})(RedisCacheClient.get_many)
    has_key = _as_miss(lambda *a, **k: False)(RedisCacheClient.has_key)
    add = _as_miss(lambda *a, **k: False)(RedisCacheClient.add)
    set = _as_miss(lambda *a, **k: None)(RedisCacheClient.set)
    set_many = _as_miss(lambda *a, **k: [])(RedisCacheClient.set_many)
    touch = _as_miss(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = _as_miss(lambda *a, **k: False)(RedisCacheClient.delete)
    delete_many = _as_miss(lambda *a, **k: None)(RedisCacheClient.delete_many)
    clear = _as_miss(lambda *a, **k: False)(RedisCacheClient.clear)


class TolerantRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` whose reads miss and writes are dropped while Redis is
    unreachable (counters still raise; see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient
