"""The brand administration screens, with every persona, against the sandbox."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse

from connections.crypto import decrypt_token
from connections.models import AuditEvent, Connection


def url(name, connection, **kwargs):
    return reverse(f"brandadmin:{name}", kwargs={"connection_id": connection.pk, **kwargs})


def page_text(response) -> str:
    return response.content.decode()


def card_groups(html: str) -> list[str]:
    """The group names listed on the user page's Groups card."""
    return sorted(re.findall(r'<a href="/c/\d+/groups/GR_\w+/">([^<]+)</a>', html))


# --- access ---------------------------------------------------------------------------------------


def all_urls(connection, user_id, group_id):
    """(name, url, method) of every screen, reads first."""
    return [
        ("user_list", url("user_list", connection), "get"),
        ("user_detail", url("user_detail", connection, user_id=user_id), "get"),
        ("user_groups", url("user_groups", connection, user_id=user_id), "get"),
        ("user_search", url("user_search", connection) + "?q=sam", "get"),
        ("group_list", url("group_list", connection), "get"),
        ("group_detail", url("group_detail", connection, group_id=group_id), "get"),
        ("user_create", url("user_create", connection), "post"),
        ("user_edit", url("user_edit", connection, user_id=user_id), "post"),
        ("user_toggle", url("user_toggle", connection, user_id=user_id), "post"),
        ("user_delete", url("user_delete", connection, user_id=user_id), "post"),
        ("user_disable", url("user_disable", connection, user_id=user_id), "post"),
        ("user_token", url("user_token", connection, user_id=user_id), "post"),
        ("user_group_add", url("user_group_add", connection, user_id=user_id), "post"),
        ("user_group_remove", url("user_group_remove", connection, user_id=user_id, group_id=group_id), "post"),
        ("group_create", url("group_create", connection), "post"),
        ("group_edit", url("group_edit", connection, group_id=group_id), "post"),
        ("group_delete", url("group_delete", connection, group_id=group_id), "post"),
        ("group_member_add", url("group_member_add", connection, group_id=group_id), "post"),
        ("group_member_remove", url("group_member_remove", connection, group_id=group_id, user_id=user_id), "post"),
    ]


class TestAccess:
    def test_it_sends_anonymous_visitors_to_the_login_page(self, team, client, users_by_name, groups_by_name):
        sam, cx = users_by_name["sam.ortiz"]["id"], groups_by_name["CX Team"]["id"]
        for name, address, method in all_urls(team.connection, sam, cx):
            response = getattr(client, method)(address)
            assert response.status_code == 302, name
            assert response["Location"].startswith("/login/"), name

    def test_it_hides_the_connection_from_outsiders(self, team, login, users_by_name, groups_by_name):
        client = login(team.outsider)
        sam, cx = users_by_name["sam.ortiz"]["id"], groups_by_name["CX Team"]["id"]
        for name, address, method in all_urls(team.connection, sam, cx):
            assert getattr(client, method)(address).status_code == 404, name

    def test_it_lets_a_viewer_read_and_refuses_every_change(self, team, login, users_by_name, groups_by_name):
        client = login(team.viewer)
        sam, cx = users_by_name["sam.ortiz"]["id"], groups_by_name["CX Team"]["id"]
        before = team.sandbox.calls(method="POST") + team.sandbox.calls(method="PUT") + team.sandbox.calls(
            method="DELETE")
        for name, address, method in all_urls(team.connection, sam, cx):
            response = getattr(client, method)(address)
            expected = 200 if method == "get" else 403
            assert response.status_code == expected, name
        for name in ("user_create", "group_create"):
            assert client.get(url(name, team.connection)).status_code == 403, name
        assert client.get(url("user_edit", team.connection, user_id=sam)).status_code == 403
        assert client.get(url("user_delete", team.connection, user_id=sam)).status_code == 403
        assert client.get(url("group_delete", team.connection, group_id=cx)).status_code == 403
        after = team.sandbox.calls(method="POST") + team.sandbox.calls(method="PUT") + team.sandbox.calls(
            method="DELETE")
        assert after == before  # nothing was written to Qualtrics

    def test_it_shows_a_viewer_no_buttons_that_change_anything(self, team, login, users_by_name, groups_by_name):
        client = login(team.viewer)
        sam, cx = users_by_name["sam.ortiz"]["id"], groups_by_name["CX Team"]["id"]
        listing = page_text(client.get(url("user_list", team.connection)))
        assert "New user" not in listing
        detail = page_text(client.get(url("user_detail", team.connection, user_id=sam)))
        assert url("user_edit", team.connection, user_id=sam) not in detail
        assert url("user_token", team.connection, user_id=sam) not in detail
        assert 'data-testid="toggle-user"' not in detail
        group = page_text(client.get(url("group_detail", team.connection, group_id=cx)))
        assert 'data-testid="member-picker"' not in group
        assert 'data-testid="remove-member"' not in group
        groups = page_text(client.get(url("user_groups", team.connection, user_id=sam)))
        assert "CX Team" in groups
        assert 'data-testid="user-group-remove"' not in groups

    def test_it_keeps_api_tokens_to_managers(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]["id"]
        address = url("user_token", team.connection, user_id=sam)
        for operator in (team.operator, team.team_operator):
            assert login(operator).get(address).status_code == 403
        detail = page_text(login(team.operator).get(url("user_detail", team.connection, user_id=sam)))
        assert address not in detail
        for manager in (team.manager, team.owner):
            response = login(manager).get(address)
            assert response.status_code == 200
            assert "stops working everywhere" in page_text(response)

    def test_it_answers_404_for_something_that_is_not_a_qualtrics_id(self, team, login):
        client = login(team.owner)
        assert client.get(f"/c/{team.connection.pk}/users/not-an-id/").status_code == 404
        assert client.get(f"/c/{team.connection.pk}/groups/UR_abcdefabcdef/").status_code == 404


