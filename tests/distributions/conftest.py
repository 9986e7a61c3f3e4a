"""Fixtures for the distribution tests: personas on the sandbox's acme brand, its IDs, and builders."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from connections.qualtrics_client import connection_client
from distributions.models import Channel, Distribution, Kind, State
from portal.celery import app as celery_app


@dataclass
class Acme:
    """IDs of the sandbox's demo brand, read through the portal's own client."""

    survey_id: str
    survey_name: str
    other_survey_id: str
    directory_id: str
    list_id: str
    list_name: str
    list_size: int
    small_list_id: str
    library_id: str
    messages: dict[str, str] = field(default_factory=dict)  # category -> message id
    contact_lookup_id: str = ""
    contact_email: str = ""


@pytest.fixture
def live(sandbox_personas):
    """Personas around the sandbox's acme connection (every Qualtrics call reaches the sandbox)."""
    return sandbox_personas


@pytest.fixture
def acme(portal_sandbox) -> Acme:
    sandbox, connection, _owner = portal_sandbox
    brand = sandbox.brand("acme")
    client = connection_client(connection, audit=False)
    surveys = [s for s in brand["surveys"] if s["isActive"]]
    lists = sorted(brand["mailingLists"], key=lambda m: -m["contactCount"])
    library_id = next(lib["id"] for lib in brand["libraries"] if lib["id"].startswith("UR_"))
    messages = {}
    for message in client.libraries.messages.list(library_id).iter_all():
        messages.setdefault(message["category"], message["id"])
    small = lists[-1]
    member = next(iter(client.mailing_lists.members.list(small["directoryId"], small["id"]).iter_all()))
    return Acme(
        survey_id=surveys[0]["id"],
        survey_name=surveys[0]["name"],
        other_survey_id=surveys[1]["id"],
        directory_id=lists[0]["directoryId"],
        list_id=lists[0]["id"],
        list_name=lists[0]["name"],
        list_size=lists[0]["contactCount"],
        small_list_id=small["id"],
        library_id=library_id,
        messages=messages,
        contact_lookup_id=member["contactLookupId"],
        contact_email=member.get("email") or "",
    )


def email_fields(acme: Acme, **overrides) -> dict:
    fields = {
        "name": "Spring invite",
        "survey_id": acme.survey_id,
        "from_email": "noreply@qualtrics.com",
        "from_name": "Acme research",
        "reply_to_email": "research@acme.example",
        "subject": "Tell us what you think",
        "library_id": acme.library_id,
        "message_id": acme.messages["invite"],
        "directory_id": acme.directory_id,
        "mailing_list_id": acme.small_list_id,
        "link_type": "Individual",
        "embedded_data": {"Campaign": "spring"},
        "send_at": timezone.now() + datetime.timedelta(minutes=5),
    }
    fields.update(overrides)
    return fields


def sms_fields(acme: Acme, **overrides) -> dict:
    fields = {
        "name": "Spring SMS",
        "survey_id": acme.survey_id,
        "message_text": "Hi! Tell us about your visit: ${l://SurveyURL}",
        "directory_id": acme.directory_id,
        "mailing_list_id": acme.small_list_id,
        "send_at": timezone.now() + datetime.timedelta(minutes=5),
    }
    fields.update(overrides)
    return fields


def make_distribution(connection, *, channel=Channel.EMAIL, kind=Kind.INVITE, state=State.SCHEDULED,
                      created_by=None, **fields) -> Distribution:
    """A row written directly (no Qualtrics check), for tests of what happens after composing."""
    defaults = {
        "name": "Direct row",
        "survey_id": "SV_" + "a" * 15,
        "survey_name": "A survey",
        "send_at": timezone.now() - datetime.timedelta(seconds=1),
    }
    if channel == Channel.EMAIL and kind == Kind.INVITE:
        defaults.update(from_email="noreply@qualtrics.com", from_name="Acme", subject="Hello", link_type="Individual",
                        message_text="Please answer", mailing_list_id="CG_" + "b" * 15)
    defaults.update(fields)
    return Distribution.objects.create(connection=connection, channel=channel, kind=kind, state=state,
                                       created_by=created_by, **defaults)


@pytest.fixture
def enqueued(monkeypatch, django_capture_on_commit_callbacks):
    """Send tasks the services enqueue, recorded instead of published: [(distribution_id, token, countdown)]
    (a batch task's rows one by one).

    The services enqueue on commit; inside a test's transaction, the callbacks run when the service
    returns (as they would at commit).
    """
    from distributions import services, tasks

    calls: list[tuple[int, str, float | None]] = []

    def record(args, countdown=None, producer=None, **kwargs):
        calls.append((args[0], args[1], countdown))

    def record_batch(args, countdown=None, producer=None, **kwargs):
        calls.extend((pk, args[1], countdown) for pk in args[0])

    monkeypatch.setattr(tasks.distribution_send_task, "apply_async", record)
    monkeypatch.setattr(tasks.distributions_send_batch_task, "apply_async", record_batch)
    monkeypatch.setattr(celery_app, "producer_or_acquire", lambda *a, **k: contextlib.nullcontext())
    for name in ("distributions_sweep", "distributions_reap"):
        original = getattr(services, name)

        def committed(*args, _original=original, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return _original(*args, **kwargs)

        monkeypatch.setattr(services, name, committed)
    return calls
