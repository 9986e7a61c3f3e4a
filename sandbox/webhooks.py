"""Event-subscription delivery: form-encoded `Topic`, `MSG` and `HMAC` POSTed to the publication URL."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from . import dates
from .records import Brand, Response, Subscription


@dataclass
class Delivery:
    subscription_id: str
    url: str
    body: bytes
    status: int | None = None
    error: str | None = None


def matches(pattern: str, topic: str) -> bool:
    """Topics may end in `*` wildcards, e.g. `surveyengine.completedResponse.*` or `*`."""
    return any(fnmatch.fnmatchcase(topic, part.strip()) for part in pattern.split(",") if part.strip())


def completed_response_payload(brand: Brand, response: Response, shared_key: str | None) -> dict[str, str]:
    message = json.dumps(
        {
            "Status": "Complete",
            "SurveyID": response.survey_id,
            "ResponseID": response.id,
            "CompletedDate": dates.plain(response.recorded),
            "BrandID": brand.id,
        },
        separators=(",", ":"),
    )
    payload = {"Topic": f"{brand.id}.surveyengine.completedResponse.{response.survey_id}", "MSG": message}
    if shared_key:
        payload["HMAC"] = hmac.new(shared_key.encode(), message.encode(), hashlib.sha512).hexdigest()
    return payload


def plan(brand: Brand, response: Response) -> list[Delivery]:
    topic = f"surveyengine.completedResponse.{response.survey_id}"
    deliveries = []
    for subscription in brand.subscriptions.values():
        if matches(subscription.topics, topic):
            payload = completed_response_payload(brand, response, subscription.shared_key)
            deliveries.append(
                Delivery(subscription.id, subscription.publication_url, urllib.parse.urlencode(payload).encode())
            )
    return deliveries


def send(delivery: Delivery, timeout: float) -> None:
    """POST one delivery; record the receiver's status or the error. Never raises."""
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


def record_outcome(subscription: Subscription | None, delivery: Delivery) -> None:
    if subscription is not None and delivery.status is not None and 200 <= delivery.status < 300:
        subscription.successful_calls += 1


def as_row(delivery: Delivery) -> dict[str, Any]:
    return {"subscriptionId": delivery.subscription_id, "publicationUrl": delivery.url,
            "status": delivery.status, "error": delivery.error}