# --- users ----------------------------------------------------------------------------------------


class TestUserList:
    def test_it_lists_users_with_paging(self, team, login):
        client = login(team.viewer)
        first = client.get(url("user_list", team.connection) + "?page_size=25")
        text = page_text(first)
        assert first.status_code == 200
        assert "Dana Whitfield" in text and "Ivan Horvat" in text  # the demo brand has 20 users: one page
        assert text.count('data-testid="user-status"') == 20
        assert "20 users on the first page" in text

    def test_it_pages_offset_style_with_previous_and_next(self, team, login, settings):
        from brandadmin.views.users import UserListView

        client = login(team.viewer)
        sizes = UserListView.page_sizes
        UserListView.page_sizes = (5, 25)
        try:
            first = client.get(url("user_list", team.connection) + "?page_size=5")
            assert first.context["page_number"] == 1
            names_1 = [r["item"]["id"] for r in first.context["rows"]]
            second = client.get(url("user_list", team.connection) + "?" + first.context["next_query"])
            names_2 = [r["item"]["id"] for r in second.context["rows"]]
            assert len(names_1) == len(names_2) == 5
            assert not set(names_1) & set(names_2)
            assert second.context["page_number"] == 2
            back = client.get(url("user_list", team.connection) + "?" + second.context["prev_query"])
            assert [r["item"]["id"] for r in back.context["rows"]] == names_1
        finally:
            UserListView.page_sizes = sizes

    def test_it_searches_names_usernames_and_emails_and_says_it_filters_here(self, team, login):
        client = login(team.viewer)
        response = client.get(url("user_list", team.connection) + "?q=bell")
        rows = response.context["rows"]
        assert {r["item"]["lastName"] for r in rows} == {"Bell", "Bello"}
        text = page_text(response)
        assert "Qualtrics cannot search users" in text
        assert "read the whole list (20 users)" in text
        by_mail = client.get(url("user_list", team.connection) + "?q=yuki.mori%40acme")
        assert [r["item"]["firstName"] for r in by_mail.context["rows"]] == ["Yuki"]
        two_words = client.get(url("user_list", team.connection) + "?q=sam+ortiz")
        assert [r["item"]["lastName"] for r in two_words.context["rows"]] == ["Ortiz"]

    def test_it_filters_by_status(self, team, login):
        client = login(team.viewer)
        response = client.get(url("user_list", team.connection) + "?status=disabled")
        rows = response.context["rows"]
        assert len(rows) == 3
        assert {r["item"]["accountStatus"] for r in rows} == {"disabled"}
        none = client.get(url("user_list", team.connection) + "?q=nobody-like-this")
        assert "No user matches this search." in page_text(none)

    def test_it_pages_through_filtered_results(self, team, login):
        from brandadmin.views.users import UserListView

        client = login(team.viewer)
        sizes = UserListView.page_sizes
        UserListView.page_sizes = (2, 25)
        try:
            first = client.get(url("user_list", team.connection) + "?status=disabled&page_size=2")
            assert len(first.context["rows"]) == 2
            assert "checked so far" in page_text(first)
            second = client.get(url("user_list", team.connection) + "?" + first.context["next_query"])
            assert len(second.context["rows"]) == 1
            assert not second.context["next_query"]
            ids = {r["item"]["id"] for r in first.context["rows"]} | {r["item"]["id"] for r in second.context["rows"]}
            assert len(ids) == 3
        finally:
            UserListView.page_sizes = sizes

    def test_it_renders_only_the_table_for_htmx(self, team, login, hx):
        response = login(team.viewer).get(url("user_list", team.connection) + "?q=priya", **hx)
        text = page_text(response)
        assert response.status_code == 200
        assert "<html" not in text
        assert 'id="crud-table"' in text and "Priya Raman" in text


