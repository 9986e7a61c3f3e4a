"""Workflows started by a JSON event: posting an event to the URL a workflow's trigger gives out."""

from __future__ import annotations

import json
from typing import Any

from ..retry import RetryPolicy
from .base import Resource

AUTH_SCHEMES = ("token", "basic", "none")


def event_body(event: Any) -> bytes:
    """The bytes of an event: JSON text as given, or a document serialised compactly."""
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode("utf-8")
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Workflows(Resource):
    def send_event(
        self,
        url: str,
        event: Any,
        *,
        auth: str = "token",
        username: str = "",
        retry: RetryPolicy | None = None,
    ) -> dict[str, Any]:
        """Post ``event`` (a JSON document, or its text) to a JSON-event trigger URL of this connection's
        datacenter, and return the answer's ``meta`` (``requestId``, ``httpStatus``).

        ``auth`` is how the trigger wants the caller to prove itself: ``"token"`` (``X-API-TOKEN``),
        ``"basic"`` (HTTP Basic with ``username`` and the token) or ``"none"``. The URL must be one of the
        two documented forms on the connection's host; the body at most 100 KB
        (docs/qualtrics-api.md#workflow-events).
        """
        if auth not in AUTH_SCHEMES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_SCHEMES)}")
        return self._client._send_event(url, event_body(event), auth=auth, username=username, retry=retry)
