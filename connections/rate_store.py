"""Where the shared Qualtrics rate budget is counted: the portal's cache, in one step when it is Redis."""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy

# KEYS: the windows' per-second counter keys, window after window, each `width` long; then `reads` keys
# whose values are only read (the limiter's state: pauses and lowered budgets after a 429); then tally
# keys, counted with the windows and kept `tally_ttl` seconds (the calls of each hour).
# ARGV: width, position of the current second in a window (1-based), ttl, number of windows, reads,
# tally_ttl, then one budget per window. Counters are plain integers, as Django's Redis cache stores
# integers, so the cache reads them too. Answers {-1, read values} when counted, {window index, its
# counts, read values} when not.
_TAKE = """
local width, current, ttl, windows = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local reads, tally_ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local first_read = windows * width + 1
local read = {}
if reads > 0 then read = redis.call('MGET', unpack(KEYS, first_read, first_read + reads - 1)) end
for w = 0, windows - 1 do
  local counts = redis.call('MGET', unpack(KEYS, w * width + 1, w * width + width))
  local total = 0
  for i = 1, width do
    local n = tonumber(counts[i])
    if n and n > 0 then total = total + n end
  end
  if total + 1 > tonumber(ARGV[7 + w]) then
    for i = 1, width do counts[i] = tonumber(counts[i]) or 0 end
    return {w, counts, read}
  end
end
for w = 0, windows - 1 do
  local key = KEYS[w * width + current]
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
end
for i = first_read + reads, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tally_ttl)
end
return {-1, read}
"""


class RedisRateCounters:
    """The cache as the limiter's store (`qualtrics.CounterBackend`), with `take` run as one Lua script
    (`qualtrics.AtomicCounters`): a page's call to Qualtrics waits for one round trip to Redis for its
    slot instead of three to five."""

    def __init__(self, cache: RedisCache) -> None:
        self.cache = cache
        self._script = None

    def __getattr__(self, name: str) -> Any:  # add, incr, decr, get_many, set: the cache's own
        return getattr(self.cache, name)

    def take(self, windows: list[list[str]], current: int, budgets: list[int], ttl: int, read=(), tally=(),
             tally_ttl: int = 0):
        client = self.cache._cache.get_client(write=True)  # a new client object on the cache's pool
        if self._script is None:
            self._script = client.register_script(_TAKE)  # sent by its digest, loaded once per server
        keys = [self.cache.make_key(key) for key in (*(k for window in windows for k in window), *read, *tally)]
        args = [len(windows[0]), current + 1, ttl, len(windows), len(read), tally_ttl or ttl, *budgets]
        answer = self._script(keys=keys, args=args, client=client)
        loads = self.cache._cache._serializer.loads  # values as the cache stored them (pickled, or an int)
        found = {key: loads(value) for key, value in zip(read, answer[-1], strict=True) if value is not None}
        if answer[0] == -1:
            return None, found
        index, counts = answer[0], answer[1]
        return (int(index), [max(int(n), 0) for n in counts]), found


def rate_counters(cache):
    """The store for a limiter on `cache`: counted in one step on Redis, by the cache's own calls elsewhere.

    `cache` may be Django's `cache` proxy, which is no RedisCache itself: the cache it stands for decides.
    """
    if isinstance(cache, ConnectionProxy):
        cache = caches[DEFAULT_CACHE_ALIAS]
    return RedisRateCounters(cache) if isinstance(cache, RedisCache) else cache