class TestUserDetail:
    def test_it_shows_every_field_qualtrics_returns(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]
        response = login(team.viewer).get(url("user_detail", team.connection, user_id=sam["id"]))
        text = page_text(response)
        assert response.status_code == 200
        for expected in ("Sam Ortiz", sam["id"], sam["userType"], "Account created", "Last login",
                         "Time zone", "Language", "English (en)", "Account status", "responseCounts",
                         "permissions", "Active"):
            assert expected in text, expected

    def test_it_shows_dates_in_the_viewers_zone_and_the_users_own(self, team, login, users_by_name):
        from accounts.models import Profile

        Profile.objects.update_or_create(user=team.viewer, defaults={"timezone": "Asia/Tokyo"})
        sam = users_by_name["sam.ortiz"]
        response = login(team.viewer).get(url("user_detail", team.connection, user_id=sam["id"]))
        text = page_text(response)
        assert "Dates in your time zone (Asia/Tokyo)" in text
        assert "America/New_York, their time zone" in text

    def test_it_renders_the_content_partial_for_htmx(self, team, login, hx, users_by_name):
        sam = users_by_name["sam.ortiz"]
        text = page_text(login(team.viewer).get(url("user_detail", team.connection, user_id=sam["id"]), **hx))
        assert "<html" not in text and 'data-testid="user-details"' in text

    def test_it_explains_a_user_that_no_longer_exists(self, team, login):
        response = login(team.viewer).get(url("user_detail", team.connection, user_id="UR_doesnotexist123"))
        assert response.status_code == 200
        text = page_text(response)
        assert "Qualtrics could not find it" in text
        assert "Back to users" in text

    def test_it_lists_the_users_groups_in_a_card(self, team, login, hx, users_by_name):
        sam = users_by_name["sam.ortiz"]
        response = login(team.operator).get(url("user_groups", team.connection, user_id=sam["id"]), **hx)
        text = page_text(response)
        assert "<html" not in text
        assert card_groups(text) == ["CX Team", "Support Leads"]
        assert 'data-testid="user-group-add"' in text
        choices = re.findall(r"<option value=\"GR_\w+\">([^<]+)</option>", text)
        assert "CX Team" not in choices and "Research Ops" in choices


