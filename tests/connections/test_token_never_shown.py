"""No API token value ever appears in a page, an htmx fragment, the admin, a log line, an e-mail,
an audit record, an alert record or a session, whatever the persona and whatever goes wrong."""

from __future__ import annotations

import base64
import logging

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from connections.models import AlertSent, AuditEvent, Connection, ConnectionShare
from tests.factories import make_user, random_token

pytestmark = pytest.mark.django_db


def _variants(token: str) -> set[str]:
    """The token as it could leak: plain, URL/base64-encoded, or its first 8 characters."""
    return {token, token[:-4], base64.b64encode(token.encode()).decode()[:-4]}


class Leaks:
    def __init__(self, tokens):
        self.tokens = [t for t in tokens if t]
        self.pages = 0

    def check(self, where: str, text: str) -> None:
        for token in self.tokens:
            for variant in _variants(token):
                assert variant not in text, f"a token leaked into {where}"

    def response(self, where: str, response) -> None:
        self.pages += 1
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.check(f"{where} (body)", body.decode("utf-8", "replace"))
        self.check(f"{where} (headers)", str(dict(response.headers)))


def connection_urls(connection, share_pk):
    pk = connection.pk
    return [
        reverse("connections:connection_list"),
        reverse("connections:connection_list") + "?section=directory",
        reverse("connections:connection_create"),
        reverse("connections:connection_detail", args=[pk]),
        reverse("connections:connection_detail", args=[pk]) + "?partial=shares",
        reverse("connections:connection_edit", args=[pk]),
        reverse("connections:connection_rotate", args=[pk]),
        reverse("connections:connection_share", args=[pk]),
        reverse("connections:connection_delete", args=[pk]),
        reverse("connections:connection_audit", args=[pk]),
        reverse("connections:connection_audit_csv", args=[pk]),
        reverse("connections:connection_switch", args=[pk]),
        reverse("dashboard"),
    ]


def admin_urls(connection, share, alert, event, team):
    return [
        reverse("admin:index"),
        reverse("admin:connections_connection_changelist"),
        reverse("admin:connections_connection_changelist") + "?q=acme",
        reverse("admin:connections_connection_add"),
        reverse("admin:connections_connection_change", args=[connection.pk]),
        reverse("admin:connections_connection_history", args=[connection.pk]),
        reverse("admin:connections_connection_delete", args=[connection.pk]),
        reverse("admin:connections_connectionshare_changelist"),
        reverse("admin:connections_connectionshare_change", args=[share.pk]),
        reverse("admin:connections_alertsent_changelist"),
        reverse("admin:connections_alertsent_change", args=[alert.pk]),
        reverse("admin:connections_auditevent_changelist"),
        reverse("admin:connections_auditevent_change", args=[event.pk]),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[team.pk]),
    ]


