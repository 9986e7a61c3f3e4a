"""Users and their API tokens, groups and members, libraries and messages."""

from __future__ import annotations

import re

from .conftest import Api, error_of


def new_user(**overrides):
    body = {"username": "new.user@acme.example", "firstName": "New", "lastName": "User",
            "userType": "UT_BRANDADMIN", "email": "new.user@acme.example", "password": "Correct-Horse-9"}
    body.update(overrides)
    return body


def test_seeded_users(api):
    users, _ = api.collect("/users")
    assert len(users) == 20
    types = {u["userType"] for u in users}
    assert "UT_BRANDADMIN" in types
    assert sum(bool(re.match(r"^UT_[A-Za-z0-9]{15}$", t)) for t in types) >= 2
    assert {u["accountStatus"] for u in users} == {"active", "disabled"}
    assert set(users[0]) >= {"id", "divisionId", "username", "firstName", "lastName", "email", "accountStatus"}


def test_user_lifecycle(api):
    user_id = api.ok("POST", "/users", new_user())["id"]
    detail = api.ok("GET", f"/users/{user_id}")
    assert (detail["username"], detail["userType"], detail["accountStatus"]) == (
        "new.user@acme.example", "UT_BRANDADMIN", "active")
    assert detail["accountCreationDate"].endswith("Z")
    assert api.post("/users", new_user()).status_code == 400
    assert api.post("/users", new_user(username="other@acme.example", userType="UT_nope")).status_code == 400
    missing = new_user(username="third@acme.example")
    del missing["password"]
    assert error_of(api.post("/users", missing)) == {"errorMessage": "Expected param not found: password",
                                                       "errorCode": "RP_10"}
    assert api.put(f"/users/{user_id}", {"status": "Disabled", "lastName": "Gone"}).status_code == 200
    detail = api.ok("GET", f"/users/{user_id}")
    assert (detail["accountStatus"], detail["lastName"]) == ("disabled", "Gone")
    assert api.put(f"/users/{user_id}", {"status": "Sleeping"}).status_code == 400
    assert api.delete(f"/users/{user_id}").status_code == 200
    assert api.get(f"/users/{user_id}").status_code == 404


def test_user_api_tokens(api, sandbox):
    user_id = api.ok("POST", "/users", new_user())["id"]
    no_token = api.get(f"/users/{user_id}/apitoken")
    assert no_token.status_code == 400
    token = api.ok("POST", f"/users/{user_id}/apitoken")["apiToken"]
    assert re.match(r"^[A-Za-z0-9]{40}$", token)
    assert api.ok("GET", f"/users/{user_id}/apitoken") == {"apiToken": token}
    as_new_user = Api(sandbox.base_url, token)
    assert as_new_user.ok("GET", "/whoami")["userId"] == user_id
    rotated = api.ok("POST", f"/users/{user_id}/apitoken")["apiToken"]
    assert rotated != token
    assert as_new_user.get("/whoami").status_code == 401
    assert Api(sandbox.base_url, rotated).ok("GET", "/whoami")["userId"] == user_id


def test_disabled_users_tokens_stop_working(api, sandbox):
    user_id = api.ok("POST", "/users", new_user())["id"]
    token = api.ok("POST", f"/users/{user_id}/apitoken")["apiToken"]
    api.ok("PUT", f"/users/{user_id}", {"status": "Disabled"})
    assert Api(sandbox.base_url, token).get("/whoami").status_code == 401


def test_groups_and_members(api, acme):
    groups, _ = api.collect("/groups")
    assert len(groups) == 5
    group_type = next(iter(acme["groupTypes"]))
    group_id = api.ok("POST", "/groups", {"type": group_type, "name": "Pilot team"})["id"]
    got = api.ok("GET", f"/groups/{group_id}")
    assert (got["name"], got["type"]) == ("Pilot team", group_type)
    assert api.post("/groups", {"type": "GT_unknown", "name": "x"}).status_code == 400
    assert api.put(f"/groups/{group_id}", {"name": "Pilot team 2"}).status_code == 200
    assert api.ok("GET", f"/groups/{group_id}")["name"] == "Pilot team 2"

    user_id = api.ok("GET", "/whoami")["userId"]
    assert api.post(f"/groups/{group_id}/members", {"userId": user_id}).status_code == 200
    assert api.post(f"/groups/{group_id}/members", {"userId": user_id}).status_code == 400
    assert error_of(api.post(f"/groups/{group_id}/members", {"userId": user_id, "role": "x"}))["errorCode"] == "RP_9"
    assert api.post(f"/groups/{group_id}/members", {"userId": "UR_xxxxxxxxxxxxxxx"}).status_code == 404
    members = api.ok("GET", f"/groups/{group_id}/members")["elements"]
    assert [m["id"] for m in members] == [user_id]
    assert api.delete(f"/groups/{group_id}/members/{user_id}").status_code == 200
    assert api.ok("GET", f"/groups/{group_id}/members")["elements"] == []
    assert api.delete(f"/groups/{group_id}/members/{user_id}").status_code == 404
    assert api.delete(f"/groups/{group_id}").status_code == 200
    assert api.get(f"/groups/{group_id}").status_code == 404


def test_divisions_are_read_created_and_renamed_by_id_but_not_listed(api, acme):
    division_id, name = next(iter(acme["divisions"].items()))
    assert api.ok("GET", f"/divisions/{division_id}") == {"id": division_id, "name": name, "organizationId": "acme"}
    created = api.ok("POST", "/divisions", {"name": "Field research"})["id"]
    assert re.fullmatch(r"DV_[A-Za-z0-9]{15}", created)
    assert api.put(f"/divisions/{created}", {"name": "Field studies"}).status_code == 200
    assert api.ok("GET", f"/divisions/{created}")["name"] == "Field studies"
    assert error_of(api.put(f"/divisions/{created}", {"title": "x"}))["errorCode"] == "RP_9"
    assert api.post("/divisions", {}).status_code == 400
    assert api.get("/divisions/DV_xxxxxxxxxxxxxxx").status_code == 404
    assert api.get("/divisions").status_code == 404  # Qualtrics cannot list them


def test_libraries_and_messages(api, user_api):
    me = api.ok("GET", "/whoami")["userId"]
    libraries = api.ok("GET", "/libraries")["elements"]
    assert libraries[0]["libraryId"] == me
    assert {row["libraryId"][:3] for row in libraries} == {"UR_", "GR_"}
    messages, _ = api.collect(f"/libraries/{me}/messages")
    assert {m["category"] for m in messages} >= {"invite", "reminder", "thankYou", "emailSubject", "smsInvite",
                                                 "smsReminder", "smsThankYou"}
    invites = api.ok("GET", f"/libraries/{me}/messages", params={"category": "invite"})["elements"]
    assert invites and all(m["category"] == "invite" for m in invites)
    message = api.ok("GET", f"/libraries/{me}/messages/{invites[0]['id']}")
    assert message["category"] == "invite" and "en" in message["messages"]
    assert api.get(f"/libraries/{me}/messages", params={"category": "bogus"}).status_code == 400

    member_libraries = user_api.ok("GET", "/libraries")["elements"]
    cx_team = next(row for row in member_libraries if row["libraryName"] == "CX Team")
    group_messages = user_api.ok("GET", f"/libraries/{cx_team['libraryId']}/messages")["elements"]
    assert {m["category"] for m in group_messages} >= {"invite", "smsInvite"}
    own = member_libraries[0]["libraryId"]
    assert user_api.ok("GET", f"/libraries/{own}/messages")["elements"] == []
