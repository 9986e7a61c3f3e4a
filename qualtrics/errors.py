"""Typed errors raised by the Qualtrics client.

Qualtrics wraps every answer in an envelope whose ``meta`` carries ``httpStatus`` (e.g. ``"400 - Bad
Request"``), a ``requestId`` and, on failure, ``error: {errorCode, errorMessage}``. The class of an
error is decided from both the HTTP status and ``meta.error``: a missing token comes back as HTTP 400
with code ``ATP_2`` and is an authentication problem, not a validation one.

No error ever holds the API token: the client scrubs every text before it builds one.
"""

from __future__ import annotations

from typing import Any

# Error codes that mean "who are you?" whatever HTTP status they arrive with.
AUTHENTICATION_CODES = frozenset({"ATP_2", "DCD_7", "AUTH_6.0"})
AUTHENTICATION_MESSAGE_MARKERS = ("Unrecognized X-API-TOKEN", "Expected authorization in headers")


class QualtricsError(Exception):
    """Base class of everything the client raises about a call."""

    default_message = "the Qualtrics call failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        notice: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.path = path
        self.notice = notice
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def is_transient(self) -> bool:
        """True when trying the same call again later may succeed."""
        return False

    @property
    def permanent(self) -> bool:
        return not self.is_transient

    def describe_call(self) -> str:
        if self.method and self.path:
            return f"{self.method} {self.path}"
        return "the call"

    def __str__(self) -> str:
        if self.status is not None:
            opening = f"Qualtrics answered {self.status} to {self.describe_call()}: {self.message}"
        else:
            opening = f"{self.describe_call()} failed: {self.message}"
        details = []
        if self.code:
            details.append(f"error code {self.code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if self.retry_after is not None:
            details.append(f"retry after {self.retry_after:g} s")
        return f"{opening} ({', '.join(details)})" if details else opening

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class AuthenticationError(QualtricsError):
    """The token is missing, unknown or revoked (401, or 400 with code ``ATP_2``)."""

    default_message = "the API token was not accepted"


class PermissionDeniedError(QualtricsError):
    """The token is valid but its user may not do this (403), e.g. a brand-admin-only route."""

    default_message = "the token's user is not allowed to do this"


class ClientRefusedError(AuthenticationError):
    """Qualtrics' token endpoint refused the OAuth client (``invalid_client``): a wrong or revoked client ID or
    secret, or a client whose owner was deactivated."""

    default_message = "the OAuth client was not accepted"


class MissingScopeError(PermissionDeniedError):
    """An OAuth bearer token whose client was not granted the scope this call needs. ``scope`` names it
    (``write:mailing_lists``)."""

    default_message = "the OAuth client lacks the scope this call needs"

    def __init__(self, message: str | None = None, *, scope: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scope = scope


class NotFoundError(QualtricsError):
    """Unknown route or unknown ID (404)."""

    default_message = "not found"


class BadRequestError(QualtricsError):
    """Qualtrics refused the request as invalid (400, 413, 422 and other 4xx)."""

    default_message = "the request was refused as invalid"


class InvalidScopeError(BadRequestError):
    """The token endpoint refused scopes the client was not created with (``invalid_scope``). ``scopes``
    lists them when Qualtrics named them."""

    default_message = "the OAuth client may not be granted these scopes"

    def __init__(self, message: str | None = None, *, scopes: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scopes = scopes


class RateLimitedError(QualtricsError):
    """Too many requests (429). ``retry_after`` is the wait in seconds when known."""

    default_message = "too many requests"

    @property
    def is_transient(self) -> bool:
        return True


class BudgetExhaustedError(RateLimitedError):
    """The portal's own rate budget for this brand or route is used up; no request was sent."""

    default_message = "the rate budget is used up"


class ServerError(QualtricsError):
    """Qualtrics failed (5xx). About 1% of these are considered normal by Qualtrics."""

    default_message = "Qualtrics had an internal error"

    @property
    def is_transient(self) -> bool:
        return True


class ConnectionFailedError(QualtricsError):
    """No usable answer came back: refused, reset, DNS failure, TLS failure.

    ``may_have_reached_server`` is False only when the request surely never left (the connection was
    never established), which is what decides whether a non-idempotent call can be sent again.
    """

    default_message = "could not reach Qualtrics"

    def __init__(self, message: str | None = None, *, may_have_reached_server: bool = True, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.may_have_reached_server = may_have_reached_server

    @property
    def is_transient(self) -> bool:
        return True


class QualtricsTimeoutError(ConnectionFailedError):
    """Connect timeout (never reached Qualtrics) or read timeout (it may have processed the call)."""

    default_message = "Qualtrics did not answer in time"


class InvalidResponseError(QualtricsError):
    """A successful status with a body that is not the expected JSON envelope."""

    default_message = "the answer was not a Qualtrics JSON envelope"


class UnsafeRequestError(QualtricsError, ValueError):
    """A path or page URL that would leave the connection's own API host or base path."""

    default_message = "the path is not allowed"


def status_from_meta(meta: dict[str, Any] | None) -> int | None:
    """Read the number out of ``meta.httpStatus`` (``"404 - Not Found"`` gives 404)."""
    if not isinstance(meta, dict):
        return None
    text = meta.get("httpStatus")
    if not isinstance(text, str):
        return None
    head = text.strip().split(" ", 1)[0]
    return int(head) if head.isascii() and head.isdigit() else None  # "²".isdigit() is true; int() refuses it


def error_class_for(status: int | None, code: str | None, message: str | None) -> type[QualtricsError]:
    """Pick the error class for an error answer, from ``meta.error`` first and then the status."""
    if code in AUTHENTICATION_CODES or (
        message and any(marker in message for marker in AUTHENTICATION_MESSAGE_MARKERS)
    ):
        return AuthenticationError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitedError
    if status is not None and status >= 500:
        return ServerError
    if status is not None and 400 <= status < 500:
        return BadRequestError
    return InvalidResponseError


def error_from_envelope(
    status: int,
    envelope: dict[str, Any] | None,
    *,
    method: str,
    path: str,
    reason: str = "",
    body_excerpt: str = "",
    retry_after: float | None = None,
) -> QualtricsError:
    """Build the error for an answer whose status or ``meta.error`` says it failed.

    ``envelope`` is the decoded JSON body, or None when the body was not JSON (an HTML 502 page from a
    proxy, for example); then the message falls back to the HTTP reason and an excerpt of the body.
    """
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    error = meta.get("error") if isinstance(meta.get("error"), dict) else {}
    code = error.get("errorCode") or None
    message = error.get("errorMessage") or None
    request_id = meta.get("requestId") or None
    notice = meta.get("notice") or None

    effective = status
    if status < 400:
        # A success status carrying meta.error: believe the envelope.
        effective = status_from_meta(meta) or 500
    if message is None:
        if envelope is None:
            excerpt = " ".join(body_excerpt.split())[:200]
            message = f"{reason or 'error'} (the body was not JSON{': ' + excerpt if excerpt else ''})"
        else:
            message = meta.get("httpStatus") or reason or None

    cls = error_class_for(effective, code, message)
    return cls(
        message,
        status=effective,
        code=code,
        request_id=request_id,
        method=method,
        path=path,
        notice=notice,
        retry_after=retry_after,
    )
