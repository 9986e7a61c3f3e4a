"""Bearer tokens of OAuth connections: fetched once and shared through the cache, refetched after expiry,
a refused client marked and its managers alerted like a rejected token."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from connections.bearer_tokens import cache_seconds
from connections.models import AlertKind, AlertSent, Connection
from connections.qualtrics_client import connection_client, connection_oauth_client, oauth_access_token
from connections.services import connection_test, whoami_for_connection
from qualtrics import AuthenticationError, ClientRefusedError

from .oauth import sandbox_oauth_connection, token_requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def oauth(portal_sandbox):
    sandbox, _token_connection, owner = portal_sandbox
    return sandbox, sandbox_oauth_connection(sandbox, owner)


def test_calls_share_one_cached_token(oauth):
    sandbox, connection = oauth
    assert whoami_for_connection(connection=connection).brand_id == "acme"
    with connection_client(connection) as client:
        assert client.users.list().items
    assert whoami_for_connection(connection=connection).user_id
    assert token_requests(sandbox) == 1
    assert not sandbox.calls(path_contains="whoami")[-1].get("body")


def test_threads_racing_for_a_token_fetch_it_once(oauth):
    sandbox, connection = oauth
    client = connection_oauth_client(connection)
    start = threading.Barrier(6)
    tokens = []

    def take():
        start.wait()
        tokens.append(oauth_access_token(client).token)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(tokens) == 6 and len(set(tokens)) == 1
    assert token_requests(sandbox) == 1


def test_a_token_is_used_until_shortly_before_it_expires():
    assert cache_seconds(3600) == 3540
    assert cache_seconds(30) == 27
    assert cache_seconds(0.5) == 1


def test_an_expired_token_is_refetched_once_and_the_call_goes_through(oauth):
    sandbox, connection = oauth
    whoami_for_connection(connection=connection)
    sandbox.advance_clock(3700)  # the cached token has expired at Qualtrics (the cache's clock is real)
    with connection_client(connection) as client:
        assert client.users.list().items
    assert token_requests(sandbox) == 2
    statuses = [call["status"] for call in sandbox.calls("GET", "/users")]
    assert statuses == [401, 200]


def test_the_console_and_the_gateway_also_refetch_an_expired_token_once(oauth, django_user_model):
    from apiconsole.services.calls import ConsoleRequest, console_call_send

    sandbox, connection = oauth
    whoami_for_connection(connection=connection)
    sandbox.advance_clock(3700)
    answer = console_call_send(connection=connection, actor=connection.owner,
                               request=ConsoleRequest(method="GET", path="/users"))
    assert answer.status == 200 and answer.envelope["result"]["elements"]
    assert [call["status"] for call in sandbox.calls("GET", "/users")] == [401, 200]
    assert token_requests(sandbox) == 2

    sandbox.advance_clock(3700)
    with connection_client(connection, audit=False) as client:
        relayed = client.relay("GET", "/whoami")
        body = b"".join(relayed.body)
    assert relayed.status == 200 and b'"brandId"' in body
    assert [call["status"] for call in sandbox.calls("GET", "/whoami")][-2:] == [401, 200]
    assert token_requests(sandbox) == 3


def test_a_revoked_client_marks_the_connection_and_alerts_its_managers_once(oauth, control_revoke):
    sandbox, connection = oauth
    whoami_for_connection(connection=connection)
    control_revoke(sandbox.oauth_client()[0])
    with pytest.raises(ClientRefusedError), connection_client(connection) as client:
        client.users.list()
    connection.refresh_from_db()
    assert connection.token_rejected
    assert AlertSent.objects.filter(connection=connection, kind=AlertKind.TOKEN_REJECTED).count() == 1
    assert len(mail.outbox) == 1
    assert "OAuth client" in mail.outbox[0].subject and "secret" in mail.outbox[0].body
    result = connection_test(connection=connection)
    assert not result.ok and result.token_rejected
    assert isinstance(result.error, AuthenticationError)
    assert len(mail.outbox) == 1  # told once per rejection
    assert Connection.objects.get(pk=connection.pk).last_check_ok is False


def test_a_refusal_met_in_a_background_read_is_still_a_refused_client(oauth, control_revoke):
    from web import background

    sandbox, connection = oauth
    control_revoke(sandbox.oauth_client()[0])
    future = background.start(lambda: connection_client(connection).users.list())
    with pytest.raises(ClientRefusedError):
        future.result(30)
    assert not Connection.objects.get(pk=connection.pk).token_rejected  # marked by the next foreground call
    with pytest.raises(ClientRefusedError):
        connection_client(connection)
    assert Connection.objects.get(pk=connection.pk).token_rejected


@pytest.fixture
def control_revoke(sandbox):
    import requests

    def revoke(client_id):
        requests.post(f"{sandbox.root_url}/_sandbox/oauth/clients/revoke", json={"clientId": client_id},
                      timeout=10).raise_for_status()

    return revoke


FETCHER = """
import sys, time, hashlib, django
django.setup()
from connections.bearer_tokens import OAuthClient
from connections.qualtrics_client import oauth_access_token
start_at = float(sys.argv[1])
client = OAuthClient(datacenter=sys.argv[2], client_id=sys.argv[3], secret=sys.stdin.read().strip(),
                     scopes=("manage:all",))
while time.time() < start_at:
    time.sleep(0.005)
print(hashlib.sha256(oauth_access_token(client).token.encode()).hexdigest())
"""


@pytest.mark.services
def test_two_processes_fetch_one_token_through_the_shared_cache(oauth):
    sandbox, connection = oauth
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT), PORTAL_TESTING="1",
               CACHE_URL=os.environ["CACHE_URL"], QUALTRICS_API_BASE_URL=settings.QUALTRICS_API_BASE_URL,
               FIELD_ENCRYPTION_KEY=",".join(settings.FIELD_ENCRYPTION_KEYS), SECRET_KEY=settings.SECRET_KEY,
               PYTEST_XDIST_WORKER=os.environ.get("PYTEST_XDIST_WORKER", ""))  # this test's cache keys
    client_id, secret = sandbox.oauth_client()
    start_at = f"{time.time() + 4:.3f}"
    processes = [
        subprocess.Popen([sys.executable, "-c", FETCHER, start_at, connection.datacenter, client_id], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    answers = [process.communicate(secret, timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err[-2000:] for _out, err in answers]
    digests = {out.strip() for out, _err in answers}
    assert len(digests) == 1
    assert token_requests(sandbox) == 1
