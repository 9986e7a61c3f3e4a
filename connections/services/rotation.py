"""Replacing a connection's token, and moving it to the datacenter Qualtrics suggested."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualtrics import mask_token
from web.errors import error_text

from ..audit import audit_record
from ..bearer_tokens import OAuthClient
from ..models import AuditEvent, Connection
from ..validators import validate_client_secret, validate_datacenter, validate_token_shape
from .validation import connection_user_label, ensure_same_brand, ensure_same_user, token_user_label
from .whoami import whoami_for_oauth, whoami_for_token


def connection_rotate(*, connection: Connection, actor, token: str, confirm_brand_change: bool = False,
                      confirm_user_change: bool = False, expires_on: Any = ..., retry=None) -> Connection:
    """Replace the token after Qualtrics accepted the new one.

    The new token must belong to the same brand unless `confirm_brand_change`, and to the same
    Qualtrics user with at least the same account type unless `confirm_user_change`: otherwise the
    connection would quietly act as someone else (a brand administrator's connection turned into a
    standard user's). Both refusals name the users involved; a confirmed change is in the audit.

    Work in flight keeps running: every task builds its client when it calls Qualtrics, so it picks
    up the new token on its next call. `expires_on` (when given, None clears it) is the new token's
    expiration date.

    An OAuth client connection rotates its client's secret the same way: `token` is the new secret, checked
    by getting a bearer token with it and asking whoami before it replaces the saved one.
    """
    from qualtrics.errors import AuthenticationError, QualtricsError

    token = (token or "").strip()
    connection = Connection.objects.get(pk=connection.pk)
    try:
        (validate_client_secret if connection.uses_oauth else validate_token_shape)(token)
    except ValidationError as exc:
        raise ValidationError({"token": exc.messages}) from None
    new_label = "new client secret" if connection.uses_oauth else f"new token {mask_token(token)}"
    try:
        if connection.uses_oauth:
            oauth = OAuthClient(datacenter=connection.datacenter, client_id=connection.oauth_client_id,
                                secret=token, scopes=tuple(connection.scopes_requested))
            who = whoami_for_oauth(oauth=oauth, retry=retry)
        else:
            who = whoami_for_token(datacenter=connection.datacenter, token=token, retry=retry)
    except QualtricsError as exc:
        audit_record(
            actor=actor,
            connection=connection,
            action="connection.rotate",
            target=connection.name,
            outcome=AuditEvent.Outcome.DENIED if isinstance(exc, AuthenticationError) else AuditEvent.Outcome.FAILED,
            request_id=exc.request_id or "",
            detail=f"{new_label} not accepted: {error_text(exc)}",
        )
        raise
    ensure_same_brand(connection, who, confirm_brand_change)
    user_changed = ensure_same_user(connection, who, confirm_user_change)

    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        old_mask, old_brand, old_expiry = connection.token_mask, connection.brand_id, connection.expires_on
        old_user = connection_user_label(connection)
        if connection.uses_oauth:
            connection.set_oauth_client(connection.oauth_client_id, token)
            detail = f"secret of OAuth client {connection.oauth_client_id} replaced"
        else:
            connection.set_token(token)
            detail = f"token {old_mask} replaced by {connection.token_mask}"
        connection.record_whoami(who)
        if expires_on is not ...:
            connection.expires_on = expires_on
        connection.save()
        if old_brand and who.brand_id != old_brand:
            detail += f"; brand changed from {old_brand} to {who.brand_id} (confirmed)"
            detail += f"; user changed from {old_user} to {token_user_label(who)}"
        elif user_changed:
            detail += f"; {user_changed}"
        if connection.expires_on != old_expiry:
            detail += f"; expiration date {old_expiry or '—'} → {connection.expires_on or '—'}"
        audit_record(
            actor=actor,
            connection=connection,
            action="connection.rotate",
            target=connection.name,
            request_id=who.request_id,
            detail=detail,
        )
    return connection


@transaction.atomic
def connection_apply_suggested_datacenter(*, connection: Connection, actor) -> Connection:
    """Switch to the datacenter Qualtrics suggested when it proxied a call (one click)."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    suggested = connection.suggested_datacenter
    if not suggested:
        raise ValidationError("Qualtrics has not suggested another datacenter for this connection.")
    validate_datacenter(suggested)
    old = connection.datacenter
    connection.datacenter = suggested
    connection.suggested_datacenter = ""
    connection.save(update_fields=["datacenter", "suggested_datacenter", "updated_at"])
    audit_record(
        actor=actor,
        connection=connection,
        action="connection.datacenter_fix",
        target=connection.name,
        detail=f"datacenter: {old} → {suggested} (suggested by Qualtrics)",
    )
    return connection