class TestUserCreate:
    def form_data(self, acme_types, **overrides):
        data = {
            "username": "new.person@acme.example",
            "first_name": "New",
            "last_name": "Person",
            "email": "new.person@acme.example",
            "user_type": acme_types[1],
            "password": "a-Very-good-pass-99",
            "language": "fr",
            "time_zone": "Europe/Paris",
            "division_id": "",
            "account_expiration_date": "",
        }
        data.update(overrides)
        return data

    def test_it_offers_the_user_types_seen_on_the_brand(self, team, login, acme):
        form = login(team.operator).get(url("user_create", team.connection)).context["form"]
        values = [value for value, _label in form.fields["user_type"].choices]
        seen = {t for t in acme["userTypes"] if t != "UT_BRANDADMIN"} | {"UT_BRANDADMIN"}
        assert seen <= set(values)
        labels = dict(form.fields["user_type"].choices)
        assert labels["UT_BRANDADMIN"].startswith("Brand administrator (UT_BRANDADMIN) (")
        assert "__other__" in values

    def test_it_creates_a_user_and_audits_the_call(self, team, login, acme, qualtrics):
        types = list(acme["userTypes"])
        division = next(iter(acme["divisions"]))
        data = self.form_data(types, division_id=division,
                              account_expiration_date=(datetime.date.today() + datetime.timedelta(days=90)).isoformat())
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert response.status_code == 302
        created = next(u for u in qualtrics.users.list().iter_all() if u["username"] == "new.person@acme.example")
        assert response["Location"] == url("user_detail", team.connection, user_id=created["id"])
        full = qualtrics.users.get(created["id"])
        assert (full["language"], full["timeZone"], full["divisionId"]) == ("fr", "Europe/Paris", division)
        assert full["accountExpirationDate"]
        event = AuditEvent.objects.get(action="qualtrics.post", target="/users")
        assert event.actor == team.operator and event.outcome == "ok" and event.request_id

    def test_it_accepts_a_user_type_id_typed_in(self, team, login, acme, qualtrics):
        types = list(acme["userTypes"])
        data = self.form_data(types, user_type="__other__", user_type_other=types[3])
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert response.status_code == 302
        created = next(u for u in qualtrics.users.list().iter_all() if u["username"] == "new.person@acme.example")
        assert created["userType"] == types[3]

    def test_it_keeps_the_input_and_explains_bad_input(self, team, login, acme, hx):
        types = list(acme["userTypes"])
        data = self.form_data(types, email="not-an-email", user_type="__other__", user_type_other="XX_1",
                              password="short")
        response = login(team.operator).post(url("user_create", team.connection), data, **hx)
        text = page_text(response)
        assert response.status_code == 200
        assert "<html" not in text and 'id="crud-form"' in text
        errors = response.context["form"].errors
        assert set(errors) == {"email", "user_type_other", "password"}
        assert 'value="New"' in text and 'value="new.person@acme.example"' in text

    def test_it_shows_qualtrics_refusal_on_the_form_with_its_words(self, team, login, acme):
        types = list(acme["userTypes"])
        data = self.form_data(types, username="sam.ortiz@acme.example")
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert response.status_code == 200
        error = " ".join(response.context["form"].non_field_errors())
        assert "Username already exists: sam.ortiz@acme.example" in error
        assert "request id " in error and "Qualtrics said:" in error
        assert 'value="sam.ortiz@acme.example"' in page_text(response)

    def test_it_keeps_the_input_when_qualtrics_fails(self, team, login, acme):
        team.sandbox.configure(fail_rate=1.0)
        data = self.form_data(list(acme["userTypes"]))
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert response.status_code == 200
        assert "Qualtrics had a temporary problem" in " ".join(response.context["form"].non_field_errors())
        assert 'value="new.person@acme.example"' in page_text(response)

    def test_it_requires_a_password_or_the_generate_box(self, team, login, acme):
        data = self.form_data(list(acme["userTypes"]), password="")
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert "password" in response.context["form"].errors

    def test_it_refuses_an_expiration_date_in_the_past(self, team, login, acme):
        data = self.form_data(list(acme["userTypes"]), account_expiration_date="2020-01-01")
        response = login(team.operator).post(url("user_create", team.connection), data)
        assert "account_expiration_date" in response.context["form"].errors

    def test_it_generates_a_password_and_shows_it_once(self, team, login, acme, qualtrics, hx):
        data = self.form_data(list(acme["userTypes"]), password="", generate_password="on")
        response = login(team.operator).post(url("user_create", team.connection), data, **hx)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        text = page_text(response)
        assert "<html" not in text and 'data-testid="password-once"' in text
        password = re.search(r'value="([^"]+)" id="generated-password"', text).group(1)
        assert len(password) >= 20
        created = next(u for u in qualtrics.users.list().iter_all() if u["username"] == "new.person@acme.example")
        shown = AuditEvent.objects.get(action="brandadmin.user_password.shown_once")
        assert created["id"] in shown.target
        assert password not in shown.detail
        assert not AuditEvent.objects.filter(detail__contains=password).exists()


class TestUserEdit:
    def test_it_fills_the_form_and_saves_changes(self, team, login, users_by_name, qualtrics):
        sam = users_by_name["sam.ortiz"]
        client = login(team.operator)
        form = client.get(url("user_edit", team.connection, user_id=sam["id"])).context["form"]
        assert form.initial["first_name"] == "Sam" and form.initial["user_type"] == sam["userType"]
        data = {**{k: v or "" for k, v in form.initial.items()}, "last_name": "Ortiz-Lane", "time_zone": "Asia/Tokyo",
                "account_expiration_date": ""}
        response = client.post(url("user_edit", team.connection, user_id=sam["id"]), data)
        assert response.status_code == 302
        full = qualtrics.users.get(sam["id"])
        assert (full["lastName"], full["timeZone"]) == ("Ortiz-Lane", "Asia/Tokyo")
        assert AuditEvent.objects.filter(action="qualtrics.put", target=f"/users/{sam['id']}").exists()
        sent = team.sandbox.calls(method="PUT", path_contains=sam["id"])[-1]["body"]
        sent = json.loads(sent) if isinstance(sent, str) else sent
        assert sent == {"lastName": "Ortiz-Lane", "timeZone": "Asia/Tokyo"}  # only what changed

    def test_it_sets_a_generated_password_and_shows_it_once(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]
        client = login(team.operator)
        form = client.get(url("user_edit", team.connection, user_id=sam["id"])).context["form"]
        data = {**{k: v or "" for k, v in form.initial.items()}, "generate_password": "on"}
        response = client.post(url("user_edit", team.connection, user_id=sam["id"]), data)
        assert response.status_code == 200
        assert response.context["password"] in page_text(response)
        call = team.sandbox.calls(method="PUT", path_contains=sam["id"])[-1]
        assert call["path"].endswith(sam["id"])


