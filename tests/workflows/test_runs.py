"""Runs against the sandbox, their steps done here as a worker would: each member's event once, what fails is
listed and can be sent again, what may have arrived is never sent again by itself."""

from __future__ import annotations

import datetime
import json
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.models import AuditEvent
from qualtrics import BadRequestError
from workflows import services
from workflows.models import Auth, ItemState, Run, RunItem, RunKind, RunState
from workflows.services import sending

from .conftest import TEMPLATE, drain

pytestmark = pytest.mark.django_db


def states(run) -> Counter:
    return Counter(RunItem.objects.filter(run=run).values_list("state", flat=True))


class TestListRun:
    def test_every_member_gets_one_event_with_their_fields(self, wf, no_broker):
        list_id = wf.new_list("Pulse", 120)
        trigger = wf.trigger()
        run = services.run_start_list(trigger=trigger, actor=wf.operator, directory_id=wf.directory_id,
                                      mailing_list_id=list_id, mailing_list_name="Pulse")
        assert run.state == RunState.PLANNING and run.source_label == "Members of Pulse"
        run = drain(run)
        assert run.state == RunState.DONE and run.members_read == 120
        assert states(run) == {ItemState.SENT: 120}
        members = wf.members(list_id)
        received = wf.contacts_received(wf.secured["id"])
        assert received == Counter({m["contactId"]: 1 for m in members})
        event = next(e for e in wf.events() if e["body"]["contact"] == members[0]["contactId"])
        assert event["body"] == {"contact": members[0]["contactId"], "email": members[0]["email"],
                                 "ticket": {"id": f"T-{members[0]['extRef']}", "priority": "high"}}
        assert event["authentication"] == "X-API-TOKEN" and event["fields"]["ticketId"] == f"T-{members[0]['extRef']}"
        item = RunItem.objects.get(run=run, contact_id=members[0]["contactId"])
        assert item.status == 200 and item.request_id == event["eventId"] and item.attempts == 1
        assert item.label == f"{members[0]['firstName']} {members[0]['lastName']} <{members[0]['email']}>"

    def test_every_event_and_the_run_are_audited_with_request_ids(self, wf):
        list_id = wf.new_list("Audited", 3)
        run = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.operator, directory_id=wf.directory_id,
                                            mailing_list_id=list_id))
        posts = AuditEvent.objects.filter(action="qualtrics.post", target__contains="/inbound-event/")
        assert posts.count() == 3 and all(e.request_id for e in posts)
        request_ids = set(RunItem.objects.filter(run=run).values_list("request_id", flat=True))
        assert {e.request_id for e in posts} == request_ids
        assert all(e.actor == wf.operator for e in posts)
        assert AuditEvent.objects.filter(action="workflow.run.start", actor=wf.operator).count() == 1
        finish = AuditEvent.objects.get(action="workflow.run.finish")
        assert finish.detail == "3 sent" and finish.outcome == "ok"
        for event in AuditEvent.objects.all():
            text = f"{event.target} {event.detail}"
            assert wf.token not in text and wf.secured["urlTokenId"] not in text

    def test_basic_authentication_with_the_connections_username(self, wf):
        list_id = wf.new_list("Basic", 2)
        trigger = wf.trigger(url=wf.secured["legacyEventUrl"], auth=Auth.BASIC)
        drain(services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id))
        events = wf.events()
        assert [(e["authentication"], e["urlForm"]) for e in events] == [("Basic", "legacy")] * 2

    def test_members_who_opted_out_are_left_out_unless_asked(self, wf):
        list_id = wf.new_list("Opt-outs", 4)
        out = wf.members(list_id)[1]
        wf.client.mailing_lists.members.update(wf.directory_id, list_id, out["contactId"], unsubscribed=True)
        run = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                            mailing_list_id=list_id))
        assert run.members_read == 4 and run.members_skipped == 1
        assert out["contactId"] not in wf.contacts_received()
        again = drain(services.run_start_list(trigger=wf.trigger(name="Everyone"), actor=wf.owner,
                                              directory_id=wf.directory_id, mailing_list_id=list_id,
                                              skip_opted_out=False))
        assert states(again) == {ItemState.SENT: 4}

    def test_embedded_data_is_read_only_when_the_template_uses_it(self, wf):
        list_id = wf.new_list("Embedded", 2)
        plain = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                              mailing_list_id=list_id))
        reads = [c["query"] for c in wf.sandbox.calls(method="GET", path_contains=f"/mailinglists/{list_id}/contacts")]
        assert all("includeEmbedded" not in q for q in reads)
        trigger = wf.trigger(name="With source", template='{"source": "{{embeddedData.Source}}", "c": "{{contactId}}"}')
        drain(services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id))
        assert {e["body"]["source"] for e in wf.events()[-2:]} == {"bulk"}
        assert plain.state == RunState.DONE
        # Only the fields the template uses are kept.
        assert all(set(i.fields) == {"embeddedData.Source", "contactId"} for i in RunItem.objects.exclude(run=plain))

    def test_a_list_that_does_not_exist_holds_the_run(self, wf):
        run = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                            mailing_list_id="CG_doesnotexist0"))
        assert run.state == RunState.HELD and run.held_reason.startswith("Could not read the members")
        assert wf.events() == []


