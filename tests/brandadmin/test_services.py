"""Writes for the brand administration screens, against the sandbox; every write is audited."""

from __future__ import annotations

import datetime
import string
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from brandadmin import selectors, services
from connections.crypto import decrypt_token
from connections.models import AuditEvent, Connection
from connections.qualtrics_client import client_for_token
from qualtrics.errors import AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError
from tests.factories import make_connection


@pytest.fixture
def kwargs(team):
    return {"connection": team.connection, "actor": team.operator}


class TestPasswords:
    def test_it_generates_strong_distinct_passwords(self):
        passwords = {services.password_generate() for _ in range(20)}
        assert len(passwords) == 20
        for password in passwords:
            assert len(password) == services.PASSWORD_LENGTH
            assert any(c in string.ascii_uppercase for c in password)
            assert any(c in string.ascii_lowercase for c in password)
            assert any(c in string.digits for c in password)
            assert any(c in services.PASSWORD_SYMBOLS for c in password)
            assert password[0] not in services.PASSWORD_SYMBOLS

    def test_it_turns_an_expiration_day_in_the_users_zone_into_utc(self):
        with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
            moment = services.expiration_to_utc(datetime.date(2030, 5, 1))
        assert moment == datetime.datetime(2030, 4, 30, 15, 0, tzinfo=datetime.UTC)
        assert services.expiration_to_utc(None) is None


class TestUsers:
    def test_it_creates_updates_disables_and_deletes_a_user(self, team, kwargs, acme, qualtrics):
        user_type = list(acme["userTypes"])[2]
        user_id = services.user_create(
            **kwargs, username=" kim@acme.example ", first_name="Kim", last_name="Lee", email="kim@acme.example",
            user_type=user_type, password="long-enough-1", language="de", time_zone="Europe/Berlin",
            account_expiration_date=datetime.date(2031, 1, 1),
        )
        user = qualtrics.users.get(user_id)
        assert (user["username"], user["userType"], user["language"]) == ("kim@acme.example", user_type, "de")
        assert user["accountExpirationDate"].startswith("2031-01-01") or user["accountExpirationDate"].startswith(
            "2030-12-31")

        services.user_update(**kwargs, user_id=user_id, username="kim@acme.example", first_name="Kimberly",
                             last_name="Lee", email="kim.lee@acme.example", user_type=user_type)
        user = qualtrics.users.get(user_id)
        assert (user["firstName"], user["email"], user["language"]) == ("Kimberly", "kim.lee@acme.example", "de")

        services.user_set_enabled(**kwargs, user_id=user_id, enabled=False)
        assert qualtrics.users.get(user_id)["accountStatus"] == "disabled"
        services.user_set_enabled(**kwargs, user_id=user_id, enabled=True)
        assert qualtrics.users.get(user_id)["accountStatus"] == "active"

        services.user_delete(**kwargs, user_id=user_id)
        with pytest.raises(NotFoundError):
            qualtrics.users.get(user_id)

        events = list(AuditEvent.objects.filter(connection=team.connection).order_by("pk"))
        assert [(e.action, e.outcome) for e in events] == [
            ("qualtrics.post", "ok"), ("qualtrics.put", "ok"), ("qualtrics.put", "ok"), ("qualtrics.put", "ok"),
            ("qualtrics.delete", "ok"),
        ]
        assert all(e.actor == team.operator and e.request_id for e in events)

    def test_it_sends_a_new_password_only_when_given(self, team, kwargs, users_by_name):
        sam = users_by_name["sam.ortiz"]
        fields = {"username": sam["username"], "first_name": "Sam", "last_name": "Ortiz", "email": sam["email"],
                  "user_type": sam["userType"]}
        services.user_update(**kwargs, user_id=sam["id"], **fields)
        services.user_update(**kwargs, user_id=sam["id"], password="brand-new-pass-1", **fields)
        bodies = [c["body"] for c in team.sandbox.calls(method="PUT", path_contains=sam["id"])]
        assert len(bodies) == 2
        assert "password" not in str(bodies[0]) and "brand-new-pass-1" in str(bodies[1])

    def test_it_lets_qualtrics_refusals_through_and_audits_them(self, team, kwargs):
        with pytest.raises(BadRequestError) as caught:
            services.user_create(**kwargs, username="x@acme.example", first_name="X", last_name="Y",
                                 email="x@acme.example", user_type="UT_unknown1234567", password="long-enough-1")
        assert "Invalid userType" in caught.value.message
        event = AuditEvent.objects.get(action="qualtrics.post")
        assert event.outcome == "failed" and "Invalid userType" in event.detail

    def test_it_drops_the_filter_cache_after_a_write(self, team, kwargs, acme):
        listing = {"connection": team.connection, "actor": team.owner, "cursor": None, "page_size": 50}
        assert not selectors.user_list(**listing, query="quinn").items
        services.user_create(**kwargs, username="quinn@acme.example", first_name="Quinn", last_name="Lee",
                             email="quinn@acme.example", user_type=list(acme["userTypes"])[1], password="long-enough-1")
        assert [u["firstName"] for u in selectors.user_list(**listing, query="quinn").items] == ["Quinn"]


