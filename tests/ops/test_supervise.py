"""bin/supervise keeps a worker or beat running: whatever ends it, it is started again; a stop stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = str(ROOT / "bin" / "supervise")

# Records each start (its pid) and then lives until killed, or exits at once with status 3 when asked.
CHILD = """
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\n")
if sys.argv[2] == "fail":
    sys.exit(3)
time.sleep(300)
"""


def starts(record: Path) -> list[int]:
    return [int(line) for line in record.read_text().split()] if record.exists() else []


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def supervise(record: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen([SUPERVISE, sys.executable, "-c", CHILD, str(record), mode],
                            stderr=subprocess.PIPE, text=True)


def test_a_command_that_keeps_exiting_is_started_again_with_growing_pauses(tmp_path):
    record = tmp_path / "starts"
    process = supervise(record, "fail")
    try:
        assert wait_for(lambda: len(starts(record)) >= 3, 15), starts(record)
        started_at = time.monotonic()
        # Pauses of 1 s and 2 s so far: the next start is 4 s away.
        time.sleep(1.5)
        assert len(starts(record)) == 3, "restarted without pausing longer"
        assert time.monotonic() - started_at < 4
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)
    assert "exited with status 3; starting it again in 1 s" in err
    assert "exited with status 3; starting it again in 2 s" in err


def test_a_killed_process_is_replaced_and_a_stop_stops_both(tmp_path):
    record = tmp_path / "starts"
    process = supervise(record, "live")
    try:
        assert wait_for(lambda: len(starts(record)) == 1, 10)
        first = starts(record)[0]
        os.kill(first, signal.SIGKILL)  # as the OOM killer, or a crash that leaves no exit path
        assert wait_for(lambda: len(starts(record)) == 2, 10), "the killed process was not started again"
        second = starts(record)[1]
        assert alive(second) and not alive(first)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM, "not the stopped command's status"
        assert wait_for(lambda: not alive(second), 5), "the supervised process outlived the stop"
        time.sleep(1.5)
        assert len(starts(record)) == 2, "started again after the stop"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
