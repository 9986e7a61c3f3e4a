"""Page through 10,000 XM Directory contacts over HTTPS: the portal's client (a saved connection on
PostgreSQL + Redis, every call taking its slot in the shared rate budget) against the `QualtricsAPI` PyPI
client and against a naive loop (a new connection, so a new TLS handshake, per page).

All read the same sandbox, a process of its own serving HTTPS (`--tls`) with 20 ms of latency per call,
with the same page size (1,000: the one QualtricsAPI always asks for). QualtricsAPI builds
`https://{data_center}.qualtrics.com/API/v3/…` with no way to change the host, so the base URL its
`header_setup` returns is rewritten to the sandbox's (nothing else of it is touched), and it trusts the
sandbox's CA through REQUESTS_CA_BUNDLE. It runs in its own interpreter (var/bench-venv, see
bench/requirements.txt: it needs pandas), timed there around its `list_contacts_in_directory()` call
alone. Goal: the portal's client at least 1.5 times as fast as QualtricsAPI.

Each side is timed twice. On loopback a new connection's TCP and TLS handshakes cost only CPU; against
Qualtrics over the internet each also costs a network round trip before the request can leave, which is
what keeping connections alive saves. So the second time the sandbox makes every new connection wait two
round trips (`--connect-latency-ms`; a round trip is `--rtt-ms`, by default the latency), and the goal is
judged there. Both figures are printed.

Set-up: a throwaway database on the PostgreSQL server DATABASE_URL names (its name plus `_paging`, created
and dropped here), CACHE_URL's Redis database (emptied first: the benchmark's own).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/python -m bench.client_paging [--contacts 10000] [--latency-ms 20] [--rtt-ms 20] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.sandbox_process import ROOT, SandboxProcess
from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_cache_database,
    met,
    setup_django,
)

GOAL_RATIO = 1.5
BENCH_PYTHON = ROOT / "var" / "bench-venv" / "bin" / "python"

QUALTRICSAPI_RUN = """
import contextlib, io, json, os, sys, time
from QualtricsAPI.Setup import Credentials
from QualtricsAPI.XM import XMDirectory
token, api_root, directory_id = sys.argv[1:4]
Credentials().qualtrics_api_credentials(token=token, data_center="iad1", directory_id=directory_id)
real_setup = Credentials.header_setup

def to_sandbox(self, *args, **kwargs):  # only where it points: https://iad1.qualtrics.com -> the sandbox
    header, base_url = real_setup(self, *args, **kwargs)
    return header, base_url.replace("https://iad1.qualtrics.com/API/v3", api_root)

Credentials.header_setup = to_sandbox
with contextlib.redirect_stdout(io.StringIO()):  # it prints a line per page
    XMDirectory().list_contacts_in_directory()  # warm: imports done, connections known
    times = []
    for _ in range(int(sys.argv[4])):
        started = time.perf_counter()
        frame = XMDirectory().list_contacts_in_directory()
        times.append(time.perf_counter() - started)
