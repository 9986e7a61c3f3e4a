"""Creating an OAuth client connection, its page with the granted scopes, and rotating its secret, with the
personas; the secret never comes back in a page (the suite-wide guard checks every response)."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from connections.crypto import decrypt_token
from connections.models import AuditEvent, AuthKind, Connection, Role
from tests.factories import random_token, share

from .oauth import sandbox_oauth_connection, token_requests
from .pages import main_text, text_of

pytestmark = pytest.mark.django_db

CREATE = "connections:connection_create"


def new_client(sandbox, scopes):
    """A client of acme's brand administrator allowed `scopes`; (id, secret), the secret guarded."""
    from tests.fixtures.secrets import register_token

    row = requests.post(f"{sandbox.root_url}/_sandbox/oauth/clients", json={"brandId": "acme", "scopes": scopes},
                        timeout=10).json()
    return row["clientId"], register_token(row["clientSecret"])


def form(sandbox, client_id, secret, **overrides):
    data = {"name": "Acme OAuth", "datacenter": sandbox.brand("acme")["datacenter"], "auth_kind": "oauth",
            "client_id": client_id, "client_secret": secret, "scopes": "read:users read:groups",
            "notify_days_before": 14, "enabled": "on"}
    data.update(overrides)
    return data


class TestCreate:
    def test_it_offers_the_kind_and_the_client_fields(self, login, portal_sandbox):
        _sandbox, _connection, owner = portal_sandbox
        page = login(owner).get(reverse(CREATE))
        text = main_text(page)
        assert "Sign in to Qualtrics with" in text and "OAuth client" in text
        assert "Client secret" in text and "Scopes to ask for" in text

    def test_it_creates_after_a_token_and_whoami_and_shows_the_granted_scopes(self, login, portal_sandbox):
        sandbox, _connection, owner = portal_sandbox
        client_id, secret = new_client(sandbox, ["read:users", "read:groups", "read:surveys"])
        response = login(owner).post(reverse(CREATE), form(sandbox, client_id, secret), follow=True)
        created = Connection.objects.get(name="Acme OAuth")
        assert response.redirect_chain[-1][0] == created.get_absolute_url()
        assert created.auth_kind == AuthKind.OAUTH and created.oauth_client_id == client_id
        assert decrypt_token(created.oauth_secret_encrypted) == secret
        assert (created.brand_id, created.token_encrypted) == ("acme", "")
        assert created.scopes_granted == ["read:groups", "read:users"]
        text = text_of(response)
        assert "Qualtrics gave the OAuth client a token (scopes granted: read:groups read:users)" in text
        assert text_of(response).count(client_id) >= 1
        assert "read:groups read:users" in " ".join(s.strip() for s in text.split())
        assert token_requests(sandbox) == 1 and sandbox.calls("GET", "/whoami")
        event = AuditEvent.objects.get(connection=created, action="connection.create")
        assert f"OAuth client {client_id}" in event.detail and secret not in event.detail

    def test_a_wrong_secret_is_refused_on_its_field_and_nothing_is_saved(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        client_id, _secret = new_client(sandbox, ["read:users"])
        wrong = random_token(64)
        response = login(owner).post(reverse(CREATE), form(sandbox, client_id, wrong, scopes="read:users"), **hx)
        body = response.content.decode()
        assert response.status_code == 200 and "invalid_client" in body
        assert wrong not in body
        assert not Connection.objects.filter(name="Acme OAuth").exists()

    def test_a_scope_the_client_lacks_is_refused_on_the_scopes(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        client_id, secret = new_client(sandbox, ["read:users"])
        response = login(owner).post(reverse(CREATE), form(sandbox, client_id, secret, scopes="write:users"), **hx)
        assert "The OAuth client may not be granted these scopes" in text_of(response)
        assert not Connection.objects.filter(name="Acme OAuth").exists()

    def test_missing_or_malformed_client_fields_are_named(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        response = login(owner).post(
            reverse(CREATE), form(sandbox, "", "", scopes="everything please"), **hx
        )
        text = text_of(response)
        assert text.count("Required for an OAuth client connection.") == 2
        assert token_requests(sandbox) == 0


@pytest.fixture
def oauth_personas(sandbox_personas):
    """The sandbox personas, shared the same way on an OAuth connection of acme's seeded client."""
    p = sandbox_personas
    connection = sandbox_oauth_connection(p.sandbox, p.owner, scopes="manage:all")
    for persona, role in (("manager", Role.MANAGER), ("operator", Role.OPERATOR), ("viewer", Role.VIEWER)):
        share(connection, user=getattr(p, persona), role=role)
    return p, connection


class TestPageAndRotation:
    def test_each_persona_sees_the_client_and_scopes_and_only_managers_rotate(self, login, oauth_personas):
        p, connection = oauth_personas
        detail = reverse("connections:connection_detail", args=[connection.pk])
        rotate = reverse("connections:connection_rotate", args=[connection.pk])
        for persona in ("owner", "manager", "operator", "viewer"):
            client = login(getattr(p, persona))
            page = client.get(detail)
            assert page.status_code == 200
            assert "manage:all" in main_text(page) and connection.oauth_client_id in main_text(page)
            expected = 200 if persona in ("owner", "manager") else 403
            assert client.get(rotate).status_code == expected
        assert login(p.outsider).get(detail).status_code == 404

    def test_the_edit_form_has_no_token_and_keeps_the_client(self, login, oauth_personas):
        p, connection = oauth_personas
        edit = reverse("connections:connection_edit", args=[connection.pk])
        client = login(p.manager)
        assert "rotate its secret from the connection's page" in main_text(client.get(edit))
        data = {"name": "Renamed", "datacenter": connection.datacenter, "notify_days_before": 14, "enabled": "on",
                "scopes": "manage:all"}
        assert client.post(edit, data).status_code == 302
        saved = Connection.objects.get(pk=connection.pk)
        assert token_requests(p.sandbox) == 0  # nothing of Qualtrics changed: nothing asked
        assert saved.name == "Renamed" and saved.uses_oauth and saved.oauth_client_id == connection.oauth_client_id

    def test_rotating_the_secret_checks_the_new_one_before_switching(self, login, oauth_personas, hx):
        p, connection = oauth_personas
        rotate = reverse("connections:connection_rotate", args=[connection.pk])
        client = login(p.manager)
        page = main_text(client.get(rotate))
        assert "New client secret" in page and "Expiration date" not in page
        wrong = random_token(64)
        refused = client.post(rotate, {"token": wrong}, **hx)
        assert "invalid_client" in text_of(refused) and wrong not in refused.content.decode()
        old_secret = decrypt_token(Connection.objects.get(pk=connection.pk).oauth_secret_encrypted)
        denied = AuditEvent.objects.get(connection=connection, action="connection.rotate")
        assert denied.outcome == AuditEvent.Outcome.DENIED and wrong not in denied.detail

        fresh = regenerate_secret(p.sandbox, connection.oauth_client_id)
        response = client.post(rotate, {"token": fresh}, follow=True)
        assert "Secret of the OAuth client of “Acme (OAuth)” replaced" in text_of(response)
        saved = Connection.objects.get(pk=connection.pk)
        assert decrypt_token(saved.oauth_secret_encrypted) == fresh != old_secret
        assert saved.scopes_granted == ["manage:all"]
        event = AuditEvent.objects.filter(connection=connection, action="connection.rotate").first()
        assert event.outcome == AuditEvent.Outcome.OK and fresh not in event.detail
        assert "secret of OAuth client" in event.detail


def regenerate_secret(sandbox, client_id) -> str:
    """What a brand administrator does in Qualtrics: a new secret for the client (the old one stops working)."""
    from tests.fixtures.secrets import register_token

    fresh = register_token(random_token(64))
    with sandbox.state.lock:
        sandbox.state.oauth.clients[client_id].secret = fresh
    return fresh


class TestTest:
    def test_a_test_fetches_a_new_token_and_learns_the_scopes_granted_since(self, login, oauth_personas, hx):
        p, connection = oauth_personas
        Connection.objects.filter(pk=connection.pk).update(oauth_scopes_granted="read:users")
        client = login(p.viewer)
        test = reverse("connections:connection_test", args=[connection.pk])
        first = client.post(test, **hx)
        assert "Qualtrics gave the OAuth client a token" in text_of(first)
        assert "Scopes granted: manage:all" in text_of(first)
        assert Connection.objects.get(pk=connection.pk).scopes_granted == ["manage:all"]
        client.post(test, **hx)
        assert token_requests(p.sandbox) == 2  # each test asks anew

    def test_the_create_form_answers_htmx_with_a_redirect(self, login, portal_sandbox, hx):
        sandbox, _connection, owner = portal_sandbox
        client_id, secret = new_client(sandbox, ["read:users"])
        response = login(owner).post(reverse(CREATE), form(sandbox, client_id, secret, scopes="read:users"), **hx)
        assert response["HX-Redirect"] == Connection.objects.get(name="Acme OAuth").get_absolute_url()


class TestScopesChange:
    def test_a_manager_asks_for_another_scope_and_qualtrics_is_asked_first(self, login, portal_sandbox, hx):
        from tests.factories import make_oauth_connection

        sandbox, _connection, owner = portal_sandbox
        client_id, secret = new_client(sandbox, ["read:users", "read:groups"])
        connection = make_oauth_connection(owner, client_id=client_id, secret=secret, scopes="read:users",
                                           datacenter=sandbox.brand("acme")["datacenter"])
        edit = reverse("connections:connection_edit", args=[connection.pk])
        client = login(owner)
        data = {"name": connection.name, "datacenter": connection.datacenter, "notify_days_before": 14,
                "enabled": "on", "scopes": "read:users write:groups"}
        refused = client.post(edit, data, **hx)
        assert "The OAuth client may not be granted these scopes" in text_of(refused)
        assert Connection.objects.get(pk=connection.pk).scopes_requested == ["read:users"]

        assert client.post(edit, {**data, "scopes": "read:users, read:groups"}).status_code == 302
        saved = Connection.objects.get(pk=connection.pk)
        assert saved.scopes_requested == ["read:users", "read:groups"]
        assert saved.scopes_granted == ["read:groups", "read:users"]
        event = AuditEvent.objects.filter(connection=connection, action="connection.update").first()
        assert "oauth_scopes_requested: read:users → read:users read:groups" in event.detail
        groups = client.get(reverse("brandadmin:group_list", kwargs={"connection_id": connection.pk}))
        assert "has no read:groups scope" not in text_of(groups)
