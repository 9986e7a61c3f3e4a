"""One call through the gateway: the key checked, the call relayed with the connection's token, recorded.

Every refusal is answered in Qualtrics' own error envelope, so a program written for Qualtrics handles
it as it handles Qualtrics' errors: 401 for a key unknown, revoked or expired; 403 for a call outside the
key's rules or from outside its networks; 429 with Retry-After when the key's cap or the brand's shared
budget is used up. A call with a known key is recorded (method, path, status, Qualtrics' request id,
time to Qualtrics' answer, or to its headers for a streamed one), whatever became of it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from connections.qualtrics_client import connection_client
from qualtrics import BudgetExhaustedError, QualtricsError, QualtricsTimeoutError, SizedBody, UnsafeRequestError

from ..models import KEY_PREFIX, PREFIX_LENGTH, ApiKey, GatewayCall
from ..scopes import address_allowed, call_allowed

logger = logging.getLogger(__name__)
MAX_KEY_LENGTH = 200


@dataclass
class Answer:
    """What the gateway answers: a status, headers, and the body (bytes, or chunks when streamed)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterator[bytes]
    streamed: bool = False
    error_code: str = ""  # Qualtrics' error code, when its answer carried one
    # Writes the call's audit row: the view runs it once the answer is on its way (see gateway.api), so the
    # caller does not wait for the database.
    finish: Callable[[], None] = lambda: None


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def refusal(status: int, code: str, message: str, *, request_id: str, retry_after: float | None = None) -> Answer:
    """Qualtrics' error envelope, with the gateway's own code and request id."""
    phrase = HTTPStatus(status).phrase
    envelope = {"meta": {"httpStatus": f"{status} - {phrase}", "error": {"errorMessage": message, "errorCode": code},
                         "requestId": request_id}}
    headers = [("Content-Type", "application/json")]
    if retry_after is not None:
        headers.append(("Retry-After", str(max(1, math.ceil(retry_after)))))
    return Answer(status, headers, json.dumps(envelope).encode())


class RecentKeys:
    """The keys (with their connections and clients) this process looked up in the last
    `GATEWAY_KEY_CACHE_SECONDS`: an integration calls in bursts, and reading the key and its connection, then
    building its client (the token decrypted), were a quarter of the gateway's own time per call. A change to
    a key or its connection (revoked, turned off, token rotated, deleted) reaches the process that made it at
    once (`forget`) and every other within those seconds. Unknown keys are not remembered: a wrong key costs
    its caller a query every time."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, ApiKey]] = {}
        self._clients: dict[int, tuple[float, Any]] = {}  # by key id: the connection's client, token decrypted

    def get(self, prefix: str) -> ApiKey | None:
        seconds = settings.GATEWAY_KEY_CACHE_SECONDS
        now = time.monotonic()
        found = self._keys.get(prefix)
        if found is not None and found[0] > now:
            return found[1]
        key = ApiKey.objects.select_related("connection").filter(prefix=prefix).first()
        if key is not None and seconds > 0:
            if len(self._keys) >= self.LIMIT:
                self._keys.clear()
            self._keys[prefix] = (now + seconds, key)
        return key

    def client_for(self, key: ApiKey):
        """The Qualtrics client of the key's connection, built once while the key is remembered."""
        now = time.monotonic()
        found = self._clients.get(key.pk)
        if found is not None and found[0] > now:
            return found[1]
        client = connection_client(key.connection, audit=False)
        remembered = self._keys.get(key.prefix)
        if remembered is not None and remembered[1] is key:  # as long as the key itself, no longer
            if len(self._clients) >= self.LIMIT:
                self._clients.clear()
            self._clients[key.pk] = (remembered[0], client)
        return client

    def forget(self, prefix: str | None = None) -> None:
        if prefix is None:
            self._keys.clear()
            self._clients.clear()
        else:
            found = self._keys.pop(prefix, None)
            if found is not None:
                self._clients.pop(found[1].pk, None)


recent_keys = RecentKeys()


def _key_for(presented: str) -> ApiKey:
    text = (presented or "").strip()
    if not text.startswith(KEY_PREFIX) or len(text) > MAX_KEY_LENGTH:
        raise Refused(401, "GW_KEY", "Unrecognized API key: send a portal API key in X-API-TOKEN or as a Bearer token.")
    key = recent_keys.get(text[:PREFIX_LENGTH])
    if key is None or not key.matches(text):
        raise Refused(401, "GW_KEY", "Unrecognized API key.")
    return key


