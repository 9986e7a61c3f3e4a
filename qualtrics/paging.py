"""Pages of Qualtrics list results, and following them to the end.

List calls answer ``{"elements": [...], "nextPage": <absolute URL or null>}``. Two styles exist
(``offset=N`` on users, groups, surveys and libraries; ``skipToken=...`` on XM Directory and
distribution routes) but both put the whole next request in ``nextPage``, so the client follows it
verbatim and never builds the token or offset itself. Contact search is the exception: it returns a
bare ``skipToken`` to send again with the same body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidResponseError

DEFAULT_PAGE_SIZE = 100
MAILING_LIST_CONTACTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, and the URL (or search token) of the next page, None on the last.

    A screen shows one page and hands ``next_page`` back as its cursor; code that needs everything
    calls ``iter_all()``, which fetches the following pages only as they are reached.

    The same type carries any one page a screen shows, also of lists the caller builds itself (a
    filtered read, its own records): ``next_page`` is then whatever cursor resumes that list. What the
    caller adds travels with the page: ``total``, the number of items in the whole list when known, and
    ``notice``, a remark on how the page was obtained (a capped search, a list filtered by reading it),
    shown with it. ``dataclasses.replace(page, notice=...)`` adds one and keeps the way to the next page.
    """

    items: list[Any]
    next_page: str | None = None
    total: int | None = field(default=None, kw_only=True)
    notice: str = field(default="", kw_only=True)
    fetch_next: Callable[[str], Page] | None = field(default=None, repr=False, compare=False, kw_only=True)

    def iter_all(self) -> Iterator[dict[str, Any]]:
        """Yield this page's items, then those of every following page.

        A ``next_page`` seen before means the server is going round in circles: stop with an error
        rather than loop forever.
        """
        seen: set[str] = set()
        page = self
        while True:
            yield from page.items
            following = page.next_page
            if not following:
                return
            if following in seen:
                raise InvalidResponseError("the next page pointed back to a page already read")
            if page.fetch_next is None:
                raise InvalidResponseError("the page does not say how to fetch the next one")
            seen.add(following)
            page = page.fetch_next(following)


def clamp_page_size(requested: int | None, cap: int = DEFAULT_PAGE_SIZE) -> int:
    """A page size Qualtrics accepts on a route whose maximum is ``cap``."""
    if requested is None:
        return cap
    return max(1, min(int(requested), cap))


def optional_page_size(requested: int | None) -> int | None:
    """The page size for routes where leaving it out lets Qualtrics choose."""
    return clamp_page_size(requested) if requested is not None else None


def page_from_result(
    result: dict[str, Any] | None,
    *,
    next_key: str = "nextPage",
    fetch_next: Callable[[str], Page] | None = None,
) -> Page:
    if result is None:
        return Page([], None, fetch_next=fetch_next)
    if not isinstance(result, dict):
        raise InvalidResponseError("a list result was not an object")
    items = result.get("elements") or []
    if not isinstance(items, list):
        raise InvalidResponseError("a list result's elements were not a list")
    following = result.get(next_key) or None
    if following is not None and not isinstance(following, str):
        raise InvalidResponseError(f"a list result's {next_key} was not a string")
    return Page(items, following, fetch_next=fetch_next)
