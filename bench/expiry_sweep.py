"""The daily expiry sweep over 1,000 and then 10,000 connections on PostgreSQL + Redis, every one of them
due: the sweep (beat's `connections-expiry-sweep` task, run here) claims the alerts and hands them in batches
to two real Celery workers, which e-mail them to an SMTP relay in a process of its own (bench/smtp_sink.py),
one SMTP connection per batch.

Reported for each size: the sweep's wall time and database queries (goal: 10,000 connections swept in under
2 s, the same number of queries at 1,000 and at 10,000), then how long until the relay received every
e-mail, over how many SMTP connections.

Set-up: a throwaway database on the PostgreSQL server DATABASE_URL names (its name plus `_expiry`, created
and dropped here); the Redis databases CELERY_BROKER_URL and CACHE_URL name are emptied first (they must be
the benchmark's own).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
    CACHE_URL=redis://127.0.0.1:6379/11 .venv/bin/python -m bench.expiry_sweep [--small 1000] [--large 10000]

BENCH_SHOW_QUERIES=1 prints each query of the sweep with its time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path

from bench.distributions_send import start_worker, stop, wait_until_ready
from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_broker_database,
    empty_cache_database,
    met,
    redis_url,
)
from bench.smtp_sink import SmtpSink

GOAL_SECONDS = 2.0


def add_connections(count: int, start: int) -> None:
    """`count` connections due for their expiry notice, each with an owner and a manager, written in bulk."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from connections.crypto import encrypt_token
    from connections.models import Connection, ConnectionShare, Role

    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"user{n}", email=f"user{n}@example.org") for n in range(start * 2, (start + count) * 2)],
        batch_size=2000,
    )
    token = encrypt_token("b" * 40)
    soon = timezone.localdate() + datetime.timedelta(days=3)
    connections = Connection.objects.bulk_create(
        [Connection(owner=users[2 * i], name=f"Brand {start + i}", datacenter="iad1", token_encrypted=token,
                    token_last4="bbbb", brand_id=f"brand{start + i}", expires_on=soon, notify_days_before=14)
         for i in range(count)],
        batch_size=2000,
    )
    ConnectionShare.objects.bulk_create(
        [ConnectionShare(connection=c, user=users[2 * i + 1], role=Role.MANAGER) for i, c in enumerate(connections)],
        batch_size=2000,
    )


def sweep() -> tuple[float, int, int]:
    """(seconds, queries, alerts claimed) of one sweep, as beat's task runs it (batches go to the workers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connections.services import connections_expiry_sweep
    from connections.tasks import connections_alerts_deliver_task

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = connections_expiry_sweep(deliver=lambda ids, claim: connections_alerts_deliver_task.delay(ids, claim))
        seconds = time.perf_counter() - started
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for query in queries.captured_queries:
            print(f"    {query['time']} s  {query['sql'][:150]}")
    return seconds, len(queries.captured_queries), report.claimed


def wait_for_mail(sink: SmtpSink, expected: int, timeout: float = 600) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails, sessions = sink.counts()
        if mails >= expected:
            return mails, sessions
        time.sleep(0.1)
    raise SystemExit(f"the relay got {sink.counts()[0]} of {expected} e-mails in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    options = parser.parse_args(argv)

    server, base_name = database_from_env()
    database = f"{base_name}_expiry"
    drop_database(server, database)
    create_database_if_missing(server, database)
    empty_cache_database()
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    empty_broker_database()
    workers = []
    try:
        with tempfile.TemporaryDirectory() as tmp, SmtpSink() as sink:
            from cryptography.fernet import Fernet

            env = {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DATABASE_URL": f"postgres://{auth}@{server['host']}:{server['port']}/{database}",
                "CELERY_BROKER_URL": redis_url("CELERY_BROKER_URL"),
                "CACHE_URL": redis_url("CACHE_URL"),
                "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
                "PORTAL_VAR_DIR": tmp,
                "DEBUG": "false",
                "SECURE_SSL_REDIRECT": "false",
                "ALLOWED_HOSTS": "localhost",
                "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
                "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "PORTAL_TESTING": "true",
                "LOG_LEVEL": "WARNING",
            }
            os.environ.update(env)
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            (Path(tmp) / "staticfiles").mkdir(exist_ok=True)
            from connections.models import AlertSent

            workers = [start_worker(f"bench{n}", env, options.concurrency, Path(tmp) / f"worker{n}.log")
                       for n in range(options.workers)]
            wait_until_ready(workers)
            print(f"Expiry sweep on PostgreSQL + Redis, every connection due; {options.workers} workers × "
                  f"{options.concurrency} processes e-mail the alerts to an SMTP relay (a process of its own)")
            add_connections(options.small, 0)
            results = {}
            for size in (options.small, options.large):
                if size != options.small:
                    add_connections(size - options.small, options.small)
                    AlertSent.objects.all().delete()  # every connection due again
                mails_before, sessions_before = sink.counts()
                started = time.perf_counter()
                seconds, queries, claimed = sweep()
                mails, sessions = wait_for_mail(sink, mails_before + claimed)
                delivered = time.perf_counter() - started
                results[size] = (seconds, queries)
                print(f"{size:>6,} connections: swept in {seconds:.2f} s with {queries} queries, {claimed:,} alerts "
                      f"claimed; all {mails - mails_before:,} e-mails at the relay after {delivered:.1f} s, over "
                      f"{sessions - sessions_before} SMTP connection(s)")
            again = sweep()
            print(f"A second sweep the same day: {again[0]:.2f} s, {again[1]} queries, {again[2]} claimed")
            seconds, queries = results[options.large]
            constant = queries == results[options.small][1]
            print(f"Goal ({options.large:,} connections swept in < {GOAL_SECONDS:g} s, the same number of queries at "
                  f"{options.small:,} and {options.large:,}): {seconds:.2f} s, {results[options.small][1]} and "
                  f"{queries} queries: {met(seconds < GOAL_SECONDS and constant)}")
    finally:
        stop(workers)
        from django.db import connections

        connections.close_all()
        drop_database(server, database)


if __name__ == "__main__":
    main()
