"""What a key may call: rules of HTTP methods and path patterns, and the client networks it may call from.

A rule is one line, ``METHODS PATTERN``: methods comma-separated (``GET,HEAD``, or ``*`` for all), a path
pattern relative to ``/API/v3`` whose ``*`` stands for one segment and ``**`` for any number of them
(none included): ``GET /**`` reads anything, ``POST,PUT,DELETE /directories/**`` writes the XM
Directory. Segments are compared without regard to case (Qualtrics' route names are lowercase; an ID
never matches another ID by case alone). Paths are checked by ``qualtrics.paths.relative_path`` (the
API console's check) before they are matched, so ``..``, encoded slashes and other hosts never reach a
pattern.

Plain functions over strings: the form checks what a manager types with them, the gateway matches calls.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from qualtrics import UnsafeRequestError
from qualtrics.http import ALLOWED_METHODS
from qualtrics.paths import relative_path

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PRESETS = {
    "read_only": ("Read-only", "GET,HEAD /**"),
    "directory_writes": ("Directory writes", "GET,HEAD /**\nPOST,PUT,PATCH,DELETE /directories/**"),
    "distributions": ("Distributions", "GET,HEAD /**\nPOST,PUT,DELETE /distributions/**"),
    "custom": ("Custom", ""),
}
SEGMENT = re.compile(r"\*\*|\*|[A-Za-z0-9._~!$&'()+,=:@-]+")
MAX_RULES = 50


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    pattern: str
    regex: re.Pattern

    def allows(self, method: str, path: str) -> bool:
        return method in self.methods and self.regex.fullmatch(path) is not None


def _compile(pattern: str) -> re.Pattern:
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            parts.append(r"(?:/[^/]+)*")
        elif segment == "*":
            parts.append(r"/[^/]+")
        else:
            parts.append("/" + re.escape(segment))
    return re.compile("".join(parts) or "/", re.IGNORECASE)


def parse_rule(line: str) -> Rule:
    """One rule, or ValidationError saying what is wrong with it."""
    pieces = line.split()
    if len(pieces) != 2:
        raise ValidationError(f"“{line[:80]}”: write a rule as METHODS PATTERN, such as GET /directories/**")
    methods_text, pattern = pieces
    methods = set(ALLOWED_METHODS) if methods_text == "*" else {m.strip().upper() for m in methods_text.split(",")}
    unknown = sorted(methods - ALLOWED_METHODS)
    if unknown or not methods:
        raise ValidationError(f"“{line[:80]}”: unknown method {', '.join(unknown) or '(none)'}; "
                              f"use {', '.join(sorted(ALLOWED_METHODS))} or *")
    if not pattern.startswith("/"):
        raise ValidationError(f"“{line[:80]}”: the path pattern starts with /, relative to /API/v3")
    segments = pattern.strip("/").split("/") if pattern.strip("/") else []
    if not all(SEGMENT.fullmatch(segment) for segment in segments):
        raise ValidationError(f"“{line[:80]}”: a path pattern holds plain segments, * (one segment) or ** (any)")
    return Rule(frozenset(methods), "/" + "/".join(segments), _compile(pattern))


def parse_rules(text: str) -> list[Rule]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines:
        raise ValidationError("Give at least one rule, such as GET /**.")
    if len(lines) > MAX_RULES:
        raise ValidationError(f"At most {MAX_RULES} rules.")
    return [parse_rule(line) for line in lines]


def normalise_rules(text: str) -> str:
    """The rules as they are stored: one a line, methods in a fixed order."""
    return "\n".join(f"{','.join(sorted(rule.methods))} {rule.pattern}" for rule in parse_rules(text))


def call_allowed(rules_text: str, method: str, path: str) -> bool:
    """Whether ``method path`` (path relative to /API/v3) is inside the rules; False for a path the API
    console's check refuses."""
    try:
        clean = relative_path(path)
    except UnsafeRequestError:
        return False
    return any(rule.allows(method.upper(), clean) for rule in parse_rules(rules_text))


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Client networks, one a line or comma-separated (``203.0.113.0/24``, ``2001:db8::/32``, or one
    address), or ValidationError naming the one that is not."""
    networks = []
    for item in re.split(r"[\s,]+", text or ""):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValidationError(f"“{item[:60]}” is not a network (such as 203.0.113.0/24) or an address") from None
    return networks


def address_allowed(networks_text: str, address: str | None) -> bool:
    """Whether ``address`` is in one of the networks; any address when there are none."""
    networks = parse_networks(networks_text)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)
