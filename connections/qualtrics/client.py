"""The Qualtrics API v3 client used by every screen and task of the portal.

One client per connection (datacenter + token). It keeps one ``requests.Session`` so connections are
pooled, sends the token in ``X-API-TOKEN``, passes an explicit (connect, read) timeout on every call,
unwraps the ``{"result": ..., "meta": ...}`` envelope, raises typed errors, retries through a
separate ``RetryPolicy``, can take its slots from a shared ``RateLimiter``, and reports every HTTP
exchange to hooks as a ``CallRecord`` (the portal audits writes with Qualtrics' ``requestId``).

Paths are always relative to the connection's base URL; page URLs handed back by Qualtrics are
followed verbatim but only on the same host and under the same base path, so no call made through a
client can carry its token anywhere else.
"""

from __future__ import annotations

import copy
import json as jsonlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

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
from .pagination import (
    DEFAULT_PAGE_SIZE,
    MAILING_LIST_CONTACTS_PAGE_SIZE,
    Page,
    clamp_page_size,
    iterate,
    page_from_result,
)
from .ratelimit import RateLimiter
from .retry import RetryPolicy, parse_retry_after

logger = logging.getLogger("connections.qualtrics")

DEFAULT_BASE_URL_TEMPLATE = "https://{datacenter}.qualtrics.com/API/v3"
# SMS routes have a 16 s server-side timeout (QUALTRICS_API.md §10); leave room above it.
SMS_READ_TIMEOUT = 20.0
ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
PROXIED_NOTICE = re.compile(
    r"use this host instead:\s*(?:https?://)?(?:[A-Za-z0-9-]+\.)*?([A-Za-z0-9-]+)\.qualtrics\.com",
    re.IGNORECASE,
)
DATACENTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")

Timeout = float | tuple[float, float]
Hook = Callable[["CallRecord"], None]


def mask_token(token: str) -> str:
    """What may be shown of a token: its last four characters at most, and only for long tokens."""
    return "****" + token[-4:] if len(token) >= 16 else "****"


def format_datetime(value: datetime | date | str) -> str:
    """ISO 8601 in UTC with a ``Z``, as Qualtrics expects for send dates and expirations."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime(value.year, value.month, value.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _body(extra: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
    """A JSON body from snake_case keyword arguments: None values dropped, keys in camelCase."""
    body = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, datetime | date):
            value = format_datetime(value)
        body[_camel(name)] = value
    body.update(extra or {})
    return body


def _params(**fields: Any) -> dict[str, str]:
    """Query parameters: None dropped, booleans as Qualtrics spells them, keys in camelCase."""
    out = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime | date):
            value = format_datetime(value)
        out[_camel(name)] = str(value)
    return out


def _timeout_pair(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, int | float):
        return (float(timeout), float(timeout))
    connect, read = timeout
    return (float(connect), float(read))


def _with_id(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Reminder and thank-you creation may name the new ID ``distributionId``; expose it as ``id``."""
    if isinstance(result, dict) and "id" not in result and "distributionId" in result:
        return {**result, "id": result["distributionId"]}
    return result


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


# Request bodies (keys exactly as Qualtrics spells them) -------------------------------------------


class MessageRef(TypedDict, total=False):
    libraryId: str
    messageId: str
    messageText: str


class Recipients(TypedDict, total=False):
    mailingListId: str
    contactId: str
    sampleId: str
    transactionBatchId: str
    transactionId: str


class EmailHeader(TypedDict, total=False):
    fromEmail: str
    fromName: str
    replyToEmail: str
    subject: str


class SurveyLink(TypedDict, total=False):
    surveyId: str
    expirationDate: str
    type: Literal["Individual", "Multiple", "Anonymous"]


class ContactFilter(TypedDict, total=False):
    filterType: str
    comparison: str
    value: Any


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


