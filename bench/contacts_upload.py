"""A 50 MiB CSV of contacts (about 1.3 million rows) through the import screens on PostgreSQL + Redis:
the upload and the mapping POST answer at once, and a real Celery worker checks every row.

Set-up: a throwaway PostgreSQL database, Redis for the broker and the cache, the sandbox as a process of
its own, and one `celery -A portal worker --pool solo` process. This process is the web server: it signs in
with Django's test client and posts the upload and the mapping as a browser would, then follows the check the way the
mapping page does (each answer says how long to wait before asking again), counting those requests.

Reported: the upload POST, the mapping page, the mapping POST (goal: under 2 s, against gunicorn's
30 s timeout), the worker's check (rows a second) and its peak memory (VmHWM), and the progress
requests the page made. Where the servers are comes from the environment: the PostgreSQL server of
DATABASE_URL (a database named after it plus `_upload`, created and dropped here), the Redis databases of
CELERY_BROKER_URL and CACHE_URL (emptied first: they must be the benchmark's own).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
    CACHE_URL=redis://127.0.0.1:6379/11 .venv/bin/python -m bench.contacts_upload [--mib 50]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_broker_database,
    empty_cache_database,
    redis_url,
)

ROOT = Path(__file__).resolve().parents[1]
MAPPING_POST_GOAL_SECONDS = 2.0


def write_csv(path: Path, mib: float) -> int:
    """Contacts until the file holds `mib` MiB; returns the number of rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Last name", "Email", "External reference", "Plan"])
        while handle.tell() < mib * 1024 * 1024:
            for i in range(rows, rows + 10_000):
                writer.writerow([f"F{i}", f"L{i}", f"p{i}@example.org", f"X{i}", "gold"])
            rows += 10_000
    return rows


def configure(workdir: Path, database_url: str, base_url: str) -> dict:
    """The environment shared by this process and the worker; then Django set up here, migrated."""
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url("CELERY_BROKER_URL"),
        "CACHE_URL": redis_url("CACHE_URL"),
        "QUALTRICS_API_BASE_URL": base_url,
        "PORTAL_VAR_DIR": str(workdir),
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver,localhost",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PORTAL_TESTING": "true",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    (workdir / "staticfiles").mkdir(exist_ok=True)
    return env


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=50)
    options = parser.parse_args(argv)

    from bench.sandbox_process import SandboxProcess

    server, base_name = database_from_env()
    database = f"{base_name}_upload"
    drop_database(server, database)
    create_database_if_missing(server, database)
    empty_broker_database()
    empty_cache_database()
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess() as sandbox:
        workdir = Path(tmp)
        env = configure(workdir, f"postgres://{auth}@{server['host']}:{server['port']}/{database}",
                        sandbox.base_url_template)
        worker = None
        try:
            worker = run(workdir, env, sandbox, options)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
            from django.db import connections

            connections.close_all()
            drop_database(server, database)


def run(workdir: Path, env: dict, sandbox, options) -> subprocess.Popen:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from connections.models import Role
    from connections.qualtrics_client import connection_client
    from contacts.models import ContactImport
    from tests.factories import make_connection, make_user, share

    owner, operator = make_user("bench-owner"), make_user("bench-operator")
    acme = sandbox.brand("acme")
    connection = make_connection(owner, name="Bench", datacenter=acme["datacenter"], token=sandbox.admin_token,
                                 brand_id="acme", account_type="UT_BRANDADMIN")
    share(connection, user=operator, role=Role.OPERATOR)
    api = connection_client(connection, audit=False)
    directory_id = next(iter(api.directories.list().iter_all()))["directoryId"]
    list_id = api.mailing_lists.create(directory_id, name="Bench upload")["id"]
    path = workdir / "contacts.csv"
    rows = write_csv(path, options.mib)
    size = path.stat().st_size
    client = Client()
    client.force_login(operator)
    kwargs = {"connection_id": connection.pk, "directory_id": directory_id, "mailing_list_id": list_id}
    upload = SimpleUploadedFile("contacts.csv", path.read_bytes(), content_type="text/csv")

    started = time.perf_counter()
    response = client.post(reverse("contacts:import_create", kwargs=kwargs), {"file": upload, "phone_region": "GB"})
    upload_seconds = time.perf_counter() - started
    assert response.status_code == 302, response.content.decode()[-2000:]
    contact_import = ContactImport.objects.get()
    map_url = response["Location"]

    started = time.perf_counter()
    page = client.get(map_url)
    page_seconds = time.perf_counter() - started
    assert page.status_code == 200

    mapping = {f"col_{i}": target for i, target in enumerate(contact_import.mapping)}
    hx = {"HTTP_HX_REQUEST": "true"}
    started = time.perf_counter()
    response = client.post(map_url, {**mapping, "phone_region": "GB"}, **hx)
    map_seconds = time.perf_counter() - started
    assert response.status_code == 200 and b'data-testid="import-checking"' in response.content
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.CHECKING

    celery = str(Path(sys.executable).with_name("celery"))
    log = (workdir / "worker.log").open("ab")
    check_started = time.perf_counter()
    worker = subprocess.Popen(
        [celery, "-A", "portal", "worker", "--pool", "solo", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
    )
    progress_url = reverse("contacts:import_progress", kwargs={**kwargs, "import_id": contact_import.pk})
    polls, peak = 0, 0.0
    while True:  # as the mapping page does: ask, then wait as long as the answer says
        answer = client.get(progress_url + "?checking=1", **hx)
        polls += 1
        peak = max(peak, peak_rss_mib(worker.pid)) if worker.poll() is None else peak
        if answer.get("HX-Refresh") == "true":
            break
        delay = re.search(rb'hx-trigger="load delay:(\d+)s"', answer.content)
        assert delay, answer.content.decode()[-1000:]
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited: {(workdir / 'worker.log').read_text()[-3000:]}")
        time.sleep(int(delay.group(1)))
    check_seconds = time.perf_counter() - check_started
    contact_import.refresh_from_db()
    report = contact_import.report

    print(f"CSV upload of {size / 1024**2:.1f} MiB, {rows:,} rows, on PostgreSQL + Redis, one worker (solo pool)")
    print(f"  upload POST (size, encoding, NUL, row length, header; UTF-8 copy): {upload_seconds:.2f} s")
    print(f"  mapping page:                                                     {page_seconds:.2f} s")
    print(f"  mapping POST (saves the mapping, queues the check):              {map_seconds:.2f} s")
    print(f"  worker's check of every row: {check_seconds:.1f} s from the POST, polled until done "
          f"({rows / check_seconds:,.0f} rows/s), worker peak memory {peak:.0f} MiB")
    print(f"  progress requests the page made while the check ran: {polls} "
          f"(one every 2 s would be {int(check_seconds / 2) + 1})")
    print(f"  report: {report.get('rows', 0):,} rows, {report.get('valid', 0):,} valid, "
          f"{contact_import.total_chunks:,} chunks ready to send; status {contact_import.status}")
    assert report.get("rows") == rows and report.get("valid") == rows, report.get("error") or report.get("issues")
    verdict = "met" if map_seconds < MAPPING_POST_GOAL_SECONDS else "NOT met"
    print(f"  goal: mapping POST under {MAPPING_POST_GOAL_SECONDS:.0f} s ... {verdict} ({map_seconds:.2f} s)")
    return worker


if __name__ == "__main__":
    main()
