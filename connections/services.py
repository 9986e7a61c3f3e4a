"""Writes on connections: create, edit, test, rotate, share, delete, and the alerts about them.

Every service is keyword-only and audits what it changes. A token is only ever held in memory long
enough to call Qualtrics with it and encrypt it; it never reaches an error, a log line or an audit
record (the audit keeps its last four characters at most).
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.errors import error_text
from qualtrics import datacenter_from_notice, mask_token

from .audit import audit_record
from .crypto import (
    TokenDecryptionError,
    can_decrypt,
    decrypt_token,
    encrypt_token,
    encrypted_with_current_key,
    reencrypt_token,
)
from .models import AlertKind, AlertSent, AuditEvent, Connection, ConnectionShare, Role
from .qualtrics_client import client_for_token, connection_client
from .validators import TOKEN_RE, validate_datacenter, validate_token_shape

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
)


class BrandMismatchError(ValidationError):
    """A new token belongs to another Qualtrics brand than the connection was made for."""

    def __init__(self, *, expected: str, found: str, user_name: str = ""):
        self.expected = expected
        self.found = found
        self.user_name = user_name
        super().__init__(
            {
                "token": ValidationError(
                    "This token belongs to the Qualtrics brand “%(found)s”%(user)s, but this connection is for "
                    "“%(expected)s”. Every screen, list and scheduled distribution of the connection would "
                    "switch brands. Tick “Use the other brand” to confirm, or paste a token from “%(expected)s”.",
                    params={
                        "found": found,
                        "expected": expected,
                        "user": f" (user {user_name})" if user_name else "",
                    },
                    code="brand_mismatch",
                )
            }
        )


# --- whoami ------------------------------------------------------------------------------------


@dataclass
class WhoAmI:
    """What Qualtrics says about the user behind a token."""

    brand_id: str = ""
    user_id: str = ""
    user_name: str = ""
    account_type: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    datacenter: str = ""
    notice: str = ""
    request_id: str = ""
    suggested_datacenter: str = ""

    def facts(self) -> dict[str, str]:
        """The Connection fields these answers fill in (cut to the columns' lengths)."""
        values = {
            "brand_id": self.brand_id,
            "qualtrics_user_id": self.user_id,
            "qualtrics_user_name": self.user_name,
            "account_type": self.account_type,
            "reported_datacenter": self.datacenter,
            "suggested_datacenter": self.suggested_datacenter,
        }
        return {name: value[: Connection._meta.get_field(name).max_length] for name, value in values.items()}


@dataclass
class CheckResult:
    """The outcome of a connection test."""

    ok: bool
    whoami: WhoAmI | None = None
    error: Exception | None = None
    checked_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def request_id(self) -> str:
        if self.whoami is not None:
            return self.whoami.request_id
        return getattr(self.error, "request_id", "") or ""

    @property
    def token_rejected(self) -> bool:
        from qualtrics.errors import AuthenticationError

        return isinstance(self.error, AuthenticationError)


class _CallRecorder:
    """A client hook that remembers the last call's record (request id, notice)."""

    def __init__(self):
        self.record = None

    def __call__(self, record) -> None:
        self.record = record


def suggested_datacenter_from(notice: str, current: str) -> str:
    """The datacenter Qualtrics' "Request proxied … use this host instead: sjc1.qualtrics.com" names."""
    candidate = datacenter_from_notice(notice) or ""
    try:
        validate_datacenter(candidate)
    except ValidationError:
        return ""
    return "" if candidate == current else candidate


def _whoami_with(client, recorder: _CallRecorder, datacenter: str) -> WhoAmI:
    result = client.whoami() or {}
    record = recorder.record
    notice = (getattr(record, "notice", "") or "") if record is not None else ""
    request_id = (getattr(record, "request_id", "") or "") if record is not None else ""
    return WhoAmI(
        brand_id=str(result.get("brandId") or ""),
        user_id=str(result.get("userId") or ""),
        user_name=str(result.get("userName") or ""),
        account_type=str(result.get("accountType") or ""),
        first_name=str(result.get("firstName") or ""),
        last_name=str(result.get("lastName") or ""),
        email=str(result.get("email") or ""),
        datacenter=str(result.get("datacenter") or ""),
        notice=notice,
        request_id=request_id,
        suggested_datacenter=suggested_datacenter_from(notice, datacenter),
    )


def whoami_for_token(*, datacenter: str, token: str, retry=None) -> WhoAmI:
    """Ask Qualtrics who is behind a token that is not saved yet. Raises the client's typed errors."""
    recorder = _CallRecorder()
    with client_for_token(datacenter=datacenter, token=token, hooks=[recorder], retry=retry) as client:
        return _whoami_with(client, recorder, datacenter)


def whoami_for_connection(*, connection: Connection, actor=None, retry=None) -> WhoAmI:
    recorder = _CallRecorder()
    with connection_client(connection, actor=actor, retry=retry, hooks=[recorder]) as client:
        return _whoami_with(client, recorder, connection.datacenter)


# --- helpers -----------------------------------------------------------------------------------


def _clean_emails(raw: str) -> str:
    """Normalise the extra notification addresses to one per line; refuse anything not an address."""
    parts = [p.strip() for p in re.split(r"[,;\s]+", raw or "") if p.strip()]
    bad = []
    for address in parts:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        # Never echo something that could be a pasted API token.
        shown = ["(an API token?)" if TOKEN_RE.fullmatch(b) else b for b in bad]
        raise ValidationError(
            {"notify_emails": f"Not an e-mail address: {', '.join(shown)}. Separate addresses with commas."}
        )
    seen: list[str] = []
    for address in parts:
        if address.lower() not in {s.lower() for s in seen}:
            seen.append(address)
    return "\n".join(seen)


def _check_name_free(*, owner, name: str, exclude_pk=None) -> None:
    qs = Connection.objects.filter(owner=owner, name__iexact=name.strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {"name": f"You already have a connection named “{name.strip()}”. Pick another name."},
        )


def connection_limit_reached() -> bool:
    return Connection.objects.count() >= settings.QUALTRICS_MAX_CONNECTIONS


def connection_limit_message() -> str:
    return (
        f"This portal holds its maximum of {settings.QUALTRICS_MAX_CONNECTIONS} connections. "
        "Delete a connection you no longer use (or ask an administrator to) before adding another."
    )


# --- create / update ---------------------------------------------------------------------------


def connection_create(
    *,
    owner,
    name: str,
    datacenter: str,
    token: str,
    description: str = "",
    qualtrics_username: str = "",
    expires_on: datetime.date | None = None,
    notify_days_before: int = 14,
    notify_emails: str = "",
    enabled: bool = True,
    retry=None,
) -> Connection:
    """Check the token with whoami, then save the connection with what Qualtrics told us.

    Raises ValidationError (field errors) for bad input, the limit or a duplicate name, and the
    client's typed errors (AuthenticationError for a refused token) when Qualtrics says no.
    Nothing is saved unless Qualtrics accepted the token.
    """
    token = (token or "").strip()
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
        token_encrypted="-",
        token_last4=token[-4:],
    )
    _validate(connection, token=token, require_token=True)
    if connection_limit_reached():
        raise ValidationError(connection_limit_message(), code="limit")

    # Qualtrics first, outside any transaction: nothing is held open while it answers.
    who = whoami_for_token(datacenter=datacenter, token=token, retry=retry)

    connection.token_encrypted = encrypt_token(token)
    for key, value in who.facts().items():
        setattr(connection, key, value)
    connection.last_checked_at = timezone.now()
    connection.last_check_ok = True
    connection.last_check_error = ""
    with transaction.atomic():
        # Serialise creations so two racing at the limit cannot both pass (a row lock on PostgreSQL).
        list(Connection.objects.select_for_update().order_by("pk").values_list("pk", flat=True)[:1])
        if connection_limit_reached():
            raise ValidationError(connection_limit_message(), code="limit")
        try:
            with transaction.atomic():
                connection.save()
        except IntegrityError:
            _check_name_free(owner=owner, name=connection.name)
            raise
        audit_record(
            actor=owner,
            connection=connection,
            action="connection.create",
            target=connection.name,
            request_id=who.request_id,
            detail=f"datacenter {datacenter}, brand {who.brand_id or '?'}, user {who.user_name or '?'}, "
            f"token {mask_token(token)}",
        )
    return connection


