"""Test destinations for forwarded events: a local HTTPS server (its own CA) that records what it receives."""

from __future__ import annotations

import http.server
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

from sandbox import tls as certificates


class Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, fail_every: int = 0):
        super().__init__(address, _Handler)
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.fail_every = fail_every  # every n-th call answers 503 (0: never)
        self.calls = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open, as web servers do

    def setup(self):
        super().setup()
        # The status line and headers, then the body, go out in two writes: without this, the second waits
        # for the client's delayed acknowledgement of the first (40 ms), which no real web server makes its
        # callers wait.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:  # the sender died mid-request (a killed worker): nothing arrived, as anywhere
            self.close_connection = True
            return
        server = self.server
        with server.lock:
            server.calls += 1
            failing = server.fail_every and server.calls % server.fail_every == 0
            if not failing:
                server.received.append({"headers": dict(self.headers), "body": body,
                                        "json": json.loads(body or b"null"), "at": time.monotonic(),
                                        "peer": self.client_address})
        self.send_response(503 if failing else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class HttpsDestination:
    """`with HttpsDestination() as d:` serves https://127.0.0.1:<port>/hook; `d.ca_file` is the CA to trust."""

    def __init__(self, fail_every: int = 0):
        self.directory = tempfile.mkdtemp(prefix="hook-destination-")
        self.certificates = certificates.generate(Path(self.directory), ("127.0.0.1", "localhost"))
        self.server = Recorder(("127.0.0.1", 0), fail_every=fail_every)
        self.server.socket = self.certificates.server_context().wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def ca_file(self) -> str:
        return str(self.certificates.ca_file)

    @property
    def received(self) -> list[dict]:
        return self.server.received

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
