"""Groups and group membership."""

from __future__ import annotations

from typing import Any

from .. import dates, paging, validation
from ..envelope import bad_request, not_found
from ..records import Group
from ..routing import ApiCall, RouteTable
from . import lookups
from .users import user_summary

table = RouteTable()


def group_summary(group: Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "type": group.type, "divisionId": group.division_id}


def _check(call: ApiCall, body: dict[str, Any]) -> None:
    if "name" in body:
        validation.required_str(body, "name", 200)
    if "type" in body and body["type"] not in call.brand.group_types:
        raise bad_request(f"Invalid group type: {body['type']}")
    if body.get("divisionId") is not None and body["divisionId"] not in call.brand.divisions:
        raise bad_request(f"Invalid divisionId: {body['divisionId']}")


@table.get("/groups", limit="groups")
def list_groups(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(call.brand.groups.values()), group_summary)


@table.post("/groups", limit="groups")
def create_group(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    validation.keys(body, required=("type", "name"), optional=("divisionId",))
    _check(call, body)
    group = Group(
        id=call.state.ids.make("GR"), name=body["name"], type=body["type"], created=call.now,
        division_id=body.get("divisionId"),
    )
    call.brand.groups[group.id] = group
    return {"id": group.id}


@table.get("/groups/{groupId}", limit="groups")
def get_group(call: ApiCall) -> dict[str, Any]:
    group = lookups.group(call)
    return {
        **group_summary(group),
        "organizationId": call.brand.id,
        "creationDate": dates.iso(group.created),
        "memberCount": len(group.members),
    }


@table.put("/groups/{groupId}", limit="groups")
def update_group(call: ApiCall) -> None:
    group = lookups.group(call)
    body = call.json()
    validation.keys(body, optional=("type", "name", "divisionId"))
    _check(call, body)
    group.name = body.get("name", group.name)
    group.type = body.get("type", group.type)
    if "divisionId" in body:
        group.division_id = body["divisionId"]


@table.delete("/groups/{groupId}", limit="groups")
def delete_group(call: ApiCall) -> None:
    group = lookups.group(call)
    del call.brand.groups[group.id]


@table.get("/groups/{groupId}/members", limit="group_members_read")
def list_members(call: ApiCall) -> dict[str, Any]:
    group = lookups.group(call)
    members = [call.brand.users[u] for u in group.members if u in call.brand.users]
    return paging.offset_page(call, members, lambda u: user_summary(u, call.brand.id))


@table.post("/groups/{groupId}/members", limit="groups")
def add_member(call: ApiCall) -> None:
    group = lookups.group(call)
    body = call.json()
    validation.keys(body, required=("userId",))
    user = lookups.user(call, validation.required_str(body, "userId"))
    if user.id in group.members:
        raise bad_request(f"User {user.id} is already a member of group {group.id}")
    group.members.append(user.id)


@table.delete("/groups/{groupId}/members/{userId}", limit="groups")
def remove_member(call: ApiCall) -> None:
    group = lookups.group(call)
    user_id = call.params["userId"]
    if user_id not in group.members:
        raise not_found("group member", user_id)
    group.members.remove(user_id)
