"""The response envelope and the errors the API answers with.

Every JSON reply is `{"result": ..., "meta": {"httpStatus": "<code> - <reason>", "requestId": <uuid4>}}`;
errors carry `meta.error = {"errorMessage", "errorCode"}`. The codes `ATP_2`, `DCD_7`, `RP_9`, `RP_10`,
`SURVEYS_1.2` and `GS_1` are the ones Qualtrics is known to send; the remaining codes below are stand-ins
in the same style for cases whose real code is not documented.
"""

from __future__ import annotations

from typing import Any

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

MISSING_TOKEN = "ATP_2"
BAD_TOKEN = "DCD_7"
UNEXPECTED_KEY = "RP_9"
MISSING_PARAM = "RP_10"
INVALID_VALUE = "QVAL_1"
NOT_FOUND = "RP_0.4"
FORBIDDEN = "AUTH_1"
RATE_LIMITED = "RL_1"
PROXIED_EXPORT = "RP_0.2"
TRANSIENT_CODES = ("SURVEYS_1.2", "GS_1")


def http_status(code: int) -> str:
    return f"{code} - {REASONS.get(code, 'Unknown')}"


class ApiError(Exception):
    """An error answered in the envelope; handlers raise it anywhere below the dispatcher."""

    def __init__(self, status: int, message: str, code: str | None = INVALID_VALUE, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra
        self.headers: dict[str, str] = {}

    def error_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"errorMessage": self.message}
        if self.code:
            error["errorCode"] = self.code
        error.update(self.extra)
        return error


def bad_request(message: str, code: str = INVALID_VALUE) -> ApiError:
    return ApiError(400, message, code)


def not_found(kind: str, object_id: object) -> ApiError:
    return ApiError(404, f"Could not find {kind} with id {object_id}.", NOT_FOUND)


def forbidden(message: str = "You do not have permission to perform this action.") -> ApiError:
    return ApiError(403, message, FORBIDDEN)


def unexpected_key(key: str) -> ApiError:
    return ApiError(400, f"Unexpected json key provided: {key}", UNEXPECTED_KEY)


def missing_param(key: str) -> ApiError:
    return ApiError(400, f"Expected param not found: {key}", MISSING_PARAM)


def envelope(
    status: int,
    request_id: str,
    result: Any = None,
    *,
    include_result: bool = False,
    notice: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"httpStatus": http_status(status), "requestId": request_id}
    if notice:
        meta["notice"] = notice
    if error is not None:
        meta["error"] = error
    body: dict[str, Any] = {}
    if result is not None or include_result:
        body["result"] = result
    body["meta"] = meta
    return body
