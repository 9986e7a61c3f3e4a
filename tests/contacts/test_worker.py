"""A real Celery worker process runs an import, is killed with SIGKILL mid-import, and a new worker
finishes it without sending any chunk twice (PostgreSQL + Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from contacts import services
from contacts.models import ContactImport, ImportChunk
from contacts.tasks import contact_import_reap_task

from .conftest import people
from .test_import import start_import

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=60.0, what="the condition", logs: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    message = f"timed out waiting for {what}"
    for log in sorted(logs.glob("*.log")) if logs else []:
        message += f"\n--- {log.name} (last lines) ---\n" + "\n".join(log.read_text().splitlines()[-40:])
    raise AssertionError(message)


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(name: str, var_dir: Path, sandbox) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "QUALTRICS_API_BASE_URL": sandbox.base_url_template,
        "PORTAL_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # where the test put the uploaded file
    }
    command = [str(Path(sys.executable).parent / "celery"), "-A", "portal", "worker", "--pool=solo",
               "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "-n", f"{name}@%h", "--loglevel=INFO"]
    with open(var_dir / f"worker-{name}.log", "ab") as log:  # read back when a wait times out
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_resumes_from_the_last_finished_chunk(xm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    xm.sandbox.configure(job_seconds=1.0)
    imp = start_import(xm, people(2400), chunk_size=150)  # 16 chunks: some are still waiting when it dies
    total = imp.total_chunks or 8
    xm.clear_calls()
    first = start_worker("first", tmp_path, xm.sandbox)
    second = None
    try:
        assert services.contact_import_start(contact_import=imp, actor=xm.owner)
        wait_for(lambda: ImportChunk.objects.filter(contact_import=imp, status="done").count() >= 2, 90,
                 "two chunks to finish", tmp_path)
        # The next upload reaches Qualtrics, which then takes its time to answer: kill the worker meanwhile.
        requests.post(f"{xm.sandbox.root_url}/_sandbox/stall", json={
            "path_contains": "/transactioncontacts", "method": "POST", "seconds": 30, "when": "after", "count": 1,
        }, timeout=5).raise_for_status()

        def stalled_upload():
            return next((c for c in xm.calls("POST", "/transactioncontacts") if c.get("stalled")), None)

        wait_for(stalled_upload, 60, "the stalled upload", tmp_path)
        first_ref = stalled_upload()["body"]["contacts"][0]["extRef"]
        stalled_chunk = next(c for c in ImportChunk.objects.filter(contact_import=imp)
                             if c.payload and c.payload[0].get("extRef") == first_ref)
        assert stalled_chunk.status == "sending"  # Qualtrics has it; the worker is waiting for the answer
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.RUNNING and imp.lease_token  # the dead worker's lease
        stranded = list(ImportChunk.objects.filter(contact_import=imp, status="sending"))
        assert [c.pk for c in stranded] == [stalled_chunk.pk]
        done_before = ImportChunk.objects.filter(contact_import=imp, status="done").count()
        assert 2 <= done_before < imp.total_chunks

        # Time passes: the lease expires; the beat reaper hands the import to a new worker.
        ContactImport.objects.filter(pk=imp.pk).update(lease_expires_at="2000-01-01T00:00:00Z")
        second = start_worker("second", tmp_path, xm.sandbox)
        contact_import_reap_task.delay()
        wait_for(lambda: ContactImport.objects.get(pk=imp.pk).status == ContactImport.Status.COMPLETED, 120,
                 "the import to complete", tmp_path)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)
        requests.post(f"{xm.sandbox.root_url}/_sandbox/stall", json={"clear": True}, timeout=5)

    imp.refresh_from_db()
    total = imp.total_chunks
    posts = [c for c in xm.calls("POST", "/transactioncontacts") if c["status"] == 200]
    firsts = [p["body"]["contacts"][0]["extRef"] for p in posts]
    assert len(firsts) == total == len(set(firsts)), "a chunk was sent twice"
    recovered = 0
    for chunk in stranded:  # caught mid-upload: confirmed in Qualtrics, not sent again
        chunk.refresh_from_db()
        assert chunk.status == "done" and chunk.recovered and chunk.attempts == 1
        recovered += chunk.row_count
    assert imp.rows_to_send == 2400 and len(xm.members()) == 2400
    assert imp.added + imp.updated + recovered == 2400
