"""The send workflow against the sandbox: sweep, claim, send, retry, hold, reconcile, stats."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
import requests
from django.utils import timezone

from connections.models import AuditEvent, Connection
from connections.qualtrics_client import connection_client
from distributions import services
from distributions.models import Channel, Distribution, EventKind, Kind, State
from distributions.rules import REFERENCE_KEY
from distributions.services import sending

from .conftest import email_fields, make_distribution, sms_fields

pytestmark = pytest.mark.django_db


def sandbox_rows(sandbox, **query):
    answer = requests.get(f"{sandbox.root_url}/_sandbox/distributions", params=query, timeout=10)
    answer.raise_for_status()
    return answer.json()["distributions"]


def per_reference(sandbox) -> Counter:
    return Counter((row.get("embeddedData") or {}).get(REFERENCE_KEY) for row in sandbox_rows(sandbox))


def schedule(live, acme, *, channel=Channel.EMAIL, **overrides):
    fields = (email_fields if channel == Channel.EMAIL else sms_fields)(acme, **overrides)
    return services.distribution_create(connection=live.connection, actor=live.operator, channel=channel,
                                        fields=fields)


def due(d: Distribution) -> Distribution:
    Distribution.objects.filter(pk=d.pk).update(send_at=timezone.now() - datetime.timedelta(seconds=1))
    d.refresh_from_db()
    return d


def sweep_and_send(enqueued) -> list[services.SendOutcome]:
    services.distributions_sweep()
    outcomes = []
    while enqueued:
        pk, token, _countdown = enqueued.pop(0)
        outcomes.append(services.distribution_send(distribution_id=pk, claim_token=token, worker="test"))
    return outcomes


class TestScheduling:
    def test_it_schedules_an_email_with_names_from_qualtrics(self, live, acme):
        d = schedule(live, acme)
        assert d.state == State.SCHEDULED
        assert d.survey_name == acme.survey_name
        assert d.mailing_list_name
        assert d.message_preview  # the library message's text, kept for the screens
        assert [e.kind for e in d.events.all()] == [EventKind.CREATED, EventKind.SCHEDULED]
        assert AuditEvent.objects.filter(action="distribution.schedule", connection=live.connection).exists()

    def test_it_refuses_a_survey_qualtrics_does_not_have(self, live, acme):
        with pytest.raises(services.DistributionInvalid) as caught:
            schedule(live, acme, survey_id="SV_" + "Z" * 15)
        assert "Qualtrics has no survey" in caught.value.problems["survey_id"][0]
        assert not Distribution.objects.exists()

    def test_it_refuses_a_broken_rule_before_calling_qualtrics(self, live, acme):
        with pytest.raises(services.DistributionInvalid) as caught:
            schedule(live, acme, message_text="Inline too")
        assert caught.value.problems["message_text"] == [
            "Use either a library message or your own text, not both: clear one of them."
        ]


class TestSweepAndSend:
    def test_a_due_email_is_sent_once_and_found_by_its_reference(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["sent"]
        d.refresh_from_db()
        assert d.state == State.SENT
        assert d.qualtrics_id.startswith("EMD_")
        assert d.attempts == 1
        assert not d.needs_lookup
        assert per_reference(live.sandbox)[str(d.reference)] == 1
        row = next(r for r in sandbox_rows(live.sandbox) if r["id"] == d.qualtrics_id)
        assert row["embeddedData"]["Campaign"] == "spring"
        assert row["sendDate"].endswith("Z")
        kinds = [e.kind for e in d.events.all()]
        assert kinds[-3:] == [EventKind.QUEUED, EventKind.ATTEMPT, EventKind.SENT]
        sent_event = d.events.get(kind=EventKind.SENT)
        assert sent_event.request_id  # Qualtrics' request id of the create call
        # Audited once, with Qualtrics' request id, in the step that marks it sent.
        audit = AuditEvent.objects.get(action="distribution.sent", connection=live.connection)
        assert audit.request_id == sent_event.request_id
        assert not AuditEvent.objects.filter(action="qualtrics.post", target="/distributions").exists()

    def test_nothing_is_claimed_before_it_is_due(self, live, acme, enqueued):
        schedule(live, acme)
        assert services.distributions_sweep() == []
        assert enqueued == []

    def test_a_second_sweep_claims_nothing_more(self, live, acme, enqueued):
        due(schedule(live, acme))
        first = services.distributions_sweep()
        second = services.distributions_sweep()
        assert len(first) == 1
        assert second == []
        assert len(enqueued) == 1

    def test_a_repeated_task_message_sends_nothing_twice(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        pk, token, _ = enqueued[0]
        first = services.distribution_send(distribution_id=pk, claim_token=token)
        again = services.distribution_send(distribution_id=pk, claim_token=token)
        assert (first.status, again.status) == ("sent", "skipped")
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_a_cancelled_distribution_is_not_sent_even_if_its_task_runs(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        services.distribution_cancel(distribution=d, actor=live.operator)
        pk, token, _ = enqueued[0]
        assert services.distribution_send(distribution_id=pk, claim_token=token).status == "skipped"
        assert per_reference(live.sandbox)[str(d.reference)] == 0

    def test_an_sms_invite_goes_out_with_its_reference_in_the_name(self, live, acme, enqueued):
        d = due(schedule(live, acme, channel=Channel.SMS))
        assert [o.status for o in sweep_and_send(enqueued)] == ["sent"]
        d.refresh_from_db()
        assert d.qualtrics_id.startswith("SMSD_")
        client = connection_client(live.connection)
        found = services.find_in_qualtrics(client, d)
        assert found["id"] == d.qualtrics_id
        assert found["name"].startswith("Spring SMS [ref ")

    def test_email_reminder_and_thank_you_follow_their_sent_parent(self, live, acme, enqueued):
        parent = due(schedule(live, acme))
        sweep_and_send(enqueued)
        parent.refresh_from_db()
        for kind, category in ((Kind.REMINDER, "reminder"), (Kind.THANKYOU, "thankYou")):
            follow = services.distribution_create(
                connection=live.connection, actor=live.operator, channel=Channel.EMAIL, kind=kind, parent=parent,
                fields={"from_email": "noreply@qualtrics.com", "from_name": "Acme", "subject": "Reminder",
                        "library_id": acme.library_id, "message_id": acme.messages[category],
                        "send_at": timezone.now() + datetime.timedelta(minutes=1)},
            )
            assert follow.survey_id == parent.survey_id
            due(follow)
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["sent", "sent"]
        rows = {r["id"]: r for r in sandbox_rows(live.sandbox)}
        for follow in Distribution.objects.filter(parent=parent):
            assert rows[follow.qualtrics_id]["parentDistributionId"] == parent.qualtrics_id
            assert rows[follow.qualtrics_id]["requestType"] in ("Reminder", "ThankYou")

    def test_an_sms_reminder_follows_its_sms_parent(self, live, acme, enqueued):
        parent = due(schedule(live, acme, channel=Channel.SMS))
        sweep_and_send(enqueued)
        parent.refresh_from_db()
        reminder = services.distribution_create(
            connection=live.connection, actor=live.operator, channel=Channel.SMS, kind=Kind.REMINDER, parent=parent,
            fields={"name": "Nudge", "message_text": "Still time to answer!",
                    "send_at": timezone.now() + datetime.timedelta(minutes=1)},
        )
        due(reminder)
        assert [o.status for o in sweep_and_send(enqueued)] == ["sent"]
        reminder.refresh_from_db()
        row = next(r for r in sandbox_rows(live.sandbox) if r["id"] == reminder.qualtrics_id)
        assert row["requestType"] == "Reminder"
        assert row["parentDistributionId"] == parent.qualtrics_id


class TestFailures:
    def test_a_404_fails_at_once_with_qualtrics_message(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        connection_client(live.connection).mailing_lists.delete(acme.directory_id, acme.small_list_id)
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["failed"]
        d.refresh_from_db()
        assert d.state == State.FAILED
        assert d.last_error_status == 404
        assert acme.small_list_id in d.last_error
        assert d.last_error_request_id
        assert d.attempts == 1
        assert not d.needs_lookup
        assert enqueued == []  # no retry
        assert per_reference(live.sandbox)[str(d.reference)] == 0

    def test_a_400_fails_at_once_with_qualtrics_message(self, live, acme, enqueued):
        parent = due(schedule(live, acme, channel=Channel.SMS))
        sweep_and_send(enqueued)
        parent.refresh_from_db()
        # A reminder row whose survey differs from its parent's: Qualtrics refuses it as a bad request.
        reminder = make_distribution(live.connection, channel=Channel.SMS, kind=Kind.REMINDER, parent=parent,
                                     name="Odd", survey_id=acme.other_survey_id, message_text="Hi")
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["failed"]
        reminder.refresh_from_db()
        assert reminder.state == State.FAILED
        assert reminder.last_error_status == 400
        assert "belongs to another survey" in reminder.last_error
        assert reminder.transient_failures == 0
        assert enqueued == []
        failed = reminder.events.get(kind=EventKind.FAILED)
        assert "Not retried" in failed.message

    def test_transient_500_is_retried_after_looking_it_up(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        live.sandbox.configure(fail_rate=1.0, fail_mode="after")  # processed, then answered 500
        outcomes = sweep_and_send(enqueued)
        assert outcomes[0].status == "retry"
        assert outcomes[0].retry_in > 0
        d.refresh_from_db()
        assert d.state == State.CHECKING  # it may exist in Qualtrics: looked up before anything else
        assert d.needs_lookup
        assert d.transient_failures == 1
        assert d.last_error_status == 500
        live.sandbox.configure(fail_rate=0.0)
        again = services.distribution_send(distribution_id=d.pk, claim_token=outcomes[0].claim_token)
        assert again.status == "sent"
        d.refresh_from_db()
        assert d.events.filter(kind=EventKind.RECONCILED).exists()
        assert d.attempts == 1  # found by its reference: never sent again
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_a_timeout_after_qualtrics_acted_is_resolved_by_lookup_not_by_resending(
        self, live, acme, enqueued, settings
    ):
        settings.QUALTRICS_READ_TIMEOUT = 1.0
        d = due(schedule(live, acme))
        requests.post(f"{live.sandbox.root_url}/_sandbox/stall",
                      json={"path_contains": "/distributions", "method": "POST", "seconds": 2.5, "when": "after",
                            "count": 1}, timeout=10).raise_for_status()
        first = sweep_and_send(enqueued)[0]
        assert first.status == "retry"
        d.refresh_from_db()
        assert d.needs_lookup
        assert "may still have acted" in d.last_error
        again = services.distribution_send(distribution_id=d.pk, claim_token=first.claim_token)
        assert again.status == "sent"
        d.refresh_from_db()
        assert d.attempts == 1
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_a_500_before_processing_is_resent_after_the_lookup_finds_nothing(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        live.sandbox.configure(fail_rate=1.0, fail_mode="before")
        first = sweep_and_send(enqueued)[0]
        live.sandbox.configure(fail_rate=0.0)
        again = services.distribution_send(distribution_id=d.pk, claim_token=first.claim_token)
        assert again.status == "sent"
        d.refresh_from_db()
        assert d.attempts == 2
        assert d.events.filter(kind=EventKind.LOOKUP).exists()
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_it_gives_up_after_too_many_temporary_failures_when_nothing_reached_qualtrics(
        self, live, acme, enqueued, monkeypatch, settings
    ):
        monkeypatch.setattr(sending, "MAX_TRANSIENT_FAILURES", 2)
        d = due(schedule(live, acme))
        # Nothing listens there: every call fails before a connection is made, so none reached Qualtrics.
        settings.QUALTRICS_API_BASE_URL = f"http://127.0.0.1:{closed_port()}/{{datacenter}}/API/v3"
        outcome = sweep_and_send(enqueued)[0]
        while outcome.status == "retry":
            outcome = services.distribution_send(distribution_id=d.pk, claim_token=outcome.claim_token)
        assert outcome.status == "failed"
        d.refresh_from_db()
        assert d.state == State.FAILED
        assert not d.needs_lookup
        failed = d.events.get(kind=EventKind.FAILED).message
        assert failed.startswith("Gave up after 2 temporary failures.")
        assert "It was not created in Qualtrics" in failed
        assert per_reference(live.sandbox)[str(d.reference)] == 0


class TestCheckingQualtrics:
    def test_it_never_fails_while_qualtrics_may_have_it_and_finds_it_once_qualtrics_answers(
        self, live, acme, enqueued
    ):
        d = due(schedule(live, acme))
        # Every call is processed by Qualtrics, then answered 500: the create, and each lookup after it.
        live.sandbox.configure(fail_rate=1.0, fail_mode="after")
        outcome = sweep_and_send(enqueued)[0]
        for _ in range(sending.MAX_TRANSIENT_FAILURES + 5):
            assert outcome.status == "retry"
            d.refresh_from_db()
            assert d.state == State.CHECKING and d.needs_lookup
            outcome = services.distribution_send(distribution_id=d.pk, claim_token=outcome.claim_token)
        assert outcome.status == "retry"
        d.refresh_from_db()
        assert d.transient_failures > sending.MAX_TRANSIENT_FAILURES
        assert d.attempts == 1  # looked up each time, never sent again
        assert not d.events.filter(kind=EventKind.FAILED).exists()
        first = d.events.filter(kind=EventKind.CHECKING).first().message
        assert "The call may have reached Qualtrics, so it is looked up there" in first

        live.sandbox.configure(fail_rate=0.0)
        assert services.distribution_send(distribution_id=d.pk, claim_token=outcome.claim_token).status == "sent"
        d.refresh_from_db()
        assert d.state == State.SENT and d.attempts == 1
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_the_lookup_asks_only_for_what_was_sent_around_the_attempts_send_date(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        live.sandbox.configure(fail_rate=1.0, fail_mode="after")
        first = sweep_and_send(enqueued)[0]
        live.sandbox.configure(fail_rate=0.0)
        live.sandbox.state.calls.clear()
        assert services.distribution_send(distribution_id=d.pk, claim_token=first.claim_token).status == "sent"
        lookups = live.sandbox.calls("GET", "/distributions")
        assert len(lookups) == 1  # one page, not every distribution of the survey
        query = dict(part.split("=", 1) for part in lookups[0]["query"].split("&"))
        d.refresh_from_db()
        start = datetime.datetime.fromisoformat(requests.utils.unquote(query["sendStartDate"]))
        end = datetime.datetime.fromisoformat(requests.utils.unquote(query["sendEndDate"]))
        assert start == d.qualtrics_send_date - sending.LOOKUP_MARGIN
        assert end == d.qualtrics_send_date + sending.LOOKUP_MARGIN

    def test_a_fault_on_a_lookup_page_asks_for_that_page_again_at_once(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        live.sandbox.configure(fail_rate=0.5, fail_mode="after")
        # The create fails after Qualtrics acted; the lookup's first answer fails; its second succeeds.
        live.sandbox.state.fault_rng = Scripted(0.0, 0.0, 0.9)
        first = sweep_and_send(enqueued)[0]
        live.sandbox.state.calls.clear()
        assert services.distribution_send(distribution_id=d.pk, claim_token=first.claim_token).status == "sent"
        assert [c["status"] for c in live.sandbox.calls("GET", "/distributions")] == [500, 200]
        d.refresh_from_db()
        assert d.attempts == 1 and per_reference(live.sandbox)[str(d.reference)] == 1

    def test_a_lookup_that_cannot_tell_keeps_checking_and_says_what_to_check(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        live.sandbox.configure(fail_rate=1.0, fail_mode="after")
        first = sweep_and_send(enqueued)[0]
        live.sandbox.configure(fail_rate=0.0)
        d.refresh_from_db()
        # Distributions made elsewhere at the same moment, without embedded data: more than can be read one by one.
        client = connection_client(live.connection, audit=False)
        for _ in range(sending.LOOKUP_DETAIL_LIMIT + 1):
            client.distributions.create(
                message={"messageText": "Hi"}, recipients={"mailingListId": acme.small_list_id},
                header={"fromEmail": "noreply@qualtrics.com", "fromName": "Other", "subject": "Other"},
                survey_link={"surveyId": acme.survey_id, "type": "Individual"}, send_date=d.qualtrics_send_date,
            )
        # The reference is on the page too, but listed like the others: found at once.
        sending_row = next(r for r in sandbox_rows(live.sandbox) if
                           (r.get("embeddedData") or {}).get(REFERENCE_KEY) == str(d.reference))
        live.sandbox.state.brands["acme"].distributions[sending_row["id"]].embedded = {}
        outcome = services.distribution_send(distribution_id=d.pk, claim_token=first.claim_token)
        assert outcome.status == "retry"
        d.refresh_from_db()
        assert d.state == State.CHECKING and d.attempts == 1
        text = d.events.filter(kind=EventKind.CHECKING).last().message
        assert "without their embedded data" in text and str(d.reference) in text


class TestBrandBackoff:
    def test_a_429_makes_the_brands_other_sends_wait_as_long_as_qualtrics_said_without_calling(
        self, live, acme, enqueued
    ):
        for n in range(3):
            due(schedule(live, acme, name=f"Invite {n}"))
        live.sandbox.configure(rate_limit=1)  # the brand may make one call a minute
        services.distributions_sweep()
        outcomes = [(pk, services.distribution_send(distribution_id=pk, claim_token=token))
                    for pk, token, _countdown in list(enqueued)]
        (_, first), (limited_pk, second), (waiting_pk, third) = outcomes
        assert first.status == "sent"
        refused = [c for c in live.sandbox.calls("POST", "/distributions") if c["status"] == 429]
        assert len(refused) == 1, "the third send asked Qualtrics again during the pause"
        assert second.status == "retry" and second.retry_in >= 60  # Qualtrics' Retry-After
        assert third.status == "retry" and third.retry_in >= 55  # waits out the same pause, no call made
        waiting = Distribution.objects.get(pk=waiting_pk)
        assert waiting.state == State.QUEUED and waiting.attempts == 0 and not waiting.needs_lookup
        assert waiting.last_error == ""  # waiting for the brand is not a failure
        assert Distribution.objects.get(pk=limited_pk).rate_limited == 1


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scripted:
    """Stands in for the sandbox's fault dice: the values given, then never a fault."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0) if self.values else 0.99


