"""The bulk CSV import: the check before sending, chunking, resumption after a crash, cancelling."""

from __future__ import annotations

import os

import pytest

from contacts import selectors, services
from contacts.models import ContactImport, ImportChunk, ImportKey, ImportRejection
from qualtrics.resources import ContactImports
from tests.fixtures.cache import clear_own_cache

from .conftest import PEOPLE_HEADER, check_now, csv_upload, finish_check, people

FAST = services.ImportTuning(step_seconds=30, poll_interval=0.01, recovery_grace_seconds=60, max_in_flight=3)


def start_import(xm, rows, header=PEOPLE_HEADER, chunk_size=None, settings=None):
    directory = selectors.directory_get(connection=xm.connection, actor=xm.owner, directory_id=xm.directory_id)
    mailing_list = selectors.mailing_list_get(connection=xm.connection, actor=xm.owner,
                                              directory_id=xm.directory_id, mailing_list_id=xm.mailing_list_id)
    imp = services.contact_import_create(connection=xm.connection, actor=xm.owner, directory=directory,
                                         mailing_list=mailing_list, upload=csv_upload(rows, header))
    if chunk_size:
        ContactImport.objects.filter(pk=imp.pk).update(chunk_size=chunk_size)
        imp.refresh_from_db()
    assert check_now(imp) == []
    return imp


def chunk_statuses(imp) -> list[str]:
    return list(ImportChunk.objects.filter(contact_import=imp).order_by("index").values_list("status", flat=True))


def run_to_end(imp, tuning=FAST, limit=50):
    for _ in range(limit):
        countdown = services.contact_import_run(import_id=imp.pk, tuning=tuning, sleep=lambda s: None)
        if countdown is None:
            break
    imp.refresh_from_db()
    return imp


