"""Cancelling a running import stops the sending at once: a real worker, a slow Qualtrics, and the sandbox's
call log to show that no upload left after the cancel."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from connections.models import AuditEvent
from contacts import services
from contacts.models import ContactImport, ImportChunk

from .conftest import people
from .test_import import start_import

pytestmark = pytest.mark.django_db(transaction=True)

LATENCY_MS = 1500  # each Qualtrics answer takes this long: the worker is waiting when the cancel comes


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_no_upload_leaves_after_the_cancel_is_confirmed(xm, login, settings, celery_worker):
    settings.CONTACT_IMPORT_POLL_INTERVAL = 0.05
    imp = start_import(xm, people(400), chunk_size=50)  # eight chunks; the worker sends up to four at a time
    xm.sandbox.configure(job_seconds=0, latency_ms=LATENCY_MS)
    xm.clear_calls()
    client = login(xm.operator)
    kwargs = {"connection_id": xm.connection.pk, "directory_id": xm.directory_id,
              "mailing_list_id": xm.mailing_list_id, "import_id": imp.pk}
    assert services.contact_import_start(contact_import=imp, actor=xm.operator)

    # The first chunk has reached Qualtrics, whose answer is on its way: the user cancels now.
    wait_for(lambda: xm.calls("POST", "/transactioncontacts"), 60, "the first upload")
    response = client.post(reverse("contacts:import_cancel", kwargs=kwargs))
    assert response.status_code == 302  # the cancel is confirmed
    uploads_at_cancel = len(xm.calls("POST", "/transactioncontacts"))

    wait_for(lambda: ContactImport.objects.get(pk=imp.pk).is_finished, 60, "the worker to end the import")
    uploads = xm.calls("POST", "/transactioncontacts")
    assert len(uploads) == uploads_at_cancel == 1, "an upload left after the cancel"
    # What follows the cancel only reads the outcome of the chunk Qualtrics already had.
    later = [c for c in xm.calls(path_contains="/transactioncontacts") if c["method"] != "GET"]
    assert later == uploads

    imp.refresh_from_db()
    assert imp.status == ContactImport.Status.CANCELLED
    statuses = list(ImportChunk.objects.filter(contact_import=imp).order_by("index").values_list("status", flat=True))
    assert statuses == ["done"] + ["skipped"] * 7
    assert (imp.added, imp.updated) == (50, 0) and len(xm.members()) == 50

    xm.sandbox.configure(latency_ms=0)
    page = client.get(response["Location"]).content.decode()
    assert "Cancelled: nothing more is sent to Qualtrics" in page
    assert "50 rows had been imported before the cancel; 350 rows in 7 chunks were not sent." in page
    outcomes = dict(AuditEvent.objects.filter(action__startswith="contacts.import.").values_list("action", "outcome"))
    assert outcomes["contacts.import.cancel"] == AuditEvent.Outcome.OK
    assert outcomes["contacts.import.cancelled"] == AuditEvent.Outcome.OK  # what the user asked for: a success
