"""The API console in the browser against the sandbox: a GET with paging, a confirmed POST, and what it refuses."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from apiconsole.models import ConsoleCall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_row(page, table: str, index: int, name: str, value: str) -> None:
    rows = page.locator(f"#{table} tr")
    while rows.count() <= index:
        page.locator(f"[data-add-row='#{table}']").click()
    rows.nth(index).locator("input").nth(0).fill(name)
    rows.nth(index).locator("input").nth(1).fill(value)


def test_a_get_with_paging(browser_as, shot, console):
    page = browser_as(console.manager)
    page.goto(console.url())
    expect(page.get_by_role("heading", name="API console")).to_be_visible()
    expect(page.get_by_role("link", name="API console")).to_be_visible()  # in the navigation
    page.get_by_label("Path").fill("/surveys")
    fill_row(page, "query-rows", 0, "pageSize", "1")
    page.get_by_test_id("send").click()
    answer = page.get_by_test_id("console-answer")
    expect(answer.get_by_test_id("answer-status")).to_have_text("200 OK")
    request_id = answer.get_by_test_id("answer-request-id").inner_text()
    expect(answer.get_by_test_id("answer-body")).to_contain_text('"elements"')
    expect(answer.get_by_test_id("answer-body")).to_contain_text('"nextPage"')
    shot(page, "console-get-first-page")

    # The body folds: closing "result" hides its elements.
    result = answer.locator("details.json-node[data-path='$.result']")
    expect(result).to_have_attribute("open", "")
    result.locator("> summary").click()
    expect(result.locator("> .json-children")).to_be_hidden()

    answer.get_by_test_id("next-page").click()
    expect(page.get_by_test_id("answer-request-id")).not_to_have_text(request_id)
    expect(page.get_by_test_id("answer-status")).to_have_text("200 OK")
    expect(page.locator("#query-rows input[value='offset']")).to_have_count(1)
    shot(page, "console-get-next-page")
    calls = console.calls(method="GET", path_contains="/surveys")
    assert [c["query"] for c in calls] == ["pageSize=1", "pageSize=1&offset=1"]
    expect(page.get_by_test_id("call-history")).to_contain_text("GET /surveys")


def test_a_confirmed_post(browser_as, shot, console):
    directory = console.sandbox.brand("acme")["defaultDirectoryId"]
    page = browser_as(console.owner)
    page.goto(console.url())
    page.get_by_label("Method").select_option("POST")
    page.get_by_label("Path").fill(f"/directories/{directory}/mailinglists")
    page.get_by_label("Body (JSON)").fill(json.dumps({"name": "Made in the console"}, indent=2))
    page.get_by_test_id("send").click()
    confirm = page.get_by_test_id("confirm-write")
    expect(confirm).to_contain_text(f"Send POST /directories/{directory}/mailinglists to Qualtrics?")
    assert console.calls(method="POST") == []
    shot(page, "console-post-confirmation")
    confirm.get_by_test_id("confirm-send").click()
    answer = page.get_by_test_id("console-answer")
    expect(answer.get_by_test_id("answer-status")).to_have_text("200 OK")
    expect(answer.get_by_test_id("answer-body")).to_contain_text('"id"')
    shot(page, "console-post-sent")
    (created,) = console.calls(method="POST", path_contains="/mailinglists")
    assert created["body"] == {"name": "Made in the console"}
    assert ConsoleCall.objects.get(method="POST").request_id == created["requestId"]

    # Copy as curl: the token is an environment variable.
    page.get_by_test_id("copy-as-curl").click()
    expect(page.get_by_test_id("curl")).to_contain_text("$QUALTRICS_API_TOKEN")
    assert console.token not in page.content()
    shot(page, "console-curl")


def test_refused_paths_and_headers(browser_as, shot, console):
    page = browser_as(console.manager)
    page.goto(console.url())
    page.get_by_label("Path").fill("https://evil.example.com/API/v3/whoami")
    fill_row(page, "header-rows", 0, "X-API-TOKEN", "someone-elses-token")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-path")).to_contain_text("absolute URLs are not allowed")
    expect(page.get_by_test_id("error-headers")).to_contain_text("the portal adds the connection's authentication")
    shot(page, "console-refused")

    page.get_by_label("Path").fill("/users/%252e%252e/%252e%252e/_sandbox/info")
    page.locator("#header-rows tr").first.locator("input").nth(0).fill("Authorization")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-path")).to_contain_text("'..'")
    expect(page.get_by_test_id("error-headers")).to_contain_text("Authorization header is refused")

    page.get_by_label("Path").fill("/whoami")
    page.locator("#header-rows tr").first.locator("input").nth(0).fill("")
    page.locator("#header-rows tr").first.locator("input").nth(1).fill("")
    page.get_by_label("Method").select_option("PATCH")
    page.get_by_label("Body (JSON)").fill('{"firstName": "Ann",}')
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-body")).to_contain_text("not valid JSON")
    assert console.calls() == [] and not ConsoleCall.objects.exists()
