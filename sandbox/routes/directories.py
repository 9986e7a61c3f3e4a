"""XM Directory: directories, directory contacts (list, search, get, create, update, delete), opt-outs."""

from __future__ import annotations

from typing import Any

from .. import contacts, dates, paging, validation
from ..envelope import bad_request, not_found
from ..records import Contact, Directory
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

SEARCH_LIMIT = 10_000
SEARCH_FIELDS = ("email", "extRef", "firstName", "lastName", "phone", "embeddedData")
STAT_KEYS = ("MonthInviteCount", "LastEmailDate", "LastInviteDate", "ResponseRate", "InviteCount",
             "LastResponseDate", "EmailCount", "ResponseCount", "AvgTimeToRespond", "MonthEmailCount")


def directory_summary(directory: Directory) -> dict[str, Any]:
    return {
        "directoryId": directory.id,
        "name": directory.name,
        "contactCount": len(directory.contacts),
        "isDefault": directory.is_default,
        "deduplicationCriteria": {
            key: bool(directory.dedup.get(key))
            for key in ("email", "firstName", "lastName", "phone", "externalDataReference")
        },
    }


def contact_summary(contact: Contact, id_key: str = "contactId", embedded: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {id_key: contact.id}
    for key in ("firstName", "lastName", "email", "phone", "extRef", "language"):
        row[key] = contact.get(key)
    row["unsubscribed"] = contact.unsubscribed
    if embedded:
        row["embeddedData"] = dict(contact.embedded)
    return row


def contact_detail(directory: Directory, contact: Contact) -> dict[str, Any]:
    email = contact.get("email")
    stats = {key: contact.stats.get(key, None if key.startswith("Last") else 0) for key in STAT_KEYS}
    return {
        "contactId": contact.id,
        "creationDate": dates.epoch_ms(contact.created),
        "lastModified": dates.epoch_ms(contact.modified),
        "firstName": contact.get("firstName"),
        "lastName": contact.get("lastName"),
        "email": email,
        "emailDomain": email.split("@", 1)[1].lower() if email and "@" in email else None,
        "phone": contact.get("phone"),
        "extRef": contact.get("extRef"),
        "language": contact.get("language"),
        "directoryUnsubscribed": contact.unsubscribed,
        "directoryUnsubscribeDate": dates.iso(contact.unsubscribe_date),
        "embeddedData": dict(contact.embedded),
        "privateEmbeddedData": dict(contact.private_embedded),
        "stats": stats,
        "mailingListMembership": {
            mailing_list.id: {
                "name": mailing_list.name,
                "contactLookupId": membership.lookup_id,
                "unsubscribed": membership.unsubscribed,
                "unsubscribeDate": dates.iso(membership.unsubscribe_date),
                "ownerId": mailing_list.owner_id,
            }
            for mailing_list, membership in contacts.memberships(directory, contact.id)
        },
    }


def _contact(call: ApiCall) -> tuple[Directory, Contact]:
    directory = lookups.directory(call)
    contact = directory.contacts.get(call.params["contactId"])
    if contact is None:
        raise not_found("contact", call.params["contactId"])
    return directory, contact


@table.get("/directories")
def list_directories(call: ApiCall) -> dict[str, Any]:
    return paging.skip_page(call, list(call.brand.directories.values()), directory_summary)


@table.get("/directories/{directoryId}/contacts", limit="directory_contacts_read")
def list_contacts(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    embedded = call.flag("includeEmbedded")
    return paging.skip_page(
        call, list(directory.contacts.values()), lambda c: contact_summary(c, embedded=embedded)
    )


@table.post("/directories/{directoryId}/contacts", limit="directory_contacts_write")
def create_contact(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    body = call.json()
    contacts.check_body(body)
    if call.config["contact_dedup"] == "merge":
        existing = contacts.find_duplicate(directory, body)
        if existing is not None:
            contacts.apply(existing, body, call.now)
            return {"id": existing.id}
    return {"id": contacts.create(directory, call.state.ids, body, call.now).id}


@table.get("/directories/{directoryId}/contacts/optedOutContacts", limit="directory_contacts_read")
def opted_out_contacts(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    chosen = [c for c in directory.contacts.values() if c.unsubscribed]

    def render(contact: Contact) -> dict[str, Any]:
        row = contact_summary(contact)
        row["unsubscribeDate"] = dates.iso(contact.unsubscribe_date)
        return row

    return paging.skip_page(call, chosen, render)


@table.get("/directories/{directoryId}/contacts/{contactId}", limit="directory_contacts_read")
def get_contact(call: ApiCall) -> dict[str, Any]:
    directory, contact = _contact(call)
    return contact_detail(directory, contact)


@table.put("/directories/{directoryId}/contacts/{contactId}", limit="directory_contacts_write")
def update_contact(call: ApiCall) -> None:
    _, contact = _contact(call)
    body = call.json()
    contacts.check_body(body)
    contacts.apply(contact, body, call.now)


@table.delete("/directories/{directoryId}/contacts/{contactId}", limit="directory_contacts_write")
def delete_contact(call: ApiCall) -> None:
    directory, contact = _contact(call)
    contacts.remove(directory, contact.id)


@table.post("/directories/{directoryId}/contacts/search", limit="directory_contacts_write")
def search_contacts(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    body = call.json()
    validation.keys(body, required=("filter",))
    condition = validation.obj(body, "filter", required=True) or {}
    validation.keys(condition, required=("filterType", "comparison", "value"), optional=("key",))
    field = condition["filterType"]
    if field not in SEARCH_FIELDS:
        raise bad_request(f"Unsupported filterType: {field}. Supported: {', '.join(SEARCH_FIELDS)}")
    comparison = condition["comparison"]
    if comparison not in ("eq", "contains"):
        raise bad_request(f"Unsupported comparison: {comparison}. Supported: eq, contains")
    value = condition["value"]
    if not isinstance(value, str):
        raise bad_request("filter.value must be a string")
    if field == "embeddedData" and not isinstance(condition.get("key"), str):
        raise bad_request("filter.key (the embedded data field name) is required for filterType embeddedData")
    matched = [c for c in directory.contacts.values() if _matches(c, field, comparison, value, condition.get("key"))]

    size = paging.page_size(call)
    token = call.query.get("skipToken")
    offset = paging.decode_token(token) if token else 0
    if offset >= SEARCH_LIMIT:
        raise bad_request(
            f"Search results beyond {SEARCH_LIMIT:,} cannot be paged; narrow the filter or use a contact export"
        )
    embedded = call.flag("includeEmbedded")
    chunk = matched[offset: min(offset + size, SEARCH_LIMIT)]
    result: dict[str, Any] = {
        "elements": [contact_summary(c, id_key="id", embedded=embedded) for c in chunk],
        "nextPage": None,
    }
    stopped_at_limit = offset + len(chunk) == SEARCH_LIMIT and len(matched) > SEARCH_LIMIT
    if len(chunk) == size or stopped_at_limit:
        result["skipToken"] = paging.encode_token(offset + len(chunk))
        result["nextPage"] = call.this_url(skipToken=result["skipToken"])
    return result


def _matches(contact: Contact, field: str, comparison: str, value: str, key: str | None) -> bool:
    actual = contact.embedded.get(key) if field == "embeddedData" else contact.get(field)
    if actual is None:
        return False
    actual = str(actual)
    if comparison == "contains":
        return value.lower() in actual.lower()
    if field == "email":
        return actual.lower() == value.lower()
    return actual == value
