"""OAuth 2 client credentials: getting a bearer token from a datacenter's token endpoint.

``POST https://{dc}.qualtrics.com/oauth2/token`` with HTTP Basic ``clientId:clientSecret`` and the form body
``grant_type=client_credentials&scope=<space-separated scopes>`` answers ``access_token``, ``expires_in`` and
``scope`` (docs/qualtrics-api.md#oauth-client-credentials). Calls then send ``Authorization: Bearer``.
Caching the token (and sharing it between processes) is the caller's business: this module only asks.
No text it raises holds the secret or a token.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from .errors import (
    BadRequestError,
    ClientRefusedError,
    ConnectionFailedError,
    InvalidResponseError,
    InvalidScopeError,
    QualtricsError,
    QualtricsTimeoutError,
    error_from_envelope,
)
from .tokens import mask_token

API_SUFFIX = "/API/v3"


@dataclass(frozen=True)
class AccessToken:
    token: str = field(repr=False)
    expires_in: float
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"AccessToken({mask_token(self.token)!r}, expires_in={self.expires_in:g}, scopes={self.scopes!r})"


def token_url(api_base_url: str) -> str:
    """The token endpoint beside an API base URL: ``https://iad1.qualtrics.com/API/v3`` gives
    ``https://iad1.qualtrics.com/oauth2/token`` (a stand-in's ``…/iad1/API/v3`` gives ``…/iad1/oauth2/token``)."""
    base = api_base_url.rstrip("/")
    if base.endswith(API_SUFFIX):
        base = base[: -len(API_SUFFIX)]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the API base URL must be an http(s) URL")
    return f"{base}/oauth2/token"


def request_access_token(
    *,
    url: str,
    client_id: str,
    client_secret: str,
    scopes: Iterable[str],
    session: requests.Session,
    timeout: tuple[float, float],
    verify: bool | str = True,
) -> AccessToken:
    """Ask the token endpoint for a bearer token. Raises ClientRefusedError (invalid_client),
    InvalidScopeError (invalid_scope), ConnectionFailedError and the other typed errors."""
    scope = " ".join(dict.fromkeys(scopes))
    secrets = (client_secret,)

    def scrub(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, mask_token(secret))
        return text

    where = {"method": "POST", "path": "/oauth2/token"}
    try:
        response = session.post(
            url,
            data={"grant_type": "client_credentials", **({"scope": scope} if scope else {})},
            auth=(client_id, client_secret),
            headers={"Accept": "application/json"},
            timeout=timeout,
            allow_redirects=False,
            verify=verify,
        )
    except requests.Timeout as exc:
        raise QualtricsTimeoutError(
            f"the token endpoint did not answer in time ({type(exc).__name__})", **where
        ) from None
    except requests.RequestException as exc:
        raise ConnectionFailedError(
            f"could not reach the token endpoint ({type(exc).__name__})", may_have_reached_server=False, **where
        ) from None
    text = scrub(response.content.decode("utf-8", errors="replace"))
    try:
        body = jsonlib.loads(text) if text.strip() else None
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else None
    if response.status_code == 200 and body and isinstance(body.get("access_token"), str):
        token = body["access_token"]
        granted = tuple(str(body.get("scope") or scope).split())
        try:
            expires_in = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        return AccessToken(token=token, expires_in=max(expires_in, 1.0), scopes=granted)
    raise _refusal(response.status_code, body, response.reason or "", text, scrub(f"{client_id}"))


def _refusal(status: int, body: dict | None, reason: str, text: str, client_id: str) -> QualtricsError:
    where = {"method": "POST", "path": "/oauth2/token"}
    if body and isinstance(body.get("error"), str):  # the OAuth form: {"error": "invalid_client", ...}
        code, message = body["error"], str(body.get("error_description") or body["error"])
        request_id = None
    else:
        error = error_from_envelope(status, body, **where, reason=reason, body_excerpt=text if body is None else "")
        code, message, request_id = error.code or "", error.message, error.request_id
    if status == 200:
        return InvalidResponseError("the token endpoint's answer had no access_token", status=status, **where)
    if "invalid_client" in message or code == "invalid_client" or status == 401:
        return ClientRefusedError(
            f"Qualtrics refused the OAuth client {client_id}: {message}", status=status, code=code or None,
            request_id=request_id, **where,
        )
    if "invalid_scope" in message or code == "invalid_scope":
        named = tuple(s for s in message.replace("invalid_scope", " ").replace(":", " ", 1).split() if ":" in s)
        return InvalidScopeError(message, scopes=named, status=status, code=code or None, request_id=request_id,
                                 **where)
    if 400 <= status < 500:
        return BadRequestError(message, status=status, code=code or None, request_id=request_id, **where)
    return error_from_envelope(status, body, **where, reason=reason, body_excerpt=text if body is None else "")
