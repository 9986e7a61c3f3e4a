"""Workflow triggers in the browser against the sandbox: one event, from a contact's page, and a list run sent by a
real worker, checked against what the sandbox recorded."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from workflows.models import ItemState, Run, RunItem, RunState, Trigger

from .conftest import TEMPLATE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_create_a_trigger_and_send_one_event(browser_as, shot, wf):
    page = browser_as(wf.operator)
    page.goto(wf.url("trigger_list"))
    expect(page.get_by_text("No triggers yet")).to_be_visible()
    page.get_by_test_id("new-trigger").click()
    page.get_by_role("textbox", name="Name").fill("Ticket closed")
    page.get_by_label("Trigger URL").fill("https://evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId=x")
    page.get_by_label("Payload template").fill(TEMPLATE)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("error-url")).to_contain_text("must be on the connection's Qualtrics datacenter")
    shot(page, "workflows-trigger-refused-url")
    page.get_by_label("Trigger URL").fill(wf.secured["legacyEventUrl"])
    page.get_by_label("Basic: the connection's username and API token").check()
    shot(page, "workflows-trigger-form")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/workflows/\d+/$"))
    trigger = Trigger.objects.get()
    expect(page.get_by_test_id("trigger-title")).to_have_text("Ticket closed")

    page.get_by_label("Event (JSON)").fill('{"contact": "CID_browser", "ticket": {"id": "T-42", "priority": "low"}}')
    page.get_by_test_id("send-event").click()
    answer = page.get_by_test_id("send-answer")
    expect(answer).to_have_attribute("data-state", "sent")
    request_id = answer.get_by_test_id("send-request-id").inner_text()
    shot(page, "workflows-one-event-sent")
    (event,) = wf.events()
    assert event["eventId"] == request_id and event["authentication"] == "Basic" and event["urlForm"] == "legacy"
    assert event["fields"] == {"ticketId": "T-42", "email": None, "priority": "low"}
    assert RunItem.objects.get().run.trigger == trigger

    page.get_by_label("Event (JSON)").fill('{"contact": ')
    page.get_by_test_id("send-event").click()
    expect(page.get_by_test_id("error-payload")).to_contain_text("not valid JSON")
    assert len(wf.events()) == 1


def test_from_a_contacts_page(browser_as, shot, wf):
    wf.trigger()
    contact = next(iter(wf.client.contacts.list(wf.directory_id).iter_all()))
    page = browser_as(wf.operator)
    page.goto(f"/c/{wf.connection.pk}/directory/{wf.directory_id}/contacts/{contact['contactId']}/")
    page.get_by_test_id("start-workflow").click()
    expect(page.get_by_test_id("for-contact")).to_be_visible()
    page.get_by_role("link", name="Ticket closed").click()
    expect(page.get_by_test_id("send-for-contact")).to_contain_text(contact["contactId"])
    expect(page.get_by_label("Event (JSON)")).to_have_value(re.compile(re.escape(contact["email"])))
    shot(page, "workflows-send-for-a-contact")
    page.get_by_test_id("send-event").click()
    expect(page.get_by_test_id("send-answer")).to_have_attribute("data-state", "sent")
    (event,) = wf.events()
    assert event["body"]["contact"] == contact["contactId"] and event["body"]["email"] == contact["email"]


def test_a_list_run_sent_by_a_worker(browser_as, shot, wf, celery_worker):
    list_id = wf.new_list("Browser pulse", 60)
    wf.trigger()
    page = browser_as(wf.operator)
    page.goto(wf.url("trigger_list"))
    page.get_by_role("link", name="Ticket closed").click()
    expect(page.get_by_label("Directory")).to_have_value(wf.directory_id)  # the brand's only one
    page.locator(f"#id_mailing_list_id option[value='{list_id}']").wait_for(state="attached")
    page.get_by_label("Mailing list").select_option(list_id)
    shot(page, "workflows-list-run-form")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("start-list-run").click()
    expect(page).to_have_url(re.compile(r"/workflows/runs/\d+/$"))
    run = Run.objects.get()
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_test_id("count-sent")).to_have_text("60")
    expect(page.get_by_test_id("count-failed")).to_have_text("0")
    shot(page, "workflows-list-run-done")
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert set(RunItem.objects.filter(run=run).values_list("state", flat=True)) == {ItemState.SENT}
    received = wf.contacts_received(wf.secured["id"])
    assert received == {m["contactId"]: 1 for m in wf.members(list_id)}

    page.get_by_role("link", name="Ticket closed").click()
    expect(page.get_by_test_id("run-history")).to_contain_text("Members of Browser pulse")
    shot(page, "workflows-trigger-with-history")


def test_a_run_with_failures_lists_them_and_retries(browser_as, shot, wf):
    from workflows import services

    from .conftest import drain

    list_id = wf.new_list("Some fail", 5)
    run = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.operator, directory_id=wf.directory_id,
                                        mailing_list_id=list_id))
    items = list(RunItem.objects.filter(run=run))
    RunItem.objects.filter(pk=items[0].pk).update(state=ItemState.FAILED, status=400, request_id="rid-400",
                                                  error="Qualtrics answered 400: “The event body is not valid”.")
    RunItem.objects.filter(pk=items[1].pk).update(
        state=ItemState.IN_DOUBT, error="The worker sending this event (w1:42) stopped before Qualtrics' answer "
                                        "was recorded. The event may have arrived.")
    page = browser_as(wf.operator)
    page.goto(run.get_absolute_url())
    expect(page.get_by_test_id("count-failed")).to_have_text("1")
    expect(page.get_by_test_id("count-in-doubt")).to_have_text("1")
    expect(page.get_by_test_id("problem-row")).to_have_count(2)
    shot(page, "workflows-run-with-failures")
    page.get_by_test_id("retry-failed").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Sending 1 event again")
    assert RunItem.objects.get(pk=items[0].pk).state == ItemState.PENDING
    assert RunItem.objects.get(pk=items[1].pk).state == ItemState.IN_DOUBT
