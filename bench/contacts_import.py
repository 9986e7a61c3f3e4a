"""Bulk CSV import into a mailing list on PostgreSQL + Redis, the sandbox in a process of its own (50 ms of
latency per call): the API calls the portal makes per row, with Qualtrics' default job time and with jobs
that take 10 s (the sandbox's `job_seconds` switch), against the goal of at most 1.2 % of the rows.

The import runs exactly as a worker runs it (services.contact_import_run, step after step, honouring each
countdown) in a forked child process; API calls are counted from the sandbox's own call log. One by one
(one POST …/mailinglists/{id}/contacts per contact) would be one call per row: 100 %.

With --million, the worker's streamed row check of a 100,000-row and of a 1,000,000-row file (the check every
import runs in the worker before sending) is run in a forked worker each, and its memory growth compared:
flat when the million rows need no more than the hundred thousand.

Set-up: a throwaway database on the PostgreSQL server DATABASE_URL names (its name plus `_import_<pid>`,
created and dropped here), CACHE_URL's Redis database (emptied first: the benchmark's own).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/python -m bench.contacts_import [--rows 5000] [--latency-ms 50] [--slow-job-seconds 10] [--million]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.sandbox_process import SandboxProcess
from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_cache_database,
    met,
    setup_django,
)

GOAL_SHARE = 0.012


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Last name", "Email", "External reference", "Phone", "Plan", "Region"])
        for i in range(rows):
            writer.writerow([f"First{i}", f"Last{i}", f"bench{i}@example.org", f"BENCH-{i:07d}",
                             f"+4420794{i % 100000:05d}", ("gold", "silver", "bronze")[i % 3],
                             ("EMEA", "NA", "APAC")[i % 3]])


def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _worker(import_id: int, results) -> None:
    """The worker: a child process running the import step after step as Celery would."""
    from django.db import connections

    from contacts import services

    connections.close_all()
    rss_start = _rss_mib()
    started = time.perf_counter()
    while True:
        countdown = services.contact_import_run(import_id=import_id)
        if countdown is None:
            break
        time.sleep(countdown)
    seconds = time.perf_counter() - started
    results.put((seconds, rss_start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_worker(import_id: int) -> tuple[float, float, float]:
    """(seconds, RSS at the start, peak RSS) of a forked worker running the import's steps to the end."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=_worker, args=(import_id, results))
    process.start()
    outcome = results.get()
    process.join()
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--slow-job-seconds", type=float, default=10.0)
    parser.add_argument("--million", action="store_true", help="also the streamed check of 1,000,000 rows")
    options = parser.parse_args(argv)

    server, base_name = database_from_env()
    database = f"{base_name}_import_{os.getpid()}"  # two runs at once (one with --million) do not collide
    drop_database(server, database)
    create_database_if_missing(server, database)
    empty_cache_database()
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(options.latency_ms, seed="empty") as sandbox:
            workdir = Path(tmp)
            os.environ["DATABASE_URL"] = f"postgres://{auth}@{server['host']}:{server['port']}/{database}"
            os.environ["MEDIA_ROOT"] = str(workdir / "media")
            setup_django(workdir, sandbox.base_url_template)
            measure(options, sandbox, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, database)


