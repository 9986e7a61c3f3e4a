"""Where a call made on someone's behalf may go, and what it may carry.

Screens that let a person type a Qualtrics path, a header or a URL (the API console, workflow
triggers), and the client itself for every call it makes, check them here, so that no call can
carry a connection's token off its own API:

- ``relative_path``: a path relative to ``/API/v3``. Absolute URLs, other hosts, ``.`` and ``..``
  segments, empty segments, backslashes, path parameters (``;``), query and fragment marks, and any of
  these hidden behind percent-encoding, however many times encoded, are refused.
- ``check_header`` / ``check_headers``: a header a person adds. Authentication headers are the
  portal's to set; framing headers (``Host``, ``Content-Length``…) are the HTTP library's.
- ``page_request``: the path and query of a ``nextPage`` URL Qualtrics handed back, if it stays on
  the connection's host and under its API path.
- ``event_url``: a workflow's JSON-event trigger URL, if it is one of the two documented forms on the
  connection's own host (docs/qualtrics-api.md#workflow-events).

Plain functions over strings; each refusal is an ``UnsafeRequestError`` whose message says what to
change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .errors import UnsafeRequestError

# A path decoded this many times without settling is refused outright: nobody encodes an ID four times.
MAX_DECODINGS = 3
FORBIDDEN_IN_PATH = frozenset(" \\?#;")
FORBIDDEN_DECODED = frozenset("\\?#;")
API_PREFIX = re.compile(r"^/?(?:api/)?v3(?=/)", re.IGNORECASE)

# RFC 9110 token characters: what a header name may be made of.
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
MAX_HEADER_VALUE = 8 * 1024
# The portal authenticates every call itself; a person may not add or replace credentials.
AUTH_HEADERS = frozenset({"x-api-token", "authorization", "proxy-authorization", "cookie"})
# Headers that frame the message; set by the HTTP library from what is actually sent.
FRAMING_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade",
    "proxy-connection", "expect",
})

INBOUND_EVENT_PATH = re.compile(r"/inbound-event/v1/events/(?:json|JSON)/triggers/?")
LEGACY_EVENT_PARAMS = ("contextId", "userId", "brandId", "triggerId")


def _refuse(message: str) -> UnsafeRequestError:
    return UnsafeRequestError(message)


def _decodings(text: str) -> list[str]:
    """``text``, then each percent-decoding of it until nothing changes (at most MAX_DECODINGS)."""
    if not _valid_escapes(text):
        raise _refuse("the path holds a '%' that is not a valid percent-encoding")
    levels = [text]
    # A '%' that is no escape, once decoded, is a plain character: no one can decode it any further.
    while "%" in levels[-1] and _valid_escapes(levels[-1]):
        try:
            decoded = unquote(levels[-1], errors="strict")
        except UnicodeDecodeError:
            raise _refuse("the path's percent-encoding is not valid UTF-8") from None
        if len(levels) > MAX_DECODINGS:
            raise _refuse("the path is percent-encoded too many times")
        levels.append(decoded)
    return levels


def _valid_escapes(text: str) -> bool:
    return re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", text) is not None


def _is_plain_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def relative_path(path: str, *, allow_api_prefix: bool = False) -> str:
    """``path`` as a clean path relative to the API (``/surveys/SV_1``), or UnsafeRequestError.

    With ``allow_api_prefix``, a path written from the API's root (``/API/v3/surveys``, ``v3/surveys``)
    is taken as the same path.
    """
    if not isinstance(path, str) or not path.strip("/"):
        raise _refuse("the path is empty")
    if not _is_plain_ascii(path) or any(ch in FORBIDDEN_IN_PATH for ch in path):
        raise _refuse(
            "the path may only hold path segments of plain characters (give query parameters separately)"
        )
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith("//"):
        raise _refuse("absolute URLs are not allowed; give a path relative to the API, such as /surveys")
    if allow_api_prefix:
        path = API_PREFIX.sub("", path, count=1)
        if not path.strip("/"):
            raise _refuse("the path is empty")
    levels = _decodings(path)
    slashes = path.count("/")
    for depth, text in enumerate(levels):
        if depth:
            if text.count("/") != slashes:
                raise _refuse("encoded slashes are not allowed in a path")
            if not _is_plain_ascii(text) or any(ch in FORBIDDEN_DECODED for ch in text):
                raise _refuse("the path hides characters that are not allowed behind percent-encoding")
        segments = text.strip("/").split("/")
        if any(segment in ("", ".", "..") for segment in segments):
            raise _refuse("'.', '..' and empty segments are not allowed in a path")
    return "/" + "/".join(path.strip("/").split("/"))


def header_key(name: str) -> str:
    """How a header name is compared: case-insensitively, and with ``_`` as ``-`` (some servers and
    proxies fold one into the other, so ``X_API_TOKEN`` could arrive as ``X-API-TOKEN``)."""
    return name.strip().lower().replace("_", "-")


def check_header(name: str, value: str) -> tuple[str, str]:
    """The header (name stripped) if a person may add it, or UnsafeRequestError."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise _refuse("a header needs a name and a value")
    name = name.strip()
    if not HEADER_NAME.fullmatch(name):
        raise _refuse(f"{name[:60]!r} is not a valid header name (letters, digits and - only)")
    key = header_key(name)
    if key in AUTH_HEADERS:
        raise _refuse(f"the {name} header is refused: the portal adds the connection's authentication itself")
    if key in FRAMING_HEADERS:
        raise _refuse(f"the {name} header is refused: it is set from what is actually sent")
    if len(value) > MAX_HEADER_VALUE:
        raise _refuse(f"the value of {name} is longer than {MAX_HEADER_VALUE // 1024} KB")
    if any(ch in value for ch in "\r\n\0") or not (value.replace("\t", " ").isprintable()):
        raise _refuse(f"the value of {name} holds a line break or another control character")
    return name, value.strip()