class TestUserToggle:
    def test_it_disables_and_enables_an_account(self, team, login, users_by_name, qualtrics):
        sam = users_by_name["sam.ortiz"]
        client = login(team.operator)
        address = url("user_toggle", team.connection, user_id=sam["id"])
        response = client.post(address, {"enable": "0", "username": sam["username"]})
        assert response.status_code == 302
        assert qualtrics.users.get(sam["id"])["accountStatus"] == "disabled"
        detail = page_text(client.get(response["Location"]))
        assert "Disabled the account of “sam.ortiz@acme.example”." in detail
        assert "Enable account" in detail
        client.post(address, {"enable": "1"})
        assert qualtrics.users.get(sam["id"])["accountStatus"] == "active"

    def test_it_redirects_htmx_requests_with_hx_redirect(self, team, login, users_by_name, hx):
        sam = users_by_name["sam.ortiz"]
        response = login(team.operator).post(url("user_toggle", team.connection, user_id=sam["id"]), {"enable": "0"},
                                             **hx)
        assert response["HX-Redirect"] == url("user_detail", team.connection, user_id=sam["id"])

    def test_it_refuses_get(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]
        assert login(team.operator).get(url("user_toggle", team.connection, user_id=sam["id"])).status_code == 405

    def test_disabling_is_confirmed_first_naming_what_it_does(self, team, login, users_by_name, qualtrics, hx):
        sam = users_by_name["sam.ortiz"]
        client = login(team.operator)
        detail = page_text(client.get(url("user_detail", team.connection, user_id=sam["id"])))
        assert "Disable account…" in detail
        address = url("user_disable", team.connection, user_id=sam["id"])
        confirm = page_text(client.get(address))
        assert "Disable account “sam.ortiz@acme.example”?" in confirm
        assert "their API token stops working at once" in confirm and "enable the account again" in confirm
        assert qualtrics.users.get(sam["id"])["accountStatus"] == "active"  # nothing happens before the click
        response = client.post(address, **hx)
        assert response["HX-Redirect"] == url("user_detail", team.connection, user_id=sam["id"])
        assert qualtrics.users.get(sam["id"])["accountStatus"] == "disabled"
        assert "Disabled the account of “sam.ortiz@acme.example”." in page_text(client.get(response["HX-Redirect"]))

    def test_viewers_cannot_open_the_confirmation(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]
        assert login(team.viewer).get(url("user_disable", team.connection, user_id=sam["id"])).status_code == 403


class TestUserDelete:
    def test_it_confirms_with_the_consequences_then_deletes(self, team, login, users_by_name, qualtrics, hx):
        yuki = users_by_name["yuki.mori"]
        client = login(team.operator)
        address = url("user_delete", team.connection, user_id=yuki["id"])
        confirm = client.get(address, **hx)
        text = page_text(confirm)
        assert "<html" not in text
        assert "Delete user “yuki.mori@acme.example”?" in text
        assert "Disabling the account instead keeps everything." in text
        response = client.post(address)
        assert response["Location"] == url("user_list", team.connection)
        assert yuki["id"] not in {u["id"] for u in qualtrics.users.list().iter_all()}
        assert AuditEvent.objects.filter(action="qualtrics.delete", target=f"/users/{yuki['id']}").exists()


