"""The shared rate budget, on a fake clock."""

from __future__ import annotations

import random
import threading
from bisect import bisect_left

import pytest
from django.core.cache.backends.locmem import LocMemCache

from qualtrics import BudgetExhaustedError, RateLimitedError, RateLimiter, RetryPolicy, RouteBudget

from .fakes import envelope, make_client


class MemoryCounters:
    """The cache API subset the limiter needs, in memory and thread-safe; expiry is ignored."""

    def __init__(self):
        self.values = {}
        self.lock = threading.Lock()
        self.operations = 0

    def add(self, key, value, timeout=None):
        with self.lock:
            self.operations += 1
            if key in self.values:
                return False
            self.values[key] = value
            return True

    def incr(self, key, delta=1):
        with self.lock:
            self.operations += 1
            if key not in self.values:
                raise ValueError(key)
            self.values[key] += delta
            return self.values[key]

    def decr(self, key, delta=1):
        return self.incr(key, -delta)

    def get_many(self, keys):
        with self.lock:
            self.operations += 1
            return {k: self.values[k] for k in keys if k in self.values}

    def set(self, key, value, timeout=None):
        with self.lock:
            self.operations += 1
            self.values[key] = value


class FakeClock:
    def __init__(self, now: float = 1_000_000.25):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter_for(budget, clock, **kwargs):
    return RateLimiter(MemoryCounters(), brand_budget_per_minute=budget, clock=clock, sleep=clock.sleep, **kwargs)


