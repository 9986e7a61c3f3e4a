"""Event-subscription delivery: form-encoded `Topic`, `MSG` and `HMAC` POSTed to the publication URL.

Events are published while the sandbox's lock is held (inside API handlers and control routes); the HTTP
requests go out later from a delivery thread, so a receiver that calls back into the sandbox (to fetch the
response it was told about) never waits on that lock. A failed attempt (no answer, or a status other than
2xx) is tried again after each delay of the `webhook_retry_delays` switch, measured on the sandbox clock.

The entry points for the rest of the sandbox are `response_recorded`, `survey_activation_changed` and
`distribution_created`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import dates
from .records import Brand, Distribution, Response, Subscription, Survey

if TYPE_CHECKING:
    from .state import State

COMPLETED_RESPONSE = "surveyengine.completedResponse"
PARTIAL_RESPONSE = "surveyengine.partialResponse"
ACTIVATE_SURVEY = "controlpanel.activateSurvey"
DEACTIVATE_SURVEY = "controlpanel.deactivateSurvey"
# Named only by third-party material, never by Qualtrics: sent while `webhook_unconfirmed_topics` is on.
CREATED_DISTRIBUTION = "controlpanel.createdDistribution"

DELIVERY_LOG_SIZE = 10_000
CONTEXT_MAX = 50
# The longest the delivery thread sleeps before looking at the sandbox clock again (it can be advanced).
POLL_SECONDS = 0.2


@dataclass
class Delivery:
    """One event for one subscription, through all its attempts."""

    subscription_id: str
    url: str
    topic: str
    body: bytes
    generation: int
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    delivered: bool = False
    # Set when the first attempt has an outcome (callers that want to report it wait on this).
    first_attempt: threading.Event = field(default_factory=threading.Event, repr=False)


def matches(pattern: str, topic: str) -> bool:
    """Topics may end in `*` wildcards, e.g. `surveyengine.completedResponse.*` or `*`; a comma separates several."""
    return any(fnmatch.fnmatchcase(topic, part.strip()) for part in pattern.split(",") if part.strip())


def payload(brand: Brand, topic: str, message: dict[str, Any], shared_key: str | None) -> dict[str, str]:
    text = json.dumps(message, separators=(",", ":"))
    form = {"Topic": f"{brand.id}.{topic}", "MSG": text}
    if shared_key:
        form["HMAC"] = hmac.new(shared_key.encode(), text.encode(), hashlib.sha512).hexdigest()
    return form


# --- events -----------------------------------------------------------------------------------------
def response_recorded(state: State, survey_id: str, response: Response, finished: bool) -> list[Delivery]:
    """A response was recorded (finished or partial): queue `completedResponse` or `partialResponse` deliveries.

    Safe with or without the sandbox's lock held. Returns the queued deliveries (see `wait`).
    """
    with state.lock:
        brand = next((b for b in state.brands.values() if survey_id in b.surveys), None)
        if brand is None:
            return []
        message: dict[str, Any] = {
            "Status": "Complete" if finished else "Partial",
            "SurveyID": survey_id,
            "ResponseID": response.id,
            "CompletedDate": dates.plain(response.recorded),
            "BrandID": brand.id,
        }
        if state.config["webhook_message_fields"] == "documented":
            message.update(_recipient_fields(response))
        topic = f"{COMPLETED_RESPONSE if finished else PARTIAL_RESPONSE}.{survey_id}"
        return publish(state, brand, topic, message)


def survey_activation_changed(state: State, brand: Brand, survey: Survey) -> list[Delivery]:
    topic = ACTIVATE_SURVEY if survey.is_active else DEACTIVATE_SURVEY
    message = {"Status": "Active" if survey.is_active else "Inactive", "SurveyID": survey.id, "BrandID": brand.id}
    # Some clients subscribe with the survey ID appended; both forms match.
    return publish(state, brand, topic, message, also_matching=f"{topic}.{survey.id}")


def distribution_created(state: State, brand: Brand, distribution: Distribution) -> list[Delivery]:
    if not state.config["webhook_unconfirmed_topics"]:
        return []
    message = {"DistributionID": distribution.id, "SurveyID": distribution.survey_id, "BrandID": brand.id}
    return publish(state, brand, CREATED_DISTRIBUTION, message)


def _recipient_fields(response: Response) -> dict[str, str]:
    """The optional attributes Qualtrics documents for response events, when this response has them."""
    fields: dict[str, str] = {}
    if response.contact_id:
        fields["RecipientID"] = response.contact_id
    if response.distribution_id:
        fields["DistributionID"] = response.distribution_id
    context = response.values.get("ResponseEventContext")
    if isinstance(context, str) and context:
        fields["ResponseEventContext"] = context[:CONTEXT_MAX]
    return fields


def publish(state: State, brand: Brand, topic: str, message: dict[str, Any],
            also_matching: str | None = None) -> list[Delivery]:
    """Queue one delivery per subscription of the brand whose topics match."""
    with state.lock:
        deliveries = []
        for subscription in brand.subscriptions.values():
            if matches(subscription.topics, topic) or (also_matching and matches(subscription.topics, also_matching)):
                form = payload(brand, topic, message, subscription.shared_key)
                deliveries.append(Delivery(
                    subscription.id, subscription.publication_url, topic, urllib.parse.urlencode(form).encode(),
                    state.generation,
                ))
        for delivery in deliveries:
            state.deliveries.enqueue(delivery, delay=0.0)
        return deliveries


def wait(deliveries: list[Delivery], timeout: float) -> None:
    """Wait (without the sandbox's lock) until each delivery's first attempt has an outcome."""
    for delivery in deliveries:
        delivery.first_attempt.wait(timeout)


def as_row(delivery: Delivery) -> dict[str, Any]:
    return {"subscriptionId": delivery.subscription_id, "publicationUrl": delivery.url,
            "status": delivery.status, "error": delivery.error}


# --- sending ----------------------------------------------------------------------------------------
def send(delivery: Delivery, timeout: float) -> None:
    """POST one attempt; record the receiver's status or the error. Never raises."""
    delivery.status = delivery.error = None
    if urllib.parse.urlsplit(delivery.url).scheme not in ("http", "https"):
        delivery.error = "publicationUrl is not an http(s) URL"
        return
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        delivery.url,
        data=delivery.body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Qualtrics-Sandbox"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            delivery.status = reply.status
    except urllib.error.HTTPError as exc:
        delivery.status = exc.code
    except (OSError, ValueError) as exc:
        delivery.error = str(exc)


def _succeeded(delivery: Delivery) -> bool:
    return delivery.status is not None and 200 <= delivery.status < 300


class Dispatcher:
    """Sends queued deliveries when they are due on the sandbox clock, and schedules the retries.

    Its thread runs only while something is queued. Deliveries queued before a reset are dropped.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.log: deque[dict[str, Any]] = deque(maxlen=DELIVERY_LOG_SIZE)

    def enqueue(self, delivery: Delivery, delay: float) -> None:
        with self._wake:
            heapq.heappush(self._queue, (self.state.monotonic() + delay, next(self._order), delivery))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
            self._wake.notify()

    def clear(self) -> None:
        with self._wake:
            for _, _, delivery in self._queue:
                delivery.first_attempt.set()
            self._queue.clear()
            self.log.clear()

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._queue:
                    self._thread = None
                    return
                due, _, delivery = self._queue[0]
                wait = due - self.state.monotonic()
                if wait > 0:
                    self._wake.wait(min(wait, POLL_SECONDS))
                    continue
                heapq.heappop(self._queue)
            # Each attempt in its own thread: one slow receiver must not hold back the others.
            threading.Thread(target=self._attempt, args=(delivery,), name="sandbox-webhook", daemon=True).start()

    def _attempt(self, delivery: Delivery) -> None:
        state = self.state
        try:
            if delivery.generation != state.generation:
                return
            send(delivery, float(state.config["webhook_timeout"]))
            with state.lock:
                if delivery.generation != state.generation:
                    return
                delivery.attempts += 1
                delays = list(state.config["webhook_retry_delays"])
                ok = _succeeded(delivery)
                retry_in = delays[delivery.attempts - 1] if not ok and delivery.attempts <= len(delays) else None
                brand = next((b for b in state.brands.values() if delivery.subscription_id in b.subscriptions), None)
                subscription: Subscription | None = brand.subscriptions.get(delivery.subscription_id) if brand else None
                if ok:
                    delivery.delivered = True
                    if subscription is not None:
                        subscription.successful_calls += 1
                self.log.append({
                    "subscriptionId": delivery.subscription_id,
                    "publicationUrl": delivery.url,
                    "topic": delivery.topic,
                    "attempt": delivery.attempts,
                    "status": delivery.status,
                    "error": delivery.error,
                    "time": dates.iso(state.now()),
                    "retryInSeconds": retry_in,
                })
                # A subscription deleted meanwhile gets no more attempts.
                if retry_in is not None and subscription is not None:
                    self.enqueue(delivery, delay=float(retry_in))
        finally:
            delivery.first_attempt.set()
