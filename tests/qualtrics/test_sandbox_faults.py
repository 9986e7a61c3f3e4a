"""Errors, retries, Retry-After, timeouts and the proxy notice against the sandbox over real HTTP."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from qualtrics import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsClient,
    QualtricsTimeoutError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)


class TokenlessSession(requests.Session):
    """Sends every request without its X-API-TOKEN header, as a misconfigured proxy would."""

    def request(self, method, url, **kwargs):
        headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if k.lower() != "x-api-token"}
        return super().request(method, url, headers=headers, **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fast_retries(**changes):
    return RetryPolicy(**{"base_delay": 0.0, "jitter": False, **changes})


class TestErrorMapping:
    def test_missing_token(self, sandbox):
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, session=TokenlessSession())
        with pytest.raises(AuthenticationError) as caught:
            client.whoami()
        assert (caught.value.status, caught.value.code) == (400, "ATP_2")
        assert caught.value.request_id

    def test_unknown_token(self, sandbox):
        client = QualtricsClient(sandbox.base_url, "Z" * 40)
        with pytest.raises(AuthenticationError) as caught:
            client.whoami()
        assert caught.value.status == 401
        assert "Unrecognized X-API-TOKEN" in caught.value.message
        assert "Z" * 40 not in str(caught.value)

    def test_revoked_token(self, sandbox, api, control):
        api.whoami()
        control.post("tokens/revoke", token=sandbox.admin_token)
        with pytest.raises(AuthenticationError):
            api.whoami()

    def test_brand_admin_only_routes(self, sandbox):
        client = QualtricsClient(sandbox.base_url, sandbox.user_token)
        assert client.whoami()["accountType"] != "UT_BRANDADMIN"
        with pytest.raises(PermissionDeniedError) as caught:
            client.users.list()
        assert caught.value.status == 403 and caught.value.permanent
        with pytest.raises(PermissionDeniedError):
            client.request(
                "POST",
                "/eventsubscriptions",
                json={"topics": "surveyengine.completedResponse.*", "publicationUrl": "https://x", "encrypt": False},
            )

    def test_unknown_ids(self, api, acme):
        with pytest.raises(NotFoundError) as caught:
            api.contacts.get(acme["defaultDirectoryId"], "CID_000000000000000")
        assert caught.value.status == 404 and caught.value.request_id

    @pytest.mark.parametrize(
        ("body", "code", "words"),
        [
            ({"message": {"messageText": "x"}, "recipients": {}, "header": {}}, "RP_10", "sendDate"),
            ({"sendDate": "2031-01-01T00:00:00Z", "sendTime": "noon"}, "RP_9", "sendTime"),
        ],
    )
    def test_validation_codes(self, api, body, code, words):
        with pytest.raises(BadRequestError) as caught:
            api.request("POST", "/distributions", json=body)
        assert caught.value.code == code
        assert words in caught.value.message

    def test_keys_are_case_sensitive(self, api, acme):
        with pytest.raises(BadRequestError):
            api.request("POST", f"/directories/{acme['defaultDirectoryId']}/mailinglists", json={"Name": "x"})


class TestRetries:
    def test_transient_failures_are_retried_until_they_pass(self, sandbox):
        sandbox.configure(fail_rate=0.3)
        records = []
        client = QualtricsClient(
            sandbox.base_url, sandbox.admin_token, retry=fast_retries(max_attempts=10), hooks=[records.append]
        )
        for _ in range(40):
            assert client.whoami()["brandId"] == "acme"
        failures = [r for r in records if r.status == 500]
        assert len(records) == 40 + len(failures)
        assert failures and all(r.error_class == "ServerError" for r in failures)
        logged = sandbox.calls(path_contains="/whoami")
        assert [c["requestId"] for c in logged] == [r.request_id for r in records]

    def test_a_get_gives_up_after_its_attempts(self, sandbox):
        sandbox.configure(fail_rate=1.0)
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, retry=fast_retries(max_attempts=3))
        with pytest.raises(ServerError) as caught:
            client.surveys.list()
        assert caught.value.code == "SURVEYS_1.2"
        assert len(sandbox.calls(path_contains="/surveys")) == 3

    def test_a_post_that_may_have_been_processed_is_not_sent_twice(self, sandbox, acme):
        sandbox.configure(fail_rate=1.0, fail_mode="after")
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, retry=fast_retries())
        directory = acme["defaultDirectoryId"]
        with pytest.raises(ServerError):
            client.mailing_lists.create(directory, name="Only once")
        assert len(sandbox.calls("POST", "/mailinglists")) == 1
        sandbox.configure(fail_rate=0.0)
        names = [m["name"] for m in client.mailing_lists.list(directory).iter_all()]
        assert names.count("Only once") == 1

    def test_a_put_is_retried_through_failures(self, sandbox, acme):
        sandbox.configure(fail_rate=0.5)
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, retry=fast_retries(max_attempts=12))
        survey = acme["surveys"][1]["id"]
        for n in range(10):
            client.request("PUT", f"/surveys/{survey}", json={"name": f"Name {n}"})
        sandbox.configure(fail_rate=0.0)
        assert client.surveys.get(survey)["name"] == "Name 9"

    def test_a_refused_connection_is_retried_even_for_a_post(self):
        sleeps = []
        client = QualtricsClient(
            f"http://127.0.0.1:{closed_port()}/API/v3",
            "T" * 40,
            retry=RetryPolicy(max_attempts=3, base_delay=0.01, sleep=sleeps.append),
        )
        with pytest.raises(ConnectionFailedError) as caught:
            client.mailing_lists.create("POOL_123456789012345", name="x")
        assert caught.value.may_have_reached_server is False
        assert len(sleeps) == 2


class TestRetryAfter:
    def test_a_429_is_waited_out_as_the_server_says(self, sandbox, api, sandbox_sleeps):
        sandbox.configure(rate_limit=2)
        records = []
        client = api.with_options(hooks=[records.append])
        for _ in range(3):
            client.whoami()
        statuses = [r.status for r in records]
        assert statuses == [200, 200, 429, 200]
        (wait,) = sandbox_sleeps
        logged = sandbox.calls(path_contains="/whoami")
        assert logged[2]["status"] == 429
        assert wait == 30.0  # 2 a minute: one request every 30 s

    def test_a_task_is_told_how_long_to_wait(self, sandbox, api, sandbox_sleeps):
        sandbox.configure(rate_limit=2)
        api.whoami()
        api.whoami()
        with pytest.raises(RateLimitedError) as caught:
            api.request("GET", "/whoami", retry=RetryPolicy.none())
        assert caught.value.retry_after == 30.0
        assert caught.value.status == 429 and caught.value.code
        assert sandbox_sleeps == []

    def test_without_retry_after_the_client_backs_off(self, sandbox, sandbox_sleeps):
        sandbox.configure(rate_limit=2, retry_after=False)
        client = QualtricsClient(
            sandbox.base_url,
            sandbox.admin_token,
            retry=RetryPolicy(
                max_attempts=6, base_delay=4.0, max_delay=16.0, max_total_wait=60, jitter=False, sleep=sandbox_sleeps
            ),
        )
        for _ in range(3):
            client.whoami()
        # One request every 30 s: 4 + 8 + 16 s is not enough, the next 16 s wait is.
        assert sandbox_sleeps == [4.0, 8.0, 16.0, 16.0]

    def test_route_limits_are_reported_too(self, sandbox, api, acme):
        sandbox.configure(route_limits={"event_subscriptions": 1})
        api.request("GET", "/eventsubscriptions")
        with pytest.raises(RateLimitedError) as caught:
            api.request("GET", "/eventsubscriptions", retry=RetryPolicy.none())
        assert caught.value.retry_after == 60.0
        assert api.whoami()  # the brand budget is untouched


class TestTimeouts:
    def test_a_stalled_read_times_out_and_a_get_is_retried(self, sandbox, control):
        control.post("stall", path_contains="/whoami", seconds=1.0, count=1, when="after")
        records = []
        client = QualtricsClient(
            sandbox.base_url, sandbox.admin_token, timeout=(2.0, 0.3), retry=fast_retries(), hooks=[records.append]
        )
        started = time.monotonic()
        assert client.whoami()["brandId"] == "acme"
        assert time.monotonic() - started < 1.0
        assert [(r.attempt, r.status, r.error_class) for r in records] == [
            (1, None, "QualtricsTimeoutError"),
            (2, 200, None),
        ]

    def test_a_stalled_post_is_not_sent_again(self, sandbox, control, acme):
        control.post("stall", path_contains="/mailinglists", seconds=1.0, count=1, when="after", method="POST")
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, timeout=(2.0, 0.3), retry=fast_retries())
        directory = acme["defaultDirectoryId"]
        with pytest.raises(QualtricsTimeoutError) as caught:
            client.mailing_lists.create(directory, name="Slow list")
        assert caught.value.may_have_reached_server is True
        assert len(sandbox.calls("POST", "/mailinglists")) == 1
        assert [m["name"] for m in client.mailing_lists.list(directory).iter_all()].count("Slow list") == 1

    def test_sms_routes_wait_longer(self, sandbox, control, acme):
        # Stalled after processing, so the late requests are logged now, not during a later test.
        control.post("stall", path_contains="/distributions", seconds=0.6, when="after")
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token, timeout=(2.0, 0.3), retry=RetryPolicy.none())
        survey = acme["surveys"][0]["id"]
        assert client.sms_distributions.list(survey_id=survey).items == []
        with pytest.raises(QualtricsTimeoutError):
            client.distributions.list(survey_id=survey)
        control.post("stall", clear=True)


class TestProxiedDatacenter:
    def test_the_right_datacenter_is_suggested(self, sandbox):
        records = []
        client = QualtricsClient.for_datacenter(
            "sjc1", sandbox.admin_token, base_url_template=sandbox.base_url_template, hooks=[records.append]
        )
        assert client.whoami()["brandId"] == "acme"
        assert "use this host instead: iad1.qualtrics.com" in client.last_notice
        assert client.suggested_datacenter == "iad1"
        assert records[0].notice == client.last_notice

    def test_exports_through_the_wrong_datacenter_fail_with_the_hint(self, sandbox, acme):
        client = QualtricsClient.for_datacenter(
            "fra1", sandbox.admin_token, base_url_template=sandbox.base_url_template
        )
        export = f"/surveys/{acme['surveys'][0]['id']}/export-responses"
        client.whoami()  # proxied, with the notice
        with pytest.raises(BadRequestError) as caught:
            client.request("POST", export, json={"format": "csv"})
        assert "iad1.qualtrics.com" in caught.value.message
        assert client.suggested_datacenter == "iad1"
        right = QualtricsClient.for_datacenter(
            client.suggested_datacenter, sandbox.admin_token, base_url_template=sandbox.base_url_template
        )
        assert right.request("POST", export, json={"format": "csv"})["progressId"]
        assert right.last_notice is None

    def test_pages_follow_the_datacenter_prefix(self, sandbox, acme):
        client = QualtricsClient.for_datacenter(
            "iad1", sandbox.admin_token, base_url_template=sandbox.base_url_template
        )
        contacts = list(client.contacts.list(acme["defaultDirectoryId"]).iter_all())
        assert len(contacts) == acme["counts"]["contacts"]
        paths = [call["path"] for call in sandbox.calls(path_contains="/contacts")]
        assert len(paths) == 5 and all(path.startswith("/iad1/API/v3/") for path in paths)
        assert client.last_notice is None