@pytest.mark.django_db(transaction=True)
class TestImportRuns:
    def test_it_sends_each_chunk_once_and_counts_the_outcome(self, xm, enqueued):
        xm.sandbox.configure(job_seconds=0)
        imp = start_import(xm, people(1200), chunk_size=500)
        assert services.contact_import_start(contact_import=imp, actor=xm.owner)
        assert enqueued == [((imp.pk,), 0)] * 2  # the check of the rows, then the run
        xm.clear_calls()
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.COMPLETED
        assert (imp.total_chunks, imp.rows_to_send, imp.added, imp.updated, imp.failed) == (3, 1200, 1200, 0, 0)
        posts = xm.calls("POST", "/transactioncontacts")
        assert len(posts) == 3
        assert [len(p["body"]["contacts"]) for p in posts] == [500, 500, 200]
        assert len(xm.members()) == 1200

    def test_it_resumes_after_a_worker_died_right_after_sending_a_chunk(self, xm, monkeypatch):
        """The POST of chunk 2 reached Qualtrics, then the worker died before recording it: on restart the
        chunk is found in Qualtrics (its contacts are on the list) and is not sent again."""
        xm.sandbox.configure(job_seconds=0)
        imp = start_import(xm, people(600), chunk_size=200)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        xm.clear_calls()

        class WorkerKilled(BaseException):
            pass

        real = ContactImports.start
        sent = []

        def dying(self, *args, **kwargs):
            result = real(self, *args, **kwargs)
            sent.append(result["id"])
            if len(sent) == 2:
                raise WorkerKilled  # the process is gone: nothing after the POST runs
            return result

        monkeypatch.setattr(ContactImports, "start", dying)
        one_at_a_time = services.ImportTuning(step_seconds=30, poll_interval=0.01, max_in_flight=1)
        with pytest.raises(WorkerKilled):
            services.contact_import_run(import_id=imp.pk, tuning=one_at_a_time, sleep=lambda s: None)
        # A killed worker never releases its lease; it only expires.
        ContactImport.objects.filter(pk=imp.pk).update(lease_token="dead-worker",
                                                       lease_expires_at="2000-01-01T00:00:00Z")
        chunks = list(ImportChunk.objects.filter(contact_import=imp).order_by("index"))
        assert [c.status for c in chunks] == ["done", "sending", "pending"]
        monkeypatch.setattr(ContactImports, "start", real)

        assert services.contact_import_reap() == [imp.pk]
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.COMPLETED
        posts = xm.calls("POST", "/transactioncontacts")
        firsts = [p["body"]["contacts"][0]["email"] for p in posts]
        assert firsts == ["person0@example.net", "person200@example.net", "person400@example.net"]
        second = ImportChunk.objects.get(contact_import=imp, index=1)
        assert second.status == "done" and second.recovered and second.attempts == 1
        assert len(xm.members()) == 600
        assert selectors.contact_import_progress(contact_import=imp)["recovered_rows"] == 200

    def test_it_sends_a_chunk_again_only_once_qualtrics_shows_it_never_arrived(self, xm, monkeypatch):
        """The worker died after claiming chunk 1 but before its POST left: nothing of it is in Qualtrics,
        so after the grace period it is sent (once)."""
        xm.sandbox.configure(job_seconds=0)
        imp = start_import(xm, people(600), chunk_size=300)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        xm.clear_calls()

        class WorkerKilled(BaseException):
            pass

        def dead_before_sending(self, *args, **kwargs):
            raise WorkerKilled

        real = ContactImports.start
        monkeypatch.setattr(ContactImports, "start", dead_before_sending)
        with pytest.raises(WorkerKilled):
            services.contact_import_run(import_id=imp.pk, tuning=FAST, sleep=lambda s: None)
        monkeypatch.setattr(ContactImports, "start", real)
        ContactImport.objects.filter(pk=imp.pk).update(lease_token="dead", lease_expires_at="2000-01-01T00:00:00Z")

        # Within the grace period the portal keeps checking rather than sending.
        patient = services.ImportTuning(step_seconds=0.05, poll_interval=0.01, recovery_grace_seconds=3600,
                                        max_in_flight=1)
        assert services.contact_import_run(import_id=imp.pk, tuning=patient, sleep=lambda s: None) == 0.0
        assert xm.calls("POST", "/transactioncontacts") == []
        assert ImportChunk.objects.get(contact_import=imp, index=0).status == "sending"

        imp = run_to_end(imp, tuning=services.ImportTuning(step_seconds=30, poll_interval=0.01,
                                                           recovery_grace_seconds=0))
        assert imp.status == ContactImport.Status.COMPLETED and imp.added == 600
        posts = xm.calls("POST", "/transactioncontacts")
        assert [p["body"]["contacts"][0]["email"] for p in posts] == ["person0@example.net", "person300@example.net"]

    def test_it_cancels_while_running_and_lists_the_rows_not_sent(self, xm):
        xm.sandbox.configure(job_seconds=0)
        imp = start_import(xm, people(900), chunk_size=300)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        one_step = services.ImportTuning(step_seconds=0, poll_interval=0.01, max_in_flight=1)
        assert services.contact_import_run(import_id=imp.pk, tuning=one_step, sleep=lambda s: None) == 0.0
        assert services.contact_import_cancel(contact_import=imp, actor=xm.owner) == ContactImport.Status.CANCELLING
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.CANCELLED
        statuses = chunk_statuses(imp)
        assert statuses == ["done", "skipped", "skipped"]
        assert len(xm.calls("POST", "/transactioncontacts")) == 1
        assert len(xm.members()) == 300
        rows = list(selectors.contact_import_rejected_rows(contact_import=imp))
        assert len(rows) == 1 + 600
        assert "Not sent: the import was cancelled" in rows[1][-1]

    def test_it_cancels_a_queued_import_at_once(self, xm):
        imp = start_import(xm, people(10))
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        assert services.contact_import_cancel(contact_import=imp, actor=xm.owner) == ContactImport.Status.CANCELLED
        assert services.contact_import_run(import_id=imp.pk, tuning=FAST) is None
        assert xm.calls("POST", "/transactioncontacts") == []

    def test_it_waits_for_the_rate_budget_and_sends_nothing_twice(self, xm):
        xm.sandbox.configure(job_seconds=0, route_limits={"transaction_contacts_import": 2})
        imp = start_import(xm, people(400), chunk_size=100)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        xm.clear_calls()
        countdown = services.contact_import_run(import_id=imp.pk, tuning=FAST, sleep=lambda s: None)
        assert countdown is not None and countdown > 0
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.RUNNING and imp.next_run_at is not None
        statuses = chunk_statuses(imp)
        assert statuses.count("pending") == 2 and statuses.count("sending") == 0
        xm.sandbox.configure(route_limits={})
        xm.sandbox.state.limiter.__init__()  # the sandbox's minute window starts afresh ...
        clear_own_cache()  # ... and the portal's wait for the route, which Qualtrics' 429 started, is over
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.COMPLETED and imp.added == 400
        accepted = [c for c in xm.calls("POST", "/transactioncontacts") if c["status"] == 200]
        firsts = sorted(c["body"]["contacts"][0]["extRef"] for c in accepted)
        assert firsts == ["EXT-000000", "EXT-000100", "EXT-000200", "EXT-000300"]

    def test_it_stops_when_qualtrics_refuses_the_token(self, xm):
        imp = start_import(xm, people(20), chunk_size=10)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        import requests

        requests.post(f"{xm.sandbox.root_url}/_sandbox/tokens/revoke", json={"token": xm.sandbox.admin_token},
                      timeout=5).raise_for_status()
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.FAILED
        assert "API token" in imp.error
        assert ImportRejection.objects.filter(contact_import=imp, source="not_sent").count() == 20

    def test_it_records_rows_qualtrics_refused(self, xm, monkeypatch):
        xm.sandbox.configure(job_seconds=0)
        imp = start_import(xm, people(30), chunk_size=10)
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        real = ContactImports.start

        def refuse_second(self, directory_id, mailing_list_id, *, contacts, **kwargs):
            if contacts[0]["extRef"] == "EXT-000010":
                from qualtrics import BadRequestError

                raise BadRequestError("Invalid contact data", status=400, code="CI_1", request_id="req-42")
            return real(self, directory_id, mailing_list_id, contacts=contacts, **kwargs)

        monkeypatch.setattr(ContactImports, "start", refuse_second)
        imp = run_to_end(imp)
        assert imp.status == ContactImport.Status.COMPLETED
        assert (imp.added, imp.failed) == (20, 10)
        reasons = set(ImportRejection.objects.filter(contact_import=imp).values_list("reason", flat=True))
        assert reasons == {"Qualtrics refused this chunk: Invalid contact data (request id req-42)"}


