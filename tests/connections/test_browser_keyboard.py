"""Every action reachable by keyboard: a person who does not use a mouse skips the navigation, opens a
connection's share dialog and shares the connection from it, opens the connection switcher and reaches a delete
confirmation, with Tab, Enter, typing and Escape."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def tab_to(page, name: str | re.Pattern, *, limit: int = 80) -> None:
    """Press Tab until the focused element's text (or label) is `name`; fails when it never is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.getAttribute("
                                "'aria-label') || document.activeElement.value || '').trim()")
        if (name.search(focused) if isinstance(name, re.Pattern) else focused == name):
            return
    raise AssertionError(f"{name!r} was not reached with {limit} presses of Tab")


def focus_on(page, element_id: str, *, limit: int = 40) -> None:
    """Press Tab until the element with `element_id` has the focus; fails when it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} was not reached with {limit} presses of Tab")


def test_a_keyboard_user_skips_the_navigation_shares_in_the_dialog_and_opens_the_switcher(browser_as, shot, live):
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
    expect(page.locator("#modal")).to_be_focused()  # the open dialog holds the focus, not the page behind it
    shot(page, "keyboard-share-dialog")
    focus_on(page, "id_user")  # through the shares' role selects and Remove buttons to the form
    page.keyboard.type("osc")  # a select's type-ahead: the person whose name starts so
    expect(page.locator("#id_user")).to_have_value(str(live.outsider.pk))
    page.keyboard.press("Tab")  # past the team select (a person or a team) to the role
    page.keyboard.press("Tab")
    page.keyboard.type("o")
    expect(page.locator("#id_role")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Share button
    expect(page.get_by_test_id("share-saved")).to_have_text(f"{live.outsider.get_username()} is now operator.")
    expect(page.locator("#modal")).to_be_focused()  # the swapped dialog still holds the focus
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
