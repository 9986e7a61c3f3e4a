"""Calls made exactly as a person typed them (the API console) and answered whatever their status.

A mixin of the client: it shares the client's session, token, rate budget and call records, but never
retries and never raises for an error status, because the person wants to see the answer as it came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from . import paths
from .errors import QualtricsError, UnsafeRequestError, error_from_envelope
from .http import ALLOWED_METHODS, Timeout
from .retry import RetryPolicy

logger = logging.getLogger("qualtrics")


@dataclass(frozen=True)
class Exchange:
    """One call and its whole answer, as ``BaseClient.exchange`` made it (the token scrubbed out)."""

    method: str
    path: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    text: str
    duration_s: float
    envelope: dict[str, Any] | None
    request_id: str | None
    error: QualtricsError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def meta(self) -> dict[str, Any]:
        meta = (self.envelope or {}).get("meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def next_page(self) -> str | None:
        """The answer's ``result.nextPage``, when it names one."""
        result = (self.envelope or {}).get("result")
        following = result.get("nextPage") if isinstance(result, dict) else None
        return following if isinstance(following, str) and following else None



class ExchangeMixin:
    """``exchange()`` and the check that keeps the token out of what a person typed (for ``BaseClient``)."""

    def refuse_token_in(self, *pieces: str | bytes) -> None:
        """UnsafeRequestError when any piece of a request a person typed holds the token: it would end up in
        their history, a saved request or a curl command (the client adds authentication itself)."""
        token = self._token
        for piece in pieces:
            if (token.encode() in piece) if isinstance(piece, bytes) else (token in piece):
                raise UnsafeRequestError(
                    "the request holds the connection's API token; remove it: the portal authenticates the call itself"
                )

    def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        wait_for_budget: bool = True,
        timeout: Timeout | None = None,
    ) -> Exchange:
        """Make one call exactly as given and return the whole answer, whatever its status.

        For a person exploring the API: ``path`` is relative to the API (checked by
        ``paths.relative_path``), ``headers`` are the person's own (checked by ``paths.check_headers``:
        no credentials), ``body`` is sent as JSON text unchanged. One attempt, never retried; it takes a
        slot of the brand's rate budget (waiting for one unless ``wait_for_budget`` is False). An error
        status is returned, not raised; only a call that got no answer raises (``ConnectionFailedError``).
        Everything returned has the token scrubbed out.
        """
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise UnsafeRequestError(f"HTTP method {method[:20]!r} is not allowed")
        path = paths.relative_path(path)
        own_headers = paths.check_headers(headers)
        query = list(params.items()) if isinstance(params, Mapping) else list(params or ())
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.refuse_token_in(path, *(f"{k}={v}" for k, v in query), *(f"{k}: {v}" for k, v in own_headers),
                             data or b"")
        policy = RetryPolicy(max_attempts=1, max_total_wait=0.0, wait_for_budget=wait_for_budget)
        self._take_slot(method, path, policy)
        sent_headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if data:
            sent_headers["Content-Type"] = "application/json"
        for name, value in own_headers:
            sent_headers[name] = value
        started = time.monotonic()

        def send() -> requests.Response:
            sent_headers.update(self._auth_headers("token"))
            try:
                return self.session.request(
                    method, self.base_url + path, params=query or None, data=data or None, headers=sent_headers,
                    timeout=self._timeout_for(path, timeout), allow_redirects=False, verify=self.verify,
                )
            except requests.RequestException as exc:
                error = self._connection_error(exc, method, path)
                self._record(method, path, None, started, 1, error=error)
                logger.info("%s %s failed: %s", method, path, error.message)
                raise error from exc

        response = send()
        if response.status_code == 401 and self._refresh_bearer():
            # A bearer token that expired or was revoked early: once more with a fresh one (Qualtrics did
            # not act on a call it refused as unauthenticated), in a slot of its own.
            response.close()
            self._take_slot(method, path, policy)
            response = send()
        duration = time.monotonic() - started
        text = self._scrub(response.content.decode(response.encoding or "utf-8", errors="replace"))
        envelope = self._decode(text)
        meta = envelope.get("meta") if envelope else None
        if isinstance(meta, dict):
            self._note_meta(meta)
        else:
            self.last_meta = None
            self.last_notice = None
            meta = {}
        failed = response.status_code >= 400 or bool(meta.get("error"))
        error = None
        if failed:
            error = error_from_envelope(response.status_code, envelope, method=method, path=path,
                                        reason=response.reason or "", body_excerpt=text if envelope is None else "")
        self._record(method, path, response.status_code, started, 1, error=error)
        logger.info("%s %s -> %s (request id %s)", method, path, response.status_code,
                    (meta or {}).get("requestId"))
        return Exchange(
            method=method,
            path=path,
            status=response.status_code,
            reason=response.reason or "",
            headers=tuple((name, self._scrub(value)) for name, value in response.headers.items()),
            text=text,
            duration_s=duration,
            envelope=envelope,
            request_id=(meta or {}).get("requestId") or None,
            error=error,
        )
