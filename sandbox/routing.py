"""Route tables for the API and the per-request context handed to each handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .envelope import bad_request

if TYPE_CHECKING:
    from .records import Brand, User
    from .state import State

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class FileReply:
    """A non-JSON answer (an export file)."""

    content: bytes
    content_type: str
    filename: str


@dataclass
class ApiCall:
    state: State
    brand: Brand
    user: User
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    root: str
    prefix: str
    request_id: str
    datacenter: str | None = None
    proxied: bool = False
    headers: Any = None
    # The request body as sent; filled only for routes registered with `raw=True` (files, CSV, multipart).
    raw_body: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.state.now()

    @property
    def config(self) -> dict[str, Any]:
        return self.state.config

    def json(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("The request body must be a JSON object")
        return self.body

    def url(self, path: str, query: dict[str, Any] | None = None) -> str:
        url = f"{self.root}{self.prefix}{path}"
        if query:
            url += "?" + urlencode(query)
        return url

    def this_url(self, **changes: Any) -> str:
        """The URL of this request with some query parameters replaced (used for nextPage)."""
        query = dict(self.query)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        return self.url(self.path, query)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() == "true"

    def header(self, name: str) -> str | None:
        """A request header, by case-insensitive name."""
        return self.headers.get(name) if self.headers is not None else None


Handler = Callable[[ApiCall], Any]


@dataclass
class Route:
    method: str
    pattern: str
    handler: Handler
    limit: str | None
    admin: bool
    raw: bool = False
    regex: re.Pattern[str] = field(init=False)
    literals: int = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", self.pattern) + "$")
        self.literals = sum(1 for part in self.pattern.split("/") if part and not part.startswith("{"))


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, *, limit: str | None = None, admin: bool = False,
            raw: bool = False) -> Callable[[Handler], Handler]:
        """`raw=True`: the route also takes bodies that are not JSON, from `ApiCall.raw_body`."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, pattern, handler, limit, admin, raw))
            return handler

        return register

    def get(self, pattern: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", pattern, **options)

    def post(self, pattern: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", pattern, **options)

    def put(self, pattern: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("PUT", pattern, **options)

    def delete(self, pattern: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("DELETE", pattern, **options)

    @classmethod
    def combine(cls, *tables: RouteTable) -> RouteTable:
        combined = cls()
        for table in tables:
            combined.routes.extend(table.routes)
        # A literal segment wins over a parameter in the same position (`contacts/search` vs `{id}`).
        combined.routes.sort(key=lambda route: -route.literals)
        return combined

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None
