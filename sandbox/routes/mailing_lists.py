"""XM Directory mailing lists and their contacts (list-scoped `CGC_` lookup IDs, opt-outs, bounces)."""

from __future__ import annotations

from typing import Any

from .. import contacts, dates, paging, validation
from ..envelope import bad_request
from ..records import Directory, MailingList, Membership
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

LIST_CONTACTS_CAP = 50
NAME_MAX = 100


def list_summary(mailing_list: MailingList, with_count: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "mailingListId": mailing_list.id,
        "name": mailing_list.name,
        "ownerId": mailing_list.owner_id,
        "creationDate": dates.epoch_ms(mailing_list.created),
        "lastModifiedDate": dates.epoch_ms(mailing_list.modified),
    }
    if with_count:
        row["contactCount"] = len(mailing_list.members)
    return row


def member_row(directory: Directory, membership: Membership, embedded: bool) -> dict[str, Any]:
    contact = directory.contacts[membership.contact_id]
    row: dict[str, Any] = {"contactId": contact.id}
    for key in ("firstName", "lastName", "email", "phone", "extRef", "language"):
        row[key] = contact.get(key)
    row["unsubscribed"] = membership.unsubscribed
    row["mailingListUnsubscribed"] = membership.unsubscribed
    row["directoryUnsubscribed"] = contact.unsubscribed
    row["contactLookupId"] = membership.lookup_id
    if embedded:
        row["embeddedData"] = dict(contact.embedded)
    return row


def _owner(call: ApiCall, owner_id: str | None) -> str:
    if owner_id is None:
        return call.user.id
    if owner_id not in call.brand.users and owner_id not in call.brand.groups:
        raise bad_request(f"ownerId must be a user (UR_) or group (GR_) of this brand: {owner_id}")
    return owner_id


def _members(directory: Directory, mailing_list: MailingList) -> list[Membership]:
    return [m for m in mailing_list.members.values() if m.contact_id in directory.contacts]


