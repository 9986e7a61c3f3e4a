"""The broker down for a minute: Qualtrics keeps posting, the receiver keeps answering at once (each event is in
the database before it answers), the messages published before the outage are lost with the broker's memory, and
once it is back the sweep finds everything due, so every event reaches its destination exactly once.

The worker running through the outage reconnects; one started during it waits for the broker. A Redis of the
test's own (on a free port, with nothing saved to disk) is the broker, so that stopping it disturbs
no other test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from subscriptions import services
from subscriptions.models import Delivery, DeliveryState, Event, EventState, Topic
from tests.distributions.processes import environment

from .conftest import signed_form
from .processes import SubscriptionProcesses, post_as_qualtrics, wait_for
from .receivers import HttpsDestination

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("SUBSCRIPTIONS_BROKER_OUTAGE_SECONDS", "60"))
LOST_QUEUED = 15  # seconds after which the sweep publishes again what it published before


class PrivateRedis:
    """redis-server on a free loopback port, stopped and started again by the test."""

    def __init__(self, work_dir: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.work_dir = work_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.work_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("the test's Redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # as a crash: whatever it held in memory is gone
            self.process.wait(timeout=10)


@pytest.fixture
def broker(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_the_broker_down_for_a_minute_loses_no_event_and_doubles_none(subs, broker, tmp_path):
    subscription = subs.create(kind=Topic.ACTIVATED, fields="")
    with HttpsDestination() as destination:
        services.destination_create(subscription=subscription, actor=subs.owner, kind="webhook",
                                    url=destination.url)
        env = environment(subs.sandbox.base_url_template, DEBUG="true", CELERY_BROKER_URL=broker.url,
                          SUBSCRIPTIONS_LOCAL_DESTINATIONS="true",
                          SUBSCRIPTIONS_DESTINATION_CA_FILE=destination.ca_file,
                          SUBSCRIPTIONS_RETRY_BASE_SECONDS="0.2",
                          SUBSCRIPTIONS_LOST_QUEUED_SECONDS=str(LOST_QUEUED))
        procs = SubscriptionProcesses(env, tmp_path)
        try:
            key, url = services.shared_key(subscription), f"/hooks/qualtrics/{subscription.receiver_id}/"

            def posts(numbers):
                message = {"Status": "Active", "SurveyID": subs.survey_id, "BrandID": "acme"}
                return [(url, signed_form(key, {**message, "Sequence": n}, "acme.controlpanel.activateSurvey")
                         .decode()) for n in numbers]

            procs.worker("w1", concurrency=2)
            procs.sweeper("beat1")
            procs.sweeper("beat2")
            before = post_as_qualtrics(env, posts(range(20)), tmp_path)
            wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT).count() == 20, procs,
                     "the events before the outage delivered", timeout=120)

            # The broker crashes: whatever was published and not yet taken is gone with it. The worker and the
            # sweepers keep running, and find it again once it is back.
            broker.stop()
            down_at = time.monotonic()
            during = post_as_qualtrics(env, posts(range(20, 80)), tmp_path)
            procs.worker("w2", concurrency=2)  # a worker that starts while there is no broker waits for one
            time.sleep(max(OUTAGE_SECONDS - (time.monotonic() - down_at), 0))
            assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 20  # nothing moved without it
            broker.start()
            print(f"\nthe broker was down {time.monotonic() - down_at:.0f} s")
            after = post_as_qualtrics(env, posts(range(80, 100)), tmp_path)

            wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT).count() == 100, procs,
                     "every delivery sent once the broker is back", timeout=300)
        finally:
            procs.stop_all()

        statuses = Counter(status for status, _ in before + during + after)
        assert statuses == {200: 100}
        slowest = max(seconds for _, seconds in during)
        assert slowest < 5, f"an answer took {slowest:.1f} s while the broker was down"
        assert Event.objects.count() == 100 and Event.objects.filter(state=EventState.PROCESSED).count() == 100
        sequences = Counter(r["json"]["event"]["Sequence"] for r in destination.received)
        assert sequences == dict.fromkeys(range(100), 1)  # each event arrived once, none missing
        print(f"answers while the broker was down: slowest {slowest * 1000:.0f} ms")
