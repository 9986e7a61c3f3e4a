"""Response imports: a raw CSV body, a JSON `fileUrl`, a multipart upload; progress; the responses they make."""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import error_of, survey_id

CSV = (
    "StartDate,EndDate,Status,Finished,RecordedDate,Q1,Q3,Q4_1,Q5_1,Q5_3,Q6,Region\r\n"
    "Start Date,End Date,Response Type,Finished,Recorded Date,How likely...,Overall...,Agree - Support,"
    "Channels - Email,Channels - Live chat,Better?,Region\r\n"
    "2025-05-01 08:00:00,2025-05-01 08:05:00,0,1,2025-05-01 08:05:00,10,5,4,1,,Fast answers,EMEA\r\n"
    "2025-05-02 09:00:00,2025-05-02 09:03:00,0,1,2025-05-02 09:03:00,4,Dissatisfied,2,,1,\"Slow,\nvery slow\",NA\r\n"
)


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


@pytest.fixture
def stored(sandbox, survey):
    return sandbox.state.brands["acme"].surveys[survey]


class FileHost:
    """Serves one file over HTTP on loopback, as a public file host would."""

    def __init__(self, body: bytes, content_type: str = "text/csv; charset=utf-8") -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/exports/responses.csv"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(api, survey, progress_id, sandbox):
    """Poll as a client does until the import is no longer in progress (a fetched file may take a moment)."""
    for _ in range(100):
        sandbox.advance_clock(5)
        result = api.ok("GET", f"/surveys/{survey}/import-responses/{progress_id}")
        assert set(result) == {"progressId", "percentComplete", "status"}
        if result["status"] != "inProgress":
            return result
        time.sleep(0.05)
    raise AssertionError(f"import {progress_id} still in progress")


def new_responses(stored, before):
    return [r for r in stored.responses.values() if r.id not in before]


def test_raw_csv_body(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=600)
    before = set(stored.responses)
    # curl --data-binary @responses.csv -H 'Content-Type: text/csv; charset=utf-8'
    started = api.post(f"/surveys/{survey}/import-responses", data=CSV.encode(),
                       headers={"Content-Type": "text/csv; charset=utf-8"})
    assert started.status_code == 200, started.text
    result = started.json()["result"]
    assert set(result) == {"progressId", "percentComplete", "status"}
    assert result["status"] == "inProgress" and result["percentComplete"] < 100
    assert new_responses(stored, before) == []
    sandbox.advance_clock(300)
    halfway = api.ok("GET", f"/surveys/{survey}/import-responses/{result['progressId']}")
    assert halfway["status"] == "inProgress" and 40 <= halfway["percentComplete"] < 60
    sandbox.advance_clock(301)
    done = api.ok("GET", f"/surveys/{survey}/import-responses/{result['progressId']}")
    assert done == {"progressId": result["progressId"], "percentComplete": 100.0, "status": "complete"}
    made = sorted(new_responses(stored, before), key=lambda r: r.recorded)
    assert len(made) == 2
    first, second = (api.ok("GET", f"/surveys/{survey}/responses/{r.id}") for r in made)
    assert (first["values"]["QID1"], first["values"]["QID1_NPS_GROUP"], first["values"]["QID3"]) == (10, 3, 5)
    assert (first["values"]["QID5"], first["values"]["Region"]) == ([1], "EMEA")
    assert first["values"]["recordedDate"] == "2025-05-01T08:05:00Z"
    assert (second["values"]["QID3"], second["labels"]["QID3"], second["values"]["QID5"]) == (2, "Dissatisfied", [3])
    assert second["values"]["QID6_TEXT"] == "Slow,\nvery slow"
    assert first["values"]["distributionChannel"] == "imported" and first["labels"]["status"] == "IP Address"


