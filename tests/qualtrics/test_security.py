"""The token stays secret, and no call made through a client can leave its connection's API."""

from __future__ import annotations

import logging

import pytest
import requests

from qualtrics import (
    AuthenticationError,
    ConnectionFailedError,
    NotFoundError,
    QualtricsClient,
    RetryPolicy,
    ServerError,
    UnsafeRequestError,
    mask_token,
)

from .fakes import BASE_URL, TOKEN, envelope, make_client, raw
from .test_errors import connection_refused


class TestTokenSecrecy:
    def test_repr_shows_the_last_four_characters_at_most(self, client):
        text = repr(client)
        assert TOKEN not in text
        assert TOKEN[:-4] not in text
        assert "••••" + TOKEN[-4:] in text
        assert mask_token("short") == "••••"

    def test_the_token_is_sent_in_the_header_on_every_call(self, client, transport):
        transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
        transport.on("GET", "/users", envelope({"elements": [], "nextPage": None}))
        client.whoami()
        client.users.list()
        assert [sent.headers["X-API-TOKEN"] for sent in transport.sent] == [TOKEN, TOKEN]
        assert all(TOKEN not in sent.url for sent in transport.sent)

    def test_errors_echoing_the_token_are_scrubbed(self, client, transport):
        transport.on(
            "GET",
            "/whoami",
            envelope(status=401, error_code="DCD_7", error_message=f"Unrecognized X-API-TOKEN: {TOKEN}"),
        )
        with pytest.raises(AuthenticationError) as caught:
            client.whoami()
        error = caught.value
        for text in (str(error), repr(error), error.message, *map(str, error.args)):
            assert TOKEN not in text
        assert "Unrecognized X-API-TOKEN" in str(error)

    def test_non_json_error_pages_are_scrubbed(self, client, transport):
        transport.on("GET", "/whoami", raw(502, f"<p>upstream said {TOKEN}</p>"))
        with pytest.raises(ServerError) as caught:
            client.request("GET", "/whoami", retry=RetryPolicy.none())
        assert TOKEN not in str(caught.value)

    def test_nothing_logged_or_recorded_holds_the_token(self, transport, caplog):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on("GET", "/whoami", envelope(status=500, error_message=f"echo {TOKEN}"), envelope({"ok": 1}))
        transport.on("POST", "/users", connection_refused())
        transport.on("GET", "/users/{id}", envelope(status=404, error_message=f"no user for {TOKEN}"))
        caplog.set_level(logging.DEBUG)
        client.whoami()
        with pytest.raises(ConnectionFailedError) as refused:
            client.request(
                "POST", "/users", json={"username": "x"}, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)
            )
        with pytest.raises(NotFoundError) as missing:
            client.users.get("UR_123456789012345")
        logging.getLogger("test").exception("while handling", exc_info=refused.value)
        assert caplog.records, "the client logs its calls"
        assert TOKEN not in caplog.text
        assert TOKEN not in str(refused.value) and TOKEN not in str(missing.value)
        assert records and all(TOKEN not in repr(record) for record in records)

    def test_call_records_describe_each_exchange(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on(
            "POST",
            "/directories/{d}/mailinglists",
            envelope(status=429, request_id="r1", headers={"Retry-After": "0"}),
            envelope({"id": "CG_123456789012345"}, request_id="r2", notice="heads up"),
        )
        client.mailing_lists.create("POOL_123456789012345", name="Panel")
        assert [(r.method, r.path, r.status, r.request_id, r.attempt) for r in records] == [
            ("POST", "/directories/POOL_123456789012345/mailinglists", 429, "r1", 1),
            ("POST", "/directories/POOL_123456789012345/mailinglists", 200, "r2", 2),
        ]
        assert records[0].error_class == "RateLimitedError" and not records[0].ok
        assert records[1].ok and records[1].notice == "heads up" and records[1].duration_s >= 0

    def test_a_failing_hook_does_not_break_the_call(self, transport, caplog):
        def broken(record):
            raise RuntimeError("hook bug")

        client = make_client(transport, hooks=[broken])
        transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
        assert client.whoami() == {"userId": "UR_1"}
        assert "hook failed" in caplog.text

    def test_records_are_made_for_connection_failures(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append], retry=RetryPolicy.none())
        transport.on("GET", "/whoami", requests.ReadTimeout("slow"))
        with pytest.raises(ConnectionFailedError):
            client.whoami()
        (record,) = records
        assert record.status is None and record.error_class == "QualtricsTimeoutError"
        assert record.error_message and "may still have acted" in record.error_message


