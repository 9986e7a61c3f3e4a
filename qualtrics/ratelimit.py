"""A rate budget shared by every process that talks to the same Qualtrics brand.

Qualtrics allows a brand 3,000 requests a minute in total, and fewer on some routes (docs/qualtrics-api.md
#rate-limits). The limiter keeps the portal under both, across processes, through any store with the Django
cache API subset ``add``/``incr``/``decr``/``get_many`` (local memory in one process, Redis when
several processes share a brand).

How a slot is taken, for each budget that applies to the call (the brand's, then the route's):

1. Requests are counted in one counter per second. ``add`` the current second's key with 0 (a no-op
   when it exists), then ``incr`` it. The increment comes first, so every competitor already sees
   it, and the value ``incr`` returns is our place in this second's queue.
2. Read, with one ``get_many``, the counters of this second, the 60 before it and the next one (in
   case another process's clock runs a little ahead). Any 60-second stretch of time lies within 61
   consecutive one-second buckets, so this is what makes the guarantee hold for every 60-second
   window, not only for whole-second ones.
3. The slot is ours when the other seconds' total plus our place in this second fits the budget,
   and the clock still reads the same second once we are done (a process paused across the end of
   its second gives its slots back and tries again). Otherwise ``decr`` it back and work out when
   the oldest counted requests leave the window; the caller waits exactly that long, or only a few
   milliseconds when a fresh read shows room (the refusal came from competitors backing out too).

A store that can run the check and the count as one step (``AtomicCounters``: Redis, by a script) does
steps 1 to 3 at once for every budget of the call, and checks the 429 feedback below in that same step, so
a request costs one round trip to the store however many processes compete (a second one only while a 429
has left a pause or a lowered budget). The calls let through are also tallied per clock hour, for a chart
of a brand's use over the last day (``hourly_use``).

Why no interleaving can hold more than the budget: every held slot was counted and checked within
its own second, so of two slots taken in one 60-second stretch, the one counted later read a window
that includes the other's second. Take the held slot whose increment came last: every other held
slot was counted before it read, none gave its count back, so its other-seconds total plus its
place covers them all. A refused attempt only backs out its own increment, so the cost of a race is
a retry, never an overrun. This assumes that the processes' clocks agree (as on one machine).

What Qualtrics says overrides what the portal believes. A 429 means something else uses the brand,
or the configured figures are too high, so ``note_rate_limited`` (the client calls it on every 429)
makes the whole portal back off together, through the same store:

* it **pauses** the scope the call counted against (the route's budget when the call has one, else
  the brand's) for the ``Retry-After`` Qualtrics gave, or, without one, for a back-off that doubles
  with each 429 that arrives after a pause has ended (1 s, 2 s, 4 s … at most a minute); every call
  of that scope, in every process, waits for the pause instead of asking Qualtrics again;
* it **lowers the scope's budget** to nine tenths of what Qualtrics accepted in the last minute
  (the requests counted, less those refused with 429). Without that, every process would start
  again together at the end of the pause and be refused again; with it the window paces them. The
  lowered budget grows back by a twentieth a minute, up to the configured figure, so a limit that
  was only crowded for a while is regained.

429s that arrive while a pause holds (calls already in flight when the first one came back) extend
nothing, so one burst of refusals counts as one.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import BudgetExhaustedError
from .route_budgets import RouteBudget, build_route_budgets

logger = logging.getLogger("qualtrics")


class CounterBackend(Protocol):
    """The part of Django's cache API the limiter uses."""

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...

    def incr(self, key: str, delta: int = 1) -> int: ...

    def decr(self, key: str, delta: int = 1) -> int: ...

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> None: ...


class AtomicCounters(Protocol):
    """A store that checks and counts a call against all of its windows in one step (Redis, by a
    script): one round trip instead of an increment, a read and perhaps a give-back per budget."""

    def take(
        self, windows: list[list[str]], current: int, budgets: list[int], ttl: int, guards: Iterable[str] = (),
        tally: Sequence[str] = (), tally_ttl: int = 0,
    ) -> tuple[int, list[int]] | dict[str, Any] | None:
        """Count one request in each window's key at ``current`` (and in each ``tally`` key, kept ``tally_ttl``
        seconds) when every window's total plus one fits its budget, and return None; otherwise count
        nothing and return the index of the first window that is full with its per-key counts.

        When any of ``guards`` (the keys of a pause or a lowered budget a 429 left) exists, count nothing
        and return the guards found, {key: value}: the caller reads them and takes again without guards.
        Nearly always none exists, so a call's slot costs one round trip to the store, feedback included."""
        ...


