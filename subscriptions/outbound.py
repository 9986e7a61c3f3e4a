"""Posting to a URL a user gave, without letting it reach into the portal's own network.

The address is checked when it is saved and again when each request is sent: the host name is resolved at
send time and every address it resolves to must be public (not loopback, private, link-local, shared,
multicast, reserved or unspecified, IPv4-mapped forms included). The request then goes to the address that was
checked, with the host name kept for the Host header, SNI and the certificate check, so a name that resolves
differently a moment later (DNS rebinding) cannot redirect it. Redirects are not followed; timeouts are short;
at most `MAX_RESPONSE_BYTES` of the answer is read.

In development (`allow_local`), loopback addresses are allowed too, over HTTPS or plain HTTP, for a test
receiver on this machine; private networks never are.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

from web.per_process import PerProcess

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_URL_LENGTH = 2000


class UnsafeDestination(ValueError):
    """The URL may not be called: the reason is in plain words."""


class ResolutionFailed(OSError):
    """The host name could not be resolved now (a transport failure: worth trying again later)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    address: str


def check_url(url: str, *, allow_local: bool = False) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, else UnsafeDestination. Resolves nothing."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeDestination("give an HTTPS URL (at most 2,000 characters)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("this is not a valid URL") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeDestination("the URL must start with https:// and name a host")
    if parts.username or parts.password:
        raise UnsafeDestination("the URL must not carry a user name or password")
    if parts.scheme == "http" and not (allow_local and _names_loopback(host)):
        raise UnsafeDestination("the URL must use HTTPS (plain HTTP only to this machine, in development)")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _names_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(address: str, *, allow_local: bool = False) -> str:
    """Why an IP address may not be called ("" when it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if allow_local else "loopback (this machine)"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not a public address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return "a private or internal network"
    if not ip.is_global:
        return "not a public address"
    return ""


def resolve(host: str, port: int, *, allow_local: bool = False) -> str:
    """The first address of `host`, once every address it resolves to was found acceptable."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolutionFailed(f"the host {host} could not be resolved ({exc})") from None
    except UnicodeError:
        raise UnsafeDestination(f"the host {host} is not a valid name") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeDestination(f"the host {host} has no address")
    for address in addresses:
        why = refusal(address, allow_local=allow_local)
        if why:
            raise UnsafeDestination(f"{host} resolves to {address}, {why}: the portal does not call it")
    return addresses[0]


class Pools:
    """This process's connection pools, one per (scheme, checked address, port, host name, CA file): a
    destination that gets one event after another keeps its connection (and its TLS session) open, instead of
    a new handshake, and the CA bundle read again, for every post. A pool only ever connects to the address
    it was made for, which each post has just checked. The oldest pools are closed past `LIMIT`."""

    LIMIT = 200
    PER_POOL = 4  # connections kept per destination (a worker's threads)

    def __init__(self) -> None:
        self._pools: OrderedDict[tuple, urllib3.HTTPConnectionPool] = OrderedDict()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def get(self, scheme: str, address: str, port: int, host: str, ca_file: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, address, port, host, ca_file)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            if scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    address, port, retries=False, maxsize=self.PER_POOL, ssl_context=self._context(ca_file),
                    server_hostname=host, assert_hostname=host,
                )
            else:
                pool = urllib3.HTTPConnectionPool(address, port, retries=False, maxsize=self.PER_POOL)
            self._pools[key] = pool
            while len(self._pools) > self.LIMIT:
                _key, oldest = self._pools.popitem(last=False)
                oldest.close()
            return pool

    def _context(self, ca_file: str) -> ssl.SSLContext:
        context = self._contexts.get(ca_file)
        if context is None:
            context = self._contexts[ca_file] = ssl.create_default_context(cafile=ca_file or certifi.where())
        return context


pools = PerProcess(Pools)


def post(url: str, body: bytes, headers: dict[str, str], *, allow_local: bool = False, ca_file: str = "",
         connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT) -> Answer:
    """POST `body` to `url` once. Raises UnsafeDestination (never sent, and never will be) or OSError (including
    ResolutionFailed) and urllib3's errors for a transport failure."""
    scheme, host, port = check_url(url, allow_local=allow_local)
    address = resolve(host, port, allow_local=allow_local)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    host_header = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    pool = pools.get().get(scheme, address, port, host, ca_file)
    reply = pool.urlopen("POST", target, body=body, headers={**headers, "Host": host_header}, timeout=timeout,
                         redirect=False, preload_content=False, assert_same_host=False, release_conn=False)
    try:
        data = reply.read(MAX_RESPONSE_BYTES + 1, decode_content=False)
    except BaseException:
        reply.close()
        raise
    if len(data) > MAX_RESPONSE_BYTES:
        reply.close()  # the rest is unread: this connection cannot carry another request
    else:
        reply.release_conn()  # read to its end: back to the pool for the next post
    return Answer(reply.status, data[:MAX_RESPONSE_BYTES], address)