def _validate(connection: Connection, *, token: str, require_token: bool) -> None:
    """Every field error at once, as a dict ValidationError a form can show."""
    errors: dict[str, list] = {}
    if token or require_token:
        try:
            validate_token_shape(token)
        except ValidationError as exc:
            errors.setdefault("token", []).extend(exc.messages)
    try:
        connection.notify_emails = _clean_emails(connection.notify_emails)
    except ValidationError as exc:
        errors.setdefault("notify_emails", []).extend(exc.message_dict["notify_emails"])
    try:
        connection.full_clean(
            exclude=["token_encrypted", "token_last4", "owner", "notify_emails"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if "name" not in errors:
        try:
            _check_name_free(owner=connection.owner, name=connection.name, exclude_pk=connection.pk)
        except ValidationError as exc:
            errors.setdefault("name", []).extend(exc.message_dict["name"])
    if errors:
        raise ValidationError(errors)


def connection_update(*, connection: Connection, actor, token: str = "", confirm_brand_change: bool = False,
                      retry=None, **fields: Any) -> Connection:
    """Change the connection's settings. A blank token leaves the saved token unchanged.

    When the token or the datacenter changes, Qualtrics is asked first (whoami) and the brand must
    stay the same unless `confirm_brand_change`.
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
    _validate(connection, token=token, require_token=False)

    changed = [name for name in EDITABLE_FIELDS if getattr(connection, name) != before[name]]
    who = None
    if token or "datacenter" in changed:
        check_token = token or decrypt_token(connection.token_encrypted)
        who = whoami_for_token(datacenter=connection.datacenter, token=check_token, retry=retry)
        _ensure_same_brand(connection, who, confirm_brand_change)
    if not changed and not token:
        return connection

    with transaction.atomic():
        current = Connection.objects.select_for_update().get(pk=connection.pk)
        for name in changed:
            setattr(current, name, getattr(connection, name))
        if who is not None:
            for key, value in who.facts().items():
                setattr(current, key, value)
            current.last_checked_at = timezone.now()
            current.last_check_ok = True
            current.last_check_error = ""
            current.token_rejected_at = None
        if token:
            current.token_encrypted = encrypt_token(token)
            current.token_last4 = token[-4:]
            changed.append("token")
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            _check_name_free(owner=current.owner, name=current.name, exclude_pk=current.pk)
            raise
        detail = ", ".join(_describe_change(name, before.get(name), current) for name in changed)
        if who is not None and connection.brand_id and who.brand_id != connection.brand_id:
            detail += f"; brand changed from {connection.brand_id} to {who.brand_id} (confirmed)"
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


def _ensure_same_brand(connection: Connection, who: WhoAmI, confirmed: bool) -> None:
    if connection.brand_id and who.brand_id and who.brand_id != connection.brand_id and not confirmed:
        raise BrandMismatchError(expected=connection.brand_id, found=who.brand_id, user_name=who.user_name)


# --- test / rotate / datacenter fix ------------------------------------------------------------


def connection_test(*, connection: Connection, actor=None, retry=None) -> CheckResult:
    """Ask Qualtrics who is behind the saved token; record the outcome on the connection and audit it.

    On AuthenticationError the rejection time is set (kept if already set, so the alert about it goes
    out once); any success clears it.
    """
    from qualtrics.errors import AuthenticationError, QualtricsError

    now = timezone.now()
    try:
        who = whoami_for_connection(connection=connection, actor=actor, retry=retry)
    except (QualtricsError, TokenDecryptionError) as exc:
        updates: dict[str, Any] = {
            "last_checked_at": now,
            "last_check_ok": False,
            "last_check_error": error_text(exc),
        }
        rejected = isinstance(exc, AuthenticationError)
        Connection.objects.filter(pk=connection.pk).update(**updates)
        if rejected:
            Connection.objects.filter(pk=connection.pk, token_rejected_at__isnull=True).update(token_rejected_at=now)
        connection.refresh_from_db()
        audit_record(
            actor=actor,
            connection=connection,
            action="connection.test",
            target=connection.name,
            outcome=AuditEvent.Outcome.DENIED if rejected else AuditEvent.Outcome.FAILED,
            request_id=getattr(exc, "request_id", "") or "",
            detail=updates["last_check_error"],
        )
        return CheckResult(ok=False, error=exc, checked_at=now)

    updates = {
        **who.facts(),
        "last_checked_at": now,
        "last_check_ok": True,
        "last_check_error": "",
        "token_rejected_at": None,
    }
    Connection.objects.filter(pk=connection.pk).update(**updates)
    connection.refresh_from_db()
    detail = f"brand {who.brand_id or '?'}, user {who.user_name or '?'}, account type {who.account_type or '?'}"
    if who.suggested_datacenter:
        detail += f"; Qualtrics proxied the call and suggests datacenter {who.suggested_datacenter}"
    audit_record(
        actor=actor,
        connection=connection,
        action="connection.test",
        target=connection.name,
        request_id=who.request_id,
        detail=detail,
    )
    return CheckResult(ok=True, whoami=who, checked_at=now)


def connection_rotate(*, connection: Connection, actor, token: str, confirm_brand_change: bool = False,
                      expires_on: Any = ..., retry=None) -> Connection:
    """Replace the token after Qualtrics accepted the new one (same brand unless confirmed).

    Work in flight keeps running: every task builds its client when it calls Qualtrics, so it picks
    up the new token on its next call. `expires_on` (when given, None clears it) is the new token's
    expiration date.
    """
    from qualtrics.errors import AuthenticationError, QualtricsError

    token = (token or "").strip()
    try:
        validate_token_shape(token)
    except ValidationError as exc:
        raise ValidationError({"token": exc.messages}) from None
    connection = Connection.objects.get(pk=connection.pk)
    try:
        who = whoami_for_token(datacenter=connection.datacenter, token=token, retry=retry)
    except QualtricsError as exc:
        audit_record(
            actor=actor,
            connection=connection,
            action="connection.rotate",
            target=connection.name,
            outcome=AuditEvent.Outcome.DENIED if isinstance(exc, AuthenticationError) else AuditEvent.Outcome.FAILED,
            request_id=exc.request_id or "",
            detail=f"new token {mask_token(token)} not accepted: {error_text(exc)}",
        )
        raise
    _ensure_same_brand(connection, who, confirm_brand_change)

    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        old_mask, old_brand, old_expiry = connection.token_mask, connection.brand_id, connection.expires_on
        connection.token_encrypted = encrypt_token(token)
        connection.token_last4 = token[-4:]
        for key, value in who.facts().items():
            setattr(connection, key, value)
        connection.last_checked_at = timezone.now()
        connection.last_check_ok = True
        connection.last_check_error = ""
        connection.token_rejected_at = None
        if expires_on is not ...:
            connection.expires_on = expires_on
        connection.save()
        detail = f"token {old_mask} replaced by {connection.token_mask}"
        if old_brand and who.brand_id != old_brand:
            detail += f"; brand changed from {old_brand} to {who.brand_id} (confirmed)"
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


# --- sharing -----------------------------------------------------------------------------------


@transaction.atomic
def connection_share(*, connection: Connection, actor, user=None, team: Group | None = None,
                     role: int = Role.VIEWER) -> ConnectionShare:
    """Share with one user or one team in a role (an existing share of the same grantee changes role)."""
    if (user is None) == (team is None):
        raise ValidationError("Share with either one person or one team.")
    role = Role(int(role))
    if user is not None:
        if user.pk == connection.owner_id:
            raise ValidationError(
                {"user": f"{user.get_username()} owns this connection and is already one of its managers."}
            )
        if not user.is_active:
            raise ValidationError({"user": f"{user.get_username()} cannot sign in (inactive account)."})
    lookup = {"user": user} if user is not None else {"team": team}
    share = ConnectionShare.objects.select_for_update().filter(connection=connection, **lookup).first()
    grantee = f"team {team.name}" if team is not None else f"user {user.get_username()}"
    if share is None:
        share = ConnectionShare.objects.create(connection=connection, role=role, **lookup)
        action, detail = "share.add", f"{grantee} as {role.label.lower()}"
    elif share.role != role:
        old = Role(share.role)
        share.role = role
        share.save(update_fields=["role"])
        action, detail = "share.change", f"{grantee}: {old.label.lower()} → {role.label.lower()}"
    else:
        return share
    audit_record(actor=actor, connection=connection, action=action, target=grantee, detail=detail)
    return share


@transaction.atomic
def connection_unshare(*, connection: Connection, actor, share_id: int) -> None:
    share = ConnectionShare.objects.select_related("user", "team").filter(
        connection=connection, pk=share_id
    ).first()
    if share is None:
        raise ValidationError("That share does not exist any more.")
    grantee = f"team {share.team.name}" if share.team_id else f"user {share.user.get_username()}"
    role = Role(share.role)
    share.delete()
    audit_record(
        actor=actor,
        connection=connection,
        action="share.remove",
        target=grantee,
        detail=f"{grantee} was {role.label.lower()}",
    )


# --- delete ------------------------------------------------------------------------------------


def scheduled_distributions_for(connection: Connection) -> list:
    """Distributions waiting to be sent through this connection (none if that app cannot say yet)."""
    try:
        from distributions.selectors import scheduled_for_connection
    except ImportError:
        return []
    return list(scheduled_for_connection(connection))


def _cancel_distributions(connection: Connection, actor) -> list:
    try:
        from distributions.services import distributions_cancel_for_connection
    except ImportError:
        return []
    return list(distributions_cancel_for_connection(connection, actor))


@transaction.atomic
def connection_delete(*, connection: Connection, actor) -> list:
    """Cancel the connection's scheduled distributions, then delete it. Returns what was cancelled."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    cancelled = _cancel_distributions(connection, actor)
    name, pk = connection.name, connection.pk
    detail = f"datacenter {connection.datacenter}, brand {connection.brand_id or '?'}"
    if cancelled:
        detail += f"; cancelled {len(cancelled)} scheduled distribution(s): " + ", ".join(
            str(d) for d in cancelled
        )
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
        connection.token_encrypted = encrypt_token(token)
        connection.token_last4 = token[-4:]
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


# --- alerts ------------------------------------------------------------------------------------


def alert_recipients(connection: Connection) -> list[str]:
    """The owner, the managers (single users and members of manager teams) and the extra addresses."""
    User = get_user_model()
    shares = ConnectionShare.objects.filter(connection=connection, role__gte=Role.MANAGER)
    users = User.objects.filter(is_active=True).filter(
        pk__in=[connection.owner_id, *shares.filter(user__isnull=False).values_list("user_id", flat=True)]
    )
    team_users = User.objects.filter(
        is_active=True, groups__in=shares.filter(team__isnull=False).values("team_id")
    )
    addresses: list[str] = []
    for address in [
        *users.order_by("pk").values_list("email", flat=True),
        *team_users.order_by("pk").values_list("email", flat=True),
        *connection.notification_addresses(),
    ]:
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _send_alert_email(*, template: str, connection: Connection, recipients: list[str], context: dict) -> None:
    context = {
        "connection": connection,
        "connection_url": _absolute(connection.get_absolute_url()),
        "rotate_url": _absolute(reverse("connections:connection_rotate", args=[connection.pk])),
        "edit_url": _absolute(reverse("connections:connection_edit", args=[connection.pk])),
        **context,
    }
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    message.send()


def _claim_alert(*, connection: Connection, kind: str, key: str, recipients: list[str]) -> AlertSent | None:
    """Insert the AlertSent row first: whoever inserts it sends the alert; everyone else stops."""
    try:
        with transaction.atomic():
            return AlertSent.objects.create(
                connection=connection, kind=kind, key=key, recipients="\n".join(recipients)
            )
    except IntegrityError:
        return None


def _send_claimed(alert: AlertSent, **send_kwargs) -> bool:
    try:
        _send_alert_email(**send_kwargs)
    except Exception:
        # Give the alert back so the next attempt (task retry, next sweep) sends it.
        AlertSent.objects.filter(pk=alert.pk).delete()
        raise
    audit_record(
        connection=alert.connection,
        action=f"alert.{alert.kind}",
        target=alert.connection.name,
        detail=f"e-mailed {len(send_kwargs['recipients'])} recipient(s) ({alert.key})",
    )
    return True


def connection_expiry_alert_send(*, connection: Connection, today: datetime.date | None = None) -> str | None:
    """Send the expiry alert due today for this connection, once per (connection, date, kind).

    Returns the kind sent, or None. Safe to run from several workers at once: the unique AlertSent
    row is inserted before the e-mail goes out.
    """
    today = today or timezone.localdate()
    if not connection.enabled or not connection.expires_on:
        return None
    status = connection.expiry_status(today)
    if status == "soon":
        kind, template = AlertKind.EXPIRY_NOTICE, "connection-expiring"
    elif status == "expired":
        kind, template = AlertKind.EXPIRED, "connection-expired"
    else:
        return None
    recipients = alert_recipients(connection)
    if not recipients:
        logger.warning("connection %s: nobody to tell about its expiry", connection.pk)
        return None
    alert = _claim_alert(connection=connection, kind=kind, key=connection.expires_on.isoformat(),
                         recipients=recipients)
    if alert is None:
        return None
    _send_claimed(
        alert,
        template=template,
        connection=connection,
        recipients=recipients,
        context={"days_left": (connection.expires_on - today).days, "today": today},
    )
    return kind


def connection_token_health_check(*, connection: Connection, retry=None) -> CheckResult:
    """Daily: test the token; when Qualtrics rejects it, alert once per rejection."""
    result = connection_test(connection=connection, actor=None, retry=retry)
    if result.token_rejected:
        connection_token_rejected_alert_send(connection=connection)
    return result


def connection_mark_token_rejected(*, connection: Connection) -> bool:
    """Qualtrics rejected the token during other work: mark it once (holding its distributions) and alert.

    Returns True when this call marked it (a second caller finds it marked and does nothing).
    """
    now = timezone.now()
    if not Connection.objects.filter(pk=connection.pk, token_rejected_at__isnull=True).update(
        token_rejected_at=now
    ):
        return False
    try:
        connection_token_rejected_alert_send(connection=connection)
    except Exception:  # the alert must not stop the caller from holding its work
        logger.exception("could not send the token-rejected alert for connection %s", connection.pk)
    return True


def connection_token_rejected_alert_send(*, connection: Connection) -> bool:
    connection.refresh_from_db()
    if connection.token_rejected_at is None:
        return False
    recipients = alert_recipients(connection)
    if not recipients:
        return False
    alert = _claim_alert(
        connection=connection,
        kind=AlertKind.TOKEN_REJECTED,
        key=connection.token_rejected_at.isoformat(),
        recipients=recipients,
    )
    if alert is None:
        return False
    return _send_claimed(
        alert,
        template="connection-token-rejected",
        connection=connection,
        recipients=recipients,
        context={"error": connection.last_check_error},
    )


# --- encryption key rotation -------------------------------------------------------------------


@dataclass
class ReencryptReport:
    total: int = 0
    on_old_key: int = 0


def tokens_undecryptable() -> list[Connection]:
    """Connections whose stored token no configured key can decrypt."""
    return [
        c
        for c in Connection.objects.select_related("owner").order_by("pk")
        if not can_decrypt(c.token_encrypted)
    ]


def tokens_reencrypt(*, dry_run: bool = False) -> ReencryptReport:
    """Re-encrypt every token with the first key, all or nothing. Raises TokenDecryptionError."""
    report = ReencryptReport()
    with transaction.atomic():
        for connection in Connection.objects.select_for_update().order_by("pk"):
            report.total += 1
            old_key = not encrypted_with_current_key(connection.token_encrypted)
            report.on_old_key += int(old_key)
            if dry_run:
                continue
            fresh = reencrypt_token(connection.token_encrypted)  # raises if no key fits: nothing is kept
            Connection.objects.filter(pk=connection.pk).update(token_encrypted=fresh)
            if old_key:
                audit_record(
                    connection=connection,
                    action="connection.token_reencrypt",
                    target=connection.name,
                    detail="token re-encrypted with the current encryption key",
                )
    return report
