"""Building the Qualtrics client for a connection: the only place a token is decrypted for use."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from requests.adapters import HTTPAdapter

from qualtrics import DEFAULT_ROUTE_BUDGETS, FallbackRateLimiter, QualtricsClient, RateLimiter, StoreOutage, new_session
from web import background
from web.cache import UNREACHABLE
from web.per_process import PerProcess

from .audit import QualtricsCallAuditor
from .crypto import decrypt_token
from .models import Connection
from .rate_store import rate_counters


class _LeavingAdapter(HTTPAdapter):
    """Tells a background read (web.background.start_request) when its request leaves."""

    def send(self, request, *args, **kwargs):
        background.request_sent()
        return super().send(request, *args, **kwargs)


def _new_shared_session():
    session = new_session(adapter_class=_LeavingAdapter)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


_session = PerProcess(_new_shared_session)


def shared_session():
    """One pooled HTTP session per process, shared by every client, so pages and tasks reuse
    connections (and TLS sessions) to Qualtrics instead of opening one per request.

    The token travels in each request's headers, never on the session, and cookies are refused, so
    nothing of one connection can reach another. A forked worker builds its own.
    """
    return _session.get()


_outage = PerProcess(StoreOutage)
_local_counters = PerProcess(lambda: LocMemCache("qualtrics-local-budget", {"OPTIONS": {"MAX_ENTRIES": 10000}}))


def shared_rate_limiter():
    """The per-brand rate budget, counted in the shared cache so every process draws on the same one.

    While the cache cannot be reached, each process counts against a local budget instead, a share
    (QUALTRICS_LOCAL_BUDGET_FRACTION) of the brand's, so that pages and sends carry on through a Redis
    outage without exceeding the brand's limit together.
    """
    budget = settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE
    fraction = settings.QUALTRICS_LOCAL_BUDGET_FRACTION
    local = RateLimiter(
        _local_counters.get(),
        brand_budget_per_minute=max(1, int(budget * fraction)),
        route_budgets={route.name: max(1, int(route.per_minute * fraction)) for route in DEFAULT_ROUTE_BUDGETS},
    )
    return FallbackRateLimiter(
        RateLimiter(rate_counters(cache), brand_budget_per_minute=budget),
        local,
        unavailable=UNREACHABLE,
        outage=_outage.get(),
    )


def api_base_url(connection: Connection) -> str:
    """Where the connection's API lives (``https://iad1.qualtrics.com/API/v3``, or the sandbox's)."""
    return settings.QUALTRICS_API_BASE_URL.replace("{datacenter}", connection.datacenter).rstrip("/")


def client_for_token(*, datacenter: str, token: str, hooks=(), retry=None, brand_key: str | None = None):
    """A client for a token that is not saved yet (connection test, rotation)."""
    return QualtricsClient.for_datacenter(
        datacenter,
        token,
        base_url_template=settings.QUALTRICS_API_BASE_URL,
        timeout=(settings.QUALTRICS_CONNECT_TIMEOUT, settings.QUALTRICS_READ_TIMEOUT),
        retry=retry,
        limiter=shared_rate_limiter() if brand_key else None,
        brand_key=brand_key,
        hooks=hooks,
        session=shared_session(),
        ca_file=settings.QUALTRICS_CA_FILE or None,
    )


def connection_client(connection: Connection, *, actor=None, retry=None, audit: bool = True, hooks=()):
    """The client for a saved connection; every write it makes is audited with Qualtrics' request id.

    `hooks` are extra call observers (each receives the record of every call).
    """
    hooks = [*([QualtricsCallAuditor(connection=connection, actor=actor)] if audit else []), *hooks]
    return client_for_token(
        datacenter=connection.datacenter,
        token=decrypt_token(connection.token_encrypted),
        hooks=hooks,
        retry=retry,
        brand_key=connection.brand_id or f"connection-{connection.pk}",
    )
