"""A pass-through HTTP proxy in front of the sandbox that can hold back answers to workflow events.

The sandbox answers events at once; to kill a worker while its calls are on their way, the proxy forwards
an event (so the sandbox records it) and then keeps the answer until told to let go: the worker waits for
it, as it would for a slow Qualtrics. Everything else passes straight through, Host header included, so
the page links the sandbox builds point back at the proxy.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class HoldingProxy:
    def __init__(self, upstream_root: str):
        target = urlsplit(upstream_root)
        self.upstream = (target.hostname, target.port)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._to_hold = 0
        self.held = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                return

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    content = answer.read()
                    reply_headers = [(k, v) for k, v in answer.getheaders()
                                     if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
                    status, reason = answer.status, answer.reason
                finally:
                    upstream.close()
                if self.command == "POST" and "/inbound-event/" in self.path and proxy._take_hold():
                    proxy._release.wait()
                try:
                    self.send_response(status, reason)
                    for key, value in reply_headers:
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:  # the caller went away while its answer was held (it was killed)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="holding-proxy", daemon=True)

    @property
    def root_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url_template(self) -> str:
        return f"{self.root_url}/{{datacenter}}/API/v3"

    def rewrite(self, url: str) -> str:
        """The same URL, through the proxy."""
        parts = urlsplit(url)
        return f"{self.root_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def hold(self, count: int) -> None:
        """Hold the answers to the next `count` events (after the sandbox has recorded them)."""
        with self._lock:
            self._release.clear()
            self._to_hold = count

    def _take_hold(self) -> bool:
        with self._lock:
            if self._to_hold <= 0:
                return False
            self._to_hold -= 1
            self.held += 1
            return True

    def release(self) -> None:
        self._release.set()

    def start(self) -> HoldingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
