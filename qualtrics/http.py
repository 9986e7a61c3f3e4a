"""The HTTP core every Qualtrics call goes through.

One ``BaseClient`` per connection (base URL + token). It keeps one ``requests.Session`` so connections
are pooled, sends the token in ``X-API-TOKEN`` (or an OAuth access token as ``Authorization: Bearer``, fetching
a fresh one once after a 401), passes an explicit (connect, read) timeout on every
call, unwraps the ``{"result": ..., "meta": ...}`` envelope, raises typed errors, retries through a
separate ``RetryPolicy``, can take its slots from a shared ``RateLimiter``, and reports every HTTP
exchange to hooks as a ``CallRecord`` (the portal audits writes with Qualtrics' ``requestId``).

Paths are always relative to the connection's base URL; page URLs handed back by Qualtrics are
followed verbatim but only on the same host and under the same base path, so no call made through a
client can carry its token anywhere else.
"""

from __future__ import annotations

import base64
import json as jsonlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests

from . import paths
from .bearer import BearerAuthMixin
from .errors import (
    BudgetExhaustedError,
    ConnectionFailedError,
    InvalidResponseError,
    NotFoundError,
    QualtricsError,
    QualtricsTimeoutError,
    RateLimitedError,
    ServerError,
    UnsafeRequestError,
    error_from_envelope,
)
from .paging import Page, page_from_result
from .ratelimit import RateLimiter
from .retry import RetryPolicy, parse_retry_after
from .sessions import new_session
from .tokens import mask_token

if TYPE_CHECKING:
    from .bearer import Bearer

logger = logging.getLogger("qualtrics")

# SMS routes have a 16 s server-side timeout (docs/qualtrics-api.md#sms-distributions); leave room above it.
SMS_READ_TIMEOUT = 20.0
ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
PROXIED_NOTICE = re.compile(r"use this host instead:\s*(?:https?://)?([A-Za-z0-9.-]+)", re.IGNORECASE)
DATACENTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")
# A workflow's JSON event may be at most this big (docs/qualtrics-api.md#workflow-events).
MAX_EVENT_BYTES = 100 * 1024

Timeout = float | tuple[float, float]
Hook = Callable[["CallRecord"], None]


def datacenter_from_notice(notice: str | None) -> str | None:
    """The datacenter a "Request proxied … use this host instead: sjc1.qualtrics.com" notice names.

    ``sjc1.qualtrics.com`` and ``org.sjc1.qualtrics.com`` both name sjc1; any other host names none.
    """
    found = PROXIED_NOTICE.search(notice or "")
    if not found:
        return None
    labels = found.group(1).lower().rstrip(".").split(".")
    if len(labels) < 3 or labels[-2:] != ["qualtrics", "com"]:
        return None
    candidate = labels[-3]
    return candidate if DATACENTER_ID.fullmatch(candidate) else None


def segment(value: str, what: str = "ID") -> str:
    """One path segment from a caller-supplied ID, refused if it could change the route."""
    if not isinstance(value, str) or not value:
        raise UnsafeRequestError(f"the {what} is empty")
    if value in (".", "..") or any(ch in value for ch in "/\\?#") or not value.isprintable():
        raise UnsafeRequestError(f"the {what} {value[:60]!r} is not a valid Qualtrics ID")
    return quote(value, safe="")


