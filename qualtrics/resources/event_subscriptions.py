"""Event subscriptions (webhooks) of the brand: Qualtrics POSTs each event of the subscribed topics to a URL.

Brand administrators only (docs/qualtrics-api.md#event-subscriptions). Delivery is form-encoded ``Topic``,
``MSG`` (a JSON string) and, when the subscription has a ``sharedKey``, ``HMAC``: the lowercase hex of
HMAC-SHA512 of the raw ``MSG`` with that key.
"""

from __future__ import annotations

from typing import Any

from ..paging import Page
from .base import Resource, path, segment


def subscription_path(subscription_id: str) -> str:
    return path("eventsubscriptions", segment(subscription_id, "event subscription ID"))


class EventSubscriptions(Resource):
    def list(self, *, page_url: str | None = None) -> Page:
        """``{id, scope, topics, publicationUrl, encrypted, successfulCalls}`` per subscription."""
        return self._client._page("/eventsubscriptions", None, page_url)

    def get(self, subscription_id: str) -> dict[str, Any]:
        return self._client._send("GET", subscription_path(subscription_id))

    def create(self, *, topics: str, publication_url: str, shared_key: str | None = None) -> dict[str, Any]:
        """Subscribe ``publication_url`` to ``topics`` (one topic, ``*`` wildcards allowed). The payload is sent
        signed, never encrypted (``encrypt: false``): the encryption Qualtrics offers is not documented.
        Result ``{"id": "SUB_..."}``."""
        fields: dict[str, Any] = {"topics": topics, "publicationUrl": publication_url, "encrypt": False}
        if shared_key:
            fields["sharedKey"] = shared_key
        return self._client._send("POST", "/eventsubscriptions", json=fields)

    def delete(self, subscription_id: str) -> None:
        self._client._send("DELETE", subscription_path(subscription_id))
