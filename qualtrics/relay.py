"""Calls relayed for another program (the portal's API gateway): sent on, and answered back, as they are.

A mixin of the client, like ``exchange``: it shares the client's session, token and rate budget. What
differs is that neither side is read into memory unless it must be: the caller's body goes out as a
stream, and Qualtrics' answer comes back as a stream of bytes (a response export of hundreds of
megabytes passes through in flat memory). Only a JSON answer of ordinary size is read whole, because
its ``nextPage`` link must point back at the gateway rather than at Qualtrics.

Whatever comes back has the token scrubbed out, in headers and body, however the body is cut into
chunks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import requests

from . import paths
from .errors import UnsafeRequestError
from .http import ALLOWED_METHODS, mask_token
from .retry import RetryPolicy, parse_retry_after

logger = logging.getLogger("qualtrics")

# A JSON answer up to this size is read whole (to rewrite its nextPage); a bigger one is streamed as is.
JSON_BUFFER_LIMIT = 8 * 1024 * 1024
CHUNK_SIZE = 64 * 1024
# What the caller sent that is never passed on: credentials are the portal's to add, framing is the HTTP
# library's, and what proxies and browsers add says nothing to Qualtrics.
DROPPED_REQUEST_HEADERS = paths.AUTH_HEADERS | paths.FRAMING_HEADERS | frozenset({
    "accept-encoding", "forwarded", "via", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "x-forwarded-port", "x-real-ip", "x-csrftoken", "cookie2", "origin", "referer",
})
# Headers of Qualtrics' answer handed back; the framing ones are set again by whoever sends the body on
# (it is decompressed here, and may change length where the token is masked).
RELAYED_RESPONSE_HEADERS = frozenset({
    "content-type", "content-disposition", "retry-after", "cache-control", "etag", "last-modified", "expires",
    "content-language",
})


@dataclass
class Relayed:
    """Qualtrics' answer to a relayed call: status, the headers that matter, and the body as bytes chunks."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Iterator[bytes]
    duration_s: float
    request_id: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    streamed: bool = False
    _response: Any = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        return next((value for name, value in self.headers if name.lower() == "content-type"), "")

    def close(self) -> None:
        if self._response is not None:
            self._response.close()


class SizedBody:
    """A request body read from a stream of known length: requests sends it with that Content-Length
    rather than chunked, and never holds it whole."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self.stream = stream
        self.length = length

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK_SIZE):
            yield chunk


def scrubbed(chunks: Iterable[bytes], token: bytes, mask: bytes) -> Iterator[bytes]:
    """``chunks`` with every ``token`` replaced by ``mask``, also where the token straddles two chunks."""
    keep = len(token) - 1
    pending = b""
    for chunk in chunks:
        data = (pending + chunk).replace(token, mask)
        if len(data) > keep:
            cut = len(data) - keep
            pending = data[cut:]
            yield data[:cut]
        else:
            pending = data
    if pending:
        yield pending


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _envelope(text: str) -> Any:
    """``text`` parsed as JSON, or None."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def rewrite_next_page(text: str, envelope: Any, rewrite: Callable[[str], str | None]) -> str:
    """``text`` (an envelope, ``envelope`` once parsed) with ``result.nextPage`` replaced by
    ``rewrite(nextPage)``, every other byte kept; unchanged when there is none or ``rewrite`` gives None."""
    result = envelope.get("result") if isinstance(envelope, dict) else None
    following = result.get("nextPage") if isinstance(result, dict) else None
    if not isinstance(following, str) or not following:
        return text
    replacement = rewrite(following)
    if replacement is None:
        return text
    for old in (json.dumps(following), json.dumps(following).replace("/", "\\/")):
        if text.count(old) == 1:
            return text.replace(old, json.dumps(replacement))
    result["nextPage"] = replacement  # written some other way: re-encoding is the only sure way
    return json.dumps(envelope)


