"""A minimal SMTP server that accepts every message and counts them, as a process of its own: the mail
relay the portal's alerts go to, for benchmarks (Django's SMTP backend speaks to it as to any relay).

    python -m bench.smtp_sink --port 2525
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Session(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.server.connections += 1
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.server.messages += 1
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == b"STAT":  # not SMTP: the benchmark's question, "how many so far?"
                self.wfile.write(f"250 {self.server.messages} {self.server.connections}\r\n".encode())
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    messages = 0
    connections = 0


class SmtpSink:
    """`with SmtpSink() as sink:` a sink on a free loopback port; `sink.counts()` -> (messages, SMTP sessions)."""

    def __enter__(self) -> SmtpSink:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._process = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink", "--port", str(self.port)],
                                         cwd=ROOT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.counts()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP sink did not start")

    def counts(self) -> tuple[int, int]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            reader = conn.makefile("rb")
            reader.readline()
            conn.sendall(b"STAT\r\n")
            _code, messages, connections = reader.readline().split()
            conn.sendall(b"QUIT\r\n")
            reader.readline()
        return int(messages), int(connections)

    def __exit__(self, *exc_info: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=2525)
    options = parser.parse_args()
    with _Server(("127.0.0.1", options.port), _Session) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