class TestUserToken:
    def test_it_shows_the_new_token_once_and_the_old_one_stops_working(self, team, login, users_by_name):
        from connections.qualtrics_client import client_for_token
        from qualtrics.errors import AuthenticationError

        sam = users_by_name["sam.ortiz"]
        old = team.sandbox.user_token
        response = login(team.manager).post(url("user_token", team.connection, user_id=sam["id"]),
                                            {"destination": "show", "confirm": "on"})
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        token = response.context["token"]
        assert token and token in page_text(response) and token != old
        assert client_for_token(datacenter="iad1", token=token).whoami()["userId"] == sam["id"]
        with pytest.raises(AuthenticationError):
            client_for_token(datacenter="iad1", token=old).whoami()
        event = AuditEvent.objects.get(action="brandadmin.user_token.shown_once")
        assert event.actor == team.manager and sam["id"] in event.target
        assert not AuditEvent.objects.filter(detail__contains=token).exists()

    def test_it_saves_the_token_into_a_new_connection_without_showing_it(self, team, login, users_by_name):
        sam = users_by_name["sam.ortiz"]
        response = login(team.manager).post(url("user_token", team.connection, user_id=sam["id"]),
                                            {"destination": "save", "connection_name": "Sam's scripts",
                                             "confirm": "on"})
        new = Connection.objects.get(name="Sam's scripts")
        assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
        assert new.owner == team.manager and new.datacenter == team.connection.datacenter
        assert new.qualtrics_user_id == sam["id"] and new.brand_id == "acme"
        token = decrypt_token(new.token_encrypted)
        assert token not in page_text(login(team.manager).get(response["Location"]))
        assert AuditEvent.objects.filter(action="brandadmin.user_token.saved_to_connection").count() == 1
        assert not AuditEvent.objects.filter(action="brandadmin.user_token.shown_once").exists()

    def test_it_checks_the_connection_name_before_rotating(self, team, login, users_by_name):
        from connections.qualtrics_client import client_for_token
        from tests.factories import make_connection

        make_connection(team.manager, name="Taken")
        sam = users_by_name["sam.ortiz"]
        response = login(team.manager).post(url("user_token", team.connection, user_id=sam["id"]),
                                            {"destination": "save", "connection_name": "taken", "confirm": "on"})
        assert response.status_code == 200
        assert "already have a connection named" in " ".join(response.context["form"].errors["connection_name"])
        assert not team.sandbox.calls(method="POST", path_contains="apitoken")
        assert client_for_token(datacenter="iad1", token=team.sandbox.user_token).whoami()["userId"] == sam["id"]

    def test_it_requires_the_confirmation(self, team, login, users_by_name, hx):
        sam = users_by_name["sam.ortiz"]
        response = login(team.manager).post(url("user_token", team.connection, user_id=sam["id"]),
                                            {"destination": "show"}, **hx)
        text = page_text(response)
        assert "<html" not in text and 'data-testid="token-form"' in text
        assert "Tick this box to confirm" in text
        assert not team.sandbox.calls(method="POST", path_contains="apitoken")

    def test_it_warns_when_the_user_is_the_connections_own(self, team, login, users_by_name):
        dana = users_by_name["dana.whitfield"]
        team.connection.qualtrics_user_id = dana["id"]
        team.connection.save()
        text = page_text(login(team.owner).get(url("user_token", team.connection, user_id=dana["id"])))
        assert "including this connection" in text


# --- groups ---------------------------------------------------------------------------------------


class TestGroup:
    def test_it_lists_and_searches_groups(self, team, login, hx):
        client = login(team.viewer)
        listing = client.get(url("group_list", team.connection))
        assert [r["item"]["name"] for r in listing.context["rows"]][:2] == ["CX Team", "Research Ops"]
        found = page_text(client.get(url("group_list", team.connection) + "?q=emea", **hx))
        assert "<html" not in found
        assert re.findall(r'<a href="/c/\d+/groups/GR_\w+/">([^<]+)</a>', found) == ["Regional Managers EMEA"]

    def test_it_shows_a_group_and_its_members(self, team, login, groups_by_name, hx):
        cx = groups_by_name["CX Team"]
        client = login(team.operator)
        response = client.get(url("group_detail", team.connection, group_id=cx["id"]))
        text = page_text(response)
        assert "CX Team" in text and "Sam Ortiz" in text
        assert len(response.context["rows"]) == 5
        assert text.count('data-testid="remove-member"') == 5
        partial = page_text(client.get(url("group_detail", team.connection, group_id=cx["id"]), **hx))
        assert "<html" not in partial and "Sam Ortiz" in partial

    def test_it_creates_edits_and_deletes_a_group(self, team, login, acme, qualtrics):
        client = login(team.operator)
        group_type, division = next(iter(acme["groupTypes"])), list(acme["divisions"])[1]
        form = client.get(url("group_create", team.connection)).context["form"]
        assert group_type in [v for v, _label in form.fields["group_type"].choices]
        response = client.post(url("group_create", team.connection),
                               {"name": "Pilots", "group_type": group_type, "division_id": division})
        created = next(g for g in qualtrics.groups.list().iter_all() if g["name"] == "Pilots")
        assert response["Location"] == url("group_detail", team.connection, group_id=created["id"])
        assert (created["type"], created["divisionId"]) == (group_type, division)

        edit = url("group_edit", team.connection, group_id=created["id"])
        assert client.get(edit).context["form"].initial["name"] == "Pilots"
        client.post(edit, {"name": "Pilots 2", "group_type": group_type, "division_id": division})
        assert qualtrics.groups.get(created["id"])["name"] == "Pilots 2"

        delete = url("group_delete", team.connection, group_id=created["id"])
        assert "Nobody is in the group" in page_text(client.get(delete))
        response = client.post(delete)
        assert response["Location"] == url("group_list", team.connection)
        assert created["id"] not in {g["id"] for g in qualtrics.groups.list().iter_all()}
        assert set(AuditEvent.objects.filter(actor=team.operator).values_list("action", flat=True)) == {
            "qualtrics.post", "qualtrics.put", "qualtrics.delete"}

    def test_it_explains_a_bad_division(self, team, login, acme):
        response = login(team.operator).post(url("group_create", team.connection),
                                             {"name": "X", "group_type": next(iter(acme["groupTypes"])),
                                              "division_id": "DV_unknown12345"})
        assert response.status_code == 200
        assert "Invalid divisionId" in " ".join(response.context["form"].non_field_errors())


