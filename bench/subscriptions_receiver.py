"""The event receiver's acknowledgement time for 1,000 Qualtrics events (4 gunicorn workers on PostgreSQL +
Redis), goal p95 under 50 ms; and each event's end-to-end time to an HTTPS destination through a real worker.

Where things run comes from the environment, as for the portal itself:

- DATABASE_URL (required, postgres://…): created if missing (and dropped at the end if this run created it,
  unless --keep-database), then migrated; gunicorn and the worker share it;
- CACHE_URL (required, redis://…/N) and CELERY_BROKER_URL (required, redis://…/M): both emptied first, so give
  the benchmark its own.

The events are posted as Qualtrics posts them (form-encoded, HMAC-SHA512 signed) by --clients concurrent
clients, each post timed from this process until the receiver's answer: the signature check, the event's row
and the task's publication. The subscription is on a survey-activation topic, so no response is read from
Qualtrics on the way (that read is held to Qualtrics' 240-a-minute single-response budget, which would
dominate the end-to-end time). The worker runs as the README has a worker beside web processes run (`nice -n
10`) and forwards each event to an HTTPS receiver in a process of its own with its own CA (the worker runs in
development mode for that one reason: a destination on this machine); end-to-end is from the start of the post
to the destination's receipt.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/10 .venv/bin/python -m bench.subscriptions_receiver [--events 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from bench.gateway_overhead import start_gunicorn
from bench.setup import create_database_if_missing, database_from_env, drop_database, empty_cache_database, setup_django

GOAL_P95_MS = 50.0
WARM_UP = 20
ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent posts, as Qualtrics' senders")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-after", action="store_true",
                        help="start the worker once every event is posted: the receiver timed alone on the machine")
    parser.add_argument("--keep-database", action="store_true", help="keep a database this run created")
    options = parser.parse_args(argv)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if urlsplit(broker).scheme not in ("redis", "rediss"):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis database of the benchmark's own, e.g. redis://127.0.0.1:6379/10")
    server, database = database_from_env()
    empty_cache_database()
    import redis

    redis.Redis.from_url(broker).flushdb()
    created = create_database_if_missing(server, database)
    try:
        run(options)
    finally:
        if created and not options.keep_database:
            from django.db import connections

            connections.close_all()
            drop_database(server, database)


def start_worker(workdir: Path, ca_file: str) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_VAR_DIR": str(workdir), "DEBUG": "true", "SUBSCRIPTIONS_LOCAL_DESTINATIONS": "true",
           "SUBSCRIPTIONS_DESTINATION_CA_FILE": ca_file}
    return subprocess.Popen(
        ["nice", "-n", "10", str(Path(sys.executable).with_name("celery")), "-A", "portal", "worker",
         "--pool", "threads", "--concurrency", "4", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "worker.log").open("wb"),
    )


def run(options) -> None:
    from bench.destination_process import DestinationProcess
    from bench.sandbox_process import SandboxProcess

    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(latency_ms=0) as sandbox, \
            DestinationProcess() as destination:
        os.environ["PORTAL_BASE_URL"] = "http://127.0.0.1:1"  # replaced by gunicorn's address below
        setup_django(Path(tmp), sandbox.base_url_template)
        import requests
        from django.db import connection as db

        from subscriptions import services
        from subscriptions.models import Subscription, Topic
        from tests.factories import make_connection, make_user
        from tests.subscriptions.conftest import signed_form

        acme = sandbox.brand("acme")
        owner = make_user("bench")
        connection = make_connection(owner, name="Bench", datacenter=acme["datacenter"], token=sandbox.admin_token,
                                     brand_id="acme", account_type="UT_BRANDADMIN")
        survey_id = acme["surveys"][0]["id"]
        subscription = services.subscription_create(connection=connection, actor=owner, kind=Topic.ACTIVATED,
                                                    survey_id=survey_id, survey_name="Bench")
        # The webhook destination is on this machine: saved directly (the form allows it in development only).
        from connections.crypto import encrypt_token
        from subscriptions.models import Destination

        Destination.objects.create(subscription=subscription, kind="webhook", url=destination.url,
                                   signing_key_encrypted=encrypt_token("whsec_bench"))
        key = services.shared_key(subscription)
        receiver = subscription.receiver_id
        db.close()
        gunicorn, portal_url = start_gunicorn(Path(tmp), options.workers, 1)
        worker = start_worker(Path(tmp), destination.ca_file)
        warm_up = WARM_UP
        try:
            url = f"{portal_url}/hooks/qualtrics/{receiver}/"
            local = threading.local()
            topic = "acme.controlpanel.activateSurvey"
            started: dict[int, float] = {}

            def post(n: int) -> tuple[float, int]:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                body = signed_form(key, {"Status": "Active", "SurveyID": survey_id, "BrandID": "acme",
                                         "Sequence": n}, topic)
                started[n] = begin = time.monotonic()
                answer = session.post(url, data=body, timeout=30,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
                return time.monotonic() - begin, answer.status_code

            for n in range(-WARM_UP, 0):  # warm-up: connections, imports, the first queries of each worker
                post(n)
            while len(destination.arrivals()) < WARM_UP and worker.poll() is None:
                time.sleep(0.1)
            if options.worker_after:
                worker.terminate()
                worker.wait(timeout=30)
            begin = time.monotonic()
            with ThreadPoolExecutor(options.clients) as pool:
                results = list(pool.map(post, range(options.events)))
            posting = time.monotonic() - begin
            if options.worker_after:
                worker = start_worker(Path(tmp), destination.ca_file)
            deadline = time.monotonic() + 900
            while len(destination.arrivals()) < WARM_UP + options.events and time.monotonic() < deadline:
                if worker.poll() is not None:
                    raise RuntimeError("the worker exited: " + (Path(tmp) / "worker.log").read_text()[-2000:])
                time.sleep(0.2)
            drained = time.monotonic() - begin
        finally:
            worker.terminate()
            gunicorn.terminate()
            worker.wait(timeout=30)
            gunicorn.wait(timeout=30)
        acks = [seconds * 1000 for seconds, _status in results]
        failed = sum(1 for _seconds, status in results if status != 200)
        arrivals = {n: at for n, at in destination.arrivals().items() if n >= 0}  # the warm-up's are negative
        ends = [(arrivals[n] - started[n]) * 1000 for n in range(options.events) if n in arrivals]
        p50, p95 = statistics.median(acks), percentile(acks, 0.95)
        stored = Subscription.objects.get(pk=subscription.pk).events.count() - warm_up
        print(f"{options.events} events posted by {options.clients} clients to {options.workers} gunicorn workers "
              f"on {db.vendor} + Redis in {posting:.1f} s ({options.events / posting:.0f}/s); {failed} refused; "
              f"{stored} stored; the worker {'started after' if options.worker_after else 'forwarding meanwhile'}")
        print(f"receiver acknowledgement: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(acks):.1f} ms "
              f"(goal p95 < {GOAL_P95_MS:.0f} ms): {'met' if p95 < GOAL_P95_MS and not failed else 'NOT met'}")
        if ends and not options.worker_after:
            print(f"end to end, post to HTTPS destination through one worker (4 threads): p50 "
                  f"{statistics.median(ends):.0f} ms, p95 {percentile(ends, 0.95):.0f} ms; "
                  f"{len(arrivals)}/{options.events} arrived, all within {drained:.1f} s of the first post")
        if len(arrivals) < options.events:
            print(f"NOT met: {options.events - len(arrivals)} event(s) did not reach the destination")


if __name__ == "__main__":
    main()