class TestSearchRun:
    def test_every_contact_the_search_finds(self, wf):
        wf.new_list("Search me", 25)
        run = services.run_start_search(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                         field="extRef", comparison="contains", value="BULK-")
        assert run.source_label == "Contacts whose extRef contains “BULK-”"
        run = drain(run)
        assert run.state == RunState.DONE and states(run) == {ItemState.SENT: 25}
        assert set(wf.contacts_received()) == set(RunItem.objects.filter(run=run).values_list("contact_id", flat=True))

    def test_the_search_form_is_checked(self, wf):
        with pytest.raises(ValidationError) as caught:
            services.run_start_search(trigger=wf.trigger(), actor=wf.owner, directory_id="", field="nope",
                                      comparison="like", value=" ", key="")
        assert set(caught.value.message_dict) == {"directory_id", "field", "comparison", "value"}
        with pytest.raises(ValidationError) as caught:
            services.run_start_search(trigger=wf.trigger(name="Other"), actor=wf.owner, directory_id="POOL_1",
                                      field="embeddedData", comparison="eq", value="gold")
        assert set(caught.value.message_dict) == {"key"}


class TestExactlyOnce:
    def test_a_page_read_again_adds_nobody_twice(self, wf):
        list_id = wf.new_list("Paged", 120)  # three pages of 50
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        quick = services.Tuning(senders=1, step_seconds=0)
        assert services.run_plan(run_id=run.pk, tuning=quick) == 0.0  # one page, then the step ends
        run.refresh_from_db()
        assert run.members_read == 50 and run.plan_cursor and RunItem.objects.filter(run=run).count() == 50
        Run.objects.filter(pk=run.pk).update(plan_cursor="")  # as if the cursor had not been kept
        run = drain(run)
        assert RunItem.objects.filter(run=run).count() == 120 and states(run) == {ItemState.SENT: 120}
        assert set(wf.contacts_received().values()) == {1}

    def test_a_planner_that_died_leaves_its_lease_to_expire_then_the_next_resumes(self, wf):
        list_id = wf.new_list("Lease", 60)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        Run.objects.filter(pk=run.pk).update(lease_token="dead", lease_expires_at=timezone.now()
                                             + datetime.timedelta(seconds=60))
        assert services.run_plan(run_id=run.pk) is None  # the lease still holds
        assert RunItem.objects.filter(run=run).count() == 0
        Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
                                             created_at=timezone.now() - datetime.timedelta(minutes=2))
        sweep = services.runs_sweep(stale_after=datetime.timedelta(minutes=5))
        assert sweep["planners"] == 1
        assert states(drain(run)) == {ItemState.SENT: 60}

    def test_only_one_claim_wins_an_item(self, wf):
        list_id = wf.new_list("Claims", 2)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        services.run_plan(run_id=run.pk)
        run.refresh_from_db()
        first = sending.claim_next(run, "w1")
        second = sending.claim_next(run, "w2")
        assert first.pk != second.pk and sending.claim_next(run, "w3") is None
        assert RunItem.objects.filter(pk=first.pk, state=ItemState.PENDING).update(state=ItemState.PENDING) == 0
        # A stale claim cannot record over the current one.
        stale = RunItem.objects.get(pk=first.pk)
        stale.claim_token = "someone-else"
        assert sending.send_item(run, stale, wf.client) == "lost"
        assert RunItem.objects.get(pk=first.pk).state == ItemState.SENDING

    def test_an_event_left_mid_call_may_have_arrived_and_is_never_sent_again_by_itself(self, wf):
        list_id = wf.new_list("Crash", 5)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        services.run_plan(run_id=run.pk)
        run.refresh_from_db()
        crashed = sending.claim_next(run, "dead-worker:1")  # claimed, then the worker died mid-call
        RunItem.objects.filter(pk=crashed.pk).update(claimed_at=timezone.now() - datetime.timedelta(hours=1))
        run = drain(run)
        assert run.state == RunState.SENDING  # one event still on its way as far as anyone knows
        result = services.runs_sweep()
        assert result["in_doubt"] == 1
        run.refresh_from_db()
        assert run.state == RunState.DONE
        crashed.refresh_from_db()
        assert crashed.state == ItemState.IN_DOUBT and "dead-worker:1" in crashed.error
        assert crashed.contact_id not in wf.contacts_received()  # (here it never left; the portal cannot know)
        assert states(drain(run)) == {ItemState.SENT: 4, ItemState.IN_DOUBT: 1}
        # A person decides to send it again.
        assert services.run_retry(run=run, actor=wf.owner, states=(ItemState.IN_DOUBT,)) == 1
        assert states(drain(run)) == {ItemState.SENT: 5}
        assert set(wf.contacts_received().values()) == {1}
        assert AuditEvent.objects.filter(action="workflow.run.retry", actor=wf.owner).exists()


