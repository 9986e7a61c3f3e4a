"""Where a list's pages are kept: a short key in the URL stands for the cursor Qualtrics gave (a long page URL), and
a signed cursor where a screen hands one out itself."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from .cache import set_unawaited

# The salt predates this module's name; changing it would break the cursors in URLs already handed out.
CURSOR_SALT = "portal.crud.cursor"
PAGE_SALT = "portal.crud.page"
PAGE_KEY = re.compile(r"[0-9a-f]{16}")
PAGE_KEY_SECONDS = 24 * 3600


def sign_cursor(cursor: str) -> str:
    """A cursor a screen hands out in a URL itself (not a list's pages: see `remember_page`)."""
    return signing.dumps(cursor, salt=CURSOR_SALT, compress=True)


def unsign_cursor(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return signing.loads(value, salt=CURSOR_SALT)
    except signing.BadSignature:
        return None


def page_key(path: str, *, cursor: str, previous: str) -> str:
    """The key `remember_page` keeps this page under, known before it is kept."""
    return salted_hmac(PAGE_SALT, f"{path}\x1f{previous}\x1f{cursor}").hexdigest()[:16]


def remember_page(path: str, *, cursor: str, number: int, previous: str) -> str:
    """A short key for one page of the list at `path`, kept in the cache: the URL carries the key, never
    the cursor (a Qualtrics page URL, long) nor the pages before it, so it stays short at any depth.

    The key depends only on the list, the cursor and the page before (see `page_key`), so reloading gives the
    same one.
    """
    key, kept = start_remembering_page(path, cursor=cursor, number=number, previous=previous)
    kept()
    return key


def start_remembering_page(path: str, *, cursor: str, number: int, previous: str) -> tuple[str, Callable[[], None]]:
    """`remember_page` for a page that renders meanwhile: the key, and the function that waits until it is kept
    (the cache's round trip overlaps the rendering)."""
    key = page_key(path, cursor=cursor, previous=previous)
    kept = set_unawaited(f"crud:page:{key}", {"path": path, "cursor": cursor, "number": number, "previous": previous},
                         PAGE_KEY_SECONDS)
    return key, kept


def recall_page(path: str, key: str) -> dict | None:
    """What `remember_page` kept under `key` for the list at `path`: cursor, number, previous (the key of the
    page before, "" for the first). None for a key unknown, expired or made for another list."""
    if not PAGE_KEY.fullmatch(key or ""):
        return None
    place = cache.get(f"crud:page:{key}")
    return place if isinstance(place, dict) and place.get("path") == path else None
