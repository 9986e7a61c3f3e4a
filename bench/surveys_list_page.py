"""The survey list page on PostgreSQL + Redis: server time of the portal page against the same Qualtrics call
made directly with requests, both against one sandbox process with 50 ms of latency per call.

Where things run comes from the environment, as for the portal itself:

- DATABASE_URL (required, postgres://…): the database is created if it does not exist (and dropped at the end
  if this run created it, unless --keep-database), then migrated;
- CACHE_URL (required, redis://…/N): the cache, which also carries the Qualtrics rate budget and the survey
  reads the page keeps a minute; this Redis database is emptied first, so give the benchmark its own;
- CELERY_BROKER_URL: passed on as it is (nothing is enqueued).

The sandbox runs in a process of its own (bench/sandbox_process.py); the brand gets copies of a demo survey
until it has --surveys of them. The portal page is requested with Django's test client (logged in, DEBUG off),
so its time is the server's: access check, session and connection queries, token decryption, rate budget,
the Qualtrics call, the owners' names (kept a minute) and rendering the rows. The direct call is one
``requests.get`` of the same Qualtrics page. Medians over --rounds requests, interleaved, after a warm-up.

Each row's window and response counts are not part of the page: the browser asks for them once the page is
shown (one request reading those surveys in parallel). That request is timed too, for information.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python -m bench.surveys_list_page [--latency-ms 50] [--rounds 60] [--page-size 50] [--surveys 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_cache_database,
    median_ms,
    setup_django,
)

GOAL = 1.10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--page-size", type=int, default=50, choices=(25, 50, 100))
    parser.add_argument("--surveys", type=int, default=60, help="surveys in the brand (copies are made)")
    parser.add_argument("--keep-database", action="store_true", help="keep a database this run created")
    options = parser.parse_args(argv)
    server, database = database_from_env()
    empty_cache_database()
    created = create_database_if_missing(server, database)
    try:
        run(options)
    finally:
        if created and not options.keep_database:
            from django.db import connections

            connections.close_all()
            drop_database(server, database)


def run(options) -> None:
    from bench.sandbox_process import SandboxProcess

    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(latency_ms=0) as sandbox:
        setup_django(Path(tmp), sandbox.base_url_template)
        import requests
        from django.core.cache import cache
        from django.db import connection as db
        from django.test import Client
        from django.urls import reverse

        from connections.qualtrics_client import connection_client
        from tests.factories import make_connection, make_user

        acme = sandbox.brand("acme")
        owner = make_user("bench")
        connection = make_connection(owner, name="Bench", datacenter=acme["datacenter"], token=sandbox.admin_token,
                                     brand_id="acme", account_type="UT_BRANDADMIN")
        qualtrics = connection_client(connection, audit=False)
        existing = list(qualtrics.surveys.list().iter_all())
        for n in range(len(existing), options.surveys):  # made before the latency is switched on
            qualtrics.surveys.copy(existing[0]["id"], name=f"{existing[0]['name']} · wave {n:03d}")
        requests.post(f"{sandbox.root_url}/_sandbox/config", json={"latency_ms": options.latency_ms},
                      timeout=10).raise_for_status()

        base_url = sandbox.base_url_template.replace("{datacenter}", acme["datacenter"])
        headers = {"X-API-TOKEN": sandbox.admin_token}
        client = Client()
        client.force_login(owner)
        page_url = reverse("surveys:survey_list", kwargs={"connection_id": connection.pk})
        page_url += f"?page_size={options.page_size}"
        api_url = f"{base_url}/surveys"
        params = {"pageSize": str(options.page_size)}
        shown = min(options.page_size, options.surveys)

        def portal_once() -> float:
            started = time.perf_counter()
            response = client.get(page_url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            assert response.content.count(b'<span id="counts-SV_') == shown, "not every survey was listed"
            return elapsed

        def direct_once() -> float:
            started = time.perf_counter()
            response = requests.get(api_url, params=params, headers=headers, timeout=30)
            response.raise_for_status()
            elements = response.json()["result"]["elements"]
            elapsed = time.perf_counter() - started
            assert len(elements) == shown
            return elapsed

        for _ in range(3):  # warm-up: imports, templates, connection pools, the owners' names in the cache
            portal_once()
            direct_once()
        portal, direct = [], []
        for _ in range(options.rounds):  # interleaved, so both see the same machine load
            portal.append(portal_once())
            direct.append(direct_once())

        # The rows' facts, asked for by the browser once the page is shown: cold (read from Qualtrics in
        # parallel), then warm (kept a minute).
        ids = [s["id"] for s in qualtrics.surveys.list(page_size=options.page_size).items]
        rows_url = reverse("surveys:survey_rows", kwargs={"connection_id": connection.pk})
        rows_url += "?" + "&".join(f"id={i}" for i in ids)
        cold, warm = [], []
        for _ in range(5):
            from surveys.selectors import cache_forget

            cache_forget(connection)
            started = time.perf_counter()
            assert client.get(rows_url, HTTP_HX_REQUEST="true").status_code == 200
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert client.get(rows_url, HTTP_HX_REQUEST="true").status_code == 200
            warm.append(time.perf_counter() - started)

        # Where the portal's own time goes: the same page with the Qualtrics answer already in hand.
        from surveys import selectors

        answer = selectors.survey_page(connection=connection, actor=owner, page_size=options.page_size, cursor=None)
        real, selectors.survey_page = selectors.survey_page, lambda **kwargs: answer
        local = [portal_once() for _ in range(options.rounds)]
        selectors.survey_page = real
        vendor = db.vendor
        cache_backend = type(cache._cache if hasattr(cache, "_cache") else cache).__module__

    p, d = median_ms(portal), median_ms(direct)
    print(f"Survey list page, {shown} surveys, sandbox latency {options.latency_ms:g} ms, {options.rounds} rounds "
          f"(medians); database {vendor}, cache {cache_backend}")
    print(f"  portal page (server time):     {p:8.1f} ms")
    print(f"  same Qualtrics call directly:  {d:8.1f} ms")
    print(f"  ratio portal / direct:         {p / d:8.3f}  (portal adds {p - d:.1f} ms, {100 * (p / d - 1):.1f}%)")
    print(f"  goal: at most {GOAL:.2f}×            {'met' if p / d <= GOAL else 'NOT met'}")
    print(f"  the portal's own work alone (Qualtrics answer stubbed): {median_ms(local):.1f} ms")
    print(f"  then, in the browser, the rows' windows and counts: {median_ms(cold):.1f} ms read from Qualtrics "
          f"({len(ids)} surveys in parallel), {median_ms(warm):.1f} ms within the minute they are kept")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
