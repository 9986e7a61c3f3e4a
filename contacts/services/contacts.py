"""Writes on a directory's contacts. Every call is audited by the connection's client (request id)."""

from __future__ import annotations

from connections.qualtrics_client import connection_client

from .. import selectors
from .. import validation as v
from .fields import clearing_removed_embedded, client_kwargs


class DuplicateContactError(Exception):
    """A contact with the same external reference or e-mail exists; the user chooses what to do."""

    def __init__(self, existing: dict, *, on_list: bool = False):
        self.existing = existing
        self.on_list = on_list
        field = v.FIELD_LABELS.get(existing.get("matched_on", ""), "details").lower()
        super().__init__(f"A contact with the same {field} already exists ({existing.get('contactId')}).")


def contact_create(*, connection, actor, directory_id: str, data: dict, on_duplicate: str = "ask") -> dict:
    """Create a directory contact; "create or update": look it up by extRef, then e-mail, first.

    on_duplicate: "ask" raises DuplicateContactError when one exists; "create" creates anyway;
    "update:<CID_…>" updates that contact instead. Returns {"id", "updated"}.
    """
    if on_duplicate.startswith("update:"):
        contact_id = on_duplicate.split(":", 1)[1]
        contact_update(connection=connection, actor=actor, directory_id=directory_id, contact_id=contact_id,
                       data=data)
        return {"id": contact_id, "updated": True}
    if on_duplicate == "ask":
        existing = selectors.contact_find_existing(
            connection=connection, actor=actor, directory_id=directory_id,
            ext_ref=data.get("extRef", ""), email=data.get("email", ""),
        )
        if existing is not None:
            raise DuplicateContactError(existing)
    result = connection_client(connection, actor=actor).contacts.create(
        directory_id, **client_kwargs(data, keep_blank=False)
    )
    return {"id": result["id"], "updated": False}


def contact_update(*, connection, actor, directory_id: str, contact_id: str, data: dict,
                   removed_embedded: tuple[str, ...] = ()) -> None:
    """Change a contact. Embedded-data fields removed in the editor are cleared (set to "")."""
    data = clearing_removed_embedded(data, removed_embedded)
    connection_client(connection, actor=actor).contacts.update(
        directory_id, contact_id, **client_kwargs(data, keep_blank=True)
    )


def contact_delete(*, connection, actor, directory_id: str, contact_id: str) -> None:
    """Delete the contact from the directory; Qualtrics also takes it off every mailing list."""
    connection_client(connection, actor=actor).contacts.delete(directory_id, contact_id)
