"""Sending in batches: what one send costs (database queries, Redis round trips), and exactly once when
several claimers race for the same rows on PostgreSQL."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import Counter

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from distributions import services
from distributions.models import Channel, Distribution, EventKind, Kind, State
from distributions.services import sending, sweeping

from .test_exactly_once import sandbox_references


def due_rows(connection, acme, count: int) -> list[int]:
    now = timezone.now() - datetime.timedelta(seconds=1)
    Distribution.objects.bulk_create([
        Distribution(
            connection=connection, channel=Channel.EMAIL, kind=Kind.INVITE, state=State.SCHEDULED,
            name=f"Batch {n}", survey_id=acme.survey_id, survey_name=acme.survey_name,
            from_email="noreply@qualtrics.com", from_name="Acme", subject="Hello", message_text="Please answer",
            directory_id=acme.directory_id, mailing_list_id=acme.small_list_id,
            contact_lookup_id=acme.contact_lookup_id, link_type="Individual", send_at=now, reference=uuid.uuid4(),
        )
        for n in range(count)
    ])
    return sorted(Distribution.objects.filter(connection=connection).values_list("pk", flat=True))


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The queries, without transaction control (SQLite's BEGIN IMMEDIATE and COMMIT are statements of their
    own there; PostgreSQL's are not)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(control)]


def claimed_batches(enqueued) -> dict[str, list[int]]:
    """The sweep's batch messages, as the batch task would receive them: {token: [ids]}."""
    batches: dict[str, list[int]] = {}
    for pk, token, _countdown in enqueued:
        batches.setdefault(token, []).append(pk)
    enqueued.clear()
    return batches


@pytest.mark.django_db(transaction=True)  # real transactions: no test savepoints among the counted queries
class TestWhatASendCosts:
    def test_a_send_costs_four_queries_and_the_batch_one_more(self, portal_sandbox, acme, enqueued):
        _sandbox, connection, _owner = portal_sandbox
        due_rows(connection, acme, 6)
        services.distributions_sweep()
        [(token, ids)] = claimed_batches(enqueued).items()
        with CaptureQueriesContext(db_connection) as few:
            outcomes = services.distributions_send_batch(distribution_ids=ids[:2], claim_token=token, worker="t")
        with CaptureQueriesContext(db_connection) as more:
            outcomes |= services.distributions_send_batch(distribution_ids=ids[2:], claim_token=token, worker="t")
        assert [o.status for o in outcomes.values()] == ["sent"] * 6
        # One read for the batch, then per send: the claim that is also the write-ahead, the update marking
        # it sent, its two timeline entries in one INSERT, its audit entry.
        assert len(statements(few)) == 1 + 4 * 2, "\n".join(q[:100] for q in statements(few))
        assert len(statements(more)) == 1 + 4 * 4, "\n".join(q[:100] for q in statements(more))
        for d in Distribution.objects.filter(pk__in=ids):
            assert d.state == State.SENT and d.attempts == 1 and not d.needs_lookup
            assert [e.kind for e in d.events.all()] == [EventKind.QUEUED, EventKind.ATTEMPT, EventKind.SENT]

    def test_a_batch_that_ran_out_of_time_leaves_the_rest_queued_under_its_token(
        self, portal_sandbox, acme, enqueued
    ):
        _sandbox, connection, _owner = portal_sandbox
        due_rows(connection, acme, 3)
        services.distributions_sweep()
        [(token, ids)] = claimed_batches(enqueued).items()
        outcomes = services.distributions_send_batch(distribution_ids=ids, claim_token=token, budget_seconds=0)
        assert [outcomes[pk].status for pk in ids] == ["sent", "deferred", "deferred"]  # the first always goes
        rest = Distribution.objects.filter(pk__in=ids[1:])
        assert {(d.state, d.claim_token, d.attempts) for d in rest} == {(State.QUEUED, token, 0)}
        outcomes = services.distributions_send_batch(distribution_ids=ids[1:], claim_token=token)
        assert [o.status for o in outcomes.values()] == ["sent", "sent"]

    def test_a_short_wait_for_the_portals_budget_is_spent_holding_the_claim(
        self, portal_sandbox, acme, enqueued, monkeypatch
    ):
        """A used-up budget that frees within seconds is waited for, not turned into a reschedule."""
        from qualtrics.errors import BudgetExhaustedError

        _sandbox, connection, _owner = portal_sandbox
        due_rows(connection, acme, 1)
        services.distributions_sweep()
        [(token, ids)] = claimed_batches(enqueued).items()
        real = sending.payloads.create_in_qualtrics
        refusals = [BudgetExhaustedError("used up", retry_after=0.05)]
        waits: list[float] = []

        def once_refused(client, d, send_date):
            if refusals:
                raise refusals.pop()
            return real(client, d, send_date)

        monkeypatch.setattr(sending.payloads, "create_in_qualtrics", once_refused)
        monkeypatch.setattr(sending.time, "sleep", waits.append)
        outcomes = services.distributions_send_batch(distribution_ids=ids, claim_token=token)
        assert outcomes[ids[0]].status == "sent" and waits == [0.05]
        d = Distribution.objects.get(pk=ids[0])
        assert d.attempts == 1 and d.transient_failures == 0 and d.rate_limited == 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
