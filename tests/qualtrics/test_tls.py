"""The client and the portal's screens over HTTPS, against the sandbox's TLS mode and its own CA."""

from __future__ import annotations

import pytest

from qualtrics import ConnectionFailedError, QualtricsClient
from sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def tls_sandbox():
    with SandboxServer(seed="demo", tls=True) as server:
        yield server


def client_for(sandbox: SandboxServer, **options) -> QualtricsClient:
    return QualtricsClient.for_datacenter("iad1", sandbox.admin_token, base_url_template=sandbox.base_url_template,
                                          **options)


def test_the_client_trusts_the_ca_file_it_is_given(tls_sandbox, monkeypatch):
    # A CA bundle in the environment (this machine sets one) must not replace the file the client was given.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca-bundle.crt")
    with client_for(tls_sandbox, ca_file=tls_sandbox.ca_file) as client:
        assert client.base_url.startswith("https://")
        assert client.whoami()["brandId"] == "acme"
        directory = client.directories.list().items[0]["directoryId"]
        page = client.contacts.list(directory, page_size=25)
        assert len(page.items) == 25 and page.next_page.startswith("https://")
        assert len(list(client.contacts.list(directory, page_size=100).iter_all())) > 100


def test_without_the_ca_the_certificate_is_refused_in_plain_words(tls_sandbox, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with client_for(tls_sandbox) as client, pytest.raises(ConnectionFailedError) as refused:
        client.whoami()
    assert "certificate" in refused.value.message.lower()
