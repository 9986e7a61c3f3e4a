"""Command-line running of the sandbox, shared by `manage.py qualtrics_sandbox` and `python -m sandbox`."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, TextIO

from .seed import SEEDS
from .server import SandboxServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--seed", choices=SEEDS, default="demo", help="starting data (default demo)")
    parser.add_argument("--token", action="append", default=[], metavar="TOKEN",
                        help="extra brand-admin token for acme (or BRAND:TOKEN); repeatable")
    parser.add_argument("--latency-ms", type=float, default=0, help="milliseconds added to every API response")
    parser.add_argument("--connect-latency-ms", type=float, default=0,
                        help="milliseconds a new connection waits before it is served, as its TCP and TLS "
                             "handshakes cost over a network (default 0)")
    parser.add_argument("--fail-rate", type=float, default=0.0,
                        help="fraction of API requests answered with a transient 500 (0-1)")
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="brand-wide requests per minute (default 3000; 0 turns it off)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a certificate made at start (prints the CA file to trust)")
    parser.add_argument("--tls-dir", default=None, metavar="DIR",
                        help="with --tls, write the CA and server certificate here (default: a temporary directory)")


def build(options: dict[str, Any]) -> SandboxServer:
    return SandboxServer(
        host=options["host"], port=options["port"], seed=options["seed"], tokens=tuple(options["token"] or ()),
        latency_ms=options["latency_ms"], fail_rate=options["fail_rate"], rate_limit=options["rate_limit"],
        tls=bool(options.get("tls")), tls_dir=options.get("tls_dir"),
        switches={"connect_latency_ms": options.get("connect_latency_ms") or 0},
    )


def describe(server: SandboxServer) -> str:
    info = server.info()
    lines = [
        "Qualtrics sandbox is running.",
        f"  base URL:          {info['baseUrl']}",
        f"  base URL template: {info['baseUrlTemplate']}",
        f"  control:           {info['rootUrl']}/_sandbox/info",
        f"  seed:              {info['seed']}",
    ]
    if server.ca_file:
        lines.append(f"  CA certificate:    {server.ca_file}  (trust it, e.g. REQUESTS_CA_BUNDLE={server.ca_file})")
    lines.append("Tokens (X-API-TOKEN):")
    for brand in info["brands"]:
        for row in brand["tokens"]:
            role = "brand admin" if row["admin"] else "non-admin  "
            lines.append(f"  {brand['brandId']:<8} {brand['datacenter']:<5} {role}  {row['token']}  {row['userName']}")
    lines.append(f"OAuth clients (POST {server.token_url}, HTTP Basic clientId:clientSecret):")
    for brand in info["brands"]:
        for row in brand["oauthClients"]:
            scopes = " ".join(row["scopes"])
            lines.append(f"  {brand['brandId']:<8} {row['clientId']}  {row['clientSecret']}  {scopes}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def run(options: dict[str, Any], out: TextIO = sys.stdout) -> None:
    try:
        server = build(options)
    except (ValueError, OSError) as error:
        raise SystemExit(f"qualtrics sandbox: {error}") from None

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    _say(out, describe(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _say(out, "Qualtrics sandbox stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the Qualtrics API sandbox.")
    add_arguments(parser)
    run(vars(parser.parse_args(argv)))
