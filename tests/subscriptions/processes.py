"""Workers, beat-like sweepers and a Qualtrics-like poster as separate processes, for the subscriptions' fault
tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

from subscriptions.models import Delivery, Event
from tests.distributions.processes import ROOT, Processes

SWEEPER = """
import sys, time, django
django.setup()
from subscriptions.services import subscriptions_sweep
stop_at = time.monotonic() + float(sys.argv[1])
while time.monotonic() < stop_at:
    subscriptions_sweep()
    time.sleep(float(sys.argv[2]))
"""


class SubscriptionProcesses(Processes):
    cwd = ROOT

    def sweeper(self, name: str, *, seconds: float = 3600, interval: float = 1.0):
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-c", SWEEPER, str(seconds), str(interval)], cwd=self.cwd,
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process


POSTER = """
import json, sys, time, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
for line in open(sys.argv[1]):
    url, body = json.loads(line)
    started = time.monotonic()
    status = client.post(url, body.encode(), content_type="application/x-www-form-urlencoded").status_code
    print(json.dumps([status, time.monotonic() - started]), flush=True)
"""


def post_as_qualtrics(env: dict[str, str], posts: list[tuple[str, str]], work_dir) -> list[tuple[int, float]]:
    """Post each (receiver path, form body) through the portal's receiver in a process of its own (so that it
    publishes to the broker `env` names); the status and seconds of each answer."""
    import json

    lines = work_dir / f"posts-{time.monotonic_ns()}.jsonl"
    lines.write_text("".join(json.dumps(post) + "\n" for post in posts))
    done = subprocess.run([sys.executable, "-c", POSTER, str(lines)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode:
        raise AssertionError(f"the poster failed:\n{done.stderr[-3000:]}")
    return [tuple(json.loads(line)) for line in done.stdout.splitlines() if line.startswith("[")]


def wait_for(predicate, procs, what: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        if predicate():
            return
        time.sleep(0.5)
    states = Counter(Delivery.objects.values_list("state", flat=True))
    events = Counter(Event.objects.values_list("state", flat=True))
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s (deliveries {dict(states)}, events "
                         f"{dict(events)})\n{procs.logs()}")


