"""Page cost against the number of connections: the dashboard and a contact list page for someone with 10
connections and for someone with 5,000, measured alternately in one run (so both see the same machine
load), on PostgreSQL + Redis with the sandbox in its own process. Goal: each page with 5,000 connections
within 10 % of the same page with 10.

Both people's connections look alike: one expiring in 3 days, one expired, one failing, the rest with expiry
dates spread over the next year (so some are inside their notice window, with a banner and a dashboard
entry) and one in a hundred failing its last check; each person has one working connection to the sandbox,
whose contact list is the second page. Server time through
Django's test client; medians over --rounds requests of each page after a warm-up.

Set-up: a throwaway database on the PostgreSQL server DATABASE_URL names (its name plus `_connections`,
created and dropped here), CACHE_URL's Redis database (emptied first: the benchmark's own).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/python -m bench.connection_count [--few 10] [--many 5000] [--rounds 40] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path

from bench.sandbox_process import SandboxProcess
from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_cache_database,
    median_ms,
    met,
    setup_django,
)

GOAL = 1.10


def connections_for_person(person, count: int, sandbox, token_plain: str) -> int:
    """`count` connections owned by `person`, the first one working against the sandbox; returns its id."""
    from django.utils import timezone

    from connections.crypto import encrypt_token
    from connections.models import Connection

    brand = sandbox.brand("acme")
    working = encrypt_token(token_plain)
    dead = encrypt_token("d" * 40)
    today = timezone.localdate()
    # Whatever their number, both people's dashboards have something in every card: the second connection
    # expires in 3 days, the third expired yesterday, the fourth failed its last check; the rest expire over
    # the next year and one in a hundred fails.
    expiry = {1: 3, 2: -1}
    rows = [
        Connection(owner=person, name=f"{person.username} {n:05d}", datacenter=brand["datacenter"],
                   token_encrypted=working if n == 0 else dead, token_last4="xxxx",
                   brand_id="acme" if n == 0 else f"brand-{person.username}-{n}", account_type="UT_BRANDADMIN",
                   expires_on=None if n == 0 else today + datetime.timedelta(days=expiry.get(n, 30 + (n * 37) % 335)),
                   last_check_ok=not (n == 3 or n % 100 == 99))
        for n in range(count)
    ]
    Connection.objects.bulk_create(rows, batch_size=1000)
    return Connection.objects.get(owner=person, name=f"{person.username} 00000").pk


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--many", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=0)
    options = parser.parse_args(argv)

    server, base_name = database_from_env()
    database = f"{base_name}_connections"
    drop_database(server, database)
    create_database_if_missing(server, database)
    empty_cache_database()
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(latency_ms=options.latency_ms) as sandbox:
            os.environ["DATABASE_URL"] = f"postgres://{auth}@{server['host']}:{server['port']}/{database}"
            setup_django(Path(tmp), sandbox.base_url_template)
            measure(options, sandbox)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, database)


def measure(options, sandbox) -> None:
    import requests
    from django.test import Client
    from django.urls import reverse

    from tests.factories import make_user

    base_url = sandbox.base_url_template.replace("{datacenter}", sandbox.brand("acme")["datacenter"])
    directory_id = requests.get(f"{base_url}/directories", headers={"X-API-TOKEN": sandbox.admin_token},
                                timeout=30).json()["result"]["elements"][0]["directoryId"]
    pages: dict[str, dict[str, tuple[Client, str]]] = {}
    for label, count in (("few", options.few), ("many", options.many)):
        person = make_user(f"person-{label}")
        working = connections_for_person(person, count, sandbox, sandbox.admin_token)
        client = Client()
        client.force_login(person)
        pages[label] = {
            "dashboard": (client, reverse("dashboard")),
            "contact list": (client, reverse("contacts:contact_list",
                                             kwargs={"connection_id": working, "directory_id": directory_id})),
        }

    def once(client: Client, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    sizes = {}
    for label in ("few", "many"):
        for page, (client, url) in pages[label].items():
            for _ in range(3):  # warm-up
                once(client, url)
            sizes[(label, page)] = len(client.get(url).content)
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    queries = {}
    for key in sizes:
        client, url = pages[key[0]][key[1]]
        with CaptureQueriesContext(db) as captured:
            once(client, url)
        queries[key] = captured.captured_queries
        if os.environ.get("BENCH_SHOW_QUERIES"):
            print(f"{key}: {len(captured.captured_queries)} queries")
            for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:8]:
                print(f"    {q['time']} s  {q['sql'][:300]}")
    times: dict[tuple[str, str], list[float]] = {key: [] for key in sizes}
    for _ in range(options.rounds):  # alternately, so both see the same machine load
        for page in ("dashboard", "contact list"):
            for label in ("few", "many"):
                client, url = pages[label][page]
                times[(label, page)].append(once(client, url))

    print(f"Pages for someone with {options.few:,} connections and someone with {options.many:,}, PostgreSQL + "
          f"Redis, sandbox latency {options.latency_ms:g} ms (its own process), medians of {options.rounds} each")
    ok = True
    for page in ("dashboard", "contact list"):
        few, many = median_ms(times[("few", page)]), median_ms(times[("many", page)])
        ratio = many / few
        ok &= ratio <= GOAL
        print(f"  {page:13} {options.few:>6,}: {few:7.1f} ms, {sizes[('few', page)] / 1024:5.1f} KiB, "
              f"{len(queries[('few', page)])} queries · {options.many:>6,}: {many:7.1f} ms, "
              f"{sizes[('many', page)] / 1024:5.1f} KiB, {len(queries[('many', page)])} queries · ratio {ratio:.3f}")
    print(f"Goal (each page with {options.many:,} connections within 10 % of it with {options.few:,}): {met(ok)}")


if __name__ == "__main__":
    main()
