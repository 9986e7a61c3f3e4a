"""Where the shared Qualtrics rate budget is counted: the portal's cache, in one step when it is Redis."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy

# KEYS: the windows' per-second counter keys, window after window, each `width` long, then the guards,
# then the tally keys (counted with the windows and kept `tally_ttl` seconds: the calls of each hour).
# ARGV: width, position of the current second in a window (1-based), ttl, number of guards, number of
# tally keys, tally_ttl, then one budget per window. Any guard present (a 429's pause or lowered budget)
# returns them all, counting nothing. Counters are plain integers, as Django's Redis cache stores
# integers, so the cache reads them too.
_TAKE = """
local width, current, ttl, guards = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tallies, tally_ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local windows = (#KEYS - guards - tallies) / width
local first_guard = windows * width + 1
if guards > 0 then
  local found = redis.call('MGET', unpack(KEYS, first_guard, first_guard + guards - 1))
  for i = 1, guards do
    if found[i] then return {-2, found} end
  end
end
for w = 0, windows - 1 do
  local counts = redis.call('MGET', unpack(KEYS, w * width + 1, w * width + width))
  local total = 0
  for i = 1, width do
    local n = tonumber(counts[i])
    if n and n > 0 then total = total + n end
  end
  if total + 1 > tonumber(ARGV[7 + w]) then
    for i = 1, width do counts[i] = tonumber(counts[i]) or 0 end
    return {w, counts}
  end
end
for w = 0, windows - 1 do
  local key = KEYS[w * width + current]
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
end
for i = first_guard + guards, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tally_ttl)
end
return -1
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

    def take(self, windows: list[list[str]], current: int, budgets: list[int], ttl: int, guards=(), tally=(),
             tally_ttl: int = 0):
        client = self.cache._cache.get_client(write=True)  # the cache's own client, on its pool
        if self._script is None:
            self._script = client.register_script(_TAKE)  # sent by its digest, loaded once per server
        guards, tally = list(guards), list(tally)
        keys = [self.cache.make_key(key) for key in (*(k for window in windows for k in window), *guards, *tally)]
        args = [len(windows[0]), current + 1, ttl, len(guards), len(tally), tally_ttl or ttl, *budgets]
        answer = self._script(keys=keys, args=args, client=client)
        if answer == -1:
            return None
        index, counts = answer
        if index == -2:  # a guard is set: hand them over as the cache would read them
            loads = self.cache._cache._serializer.loads
            return {key: loads(value) for key, value in zip(guards, counts, strict=True) if value is not None}
        return int(index), [max(int(n), 0) for n in counts]


def rate_counters(cache):
    """The store for a limiter on `cache`: counted in one step on Redis, by the cache's own calls elsewhere.

    `django.core.cache.cache` is a proxy that is no RedisCache to isinstance, so it is looked through first
    (without that the script was never used and each slot cost four or five round trips)."""
    if isinstance(cache, ConnectionProxy):
        cache = cache._connections[cache._alias]
    return RedisRateCounters(cache) if isinstance(cache, RedisCache) else cache
