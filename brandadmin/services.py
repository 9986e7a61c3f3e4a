"""Writes to Qualtrics for the brand administration screens: users, API tokens, groups, members.

Every write goes through the connection's client, whose hook audits it with Qualtrics' request id;
what happens only in the portal (an API token shown once, saved into a new connection) is audited
here with ``audit_record``. After each write the short-lived page cache of the selectors is dropped.
"""

from __future__ import annotations

import datetime
import secrets
import string
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.audit import audit_record
from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics import TOKEN_MASK, mask_token
from qualtrics.errors import QualtricsError

from .models import LabelKind, QualtricsLabel
from .selectors import brand_key, cache_forget

PASSWORD_LENGTH = 20
PASSWORD_SYMBOLS = "!#$%*+-=?@_"


def _client(connection: Connection, actor):
    return connection_client(connection, actor=actor)


def password_generate(*, length: int = PASSWORD_LENGTH) -> str:
    """A strong random password with upper and lower case letters, digits and symbols."""
    length = max(length, 12)
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)
    alphabet = "".join(pools)
    while True:
        chars = [secrets.choice(pool) for pool in pools]
        chars += [secrets.choice(alphabet) for _ in range(length - len(pools))]
        # shuffle with a cryptographic source
        for i in range(len(chars) - 1, 0, -1):
            j = secrets.randbelow(i + 1)
            chars[i], chars[j] = chars[j], chars[i]
        password = "".join(chars)
        if password[0] not in PASSWORD_SYMBOLS:
            return password


def expiration_to_utc(value: datetime.date | None) -> datetime.datetime | None:
    """An account expiration date picked in the portal user's zone: midnight there, as UTC."""
    if value is None:
        return None
    local = datetime.datetime(value.year, value.month, value.day)
    return timezone.make_aware(local, timezone.get_current_timezone()).astimezone(datetime.UTC)


# --- users ---------------------------------------------------------------------------------------


def user_create(
    *,
    connection: Connection,
    actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    user_type: str,
    password: str,
    language: str = "en",
    time_zone: str = "",
    division_id: str = "",
    account_expiration_date: datetime.date | None = None,
) -> str:
    """Create a Qualtrics user; returns the new user id."""
    result = _client(connection, actor).users.create(
        username=username.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        user_type=user_type.strip(),
        email=email.strip(),
        password=password,
        language=language or "en",
        time_zone=time_zone or None,
        division_id=division_id or None,
        account_expiration_date=expiration_to_utc(account_expiration_date),
    )
    cache_forget(connection)
    return (result or {}).get("id", "")


def user_update(
    *,
    connection: Connection,
    actor,
    user_id: str,
    username: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    user_type: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
    division_id: str | None = None,
    account_expiration_date: datetime.date | None = None,
    password: str = "",
) -> bool:
    """Send the fields given (None or empty: left as they are in Qualtrics) and a new password, if any.

    Returns False when there was nothing to send (no call is made).
    """

    def text(value):
        return value.strip() if value and value.strip() else None

    fields = {
        "username": text(username),
        "first_name": text(first_name),
        "last_name": text(last_name),
        "email": text(email),
        "user_type": text(user_type),
        "language": text(language),
        "time_zone": text(time_zone),
        "division_id": text(division_id),
        "account_expiration_date": expiration_to_utc(account_expiration_date),
    }
    if all(value is None for value in fields.values()) and not password:
        return False
    _client(connection, actor).users.update(user_id, extra={"password": password} if password else None, **fields)
    cache_forget(connection)
    return True


def user_set_enabled(*, connection: Connection, actor, user_id: str, enabled: bool) -> None:
    """Enable or disable a user's account (Qualtrics' ``status`` is "Enabled" or "Disabled")."""
    _client(connection, actor).users.update(user_id, status="Enabled" if enabled else "Disabled")
    cache_forget(connection)


def user_delete(*, connection: Connection, actor, user_id: str) -> None:
    _client(connection, actor).users.delete(user_id)
    cache_forget(connection)


