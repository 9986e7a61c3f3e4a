"""The gateway against the sandbox: refusals in Qualtrics' envelope, calls relayed unchanged, paging kept on
the gateway, every call recorded, and the connection's token never handed out."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
from django.test import Client
from django.utils import timezone

from connections.crypto import encrypt_token
from connections.models import Connection, Role
from connections.services.rotation import connection_rotate
from gateway.models import ApiKey, GatewayCall
from gateway.services import api_key_revoke, calls
from qualtrics import TOKEN_MASK

from ..fixtures.secrets import register_token
from .conftest import error_of

pytestmark = pytest.mark.django_db


def sandbox_calls(gw, path_contains: str, method: str = "") -> list[dict]:
    reply = requests.get(f"{gw.personas.sandbox.root_url}/_sandbox/calls",
                         params={"method": method, "path_contains": path_contains}, timeout=10)
    return reply.json()["calls"]


def directory_id(gw, key) -> str:
    return gw.call("GET", "/directories", key).json()["result"]["elements"][0]["directoryId"]


class TestKeys:
    @pytest.mark.parametrize("presented", [None, "", "qpk_nope", "qpk_ABCDEFGH_secret", "Bearer-less"])
    def test_unknown_keys_get_401_in_the_envelope(self, gw, presented):
        response = gw.call("GET", "/whoami", presented)
        assert response.status_code == 401 and response["Content-Type"] == "application/json"
        assert error_of(response)["errorCode"] == "GW_KEY"
        assert not GatewayCall.objects.exists()
        assert sandbox_calls(gw, "/whoami") == []

    def test_the_connections_own_token_is_no_key(self, gw):
        response = gw.call("GET", "/whoami", gw.token)
        assert response.status_code == 401 and sandbox_calls(gw, "/whoami") == []

    def test_a_key_with_a_wrong_secret_is_unknown(self, gw):
        _key, text = gw.issue()
        assert gw.call("GET", "/whoami", text[:-2] + "xx").status_code == 401

    def test_a_key_works_in_x_api_token_and_as_bearer(self, gw):
        _key, text = gw.issue()
        for bearer in (False, True):
            response = gw.call("GET", "/whoami", text, bearer=bearer)
            assert response.status_code == 200, response.content
            assert response.json()["result"]["brandId"] == "acme"
        assert GatewayCall.objects.filter(status=200).count() == 2

    def test_a_revoked_key_is_refused_from_its_next_call(self, gw):
        key, text = gw.issue()
        assert gw.call("GET", "/whoami", text).status_code == 200
        api_key_revoke(key=key, actor=gw.manager, role=Role.MANAGER)
        response = gw.call("GET", "/whoami", text)
        assert response.status_code == 401 and error_of(response)["errorCode"] == "GW_KEY_REVOKED"
        assert len(sandbox_calls(gw, "/whoami")) == 1
        assert key.calls.filter(status=401, refused=True, error_code="GW_KEY_REVOKED").exists()

    def test_another_process_sees_a_revocation_within_the_key_cache_seconds(self, gw, settings, monkeypatch):
        settings.GATEWAY_KEY_CACHE_SECONDS = 5
        key, text = gw.issue()
        assert gw.call("GET", "/whoami", text).status_code == 200
        # Revoked by another web process: no signal reaches this one, which reuses what it looked up...
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        assert gw.call("GET", "/whoami", text).status_code == 200
        later = time.monotonic() + 5.1
        monkeypatch.setattr(calls.time, "monotonic", lambda: later)
        response = gw.call("GET", "/whoami", text)  # ...for those seconds only
        assert response.status_code == 401 and error_of(response)["errorCode"] == "GW_KEY_REVOKED"

    def test_a_connection_turned_off_here_stops_its_keys_at_once(self, gw, settings):
        settings.GATEWAY_KEY_CACHE_SECONDS = 60
        _key, text = gw.issue()
        assert gw.call("GET", "/whoami", text).status_code == 200
        connection = Connection.objects.get(pk=gw.connection.pk)
        connection.enabled = False
        connection.save()
        response = gw.call("GET", "/whoami", text)
        assert response.status_code == 503 and error_of(response)["errorCode"] == "GW_CONNECTION_OFF"

    def test_with_no_key_cache_every_call_reads_the_key(self, gw, settings):
        settings.GATEWAY_KEY_CACHE_SECONDS = 0
        key, text = gw.issue()
        assert gw.call("GET", "/whoami", text).status_code == 200
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        assert gw.call("GET", "/whoami", text).status_code == 401

    def test_an_expired_key_is_refused(self, gw):
        key, text = gw.issue(expires_on=timezone.localdate() + dt.timedelta(days=1))
        assert gw.call("GET", "/whoami", text).status_code == 200
        key.expires_on = timezone.localdate() - dt.timedelta(days=1)
        key.save()
        response = gw.call("GET", "/whoami", text)
        assert response.status_code == 401 and error_of(response)["errorCode"] == "GW_KEY_EXPIRED"

    def test_a_key_only_opens_its_own_connection(self, gw):
        _key, text = gw.issue()
        other = Connection.objects.create(owner=gw.owner, name="Other", datacenter="iad1",
                                          token_encrypted=encrypt_token(gw.token), token_last4="xxxx")
        response = gw.call("GET", "/whoami", text, connection_id=other.pk)
        assert response.status_code == 403 and error_of(response)["errorCode"] == "GW_SCOPE"


class TestScope:
    @pytest.mark.parametrize(("preset", "method", "path", "allowed"), [
        ("read_only", "GET", "/surveys", True),
        ("read_only", "POST", "/directories/{dir}/contacts", False),
        ("read_only", "DELETE", "/surveys/SV_nope", False),
        ("directory_writes", "POST", "/directories/{dir}/contacts", True),
        ("directory_writes", "POST", "/distributions", False),
        ("distributions", "POST", "/directories/{dir}/contacts", False),
        ("custom", "GET", "/users", False),
        ("custom", "GET", "/surveys", True),
    ])
    def test_calls_outside_the_rules_never_reach_qualtrics(self, gw, preset, method, path, allowed):
        _reader, reader_text = gw.issue(name="reader")
        path = path.format(dir=directory_id(gw, reader_text))
        _key, text = gw.issue(preset=preset, rules="GET /surveys/**")
        body = json.dumps({"firstName": "Ada", "lastName": "Gateway", "email": "ada@example.org"})
        response = gw.call(method, path, text, data=body, content_type="application/json")
        if allowed:
            assert response.status_code == 200, response.content
            assert sandbox_calls(gw, path, method)
        else:
            assert response.status_code == 403 and error_of(response)["errorCode"] == "GW_SCOPE"
            assert sandbox_calls(gw, path, method) == []

    def test_a_path_the_console_refuses_is_refused_here(self, gw):
        _key, text = gw.issue(preset="custom", rules="* /**")
        response = gw.call("GET", "/directories/%252e%252e/users", text)
        assert response.status_code in (400, 403)
        assert error_of(response)["errorCode"] in ("GW_PATH", "GW_SCOPE")


class TestNetworksAndCaps:
    def test_only_listed_networks_may_call(self, gw, settings):
        settings.PORTAL_TRUSTED_PROXIES = 0
        _key, text = gw.issue(allowed_networks="203.0.113.0/24")
        refused = gw.call("GET", "/whoami", text, REMOTE_ADDR="198.51.100.7")
        assert refused.status_code == 403 and error_of(refused)["errorCode"] == "GW_NETWORK"
        assert gw.call("GET", "/whoami", text, REMOTE_ADDR="203.0.113.40").status_code == 200
        assert len(sandbox_calls(gw, "/whoami")) == 1

    def test_the_client_address_is_read_behind_the_trusted_proxy(self, gw, settings):
        settings.PORTAL_TRUSTED_PROXIES = 1
        _key, text = gw.issue(allowed_networks="203.0.113.0/24")
        spoofed = gw.call("GET", "/whoami", text, REMOTE_ADDR="10.0.0.2",
                          HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7")
        assert spoofed.status_code == 403
        assert gw.call("GET", "/whoami", text, REMOTE_ADDR="10.0.0.2",
                       HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5").status_code == 200

    def test_a_key_over_its_cap_gets_429_with_retry_after(self, gw):
        _key, text = gw.issue(per_minute_cap=2)
        _other, other_text = gw.issue(name="Make")
        assert [gw.call("GET", "/whoami", text).status_code for _ in range(2)] == [200, 200]
        refused = gw.call("GET", "/whoami", text)
        assert refused.status_code == 429 and error_of(refused)["errorCode"] == "GW_KEY_CAP"
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert gw.call("GET", "/whoami", other_text).status_code == 200  # the cap is the key's own
        assert len(sandbox_calls(gw, "/whoami")) == 3

    def test_the_brands_shared_budget_is_drawn_on(self, gw, settings):
        settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE = 2
        _key, text = gw.issue()
        statuses = [gw.call("GET", "/whoami", text).status_code for _ in range(4)]
        assert statuses[:2] == [200, 200] and statuses[-1] == 429
        refused = gw.call("GET", "/whoami", text)
        assert error_of(refused)["errorCode"] == "GW_BUDGET" and int(refused["Retry-After"]) >= 1

    def test_the_gateway_can_be_turned_off(self, gw, settings):
        _key, text = gw.issue()
        settings.GATEWAY_ENABLED = False
        response = gw.call("GET", "/whoami", text)
        assert response.status_code == 503 and error_of(response)["errorCode"] == "GW_DISABLED"
        assert sandbox_calls(gw, "/whoami") == []


class TestRelay:
    def test_qualtrics_answer_comes_back_unchanged(self, gw):
        _key, text = gw.issue()
        response = gw.call("GET", "/surveys", text, QUERY_STRING="pageSize=2")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
        logged = sandbox_calls(gw, "/surveys", "GET")[-1]
        assert logged["query"] == "pageSize=2"
        assert response.json()["meta"]["requestId"] == logged["requestId"]
        call = GatewayCall.objects.get()
        assert (call.method, call.path, call.status, call.request_id) == ("GET", "/surveys", 200, logged["requestId"])
        assert call.client_address == "127.0.0.1" and not call.refused

    def test_qualtrics_errors_come_back_as_they_are(self, gw):
        _key, text = gw.issue()
        response = gw.call("GET", "/surveys/SV_doesnotexist", text)
        assert response.status_code == 404 and error_of(response)["errorCode"] != "GW_SCOPE"
        call = GatewayCall.objects.get()
        assert call.status == 404 and not call.refused

    def test_a_write_carries_its_body(self, gw):
        _key, text = gw.issue(preset="directory_writes")
        directory = directory_id(gw, text)
        body = {"firstName": "Ada", "lastName": "Gateway", "email": "ada.gateway@example.org"}
        created = gw.call("POST", f"/directories/{directory}/contacts", text, data=json.dumps(body),
                          content_type="application/json")
        assert created.status_code == 200, created.content
        contact_id = created.json()["result"]["id"]
        fetched = gw.call("GET", f"/directories/{directory}/contacts/{contact_id}", text).json()["result"]
        assert fetched["email"] == "ada.gateway@example.org"

    def test_next_page_links_stay_on_the_gateway(self, gw):
        _key, text = gw.issue()
        directory = directory_id(gw, text)
        seen, path, query = [], f"/directories/{directory}/contacts", "pageSize=2"
        prefix = "http://testserver" + gw.api_url("/x")[:-1]
        for _ in range(3):
            result = gw.call("GET", path, text, QUERY_STRING=query).json()["result"]
            seen += [c["contactId"] for c in result["elements"]]
            following = result["nextPage"]
            assert following.startswith(prefix), following
            assert "127.0.0.1" not in following  # not the sandbox's own address
            path, _, query = following[len(prefix) - 1:].partition("?")
        assert len(seen) == 6 and len(set(seen)) == 6

    def test_the_token_never_comes_back_even_when_qualtrics_sends_it(self, gw):
        _key, text = gw.issue()
        who = gw.call("GET", "/whoami", text).json()["result"]
        response = gw.call("GET", f"/users/{who['userId']}/apitoken", text)
        assert response.status_code == 200
        assert gw.token not in response.content.decode() and TOKEN_MASK in response.content.decode()

    def test_no_session_and_no_csrf(self, gw, login):
        _key, text = gw.issue(preset="directory_writes")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(gw.owner)
        directory = directory_id(gw, text)
        no_key = strict.post(gw.api_url(f"/directories/{directory}/contacts"), data="{}",
                             content_type="application/json")
        assert no_key.status_code == 401  # a signed-in person's session opens nothing here
        with_key = strict.post(gw.api_url(f"/directories/{directory}/contacts"), data=json.dumps({"firstName": "B"}),
                               content_type="application/json", HTTP_X_API_TOKEN=text)
        assert with_key.status_code == 200 and "Set-Cookie" not in with_key

    def test_a_token_rotation_in_the_middle_breaks_no_call(self, gw):
        """The token is regenerated in Qualtrics and rotated in the portal (the connection's safe rotation)
        between gateway calls: the key goes on working, and the gateway uses the new token at once."""
        _key, text = gw.issue()
        base = gw.personas.sandbox.base_url_template.replace("{datacenter}", gw.connection.datacenter)
        statuses = [gw.call("GET", "/whoami", text).status_code for _ in range(3)]
        user_id = gw.call("GET", "/whoami", text).json()["result"]["userId"]
        fresh = requests.post(f"{base}/users/{user_id}/apitoken", headers={"X-API-TOKEN": gw.token},
                              timeout=10).json()["result"]["apiToken"]
        register_token(fresh)
        connection_rotate(connection=gw.connection, actor=gw.owner, token=fresh)
        assert requests.get(f"{base}/whoami", headers={"X-API-TOKEN": gw.token}, timeout=10).status_code == 401
        statuses += [gw.call("GET", "/whoami", text).status_code for _ in range(3)]
        assert statuses == [200] * 6
