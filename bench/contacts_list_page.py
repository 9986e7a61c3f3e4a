"""The directory contact list page: server time of the portal page against the same Qualtrics call made
directly with requests, both against one sandbox process (50 ms of latency per call). The sandbox runs
in a process of its own, as Qualtrics is on another machine (see bench/sandbox_process.py).

The portal page is requested with Django's test client (logged in; PostgreSQL from DATABASE_URL, created
and dropped when missing; Redis as the cache from CACHE_URL, emptied first), so its time is the server's
time: access check, token decryption, rate budget, the Qualtrics call and
rendering 50 rows. The direct call is one ``requests.get`` of the same page (same page size, same
pagination scheme). Medians over --rounds requests after a warm-up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/python -m bench.contacts_list_page [--latency-ms 50] [--rounds 60] [--page-size 50]
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--page-size", type=int, default=50)
    options = parser.parse_args(argv)
    server, database = database_from_env()
    empty_cache_database()
    created = create_database_if_missing(server, database)
    try:
        run(options)
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            drop_database(server, database)


def run(options) -> None:
    from bench.sandbox_process import SandboxProcess

    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(latency_ms=options.latency_ms) as sandbox:
        setup_django(Path(tmp), sandbox.base_url_template)
        import requests
        from django.test import Client
        from django.urls import reverse

        from tests.factories import make_connection, make_user

        acme = sandbox.brand("acme")
        owner = make_user("bench")
        connection = make_connection(
            owner,
            name="Bench",
            datacenter=acme["datacenter"],
            token=sandbox.admin_token,
            brand_id="acme",
            account_type="UT_BRANDADMIN",
        )
        base_url = sandbox.base_url_template.replace("{datacenter}", acme["datacenter"])
        headers = {"X-API-TOKEN": sandbox.admin_token}
        directory_id = requests.get(f"{base_url}/directories", headers=headers, timeout=30).json()["result"][
            "elements"
        ][0]["directoryId"]
        client = Client()
        client.force_login(owner)
        page_url = reverse(
            "contacts:contact_list", kwargs={"connection_id": connection.pk, "directory_id": directory_id}
        )
        page_url += f"?page_size={options.page_size}"
        api_url = f"{base_url}/directories/{directory_id}/contacts"
        params = {"pageSize": str(options.page_size), "useNewPaginationScheme": "true"}

        def portal_once() -> float:
            started = time.perf_counter()
            response = client.get(page_url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and response.content.count(b"/contacts/CID_") >= options.page_size, (
                response.status_code)
            return elapsed

        def direct_once() -> float:
            started = time.perf_counter()
            response = requests.get(api_url, params=params, headers=headers, timeout=30)
            response.raise_for_status()
            elements = response.json()["result"]["elements"]
            elapsed = time.perf_counter() - started
            assert len(elements) == options.page_size
            return elapsed

        for _ in range(3):  # warm-up: imports, template loading, caches, connection pools
            portal_once()
            direct_once()
        portal, direct = [], []
        for _ in range(options.rounds):  # interleaved, so both see the same machine load
            portal.append(portal_once())
            direct.append(direct_once())

        # Where the portal's own time goes: the same page with the Qualtrics answer already in hand.
        from contacts import selectors

        answer = selectors.contact_page(connection=connection, actor=owner, directory_id=directory_id,
                                        page_size=options.page_size, cursor=None)
        real, selectors.contact_page = selectors.contact_page, lambda **kwargs: answer
        local = [portal_once() for _ in range(options.rounds)]
        selectors.contact_page = real

    p, d = median_ms(portal), median_ms(direct)
    print("PostgreSQL + Redis; the sandbox in its own process")
    print(
        f"Contact list page, {options.page_size} contacts, sandbox latency {options.latency_ms:g} ms, "
        f"{options.rounds} rounds (medians)"
    )
    print(f"  portal page (server time):     {p:8.1f} ms")
    print(f"  same Qualtrics call directly:  {d:8.1f} ms")
    print(f"  ratio portal / direct:         {p / d:8.3f}  (portal adds {p - d:.1f} ms, {100 * (p / d - 1):.1f}%)")
    print(f"  goal: portal adds < 10%        {'met' if p / d < 1.10 else 'NOT met'}")
    print(f"  the portal's own work alone (Qualtrics answer stubbed): {median_ms(local):.1f} ms")


if __name__ == "__main__":
    main()
