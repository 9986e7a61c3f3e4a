"""Connection services against the sandbox: create, update, test, rotate, datacenter fix, share, delete."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connections import services
from connections.crypto import decrypt_token
from connections.models import AuditEvent, Connection, ConnectionShare, Role
from connections.signals import Dependent, Dependents
from qualtrics.errors import AuthenticationError
from tests.factories import make_connection, make_team, make_user, random_token

pytestmark = pytest.mark.django_db


def _create(owner, sandbox, **overrides):
    fields = {"name": "Acme live", "datacenter": "iad1", "token": sandbox.admin_token}
    fields.update(overrides)
    return services.connection_create(owner=owner, **fields)


class TestConnectionCreate:
    def test_it_checks_the_token_and_keeps_what_qualtrics_said(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        owner = make_user("ada")
        admin_user = next(u for u in sandbox.brand("acme")["tokens"] if u["admin"])

        connection = _create(owner, sandbox, expires_on=None, notify_emails="a@example.org, b@example.org")

        assert connection.pk is not None
        assert connection.brand_id == "acme"
        assert connection.account_type == "UT_BRANDADMIN"
        assert connection.is_brand_admin
        assert connection.qualtrics_user_id.startswith("UR_")
        assert connection.qualtrics_user_name == admin_user["userName"]
        assert connection.reported_datacenter == "iad1"
        assert connection.suggested_datacenter == ""
        assert connection.last_check_ok is True
        assert connection.token_last4 == sandbox.admin_token[-4:]
        assert sandbox.admin_token not in connection.token_encrypted
        assert decrypt_token(connection.token_encrypted) == sandbox.admin_token
        assert connection.notify_emails == "a@example.org\nb@example.org"
        event = AuditEvent.objects.get(connection=connection, action="connection.create")
        whoami_call = sandbox.calls("GET", "/whoami")[-1]
        assert event.request_id == whoami_call["requestId"]
        assert event.actor == owner

    def test_it_saves_nothing_when_qualtrics_refuses_the_token(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        owner = make_user("ada")
        with pytest.raises(AuthenticationError) as caught:
            _create(owner, sandbox, token=random_token())
        assert caught.value.status == 401
        assert caught.value.message == "Unrecognized X-API-TOKEN."
        assert caught.value.request_id == sandbox.calls("GET", "/whoami")[-1]["requestId"]
        assert not Connection.objects.exists()

    def test_it_suggests_the_datacenter_qualtrics_proxied_to(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        connection = _create(make_user("ada"), sandbox, datacenter="sjc1")
        assert connection.datacenter == "sjc1"
        assert connection.reported_datacenter == "iad1"
        assert connection.suggested_datacenter == "iad1"

    @pytest.mark.parametrize("datacenter", ["evil.example.com/x", "iad1.attacker", "127.0.0.1:80", "IAD 1", ""])
    def test_it_refuses_a_datacenter_that_could_change_the_host_before_calling(self, sandbox, settings, datacenter):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        with pytest.raises(ValidationError) as caught:
            _create(make_user("ada"), sandbox, datacenter=datacenter)
        assert "datacenter" in caught.value.message_dict
        assert sandbox.calls("GET", "/whoami") == []

    def test_it_refuses_a_token_of_the_wrong_shape_before_calling(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        with pytest.raises(ValidationError) as caught:
            _create(make_user("ada"), sandbox, token="not a token!")
        assert "token" in caught.value.message_dict
        assert sandbox.calls("GET", "/whoami") == []

    def test_it_wants_names_unique_per_owner_ignoring_case(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        owner = make_user("ada")
        _create(owner, sandbox, name="Acme live")
        with pytest.raises(ValidationError) as caught:
            _create(owner, sandbox, name="ACME LIVE ")
        assert caught.value.message_dict["name"] == [
            "You already have a connection named “ACME LIVE”. Pick another name."
        ]
        other = _create(make_user("bob"), sandbox, name="Acme live")
        assert other.pk

    def test_it_stops_at_the_limit_an_operator_set_with_a_clear_message(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        settings.PORTAL_MAX_CONNECTIONS = 2
        owner = make_user("ada")
        make_connection(owner, name="One")
        make_connection(owner, name="Two")
        with pytest.raises(ValidationError) as caught:
            _create(owner, sandbox, name="Three")
        assert caught.value.messages == [
            "This portal holds its maximum of 2 connections. Delete a connection you no longer use "
            "(or ask an administrator to) before adding another."
        ]
        assert Connection.objects.count() == 2

    def test_it_reports_every_bad_field_at_once(self, sandbox, settings):
        settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
        with pytest.raises(ValidationError) as caught:
            _create(make_user("ada"), sandbox, name="", notify_days_before=101, notify_emails="x@example.org, nope")
        errors = caught.value.message_dict
        assert set(errors) >= {"name", "notify_days_before", "notify_emails"}
        assert errors["notify_emails"] == ["Not an e-mail address: nope. Separate addresses with commas."]


class TestConnectionUpdate:
    def test_a_blank_token_leaves_the_token_unchanged(self, live):
        connection = live.connection
        before = connection.token_encrypted
        updated = services.connection_update(
            connection=connection, actor=live.manager, token="", name="Acme renamed", notify_days_before=30
        )
        assert updated.name == "Acme renamed"
        assert updated.notify_days_before == 30
        assert updated.token_encrypted == before
        assert live.sandbox.calls("GET", "/whoami") == []
        event = AuditEvent.objects.get(connection=connection, action="connection.update")
        assert event.actor == live.manager
        assert "name: Acme (sandbox) → Acme renamed" in event.detail
        assert "notify_days_before: 14 → 30" in event.detail

    def test_a_new_token_is_checked_then_replaces_the_old(self, live):
        new = live.sandbox.add_token("acme", admin=True)
        updated = services.connection_update(connection=live.connection, actor=live.owner, token=new)
        assert decrypt_token(updated.token_encrypted) == new
        assert updated.token_last4 == new[-4:]
        event = AuditEvent.objects.get(connection=live.connection, action="connection.update")
        assert event.detail == f"token replaced (now ••••{new[-4:]})"
        assert event.request_id == live.sandbox.calls("GET", "/whoami")[-1]["requestId"]

    def test_a_changed_datacenter_is_checked_with_the_saved_token(self, live):
        updated = services.connection_update(connection=live.connection, actor=live.owner, datacenter="fra1")
        assert updated.datacenter == "fra1"
        assert updated.suggested_datacenter == "iad1"
        assert len(live.sandbox.calls("GET", "/whoami")) == 1

    def test_a_token_of_another_brand_needs_confirmation(self, live, globex_token):
        with pytest.raises(services.BrandMismatchError) as caught:
            services.connection_update(connection=live.connection, actor=live.owner, token=globex_token)
        assert caught.value.found == "globex"
        assert decrypt_token(Connection.objects.get(pk=live.connection.pk).token_encrypted) == live.token

    def test_nothing_changes_when_nothing_was_changed(self, live):
        services.connection_update(connection=live.connection, actor=live.owner, name=live.connection.name)
        assert not AuditEvent.objects.filter(action="connection.update").exists()

    def test_it_refuses_fields_it_does_not_own(self, live):
        with pytest.raises(TypeError):
            services.connection_update(connection=live.connection, actor=live.owner, brand_id="globex")


class TestConnectionTest:
    def test_success_records_the_facts_and_clears_a_rejection(self, live):
        Connection.objects.filter(pk=live.connection.pk).update(
            token_rejected_at="2026-01-01T00:00:00Z", last_check_ok=False, brand_id="", account_type=""
        )
        live.connection.refresh_from_db()
        result = services.connection_test(connection=live.connection, actor=live.viewer)
        assert result.ok
        assert result.whoami.brand_id == "acme"
        assert result.request_id == live.sandbox.calls("GET", "/whoami")[-1]["requestId"]
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.token_rejected_at is None
        assert connection.last_check_ok is True
        assert connection.account_type == "UT_BRANDADMIN"
        event = AuditEvent.objects.get(action="connection.test")
        assert event.outcome == AuditEvent.Outcome.OK
        assert event.actor == live.viewer
        assert event.request_id == result.request_id

    def test_a_revoked_token_is_recorded_as_rejected_once(self, live):
        live.sandbox.state.revoke_token(live.token)
        first = services.connection_test(connection=live.connection, actor=live.owner)
        assert not first.ok and first.token_rejected
        connection = Connection.objects.get(pk=live.connection.pk)
        rejected_at = connection.token_rejected_at
        assert rejected_at is not None
        assert connection.last_check_ok is False
        assert "Unrecognized X-API-TOKEN." in connection.last_check_error
        assert first.request_id in connection.last_check_error
        second = services.connection_test(connection=live.connection, actor=live.owner)
        assert not second.ok
        assert Connection.objects.get(pk=live.connection.pk).token_rejected_at == rejected_at
        events = AuditEvent.objects.filter(action="connection.test")
        assert [e.outcome for e in events] == [AuditEvent.Outcome.DENIED, AuditEvent.Outcome.DENIED]

    def test_a_server_error_is_a_failed_check_but_not_a_rejection(self, live):
        live.sandbox.configure(fail_rate=1.0)
        from qualtrics import RetryPolicy

        result = services.connection_test(connection=live.connection, retry=RetryPolicy.none())
        assert not result.ok and not result.token_rejected
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.token_rejected_at is None
        assert "An internal error occurred" in connection.last_check_error


def _acme_users(sandbox):
    """The acme brand administrator behind the admin token, and the standard user behind the user token."""
    rows = sandbox.brand("acme")["tokens"]
    admin = next(r for r in rows if r["token"] == sandbox.admin_token)
    standard = next(r for r in rows if r["token"] == sandbox.user_token)
    return admin, standard


def _with_whoami(connection):
    """The connection as the portal keeps it once Qualtrics said who is behind its token."""
    assert services.connection_test(connection=connection).ok
    connection.refresh_from_db()
    return connection


class TestConnectionRotate:
    def test_it_replaces_the_token_after_qualtrics_accepts_it(self, live):
        new = live.sandbox.add_token("acme", admin=True)
        Connection.objects.filter(pk=live.connection.pk).update(token_rejected_at="2026-01-01T00:00:00Z")
        rotated = services.connection_rotate(connection=live.connection, actor=live.manager, token=new)
        assert decrypt_token(rotated.token_encrypted) == new
        assert rotated.token_rejected_at is None
        assert rotated.brand_id == "acme"
        event = AuditEvent.objects.get(action="connection.rotate")
        assert event.detail == f"token ••••{live.token[-4:]} replaced by ••••{new[-4:]}"
        assert event.actor == live.manager

    def test_a_token_of_another_brand_is_refused_unless_confirmed(self, live, globex_token):
        with pytest.raises(services.BrandMismatchError) as caught:
            services.connection_rotate(connection=live.connection, actor=live.manager, token=globex_token)
        assert (caught.value.expected, caught.value.found) == ("acme", "globex")
        assert "belongs to the Qualtrics brand “globex”" in caught.value.message_dict["token"][0]
        assert decrypt_token(Connection.objects.get(pk=live.connection.pk).token_encrypted) == live.token

        rotated = services.connection_rotate(
            connection=live.connection, actor=live.manager, token=globex_token, confirm_brand_change=True
        )
        assert rotated.brand_id == "globex"
        assert rotated.suggested_datacenter == "fra1"  # globex lives in fra1; the connection says iad1
        event = AuditEvent.objects.get(action="connection.rotate", outcome="ok")
        assert "brand changed from acme to globex (confirmed)" in event.detail

    def test_a_refused_token_changes_nothing_and_is_audited(self, live):
        bad = random_token()
        with pytest.raises(AuthenticationError):
            services.connection_rotate(connection=live.connection, actor=live.manager, token=bad)
        assert decrypt_token(Connection.objects.get(pk=live.connection.pk).token_encrypted) == live.token
        event = AuditEvent.objects.get(action="connection.rotate")
        assert event.outcome == AuditEvent.Outcome.DENIED
        assert "Unrecognized X-API-TOKEN." in event.detail
        assert bad not in event.detail

    def test_a_token_of_another_user_of_the_brand_asks_first_naming_both_users(self, live):
        admin, standard = _acme_users(live.sandbox)
        connection = _with_whoami(live.connection)
        with pytest.raises(services.UserChangeError) as caught:
            services.connection_rotate(connection=connection, actor=live.manager, token=live.sandbox.user_token)
        message = caught.value.message_dict["token"][0]
        assert f"belongs to the Qualtrics user “{standard['userName']}” (account type UT_" in message
        assert f"the connection acts as “{admin['userName']}” (brand administrator)" in message
        assert "who may do less" in message
        assert (caught.value.other_user, caught.value.lesser) == (True, True)
        saved = Connection.objects.get(pk=connection.pk)
        assert decrypt_token(saved.token_encrypted) == live.token
        assert saved.qualtrics_user_id == admin["userId"] and saved.is_brand_admin
        assert not AuditEvent.objects.filter(action="connection.rotate").exists()

        rotated = services.connection_rotate(connection=connection, actor=live.manager,
                                             token=live.sandbox.user_token, confirm_user_change=True)
        assert rotated.qualtrics_user_id == standard["userId"]
        assert not rotated.is_brand_admin
        event = AuditEvent.objects.get(action="connection.rotate", outcome="ok")
        assert (
            f"user changed from “{admin['userName']}” (brand administrator) to “{standard['userName']}” "
            f"(account type {rotated.account_type}) (less access) (confirmed)"
        ) in event.detail
        assert event.actor == live.manager

    def test_another_user_with_the_same_account_type_asks_too(self, live):
        _admin, standard = _acme_users(live.sandbox)
        connection = _with_whoami(live.connection)
        # The connection acts as another standard user of the brand than the token's.
        Connection.objects.filter(pk=connection.pk).update(
            qualtrics_user_id="UR_" + "o" * 15, qualtrics_user_name="someone.else@acme.example",
            account_type="UT_STANDARD",
        )
        connection.refresh_from_db()
        with pytest.raises(services.UserChangeError) as caught:
            services.connection_rotate(connection=connection, actor=live.manager, token=live.sandbox.user_token)
        assert caught.value.other_user and not caught.value.lesser
        message = caught.value.message_dict["token"][0]
        assert "“someone.else@acme.example” (account type UT_STANDARD)" in message
        assert f"“{standard['userName']}”" in message and "may do less" not in message

    def test_the_same_user_with_a_lesser_account_type_asks_first(self, live):
        admin, _standard = _acme_users(live.sandbox)
        connection = _with_whoami(live.connection)
        new = live.sandbox.add_token("acme", admin=True)  # a second token of the same administrator ...
        brand = live.sandbox.state.brands["acme"]
        # ... who has since been made a standard user in Qualtrics.
        brand.users[admin["userId"]].user_type = next(t for t in brand.user_types if t != "UT_BRANDADMIN")
        with pytest.raises(services.UserChangeError) as caught:
            services.connection_rotate(connection=connection, actor=live.manager, token=new)
        assert (caught.value.other_user, caught.value.lesser) == (False, True)
        message = caught.value.message_dict["token"][0]
        assert f"This token's user is now “{admin['userName']}” (account type UT_" in message
        assert f"set up as “{admin['userName']}” (brand administrator)" in message
        services.connection_rotate(connection=connection, actor=live.manager, token=new, confirm_user_change=True)
        event = AuditEvent.objects.get(action="connection.rotate", outcome="ok")
        assert f"account type changed from “{admin['userName']}” (brand administrator)" in event.detail

    def test_a_token_of_the_same_user_needs_no_confirmation(self, live):
        admin, _standard = _acme_users(live.sandbox)
        connection = _with_whoami(live.connection)
        new = live.sandbox.add_token("acme", admin=True)
        rotated = services.connection_rotate(connection=connection, actor=live.manager, token=new)
        assert rotated.qualtrics_user_id == admin["userId"]

    def test_editing_in_a_token_of_another_user_asks_first(self, live):
        connection = _with_whoami(live.connection)
        with pytest.raises(services.UserChangeError):
            services.connection_update(connection=connection, actor=live.manager, token=live.sandbox.user_token)
        assert decrypt_token(Connection.objects.get(pk=connection.pk).token_encrypted) == live.token
        updated = services.connection_update(connection=connection, actor=live.manager,
                                             token=live.sandbox.user_token, confirm_user_change=True)
        assert not updated.is_brand_admin
        event = AuditEvent.objects.get(action="connection.update")
        assert "user changed from" in event.detail and "(confirmed)" in event.detail

    def test_it_can_set_the_new_expiration_date(self, live):
        import datetime

        new = live.sandbox.add_token("acme", admin=True)
        rotated = services.connection_rotate(
            connection=live.connection, actor=live.manager, token=new, expires_on=datetime.date(2031, 1, 31)
        )
        assert rotated.expires_on == datetime.date(2031, 1, 31)


class TestDatacenterFix:
    def test_it_applies_the_suggestion_in_one_step(self, live):
        Connection.objects.filter(pk=live.connection.pk).update(datacenter="sjc1", suggested_datacenter="iad1")
        live.connection.refresh_from_db()
        fixed = services.connection_apply_suggested_datacenter(connection=live.connection, actor=live.manager)
        assert (fixed.datacenter, fixed.suggested_datacenter) == ("iad1", "")
        assert services.connection_test(connection=fixed).ok
        assert Connection.objects.get(pk=fixed.pk).suggested_datacenter == ""
        assert AuditEvent.objects.get(action="connection.datacenter_fix").detail == (
            "datacenter: sjc1 → iad1 (suggested by Qualtrics)"
        )

    def test_without_a_suggestion_it_says_so(self, live):
        with pytest.raises(ValidationError):
            services.connection_apply_suggested_datacenter(connection=live.connection, actor=live.manager)


class TestSharing:
    def test_share_change_role_and_remove_are_audited(self, personas):
        newcomer = make_user("nina")
        share = services.connection_share(
            connection=personas.connection, actor=personas.owner, user=newcomer, role=Role.VIEWER
        )
        services.connection_share(connection=personas.connection, actor=personas.owner, user=newcomer,
                                  role=Role.OPERATOR)
        share.refresh_from_db()
        assert share.role == Role.OPERATOR
        team = make_team("Research", newcomer)
        team_share = services.connection_share(
            connection=personas.connection, actor=personas.manager, team=team, role=Role.MANAGER
        )
        services.connection_unshare(connection=personas.connection, actor=personas.owner, share_id=share.pk)
        assert not ConnectionShare.objects.filter(pk=share.pk).exists()
        assert ConnectionShare.objects.filter(pk=team_share.pk).exists()
        details = list(
            AuditEvent.objects.filter(connection=personas.connection).order_by("pk").values_list("action", "detail")
        )
        assert details == [
            ("share.add", "user nina as viewer"),
            ("share.change", "user nina: viewer → operator"),
            ("share.add", "team Research as manager"),
            ("share.remove", "user nina was operator"),
        ]

    def test_same_role_again_changes_nothing(self, personas):
        services.connection_share(connection=personas.connection, actor=personas.owner, user=personas.viewer,
                                  role=Role.VIEWER)
        assert not AuditEvent.objects.exists()

    def test_the_owner_cannot_be_shared_with(self, personas):
        with pytest.raises(ValidationError) as caught:
            services.connection_share(connection=personas.connection, actor=personas.owner, user=personas.owner,
                                      role=Role.VIEWER)
        assert "already one of its managers" in caught.value.message_dict["user"][0]

    def test_exactly_one_grantee(self, personas):
        with pytest.raises(ValidationError):
            services.connection_share(connection=personas.connection, actor=personas.owner, role=Role.VIEWER)

    def test_removing_a_share_of_another_connection_is_refused(self, personas):
        other = make_connection(personas.outsider, name="Other")
        foreign = ConnectionShare.objects.create(connection=other, user=personas.viewer, role=Role.VIEWER)
        with pytest.raises(ValidationError):
            services.connection_unshare(connection=personas.connection, actor=personas.owner, share_id=foreign.pk)
        assert ConnectionShare.objects.filter(pk=foreign.pk).exists()


class TestConnectionDelete:
    def test_it_has_the_other_apps_cancel_their_work_and_audits_it(self, personas, hooks):
        calls = []

        def cancel(sender, connection, actor, **kwargs):
            calls.append((sender, connection.pk, actor))
            return Dependents(title="Scheduled distributions", noun="scheduled distribution(s)",
                              items=(Dependent("Spring survey invite"), Dependent("Reminder #2")))

        hooks.deleting.connect(cancel, weak=False)
        pk = personas.connection.pk

        cancelled = services.connection_delete(connection=personas.connection, actor=personas.owner)

        assert [item.label for work in cancelled for item in work.items] == ["Spring survey invite", "Reminder #2"]
        assert calls == [(Connection, pk, personas.owner)]
        assert not Connection.objects.filter(pk=pk).exists()
        assert not ConnectionShare.objects.filter(connection_id=pk).exists()
        event = AuditEvent.objects.get(action="connection.delete")
        assert event.connection is None and event.connection_label == "Acme production"
        assert "cancelled 2 scheduled distribution(s): Spring survey invite, Reminder #2" in event.detail

    def test_with_no_app_listening_nothing_is_cancelled(self, personas, hooks):
        assert services.connection_delete(connection=personas.connection, actor=personas.owner) == []
        assert not Connection.objects.exists()
        assert "cancelled" not in AuditEvent.objects.get(action="connection.delete").detail

    def test_a_receiver_that_fails_keeps_the_connection(self, personas, hooks):
        def broken(sender, connection, actor, **kwargs):
            raise RuntimeError("the other app could not cancel its work")

        hooks.deleting.connect(broken, weak=False)
        with pytest.raises(RuntimeError):
            services.connection_delete(connection=personas.connection, actor=personas.owner)
        assert Connection.objects.filter(pk=personas.connection.pk).exists()
        assert not AuditEvent.objects.filter(action="connection.delete").exists()


class TestWhoamiNotice:
    @pytest.mark.parametrize(
        ("notice", "current", "expected"),
        [
            ("Request proxied. For faster response times, use this host instead: sjc1.qualtrics.com", "az1", "sjc1"),
            ("Request proxied. For faster response times, use this host instead: myorg.fra1.qualtrics.com", "eu",
             "fra1"),
            ("Request proxied. For faster response times, use this host instead: iad1.qualtrics.com", "iad1", ""),
            ("Request proxied. use this host instead: evil.example.com", "iad1", ""),
            ("Some other notice", "iad1", ""),
            ("", "iad1", ""),
        ],
    )
    def test_it_reads_the_suggested_datacenter(self, notice, current, expected):
        assert services.suggested_datacenter_from(notice, current) == expected
