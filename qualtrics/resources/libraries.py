"""Libraries (the brand's and each user's) and the messages in them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..bodies import query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment

if TYPE_CHECKING:
    from ..http import BaseClient


def messages_path(library_id: str, *rest: str) -> str:
    return path("libraries", segment(library_id, "library ID"), "messages", *rest)


class Libraries(Resource):
    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.messages = LibraryMessages(client)

    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/libraries", query(page_size=optional_page_size(page_size)), page_url)


class LibraryMessages(Resource):
    def list(
        self,
        library_id: str,
        *,
        category: str | None = None,
        page_size: int | None = None,
        page_url: str | None = None,
    ) -> Page:
        params = query(category=category, page_size=optional_page_size(page_size))
        return self._client._page(messages_path(library_id), params, page_url)

    def get(self, library_id: str, message_id: str) -> dict[str, Any]:
        return self._client._send("GET", messages_path(library_id, segment(message_id, "message ID")))
