import re

from django.core.exceptions import ValidationError

KNOWN_DATACENTERS = {
    # Listed in Qualtrics' own API description, and legacy IDs still seen in the wild.
    "yul1": "Canada",
    "iad1": "Washington DC",
    "sjc1": "San Jose",
    "fra1": "EU (Frankfurt)",
    "lhr1": "London",
    "syd1": "Sydney",
    "sin1": "Singapore",
    "hnd1": "Tokyo",
    "gov1": "US Government",
    "ca1": "Canada (legacy)",
    "pdx1": "Oregon (legacy)",
    "co1": "Washington DC (legacy, now iad1)",
    "az1": "San Jose (legacy, now sjc1)",
    "au1": "Sydney (legacy, now syd1)",
    "eu": "EU (legacy, now fra1)",
}
DATACENTER_RE = re.compile(r"^[a-z]{2,4}[0-9]{1,2}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{20,64}$")


def validate_datacenter(value: str) -> None:
    """Accept known datacenter IDs and the datacenter shape only: nothing that could change the host."""
    if value in KNOWN_DATACENTERS or DATACENTER_RE.fullmatch(value or ""):
        return
    raise ValidationError(
        "“%(value)s” is not a Qualtrics datacenter ID. Use the ID from your Qualtrics account "
        "(Account settings → Qualtrics IDs), for example iad1, fra1 or sjc1.",
        params={"value": value},
        code="invalid_datacenter",
    )


def validate_token_shape(value: str) -> None:
    if not TOKEN_RE.fullmatch(value or ""):
        raise ValidationError(
            "An API token is 20–64 letters and digits (Qualtrics tokens are 40). Copy it again from "
            "Account settings → Qualtrics IDs.",
            code="invalid_token",
        )


CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
CLIENT_SECRET_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{16,200}$")


def validate_client_id(value: str) -> None:
    if not CLIENT_ID_RE.fullmatch(value or ""):
        raise ValidationError(
            "An OAuth client ID is 8–100 letters, digits, dashes or underscores (Qualtrics' are 32). Copy it "
            "from Account settings → Qualtrics IDs → OAuth clients.",
            code="invalid_client_id",
        )


def validate_client_secret(value: str) -> None:
    if not CLIENT_SECRET_RE.fullmatch(value or ""):
        raise ValidationError(
            "An OAuth client secret is 16–200 letters and digits, as Qualtrics showed it when the client was "
            "created (it is shown once: a brand administrator can generate a new one).",
            code="invalid_client_secret",
        )


def clean_scopes(value: str) -> str:
    """Scopes as typed (spaces, commas or lines between them) to OAuth's space-separated form; refuses
    anything not shaped like read:…, write:… or manage:…."""
    from qualtrics.scopes import SCOPE_SHAPE

    scopes = list(dict.fromkeys(s for s in re.split(r"[\s,;]+", value or "") if s))
    bad = [s for s in scopes if not SCOPE_SHAPE.fullmatch(s)]
    if bad or not scopes:
        raise ValidationError(
            "List the scopes to ask for, such as read:users write:mailing_lists (or manage:all)"
            + (f"; not a scope: {', '.join(s[:40] for s in bad[:5])}." if bad else "."),
            code="invalid_scopes",
        )
    return " ".join(scopes)
