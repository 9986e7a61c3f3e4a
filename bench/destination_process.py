"""The HTTPS destination of forwarded events in a process of its own, as a customer's receiver on another
machine: in the benchmark's process its TLS and parsing would take the interpreter lock from the clients
whose posts are being timed.

The child serves tests.subscriptions.receivers.HttpsDestination and writes each event it receives (its
`Sequence` and the monotonic time it arrived, a clock every process of the machine shares) as a line of
JSON to a file the parent reads.

    with DestinationProcess() as destination:
        destination.url, destination.ca_file, destination.arrivals()  # {sequence: arrival time}
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class DestinationProcess:
    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="bench-destination-")
        self._ready = Path(self._directory.name) / "ready.json"
        self._log = Path(self._directory.name) / "received.jsonl"
        self._process: subprocess.Popen | None = None
        self.url = self.ca_file = ""

    def __enter__(self) -> DestinationProcess:
        self._process = subprocess.Popen([sys.executable, "-m", "bench.destination_process", "--ready",
                                          str(self._ready), "--log", str(self._log)], cwd=ROOT)
        deadline = time.monotonic() + 30
        while not self._ready.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the destination process did not start")
            time.sleep(0.05)
        ready = json.loads(self._ready.read_text())
        self.url, self.ca_file = ready["url"], ready["ca_file"]
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
        self._directory.cleanup()

    def arrivals(self) -> dict[int, float]:
        """Each event received so far: its Sequence and when it first arrived."""
        found: dict[int, float] = {}
        if self._log.exists():
            for line in self._log.read_text().splitlines():
                if line:
                    record = json.loads(line)
                    found.setdefault(record["sequence"], record["at"])
        return found


def serve(ready: Path, log: Path) -> None:
    from tests.subscriptions.receivers import HttpsDestination

    with HttpsDestination() as destination, log.open("a") as out:
        partial = ready.with_suffix(".tmp")
        partial.write_text(json.dumps({"url": destination.url, "ca_file": destination.ca_file}))
        partial.rename(ready)  # whole, or not there
        while True:
            time.sleep(0.05)
            with destination.server.lock:
                taken, destination.received[:] = list(destination.received), []
            for record in taken:
                out.write(json.dumps({"sequence": record["json"]["event"]["Sequence"], "at": record["at"]}) + "\n")
            out.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="an HTTPS destination for forwarded events")
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    arguments = parser.parse_args()
    serve(arguments.ready, arguments.log)