class TestFailures:
    def test_a_refused_event_is_listed_and_can_be_sent_again(self, wf, monkeypatch):
        list_id = wf.new_list("Refusals", 4)
        victim = wf.members(list_id)[2]["contactId"]
        real = sending.send_item

        def refusing(run, item, client):
            if item.contact_id == victim and item.attempts == 1:
                original = client.workflows.send_event

                def refuse(*args, **kwargs):
                    raise BadRequestError("The event body is not valid JSON", status=400, code="WF_400",
                                          request_id="rid-refused")

                client.workflows.send_event = refuse
                try:
                    return real(run, item, client)
                finally:
                    client.workflows.send_event = original
            return real(run, item, client)

        monkeypatch.setattr(sending, "send_item", refusing)
        run = drain(services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                            mailing_list_id=list_id))
        assert run.state == RunState.DONE and states(run) == {ItemState.SENT: 3, ItemState.FAILED: 1}
        failed = RunItem.objects.get(run=run, state=ItemState.FAILED)
        assert failed.contact_id == victim and failed.status == 400 and failed.request_id == "rid-refused"
        assert "not valid JSON" in failed.error and "(WF_400)" in failed.error
        assert AuditEvent.objects.get(action="workflow.run.finish").outcome == "failed"
        assert services.run_retry(run=run, actor=wf.operator) == 1
        run = drain(run)
        assert states(run) == {ItemState.SENT: 4} and run.state == RunState.DONE
        assert wf.contacts_received()[victim] == 1

    def test_an_event_over_100_kb_is_not_sent(self, wf):
        list_id = wf.new_list("Big", 2)
        big = wf.members(list_id)[0]
        wf.client.contacts.update(wf.directory_id, big["contactId"], embedded_data={"Notes": "x" * 1000})
        # Small for everyone else; for the one with long notes, 110 copies of them make it 110 KB.
        copies = ", ".join(f'"n{n}": "{{{{embeddedData.Notes}}}}"' for n in range(110))
        trigger = wf.trigger(template=f'{{"c": "{{{{contactId}}}}", {copies}}}')
        run = drain(services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                            mailing_list_id=list_id))
        failed = RunItem.objects.get(run=run, state=ItemState.FAILED)
        assert failed.contact_id == big["contactId"] and "at most 100 KB" in failed.error and failed.attempts == 0
        assert big["contactId"] not in wf.contacts_received()

    def test_the_rate_budget_makes_events_wait_not_fail(self, wf, settings):
        list_id = wf.new_list("Budget", 6)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE = 5  # creating the list, reading its page, three events
        countdown = None
        services.run_plan(run_id=run.pk)
        countdown = services.run_send(run_id=run.pk, worker="w", tuning=services.Tuning(senders=1, step_seconds=30))
        assert countdown is None  # the wait is the sweep's (longer than a sender waits by itself)
        counts = states(run)
        assert counts[ItemState.SENT] == 3 and counts[ItemState.PENDING] == 3
        waiting = RunItem.objects.filter(run=run, state=ItemState.PENDING, waits=1)
        assert waiting.count() == 1 and waiting.get().attempts == 0 and waiting.get().next_attempt_at
        assert len(wf.events()) == 3

    def test_an_unknown_trigger_holds_the_run_and_a_cancel_stops_it(self, wf):
        list_id = wf.new_list("Gone", 3)
        url = wf.secured["eventUrl"].split("urlTokenId=")[0] + "urlTokenId=00000000-0000-0000-0000-000000000000"
        run = drain(services.run_start_list(trigger=wf.trigger(url=url), actor=wf.owner,
                                            directory_id=wf.directory_id, mailing_list_id=list_id))
        assert run.state == RunState.HELD and "knows no trigger at this URL" in run.held_reason
        assert states(run) == {ItemState.PENDING: 3}
        assert AuditEvent.objects.filter(action="workflow.run.hold").exists()
        services.run_resume(run=run, actor=wf.owner)
        run = drain(run)
        assert run.state == RunState.HELD  # still unknown
        assert services.run_cancel(run=run, actor=wf.owner) == 3
        run.refresh_from_db()
        assert run.state == RunState.CANCELLED and states(run) == {ItemState.CANCELLED: 3}
        with pytest.raises(services.RunStateError):
            services.run_cancel(run=run, actor=wf.owner)

    def test_a_refused_token_holds_the_run_and_marks_the_connection(self, wf):
        from connections.crypto import encrypt_token

        list_id = wf.new_list("Revoked", 2)
        trigger = wf.trigger()
        run = services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        services.run_plan(run_id=run.pk)
        wf.connection.token_encrypted = encrypt_token("an-unknown-token-for-this-sandbox-1234")
        wf.connection.save(update_fields=["token_encrypted"])
        run = drain(run)
        assert run.state == RunState.HELD and "credentials" in run.held_reason
        wf.connection.refresh_from_db()
        assert wf.connection.token_rejected_at is not None

    def test_a_token_of_another_brand_holds_the_run(self, wf):
        from connections.crypto import encrypt_token

        list_id = wf.new_list("Foreign", 2)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        services.run_plan(run_id=run.pk)
        globex = next(row["token"] for row in wf.sandbox.brand("globex")["tokens"])
        wf.connection.token_encrypted = encrypt_token(globex)
        wf.connection.save(update_fields=["token_encrypted"])
        run = drain(run)
        assert run.state == RunState.HELD and "refused the event" in run.held_reason
        assert wf.events() == []


