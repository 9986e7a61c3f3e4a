"""Surveys the token's user can see: read, change (status, name, expiration window), copy, import from a
.qsf file, delete; and each survey's quotas and saved response filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..bodies import format_datetime, query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment

# The media type Qualtrics names for a survey file in Qualtrics Survey Format (docs/qualtrics-api.md#surveys).
QSF_MEDIA_TYPE = "application/vnd.qualtrics.survey.qsf"
Moment = datetime | date | str | None


def survey_path(survey_id: str, *rest: str) -> str:
    return path("surveys", segment(survey_id, "survey ID"), *rest)


class Surveys(Resource):
    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        """``{id, name, ownerId, isActive, creationDate, lastModified}`` per survey, offset pages."""
        return self._client._page("/surveys", query(page_size=optional_page_size(page_size)), page_url)

    def get(self, survey_id: str) -> dict[str, Any]:
        """One survey with its ``expiration`` window and ``responseCounts`` (and its questions, blocks
        and flow in the older shape; the survey-definitions resource has the full definition)."""
        return self._client._send("GET", survey_path(survey_id))

    def update(
        self,
        survey_id: str,
        *,
        name: str | None = None,
        is_active: bool | None = None,
        expiration: tuple[Moment, Moment] | None = None,
    ) -> None:
        """Change what is given. ``expiration`` is the (start, end) window; a ``None`` end leaves that
        side open, so ``(None, None)`` clears the window."""
        fields: dict[str, Any] = {}
        if name is not None:
            fields["name"] = name
        if is_active is not None:
            fields["isActive"] = is_active
        if expiration is not None:
            start, end = expiration
            fields["expiration"] = {
                "startDate": format_datetime(start) if start is not None else None,
                "endDate": format_datetime(end) if end is not None else None,
            }
        if not fields:
            raise ValueError("give at least one of name, is_active, expiration")
        self._client._send("PUT", survey_path(survey_id), json=fields)

    def delete(self, survey_id: str) -> None:
        self._client._send("DELETE", survey_path(survey_id))

    def copy(self, survey_id: str, *, name: str, owner_id: str | None = None) -> dict[str, Any]:
        """Copy a survey (definition, quotas, filters; no responses) under a new name, owned by
        ``owner_id`` (a user of the brand) or else by the token's user. Result ``{"id": "SV_..."}``."""
        headers = {"X-COPY-SOURCE": segment(survey_id, "survey ID")}
        if owner_id:
            headers["X-COPY-DESTINATION-OWNER"] = segment(owner_id, "user ID")
        return self._client._send("POST", "/surveys", json={"projectName": name}, headers=headers)

    def import_qsf(self, *, name: str, content: bytes, filename: str = "survey.qsf") -> dict[str, Any]:
        """Create a survey from a Qualtrics Survey Format file. Result ``{"id": "SV_..."}``."""
        files = {"name": (None, name), "file": (filename, content, QSF_MEDIA_TYPE)}
        return self._client._send("POST", "/surveys", files=files)

    def list_quotas(self, survey_id: str, *, page_url: str | None = None) -> Page:
        """``{id, name, count, quota, logicType}`` per quota: ``count`` of ``quota`` filled so far."""
        return self._client._page(survey_path(survey_id, "quotas"), None, page_url)

    def list_filters(self, survey_id: str, *, page_url: str | None = None) -> Page:
        """The survey's saved response filters, ``{filterId, name}``."""
        return self._client._page(survey_path(survey_id, "filters"), None, page_url)
