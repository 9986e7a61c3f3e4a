"""Surveys the token's user can see."""

from __future__ import annotations

from typing import Any

from ..bodies import query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment


class Surveys(Resource):
    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/surveys", query(page_size=optional_page_size(page_size)), page_url)

    def get(self, survey_id: str) -> dict[str, Any]:
        return self._client._send("GET", path("surveys", segment(survey_id, "survey ID")))