print(json.dumps({"contacts": len(frame), "times": times}))
"""


def naive_pages(base_url: str, token: str, directory_id: str, page_size: int, verify) -> tuple[int, int]:
    """Follow nextPage with a new connection per request; returns (contacts, requests)."""
    url: str | None = f"{base_url}/directories/{directory_id}/contacts"
    params: dict[str, str] | None = {"pageSize": str(page_size), "useNewPaginationScheme": "true"}
    contacts = calls = 0
    while url:
        response = requests.get(url, params=params, headers={"X-API-TOKEN": token}, timeout=30, verify=verify)
        response.raise_for_status()
        result = response.json()["result"]
        contacts += len(result["elements"])
        calls += 1
        url, params = result.get("nextPage"), None
    return contacts, calls


def client_pages(client, directory_id: str, page_size: int) -> tuple[int, int]:
    calls = []
    counting = client.with_options(hooks=[calls.append])
    contacts = sum(1 for _ in counting.contacts.list(directory_id, page_size=page_size).iter_all())
    return contacts, len(calls)


def timed(run):
    started = time.perf_counter()
    outcome = run()
    return outcome, time.perf_counter() - started


def qualtricsapi_pages(sandbox: SandboxProcess, token: str, directory_id: str, rounds: int) -> tuple[int, list[float]]:
    api_root = sandbox.base_url_template.replace("{datacenter}", "iad1")
    env = {**os.environ, "REQUESTS_CA_BUNDLE": sandbox.ca_file or ""}
    done = subprocess.run([str(BENCH_PYTHON), "-c", QUALTRICSAPI_RUN, token, api_root, directory_id, str(rounds)],
                          capture_output=True, text=True, env=env, timeout=1800, check=False)
    if done.returncode:
        raise SystemExit(f"QualtricsAPI failed: {done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["contacts"], answer["times"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=None,
                        help="a network round trip, which each handshake of a new connection costs (default: the "
                             "latency)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the median time is reported")
    options = parser.parse_args(argv)
    options.rtt_ms = options.latency_ms if options.rtt_ms is None else options.rtt_ms
    if not BENCH_PYTHON.exists():
        raise SystemExit("QualtricsAPI is run from var/bench-venv: .venv/bin/python -m venv var/bench-venv && "
                         "var/bench-venv/bin/pip install -r bench/requirements.txt")

    server, base_name = database_from_env()
    database = f"{base_name}_paging"
    drop_database(server, database)
    create_database_if_missing(server, database)
    empty_cache_database()
    auth = server["user"] + (f":{server['password']}" if server.get("password") else "")
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(options.latency_ms, seed="empty",
                                                                  tls=True) as sandbox:
            os.environ["DATABASE_URL"] = f"postgres://{auth}@{server['host']}:{server['port']}/{database}"
            os.environ["QUALTRICS_CA_FILE"] = sandbox.ca_file
            setup_django(Path(tmp), sandbox.base_url_template)
            measure(options, sandbox)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, database)


def measure(options, sandbox: SandboxProcess) -> None:
    from connections.qualtrics_client import connection_client
    from tests.factories import make_connection, make_user

    created = requests.post(f"{sandbox.root_url}/_sandbox/contacts", json={"count": options.contacts}, timeout=300,
                            verify=sandbox.verify)
    created.raise_for_status()
    directory_id = created.json()["directoryId"]
    token = sandbox.admin_token
    brand = sandbox.brand("acme")
    connection = make_connection(make_user("bench"), name="Bench", datacenter=brand["datacenter"], token=token,
                                 brand_id="acme", account_type="UT_BRANDADMIN")
    client = connection_client(connection, audit=False)
    base_url = sandbox.base_url_template.replace("{datacenter}", brand["datacenter"])
    handshakes_ms = 2 * options.rtt_ms  # TCP, then TLS 1.3: one round trip each before the request's own

    sides = {}
    for label, connect_ms in (("loopback", 0), ("network", handshakes_ms)):
        sandbox.configure(connect_latency_ms=connect_ms)
        sides[label] = paged(options, sandbox, client, base_url, token, directory_id)
    calls = sides["network"]["calls"]
    print(f"Paging {options.contacts:,} contacts over HTTPS, {options.page_size} asked a page "
          f"({options.contacts // calls} given), sandbox latency {options.latency_ms:g} ms per call (a process of "
          f"its own); the portal's client on PostgreSQL + Redis. Median of {options.rounds} runs each.")
    print(f"{'':40}{'requests':>10}{'loopback':>11}{'network':>11}")
    for key, label in (("ours", "portal client (pooled, shared budget)"),
                       ("theirs", "QualtricsAPI 0.6.2 (PyPI), same pages"),
                       ("naive", "naive loop (new connection each page)")):
        print(f"{label:40}{calls:>10}{sides['loopback'][key]:>10.2f}s{sides['network'][key]:>10.2f}s")
    print(f"loopback: a new connection's TCP and TLS handshakes cost CPU only; network: they also cost the two "
          f"round trips ({options.rtt_ms:g} ms each) they take to a Qualtrics datacenter over the internet.")
    ratios = {label: side["theirs"] / side["ours"] for label, side in sides.items()}
    naive = sides["network"]["naive"] / sides["network"]["ours"]
    print(f"QualtricsAPI / portal client: loopback {ratios['loopback']:.2f}x, network {ratios['network']:.2f}x "
          f"(naive / portal client over the network: {naive:.2f}x). Goal (≥ {GOAL_RATIO}x faster than QualtricsAPI, "
          f"over a network): {met(ratios['network'] >= GOAL_RATIO)}")


def paged(options, sandbox: SandboxProcess, client, base_url: str, token: str, directory_id: str) -> dict:
    """Median seconds of each side paging through the directory, and the number of requests a paging takes."""
    client.whoami()  # warm: imports done, the pooled connection open
    naive_pages(base_url, token, directory_id, options.page_size, sandbox.verify)
    ours_times, naive_times = [], []
    for _ in range(options.rounds):
        (ours_contacts, ours_calls), seconds = timed(lambda: client_pages(client, directory_id, options.page_size))
        ours_times.append(seconds)
        (naive_contacts, naive_calls), seconds = timed(
            lambda: naive_pages(base_url, token, directory_id, options.page_size, sandbox.verify))
        naive_times.append(seconds)
    theirs_contacts, theirs_times = qualtricsapi_pages(sandbox, token, directory_id, options.rounds)
    assert ours_contacts == naive_contacts == theirs_contacts == options.contacts, (
        ours_contacts, naive_contacts, theirs_contacts)
    assert ours_calls == naive_calls, (ours_calls, naive_calls)
    ours, naive, theirs = (statistics.median(t) for t in (ours_times, naive_times, theirs_times))
    return {"ours": ours, "theirs": theirs, "naive": naive, "calls": ours_calls}


if __name__ == "__main__":
    main()
