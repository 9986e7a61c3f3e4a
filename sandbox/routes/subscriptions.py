"""Event subscriptions (webhooks); brand administrators only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import paging, validation
from ..envelope import bad_request, not_found
from ..records import Subscription
from ..routing import ApiCall, RouteTable

table = RouteTable()


def render(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "scope": subscription.scope,
        "topics": subscription.topics,
        "publicationUrl": subscription.publication_url,
        "encrypted": subscription.encrypt,
        "successfulCalls": subscription.successful_calls,
    }


def _subscription(call: ApiCall) -> Subscription:
    found = call.brand.subscriptions.get(call.params["subscriptionId"])
    if found is None:
        raise not_found("event subscription", call.params["subscriptionId"])
    return found


@table.get("/eventsubscriptions", limit="event_subscriptions", admin=True)
def list_subscriptions(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(call.brand.subscriptions.values()), render)


@table.post("/eventsubscriptions", limit="event_subscriptions", admin=True)
def create_subscription(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    validation.keys(body, required=("topics", "publicationUrl"),
                    optional=("encrypt", "sharedKey", "successEmailAddresses"))
    topics = validation.required_str(body, "topics")
    url = validation.required_str(body, "publicationUrl")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad_request("publicationUrl must be an absolute http(s) URL")
    encrypt = validation.optional_bool(body, "encrypt") or False
    if encrypt:
        raise bad_request("encrypt: true is not available here; use encrypt: false with a sharedKey (HMAC)")
    emails = body.get("successEmailAddresses") or []
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        raise bad_request("successEmailAddresses must be an array of e-mail addresses")
    subscription = Subscription(
        id=call.state.ids.make("SUB"), topics=topics, publication_url=url, encrypt=encrypt, created=call.now,
        shared_key=validation.optional_str(body, "sharedKey"), success_emails=list(emails),
    )
    call.brand.subscriptions[subscription.id] = subscription
    return {"id": subscription.id}


@table.get("/eventsubscriptions/{subscriptionId}", limit="event_subscriptions", admin=True)
def get_subscription(call: ApiCall) -> dict[str, Any]:
    return render(_subscription(call))


@table.delete("/eventsubscriptions/{subscriptionId}", limit="event_subscriptions", admin=True)
def delete_subscription(call: ApiCall) -> None:
    del call.brand.subscriptions[_subscription(call).id]
