"""Writes on a mailing list's members (contacts on the list)."""

from __future__ import annotations

from connections.qualtrics_client import connection_client

from .. import selectors
from .contacts import DuplicateContactError
from .fields import clearing_removed_embedded, client_kwargs


def member_create(*, connection, actor, directory_id: str, mailing_list_id: str, data: dict,
                  on_duplicate: str = "ask") -> dict:
    """Put a contact on a list. Qualtrics makes a new directory contact for it every time, so look the
    contact up first: on_duplicate "ask" raises DuplicateContactError (on_list tells whether it is
    already a member); "create" adds it anyway. Returns {"id", "contactLookupId"}."""
    if on_duplicate == "ask":
        existing = selectors.contact_find_existing(
            connection=connection, actor=actor, directory_id=directory_id,
            ext_ref=data.get("extRef", ""), email=data.get("email", ""),
        )
        if existing is not None:
            detail = selectors.contact_get(connection=connection, actor=actor, directory_id=directory_id,
                                           contact_id=existing["contactId"])
            on_list = mailing_list_id in (detail.get("mailingListMembership") or {})
            raise DuplicateContactError({**existing, **detail, "matched_on": existing["matched_on"]},
                                        on_list=on_list)
    return connection_client(connection, actor=actor).mailing_lists.members.create(
        directory_id, mailing_list_id, **client_kwargs(data, keep_blank=False)
    )


def member_update(*, connection, actor, directory_id: str, mailing_list_id: str, contact_id: str, data: dict,
                  removed_embedded: tuple[str, ...] = ()) -> None:
    """Change a member: contact fields change the directory contact; `unsubscribed` is list-level."""
    data = clearing_removed_embedded(data, removed_embedded)
    connection_client(connection, actor=actor).mailing_lists.members.update(
        directory_id, mailing_list_id, contact_id, **client_kwargs(data, keep_blank=True)
    )


def member_delete(*, connection, actor, directory_id: str, mailing_list_id: str, contact_id: str) -> None:
    """Take the contact off the list; the directory contact and its other memberships stay."""
    connection_client(connection, actor=actor).mailing_lists.members.delete(directory_id, mailing_list_id, contact_id)
