"""Reading one survey response by its ID (what an event subscription's message points at)."""

from __future__ import annotations

from typing import Any

from .base import Resource, path, segment


class ResponseReads(Resource):
    def get(self, survey_id: str, response_id: str) -> dict[str, Any]:
        """``{responseId, values, labels, displayedFields, displayedValues}`` of one response.

        Qualtrics allows this route fewer calls a minute than the brand (the ``response-read`` budget)."""
        return self._client._send(
            "GET", path("surveys", segment(survey_id, "survey ID"), "responses", segment(response_id, "response ID"))
        )
