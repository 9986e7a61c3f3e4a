"""Creating, editing and deleting a connection (in the portal and in the Django admin).

Every service is keyword-only and audits what it changes. A token is only ever held in memory long
enough to call Qualtrics with it and encrypt it; it never reaches an error, a log line or an audit
record (the audit keeps its last four characters at most).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..audit import audit_record
from ..bearer_tokens import OAuthClient
from ..crypto import decrypt_token
from ..models import AuthKind, Connection
from ..qualtrics_client import connection_oauth_client
from ..signals import Dependents, answers, connection_deleting
from ..validators import validate_token_shape
from .validation import check_name_free, ensure_same_brand, ensure_same_user, validate_connection
from .whoami import whoami_for_oauth, whoami_for_token

logger = logging.getLogger(__name__)

# Fields a manager may change through connection_update (the token is handled separately).
EDITABLE_FIELDS = (
    "name",
    "description",
    "datacenter",
    "qualtrics_username",
    "expires_on",
    "notify_days_before",
    "notify_emails",
    "enabled",
    "oauth_scopes_requested",  # an OAuth connection's only: asked for anew (a token request) when changed
)


def connection_limit_reached() -> bool:
    """Whether the portal holds as many connections as its operator allows (never, with no limit set)."""
    limit = settings.PORTAL_MAX_CONNECTIONS
    return limit is not None and Connection.objects.count() >= limit


def connection_limit_message() -> str:
    return (
        f"This portal holds its maximum of {settings.PORTAL_MAX_CONNECTIONS} connections. "
        "Delete a connection you no longer use (or ask an administrator to) before adding another."
    )


def _refuse_at_the_limit() -> None:
    if connection_limit_reached():
        raise ValidationError(connection_limit_message(), code="limit")


# --- create / update ---------------------------------------------------------------------------


def connection_create(
    *,
    owner,
    name: str,
    datacenter: str,
    token: str = "",
    auth_kind: str = AuthKind.API_TOKEN,
    client_id: str = "",
    client_secret: str = "",
    scopes: str = "",
    description: str = "",
    qualtrics_username: str = "",
    expires_on: datetime.date | None = None,
    notify_days_before: int = 14,
    notify_emails: str = "",
    enabled: bool = True,
    retry=None,
) -> Connection:
    """Check the token with whoami, then save the connection with what Qualtrics told us.

    Raises ValidationError (field errors) for bad input, a duplicate name or the portal's limit (when
    its operator set one), and the client's typed errors (AuthenticationError for a refused token)
    when Qualtrics says no.
    Nothing is saved unless Qualtrics accepted the token. An OAuth client connection (`auth_kind` "oauth")
    gives `client_id`, `client_secret` and `scopes` instead: it is saved only after the token endpoint gave
    a bearer token for them and whoami answered with it; the scopes granted are kept.
    """
    token = (token or "").strip()
    client_secret = (client_secret or "").strip()
    datacenter = (datacenter or "").strip().lower()
    connection = Connection(
        owner=owner,
        name=(name or "").strip(),
        description=description or "",
        datacenter=datacenter,
        qualtrics_username=(qualtrics_username or "").strip(),
        expires_on=expires_on,
        notify_days_before=notify_days_before,
        notify_emails=notify_emails or "",
        enabled=enabled,
    )
    if auth_kind == AuthKind.OAUTH:
        connection.auth_kind = AuthKind.OAUTH
        connection.oauth_client_id = (client_id or "").strip()
        connection.oauth_scopes_requested = scopes or ""
    validate_connection(connection, token=token, require_token=True, client_secret=client_secret)
    _refuse_at_the_limit()

    # Qualtrics first, outside any transaction: nothing is held open while it answers.
    if connection.uses_oauth:
        oauth = OAuthClient(datacenter=datacenter, client_id=connection.oauth_client_id, secret=client_secret,
                            scopes=tuple(connection.scopes_requested))
        who = whoami_for_oauth(oauth=oauth, retry=retry)
        connection.set_oauth_client(connection.oauth_client_id, client_secret)
    else:
        who = whoami_for_token(datacenter=datacenter, token=token, retry=retry)
        connection.set_token(token)
    connection.record_whoami(who)
    with transaction.atomic():
        if settings.PORTAL_MAX_CONNECTIONS is not None:
            # Serialise creations so two racing at the limit cannot both pass (a row lock on PostgreSQL).
            list(Connection.objects.select_for_update().order_by("pk").values_list("pk", flat=True)[:1])
            _refuse_at_the_limit()
        try:
            with transaction.atomic():
                connection.save()
        except IntegrityError:
            check_name_free(owner=owner, name=connection.name)
            raise
        audit_record(
            actor=owner,
            connection=connection,
            action="connection.create",
            target=connection.name,
            request_id=who.request_id,
            detail=f"datacenter {datacenter}, brand {who.brand_id or '?'}, user {who.user_name or '?'}, "
            f"{connection.credential_label}"
            + (f", scopes granted: {connection.oauth_scopes_granted}" if connection.uses_oauth else ""),
        )
    return connection


def connection_update(*, connection: Connection, actor, token: str = "", confirm_brand_change: bool = False,
                      confirm_user_change: bool = False, retry=None, **fields: Any) -> Connection:
    """Change the connection's settings. A blank token leaves the saved token unchanged.

    When the token or the datacenter changes, Qualtrics is asked first (whoami) and the brand must
    stay the same unless `confirm_brand_change`; a new token must also belong to the same Qualtrics
    user, with at least the same account type, unless `confirm_user_change` (as for a rotation).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"connection_update got unexpected fields: {', '.join(sorted(unknown))}")
    connection = Connection.objects.select_related("owner").get(pk=connection.pk)
    before = {name: getattr(connection, name) for name in EDITABLE_FIELDS}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    if "datacenter" in fields:
        fields["datacenter"] = (fields["datacenter"] or "").strip().lower()
    for name, value in fields.items():
        setattr(connection, name, value)
    token = (token or "").strip()
    validate_connection(connection, token=token, require_token=False)

    changed = [name for name in EDITABLE_FIELDS if getattr(connection, name) != before[name]]
    who = None
    if connection.uses_oauth and token:
        raise ValidationError({"token": "This connection signs in with an OAuth client: rotate its secret instead."})
    if not connection.uses_oauth and "oauth_scopes_requested" in changed:
        raise ValidationError({"scopes": "Only a connection made with an OAuth client asks for scopes."})
    if connection.uses_oauth and ("datacenter" in changed or "oauth_scopes_requested" in changed):
        # The saved client with the datacenter and scopes as changed (not saved yet).
        who = whoami_for_oauth(oauth=connection_oauth_client(connection), retry=retry)
        ensure_same_brand(connection, who, confirm_brand_change)
    elif token or "datacenter" in changed:
        check_token = token or decrypt_token(connection.token_encrypted)
        who = whoami_for_token(datacenter=connection.datacenter, token=check_token, retry=retry)
        ensure_same_brand(connection, who, confirm_brand_change)
    user_changed = ensure_same_user(connection, who, confirm_user_change) if token else ""
    if not changed and not token:
        return connection

    with transaction.atomic():
        current = Connection.objects.select_for_update().get(pk=connection.pk)
        for name in changed:
            setattr(current, name, getattr(connection, name))
        if who is not None:
            current.record_whoami(who)
        if token:
            current.set_token(token)
            changed.append("token")
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            check_name_free(owner=current.owner, name=current.name, exclude_pk=current.pk)
            raise
        detail = ", ".join(_describe_change(name, before.get(name), current) for name in changed)
        if who is not None and connection.brand_id and who.brand_id != connection.brand_id:
            detail += f"; brand changed from {connection.brand_id} to {who.brand_id} (confirmed)"
        elif user_changed:
            detail += f"; {user_changed}"
        audit_record(
            actor=actor,
            connection=current,
            action="connection.update",
            target=current.name,
            request_id=who.request_id if who else "",
            detail=detail,
        )
    return current


