"""The same API over HTTPS: a certificate made at start, a CA file to trust, and kept-alive connections."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509

from sandbox.server import SandboxServer

from .test_command import ROOT, start, value


@pytest.fixture(scope="module")
def secure():
    with SandboxServer(seed="demo", tls=True) as server:
        yield server


def test_https_answers_with_a_certificate_the_ca_file_vouches_for(secure):
    assert secure.root_url.startswith("https://127.0.0.1:") and secure.base_url.startswith("https://")
    whoami = requests.get(f"{secure.base_url}/whoami", headers={"X-API-TOKEN": secure.admin_token},
                          verify=secure.ca_file, timeout=5)
    assert whoami.status_code == 200 and whoami.json()["result"]["brandId"] == "acme"
    by_name = requests.get(f"https://localhost:{secure.port}/API/v3/whoami", verify=secure.ca_file, timeout=5,
                           headers={"X-API-TOKEN": secure.admin_token})
    assert by_name.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{secure.base_url}/whoami", timeout=5)
    ca = x509.load_pem_x509_certificate(Path(secure.ca_file).read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    served = x509.load_pem_x509_certificate(ssl.get_server_certificate(("127.0.0.1", secure.port)).encode())
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert served.issuer == ca.subject


def test_next_page_links_stay_on_https_and_connections_are_reused(secure):
    session = requests.Session()
    session.headers["X-API-TOKEN"] = secure.admin_token
    directory = secure.brand()["defaultDirectoryId"]
    url = f"{secure.base_url}/directories/{directory}/contacts?pageSize=50"
    pages = 0
    while url:
        # Per request: a REQUESTS_CA_BUNDLE in the environment would override `session.verify`.
        result = session.get(url, verify=secure.ca_file, timeout=5).json()["result"]
        pages += 1
        url = result["nextPage"]
        assert url is None or url.startswith(secure.root_url + "/API/v3/")
    assert pages == 10
    manager = session.get_adapter(secure.base_url).poolmanager
    opened = [manager.pools[key].num_connections for key in manager.pools.keys()]  # noqa: SIM118 - not a dict
    assert opened == [1], "all ten pages went over one kept-alive TLS connection"


def test_oauth_and_control_routes_over_https(secure):
    token = requests.post(secure.token_url, auth=secure.oauth_client(), data={"grant_type": "client_credentials"},
                          verify=secure.ca_file, timeout=5).json()["access_token"]
    assert requests.get(f"{secure.base_url}/users", headers={"Authorization": f"Bearer {token}"},
                        verify=secure.ca_file, timeout=5).ok
    info = requests.get(f"{secure.root_url}/_sandbox/info", verify=secure.ca_file, timeout=5).json()
    assert info["baseUrl"] == secure.base_url


def test_certificates_are_removed_on_stop_unless_a_directory_was_given(tmp_path):
    server = SandboxServer(seed="empty", tls=True)
    ca_file = Path(server.ca_file)
    assert ca_file.exists() and ca_file.with_name("server-key.pem").stat().st_mode & 0o077 == 0
    server.stop()
    assert not ca_file.parent.exists()
    with SandboxServer(seed="empty", tls=True, tls_dir=tmp_path / "tls") as kept:
        assert kept.ca_file == str(tmp_path / "tls" / "ca.pem")
    assert (tmp_path / "tls" / "ca.pem").exists()
    plain = SandboxServer(seed="empty")
    assert plain.ca_file is None and plain.root_url.startswith("http://")
    plain.stop()


def test_command_with_tls_prints_the_ca_file_and_the_oauth_clients():
    process, lines = start([sys.executable, "-m", "sandbox", "--port", "0", "--seed", "empty", "--tls"])
    try:
        base_url = value(lines, "base URL:")
        ca_file = value(lines, "CA certificate:").split()[0]
        assert base_url.startswith("https://127.0.0.1:")
        clients = [line.split() for line in lines[lines.index(next(x for x in lines if x.startswith("OAuth clients")))
                                                  + 1:-1]]
        assert [row[0] for row in clients] == ["acme", "globex"] and all(row[3] == "manage:all" for row in clients)
        reply = requests.post(base_url.replace("/API/v3", "/oauth2/token"), auth=(clients[0][1], clients[0][2]),
                              data={"grant_type": "client_credentials"}, verify=ca_file, timeout=5)
        assert reply.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0
    assert not os.path.exists(ca_file)


def test_command_rejects_a_tls_directory_it_cannot_write(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0", "--tls", "--tls-dir", str(blocked)],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "qualtrics sandbox:" in result.stderr