def password_shown_record(*, connection: Connection, actor, user_id: str, username: str = "") -> None:
    """Audit that a generated password was shown once (the portal keeps no copy)."""
    audit_record(
        actor=actor,
        connection=connection,
        action="brandadmin.user_password.shown_once",
        target=_token_target(user_id, username),
        detail=f"A generated password was shown once to {actor.get_username()}; the portal did not keep it.",
    )


# --- API tokens ----------------------------------------------------------------------------------


def user_token_create(*, connection: Connection, actor, user_id: str) -> str:
    """Create or rotate a user's API token and return it; the old token stops working everywhere."""
    result = _client(connection, actor).users.create_api_token(user_id)
    token = (result or {}).get("apiToken") or ""
    if not token:
        from qualtrics.errors import InvalidResponseError

        raise InvalidResponseError(
            "Qualtrics answered without an API token", method="POST", path=f"/users/{user_id}/apitoken"
        )
    return token


def _token_target(user_id: str, username: str) -> str:
    return f"{username} ({user_id})" if username else user_id


@dataclass
class TokenIssued:
    """A new API token: saved into `saved` (never shown), or to show once (`token`), with `problem`
    explaining why it could not be saved when that was asked for."""

    saved: Connection | None = None
    token: str = field(default="", repr=False)
    problem: str = ""

    @property
    def last4(self) -> str:
        return self.token[-4:] if self.token else ""


def user_token_issue(
    *, connection: Connection, actor, user_id: str, username: str = "", save_as: str = ""
) -> TokenIssued:
    """Create/rotate a user's API token, then save it into a new connection named `save_as` (owned by
    `actor`) or hand it back to be shown once. The portal keeps no other copy.

    A connection name that cannot be used raises ValidationError before anything changes in Qualtrics;
    if saving fails after the rotation, the token is handed back to show rather than lost.
    """
    if save_as:
        problem = connection_name_problem(owner=actor, name=save_as)
        if problem:
            raise ValidationError({"connection_name": problem})
    token = user_token_create(connection=connection, actor=actor, user_id=user_id)
    if save_as:
        saved = _save_as_connection(
            connection=connection, actor=actor, user_id=user_id, username=username, token=token, name=save_as
        )
        if saved.connection is not None:
            return TokenIssued(saved=saved.connection)
        issued = TokenIssued(token=token, problem=saved.problem)
    else:
        issued = TokenIssued(token=token)
    audit_record(
        actor=actor,
        connection=connection,
        action="brandadmin.user_token.shown_once",
        target=_token_target(user_id, username),
        detail=f"The new API token ({TOKEN_MASK}{issued.last4}) was shown once to {actor.get_username()}; "
        "the portal did not keep it.",
    )
    return issued


def connection_name_problem(*, owner, name: str) -> str:
    """Why `name` cannot be a new connection of `owner`, or "" (checked before a token is rotated)."""
    from connections.services import connection_limit_message, connection_limit_reached

    name = (name or "").strip()
    if not name:
        return "Give the new connection a name."
    max_length = Connection._meta.get_field("name").max_length
    if len(name) > max_length:
        return f"That name is too long ({max_length} characters at most)."
    if Connection.objects.filter(owner=owner, name__iexact=name).exists():
        return f"You already have a connection named “{name}”. Pick another name."
    if connection_limit_reached():
        return connection_limit_message()
    return ""


@dataclass
class _Saved:
    connection: Connection | None = None
    problem: str = ""


