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
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.connection import ConnectionProxy

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
    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis around the pool for every operation, which costs more than the
        # round trip itself on loopback (~65 µs: it copies the response callbacks). One per pool is
        # enough: a client holds no connection of its own, and this object is per thread (django.core.cache).
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

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

    def set_unawaited(self, key, value, timeout) -> Callable[[], None]:
        """`set`, sent without waiting for Redis' reply; returns the function that reads the reply."""
        if timeout == 0:
            self.delete(key)
            return _nothing
        command = ("SET", key, self._serializer.dumps(value), *(("EX", timeout) if timeout is not None else ()))
        return self._unawaited("set", command, write=True, answer=lambda reply: None, miss=None)

    def get_many_unawaited(self, keys) -> Callable[[], dict]:
        """`get_many`, sent without waiting for Redis' reply; returns the function that reads it."""
        keys = list(keys)
        if not keys:
            return dict
        loads = self._serializer.loads
        return self._unawaited(
            "get_many", ("MGET", *keys), write=False, miss={},
            answer=lambda values: {key: loads(value) for key, value in zip(keys, values, strict=True)
                                   if value is not None},
        )

    def _unawaited(self, operation: str, command: tuple, *, write: bool, answer: Callable[[Any], Any],
                   miss: Any) -> Callable[[], Any]:
        """Sends `command` on a connection taken from the pool, without waiting; the function returned reads the
        reply (`answer(reply)`, or `miss` while Redis is unreachable) and gives the connection back."""
        pool = self._get_connection_pool(write)
        try:
            connection = pool.get_connection()
        except UNREACHABLE as exc:
            _Reachability.failed(operation, exc)
            return lambda: miss
        try:
            connection.send_command(*command)
        except UNREACHABLE as exc:
            _release_broken(pool, connection)
            _Reachability.failed(operation, exc)
            return lambda: miss

        def read_reply() -> Any:
            try:
                reply = connection.read_response()
            except UNREACHABLE as exc:
                _release_broken(pool, connection)
                _Reachability.failed(operation, exc)
                return miss
            pool.release(connection)
            _Reachability.answered()
            return answer(reply)

        return read_reply


def _nothing() -> None:
    return None


def _release_broken(pool, connection) -> None:
    connection.disconnect()  # a reply may still be on its way: the connection is not handed out again as it is
    pool.release(connection)


class TolerantRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` whose reads miss and writes are dropped while Redis is
    unreachable (counters still raise; see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient

    def set_unawaited(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> Callable[[], None]:
        """`set`, sent without waiting for Redis' reply: returns the function that reads it, to be called once the
        value must be there. A page that keeps something while it renders does not wait a round trip for it."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.set_unawaited(key, value, self.get_backend_timeout(timeout))

    def get_many_unawaited(self, keys, version=None) -> Callable[[], dict]:
        """`get_many`, sent without waiting for Redis' reply: returns the function that reads it. A read asked
        for before other work (building a client, say) is then answered at no cost by the time it is needed."""
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        read = self._cache.get_many_unawaited(key_map)
        return lambda: {key_map[key]: value for key, value in read().items()}


def _default_backend():
    """The default cache itself, behind django.core.cache.cache's per-thread proxy."""
    return cache._connections[cache._alias] if isinstance(cache, ConnectionProxy) else cache


def set_unawaited(key, value, timeout=DEFAULT_TIMEOUT) -> Callable[[], None]:
    """`cache.set(key, value, timeout)`, whose wait for Redis' reply is left to the function returned (see
    `TolerantRedisCache.set_unawaited`); on another cache, the value is set at once."""
    backend = _default_backend()
    if isinstance(backend, TolerantRedisCache):
        return backend.set_unawaited(key, value, timeout)
    cache.set(key, value, timeout)
    return _nothing


def get_many_unawaited(keys) -> Callable[[], dict]:
    """`cache.get_many(keys)`, whose wait for Redis' reply is left to the function returned (see
    `TolerantRedisCache.get_many_unawaited`); on another cache, read at once."""
    backend = _default_backend()
    if isinstance(backend, TolerantRedisCache):
        return backend.get_many_unawaited(keys)
    found = cache.get_many(keys)
    return lambda: found
