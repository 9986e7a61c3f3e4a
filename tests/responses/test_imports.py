"""Response imports run as a worker runs them, against the sandbox: counts when Qualtrics takes the file, its
refusal in plain words when it does not, and one Qualtrics job however often a step is repeated."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from responses import services
from responses.models import ResponseImport

GOOD = (b"StartDate,EndDate,Finished,Q1,Region\n"
        b"2025-03-01 10:00:00,2025-03-01 10:05:00,1,9,EMEA\n"
        b"2025-03-02 11:00:00,2025-03-02 11:04:00,1,3,APAC\n")


def start(team, csat, content: bytes, name: str = "r.csv") -> ResponseImport:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.response_import_create(connection=team.connection, actor=team.operator, survey_id=csat["id"],
                                               survey_name=csat["name"],
                                               upload=SimpleUploadedFile(name, content, content_type="text/csv"))


def run(job: ResponseImport, sandbox) -> ResponseImport:
    for _ in range(20):
        countdown = services.response_import_run(import_id=job.pk, sleep=sandbox.advance_clock)
        if countdown is None:
            break
        sandbox.advance_clock(countdown)
    job.refresh_from_db()
    return job


def test_an_import_is_counted_when_qualtrics_has_taken_it(team, csat, qualtrics, enqueued):
    before = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    job = start(team, csat, GOOD)
    assert job.row_count == 2 and job.format == "csv"
    assert enqueued == [("responses.tasks.response_import_run_task", (job.pk,), 0)]
    job = run(job, team.sandbox)
    assert job.status == "completed" and job.imported == 2 and job.survey_count_before == before
    assert qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"] == before + 2


def test_a_repeated_start_is_the_same_qualtrics_job(team, csat, qualtrics):
    before = qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
    job = start(team, csat, GOOD)
    # A worker died after Qualtrics took the file but before the portal saved the job's ID: the next worker
    # sends it again with the same Idempotency-Key, and Qualtrics answers with the same job.
    first = qualtrics.responses.import_file(csat["id"], content=GOOD, idempotency_key=job.idempotency_key)
    job = run(job, team.sandbox)
    assert job.progress_id == first["progressId"]
    assert job.status == "completed" and job.imported == 2
    assert qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"] == before + 2


def test_a_file_qualtrics_refuses_fails_with_why(team, csat):
    job = run(start(team, csat, b"StartDate,Finished,Q1\nnot a date,maybe,eleventy\n"), team.sandbox)
    assert job.status == "failed" and "no response was imported" in job.error
    assert job.lease_token == ""


def test_a_tsv_file_is_sent_as_tsv(team, csat):
    job = run(start(team, csat, GOOD.replace(b",", b"\t"), "r.tsv"), team.sandbox)
    assert job.format == "tsv" and job.status == "completed" and job.imported == 2
