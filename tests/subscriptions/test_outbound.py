"""Outgoing webhook addresses: every refusal, at save time and at send time (the name resolved then)."""

from __future__ import annotations

import socket
from unittest import mock

import pytest

from subscriptions import outbound

from .receivers import HttpsDestination


@pytest.mark.parametrize(("url", "words"), [
    ("http://hooks.example.org/x", "must use HTTPS"),
    ("ftp://hooks.example.org/x", "must start with https://"),
    ("https:///nohost", "must start with https://"),
    ("https://user:pw@hooks.example.org/x", "user name or password"),
    ("https://hooks.example.org:99999/x", "not a valid URL"),
    ("", "give an HTTPS URL"),
    ("https://example.org/" + "a" * 2000, "give an HTTPS URL"),
    ("http://127.0.0.1:8000/x", "must use HTTPS"),
])
def test_refused_when_saved(url, words):
    with pytest.raises(outbound.UnsafeDestination, match=words):
        outbound.check_url(url)


def test_plain_http_only_to_this_machine_in_development():
    assert outbound.check_url("http://localhost:9/x", allow_local=True) == ("http", "localhost", 9)
    assert outbound.check_url("http://127.0.0.1/x", allow_local=True)[1] == "127.0.0.1"
    with pytest.raises(outbound.UnsafeDestination):
        outbound.check_url("http://10.0.0.5/x", allow_local=True)


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.5", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("100.64.0.1", "private"), ("0.0.0.0", "not a public"), ("224.0.0.1", "not a public"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"), ("fd00::1", "private"),
    ("240.0.0.1", "not a public"),
])
def test_internal_addresses_are_refused(address, why):
    assert why in outbound.refusal(address)


def test_public_addresses_pass():
    assert outbound.refusal("93.184.216.34") == "" and outbound.refusal("2606:4700::1111") == ""


def fake_dns(*addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return getaddrinfo


@pytest.mark.parametrize("addresses", [("127.0.0.1",), ("10.0.0.7",), ("93.184.216.34", "192.168.1.1")])
def test_a_name_resolving_inside_is_refused_at_send_time(addresses):
    """hooks.example.org passes when saved; resolved at send time to an internal address, nothing is sent."""
    outbound.check_url("https://hooks.example.org/x")
    with mock.patch("socket.getaddrinfo", fake_dns(*addresses)), \
            mock.patch("urllib3.HTTPSConnectionPool.urlopen") as sent, \
            pytest.raises(outbound.UnsafeDestination, match="the portal does not call it"):
        outbound.post("https://hooks.example.org/x", b"{}", {})
    assert not sent.called


def test_localhost_by_name_is_refused_unless_in_development():
    with HttpsDestination() as destination:
        url = destination.url.replace("127.0.0.1", "localhost")
        with pytest.raises(outbound.UnsafeDestination, match="loopback"):
            outbound.post(url, b"{}", {}, ca_file=destination.ca_file)
        answer = outbound.post(url, b"{}", {}, ca_file=destination.ca_file, allow_local=True)
        assert answer.status == 200 and len(destination.received) == 1


def test_the_certificate_is_checked_for_the_name_and_the_call_goes_to_the_checked_address():
    with HttpsDestination() as destination:
        # Not trusted without its CA.
        with pytest.raises(Exception, match=r"(?i)certificate"):
            outbound.post(destination.url, b"{}", {}, allow_local=True)
        answer = outbound.post(destination.url, b'{"a":1}', {"Content-Type": "application/json"}, allow_local=True,
                               ca_file=destination.ca_file)
        assert answer.status == 200 and answer.address == "127.0.0.1"
        assert destination.received[0]["json"] == {"a": 1}
        assert destination.received[0]["headers"]["Host"].startswith("127.0.0.1")


def test_posts_to_one_destination_share_a_connection_and_the_address_is_checked_each_time(monkeypatch):
    with HttpsDestination() as destination:
        for n in range(3):
            answer = outbound.post(destination.url, b"{}", {}, allow_local=True, ca_file=destination.ca_file)
            assert answer.status == 200, n
        assert len({r["peer"] for r in destination.received}) == 1  # one TLS handshake, not three
        # The name is resolved and checked before every post, however warm the pool.
        monkeypatch.setattr(outbound.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.0.0.7", 443))])
        with pytest.raises(outbound.UnsafeDestination, match=r"10\.0\.0\.7"):
            outbound.post("https://hooks.example.org/hook", b"{}", {}, ca_file=destination.ca_file)


def test_timeouts_and_response_size_are_bounded():
    import http.server
    import threading

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * (outbound.MAX_RESPONSE_BYTES * 4))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = outbound.post(f"http://127.0.0.1:{server.server_address[1]}/", b"{}", {}, allow_local=True)
        assert answer.status == 200 and len(answer.body) == outbound.MAX_RESPONSE_BYTES
    finally:
        server.shutdown()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        with pytest.raises(Exception, match=r"(?i)timed out|timeout"):
            outbound.post(f"http://127.0.0.1:{silent.getsockname()[1]}/", b"{}", {}, allow_local=True,
                          read_timeout=0.5)
    finally:
        silent.close()


def test_a_name_that_does_not_resolve_now_is_a_transport_failure_not_a_refusal():
    with mock.patch("socket.getaddrinfo", side_effect=socket.gaierror(-3, "Temporary failure in name resolution")), \
            pytest.raises(outbound.ResolutionFailed):
        outbound.post("https://hooks.example.org/x", b"{}", {})