def _save_as_connection(
    *, connection: Connection, actor, user_id: str, username: str, token: str, name: str
) -> _Saved:
    """Save a new token into a new connection owned by `actor`, on the same datacenter."""
    from connections.services import connection_create

    try:
        new = connection_create(
            owner=actor,
            name=name,
            datacenter=connection.datacenter,
            token=token,
            description=f"API token of the Qualtrics user {username or user_id}, created from “{connection.name}”.",
        )
    except ValidationError as exc:
        return _Saved(problem=" ".join(exc.messages))
    except QualtricsError as exc:
        from web.errors import explain

        info = explain(exc)
        return _Saved(problem=f"{info['title']}: “{info['message']}”")
    audit_record(
        actor=actor,
        connection=connection,
        action="brandadmin.user_token.saved_to_connection",
        target=_token_target(user_id, username),
        detail=f"The new API token ({mask_token(token)}) was saved into the connection “{new.name}” (#{new.pk}) "
        "without being shown.",
    )
    return _Saved(connection=new)


# --- groups --------------------------------------------------------------------------------------


def group_create(*, connection: Connection, actor, group_type: str, name: str, division_id: str = "") -> str:
    result = _client(connection, actor).groups.create(
        group_type=group_type.strip(), name=name.strip(), division_id=division_id or None
    )
    cache_forget(connection)
    return (result or {}).get("id", "")


def group_update(
    *,
    connection: Connection,
    actor,
    group_id: str,
    group_type: str | None = None,
    name: str | None = None,
    division_id: str | None = None,
) -> bool:
    """Send the fields given (None or empty: left as they are). False when there was nothing to send."""
    fields = {
        "group_type": (group_type or "").strip() or None,
        "name": (name or "").strip() or None,
        "division_id": (division_id or "").strip() or None,
    }
    if all(value is None for value in fields.values()):
        return False
    _client(connection, actor).groups.update(group_id, **fields)
    cache_forget(connection)
    return True


def group_delete(*, connection: Connection, actor, group_id: str) -> None:
    _client(connection, actor).groups.delete(group_id)
    cache_forget(connection)


@dataclass
class MembersAdded:
    added: list[str] = field(default_factory=list)
    failed: list[tuple[str, QualtricsError]] = field(default_factory=list)


def group_members_add(*, connection: Connection, actor, group_id: str, user_ids: list[str]) -> MembersAdded:
    """Add several users to a group, one call each; a failure for one does not stop the others."""
    client = _client(connection, actor)
    outcome = MembersAdded()
    seen: set[str] = set()
    for user_id in user_ids:
        if not user_id or user_id in seen:
            continue
        seen.add(user_id)
        try:
            client.groups.members.add(group_id, user_id=user_id)
        except QualtricsError as exc:
            if not outcome.added and not outcome.failed and exc.status in (401, 403):
                raise  # the token may not do this at all: say so once, not per user
            outcome.failed.append((user_id, exc))
        else:
            outcome.added.append(user_id)
    cache_forget(connection)
    return outcome


def group_member_remove(*, connection: Connection, actor, group_id: str, user_id: str) -> None:
    _client(connection, actor).groups.members.remove(group_id, user_id)
    cache_forget(connection)


# --- labels for IDs Qualtrics gives no name for ---------------------------------------------------


LABEL_ID_PREFIX = {"user_type": "UT_", "group_type": "GT_", "division": "DV_"}


def label_set(*, connection: Connection, actor, kind: str, qualtrics_id: str, label: str) -> None:
    """Name (or, with an empty label, unname) one user type, group type or division of the connection's brand.
    Only the portal changes: the audit trail records it like the connection's other settings."""
    if kind not in LabelKind.values:
        raise ValidationError("Label a user type, a group type or a division.")
    if not qualtrics_id.startswith(LABEL_ID_PREFIX[kind]):
        raise ValidationError(f"“{qualtrics_id}” is not a {LabelKind(kind).label.lower()} ID.")
    label = " ".join(label.split())
    key = dict(brand_key=brand_key(connection), kind=kind, qualtrics_id=qualtrics_id)
    if label:
        QualtricsLabel.objects.update_or_create(**key, defaults={"label": label[:80], "updated_by": actor})
    else:
        QualtricsLabel.objects.filter(**key).delete()
    audit_record(connection=connection, actor=actor, action="label.set", target=qualtrics_id,
                 detail=f"{LabelKind(kind).label}: {label or '(label removed)'}")