class TestApiTokens:
    def test_it_rotates_and_hands_the_token_back_to_show_once(self, team, users_by_name):
        sam = users_by_name["sam.ortiz"]
        old = team.sandbox.user_token
        issued = services.user_token_issue(connection=team.connection, actor=team.manager, user_id=sam["id"],
                                           username=sam["username"])
        assert issued.saved is None and issued.token and not issued.problem
        assert client_for_token(datacenter="iad1", token=issued.token).whoami()["userId"] == sam["id"]
        with pytest.raises(AuthenticationError):
            client_for_token(datacenter="iad1", token=old).whoami()
        shown = AuditEvent.objects.get(action="brandadmin.user_token.shown_once")
        assert shown.target == f"{sam['username']} ({sam['id']})"
        assert issued.token[-4:] in shown.detail and issued.token not in shown.detail
        assert AuditEvent.objects.filter(action="qualtrics.post", target=f"/users/{sam['id']}/apitoken").exists()

    def test_it_saves_the_token_into_a_new_connection_of_the_actor(self, team, users_by_name):
        sam = users_by_name["sam.ortiz"]
        issued = services.user_token_issue(connection=team.connection, actor=team.manager, user_id=sam["id"],
                                           username=sam["username"], save_as="  Sam via the API ")
        assert issued.token == "" and issued.saved is not None
        new = Connection.objects.get(pk=issued.saved.pk)
        assert (new.name, new.owner, new.datacenter, new.brand_id) == ("Sam via the API", team.manager, "iad1", "acme")
        token = decrypt_token(new.token_encrypted)
        assert client_for_token(datacenter="iad1", token=token).whoami()["userId"] == sam["id"]
        saved = AuditEvent.objects.get(action="brandadmin.user_token.saved_to_connection")
        assert saved.connection == team.connection and token not in saved.detail
        assert not AuditEvent.objects.filter(action="brandadmin.user_token.shown_once").exists()

    @pytest.mark.parametrize("name, problem", [("", "Give the new connection a name"),
                                               ("x" * 101, "too long"),
                                               ("mine", "already have a connection")])
    def test_it_refuses_an_unusable_name_before_rotating(self, team, users_by_name, name, problem):
        make_connection(team.manager, name="Mine")
        sam = users_by_name["sam.ortiz"]
        with pytest.raises(ValidationError) as caught:
            services.user_token_issue(connection=team.connection, actor=team.manager, user_id=sam["id"],
                                      save_as=name or " ")
        assert problem in " ".join(caught.value.message_dict["connection_name"])
        assert not team.sandbox.calls(method="POST", path_contains="apitoken")

    def test_it_hands_the_token_back_when_saving_fails_after_the_rotation(self, team, users_by_name, settings):
        sam = users_by_name["sam.ortiz"]
        settings.PORTAL_MAX_CONNECTIONS = Connection.objects.count() + 1

        # Another connection appears between the name check and the save: the limit is then reached.
        original = services.user_token_create

        def rotate_then_race(**kwargs):
            token = original(**kwargs)
            make_connection(team.owner, name="Raced in")
            return token

        services.user_token_create = rotate_then_race
        try:
            issued = services.user_token_issue(connection=team.connection, actor=team.manager, user_id=sam["id"],
                                               username=sam["username"], save_as="Sam")
        finally:
            services.user_token_create = original
        assert issued.saved is None and issued.token and "maximum" in issued.problem
        assert client_for_token(datacenter="iad1", token=issued.token).whoami()["userId"] == sam["id"]
        assert AuditEvent.objects.filter(action="brandadmin.user_token.shown_once").exists()

    def test_it_is_refused_for_a_token_that_is_not_a_brand_administrators(self, non_admin_connection, portal_sandbox,
                                                                          users_by_name):
        _sandbox, _connection, owner = portal_sandbox
        with pytest.raises(PermissionDeniedError):
            services.user_token_issue(connection=non_admin_connection, actor=owner,
                                      user_id=users_by_name["sam.ortiz"]["id"])
        assert AuditEvent.objects.get(action="qualtrics.post").outcome == "denied"


class TestGroups:
    def test_it_creates_updates_and_deletes_a_group(self, team, kwargs, acme, qualtrics):
        first_type, second_type = list(acme["groupTypes"])
        division = next(iter(acme["divisions"]))
        group_id = services.group_create(**kwargs, group_type=first_type, name=" Pilots ", division_id=division)
        assert qualtrics.groups.get(group_id)["name"] == "Pilots"
        services.group_update(**kwargs, group_id=group_id, group_type=second_type, name="Pilots 2")
        group = qualtrics.groups.get(group_id)
        assert (group["name"], group["type"], group["divisionId"]) == ("Pilots 2", second_type, division)
        services.group_delete(**kwargs, group_id=group_id)
        with pytest.raises(NotFoundError):
            qualtrics.groups.get(group_id)
        assert AuditEvent.objects.filter(connection=team.connection, outcome="ok").count() == 3

    def test_it_adds_several_members_and_reports_each_failure(self, team, kwargs, groups_by_name, users_by_name,
                                                               qualtrics):
        cx = groups_by_name["CX Team"]
        sam, dana, yuki = (users_by_name[n]["id"] for n in ("sam.ortiz", "dana.whitfield", "yuki.mori"))
        outcome = services.group_members_add(**kwargs, group_id=cx["id"],
                                             user_ids=[dana, sam, dana, "UR_doesnotexist12", yuki])
        assert outcome.added == [dana, yuki]
        assert [user_id for user_id, _error in outcome.failed] == [sam, "UR_doesnotexist12"]
        assert "already a member" in outcome.failed[0][1].message
        members = {m["id"] for m in qualtrics.groups.members.list(cx["id"]).iter_all()}
        assert {dana, yuki, sam} <= members

    def test_it_removes_a_member(self, team, kwargs, groups_by_name, users_by_name, qualtrics):
        cx = groups_by_name["CX Team"]
        sam = users_by_name["sam.ortiz"]["id"]
        services.group_member_remove(**kwargs, group_id=cx["id"], user_id=sam)
        assert sam not in {m["id"] for m in qualtrics.groups.members.list(cx["id"]).iter_all()}
        event = AuditEvent.objects.get(action="qualtrics.delete")
        assert event.target == f"/groups/{cx['id']}/members/{sam}"
