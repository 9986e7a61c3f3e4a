"""Bulk CSV import of 10,000 contacts into a mailing list: the portal's chunked transaction-contacts
import against creating the contacts one by one, both against the sandbox started in this process
(50 ms of latency per call).

The import runs exactly as a worker runs it (services.contact_import_run, step after step, honouring
each countdown) in a forked child process, so its peak memory (tracemalloc: Python allocations during
the run; and ru_maxrss) is the worker's alone, not the in-process sandbox's, which holds every contact.
API calls are counted from the sandbox's call log.

One by one: each contact is one POST …/mailinglists/{id}/contacts (the only route that puts a single
contact on a list). That is timed on a sample (--sample rows) and extrapolated to --rows; the output
says so. Qualtrics also caps those writes at 500 a minute, which bounds the one-by-one time from below.

    .venv/bin/python -m bench.contacts_import [--rows 10000] [--latency-ms 50] [--sample 200]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.setup import setup_django

MAILING_LIST_WRITES_PER_MINUTE = 500  # docs/qualtrics-api.md#rate-limits


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Last name", "Email", "External reference", "Phone", "Plan", "Region"])
        for i in range(rows):
            writer.writerow([f"First{i}", f"Last{i}", f"bench{i}@example.org", f"BENCH-{i:07d}",
                             f"+4420794{i % 100000:05d}", ("gold", "silver", "bronze")[i % 3],
                             ("EMEA", "NA", "APAC")[i % 3]])


def _worker(import_id: int, results, trace: bool) -> None:
    """The worker: a child process (the sandbox, which keeps every contact in memory, stays in the parent)
    running the import step after step as Celery would."""
    from django.db import connections

    from contacts import services

    connections.close_all()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    while True:
        countdown = services.contact_import_run(import_id=import_id)
        if countdown is None:
            break
        time.sleep(countdown)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
    results.put((seconds, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_worker(import_id: int, *, trace: bool) -> tuple[float, int, float]:
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=_worker, args=(import_id, results, trace))
    process.start()
    outcome = results.get()
    process.join()
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--sample", type=int, default=200, help="contacts created one by one, then extrapolated")
    parser.add_argument("--chunk-size", type=int, default=None, help="rows per import job (default: setting)")
    parser.add_argument("--sandbox-dedup", action="store_true",
                        help="keep the sandbox directory's e-mail de-duplication (its linear scan per imported "
                             "contact makes the sandbox itself quadratic: minutes for 10,000 rows)")
    options = parser.parse_args(argv)

    import requests

    from sandbox.server import SandboxServer

    with tempfile.TemporaryDirectory() as tmp, SandboxServer(seed="empty", latency_ms=options.latency_ms) as sandbox:
        workdir = Path(tmp)
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        setup_django(workdir, sandbox.base_url_template)
        from django.core.files import File

        from connections.qualtrics_client import connection_client
        from contacts import selectors, services, tasks
        from contacts.models import ContactImport
        from tests.factories import make_connection, make_user

        tasks.contact_import_run_task.apply_async = lambda *a, **k: None  # this process is the worker
        brand = sandbox.brand("acme")
        owner = make_user("bench")
        connection = make_connection(owner, name="Bench", datacenter=brand["datacenter"],
                                     token=sandbox.admin_token, brand_id="acme", account_type="UT_BRANDADMIN")
        client = connection_client(connection, audit=False)
        if not options.sandbox_dedup:
            with sandbox.state.lock:
                for pool in sandbox.state.brands["acme"].directories.values():
                    pool.dedup = dict.fromkeys(pool.dedup, False)
        directory = next(iter(client.directories.list().iter_all()))
        directory_id = directory["directoryId"]
        list_id = client.mailing_lists.create(directory_id, name="Bench import")["id"]
        mailing_list = selectors.mailing_list_get(connection=connection, actor=owner, directory_id=directory_id,
                                                  mailing_list_id=list_id)

        path = workdir / "contacts.csv"
        write_csv(path, options.rows)

        def prepared(target: dict) -> tuple[ContactImport, float]:
            with path.open("rb") as raw:
                upload = File(raw, name="contacts.csv")
                upload.size = path.stat().st_size
                contact_import = services.contact_import_create(
                    connection=connection, actor=owner, directory=directory, mailing_list=target, upload=upload,
                    phone_region="GB")
            if options.chunk_size:
                ContactImport.objects.filter(pk=contact_import.pk).update(chunk_size=options.chunk_size)
                contact_import.refresh_from_db()
            checked = time.perf_counter()
            errors = services.contact_import_check(contact_import=contact_import, mapping=contact_import.mapping,
                                                   phone_region="GB")
            assert not errors, errors
            while services.contact_import_run(import_id=contact_import.pk) is not None:  # the worker's check
                pass
            contact_import.refresh_from_db()
            seconds = time.perf_counter() - checked
            assert services.contact_import_start(contact_import=contact_import, actor=owner)
            return contact_import, seconds

        # Run 1, timed: the worker as it runs in production.
        imp, check_seconds = prepared(mailing_list)
        requests.delete(f"{sandbox.root_url}/_sandbox/calls", timeout=10).raise_for_status()
        import_seconds, _, _ = run_worker(imp.pk, trace=False)
        imp.refresh_from_db()
        chunks = list(imp.chunks.order_by("index").values("claimed_at", "sent_at", "finished_at"))
        planning = (chunks[0]["claimed_at"] - imp.started_at).total_seconds() if chunks else 0.0
        upload = sorted((c["sent_at"] - c["claimed_at"]).total_seconds() for c in chunks)[len(chunks) // 2]
        in_qualtrics = sorted((c["finished_at"] - c["sent_at"]).total_seconds() for c in chunks)[len(chunks) // 2]
        calls = requests.get(f"{sandbox.root_url}/_sandbox/calls", timeout=30).json()["calls"]
        by_kind: dict[str, int] = {}
        for call in calls:
            kind = "POST import" if call["method"] == "POST" else (
                "GET summary" if call["path"].endswith("/summary") else
                "GET status" if "/transactioncontacts/" in call["path"] else f"{call['method']} other")
            by_kind[kind] = by_kind.get(kind, 0) + 1
        members = sum(1 for _ in client.mailing_lists.members.list(directory_id, list_id).iter_all())

        # Run 2, the same file into another list, under tracemalloc (which slows Python down several times).
        second_list = client.mailing_lists.create(directory_id, name="Bench import, memory")["id"]
        second, _ = prepared(selectors.mailing_list_get(connection=connection, actor=owner,
                                                        directory_id=directory_id, mailing_list_id=second_list))
        _, peak, rss_mb = run_worker(second.pk, trace=True)
        second.refresh_from_db()
        assert second.added == imp.added

        # One by one, on a sample.
        sample_list = client.mailing_lists.create(directory_id, name="Bench one by one")["id"]
        one_started = time.perf_counter()
        for i in range(options.sample):
            client.mailing_lists.members.create(directory_id, sample_list, first_name=f"One{i}", last_name=f"By{i}",
                                               email=f"one{i}@example.org", ext_ref=f"ONE-{i:07d}",
                                               embedded_data={"Plan": "gold"})
        per_contact = (time.perf_counter() - one_started) / options.sample

    one_by_one_latency = per_contact * options.rows
    one_by_one_budget = options.rows / MAILING_LIST_WRITES_PER_MINUTE * 60
    print(f"Import of {options.rows:,} rows into a mailing list, sandbox latency {options.latency_ms:g} ms, "
          f"sandbox de-duplication {'on' if options.sandbox_dedup else 'off (see --sandbox-dedup)'}")
    print(f"  outcome: {imp.get_status_display()}, {imp.added:,} added, {imp.updated:,} updated, "
          f"{imp.failed:,} failed; {members:,} members on the list")
    print(f"  check before sending (every row, in the worker, which keeps the chunks): {check_seconds:.2f} s")
    print(f"  portal import: {import_seconds:.1f} s wall time, {len(calls)} API calls "
          f"({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))}), "
          f"{imp.total_chunks} chunks of up to {imp.chunk_size}")
    print(f"  of which: planning the chunks {planning:.1f} s; per chunk (median) upload {upload:.2f} s, "
          f"then {in_qualtrics:.2f} s until Qualtrics reported it done")
    print(f"  worker peak memory (a second, traced run): {peak / 2**20:.1f} MiB allocated by Python during the "
          f"run (tracemalloc, worker process); worker max RSS {rss_mb:.0f} MiB (includes what the forked worker "
          f"inherited from this process)")
    print(f"  one by one: {per_contact * 1000:.1f} ms per contact measured on {options.sample} contacts; "
          f"extrapolated to {options.rows:,}: {options.rows:,} API calls, {one_by_one_latency:.0f} s at this latency, "
          f"and at least {one_by_one_budget:.0f} s under Qualtrics' {MAILING_LIST_WRITES_PER_MINUTE}/min "
          f"mailing-list write limit")
    print(f"  portal vs one by one: {options.rows / max(len(calls), 1):.0f}x fewer API calls, "
          f"{max(one_by_one_latency, one_by_one_budget) / import_seconds:.0f}x faster (extrapolated)")


if __name__ == "__main__":
    main()
