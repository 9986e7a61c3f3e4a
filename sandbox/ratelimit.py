"""Token buckets per brand and per (brand, route), refilled continuously over a minute."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Bucket:
    limit: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is available."""
        rate = self.limit / 60.0
        self.tokens = min(float(self.limit), self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / rate


class RateLimiter:
    def __init__(self) -> None:
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def clear(self) -> None:
        self.buckets.clear()

    def check(self, brand_id: str, scope: str, limit: int, now: float) -> int:
        """Return 0 when the request may proceed, else the whole seconds to wait (at least 1)."""
        if limit <= 0:
            return 0
        key = (brand_id, scope)
        bucket = self.buckets.get(key)
        if bucket is None or bucket.limit != limit:
            bucket = Bucket(limit=limit, tokens=float(limit), updated=now)
            self.buckets[key] = bucket
        wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))
