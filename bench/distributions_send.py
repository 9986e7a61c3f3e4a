"""Distributions due at once, sent by two real Celery workers on PostgreSQL + Redis, against the brand's
rate budget.

Set-up: a throwaway PostgreSQL database on the server DATABASE_URL names (its name plus
`_distributions`, created and dropped here), the Redis databases CELERY_BROKER_URL (broker) and
CACHE_URL (the shared rate budget) name (both emptied first: they must be the benchmark's own), the
sandbox as a process of its own (`python -m sandbox --latency-ms 50`, which enforces Qualtrics' 3,000
calls a minute itself), and two `celery -A portal worker` processes. This process plays beat: it runs
the sweep (and the reaper) as the beat schedule does, only more often.

Enough sends (3,600 by default) to use the whole budget and then some, so the busiest 60-second window
of calls Qualtrics received (the sandbox's own record) shows whether the portal uses the budget (goal:
at least 90 %) without ever going over it (no window above it, no 429), and whether anything went out
twice (Qualtrics' own record: 0 duplicates).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
    CACHE_URL=redis://127.0.0.1:6379/11 .venv/bin/python -m bench.distributions_send [--count 3600]
        [--latency-ms 50] [--workers 2] [--concurrency 8] [--budget 3000]
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from bench.sandbox_process import SandboxProcess
from bench.setup import (
    busiest_window,
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_broker_database,
    empty_cache_database,
    met,
    process_tree_cpu_seconds,
    redis_url,
)

ROOT = Path(__file__).resolve().parents[1]
GOAL_SHARE = 0.90


def configure(workdir: Path, database_url: str, base_url_template: str, budget: int) -> dict[str, str]:
    """Environment shared by this process and the workers; then set Django up here."""
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url("CELERY_BROKER_URL"),
        "CACHE_URL": redis_url("CACHE_URL"),
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
    Distribution.objects.bulk_create(rows, batch_size=1000)
    return list(Distribution.objects.values_list("pk", flat=True))


def start_worker(name: str, env: dict[str, str], concurrency: int, log: Path) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    handle = open(log, "ab")  # noqa: SIM115 - kept open for the process's life
    return subprocess.Popen(
        [celery, "-A", "portal", "worker", "-n", f"{name}@%h", "--pool", "prefork", "--concurrency",
         str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=handle, stderr=subprocess.STDOUT,
    )


def wait_until_ready(processes: list[subprocess.Popen], timeout: float = 90) -> None:
    """Wait until every worker answers a ping, so the measurement starts with them all consuming."""
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a worker exited at start-up (code {process.returncode})")
        if len(app.control.ping(timeout=1.0) or []) >= len(processes):
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3600)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="processes per worker")
    parser.add_argument("--budget", type=int, default=3000, help="the brand's rate budget, requests per minute")
    parser.add_argument("--sweep-interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=600)
    options = parser.parse_args(argv)

    server, base_name = database_from_env()
    database = f"{base_name}_distributions"
    drop_database(server, database)
    create_database_if_missing(server, database)
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    database_url = f"postgres://{auth}@{server['host']}:{server['port']}/{database}"
    empty_broker_database()
    empty_cache_database()
    workers: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(
            options.latency_ms, extra_args=("--rate-limit", str(options.budget))
        ) as sandbox:
            workdir = Path(tmp)
            env = configure(workdir, database_url, sandbox.base_url_template, options.budget)
            from distributions.models import Distribution, State
            from distributions.rules import REFERENCE_KEY
            from distributions.services import distributions_reap, distributions_sweep
            from tests.factories import make_connection, make_user

            brand = sandbox.brand("acme")
            connection = make_connection(make_user("bench"), name="Bench", datacenter=brand["datacenter"],
                                         token=sandbox.admin_token, brand_id="acme", account_type="UT_BRANDADMIN")
            ids = due_distributions(connection, options.count)
            workers = [start_worker(f"bench{n}", env, options.concurrency, workdir / f"worker{n}.log")
                       for n in range(options.workers)]
            wait_until_ready(workers)
            cpu_before = sum(process_tree_cpu_seconds(w.pid) for w in workers)
            sandbox.clear_calls()

            started = time.monotonic()
            last_reap = started
            while True:
                claimed = distributions_sweep()
                if time.monotonic() - last_reap > 30:
                    distributions_reap()
                    last_reap = time.monotonic()
                if not Distribution.objects.filter(pk__in=ids).exclude(state__in=(State.SENT, State.FAILED)).exists():
                    break
                if time.monotonic() - started > options.timeout:
                    states = Counter(Distribution.objects.values_list("state", flat=True))
                    raise SystemExit(f"not done after {options.timeout:.0f} s: {dict(states)}")
                time.sleep(0.2 if claimed else options.sweep_interval)
            elapsed = time.monotonic() - started
            cpu = sum(process_tree_cpu_seconds(w.pid) for w in workers) - cpu_before

            calls = sandbox.calls()
            per_second = Counter(int(datetime.datetime.fromisoformat(c["time"].replace("Z", "+00:00")).timestamp())
                                 for c in calls)
            posts = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/distributions")]
            statuses = Counter(c["status"] for c in calls)
            rows = sandbox_distributions(sandbox)
            per_reference = Counter((r.get("embeddedData") or {}).get(REFERENCE_KEY) for r in rows)
            references = {str(r) for r in Distribution.objects.values_list("reference", flat=True)}
            duplicates = sum(per_reference[r] - 1 for r in references if per_reference[r] > 1)
            missing = sum(1 for r in references if per_reference[r] == 0)
            states = Counter(Distribution.objects.values_list("state", flat=True))

            minute = busiest_window(per_second, 60)
            share = minute / options.budget
            over = minute > options.budget or statuses.get(429, 0) > 0
            print(f"Distributions: {options.count} due at once · {options.workers} workers × {options.concurrency} "
                  f"processes · sandbox latency {options.latency_ms:g} ms · PostgreSQL + Redis")
            print(f"All sent in {elapsed:.1f} s; states {dict(states)}")
            print(f"Requests to Qualtrics: {len(calls)} ({len(posts)} creates), statuses {dict(statuses)}")
            print(f"Worker CPU per send: {cpu / max(len(posts), 1) * 1000:.1f} ms")
            print(f"Busiest 60-second window: {minute} calls = {share:.1%} of the {options.budget}/min budget "
                  f"(goal ≥ {GOAL_SHARE:.0%}, never above it: {'ABOVE' if over else 'never above'}); busiest second "
                  f"{busiest_window(per_second, 1)}")
            print(f"Duplicates (Qualtrics' own record): {duplicates} · missing: {missing}")
            ok = (share >= GOAL_SHARE and not over and duplicates == 0 and missing == 0
                  and states.get(State.SENT, 0) == options.count)
            print(f"Goal (≥ 90 % of the budget in the busiest minute, never above, 0 duplicates): {met(ok)}")
    finally:
        stop(workers)
        from django.db import connections

        connections.close_all()
        drop_database(server, database)


def sandbox_distributions(sandbox) -> list[dict]:
    import requests

    answer = requests.get(f"{sandbox.root_url}/_sandbox/distributions", params={"brandId": "acme"}, timeout=120,
                          verify=sandbox.verify)
    answer.raise_for_status()
    return answer.json()["distributions"]


if __name__ == "__main__":
    main()
