"""The client's HTTP session honours the environment's proxies and CA bundle, read once per origin, and never
sends ~/.netrc credentials."""

from __future__ import annotations

import requests

from qualtrics import new_session

URL = "https://iad1.qualtrics.com/API/v3/whoami"


def settings_for(session, url=URL, verify=True):
    return session.merge_environment_settings(url, {}, None, verify, None)


def test_proxies_and_the_ca_bundle_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/company/ca.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    found = settings_for(new_session())
    assert found["proxies"]["https"] == "http://proxy.example.org:3128"
    assert found["verify"] == "/etc/company/ca.pem"
    assert settings_for(new_session(), verify="/given/ca.pem")["verify"] == "/given/ca.pem"  # given beats the env


def test_a_change_to_the_environment_is_seen_and_no_proxy_is_respected(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = new_session()
    assert "https" in settings_for(session)["proxies"]
    monkeypatch.setenv("NO_PROXY", ".qualtrics.com")
    assert "https" not in settings_for(session)["proxies"]
    assert "https" in settings_for(session, url="https://elsewhere.example.org/")["proxies"]


def test_netrc_credentials_are_never_added(monkeypatch, tmp_path):
    (tmp_path / ".netrc").write_text("machine iad1.qualtrics.com login someone password secret\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    prepared = new_session().prepare_request(requests.Request("GET", URL, headers={"X-API-TOKEN": "t"}))
    assert "Authorization" not in prepared.headers
    # requests' own session would have sent them
    assert "Authorization" in requests.Session().prepare_request(requests.Request("GET", URL)).headers
