"""A stand-in for Qualtrics at the transport level: a requests adapter answering from a script.

Mounted on a real ``requests.Session``, so the client under test runs all of its own code (headers,
timeouts, envelope reading, retries) and only the network is replaced.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from qualtrics import QualtricsClient, RetryPolicy

BASE_URL = "https://iad1.qualtrics.com/API/v3"
TOKEN = "Qx7pL2mN9vB4cR8tY1wZ6kJ3hF5dS0aGe2UiOo9P"

REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def envelope(
    result: Any = None,
    *,
    status: int = 200,
    error_code: str | None = None,
    error_message: str | None = None,
    notice: str | None = None,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
    http_status: str | None = None,
) -> Reply:
    """A reply shaped like Qualtrics': ``{"result": ..., "meta": {...}}``."""
    meta: dict[str, Any] = {
        "httpStatus": http_status or f"{status} - {REASONS.get(status, 'Unknown')}",
        "requestId": request_id or str(uuid.uuid4()),
    }
    if notice:
        meta["notice"] = notice
    if error_message is not None or error_code is not None:
        meta["error"] = {"errorMessage": error_message or ""}
        if error_code:
            meta["error"]["errorCode"] = error_code
    body: dict[str, Any] = {"meta": meta}
    if result is not None:
        body["result"] = result
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


def raw(status: int, body: bytes | str, content_type: str = "text/html", **headers: str) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    return Reply(status, data, {"Content-Type": content_type, **headers})


@dataclass
class SentRequest:
    method: str
    url: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    body: Any
    timeout: Any

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Responder = Reply | BaseException | Callable[[SentRequest], "Reply | BaseException"]


class FakeQualtricsTransport(BaseAdapter):
    """Answers requests from scripted routes; records every request it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: list[tuple[str, re.Pattern[str], list[Responder]]] = []
        self.sent: list[SentRequest] = []

    def on(self, method: str, path: str, *responders: Responder) -> FakeQualtricsTransport:
        """Answer ``method path`` (path relative to /API/v3; ``{x}`` matches a segment; or a full URL
        pattern for other hosts) with the responders in turn, the last one repeating."""
        pattern = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"\{[^}]*\}", "[^/]+", pattern)
        self.routes.append((method.upper(), re.compile(pattern), list(responders)))
        return self

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        path = parts.path
        if path.startswith("/API/v3"):
            path = path[len("/API/v3") :]
        body = request.body
        if body:
            with contextlib.suppress(ValueError):
                body = json.loads(body)
        sent = SentRequest(
            request.method,
            request.url,
            path,
            parse_qs(parts.query),
            CaseInsensitiveDict(request.headers),
            body,
            timeout,
        )
        self.sent.append(sent)
        for method, pattern, responders in self.routes:
            if method == request.method and pattern.fullmatch(path):
                responder = responders.pop(0) if len(responders) > 1 else responders[0]
                break
        else:
            responder = envelope(status=404, error_message=f"API call does not exist: {request.method} {parts.path}")
        if callable(responder) and not isinstance(responder, BaseException):
            responder = responder(sent)
        if isinstance(responder, BaseException):
            raise responder
        response = requests.Response()
        response.status_code = responder.status
        response.reason = REASONS.get(responder.status, "Unknown")
        response.headers = CaseInsensitiveDict(responder.headers)
        response._content = responder.body
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


class Sleeps(list):
    """Records the waits a RetryPolicy asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(
    transport: FakeQualtricsTransport,
    *,
    base_url: str = BASE_URL,
    token: str = TOKEN,
    sleeps: Sleeps | None = None,
    **kwargs: Any,
) -> QualtricsClient:
    session = requests.Session()
    session.mount("https://", transport)
    session.mount("http://", transport)
    kwargs.setdefault("retry", RetryPolicy(jitter=False, sleep=sleeps if sleeps is not None else Sleeps()))
    return QualtricsClient(base_url, token, session=session, **kwargs)