@pytest.mark.django_db
class TestImportCheck:
    def test_it_reports_invalid_rows_duplicates_and_rows_without_identifier(self, xm):
        header = ["email", "phone", "first name", "ext ref", "language", "Plan"]
        rows = [
            ["ann@example.org", "+44 20 7946 0018", "Ann", "A1", "en", "gold"],
            ["not-an-email", "", "Bob", "B1", "", ""],
            ["carl@example.org", "12", "Carl", "C1", "", ""],
            ["ANN@example.org", "", "Ann again", "A2", "", ""],
            ["", "", "Nobody", "", "", "x"],
            ["dora@example.org", "020 7946 0019", "Dora", "D1", "klingon", ""],
            ["eve@example.org", "", "Eve", "E1", "fr-ca", "silver"],
        ]
        directory = selectors.directory_get(connection=xm.connection, actor=xm.owner, directory_id=xm.directory_id)
        mailing_list = {"mailingListId": xm.mailing_list_id, "name": "Import target"}
        imp = services.contact_import_create(connection=xm.connection, actor=xm.owner, directory=directory,
                                             mailing_list=mailing_list, upload=csv_upload(rows, header))
        assert imp.mapping == ["email", "phone", "firstName", "extRef", "language", "embedded"]
        assert imp.dedup_fields == ["email"]
        assert check_now(imp) == [] and imp.row_count == 7
        report = imp.report
        assert (report["rows"], report["valid"], report["rejected"]) == (7, 2, 5)
        assert report["issues"] == {"invalid_email": 1, "invalid_phone": 1, "duplicate": 1, "no_identifier": 1,
                                    "invalid_language": 1}
        by_row = {s["row"]: s for s in report["samples"]}
        assert by_row[5]["kind"] == "duplicate" and "row 2" in by_row[5]["message"]
        assert report["preview"][0]["contact"] == {
            "email": "ann@example.org", "phone": "+442079460018", "firstName": "Ann", "extRef": "A1",
            "language": "en", "embeddedData": {"Plan": "gold"}}
        assert report["preview"][6]["contact"]["language"] == "fr-ca"
        assert imp.status == ContactImport.Status.READY

    def test_it_deletes_the_file_of_a_discarded_upload(self, xm):
        imp = start_import(xm, people(3))
        path = imp.file.path
        assert services.contact_import_cancel(contact_import=imp, actor=xm.owner) == ContactImport.Status.CANCELLED
        imp.refresh_from_db()
        assert not imp.file and not os.path.exists(path)

    def test_it_refuses_a_mapping_without_identifier(self, xm):
        imp = start_import(xm, people(3))
        errors = services.contact_import_check(contact_import=imp, mapping=["firstName", "lastName", "", "", ""],
                                               phone_region="US")
        assert errors and "E-mail, Phone or External reference" in errors[0]
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.UPLOADED
        assert not services.contact_import_start(contact_import=imp, actor=xm.owner)

    def test_it_checks_ten_thousand_rows_in_one_pass(self, xm):
        imp = start_import(xm, people(10_000))
        assert imp.report["valid"] == 10_000 and imp.row_count == 10_000


