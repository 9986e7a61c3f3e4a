"""XM Directories: a brand has few, one of them the default."""

from __future__ import annotations

from typing import Any

from ..bodies import query
from ..errors import NotFoundError
from ..paging import Page, optional_page_size
from .base import Resource

# The contact fields a directory can recognise a person by, as `deduplicationCriteria` names them.
DEDUP_CRITERIA = ("email", "firstName", "lastName", "phone", "externalDataReference")


class Directories(Resource):
    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/directories", query(page_size=optional_page_size(page_size)), page_url)

    def get(self, directory_id: str) -> dict[str, Any]:
        """One directory, read from the list (Qualtrics has no call for a single directory)."""
        for directory in self.list().iter_all():
            if directory.get("directoryId") == directory_id:
                return directory
        raise NotFoundError(f"No directory {directory_id} in this brand", status=404, method="GET",
                            path="/directories")

    def deduplication(self, directory_id: str) -> dict[str, bool]:
        """Which contact fields the directory merges contacts on: ``{"email": True, "phone": False, …}``."""
        criteria = self.get(directory_id).get("deduplicationCriteria") or {}
        return {name: bool(criteria.get(name)) for name in DEDUP_CRITERIA}