class TestHold:
    def test_a_rejected_token_holds_instead_of_retrying_and_resumes(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        token = live.sandbox.admin_token
        requests.post(f"{live.sandbox.root_url}/_sandbox/tokens/revoke", json={"token": token},
                      timeout=10).raise_for_status()
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["held"]
        d.refresh_from_db()
        assert d.state == State.HELD
        assert "no longer" in d.held_reason or "stopped accepting" in d.held_reason
        live.connection.refresh_from_db()
        assert live.connection.token_rejected_at is not None
        # The sweep leaves it alone while the token is rejected ...
        services.distributions_sweep()
        assert enqueued == []
        # ... and sends it once the connection works again.
        Connection.objects.filter(pk=live.connection.pk).update(token_rejected_at=None)
        live.sandbox.add_token("acme", token)
        outcomes = sweep_and_send(enqueued)
        assert [o.status for o in outcomes] == ["sent"]
        d.refresh_from_db()
        kinds = [e.kind for e in d.events.all()]
        assert EventKind.HELD in kinds and EventKind.RESUMED in kinds

    def test_due_distributions_of_a_rejected_connection_are_held_by_the_sweep(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        Connection.objects.filter(pk=live.connection.pk).update(token_rejected_at=timezone.now())
        services.distributions_sweep()
        d.refresh_from_db()
        assert d.state == State.HELD
        assert "token" in d.held_reason
        assert enqueued == []


class TestReaper:
    def test_a_row_left_sending_after_the_call_is_found_not_resent(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        pk, token, _ = enqueued.pop()
        # A worker claimed it, made the call, and died before recording the answer.
        Distribution.objects.filter(pk=pk).update(state=State.SENDING, claimed_at=timezone.now(), needs_lookup=True,
                                                  qualtrics_send_date=timezone.now().replace(microsecond=0))
        d.refresh_from_db()
        client = connection_client(live.connection)
        from distributions import payloads

        payloads.create_in_qualtrics(client, d, d.qualtrics_send_date)
        assert services.distributions_reap(stale_after=datetime.timedelta(0)) == {"reclaimed": 1, "requeued": 0}
        pk2, token2, _ = enqueued.pop()
        assert token2 != token
        assert services.distribution_send(distribution_id=pk2, claim_token=token2).status == "sent"
        assert per_reference(live.sandbox)[str(d.reference)] == 1
        d.refresh_from_db()
        assert d.events.filter(kind=EventKind.RECONCILED).count() == 2

    def test_a_row_left_sending_before_the_call_is_sent(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        enqueued.pop()
        Distribution.objects.filter(pk=d.pk).update(state=State.SENDING, claimed_at=timezone.now())
        services.distributions_reap(stale_after=datetime.timedelta(0))
        pk, token, _ = enqueued.pop()
        assert services.distribution_send(distribution_id=pk, claim_token=token).status == "sent"
        assert per_reference(live.sandbox)[str(d.reference)] == 1

    def test_fresh_sending_rows_are_left_alone(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        Distribution.objects.filter(pk=d.pk).update(state=State.SENDING, claimed_at=timezone.now())
        assert services.distributions_reap() == {"reclaimed": 0, "requeued": 0}

    def test_a_lost_queued_message_is_enqueued_again_with_a_new_token(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        services.distributions_sweep()
        _, old_token, _ = enqueued.pop()
        Distribution.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))
        assert services.distributions_reap() == {"reclaimed": 0, "requeued": 1}
        _, new_token, _ = enqueued.pop()
        assert services.distribution_send(distribution_id=d.pk, claim_token=old_token).status == "skipped"
        assert services.distribution_send(distribution_id=d.pk, claim_token=new_token).status == "sent"


class TestStats:
    def test_stats_and_history_come_from_qualtrics(self, live, acme, enqueued):
        from distributions.selectors import distribution_history_page

        d = due(schedule(live, acme))
        sweep_and_send(enqueued)
        d.refresh_from_db()
        d = services.distribution_refresh_stats(distribution=d, actor=live.viewer)
        assert d.qualtrics_stats["sent"] > 0
        assert d.stats_refreshed_at is not None
        assert d.events.filter(kind=EventKind.STATS).exists()
        page = distribution_history_page(client=connection_client(live.connection), distribution=d, page_size=5)
        assert len(page.items) == 5
        assert page.next_page

    def test_the_periodic_refresh_takes_stale_sent_ones(self, live, acme, enqueued):
        d = due(schedule(live, acme))
        sweep_and_send(enqueued)
        assert services.distributions_refresh_stats_due() == 1
        assert services.distributions_refresh_stats_due() == 0  # fresh now
        d.refresh_from_db()
        assert d.qualtrics_stats
