"""Every action reachable by keyboard: a person who does not use a mouse skips the navigation, switches
connections, shares a connection in its dialog and reaches a delete confirmation, with Tab, Enter and Escape."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import make_team


def tab_to(page, name: str | re.Pattern, *, limit: int = 80) -> None:
    """Press Tab until the focused element's text (or label) is `name`; fails when it never is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.getAttribute("
                                "'aria-label') || document.activeElement.value || '').trim()")
        if (name.search(focused) if isinstance(name, re.Pattern) else focused == name):
            return
    raise AssertionError(f"{name!r} was not reached with {limit} presses of Tab")


def test_a_keyboard_user_skips_the_navigation_switches_connection_and_shares(browser_as, shot, live):
    make_team("Field research", live.viewer)
    page = browser_as(live.owner)
    page.goto(live.connection.get_absolute_url())

    page.keyboard.press("Tab")
    expect(page.get_by_test_id("skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    tab_to(page, "Share")
    page.keyboard.press("Enter")
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog).to_be_visible()
    team = dialog.get_by_label("Team")
    for _ in range(40):  # Tab until the team select has the focus (its text alone would match the dialog)
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "id_team":
            break
    expect(team).to_be_focused()
    # Reached by Tab; how a native select's list is worked by keys is the browser's own (and differs by
    # platform in headless Chromium), so the option is chosen on the focused select directly.
    team.select_option(label="Field research")
    expect(team).to_be_focused()
    tab_to(page, "Share")  # the dialog's own button (focus stays inside the dialog)
    expect(dialog.get_by_test_id("add-share")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("share-saved")).to_contain_text("Field research is now viewer.")
    shot(page, "keyboard-share-dialog")
    page.keyboard.press("Escape")
    expect(page.locator("#modal")).to_be_hidden()

    page.goto(live.connection.get_absolute_url())
    tab_to(page, re.compile(r"^" + re.escape(live.connection.name)))  # the connection switcher
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("connection-switcher").locator(".dropdown-menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("connection-switcher").locator(".dropdown-menu")).to_be_hidden()

    tab_to(page, "Delete")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirm-delete")).to_contain_text(live.connection.name)
    shot(page, "keyboard-delete-confirmation")
