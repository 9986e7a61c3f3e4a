"""The responses and event-subscription screens on an OAuth client connection: they work as on a token one, and a
client without their scope says which scope is missing, in plain words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.qualtrics_client import connection_client
from responses.models import ResponseExport
from responses.services import response_export_create
from subscriptions.models import Subscription
from tests.responses.conftest import run_export

from .oauth import sandbox_oauth_connection, token_requests
from .test_oauth_scopes import says_missing, scoped

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def active_survey(connection) -> dict:
    return next(s for s in connection_client(connection, audit=False).surveys.list().iter_all() if s["isActive"])


def test_an_export_and_a_subscription_on_an_oauth_connection(login, portal_sandbox, hx, settings, monkeypatch):
    from responses.tasks import response_export_run_task

    monkeypatch.setattr(response_export_run_task, "apply_async", lambda *a, **k: None)  # run here, step by step
    sandbox, _token_connection, owner = portal_sandbox
    connection = sandbox_oauth_connection(sandbox, owner)
    survey = active_survey(connection)
    export = response_export_create(connection=connection, actor=owner, survey_id=survey["id"],
                                    survey_name=survey["name"], fmt="csv", options={"limit": 3})
    export = run_export(export.pk, sandbox)
    assert export.status == ResponseExport.Status.COMPLETED and export.response_count == 3
    assert token_requests(sandbox) == 1  # the calls carried the client's bearer token
    assert {call["status"] for call in sandbox.calls(path_contains="/export-responses")} == {200}

    settings.PORTAL_BASE_URL = "https://portal.example.org"
    created = login(owner).post(reverse("subscriptions:subscription_create", kwargs={"connection_id": connection.pk}),
                                {"survey_id": survey["id"], "kind": "completed"}, **hx)
    assert created.status_code == 200 and created["HX-Redirect"] == Subscription.objects.get().get_absolute_url()


def test_an_export_without_the_responses_scope_says_which_scope_is_missing(portal_sandbox, monkeypatch):
    from responses.tasks import response_export_run_task

    monkeypatch.setattr(response_export_run_task, "apply_async", lambda *a, **k: None)
    sandbox, connection, owner = scoped(portal_sandbox, "read:surveys")
    survey = active_survey(connection)
    export = response_export_create(connection=connection, actor=owner, survey_id=survey["id"],
                                    survey_name=survey["name"], fmt="csv", options={})
    export = run_export(export.pk, sandbox)
    assert export.status == ResponseExport.Status.FAILED
    assert "no read:survey_responses scope" in export.error


def test_the_subscriptions_screen_without_its_scope_says_so(login, portal_sandbox):
    _sandbox, connection, owner = scoped(portal_sandbox, "read:surveys")
    page = login(owner).get(reverse("subscriptions:subscription_list", kwargs={"connection_id": connection.pk}))
    assert says_missing(page, "read:subscriptions")