def _key_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:80]


class RateLimiter:
    """Blocks or defers calls so that no 60-second window exceeds a brand's or a route's budget."""

    window_seconds = 60
    # Back-off when a 429 names no Retry-After: doubles per 429 after a pause ended, up to the cap.
    pause_base_seconds = 1.0
    pause_max_seconds = 60.0
    # A 429 this long after the previous one starts the back-off from the base again.
    strike_memory_seconds = 120
    # Share of what Qualtrics accepted in the last minute that a lowered budget allows.
    learned_share = 0.9
    # Share of a lowered budget it grows back by each minute without a 429.
    recovery_per_minute = 0.05
    learned_memory_seconds = 3600
    # Calls let through are also tallied per clock hour and kept a day and an hour, to show a day's use.
    tally_memory_seconds = 25 * 3600

    def __init__(
        self,
        backend: CounterBackend,
        *,
        brand_budget_per_minute: int = 3000,
        route_budgets: Mapping[str, int | RouteBudget | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 60,
        key_prefix: str = "qualtrics-rate",
        contention_delay: float = 0.02,
    ) -> None:
        if brand_budget_per_minute < 1:
            raise ValueError("brand_budget_per_minute must be at least 1")
        self.backend = backend
        self.brand_budget = int(brand_budget_per_minute)
        self.routes = build_route_budgets(route_budgets)
        self.sleep = sleep
        self.clock = clock
        self.max_wait = max_wait
        self.key_prefix = key_prefix
        self.contention_delay = contention_delay
        # Counters must outlive the window they are summed over.
        self._ttl = self.window_seconds + 5

    def __repr__(self) -> str:
        return f"<RateLimiter brand_budget={self.brand_budget}/min routes={len(self.routes)}>"

    # Budgets --------------------------------------------------------------------------------------

    def budgets_for(self, brand_key: str, method: str, path: str) -> list[tuple[str, int]]:
        """The (counter scope, budget) pairs a call consumes, brand first."""
        brand = _key_part(brand_key)
        scopes = [(f"b:{brand}", self.brand_budget)]
        seen = set()
        for route in self.routes:
            if route.name not in seen and route.matches(method, path):
                seen.add(route.name)
                scopes.append((f"r:{brand}:{_key_part(route.name)}", route.per_minute))
        return scopes

    @staticmethod
    def _narrowest(scopes: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """The budgets a 429 is blamed on: the call's route budgets when it has any, else the brand's."""
        return scopes[1:] or scopes[:1]

    def _key(self, scope: str, second: int) -> str:
        return f"{self.key_prefix}:{scope}:{second}"

    def _state_key(self, kind: str, scope: str) -> str:
        return f"{self.key_prefix}:{kind}:{scope}"

    def _learned_budget(self, learned: Any, configured: int, now: float) -> int:
        """A budget lowered after a 429, grown back with the time since, never above the configured one."""
        if not isinstance(learned, tuple | list) or len(learned) != 2:
            return configured
        limit, since = int(learned[0]), float(learned[1])
        grown = limit + int(max(now - since, 0.0) / 60.0 * max(1.0, limit * self.recovery_per_minute))
        return max(1, min(configured, grown))

    def _tally_key(self, scope: str, hour: int) -> str:
        return f"{self.key_prefix}:h:{scope}:{hour}"

    def _feedback_keys(self, scopes: list[tuple[str, int]]) -> list[str]:
        return [self._state_key(kind, scope) for scope, _budget in scopes for kind in ("pause", "learned")]

    def _feedback(self, scopes: list[tuple[str, int]], now: float) -> tuple[float, list[tuple[str, int]]]:
        """How long a pause still holds (0 when none), and the budgets as Qualtrics' 429s left them."""
        return self._feedback_from(self.backend.get_many(self._feedback_keys(scopes)), scopes, now)

    def _feedback_from(
        self, found: Mapping[str, Any], scopes: list[tuple[str, int]], now: float
    ) -> tuple[float, list[tuple[str, int]]]:
        pause = 0.0
        budgets = []
        for scope, budget in scopes:
            until = found.get(self._state_key("pause", scope))
            if isinstance(until, int | float) and until > now:
                pause = max(pause, float(until) - now)
            budgets.append((scope, self._learned_budget(found.get(self._state_key("learned", scope)), budget, now)))
        return pause, budgets

    def _window(self, second: int) -> range:
        return range(second - self.window_seconds, second + 2)

    # Counters -------------------------------------------------------------------------------------

    def _increment(self, key: str, ttl: int | None = None) -> int:
        for _ in range(3):
            self.backend.add(key, 0, timeout=ttl or self._ttl)
            try:
                return int(self.backend.incr(key))
            except ValueError:
                # The key vanished between add and incr (evicted); create it again.
                continue
        raise RuntimeError(f"could not increment rate counter {key}")

    def _release(self, key: str) -> None:
        try:
            self.backend.decr(key)
        except ValueError:
            # The counter is gone, so there is nothing left to give back.
            logger.debug("Rate counter %s expired before it could be released", key)

    def _counts(self, scope: str, second: int) -> dict[int, int]:
        seconds = self._window(second)
        keys = [self._key(scope, s) for s in seconds]
        found = self.backend.get_many(keys)
        return {s: max(int(found.get(key) or 0), 0) for s, key in zip(seconds, keys, strict=True)}

    def _wait_for_room(self, counts: dict[int, int], budget: int, second: int, now: float) -> float:
        """Seconds until one more request fits, given per-second counts without our own."""
        total = sum(counts.values())
        if total < budget:
            # Room exists: competitors' increments, backed out since, made us step back.
            return self.contention_delay * (0.5 + random.random())
        oldest = second - self.window_seconds
        for shift in range(1, self.window_seconds + 2):
            total -= counts.get(oldest + shift - 1, 0)
            if total < budget:
                return max((second + shift) - now, 0.001)
        return float(self.window_seconds)

    # Public API -----------------------------------------------------------------------------------

    def try_acquire(self, brand_key: str, method: str, path: str) -> float:
        """Take a slot in every budget the call needs and return 0, or take none and return the wait."""
        for _ in range(5):
            wait = self._try_once(brand_key, method, path)
            if wait is not None:
                return wait
        return self.contention_delay

    def _try_once(self, brand_key: str, method: str, path: str) -> float | None:
        """0 when taken, the wait when refused, None when the second ended before we were done."""
        now = self.clock()
        second = math.floor(now)
        scopes = self.budgets_for(brand_key, method, path)
        if callable(getattr(self.backend, "take", None)):
            return self._take_in_one_step(scopes, second, now)
        pause, budgets = self._feedback(scopes, now)
        if pause > 0:
            return pause
        taken: list[str] = []
        for scope, budget in budgets:
            key = self._key(scope, second)
            place = self._increment(key)
            counts = self._counts(scope, second)
            others = sum(counts.values()) - counts[second]
            if others + place <= budget:
                taken.append(key)
                continue
            self._release(key)
            for held in taken:
                self._release(held)
            return self._wait_for_room(self._counts(scope, second), budget, second, now)
        if math.floor(self.clock()) != second:
            # Held up past the end of the second (a pause, a slow store): a competitor in the next
            # second may not have seen our count, so give the slots back and start again.
            for held in taken:
                self._release(held)
            return None
        self._increment(self._tally_key(scopes[0][0], second // 3600), ttl=self.tally_memory_seconds)
        return 0.0

    def _take_in_one_step(self, scopes: list[tuple[str, int]], second: int, now: float) -> float | None:
        """`_try_once` on a store with `AtomicCounters.take`: no competitor can come between the check and
        the count, so nothing is ever given back for a race. The 429 feedback (a pause, a lowered budget)
        rides along as guards, so the usual call costs one step; only when a 429 left some is it read and
        the slot taken in a second step."""
        seconds = self._window(second)
        current = seconds.index(second)
        windows = [[self._key(scope, s) for s in seconds] for scope, _budget in scopes]
        budgets = scopes
        tally = [self._tally_key(scopes[0][0], second // 3600)]
        refused = self.backend.take(windows, current, [budget for _scope, budget in scopes], self._ttl,
                                    guards=self._feedback_keys(scopes), tally=tally,
                                    tally_ttl=self.tally_memory_seconds)
        if isinstance(refused, dict):
            pause, budgets = self._feedback_from(refused, scopes, now)
            if pause > 0:
                return pause
            refused = self.backend.take(windows, current, [budget for _scope, budget in budgets], self._ttl,
                                        tally=tally, tally_ttl=self.tally_memory_seconds)
        if refused is not None:
            index, counts = refused
            return self._wait_for_room(dict(zip(seconds, counts, strict=True)), budgets[index][1], second, now)
        if math.floor(self.clock()) != second:
            for key in [*(window[current] for window in windows), *tally]:  # held up: see `_try_once`
                self._release(key)
            return None
        return 0.0

    def acquire(self, brand_key: str, method: str, path: str) -> float:
        """Wait until the call fits every budget and take the slots; returns the seconds waited.

        Raises BudgetExhaustedError (with ``retry_after``) when that would take more than ``max_wait``.
        """
        waited = 0.0
        while True:
            wait = self.try_acquire(brand_key, method, path)
            if wait <= 0:
                return waited
            if waited + wait > self.max_wait:
                raise BudgetExhaustedError(
                    f"the rate budget stays used up for another {wait:.1f} s",
                    method=method.upper(),
                    path=path,
                    retry_after=wait,
                )
            self.sleep(wait)
            waited += wait

    def note_rate_limited(self, brand_key: str, method: str, path: str, retry_after: float | None = None) -> float:
        """Qualtrics answered 429 to this call: pause its scope for everyone and lower its budget.

        Returns the pause in seconds (the one already holding, when the 429 came from a call that was
        in flight before it began).
        """
        now = self.clock()
        second = math.floor(now)
        scopes = self._narrowest(self.budgets_for(brand_key, method, path))
        configured = dict(scopes)
        for scope, _budget in scopes:
            self._increment(self._key(f"x:{scope}", second))  # refused: not part of what Qualtrics accepted
        holding, budgets = self._feedback(scopes, now)
        if holding > 0:
            if retry_after is not None and retry_after > holding:
                for scope, _budget in scopes:
                    self._pause(scope, now + retry_after)
                return retry_after
            return holding
        # Two 429s read "no pause" in the same second (two processes): only the first strikes and
        # lowers the budget; the other only makes sure the pause is there.
        if not self.backend.add(self._state_key("noted", f"{scopes[0][0]}:{second}"), now, timeout=5):
            pause = max(retry_after or 0.0, self.pause_base_seconds)
            for scope, _budget in scopes:
                self._pause(scope, now + pause)
            return pause
        strikes = self._strike(scopes[0][0])
        backoff = min(self.pause_max_seconds, self.pause_base_seconds * 2 ** (strikes - 1))
        pause = max(retry_after or 0.0, backoff)
        for scope, current in budgets:
            self._pause(scope, now + pause)
            counted = sum(self._counts(scope, second).values())
            refused = sum(self._counts(f"x:{scope}", second).values())
            accepted = max(counted - refused, 0)
            lowered = max(configured[scope] // 100, 1, min(current, int(accepted * self.learned_share)))
            self.backend.set(self._state_key("learned", scope), (lowered, now), timeout=self.learned_memory_seconds)
            logger.warning(
                "Qualtrics answered 429 for %s %s: every call counted as %s waits %.1f s, then at most %d a minute "
                "(Qualtrics accepted %d in the last minute)",
                method.upper(), path, scope, pause, lowered, accepted,
            )
        return pause

    def _pause(self, scope: str, until: float) -> None:
        self.backend.set(self._state_key("pause", scope), until, timeout=max(until - self.clock(), 0.0) + 5)

    def _strike(self, scope: str) -> int:
        """Count a 429 that came after any pause had ended; the count is forgotten after a quiet while."""
        key = self._state_key("strikes", scope)
        self.backend.add(key, 0, timeout=self.strike_memory_seconds)
        try:
            strikes = int(self.backend.incr(key))
        except ValueError:
            return 1
        # Keep the count as long as 429s keep coming.
        self.backend.set(key, strikes, timeout=self.strike_memory_seconds)
        return strikes

    def usage(self, brand_key: str, method: str = "GET", path: str = "/") -> dict[str, int]:
        """Requests counted in the current window for each budget a call would consume."""
        second = math.floor(self.clock())
        return {
            scope: sum(self._counts(scope, second).values())
            for scope, _budget in self.budgets_for(brand_key, method, path)
        }

    def hourly_use(self, brand_key: str, hours: int = 24) -> list[tuple[int, int]]:
        """Calls the brand's budget let through in each of the last ``hours`` clock hours, oldest first, as
        (the hour's start in epoch seconds, calls); the current hour is the last, so far."""
        current = math.floor(self.clock()) // 3600
        scope = self.budgets_for(brand_key, "GET", "/")[0][0]
        wanted = [(hour, self._tally_key(scope, hour)) for hour in range(current - hours + 1, current + 1)]
        found = self.backend.get_many([key for _hour, key in wanted])
        return [(hour * 3600, max(int(found.get(key) or 0), 0)) for hour, key in wanted]


@dataclass
class StoreOutage:
    """Whether the shared store was found unreachable, kept per process across limiters.

    ``retry_at`` is when the shared store is tried again (``time.monotonic()``); ``None`` while it answers.
    """

    retry_at: float | None = None


class FallbackRateLimiter:
    """The shared budget, or a local one while the shared store is unreachable.

    When the shared store (Redis) cannot be reached, refusing every Qualtrics call would turn an
    outage of the cache into an outage of the portal. Instead each process counts against a local
    budget (a fraction of the brand's, so that a handful of processes stay under it together) and
    tries the shared store again every ``retry_shared_seconds``. The switch is logged once each way.
    ``unavailable`` names the store's connection errors (the caller knows its store; this module
    imports none).
    """

    def __init__(
        self,
        shared: RateLimiter,
        local: RateLimiter,
        *,
        unavailable: tuple[type[BaseException], ...],
        outage: StoreOutage,
        retry_shared_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self.local = local
        self.unavailable = unavailable
        self.outage = outage
        self.retry_shared_seconds = retry_shared_seconds
        self.monotonic = monotonic

    def __repr__(self) -> str:
        return f"<FallbackRateLimiter shared={self.shared!r} local={self.local!r}>"

    def _call(self, name: str, *args: Any) -> Any:
        retry_at = self.outage.retry_at
        if retry_at is not None and self.monotonic() < retry_at:
            return getattr(self.local, name)(*args)
        try:
            result = getattr(self.shared, name)(*args)
        except self.unavailable as exc:
            if retry_at is None:
                logger.warning(
                    "The shared Qualtrics rate budget is unreachable (%s): this process counts against a local "
                    "budget of %d requests a minute per brand until it answers again",
                    exc, self.local.brand_budget,
                )
            self.outage.retry_at = self.monotonic() + self.retry_shared_seconds
            return getattr(self.local, name)(*args)
        if retry_at is not None:
            self.outage.retry_at = None
            logger.warning("The shared Qualtrics rate budget answers again: this process counts against it")
        return result

    def try_acquire(self, brand_key: str, method: str, path: str) -> float:
        return self._call("try_acquire", brand_key, method, path)

    def acquire(self, brand_key: str, method: str, path: str) -> float:
        return self._call("acquire", brand_key, method, path)

    def note_rate_limited(self, brand_key: str, method: str, path: str, retry_after: float | None = None) -> float:
        return self._call("note_rate_limited", brand_key, method, path, retry_after)

    def usage(self, brand_key: str, method: str = "GET", path: str = "/") -> dict[str, int]:
        return self._call("usage", brand_key, method, path)

    def hourly_use(self, brand_key: str, hours: int = 24) -> list[tuple[int, int]]:
        return self._call("hourly_use", brand_key, hours)