class TestMember:
    def test_it_adds_several_members_at_once(self, team, login, groups_by_name, users_by_name, qualtrics):
        ops = groups_by_name["Research Ops"]
        picks = [users_by_name["dana.whitfield"]["id"], users_by_name["yuki.mori"]["id"]]
        client = login(team.team_operator)
        response = client.post(url("group_member_add", team.connection, group_id=ops["id"]), {"user_id": picks})
        assert response["Location"] == url("group_detail", team.connection, group_id=ops["id"])
        members = {m["id"] for m in qualtrics.groups.members.list(ops["id"]).iter_all()}
        assert set(picks) <= members
        assert "Added 2 users to the group." in page_text(client.get(response["Location"]))
        assert AuditEvent.objects.filter(action="qualtrics.post", target=f"/groups/{ops['id']}/members").count() == 2

    def test_it_reports_a_member_that_could_not_be_added_and_adds_the_others(self, team, login, groups_by_name,
                                                                              users_by_name, qualtrics):
        cx = groups_by_name["CX Team"]
        sam, dana = users_by_name["sam.ortiz"]["id"], users_by_name["dana.whitfield"]["id"]
        client = login(team.operator)
        response = client.post(url("group_member_add", team.connection, group_id=cx["id"]), {"user_id": [sam, dana]})
        text = page_text(client.get(response["Location"]))
        assert "Added 1 user to the group." in text
        assert f"Could not add {sam}" in text and "already a member" in text
        assert dana in {m["id"] for m in qualtrics.groups.members.list(cx["id"]).iter_all()}

    def test_it_refuses_an_empty_or_malformed_pick(self, team, login, groups_by_name):
        cx = groups_by_name["CX Team"]
        client = login(team.operator)
        for data in ({}, {"user_id": ["<script>"]}):
            response = client.post(url("group_member_add", team.connection, group_id=cx["id"]), data)
            assert response.status_code == 302
            assert not team.sandbox.calls(method="POST", path_contains="/members")

    def test_it_removes_a_member(self, team, login, groups_by_name, users_by_name, qualtrics, hx):
        cx = groups_by_name["CX Team"]
        sam = users_by_name["sam.ortiz"]
        response = login(team.operator).post(
            url("group_member_remove", team.connection, group_id=cx["id"], user_id=sam["id"]),
            {"username": sam["username"]}, **hx,
        )
        assert response["HX-Redirect"] == url("group_detail", team.connection, group_id=cx["id"])
        assert sam["id"] not in {m["id"] for m in qualtrics.groups.members.list(cx["id"]).iter_all()}

    def test_it_adds_and_removes_groups_from_the_user_page(self, team, login, groups_by_name, users_by_name,
                                                           qualtrics, hx):
        ops = groups_by_name["Research Ops"]
        sam = users_by_name["sam.ortiz"]
        client = login(team.operator)
        added = client.post(url("user_group_add", team.connection, user_id=sam["id"]), {"group_id": ops["id"]}, **hx)
        text = page_text(added)
        assert "<html" not in text and 'id="user-groups"' in text
        assert card_groups(text) == ["CX Team", "Research Ops", "Support Leads"]
        assert "Added the user to the group “Research Ops”." in text  # toast delivered with the fragment
        removed = client.post(url("user_group_remove", team.connection, user_id=sam["id"], group_id=ops["id"]),
                              {"group_label": "Research Ops"}, **hx)
        assert card_groups(page_text(removed)) == ["CX Team", "Support Leads"]
        assert "Removed the user from the group “Research Ops”." in page_text(removed)
        assert sam["id"] not in {m["id"] for m in qualtrics.groups.members.list(ops["id"]).iter_all()}

    def test_it_redirects_to_the_user_page_without_htmx(self, team, login, groups_by_name, users_by_name):
        ops = groups_by_name["Research Ops"]
        sam = users_by_name["sam.ortiz"]
        response = login(team.operator).post(url("user_group_add", team.connection, user_id=sam["id"]),
                                             {"group_id": ops["id"]})
        assert response["Location"] == url("user_detail", team.connection, user_id=sam["id"])
        missing = login(team.operator).post(url("user_group_add", team.connection, user_id=sam["id"]),
                                            {"group_id": ""})
        assert missing.status_code == 302