class TestOnPostgresAndRedis:
    def test_a_send_costs_one_round_trip_to_redis(self, portal_sandbox, acme, enqueued, monkeypatch):
        import redis

        from connections.rate_store import RedisRateCounters

        _sandbox, connection, _owner = portal_sandbox
        due_rows(connection, acme, 5)
        services.distributions_sweep()
        [(token, ids)] = claimed_batches(enqueued).items()
        services.distribution_send(distribution_id=ids[0], claim_token=token)  # the script loaded, the pool warm
        commands: list[str] = []
        real = redis.Redis.execute_command

        def counted(self, *args, **options):
            commands.append(str(args[0]))
            return real(self, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", counted)
        outcomes = services.distributions_send_batch(distribution_ids=ids[1:], claim_token=token)
        assert [o.status for o in outcomes.values()] == ["sent"] * 4
        assert commands == ["EVALSHA"] * 4, f"{commands}: one script call per send (slot and 429 feedback)"
        from connections.qualtrics_client import shared_rate_limiter

        assert isinstance(shared_rate_limiter().shared.backend, RedisRateCounters)

    def test_claimers_racing_for_the_same_rows_send_each_exactly_once(self, portal_sandbox, acme, enqueued):
        """Four threads sweep at once (FOR UPDATE SKIP LOCKED splits the due rows), and every batch they
        claim is handed to two senders at once, as a redelivered message would be."""
        sandbox, connection, _owner = portal_sandbox
        ids = due_rows(connection, acme, 60)
        outcomes: list[str] = []
        claimed: list[list[int]] = []
        lock = threading.Lock()
        start = threading.Barrier(4)

        def claimer():
            try:
                start.wait()
                mine = sweeping._claim_due(timezone.now(), 20)
                with lock:
                    claimed.append(mine)
            finally:
                connections.close_all()

        def sender(pks, token):
            try:
                result = services.distributions_send_batch(distribution_ids=pks, claim_token=token)
                with lock:
                    outcomes.extend(o.status for o in result.values())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=claimer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        everything = [pk for batch in claimed for pk in batch]
        assert sorted(everything) == ids, "each due row claimed by exactly one sweep"
        tokens = {d.pk: d.claim_token for d in Distribution.objects.filter(pk__in=ids)}
        batches = Counter()
        for batch in claimed:
            for start_at in range(0, len(batch), 10):
                part = batch[start_at:start_at + 10]
                batches[(tuple(part), tokens[part[0]])] += 1
        senders = [threading.Thread(target=sender, args=(list(part), token))
                   for (part, token) in batches for _copy in range(2)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        assert Counter(outcomes) == {"sent": 60, "skipped": 60}
        references = {str(r) for r in Distribution.objects.filter(pk__in=ids).values_list("reference", flat=True)}
        counts = sandbox_references(sandbox)
        assert {counts[r] for r in references} == {1}
        assert Counter(Distribution.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1: 60}
