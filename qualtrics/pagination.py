"""Pages of Qualtrics list results.

List calls answer ``{"elements": [...], "nextPage": <absolute URL or null>}``. Two styles exist
(``offset=N`` on users, groups, surveys and libraries; ``skipToken=...`` on XM Directory and
distribution routes) but both put the whole next request in ``nextPage``, so the client follows it
verbatim and never builds the token or offset itself. Contact search is the exception: it returns a
bare ``skipToken`` to send again with the same body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from .errors import InvalidResponseError

DEFAULT_PAGE_SIZE = 100
MAILING_LIST_CONTACTS_PAGE_SIZE = 50


class Page(NamedTuple):
    """One page: its elements and the URL (or search token) of the next one, None on the last."""

    elements: list[dict[str, Any]]
    next_page: str | None


def clamp_page_size(requested: int | None, cap: int = DEFAULT_PAGE_SIZE) -> int:
    """A page size Qualtrics accepts on a route whose maximum is ``cap``."""
    if requested is None:
        return cap
    return max(1, min(int(requested), cap))


def page_from_result(result: dict[str, Any] | None, *, next_key: str = "nextPage") -> Page:
    if result is None:
        return Page([], None)
    if not isinstance(result, dict):
        raise InvalidResponseError("a list result was not an object")
    elements = result.get("elements") or []
    if not isinstance(elements, list):
        raise InvalidResponseError("a list result's elements were not a list")
    following = result.get(next_key) or None
    if following is not None and not isinstance(following, str):
        raise InvalidResponseError(f"a list result's {next_key} was not a string")
    return Page(elements, following)


def iterate(fetch: Callable[[str | None], Page]) -> Iterator[dict[str, Any]]:
    """Yield every element, calling ``fetch(None)`` then ``fetch(next_page)`` until there is none.

    A ``next_page`` seen before means the server is going round in circles: stop with an error rather
    than loop forever.
    """
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.elements
        if not page.next_page:
            return
        if page.next_page in seen:
            raise InvalidResponseError("the next page pointed back to a page already read")
        seen.add(page.next_page)
        cursor = page.next_page
