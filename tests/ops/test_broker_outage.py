"""A Redis outage with sends in flight: the worker and beat carry on by themselves once Redis is back.

With celery 5.7.0 both workers of a production run died after a 30-second outage
(`Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")`), and nothing
went out until someone restarted them. Here one worker and one beat run as the README's production
commands start them, against a Redis of the test's own that also holds the cache (so the shared rate
budget is out too); the sandbox answers slowly, so sends are in flight when Redis stops.
"""

from __future__ import annotations

import datetime
import subprocess
import time
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from distributions.models import Channel, Distribution, Kind, State
from tests.distributions.processes import CELERY, ROOT, environment
from tests.distributions.test_exactly_once import assert_each_sent_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 30


def rows(connection, acme, count: int, send_at: datetime.datetime) -> list[int]:
    made = Distribution.objects.bulk_create(
        Distribution(
            connection=connection, channel=Channel.EMAIL, kind=Kind.INVITE, state=State.SCHEDULED,
            name=f"Outage {n}", survey_id=acme.survey_id, survey_name=acme.survey_name,
            from_email="noreply@qualtrics.com", from_name="Acme", subject="Hello", message_text="Please answer",
            directory_id=acme.directory_id, mailing_list_id=acme.small_list_id,
            contact_lookup_id=acme.contact_lookup_id, link_type="Individual", send_at=send_at,
            reference=uuid.uuid4(),
        )
        for n in range(count)
    )
    return [d.pk for d in made]


def states(ids) -> Counter:
    return Counter(Distribution.objects.filter(pk__in=ids).values_list("state", flat=True))


def test_a_30_second_redis_outage_with_sends_in_flight_loses_nothing_and_needs_no_restart(
    portal_sandbox, acme, dedicated_redis, tmp_path
):
    sandbox, connection, _owner = portal_sandbox
    sandbox.configure(latency_ms=700)
    env = environment(
        sandbox.base_url_template,
        CELERY_BROKER_URL=dedicated_redis.url(0),
        CACHE_URL=dedicated_redis.url(1),
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "beat")}
    commands = {
        "worker": [CELERY, "-A", "portal", "worker", "-n", "outage@%h", "--concurrency", "2", "-l", "INFO"],
        "beat": [CELERY, "-A", "portal", "beat", "-s", str(tmp_path / "celerybeat-schedule"), "-l", "INFO"],
    }
    processes = {
        name: subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(logs[name], "ab"),  # noqa: SIM115
                               stderr=subprocess.STDOUT)
        for name, command in commands.items()
    }

    def report() -> str:
        return "\n".join(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}" for name, path in logs.items())

    def wait_for(predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, p in processes.items() if p.poll() is not None]
            assert not dead, f"{dead} exited:\n{report()}"
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"{what} within {timeout:.0f} s: {dict(states(ids))}\n{report()}")

    try:
        ids = rows(connection, acme, 12, timezone.now() - datetime.timedelta(seconds=1))
        # Beat's first sweep (15 s after it starts) queues them; two at a time go out, 0.7 s a call.
        wait_for(lambda: states(ids)[State.SENT] >= 2 and states(ids)[State.SENDING] >= 1, 60,
                 "sends never got under way")
        # These fall due while Redis is down: only a sweep after it is back can queue them.
        later = rows(connection, acme, 4, timezone.now() + datetime.timedelta(seconds=5))
        ids += later

        dedicated_redis.stop()
        stopped = time.monotonic()
        wait_for(lambda: time.monotonic() - stopped >= OUTAGE_SECONDS, OUTAGE_SECONDS + 5, "the outage lasted")
        assert states(later) == {State.SCHEDULED: 4}, "queued while the broker was down"
        dedicated_redis.start()

        wait_for(lambda: states(ids) == {State.SENT: len(ids)}, 90, "not everything went out after the outage")
        assert_each_sent_once(ids, sandbox)
        log = logs["worker"].read_text(errors="replace")
        assert "Connection to broker lost" in log, "the worker never saw the outage"
        # celery 5.7.0 dropped the consumer's connection before restarting its parts: restarting them then
        # failed on None ("Error on restarting Gossip: AttributeError(\"'NoneType' object has no attribute
        # 'connection_errors'\")"), and in the production run the worker exited.
        assert "'NoneType' object has no attribute" not in log
        assert "Unrecoverable error" not in log
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
