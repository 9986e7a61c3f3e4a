"""The retry policy, on its own and as the client applies it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as http_date

import pytest
import requests

from qualtrics import (
    ConnectionFailedError,
    NotFoundError,
    QualtricsTimeoutError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    parse_retry_after,
)

from .fakes import Sleeps, envelope, make_client, raw
from .test_errors import connection_refused, connection_reset

OK = envelope({"userId": "UR_123456789012345"})


def server_error():
    return envelope(status=500, error_code="SURVEYS_1.2", error_message="Internal error")


class TestBackoff:
    def test_it_doubles_up_to_the_cap_without_jitter(self):
        policy = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=False)
        assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]

    def test_full_jitter_stays_between_zero_and_the_ceiling(self):
        low = RetryPolicy(base_delay=1.0, max_delay=8.0, random=lambda: 0.0)
        high = RetryPolicy(base_delay=1.0, max_delay=8.0, random=lambda: 0.999)
        assert low.backoff(3) == 0.0
        assert 3.99 < high.backoff(3) < 4.0
        assert high.backoff(10) < 8.0

    def test_it_parses_retry_after_seconds_and_dates(self):
        assert parse_retry_after("3") == 3.0
        assert parse_retry_after(" 1.5 ") == 1.5
        assert parse_retry_after("-4") == 0.0
        assert parse_retry_after(None) is None
        assert parse_retry_after("soon") is None
        now = time.time()
        when = http_date(datetime.fromtimestamp(now, UTC) + timedelta(seconds=12), usegmt=True)
        assert parse_retry_after(when, now=now) == pytest.approx(12, abs=1)
        past = http_date(datetime.fromtimestamp(now, UTC) - timedelta(seconds=30), usegmt=True)
        assert parse_retry_after(past, now=now) == 0.0

    def test_it_refuses_nonsense_settings(self):
        with pytest.raises(ValueError):
            RetryPolicy(max_attempts=0)
        with pytest.raises(ValueError):
            RetryPolicy(base_delay=-1)


class TestClientRetries:
    def test_it_retries_a_get_after_server_errors(self, client, transport, sleeps):
        transport.on("GET", "/whoami", server_error(), server_error(), OK)
        assert client.whoami() == {"userId": "UR_123456789012345"}
        assert len(transport.sent) == 3
        assert sleeps == [0.5, 1.0]

    def test_it_gives_up_after_max_attempts(self, client, transport, sleeps):
        transport.on("GET", "/whoami", server_error())
        with pytest.raises(ServerError):
            client.whoami()
        assert len(transport.sent) == 4
        assert sleeps == [0.5, 1.0, 2.0]

    def test_it_caps_each_wait_and_the_total(self, transport):
        sleeps = Sleeps()
        policy = RetryPolicy(
            max_attempts=10, base_delay=1.0, max_delay=2.0, max_total_wait=5.0, jitter=False, sleep=sleeps
        )
        client = make_client(transport, retry=policy)
        transport.on("GET", "/whoami", server_error())
        with pytest.raises(ServerError):
            client.whoami()
        assert sleeps == [1.0, 2.0, 2.0]
        assert sum(sleeps) <= 5.0
        assert len(transport.sent) == 4

    def test_it_honours_retry_after_seconds(self, client, transport, sleeps):
        transport.on("GET", "/whoami", envelope(status=429, error_message="slow", headers={"Retry-After": "4"}), OK)
        client.whoami()
        assert sleeps == [4.0]

    def test_it_honours_retry_after_as_a_date(self, client, transport, sleeps):
        when = http_date(datetime.now(UTC) + timedelta(seconds=9), usegmt=True)
        transport.on("GET", "/whoami", envelope(status=503, headers={"Retry-After": when}), OK)
        client.whoami()
        assert len(sleeps) == 1
        # A date has whole seconds, and a busy machine may take a moment or two before it is read.
        assert 5.0 < sleeps[0] <= 9.0

    def test_it_gives_up_at_once_when_retry_after_exceeds_the_total_wait(self, client, transport, sleeps):
        transport.on("GET", "/whoami", envelope(status=429, headers={"Retry-After": "120"}), OK)
        with pytest.raises(RateLimitedError) as caught:
            client.whoami()
        assert caught.value.retry_after == 120.0
        assert sleeps == []
        assert len(transport.sent) == 1

    def test_it_does_not_retry_permanent_errors(self, client, transport, sleeps):
        transport.on("GET", "/users/{id}", envelope(status=404, error_message="gone"))
        with pytest.raises(NotFoundError):
            client.users.get("UR_123456789012345")
        assert len(transport.sent) == 1 and sleeps == []

    @pytest.mark.parametrize("method", ["PUT", "DELETE"])
    def test_it_retries_idempotent_writes(self, client, transport, method):
        transport.on(method, "/groups/{id}", requests.ReadTimeout("slow"), server_error(), envelope())
        client.request(method, "/groups/GR_123456789012345", json={"name": "x"} if method == "PUT" else None)
        assert len(transport.sent) == 3

    def test_it_does_not_resend_a_post_after_a_read_timeout(self, client, transport, sleeps):
        transport.on("POST", "/directories/{d}/mailinglists", requests.ReadTimeout("slow"), envelope({"id": "CG_1"}))
        with pytest.raises(QualtricsTimeoutError) as caught:
            client.mailing_lists.create("POOL_123456789012345", name="Panel")
        assert caught.value.may_have_reached_server
        assert len(transport.sent) == 1 and sleeps == []

    def test_it_does_not_resend_a_post_after_a_server_error_or_reset(self, client, transport):
        transport.on("POST", "/distributions", server_error(), connection_reset(), envelope({"id": "EMD_1"}))
        with pytest.raises(ServerError):
            client.request("POST", "/distributions", json={})
        with pytest.raises(ConnectionFailedError):
            client.request("POST", "/distributions", json={})
        assert len(transport.sent) == 2

    def test_it_resends_a_post_that_never_left(self, client, transport, sleeps):
        transport.on(
            "POST",
            "/directories/{d}/mailinglists",
            connection_refused(),
            requests.ConnectTimeout("no route"),
            envelope({"id": "CG_123456789012345"}),
        )
        result = client.mailing_lists.create("POOL_123456789012345", name="Panel")
        assert result == {"id": "CG_123456789012345"}
        assert len(transport.sent) == 3
        assert sleeps == [0.5, 1.0]

    def test_it_resends_a_post_refused_with_429(self, client, transport, sleeps):
        transport.on(
            "POST",
            "/eventsubscriptions",
            envelope(status=429, headers={"Retry-After": "2"}),
            envelope({"id": "SUB_123456789012345"}),
        )
        client.request(
            "POST",
            "/eventsubscriptions",
            json={"topics": "surveyengine.completedResponse.SV_1", "publicationUrl": "https://x"},
        )
        assert sleeps == [2.0]
        assert len(transport.sent) == 2

    def test_contact_search_is_retried_like_a_read(self, client, transport):
        transport.on(
            "POST",
            "/directories/{d}/contacts/search",
            server_error(),
            envelope({"elements": [{"id": "CID_1"}]}),
        )
        page = client.contacts.search(
            "POOL_123456789012345", filter={"filterType": "extRef", "comparison": "eq", "value": "7"}
        )
        assert page.items == [{"id": "CID_1"}]

    def test_a_retried_delete_that_finds_nothing_counts_as_done(self, client, transport):
        transport.on(
            "DELETE",
            "/directories/{d}/mailinglists/{m}",
            server_error(),
            envelope(status=404, error_message="Could not find mailing list"),
        )
        assert client.mailing_lists.delete("POOL_123456789012345", "CG_123456789012345") is None
        assert len(transport.sent) == 2

    def test_a_first_delete_that_finds_nothing_still_fails(self, client, transport):
        transport.on("DELETE", "/directories/{d}/mailinglists/{m}", envelope(status=404, error_message="nope"))
        with pytest.raises(NotFoundError):
            client.mailing_lists.delete("POOL_123456789012345", "CG_123456789012345")


class TestNoWaiting:
    def test_none_raises_at_once_with_the_wait(self, client, transport, sleeps):
        transport.on("GET", "/whoami", envelope(status=429, headers={"Retry-After": "30"}), OK)
        with pytest.raises(RateLimitedError) as caught:
            client.request("GET", "/whoami", retry=RetryPolicy.none())
        assert caught.value.retry_after == 30.0
        assert sleeps == [] and len(transport.sent) == 1

    def test_none_does_not_retry_server_errors(self, client, transport, sleeps):
        transport.on("GET", "/whoami", server_error(), OK)
        with pytest.raises(ServerError):
            client.request("GET", "/whoami", retry=RetryPolicy.none())
        assert sleeps == []

    def test_the_per_call_override_leaves_the_client_policy_alone(self, client, transport, sleeps):
        transport.on("GET", "/whoami", server_error(), OK, server_error(), OK)
        with pytest.raises(ServerError):
            client.request("GET", "/whoami", retry=RetryPolicy.none())
        assert client.whoami() == OK_RESULT
        assert client.whoami() == OK_RESULT
        assert sleeps == [0.5]

    def test_with_options_makes_a_client_that_never_waits(self, client, transport, sleeps):
        transport.on("GET", "/whoami", server_error(), OK)
        quick = client.with_options(retry=RetryPolicy.none())
        assert quick.session is client.session
        with pytest.raises(ServerError):
            quick.whoami()
        assert client.whoami() == OK_RESULT
        assert sleeps == []


OK_RESULT = {"userId": "UR_123456789012345"}


def test_a_long_backoff_is_cut_to_what_remains_of_the_total(transport):
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, base_delay=4.0, max_delay=8.0, max_total_wait=10.0, jitter=False, sleep=sleeps)
    client = make_client(transport, retry=policy)
    transport.on("GET", "/whoami", raw(503, "busy"))
    with pytest.raises(ServerError):
        client.whoami()
    assert sleeps == [4.0, 6.0]