def test_no_token_anywhere(live, globex_token, client, hx, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    sandbox = live.sandbox
    rejected = random_token()
    rotated = sandbox.add_token("acme", admin=True)
    admin_typed = sandbox.add_token("acme", admin=True)
    leaks = Leaks([live.token, globex_token, rejected, rotated, admin_typed])
    connection = live.connection
    pk = connection.pk
    root = make_user("root", superuser=True)

    # Things going wrong and right, by a manager through the screens.
    client.force_login(live.owner)
    steps = [
        ("create, refused token", reverse("connections:connection_create"),
         {"name": "New", "datacenter": "iad1", "token": rejected, "notify_days_before": 5}),
        ("create, bad datacenter", reverse("connections:connection_create"),
         {"name": "New", "datacenter": "evil.example.com", "token": globex_token, "notify_days_before": 5}),
        ("create, duplicate name", reverse("connections:connection_create"),
         {"name": connection.name, "datacenter": "fra1", "token": globex_token, "notify_days_before": 5}),
        ("create, token of the wrong shape", reverse("connections:connection_create"),
         {"name": "Odd", "datacenter": "fra1", "token": globex_token + "!", "notify_days_before": 5}),
        ("create, with the token kept from before", reverse("connections:connection_create"),
         {"name": "New", "datacenter": "fra1", "token": "", "notify_days_before": 5}),
        ("test", reverse("connections:connection_test", args=[pk]), {}),
        ("rotate, other brand", reverse("connections:connection_rotate", args=[pk]), {"token": globex_token}),
        ("rotate, refused", reverse("connections:connection_rotate", args=[pk]), {"token": rejected}),
        ("edit, other brand", reverse("connections:connection_edit", args=[pk]),
         {"name": connection.name, "datacenter": "iad1", "token": globex_token, "notify_days_before": 5}),
        ("rotate", reverse("connections:connection_rotate", args=[pk]), {"token": rotated}),
    ]
    for label, target, data in steps:
        leaks.response(label, client.post(target, data, **hx))
        leaks.response(label + " (no htmx)", client.post(target, data, follow=True))
    assert Connection.objects.filter(name="New").exists()  # the pending token was used on the second try

    # The token is revoked in Qualtrics: the daily check fails, alerts, and the pages show it.
    from connections.services import connection_token_health_check

    sandbox.state.revoke_token(rotated)
    connection.refresh_from_db()
    connection_token_health_check(connection=connection)
    leaks.response("test after revocation", client.post(reverse("connections:connection_test", args=[pk]), **hx))
    assert len(mail.outbox) == 1

    # Every page for every persona, full and htmx.
    share = ConnectionShare.objects.filter(connection=connection).first()
    for persona in [live.owner, live.manager, live.operator, live.team_operator, live.viewer, live.outsider, root]:
        client.force_login(persona)
        for target in connection_urls(connection, share.pk):
            leaks.response(f"{target} as {persona}", client.get(target))
            leaks.response(f"{target} as {persona} (htmx)", client.get(target, **hx))

    # The Django admin, including saving a token through its write-only field.
    client.force_login(root)
    alert = AlertSent.objects.first()
    event = AuditEvent.objects.first()
    team = Group.objects.first()
    for target in admin_urls(connection, share, alert, event, team):
        leaks.response(f"admin {target}", client.get(target))
    change = reverse("admin:connections_connection_change", args=[pk])
    form = {
        "owner": live.owner.pk, "name": connection.name, "description": "", "enabled": "on", "datacenter": "iad1",
        "new_token": admin_typed, "qualtrics_username": "", "expires_on": "", "notify_days_before": 14,
        "notify_emails": "", "shares-TOTAL_FORMS": 0, "shares-INITIAL_FORMS": 0, "shares-MIN_NUM_FORMS": 0,
        "shares-MAX_NUM_FORMS": 1000,
    }
    saved = client.post(change, form, follow=True)
    leaks.response("admin save", saved)
    assert "was changed successfully" in saved.content.decode()
    leaks.response("admin change page after save", client.get(change))

    # What was stored and sent along the way.
    for row in AuditEvent.objects.all():
        leaks.check(f"audit event {row.action}", " ".join(str(v) for v in row.__dict__.values()))
    for row in AlertSent.objects.all():
        leaks.check("alert sent", " ".join(str(v) for v in row.__dict__.values()))
    for row in Connection.objects.all():
        leaks.check(f"connection {row.name}", " ".join(str(v) for k, v in row.__dict__.items()
                                                       if k != "token_encrypted") + repr(row))
    for message in mail.outbox:
        leaks.check("e-mail", message.subject + message.body + "".join(a[0] for a in message.alternatives))
    for session in Session.objects.all():
        leaks.check("session", str(session.get_decoded()))
    leaks.check("logs", caplog.text)
    assert caplog.records, "the scan must have captured log lines to be meaningful"
    personas = 7
    expected = 2 * len(steps) + 1 + personas * 2 * len(connection_urls(connection, share.pk)) + \
        len(admin_urls(connection, share, alert, event, team)) + 2
    assert leaks.pages == expected
