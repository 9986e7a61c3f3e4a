"""XM Directories: a brand has few, one of them the default."""

from __future__ import annotations

from ..bodies import query
from ..paging import Page, optional_page_size
from .base import Resource


class Directories(Resource):
    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/directories", query(page_size=optional_page_size(page_size)), page_url)
