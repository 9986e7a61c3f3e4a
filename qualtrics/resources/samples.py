"""Samples of an XM Directory: fixed subsets of a mailing list that a distribution can target."""

from __future__ import annotations

from ..bodies import query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment


class Samples(Resource):
    def list(self, directory_id: str, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        """One page of the directory's samples (``{"sampleId", "name", "mailingListId", …}``)."""
        target = path("directories", segment(directory_id, "directory ID"), "samples")
        return self._client._page(target, query(page_size=optional_page_size(page_size)), page_url)