def _describe_change(name: str, old, connection: Connection) -> str:
    if name == "token":
        return f"token replaced (now {connection.token_mask})"
    if name in ("description", "notify_emails"):
        return f"{name} changed"
    return f"{name}: {old if old not in (None, '') else '—'} → {getattr(connection, name) or '—'}"


# --- delete ------------------------------------------------------------------------------------


@transaction.atomic
def connection_delete(*, connection: Connection, actor) -> list[Dependents]:
    """Have the apps that keep work on the connection cancel it, then delete the connection.

    Returns what they cancelled (only kinds with something cancelled).
    """
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    cancelled = [work for work in answers(connection_deleting, connection=connection, actor=actor) if work.items]
    name, pk = connection.name, connection.pk
    detail = f"datacenter {connection.datacenter}, brand {connection.brand_id or '?'}"
    detail += "".join(f"; cancelled {work.summary()}" for work in cancelled)
    audit_record(actor=actor, connection=connection, action="connection.delete", target=name, detail=detail)
    connection.delete()
    logger.info("connection %s deleted by %s", pk, getattr(actor, "pk", None))
    return cancelled


# --- admin -------------------------------------------------------------------------------------


@transaction.atomic
def connection_admin_save(*, connection: Connection, actor, token: str = "", changed: list[str] | None = None,
                          adding: bool = False) -> Connection:
    """Save from the Django admin (superusers): encrypt a newly typed token, audit the change."""
    token = (token or "").strip()
    if token:
        validate_token_shape(token)
        connection.set_token(token)
        connection.token_rejected_at = None
    connection.save()
    fields = [f for f in (changed or []) if f != "new_token"]
    if token:
        fields.append(f"token replaced (now {connection.token_mask})")
    audit_record(
        actor=actor,
        connection=connection,
        action="connection.create" if adding else "connection.update",
        target=connection.name,
        detail=("in the Django admin: " + ", ".join(fields)) if fields else "in the Django admin",
    )
    return connection