def check_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str] | None) -> list[tuple[str, str]]:
    rows = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return [check_header(name, value) for name, value in rows]


def _port(parts) -> int:
    return parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)


def _split_url(url: str, what: str):
    if not isinstance(url, str) or not url.strip():
        raise _refuse(f"the {what} is empty")
    url = url.strip()
    if not _is_plain_ascii(url) or "\\" in url:
        raise _refuse(f"the {what} holds characters a URL cannot")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise _refuse(f"the {what} has a malformed port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(f"the {what} must be an http(s) URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise _refuse(f"the {what} carries credentials or a fragment")
    return parts


def page_request(url: str, *, base_url: str) -> tuple[str, list[tuple[str, str]]]:
    """The path (relative to ``base_url``) and query of a page URL Qualtrics returned, if it stays at home."""
    parts = _split_url(url, "page URL")
    base = urlsplit(base_url)
    base_path = base.path.rstrip("/")
    if (parts.scheme, (parts.hostname or "").lower(), _port(parts)) != (
        base.scheme, (base.hostname or "").lower(), _port(base)
    ):
        raise _refuse("the page URL points at another host than the connection's")
    if not parts.path.startswith(base_path + "/"):
        raise _refuse("the page URL leaves the connection's API path")
    path = relative_path(parts.path[len(base_path):])
    return path, parse_qsl(parts.query, keep_blank_values=True)


@dataclass(frozen=True)
class EventUrl:
    """A checked JSON-event trigger URL: the URL to post to, its path (for records: the query names the
    trigger and is kept out of logs) and which documented form it is."""

    url: str
    path: str
    form: str  # "urlTokenId" or "legacy"


def _same_datacenter_host(host: str, api_host: str) -> bool:
    if host == api_host:
        return True
    # Qualtrics also answers on <organisation>.<datacenter>.qualtrics.com (docs/qualtrics-api.md#hosts-and-datacenters).
    if api_host.endswith(".qualtrics.com") and host.endswith("." + api_host):
        label = host[: -len(api_host) - 1]
        return re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", label) is not None
    return False


def event_url(url: str, *, api_base_url: str) -> EventUrl:
    """A workflow's JSON-event URL, if it is one of the two documented forms on the host of the connection
    whose API is at ``api_base_url``; else UnsafeRequestError saying what is wrong."""
    parts = _split_url(url, "trigger URL")
    base = urlsplit(api_base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme != base.scheme or _port(parts) != _port(base) or not _same_datacenter_host(
        host, (base.hostname or "").lower()
    ):
        raise _refuse(
            f"the trigger URL must be on the connection's Qualtrics datacenter ({base.scheme}://{base.netloc}), "
            f"not {parts.scheme}://{parts.netloc}"
        )
    # A sandbox or proxy may put the API under a prefix (/iad1/API/v3); the event path may carry it too.
    base_path = base.path.rstrip("/")
    prefix = base_path[: -len("/API/v3")] if base_path.lower().endswith("/api/v3") else ""
    path = parts.path
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    if not INBOUND_EVENT_PATH.fullmatch(path):
        raise _refuse("this is not a JSON-event trigger URL: its path must be /inbound-event/v1/events/json/triggers")
    relative_path(parts.path)
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _refuse("the trigger URL's query is malformed") from None
    values = dict(query)
    if values.get("urlTokenId"):
        form = "urlTokenId"
    elif all(values.get(name) for name in LEGACY_EVENT_PARAMS):
        form = "legacy"
    else:
        raise _refuse(
            "the trigger URL must name its trigger: urlTokenId=…, or contextId, userId, brandId and triggerId"
        )
    clean = f"{parts.scheme}://{parts.netloc.lower()}{parts.path}?{urlencode(query)}"
    return EventUrl(clean, parts.path, form)
