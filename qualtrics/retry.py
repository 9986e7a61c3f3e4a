"""When to send a failed Qualtrics call again, and how long to wait first.

The policy knows nothing about HTTP: it is handed the method and the typed error of each attempt.

* GET, HEAD, PUT and DELETE are retried on 429, 5xx and connection failures.
* POST (and PATCH) creates things, so it is retried only when Qualtrics surely did not act on it:
  a 429 (refused before processing) or a connection that was never established.
* The wait is exponential with full jitter, or the server's ``Retry-After`` when it sent one; tries
  and total waiting are both capped. When the server asks for a longer wait than the cap allows, the
  error is raised at once so the caller can reschedule (Celery ``countdown=err.retry_after``).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from .errors import BudgetExhaustedError, ConnectionFailedError, QualtricsError, RateLimitedError

logger = logging.getLogger("qualtrics")

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total_wait: float = 30.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    # When False, nothing waits inside the client: a used-up local rate budget raises
    # BudgetExhaustedError at once instead of blocking until a slot frees.
    wait_for_budget: bool = True
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_total_wait) < 0:
            raise ValueError("delays must not be negative")

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt, no waiting of any kind: errors (with their ``retry_after``) surface at once."""
        return cls(max_attempts=1, max_total_wait=0.0, wait_for_budget=False)

    def with_options(self, **changes) -> RetryPolicy:
        return replace(self, **changes)

    def is_retryable(self, method: str, error: QualtricsError, *, idempotent: bool | None = None) -> bool:
        """Whether this kind of failure, for this method, may be sent again at all.

        ``idempotent`` overrides the method's default (a POST that only reads, like contact search).
        """
        if isinstance(error, BudgetExhaustedError) or not error.is_transient:
            return False
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        if idempotent:
            return True
        if isinstance(error, RateLimitedError):
            return True
        return isinstance(error, ConnectionFailedError) and not error.may_have_reached_server

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) when the server gave no hint."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * self.random() if self.jitter else ceiling

    def next_delay(
        self,
        method: str,
        error: QualtricsError,
        attempt: int,
        waited: float,
        *,
        idempotent: bool | None = None,
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up and raise."""
        if attempt >= self.max_attempts or not self.is_retryable(method, error, idempotent=idempotent):
            return None
        remaining = self.max_total_wait - waited
        if error.retry_after is not None:
            # The server said when; retrying sooner is pointless, so give up if that is too far.
            return error.retry_after if error.retry_after <= remaining else None
        if remaining <= 0:
            return None
        return min(self.backoff(attempt), remaining)

    def run(self, method: str, attempt_fn: Callable[[int], T], *, idempotent: bool | None = None) -> T:
        """Call ``attempt_fn(attempt)`` until it returns, or the policy says to stop."""
        waited = 0.0
        attempt = 1
        while True:
            try:
                return attempt_fn(attempt)
            except QualtricsError as error:
                delay = self.next_delay(method, error, attempt, waited, idempotent=idempotent)
                if delay is None:
                    raise
                logger.warning(
                    "Retrying %s %s in %.2f s after attempt %d of %d failed: %s",
                    method,
                    error.path or "",
                    delay,
                    attempt,
                    self.max_attempts,
                    type(error).__name__,
                )
                if delay > 0:
                    self.sleep(delay)
                waited += delay
                attempt += 1
