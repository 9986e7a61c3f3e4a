"""In a real browser against the sandbox: create a connection with an OAuth client, see its granted scopes and
the sections marked for a missing scope, and a screen saying which scope it lacks."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.fixtures.secrets import register_token

from .test_browser import _wait_for_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_on_sandbox(sandbox, settings):
    settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
    return sandbox


def test_create_an_oauth_connection_and_see_its_scopes(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    client_id, secret = sandbox.oauth_client()
    register_token(secret)
    owner = make_user("olivia", first_name="Olivia")

    page = browser_as(owner)
    page.goto("/connections/new/")
    token_box = page.locator("#id_token")
    assert token_box.is_visible()
    assert not page.locator("#id_client_id").is_visible()
    page.get_by_label("An OAuth client").check()
    assert not token_box.is_visible()
    page.get_by_role("textbox", name="Name", exact=True).fill("Acme via OAuth")
    page.get_by_label("Datacenter ID").fill(sandbox.brand("acme")["datacenter"])
    page.get_by_label("OAuth client ID").fill(client_id)
    page.get_by_label("Client secret").fill(secret)
    page.get_by_label("Scopes to ask for").fill("read:users read:surveys read:directories")
    shot(page, "connections-create-oauth")
    page.get_by_test_id("save-connection").click()
    connection = _wait_for_connection("Acme via OAuth")
    page.wait_for_url(f"**/c/{connection.pk}/")
    assert "scopes granted: read:directories read:surveys read:users" in page.get_by_test_id("toast").first.inner_text()
    granted = page.get_by_test_id("scopes-granted").inner_text()
    assert granted.split() == ["read:directories", "read:surveys", "read:users"]
    assert page.get_by_test_id("oauth-client-id").inner_text() == client_id
    assert page.locator('[data-missing-scope="read:groups"]').count() == 1
    assert page.locator('[data-missing-scope="read:distributions"]').count() == 1
    assert page.locator('[data-missing-scope="read:surveys"]').count() == 0
    assert secret not in page.content()
    shot(page, "connections-detail-oauth")

    page.goto(f"/c/{connection.pk}/groups/")
    alert = page.get_by_test_id("missing-scope")
    alert.wait_for()
    assert "This connection's OAuth client has no read:groups scope: a brand admin can add it in Qualtrics" in (
        alert.inner_text())
    shot(page, "brandadmin-groups-missing-scope")
