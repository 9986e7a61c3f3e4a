"""The broker down for a minute: Qualtrics keeps posting, the receiver keeps answering at once (each event is in
the database before it answers, and its message could not be published), and once the broker is back the sweep
publishes what is due, so every event reaches its destination exactly once.

The worker running through the outage reconnects; one started during it waits for the broker. A Redis of the
test's own is the broker, so that stopping it disturbs no other test.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest

from subscriptions import services
from subscriptions.models import Delivery, DeliveryState, Event, EventState, Topic
from tests.distributions.processes import environment

from .conftest import signed_form
from .processes import SubscriptionProcesses, post_as_qualtrics, wait_for
from .receivers import HttpsDestination

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("SUBSCRIPTIONS_BROKER_OUTAGE_SECONDS", "60"))
LOST_QUEUED = 15  # seconds after which the sweep publishes again what it published before


def test_the_broker_down_for_a_minute_loses_no_event_and_doubles_none(subs, dedicated_redis, tmp_path):
    subscription = subs.create(kind=Topic.ACTIVATED, fields="")
    with HttpsDestination() as destination:
        services.destination_create(subscription=subscription, actor=subs.owner, kind="webhook",
                                    url=destination.url)
        env = environment(subs.sandbox.base_url_template, DEBUG="true", CELERY_BROKER_URL=dedicated_redis.url(0),
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

            # The broker goes away; the worker and the sweepers keep running, and reconnect once it is back.
            dedicated_redis.stop()
            down_at = time.monotonic()
            during = post_as_qualtrics(env, posts(range(20, 80)), tmp_path)
            procs.worker("w2", concurrency=2)  # a worker that starts while there is no broker waits for one
            time.sleep(max(OUTAGE_SECONDS - (time.monotonic() - down_at), 0))
            assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 20  # nothing moved without it
            dedicated_redis.start()
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
