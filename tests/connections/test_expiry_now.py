"""Seeing the expiry alert without waiting for 06:00 UTC: a manager's "send now" and a management command."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def expiring(connection, *, in_days: int, notice: int = 14):
    Connection.objects.filter(pk=connection.pk).update(
        expires_on=timezone.localdate() + datetime.timedelta(days=in_days), notify_days_before=notice
    )
    connection.refresh_from_db()
    return connection


def texts(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


class TestSendNow:
    def test_a_manager_sends_the_due_alert_once_and_is_told_each_time(self, login, personas):
        expiring(personas.connection, in_days=3)
        client = login(personas.manager)
        address = reverse("connections:connection_expiry_alert", args=[personas.connection.pk])
        page = client.get(personas.connection.get_absolute_url()).content.decode()
        assert 'data-testid="expiry-alert-now"' in page
        first = client.post(address, follow=True)
        assert "Sent the expiry alert to" in texts(first) and len(mail.outbox) == 1
        assert personas.connection.name in mail.outbox[0].subject
        again = client.post(address, follow=True)
        assert "already went out on" in texts(again) and "it is sent once" in texts(again)
        assert len(mail.outbox) == 1

    def test_not_due_yet_says_when_it_will_go(self, login, personas):
        expiring(personas.connection, in_days=40, notice=14)
        due = personas.connection.expires_on - datetime.timedelta(days=14)
        response = login(personas.manager).post(
            reverse("connections:connection_expiry_alert", args=[personas.connection.pk]), follow=True)
        assert f"on {due.day} {due:%B} {due.year}." in texts(response) and not mail.outbox

    def test_only_managers_see_and_use_it(self, client, login, personas):
        expiring(personas.connection, in_days=3)
        address = reverse("connections:connection_expiry_alert", args=[personas.connection.pk])
        assert client.post(address).url.startswith(reverse("login"))
        for user in (personas.viewer, personas.operator):
            assert 'data-testid="expiry-alert-now"' not in login(user).get(
                personas.connection.get_absolute_url()).content.decode()
            assert login(user).post(address).status_code == 403
        assert login(personas.outsider).post(address).status_code == 404
        assert login(personas.manager).get(address).status_code == 405
        assert not mail.outbox


def test_the_command_sends_every_due_alert_once():
    owner = make_user("ada", email="ada@example.org")
    due = expiring(make_connection(owner, name="Due soon"), in_days=2)
    expiring(make_connection(owner, name="Far off"), in_days=80, notice=14)
    out = StringIO()
    call_command("send_expiry_alerts", stdout=out)
    assert f"Due soon (#{due.pk}): Sent the expiry alert to ada@example.org." in out.getvalue()
    assert "Far off" in out.getvalue() and "Not due yet" in out.getvalue()
    assert "1 alert(s) sent." in out.getvalue() and len(mail.outbox) == 1
    out = StringIO()
    call_command("send_expiry_alerts", "--connection", str(due.pk), stdout=out)
    assert "already went out" in out.getvalue() and len(mail.outbox) == 1
