"""The sandbox as a real HTTP server on loopback (threaded, HTTP/1.1 keep-alive), optionally over TLS.

    with SandboxServer(seed="demo") as sandbox:
        requests.get(f"{sandbox.base_url}/whoami", headers={"X-API-TOKEN": sandbox.admin_token})

    with SandboxServer(tls=True) as sandbox:
        requests.get(f"{sandbox.base_url}/whoami", headers=..., verify=sandbox.ca_file)
"""

from __future__ import annotations

import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import control, seed
from .app import Reply, Request, SandboxApp
from .state import State

MAX_BODY = 50 * 1024 * 1024


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: SandboxApp, tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.tls = tls
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread: only this connection waits for its handshakes.
        handshakes = self.app.state.config["connect_latency_ms"] / 1000.0
        if handshakes:
            time.sleep(handshakes)
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        # The handshake happens here, in the connection's own thread, so a slow client holds up nobody.
        request.settimeout(_Handler.timeout)
        with self.tls.wrap_socket(request, server_side=True) as secure:
            super().finish_request(secure, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that does not trust the CA, or hangs up mid-handshake, is not a sandbox fault.
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QualtricsSandbox/1.0"
    sys_version = ""
    timeout = 120
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and delayed ACKs
        # would hold the body back for tens of milliseconds on every kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self.close_connection = True
            reply = Reply(413, b'{"meta":{"httpStatus":"413 - Request Entity Too Large"}}')
        else:
            scheme = "https" if self.server.tls is not None else "http"
            request = Request(self.command, path, query, self.headers, body, f"{scheme}://{host}")
            reply = self.server.app.handle(request)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class SandboxServer:
    """A Qualtrics API v3 sandbox serving on loopback, state in memory.

    The socket is bound on construction (so `root_url` is known at once); `start()` serves in a background
    thread, `serve_forever()` in the calling one.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str = "demo",
        tokens: tuple[str, ...] | list[str] = (),
        latency_ms: float = 0,
        fail_rate: float = 0.0,
        rate_limit: int | None = None,
        switches: dict[str, Any] | None = None,
        tls: bool = False,
        tls_dir: str | Path | None = None,
    ) -> None:
        """`tls=True` serves HTTPS with a certificate made now; `ca_file` is the CA to trust. The files go to
        `tls_dir` (kept) or to a temporary directory removed by `stop()`."""
        overrides: dict[str, Any] = dict(switches or {})
        overrides["latency_ms"] = latency_ms
        overrides["fail_rate"] = fail_rate
        if rate_limit is not None:
            overrides["rate_limit"] = rate_limit
        self.state = State(seed, tuple(tokens), overrides)
        self.app = SandboxApp(self.state)
        self.certificates = None
        self._tls_temp: str | None = None
        context = None
        if tls:
            from . import tls as certificates  # needs the `cryptography` package, so only when asked for

            if tls_dir is None:
                self._tls_temp = tempfile.mkdtemp(prefix="qualtrics-sandbox-tls-")
            self.certificates = certificates.generate(Path(tls_dir or self._tls_temp or ""), (host,))
            context = self.certificates.server_context()
        self._http = _HttpServer((host, port), self.app, context)
        self._thread: threading.Thread | None = None

    # --- addresses -------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._http.server_address[0])

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def tls(self) -> bool:
        return self.certificates is not None

    @property
    def ca_file(self) -> str | None:
        """The CA certificate to trust when serving over TLS (None over plain HTTP)."""
        return str(self.certificates.ca_file) if self.certificates else None

    @property
    def root_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        """Where OAuth clients get access tokens."""
        return f"{self.root_url}/oauth2/token"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/API/v3"

    @property
    def base_url_template(self) -> str:
        return f"{self.root_url}/{{datacenter}}/API/v3"

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._http.serve_forever, name="qualtrics-sandbox", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._http.serve_forever()
        finally:
            self._http.server_close()
            self._remove_certificates()

    def stop(self) -> None:
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._http.server_close()
        self._remove_certificates()

    def _remove_certificates(self) -> None:
        if self._tls_temp is not None:
            shutil.rmtree(self._tls_temp, ignore_errors=True)
            self._tls_temp = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- inspection and control (the same as the /_sandbox/ routes) ------------------------------
    def info(self) -> dict[str, Any]:
        return control.info(self.state, self.root_url)

    def brand(self, brand_id: str = seed.PRIMARY_BRAND) -> dict[str, Any]:
        for row in self.info()["brands"]:
            if row["brandId"] == brand_id:
                return row
        raise KeyError(brand_id)

    def _token(self, brand_id: str, admin: bool) -> str:
        for row in self.brand(brand_id)["tokens"]:
            if row["admin"] == admin:
                return str(row["token"])
        raise LookupError(f"Brand {brand_id} has no {'admin' if admin else 'non-admin'} token")

    @property
    def admin_token(self) -> str:
        """A brand-administrator token of acme."""
        return self._token(seed.PRIMARY_BRAND, True)

    @property
    def user_token(self) -> str:
        """A non-administrator token of acme."""
        return self._token(seed.PRIMARY_BRAND, False)

    def oauth_client(self, brand_id: str = seed.PRIMARY_BRAND) -> tuple[str, str]:
        """(client ID, client secret) of the brand's seeded OAuth client, allowed every scope."""
        row = next(row for row in self.brand(brand_id)["oauthClients"] if not row["revoked"])
        return row["clientId"], row["clientSecret"]

    def reset(self, seed_name: str = "demo") -> None:
        """Back to a fresh seed with the constructor's settings, a real-time clock and empty logs."""
        self.state.reset(seed_name)

    def configure(self, **changes: Any) -> dict[str, Any]:
        return self.state.configure(changes)

    def advance_clock(self, seconds: float) -> None:
        self.state.advance_clock(seconds)

    def add_token(self, brand_id: str = seed.PRIMARY_BRAND, token: str | None = None, admin: bool = True) -> str:
        return str(self.state.add_token(brand_id, token, admin)["token"])

    def calls(self, method: str | None = None, path_contains: str = "") -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(c) for c in self.state.calls
                    if (method is None or c["method"] == method.upper()) and path_contains in c["path"]]
