"""`manage.py qualtrics_sandbox` (and `python -m sandbox`) start a server that answers, and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Cmd0" * 10


def start(argv):
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    else:
        process.kill()
        pytest.fail("the sandbox did not start: " + process.stderr.read())
    return process, lines


def value(lines, label):
    return next(line.split(label, 1)[1].strip() for line in lines if label in line)


@pytest.mark.parametrize("argv", [
    [sys.executable, "manage.py", "qualtrics_sandbox"],
    [sys.executable, "-m", "sandbox"],
], ids=["manage.py", "python -m"])
def test_command_serves_until_sigterm(argv):
    process, lines = start([*argv, "--port", "0", "--seed", "empty", "--token", TOKEN, "--latency-ms", "1",
                            "--connect-latency-ms", "2", "--rate-limit", "500", "--fail-rate", "0"])
    try:
        base_url = value(lines, "base URL:")
        template = value(lines, "base URL template:")
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/API/v3")
        assert template == base_url.replace("/API/v3", "/{datacenter}/API/v3")
        assert any(TOKEN in line and "brand admin" in line and line.strip().startswith("acme") for line in lines)
        assert sum("non-admin" in line for line in lines) == 1
        whoami = requests.get(f"{base_url}/whoami", headers={"X-API-TOKEN": TOKEN}, timeout=5)
        assert whoami.status_code == 200 and whoami.json()["result"]["brandId"] == "acme"
        proxied = requests.get(template.format(datacenter="fra1") + "/whoami", headers={"X-API-TOKEN": TOKEN},
                               timeout=5)
        assert "notice" in proxied.json()["meta"]
        config = requests.get(base_url.replace("/API/v3", "/_sandbox/config"), timeout=5).json()
        assert (config["rate_limit"], config["latency_ms"], config["connect_latency_ms"]) == (500, 1, 2)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in out
