"""No OAuth client secret and no bearer token ever appears in a page, an htmx fragment, the admin, a log line,
an e-mail, an audit or alert record, a session or the shared cache, whatever the persona and whatever goes
wrong (the bearer tokens are only known once issued, so everything is gathered first and scanned at the end)."""

from __future__ import annotations

import logging
import pickle

import pytest
import requests
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from connections.models import AlertSent, AuditEvent, Connection, ConnectionShare, Role
from connections.services import connection_token_health_check
from tests.factories import make_user, random_token, share

from .oauth import sandbox_oauth_connection
from .test_oauth_views import new_client, regenerate_secret
from .test_token_never_shown import Leaks, admin_urls, connection_urls

pytestmark = pytest.mark.django_db


def test_no_secret_or_bearer_token_anywhere(live, client, hx, caplog, settings):
    caplog.set_level(logging.DEBUG)
    sandbox = live.sandbox
    connection = sandbox_oauth_connection(sandbox, live.owner)
    share(connection, user=live.manager, role=Role.MANAGER)
    share(connection, user=live.viewer, role=Role.VIEWER)
    client_id, secret = sandbox.oauth_client()
    other_id, other_secret = new_client(sandbox, ["read:users"])
    wrong = random_token(64)
    texts: list[tuple[str, str]] = []

    def keep(where, response):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        texts.append((where, body.decode("utf-8", "replace") + str(dict(response.headers))))

    pk = connection.pk
    create = reverse("connections:connection_create")
    client.force_login(live.owner)
    steps = [
        ("create, wrong secret", create, {"name": "New", "datacenter": "iad1", "auth_kind": "oauth",
                                          "client_id": other_id, "client_secret": wrong, "scopes": "read:users",
                                          "notify_days_before": 5}),
        ("create, scope refused", create, {"name": "New", "datacenter": "iad1", "auth_kind": "oauth",
                                           "client_id": other_id, "client_secret": other_secret,
                                           "scopes": "write:users", "notify_days_before": 5}),
        ("create", create, {"name": "New", "datacenter": "iad1", "auth_kind": "oauth", "client_id": other_id,
                            "client_secret": other_secret, "scopes": "read:users", "notify_days_before": 5}),
        ("test", reverse("connections:connection_test", args=[pk]), {}),
        ("rotate, refused", reverse("connections:connection_rotate", args=[pk]), {"token": wrong}),
    ]
    for label, target, data in steps:
        keep(label, client.post(target, data, **hx))
    fresh = regenerate_secret(sandbox, client_id)
    keep("rotate", client.post(reverse("connections:connection_rotate", args=[pk]), {"token": fresh}, **hx))
    assert Connection.objects.get(name="New").uses_oauth

    requests.post(f"{sandbox.root_url}/_sandbox/oauth/clients/revoke", json={"clientId": client_id},
                  timeout=10).raise_for_status()
    connection.refresh_from_db()
    connection_token_health_check(connection=connection)
    keep("test after revocation", client.post(reverse("connections:connection_test", args=[pk]), **hx))
    assert len(mail.outbox) == 1

    root = make_user("root", superuser=True)
    the_share = ConnectionShare.objects.filter(connection=connection).first()
    for persona in (live.owner, live.manager, live.viewer, live.outsider, root):
        client.force_login(persona)
        for target in connection_urls(connection, the_share.pk):
            keep(f"{target} as {persona}", client.get(target))
            keep(f"{target} as {persona} (htmx)", client.get(target, **hx))
    client.force_login(root)
    for target in admin_urls(connection, the_share, AlertSent.objects.first(), AuditEvent.objects.first(),
                             live.team_operator.groups.first()):
        keep(f"admin {target}", client.get(target))

    for row in AuditEvent.objects.all():
        texts.append((f"audit event {row.action}", " ".join(str(v) for v in row.__dict__.values())))
    for row in AlertSent.objects.all():
        texts.append(("alert sent", " ".join(str(v) for v in row.__dict__.values())))
    for row in Connection.objects.all():
        texts.append((f"connection {row.name}", " ".join(
            str(v) for k, v in row.__dict__.items() if k not in ("token_encrypted", "oauth_secret_encrypted")
        ) + repr(row)))
    for message in mail.outbox:
        texts.append(("e-mail", message.subject + message.body + "".join(a[0] for a in message.alternatives)))
    for session in Session.objects.all():
        texts.append(("session", str(session.get_decoded())))
    store = getattr(cache, "_cache", {})
    if isinstance(store, dict):  # the local-memory cache: its pickled values as they are kept
        texts.append(("cache", " ".join(repr(pickle.loads(v)) for v in store.values())))
    texts.append(("logs", caplog.text))

    bearer_tokens = list(sandbox.state.oauth.grants)
    assert len(bearer_tokens) >= 3, "the walk must have used several bearer tokens to be meaningful"
    leaks = Leaks([secret, other_secret, wrong, fresh, *bearer_tokens])
    for where, text in texts:
        leaks.check(where, text)
    assert len(texts) > 100
