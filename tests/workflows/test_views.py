"""Workflow trigger screens with every persona, htmx and not, against the sandbox."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from connections.models import AuditEvent
from workflows.models import ItemState, Run, RunItem, RunKind, RunState, Trigger

from .conftest import TEMPLATE, drain

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


def trigger_post(wf, **overrides) -> dict:
    data = {"name": "Ticket closed", "description": "After support closes a ticket", "url": wf.secured["eventUrl"],
            "auth": "token", "payload_template": TEMPLATE}
    data.update(overrides)
    return data


class TestAccess:
    def screens(self, wf):
        trigger = wf.trigger()
        run = drain(Run.objects.get(pk=_single_run(wf, trigger).pk))
        gets = [wf.url("trigger_list"), wf.url("trigger_create"), wf.url("trigger_detail", trigger_id=trigger.pk),
                wf.url("trigger_edit", trigger_id=trigger.pk), wf.url("trigger_delete", trigger_id=trigger.pk),
                wf.url("run_detail", run_id=run.pk), wf.url("mailing_list_options")]
        posts = [wf.url("trigger_send", trigger_id=trigger.pk), wf.url("run_start_list", trigger_id=trigger.pk),
                 wf.url("run_start_search", trigger_id=trigger.pk), wf.url("run_retry", run_id=run.pk),
                 wf.url("run_cancel", run_id=run.pk), wf.url("run_resume", run_id=run.pk),
                 wf.url("trigger_create"), wf.url("trigger_delete", trigger_id=trigger.pk)]
        return gets, posts

    def test_anonymous_users_go_to_login(self, client, wf):
        gets, posts = self.screens(wf)
        for target in gets:
            assert client.get(target).status_code == 302, target
        for target in posts:
            response = client.post(target, {"payload": "{}"})
            assert response.status_code == 302 and reverse("login") in response["Location"], target

    def test_outsiders_get_404_everywhere(self, login, wf, hx):
        gets, posts = self.screens(wf)
        client = login(wf.outsider)
        for target in gets:
            assert client.get(target).status_code == 404, target
            assert client.get(target, **hx).status_code == 404, target
        for target in posts:
            assert client.post(target, {"payload": "{}"}).status_code == 404, target
        assert len(wf.events()) == 1  # only the one the setup sent

    def test_viewers_are_refused_everywhere(self, login, wf, hx):
        gets, posts = self.screens(wf)
        client = login(wf.viewer)
        for target in gets:
            response = client.get(target)
            assert response.status_code == 403, target
            assert "operator role" in body(response)
        for target in posts:
            assert client.post(target, {"payload": "{}"}, **hx).status_code == 403, target
        assert len(wf.events()) == 1 and Trigger.objects.count() == 1

    @pytest.mark.parametrize("who", ["operator", "team_operator", "manager", "owner"])
    def test_operators_and_managers_use_them(self, login, wf, who, hx):
        gets, _posts = self.screens(wf)
        client = login(getattr(wf, who))
        for target in gets[:-1]:
            assert client.get(target).status_code == 200, target
        assert client.get(gets[0], **hx).status_code == 200


def _single_run(wf, trigger):
    from workflows import services

    return services.run_send_one(trigger=trigger, actor=wf.owner, payload='{"contact": "setup"}').run


class TestTriggerForm:
    def test_create_then_edit(self, login, wf, hx):
        client = login(wf.operator)
        response = client.post(wf.url("trigger_create"), trigger_post(wf), **hx)
        trigger = Trigger.objects.get()
        assert response.status_code == 200 and response["HX-Redirect"] == trigger.get_absolute_url()
        assert (trigger.url, trigger.url_form, trigger.created_by) == (wf.secured["eventUrl"], "urlTokenId",
                                                                      wf.operator)
        assert AuditEvent.objects.filter(action="workflow.trigger.create", actor=wf.operator).exists()
        client.post(wf.url("trigger_edit", trigger_id=trigger.pk),
                    trigger_post(wf, url=wf.secured["legacyEventUrl"], auth="basic"))
        trigger.refresh_from_db()
        assert trigger.url_form == "legacy" and trigger.auth == "basic"

    @pytest.mark.parametrize(("field", "value", "words"), [
        ("url", "https://evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId=x",
         "must be on the connection"),
        ("url", "http://localhost:1/inbound-event/v1/events/json/triggers?urlTokenId=x", "must be on the connection"),
        ("url", "javascript:alert(1)", "http(s) URL"),
        ("url", "SANDBOX/API/v3/whoami", "not a JSON-event trigger URL"),
        ("payload_template", '{"a": {{email}}}', "Placeholders go inside strings"),
        ("payload_template", '{"a": "{{nope}}"}', "Unknown field"),
    ])
    def test_bad_input_is_explained_on_its_field(self, login, wf, hx, field, value, words):
        value = value.replace("SANDBOX", wf.sandbox.root_url)
        response = login(wf.operator).post(wf.url("trigger_create"), trigger_post(wf, **{field: value}), **hx)
        page = body(response)
        assert response.status_code == 200 and f'data-testid="error-{field}"' in page and words in page
        assert not Trigger.objects.exists()

    def test_basic_without_a_username_says_where_to_add_it(self, login, wf, hx):
        wf.connection.qualtrics_username = ""
        wf.connection.save(update_fields=["qualtrics_username"])
        page = body(login(wf.operator).post(wf.url("trigger_create"), trigger_post(wf, auth="basic"), **hx))
        assert 'data-testid="error-auth"' in page and "connection&#x27;s page" in page

    def test_delete_asks_then_deletes(self, login, wf, hx):
        trigger = wf.trigger()
        client = login(wf.operator)
        assert 'data-testid="confirm-delete"' in body(client.get(wf.url("trigger_delete", trigger_id=trigger.pk),
                                                                 **hx))
        client.post(wf.url("trigger_delete", trigger_id=trigger.pk), **hx)
        assert not Trigger.objects.exists()

    def test_a_trigger_of_another_connection_is_not_found(self, login, wf):
        from tests.factories import make_connection
        from workflows.models import Trigger as T

        other = make_connection(wf.owner, name="Other")
        trigger = T.objects.create(connection=other, name="Elsewhere", url="https://x", url_form="urlTokenId",
                                   payload_template="{}")
        assert login(wf.owner).get(wf.url("trigger_detail", trigger_id=trigger.pk)).status_code == 404


class TestSendOne:
    def test_the_answer_shows_and_the_sandbox_has_the_event(self, login, wf, hx):
        trigger = wf.trigger()
        page = body(login(wf.operator).get(trigger.get_absolute_url()))
        assert "{{" not in page.split('id="id_payload"')[1].split("</textarea>")[0]  # prefilled, blanks filled
        response = login(wf.operator).post(wf.url("trigger_send", trigger_id=trigger.pk),
                                           {"payload": '{"contact": "CID_web", "ticket": {"id": "T-9"}}'}, **hx)
        page = body(response)
        item = RunItem.objects.get()
        assert 'data-testid="send-answer" data-state="sent"' in page and item.request_id in page
        assert "<html" not in page
        (event,) = wf.events()
        assert event["eventId"] == item.request_id and event["fields"]["ticketId"] == "T-9"
        assert item.run.created_by == wf.operator

    def test_without_htmx_the_page_comes_back_with_the_answer(self, login, wf):
        trigger = wf.trigger()
        response = login(wf.operator).post(wf.url("trigger_send", trigger_id=trigger.pk), {"payload": "{}"})
        assert "<html" in body(response) and 'data-testid="send-answer"' in body(response)

    @pytest.mark.parametrize(("payload", "words"), [
        ('{"a": 1,', "not valid JSON"),
        ("not json", "not valid JSON"),
        (json.dumps({"blob": "x" * (100 * 1024)}), "at most 100 KB"),
    ])
    def test_bad_payloads_are_refused_before_sending(self, login, wf, hx, payload, words):
        trigger = wf.trigger()
        page = body(login(wf.operator).post(wf.url("trigger_send", trigger_id=trigger.pk), {"payload": payload}, **hx))
        assert 'data-testid="error-payload"' in page and words in page
        assert wf.events() == [] and not Run.objects.exists()

    def test_a_refusal_by_qualtrics_is_shown(self, login, wf, hx):
        url = wf.secured["eventUrl"].split("urlTokenId=")[0] + "urlTokenId=00000000-0000-0000-0000-000000000000"
        trigger = wf.trigger(url=url)
        page = body(login(wf.operator).post(wf.url("trigger_send", trigger_id=trigger.pk), {"payload": "{}"}, **hx))
        assert 'data-testid="send-answer" data-state="pending"' in page
        assert 'data-testid="send-error"' in page and "knows no trigger at this URL" in page
        assert "rate budget" not in page
        assert Run.objects.get().state == RunState.HELD


class TestFromAContact:
    def contact(self, wf):
        return next(iter(wf.client.contacts.list(wf.directory_id).iter_all()))

    def test_the_contact_page_leads_operators_to_the_triggers(self, login, wf):
        contact = self.contact(wf)
        target = reverse("contacts:contact_detail", kwargs={"connection_id": wf.connection.pk,
                                                            "directory_id": wf.directory_id,
                                                            "contact_id": contact["contactId"]})
        page = body(login(wf.operator).get(target))
        link = f'{wf.url("trigger_list")}?directory_id={wf.directory_id}&amp;contact_id={contact["contactId"]}'
        assert f'href="{link}"' in page
        assert 'data-testid="start-workflow"' not in body(login(wf.viewer).get(target))

    def test_the_trigger_opens_with_the_contacts_fields(self, login, wf, hx):
        trigger = wf.trigger()
        contact = self.contact(wf)
        query = f"?directory_id={wf.directory_id}&contact_id={contact['contactId']}"
        listing = body(login(wf.operator).get(wf.url("trigger_list") + query))
        assert 'data-testid="for-contact"' in listing
        assert f'{trigger.get_absolute_url()}?directory_id={wf.directory_id}&amp;contact_id=' in listing
        page = body(login(wf.operator).get(trigger.get_absolute_url() + query))
        assert 'data-testid="send-for-contact"' in page
        payload = page.split('id="id_payload"')[1].split("</textarea>")[0]
        assert contact["contactId"] in payload and contact["email"] in payload
        login(wf.operator).post(wf.url("trigger_send", trigger_id=trigger.pk), {
            "payload": json.dumps({"contact": contact["contactId"]}), "contact_id": contact["contactId"],
            "label": "From the page"}, **hx)
        item = RunItem.objects.get()
        assert item.contact_id == contact["contactId"] and item.label == "From the page"
        assert wf.contacts_received() == {contact["contactId"]: 1}

    def test_an_unknown_contact_is_explained(self, login, wf):
        trigger = wf.trigger()
        page = body(login(wf.operator).get(trigger.get_absolute_url()
                                           + f"?directory_id={wf.directory_id}&contact_id=CID_doesnotexist01"))
        assert 'data-testid="qualtrics-error"' in page


class TestRunScreens:
    def test_starting_a_list_run_goes_to_its_progress(self, login, wf, hx, no_broker):
        list_id = wf.new_list("Screens", 3)
        trigger = wf.trigger()
        client = login(wf.operator)
        options = body(client.get(wf.url("mailing_list_options") + f"?directory_id={wf.directory_id}", **hx))
        assert f'value="{list_id}"' in options and "Screens (3 members)" in options
        chosen = body(client.get(wf.url("mailing_list_options")
                                 + f"?directory_id={wf.directory_id}&mailing_list_id={list_id}", **hx))
        assert f'value="{list_id}" selected' in chosen
        response = client.post(wf.url("run_start_list", trigger_id=trigger.pk),
                               {"directory_id": wf.directory_id, "mailing_list_id": list_id,
                                "skip_opted_out": "on"}, **hx)
        run = Run.objects.get()
        assert response["HX-Redirect"] == run.get_absolute_url()
        assert run.kind == RunKind.LIST and run.source_label == "Members of Screens" and run.created_by == wf.operator
        progress = client.get(run.get_absolute_url() + "?partial=progress", **hx)
        assert progress.status_code == 200 and "Reading the members" in body(progress)
        drain(run)
        done = client.get(run.get_absolute_url() + "?partial=progress", **hx)
        assert done.status_code == 286 and 'data-testid="count-sent">3<' in body(done)
        history = body(client.get(trigger.get_absolute_url()))
        assert "Members of Screens" in history and 'data-state="done"' in history

    def test_a_list_run_needs_a_list(self, login, wf, hx):
        trigger = wf.trigger()
        page = body(login(wf.operator).post(wf.url("run_start_list", trigger_id=trigger.pk),
                                            {"directory_id": wf.directory_id, "mailing_list_id": ""}, **hx))
        assert 'data-testid="error-mailing_list_id"' in page and not Run.objects.exists()

    def test_a_search_run_from_the_page(self, login, wf, hx):
        wf.new_list("Searchable", 3)
        trigger = wf.trigger()
        response = login(wf.operator).post(wf.url("run_start_search", trigger_id=trigger.pk), {
            "directory_id": wf.directory_id, "field": "extRef", "comparison": "contains", "value": "BULK-",
            "key": ""}, **hx)
        run = Run.objects.get()
        assert response["HX-Redirect"] == run.get_absolute_url() and run.search["value"] == "BULK-"
        page = body(login(wf.operator).post(wf.url("run_start_search", trigger_id=trigger.pk), {
            "directory_id": wf.directory_id, "field": "embeddedData", "comparison": "eq", "value": "gold"}, **hx))
        assert 'data-testid="error-key"' in page

    def test_failures_are_listed_and_retried_from_the_page(self, login, wf, hx):
        list_id = wf.new_list("Retry me", 3)
        trigger = wf.trigger()
        from workflows import services

        run = services.run_start_list(trigger=trigger, actor=wf.operator, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        run = drain(run)
        RunItem.objects.filter(run=run).update(state=ItemState.FAILED, error="Qualtrics answered 400: “No”.")
        client = login(wf.operator)
        page = body(client.get(run.get_absolute_url()))
        assert page.count('data-testid="problem-row"') == 3 and 'data-testid="retry-failed"' in page
        item = RunItem.objects.filter(run=run).first()
        client.post(wf.url("run_retry", run_id=run.pk), {"item": item.pk})
        assert RunItem.objects.get(pk=item.pk).state == ItemState.PENDING
        client.post(wf.url("run_retry", run_id=run.pk), {"which": "failed"}, **hx)
        run = drain(run)
        assert set(RunItem.objects.filter(run=run).values_list("state", flat=True)) == {ItemState.SENT}
        assert AuditEvent.objects.filter(action="workflow.run.retry").count() == 2

    def test_cancel_and_resume_from_the_page(self, login, wf, hx):
        url = wf.secured["eventUrl"].split("urlTokenId=")[0] + "urlTokenId=00000000-0000-0000-0000-000000000000"
        list_id = wf.new_list("Held", 2)
        from workflows import services

        run = drain(services.run_start_list(trigger=wf.trigger(url=url), actor=wf.owner,
                                            directory_id=wf.directory_id, mailing_list_id=list_id))
        client = login(wf.operator)
        page = body(client.get(run.get_absolute_url()))
        assert 'data-testid="held-reason"' in page and 'data-testid="resume-run"' in page
        client.post(wf.url("run_resume", run_id=run.pk))
        run.refresh_from_db()
        assert run.state == RunState.SENDING
        client.post(wf.url("run_cancel", run_id=run.pk), **hx)
        run.refresh_from_db()
        assert run.state == RunState.CANCELLED
        response = client.post(wf.url("run_cancel", run_id=run.pk))
        assert response.status_code == 302