def _check(key: ApiKey, *, connection_id: int, method: str, path: str, client_address: str | None) -> None:
    if key.revoked_at is not None:
        raise Refused(401, "GW_KEY_REVOKED", "This API key was revoked.")
    if key.is_expired():
        raise Refused(401, "GW_KEY_EXPIRED", f"This API key expired on {key.expires_on.isoformat()}.")
    if key.connection_id != connection_id:
        raise Refused(403, "GW_SCOPE", "This API key is for another connection.")
    if not address_allowed(key.allowed_networks, client_address):
        raise Refused(403, "GW_NETWORK", f"This API key may not be used from {client_address or 'this address'}.")
    try:
        if not call_allowed(key.rules, method, path):
            raise Refused(403, "GW_SCOPE", f"This API key may not call {method} {path[:200]}.")
    except UnsafeRequestError as exc:
        raise Refused(400, "GW_PATH", f"The path is not allowed: {exc.message}") from None
    if not key.connection.enabled:
        raise Refused(503, "GW_CONNECTION_OFF", "The connection is turned off in the portal.")
    wait = _over_cap(key)
    if wait:
        raise Refused(429, "GW_KEY_CAP", f"This API key may make {key.per_minute_cap} calls a minute.",
                      retry_after=wait)


def _over_cap(key: ApiKey) -> float:
    """0, having counted this call, or the seconds until the key's minute is over."""
    if not key.per_minute_cap:
        return 0.0
    now = time.time()
    minute = int(now // 60)
    name = f"gateway:cap:{key.pk}:{minute}"
    cache.add(name, 0, 120)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, 120)
        count = 1
    return 0.0 if count <= key.per_minute_cap else max((minute + 1) * 60 - now, 1.0)


def gateway_call(
    *,
    connection_id: int,
    presented_key: str,
    method: str,
    path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | SizedBody | None,
    client_address: str | None,
    gateway_base_url: str,
) -> Answer:
    """Check the key, relay the call to the key's connection and return Qualtrics' answer as it came,
    `nextPage` pointing at `gateway_base_url` (the gateway's own /API/v3 for this connection)."""
    request_id = f"portal-{uuid.uuid4()}"
    started = time.monotonic()
    if not settings.GATEWAY_ENABLED:
        return refusal(503, "GW_DISABLED", "The portal's API gateway is turned off.", request_id=request_id)
    try:
        key = _key_for(presented_key)
    except Refused as refused:
        logger.info("gateway %s %s refused: %s", method, path[:200], refused.code)
        return refusal(refused.status, refused.code, refused.message, request_id=request_id)
    try:
        _check(key, connection_id=connection_id, method=method, path=path, client_address=client_address)
        answer, request_id = _relay(key, method=method, path=path, query=query, headers=headers, body=body,
                                    gateway_base_url=gateway_base_url, request_id=request_id)
        code = ""
    except Refused as refused:
        answer = refusal(refused.status, refused.code, refused.message, request_id=request_id,
                         retry_after=refused.retry_after)
        code = refused.code
    answer.finish = partial(
        _record, key, method=method, path=path, status=answer.status, request_id=request_id,
        duration_ms=round((time.monotonic() - started) * 1000), client_address=client_address, refused=bool(code),
        code=code or answer.error_code,
    )
    return answer


def _relay(key: ApiKey, *, method, path, query, headers, body, gateway_base_url, request_id):
    client = recent_keys.client_for(key)

    def rewrite(url: str) -> str | None:
        place = client.page_path(url)
        if place is None:
            return None
        page_path, _query = place
        query_text = url.split("?", 1)[1] if "?" in url else ""
        return gateway_base_url + page_path + (f"?{query_text}" if query_text else "")

    try:
        relayed = client.relay(method, path, query=query, headers=headers, body=body, rewrite_page=rewrite)
    except BudgetExhaustedError as exc:
        raise Refused(429, "GW_BUDGET", "The connection's shared rate budget is used up; try again shortly.",
                      retry_after=exc.retry_after or 1.0) from None
    except UnsafeRequestError as exc:
        raise Refused(400, "GW_REQUEST", f"The request is not allowed: {exc.message}") from None
    except QualtricsTimeoutError:
        raise Refused(504, "GW_UPSTREAM", "Qualtrics did not answer in time.") from None
    except QualtricsError:
        raise Refused(502, "GW_UPSTREAM", "Qualtrics could not be reached.") from None
    body = relayed.body if relayed.streamed else b"".join(relayed.body)
    answer = Answer(relayed.status, relayed.headers, body, streamed=relayed.streamed,
                    error_code=relayed.error_code or "")
    return answer, relayed.request_id or request_id


def _record(key: ApiKey, *, method, path, status, request_id, duration_ms, client_address, refused, code) -> None:
    GatewayCall.objects.create(
        key=key, created_at=timezone.now(), method=method[:10], path=path[:500], status=status,
        request_id=(request_id or "")[:64], duration_ms=duration_ms,
        client_address=_address(client_address), refused=refused, error_code=(code or "")[:40],
    )


def _address(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(text or ""))
    except ValueError:
        return None