@table.get("/directories/{directoryId}/mailinglists")
def list_lists(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    chosen = list(directory.lists.values())
    owner = call.query.get("ownerId")
    if owner:
        chosen = [m for m in chosen if m.owner_id == owner]
    with_count = call.flag("includeCount")
    return paging.skip_page(call, chosen, lambda m: list_summary(m, with_count))


@table.post("/directories/{directoryId}/mailinglists", limit="mailing_lists_write")
def create_list(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    body = call.json()
    validation.keys(body, required=("name",), optional=("ownerId", "prioritizeListMetadata"))
    name = validation.required_str(body, "name", NAME_MAX)
    owner = _owner(call, validation.optional_str(body, "ownerId"))
    prioritize = validation.optional_bool(body, "prioritizeListMetadata") or False
    now = call.now
    mailing_list = MailingList(
        id=call.state.ids.make("CG"), name=name, owner_id=owner, created=now, modified=now,
        prioritize_list_metadata=prioritize,
    )
    directory.lists[mailing_list.id] = mailing_list
    return {"id": mailing_list.id}


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}")
def get_list(call: ApiCall) -> dict[str, Any]:
    _, mailing_list = lookups.mailing_list(call)
    return list_summary(mailing_list, call.flag("includeCount"))


@table.put("/directories/{directoryId}/mailinglists/{mailingListId}", limit="mailing_lists_write")
def update_list(call: ApiCall) -> None:
    _, mailing_list = lookups.mailing_list(call)
    body = call.json()
    validation.keys(body, optional=("name", "ownerId"))
    if not body:
        raise bad_request("Give name and/or ownerId to change")
    if "name" in body:
        mailing_list.name = validation.required_str(body, "name", NAME_MAX)
    if "ownerId" in body:
        mailing_list.owner_id = _owner(call, validation.required_str(body, "ownerId"))
    mailing_list.modified = call.now


@table.delete("/directories/{directoryId}/mailinglists/{mailingListId}", limit="mailing_lists_write")
def delete_list(call: ApiCall) -> None:
    directory, mailing_list = lookups.mailing_list(call)
    del directory.lists[mailing_list.id]


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/contacts")
def list_members(call: ApiCall) -> dict[str, Any]:
    directory, mailing_list = lookups.mailing_list(call)
    embedded = call.flag("includeEmbedded")
    return paging.skip_page(
        call, _members(directory, mailing_list), lambda m: member_row(directory, m, embedded),
        default=LIST_CONTACTS_CAP, cap=LIST_CONTACTS_CAP,
    )


@table.post("/directories/{directoryId}/mailinglists/{mailingListId}/contacts", limit="mailing_lists_write")
def create_member(call: ApiCall) -> dict[str, Any]:
    """Always makes a new directory contact and puts it on the list."""
    directory, mailing_list = lookups.mailing_list(call)
    body = call.json()
    contacts.check_body(body)
    fields = {key: value for key, value in body.items() if key != "unsubscribed"}
    contact = contacts.create(directory, call.state.ids, fields, call.now)
    membership = contacts.join(mailing_list, contact, call.state.ids, call.now)
    if body.get("unsubscribed"):
        membership.unsubscribed = True
        membership.unsubscribe_date = call.now
    return {"id": contact.id, "contactLookupId": membership.lookup_id}


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/bouncedContacts")
def bounced_members(call: ApiCall) -> dict[str, Any]:
    directory, mailing_list = lookups.mailing_list(call)
    chosen = [m for m in _members(directory, mailing_list) if m.bounced]
    since = dates.parse(call.query.get("since"))
    if since is not None:
        chosen = [m for m in chosen if m.bounce_date and m.bounce_date >= since]

    def render(membership: Membership) -> dict[str, Any]:
        row = member_row(directory, membership, False)
        row["bounceDate"] = dates.iso(membership.bounce_date)
        return row

    return paging.skip_page(call, chosen, render, default=LIST_CONTACTS_CAP, cap=LIST_CONTACTS_CAP)


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/optedOutContacts")
def opted_out_members(call: ApiCall) -> dict[str, Any]:
    directory, mailing_list = lookups.mailing_list(call)
    chosen = [m for m in _members(directory, mailing_list) if m.unsubscribed]
    since = dates.parse(call.query.get("since"))
    if since is not None:
        chosen = [m for m in chosen if m.unsubscribe_date and m.unsubscribe_date >= since]

    def render(membership: Membership) -> dict[str, Any]:
        row = member_row(directory, membership, False)
        row["unsubscribeDate"] = dates.iso(membership.unsubscribe_date)
        return row

    return paging.skip_page(call, chosen, render, default=LIST_CONTACTS_CAP, cap=LIST_CONTACTS_CAP)


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/contacts/{contactId}")
def get_member(call: ApiCall) -> dict[str, Any]:
    directory, _, membership = lookups.list_member(call)
    row = member_row(directory, membership, True)
    row["unsubscribeDate"] = dates.iso(membership.unsubscribe_date)
    return row


@table.put("/directories/{directoryId}/mailinglists/{mailingListId}/contacts/{contactId}",
           limit="mailing_lists_write")
def update_member(call: ApiCall) -> None:
    """Contact fields change the directory contact; `unsubscribed` is the list-level opt-out."""
    directory, mailing_list, membership = lookups.list_member(call)
    body = call.json()
    contacts.check_body(body)
    contact = directory.contacts[membership.contact_id]
    contacts.apply(contact, {k: v for k, v in body.items() if k != "unsubscribed"}, call.now)
    if body.get("unsubscribed") is not None:
        if body["unsubscribed"] and not membership.unsubscribed:
            membership.unsubscribe_date = call.now
        if not body["unsubscribed"]:
            membership.unsubscribe_date = None
        membership.unsubscribed = body["unsubscribed"]
    mailing_list.modified = call.now


@table.delete("/directories/{directoryId}/mailinglists/{mailingListId}/contacts/{contactId}",
              limit="mailing_lists_write")
def delete_member(call: ApiCall) -> None:
    """Takes the contact off this list only; the directory contact stays."""
    _, mailing_list, membership = lookups.list_member(call)
    del mailing_list.members[membership.contact_id]
    mailing_list.modified = call.now
