"""The API gateway's overhead: one contacts page through the gateway (4 gunicorn workers on PostgreSQL + Redis)
against the same Qualtrics call made directly, both against one sandbox process with 50 ms of latency per call;
then 200 calls at once through the gateway, none of which may fail.

Where things run comes from the environment, as for the portal itself:

- DATABASE_URL (required, postgres://…): created if missing (and dropped at the end if this run created it,
  unless --keep-database), then migrated; the gunicorn workers share it;
- CACHE_URL (required, redis://…/N): the cache, which carries the brand's shared rate budget and the keys'
  caps for every worker; this Redis database is emptied first, so give the benchmark its own.

Both sides are timed from this process as a client sees them: one ``requests`` session each, the same page
of contacts, interleaved rounds after a warm-up, medians compared. The gateway's time includes everything it
does per call: the key's lookup and checks, a slot of the brand's budget, the token's decryption, the relay
and the call's audit row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench CACHE_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python -m bench.gateway_overhead [--latency-ms 50] [--rounds 60] [--concurrent 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.setup import (
    create_database_if_missing,
    database_from_env,
    drop_database,
    empty_cache_database,
    median_ms,
    setup_django,
)

GOAL = 1.10
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (above 1: gunicorn's gthread workers, which keep connections alive)")
    parser.add_argument("--keep-database", action="store_true", help="keep a database this run created")
    options = parser.parse_args(argv)
    server, database = database_from_env()
    empty_cache_database()
    created = create_database_if_missing(server, database)
    try:
        run(options)
    finally:
        if created and not options.keep_database:
            from django.db import connections

            connections.close_all()
            drop_database(server, database)


def start_gunicorn(workdir: Path, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    import requests

    port = _free_port()
    env = {**os.environ, "PORTAL_VAR_DIR": str(workdir), "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--threads", str(threads), "--backlog", "2048", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
        try:
            requests.get(f"{url}/api/qualtrics/0/API/v3/whoami", timeout=20)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def run(options) -> None:
    from bench.sandbox_process import SandboxProcess

    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(latency_ms=0) as sandbox:
        setup_django(Path(tmp), sandbox.base_url_template)
        import requests
        from django.db import connection as db

        from connections.models import Role
        from gateway.models import GatewayCall
        from gateway.services import api_key_issue
        from tests.factories import make_connection, make_user

        acme = sandbox.brand("acme")
        owner = make_user("bench")
        connection = make_connection(owner, name="Bench", datacenter=acme["datacenter"], token=sandbox.admin_token,
                                     brand_id="acme", account_type="UT_BRANDADMIN")
        _key, key_text = api_key_issue(connection=connection, actor=owner, role=Role.MANAGER, name="Bench",
                                       preset="read_only")
        direct_base = sandbox.base_url_template.replace("{datacenter}", acme["datacenter"])
        directory = requests.get(f"{direct_base}/directories", headers={"X-API-TOKEN": sandbox.admin_token},
                                 timeout=10).json()["result"]["elements"][0]["directoryId"]
        requests.post(f"{sandbox.root_url}/_sandbox/config", json={"latency_ms": options.latency_ms},
                      timeout=10).raise_for_status()
        path = f"/directories/{directory}/contacts?pageSize=50"
        db.close()
        gunicorn, portal_url = start_gunicorn(Path(tmp), options.workers, options.threads)
        try:
            gateway_base = f"{portal_url}/api/qualtrics/{connection.pk}/API/v3"
            direct_session, gateway_session = requests.Session(), requests.Session()

            def once(session, base, token) -> float:
                started = time.perf_counter()
                response = session.get(base + path, headers={"X-API-TOKEN": token}, timeout=30)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (response.status_code, response.text[:300])
                assert response.json()["result"]["elements"]
                return elapsed

            for _ in range(options.workers * 3):  # warm-up: every worker's imports, pools and templates
                once(gateway_session, gateway_base, key_text)
                once(direct_session, direct_base, sandbox.admin_token)
            gateway, direct = [], []
            for _ in range(options.rounds):  # interleaved, so both see the same machine load
                gateway.append(once(gateway_session, gateway_base, key_text))
                direct.append(once(direct_session, direct_base, sandbox.admin_token))

            def refused_once() -> float:  # the web stack alone: no key, so no database, no budget, no Qualtrics
                started = time.perf_counter()
                response = gateway_session.get(gateway_base + path, timeout=30)
                elapsed = time.perf_counter() - started
                assert response.status_code == 401
                return elapsed

            floor = [refused_once() for _ in range(options.rounds)]

            def burst_call(_n) -> int:
                try:
                    return requests.get(gateway_base + path, headers={"X-API-TOKEN": key_text}, timeout=60).status_code
                except requests.RequestException:
                    return 0

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=options.concurrent) as pool:
                statuses = list(pool.map(burst_call, range(options.concurrent)))
            burst_s = time.perf_counter() - started
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        recorded = GatewayCall.objects.count()

    g, d = median_ms(gateway), median_ms(direct)
    failed = [s for s in statuses if s != 200]
    print(f"API gateway, one page of 50 contacts, sandbox latency {options.latency_ms:g} ms, {options.rounds} rounds "
          f"(medians), {options.workers} gunicorn workers × {options.threads} thread(s) on {db.vendor}")
    print(f"  through the gateway:           {g:8.1f} ms")
    print(f"  same Qualtrics call directly:  {d:8.1f} ms")
    print(f"  ratio gateway / direct:        {g / d:8.3f}  (the gateway adds {g - d:.1f} ms, {100 * (g / d - 1):.1f}%)")
    print(f"  goal: at most {GOAL:.2f}×            {'met' if g / d <= GOAL else 'NOT met'}")
    print(f"  a call refused at once (no key: the web server and Django alone): {median_ms(floor):.1f} ms")
    print(f"  {options.concurrent} calls at once: {len(failed)} failed ({sorted(set(failed)) or 'none'}), "
          f"{burst_s:.1f} s in all        {'met' if not failed else 'NOT met'}")
    print(f"  calls recorded in the audit: {recorded}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
