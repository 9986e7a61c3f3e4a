"""An OAuth client connection's record: the secret encrypted like a token, never shown, re-encrypted with keys."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from connections.crypto import decrypt_token
from connections.models import AuthKind, Connection
from connections.services import tokens_reencrypt
from tests.factories import make_oauth_connection, make_user, random_token

from .pages import main_text

pytestmark = pytest.mark.django_db

CLIENT_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def secret():
    return random_token(64)


@pytest.fixture
def oauth_connection(secret):
    return make_oauth_connection(make_user("olga"), client_id=CLIENT_ID, secret=secret,
                                 scopes="read:users write:mailing_lists", granted="read:users")


def test_it_keeps_the_secret_encrypted_and_no_token(oauth_connection, secret):
    saved = Connection.objects.get(pk=oauth_connection.pk)
    assert saved.auth_kind == AuthKind.OAUTH and saved.uses_oauth
    assert secret not in saved.oauth_secret_encrypted
    assert decrypt_token(saved.oauth_secret_encrypted) == secret
    assert (saved.token_encrypted, saved.token_last4) == ("", "")
    assert saved.scopes_requested == ["read:users", "write:mailing_lists"]
    assert saved.scopes_granted == ["read:users"]
    assert secret not in repr(saved) and secret[-4:] not in repr(saved)
    assert saved.credential_label == f"OAuth client {CLIENT_ID}"


def test_it_names_the_scope_it_lacks(oauth_connection, personas):
    assert oauth_connection.lacks_scope("users") == ""
    assert oauth_connection.lacks_scope("users", write=True) == "write:users"
    assert oauth_connection.lacks_scope("mailing_lists", write=True) == "write:mailing_lists"
    assert personas.connection.lacks_scope("mailing_lists", write=True) == ""  # a token's user decides


def test_the_admin_shows_the_client_and_none_of_the_secret(login, oauth_connection, secret):
    client = login(make_user("root", superuser=True))
    page = client.get(reverse("admin:connections_connection_change", args=[oauth_connection.pk]))
    text = main_text(page)
    assert page.status_code == 200
    assert f"OAuth client {CLIENT_ID}" in text and "read:users write:mailing_lists" in text
    assert secret not in page.content.decode() and secret[-4:] not in text
    listing = client.get(reverse("admin:connections_connection_changelist"))
    assert f"OAuth client {CLIENT_ID}" in main_text(listing)


def test_the_admin_refuses_a_token_for_an_oauth_connection(login, oauth_connection, secret):
    from tests.connections.test_admin import connection_form

    client = login(make_user("root", superuser=True))
    form = connection_form(oauth_connection.owner, name=oauth_connection.name, new_token=random_token())
    page = client.post(reverse("admin:connections_connection_change", args=[oauth_connection.pk]), form)
    assert "rotate its secret on the connection's page" in main_text(page)
    assert decrypt_token(Connection.objects.get(pk=oauth_connection.pk).oauth_secret_encrypted) == secret


def test_a_new_encryption_key_reencrypts_the_secret(settings, oauth_connection, secret):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert tokens_reencrypt().on_old_key == 1
    settings.FIELD_ENCRYPTION_KEYS = [new]
    saved = Connection.objects.get(pk=oauth_connection.pk)
    assert decrypt_token(saved.oauth_secret_encrypted) == secret
    assert saved.token_encrypted == ""


def test_the_demo_adds_an_oauth_connection_of_the_first_brand(sandbox, settings):
    from django.core.management import call_command

    from tests.fixtures.secrets import register_token

    settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
    for brand in sandbox.info()["brands"]:
        for row in (*brand["tokens"], *brand["oauthClients"]):
            register_token(row.get("token") or row.get("clientSecret"))
    call_command("demo_setup", sandbox=sandbox.root_url, password=random_token(), stdout=io.StringIO())
    call_command("demo_setup", sandbox=sandbox.root_url, password=random_token(), stdout=io.StringIO())  # again
    oauth = Connection.objects.get(auth_kind=AuthKind.OAUTH)
    assert oauth.name == "Acme (OAuth)" and oauth.last_check_ok and oauth.brand_id == "acme"
    assert oauth.lacks_scope("users", write=True) == "write:users" and not oauth.lacks_scope("surveys", write=True)
    assert Connection.objects.filter(auth_kind=AuthKind.API_TOKEN).count() == len(sandbox.info()["brands"])


def test_the_demo_can_give_its_active_surveys_recent_responses(sandbox, settings):
    from django.core.management import call_command

    from connections.qualtrics_client import connection_client
    from tests.fixtures.secrets import register_token

    settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
    for brand in sandbox.info()["brands"]:
        for row in (*brand["tokens"], *brand["oauthClients"]):
            register_token(row.get("token") or row.get("clientSecret"))
    call_command("demo_setup", sandbox=sandbox.root_url, password=random_token(), stdout=io.StringIO())
    client = connection_client(Connection.objects.get(name="Acme (sandbox)"), audit=False)
    surveys = list(client.surveys.list().iter_all())

    def counts():
        return {s["id"]: client.surveys.get(s["id"])["responseCounts"]["auditable"] for s in surveys}

    before = counts()
    call_command("demo_setup", sandbox=sandbox.root_url, password=random_token(), recent_responses=12,
                 stdout=io.StringIO())
    after = counts()
    assert {s["id"]: after[s["id"]] - before[s["id"]] for s in surveys} == {
        s["id"]: 12 if s["isActive"] else 0 for s in surveys}
