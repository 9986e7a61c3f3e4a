"""A list page's table: the page a screen fetched and the rows built from it (`TableData`), and the table
rendered last, once the rest of the page is (`RenderedLast`). Used by web.crud's CrudListView."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cached_property
from typing import Any

from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from qualtrics import Page

from .errors import EXPLAINABLE_ERRORS
from .page_keys import start_remembering_page

EXPIRED_PAGE = "That page link has expired, so this is the first page again."


def answers_within(future, seconds: float) -> bool:
    try:
        future.result(timeout=max(seconds, 0))
    except FutureTimeout:
        return False
    except Exception:  # answered, with an error the table explains when it renders
        return True
    return True


class RenderedLast:
    """HTML that a template outputs where it stands (`{{ table }}`), rendered after everything else on the
    page: a list page renders its layout, navigation, search form and what follows the table while a read
    started in the background is under way, and then waits for the answer, with only the table left to do.
    The template outputs a marker; `put_into` renders the HTML and puts it in the marker's place."""

    def __init__(self, render: Callable[[], str]):
        self._render = render
        self._marker = f"<!--rendered-last:{secrets.token_hex(8)}-->"
        self.shown = False

    def __html__(self) -> str:
        self.shown = True
        return mark_safe(self._marker)  # noqa: S308 - a comment of our own

    def __str__(self) -> str:
        return self.__html__()

    def put_into(self, html: str) -> str:
        """`html` (the page rendered with this in it) with the HTML in place of the marker; not rendered at all
        when the page does not show it."""
        return html.replace(self._marker, self._render()) if self.shown else html


class TableData:
    """What a list page's table shows: the page a screen fetched (or the error explaining why not) and
    the rows built from it, worked out when the template first needs them."""

    def __init__(self, view, answer: Callable[[], Page], key: str, *, expired: bool = False):
        self.view = view
        self.answer = answer
        self.key = key  # of this page; "" for the first
        self.expired = expired
        self.kept: Callable[[], None] | None = None  # waits until the next page's key is kept

    @cached_property
    def parts(self) -> dict[str, Any]:
        view = self.view
        error = None
        try:
            page = self.answer()
        except EXPLAINABLE_ERRORS as exc:
            error, page = view.explain_error(exc), Page(items=[])
            if error.get("replaces_page"):
                raise  # no table to show: the view's error_response explains it instead of the page
        if self.expired:
            page = dataclasses.replace(page, notice=" ".join(filter(None, (EXPIRED_PAGE, page.notice))))
        following = None
        if page.next_page:
            # Kept while the rows render, so the cache's round trip is not added to them; `settle` waits for it.
            following, self.kept = start_remembering_page(view.request.path, cursor=page.next_page,
                                                          number=view.page_number + 1, previous=self.key)
        return {
            "page": page,
            "error": error,
            "rows": [{"item": item, "url": view.row_url(item)} for item in page.items],  # cells: web.templatetags.crud
            "next_query": view.query(page=following) if following else None,
        }

    def lazy(self, name: str) -> SimpleLazyObject:
        return SimpleLazyObject(lambda: self.parts[name])

    def settle(self) -> None:
        """Waits until the next page's key is kept: the page never goes out with a link that leads nowhere."""
        kept, self.kept = self.kept, None
        if kept is not None:
            kept()