def timeout_pair(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, int | float):
        return (float(timeout), float(timeout))
    connect, read = timeout
    return (float(connect), float(read))


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and whatever it wraps (args, urllib3 ``reason``, cause and context)."""
    pending = [exc]
    seen: set[int] = set()
    while pending and len(seen) < 20:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for item in (*current.args, getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(item, BaseException):
                pending.append(item)


def _never_connected(exc: BaseException) -> bool:
    """True when the connection was never established, so the request cannot have been sent."""
    from urllib3.exceptions import NewConnectionError

    for item in _exception_chain(exc):
        if isinstance(item, NewConnectionError | ConnectionRefusedError):
            return True
        if isinstance(item, OSError) and type(item).__name__ == "gaierror":
            return True
    return False


def _timed_out_reading(exc: BaseException) -> bool:
    from urllib3.exceptions import ReadTimeoutError

    return any(isinstance(item, ReadTimeoutError | TimeoutError) for item in _exception_chain(exc))


@dataclass(frozen=True)
class CallRecord:
    """One HTTP exchange with Qualtrics, handed to every hook (also when it failed)."""

    method: str
    path: str
    status: int | None
    request_id: str | None
    duration_s: float
    error_code: str | None = None
    error_message: str | None = None
    notice: str | None = None
    attempt: int = 1
    error_class: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error_class is None


class BaseClient(BearerAuthMixin):
    """Sends calls to one connection's Qualtrics API and returns the envelope's ``result``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: Timeout = (5.0, 30.0),
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        brand_key: str | None = None,
        hooks: Sequence[Hook] = (),
        user_agent: str = "qualtrics-portal",
        ca_file: str | None = None,
        bearer: Bearer | None = None,
    ) -> None:
        """``bearer`` makes ``token`` an OAuth access token, sent as ``Authorization: Bearer``."""
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL such as https://iad1.qualtrics.com/API/v3")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("base_url must not carry credentials, a query or a fragment")
        if not isinstance(token, str) or not token.strip():
            raise ValueError("an API token is required")
        if any(ch in token for ch in "\r\n\0"):
            raise ValueError("the API token contains a line break")
        if limiter is not None and not brand_key:
            raise ValueError("brand_key is required with a limiter (the budget is per brand)")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._scheme = parts.scheme
        self._host = parts.hostname.lower()
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._base_path = parts.path.rstrip("/")
        self._token = token.strip()
        self.bearer = bearer
        self._spent_tokens: list[str] = []  # bearer tokens replaced after a 401, still scrubbed from texts
        self.timeout = timeout_pair(timeout)
        self._owns_session = session is None
        self.session = session if session is not None else new_session()
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.brand_key = brand_key
        self.hooks: tuple[Hook, ...] = tuple(hooks)
        self.user_agent = user_agent
        # Given with every call rather than set on the session: requests lets REQUESTS_CA_BUNDLE override a
        # session's own CA file, never one passed to the call.
        self.verify: bool | str = ca_file or True
        self.datacenter: str | None = None
        self.last_meta: dict[str, Any] | None = None
        self.last_notice: str | None = None
        self.suggested_datacenter: str | None = None

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r} token={mask_token(self._token)!r}>"

    # Any call ----------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        """Call ``path`` (relative to the base URL) and return the envelope's ``result``.

        Any authorised API call, confined to this connection's API: absolute URLs, ``..`` and encoded
        slashes are refused. ``retry`` overrides the client's policy for this call
        (``RetryPolicy.none()`` in Celery tasks).
        """
        return self._send(method, path, params=params, json=json, retry=retry, timeout=timeout)

    # Where a call may go -----------------------------------------------------------------------------

    def _check_relative_path(self, path: str) -> str:
        return paths.relative_path(path)

    def _check_page_url(self, url: str) -> str:
        """The path (relative to the base) of a page URL Qualtrics returned, if it stays at home."""
        path, _query = paths.page_request(url, base_url=self.base_url)
        return path

    def _timeout_for(self, path: str, override: Timeout | None) -> tuple[float, float]:
        if override is not None:
            return timeout_pair(override)
        connect, read = self.timeout
        if path == "/distributions/sms" or path.startswith("/distributions/sms/"):
            read = max(read, SMS_READ_TIMEOUT)
        return (connect, read)

    # Pages -------------------------------------------------------------------------------------------

    def _page(self, path: str, params: Mapping[str, Any] | None, page_url: str | None = None) -> Page:
        """The first page of ``path``, or the page at ``page_url`` (a ``nextPage`` handed out earlier)."""
        if page_url:
            return self._next_page(page_url)
        return page_from_result(self._send("GET", path, params=params), fetch_next=self._next_page)

    def _next_page(self, page_url: str) -> Page:
        """Fetch a ``nextPage`` URL handed back by Qualtrics (same host and base path only)."""
        return page_from_result(self._send("GET", page_url, is_page_url=True), fetch_next=self._next_page)

    # Authentication ----------------------------------------------------------------------------------

    def _auth_headers(self, scheme: str, username: str = "") -> dict[str, str]:
        """The headers that authenticate a call: the token (the API's way), Qualtrics' Basic
        ``username:token`` (accepted by workflow event triggers), or none (a trigger that asks for none)."""
        if scheme == "token":
            if self.bearer is not None:
                return {"Authorization": f"Bearer {self._token}"}
            return {"X-API-TOKEN": self._token}
        if scheme == "basic" and self.bearer is not None:
            raise UnsafeRequestError("Basic authentication needs an API token; this connection uses an OAuth client")
        if scheme == "basic":
            if not username or ":" in username or not username.isprintable():
                raise UnsafeRequestError("Basic authentication needs the Qualtrics username (without ':')")
            credentials = base64.b64encode(f"{username}:{self._token}".encode()).decode("ascii")
            return {"Authorization": f"Basic {credentials}"}
        if scheme == "none":
            return {}
        raise UnsafeRequestError(f"unknown authentication {scheme[:20]!r}")

    # Workflow events ---------------------------------------------------------------------------------

    def _send_event(
        self, url: str, body: bytes, *, auth: str = "token", username: str = "", retry: RetryPolicy | None = None
    ) -> dict[str, Any]:
        """Post a JSON event to a workflow's trigger URL on this connection's host; the answer's ``meta``.

        The URL is checked by ``paths.event_url`` (one of the two documented forms, on the connection's
        own datacenter host), so the token cannot be sent anywhere else. The body must be JSON of at most
        100 KB (docs/qualtrics-api.md#workflow-events). It takes a slot of the brand's rate budget like
        any other call.
        """
        self._refuse_bearer_for_event(auth)
        event = paths.event_url(url, api_base_url=self.base_url)
        if len(body) > MAX_EVENT_BYTES:
            raise UnsafeRequestError(
                f"the event is {len(body) / 1024:.0f} KB; Qualtrics accepts at most {MAX_EVENT_BYTES // 1024} KB"
            )
        self._send("POST", event.path, retry=retry, event=event, data=body, auth=(auth, username))
        return dict(self.last_meta or {})

    # Sending -----------------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` with the token masked wherever it appears (for showing back what a person typed)."""
        return self._scrub(text)

    def _note_meta(self, meta: dict[str, Any]) -> None:
        self.last_meta = meta
        notice = meta.get("notice")
        self.last_notice = notice if isinstance(notice, str) and notice else None
        suggested = datacenter_from_notice(self.last_notice)
        if suggested:
            self.suggested_datacenter = suggested

    def _emit(self, record: CallRecord) -> None:
        for hook in self.hooks:
            try:
                hook(record)
            except Exception:
                logger.exception("A Qualtrics call hook failed for %s %s", record.method, record.path)

    def _take_slot(self, method: str, path: str, policy: RetryPolicy) -> None:
        if self.limiter is None:
            return
        assert self.brand_key is not None
        if policy.wait_for_budget:
            self.limiter.acquire(self.brand_key, method, path)
            return
        wait = self.limiter.try_acquire(self.brand_key, method, path)
        if wait > 0:
            raise BudgetExhaustedError(
                f"the rate budget is used up for another {wait:.1f} s",
                method=method,
                path=path,
                retry_after=wait,
            )

    def _connection_error(self, exc: requests.RequestException, method: str, path: str) -> QualtricsError:
        detail = self._scrub(f"{type(exc).__name__}: {exc}")[:300]
        where = {"method": method, "path": path}
        if isinstance(exc, requests.ConnectTimeout):
            return QualtricsTimeoutError(
                f"no connection in time, so nothing was sent ({detail})", may_have_reached_server=False, **where
            )
        if isinstance(exc, requests.Timeout):
            return QualtricsTimeoutError(
                f"no answer in time; Qualtrics may still have acted on the call ({detail})",
                may_have_reached_server=True,
                **where,
            )
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            if _never_connected(exc):
                return ConnectionFailedError(
                    f"could not connect, so nothing was sent ({detail})", may_have_reached_server=False, **where
                )
            if _timed_out_reading(exc):
                return QualtricsTimeoutError(
                    f"the answer stopped coming in time ({detail})", may_have_reached_server=True, **where
                )
            return ConnectionFailedError(
                f"the connection broke; Qualtrics may have received the call ({detail})",
                may_have_reached_server=True,
                **where,
            )
        return ConnectionFailedError(f"the request could not be made ({detail})", **where)

    @staticmethod
    def _decode(text: str) -> dict[str, Any] | None:
        if not text.strip():
            return None
        try:
            decoded = jsonlib.loads(text)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def _read(self, response: requests.Response, method: str, path: str) -> Any:
        """The ``result`` of a successful answer, or the typed error raised."""
        status = response.status_code
        # JSON is UTF-8: decode it directly rather than let requests guess the charset (slow).
        text = response.content.decode(response.encoding or "utf-8", errors="replace")
        envelope = self._decode(text)
        meta = envelope.get("meta") if envelope else None
        failed = status >= 400 or bool(isinstance(meta, dict) and meta.get("error"))
        if failed or status >= 300:
            # What follows may end up in an exception or a log: no token in it.
            text = self._scrub(text)
            envelope = self._decode(text)
            meta = envelope.get("meta") if envelope else None
        if isinstance(meta, dict):
            self._note_meta(meta)
        else:
            self.last_meta = None
            self.last_notice = None
        if failed:
            error = error_from_envelope(
                status,
                envelope,
                method=method,
                path=path,
                reason=response.reason or "",
                body_excerpt=text if envelope is None else "",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
            raise self._scope_error(error, method, path)
        if status >= 300:
            raise InvalidResponseError(
                "Qualtrics answered with a redirect, which the client does not follow",
                status=status,
                method=method,
                path=path,
            )
        if envelope is None:
            if not text.strip():
                return None
            raise InvalidResponseError(
                f"the {status} answer was not a JSON envelope", status=status, method=method, path=path
            )
        return envelope.get("result")

    def _attempt(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        timeout: tuple[float, float],
        attempt: int,
        policy: RetryPolicy,
        data: bytes | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        self._take_slot(method, path, policy)
        sent_headers = {
            **(headers or {}),
            **self._auth_headers(*(auth or ("token", ""))),
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        if data is not None:
            sent_headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=sent_headers,
                timeout=timeout,
                allow_redirects=False,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            error = self._connection_error(exc, method, path)
            self._record(method, path, None, started, attempt, error=error)
            logger.info("%s %s failed: %s", method, path, error.message)
            raise error from exc
        try:
            result = self._read(response, method, path)
        except QualtricsError as error:
            if isinstance(error, RateLimitedError) and self.limiter is not None:
                # Every process of the portal backs off from this brand (or route), not just this call.
                assert self.brand_key is not None
                self.limiter.note_rate_limited(self.brand_key, method, path, error.retry_after)
            self._record(method, path, response.status_code, started, attempt, error=error)
            logger.info(
                "%s %s -> %s %s (request id %s)",
                method,
                path,
                response.status_code,
                error.code or type(error).__name__,
                error.request_id,
            )
            raise
        self._record(method, path, response.status_code, started, attempt)
        return result

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        *,
        error: QualtricsError | None = None,
    ) -> None:
        duration = time.monotonic() - started
        meta = self.last_meta if status is not None else None
        request_id = error.request_id if error is not None else (meta or {}).get("requestId")
        notice = error.notice if error is not None else self.last_notice
        if error is None:
            logger.debug("%s %s -> %s in %.3f s (request id %s)", method, path, status, duration, request_id)
        if not self.hooks:
            return
        self._emit(
            CallRecord(
                method=method,
                path=path,
                status=status,
                request_id=request_id,
                duration_s=duration,
                error_code=error.code if error is not None else None,
                error_message=error.message if error is not None else None,
                notice=notice,
                attempt=attempt,
                error_class=type(error).__name__ if error is not None else None,
            )
        )

    def _send(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        is_page_url: bool = False,
        idempotent: bool | None = None,
        event: paths.EventUrl | None = None,
        data: bytes | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one call. ``headers`` are extra request headers (they cannot replace the token or
        ``Accept``); ``files`` makes the body multipart/form-data (``{"name": value}`` for a plain
        part, ``{"file": (filename, bytes, content type)}`` for a file), instead of ``json``."""
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise UnsafeRequestError(f"HTTP method {method[:20]!r} is not allowed")
        if files is not None and json is not None:
            raise ValueError("a call sends either a JSON body or a multipart body, not both")
        for name, value in (headers or {}).items():
            if not name.isprintable() or any(ch in f"{name}{value}" for ch in "\r\n\0"):
                raise UnsafeRequestError("a request header may not contain a line break")
        if event is not None:
            path, url = event.path, event.url
        elif is_page_url:
            path = self._check_page_url(target)
            url = target
        else:
            path = self._check_relative_path(target)
            url = self.base_url + path
        query = {k: v for k, v in (params or {}).items() if v is not None} or None
        policy = retry or self.retry
        timeouts = self._timeout_for(path, timeout)
        maybe_done = False

        def send_once(attempt: int) -> Any:
            return self._attempt(
                method, url, path, params=query, json=json, timeout=timeouts, attempt=attempt, policy=policy,
                data=data, auth=auth, headers=headers, files=files,
            )

        def attempt_fn(attempt: int) -> Any:
            nonlocal maybe_done
            try:
                return self._authorised(send_once, attempt)
            except NotFoundError:
                if method == "DELETE" and maybe_done:
                    # An earlier attempt reached Qualtrics and the thing is gone now: that delete worked.
                    logger.info("DELETE %s: gone after a retried attempt, taken as deleted", path)
                    return None
                raise
            except (ServerError, ConnectionFailedError) as error:
                if getattr(error, "may_have_reached_server", True):
                    maybe_done = True
                raise

        return policy.run(method, attempt_fn, idempotent=idempotent)
