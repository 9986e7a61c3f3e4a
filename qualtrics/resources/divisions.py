"""The brand's divisions. Qualtrics cannot list them: users and groups name theirs by ID, and one division
is read (for its name), created or renamed by that ID."""

from __future__ import annotations

from typing import Any

from .base import Resource, path, segment


def division_path(division_id: str) -> str:
    return path("divisions", segment(division_id, "division ID"))


class Divisions(Resource):
    def get(self, division_id: str) -> dict[str, Any]:
        """``{"id": "DV_...", "name": ...}``."""
        return self._client._send("GET", division_path(division_id))

    def create(self, *, name: str) -> dict[str, Any]:
        """Result ``{"id": "DV_..."}``."""
        return self._client._send("POST", "/divisions", json={"name": name})

    def update(self, division_id: str, *, name: str) -> Any:
        return self._client._send("PUT", division_path(division_id), json={"name": name})
