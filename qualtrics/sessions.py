"""The HTTP session every client's calls go through (requests, with a connection pool)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

# What requests reads from the environment for a call: proxies and the CA bundle.
ENVIRONMENT_READ = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                    "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Session(requests.Session):
    """A requests session that honours the environment's proxies and CA bundle as requests does, working
    them out once per origin (and again only when one of those variables changes) instead of on every call,
    where scanning the environment cost a tenth of a millisecond; and that never reads ~/.netrc, whose
    credentials have no business on a Qualtrics call (it authenticates by header)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # requests' own per-call reading, replaced by the one below
        self._environment: dict[tuple, tuple[dict[str, str], Any]] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, verify, tuple(os.environ.get(name) for name in ENVIRONMENT_READ))
        found = self._environment.get(key)
        if found is None:
            environment_verify = verify
            if verify is True or verify is None:
                environment_verify = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                                      or verify)
            found = self._environment[key] = (requests.utils.get_environ_proxies(url), environment_verify)
        environment_proxies, verify = found
        return super().merge_environment_settings(url, {**environment_proxies, **(proxies or {})}, stream, verify,
                                                  cert)


def new_session(adapter_class: type[HTTPAdapter] = HTTPAdapter) -> requests.Session:
    """A session with a connection pool sized for a web process, and no retries of its own.

    ``adapter_class`` may be a subclass of requests' adapter that observes each request as it leaves.
    """
    session = Session()
    adapter = adapter_class(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
