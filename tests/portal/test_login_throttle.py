"""Log-in throttling: an account, and separately an address, is refused after repeated failures, with a
message on the log-in page; a superuser lifts the lock."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.throttling import client_address
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def log_in(client, username, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_message(client):
    make_user("lena")
    for _ in range(40):
        assert log_in(client, "lena", "wrong").status_code in (200, 429)
    response = log_in(client, "lena", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert 'data-testid="login-locked"' in body and "Too many failed log-ins" in body
    assert "_auth_user_id" not in client.session
    # The account stays locked from another address too.
    assert log_in(Client(), "lena", PASSWORD, address="198.51.100.9").status_code == 429


def test_the_limit_is_ten_failures(client):
    make_user("lena")
    for _ in range(9):
        assert log_in(client, "lena", "wrong").status_code == 200
    assert log_in(client, "lena", PASSWORD).status_code == 302


def test_an_address_trying_many_accounts_is_refused_even_a_right_password(client):
    for n in range(10):
        log_in(client, f"nobody{n}", "guess")
    make_user("lena")
    assert log_in(client, "lena", PASSWORD).status_code == 429
    assert log_in(Client(), "lena", PASSWORD, address="198.51.100.9").status_code == 302


def test_a_superuser_lifts_the_lock_in_the_admin(client):
    make_user("lena")
    for _ in range(12):
        log_in(client, "lena", "wrong")
    assert log_in(client, "lena", PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(make_user("root", superuser=True))
    attempts = list(AccessAttempt.objects.filter(username="lena").values_list("pk", flat=True))
    assert attempts
    response = admin.post(reverse("admin:axes_accessattempt_changelist"),
                          {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert response.status_code == 302
    assert log_in(Client(), "lena", PASSWORD, address="198.51.100.9").status_code == 302


def test_the_admin_log_in_is_throttled_too(client):
    make_user("root", superuser=True)
    for _ in range(10):
        client.post(reverse("admin:login"), {"username": "root", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429


class TestClientAddress:
    def request(self, remote, forwarded=None):
        from django.test import RequestFactory

        extra = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().get("/", **extra)

    def test_without_a_proxy_it_is_the_peer(self, settings):
        settings.PORTAL_TRUSTED_PROXIES = 0
        assert client_address(self.request("10.0.0.2", "6.6.6.6")) == "10.0.0.2"

    def test_behind_one_proxy_it_is_what_the_proxy_appended(self, settings):
        settings.PORTAL_TRUSTED_PROXIES = 1
        assert client_address(self.request("10.0.0.2", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
        assert client_address(self.request("10.0.0.2")) == "10.0.0.2"

    def test_behind_two_proxies(self, settings):
        settings.PORTAL_TRUSTED_PROXIES = 2
        assert client_address(self.request("10.0.0.3", "6.6.6.6, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"