def measure(options, sandbox: SandboxProcess, workdir: Path) -> None:
    from django.core.files import File

    from connections.qualtrics_client import connection_client
    from contacts import selectors, services, tasks
    from contacts.models import ContactImport
    from tests.factories import make_connection, make_user

    tasks.contact_import_run_task.apply_async = lambda *a, **k: None  # the forked child is the worker
    brand = sandbox.brand("acme")
    owner = make_user("bench")
    connection = make_connection(owner, name="Bench", datacenter=brand["datacenter"], token=sandbox.admin_token,
                                 brand_id="acme", account_type="UT_BRANDADMIN")
    client = connection_client(connection, audit=False)
    directory = next(iter(client.directories.list().iter_all()))
    directory_id = directory["directoryId"]

    def prepared(path: Path, name: str, *, check_only: bool = False) -> ContactImport:
        list_id = client.mailing_lists.create(directory_id, name=name)["id"]
        target = selectors.mailing_list_get(connection=connection, actor=owner, directory_id=directory_id,
                                            mailing_list_id=list_id)
        with path.open("rb") as raw:
            upload = File(raw, name=path.name)
            upload.size = path.stat().st_size
            contact_import = services.contact_import_create(connection=connection, actor=owner, directory=directory,
                                                            mailing_list=target, upload=upload, phone_region="GB")
        errors = services.contact_import_check(contact_import=contact_import, mapping=contact_import.mapping,
                                               phone_region="GB")
        assert not errors, errors
        if not check_only:
            while services.contact_import_run(import_id=contact_import.pk) is not None:  # the worker's check
                pass
            assert services.contact_import_start(contact_import=contact_import, actor=owner)
        return contact_import

    path = workdir / "contacts.csv"
    write_csv(path, options.rows)
    print(f"Import of {options.rows:,} rows into a mailing list · sandbox latency {options.latency_ms:g} ms, in a "
          f"process of its own · PostgreSQL + Redis")
    shares = {}
    for label, job_seconds in (("default job time", None), (f"{options.slow_job_seconds:g} s per job",
                                                              options.slow_job_seconds)):
        sandbox.configure(job_seconds=job_seconds if job_seconds is not None else 2.0)
        imp = prepared(path, f"Bench import, {label}")
        sandbox.clear_calls()
        seconds, _rss_start, _rss_peak = run_worker(imp.pk)
        imp.refresh_from_db()
        calls = sandbox.calls()
        by_kind: dict[str, int] = {}
        for call in calls:
            kind = "POST import" if call["method"] == "POST" else (
                "GET summary" if call["path"].endswith("/summary") else
                "GET status" if "/transactioncontacts/" in call["path"] else f"{call['method']} other")
            by_kind[kind] = by_kind.get(kind, 0) + 1
        share = len(calls) / options.rows
        shares[label] = share
        print(f"  {label}: {imp.get_status_display()}, {imp.added:,} added and {imp.updated:,} updated in "
              f"{seconds:.1f} s; {len(calls)} API calls "
              f"({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))}) for {imp.total_chunks} chunks of "
              f"{imp.chunk_size} = {share:.2%} of the rows (one by one: 100 %)")
    slow = shares[f"{options.slow_job_seconds:g} s per job"]
    print(f"Goal (API calls ≤ {GOAL_SHARE:.1%} of the rows with {options.slow_job_seconds:g} s jobs, and with the "
          f"default): {slow:.2%} and {shares['default job time']:.2%}: "
          f"{met(slow <= GOAL_SHARE and shares['default job time'] <= GOAL_SHARE)}")

    if options.million:
        growth = {}
        for rows in (100_000, 1_000_000):
            big = workdir / f"contacts-{rows}.csv"
            write_csv(big, rows)
            imp = prepared(big, f"Bench check {rows}", check_only=True)
            seconds, rss_start, rss_peak = run_worker(imp.pk)  # the check step by step, as the worker runs it
            imp.refresh_from_db()
            growth[rows] = rss_peak - rss_start
            print(f"  streamed row check of {rows:,} rows ({big.stat().st_size / 2**20:.0f} MiB) in a worker: "
                  f"{seconds:.0f} s, status {imp.get_status_display()}, memory from {rss_start:.0f} MiB to a peak of "
                  f"{rss_peak:.0f} MiB (+{growth[rows]:.0f} MiB)")
        flat = growth[1_000_000] <= growth[100_000] + 20
        print(f"Goal (1,000,000 rows need no more worker memory than 100,000, within 20 MiB): "
              f"+{growth[1_000_000]:.0f} vs +{growth[100_000]:.0f} MiB: {met(flat)}")


if __name__ == "__main__":
    main()
