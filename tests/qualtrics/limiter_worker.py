"""A separate process taking slots from a RateLimiter shared through Redis (used by test_limiter_redis).

    python -m tests.qualtrics.limiter_worker accelerated PREFIX BUDGET SPEED DURATION STORE
    python -m tests.qualtrics.limiter_worker http PREFIX BUDGET BASE_URL TOKEN ATTEMPTS

Each prints "ready" once loaded, reads the real time to start at from stdin, then prints one JSON
document on stdout.
"""

from __future__ import annotations

import json
import sys
import time

from django.core.cache.backends.redis import RedisCache

from connections.rate_store import rate_counters
from qualtrics import BudgetExhaustedError, QualtricsClient, RateLimiter, RetryPolicy

REDIS_URL = "redis://127.0.0.1:6379/9"


def store(kind: str):
    """"cache": Django's Redis cache and its own calls; "script": the portal's one-step store on it."""
    cache = RedisCache(REDIS_URL, {})
    return rate_counters(cache) if kind == "script" else cache


def accelerated(prefix: str, budget: int, start: float, speed: float, duration: float, kind: str) -> dict:
    """Take slots as fast as the limiter allows on a clock running ``speed`` times faster than real time.

    Each slot is stamped with the clock reading of the attempt that got it.
    """
    last_read = [0.0]

    def clock() -> float:
        last_read[0] = start + (time.time() - start) * speed
        return last_read[0]

    limiter = RateLimiter(
        store(kind),
        brand_budget_per_minute=budget,
        key_prefix=prefix,
        clock=clock,
    )
    time.sleep(max(0.0, start - time.time()))
    end = start + duration
    taken = []
    # RateLimiter.acquire's loop, stopped at the end instead of waiting past it.
    while clock() < end:
        wait = limiter.try_acquire("acme", "GET", "/whoami")
        if wait == 0:
            taken.append(last_read[0])
        else:
            time.sleep(min(wait, max(end - clock(), 0.0)) / speed)
    return {"taken": taken}


def over_http(prefix: str, budget: int, base_url: str, token: str, attempts: int) -> dict:
    """Call the sandbox through a client whose limiter never waits; count calls made and refused."""
    limiter = RateLimiter(store("script"), brand_budget_per_minute=budget, key_prefix=prefix, max_wait=0)
    client = QualtricsClient(base_url, token, limiter=limiter, brand_key="acme", retry=RetryPolicy.none())
    made = refused = 0
    for _ in range(attempts):
        try:
            client.whoami()
            made += 1
        except BudgetExhaustedError:
            refused += 1
    return {"made": made, "refused": refused}


def main(argv: list[str]) -> None:
    mode, prefix, budget, *rest = argv
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    if mode == "accelerated":
        speed, duration, kind = float(rest[0]), float(rest[1]), rest[2]
        result = accelerated(prefix, int(budget), start, speed, duration, kind)
    else:
        base_url, token, attempts = rest
        time.sleep(max(0.0, start - time.time()))
        result = over_http(prefix, int(budget), base_url, token, int(attempts))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