class TestOneEvent:
    def test_sent_at_once_with_the_answer_recorded(self, wf):
        trigger = wf.trigger()
        item = services.run_send_one(trigger=trigger, actor=wf.operator, payload='{"contact": "CID_x", "n": 1}',
                                     contact_id="CID_x", label="Ann")
        assert item.state == ItemState.SENT and item.status == 200 and item.request_id
        assert item.run.kind == RunKind.SINGLE and item.run.state == RunState.DONE
        (event,) = wf.events()
        assert event["body"] == {"contact": "CID_x", "n": 1} and event["eventId"] == item.request_id

    def test_a_trigger_that_needs_no_authentication_gets_none(self, wf):
        trigger = wf.trigger(url=wf.open["eventUrl"], auth=Auth.NONE, template='{"orderId": "1"}')
        services.run_send_one(trigger=trigger, actor=wf.operator, payload='{"orderId": "A-1"}')
        (event,) = wf.events(wf.open["id"])
        assert event["authentication"] is None and event["fields"]["orderId"] == "A-1"

    @pytest.mark.parametrize(("payload", "words"), [
        ("", "empty"), ('{"a": ', "not valid JSON"), (json.dumps({"x": "y" * (100 * 1024)}), "at most 100 KB"),
    ])
    def test_the_payload_is_checked_before_anything_is_sent(self, wf, payload, words):
        with pytest.raises(ValidationError) as caught:
            services.run_send_one(trigger=wf.trigger(), actor=wf.owner, payload=payload)
        assert words in caught.value.message_dict["payload"][0]
        assert not Run.objects.exists() and wf.events() == []

    def test_a_single_event_that_must_wait_goes_out_with_a_worker(self, wf, settings, no_broker):
        settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE = 1
        trigger = wf.trigger()
        assert services.run_send_one(trigger=trigger, actor=wf.owner, payload="{}").state == ItemState.SENT
        with pytest.MonkeyPatch.context() as patch:
            from django.db import transaction

            patch.setattr(transaction, "on_commit", lambda callback, **kwargs: callback())
            waiting = services.run_send_one(trigger=trigger, actor=wf.owner, payload='{"second": true}')
        assert waiting.state == ItemState.PENDING and waiting.run.state == RunState.SENDING
        assert ("send", (waiting.run_id,)) in no_broker