class TestUserSearch:
    def test_it_returns_an_html_fragment_for_the_picker(self, team, login, hx):
        response = login(team.viewer).get(url("user_search", team.connection) + "?q=mor", **hx)
        text = page_text(response)
        assert "<html" not in text
        assert "Yuki Mori" in text and 'name="user_id"' in text

    def test_it_leaves_out_the_groups_members(self, team, login, hx, groups_by_name):
        cx = groups_by_name["CX Team"]
        response = login(team.viewer).get(url("user_search", team.connection) + f"?q=ortiz&group={cx['id']}", **hx)
        assert "Sam Ortiz" not in page_text(response)
        assert "Nobody matches “ortiz”" in page_text(response)

    def test_it_answers_json(self, team, login):
        response = login(team.viewer).get(url("user_search", team.connection) + "?q=yuki&format=json")
        body = response.json()
        assert [r["name"] for r in body["results"]] == ["Yuki Mori"]
        assert body["results"][0]["id"].startswith("UR_")

    def test_it_waits_for_two_letters(self, team, login, hx):
        response = login(team.viewer).get(url("user_search", team.connection) + "?q=y", **hx)
        assert response.status_code == 200
        assert 'data-testid="search-results"' not in page_text(response)
        assert not team.sandbox.calls(path_contains="/users")


# --- a token that is not a brand administrator's -------------------------------------------------


class TestNotAdmin:
    def test_it_explains_the_403_on_the_user_list(self, non_admin_connection, portal_sandbox, login, hx):
        _sandbox, _connection, owner = portal_sandbox
        client = login(owner)
        response = client.get(url("user_list", non_admin_connection))
        text = page_text(response)
        assert response.status_code == 200
        assert "This connection&#x27;s Qualtrics user is not a brand administrator" in text
        assert "sam.ortiz@acme.example" in text
        assert 'data-testid="not-admin"' in text and "crud-table" not in text
        partial = page_text(client.get(url("user_list", non_admin_connection) + "?q=a", **hx))
        assert "<html" not in partial and 'data-testid="not-admin"' in partial

    def test_it_explains_the_403_on_the_user_page_and_forms(self, non_admin_connection, portal_sandbox, login,
                                                           users_by_name):
        _sandbox, _connection, owner = portal_sandbox
        client = login(owner)
        sam = users_by_name["sam.ortiz"]["id"]
        for address in (url("user_detail", non_admin_connection, user_id=sam),
                        url("user_create", non_admin_connection),
                        url("user_edit", non_admin_connection, user_id=sam),
                        url("user_delete", non_admin_connection, user_id=sam),
                        url("user_token", non_admin_connection, user_id=sam)):
            response = client.get(address)
            assert response.status_code == 200, address
            assert 'data-testid="not-admin"' in page_text(response), address

    def test_it_explains_the_403_on_writes(self, non_admin_connection, portal_sandbox, login, users_by_name, acme):
        _sandbox, _connection, owner = portal_sandbox
        client = login(owner)
        sam = users_by_name["sam.ortiz"]["id"]
        toggled = client.post(url("user_toggle", non_admin_connection, user_id=sam), {"enable": "0"})
        assert 'data-testid="not-admin"' in page_text(toggled)
        created = client.post(url("user_create", non_admin_connection), {
            "username": "x@acme.example", "first_name": "X", "last_name": "Y", "email": "x@acme.example",
            "user_type": "__other__", "user_type_other": list(acme["userTypes"])[1], "password": "long-enough-1",
            "language": "en",
        })
        assert created.status_code == 200
        error = " ".join(created.context["form"].non_field_errors())
        assert "not a brand administrator" in error
        assert AuditEvent.objects.filter(action="qualtrics.post", outcome="denied").exists()
