"""The API key screens with every persona, htmx and not: only a connection's managers see or change keys."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from gateway.models import ApiKey, GatewayCall

pytestmark = pytest.mark.django_db

ISSUE = {"name": "Segment production", "preset": "read_only", "rules": "", "expires_on": "", "allowed_networks": "",
         "per_minute_cap": ""}


def screens(gw, key) -> list[tuple[str, str]]:
    return [("get", gw.url("key_list")), ("get", gw.url("key_create")), ("post", gw.url("key_create")),
            ("get", gw.url("key_detail", key_id=key.pk)), ("post", gw.url("key_revoke", key_id=key.pk)),
            ("get", gw.url("key_calls_csv", key_id=key.pk))]


class TestAccess:
    def test_anonymous_users_go_to_login(self, client, local_gw):
        key, _ = local_gw.issue()
        for method, target in screens(local_gw, key):
            response = getattr(client, method)(target)
            assert response.status_code == 302 and reverse("login") in response["Location"], target

    def test_outsiders_get_404(self, login, local_gw, hx):
        key, _ = local_gw.issue()
        client = login(local_gw.outsider)
        for method, target in screens(local_gw, key):
            assert getattr(client, method)(target).status_code == 404, target
            assert getattr(client, method)(target, **hx).status_code == 404, target
        assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1

    @pytest.mark.parametrize("who", ["viewer", "operator", "team_operator"])
    def test_viewers_and_operators_may_not_manage_keys(self, login, local_gw, hx, who):
        key, _ = local_gw.issue()
        client = login(getattr(local_gw, who))
        for method, target in screens(local_gw, key):
            response = getattr(client, method)(target, ISSUE) if method == "post" else client.get(target)
            assert response.status_code == 403, target
            assert getattr(client, method)(target, **hx).status_code == 403, target
        assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1
        nav = client.get(reverse("connections:connection_detail", kwargs={"connection_id": local_gw.connection.pk}))
        assert local_gw.url("key_list") not in nav.content.decode()

    @pytest.mark.parametrize("who", ["owner", "manager"])
    def test_managers_see_the_keys_in_the_navigation(self, login, local_gw, who):
        local_gw.issue()
        client = login(getattr(local_gw, who))
        page = client.get(local_gw.url("key_list"))
        assert page.status_code == 200 and "Segment production" in page.content.decode()
        assert f'href="{local_gw.url("key_list")}"' in page.content.decode()
        assert f"/api/qualtrics/{local_gw.connection.pk}/API/v3" in page.content.decode()


class TestIssue:
    def test_the_key_is_shown_once(self, login, local_gw):
        client = login(local_gw.manager)
        response = client.post(local_gw.url("key_create"), ISSUE)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        key = ApiKey.objects.get()
        shown = response.content.decode()
        text = shown.split('data-testid="key-text"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
        assert text.startswith(key.prefix) and key.matches(text)
        for page in (client.get(local_gw.url("key_list")), client.get(local_gw.url("key_detail", key_id=key.pk))):
            assert key.prefix in page.content.decode() and text not in page.content.decode()

    def test_htmx_swaps_the_form_for_the_key(self, login, local_gw, hx):
        response = login(local_gw.owner).post(local_gw.url("key_create"), ISSUE, **hx)
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="key-issued"' in body and "<html" not in body

    def test_invalid_rules_are_shown_on_the_form(self, login, local_gw, hx):
        data = {**ISSUE, "preset": "custom", "rules": "FETCH /x", "allowed_networks": "10.0.0.0/99"}
        response = login(local_gw.manager).post(local_gw.url("key_create"), data, **hx)
        body = response.content.decode()
        assert response.status_code == 200 and "unknown method FETCH" in body and "10.0.0.0/99" in body
        assert 'data-testid="crud-form"' in body and not ApiKey.objects.exists()


class TestKeyPages:
    def test_the_list_shows_last_use_calls_and_errors_today(self, login, local_gw):
        key, _ = local_gw.issue()
        for status in (200, 200, 403):
            GatewayCall.objects.create(key=key, method="GET", path="/whoami", status=status)
        page = login(local_gw.manager).get(local_gw.url("key_list")).content.decode()
        row = page.split("Segment production", 1)[1].split("</tr>", 1)[0]
        cells = [cell.split("</td>")[0] for cell in row.split("<td")[1:]]
        assert cells[-2:] == ['>3', '>1']

    def test_revoke_in_one_click_with_htmx(self, login, local_gw, hx):
        key, _ = local_gw.issue()
        client = login(local_gw.manager)
        page = client.get(local_gw.url("key_detail", key_id=key.pk)).content.decode()
        assert 'data-testid="revoke-key"' in page
        response = client.post(local_gw.url("key_revoke", key_id=key.pk), **hx)
        body = response.content.decode()
        assert response.status_code == 200 and 'id="key-status"' in body and "<html" not in body
        assert "revoked" in body and 'data-testid="revoke-key"' not in body
        assert ApiKey.objects.get().revoked_at is not None

    def test_revoke_without_htmx_shows_the_page(self, login, local_gw):
        key, _ = local_gw.issue()
        response = login(local_gw.owner).post(local_gw.url("key_revoke", key_id=key.pk))
        assert response.status_code == 200 and "<html" in response.content.decode()
        assert ApiKey.objects.get().status == "revoked"

    def test_the_audit_lists_calls_and_downloads_them_as_csv(self, login, local_gw):
        key, _ = local_gw.issue()
        other, _ = local_gw.issue(name="Make")
        GatewayCall.objects.create(key=key, method="GET", path="/surveys", status=200, request_id="rid-1",
                                   duration_ms=51, client_address="203.0.113.9")
        GatewayCall.objects.create(key=key, method="POST", path="/=cmd", status=403, refused=True,
                                   error_code="GW_SCOPE")
        GatewayCall.objects.create(key=other, method="GET", path="/users", status=200)
        client = login(local_gw.manager)
        page = client.get(local_gw.url("key_detail", key_id=key.pk)).content.decode()
        assert "rid-1" in page and "GW_SCOPE" in page and "GET /users" not in page
        download = client.get(local_gw.url("key_calls_csv", key_id=key.pk))
        assert download["Content-Type"].startswith("text/csv") and key.prefix in download["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
        assert rows[0][:4] == ["time", "method", "path", "status"]
        assert [row[1:4] for row in rows[1:]] == [["POST", "/=cmd", "403"], ["GET", "/surveys", "200"]]

    def test_a_key_of_another_connection_is_not_found(self, login, local_gw):
        key, _ = local_gw.issue()
        from tests.factories import make_connection

        other = make_connection(local_gw.manager, name="Other")
        url = reverse("gateway:key_detail", kwargs={"connection_id": other.pk, "key_id": key.pk})
        assert login(local_gw.manager).get(url).status_code == 404
