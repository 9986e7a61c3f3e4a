"""Bearer tokens of OAuth client connections, kept in the shared cache so every process uses the same one.

A token is cached (encrypted, like every credential the portal keeps) until shortly before it expires.
When it is missing, one process fetches it under a lock taken with ``cache.add`` while the others wait for
it to appear, so the token endpoint is asked once per expiry, not once per process. After a 401 the caller
names the refused token as ``stale``: a cached token other than it is used; the stale one is fetched anew.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache

from qualtrics.oauth import AccessToken

from .crypto import TokenDecryptionError, decrypt_token, encrypt_token

KEY_PREFIX = "qualtrics-oauth"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class OAuthClient:
    datacenter: str
    client_id: str
    secret: str = field(repr=False)
    scopes: tuple[str, ...]

    def cache_key(self) -> str:
        """Names the client, datacenter and scopes without holding the secret (a new secret: a new key)."""
        material = "\n".join([self.datacenter, self.client_id, " ".join(sorted(self.scopes)), self.secret])
        return f"{KEY_PREFIX}:{hashlib.sha256(material.encode()).hexdigest()[:40]}"


def cache_seconds(expires_in: float) -> int:
    """How long a token is used: until a minute (a tenth of its life, if shorter) before it expires, so no
    call sets out with a token that ends on the way."""
    return max(1, int(expires_in - min(60.0, expires_in / 10)))


def _cached(key: str) -> AccessToken | None:
    entry = cache.get(key)
    if not isinstance(entry, dict):
        return None
    try:
        token = decrypt_token(entry["token"])
    except (TokenDecryptionError, KeyError, TypeError):
        return None
    expires_in = float(entry.get("expires_in") or 0)
    return AccessToken(token=token, expires_in=expires_in, scopes=tuple(entry.get("scopes") or ()))


def bearer_token(client: OAuthClient, *, fetch: Callable[[], AccessToken], stale: str | None = None,
                 wait_seconds: float = 40.0) -> AccessToken:
    """The client's current bearer token: from the cache, or fetched (`fetch`) by one process for all.

    `wait_seconds` bounds the wait for another process's fetch (it holds the lock no longer): past it, this
    process fetches for itself.
    """
    key = client.cache_key()
    found = _cached(key)
    if found is not None and found.token != stale:
        return found
    lock = f"{key}:lock"
    deadline = time.monotonic() + wait_seconds
    while True:
        if cache.add(lock, 1, timeout=int(wait_seconds) + 1):
            try:
                found = _cached(key)  # another process may have refreshed it just before the lock
                if found is not None and found.token != stale:
                    return found
                return _store(key, fetch())
            finally:
                cache.delete(lock)
        time.sleep(POLL_SECONDS)
        found = _cached(key)
        if found is not None and found.token != stale:
            return found
        if time.monotonic() > deadline:
            return _store(key, fetch())


def _store(key: str, access: AccessToken) -> AccessToken:
    entry = {"token": encrypt_token(access.token), "expires_in": access.expires_in, "scopes": list(access.scopes)}
    cache.set(key, entry, timeout=cache_seconds(access.expires_in))
    return access


def bearer_token_forget(client: OAuthClient) -> None:
    """Drop the cached token (after the client's secret changed, or it was refused)."""
    cache.delete(client.cache_key())
