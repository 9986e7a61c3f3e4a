"""The checks on what a person may type for a call: paths, headers, page URLs and trigger URLs."""

from __future__ import annotations

import pytest

from qualtrics import UnsafeRequestError
from qualtrics.paths import (
    check_header,
    check_headers,
    event_url,
    header_key,
    page_request,
    relative_path,
)

BASE = "https://iad1.qualtrics.com/API/v3"
SANDBOX_BASE = "http://127.0.0.1:8765/iad1/API/v3"
TOKEN_ID = "b6289fe9-a6dc-4a98-a7c5-6ba3eaebd988"


class TestRelativePath:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("surveys", "/surveys"),
            ("/surveys/", "/surveys"),
            ("/directories/POOL_1/contacts", "/directories/POOL_1/contacts"),
            ("UR%201%2B2", "/UR%201%2B2"),
            ("/users/UR_1%25", "/users/UR_1%25"),
        ],
    )
    def test_plain_paths_pass_cleaned(self, given, expected):
        assert relative_path(given) == expected

    @pytest.mark.parametrize(
        ("given", "expected"),
        [("/API/v3/surveys", "/surveys"), ("api/v3/surveys/SV_1", "/surveys/SV_1"),
         ("/v3/directories", "/directories")],
    )
    def test_a_path_from_the_api_root_is_accepted_where_asked(self, given, expected):
        assert relative_path(given, allow_api_prefix=True) == expected
        assert relative_path(given) != expected  # without the option it is a path of its own

    @pytest.mark.parametrize(
        "path",
        [
            # absolute URLs and other hosts
            "https://evil.example.com/API/v3/whoami",
            "http://iad1.qualtrics.com/API/v3/whoami",
            "//evil.example.com/whoami",
            "javascript:alert(1)",
            "HTTPS://iad1.qualtrics.com/API/v3/users",
            # climbing out, plainly and encoded once, twice and three times
            "../whoami",
            "/users/../../oauth2/token",
            "/users/./x",
            "/users/%2e%2e/x",
            "/users/%2E%2E/%2e/x",
            "/users/%252e%252e/x",
            "/users/%25252e%25252e/x",
            "/users/%25%32%65%25%32%65/x",
            "/users/.%2e/x",
            # slashes and backslashes hidden by encoding
            "/users/a%2fb",
            "/users/a%2Fb",
            "/users/a%252fb",
            "/users/a%5cb",
            "/users/a%255cb",
            "/users\\..\\x",
            # path parameters, query and fragment marks, plain or encoded
            "/users/..;/admin",
            "/users;x=1",
            "/users/%3b",
            "/users?offset=5",
            "/users/%3Foffset=5",
            "/users#x",
            "/users/%23x",
            # control characters and non-ASCII look-alikes
            "/users/%0d%0aX-Evil: 1",
            "/users/%00",
            "/users/\u2024\u2024/x",
            "/users/ x",
            # bad or excessive encodings
            "/users/%zz",
            "/users/%c0%ae%c0%ae",
            "/users/%2525252e",
            # nothing
            "/users//UR_1",
            "",
            "/",
            "/API/v3/",
        ],
    )
    def test_paths_that_could_leave_the_api_are_refused(self, path):
        with pytest.raises(UnsafeRequestError):
            relative_path(path, allow_api_prefix=True)

    def test_the_refusal_says_why(self):
        with pytest.raises(UnsafeRequestError) as caught:
            relative_path("https://evil.example.com/x")
        assert "absolute URLs are not allowed" in caught.value.message
        with pytest.raises(UnsafeRequestError) as caught:
            relative_path("/users/%252e%252e")
        assert "'..'" in caught.value.message


class TestHeaders:
    @pytest.mark.parametrize(
        "name",
        [
            "X-API-TOKEN", "x-api-token", "X_API_TOKEN", "x_Api-Token", " X-API-TOKEN ", "Authorization",
            "authorization", "Proxy-Authorization", "Cookie",
        ],
    )
    def test_credentials_are_the_portals_to_add(self, name):
        with pytest.raises(UnsafeRequestError) as caught:
            check_header(name, "anything")
        assert "authentication" in caught.value.message

    @pytest.mark.parametrize("name", ["Host", "Content-Length", "Transfer-Encoding", "connection", "TE", "Upgrade"])
    def test_framing_headers_are_refused(self, name):
        with pytest.raises(UnsafeRequestError):
            check_header(name, "x")

    @pytest.mark.parametrize("name", ["", "X Header", "X:Y", "Accept\r\nX-API-TOKEN", "Naïve"])
    def test_names_must_be_header_tokens(self, name):
        with pytest.raises(UnsafeRequestError):
            check_header(name, "x")

    @pytest.mark.parametrize("value", ["a\r\nX-API-TOKEN: t", "a\nb", "a\0b", "x" * 9000])
    def test_values_may_not_split_the_message(self, value):
        with pytest.raises(UnsafeRequestError):
            check_header("X-Note", value)

    def test_other_headers_pass(self):
        assert check_headers([("Accept-Language", " en "), ("X-Request-Tag", "a\tb")]) == [
            ("Accept-Language", "en"), ("X-Request-Tag", "a\tb")
        ]
        assert check_headers({"Content-Type": "application/json"}) == [("Content-Type", "application/json")]
        assert check_headers(None) == []
        assert header_key(" X_Api_Token ") == "x-api-token"


