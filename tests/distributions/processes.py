"""Real Celery workers and beat-like sweepers as separate processes, for the concurrency tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

SWEEPER = """
import sys, time, django
django.setup()
from distributions.services import distributions_sweep, distributions_reap
stop_at = time.monotonic() + float(sys.argv[1])
interval = float(sys.argv[2])
last_reap = 0.0
while time.monotonic() < stop_at:
    distributions_sweep()
    if time.monotonic() - last_reap > 5:
        distributions_reap()
        last_reap = time.monotonic()
    time.sleep(interval)
"""


def database_url() -> str:
    """The URL of the database this test process uses (the test database, not the configured one)."""
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def environment(sandbox_url_template: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.distributions.worker_settings",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_URL=os.environ.get("CACHE_URL", "locmemcache://"),
        QUALTRICS_API_BASE_URL=sandbox_url_template,
        FIELD_ENCRYPTION_KEY=",".join(settings.FIELD_ENCRYPTION_KEYS),
        SECRET_KEY=settings.SECRET_KEY,
        PORTAL_TESTING="1",
        PYTHONPATH=str(ROOT),
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update(extra)
    return env


class Processes:
    """Starts workers and sweepers; stops (or kills) each by its own process id."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []
        self.killed: list[subprocess.Popen] = []

    def worker(self, name: str, *, concurrency: int = 4) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [CELERY, "-A", "portal", "worker", "-n", f"{name}@%h", "--pool", "threads", "--concurrency",
             str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def sweeper(self, name: str, *, seconds: float = 300, interval: float = 0.25) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-c", SWEEPER, str(seconds), str(interval)], cwd=ROOT,
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def check_alive(self) -> None:
        """Fail at once (with the logs) when a process that should be running has exited."""
        dead = [p for p in self.started if p.poll() is not None and p not in self.killed]
        if dead:
            raise AssertionError(f"{len(dead)} process(es) exited early:\n{self.logs()}")

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9: no chance to clean up, as when a machine dies."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.killed.append(process)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        # A sweeper exits on its own when its time is up; workers stop after their current task.
        deadline = time.monotonic() + 20
        for process in self.started:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.log_dir.glob("*.log"))
