"""Fixtures for workflow triggers: personas on the sandbox's acme brand, its seeded workflows, and what the sandbox
recorded of the events it received."""

from __future__ import annotations

import base64
from collections import Counter

import pytest
import requests
from django.urls import reverse

from connections.qualtrics_client import connection_client
from tests.fixtures.secrets import register_token
from workflows import services
from workflows.models import Auth, Run, RunState, Trigger

TEMPLATE = '{"contact": "{{contactId}}", "email": "{{email}}", "ticket": {"id": "T-{{extRef}}", "priority": "high"}}'
USERNAME = "dana.whitfield@acme.example"



class Workflows:
    """The sandbox connection's personas, its seeded workflows and helpers around them."""

    def __init__(self, personas):
        self.personas = personas
        self.connection = personas.connection
        self.sandbox = personas.sandbox
        self.connection.qualtrics_username = USERNAME
        self.connection.save(update_fields=["qualtrics_username"])
        # The Basic credentials carry the token too, encoded: the suite-wide guard looks for them as well.
        register_token(base64.b64encode(f"{USERNAME}:{personas.token}".encode()).decode())
        answer = requests.get(f"{self.sandbox.root_url}/_sandbox/workflows", params={"brandId": "acme"}, timeout=10)
        self.workflows = answer.json()["workflows"]
        self.secured = next(w for w in self.workflows if w["requireAuthentication"])
        self.open = next(w for w in self.workflows if not w["requireAuthentication"])
        brand = self.sandbox.brand("acme")
        self.directory_id = brand["defaultDirectoryId"]

    def __getattr__(self, name):
        return getattr(self.personas, name)

    @property
    def client(self):
        return connection_client(self.connection, audit=False)

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"workflows:{name}", kwargs={"connection_id": self.connection.pk, **kwargs})

    def trigger(self, *, name="Ticket closed", url=None, auth=Auth.TOKEN, template=TEMPLATE) -> Trigger:
        return services.trigger_create(connection=self.connection, actor=self.owner, name=name,
                                       url=url or self.secured["eventUrl"], auth=auth, payload_template=template)

    def events(self, workflow_id: str | None = None) -> list[dict]:
        answer = requests.get(f"{self.sandbox.root_url}/_sandbox/workflow-events",
                              params={"workflowId": workflow_id or ""}, timeout=30)
        answer.raise_for_status()
        return answer.json()["events"]

    def contacts_received(self, workflow_id: str | None = None) -> Counter:
        return Counter(event["body"].get("contact") for event in self.events(workflow_id))

    def new_list(self, name: str, size: int) -> str:
        """A mailing list of `size` synthetic contacts (bulk.N@example.com, extRef BULK-N)."""
        list_id = self.client.mailing_lists.create(self.directory_id, name=name)["id"]
        if size:
            requests.post(f"{self.sandbox.root_url}/_sandbox/contacts",
                          json={"count": size, "brandId": "acme", "mailingListId": list_id},
                          timeout=60).raise_for_status()
        return list_id

    def members(self, list_id: str) -> list[dict]:
        return list(self.client.mailing_lists.members.list(self.directory_id, list_id).iter_all())


@pytest.fixture
def wf(sandbox_personas) -> Workflows:
    return Workflows(sandbox_personas)


def drain(run: Run, *, tuning=None, rounds: int = 200) -> Run:
    """Do what the planner and the senders would do in a worker, here, until nothing is due now."""
    tuning = tuning or services.Tuning(senders=1, step_seconds=30)
    for _ in range(rounds):
        if services.run_plan(run_id=run.pk, tuning=tuning) is None:
            break
    for _ in range(rounds):
        run.refresh_from_db()
        if run.state != RunState.SENDING:
            break
        countdown = services.run_send(run_id=run.pk, worker="test", tuning=tuning)
        if countdown is None or countdown > 0:
            break
    run.refresh_from_db()
    return run


@pytest.fixture(autouse=True)
def no_broker(request, monkeypatch):
    """Tasks the services enqueue are recorded instead of published (tests run the steps themselves); a test
    that starts real workers (`celery_worker`, `procs`) keeps the broker."""
    from workflows import tasks

    if "celery_worker" in request.fixturenames or "procs" in request.fixturenames:
        return []
    published: list[tuple[str, tuple]] = []

    def recorder(name):
        def record(args, countdown=None, **kwargs):
            published.append((name, tuple(args)))
        return record

    monkeypatch.setattr(tasks.run_plan_task, "apply_async", recorder("plan"))
    monkeypatch.setattr(tasks.run_send_task, "apply_async", recorder("send"))
    return published
