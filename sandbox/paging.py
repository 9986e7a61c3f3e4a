"""The two pagination styles: `offset` (users, groups, surveys, libraries) and `skipToken` (XM Directory,
distributions). Both answer `{"elements": [...], "nextPage": <absolute URL or null>}`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

from .envelope import bad_request
from .routing import ApiCall

DEFAULT_CAP = 100


def page_size(call: ApiCall, default: int = DEFAULT_CAP, cap: int = DEFAULT_CAP) -> int:
    raw = call.query.get("pageSize")
    if raw is None or raw == "":
        return min(default, cap)
    try:
        size = int(raw)
    except ValueError:
        raise bad_request(f"pageSize must be a whole number between 1 and {cap}") from None
    if size < 1:
        raise bad_request(f"pageSize must be a whole number between 1 and {cap}")
    if size > cap:
        if call.config["page_size_over_cap"] == "error":
            raise bad_request(f"pageSize must be at most {cap} for this resource")
        return cap
    return size


def encode_token(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def decode_token(token: str) -> int:
    try:
        offset = int(base64.b64decode(token.encode(), validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request("Invalid skipToken") from None
    if offset < 0:
        raise bad_request("Invalid skipToken")
    return offset


def _offset_param(call: ApiCall) -> int:
    raw = call.query.get("offset") or "0"
    try:
        offset = int(raw)
    except ValueError:
        raise bad_request("offset must be a whole number") from None
    if offset < 0:
        raise bad_request("offset must be a whole number")
    return offset


def offset_page(call: ApiCall, items: Sequence[Any], render: Callable[[Any], Any],
                default: int = DEFAULT_CAP, cap: int = DEFAULT_CAP) -> dict[str, Any]:
    size = page_size(call, default, cap)
    offset = _offset_param(call)
    chunk = items[offset: offset + size]
    following = offset + size
    next_page = call.this_url(offset=following) if following < len(items) else None
    return {"elements": [render(item) for item in chunk], "nextPage": next_page}


def skip_page(call: ApiCall, items: Sequence[Any], render: Callable[[Any], Any],
              default: int = DEFAULT_CAP, cap: int = DEFAULT_CAP) -> dict[str, Any]:
    size = page_size(call, default, cap)
    token = call.query.get("skipToken")
    offset = decode_token(token) if token else 0
    chunk = items[offset: offset + size]
    following = offset + size
    next_page = call.this_url(skipToken=encode_token(following)) if following < len(items) else None
    return {"elements": [render(item) for item in chunk], "nextPage": next_page}
