"""Page through 10,000 XM Directory contacts: the portal's client against a naive loop.

Both read the same sandbox (started in this process with 20 ms of latency per call) with the same
page size. The client keeps one pooled keep-alive connection; the naive loop calls ``requests.get``
for every page, so each page pays for a new TCP connection.

    .venv/bin/python -m bench.client_paging [--contacts 10000] [--latency-ms 20] [--page-size 100]
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests

from qualtrics import QualtricsClient
from sandbox.server import SandboxServer


def naive_pages(base_url: str, token: str, directory_id: str, page_size: int) -> tuple[int, int]:
    """Follow nextPage with a new connection per request; returns (contacts, requests)."""
    url: str | None = f"{base_url}/directories/{directory_id}/contacts"
    params: dict[str, str] | None = {"pageSize": str(page_size), "useNewPaginationScheme": "true"}
    contacts = calls = 0
    while url:
        response = requests.get(url, params=params, headers={"X-API-TOKEN": token}, timeout=30)
        response.raise_for_status()
        result = response.json()["result"]
        contacts += len(result["elements"])
        calls += 1
        url, params = result.get("nextPage"), None
    return contacts, calls


def client_pages(client: QualtricsClient, directory_id: str, page_size: int) -> tuple[int, int]:
    """Follow nextPage with the client; returns (contacts, requests)."""
    calls = []
    counting = client.with_options(hooks=[calls.append])
    contacts = sum(1 for _ in counting.contacts.list(directory_id, page_size=page_size).iter_all())
    return contacts, len(calls)


def timed(run):
    started = time.perf_counter()
    outcome = run()
    return outcome, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the median time is reported")
    options = parser.parse_args(argv)

    with SandboxServer(seed="empty", latency_ms=options.latency_ms) as sandbox:
        created = requests.post(f"{sandbox.root_url}/_sandbox/contacts", json={"count": options.contacts}, timeout=120)
        created.raise_for_status()
        directory_id = created.json()["directoryId"]
        token = sandbox.admin_token

        ours_times, naive_times = [], []
        with QualtricsClient(sandbox.base_url, token) as client:
            client.whoami()  # both sides start warm: imports done, sandbox threads up
            naive_pages(sandbox.base_url, token, directory_id, options.page_size)
            for _ in range(options.rounds):
                (ours_contacts, ours_calls), seconds = timed(
                    lambda: client_pages(client, directory_id, options.page_size)
                )
                ours_times.append(seconds)
                (naive_contacts, naive_calls), seconds = timed(
                    lambda: naive_pages(sandbox.base_url, token, directory_id, options.page_size)
                )
                naive_times.append(seconds)
            pools = client.session.get_adapter(sandbox.base_url).poolmanager.pools
            # urllib3's pool container can only be walked through keys().
            ours_connections = sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118
        ours_time, naive_time = statistics.median(ours_times), statistics.median(naive_times)

    assert ours_contacts == naive_contacts == options.contacts, (ours_contacts, naive_contacts)
    print(
        f"Paging {options.contacts:,} contacts, {options.page_size} a page, "
        f"sandbox latency {options.latency_ms:g} ms per call"
    )
    print(f"{'':28}{'requests':>10}{'connections':>13}{'wall time':>12}{'per request':>14}")
    for label, calls, connections, seconds in (
        ("client (pooled session)", ours_calls, ours_connections, ours_time),
        ("naive (new connection each)", naive_calls, naive_calls, naive_time),
    ):
        print(f"{label:28}{calls:>10}{connections:>13}{seconds:>11.2f}s{seconds / calls * 1000:>12.1f}ms")
    print(f"median of {options.rounds} runs each; ratio naive / client: {naive_time / ours_time:.2f}x")


if __name__ == "__main__":
    main()