class RelayMixin:
    """``relay()``: one call passed through for another program (for ``BaseClient``)."""

    def page_path(self, url: str) -> tuple[str, list[tuple[str, str]]] | None:
        """The path and query of a ``nextPage`` URL, relative to this client's API, or None if it leads
        elsewhere."""
        try:
            return paths.page_request(url, base_url=self.base_url)
        except UnsafeRequestError:
            return None

    def relay(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | SizedBody | None = None,
        rewrite_page: Callable[[str], str | None] | None = None,
    ) -> Relayed:
        """Send one call as given and return Qualtrics' answer, whatever its status, as a stream.

        ``path`` is relative to the API (checked by ``paths.relative_path``); ``query`` is passed on as
        it came; of ``headers``, credentials, framing and proxy headers are dropped and the rest checked
        by ``paths.check_header``. One attempt, never retried; it takes a slot of the brand's rate budget
        without waiting (``BudgetExhaustedError`` with ``retry_after`` when there is none). A 429 from
        Qualtrics pauses the brand for every process, as any call does. The caller must ``close()`` the
        answer, or read its body to the end.
        """
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise UnsafeRequestError(f"HTTP method {method[:20]!r} is not allowed")
        path = paths.relative_path(path)
        if any(ch in query for ch in "#\r\n\0 "):
            raise UnsafeRequestError("the query holds characters a URL cannot")
        sent_headers = {"User-Agent": self.user_agent}
        for name, value in headers:
            if paths.header_key(name) in DROPPED_REQUEST_HEADERS:
                continue
            name, value = paths.check_header(name, value)
            sent_headers[name] = value
        policy = RetryPolicy(max_attempts=1, max_total_wait=0.0, wait_for_budget=False)
        self._take_slot(method, path, policy)
        url = self.base_url + path + (f"?{query}" if query else "")
        started = time.monotonic()

        def send() -> requests.Response:
            sent_headers.update(self._auth_headers("token"))
            try:
                return self.session.request(
                    method, url, data=body, headers=sent_headers, timeout=self._timeout_for(path, None),
                    allow_redirects=False, verify=self.verify, stream=True,
                )
            except requests.RequestException as exc:
                error = self._connection_error(exc, method, path)
                logger.info("relayed %s %s failed: %s", method, path, error.message)
                raise error from exc

        response = send()
        # A bearer token that expired or was revoked early is fetched anew either way; the call is sent again
        # with it when its body can be (none, or bytes: a stream was spent by the first attempt).
        if response.status_code == 401 and self._refresh_bearer() and not isinstance(body, SizedBody):
            response.close()
            self._take_slot(method, path, policy)
            response = send()
        return self._relayed(response, method, path, started, rewrite_page)

    def _relayed(self, response, method: str, path: str, started: float, rewrite_page) -> Relayed:
        token, mask = self._token.encode(), mask_token(self._token).encode()
        headers = [(name, self._scrub(value)) for name, value in response.headers.items()
                   if name.lower() in RELAYED_RESPONSE_HEADERS]
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if response.status_code == 429 and self.limiter is not None:
            self.limiter.note_rate_limited(self.brand_key, method, path, retry_after)
        chunks = response.iter_content(CHUNK_SIZE)
        answer = Relayed(status=response.status_code, reason=response.reason or "", headers=headers,
                         body=iter(()), duration_s=0.0, retry_after=retry_after, _response=response)
        declared = response.headers.get("Content-Length", "")
        small = not declared.isdigit() or int(declared) <= JSON_BUFFER_LIMIT
        read: list[bytes] = []
        if _is_json(response.headers.get("Content-Type", "")) and small:
            size = 0
            for chunk in chunks:
                read.append(chunk)
                size += len(chunk)
                if size > JSON_BUFFER_LIMIT:
                    break
            else:
                text = b"".join(read).decode(response.encoding or "utf-8", errors="replace")
                text = self._scrub(text)
                envelope = _envelope(text)  # parsed once, for the request id and the next page's address
                self._read_meta(answer, envelope)
                if rewrite_page is not None:
                    text = rewrite_next_page(text, envelope, rewrite_page)
                answer.body = iter((text.encode("utf-8"),))
                answer.duration_s = time.monotonic() - started
                response.close()
                self._log(answer, method, path)
                return answer
        answer.body = _closing(scrubbed(_chained(read, chunks), token, mask), response)
        answer.streamed = True
        answer.duration_s = time.monotonic() - started
        self._log(answer, method, path)
        return answer

    @staticmethod
    def _read_meta(answer: Relayed, envelope: Any) -> None:
        meta = envelope.get("meta") if isinstance(envelope, dict) else None
        if not isinstance(meta, dict):
            return
        answer.request_id = meta.get("requestId") if isinstance(meta.get("requestId"), str) else None
        error = meta.get("error")
        if isinstance(error, dict) and isinstance(error.get("errorCode"), str):
            answer.error_code = error["errorCode"]

    @staticmethod
    def _log(answer: Relayed, method: str, path: str) -> None:
        logger.info("relayed %s %s -> %s (request id %s)", method, path, answer.status, answer.request_id)


def _chained(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _closing(chunks: Iterator[bytes], response) -> Iterator[bytes]:
    """``chunks``, the connection to Qualtrics given back when they end or the reader stops early."""
    try:
        yield from chunks
    finally:
        response.close()
