"""The Qualtrics sandbox as a process of its own, the way the portal meets Qualtrics: over the network,
from another machine. In the benchmark's own process the sandbox's work (parsing requests, building
answers) would compete with the portal for the interpreter lock, and work the portal overlaps with
the wait for Qualtrics would be charged to it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
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

    def __init__(self, latency_ms: float = 0, seed: str = "demo") -> None:
        self.latency_ms = latency_ms
        self.seed = seed
        self.port = _free_port()
        self.root_url = f"http://127.0.0.1:{self.port}"
        self.base_url_template = f"{self.root_url}/{{datacenter}}/API/v3"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SandboxProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(self.port), "--seed", self.seed,
             "--latency-ms", f"{self.latency_ms:g}"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the sandbox did not start: {self._process.stderr.read().decode()[-2000:]}")
            try:
                self._info = requests.get(f"{self.root_url}/_sandbox/info", timeout=2).json()
                return self
            except requests.ConnectionError:
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

    def brand(self, brand_id: str = "acme") -> dict[str, Any]:
        return next(b for b in self._info["brands"] if b["brandId"] == brand_id)

    @property
    def admin_token(self) -> str:
        return next(str(t["token"]) for t in self.brand()["tokens"] if t["admin"])
