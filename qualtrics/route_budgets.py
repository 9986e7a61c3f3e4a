"""Qualtrics' per-route rate limits, as budgets the limiter (``qualtrics.ratelimit``) counts besides the brand's.

Qualtrics limits some routes more tightly than the brand as a whole (docs/qualtrics-api.md#rate-limits): a call
to one of them takes a slot of the brand's budget and of its route's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ANY_METHOD = frozenset({"*"})


def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment == "*" or (segment.startswith("{") and segment.endswith("}")):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts) + "/?")


@dataclass(frozen=True)
class RouteBudget:
    """A per-route budget: requests per minute for the given methods on paths matching ``pattern``.

    ``pattern`` is relative to ``/API/v3``; a ``{name}`` or ``*`` segment matches one path segment.
    """

    name: str
    methods: frozenset[str]
    pattern: str
    per_minute: int
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError(f"route budget {self.name!r} must allow at least one request a minute")
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))
        object.__setattr__(self, "regex", _compile(self.pattern))

    def matches(self, method: str, path: str) -> bool:
        if "*" not in self.methods and method.upper() not in self.methods:
            return False
        return self.regex.fullmatch(path.split("?", 1)[0]) is not None

    @classmethod
    def parse(cls, spec: str, per_minute: int) -> RouteBudget:
        """Build one from ``"POST,PUT /directories/{d}/contacts"`` (``*`` for any method)."""
        try:
            methods, pattern = spec.split(None, 1)
        except ValueError:
            raise ValueError(f"route budget {spec!r} is not 'METHODS /path/pattern'") from None
        if not pattern.startswith("/"):
            raise ValueError(f"route budget {spec!r}: the pattern must start with '/'")
        return cls(spec, frozenset(methods.split(",")), pattern, per_minute)


WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})

# docs/qualtrics-api.md#rate-limits (transcribed from Qualtrics' table by hand; numbers unconfirmed).
# Entries sharing a name share one counter: POST .../contacts/search counts as a contact write, and
# writes to a list's members as writes to mailing lists.
DEFAULT_ROUTE_BUDGETS: tuple[RouteBudget, ...] = (
    RouteBudget("directory-contact-writes", WRITE_METHODS, "/directories/{d}/contacts", 500),
    RouteBudget("directory-contact-writes", WRITE_METHODS, "/directories/{d}/contacts/{c}", 500),
    RouteBudget("mailing-list-writes", WRITE_METHODS, "/directories/{d}/mailinglists", 500),
    RouteBudget("mailing-list-writes", WRITE_METHODS, "/directories/{d}/mailinglists/{m}", 500),
    RouteBudget("mailing-list-writes", WRITE_METHODS, "/directories/{d}/mailinglists/{m}/contacts", 500),
    RouteBudget("mailing-list-writes", WRITE_METHODS, "/directories/{d}/mailinglists/{m}/contacts/{c}", 500),
    RouteBudget(
        "transaction-contacts-import",
        frozenset({"POST"}),
        "/directories/{d}/mailinglists/{m}/transactioncontacts",
        100,
    ),
    RouteBudget(
        "transaction-contacts-import-status",
        frozenset({"GET"}),
        "/directories/{d}/mailinglists/{m}/transactioncontacts/{i}",
        500,
    ),
    RouteBudget(
        "transaction-contacts-import-status",
        frozenset({"GET"}),
        "/directories/{d}/mailinglists/{m}/transactioncontacts/{i}/summary",
        500,
    ),
    RouteBudget("export-contacts", frozenset({"POST"}), "/directories/{d}/export-contacts", 10),
    RouteBudget("distribution-history", frozenset({"GET"}), "/distributions/{id}/history", 300),
    RouteBudget("distribution-links", frozenset({"GET"}), "/distributions/{id}/links", 500),
    RouteBudget("sms-distributions", ANY_METHOD, "/distributions/sms", 1000),
    RouteBudget("sms-distributions", ANY_METHOD, "/distributions/sms/{id}", 1000),
    RouteBudget("groups", ANY_METHOD, "/groups", 600),
    RouteBudget("groups", ANY_METHOD, "/groups/{g}", 600),
    RouteBudget("groups", frozenset({"POST"}), "/groups/{g}/members", 600),
    RouteBudget("groups", frozenset({"DELETE"}), "/groups/{g}/members/{u}", 600),
    RouteBudget("group-members-read", frozenset({"GET"}), "/groups/{g}/members", 1000),
    RouteBudget("event-subscriptions", ANY_METHOD, "/eventsubscriptions", 120),
    RouteBudget("event-subscriptions", ANY_METHOD, "/eventsubscriptions/{id}", 120),
    RouteBudget("export-responses-start", frozenset({"POST"}), "/surveys/{s}/export-responses", 100),
    RouteBudget("export-responses-progress", frozenset({"GET"}), "/surveys/{s}/export-responses/{p}", 1000),
    RouteBudget("export-responses-file", frozenset({"GET"}), "/surveys/{s}/export-responses/{f}/file", 100),
    RouteBudget("update-responses", frozenset({"POST"}), "/surveys/{s}/update-responses", 10),
    RouteBudget("response-read", frozenset({"GET"}), "/surveys/{s}/responses/{r}", 240),
    RouteBudget("response-create", frozenset({"POST"}), "/surveys/{s}/responses", 120),
    RouteBudget("response-delete", frozenset({"DELETE"}), "/surveys/{s}/responses/{r}", 60),
    RouteBudget("organizations", ANY_METHOD, "/organizations/{o}", 5),
)


def build_route_budgets(
    overrides: Mapping[str, int | RouteBudget | None] | None,
    defaults: Iterable[RouteBudget] = DEFAULT_ROUTE_BUDGETS,
) -> tuple[RouteBudget, ...]:
    """Apply overrides to the default table.

    Keys are either a default budget's name (an int changes its per-minute figure, None removes it),
    or a ``"METHODS /pattern"`` spec adding a budget (value an int), or any name with a RouteBudget.
    """
    routes = list(defaults)
    for key, value in (overrides or {}).items():
        named = [r for r in routes if r.name == key]
        if value is None:
            routes = [r for r in routes if r.name != key]
        elif isinstance(value, RouteBudget):
            routes = [r for r in routes if r.name != key] + [value]
        elif named:
            routes = [RouteBudget(r.name, r.methods, r.pattern, int(value)) if r.name == key else r for r in routes]
        else:
            routes.append(RouteBudget.parse(key, int(value)))
    return tuple(routes)