def uploaded(xm, rows, chunk_size=500):
    directory = selectors.directory_get(connection=xm.connection, actor=xm.owner, directory_id=xm.directory_id)
    imp = services.contact_import_create(connection=xm.connection, actor=xm.owner, directory=directory,
                                         mailing_list={"mailingListId": xm.mailing_list_id, "name": "Import target"},
                                         upload=csv_upload(rows, PEOPLE_HEADER))
    ContactImport.objects.filter(pk=imp.pk).update(chunk_size=chunk_size)
    imp.refresh_from_db()
    return imp


@pytest.mark.django_db
class TestTheWorkersCheck:
    """The check of the rows, in the worker: resumable, one worker at a time, restarted by a new mapping."""

    @pytest.fixture
    def checked(self, monkeypatch):
        """Row numbers in the order the checker saw them; `crash_at` makes it fail once on that row, as a
        worker killed there would stop."""
        from contacts import csvimport

        seen: list[int] = []
        crash = {"at": None, "then": None}
        real_check = csvimport.RowChecker.check

        def check(self, number, cells):
            if number == crash["at"]:
                crash["at"] = None
                if crash["then"]:
                    crash["then"]()
                else:
                    raise RuntimeError("worker killed")
            seen.append(number)
            return real_check(self, number, cells)

        monkeypatch.setattr(csvimport.RowChecker, "check", check)
        return seen, crash

    def test_a_check_resumes_after_its_worker_died_and_checks_no_saved_row_again(self, xm, checked):
        seen, crash = checked
        rows = [*people(1500), ["Again", "Three", "person3@example.net", "EXT-X", ""]]  # duplicate of row 5
        imp = uploaded(xm, rows)
        assert services.contact_import_check(contact_import=imp, mapping=imp.mapping, phone_region="GB") == []
        crash["at"] = 1203
        with pytest.raises(RuntimeError, match="worker killed"):
            services.contact_import_run(import_id=imp.pk)
        imp.refresh_from_db()
        assert (imp.status, imp.check_row, imp.total_chunks) == (ContactImport.Status.CHECKING, 1001, 2)
        # The keys of the saved rows are kept in the database with their chunks, not in the dead worker.
        kept = dict(ImportKey.objects.filter(contact_import=imp).values_list("row", "key"))
        assert sorted(kept) == list(range(2, 1002)) and len(set(kept.values())) == 1000
        finish_check(imp)
        assert imp.status == ContactImport.Status.READY and imp.planned
        twice = {n for n in seen if seen.count(n) > 1}
        assert twice == set(range(1002, 1203))  # only the rows read after the last save, before the crash
        assert sorted(set(seen)) == list(range(2, 1503))
        chunk_rows = [r for rows_ in ImportChunk.objects.filter(contact_import=imp).order_by("index")
                      .values_list("rows", flat=True) for r in rows_]
        assert chunk_rows == list(range(2, 1502)) and imp.total_chunks == 3
        assert (imp.report["rows"], imp.report["valid"], imp.report["issues"]) == (1501, 1500, {"duplicate": 1})
        rejection = ImportRejection.objects.get(contact_import=imp)
        assert (rejection.row_number, rejection.reason) == (1502, "Same e-mail as row 5.")
        assert not ImportKey.objects.filter(contact_import=imp).exists()  # dropped once the check ended

    def test_only_one_worker_checks_an_import_at_a_time(self, xm, checked):
        import datetime

        from django.utils import timezone

        seen, _ = checked
        imp = uploaded(xm, people(20))
        services.contact_import_check(contact_import=imp, mapping=imp.mapping, phone_region="GB")
        ContactImport.objects.filter(pk=imp.pk).update(
            lease_token="another", lease_expires_at=timezone.now() + datetime.timedelta(seconds=60))
        assert services.contact_import_run(import_id=imp.pk) is None
        assert seen == [] and not ImportChunk.objects.exists()

    def test_a_new_mapping_during_the_check_discards_what_the_old_check_had_not_saved(self, xm, checked):
        _seen, crash = checked
        imp = uploaded(xm, people(1200))
        services.contact_import_check(contact_import=imp, mapping=imp.mapping, phone_region="GB")
        without_plan = [*imp.mapping[:4], ""]
        crash["at"] = 700
        crash["then"] = lambda: services.contact_import_check(contact_import=ContactImport.objects.get(pk=imp.pk),
                                                              mapping=without_plan, phone_region="GB")
        assert services.contact_import_run(import_id=imp.pk) is None  # the old check stops at its next save
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.CHECKING and not ImportChunk.objects.exists()
        assert not ImportKey.objects.exists()  # the old check's keys went with its chunks
        finish_check(imp)
        payloads = [c for p in ImportChunk.objects.filter(contact_import=imp).values_list("payload", flat=True)
                    for c in p]
        assert len(payloads) == 1200 and not any("embeddedData" in c for c in payloads)

    def test_a_file_the_worker_cannot_read_goes_back_to_the_mapping_with_why(self, xm):
        imp = uploaded(xm, people(3))
        with imp.file.open("ab") as kept:  # a quoted value left open, larger than a value may be
            kept.write(b'x@example.org,"' + b"y" * 140_000 + b"\n")
        services.contact_import_check(contact_import=imp, mapping=imp.mapping, phone_region="GB")
        finish_check(imp)
        assert imp.status == ContactImport.Status.UPLOADED and not imp.planned
        assert imp.report == {"error": "Row 5 has a value of more than 131,072 characters. Check that its quotes "
                                       "are closed."}
        assert not ImportChunk.objects.filter(contact_import=imp).exists()


