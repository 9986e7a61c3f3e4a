"""The brand's groups, and their members."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..bodies import body, query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment

if TYPE_CHECKING:
    from ..http import BaseClient


def group_path(group_id: str, *rest: str) -> str:
    return path("groups", segment(group_id, "group ID"), *rest)


class Groups(Resource):
    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.members = GroupMembers(client)

    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/groups", query(page_size=optional_page_size(page_size)), page_url)

    def get(self, group_id: str) -> dict[str, Any]:
        return self._client._send("GET", group_path(group_id))

    def create(
        self,
        *,
        group_type: str,
        name: str,
        division_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a group of an existing group type; result ``{"id": "GR_..."}``."""
        fields = body(extra, type=group_type, name=name, division_id=division_id)
        return self._client._send("POST", "/groups", json=fields)

    def update(
        self,
        group_id: str,
        *,
        group_type: str | None = None,
        name: str | None = None,
        division_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        fields = body(extra, type=group_type, name=name, division_id=division_id)
        return self._client._send("PUT", group_path(group_id), json=fields)

    def delete(self, group_id: str) -> None:
        self._client._send("DELETE", group_path(group_id))


class GroupMembers(Resource):
    def list(self, group_id: str, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        params = query(page_size=optional_page_size(page_size))
        return self._client._page(group_path(group_id, "members"), params, page_url)

    def add(self, group_id: str, *, user_id: str) -> dict[str, Any] | None:
        return self._client._send("POST", group_path(group_id, "members"), json={"userId": user_id})

    def remove(self, group_id: str, user_id: str) -> None:
        self._client._send("DELETE", group_path(group_id, "members", segment(user_id, "user ID")))
