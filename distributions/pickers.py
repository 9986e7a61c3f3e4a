"""What the compose form's pickers offer: libraries, messages, lists, contacts, samples and transaction
batches, searchable (the survey picker is the surveys app's).

Each reads through the connection's client and keeps the whole (bounded) list in the cache for a
minute, so typing in a picker's search box filters without calling Qualtrics on every keystroke.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.core.cache import cache

from connections.models import Connection
from connections.qualtrics_client import connection_client

CACHE_SECONDS = 60
MAX_ITEMS = 2000
SHOWN = 50

# Library message categories that fit each kind of distribution (docs/qualtrics-api.md#library-messages).
MESSAGE_CATEGORIES = {
    ("email", "invite"): "invite",
    ("email", "reminder"): "reminder",
    ("email", "thankyou"): "thankYou",
    ("email", "subject"): "emailSubject",
    ("sms", "invite"): "smsInvite",
    ("sms", "reminder"): "smsReminder",
    ("sms", "thankyou"): "smsThankYou",
}


@dataclass(frozen=True)
class PickerItem:
    value: str
    label: str
    detail: str = ""
    muted: bool = False


def _key(connection: Connection, *parts: str) -> str:
    raw = "|".join([str(connection.pk), connection.token_last4, *parts])
    return "distributions:picker:" + hashlib.sha256(raw.encode()).hexdigest()


def _cached(connection: Connection, parts: tuple[str, ...], fetch: Callable[[], list[dict]]) -> list[dict]:
    key = _key(connection, *parts)
    found = cache.get(key)
    if found is None:
        found = fetch()
        cache.set(key, found, CACHE_SECONDS)
    return found


def _client(connection: Connection):
    return connection_client(connection, audit=False)


def _matches(q: str, *values: Any) -> bool:
    if not q:
        return True
    q = q.casefold()
    return any(q in str(v).casefold() for v in values if v)


def _take(rows: Iterable[dict]) -> list[dict]:
    return list(islice(rows, MAX_ITEMS))


def _keep_selected(shown: list[PickerItem], everything: list[PickerItem], selected: str) -> list[PickerItem]:
    """Keep the current choice visible even when the search or the page limit left it out."""
    if not selected or any(item.value == selected for item in shown):
        return shown
    for item in everything:
        if item.value == selected:
            return [item, *shown]
    return shown


def directories_for_picker(connection: Connection) -> list[PickerItem]:
    rows = _cached(connection, ("directories",), lambda: _take(_client(connection).directories.list().iter_all()))
    items = []
    for r in rows:
        ident = r.get("directoryId") or r.get("id")
        if ident:
            items.append(PickerItem(ident, r.get("name") or ident, "default" if r.get("isDefault") else ""))
    items.sort(key=lambda i: (i.detail != "default", i.label.casefold()))
    return items


def default_directory(connection: Connection) -> str:
    items = directories_for_picker(connection)
    return items[0].value if items else ""


def libraries_for_picker(connection: Connection, q: str = "", selected: str = "") -> list[PickerItem]:
    rows = _cached(connection, ("libraries",), lambda: _take(_client(connection).libraries.list().iter_all()))
    everything = [
        PickerItem(r["libraryId"], r.get("libraryName") or r["libraryId"],
                   "personal library" if r["libraryId"].startswith("UR") else "group library")
        for r in rows
        if r.get("libraryId")
    ]
    shown = [i for i in everything if _matches(q, i.label, i.value)][:SHOWN]
    return _keep_selected(shown, everything, selected)


def messages_for_picker(connection: Connection, library_id: str, category: str = "", q: str = "",
                        selected: str = "") -> list[PickerItem]:
    """Messages of a library of the fitting `category` (all of them if none fits)."""
    if not library_id:
        return []
    rows = _cached(connection, ("messages", library_id),
                   lambda: _take(_client(connection).libraries.messages.list(library_id).iter_all()))
    everything = [PickerItem(r["id"], r.get("description") or r["id"], r.get("category") or "")
                  for r in rows if r.get("id")]
    fitting = [i for i in everything if not category or i.detail == category] or everything
    shown = [i for i in fitting if _matches(q, i.label, i.value, i.detail)][:SHOWN]
    return _keep_selected(shown, everything, selected)


def message_for_preview(connection: Connection, library_id: str, message_id: str) -> dict[str, Any]:
    from .services import message_text_of

    found = _cached(
        connection, ("message", library_id, message_id),
        lambda: [_client(connection).libraries.messages.get(library_id, message_id) or {}],
    )[0]
    return {"description": found.get("description") or "", "category": found.get("category") or "",
            "text": message_text_of(found), "languages": sorted((found.get("messages") or {}).keys())}


def mailing_lists_for_picker(connection: Connection, directory_id: str, q: str = "", selected: str = ""
                             ) -> list[PickerItem]:
    if not directory_id:
        return []
    rows = _cached(connection, ("lists", directory_id),
                   lambda: _take(_client(connection).mailing_lists.list(directory_id, include_count=True).iter_all()))
    everything = []
    for r in rows:
        ident = r.get("mailingListId") or r.get("id")
        if ident:
            count = r.get("contactCount")
            everything.append(PickerItem(ident, r.get("name") or ident,
                                         f"about {count} contacts" if count is not None else ident))
    everything.sort(key=lambda i: i.label.casefold())
    shown = [i for i in everything if _matches(q, i.label, i.value)][:SHOWN]
    return _keep_selected(shown, everything, selected)


def samples_for_picker(connection: Connection, directory_id: str, mailing_list_id: str, q: str = "",
                       selected: str = "") -> list[PickerItem]:
    """The samples of the chosen list (a sample narrows a list's distribution to its contacts)."""
    if not directory_id or not mailing_list_id:
        return []
    rows = _cached(connection, ("samples", directory_id),
                   lambda: _take(_client(connection).samples.list(directory_id).iter_all()))
    everything = []
    for r in rows:
        ident = r.get("sampleId") or r.get("id")
        if ident and r.get("mailingListId") in (None, mailing_list_id):
            count = r.get("contactCount")
            everything.append(PickerItem(ident, r.get("name") or ident,
                                         f"{count} contacts" if count is not None else ident))
    everything.sort(key=lambda i: i.label.casefold())
    shown = [i for i in everything if _matches(q, i.label, i.value)][:SHOWN]
    return _keep_selected(shown, everything, selected)


def transaction_batches_for_picker(connection: Connection, directory_id: str, q: str = "", selected: str = ""
                                   ) -> list[PickerItem]:
    """The directory's transaction batches, newest first, with how many transactions each holds."""
    if not directory_id:
        return []
    rows = _cached(connection, ("batches", directory_id),
                   lambda: _take(_client(connection).transaction_batches.list(directory_id).iter_all()))
    rows = sorted((r for r in rows if r.get("id")), key=lambda r: str(r.get("creationDate") or ""), reverse=True)
    everything = []
    for r in rows:
        count = len(r.get("transactionIds") or [])
        created = str(r.get("creationDate") or "")[:10]
        everything.append(PickerItem(r["id"], r["id"], f"{count} transaction{'' if count == 1 else 's'}"
                                     + (f" · created {created}" if created else "")))
    shown = [i for i in everything if _matches(q, i.label, i.detail)][:SHOWN]
    return _keep_selected(shown, everything, selected)


def contact_label(row: dict) -> str:
    name = " ".join(str(row.get(k) or "") for k in ("firstName", "lastName")).strip()
    return name or row.get("email") or row.get("phone") or row.get("extRef") or row.get("contactLookupId") or "?"


def list_members(connection: Connection, directory_id: str, mailing_list_id: str) -> list[dict]:
    return _cached(
        connection, ("members", directory_id, mailing_list_id),
        lambda: _take(_client(connection).mailing_lists.members.list(directory_id, mailing_list_id).iter_all()),
    )


def _contact_item(r: dict) -> PickerItem:
    detail = " · ".join(str(v) for v in (r.get("email"), r.get("phone")) if v)
    unsubscribed = bool(r.get("unsubscribed") or r.get("directoryUnsubscribed"))
    if unsubscribed:
        detail = (detail + " · unsubscribed").strip(" ·")
    return PickerItem(r["contactLookupId"], contact_label(r), detail, muted=unsubscribed)


def contacts_for_picker(connection: Connection, directory_id: str, mailing_list_id: str, q: str = "",
                        selected: str = "") -> list[PickerItem]:
    if not directory_id or not mailing_list_id:
        return []
    rows = [r for r in list_members(connection, directory_id, mailing_list_id) if r.get("contactLookupId")]
    shown = []
    for r in rows:
        if _matches(q, contact_label(r), r.get("email"), r.get("phone"), r.get("extRef"), r["contactLookupId"]):
            shown.append(_contact_item(r))
            if len(shown) >= SHOWN:
                break
    if selected and not any(i.value == selected for i in shown):
        chosen = [r for r in rows if r["contactLookupId"] == selected]
        if chosen:
            shown.insert(0, _contact_item(chosen[0]))
    return shown