@pytest.mark.django_db
class TestImportTasks:
    def test_it_schedules_the_next_step_with_the_countdown(self, xm, monkeypatch, enqueued):
        from contacts import tasks

        monkeypatch.setattr(services, "contact_import_run", lambda *, import_id: 7.5)
        tasks.contact_import_run_task(42)
        assert enqueued == [((42,), 7.5)]
        monkeypatch.setattr(services, "contact_import_run", lambda *, import_id: None)
        tasks.contact_import_run_task(42)
        assert enqueued == [((42,), 7.5)]

    def test_the_reaper_hands_stale_imports_to_a_worker(self, xm, enqueued):
        from contacts import tasks

        imp = start_import(xm, people(5))
        services.contact_import_start(contact_import=imp, actor=xm.owner)
        assert tasks.contact_import_reap_task() == []  # just queued: its message is on its way
        ContactImport.objects.filter(pk=imp.pk).update(next_run_at="2000-01-01T00:00:00Z")
        assert tasks.contact_import_reap_task() == [imp.pk]
        assert ((imp.pk,), 0) in enqueued
        ContactImport.objects.filter(pk=imp.pk).update(status=ContactImport.Status.COMPLETED)
        assert tasks.contact_import_reap_task() == []

    def test_it_is_in_the_beat_schedule(self):
        from portal.celery import app

        app.finalize()
        assert app.conf.beat_schedule["contacts-import-reaper"]["task"] == "contacts.tasks.contact_import_reap_task"


