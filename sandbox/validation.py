"""Request-body checks with the API's own errors: RP_9 for unexpected keys, RP_10 for missing ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from . import dates
from .envelope import bad_request, missing_param, unexpected_key


def keys(body: dict[str, Any], required: Iterable[str] = (), optional: Iterable[str] = ()) -> None:
    """Keys are case-sensitive: anything not listed is unexpected (RP_9); listed required keys must be present."""
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in body:
        if key not in allowed:
            raise unexpected_key(key)
    for key in required:
        if key not in body or body[key] is None:
            raise missing_param(key)


def obj(body: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        if required:
            raise missing_param(key)
        return None
    if not isinstance(value, dict):
        raise bad_request(f"{key} must be a JSON object")
    return value


def optional_str(body: dict[str, Any], key: str, max_length: int | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    if max_length is not None and len(value) > max_length:
        raise bad_request(f"{key} must be at most {max_length} characters")
    return value


def required_str(body: dict[str, Any], key: str, max_length: int | None = None) -> str:
    value = optional_str(body, key, max_length)
    if value is None:
        raise missing_param(key)
    if not value.strip():
        raise bad_request(f"{key} must not be empty")
    return value


def optional_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be true or false")
    return value


def date(body: dict[str, Any], key: str, *, required: bool = False) -> datetime | None:
    value = body.get(key)
    if value is None:
        if required:
            raise missing_param(key)
        return None
    moment = dates.parse(value)
    if moment is None:
        raise bad_request(f"{key} is not a valid date; use ISO 8601 in UTC, e.g. 2025-01-31T09:00:00Z")
    return moment


def exactly_one_message(message: dict[str, Any]) -> None:
    """`libraryId`+`messageId`, or `messageText`, not both."""
    keys(message, optional=("libraryId", "messageId", "messageText"))
    has_library = message.get("libraryId") is not None or message.get("messageId") is not None
    has_text = message.get("messageText") is not None
    if has_library and has_text:
        raise bad_request("message: give either libraryId and messageId, or messageText, not both")
    if not has_library and not has_text:
        raise bad_request("message: give libraryId and messageId, or messageText")
    if has_library:
        for key in ("libraryId", "messageId"):
            if not isinstance(message.get(key), str):
                raise missing_param(key)
    elif not isinstance(message["messageText"], str) or not message["messageText"].strip():
        raise bad_request("message.messageText must be a non-empty string")
