"""Distributions through an OAuth client connection: scheduled and sent exactly as with a token, and held
(with the managers alerted) once Qualtrics refuses the client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from django.core import mail

from connections.models import AlertKind, AlertSent
from distributions.models import State
from tests.connections.oauth import sandbox_oauth_connection

from .test_sending import due, schedule, sweep_and_send

pytestmark = pytest.mark.django_db


def test_it_sends_through_the_client_and_holds_once_the_client_is_revoked(portal_sandbox, acme, enqueued):
    sandbox, _connection, owner = portal_sandbox
    live = SimpleNamespace(connection=sandbox_oauth_connection(sandbox, owner), operator=owner)
    first = due(schedule(live, acme))
    assert [o.status for o in sweep_and_send(enqueued)] == ["sent"]
    first.refresh_from_db()
    assert first.state == State.SENT and first.qualtrics_id

    second = due(schedule(live, acme))
    client_id, _secret = sandbox.oauth_client()
    requests.post(f"{sandbox.root_url}/_sandbox/oauth/clients/revoke", json={"clientId": client_id},
                  timeout=10).raise_for_status()
    assert [o.status for o in sweep_and_send(enqueued)] == ["held"]
    second.refresh_from_db()
    live.connection.refresh_from_db()
    assert second.state == State.HELD and live.connection.token_rejected
    assert "stopped accepting the connection's OAuth client" in second.held_reason
    assert AlertSent.objects.filter(connection=live.connection, kind=AlertKind.TOKEN_REJECTED).count() == 1
    assert any("OAuth client" in message.subject for message in mail.outbox)
