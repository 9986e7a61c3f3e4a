"""Key rules and networks: what a pattern matches, what a manager may type."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gateway.scopes import PRESETS, address_allowed, call_allowed, normalise_rules, parse_rules

# The scope matrix: each preset against methods by paths, allowed or refused.
MATRIX = [
    # (preset, method, path, allowed)
    ("read_only", "GET", "/directories/POOL_1/contacts", True),
    ("read_only", "GET", "/surveys", True),
    ("read_only", "HEAD", "/whoami", True),
    ("read_only", "POST", "/directories/POOL_1/contacts", False),
    ("read_only", "DELETE", "/surveys/SV_1", False),
    ("read_only", "PUT", "/users/UR_1", False),
    ("directory_writes", "GET", "/users", True),
    ("directory_writes", "POST", "/directories/POOL_1/contacts", True),
    ("directory_writes", "PUT", "/directories/POOL_1/contacts/CID_1", True),
    ("directory_writes", "DELETE", "/directories/POOL_1/mailinglists/CG_1", True),
    ("directory_writes", "POST", "/distributions", False),
    ("directory_writes", "DELETE", "/surveys/SV_1", False),
    ("directory_writes", "POST", "/users", False),
    ("distributions", "POST", "/distributions", True),
    ("distributions", "POST", "/distributions/sms", True),
    ("distributions", "DELETE", "/distributions/EMD_1", True),
    ("distributions", "POST", "/directories/POOL_1/contacts", False),
    ("distributions", "PUT", "/surveys/SV_1", False),
    ("distributions", "GET", "/distributions?surveyId=SV_1", False),  # a query is never part of a path
]


@pytest.mark.parametrize(("preset", "method", "path", "allowed"), MATRIX)
def test_presets_allow_and_refuse(preset, method, path, allowed):
    assert call_allowed(PRESETS[preset][1], method, path) is allowed


class TestCustomRules:
    rules = "GET,POST /directories/*/mailinglists/**\nDELETE /directories/*/contacts/*"

    @pytest.mark.parametrize(("method", "path", "allowed"), [
        ("GET", "/directories/POOL_1/mailinglists", True),
        ("POST", "/directories/POOL_1/mailinglists/CG_1/contacts", True),
        ("PUT", "/directories/POOL_1/mailinglists/CG_1", False),
        ("GET", "/directories/POOL_1/contacts", False),
        ("DELETE", "/directories/POOL_1/contacts/CID_1", True),
        ("DELETE", "/directories/POOL_1/contacts/CID_1/transactions", False),
        ("GET", "/Directories/POOL_1/MailingLists", True),  # route names compared without case
    ])
    def test_it_matches_segments_and_tails(self, method, path, allowed):
        assert call_allowed(self.rules, method, path) is allowed

    @pytest.mark.parametrize("path", [
        "/directories/POOL_1/mailinglists/../../../users", "/directories/POOL_1/mailinglists/%2e%2e/x",
        "/directories/POOL_1%2Fmailinglists", "//evil.example/directories/x/mailinglists",
        "/directories/POOL_1/mailinglists/%252e%252e",
    ])
    def test_it_refuses_what_the_console_refuses(self, path):
        assert call_allowed("* /**", "GET", path) is False

    def test_a_star_for_methods_means_every_one(self):
        assert call_allowed("* /whoami", "PATCH", "/whoami")

    @pytest.mark.parametrize("text", ["", "GET", "FETCH /x", "GET x", "GET /a b", "GET /a/{id}", "GET /a?b"])
    def test_it_refuses_rules_it_cannot_read(self, text):
        with pytest.raises(ValidationError):
            parse_rules(text)

    def test_rules_are_stored_in_one_form(self):
        assert normalise_rules(" post,get  /directories/**/\n\n# a note\n") == "GET,POST /directories/**"


class TestNetworks:
    @pytest.mark.parametrize(("networks", "address", "allowed"), [
        ("", "198.51.100.7", True),
        ("203.0.113.0/24", "203.0.113.9", True),
        ("203.0.113.0/24", "203.0.114.9", False),
        ("203.0.113.0/24, 2001:db8::/32", "2001:db8::1", True),
        ("2001:db8::/32", "203.0.113.9", False),
        ("203.0.113.7", "203.0.113.7", True),
        ("203.0.113.0/24", "::ffff:203.0.113.9", True),
        ("203.0.113.0/24", None, False),
        ("203.0.113.0/24", "not an address", False),
    ])
    def test_it_allows_only_listed_networks(self, networks, address, allowed):
        assert address_allowed(networks, address) is allowed

    def test_it_names_what_is_not_a_network(self):
        with pytest.raises(ValidationError, match=r"“10\.0\.0\.0/99”"):
            address_allowed("10.0.0.0/99", "10.0.0.1")
