"""Mailing lists of an XM Directory, and their members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..bodies import body, query
from ..paging import DEFAULT_PAGE_SIZE, MAILING_LIST_CONTACTS_PAGE_SIZE, Page, clamp_page_size
from .base import Resource, path, segment

if TYPE_CHECKING:
    from ..http import BaseClient


def lists_path(directory_id: str, *rest: str) -> str:
    return path("directories", segment(directory_id, "directory ID"), "mailinglists", *rest)


def list_path(directory_id: str, mailing_list_id: str, *rest: str) -> str:
    return lists_path(directory_id, segment(mailing_list_id, "mailing list ID"), *rest)


def member_path(directory_id: str, mailing_list_id: str, contact_id: str) -> str:
    return list_path(directory_id, mailing_list_id, "contacts", segment(contact_id, "contact ID"))


class MailingLists(Resource):
    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.members = MailingListMembers(client)

    def list(
        self,
        directory_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_url: str | None = None,
        owner_id: str | None = None,
        include_count: bool | None = None,
    ) -> Page:
        params = query(
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
            owner_id=owner_id,
            include_count=include_count,
        )
        return self._client._page(lists_path(directory_id), params, page_url)

    def get(self, directory_id: str, mailing_list_id: str, *, include_count: bool | None = None) -> dict[str, Any]:
        params = query(include_count=include_count)
        return self._client._send("GET", list_path(directory_id, mailing_list_id), params=params)

    def create(
        self,
        directory_id: str,
        *,
        name: str,
        owner_id: str | None = None,
        prioritize_list_metadata: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a list; ``owner_id`` may be a group (``GR_``) to share it. Result ``{"id": "CG_..."}``."""
        fields = body(extra, name=name, owner_id=owner_id, prioritize_list_metadata=prioritize_list_metadata)
        return self._client._send("POST", lists_path(directory_id), json=fields)

    def update(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        name: str | None = None,
        owner_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        fields = body(extra, name=name, owner_id=owner_id)
        return self._client._send("PUT", list_path(directory_id, mailing_list_id), json=fields)

    def delete(self, directory_id: str, mailing_list_id: str) -> None:
        self._client._send("DELETE", list_path(directory_id, mailing_list_id))


class MailingListMembers(Resource):
    """The contacts on a mailing list (their IDs are the directory contacts' IDs).

    Member routes give at most 50 contacts a page.
    """

    def _list(self, directory_id: str, mailing_list_id: str, which: str, page_url: str | None, **params: Any) -> Page:
        return self._client._page(list_path(directory_id, mailing_list_id, which), query(**params), page_url)

    def list(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        page_url: str | None = None,
        include_embedded: bool | None = None,
    ) -> Page:
        return self._list(
            directory_id,
            mailing_list_id,
            "contacts",
            page_url,
            page_size=clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE),
            use_new_pagination_scheme=True,
            include_embedded=include_embedded,
        )

    def list_bounced(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
        page_url: str | None = None,
    ) -> Page:
        size = clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE)
        return self._list(directory_id, mailing_list_id, "bouncedContacts", page_url, page_size=size, since=since)

    def list_opted_out(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        page_size: int = MAILING_LIST_CONTACTS_PAGE_SIZE,
        since: datetime | str | None = None,
        page_url: str | None = None,
    ) -> Page:
        size = clamp_page_size(page_size, MAILING_LIST_CONTACTS_PAGE_SIZE)
        return self._list(directory_id, mailing_list_id, "optedOutContacts", page_url, page_size=size, since=since)

    def get(self, directory_id: str, mailing_list_id: str, contact_id: str) -> dict[str, Any]:
        return self._client._send("GET", member_path(directory_id, mailing_list_id, contact_id))

    def create(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        ext_ref: str | None = None,
        language: str | None = None,
        unsubscribed: bool | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        private_embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Put a contact on a list. This always creates a new directory contact too (search by
        ``extRef`` first to avoid duplicates). Result ``{"id": "CID_...", "contactLookupId": "CGC_..."}``.
        """
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
            private_embedded_data=private_embedded_data,
        )
        return self._client._send("POST", list_path(directory_id, mailing_list_id, "contacts"), json=fields)

    def update(
        self,
        directory_id: str,
        mailing_list_id: str,
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
        """Change the given fields; ``unsubscribed`` here is the list-level opt-out."""
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
        return self._client._send("PUT", member_path(directory_id, mailing_list_id, contact_id), json=fields)

    def add_existing(
        self, directory_id: str, mailing_list_id: str, *, contacts: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Put contacts already in the directory on a list without creating new ones.

        No call names a directory contact by its ID for this: it is a contact import (the same job as
        ``client.contact_imports.start``) of, for each contact, the fields the directory de-duplicates
        on, which Qualtrics merges into the existing contact. A contact missing one of those fields
        would be created anew, so the caller sends only complete ones. The result holds the import
        ``id`` to follow (docs/qualtrics-api.md#adding-existing-contacts).
        """
        fields = {"contacts": [dict(contact) for contact in contacts]}
        return self._client._send("POST", list_path(directory_id, mailing_list_id, "transactioncontacts"),
                                  json=fields)

    def delete(self, directory_id: str, mailing_list_id: str, contact_id: str) -> None:
        """Remove the contact from the list; the directory contact stays."""
        self._client._send("DELETE", member_path(directory_id, mailing_list_id, contact_id))
