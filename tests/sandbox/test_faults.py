"""Rate limits (brand and route, Retry-After switch), transient failures, latency and stalls."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import REQUEST_ID, Api


def test_route_limit_answers_429_with_retry_after(api, sandbox):
    sandbox.configure(route_limits={"event_subscriptions": 2})
    assert [api.get("/eventsubscriptions").status_code for _ in range(2)] == [200, 200]
    limited = api.get("/eventsubscriptions")
    assert limited.status_code == 429
    meta = limited.json()["meta"]
    assert meta["httpStatus"] == "429 - Too Many Requests"
    assert REQUEST_ID.match(meta["requestId"])
    assert "per minute" in meta["error"]["errorMessage"]
    assert int(limited.headers["Retry-After"]) >= 1
    assert api.get("/whoami").status_code == 200
    sandbox.advance_clock(61)
    assert api.get("/eventsubscriptions").status_code == 200


def test_retry_after_can_be_switched_off(api, sandbox):
    sandbox.configure(route_limits={"users": 1}, retry_after=False)
    assert api.get("/users").status_code == 200
    limited = api.get("/users")
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers


def test_route_limits_can_be_disabled(api, sandbox):
    sandbox.configure(route_limits={"users": 1}, route_limits_enabled=False)
    assert {api.get("/users").status_code for _ in range(3)} == {200}


def test_brand_limit_is_per_brand(api, sandbox):
    sandbox.configure(rate_limit=3)
    assert [api.get("/whoami").status_code for _ in range(4)] == [200, 200, 200, 429]
    globex = Api(sandbox.base_url, sandbox.brand("globex")["tokens"][0]["token"])
    assert globex.get("/whoami").status_code == 200
    sandbox.configure(rate_limit=0)
    assert api.get("/whoami").status_code == 200


def test_default_route_table_applies(api, sandbox):
    assert sandbox.state.config["route_limits"] == {}
    assert all(api.get("/eventsubscriptions").status_code == 200 for _ in range(120))
    # The bucket refills at 2 requests a second, so a slow machine may get a few more through first.
    statuses = [api.get("/eventsubscriptions").status_code for _ in range(60)]
    assert 429 in statuses


def test_fail_rate_one_answers_transient_500s(api, sandbox, acme):
    sandbox.configure(fail_rate=1.0)
    for path, code in (("/whoami", "GS_1"), ("/surveys", "SURVEYS_1.2")):
        response = api.get(path)
        assert response.status_code == 500
        meta = response.json()["meta"]
        assert meta["httpStatus"] == "500 - Internal Server Error"
        assert meta["error"]["errorCode"] == code
        assert REQUEST_ID.match(meta["error"]["instanceId"])


def test_fail_rate_fraction(api, sandbox):
    sandbox.configure(fail_rate=0.5)
    statuses = [api.get("/whoami").status_code for _ in range(60)]
    assert set(statuses) == {200, 500}
    assert 10 <= statuses.count(500) <= 50


@pytest.mark.parametrize(("mode", "created"), [("before", 0), ("after", 1)])
def test_fail_mode_decides_whether_the_work_was_done(api, sandbox, acme, mode, created):
    pool = acme["defaultDirectoryId"]
    sandbox.configure(fail_rate=1.0, fail_mode=mode)
    assert api.post(f"/directories/{pool}/contacts", {"email": "maybe@example.com"}).status_code == 500
    sandbox.configure(fail_rate=0.0)
    found = api.ok("POST", f"/directories/{pool}/contacts/search",
                   {"filter": {"filterType": "email", "comparison": "eq", "value": "maybe@example.com"}})
    assert len(found["elements"]) == created


def test_latency_is_added_to_every_api_response(api, sandbox):
    api.get("/whoami")
    sandbox.configure(latency_ms=500)
    started = time.monotonic()
    assert api.get("/whoami").status_code == 200
    assert api.get("/doesnotexist").status_code == 404
    assert time.monotonic() - started >= 1.0
    control_started = time.monotonic()
    requests.get(f"{sandbox.root_url}/_sandbox/clock", timeout=5)
    assert time.monotonic() - control_started < 0.45


def test_connect_latency_is_paid_once_per_new_connection(sandbox):
    sandbox.configure(connect_latency_ms=400)
    kept = Api(sandbox.base_url, sandbox.admin_token)
    started = time.monotonic()
    assert kept.get("/whoami").status_code == 200
    first = time.monotonic() - started
    started = time.monotonic()
    assert kept.get("/whoami").status_code == 200
    again = time.monotonic() - started
    started = time.monotonic()
    assert Api(sandbox.base_url, sandbox.admin_token).get("/whoami").status_code == 200
    new = time.monotonic() - started
    assert first >= 0.4 and new >= 0.4, "each new connection waits for its handshakes"
    assert again < 0.35, "a kept-alive connection does not wait again"


def test_stall_makes_client_time_out_then_clears(api, control, sandbox):
    rule = control.post("/_sandbox/stall", {"path_contains": "/whoami", "seconds": 2.0, "count": 1}).json()
    assert rule["stalls"][0]["path_contains"] == "/whoami"
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/whoami", timeout=0.3)
    started = time.monotonic()
    assert api.get("/whoami").status_code == 200
    assert time.monotonic() - started < 1.5
    assert api.get("/surveys").status_code == 200


def test_stall_after_processing_still_does_the_work(api, control, acme):
    pool = acme["defaultDirectoryId"]
    control.post("/_sandbox/stall", {"path_contains": "/contacts", "seconds": 1.0, "method": "POST", "when": "after"})
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post(f"/directories/{pool}/contacts", {"email": "slow@example.com"}, timeout=0.3)
    assert control.post("/_sandbox/stall", {"path_contains": "/contacts", "seconds": 0}).json() == {"stalls": []}
    found = api.ok("POST", f"/directories/{pool}/contacts/search",
                   {"filter": {"filterType": "email", "comparison": "eq", "value": "slow@example.com"}})
    assert len(found["elements"]) == 1
    calls = control.get("/_sandbox/calls", params={"method": "POST", "path_contains": "/contacts"}).json()["calls"]
    assert [c["status"] for c in calls] == [200, 200]


def test_config_validation(control):
    assert control.post("/_sandbox/config", {"fail_rate": 2}).status_code == 400
    assert control.post("/_sandbox/config", {"nonsense": 1}).status_code == 400
    assert control.post("/_sandbox/config", {"route_limits": {"nope": 1}}).status_code == 400
    assert control.post("/_sandbox/config", {"contact_dedup": "maybe"}).status_code == 400
    refused = control.post("/_sandbox/config", {"retry_after": "yes"})
    assert error_of_plain(refused) == "retry_after must be true or false"


def error_of_plain(response):
    assert response.status_code == 400
    return response.json()["error"]

