"""500 distributions due at once, sent by two real Celery workers on PostgreSQL + Redis.

Set-up: a throwaway PostgreSQL database (created on 127.0.0.1:5432 with trust auth, dropped at the
end), Redis for the broker and the shared rate budget (one database number each, emptied first), the
sandbox as a process of its own (`python -m sandbox --latency-ms 50`), and two `celery -A portal
worker` processes.
This process plays beat: it runs the sweep (and the reaper) every --sweep-interval seconds, as the
beat schedule does every 15 s in production.

Reported: the time from "all due" until every distribution is sent, the requests per second reaching
the sandbox against the brand's rate budget (3,000 a minute), and duplicates per the sandbox's own
record (must be 0).

    .venv/bin/python -m bench.distributions_send [--count 500] [--latency-ms 50] [--workers 2]
        [--concurrency 8] [--budget 3000] [--redis-db 14]
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


class Sandbox:
    """The sandbox as a separate process, reached over HTTP like Qualtrics."""

    def __init__(self, latency_ms: float, log: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.admin_token = secrets.token_hex(20)
        self.root_url = f"http://127.0.0.1:{self.port}"
        self.base_url_template = f"{self.root_url}/{{datacenter}}/API/v3"
        handle = open(log, "ab")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(self.port), "--latency-ms", str(latency_ms),
             "--token", self.admin_token], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.root_url}/_sandbox/info", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                if self.process.poll() is not None:
                    raise SystemExit("the sandbox exited at start-up") from None
                time.sleep(0.2)
        raise SystemExit("the sandbox did not start")

    def brand(self, brand_id: str) -> dict:
        info = requests.get(f"{self.root_url}/_sandbox/info", timeout=10).json()
        return next(b for b in info["brands"] if b["brandId"] == brand_id)

    def calls(self) -> list[dict]:
        return requests.get(f"{self.root_url}/_sandbox/calls", timeout=60).json()["calls"]

    def stop(self) -> None:
        stop([self.process])


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def configure(workdir: Path, database: str, redis_db: int, base_url_template: str, budget: int) -> dict[str, str]:
    """Environment shared by this process and the workers; then set Django up here."""
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "CACHE_URL": f"redis://127.0.0.1:6379/{redis_db + 1}",
        "QUALTRICS_API_BASE_URL": base_url_template,
        "QUALTRICS_BRAND_BUDGET_PER_MINUTE": str(budget),
        "PORTAL_VAR_DIR": str(workdir),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "localhost",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PORTAL_TESTING": "true",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def due_distributions(connection, count: int) -> list[int]:
    from connections.qualtrics_client import connection_client
    from distributions.models import Channel, Distribution, Kind, State

    client = connection_client(connection, audit=False)
    directory_id = next(iter(client.directories.list().iter_all()))["directoryId"]
    lists = sorted(
        client.mailing_lists.list(directory_id, include_count=True).iter_all(), key=lambda m: m.get("contactCount", 0)
    )
    survey = next(s for s in client.surveys.list().iter_all() if s.get("isActive"))
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    rows = [
        Distribution(
            connection=connection, channel=Channel.EMAIL, kind=Kind.INVITE, state=State.SCHEDULED,
            name=f"Bench {n}", survey_id=survey["id"], survey_name=survey["name"],
            from_email="noreply@qualtrics.com", from_name="Bench", subject="Your opinion",
            message_text="Please answer our survey.", directory_id=directory_id,
            mailing_list_id=lists[0]["mailingListId"], link_type="Individual", send_at=now, reference=uuid.uuid4(),
        )
        for n in range(count)
    ]
    Distribution.objects.bulk_create(rows)
    return list(Distribution.objects.values_list("pk", flat=True))


def start_worker(name: str, env: dict[str, str], pool: str, concurrency: int, log: Path) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    handle = open(log, "ab")  # noqa: SIM115 - kept open for the process's life
    return subprocess.Popen(
        [celery, "-A", "portal", "worker", "-n", f"{name}@%h", "--pool", pool, "--concurrency",
         str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=handle, stderr=subprocess.STDOUT,
    )


def wait_until_ready(processes: list[subprocess.Popen], env: dict[str, str], timeout: float = 60) -> None:
    """Wait until every worker answers a ping, so the measurement starts with them all consuming."""
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a worker exited at start-up (code {process.returncode})")
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= len(processes):
            return
    raise SystemExit("the workers did not answer in time")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def busiest(seconds: Counter, window: int) -> int:
    """The most calls inside any `window` consecutive whole seconds (the call log has second precision)."""
    if not seconds:
        return 0
    first, last = min(seconds), max(seconds)
    return max(sum(seconds.get(s, 0) for s in range(start, start + window)) for start in range(first, last + 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", default="prefork", choices=("prefork", "threads"), help="worker pool")
    parser.add_argument("--concurrency", type=int, default=8, help="processes (or threads) per worker")
    parser.add_argument("--budget", type=int, default=3000, help="the brand's rate budget, requests per minute")
    parser.add_argument("--sweep-interval", type=float, default=1.0)
    parser.add_argument("--redis-db", type=int, default=14, help="broker database; the cache uses the next one")
    parser.add_argument("--timeout", type=float, default=600)
    options = parser.parse_args(argv)

    database = f"bench_distributions_{os.getpid()}"
    create_database(database)
    flush_redis(options.redis_db)
    flush_redis(options.redis_db + 1)
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            sandbox = Sandbox(options.latency_ms, workdir / "sandbox.log")
            processes.append(sandbox.process)
            env = configure(workdir, database, options.redis_db, sandbox.base_url_template, options.budget)
            from distributions.models import Distribution, State
            from distributions.rules import REFERENCE_KEY
            from distributions.services import distributions_reap, distributions_sweep
            from tests.factories import make_connection, make_user

            brand = sandbox.brand("acme")
            connection = make_connection(make_user("bench"), name="Bench", datacenter=brand["datacenter"],
                                         token=sandbox.admin_token, brand_id="acme", account_type="UT_BRANDADMIN")
            ids = due_distributions(connection, options.count)
            workers = [start_worker(f"bench{n}", env, options.pool, options.concurrency, workdir / f"worker{n}.log")
                       for n in range(options.workers)]
            processes[:0] = workers
            wait_until_ready(workers, env)
            requests.delete(f"{sandbox.root_url}/_sandbox/calls", timeout=10)

            started = time.monotonic()
            first_sweep = None
            sweep_seconds = 0.0
            last_reap = started
            while True:
                sweep_started = time.monotonic()
                claimed = distributions_sweep()
                if claimed and first_sweep is None:
                    first_sweep = sweep_started
                    sweep_seconds = time.monotonic() - sweep_started
                if time.monotonic() - last_reap > 30:
                    distributions_reap()
                    last_reap = time.monotonic()
                pending = Distribution.objects.filter(pk__in=ids).exclude(state__in=(State.SENT, State.FAILED))
                if not pending.exists():
                    break
                if time.monotonic() - started > options.timeout:
                    states = Counter(Distribution.objects.values_list("state", flat=True))
                    raise SystemExit(f"not done after {options.timeout:.0f} s: {dict(states)}")
                time.sleep(options.sweep_interval if not claimed else 0.05)
            elapsed = time.monotonic() - started

            calls = sandbox.calls()
            per_second = Counter(int(datetime.datetime.fromisoformat(c["time"].replace("Z", "+00:00")).timestamp())
                                 for c in calls)
            posts = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/distributions")]
            statuses = Counter(c["status"] for c in calls)
            rows = requests.get(f"{sandbox.root_url}/_sandbox/distributions", params={"brandId": "acme"},
                                timeout=60).json()["distributions"]
            per_reference = Counter((r.get("embeddedData") or {}).get(REFERENCE_KEY) for r in rows)
            references = {str(r) for r in Distribution.objects.values_list("reference", flat=True)}
            duplicates = sum(per_reference[r] - 1 for r in references if per_reference[r] > 1)
            missing = sum(1 for r in references if per_reference[r] == 0)
            states = Counter(Distribution.objects.values_list("state", flat=True))
            attempts = Counter(Distribution.objects.values_list("attempts", flat=True))
            per_worker = Counter(Distribution.objects.values_list("claimed_by", flat=True))

            budget_rps = options.budget / 60
            unit = "processes" if options.pool == "prefork" else "threads"
            print(f"Distributions: {options.count} due at once · {options.workers} workers × {options.concurrency} "
                  f"{unit} · sandbox latency {options.latency_ms:g} ms · PostgreSQL + Redis")
            print(f"All sent in {elapsed:.2f} s after they fell due (the first sweep claimed and enqueued "
                  f"{len(ids)} in {sweep_seconds:.2f} s); states {dict(states)}")
            print(f"Requests to Qualtrics: {len(calls)} ({len(posts)} creates), statuses {dict(statuses)}")
            minute = busiest(per_second, 60)
            print(f"Requests per second: {len(calls) / elapsed:.1f} on average, busiest second "
                  f"{busiest(per_second, 1)}, busiest minute {minute} · budget {options.budget}/min "
                  f"({budget_rps:.0f}/s on average) · {'within' if minute <= options.budget else 'OVER'} budget")
            print(f"Sends per distribution: {dict(sorted(attempts.items()))} · per worker process: "
                  f"{sorted(per_worker.values(), reverse=True)}")
            print(f"Duplicates (Qualtrics' own record): {duplicates} · missing: {missing}")
            if duplicates or missing or states.get(State.SENT, 0) != options.count:
                raise SystemExit(1)
    finally:
        stop(processes)
        from django.db import connections

        connections.close_all()
        drop_database(database)


if __name__ == "__main__":
    main()
