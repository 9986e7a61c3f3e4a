"""A real Celery worker, on the configured broker, runs the portal's tasks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.models import WorkerHeartbeat
from dashboard.selectors import worker_status
from dashboard.tasks import worker_heartbeat_task
from portal.celery import app


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_task_on_a_real_worker(celery_worker):
    assert not worker_status()["ok"]
    worker_heartbeat_task.delay("test-worker")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(name="test-worker").exists())
    assert worker_status()["ok"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_runs_a_task_through_redis(celery_worker):
    assert app.conf.broker_url.startswith("redis://")
    worker_heartbeat_task.delay("redis-worker")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(name="redis-worker").exists())


def test_it_is_configured_for_json_and_one_prefetch():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_it_merges_each_apps_beat_schedule():
    app.finalize()
    assert "worker-heartbeat" in app.conf.beat_schedule


def test_a_process_on_other_settings_publishes_through_the_portal_app():
    """A sweeper started with its own settings module (as the concurrency tests start theirs) must publish
    tasks to the configured broker, not to Celery's default one."""
    code = (
        "import django; django.setup(); from distributions.tasks import distribution_send_task as t; "
        "print(t.app.main, t.app.conf.broker_url)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.distributions.worker_settings",
           "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["portal", "redis://127.0.0.1:6379/14"]
