"""In a real browser against the sandbox: create, test, share with a team; a teammate sees it, an outsider
gets 404."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Connection, ConnectionShare, Role
from tests.factories import make_connection, make_team, make_user, share

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_on_sandbox(sandbox, settings):
    settings.QUALTRICS_API_BASE_URL = sandbox.base_url_template
    return sandbox


def test_create_test_share_and_who_sees_it(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    teammate = make_user("tina", first_name="Tina")
    outsider = make_user("oscar")
    make_team("Survey ops", teammate)

    page = browser_as(owner)
    page.goto("/connections/")
    page.get_by_test_id("new-connection").click()
    page.wait_for_url("**/connections/new/")
    page.get_by_role("textbox", name="Name", exact=True).fill("Acme production")
    page.get_by_label("Datacenter ID").fill("iad1")
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_label("Notify this many days before").fill("14")
    page.get_by_label("Token expiration date").fill((timezone.localdate() + datetime.timedelta(days=10)).isoformat())
    page.get_by_test_id("save-connection").click()
    error = page.locator("#id_token_error")
    error.wait_for()
    assert "An API token is 20–64 letters and digits" in error.inner_text()
    assert page.get_by_role("textbox", name="Name", exact=True).input_value() == "Acme production"
    shot(page, "connections-create-invalid")

    page.get_by_label("API token").fill(sandbox.admin_token)
    page.get_by_test_id("save-connection").click()
    connection = _wait_for_connection("Acme production")
    page.wait_for_url(f"**/c/{connection.pk}/")
    assert page.get_by_test_id("toast").first.inner_text().startswith("Connection “Acme production” saved")
    facts = page.get_by_test_id("qualtrics-facts").inner_text()
    assert "acme" in facts and "UT_BRANDADMIN" in facts and "brand administrator" in facts
    assert page.get_by_test_id("badge-expiry").first.inner_text() == "expires in 10 days"
    assert "expires on" in page.get_by_test_id("expiry-banner").inner_text()
    shot(page, "connections-detail")
    page.get_by_test_id("expiry-banner-hide").click()
    expect(page.get_by_test_id("expiry-banner")).to_have_count(0)

    page.get_by_test_id("test-connection").click()
    result = page.get_by_test_id("test-ok")
    result.wait_for()
    text = result.inner_text()
    assert "Qualtrics accepted the token" in text and "acme" in text and "UT_BRANDADMIN" in text
    request_id = sandbox.calls("GET", "/whoami")[-1]["requestId"]
    assert request_id in text
    shot(page, "connections-test-ok")
    page.reload()  # the test's call now shows in the brand's use of its rate budget
    budget = page.get_by_test_id("budget-day")
    expect(budget.locator("figcaption")).to_contain_text(re.compile(r"[1-9]\d* calls? in all"))
    budget.get_by_text("The figures").click()
    expect(budget.locator("table")).to_be_visible()
    shot(page, "connections-detail-budget-day")

    page.get_by_test_id("share-button").click()
    dialog = page.get_by_test_id("share-dialog")
    dialog.wait_for()
    dialog.get_by_label("Team").select_option(label="Survey ops")
    dialog.get_by_label("Role", exact=True).select_option(label="Operator")
    dialog.get_by_test_id("add-share").click()
    page.get_by_test_id("share-saved").wait_for()
    assert page.get_by_test_id("share-saved").inner_text() == "Survey ops is now operator."
    shot(page, "connections-share-dialog")
    dialog.get_by_role("button", name="Done").click()
    page.locator("#modal").wait_for(state="hidden")
    page.locator(".modal-backdrop").wait_for(state="detached")
    shares_card = page.get_by_test_id("shares-card")
    shares_card.get_by_text("Survey ops").wait_for()
    assert "operator" in shares_card.inner_text()
    share_row = ConnectionShare.objects.get(connection=connection)
    assert (share_row.team.name, share_row.role) == ("Survey ops", Role.OPERATOR)
    shot(page, "connections-detail-shared")

    mate = browser_as(teammate)
    mate.goto("/connections/")
    row = mate.get_by_test_id("connection-row").filter(has_text="Acme production")
    assert "team Survey ops (operator)" in row.inner_text()
    shot(mate, "connections-list-teammate")
    row.get_by_role("link", name="Acme production").click()
    mate.wait_for_url(f"**/c/{connection.pk}/")
    assert mate.get_by_role("link", name="Rotate token").count() == 0
    assert "you are operator" in mate.locator("main").inner_text()

    stranger = browser_as(outsider)
    response = stranger.goto(f"/c/{connection.pk}/")
    assert response.status == 404
    assert "Acme production" not in stranger.content()
    stranger.goto("/connections/")
    assert stranger.get_by_test_id("connection-row").count() == 0
    shot(stranger, "connections-outsider-404")


def test_a_refused_token_and_a_datacenter_fix(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    owner = make_user("olivia")
    connection = make_connection(owner, name="Acme", datacenter="sjc1", token=sandbox.admin_token)
    page = browser_as(owner)
    page.goto(f"/c/{connection.pk}/")
    page.get_by_test_id("test-connection").click()
    page.get_by_test_id("datacenter-suggestion").wait_for()
    assert "use iad1 instead of sjc1" in page.get_by_test_id("datacenter-suggestion").inner_text()
    shot(page, "connections-datacenter-suggestion")
    page.get_by_test_id("apply-datacenter").click()
    page.get_by_test_id("toast").filter(has_text="Datacenter of “Acme” set to iad1.").wait_for()
    assert Connection.objects.get(pk=connection.pk).datacenter == "iad1"

    sandbox.state.revoke_token(sandbox.admin_token)
    page.get_by_test_id("test-connection").click()
    failed = page.get_by_test_id("test-failed")
    failed.wait_for()
    request_id = sandbox.calls("GET", "/whoami")[-1]["requestId"]
    assert "Qualtrics said: “Unrecognized X-API-TOKEN.”" in failed.inner_text()
    assert request_id in failed.inner_text()
    page.get_by_test_id("token-rejected").wait_for()
    assert page.get_by_test_id("badge-check").first.inner_text() == "token rejected"
    shot(page, "connections-token-rejected")


def test_rotate_to_another_brand_needs_confirmation(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    owner = make_user("olivia")
    connection = make_connection(owner, name="Acme", token=sandbox.admin_token)
    globex = next(row["token"] for row in sandbox.brand("globex")["tokens"] if row["admin"])
    page = browser_as(owner)
    page.goto(f"/c/{connection.pk}/rotate/")
    page.get_by_label("New API token").fill(globex)
    page.get_by_test_id("rotate-token").click()
    page.get_by_test_id("form-errors").wait_for()
    assert "belongs to the Qualtrics brand “globex”" in page.get_by_test_id("form-errors").inner_text()
    assert page.get_by_label("New API token").input_value() == ""
    shot(page, "connections-rotate-brand-mismatch")
    page.get_by_label("Use the other brand").check()
    page.get_by_test_id("rotate-token").click()
    page.wait_for_url(f"**/c/{connection.pk}/")
    assert Connection.objects.get(pk=connection.pk).brand_id == "globex"


def test_rotate_to_another_user_of_the_brand_needs_confirmation(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    owner = make_user("olivia")
    rows = sandbox.brand("acme")["tokens"]
    admin = next(r for r in rows if r["token"] == sandbox.admin_token)
    standard = next(r for r in rows if r["token"] == sandbox.user_token)
    connection = make_connection(owner, name="Acme", token=sandbox.admin_token, qualtrics_user_id=admin["userId"],
                                 qualtrics_user_name=admin["userName"], account_type="UT_BRANDADMIN")
    page = browser_as(owner)
    page.goto(f"/c/{connection.pk}/rotate/")
    page.get_by_label("New API token").fill(sandbox.user_token)
    page.get_by_test_id("rotate-token").click()
    errors = page.get_by_test_id("form-errors")
    errors.wait_for()
    assert f"belongs to the Qualtrics user “{standard['userName']}”" in errors.inner_text()
    assert f"acts as “{admin['userName']}” (brand administrator)" in errors.inner_text()
    assert Connection.objects.get(pk=connection.pk).qualtrics_user_id == admin["userId"]
    shot(page, "connections-rotate-user-change")
    page.get_by_label("Use this token's user").check()
    page.get_by_test_id("rotate-token").click()
    page.wait_for_url(f"**/c/{connection.pk}/")
    saved = Connection.objects.get(pk=connection.pk)
    assert saved.qualtrics_user_id == standard["userId"] and not saved.is_brand_admin


def test_delete_lists_what_depends_on_it(browser_as, shot, portal_on_sandbox):
    owner = make_user("olivia")
    connection = make_connection(owner, name="Old brand")
    share(connection, team=make_team("Field"), role=Role.VIEWER)
    page = browser_as(owner)
    page.goto(f"/c/{connection.pk}/")
    page.get_by_role("link", name="Delete").click()
    confirm = page.get_by_test_id("confirm-delete")
    confirm.wait_for()
    assert "Access ends for everyone it is shared with: Field." in confirm.inner_text()
    shot(page, "connections-delete-confirm")
    confirm.get_by_role("button", name="Delete connection").click()
    page.wait_for_url("**/connections/")
    assert re.search(r"Connection “Old brand” deleted\.", page.get_by_test_id("toast").first.inner_text())
    assert not Connection.objects.filter(pk=connection.pk).exists()


def _wait_for_connection(name: str, tries: int = 50) -> Connection:
    import time

    for _ in range(tries):
        found = Connection.objects.filter(name=name).first()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"connection {name!r} was not created")


def test_audit_trail_and_admin_pages(browser_as, shot, portal_on_sandbox):
    sandbox = portal_on_sandbox
    root = make_user("root", superuser=True)
    token = sandbox.admin_token
    connection = make_connection(root, name="Acme", token=token)
    from connections import services

    services.connection_test(connection=connection, actor=root)
    services.connection_share(connection=connection, actor=root, team=make_team("Field"), role=Role.VIEWER)
    sandbox.state.revoke_token(token)
    services.connection_test(connection=connection, actor=root)
    page = browser_as(root)
    page.goto(f"/c/{connection.pk}/audit/")
    rows = page.get_by_test_id("audit-row")
    assert rows.count() == 3
    page.get_by_label("Outcome").select_option(label="Refused")
    expect(rows).to_have_count(1)
    assert "outcome=denied" in page.url
    assert "Unrecognized X-API-TOKEN." in rows.first.inner_text()
    shot(page, "connections-audit-filtered")
    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    assert download.value.suggested_filename.startswith(f"audit-connection-{connection.pk}-")

    page.goto(f"/admin/connections/connection/{connection.pk}/change/")
    assert page.get_by_text(f"••••{token[-4:]}").count() >= 1
    assert token not in page.content()
    shot(page, "connections-admin-change")


def test_the_switcher_finds_a_connection_among_many(browser_as, shot):
    owner = make_user("petra", first_name="Petra")
    for n in range(14):
        make_connection(owner, name=f"Region {n:02d}", brand_id=f"region{n:02d}")
    page = browser_as(owner)
    page.goto("/")
    expect(page.get_by_test_id("all-connections")).to_contain_text("All 14 connections")
    page.get_by_test_id("connection-switcher").get_by_role("button").click()
    expect(page.get_by_text("None used yet in this session: search above.")).to_be_visible()
    page.get_by_test_id("switcher-search").fill("region 07")
    item = page.get_by_test_id("switcher-item")
    expect(item).to_have_count(1)
    expect(page.locator("#switcher-items")).to_contain_text("Matching")
    shot(page, "connections-switcher-search")
    item.click()
    page.wait_for_url(re.compile(r"/c/\d+/$"))
    expect(page.get_by_role("heading", name="Region 07")).to_be_visible()
    page.get_by_test_id("connection-switcher").get_by_role("button").click()
    expect(page.get_by_test_id("switcher-item")).to_have_count(1)  # the one used, first of the recent ones
