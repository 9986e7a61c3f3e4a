"""Response export into storage: 100,000 responses streamed from Qualtrics (the sandbox, a process of its own)
into the portal's storage by a worker whose memory stays flat, and the API calls one export costs.

The worker is a forked child running the export exactly as Celery runs it (services.response_export_run, step
after step, sleeping each countdown), once for 10,000 responses and once for 100,000, each in a fresh child of
the same parent: the growth of its peak RSS between the two is what the file's size costs the worker (goal:
under 30 MiB). Then an export of a job the sandbox takes 10 s to prepare (its job_seconds switch): the calls it
made, from the sandbox's call log (goal: at most 10). Beside each, the sandbox's own time for the same work:
preparing the file (the start call, which builds it, and the job's time) and serving it to a plain client.

Needs PostgreSQL (DATABASE_URL; created when missing and dropped afterwards) and Redis (CACHE_URL, emptied).

    .venv/bin/python -m bench.responses_export [--responses 100000] [--small 10000] [--job-seconds 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import requests

from bench.sandbox_process import SandboxProcess
from bench.setup import create_database_if_missing, database_from_env, drop_database, empty_cache_database, setup_django

RSS_GROWTH_GOAL_MIB = 30
CALLS_GOAL = 10


def _worker(export_id: int, results) -> None:
    """The worker: a fresh child process running one export step after step as Celery would."""
    from django.db import connections

    from responses import services

    connections.close_all()
    started = time.perf_counter()
    while True:
        countdown = services.response_export_run(export_id=export_id)
        if countdown is None:
            break
        time.sleep(countdown)
    results.put((time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_worker(export_id: int) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a worker running the export."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=_worker, args=(export_id, results))
    process.start()
    outcome = results.get()
    process.join()
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--job-seconds", type=float, default=10.0)
    options = parser.parse_args(argv)
    server, database = database_from_env()
    empty_cache_database()
    created = create_database_if_missing(server, database)
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess() as sandbox:
            measure(options, Path(tmp), sandbox)
    finally:
        if created:
            drop_database(server, database)


def measure(options, workdir: Path, sandbox: SandboxProcess) -> None:
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    setup_django(workdir, sandbox.base_url_template)
    from django.core.files.storage import default_storage

    from connections.qualtrics_client import connection_client
    from responses import services, tasks
    from responses.models import ResponseExport
    from tests.factories import make_connection, make_user

    tasks.response_export_run_task.apply_async = lambda *a, **k: None  # the forked children are the workers
    brand = sandbox.brand("acme")
    owner = make_user(f"bench-{int(time.time())}")
    connection = make_connection(owner, name="Bench", datacenter=brand["datacenter"], token=sandbox.admin_token,
                                 brand_id="acme", account_type="UT_BRANDADMIN")
    client = connection_client(connection, audit=False)
    survey = next(s for s in client.surveys.list().iter_all() if s["name"] == "Customer Satisfaction 2025")
    control = sandbox.root_url + "/_sandbox"
    started = time.perf_counter()
    requests.post(f"{control}/bulk-responses", json={"surveyId": survey["id"], "count": options.responses},
                  timeout=900).raise_for_status()
    print(f"(the sandbox recorded {options.responses:,} synthetic responses in {time.perf_counter() - started:.0f} s)")
    requests.post(f"{control}/config", json={"job_seconds": 1.0}, timeout=10).raise_for_status()

    def export(limit: int | None) -> ResponseExport:
        made = services.response_export_create(connection=connection, actor=owner, survey_id=survey["id"],
                                               survey_name=survey["name"], fmt="csv",
                                               options=services.export_body(fmt="csv", limit=limit))
        seconds, peak = run_worker(made.pk)
        made.refresh_from_db()
        if made.status != "completed":
            raise SystemExit(f"the export {made.pk} ended {made.status}: {made.error}")
        made.seconds, made.peak = seconds, peak
        return made

    small = export(options.small)
    large = export(None)
    growth = large.peak - small.peak

    # The sandbox's own time for the large export: building the file (the start call) and serving it whole.
    token = {"X-API-TOKEN": sandbox.admin_token}
    base = f"{sandbox.root_url}/{brand['datacenter']}/API/v3/surveys/{survey['id']}/export-responses"
    started = time.perf_counter()
    progress_id = requests.post(base, json={"format": "csv"}, headers=token, timeout=300).json()["result"][
        "progressId"]
    build = time.perf_counter() - started
    time.sleep(1.1)
    file_id = requests.get(f"{base}/{progress_id}", headers=token, timeout=30).json()["result"]["fileId"]
    started = time.perf_counter()
    with requests.get(f"{base}/{file_id}/file", headers=token, stream=True, timeout=300) as answer:
        served = sum(len(chunk) for chunk in answer.iter_content(64 * 1024))
    serve = time.perf_counter() - started

    # A job the sandbox takes `job_seconds` to prepare: the calls one export makes.
    requests.post(f"{control}/config", json={"job_seconds": options.job_seconds}, timeout=10).raise_for_status()
    requests.delete(f"{control}/calls", timeout=10).raise_for_status()
    slow = export(1000)
    calls = [c for c in requests.get(f"{control}/calls", timeout=30).json()["calls"]
             if "/export-responses" in c["path"]]
    kinds = {"start": sum(c["method"] == "POST" for c in calls),
             "progress": sum(c["method"] == "GET" and not c["path"].endswith("/file") for c in calls),
             "file": sum(c["path"].endswith("/file") for c in calls)}

    print(f"Response export into storage ({default_storage.__class__.__name__}), sandbox in its own process")
    print(f"  {options.small:,} responses: {small.size / 2**20:.1f} MiB CSV, {small.response_count:,} counted, "
          f"{small.seconds:.1f} s, worker peak RSS {small.peak:.1f} MiB")
    print(f"  {options.responses:,} responses: {large.size / 2**20:.1f} MiB CSV, {large.response_count:,} counted, "
          f"{large.seconds:.1f} s, worker peak RSS {large.peak:.1f} MiB")
    print(f"  sandbox's own time for the {options.responses:,}: building the file {build:.1f} s (in its start "
          f"call), serving it {serve * 1000:.0f} ms ({served / 2**20:.1f} MiB zipped) to a plain client")
    print(f"  worker peak RSS growth {options.small:,} -> {options.responses:,}: {growth:.1f} MiB "
          f"(goal < {RSS_GROWTH_GOAL_MIB} MiB): {'met' if growth < RSS_GROWTH_GOAL_MIB else 'NOT met'}")
    print(f"  a job the sandbox takes {options.job_seconds:g} s to prepare: {len(calls)} API calls ({kinds['start']} "
          f"start, {kinds['progress']} progress, {kinds['file']} file), {slow.seconds:.1f} s in the worker "
          f"(goal <= {CALLS_GOAL} calls): {'met' if len(calls) <= CALLS_GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