@pytest.mark.django_db(transaction=True)
class TestImportFileRetention:
    def test_files_of_imports_ended_long_ago_are_deleted_and_the_rest_kept(self, xm, settings):
        import datetime

        from django.utils import timezone

        from contacts import tasks

        xm.sandbox.configure(job_seconds=0)
        settings.CONTACT_IMPORT_FILE_RETENTION_DAYS = 30
        old = start_import(xm, [*people(3), ["No", "Identifier", "", "", "gold"]])
        services.contact_import_start(contact_import=old, actor=xm.owner)
        old = run_to_end(old)
        recent, running = start_import(xm, people(2, start=10)), start_import(xm, people(2, start=20))
        ContactImport.objects.filter(pk=recent.pk).update(status=ContactImport.Status.COMPLETED,
                                                          finished_at=timezone.now() - datetime.timedelta(days=29))
        ContactImport.objects.filter(pk=running.pk).update(status=ContactImport.Status.RUNNING)
        ContactImport.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=31))
        path = old.file.path

        assert tasks.contact_import_purge_files_task() == 1
        assert tasks.contact_import_purge_files_task() == 0  # a second sweep finds nothing more to do
        old.refresh_from_db()
        assert not old.file and old.file_purged_at is not None and not os.path.exists(path)
        for kept in (recent, running):
            kept.refresh_from_db()
            assert kept.file and os.path.exists(kept.file.path) and kept.file_purged_at is None
        # The rows left out can still be listed, by number and reason.
        assert list(selectors.contact_import_rejected_rows(contact_import=old)) == [
            ["row", "reason"], [5, "No e-mail, phone or external reference."],
        ]

    def test_it_is_in_the_beat_schedule(self):
        from portal.celery import app

        app.finalize()
        entry = app.conf.beat_schedule["contacts-import-file-purge"]
        assert entry["task"] == "contacts.tasks.contact_import_purge_files_task"


@pytest.mark.django_db(transaction=True)
class TestFollowingJobs:
    def test_a_slow_job_is_looked_at_by_its_pace_not_every_second(self, xm):
        """Qualtrics takes 4 s per job: each chunk's job is looked at after 1 s, then when its pace says it is
        done (about 4 s after it started), so two or three looks, not one a second."""
        xm.sandbox.configure(job_seconds=4)
        imp = start_import(xm, people(1000), chunk_size=500)
        assert services.contact_import_start(contact_import=imp, actor=xm.owner)
        xm.clear_calls()
        tuning = services.ImportTuning(step_seconds=60, poll_interval=0.5, recovery_grace_seconds=60, max_in_flight=4)
        while services.contact_import_run(import_id=imp.pk, tuning=tuning) is not None:
            pass
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.COMPLETED and imp.added == 1000
        jobs = [c["path"] for c in xm.calls("GET", "/transactioncontacts/") if not c["path"].endswith("/summary")]
        per_job = {path: jobs.count(path) for path in set(jobs)}
        assert len(per_job) == 2 and all(2 <= looks <= 3 for looks in per_job.values()), per_job


@pytest.mark.django_db
def test_the_progress_moves_by_rows_while_qualtrics_imports_a_chunk(xm):
    imp = start_import(xm, people(30), chunk_size=10)
    ContactImport.objects.filter(pk=imp.pk).update(total_chunks=3, planned=True, status=ContactImport.Status.RUNNING)
    S = ImportChunk.Status
    ImportChunk.objects.filter(contact_import=imp).delete()
    for index, (status, percent) in enumerate([(S.DONE, 100), (S.SENT, 50), (S.PENDING, 0)]):
        ImportChunk.objects.create(contact_import=imp, index=index, first_row=index * 10 + 2,
                                   last_row=index * 10 + 11, row_count=10, rows=[], payload=[], status=status,
                                   percent_complete=percent)
    imp.refresh_from_db()
    progress = selectors.contact_import_progress(contact_import=imp)
    assert (progress["chunks_finished"], progress["percent"]) == (1, 50)  # 10 rows done + half of 10, of 30


@pytest.mark.django_db
def test_progress_counts_rows_including_those_qualtrics_is_importing(xm):
    """One chunk of 300 rows at 40 % in Qualtrics is 40 %, not 0 % until it jumps to done."""
    imp = start_import(xm, people(300))
    ImportChunk.objects.filter(contact_import=imp).delete()  # two chunks in known states instead
    ImportChunk.objects.bulk_create([
        ImportChunk(contact_import=imp, index=0, first_row=2, last_row=201, row_count=200,
                    status=ImportChunk.Status.DONE, percent_complete=100),
        ImportChunk(contact_import=imp, index=1, first_row=202, last_row=301, row_count=100,
                    status=ImportChunk.Status.SENT, percent_complete=40),
    ])
    ContactImport.objects.filter(pk=imp.pk).update(status=ContactImport.Status.RUNNING, total_chunks=2)
    imp.refresh_from_db()
    progress = selectors.contact_import_progress(contact_import=imp)
    assert (progress["rows_progress"], progress["rows_total"], progress["percent"]) == (240, 300, 80)
