"""Checks shared by the connection services: field errors a form can show, the brand guard."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ..models import Connection
from ..validators import TOKEN_RE, validate_token_shape


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


def ensure_same_brand(connection: Connection, who, confirmed: bool) -> None:
    """Refuse a token of another brand than the connection's unless the manager confirmed the switch."""
    if connection.brand_id and who.brand_id and who.brand_id != connection.brand_id and not confirmed:
        raise BrandMismatchError(expected=connection.brand_id, found=who.brand_id, user_name=who.user_name)


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


def validate_connection(connection: Connection, *, token: str, require_token: bool) -> None:
    """Every field error at once, as a dict ValidationError a form can show."""
    errors: dict[str, list] = {}
    if token or require_token:
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
            exclude=["token_encrypted", "token_last4", "owner", "notify_emails"],
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

