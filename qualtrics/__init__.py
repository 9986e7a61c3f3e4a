"""Qualtrics API v3 client: plain Python, usable from views, tasks and scripts alike.

Nothing here imports Django: settings reach the client as constructor arguments, and the shared rate
budget is kept in whatever store the caller hands the ``RateLimiter`` (the portal gives it its cache).
"""

from .bearer import Bearer
from .bodies import ContactFilter, EmailHeader, MessageRef, Recipients, SurveyLink, format_datetime
from .client import DEFAULT_BASE_URL_TEMPLATE, QualtricsClient
from .errors import (
    AuthenticationError,
    BadRequestError,
    BudgetExhaustedError,
    ClientRefusedError,
    ConnectionFailedError,
    InvalidResponseError,
    InvalidScopeError,
    MissingScopeError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsError,
    QualtricsTimeoutError,
    RateLimitedError,
    ServerError,
    UnsafeRequestError,
)
from .exchange import Exchange
from .http import (
    MAX_EVENT_BYTES,
    SMS_READ_TIMEOUT,
    CallRecord,
    datacenter_from_notice,
)
from .paging import Page
from .ratelimit import AtomicCounters, CounterBackend, FallbackRateLimiter, RateLimiter, StoreOutage
from .relay import Relayed, SizedBody
from .retry import RetryPolicy, parse_retry_after
from .route_budgets import DEFAULT_ROUTE_BUDGETS, RouteBudget
from .sessions import new_session
from .tokens import TOKEN_MASK, mask_token

__all__ = [
    "DEFAULT_BASE_URL_TEMPLATE",
    "DEFAULT_ROUTE_BUDGETS",
    "MAX_EVENT_BYTES",
    "SMS_READ_TIMEOUT",
    "TOKEN_MASK",
    "AtomicCounters",
    "AuthenticationError",
    "BadRequestError",
    "Bearer",
    "BudgetExhaustedError",
    "CallRecord",
    "ClientRefusedError",
    "ConnectionFailedError",
    "ContactFilter",
    "CounterBackend",
    "EmailHeader",
    "Exchange",
    "FallbackRateLimiter",
    "InvalidResponseError",
    "InvalidScopeError",
    "MessageRef",
    "MissingScopeError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "QualtricsClient",
    "QualtricsError",
    "QualtricsTimeoutError",
    "RateLimitedError",
    "RateLimiter",
    "Recipients",
    "Relayed",
    "RetryPolicy",
    "RouteBudget",
    "ServerError",
    "SizedBody",
    "StoreOutage",
    "SurveyLink",
    "UnsafeRequestError",
    "datacenter_from_notice",
    "format_datetime",
    "mask_token",
    "new_session",
    "parse_retry_after",
]
