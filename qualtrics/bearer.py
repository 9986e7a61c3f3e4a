"""A client's side of OAuth bearer tokens: the header, one fresh token after a 401, and missing scopes.

``BaseClient`` takes a ``Bearer`` to send its token as ``Authorization: Bearer`` instead of ``X-API-TOKEN``;
where the token comes from (the token endpoint, a shared cache) is the caller's business (``qualtrics.oauth``
asks the endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import scopes
from .errors import (
    AuthenticationError,
    ClientRefusedError,
    MissingScopeError,
    PermissionDeniedError,
    QualtricsError,
    UnsafeRequestError,
)
from .tokens import mask_token


@dataclass
class Bearer:
    """What a client given a bearer token needs besides it: `refresh(refused_token)` returns a fresh token
    after Qualtrics answered 401 (once per call), and `scopes` are those granted, to tell a missing scope
    from other refusals (None when unknown)."""

    refresh: Callable[[str], str] | None = None
    scopes: frozenset[str] | None = None


class BearerAuthMixin:
    """Bearer-token behaviour of ``BaseClient`` (which sets ``_token``, ``bearer`` and ``_spent_tokens``)."""

    _token: str
    bearer: Bearer | None
    _spent_tokens: list[str]

    def _scrub(self, text: str) -> str:
        if not text:
            return text
        for token in (self._token, *self._spent_tokens):
            text = text.replace(token, mask_token(token))
        return text

    def _refuse_bearer_for_event(self, auth: str) -> None:
        """Workflow JSON events take an API token (or none), never OAuth (docs/qualtrics-api.md#workflow-events):
        a bearer token refused there must not read as the connection's client being refused."""
        if self.bearer is not None and auth != "none":
            raise UnsafeRequestError("Workflow events accept an API token, not an OAuth client: set the trigger to "
                                     "no authentication, or use a connection made with an API token")

    def _authorised(self, send_once: Callable[[int], Any], attempt: int) -> Any:
        """Send; after a 401 on a bearer token (expired or revoked early), once more with a fresh token.
        Qualtrics did not act on a call it refused as unauthenticated, so any method may be sent again."""
        try:
            return send_once(attempt)
        except AuthenticationError:
            if not self._refresh_bearer():
                raise
            return send_once(attempt)

    def _refresh_bearer(self) -> bool:
        if self.bearer is None or self.bearer.refresh is None:
            return False
        fresh = (self.bearer.refresh(self._token) or "").strip()
        if not fresh or fresh == self._token:
            return False
        self._spent_tokens.append(self._token)
        self._token = fresh
        return True

    def _scope_error(self, error: QualtricsError, method: str, path: str) -> QualtricsError:
        """A bearer token's refusal for want of a scope, as MissingScopeError naming the scope.

        Qualtrics does not document how it refuses a call outside a token's scopes (403, or 401 with a
        message about scopes): a 403 on a route whose scope was not granted, or a refusal that speaks of
        scopes, is taken as one.
        """
        if self.bearer is None or isinstance(error, ClientRefusedError):
            return error
        if not isinstance(error, AuthenticationError | PermissionDeniedError):
            return error
        granted = self.bearer.scopes
        lacking = scopes.scope_missing_for_call(granted, method, path) if granted is not None else ""
        speaks_of_scope = "scope" in (error.message or "").lower()
        if not ((isinstance(error, PermissionDeniedError) and lacking) or speaks_of_scope):
            return error
        lacking = lacking or scopes.scope_for_call(method, path)
        return MissingScopeError(
            error.message, scope=lacking, status=error.status, code=error.code, request_id=error.request_id,
            method=method, path=path, notice=error.notice,
        )
