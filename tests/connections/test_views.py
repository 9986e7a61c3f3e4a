"""Every connection screen with every persona, the htmx variants, and what each screen does."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from connections.crypto import decrypt_token
from connections.models import AuditEvent, Connection, ConnectionShare, Role
from connections.signals import Dependent, Dependents
from tests.factories import make_connection, make_team, make_user, random_token, share

from .pages import main_text, text_of

pytestmark = pytest.mark.django_db

# (URL name, the role needed to open it with GET)
CONNECTION_PAGES = [
    ("connection_detail", Role.VIEWER),
    ("connection_edit", Role.MANAGER),
    ("connection_rotate", Role.MANAGER),
    ("connection_share", Role.MANAGER),
    ("connection_delete", Role.MANAGER),
    ("connection_audit", Role.MANAGER),
    ("connection_audit_csv", Role.MANAGER),
]
PERSONAS = ["owner", "manager", "operator", "team_operator", "viewer"]
HELD = {"owner": Role.MANAGER, "manager": Role.MANAGER, "operator": Role.OPERATOR,
        "team_operator": Role.OPERATOR, "viewer": Role.VIEWER}


def url(name, connection, *args):
    return reverse(f"connections:{name}", args=[connection.pk, *args])


class TestPersonas:
    @pytest.mark.parametrize(("name", "_role"), CONNECTION_PAGES)
    def test_anonymous_is_sent_to_log_in(self, client, personas, name, _role):
        response = client.get(url(name, personas.connection))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize(("name", "_role"), CONNECTION_PAGES)
    def test_an_outsider_gets_404(self, login, personas, name, _role):
        response = login(personas.outsider).get(url(name, personas.connection))
        assert response.status_code == 404
        assert personas.connection.name not in response.content.decode()

    @pytest.mark.parametrize(("name", "needed"), CONNECTION_PAGES)
    @pytest.mark.parametrize("persona", PERSONAS)
    def test_each_role_opens_what_it_may(self, login, personas, name, needed, persona):
        response = login(getattr(personas, persona)).get(url(name, personas.connection))
        if HELD[persona] >= needed:
            assert response.status_code == 200
        else:
            assert response.status_code == 403
            assert "This needs the manager role on “Acme production”" in response.content.decode()

    @pytest.mark.parametrize(("name", "_role"), [p for p in CONNECTION_PAGES if p[0] != "connection_audit_csv"])
    def test_htmx_gets_the_partial_only(self, login, personas, hx, name, _role):
        response = login(personas.owner).get(url(name, personas.connection), **hx)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body and "navbar" not in body

    @pytest.mark.parametrize("name", ["connection_list", "connection_create"])
    def test_the_list_and_create_pages_need_a_login_only(self, client, login, personas, hx, name):
        assert client.get(reverse(f"connections:{name}")).status_code == 302
        assert login(personas.outsider).get(reverse(f"connections:{name}")).status_code == 200
        partial = login(personas.outsider).get(reverse(f"connections:{name}"), **hx)
        assert partial.status_code == 200 and "<html" not in partial.content.decode()

    @pytest.mark.parametrize(
        ("name", "args"),
        [("connection_test", ()), ("connection_fix_datacenter", ()), ("connection_share", ()),
         ("connection_unshare", (1,)), ("connection_delete", ()), ("connection_edit", ()),
         ("connection_rotate", ())],
    )
    def test_writes_are_refused_to_outsiders_and_low_roles(self, client, login, personas, name, args):
        target = url(name, personas.connection, *args)
        assert client.post(target).status_code == 302
        assert login(personas.outsider).post(target).status_code == 404
        if name != "connection_test":
            assert login(personas.operator).post(target).status_code == 403
        assert Connection.objects.filter(pk=personas.connection.pk).exists()


class TestList:
    def test_it_lists_my_connections_with_their_facts(self, login, personas):
        make_connection(personas.outsider, name="Not mine")
        share(personas.connection, team=make_team("Field team"), role=Role.VIEWER)
        Connection.objects.filter(pk=personas.connection.pk).update(
            expires_on=timezone.localdate() + datetime.timedelta(days=3), last_check_ok=True,
            last_checked_at=timezone.now(),
        )
        body = main_text(login(personas.viewer).get(reverse("connections:connection_list")))
        assert "Not mine" not in body
        assert (
            "Acme production iad1 acme admin Olivia max (manager) , team Survey ops (operator) , otto (operator) , "
            "team Field team (viewer) , vera (viewer) expires in 3 days test OK"
        ) in body
        assert body.endswith("viewer 1 connection"), body

    def test_search_narrows_the_list(self, login, personas, hx):
        make_connection(personas.owner, name="Globex staging", brand_id="globex", datacenter="fra1")
        client = login(personas.owner)
        body = client.get(reverse("connections:connection_list") + "?q=fra1", **hx).content.decode()
        assert "Globex staging" in body and "Acme production" not in body
        empty = client.get(reverse("connections:connection_list") + "?q=nothing").content.decode()
        assert "No connection matches “nothing”." in empty

    def test_a_click_on_a_heading_sorts_by_it_and_the_next_click_the_other_way(self, login, personas, hx):
        today = timezone.localdate()
        Connection.objects.filter(pk=personas.connection.pk).update(expires_on=today + datetime.timedelta(days=90))
        make_connection(personas.owner, name="Zeta soon", expires_on=today + datetime.timedelta(days=5))
        make_connection(personas.owner, name="Beta undated", expires_on=None)
        client = login(personas.owner)
        listed = reverse("connections:connection_list")

        def names(query, **headers):
            body = client.get(listed + query, **headers).content.decode()
            return re.findall(r'<a class="fw-semibold" href="[^"]*">([^<]+)</a>', body), body

        assert names("")[0] == ["Acme production", "Beta undated", "Zeta soon"]  # by name until a heading is clicked
        by_expiry, body = names("?sort=expires_on")
        assert by_expiry == ["Zeta soon", "Acme production", "Beta undated"]  # no date last
        assert '<th scope="col" class="" aria-sort="ascending"><a class="sort-link" href="?sort=-expires_on"' in body
        assert names("?sort=-expires_on", **hx)[0] == ["Acme production", "Zeta soon", "Beta undated"]
        assert names("?sort=-name")[0] == ["Zeta soon", "Beta undated", "Acme production"]
        assert names("?sort=owner__password")[0] == names("")[0]  # a key the list does not offer is ignored
        searched, body = names("?sort=-name&q=a")
        assert searched == ["Zeta soon", "Beta undated", "Acme production"]
        assert 'name="sort" value="-name" form="connection-search-form"' in body  # a new search keeps the order

    def test_a_section_without_a_current_connection_asks_to_pick_one(self, login, personas):
        body = login(personas.viewer).get(reverse("connections:connection_list") + "?section=directory").content
        body = body.decode()
        assert "Pick a connection to open Directory." in body
        assert url("connection_switch", personas.connection) + "?section=directory" in body

    def test_empty_state_invites_to_add_one(self, login, personas):
        body = login(personas.outsider).get(reverse("connections:connection_list")).content.decode()
        assert "Add your first connection" in body

    def test_the_expiry_banner_shows_for_connections_in_their_notice_window(self, login, personas):
        Connection.objects.filter(pk=personas.connection.pk).update(
            expires_on=timezone.localdate() + datetime.timedelta(days=2), notify_days_before=5
        )
        client = login(personas.viewer)
        for page in (reverse("dashboard"), personas.connection.get_absolute_url()):
            body = client.get(page).content.decode()
            assert 'data-testid="expiry-banner"' in body, page
            assert "expires on" in body and "(in 2 days)" in body
        Connection.objects.filter(pk=personas.connection.pk).update(notify_days_before=1)
        body = login(personas.viewer).get(reverse("dashboard")).content.decode()
        assert 'data-testid="expiry-banner"' not in body

    def test_the_expiry_banner_stays_off_other_pages_and_hides_for_a_day_per_user(self, login, personas, hx):
        Connection.objects.filter(pk=personas.connection.pk).update(
            expires_on=timezone.localdate() + datetime.timedelta(days=2), notify_days_before=5
        )
        other = make_connection(personas.owner, name="Other brand")
        share(other, user=personas.viewer, role=Role.VIEWER)
        client = login(personas.viewer)
        assert 'data-testid="expiry-banner"' not in client.get(other.get_absolute_url()).content.decode()
        assert 'data-testid="expiry-banner"' not in client.get(reverse("connections:connection_list")).content.decode()
        hide = reverse("connections:expiry_banner_hide", args=[personas.connection.pk])
        response = client.post(hide, **hx)
        assert response.status_code == 200 and response.content == b""
        assert 'data-testid="expiry-banner"' not in client.get(reverse("dashboard")).content.decode()
        assert 'data-testid="expiry-banner"' in login(personas.manager).get(reverse("dashboard")).content.decode()
        profile = Profile.objects.get(user=personas.viewer)
        until = datetime.datetime.fromisoformat(profile.hidden_notices[personas.connection.expiry_notice_key])
        assert abs(until - timezone.now() - datetime.timedelta(days=1)) < datetime.timedelta(minutes=1)
        profile.hidden_notices = {personas.connection.expiry_notice_key: timezone.now().isoformat()}  # a day later
        profile.save()
        assert 'data-testid="expiry-banner"' in login(personas.viewer).get(reverse("dashboard")).content.decode()
        assert client.get(hide).status_code == 405
        assert login(personas.outsider).post(hide).status_code == 404
        without_htmx = login(personas.manager).post(hide)
        assert without_htmx.status_code == 302 and without_htmx["Location"] == personas.connection.get_absolute_url()


class TestCreate:
    def form(self, sandbox, **overrides):
        data = {"name": "Acme live", "datacenter": "iad1", "token": sandbox.admin_token, "notify_days_before": 14,
                "enabled": "on"}
        data.update(overrides)
        return data

    def test_the_datacenter_field_starts_empty_with_the_example_in_its_help(self, login, personas):
        body = login(personas.owner).get(reverse("connections:connection_create")).content.decode()
        field = re.search(r'<input[^>]*name="datacenter"[^>]*>', body).group(0)
        assert "placeholder" not in field and "value=" not in field
        assert "e.g. iad1 for iad1.qualtrics.com" in body

    def test_it_creates_after_qualtrics_accepts(self, login, portal_sandbox):
        sandbox, _connection, owner = portal_sandbox
        client = login(owner)
        response = client.post(reverse("connections:connection_create"), self.form(sandbox), follow=True)
        created = Connection.objects.get(name="Acme live")
        assert response.redirect_chain[-1][0] == created.get_absolute_url()
        body = response.content.decode()
        assert "Qualtrics accepted the token (brand acme" in body
        assert created.owner == owner
        assert client.session["current_connection_id"] == created.pk

    def test_htmx_success_redirects_the_client(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        response = login(owner).post(reverse("connections:connection_create"), self.form(sandbox), **hx)
        assert response.status_code == 200
        assert response["HX-Redirect"] == Connection.objects.get(name="Acme live").get_absolute_url()

    def test_a_refused_token_shows_qualtrics_words_and_keeps_the_input(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        bad = random_token()
        response = login(owner).post(
            reverse("connections:connection_create"), self.form(sandbox, token=bad, description="Kept text"), **hx
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        request_id = sandbox.calls("GET", "/whoami")[-1]["requestId"]
        assert "Qualtrics said: “Unrecognized X-API-TOKEN.”" in body
        assert request_id in body
        assert 'value="Acme live"' in body and "Kept text" in body
        assert bad not in body
        assert not Connection.objects.filter(name="Acme live").exists()

    def test_a_bad_datacenter_is_refused_on_the_form(self, login, portal_sandbox):
        sandbox, _connection, owner = portal_sandbox
        response = login(owner).post(reverse("connections:connection_create"),
                                     self.form(sandbox, datacenter="evil.example.com"))
        assert "“evil.example.com” is not a Qualtrics datacenter ID" in main_text(response)
        assert sandbox.calls("GET", "/whoami") == []

    def test_a_duplicate_name_keeps_the_token_for_the_next_try(self, login, portal_sandbox):
        sandbox, connection, owner = portal_sandbox
        client = login(owner)
        first = client.post(reverse("connections:connection_create"), self.form(sandbox, name=connection.name))
        body = main_text(first)
        assert f"You already have a connection named “{connection.name}”" in body
        assert sandbox.admin_token not in first.content.decode()
        assert f"the token you entered a moment ago (••••{sandbox.admin_token[-4:]})" in body
        second = client.post(reverse("connections:connection_create"), self.form(sandbox, name="Renamed", token=""))
        assert second.status_code == 302
        created = Connection.objects.get(name="Renamed")
        assert decrypt_token(created.token_encrypted) == sandbox.admin_token

    def test_the_token_is_required(self, login, portal_sandbox):
        sandbox, _connection, owner = portal_sandbox
        response = login(owner).post(reverse("connections:connection_create"), self.form(sandbox, token=""))
        assert "Paste the API token of the Qualtrics user" in response.content.decode()

    def test_the_limit_is_explained(self, login, personas, settings):
        settings.PORTAL_MAX_CONNECTIONS = 1
        body = login(personas.outsider).get(reverse("connections:connection_create")).content.decode()
        assert "This portal holds its maximum of 1 connections." in body


class TestEdit:
    def test_a_blank_token_keeps_the_saved_one(self, login, live):
        response = login(live.manager).post(url("connection_edit", live.connection), {
            "name": "Acme renamed", "datacenter": "iad1", "token": "", "notify_days_before": 7, "enabled": "on",
        })
        assert response.status_code == 302
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.name == "Acme renamed"
        assert decrypt_token(connection.token_encrypted) == live.token

    def test_the_form_shows_only_the_last_four(self, login, live):
        body = login(live.owner).get(url("connection_edit", live.connection)).content.decode()
        assert f"••••{live.token[-4:]}" in body
        assert live.token not in body

    def test_another_brand_asks_for_confirmation(self, login, live, globex_token):
        client = login(live.owner)
        data = {"name": live.connection.name, "datacenter": "iad1", "token": globex_token,
                "notify_days_before": 14, "enabled": "on"}
        body = client.post(url("connection_edit", live.connection), data).content.decode()
        assert "belongs to the Qualtrics brand “globex”" in body
        assert 'type="checkbox" name="confirm_brand_change"' in body
        assert globex_token not in body
        confirmed = client.post(url("connection_edit", live.connection),
                                {**data, "token": "", "confirm_brand_change": "on"})
        assert confirmed.status_code == 302
        assert Connection.objects.get(pk=live.connection.pk).brand_id == "globex"


    def test_a_new_token_of_another_user_asks_for_confirmation(self, login, live):
        _admin, standard = acme_users(live)
        client = login(live.owner)
        data = {"name": live.connection.name, "datacenter": "iad1", "token": live.sandbox.user_token,
                "notify_days_before": 14, "enabled": "on"}
        body = client.post(url("connection_edit", live.connection), data).content.decode()
        assert f"belongs to the Qualtrics user “{standard['userName']}”" in body
        assert 'type="checkbox" name="confirm_user_change"' in body
        confirmed = client.post(url("connection_edit", live.connection),
                                {**data, "token": "", "confirm_user_change": "on"})
        assert confirmed.status_code == 302
        assert Connection.objects.get(pk=live.connection.pk).qualtrics_user_id == standard["userId"]


def acme_users(live):
    """The acme administrator and standard user behind the sandbox's two tokens; the connection is
    checked first, so it knows whom it acts as (as it does once created through the portal)."""
    from connections import services

    assert services.connection_test(connection=live.connection).ok
    live.connection.refresh_from_db()
    rows = live.sandbox.brand("acme")["tokens"]
    admin = next(r for r in rows if r["token"] == live.sandbox.admin_token)
    standard = next(r for r in rows if r["token"] == live.sandbox.user_token)
    return admin, standard


class TestTest:
    def test_htmx_shows_brand_user_and_account_type(self, login, live, hx):
        response = login(live.viewer).post(url("connection_test", live.connection), **hx)
        body = response.content.decode()
        request_id = live.sandbox.calls("GET", "/whoami")[-1]["requestId"]
        assert "Qualtrics accepted the token" in body
        assert "acme" in body and "UT_BRANDADMIN" in body and live.connection.qualtrics_user_name in body
        assert request_id in body
        assert 'hx-swap-oob="true"' in body and "test OK" in body

    def test_htmx_shows_qualtrics_exact_error_and_request_id(self, login, live, hx):
        live.sandbox.state.revoke_token(live.token)
        body = login(live.viewer).post(url("connection_test", live.connection), **hx).content.decode()
        request_id = live.sandbox.calls("GET", "/whoami")[-1]["requestId"]
        assert "Qualtrics no longer accepts this connection&#x27;s API token" in body
        assert "Qualtrics said: “Unrecognized X-API-TOKEN.”" in body
        assert request_id in body
        assert "token rejected" in body

    def test_without_htmx_it_redirects_with_a_message(self, login, live):
        response = login(live.operator).post(url("connection_test", live.connection), follow=True)
        assert response.redirect_chain[-1][0] == live.connection.get_absolute_url()
        assert "Qualtrics accepted the token: brand acme" in response.content.decode()


class TestRotate:
    def test_it_rotates_and_says_work_continues(self, login, live):
        new = live.sandbox.add_token("acme", admin=True)
        response = login(live.manager).post(url("connection_rotate", live.connection), {"token": new}, follow=True)
        assert "Work already under way continues with the new token." in response.content.decode()
        assert decrypt_token(Connection.objects.get(pk=live.connection.pk).token_encrypted) == new

    def test_the_new_tokens_expiry_starts_blank_and_the_old_date_is_mentioned(self, login, live):
        Connection.objects.filter(pk=live.connection.pk).update(expires_on=datetime.date(2027, 3, 9))
        body = login(live.manager).get(url("connection_rotate", live.connection)).content.decode()
        field = re.search(r'<input[^>]*name="expires_on"[^>]*>', body).group(0)
        assert "value=" not in field
        assert "The token being replaced expires on 9 March 2027." in body

    def test_another_brand_is_refused_until_confirmed(self, login, live, globex_token, hx):
        client = login(live.manager)
        body = client.post(url("connection_rotate", live.connection), {"token": globex_token}, **hx).content.decode()
        assert "belongs to the Qualtrics brand “globex”" in body
        assert globex_token not in body
        response = client.post(url("connection_rotate", live.connection), {"confirm_brand_change": "on"}, **hx)
        assert response["HX-Redirect"] == live.connection.get_absolute_url()
        assert Connection.objects.get(pk=live.connection.pk).brand_id == "globex"

    def test_a_token_of_another_user_asks_naming_both_users_then_rotates_once_confirmed(self, login, live, hx):
        admin, standard = acme_users(live)
        client = login(live.manager)
        response = client.post(url("connection_rotate", live.connection), {"token": live.sandbox.user_token}, **hx)
        body = response.content.decode()
        assert 'id="rotate-form"' in body and "<html" not in body  # the form, swapped in place
        assert f"belongs to the Qualtrics user “{standard['userName']}” (account type UT_" in body
        assert f"the connection acts as “{admin['userName']}” (brand administrator)" in body
        assert 'type="checkbox" name="confirm_user_change"' in body
        assert live.sandbox.user_token not in body
        assert Connection.objects.get(pk=live.connection.pk).qualtrics_user_id == admin["userId"]

        # The token typed a moment ago is kept (encrypted) for the confirmation.
        response = client.post(url("connection_rotate", live.connection), {"confirm_user_change": "on"}, **hx)
        assert response["HX-Redirect"] == live.connection.get_absolute_url()
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.qualtrics_user_id == standard["userId"] and not connection.is_brand_admin
        assert decrypt_token(connection.token_encrypted) == live.sandbox.user_token
        event = AuditEvent.objects.get(action="connection.rotate", outcome="ok")
        assert f"user changed from “{admin['userName']}” (brand administrator)" in event.detail

    def test_without_htmx_another_user_is_refused_until_confirmed(self, login, live):
        admin, standard = acme_users(live)
        response = login(live.owner).post(url("connection_rotate", live.connection),
                                          {"token": live.sandbox.user_token})
        assert response.status_code == 200
        text = main_text(response)
        assert f"“{standard['userName']}”" in text and f"“{admin['userName']}” (brand administrator)" in text
        assert decrypt_token(Connection.objects.get(pk=live.connection.pk).token_encrypted) == live.token

    def test_a_refused_token_is_shown_on_the_token_field(self, login, live):
        response = login(live.owner).post(url("connection_rotate", live.connection), {"token": random_token()})
        assert "Qualtrics said: “Unrecognized X-API-TOKEN.”" in main_text(response)
        assert 'class="mono form-control is-invalid"' in response.content.decode()


class TestDatacenterFix:
    def test_one_click_applies_the_suggestion(self, login, live):
        Connection.objects.filter(pk=live.connection.pk).update(datacenter="sjc1", suggested_datacenter="iad1")
        detail = login(live.manager).get(url("connection_detail", live.connection)).content.decode()
        assert "Use iad1" in detail
        response = login(live.manager).post(url("connection_fix_datacenter", live.connection), follow=True)
        assert "Datacenter of “Acme (sandbox)” set to iad1." in response.content.decode()
        assert Connection.objects.get(pk=live.connection.pk).datacenter == "iad1"

    def test_viewers_see_the_suggestion_without_the_button(self, login, live):
        Connection.objects.filter(pk=live.connection.pk).update(datacenter="sjc1", suggested_datacenter="iad1")
        body = login(live.viewer).get(url("connection_detail", live.connection)).content.decode()
        assert "A manager of the connection can apply it." in body and "Use iad1" not in body


class TestShare:
    def test_the_dialog_adds_a_team_and_tells_the_page(self, login, personas, hx):
        team = make_team("Analysts", make_user("ann"))
        response = login(personas.manager).post(url("connection_share", personas.connection),
                                                {"team": team.pk, "role": Role.OPERATOR}, **hx)
        body = response.content.decode()
        assert response["HX-Trigger"] == '{"shares-changed": {}}'
        assert "Analysts is now operator." in body and "<html" not in body
        assert ConnectionShare.objects.get(team=team).role == Role.OPERATOR

    def test_choosing_both_or_neither_is_explained(self, login, personas, hx):
        team = make_team("Analysts")
        body = login(personas.owner).post(url("connection_share", personas.connection),
                                          {"team": team.pk, "user": personas.outsider.pk, "role": 10},
                                          **hx).content.decode()
        assert "Choose either one person or one team." in body
        body = login(personas.owner).post(url("connection_share", personas.connection), {"role": 10},
                                          **hx).content.decode()
        assert "Choose either one person or one team." in body

    def test_the_owner_is_not_offered(self, login, personas):
        body = login(personas.owner).get(url("connection_share", personas.connection)).content.decode()
        people = body[body.index('id="id_user"'):body.index('id="id_team"')]
        assert f'<option value="{personas.owner.pk}"' not in people
        assert f'<option value="{personas.outsider.pk}">oscar</option>' in people

    def test_removing_a_share_ends_access(self, login, personas, hx):
        viewer_share = ConnectionShare.objects.get(user=personas.viewer)
        response = login(personas.owner).post(url("connection_unshare", personas.connection, viewer_share.pk), **hx)
        assert "vera no longer has access through this share." in response.content.decode()
        assert login(personas.viewer).get(url("connection_detail", personas.connection)).status_code == 404

    def test_without_htmx_the_share_page_works_too(self, login, personas):
        response = login(personas.owner).post(url("connection_share", personas.connection),
                                              {"user": personas.outsider.pk, "role": Role.VIEWER}, follow=True)
        assert "Shared with oscar as Viewer." in response.content.decode()
        assert login(personas.outsider).get(url("connection_detail", personas.connection)).status_code == 200


class TestDelete:
    @staticmethod
    def exports(*labels, note=""):
        return Dependents(title="Survey exports", noun="running export(s)", fate="will stop",
                          none_text="No export runs through this connection.",
                          items=tuple(Dependent(label=label, note=note) for label in labels))

    def test_the_confirmation_names_what_depends_on_it(self, login, personas, hooks):
        hooks.dependents.connect(lambda sender, connection, **kw: self.exports("Spring export", note="since 9:00"),
                                 weak=False)
        body = main_text(login(personas.manager).get(url("connection_delete", personas.connection)))
        assert "1 running export(s) will stop: — Spring export (since 9:00)" in body
        assert "Access ends for everyone it is shared with: max, Survey ops, otto, vera." in body

    def test_the_confirmation_says_when_nothing_depends_on_it(self, login, personas, hooks):
        hooks.dependents.connect(lambda sender, connection, **kw: self.exports(), weak=False)
        body = main_text(login(personas.manager).get(url("connection_delete", personas.connection)))
        assert "No export runs through this connection." in body

    def test_the_connections_page_lists_what_depends_on_it(self, login, personas, hooks):
        hooks.dependents.connect(lambda sender, connection, **kw: self.exports("Spring export"), weak=False)
        body = main_text(login(personas.viewer).get(url("connection_detail", personas.connection)))
        assert "Survey exports 1 Spring export" in body

    def test_deleting_cancels_and_reports(self, login, personas, hooks, hx):
        asked = []

        def cancel(sender, connection, actor, **kwargs):
            asked.append((connection.pk, actor))
            return self.exports("Spring invite")

        hooks.deleting.connect(cancel, weak=False)
        client = login(personas.owner)
        client.get(url("connection_switch", personas.connection))
        response = client.post(url("connection_delete", personas.connection), **hx)
        assert response["HX-Redirect"] == reverse("connections:connection_list")
        assert asked == [(personas.connection.pk, personas.owner)]
        assert not Connection.objects.filter(pk=personas.connection.pk).exists()
        assert "current_connection_id" not in client.session
        page = text_of(client.get(reverse("connections:connection_list")))
        assert "Connection “Acme production” deleted. Cancelled 1 running export(s): Spring invite." in page


class TestAudit:
    def events(self, personas):
        when = timezone.make_aware(datetime.datetime(2030, 3, 10, 23, 30), datetime.UTC)
        rows = [
            ("connection.test", personas.viewer, "ok", when),
            ("qualtrics.post", personas.operator, "failed", when + datetime.timedelta(hours=1)),
            ("share.add", personas.owner, "ok", when + datetime.timedelta(days=2)),
        ]
        for action, actor, outcome, at in rows:
            AuditEvent.objects.create(connection=personas.connection, action=action, actor=actor,
                                      actor_label=actor.username, outcome=outcome, created_at=at,
                                      request_id=f"req-{action}", target="=HYPERLINK(\"x\")")

    def test_filters_by_action_actor_and_outcome(self, login, personas, hx):
        self.events(personas)
        client = login(personas.manager)
        base = url("connection_audit", personas.connection)
        body = client.get(base + "?action=qualtrics.post", **hx).content.decode()
        assert "req-qualtrics.post" in body and "req-share.add" not in body
        body = client.get(base + "?actor=vera").content.decode()
        assert "req-connection.test" in body and "req-qualtrics.post" not in body
        body = client.get(base + "?outcome=failed").content.decode()
        assert "req-qualtrics.post" in body and "req-connection.test" not in body

    def test_the_date_range_is_in_the_users_zone(self, login, personas):
        self.events(personas)
        from accounts.services import profile_update

        profile_update(user=personas.manager, timezone="Europe/Berlin")
        client = login(personas.manager)
        # 23:30 UTC on 10 March is 00:30 on 11 March in Berlin.
        body = client.get(url("connection_audit", personas.connection) + "?since=2030-03-11&until=2030-03-11").content
        body = body.decode()
        assert "req-connection.test" in body and "req-qualtrics.post" in body and "req-share.add" not in body
        assert "11 Mar 2030<div class=\"small text-body-secondary\">00:30:00" in body
        assert "times in Europe/Berlin" in body

    def test_paging(self, login, personas):
        for n in range(55):
            AuditEvent.objects.create(connection=personas.connection, action="connection.test", actor_label="x",
                                      target=f"t{n}")
        client = login(personas.owner)
        first = client.get(url("connection_audit", personas.connection)).content.decode()
        assert "Events 1–50 of 55" in first and "Page 1 of 2" in first
        second = client.get(url("connection_audit", personas.connection) + "?page=2").content.decode()
        assert "Events 51–55 of 55" in second

    def test_csv_export_keeps_the_filters_and_defuses_formulas(self, login, personas):
        self.events(personas)
        response = login(personas.owner).get(url("connection_audit_csv", personas.connection) + "?outcome=ok")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="audit-connection-{personas.connection.pk}-')
        assert "no-store" in response["Cache-Control"]
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0] == ["time (UTC)", "who", "connection", "what", "action", "target", "outcome",
                           "Qualtrics request id", "detail"]
        assert [r[3:5] for r in rows[1:]] == [["Connection shared", "share.add"],
                                              ["Connection tested", "connection.test"]]
        assert {r[6] for r in rows[1:]} == {"Done"}
        assert rows[1][5] == "'=HYPERLINK(\"x\")"
        assert rows[2][0] == "2030-03-10 23:30:00"

    def test_csv_times_stay_in_the_users_zone_while_the_file_streams(self, login, personas):
        self.events(personas)
        from accounts.services import profile_update

        profile_update(user=personas.manager, timezone="Europe/Berlin")
        export = url("connection_audit_csv", personas.connection) + "?action=connection.test"
        response = login(personas.manager).get(export)
        timezone.deactivate()  # the rows are written after the view returned, when another zone may be active
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][0] == "time (Europe/Berlin)"
        assert rows[1][0] == "2030-03-11 00:30:00"

    def test_a_bad_date_is_explained(self, login, personas):
        body = login(personas.owner).get(url("connection_audit", personas.connection)
                                         + "?since=2030-03-12&until=2030-03-11").content.decode()
        assert "The end date is before the start date." in body


class TestSwitch:
    def test_it_remembers_the_connection_and_opens_the_section(self, login, personas):
        client = login(personas.viewer)
        response = client.get(url("connection_switch", personas.connection) + "?section=directory")
        assert response.status_code == 302
        assert response.url == reverse("contacts:home", kwargs={"connection_id": personas.connection.pk})
        assert client.session["current_connection_id"] == personas.connection.pk

    def test_the_audit_section_is_for_managers(self, login, personas):
        assert login(personas.manager).get(url("connection_switch", personas.connection) + "?section=audit").url \
            == url("connection_audit", personas.connection)
        assert login(personas.viewer).get(url("connection_switch", personas.connection) + "?section=audit").url \
            == personas.connection.get_absolute_url()

    def test_no_or_unknown_section_opens_the_connection(self, login, personas, hx):
        client = login(personas.viewer)
        assert client.get(url("connection_switch", personas.connection)).url == personas.connection.get_absolute_url()
        assert client.get(url("connection_switch", personas.connection) + "?section=nope").url == \
            personas.connection.get_absolute_url()
        response = client.get(url("connection_switch", personas.connection), **hx)
        assert response["HX-Redirect"] == personas.connection.get_absolute_url()


def test_detail_shows_the_whoami_facts_and_shares(login, personas):
    Connection.objects.filter(pk=personas.connection.pk).update(
        qualtrics_user_name="dana@acme", qualtrics_user_id="UR_123", reported_datacenter="iad1",
        last_checked_at=timezone.now(), last_check_ok=True, expires_on=datetime.date(2031, 2, 3),
    )
    body = login(personas.team_operator).get(url("connection_detail", personas.connection)).content.decode()
    for text in ("dana@acme", "UR_123", "UT_BRANDADMIN", "brand administrator", "••••abcd", "3 Feb 2031",
                 "Survey ops", "operator", "you are operator"):
        assert text in body, text
    assert "Rotate token" not in body  # managers only
    assert zoneinfo  # the module is used in the audit tests


def test_the_dashboard_shows_each_connections_badges(login, personas):
    Connection.objects.filter(pk=personas.connection.pk).update(
        last_check_ok=False, last_check_error="Qualtrics did not answer",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    body = main_text(login(personas.viewer).get(reverse("dashboard")))
    assert "Acme production" in body
    assert "test failed" in body
    assert f"expired {(timezone.localdate() - datetime.timedelta(days=1)).day}" in body


def test_deleting_cancels_the_real_scheduled_distributions(login, personas):
    """With the distributions app: the confirmation lists what is scheduled, deleting cancels it first."""
    from distributions.models import Channel, Distribution, Kind, State

    def scheduled(name, state=State.SCHEDULED):
        return Distribution.objects.create(
            connection=personas.connection, channel=Channel.EMAIL, kind=Kind.INVITE, state=state, name=name,
            survey_id="SV_" + "a" * 15, survey_name="Pulse", send_at=timezone.now() + datetime.timedelta(days=2),
            from_email="noreply@qualtrics.com", from_name="Acme", subject="Hello", link_type="Individual",
            message_text="Please answer", mailing_list_id="CG_" + "b" * 15,
        )

    scheduled("Spring pulse")
    scheduled("Old one", state=State.SENT)
    client = login(personas.owner)
    body = main_text(client.get(url("connection_delete", personas.connection)))
    assert "1 scheduled distribution(s) will be cancelled before they are sent: — Spring pulse · E-mail invite (due" \
        in body
    assert "Old one" not in body
    response = client.post(url("connection_delete", personas.connection), follow=True)
    assert "Cancelled 1 scheduled distribution(s): Spring pulse · E-mail invite" in text_of(response)
    assert not Distribution.objects.filter(connection_id=personas.connection.pk).exists()
    assert AuditEvent.objects.filter(action="distribution.cancel", connection_label="Acme production").exists()


class TestSwitcher:
    def test_a_user_with_few_connections_sees_them_all_and_no_search(self, login, personas):
        make_connection(personas.owner, name="Second brand")
        page = login(personas.owner).get(reverse("dashboard")).content.decode()
        assert page.count('data-testid="switcher-item"') == 2 and 'data-testid="switcher-search"' not in page

    def test_the_search_answers_only_signed_in_users_and_only_with_their_connections(self, client, login, personas,
                                                                                   hx):
        make_connection(make_user("stranger"), name="Not yours")
        address = reverse("connections:switcher_search")
        assert client.get(address, {"q": "o"}).url.startswith(reverse("login"))
        found = login(personas.viewer).get(address, {"q": ""}, **hx).content.decode()
        assert personas.connection.name in found and "Not yours" not in found
        assert login(personas.outsider).get(address, {"q": "o"}, **hx).content.decode().count("switcher-item") == 0
        assert login(personas.viewer).post(address).status_code == 405


def test_the_page_draws_the_brands_calls_of_each_hour_from_the_shared_budget(login, live):
    from connections.qualtrics_client import connection_client

    hour = timezone.localtime().strftime("%H:00")
    body = login(live.viewer).get(url("connection_detail", live.connection)).content.decode()
    assert 'data-testid="budget-day"' in body and "Calls to Qualtrics in each of the last 24 hours: none." in body
    with connection_client(live.connection) as client:
        for _ in range(3):
            client.users.list()
    body = login(live.viewer).get(url("connection_detail", live.connection)).content.decode()
    assert f"3 calls in all, most in {hour} (3). The busiest used under 1% of the brand&#x27;s 180,000 calls" in body
    assert f'<th scope="row" class="fw-normal">{hour}</th><td class="text-end">3</td>' in body