class TestPageRequest:
    def test_a_page_on_the_connection_gives_its_path_and_query(self):
        assert page_request(f"{BASE}/users?offset=100&pageSize=50", base_url=BASE) == (
            "/users", [("offset", "100"), ("pageSize", "50")]
        )
        assert page_request("https://IAD1.qualtrics.com:443/API/v3/surveys", base_url=BASE) == ("/surveys", [])

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example.com/API/v3/users?offset=100",
            "https://iad1.qualtrics.com.evil.example.com/API/v3/users",
            "https://iad1.qualtrics.com:8443/API/v3/users",
            "http://iad1.qualtrics.com/API/v3/users",
            "https://iad1.qualtrics.com/API/v2/users",
            "https://iad1.qualtrics.com/API/v3/../oauth2/token",
            "https://iad1.qualtrics.com/API/v3/users/%2e%2e/%2e%2e/oauth2/token",
            "https://user:pw@iad1.qualtrics.com/API/v3/users",
            "https://iad1.qualtrics.com/API/v3/users#top",
            "/API/v3/users?offset=100",
            "",
        ],
    )
    def test_pages_elsewhere_are_refused(self, url):
        with pytest.raises(UnsafeRequestError):
            page_request(url, base_url=BASE)


class TestEventUrl:
    def test_both_documented_forms_on_the_datacenter_host(self):
        new = event_url(f"https://iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
                        api_base_url=BASE)
        assert new.form == "urlTokenId"
        assert new.path == "/inbound-event/v1/events/json/triggers"
        legacy = event_url(
            " https://iad1.qualtrics.com/inbound-event/v1/events/JSON/triggers?contextId=OC_1&userId=UR_1"
            "&brandId=acme&triggerId=OC_1 ", api_base_url=BASE,
        )
        assert legacy.form == "legacy"
        assert legacy.url.endswith("contextId=OC_1&userId=UR_1&brandId=acme&triggerId=OC_1")

    def test_an_organisation_host_of_the_same_datacenter_is_the_same_place(self):
        found = event_url(f"https://acme.iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
                          api_base_url=BASE)
        assert found.url.startswith("https://acme.iad1.qualtrics.com/")

    def test_a_sandbox_prefix_may_be_there_or_not(self):
        for path in ("/inbound-event/v1/events/json/triggers", "/iad1/inbound-event/v1/events/json/triggers"):
            found = event_url(f"http://127.0.0.1:8765{path}?urlTokenId={TOKEN_ID}", api_base_url=SANDBOX_BASE)
            assert found.path == path

    @pytest.mark.parametrize(
        ("url", "words"),
        [
            (f"https://fra1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            (f"https://evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            (f"https://iad1.qualtrics.com.evil.example.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            (f"https://a.b.iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            (f"http://iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            (f"https://iad1.qualtrics.com:8443/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "connection's Qualtrics datacenter"),
            ("https://iad1.qualtrics.com/API/v3/users", "not a JSON-event trigger URL"),
            (f"https://iad1.qualtrics.com/inbound-event/v1/events/json/triggers/../../x?urlTokenId={TOKEN_ID}",
             "not a JSON-event trigger URL"),
            (f"https://iad1.qualtrics.com/inbound-event/v1/events/json/%74riggers?urlTokenId={TOKEN_ID}",
             "not a JSON-event trigger URL"),
            ("https://iad1.qualtrics.com/inbound-event/v1/events/json/triggers", "must name its trigger"),
            ("https://iad1.qualtrics.com/inbound-event/v1/events/JSON/triggers?contextId=OC_1&userId=UR_1",
             "must name its trigger"),
            (f"https://u:p@iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId={TOKEN_ID}",
             "credentials"),
            ("ftp://iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId=x", "http(s) URL"),
            ("iad1.qualtrics.com/inbound-event/v1/events/json/triggers?urlTokenId=x", "http(s) URL"),
            ("", "empty"),
        ],
    )
    def test_anything_else_is_refused_with_a_reason(self, url, words):
        with pytest.raises(UnsafeRequestError) as caught:
            event_url(url, api_base_url=BASE)
        assert words in caught.value.message
