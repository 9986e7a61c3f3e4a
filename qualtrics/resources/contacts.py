"""Contacts of an XM Directory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..bodies import ContactFilter, body, query
from ..paging import DEFAULT_PAGE_SIZE, Page, clamp_page_size, page_from_result
from .base import Resource, path, segment


def contacts_path(directory_id: str, *rest: str) -> str:
    return path("directories", segment(directory_id, "directory ID"), "contacts", *rest)


class Contacts(Resource):
    def list(
        self,
        directory_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_url: str | None = None,
        include_embedded: bool | None = None,
    ) -> Page:
        params = query(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )
        return self._client._page(contacts_path(directory_id), params, page_url)

    def search(
        self,
        directory_id: str,
        *,
        filter: ContactFilter | Mapping[str, Any],
        page_size: int = DEFAULT_PAGE_SIZE,
        skip_token: str | None = None,
        include_embedded: bool | None = None,
        include_segments: bool | None = None,
    ) -> Page:
        """One page of a contact search; ``next_page`` is the skip token for the following page.

        Qualtrics refuses (400) to page past 10,000 results; export contacts for more.
        """
        params = query(
            page_size=clamp_page_size(page_size),
            skip_token=skip_token,
            include_embedded=include_embedded,
            include_segments=include_segments,
        )
        result = self._client._send(
            "POST",
            contacts_path(directory_id, "search"),
            params=params,
            json={"filter": dict(filter)},
            idempotent=True,
        )

        def following(token: str) -> Page:
            return self.search(
                directory_id,
                filter=filter,
                page_size=page_size,
                skip_token=token,
                include_embedded=include_embedded,
                include_segments=include_segments,
            )

        page = page_from_result(result, next_key="skipToken", fetch_next=following)
        if page.next_page is None and isinstance(result, dict) and result.get("nextPage"):
            tokens = parse_qs(urlsplit(str(result["nextPage"])).query).get("skipToken")
            page = Page(page.items, tokens[0] if tokens else None, fetch_next=following)
        return page

    def get(self, directory_id: str, contact_id: str) -> dict[str, Any]:
        return self._client._send("GET", contacts_path(directory_id, segment(contact_id, "contact ID")))

    def create(
        self,
        directory_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a directory contact; the result is ``{"id": "CID_..."}``."""
        fields = body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
        )
        return self._client._send("POST", contacts_path(directory_id), json=fields)

    def update(
        self,
        directory_id: str,
        contact_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Change the given fields only."""
        fields = body(
            extra,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            ext_ref=ext_ref,
            language=language,
            unsubscribed=unsubscribed,
            embedded_data=embedded_data,
        )
        target = contacts_path(directory_id, segment(contact_id, "contact ID"))
        return self._client._send("PUT", target, json=fields)

    def delete(self, directory_id: str, contact_id: str) -> None:
        """Delete the contact from the directory, and so from all its mailing lists."""
        self._client._send("DELETE", contacts_path(directory_id, segment(contact_id, "contact ID")))
