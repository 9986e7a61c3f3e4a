"""The Qualtrics sandbox as a process of its own, the way the portal meets Qualtrics: over the network,
from another machine. In the benchmark's own process the sandbox's work (parsing requests, building
answers) would compete with the portal for the interpreter lock, and work the portal overlaps with
the wait for Qualtrics would be charged to it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """`python -m sandbox` on a free loopback port; `with SandboxProcess(latency_ms=50) as sandbox:`."""

    def __init__(self, latency_ms: float = 0, seed: str = "demo", *, tls: bool = False,
                 extra_args: tuple[str, ...] = ()) -> None:
        """`tls`: HTTPS with a certificate made at start, its CA in `ca_file`; `extra_args`: more of
        `python -m sandbox`'s options (`--rate-limit`, `--token`...)."""
        self.latency_ms = latency_ms
        self.seed = seed
        self.tls = tls
        self.extra_args = tuple(extra_args)
        self.port = _free_port()
        self.root_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.base_url_template = f"{self.root_url}/{{datacenter}}/API/v3"
        self._process: subprocess.Popen | None = None
        self._tls_dir: tempfile.TemporaryDirectory | None = None
        self.ca_file: str | None = None

    @property
    def verify(self) -> str | bool:
        """What `requests` needs to trust the sandbox."""
        return self.ca_file or True

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "sandbox", "--port", str(self.port), "--seed", self.seed,
                   "--latency-ms", f"{self.latency_ms:g}", *self.extra_args]
        if self.tls:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="bench-sandbox-tls-")
            command += ["--tls", "--tls-dir", self._tls_dir.name]
            self.ca_file = str(Path(self._tls_dir.name) / "ca.pem")
        # Its output goes to a file: a pipe nobody reads would fill and stop it.
        self._log = tempfile.TemporaryFile()  # kept for the process's life
        self._process = subprocess.Popen(command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"the sandbox did not start: {self._log.read().decode()[-2000:]}")
            try:
                self._info = requests.get(f"{self.root_url}/_sandbox/info", timeout=2, verify=self.verify).json()
                return self
            except (requests.ConnectionError, OSError):
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("the sandbox did not answer within 30 s")

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None

    def calls(self) -> list[dict[str, Any]]:
        """Every API call the sandbox received (its own record, with the second each arrived)."""
        return requests.get(f"{self.root_url}/_sandbox/calls", timeout=120, verify=self.verify).json()["calls"]

    def clear_calls(self) -> None:
        requests.delete(f"{self.root_url}/_sandbox/calls", timeout=30, verify=self.verify).raise_for_status()

    def configure(self, **switches: Any) -> None:
        requests.post(f"{self.root_url}/_sandbox/config", json=switches, timeout=30,
                      verify=self.verify).raise_for_status()

    def brand(self, brand_id: str = "acme") -> dict[str, Any]:
        return next(b for b in self._info["brands"] if b["brandId"] == brand_id)

    @property
    def admin_token(self) -> str:
        return next(str(t["token"]) for t in self.brand()["tokens"] if t["admin"])
