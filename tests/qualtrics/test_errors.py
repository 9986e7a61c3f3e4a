"""How answers and transport failures become typed errors."""

from __future__ import annotations

import socket

import pytest
import requests
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from qualtrics import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    QualtricsError,
    QualtricsTimeoutError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)

from .fakes import envelope, raw

ONCE = RetryPolicy.none()


def connection_refused() -> requests.ConnectionError:
    conn = HTTPConnection("iad1.qualtrics.com", 443)
    reason = NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/API/v3/whoami", reason))


def dns_failure() -> requests.ConnectionError:
    conn = HTTPConnection("nowhere.qualtrics.com", 443)
    reason = NameResolutionError("nowhere.qualtrics.com", conn, socket.gaierror(-2, "Name or service not known"))
    return requests.ConnectionError(MaxRetryError(None, "/API/v3/whoami", reason))


def connection_reset() -> requests.ConnectionError:
    reason = ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    return requests.ConnectionError(reason)


class TestStatusMapping:
    @pytest.mark.parametrize(
        ("status", "code", "message", "expected"),
        [
            (400, "ATP_2", "Expected authorization in headers, but none provided.", AuthenticationError),
            (401, "DCD_7", "Unrecognized X-API-TOKEN.", AuthenticationError),
            (401, None, "Unauthorized", AuthenticationError),
            (403, "AUTH_1", "You do not have permission to perform this action.", PermissionDeniedError),
            (404, None, "API call does not exist: GET /API/v3/doesnotexist", NotFoundError),
            (400, "RP_10", "Expected param not found: sendDate", BadRequestError),
            (400, "RP_9", "Unexpected json key provided: sendDate", BadRequestError),
            (413, None, "Request Entity Too Large", BadRequestError),
            (422, "QVAL_1", "Invalid value", BadRequestError),
            (409, None, "Conflict", BadRequestError),
            (429, "RL_1", "Too many requests", RateLimitedError),
            (500, "SURVEYS_1.2", "Internal error", ServerError),
            (503, None, "Service Unavailable", ServerError),
            (504, None, "Gateway Timeout", ServerError),
        ],
    )
    def test_it_maps_status_and_meta_error(self, client, transport, status, code, message, expected):
        transport.on(
            "GET",
            "/whoami",
            envelope(status=status, error_code=code, error_message=message, request_id="req-123"),
        )
        with pytest.raises(expected) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        error = caught.value
        assert type(error) is expected
        assert error.status == status
        assert error.code == code
        assert error.message == message
        assert error.request_id == "req-123"
        assert (error.method, error.path) == ("GET", "/whoami")
        assert message in str(error) and "req-123" in str(error)

    def test_it_treats_a_missing_token_as_authentication_not_validation(self, client, transport):
        transport.on(
            "GET",
            "/whoami",
            envelope(status=400, error_code="ATP_2", error_message="Expected authorization in headers"),
        )
        with pytest.raises(AuthenticationError) as caught:
            client.whoami()
        assert not isinstance(caught.value, BadRequestError)
        assert caught.value.permanent

    def test_it_reads_the_rate_limit_wait(self, client, transport):
        transport.on("GET", "/whoami", envelope(status=429, error_message="slow down", headers={"Retry-After": "7"}))
        with pytest.raises(RateLimitedError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        assert caught.value.retry_after == 7.0
        assert caught.value.is_transient
        assert "retry after 7 s" in str(caught.value)

    def test_it_handles_a_non_json_gateway_page(self, client, transport):
        transport.on("GET", "/whoami", raw(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"))
        with pytest.raises(ServerError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        error = caught.value
        assert error.status == 502
        assert error.code is None and error.request_id is None
        assert "Bad Gateway" in error.message and "not JSON" in error.message
        assert error.is_transient

    def test_it_handles_an_empty_error_body(self, client, transport):
        transport.on("DELETE", "/users/{id}", raw(404, b""))
        with pytest.raises(NotFoundError) as caught:
            client.users.delete("UR_123456789012345")
        assert caught.value.path == "/users/UR_123456789012345"

    def test_it_believes_meta_error_on_a_success_status(self, client, transport):
        transport.on(
            "GET",
            "/whoami",
            envelope(status=200, http_status="403 - Forbidden", error_message="Not a brand admin"),
        )
        with pytest.raises(PermissionDeniedError) as caught:
            client.whoami()
        assert caught.value.status == 403

    def test_it_refuses_a_success_that_is_not_json(self, client, transport):
        transport.on("GET", "/whoami", raw(200, "<html>captive portal</html>"))
        with pytest.raises(InvalidResponseError) as caught:
            client.whoami()
        assert caught.value.permanent

    def test_it_returns_none_for_a_bodiless_success(self, client, transport):
        transport.on("DELETE", "/groups/{id}", raw(200, b"", "application/json"))
        assert client.groups.delete("GR_123456789012345") is None

    def test_it_does_not_follow_redirects(self, client, transport):
        transport.on("GET", "/whoami", raw(302, b"", Location="https://elsewhere.example.com/API/v3/whoami"))
        with pytest.raises(InvalidResponseError) as caught:
            client.whoami()
        assert caught.value.status == 302
        assert len(transport.sent) == 1

    def test_error_classes_are_transient_or_permanent(self):
        assert ServerError().is_transient and not ServerError().permanent
        assert RateLimitedError().is_transient
        assert ConnectionFailedError().is_transient
        for cls in (AuthenticationError, PermissionDeniedError, NotFoundError, BadRequestError):
            assert cls().permanent and not cls().is_transient
        assert issubclass(QualtricsTimeoutError, ConnectionFailedError)
        assert all(
            issubclass(cls, QualtricsError)
            for cls in (AuthenticationError, BadRequestError, RateLimitedError, ServerError, ConnectionFailedError)
        )


class TestTransportFailures:
    def test_it_reports_a_refused_connection_as_never_sent(self, client, transport):
        transport.on("POST", "/directories/{d}/mailinglists", connection_refused())
        with pytest.raises(ConnectionFailedError) as caught:
            client.request("POST", "/directories/POOL_1/mailinglists", json={"name": "x"}, retry=ONCE)
        error = caught.value
        assert type(error) is ConnectionFailedError
        assert error.may_have_reached_server is False
        assert error.status is None
        assert "could not connect" in str(error)

    def test_it_reports_a_dns_failure_as_never_sent(self, client, transport):
        transport.on("GET", "/whoami", dns_failure())
        with pytest.raises(ConnectionFailedError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        assert caught.value.may_have_reached_server is False

    def test_it_reports_a_reset_as_maybe_received(self, client, transport):
        transport.on("GET", "/whoami", connection_reset())
        with pytest.raises(ConnectionFailedError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        assert caught.value.may_have_reached_server is True

    def test_it_reports_a_connect_timeout_as_never_sent(self, client, transport):
        transport.on("GET", "/whoami", requests.ConnectTimeout("connect timed out"))
        with pytest.raises(QualtricsTimeoutError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        assert caught.value.may_have_reached_server is False

    def test_it_reports_a_read_timeout_as_maybe_processed(self, client, transport):
        transport.on("GET", "/whoami", requests.ReadTimeout("read timed out"))
        with pytest.raises(QualtricsTimeoutError) as caught:
            client.request("GET", "/whoami", retry=ONCE)
        assert caught.value.may_have_reached_server is True
        assert caught.value.is_transient


def test_a_status_in_other_digits_is_not_a_status():
    from qualtrics.errors import status_from_meta

    assert status_from_meta({"httpStatus": "404 - Not Found"}) == 404
    assert status_from_meta({"httpStatus": "4²4 - Not Found"}) is None
    assert status_from_meta({"httpStatus": "٤٠٤ - Not Found"}) is None