class TestTriggers:
    def test_a_url_on_another_host_is_refused(self, wf):
        for url, words in (
            ("https://evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId=x", "datacenter"),
            (wf.secured["eventUrl"].replace("127.0.0.1", "localhost"), "datacenter"),
            (wf.sandbox.base_url + "/whoami", "not a JSON-event trigger URL"),
        ):
            with pytest.raises(ValidationError) as caught:
                wf.trigger(url=url)
            assert words in caught.value.message_dict["url"][0]

    def test_basic_needs_a_username(self, wf):
        wf.connection.qualtrics_username = ""
        wf.connection.save(update_fields=["qualtrics_username"])
        with pytest.raises(ValidationError) as caught:
            wf.trigger(auth=Auth.BASIC)
        assert "has none" in caught.value.message_dict["auth"][0]
        wf.connection.qualtrics_user_name = "dana.whitfield@acme.example"  # what whoami reported will do
        wf.connection.save(update_fields=["qualtrics_user_name"])
        assert wf.trigger(auth=Auth.BASIC).auth == Auth.BASIC

    def test_names_are_unique_per_connection_and_a_busy_trigger_is_kept(self, wf):
        trigger = wf.trigger(name="Closed")
        with pytest.raises(ValidationError):
            wf.trigger(name="closed")
        run = services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id="CG_any")
        with pytest.raises(services.TriggerInUse):
            services.trigger_delete(trigger=trigger, actor=wf.owner)
        services.run_cancel(run=run, actor=wf.owner)
        services.trigger_delete(trigger=trigger, actor=wf.owner)
        assert AuditEvent.objects.filter(action="workflow.trigger.delete", target="Closed").exists()

    def test_a_later_edit_does_not_change_a_run_already_started(self, wf):
        list_id = wf.new_list("Snapshot", 2)
        trigger = wf.trigger()
        run = services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        services.trigger_update(trigger=trigger, actor=wf.owner, name=trigger.name, url=wf.open["eventUrl"],
                                auth=Auth.NONE, payload_template='{"changed": true}')
        drain(run)
        assert len(wf.events(wf.secured["id"])) == 2 and wf.events(wf.open["id"]) == []
        assert Run.objects.get(pk=run.pk).payload_template == TEMPLATE


class TestConnectionHooks:
    def test_the_connection_page_lists_runs_sending_and_deleting_it_stops_them(self, wf, login):
        from django.urls import reverse

        from connections import services as connection_services

        list_id = wf.new_list("Hooked", 3)
        run = services.run_start_list(trigger=wf.trigger(), actor=wf.owner, directory_id=wf.directory_id,
                                      mailing_list_id=list_id)
        page = login(wf.owner).get(reverse("connections:connection_detail", args=[wf.connection.pk]))
        assert "Workflow runs sending" in page.content.decode() and "Members of" in page.content.decode()
        cancelled = connection_services.connection_delete(connection=wf.connection, actor=wf.owner)
        assert [work.title for work in cancelled] == ["Workflow runs sending"]
        assert not Run.objects.filter(pk=run.pk).exists()  # gone with the connection, after being stopped
        delete = AuditEvent.objects.get(action="connection.delete")
        assert "cancelled 1 workflow run(s)" in delete.detail


class TestTheTokenNeverShows:
    def test_not_in_audit_rows_items_runs_or_logs_even_with_basic_credentials(self, wf, caplog, login):
        import base64

        caplog.set_level("DEBUG")
        list_id = wf.new_list("Secret keeping", 3)
        trigger = wf.trigger(url=wf.secured["legacyEventUrl"], auth=Auth.BASIC)
        run = drain(services.run_start_list(trigger=trigger, actor=wf.owner, directory_id=wf.directory_id,
                                            mailing_list_id=list_id))
        services.run_send_one(trigger=trigger, actor=wf.owner, payload='{"x": 1}')
        page = login(wf.owner).get(run.get_absolute_url()).content.decode()
        page += login(wf.owner).get(trigger.get_absolute_url()).content.decode()
        basic = base64.b64encode(f"{wf.connection.qualtrics_username}:{wf.token}".encode()).decode()
        texts = [f"{e.target} {e.detail}" for e in AuditEvent.objects.all()]
        texts += [f"{i.error} {i.payload} {i.fields}" for i in RunItem.objects.all()]
        texts += [f"{r.url} {r.username} {r.payload_template} {r.held_reason}" for r in Run.objects.all()]
        assert len(AuditEvent.objects.filter(action="qualtrics.post")) == 4
        for text in (*texts, page, caplog.text):
            assert wf.token not in text and basic not in text
