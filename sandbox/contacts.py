"""Directory contacts and list memberships: field validation, dedup, creation and removal."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import validation
from .envelope import bad_request
from .records import CONTACT_FIELDS, Contact, Directory, MailingList, Membership

if TYPE_CHECKING:
    from .ids import IdFactory

CONTACT_KEYS = (*CONTACT_FIELDS, "embeddedData", "privateEmbeddedData", "unsubscribed")
DEDUP_FIELDS = {"email": "email", "firstName": "firstName", "lastName": "lastName", "phone": "phone",
                "externalDataReference": "extRef"}
EMBEDDED_NAME_MAX = 200
EMBEDDED_VALUE_MAX = 1024


def check_body(body: dict[str, Any], allowed: tuple[str, ...] = CONTACT_KEYS) -> None:
    validation.keys(body, optional=allowed)
    for key in CONTACT_FIELDS:
        validation.optional_str(body, key)
    validation.optional_bool(body, "unsubscribed")
    for key in ("embeddedData", "privateEmbeddedData"):
        data = body.get(key)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise bad_request(f"{key} must be an object of names to values")
        for name, value in data.items():
            if len(name) > EMBEDDED_NAME_MAX:
                raise bad_request(f"{key} name longer than {EMBEDDED_NAME_MAX} characters: {name[:40]}...")
            if isinstance(value, (dict, list)):
                raise bad_request(f"{key}.{name} must be a string, number or boolean")
            if len(str(value)) > EMBEDDED_VALUE_MAX:
                raise bad_request(f"{key}.{name} is longer than {EMBEDDED_VALUE_MAX} characters")


def apply(contact: Contact, body: dict[str, Any], now: datetime) -> None:
    for key in CONTACT_FIELDS:
        if key in body:
            contact.fields[key] = body[key]
    for name, value in (body.get("embeddedData") or {}).items():
        if value is None:  # a field sent as null is removed from the contact
            contact.embedded.pop(name, None)
        else:
            contact.embedded[name] = value
    if body.get("privateEmbeddedData"):
        contact.private_embedded.update(body["privateEmbeddedData"])
    if "unsubscribed" in body and body["unsubscribed"] is not None:
        if body["unsubscribed"] and not contact.unsubscribed:
            contact.unsubscribe_date = now
        if not body["unsubscribed"]:
            contact.unsubscribe_date = None
        contact.unsubscribed = bool(body["unsubscribed"])
    contact.modified = now


def create(directory: Directory, ids: IdFactory, body: dict[str, Any], now: datetime) -> Contact:
    contact = Contact(id=ids.make("CID"), created=now, modified=now)
    apply(contact, body, now)
    directory.contacts[contact.id] = contact
    return contact


def find_duplicate(directory: Directory, body: dict[str, Any]) -> Contact | None:
    """The contact matching the directory's dedup criteria, when the body carries every criterion."""
    criteria = [DEDUP_FIELDS[name] for name, on in directory.dedup.items() if on and name in DEDUP_FIELDS]
    if not criteria or any(not body.get(field) for field in criteria):
        return None
    for contact in directory.contacts.values():
        if all(_same(field, contact.get(field), body[field]) for field in criteria):
            return contact
    return None


def _same(field: str, left: Any, right: Any) -> bool:
    if left is None:
        return False
    if field == "email":
        return str(left).strip().lower() == str(right).strip().lower()
    return left == right


def join(mailing_list: MailingList, contact: Contact, ids: IdFactory, now: datetime) -> Membership:
    membership = mailing_list.members.get(contact.id)
    if membership is None:
        membership = Membership(lookup_id=ids.make("CGC"), contact_id=contact.id, added=now)
        mailing_list.members[contact.id] = membership
        mailing_list.modified = now
    return membership


def remove(directory: Directory, contact_id: str) -> None:
    directory.contacts.pop(contact_id, None)
    for mailing_list in directory.lists.values():
        mailing_list.members.pop(contact_id, None)


def memberships(directory: Directory, contact_id: str) -> list[tuple[MailingList, Membership]]:
    return [
        (mailing_list, mailing_list.members[contact_id])
        for mailing_list in directory.lists.values()
        if contact_id in mailing_list.members
    ]