class TestConfinement:
    @pytest.mark.parametrize(
        "path",
        [
            "https://evil.example.com/API/v3/whoami",
            "http://iad1.qualtrics.com/API/v3/whoami",
            "//evil.example.com/whoami",
            "javascript:alert(1)",
            "../whoami",
            "/users/../../oauth2/token",
            "/users/%2e%2e/%2E%2E/x",
            "/users/a%2fb",
            "/users?offset=5",
            "/users#x",
            "/users\\..\\x",
            "/users/ x",
            "/users//UR_1",
            "",
            "/",
        ],
    )
    def test_call_refuses_paths_that_leave_the_api(self, client, transport, path):
        with pytest.raises(UnsafeRequestError):
            client.request("GET", path)
        assert transport.sent == []

    def test_call_reaches_any_relative_path(self, client, transport):
        transport.on("GET", "/organizations/{o}", envelope({"id": "org"}))
        assert client.request("GET", "organizations/acme", params={"x": "1"}) == {"id": "org"}
        (sent,) = transport.sent
        assert sent.url == f"{BASE_URL}/organizations/acme?x=1"

    def test_call_refuses_unknown_methods(self, client):
        with pytest.raises(UnsafeRequestError):
            client.request("TRACE", "/whoami")

    @pytest.mark.parametrize("bad_id", ["../../whoami", "a/b", "..", ".", "", "x?y=1", "x#y", "a\\b", "line\nbreak"])
    def test_ids_cannot_change_the_route(self, client, transport, bad_id):
        with pytest.raises(UnsafeRequestError):
            client.contacts.get("POOL_123456789012345", bad_id)
        assert transport.sent == []

    def test_unusual_but_harmless_ids_are_quoted(self, client, transport):
        transport.on("GET", "/users/{id}", envelope({"id": "x"}))
        client.users.get("UR 1+2")
        assert transport.sent[0].url == f"{BASE_URL}/users/UR%201%2B2"

    @pytest.mark.parametrize(
        "next_page",
        [
            "https://evil.example.com/API/v3/users?offset=100",
            "https://iad1.qualtrics.com.evil.example.com/API/v3/users?offset=100",
            "https://iad1.qualtrics.com:8443/API/v3/users?offset=100",
            "http://iad1.qualtrics.com/API/v3/users?offset=100",
            "https://iad1.qualtrics.com/API/v2/users?offset=100",
            "https://iad1.qualtrics.com/API/v3/../oauth2/token",
            "https://user:pw@iad1.qualtrics.com/API/v3/users?offset=100",
            "/API/v3/users?offset=100",
        ],
    )
    def test_page_urls_must_stay_on_the_connection(self, client, transport, next_page):
        transport.on("GET", "/users", envelope({"elements": [{"id": "UR_1"}], "nextPage": next_page}))
        iterator = client.users.list().iter_all()
        assert next(iterator) == {"id": "UR_1"}
        with pytest.raises(UnsafeRequestError):
            next(iterator)
        assert len(transport.sent) == 1
        with pytest.raises(UnsafeRequestError):
            client.users.list(page_url=next_page)

    def test_the_default_port_may_be_spelled_out(self, client, transport):
        transport.on("GET", "/users", envelope({"elements": [{"id": "UR_2"}], "nextPage": None}))
        page = client.users.list(page_url="https://IAD1.qualtrics.com:443/API/v3/users?offset=100")
        assert page.items == [{"id": "UR_2"}]


class TestConstruction:
    def test_for_datacenter_builds_the_host(self, transport):
        client = QualtricsClient.for_datacenter("fra1", TOKEN)
        assert client.base_url == "https://fra1.qualtrics.com/API/v3"
        assert client.datacenter == "fra1"
        templated = QualtricsClient.for_datacenter(
            "sjc1", TOKEN, base_url_template="http://127.0.0.1:8765/{datacenter}/API/v3/"
        )
        assert templated.base_url == "http://127.0.0.1:8765/sjc1/API/v3"
        client.close()
        templated.close()

    @pytest.mark.parametrize("datacenter", ["evil.com/x", "a.b", "", "fra1/", "-x", "x y", "fra1#"])
    def test_for_datacenter_refuses_anything_but_an_id(self, datacenter):
        with pytest.raises(ValueError):
            QualtricsClient.for_datacenter(datacenter, TOKEN)

    @pytest.mark.parametrize(
        "base_url",
        ["ftp://x/API/v3", "iad1.qualtrics.com/API/v3", "https://u:p@x/API/v3", "https://x/API/v3?q=1", ""],
    )
    def test_it_refuses_odd_base_urls(self, base_url):
        with pytest.raises(ValueError):
            QualtricsClient(base_url, TOKEN)

    def test_it_needs_a_token_and_a_brand_key_with_a_limiter(self):
        with pytest.raises(ValueError):
            QualtricsClient(BASE_URL, "")
        with pytest.raises(ValueError):
            QualtricsClient(BASE_URL, "abc\r\nX-Other: 1")
        from qualtrics import RateLimiter

        from .test_ratelimit import MemoryCounters

        with pytest.raises(ValueError):
            QualtricsClient(BASE_URL, TOKEN, limiter=RateLimiter(MemoryCounters()))

    def test_close_only_closes_its_own_session(self, transport):
        closed = []
        own = QualtricsClient(BASE_URL, TOKEN)
        own.session.close = lambda: closed.append("own")
        with own:
            pass
        shared = requests.Session()
        shared.close = lambda: closed.append("shared")
        QualtricsClient(BASE_URL, TOKEN, session=shared).close()
        own_copy = make_client(transport).with_options(timeout=3)
        own_copy.session.close = lambda: closed.append("copy")
        own_copy.close()
        assert closed == ["own"]

    def test_one_pooled_session_per_client(self):
        client = QualtricsClient(BASE_URL, TOKEN)
        adapter = client.session.get_adapter(BASE_URL)
        assert adapter._pool_maxsize >= 10
        assert adapter.max_retries.total == 0
        client.close()
