"""Sessions on the shared cache (PostgreSQL + Redis): read from Redis, kept in the database, ended everywhere."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_session_is_kept_in_both_and_a_log_out_ends_it_for_every_process():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    make_user("sessa")
    browser = Client()
    assert browser.post(reverse("login"), {"username": "sessa", "password": PASSWORD}).status_code == 302
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=cookie).exists()  # survives a cache flush or restart

    other_process = Client()  # the same cookie presented to another web process
    other_process.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert other_process.get(reverse("dashboard")).status_code == 200

    browser.post(reverse("logout"))
    assert not Session.objects.filter(session_key=cookie).exists()
    answer = other_process.get(reverse("dashboard"))
    assert answer.status_code == 302 and reverse("login") in answer["Location"]
