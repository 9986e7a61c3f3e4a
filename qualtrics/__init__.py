"""Qualtrics API v3 client: plain Python, usable from views, tasks and scripts alike."""

from .client import (
    DEFAULT_BASE_URL_TEMPLATE,
    SMS_READ_TIMEOUT,
    CallRecord,
    ContactFilter,
    EmailHeader,
    MessageRef,
    QualtricsClient,
    Recipients,
    SurveyLink,
    format_datetime,
    mask_token,
)
from .errors import (
    AuthenticationError,
    BadRequestError,
    BudgetExhaustedError,
    ConnectionFailedError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsError,
    QualtricsTimeoutError,
    RateLimitedError,
    ServerError,
    UnsafeRequestError,
)
from .pagination import Page
from .ratelimit import DEFAULT_ROUTE_BUDGETS, RateLimiter, RouteBudget
from .retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_BASE_URL_TEMPLATE",
    "DEFAULT_ROUTE_BUDGETS",
    "SMS_READ_TIMEOUT",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExhaustedError",
    "CallRecord",
    "ConnectionFailedError",
    "ContactFilter",
    "EmailHeader",
    "InvalidResponseError",
    "MessageRef",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "QualtricsClient",
    "QualtricsError",
    "QualtricsTimeoutError",
    "RateLimitedError",
    "RateLimiter",
    "Recipients",
    "RetryPolicy",
    "RouteBudget",
    "ServerError",
    "SurveyLink",
    "UnsafeRequestError",
    "format_datetime",
    "mask_token",
    "parse_retry_after",
]
