"""Users (brand administrators only) and their API tokens."""

from __future__ import annotations

from typing import Any

from .. import dates, paging, validation
from ..envelope import bad_request
from ..records import User
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

STATUS_VALUES = {"active": "active", "enabled": "active", "disabled": "disabled", "notverified": "notVerified"}
CREATE_REQUIRED = ("username", "firstName", "lastName", "userType", "email", "password")
CREATE_OPTIONAL = ("language", "timeZone", "divisionId", "accountExpirationDate")
UPDATE_KEYS = ("username", "firstName", "lastName", "userType", "email", "language", "timeZone", "divisionId",
               "accountExpirationDate", "status", "permissions", "password")


def user_summary(user: User, organization: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "divisionId": user.division_id,
        "username": user.username,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "userType": user.user_type,
        "organizationId": organization,
        "accountStatus": user.account_status,
    }


def user_detail(user: User, organization: str) -> dict[str, Any]:
    return {
        **user_summary(user, organization),
        "language": user.language,
        "timeZone": user.time_zone,
        "accountCreationDate": dates.iso(user.created),
        "accountExpirationDate": dates.iso(user.expiration),
        "passwordLastChangedDate": dates.iso(user.password_changed),
        "passwordExpirationDate": None,
        "lastLoginDate": dates.iso(user.last_login),
        "unsubscribed": False,
        "responseCounts": {"auditable": 0, "generated": 0, "deleted": 0},
        "permissions": dict(user.permissions),
    }


def _check_fields(call: ApiCall, body: dict[str, Any], editing: User | None) -> None:
    for key in ("username", "firstName", "lastName", "email", "language", "timeZone", "password"):
        if key in body:
            validation.required_str(body, key, 200)
    if "email" in body and "@" not in body["email"]:
        raise bad_request("email is not a valid e-mail address")
    if "userType" in body and body["userType"] not in call.brand.user_types:
        raise bad_request(f"Invalid userType: {body['userType']}")
    if body.get("divisionId") is not None and body["divisionId"] not in call.brand.divisions:
        raise bad_request(f"Invalid divisionId: {body['divisionId']}")
    if "username" in body:
        taken = any(
            u.username.lower() == body["username"].lower() and u is not editing for u in call.brand.users.values()
        )
        if taken:
            raise bad_request(f"Username already exists: {body['username']}")
    validation.date(body, "accountExpirationDate")


@table.get("/users", limit="users", admin=True)
def list_users(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(call.brand.users.values()), lambda u: user_summary(u, call.brand.id))


@table.post("/users", limit="users", admin=True)
def create_user(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    validation.keys(body, required=CREATE_REQUIRED, optional=CREATE_OPTIONAL)
    _check_fields(call, body, None)
    now = call.now
    user = User(
        id=call.state.ids.make("UR"),
        username=body["username"],
        first_name=body["firstName"],
        last_name=body["lastName"],
        email=body["email"],
        user_type=body["userType"],
        created=now,
        division_id=body.get("divisionId"),
        language=body.get("language", "en"),
        time_zone=body.get("timeZone", "America/New_York"),
        expiration=validation.date(body, "accountExpirationDate"),
        password_changed=now,
    )
    call.brand.users[user.id] = user
    return {"id": user.id}


@table.get("/users/{userId}", limit="users", admin=True)
def get_user(call: ApiCall) -> dict[str, Any]:
    return user_detail(lookups.user(call), call.brand.id)


@table.put("/users/{userId}", limit="users", admin=True)
def update_user(call: ApiCall) -> None:
    user = lookups.user(call)
    body = call.json()
    validation.keys(body, optional=UPDATE_KEYS)
    _check_fields(call, body, user)
    if "status" in body:
        status = STATUS_VALUES.get(str(body["status"]).lower())
        if status is None:
            raise bad_request("status must be one of Enabled, Disabled (or active, disabled, notVerified)")
        user.account_status = status
    if "permissions" in body:
        if not isinstance(body["permissions"], dict):
            raise bad_request("permissions must be an object")
        user.permissions.update(body["permissions"])
    simple = {"username": "username", "firstName": "first_name", "lastName": "last_name", "email": "email",
              "userType": "user_type", "language": "language", "timeZone": "time_zone",
              "divisionId": "division_id"}
    for key, attribute in simple.items():
        if key in body:
            setattr(user, attribute, body[key])
    if "accountExpirationDate" in body:
        user.expiration = validation.date(body, "accountExpirationDate")
    if "password" in body:
        user.password_changed = call.now


@table.delete("/users/{userId}", limit="users", admin=True)
def delete_user(call: ApiCall) -> None:
    user = lookups.user(call)
    del call.brand.users[user.id]
    call.state.forget_user_tokens(user.id)
    for group in call.brand.groups.values():
        if user.id in group.members:
            group.members.remove(user.id)


@table.get("/users/{userId}/apitoken", limit="users", admin=True)
def get_token(call: ApiCall) -> dict[str, Any]:
    user = lookups.user(call)
    if not user.api_token:
        raise bad_request(f"User {user.id} does not have an API token")
    return {"apiToken": user.api_token}


@table.post("/users/{userId}/apitoken", limit="users", admin=True)
def create_token(call: ApiCall) -> dict[str, Any]:
    """Creates the user's token, or replaces it (the old one stops working)."""
    user = lookups.user(call)
    if call.body not in (None, {}):
        validation.keys(call.json())
    return {"apiToken": call.state.rotate_user_token(call.brand, user)}
