"""Fixtures for the responses screens: personas around the sandbox's acme connection, its demo survey, and
exports run here step after step as a worker would (the sandbox's clock stands in for the waits)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.qualtrics_client import connection_client


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def short_steps(settings):
    """A worker's step on an export ends within seconds, so a test's worker stops soon after the test."""
    settings.RESPONSES_EXPORT_STEP_SECONDS = 5


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def enqueued(request, monkeypatch):
    """Tasks the code under test enqueues, instead of broker messages (tests with real workers keep the broker)."""
    calls = []
    if "celery_worker" in request.fixturenames or request.node.get_closest_marker("services") or \
            request.node.get_closest_marker("browser"):
        return calls
    from responses.tasks import response_export_run_task, response_import_run_task

    for task in (response_export_run_task, response_import_run_task):
        monkeypatch.setattr(task, "apply_async",
                            lambda args=(), kwargs=None, countdown=0, task=task, **kw: calls.append(
                                (task.name, tuple(args), countdown)))
    return calls


@pytest.fixture
def team(sandbox_personas):
    return sandbox_personas


@pytest.fixture
def qualtrics(team):
    return connection_client(team.connection, audit=False)


@pytest.fixture
def csat(qualtrics) -> dict:
    """The demo's active survey with recorded responses, saved filters and quotas."""
    return next(s for s in qualtrics.surveys.list().iter_all() if s["name"] == "Customer Satisfaction 2025")


def url(name: str, connection, survey_id: str, **kwargs) -> str:
    return reverse(f"responses:{name}", kwargs={"connection_id": connection.pk, "survey_id": survey_id, **kwargs})


def run_export(export_id: int, sandbox, *, steps: int = 50):
    """Run an export's steps as workers would; each wait passes on the sandbox's clock. Returns the export."""
    from django.test import TestCase

    from responses.models import ResponseExport
    from responses.services import ExportTuning, response_export_run

    tuning = ExportTuning(step_seconds=30.0)
    for _ in range(steps):
        with TestCase.captureOnCommitCallbacks(execute=True):  # what a run does once committed (e-mails)
            countdown = response_export_run(export_id=export_id, tuning=tuning, sleep=sandbox.advance_clock)
        if countdown is None:
            break
        sandbox.advance_clock(countdown)
    return ResponseExport.objects.get(pk=export_id)


def record_responses(sandbox, survey_id: str, count: int) -> list[str]:
    """Respondents finish the survey now (the sandbox's control route); their response IDs."""
    import json
    import urllib.request

    made = []
    for _ in range(count):
        request = urllib.request.Request(f"{sandbox.root_url}/_sandbox/responses", method="POST",
                                         data=json.dumps({"surveyId": survey_id}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            made.append(json.loads(reply.read())["responseId"])
    return made


__all__ = ["record_responses", "run_export", "url"]