def test_file_url(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    before = set(stored.responses)
    host = FileHost(CSV.encode())
    try:
        started = api.ok("POST", f"/surveys/{survey}/import-responses",
                         {"format": "csv", "fileUrl": host.url, "charset": "UTF-8"})
        assert wait_for(api, survey, started["progressId"], sandbox)["status"] == "complete"
    finally:
        host.close()
    assert len(new_responses(stored, before)) == 2
    refused = api.post(f"/surveys/{survey}/import-responses", {"format": "csv", "fileUrl": "ftp://files/x.csv"})
    assert refused.status_code == 400
    assert error_of(api.post(f"/surveys/{survey}/import-responses", {"format": "csv"}))["errorCode"] == "RP_10"
    unreachable = api.ok("POST", f"/surveys/{survey}/import-responses",
                         {"format": "csv", "fileUrl": "http://127.0.0.1:9/missing.csv"})
    assert wait_for(api, survey, unreachable["progressId"], sandbox)["status"] == "failed"


def test_multipart_tsv_and_hook(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    heard = []
    listeners = sandbox.state.hooks.response_recorded
    kept = len(listeners)  # the sandbox's own listeners stay
    listeners.append(lambda b, s, r, source: heard.append((r.id, source)))
    try:
        before = set(stored.responses)
        tsv = CSV.replace(",", "\t").replace('"Slow\t\nvery slow"', "Slow").encode("utf-16")
        started = api.post(f"/surveys/{survey}/import-responses",
                           files={"file": ("responses.tsv", tsv, "text/tab-separated-values; charset=UTF-16")})
        assert started.status_code == 200, started.text
        assert wait_for(api, survey, started.json()["result"]["progressId"], sandbox)["status"] == "complete"
    finally:
        del listeners[kept:]
    made = new_responses(stored, before)
    assert len(made) == 2 and sorted(heard) == sorted((r.id, "import") for r in made)


def test_an_export_imports_back(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    started = api.ok("POST", f"/surveys/{survey}/export-responses",
                     {"format": "csv", "timeZone": "America/Denver", "includeDisplayOrder": True})
    file_id = api.ok("GET", f"/surveys/{survey}/export-responses/{started['progressId']}")["fileId"]
    with zipfile.ZipFile(io.BytesIO(api.get(f"/surveys/{survey}/export-responses/{file_id}/file").content)) as z:
        exported = z.read(z.namelist()[0])
    copy = api.ok("POST", "/surveys", {"projectName": "CSAT restore"}, headers={"X-COPY-SOURCE": survey})["id"]
    begun = api.post(f"/surveys/{copy}/import-responses", data=exported, headers={"Content-Type": "text/csv"})
    assert wait_for(api, copy, begun.json()["result"]["progressId"], sandbox)["status"] == "complete"
    restored = sandbox.state.brands["acme"].surveys[copy]
    assert len(restored.responses) == len(stored.responses)
    originals = {(r.values["startDate"], r.values.get("QID1")): r for r in stored.responses.values()}
    for response in restored.responses.values():
        original = originals[(response.values["startDate"], response.values.get("QID1"))]
        for key in ("QID1", "QID3", "QID4_1", "QID4_2", "QID4_3", "QID5", "QID6_TEXT", "finished", "recordedDate"):
            assert response.values.get(key) == original.values.get(key), key
        assert response.embedded == original.embedded
        assert response.display_order.get("QID5") == original.display_order.get("QID5")


def test_invalid_rows_fail_the_whole_import(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    before = set(stored.responses)
    bad = "Q1,Q3\r\n9,4\r\n12,4\r\n"
    started = api.post(f"/surveys/{survey}/import-responses", data=bad, headers={"Content-Type": "text/csv"})
    assert wait_for(api, survey, started.json()["result"]["progressId"], sandbox)["status"] == "failed"
    assert new_responses(stored, before) == []
    for data, content_type in ((b"", "text/csv"), (b"Q1\r\n1\r\n", "application/pdf")):
        assert api.post(f"/surveys/{survey}/import-responses", data=data,
                        headers={"Content-Type": content_type}).status_code == 400
    assert api.get(f"/surveys/{survey}/import-responses/RI_xxxxxxxxxxxxxxx").status_code == 404


def test_idempotency_key(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    before = set(stored.responses)
    headers = {"Content-Type": "text/csv", "Idempotency-Key": "2f1b1c56-7d36-4c4f-9f1e-0b8a4f7d1e10"}
    first = api.post(f"/surveys/{survey}/import-responses", data=CSV, headers=headers).json()["result"]
    again = api.post(f"/surveys/{survey}/import-responses", data=CSV, headers=headers).json()["result"]
    assert again["progressId"] == first["progressId"]
    wait_for(api, survey, first["progressId"], sandbox)
    assert len(new_responses(stored, before)) == 2
    rows = list(csv.reader(io.StringIO(CSV)))
    assert len(rows) == 4


def test_labelled_files_and_question_text_rows(api, survey, stored, sandbox):
    sandbox.configure(job_seconds=0)
    before = set(stored.responses)
    # Exported with useLabels, without the ImportId row: answers and the response type are texts.
    labelled = ("Status,Finished,Q3,Q5_2,Q4_3\r\n"
                "Response Type,Finished,\"Overall, how satisfied are you with Acme?\",Phone,Pricing\r\n"
                "IP Address,True,Very satisfied,Phone,Agree\r\n")
    started = api.post(f"/surveys/{survey}/import-responses", data=labelled.encode(),
                       headers={"Content-Type": "text/csv"})
    assert wait_for(api, survey, started.json()["result"]["progressId"], sandbox)["status"] == "complete"
    [made] = new_responses(stored, before)
    assert (made.values["status"], made.values["finished"], made.values["QID3"]) == (0, 1, 5)
    assert (made.values["QID5"], made.values["QID4_3"]) == ([2], 4)
