"""Libraries (the caller's own and its groups') and their messages."""

from __future__ import annotations

from typing import Any

from .. import paging
from ..envelope import bad_request, not_found
from ..records import Message
from ..routing import ApiCall, RouteTable

table = RouteTable()

CATEGORIES = ("invite", "reminder", "thankYou", "emailSubject", "smsInvite", "smsReminder", "smsThankYou",
              "endOfSurvey", "inactiveSurvey", "general", "lookAndFeel", "validation", "evaluatorInvite",
              "evaluatorReminder", "subjectLine")


def visible_libraries(call: ApiCall) -> list[tuple[str, str]]:
    """(libraryId, libraryName): the caller's own library, then the libraries of its groups."""
    user = call.user
    rows = [(user.id, f"{user.first_name} {user.last_name}".strip())]
    for group in call.brand.groups.values():
        if user.is_admin or user.id in group.members:
            rows.append((group.id, group.name))
    return rows


def library_messages(call: ApiCall, library_id: str) -> dict[str, Message]:
    if library_id not in call.brand.users and library_id not in call.brand.groups:
        raise not_found("library", library_id)
    return call.brand.library_messages.get(library_id, {})


@table.get("/libraries")
def list_libraries(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(
        call, visible_libraries(call), lambda row: {"libraryId": row[0], "libraryName": row[1]}
    )


@table.get("/libraries/{libraryId}/messages")
def list_messages(call: ApiCall) -> dict[str, Any]:
    messages = list(library_messages(call, call.params["libraryId"]).values())
    category = call.query.get("category")
    if category:
        if category not in CATEGORIES:
            raise bad_request(f"Unknown category: {category}. Known: {', '.join(CATEGORIES)}")
        messages = [m for m in messages if m.category == category]
    return paging.offset_page(
        call, messages, lambda m: {"id": m.id, "description": m.description, "category": m.category}
    )


@table.get("/libraries/{libraryId}/messages/{messageId}")
def get_message(call: ApiCall) -> dict[str, Any]:
    message = library_messages(call, call.params["libraryId"]).get(call.params["messageId"])
    if message is None:
        raise not_found("message", call.params["messageId"])
    return {"id": message.id, "category": message.category, "description": message.description,
            "messages": dict(message.messages)}
