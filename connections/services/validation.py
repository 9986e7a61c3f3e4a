"""Checks shared by the connection services: field errors a form can show, the brand and user guards."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ..models import Connection
from ..validators import TOKEN_RE, clean_scopes, validate_client_id, validate_client_secret, validate_token_shape

ADMIN_ACCOUNT_TYPES = frozenset({"UT_BRANDADMIN", "UT_BRAND_ADMIN"})


def account_rank(account_type: str) -> int:
    """How much a Qualtrics account type may do, as far as the portal can tell: a brand administrator
    more than anyone else. Other types (custom ones, UT_…) cannot be ordered, so they rank alike."""
    return 1 if account_type in ADMIN_ACCOUNT_TYPES else 0


def account_type_label(account_type: str) -> str:
    if account_type in ADMIN_ACCOUNT_TYPES:
        return "brand administrator"
    return f"account type {account_type}" if account_type else "account type unknown"


def user_label(name: str, user_id: str, account_type: str) -> str:
    """“jdoe@acme.example” (account type UT_…): how a Qualtrics user is named in messages and the audit."""
    who = f"“{name or user_id}”" if name or user_id else "a user the portal has no record of"
    return f"{who} ({account_type_label(account_type)})"


def connection_user_label(connection: Connection) -> str:
    return user_label(connection.qualtrics_user_name, connection.qualtrics_user_id, connection.account_type)


def token_user_label(who) -> str:
    return user_label(who.user_name, who.user_id, who.account_type)


class BrandMismatchError(ValidationError):
    """A new token belongs to another Qualtrics brand than the connection was made for."""

    def __init__(self, *, expected: str, found: str, user_name: str = "", current_user: str = ""):
        self.expected = expected
        self.found = found
        self.user_name = user_name
        super().__init__(
            {
                "token": ValidationError(
                    "This token belongs to the Qualtrics brand “%(found)s”%(user)s, but this connection is for "
                    "“%(expected)s”%(current)s. Every screen, list and scheduled distribution of the connection "
                    "would switch brands. Tick “Use the other brand” to confirm, or paste a token from "
                    "“%(expected)s”.",
                    params={
                        "found": found,
                        "expected": expected,
                        "user": f" (user {user_name})" if user_name else "",
                        "current": f" (user {current_user})" if current_user else "",
                    },
                    code="brand_mismatch",
                )
            }
        )


class UserChangeError(ValidationError):
    """A new token of the connection's brand belongs to another Qualtrics user, or to one who may do less."""

    def __init__(self, *, current: str, found: str, other_user: bool, lesser: bool):
        self.current = current
        self.found = found
        self.other_user = other_user
        self.lesser = lesser
        less = "brand administration (users and groups) and other users' lists and surveys may stop working"
        if other_user:
            text = (
                f"This token belongs to the Qualtrics user {found}, but the connection acts as {current}. Every "
                f"screen, list and scheduled distribution of the connection would act as {found} instead"
            )
            text += f", who may do less: {less}." if lesser else "."
        else:
            text = (
                f"This token's user is now {found}, where the connection was set up as {current}. "
                f"With this account type, {less}."
            )
        text += " Tick “Use this token's user” to confirm, or paste a token of the current user."
        super().__init__({"token": ValidationError(text, code="user_change")})


def ensure_same_brand(connection: Connection, who, confirmed: bool) -> None:
    """Refuse a token of another brand than the connection's unless the manager confirmed the switch."""
    if connection.brand_id and who.brand_id and who.brand_id != connection.brand_id and not confirmed:
        current = connection.qualtrics_user_name or connection.qualtrics_user_id
        raise BrandMismatchError(
            expected=connection.brand_id, found=who.brand_id, user_name=who.user_name, current_user=current
        )


def user_change(connection: Connection, who) -> tuple[bool, bool]:
    """Whether a token of the connection's brand belongs to another user, and whether that user (or the
    same user, since demoted) has a lesser account type than the connection knew."""
    if connection.brand_id and who.brand_id and who.brand_id != connection.brand_id:
        return False, False  # another brand: the brand's confirmation covers it
    if connection.qualtrics_user_id and who.user_id:
        other_user = who.user_id != connection.qualtrics_user_id
    elif connection.qualtrics_user_name and who.user_name:
        other_user = who.user_name.lower() != connection.qualtrics_user_name.lower()
    else:
        other_user = False  # nothing known about the current user to compare with
    lesser = bool(connection.account_type) and account_rank(who.account_type) < account_rank(connection.account_type)
    return other_user, lesser


def ensure_same_user(connection: Connection, who, confirmed: bool) -> str:
    """Refuse a token of another user, or of a lesser account type, unless the manager confirmed it.

    Returns what changed, in words for the audit ("" when nothing did).
    """
    other_user, lesser = user_change(connection, who)
    if not (other_user or lesser):
        return ""
    current, found = connection_user_label(connection), token_user_label(who)
    if not confirmed:
        raise UserChangeError(current=current, found=found, other_user=other_user, lesser=lesser)
    what = "user" if other_user else "account type"
    return f"{what} changed from {current} to {found}" + (" (less access)" if lesser else "") + " (confirmed)"


def clean_notify_emails(raw: str) -> str:
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


def check_name_free(*, owner, name: str, exclude_pk=None) -> None:
    qs = Connection.objects.filter(owner=owner, name__iexact=name.strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {"name": f"You already have a connection named “{name.strip()}”. Pick another name."},
        )


def validate_connection(connection: Connection, *, token: str, require_token: bool, client_secret: str = "") -> None:
    """Every field error at once, as a dict ValidationError a form can show. An OAuth connection's client
    ID, secret (when `require_token`, or given) and scopes are checked instead of a token."""
    errors: dict[str, list] = {}
    if connection.uses_oauth:
        for name, check, value in (
            ("client_id", validate_client_id, connection.oauth_client_id),
            ("client_secret", validate_client_secret, client_secret),
        ):
            if name == "client_secret" and not (client_secret or require_token):
                continue
            try:
                check(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
        try:
            connection.oauth_scopes_requested = clean_scopes(connection.oauth_scopes_requested)
        except ValidationError as exc:
            errors.setdefault("scopes", []).extend(exc.messages)
    elif token or require_token:
        try:
            validate_token_shape(token)
        except ValidationError as exc:
            errors.setdefault("token", []).extend(exc.messages)
    try:
        connection.notify_emails = clean_notify_emails(connection.notify_emails)
    except ValidationError as exc:
        errors.setdefault("notify_emails", []).extend(exc.message_dict["notify_emails"])
    try:
        connection.full_clean(
            exclude=["token_encrypted", "token_last4", "owner", "notify_emails", "oauth_scopes_requested"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if "name" not in errors:
        try:
            check_name_free(owner=connection.owner, name=connection.name, exclude_pk=connection.pk)
        except ValidationError as exc:
            errors.setdefault("name", []).extend(exc.message_dict["name"])
    if errors:
        raise ValidationError(errors)