class QualtricsClient:
    """Calls Qualtrics API v3 for one connection. Every method returns the envelope's ``result``."""

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
    ) -> None:
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
        self.timeout = _timeout_pair(timeout)
        self._owns_session = session is None
        self.session = session if session is not None else self._new_session()
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.brand_key = brand_key
        self.hooks: tuple[Hook, ...] = tuple(hooks)
        self.user_agent = user_agent
        self.datacenter: str | None = None
        self.last_meta: dict[str, Any] | None = None
        self.last_notice: str | None = None
        self.suggested_datacenter: str | None = None

    @classmethod
    def for_datacenter(
        cls,
        datacenter: str,
        token: str,
        *,
        base_url_template: str = DEFAULT_BASE_URL_TEMPLATE,
        **kwargs: Any,
    ) -> QualtricsClient:
        """A client for ``https://{datacenter}.qualtrics.com/API/v3`` (or another template)."""
        if not isinstance(datacenter, str) or not DATACENTER_ID.fullmatch(datacenter):
            raise ValueError("a datacenter ID is letters, digits and dashes, such as iad1 or fra1")
        if "{datacenter}" not in base_url_template:
            raise ValueError("base_url_template must contain {datacenter}")
        client = cls(base_url_template.replace("{datacenter}", datacenter), token, **kwargs)
        client.datacenter = datacenter
        return client

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        limiter: RateLimiter | None = None,
        brand_key: str | None = None,
        hooks: Sequence[Hook] | None = None,
    ) -> QualtricsClient:
        """A copy sharing this client's session (and its pool) with some options changed."""
        clone = copy.copy(self)
        clone._owns_session = False
        if retry is not None:
            clone.retry = retry
        if timeout is not None:
            clone.timeout = _timeout_pair(timeout)
        if limiter is not None:
            clone.limiter = limiter
        if brand_key is not None:
            clone.brand_key = brand_key
        if hooks is not None:
            clone.hooks = tuple(hooks)
        if clone.limiter is not None and not clone.brand_key:
            raise ValueError("brand_key is required with a limiter (the budget is per brand)")
        clone.last_meta = None
        clone.last_notice = None
        return clone

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> QualtricsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<QualtricsClient base_url={self.base_url!r} token={mask_token(self._token)!r}>"

    @property
    def masked_token(self) -> str:
        return mask_token(self._token)

    # Where a call may go ---------------------------------------------------------------------------

    @staticmethod
    def _segment(value: str, what: str = "ID") -> str:
        """One path segment from a caller-supplied ID, refused if it could change the route."""
        if not isinstance(value, str) or not value:
            raise UnsafeRequestError(f"the {what} is empty")
        if value in (".", "..") or any(ch in value for ch in "/\\?#") or not value.isprintable():
            raise UnsafeRequestError(f"the {what} {value[:60]!r} is not a valid Qualtrics ID")
        return quote(value, safe="")

    def _path(self, *segments: str) -> str:
        return "/" + "/".join(segments)

    def _check_relative_path(self, path: str) -> str:
        if not isinstance(path, str) or not path.strip("/"):
            raise UnsafeRequestError("the path is empty")
        if not path.isprintable() or any(ch in path for ch in " \\?#"):
            raise UnsafeRequestError("the path may only hold path segments (pass query parameters separately)")
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or path.startswith("//"):
            raise UnsafeRequestError("absolute URLs are not allowed; give a path relative to the API")
        lowered = path.lower()
        if "%2f" in lowered or "%5c" in lowered:
            raise UnsafeRequestError("encoded slashes are not allowed in a path")
        segments = path.strip("/").split("/")
        if any(unquote(segment) in (".", "..", "") for segment in segments):
            raise UnsafeRequestError("'.', '..' and empty segments are not allowed in a path")
        return "/" + "/".join(segments)

    def _check_page_url(self, url: str) -> str:
        """The path (relative to the base) of a page URL Qualtrics returned, if it stays at home."""
        if not isinstance(url, str) or not url.isprintable() or "\\" in url:
            raise UnsafeRequestError("the page URL is not a URL")
        parts = urlsplit(url)
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
        if parts.scheme != self._scheme or (parts.hostname or "").lower() != self._host or port != self._port:
            raise UnsafeRequestError("the page URL points at another host than the connection's")
        if parts.username or parts.password or parts.fragment:
            raise UnsafeRequestError("the page URL carries credentials or a fragment")
        if not parts.path.startswith(self._base_path + "/"):
            raise UnsafeRequestError("the page URL leaves the connection's API path")
        return self._check_relative_path(parts.path[len(self._base_path) :])

    def _timeout_for(self, path: str, override: Timeout | None) -> tuple[float, float]:
        if override is not None:
            return _timeout_pair(override)
        connect, read = self.timeout
        if path == "/distributions/sms" or path.startswith("/distributions/sms/"):
            read = max(read, SMS_READ_TIMEOUT)
        return (connect, read)

    # Sending ---------------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, mask_token(self._token)) if text else text

    def _note_meta(self, meta: dict[str, Any]) -> None:
        self.last_meta = meta
        notice = meta.get("notice")
        self.last_notice = notice if isinstance(notice, str) and notice else None
        if self.last_notice:
            found = PROXIED_NOTICE.search(self.last_notice)
            if found:
                self.suggested_datacenter = found.group(1).lower()

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
        if isinstance(exc, requests.ConnectTimeout):
            return QualtricsTimeoutError(
                f"no connection in time, so nothing was sent ({detail})",
                may_have_reached_server=False,
                method=method,
                path=path,
            )
        if isinstance(exc, requests.Timeout):
            return QualtricsTimeoutError(
                f"no answer in time; Qualtrics may still have acted on the call ({detail})",
                may_have_reached_server=True,
                method=method,
                path=path,
            )
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            if _never_connected(exc):
                return ConnectionFailedError(
                    f"could not connect, so nothing was sent ({detail})",
                    may_have_reached_server=False,
                    method=method,
                    path=path,
                )
            if _timed_out_reading(exc):
                return QualtricsTimeoutError(
                    f"the answer stopped coming in time ({detail})",
                    may_have_reached_server=True,
                    method=method,
                    path=path,
                )
            return ConnectionFailedError(
                f"the connection broke; Qualtrics may have received the call ({detail})",
                may_have_reached_server=True,
                method=method,
                path=path,
            )
        return ConnectionFailedError(f"the request could not be made ({detail})", method=method, path=path)

    @staticmethod
    def _decode(text: str) -> dict[str, Any] | None:
        if not text.strip():
            return None
        try:
            decoded = jsonlib.loads(text)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def _read(self, response: requests.Response, method: str, path: str, raw: bool) -> Any:
        """The ``result`` of a successful answer (bytes for a file), or the typed error raised."""
        status = response.status_code
        text = ""
        envelope = None
        if not raw or status >= 300:
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
            raise error_from_envelope(
                status,
                envelope,
                method=method,
                path=path,
                reason=response.reason or "",
                body_excerpt=text if envelope is None else "",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 300:
            raise InvalidResponseError(
                "Qualtrics answered with a redirect, which the client does not follow",
                status=status,
                method=method,
                path=path,
            )
        if raw:
            return response.content
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
        raw: bool,
    ) -> Any:
        self._take_slot(method, path, policy)
        headers = {
            "X-API-TOKEN": self._token,
            "Accept": "*/*" if raw else "application/json",
            "User-Agent": self.user_agent,
        }
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = self._connection_error(exc, method, path)
            self._record(method, path, None, started, attempt, error=error)
            logger.info("%s %s failed: %s", method, path, error.message)
            raise error from exc
        try:
            result = self._read(response, method, path, raw)
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
        raw: bool = False,
        is_page_url: bool = False,
        idempotent: bool | None = None,
    ) -> Any:
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise UnsafeRequestError(f"HTTP method {method[:20]!r} is not allowed")
        if is_page_url:
            path = self._check_page_url(target)
            url = target
        else:
            path = self._check_relative_path(target)
            url = self.base_url + path
        query = {k: v for k, v in (params or {}).items() if v is not None} or None
        policy = retry or self.retry
        timeouts = self._timeout_for(path, timeout)
        maybe_done = False

        def attempt_fn(attempt: int) -> Any:
            nonlocal maybe_done
            try:
                return self._attempt(
                    method,
                    url,
                    path,
                    params=query,
                    json=json,
                    timeout=timeouts,
                    attempt=attempt,
                    policy=policy,
                    raw=raw,
                )
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

    # Generic calls ---------------------------------------------------------------------------------

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

        ``retry`` overrides the client's policy for this call (``RetryPolicy.none()`` in Celery tasks).
        """
        return self._send(method, path, params=params, json=json, retry=retry, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        """Any authorised API call, confined to this connection's API: absolute URLs, ``..`` and
        encoded slashes are refused."""
        return self._send(method, path, params=params, json=json, retry=retry, timeout=timeout)

    def get_page(self, page_url: str) -> Page:
        """Fetch a ``nextPage`` URL handed back by Qualtrics (same host and base path only)."""
        return page_from_result(self._send("GET", page_url, is_page_url=True))

    def _page(self, path: str, params: Mapping[str, Any] | None, page_url: str | None) -> Page:
        if page_url:
            return self.get_page(page_url)
        return page_from_result(self._send("GET", path, params=params))

    def _iter(self, path: str, params: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
        return iterate(lambda cursor: self._page(path, params, cursor))

    # Account ---------------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """The user behind the token: brandId, userId, userName, accountType, datacenter…"""
        return self._send("GET", "/whoami")

    # Directories -----------------------------------------------------------------------------------

    def list_directories(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page("/directories", _params(page_size=size), page_url)

    def iter_directories(self) -> Iterator[dict[str, Any]]:
        return self._iter("/directories", None)

    # Directory contacts ----------------------------------------------------------------------------

    def _contacts_path(self, directory_id: str, *rest: str) -> str:
        return self._path("directories", self._segment(directory_id, "directory ID"), "contacts", *rest)

    def list_directory_contacts(
        self,
        directory_id: str,
        *,
        page_size: int = 50,
        page_url: str | None = None,
        include_embedded: bool | None = None,
    ) -> Page:
        params = _params(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )
        return self._page(self._contacts_path(directory_id), params, page_url)

    def iter_directory_contacts(
        self, directory_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, include_embedded: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        params = _params(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )
        return self._iter(self._contacts_path(directory_id), params)

    def search_directory_contacts(
        self,
        directory_id: str,
        *,
        filter: ContactFilter | Mapping[str, Any],
        page_size: int = DEFAULT_PAGE_SIZE,
        skip_token: str | None = None,
        include_embedded: bool | None = None,
        include_segments: bool | None = None,
    ) -> Page:
        """One page of a contact search; ``next_page`` is the skip token for the following page.

        Qualtrics refuses (400) to page past 10,000 results; export contacts for more.
        """
        params = _params(
            page_size=clamp_page_size(page_size),
            skip_token=skip_token,
            include_embedded=include_embedded,
            include_segments=include_segments,
        )
        result = self._send(
            "POST",
            self._contacts_path(directory_id, "search"),
            params=params,
            json={"filter": dict(filter)},
            idempotent=True,
        )
        page = page_from_result(result, next_key="skipToken")
        if page.next_page is None and isinstance(result, dict) and result.get("nextPage"):
            tokens = parse_qs(urlsplit(str(result["nextPage"])).query).get("skipToken")
            page = Page(page.elements, tokens[0] if tokens else None)
        return page

    def iter_search_directory_contacts(
        self,
        directory_id: str,
        *,
        filter: ContactFilter | Mapping[str, Any],
        page_size: int = DEFAULT_PAGE_SIZE,
        include_embedded: bool | None = None,
        include_segments: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        return iterate(
            lambda token: self.search_directory_contacts(
                directory_id,
                filter=filter,
                page_size=page_size,
                skip_token=token,
                include_embedded=include_embedded,
                include_segments=include_segments,
            )
        )

    def get_directory_contact(self, directory_id: str, contact_id: str) -> dict[str, Any]:
        return self._send("GET", self._contacts_path(directory_id, self._segment(contact_id, "contact ID")))

    def create_directory_contact(
        self,
        directory_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a directory contact; the result is ``{"id": "CID_..."}``."""
        body = _body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
        )
        return self._send("POST", self._contacts_path(directory_id), json=body)

    def update_directory_contact(
        self,
        directory_id: str,
        contact_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Change the given fields only."""
        body = _body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
        )
        path = self._contacts_path(directory_id, self._segment(contact_id, "contact ID"))
        return self._send("PUT", path, json=body)

    def delete_directory_contact(self, directory_id: str, contact_id: str) -> None:
        """Delete the contact from the directory, and so from all its mailing lists."""
        self._send("DELETE", self._contacts_path(directory_id, self._segment(contact_id, "contact ID")))

    def list_directory_opted_out_contacts(
        self, directory_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, page_url: str | None = None
    ) -> Page:
        params = _params(page_size=clamp_page_size(page_size))
        return self._page(self._contacts_path(directory_id, "optedOutContacts"), params, page_url)

    def iter_directory_opted_out_contacts(
        self, directory_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        params = _params(page_size=clamp_page_size(page_size))
        return self._iter(self._contacts_path(directory_id, "optedOutContacts"), params)

    # Mailing lists ---------------------------------------------------------------------------------

    def _lists_path(self, directory_id: str, *rest: str) -> str:
        return self._path("directories", self._segment(directory_id, "directory ID"), "mailinglists", *rest)

    def _list_path(self, directory_id: str, mailing_list_id: str, *rest: str) -> str:
        return self._lists_path(directory_id, self._segment(mailing_list_id, "mailing list ID"), *rest)

    def list_mailing_lists(
        self,
        directory_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_url: str | None = None,
        owner_id: str | None = None,
        include_count: bool | None = None,
    ) -> Page:
        params = _params(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            owner_id=owner_id,
            include_count=include_count,
        )
        return self._page(self._lists_path(directory_id), params, page_url)

    def iter_mailing_lists(
        self,
        directory_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        owner_id: str | None = None,
        include_count: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        params = _params(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            owner_id=owner_id,
            include_count=include_count,
        )
        return self._iter(self._lists_path(directory_id), params)

    def get_mailing_list(
        self, directory_id: str, mailing_list_id: str, *, include_count: bool | None = None
    ) -> dict[str, Any]:
        return self._send(
            "GET", self._list_path(directory_id, mailing_list_id), params=_params(include_count=include_count)
        )

    def create_mailing_list(
        self,
        directory_id: str,
        *,
        name: str,
        owner_id: str | None = None,
        prioritize_list_metadata: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a list; ``owner_id`` may be a group (``GR_``) to share it. Result ``{"id": "CG_..."}``."""
        body = _body(extra, name=name, owner_id=owner_id, prioritize_list_metadata=prioritize_list_metadata)
        return self._send("POST", self._lists_path(directory_id), json=body)

    def update_mailing_list(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        name: str | None = None,
        owner_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        body = _body(extra, name=name, owner_id=owner_id)
        return self._send("PUT", self._list_path(directory_id, mailing_list_id), json=body)

    def delete_mailing_list(self, directory_id: str, mailing_list_id: str) -> None:
        self._send("DELETE", self._list_path(directory_id, mailing_list_id))

    # Mailing-list contacts -------------------------------------------------------------------------

    def list_mailing_list_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        page_url: str | None = None,
        include_embedded: bool | None = None,
    ) -> Page:
        params = _params(
            page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )
        return self._page(self._list_path(directory_id, mailing_list_id, "contacts"), params, page_url)

    def iter_mailing_list_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        include_embedded: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        params = _params(
            page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )
        return self._iter(self._list_path(directory_id, mailing_list_id, "contacts"), params)

    def get_mailing_list_contact(self, directory_id: str, mailing_list_id: str, contact_id: str) -> dict[str, Any]:
        path = self._list_path(directory_id, mailing_list_id, "contacts", self._segment(contact_id, "contact ID"))
        return self._send("GET", path)

    def create_mailing_list_contact(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        private_embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Put a contact on a list. This always creates a new directory contact too (search by
        ``extRef`` first to avoid duplicates). Result ``{"id": "CID_...", "contactLookupId": "CGC_..."}``.
        """
        body = _body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
            private_embedded_data=private_embedded_data,
        )
        return self._send("POST", self._list_path(directory_id, mailing_list_id, "contacts"), json=body)

    def update_mailing_list_contact(
        self,
        directory_id: str,
        mailing_list_id: str,
        contact_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Change the given fields; ``unsubscribed`` here is the list-level opt-out."""
        body = _body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
        )
        path = self._list_path(directory_id, mailing_list_id, "contacts", self._segment(contact_id, "contact ID"))
        return self._send("PUT", path, json=body)

    def delete_mailing_list_contact(self, directory_id: str, mailing_list_id: str, contact_id: str) -> None:
        """Remove the contact from the list; the directory contact stays."""
        path = self._list_path(directory_id, mailing_list_id, "contacts", self._segment(contact_id, "contact ID"))
        self._send("DELETE", path)

    def list_mailing_list_bounced_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
        page_url: str | None = None,
    ) -> Page:
        params = _params(page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE), since=since)
        return self._page(self._list_path(directory_id, mailing_list_id, "bouncedContacts"), params, page_url)

    def iter_mailing_list_bounced_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        params = _params(page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE), since=since)
        return self._iter(self._list_path(directory_id, mailing_list_id, "bouncedContacts"), params)

    def list_mailing_list_opted_out_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
        page_url: str | None = None,
    ) -> Page:
        params = _params(page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE), since=since)
        return self._page(self._list_path(directory_id, mailing_list_id, "optedOutContacts"), params, page_url)

    def iter_mailing_list_opted_out_contacts(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        params = _params(page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE), since=since)
        return self._iter(self._list_path(directory_id, mailing_list_id, "optedOutContacts"), params)

    # Bulk import and transactions ------------------------------------------------------------------

    def start_transaction_contacts_import(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        contacts: Sequence[Mapping[str, Any]],
        transaction_meta: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start an asynchronous import of contacts (keys as Qualtrics spells them) into a list.

        ``transaction_meta`` is ``{"batchId": ..., "fields": [...]}`` to put the contacts'
        transactions into a transaction batch. The result holds the import ``id`` to poll.
        """
        body: dict[str, Any] = {"contacts": [dict(contact) for contact in contacts]}
        if transaction_meta is not None:
            body["transactionMeta"] = dict(transaction_meta)
        path = self._list_path(directory_id, mailing_list_id, "transactioncontacts")
        return self._send("POST", path, json=body)

    def get_transaction_contacts_import(
        self, directory_id: str, mailing_list_id: str, import_id: str
    ) -> dict[str, Any]:
        """Progress of an import: ``percentComplete``, ``status`` ("complete" when done), counts."""
        path = self._list_path(
            directory_id, mailing_list_id, "transactioncontacts", self._segment(import_id, "import ID")
        )
        return self._send("GET", path)

    def get_transaction_contacts_import_summary(
        self, directory_id: str, mailing_list_id: str, import_id: str
    ) -> dict[str, Any]:
        path = self._list_path(
            directory_id,
            mailing_list_id,
            "transactioncontacts",
            self._segment(import_id, "import ID"),
            "summary",
        )
        return self._send("GET", path)

    def create_transaction_batch(
        self,
        directory_id: str,
        *,
        transaction_ids: Sequence[str] = (),
        creation_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a transaction batch (empty, or with the given transactions); result ``{"id": ...}``."""
        body = _body(
            extra,
            transaction_ids=list(transaction_ids),
            creation_date=creation_date or datetime.now(UTC),
        )
        path = self._path("directories", self._segment(directory_id, "directory ID"), "transactionbatches")
        return self._send("POST", path, json=body)

    # Users -----------------------------------------------------------------------------------------

    def _user_path(self, user_id: str, *rest: str) -> str:
        return self._path("users", self._segment(user_id, "user ID"), *rest)

    def list_users(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page("/users", _params(page_size=size), page_url)

    def iter_users(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._iter("/users", _params(page_size=size))

    def get_user(self, user_id: str) -> dict[str, Any]:
        return self._send("GET", self._user_path(user_id))

    def create_user(
        self,
        *,
        username: str,
        first_name: str,
        last_name: str,
        user_type: str,
        email: str,
        password: str,
        language: str = "en",
        time_zone: str | None = None,
        division_id: str | None = None,
        account_expiration_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a user (brand administrators only); result ``{"id": "UR_..."}``."""
        body = _body(
            extra,
            username=username,
            first_name=first_name,
            last_name=last_name,
            user_type=user_type,
            email=email,
            password=password,
            language=language,
            time_zone=time_zone,
            division_id=division_id,
            account_expiration_date=account_expiration_date,
        )
        return self._send("POST", "/users", json=body)

    def update_user(
        self,
        user_id: str,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        user_type: str | None = None,
        email: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
        division_id: str | None = None,
        account_expiration_date: datetime | str | None = None,
        status: str | None = None,
        permissions: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        body = _body(
            extra,
            username=username,
            first_name=first_name,
            last_name=last_name,
            user_type=user_type,
            email=email,
            language=language,
            time_zone=time_zone,
            division_id=division_id,
            account_expiration_date=account_expiration_date,
            status=status,
            permissions=permissions,
        )
        return self._send("PUT", self._user_path(user_id), json=body)

    def delete_user(self, user_id: str) -> None:
        self._send("DELETE", self._user_path(user_id))

    def get_user_api_token(self, user_id: str) -> dict[str, Any]:
        """``{"apiToken": ...}``; Qualtrics answers 400 when the user has no token yet."""
        return self._send("GET", self._user_path(user_id, "apitoken"))

    def create_user_api_token(self, user_id: str) -> dict[str, Any]:
        """Create or rotate the user's token (the old one stops working); ``{"apiToken": ...}``."""
        return self._send("POST", self._user_path(user_id, "apitoken"))

    # Groups ----------------------------------------------------------------------------------------

    def _group_path(self, group_id: str, *rest: str) -> str:
        return self._path("groups", self._segment(group_id, "group ID"), *rest)

    def list_groups(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page("/groups", _params(page_size=size), page_url)

    def iter_groups(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._iter("/groups", _params(page_size=size))

    def get_group(self, group_id: str) -> dict[str, Any]:
        return self._send("GET", self._group_path(group_id))

    def create_group(
        self,
        *,
        group_type: str,
        name: str,
        division_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a group of an existing group type; result ``{"id": "GR_..."}``."""
        body = _body(extra, type=group_type, name=name, division_id=division_id)
        return self._send("POST", "/groups", json=body)

    def update_group(
        self,
        group_id: str,
        *,
        group_type: str | None = None,
        name: str | None = None,
        division_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        body = _body(extra, type=group_type, name=name, division_id=division_id)
        return self._send("PUT", self._group_path(group_id), json=body)

    def delete_group(self, group_id: str) -> None:
        self._send("DELETE", self._group_path(group_id))

    def list_group_members(self, group_id: str, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page(self._group_path(group_id, "members"), _params(page_size=size), page_url)

    def iter_group_members(self, group_id: str, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._iter(self._group_path(group_id, "members"), _params(page_size=size))

    def add_group_member(self, group_id: str, *, user_id: str) -> dict[str, Any] | None:
        return self._send("POST", self._group_path(group_id, "members"), json={"userId": user_id})

    def remove_group_member(self, group_id: str, user_id: str) -> None:
        self._send("DELETE", self._group_path(group_id, "members", self._segment(user_id, "user ID")))

    # Libraries and messages ------------------------------------------------------------------------

    def list_libraries(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page("/libraries", _params(page_size=size), page_url)

    def iter_libraries(self) -> Iterator[dict[str, Any]]:
        return self._iter("/libraries", None)

    def _messages_path(self, library_id: str, *rest: str) -> str:
        return self._path("libraries", self._segment(library_id, "library ID"), "messages", *rest)

    def list_library_messages(
        self,
        library_id: str,
        *,
        category: str | None = None,
        page_size: int | None = None,
        page_url: str | None = None,
    ) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        params = _params(category=category, page_size=size)
        return self._page(self._messages_path(library_id), params, page_url)

    def iter_library_messages(self, library_id: str, *, category: str | None = None) -> Iterator[dict[str, Any]]:
        return self._iter(self._messages_path(library_id), _params(category=category))

    def get_library_message(self, library_id: str, message_id: str) -> dict[str, Any]:
        return self._send("GET", self._messages_path(library_id, self._segment(message_id, "message ID")))

    # Surveys ---------------------------------------------------------------------------------------

    def list_surveys(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page("/surveys", _params(page_size=size), page_url)

    def iter_surveys(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._iter("/surveys", _params(page_size=size))

    def get_survey(self, survey_id: str) -> dict[str, Any]:
        return self._send("GET", self._path("surveys", self._segment(survey_id, "survey ID")))

    def update_survey(
        self,
        survey_id: str,
        *,
        name: str | None = None,
        is_active: bool | None = None,
        expiration: Mapping[str, Any] | None = None,
        owner_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Rename, activate/deactivate, set ``{"startDate", "endDate"}`` expiration or change owner."""
        body = _body(
            extra,
            name=name,
            is_active=is_active,
            expiration=dict(expiration) if expiration is not None else None,
            owner_id=owner_id,
        )
        return self._send("PUT", self._path("surveys", self._segment(survey_id, "survey ID")), json=body)

    # E-mail distributions --------------------------------------------------------------------------

    def _distribution_path(self, distribution_id: str, *rest: str) -> str:
        return self._path("distributions", self._segment(distribution_id, "distribution ID"), *rest)

    def create_distribution(
        self,
        *,
        message: MessageRef | Mapping[str, Any],
        recipients: Recipients | Mapping[str, Any],
        header: EmailHeader | Mapping[str, Any],
        send_date: datetime | str,
        survey_link: SurveyLink | Mapping[str, Any] | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send (or schedule, with a future ``send_date``) an e-mail; result ``{"id": "EMD_..."}``.

        ``recipients`` names exactly one target: a mailing list (optionally with a ``CGC_`` contact
        lookup ID or a sample), or a transaction batch alone. Omit ``survey_link`` for a plain e-mail.
        """
        body = _body(
            extra,
            message=dict(message),
            recipients=dict(recipients),
            header=dict(header),
            survey_link=dict(survey_link) if survey_link is not None else None,
            send_date=format_datetime(send_date),
            embedded_data=embedded_data,
        )
        return self._send("POST", "/distributions", json=body)

    def generate_distribution_links(
        self,
        *,
        survey_id: str,
        description: str,
        mailing_list_id: str | None = None,
        transaction_batch_id: str | None = None,
        link_type: str = "Individual",
        expiration_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create personal survey links without sending e-mail (for a list or a transaction batch)."""
        if (mailing_list_id is None) == (transaction_batch_id is None):
            raise ValueError("give exactly one of mailing_list_id and transaction_batch_id")
        action = "CreateDistribution" if mailing_list_id else "CreateTransactionBatchDistribution"
        body = _body(
            extra,
            action=action,
            survey_id=survey_id,
            link_type=link_type,
            description=description,
            expiration_date=expiration_date,
            mailing_list_id=mailing_list_id,
            transaction_batch_id=transaction_batch_id,
        )
        return self._send("POST", "/distributions", json=body)

    def list_distributions(
        self,
        *,
        survey_id: str,
        mailing_list_id: str | None = None,
        distribution_request_type: str | None = None,
        send_start_date: datetime | str | None = None,
        send_end_date: datetime | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_url: str | None = None,
    ) -> Page:
        params = _params(
            survey_id=survey_id,
            mailing_list_id=mailing_list_id,
            distribution_request_type=distribution_request_type,
            send_start_date=send_start_date,
            send_end_date=send_end_date,
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
        )
        return self._page("/distributions", params, page_url)

    def iter_distributions(
        self,
        *,
        survey_id: str,
        mailing_list_id: str | None = None,
        distribution_request_type: str | None = None,
        send_start_date: datetime | str | None = None,
        send_end_date: datetime | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        params = _params(
            survey_id=survey_id,
            mailing_list_id=mailing_list_id,
            distribution_request_type=distribution_request_type,
            send_start_date=send_start_date,
            send_end_date=send_end_date,
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
        )
        return self._iter("/distributions", params)

    def get_distribution(self, distribution_id: str, *, survey_id: str) -> dict[str, Any]:
        """One distribution with its ``stats`` (sent, opened, finished…)."""
        return self._send("GET", self._distribution_path(distribution_id), params=_params(survey_id=survey_id))

    def delete_distribution(self, distribution_id: str) -> None:
        """Delete the distribution (a scheduled one is cancelled)."""
        self._send("DELETE", self._distribution_path(distribution_id))

    def list_distribution_history(
        self, distribution_id: str, *, page_size: int | None = None, page_url: str | None = None
    ) -> Page:
        """Per-recipient status. Its route allows only 300 calls a minute: prefer ``stats``."""
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._page(self._distribution_path(distribution_id, "history"), _params(page_size=size), page_url)

    def iter_distribution_history(
        self, distribution_id: str, *, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        return self._iter(self._distribution_path(distribution_id, "history"), _params(page_size=size))

    def list_distribution_links(
        self,
        distribution_id: str,
        *,
        survey_id: str,
        page_size: int | None = None,
        page_url: str | None = None,
    ) -> Page:
        """Personal links of a distribution. Reading them updates contact-frequency state."""
        size = clamp_page_size(page_size) if page_size is not None else None
        params = _params(survey_id=survey_id, page_size=size)
        return self._page(self._distribution_path(distribution_id, "links"), params, page_url)

    def iter_distribution_links(
        self, distribution_id: str, *, survey_id: str, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        size = clamp_page_size(page_size) if page_size is not None else None
        params = _params(survey_id=survey_id, page_size=size)
        return self._iter(self._distribution_path(distribution_id, "links"), params)

    def _follow_up(
        self,
        kind: str,
        parent_distribution_id: str,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body = _body(
            extra,
            header=dict(header),
            message=dict(message),
            send_date=format_datetime(send_date),
            embedded_data=embedded_data,
        )
        return _with_id(self._send("POST", self._distribution_path(parent_distribution_id, kind), json=body))

    def create_reminder(
        self,
        parent_distribution_id: str,
        *,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A reminder to the parent's recipients who have not finished; result has ``id``."""
        return self._follow_up("reminders", parent_distribution_id, header, message, send_date, embedded_data, extra)

    def create_thank_you(
        self,
        parent_distribution_id: str,
        *,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A thank-you to the parent's recipients who finished; result has ``id``."""
        return self._follow_up("thankyous", parent_distribution_id, header, message, send_date, embedded_data, extra)

    # SMS distributions -----------------------------------------------------------------------------

    def create_sms_distribution(
        self,
        *,
        survey_id: str,
        name: str,
        send_date: datetime | str,
        method: Literal["Invite", "Interactive", "Reminder", "Thankyou", "ThankYou"] | str,
        recipients: Recipients | Mapping[str, Any] | None = None,
        message: MessageRef | Mapping[str, Any] | None = None,
        parent_distribution_id: str | None = None,
        survey_link_expiration_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Invite and Interactive need ``recipients``; Reminder and Thankyou need the parent
        distribution and no recipients; Interactive takes no ``message``. Result is the distribution.
        """
        body = _body(
            extra,
            survey_id=survey_id,
            name=name,
            send_date=format_datetime(send_date),
            method=method,
            recipients=dict(recipients) if recipients is not None else None,
            message=dict(message) if message is not None else None,
            parent_distribution_id=parent_distribution_id,
            survey_link_expiration_date=survey_link_expiration_date,
        )
        return _with_id(self._send("POST", "/distributions/sms", json=body))

    def list_sms_distributions(
        self, *, survey_id: str, page_size: int = DEFAULT_PAGE_SIZE, page_url: str | None = None
    ) -> Page:
        params = _params(survey_id=survey_id, page_size=clamp_page_size(page_size))
        return self._page("/distributions/sms", params, page_url)

    def iter_sms_distributions(self, *, survey_id: str, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        params = _params(survey_id=survey_id, page_size=clamp_page_size(page_size))
        return self._iter("/distributions/sms", params)

    def get_sms_distribution(self, sms_distribution_id: str, *, survey_id: str) -> dict[str, Any]:
        path = self._path("distributions", "sms", self._segment(sms_distribution_id, "SMS distribution ID"))
        return self._send("GET", path, params=_params(survey_id=survey_id))

    def delete_sms_distribution(self, sms_distribution_id: str) -> None:
        path = self._path("distributions", "sms", self._segment(sms_distribution_id, "SMS distribution ID"))
        self._send("DELETE", path)

    # Event subscriptions ---------------------------------------------------------------------------

    def list_event_subscriptions(self, *, page_url: str | None = None) -> Page:
        return self._page("/eventsubscriptions", None, page_url)

    def iter_event_subscriptions(self) -> Iterator[dict[str, Any]]:
        return self._iter("/eventsubscriptions", None)

    def create_event_subscription(
        self,
        *,
        topics: str,
        publication_url: str,
        encrypt: bool = False,
        shared_key: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Subscribe ``publication_url`` to ``topics`` (brand administrators only); ``{"id": "SUB_..."}``.

        With ``shared_key`` each delivery carries an HMAC-SHA512 of its ``MSG`` field.
        """
        body = _body(extra, topics=topics, publication_url=publication_url, encrypt=encrypt, shared_key=shared_key)
        return self._send("POST", "/eventsubscriptions", json=body)

    def get_event_subscription(self, subscription_id: str) -> dict[str, Any]:
        path = self._path("eventsubscriptions", self._segment(subscription_id, "subscription ID"))
        return self._send("GET", path)

    def delete_event_subscription(self, subscription_id: str) -> None:
        path = self._path("eventsubscriptions", self._segment(subscription_id, "subscription ID"))
        self._send("DELETE", path)

    # Response exports ------------------------------------------------------------------------------

    def _export_path(self, survey_id: str, *rest: str) -> str:
        return self._path("surveys", self._segment(survey_id, "survey ID"), "export-responses", *rest)

    def start_response_export(
        self,
        survey_id: str,
        *,
        format: Literal["csv", "tsv", "spss", "json", "ndjson", "xml"] = "csv",
        compress: bool | None = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        limit: int | None = None,
        use_labels: bool | None = None,
        question_ids: Sequence[str] | None = None,
        embedded_data_ids: Sequence[str] | None = None,
        survey_metadata_ids: Sequence[str] | None = None,
        filter_id: str | None = None,
        time_zone: str | None = None,
        export_responses_in_progress: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start an export; the result's ``progressId`` is polled with ``get_response_export_progress``."""
        body = _body(
            extra,
            format=format,
            compress=compress,
            start_date=start_date,
            end_date=end_date,
            limit=limit,
            use_labels=use_labels,
            question_ids=list(question_ids) if question_ids is not None else None,
            embedded_data_ids=list(embedded_data_ids) if embedded_data_ids is not None else None,
            survey_metadata_ids=list(survey_metadata_ids) if survey_metadata_ids is not None else None,
            filter_id=filter_id,
            time_zone=time_zone,
            export_responses_in_progress=export_responses_in_progress,
        )
        return self._send("POST", self._export_path(survey_id), json=body)

    def get_response_export_progress(self, survey_id: str, progress_id: str) -> dict[str, Any]:
        """``{percentComplete, status ("inProgress" | "complete" | "failed"), fileId}``."""
        return self._send("GET", self._export_path(survey_id, self._segment(progress_id, "progress ID")))

    def download_response_export(self, survey_id: str, file_id: str) -> bytes:
        """The exported file as bytes (a zip unless the export asked for ``compress=False``)."""
        path = self._export_path(survey_id, self._segment(file_id, "file ID"), "file")
        return self._send("GET", path, raw=True)