def max_in_any_window(times: list[float], width: float = 60.0) -> int:
    """The most timestamps found in any half-open window [t, t + width)."""
    times = sorted(times)
    return max((bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


class TestBudgets:
    def test_it_takes_the_budget_then_says_how_long_to_wait(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(5, clock)
        assert [limiter.try_acquire("acme", "GET", "/users") for _ in range(5)] == [0.0] * 5
        # All five sit in second 1000, which leaves the 61-bucket window at 1061.
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(60.75)
        assert limiter.usage("acme") == {"b:acme": 5}

    def test_a_refused_try_takes_nothing(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(2, clock)
        limiter.try_acquire("acme", "GET", "/users")
        limiter.try_acquire("acme", "GET", "/users")
        for _ in range(10):
            assert limiter.try_acquire("acme", "GET", "/users") > 0
        assert limiter.usage("acme") == {"b:acme": 2}

    def test_slots_come_back_as_the_window_slides(self):
        clock = FakeClock(1000.5)
        limiter = limiter_for(5, clock)
        for _ in range(3):
            assert limiter.try_acquire("acme", "GET", "/users") == 0
        clock.now = 1030.5
        for _ in range(2):
            assert limiter.try_acquire("acme", "GET", "/users") == 0
        clock.now = 1040.0
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(21.0)
        clock.now = 1061.0
        assert [limiter.try_acquire("acme", "GET", "/users") for _ in range(3)] == [0, 0, 0]
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(30.0)

    def test_brands_have_separate_budgets(self):
        clock = FakeClock()
        limiter = limiter_for(1, clock)
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        assert limiter.try_acquire("globex", "GET", "/users") == 0
        assert limiter.try_acquire("acme", "GET", "/users") > 0

    def test_acquire_waits_exactly_until_a_slot_frees(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3, clock, max_wait=90)
        for _ in range(3):
            assert limiter.acquire("acme", "GET", "/users") == 0
        waited = limiter.acquire("acme", "GET", "/users")
        assert waited == pytest.approx(60.75)
        assert clock.now == pytest.approx(1061.0)

    def test_acquire_gives_up_beyond_max_wait(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(1, clock, max_wait=10)
        limiter.acquire("acme", "GET", "/users")
        with pytest.raises(BudgetExhaustedError) as caught:
            limiter.acquire("acme", "GET", "/users")
        assert caught.value.retry_after == pytest.approx(60.75)
        assert caught.value.is_transient
        assert clock.slept == []

    def test_it_never_overruns_and_uses_the_budget_fully_while_work_waits(self):
        clock = FakeClock(5000.7)
        limiter = limiter_for(10, clock, max_wait=90)
        taken = []
        while clock.now < 5000.7 + 400:
            limiter.acquire("acme", "GET", "/users")
            taken.append(clock.now)
            clock.now += random.uniform(0, 3)  # some work between calls
        assert max_in_any_window(taken) <= 10
        # Full use: every 61-second stretch (60 s window plus the bucket in progress) holds 10.
        assert len(taken) >= 10 * (400 // 64)


class TestWhatQualtricsSays:
    """A 429 pauses the scope for every process and lowers its budget; the budget grows back."""

    def test_a_429_pauses_the_brand_for_the_retry_after_it_gave(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(300, clock)
        for _ in range(20):
            assert limiter.try_acquire("acme", "POST", "/distributions") == 0
        assert limiter.note_rate_limited("acme", "POST", "/distributions", retry_after=3.0) == 3.0
        assert limiter.try_acquire("acme", "GET", "/distributions") == pytest.approx(3.0)
        assert limiter.try_acquire("globex", "GET", "/distributions") == 0  # other brands go on
        clock.now += 3.0
        assert limiter.try_acquire("acme", "GET", "/distributions") > 0  # now the lowered budget holds

    def test_the_budget_drops_to_nine_tenths_of_what_qualtrics_accepted(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(300, clock)
        for _ in range(21):
            limiter.try_acquire("acme", "GET", "/users")
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=1.0)  # the 21st was refused
        clock.now = 1001.5
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(59.5)  # 21 counted, 18 allowed
        clock.now = 1061.5  # the first minute's slots have left the window
        taken = sum(limiter.try_acquire("acme", "GET", "/users") == 0 for _ in range(40))
        assert taken == 18 + 1  # 90 % of the 20 Qualtrics accepted, and one more after a minute without a 429

    def test_it_never_drops_below_a_hundredth_of_the_configured_budget(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3000, clock)
        limiter.try_acquire("acme", "GET", "/users")
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=1.0)  # something else used the brand up
        _pause, budgets = limiter._feedback([("b:acme", 3000)], clock.now)
        assert budgets == [("b:acme", 30)]

    def test_429s_from_calls_in_flight_during_the_pause_count_once(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3000, clock)
        for _ in range(50):
            limiter.try_acquire("acme", "GET", "/users")
        assert limiter.note_rate_limited("acme", "GET", "/users") == 1.0
        for _ in range(5):
            assert limiter.note_rate_limited("acme", "GET", "/users") == pytest.approx(1.0)
        clock.now += 1.0
        # The next 429 after the pause: the back-off doubles (no Retry-After given).
        assert limiter.note_rate_limited("acme", "GET", "/users") == 2.0
        clock.now += 2.0
        assert limiter.note_rate_limited("acme", "GET", "/users") == 4.0

    def test_a_longer_retry_after_during_a_pause_extends_it(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3000, clock)
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=2.0)
        assert limiter.note_rate_limited("acme", "GET", "/users", retry_after=10.0) == 10.0
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(10.0)

    def test_a_lowered_budget_grows_back_to_the_configured_one(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(200, clock)
        for _ in range(101):
            limiter.try_acquire("acme", "GET", "/users")
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=1.0)
        budgets = {round(minutes): None for minutes in (0, 10, 60)}
        for minutes in budgets:
            _pause, found = limiter._feedback([("b:acme", 200)], clock.now + 60 * minutes)
            budgets[minutes] = found[0][1]
        assert budgets == {0: 90, 10: 135, 60: 200}

    def test_a_429_on_a_route_with_its_own_budget_pauses_that_route_only(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3000, clock)
        limiter.note_rate_limited("acme", "POST", "/eventsubscriptions", retry_after=30.0)
        assert limiter.try_acquire("acme", "GET", "/eventsubscriptions") == pytest.approx(30.0)
        assert limiter.try_acquire("acme", "GET", "/users") == 0

    def test_the_client_tells_the_limiter_about_every_429(self, transport):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3000, clock)
        client = make_client(transport, limiter=limiter, brand_key="acme", retry=RetryPolicy.none())
        transport.on("POST", "/distributions", envelope(status=429, headers={"Retry-After": "7"}))
        with pytest.raises(RateLimitedError):
            client.distributions.create(message={"messageText": "Hi"}, recipients={"mailingListId": "CG_1"},
                                       header={"fromEmail": "a@b.example", "fromName": "A", "subject": "S"},
                                       send_date="2031-01-01T00:00:00Z")
        # Another call of the brand, even from another client, is told to wait without a request.
        other = make_client(transport, limiter=limiter, brand_key="acme", retry=RetryPolicy.none())
        with pytest.raises(BudgetExhaustedError) as caught:
            other.whoami()
        assert caught.value.retry_after == pytest.approx(7.0)
        assert len(transport.sent) == 1


class TestRouteBudgets:
    @pytest.mark.parametrize(
        ("method", "path", "route", "budget"),
        [
            ("POST", "/directories/POOL_1/contacts", "directory-contact-writes", 500),
            ("PUT", "/directories/POOL_1/contacts/CID_1", "directory-contact-writes", 500),
            ("DELETE", "/directories/POOL_1/contacts/CID_1", "directory-contact-writes", 500),
            ("POST", "/directories/POOL_1/contacts/search", "directory-contact-writes", 500),
            ("POST", "/directories/POOL_1/mailinglists", "mailing-list-writes", 500),
            ("PUT", "/directories/POOL_1/mailinglists/CG_1", "mailing-list-writes", 500),
            ("POST", "/directories/POOL_1/mailinglists/CG_1/contacts", "mailing-list-writes", 500),
            (
                "POST",
                "/directories/POOL_1/mailinglists/CG_1/transactioncontacts",
                "transaction-contacts-import",
                100,
            ),
            (
                "GET",
                "/directories/POOL_1/mailinglists/CG_1/transactioncontacts/I_1",
                "transaction-contacts-import-status",
                500,
            ),
            (
                "GET",
                "/directories/POOL_1/mailinglists/CG_1/transactioncontacts/I_1/summary",
                "transaction-contacts-import-status",
                500,
            ),
            ("DELETE", "/directories/POOL_1/mailinglists/CG_1/contacts/CID_1", "mailing-list-writes", 500),
            ("POST", "/directories/POOL_1/export-contacts", "export-contacts", 10),
            ("GET", "/distributions/EMD_1/history", "distribution-history", 300),
            ("GET", "/distributions/EMD_1/links", "distribution-links", 500),
            ("POST", "/distributions/sms", "sms-distributions", 1000),
            ("GET", "/distributions/sms/SMSD_1", "sms-distributions", 1000),
            ("GET", "/groups", "groups", 600),
            ("PUT", "/groups/GR_1", "groups", 600),
            ("POST", "/groups/GR_1/members", "groups", 600),
            ("DELETE", "/groups/GR_1/members/UR_1", "groups", 600),
            ("GET", "/groups/GR_1/members", "group-members-read", 1000),
            ("POST", "/eventsubscriptions", "event-subscriptions", 120),
            ("DELETE", "/eventsubscriptions/SUB_1", "event-subscriptions", 120),
            ("POST", "/surveys/SV_1/export-responses", "export-responses-start", 100),
            ("GET", "/surveys/SV_1/export-responses/ES_1", "export-responses-progress", 1000),
            ("GET", "/surveys/SV_1/export-responses/F_1/file", "export-responses-file", 100),
            ("POST", "/surveys/SV_1/update-responses", "update-responses", 10),
        ],
    )
    def test_default_budgets_follow_the_reference(self, method, path, route, budget):
        limiter = RateLimiter(MemoryCounters())
        assert limiter.budgets_for("acme", method, path) == [("b:acme", 3000), (f"r:acme:{route}", budget)]

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/users"),
            ("GET", "/directories/POOL_1/contacts"),
            ("GET", "/directories/POOL_1/mailinglists/CG_1/contacts"),
            ("GET", "/distributions"),
            ("POST", "/distributions"),
            ("GET", "/whoami"),
        ],
    )
    def test_other_calls_only_count_against_the_brand(self, method, path):
        assert RateLimiter(MemoryCounters()).budgets_for("acme", method, path) == [("b:acme", 3000)]

    def test_a_route_refusal_gives_the_brand_slot_back(self):
        clock = FakeClock()
        limiter = limiter_for(100, clock, route_budgets={"event-subscriptions": 2})
        for _ in range(2):
            assert limiter.try_acquire("acme", "POST", "/eventsubscriptions") == 0
        assert limiter.try_acquire("acme", "POST", "/eventsubscriptions") > 0
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        assert limiter.usage("acme", "POST", "/eventsubscriptions") == {
            "b:acme": 3,
            "r:acme:event-subscriptions": 2,
        }

    def test_budgets_can_be_changed_removed_and_added(self):
        limiter = RateLimiter(
            MemoryCounters(),
            route_budgets={
                "groups": None,
                "event-subscriptions": 7,
                "GET,PUT /users/{id}": 50,
                "custom": RouteBudget("custom", frozenset({"*"}), "/organizations/*", 3),
            },
        )
        assert limiter.budgets_for("a", "GET", "/groups") == [("b:a", 3000)]
        assert limiter.budgets_for("a", "GET", "/eventsubscriptions")[1] == ("r:a:event-subscriptions", 7)
        assert limiter.budgets_for("a", "PUT", "/users/UR_1")[1] == ("r:a:GET_PUT__users__id_", 50)
        assert limiter.budgets_for("a", "DELETE", "/users/UR_1") == [("b:a", 3000)]
        assert limiter.budgets_for("a", "GET", "/organizations/o1") == [
            ("b:a", 3000),
            ("r:a:organizations", 5),
            ("r:a:custom", 3),
        ]

    def test_bad_budgets_are_refused(self):
        with pytest.raises(ValueError):
            RateLimiter(MemoryCounters(), route_budgets={"users": 10})
        with pytest.raises(ValueError):
            RateLimiter(MemoryCounters(), route_budgets={"groups": 0})
        with pytest.raises(ValueError):
            RateLimiter(MemoryCounters(), brand_budget_per_minute=0)


class TestConcurrency:
    def test_racing_threads_never_take_more_than_the_budget(self):
        clock = FakeClock()
        limiter = limiter_for(50, clock, route_budgets={"directory-contact-writes": 30})
        results: list[tuple[str, float]] = []
        start = threading.Barrier(16)

        def worker(n):
            start.wait()
            for i in range(20):
                path = "/directories/POOL_1/contacts" if (n + i) % 2 else "/users"
                method = "POST" if path.endswith("contacts") else "GET"
                results.append((path, limiter.try_acquire("acme", method, path)))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        granted = [path for path, wait in results if wait == 0]
        assert len(granted) == 50
        assert granted.count("/directories/POOL_1/contacts") <= 30
        assert limiter.usage("acme") == {"b:acme": 50}

    def test_a_lost_race_is_retried_soon_when_there_is_room(self):
        clock = FakeClock(1000.25)
        limiter = limiter_for(3, clock)
        limiter.try_acquire("acme", "GET", "/users")
        limiter.try_acquire("acme", "GET", "/users")
        # Two competitors are mid-flight: their increments are counted but not yet backed out.
        key = limiter._key("b:acme", 1000)
        limiter.backend.incr(key)
        limiter.backend.incr(key)
        real_counts = limiter._counts

        def counts_after_they_back_out(scope, second):
            # The second read (after our own refusal) finds both competitors gone.
            if getattr(counts_after_they_back_out, "armed", False):
                limiter.backend.values[key] = 2
            counts_after_they_back_out.armed = True
            return real_counts(scope, second)

        limiter._counts = counts_after_they_back_out
        wait = limiter.try_acquire("acme", "GET", "/users")
        assert 0 < wait < 0.1

    def test_django_locmem_cache_works_as_the_store(self):
        clock = FakeClock()
        cache = LocMemCache(f"qualtrics-limiter-{random.random()}", {})
        limiter = RateLimiter(cache, brand_budget_per_minute=4, clock=clock, sleep=clock.sleep)
        assert [limiter.try_acquire("acme", "GET", "/users") for _ in range(5)][-1] > 0
        assert limiter.usage("acme") == {"b:acme": 4}


class TestClientWithLimiter:
    def test_the_client_takes_a_slot_per_attempt(self, transport):
        clock = FakeClock()
        limiter = limiter_for(100, clock)
        client = make_client(transport, limiter=limiter, brand_key="acme")
        transport.on("GET", "/whoami", envelope(status=500), envelope({"userId": "UR_1"}))
        client.whoami()
        assert limiter.usage("acme") == {"b:acme": 2}

    def test_a_task_client_is_told_to_reschedule_instead_of_waiting(self, transport):
        clock = FakeClock(1000.25)
        limiter = limiter_for(1, clock)
        client = make_client(transport, limiter=limiter, brand_key="acme", retry=RetryPolicy.none())
        transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
        client.whoami()
        with pytest.raises(BudgetExhaustedError) as caught:
            client.whoami()
        assert caught.value.retry_after == pytest.approx(60.75)
        assert len(transport.sent) == 1
        assert clock.slept == []

    def test_an_interactive_client_waits_for_its_slot(self, transport):
        clock = FakeClock(1000.25)
        limiter = limiter_for(1, clock, max_wait=90)
        client = make_client(transport, limiter=limiter, brand_key="acme")
        transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
        client.whoami()
        client.whoami()
        assert clock.slept == [pytest.approx(60.75)]
        assert len(transport.sent) == 2


class TestPauses:
    def test_a_try_held_up_past_its_second_gives_its_slot_back_and_starts_again(self):
        clock = FakeClock(1000.9)
        limiter = limiter_for(5, clock)
        reads = []

        def slow_clock():
            # The first attempt reads 1000.9, then is paused until 1001.2 before it finishes.
            reads.append(clock.now)
            value = clock.now
            if len(reads) == 1:
                clock.now = 1001.2
            return value

        limiter.clock = slow_clock
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        assert reads == [1000.9, 1001.2, 1001.2, 1001.2]
        values = limiter.backend.values
        assert values[limiter._key("b:acme", 1000)] == 0
        assert values[limiter._key("b:acme", 1001)] == 1


class OneStepCounters(MemoryCounters):
    """MemoryCounters that also check and count in one step (`qualtrics.AtomicCounters`), as Redis does by
    a script; counts the steps."""

    def __init__(self):
        super().__init__()
        self.takes = 0

    def take(self, windows, current, budgets, ttl, guards=(), tally=(), tally_ttl=0):
        with self.lock:
            self.takes += 1
            found = {key: self.values[key] for key in guards if key in self.values}
            if found:
                return found
            for index, (window, budget) in enumerate(zip(windows, budgets, strict=True)):
                counts = [max(self.values.get(key, 0), 0) for key in window]
                if sum(counts) + 1 > budget:
                    return index, counts
            for key in [*(window[current] for window in windows), *tally]:
                self.values[key] = self.values.get(key, 0) + 1
            return None


class TestOneStepStore:
    """With a store that checks and counts in one step, the limiter keeps the same budgets in fewer calls."""

    def limiter(self, budget, clock, **kwargs):
        return RateLimiter(OneStepCounters(), brand_budget_per_minute=budget, clock=clock, sleep=clock.sleep, **kwargs)

    def test_it_takes_the_budget_then_says_how_long_to_wait_in_one_store_call_a_try(self):
        clock = FakeClock(1000.25)
        limiter = self.limiter(5, clock)
        assert [limiter.try_acquire("acme", "GET", "/users") for _ in range(5)] == [0.0] * 5
        assert limiter.backend.takes == 5 and limiter.backend.operations == 0  # the 429 feedback rides along
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(60.75)
        assert limiter.usage("acme") == {"b:acme": 5}

    def test_a_full_route_takes_nothing_from_the_brand(self):
        clock = FakeClock()
        limiter = self.limiter(100, clock, route_budgets={"event-subscriptions": 2})
        for _ in range(2):
            assert limiter.try_acquire("acme", "POST", "/eventsubscriptions") == 0
        assert limiter.try_acquire("acme", "POST", "/eventsubscriptions") > 0
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        assert limiter.usage("acme", "POST", "/eventsubscriptions") == {"b:acme": 3, "r:acme:event-subscriptions": 2}

    def test_a_pause_from_a_429_still_holds(self):
        clock = FakeClock(1000.25)
        limiter = self.limiter(10, clock)
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=7)
        assert limiter.try_acquire("acme", "GET", "/users") == pytest.approx(7)
        assert limiter.backend.takes == 2  # the second found the pause among its guards and took nothing
        assert limiter.usage("acme") == {"b:acme": 1}

    def test_racing_threads_never_take_more_than_the_budget(self):
        limiter = self.limiter(50, FakeClock(), route_budgets={"directory-contact-writes": 30})
        granted: list[str] = []
        start = threading.Barrier(16)

        def worker(n):
            start.wait()
            for i in range(20):
                path = "/directories/POOL_1/contacts" if (n + i) % 2 else "/users"
                if limiter.try_acquire("acme", "POST" if path.endswith("contacts") else "GET", path) == 0:
                    granted.append(path)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(granted) == 50 and granted.count("/directories/POOL_1/contacts") <= 30
        assert limiter.usage("acme") == {"b:acme": 50}

    def test_a_try_held_up_past_its_second_gives_its_slot_back_and_starts_again(self):
        clock = FakeClock(1000.9)
        limiter = self.limiter(5, clock)
        reads = []

        def slow_clock():
            reads.append(clock.now)
            value = clock.now
            if len(reads) == 1:
                clock.now = 1001.2
            return value

        limiter.clock = slow_clock
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        values = limiter.backend.values
        assert values[limiter._key("b:acme", 1000)] == 0 and values[limiter._key("b:acme", 1001)] == 1


class TestHourlyUse:
    """The calls each budget let through, per clock hour over the last day, for a chart of a brand's use."""

    @pytest.mark.parametrize("store", [MemoryCounters, OneStepCounters], ids=["counted in steps", "in one step"])
    def test_calls_let_through_are_tallied_per_hour_and_refusals_and_pauses_are_not(self, store):
        clock = FakeClock(7 * 3600 + 3599.5)  # the last half second of 07:00-08:00
        limiter = RateLimiter(store(), brand_budget_per_minute=3, clock=clock, sleep=clock.sleep)
        assert [limiter.try_acquire("acme", "GET", "/users") for _ in range(4)][:3] == [0.0] * 3  # the 4th waits
        clock.now += 61  # 08:01
        assert limiter.try_acquire("acme", "GET", "/users") == 0
        limiter.note_rate_limited("acme", "GET", "/users", retry_after=5)
        assert limiter.try_acquire("acme", "GET", "/users") > 0  # paused: nothing tallied
        assert limiter.try_acquire("globex", "GET", "/users") == 0
        use = limiter.hourly_use("acme", hours=3)
        assert use == [(6 * 3600, 0), (7 * 3600, 3), (8 * 3600, 1)]
        assert limiter.hourly_use("globex", hours=1) == [(8 * 3600, 1)]
