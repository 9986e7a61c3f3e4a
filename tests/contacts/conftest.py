"""Fixtures for the XM Directory screens: the sandbox's directory and lists, personas, CSV files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import Role
from connections.qualtrics_client import connection_client
from tests.factories import make_user, share


@dataclass
class Directory:
    sandbox: object
    connection: object
    owner: object
    operator: object
    viewer: object
    outsider: object
    directory_id: str
    mailing_list_id: str
    mailing_list_name: str

    @property
    def client(self):
        return connection_client(self.connection, audit=False)

    def calls(self, method: str = "", path_contains: str = "") -> list[dict]:
        reply = requests.get(f"{self.sandbox.root_url}/_sandbox/calls",
                             params={"method": method, "path_contains": path_contains}, timeout=10)
        reply.raise_for_status()
        return reply.json()["calls"]

    def clear_calls(self) -> None:
        requests.delete(f"{self.sandbox.root_url}/_sandbox/calls", timeout=10).raise_for_status()

    def members(self, mailing_list_id: str | None = None) -> list[dict]:
        return list(self.client.mailing_lists.members.list(self.directory_id, mailing_list_id or self.mailing_list_id,
                                                           include_embedded=True).iter_all())

    def new_list(self, name: str = "Fresh list") -> str:
        return self.client.mailing_lists.create(self.directory_id, name=name)["id"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Creating personas should not spend seconds hashing passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def enqueued(request, monkeypatch):
    """Imports enqueued by the code under test, instead of messages to the broker (tests that use a real
    worker ask for `celery_worker` and keep the broker)."""
    calls = []
    if "celery_worker" in request.fixturenames or request.node.get_closest_marker("services"):
        return calls
    from contacts.tasks import contact_import_run_task

    monkeypatch.setattr(contact_import_run_task, "apply_async",
                        lambda args=(), kwargs=None, countdown=0, **kw: calls.append((tuple(args), countdown)))
    return calls


@pytest.fixture
def xm(portal_sandbox, settings, tmp_path) -> Directory:
    """The sandbox's acme directory through a portal connection, with an empty mailing list and personas."""
    sandbox, connection, owner = portal_sandbox
    settings.MEDIA_ROOT = tmp_path / "media"
    operator, viewer, outsider = make_user("opal"), make_user("vince"), make_user("oswald")
    share(connection, user=operator, role=Role.OPERATOR)
    share(connection, user=viewer, role=Role.VIEWER)
    client = connection_client(connection, audit=False)
    directory = next(iter(client.directories.list().iter_all()))
    list_id = client.mailing_lists.create(directory["directoryId"], name="Import target")["id"]
    return Directory(sandbox, connection, owner, operator, viewer, outsider, directory["directoryId"], list_id,
                     "Import target")


def csv_upload(rows: list[list[str]], header: list[str], name: str = "contacts.csv", delimiter: str = ",",
               encoding: str = "utf-8") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def people(count: int, start: int = 0, domain: str = "example.net") -> list[list[str]]:
    """Rows of valid contacts: first, last, e-mail, ext ref, plan (embedded data)."""
    return [[f"First{i}", f"Last{i}", f"person{i}@{domain}", f"EXT-{i:06d}", "gold" if i % 2 else "silver"]
            for i in range(start, start + count)]


PEOPLE_HEADER = ["First Name", "Last Name", "Email", "External Reference", "Plan"]


def finish_check(imp, timeout: float = 60):
    """What a worker does once the mapping page has queued the check: every row checked, step after step.
    A test with a live worker may have that worker take a step meanwhile (the check was queued for it):
    this waits for its lease to end and goes on, until the import is no longer being checked."""
    import time

    from contacts import services
    from contacts.models import ContactImport

    deadline = time.monotonic() + timeout
    while True:
        services.contact_import_run(import_id=imp.pk, sleep=lambda s: None)
        imp.refresh_from_db()
        if imp.status != ContactImport.Status.CHECKING or time.monotonic() > deadline:
            return imp
        time.sleep(0.02)


def check_now(imp, mapping=None, phone_region: str = "GB", **kwargs) -> list[str]:
    """Save a mapping as the mapping page does, then check the rows as the worker would."""
    from contacts import services

    errors = services.contact_import_check(contact_import=imp, mapping=imp.mapping if mapping is None else mapping,
                                           phone_region=phone_region, **kwargs)
    if not errors:
        finish_check(imp)
    return errors
