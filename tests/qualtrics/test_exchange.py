"""A call made exactly as a person typed it (`exchange`), and workflow JSON events (`workflows.send_event`)."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from qualtrics import (
    MAX_EVENT_BYTES,
    AuthenticationError,
    BudgetExhaustedError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsClient,
    RateLimiter,
    RetryPolicy,
    UnsafeRequestError,
)

from .fakes import BASE_URL, TOKEN, envelope, make_client, raw
from .test_errors import connection_refused
from .test_ratelimit import MemoryCounters

EVENT_URL = "https://iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId=b6289fe9"


class TestExchange:
    def test_it_returns_the_whole_answer(self, client, transport):
        transport.on("GET", "/surveys", envelope(
            {"elements": [{"id": "SV_1"}], "nextPage": f"{BASE_URL}/surveys?offset=1"},
            request_id="rid-1", headers={"X-Trace": "abc"},
        ))
        answer = client.exchange("GET", "/surveys", params=[("pageSize", "1"), ("offset", "0")])
        assert answer.ok and answer.status == 200 and answer.reason == "OK"
        assert answer.request_id == "rid-1"
        assert answer.next_page == f"{BASE_URL}/surveys?offset=1"
        assert ("X-Trace", "abc") in answer.headers
        assert json.loads(answer.text)["result"]["elements"] == [{"id": "SV_1"}]
        assert answer.duration_s >= 0
        (sent,) = transport.sent
        assert sent.url == f"{BASE_URL}/surveys?pageSize=1&offset=0"
        assert sent.headers["X-API-TOKEN"] == TOKEN

    def test_an_error_answer_is_returned_not_raised(self, client, transport):
        transport.on("POST", "/directories/{d}/mailinglists",
                     envelope(status=400, error_code="RP_9", error_message="Unexpected json key", request_id="r9"))
        answer = client.exchange("POST", "/directories/POOL_1/mailinglists", body='{"nmae": "x"}')
        assert not answer.ok and answer.status == 400
        assert answer.error.code == "RP_9" and answer.error.message == "Unexpected json key"
        assert answer.request_id == "r9"
        assert answer.meta["error"]["errorCode"] == "RP_9"

    def test_the_body_goes_as_typed_with_the_persons_headers(self, client, transport):
        transport.on("PUT", "/users/{id}", envelope())
        text = '{\n  "firstName": "Ann"\n}'
        client.exchange("PUT", "users/UR_1", body=text, headers=[("Accept-Language", "fr"), ("X-Tag", "t1")])
        (sent,) = transport.sent
        assert sent.body == {"firstName": "Ann"}
        assert sent.headers["Content-Type"] == "application/json"
        assert sent.headers["Accept-Language"] == "fr" and sent.headers["X-Tag"] == "t1"

    def test_one_attempt_only_even_for_a_safe_method(self, client, transport, sleeps):
        transport.on("GET", "/whoami", envelope(status=503), envelope({"userId": "UR_1"}))
        answer = client.exchange("GET", "/whoami")
        assert answer.status == 503 and len(transport.sent) == 1 and sleeps == []

    def test_no_answer_raises_and_is_recorded(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on("POST", "/users", connection_refused())
        with pytest.raises(ConnectionFailedError):
            client.exchange("POST", "/users", body="{}")
        assert len(transport.sent) == 1
        assert records[0].status is None and records[0].error_class == "ConnectionFailedError"

    def test_every_exchange_is_reported_to_the_hooks(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on("DELETE", "/users/{id}", envelope(status=404, error_message="no such user", request_id="r4"))
        client.exchange("DELETE", "/users/UR_1")
        (record,) = records
        assert (record.method, record.path, record.status, record.request_id) == ("DELETE", "/users/UR_1", 404, "r4")
        assert record.error_message == "no such user"

    @pytest.mark.parametrize("path", ["https://evil.example.com/x", "/users/%252e%252e/x", "/users?x=1", ""])
    def test_unsafe_paths_never_leave(self, client, transport, path):
        with pytest.raises(UnsafeRequestError):
            client.exchange("GET", path)
        assert transport.sent == []

    @pytest.mark.parametrize("header", [("X-API-TOKEN", "other"), ("x_api_token", "x"), ("Authorization", "Basic x"),
                                        ("Host", "evil.example.com"), ("X-Evil", "a\r\nb")])
    def test_unsafe_headers_never_leave(self, client, transport, header):
        with pytest.raises(UnsafeRequestError):
            client.exchange("GET", "/whoami", headers=[header])
        assert transport.sent == []

    @pytest.mark.parametrize("where", ["path", "query", "header", "body"])
    def test_a_request_holding_the_token_is_refused(self, client, transport, where):
        call = {
            "path": lambda: client.exchange("GET", f"/users/{TOKEN}"),
            "query": lambda: client.exchange("GET", "/users", params={"q": TOKEN}),
            "header": lambda: client.exchange("GET", "/users", headers={"X-Note": TOKEN}),
            "body": lambda: client.exchange("POST", "/users", body=json.dumps({"note": TOKEN})),
        }[where]
        with pytest.raises(UnsafeRequestError) as caught:
            call()
        assert TOKEN not in str(caught.value)
        assert transport.sent == []

    def test_an_echoed_token_is_scrubbed_from_body_and_headers(self, client, transport):
        transport.on("GET", "/whoami", raw(401, f"<p>bad token {TOKEN}</p>", **{"X-Echo": TOKEN}))
        answer = client.exchange("GET", "/whoami")
        assert TOKEN not in answer.text and all(TOKEN not in value for _name, value in answer.headers)
        assert isinstance(answer.error, AuthenticationError)

    def test_it_takes_a_slot_of_the_rate_budget(self, transport):
        limiter = RateLimiter(MemoryCounters(), brand_budget_per_minute=1)
        client = make_client(transport, limiter=limiter, brand_key="acme")
        transport.on("GET", "/whoami", envelope({"userId": "UR_1"}))
        client.exchange("GET", "/whoami", wait_for_budget=False)
        with pytest.raises(BudgetExhaustedError):
            client.exchange("GET", "/whoami", wait_for_budget=False)
        assert len(transport.sent) == 1


class TestWorkflowEvents:
    def test_the_token_header_by_default(self, client, transport):
        transport.on("POST", "/inbound-event/v1/events/json/triggers", envelope(request_id="ev-1"))
        meta = client.workflows.send_event(EVENT_URL, {"ticket": {"id": "T1"}})
        assert meta["requestId"] == "ev-1"
        (sent,) = transport.sent
        assert sent.url == EVENT_URL
        assert sent.headers["X-API-TOKEN"] == TOKEN and "Authorization" not in sent.headers
        assert sent.body == {"ticket": {"id": "T1"}}
        assert sent.headers["Content-Type"] == "application/json"

    def test_basic_username_and_token(self, client, transport):
        transport.on("POST", "/inbound-event/v1/events/json/triggers", envelope())
        client.workflows.send_event(EVENT_URL, '{"a": 1}', auth="basic", username="ann@acme")
        (sent,) = transport.sent
        scheme, _, value = sent.headers["Authorization"].partition(" ")
        assert scheme == "Basic" and base64.b64decode(value).decode() == f"ann@acme:{TOKEN}"
        assert "X-API-TOKEN" not in sent.headers

    def test_no_credentials_when_the_trigger_asks_for_none(self, client, transport):
        transport.on("POST", "/inbound-event/v1/events/json/triggers", envelope())
        client.workflows.send_event(EVENT_URL, {}, auth="none")
        (sent,) = transport.sent
        assert "X-API-TOKEN" not in sent.headers and "Authorization" not in sent.headers

    @pytest.mark.parametrize("url", [
        "https://evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId=x",
        "https://fra1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId=x",
        "https://iad1.qualtrics.com/API/v3/users",
    ])
    def test_the_token_goes_nowhere_else(self, client, transport, url):
        with pytest.raises(UnsafeRequestError):
            client.workflows.send_event(url, {})
        assert transport.sent == []

    def test_events_over_100_kb_are_refused_before_sending(self, client, transport):
        with pytest.raises(UnsafeRequestError) as caught:
            client.workflows.send_event(EVENT_URL, "x" * (MAX_EVENT_BYTES + 1))
        assert "100 KB" in caught.value.message and transport.sent == []

    def test_basic_needs_a_username(self, client, transport):
        with pytest.raises(UnsafeRequestError):
            client.workflows.send_event(EVENT_URL, {}, auth="basic", username="")
        with pytest.raises(ValueError):
            client.workflows.send_event(EVENT_URL, {}, auth="oauth")

    def test_the_record_leaves_the_trigger_id_out(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on("POST", "/inbound-event/v1/events/json/triggers", envelope(request_id="ev-2"))
        client.workflows.send_event(EVENT_URL, {})
        assert [(r.method, r.path, r.request_id) for r in records] == [
            ("POST", "/inbound-event/v1/events/json/triggers", "ev-2")
        ]


class TestWorkflowEventsOnTheSandbox:
    @pytest.fixture
    def workflows(self, sandbox):
        answer = requests.get(f"{sandbox.root_url}/_sandbox/workflows", params={"brandId": "acme"}, timeout=10)
        return answer.json()["workflows"]

    def events(self, sandbox):
        return requests.get(f"{sandbox.root_url}/_sandbox/workflow-events", timeout=10).json()["events"]

    def test_both_url_forms_and_both_authentications_arrive(self, api, sandbox, workflows):
        needs_auth = next(w for w in workflows if w["requireAuthentication"])
        username = api.whoami()["userName"]
        api.workflows.send_event(needs_auth["eventUrl"], {"ticket": {"id": "T-1"}})
        api.workflows.send_event(needs_auth["legacyEventUrl"], {"ticket": {"id": "T-2"}}, auth="basic",
                                 username=username)
        received = self.events(sandbox)
        assert [(e["urlForm"], e["authentication"], e["fields"]["ticketId"]) for e in received] == [
            ("urlTokenId", "X-API-TOKEN", "T-1"), ("legacy", "Basic", "T-2"),
        ]

    def test_refusals_come_back_as_typed_errors(self, sandbox, workflows):
        needs_auth = next(w for w in workflows if w["requireAuthentication"])
        other = sandbox.brand("globex")
        token = next(row["token"] for row in other["tokens"])
        none = RetryPolicy.none()
        with QualtricsClient(sandbox.base_url, token, retry=none) as foreign, pytest.raises(PermissionDeniedError):
            foreign.workflows.send_event(needs_auth["eventUrl"], {})
        with QualtricsClient(sandbox.base_url, "not-a-token-of-any-brand", retry=none) as unknown, \
                pytest.raises(AuthenticationError):
            unknown.workflows.send_event(needs_auth["eventUrl"], {})
        gone = needs_auth["eventUrl"].split("urlTokenId=")[0] + "urlTokenId=00000000-0000-0000-0000-000000000000"
        with QualtricsClient(sandbox.base_url, sandbox.admin_token, retry=none) as api, pytest.raises(NotFoundError):
            api.workflows.send_event(gone, {})
        assert self.events(sandbox) == []
