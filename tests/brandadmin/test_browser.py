"""End to end in Chromium: a user is created, put in a group, seen there, removed, and the group deleted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_creates_a_user_puts_them_in_a_group_and_cleans_up(team, browser_as, shot):
    connection = team.connection
    page = browser_as(team.operator)
    base = f"/c/{connection.pk}"

    # A group to work with.
    page.goto(f"{base}/groups/")
    expect(page.get_by_test_id("crud-table")).to_contain_text("CX Team")
    shot(page, "brandadmin-group-list")
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Name").fill("Browser pilots")
    page.get_by_label(re.compile(r"^Group type")).select_option(index=1)
    shot(page, "brandadmin-group-create")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Browser pilots")).to_be_visible()
    group_url = page.url

    # A new user, with a generated password shown once.
    page.goto(f"{base}/users/new/")
    page.get_by_label("Username").fill("ines.moreau@acme.example")
    page.get_by_label("First name").fill("Inès")
    page.get_by_label("Last name").fill("Moreau")
    page.get_by_label("E-mail").fill("ines.moreau@acme.example")
    page.get_by_label(re.compile(r"^User type")).select_option(index=2)
    expect(page.get_by_label("Other user type ID")).to_be_hidden()
    page.get_by_label(re.compile("Generate a strong password")).check()
    page.get_by_label("Time zone").select_option("Europe/Paris")
    shot(page, "brandadmin-user-create")
    page.get_by_role("button", name="Create").click()
    password = page.get_by_test_id("generated-password")
    expect(password).to_be_visible()
    assert len(password.input_value()) >= 16
    shot(page, "brandadmin-user-password-once")
    page.get_by_role("link", name=re.compile("go to the user")).click()
    expect(page.get_by_test_id("user-name")).to_contain_text("Inès Moreau")
    expect(page.get_by_test_id("user-groups")).to_contain_text("Not in any group")
    shot(page, "brandadmin-user-detail")

    # Put them in the group with the search-as-you-type picker, together with someone else.
    page.goto(group_url)
    page.get_by_placeholder(re.compile("Type a name")).fill("moreau")
    page.get_by_test_id("search-results").get_by_text("Inès Moreau").click()
    page.get_by_placeholder(re.compile("Type a name")).fill("yuki")
    page.get_by_test_id("search-results").get_by_text("Yuki Mori").click()
    expect(page.get_by_test_id("picked-user")).to_have_count(2)
    shot(page, "brandadmin-member-picker")
    page.get_by_test_id("member-add").click()
    table = page.get_by_test_id("crud-table")
    expect(table).to_contain_text("Inès Moreau")
    expect(table).to_contain_text("Yuki Mori")
    expect(page.get_by_test_id("toast").first).to_contain_text("Added 2 users to the group.")
    shot(page, "brandadmin-group-members")

    # Remove them again.
    table.get_by_role("row", name=re.compile("Inès Moreau")).get_by_role("button", name=re.compile("Remove")).click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Removed")
    expect(page.get_by_test_id("crud-table")).not_to_contain_text("Inès Moreau")
    expect(page.get_by_test_id("crud-table")).to_contain_text("Yuki Mori")

    # Delete the group.
    page.get_by_role("link", name="Delete group").click()
    expect(page.get_by_test_id("confirm-delete")).to_contain_text("1 member")
    shot(page, "brandadmin-group-delete")
    page.get_by_role("button", name="Delete group").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Deleted “Browser pilots”")
    expect(page.get_by_test_id("crud-table")).not_to_contain_text("Browser pilots")
    assert team.sandbox.brand("acme")["counts"]["groups"] == 5  # the demo's five, as before


def test_it_explains_a_token_that_is_not_a_brand_administrators(non_admin_connection, portal_sandbox, browser_as,
                                                                 shot):
    _sandbox, _connection, owner = portal_sandbox
    page = browser_as(owner)
    page.goto(f"/c/{non_admin_connection.pk}/users/")
    notice = page.get_by_test_id("not-admin")
    expect(notice).to_contain_text("This connection's Qualtrics user is not a brand administrator")
    expect(notice).to_contain_text("Acme (not an admin)")
    shot(page, "brandadmin-not-admin-list")
    page.goto(f"/c/{non_admin_connection.pk}/users/new/")
    expect(page.get_by_test_id("not-admin")).to_contain_text("not a brand administrator")
    shot(page, "brandadmin-not-admin-create")


def test_it_lets_a_viewer_read_but_offers_no_changes(team, browser_as, shot):
    page = browser_as(team.viewer)
    page.goto(f"/c/{team.connection.pk}/groups/")
    page.get_by_role("link", name="CX Team").click()
    expect(page.get_by_test_id("crud-table")).to_contain_text("Sam Ortiz")
    expect(page.get_by_test_id("member-picker")).to_have_count(0)
    expect(page.get_by_test_id("remove-member")).to_have_count(0)
    shot(page, "brandadmin-group-viewer")


def test_it_rotates_a_users_api_token_into_a_new_connection_or_shows_it_once(team, browser_as, shot):
    page = browser_as(team.manager)
    page.goto(f"/c/{team.connection.pk}/users/?q=ortiz")
    page.get_by_role("link", name="Sam Ortiz").click()
    page.get_by_role("link", name="API token…").click()
    expect(page.get_by_text("The current token stops working everywhere")).to_be_visible()
    shot(page, "brandadmin-user-token")

    # Without the confirmation nothing happens in Qualtrics.
    page.get_by_role("button", name="Create the new token").click()
    expect(page.get_by_text("Tick this box to confirm")).to_be_visible()
    assert not team.sandbox.calls(method="POST", path_contains="apitoken")

    page.get_by_label("Show it to me once").check()
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Create the new token").click()
    token = page.get_by_test_id("new-token")
    expect(token).to_be_visible()
    assert len(token.input_value()) >= 30
    shot(page, "brandadmin-user-token-once")

    # Rotating again, straight into a new connection of the manager's own.
    page.goto(f"/c/{team.connection.pk}/users/?q=ortiz")
    page.get_by_role("link", name="Sam Ortiz").click()
    page.get_by_role("link", name="API token…").click()
    page.get_by_label("Name of the new connection").fill("Sam's scripts")
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Create the new token").click()
    page.wait_for_url(re.compile(r"/c/\d+/$"))
    expect(page.get_by_test_id("toast").first).to_contain_text("saved into your new connection “Sam's scripts”")
    shot(page, "brandadmin-user-token-saved")


def test_it_edits_and_disables_a_user(team, browser_as, shot):
    page = browser_as(team.operator)
    page.goto(f"/c/{team.connection.pk}/users/?status=disabled")
    expect(page.get_by_test_id("crud-table").get_by_role("row")).to_have_count(4)  # header + 3 disabled
    shot(page, "brandadmin-user-list-filtered")
    page.goto(f"/c/{team.connection.pk}/users/")
    shot(page, "brandadmin-user-list")
    page.get_by_role("link", name="Laura Costa").click()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Last name").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # kept on the page, htmx re-render
    shot(page, "brandadmin-user-edit-invalid")
    page.get_by_label("Last name").fill("Costa-Reis")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("user-name")).to_contain_text("Laura Costa-Reis")
    expect(page.get_by_test_id("toast").first).to_contain_text("Saved")
    page.get_by_test_id("toggle-user").click()
    expect(page.get_by_test_id("confirm-delete")).to_contain_text("stops working at once")
    shot(page, "brandadmin-user-disable-confirm")
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("user-name")).to_contain_text("Disabled")
    expect(page.get_by_test_id("user-groups")).to_contain_text("Marketing Analytics")
    page.get_by_test_id("user-groups").get_by_role("button", name=re.compile("Remove from")).first.click()
    expect(page.get_by_test_id("user-groups")).to_contain_text("Not in any group")
    page.get_by_label("Group", exact=True).select_option(label="Research Ops")
    page.get_by_role("button", name="Add to group").click()
    expect(page.get_by_test_id("user-groups")).to_contain_text("Research Ops")
    shot(page, "brandadmin-user-detail-disabled")
