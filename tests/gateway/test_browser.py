"""API keys in the browser against the sandbox: issue one, use it through the gateway, see the call, revoke it."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_use_and_revoke_a_key(browser_as, shot, gw, live_server):
    page = browser_as(gw.manager)
    page.goto(live_server.url + gw.url("key_list"))
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.get_by_role("link", name="API keys")).to_be_visible()  # in the navigation
    page.get_by_test_id("new-key").click()
    page.get_by_label("Name").fill("Segment production")
    page.get_by_label("What it may call").select_option("directory_writes")
    page.get_by_label("Per minute cap").fill("100")
    page.get_by_role("button", name="Issue the key").click()
    issued = page.get_by_test_id("key-issued")
    expect(issued).to_contain_text("shown this once")
    key_text = page.get_by_test_id("key-text").input_value()
    assert key_text.startswith("qpk_")
    shot(page, "gateway-key-issued")

    base = f"{live_server.url}/api/qualtrics/{gw.connection.pk}/API/v3"
    assert requests.get(f"{base}/whoami", headers={"X-API-TOKEN": key_text}, timeout=10).status_code == 200
    refused = requests.post(f"{base}/users", json={}, headers={"X-API-TOKEN": key_text}, timeout=10)
    assert refused.status_code == 403

    page.get_by_role("link", name="Open the key").click()
    calls = page.get_by_test_id("key-calls")
    expect(calls).to_contain_text("GET /whoami")
    expect(calls).to_contain_text("GW_SCOPE")
    page.get_by_test_id("revoke-key").click()
    expect(page.get_by_test_id("key-state")).to_have_text("revoked")
    shot(page, "gateway-key-revoked")
    assert requests.get(f"{base}/whoami", headers={"X-API-TOKEN": key_text}, timeout=10).status_code == 401

    page.get_by_role("link", name="All keys").click()
    expect(page.get_by_test_id("crud-table")).to_contain_text("Segment production")
    shot(page, "gateway-key-list")
