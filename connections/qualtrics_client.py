"""Building the Qualtrics client for a connection: the only place a token or an OAuth client's secret is
decrypted for use, and where OAuth bearer tokens are fetched (and shared through the cache)."""

from __future__ import annotations

import logging
import os
import threading
from http.cookiejar import DefaultCookiePolicy

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from requests.adapters import HTTPAdapter

from qualtrics import (
    DEFAULT_ROUTE_BUDGETS,
    Bearer,
    ClientRefusedError,
    FallbackRateLimiter,
    QualtricsClient,
    RateLimiter,
    StoreOutage,
    new_session,
)
from qualtrics.oauth import AccessToken, request_access_token, token_url
from web import background
from web.cache import UNREACHABLE
from web.per_process import PerProcess

from .audit import QualtricsCallAuditor
from .bearer_tokens import OAuthClient, bearer_token, bearer_token_forget
from .crypto import decrypt_token
from .kept_reads import WriteStamp
from .models import Connection
from .rate_store import rate_counters

logger = logging.getLogger(__name__)


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


_limiters = threading.local()


def shared_rate_limiter():
    """The per-brand rate budget, counted in the shared cache so every process draws on the same one.

    While the cache cannot be reached, each process counts against a local budget instead, a share
    (QUALTRICS_LOCAL_BUDGET_FRACTION) of the brand's, so that pages and sends carry on through a Redis
    outage without exceeding the brand's limit together.

    Built once per thread (Django's cache objects are per thread) and kept while the settings, the cache
    and the process stay the same: a limiter compiles its route budgets and loads its script on first use, which
    each page's client would otherwise do again.
    """
    identity = (settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE, settings.QUALTRICS_LOCAL_BUDGET_FRACTION,
                caches[DEFAULT_CACHE_ALIAS], os.getpid())
    kept = getattr(_limiters, "kept", None)
    if kept is None or kept[0] != identity:
        kept = _limiters.kept = (identity, _new_rate_limiter(*identity[:2]))
    return kept[1]


def _new_rate_limiter(budget: int, fraction: float):
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


def oauth_token_url(datacenter: str) -> str:
    """The datacenter's token endpoint, beside its API (so it follows QUALTRICS_API_BASE_URL)."""
    return token_url(settings.QUALTRICS_API_BASE_URL.replace("{datacenter}", datacenter))


def oauth_access_token(oauth: OAuthClient, *, stale: str | None = None, on_refused=None) -> AccessToken:
    """A bearer token for the client, from the shared cache or fetched once for every process.

    `on_refused` is called when the token endpoint refuses the client (before ClientRefusedError is raised).
    """

    def fetch() -> AccessToken:
        try:
            return request_access_token(
                url=oauth_token_url(oauth.datacenter),
                client_id=oauth.client_id,
                client_secret=oauth.secret,
                scopes=oauth.scopes,
                session=shared_session(),
                timeout=(settings.QUALTRICS_CONNECT_TIMEOUT, settings.QUALTRICS_READ_TIMEOUT),
                verify=settings.QUALTRICS_CA_FILE or True,
            )
        except ClientRefusedError:
            if on_refused is not None:
                on_refused()
            raise

    return bearer_token(oauth, fetch=fetch, stale=stale)


def client_for_oauth(oauth: OAuthClient, *, hooks=(), retry=None, brand_key: str | None = None, on_refused=None):
    """A client whose calls carry the OAuth client's bearer token (fetched anew once after a 401)."""
    access = oauth_access_token(oauth, on_refused=on_refused)

    def refresh(refused: str) -> str:
        return oauth_access_token(oauth, stale=refused, on_refused=on_refused).token

    bearer = Bearer(refresh=refresh, scopes=frozenset(access.scopes))
    return client_for_token(datacenter=oauth.datacenter, token=access.token, hooks=hooks, retry=retry,
                            brand_key=brand_key, bearer=bearer)


def client_for_token(*, datacenter: str, token: str, hooks=(), retry=None, brand_key: str | None = None,
                     bearer: Bearer | None = None):
    """A client for a token that is not saved yet (connection test, rotation); `bearer` for an OAuth one."""
    return QualtricsClient.for_datacenter(
        datacenter,
        token,
        bearer=bearer,
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
    hooks = [*([QualtricsCallAuditor(connection=connection, actor=actor)] if audit else []),
             WriteStamp(connection.pk), *hooks]
    if connection.uses_oauth:
        return client_for_oauth(
            connection_oauth_client(connection),
            hooks=hooks,
            retry=retry,
            brand_key=connection.budget_key,
            on_refused=lambda: _client_refused(connection),
        )
    return client_for_token(
        datacenter=connection.datacenter,
        token=decrypt_token(connection.token_encrypted),
        hooks=hooks,
        retry=retry,
        brand_key=connection.budget_key,
    )


def connection_oauth_client(connection: Connection) -> OAuthClient:
    return OAuthClient(
        datacenter=connection.datacenter,
        client_id=connection.oauth_client_id,
        secret=decrypt_token(connection.oauth_secret_encrypted),
        scopes=tuple(connection.scopes_requested),
    )


def connection_oauth_token_forget(connection: Connection) -> None:
    """Make the next call of an OAuth connection fetch a new bearer token (a test learns the scopes a brand
    administrator granted since)."""
    if connection.uses_oauth:
        bearer_token_forget(connection_oauth_client(connection))


def _client_refused(connection: Connection) -> None:
    """Qualtrics refused a saved connection's OAuth client: mark it and alert its managers, as for a
    rejected API token (its scheduled sends are then held)."""
    from .services import connection_mark_token_rejected

    try:
        connection_mark_token_rejected(connection=connection)
    except background.DatabaseFromBackground:
        # A page's background read has no database: the refusal still reaches the page, and the next call
        # made by a request or a task (or the daily check) marks the connection.
        logger.info("OAuth client of connection %s refused during a background read", connection.pk)
