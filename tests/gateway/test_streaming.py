"""Large answers pass through in flat memory, and an unmodified Qualtrics script works through the gateway."""

from __future__ import annotations

import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from qualtrics.relay import scrubbed

FILE_BYTES = 100 * 1024 * 1024
BLOCK = b"0123456789abcdef" * 4096  # 64 KiB


class _ExportFile(BaseHTTPRequestHandler):
    """Answers every GET with a 100 MB response-export file, written block by block."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Disposition", 'attachment; filename="responses.zip"')
        self.send_header("Content-Length", str(FILE_BYTES))
        self.end_headers()
        for _ in range(FILE_BYTES // len(BLOCK)):
            self.wfile.write(BLOCK)

    def log_message(self, *args):
        pass


@pytest.fixture
def export_server(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ExportFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.QUALTRICS_API_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/{{datacenter}}/API/v3"
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_a_100_mb_export_file_streams_through_in_flat_memory(local_gw, export_server):
    _key, text = local_gw.issue()
    tracemalloc.start()
    try:
        response = local_gw.call("GET", "/surveys/SV_1/export-responses/FILE_1/file", text)
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == 'attachment; filename="responses.zip"'
        received = 0
        for chunk in response.streaming_content:
            received += len(chunk)  # the test client closes the response once it is read
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == FILE_BYTES
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MiB while relaying 100 MiB"
    call = local_gw.connection.api_keys.get().calls.get()
    assert call.status == 200 and call.path == "/surveys/SV_1/export-responses/FILE_1/file"


@pytest.mark.parametrize("cut", [1, 5, 17, 39])
def test_a_token_cut_across_chunks_is_still_masked(cut):
    token, mask = b"T0KEN-0123456789abcdefghijklmnopqrstuv", b"****"
    body = b"before " + token + b" middle " + token + b" after"
    chunks = [body[i:i + cut] for i in range(0, len(body), cut)]
    assert b"".join(scrubbed(chunks, token, mask)) == b"before **** middle **** after"


def list_contacts(base_url: str, token: str) -> list[dict]:
    """A script written for Qualtrics: its first directory's contacts, every page, with `requests` alone."""
    headers = {"X-API-TOKEN": token}
    directories = requests.get(f"{base_url}/directories", headers=headers, timeout=10)
    directories.raise_for_status()
    directory = directories.json()["result"]["elements"][0]["directoryId"]
    url = f"{base_url}/directories/{directory}/contacts?pageSize=5"
    contacts = []
    while url:
        page = requests.get(url, headers=headers, timeout=10)
        page.raise_for_status()
        result = page.json()["result"]
        contacts += result["elements"]
        url = result["nextPage"]
    return contacts


@pytest.mark.django_db(transaction=True)
def test_a_script_written_for_qualtrics_works_by_changing_only_base_url_and_token(gw, live_server):
    sandbox = gw.personas.sandbox
    direct_base = sandbox.base_url_template.replace("{datacenter}", gw.connection.datacenter)
    _key, key_text = gw.issue(name="Nightly script")
    gateway_base = f"{live_server.url}/api/qualtrics/{gw.connection.pk}/API/v3"

    direct = list_contacts(direct_base, gw.token)
    through_gateway = list_contacts(gateway_base, key_text)

    assert len(direct) > 5  # more than one page
    assert through_gateway == direct
    pages = requests.get(f"{sandbox.root_url}/_sandbox/calls", params={"path_contains": "/contacts"},
                         timeout=10).json()["calls"]
    assert len(pages) == 2 * ((len(direct) + 4) // 5)  # each page once directly, once through the gateway
