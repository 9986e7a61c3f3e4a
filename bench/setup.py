"""What the benchmarks share: a PostgreSQL database and a Redis cache named by the environment, and Django
set up with production settings (DEBUG off, cached templates) minus HTTPS, which the test client does not
speak."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from urllib.parse import urlsplit


def database_from_env() -> tuple[dict, str]:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or not parts.path.strip("/"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/portal_bench")
    server = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432, "user": parts.username or "postgres"}
    if parts.password:
        server["password"] = parts.password
    return server, parts.path.strip("/")


def create_database_if_missing(server: dict, name: str) -> bool:
    """True when this run created it."""
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(server: dict, name: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_cache_database() -> None:
    url = os.environ.get("CACHE_URL", "")
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise SystemExit("Set CACHE_URL to a Redis database of the benchmark's own, e.g. redis://127.0.0.1:6379/11")
    import redis

    redis.Redis.from_url(url).flushdb()


def setup_django(workdir: Path, base_url_template: str) -> None:
    from cryptography.fernet import Fernet

    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["PORTAL_VAR_DIR"] = str(workdir)
    os.environ["QUALTRICS_API_BASE_URL"] = base_url_template
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production settings (DEBUG off: cached templates), minus HTTPS, which the test client does not speak.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-" + Fernet.generate_key().decode())
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("PORTAL_TESTING", "true")  # plain static files storage: no collectstatic manifest
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    (workdir / "staticfiles").mkdir(exist_ok=True)  # STATIC_ROOT, which whitenoise expects


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def redis_url(variable: str) -> str:
    url = os.environ.get(variable, "")
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise SystemExit(f"Set {variable} to a Redis database of the benchmark's own, e.g. redis://127.0.0.1:6379/11")
    return url


def empty_broker_database() -> str:
    """Empty the Redis database CELERY_BROKER_URL names (the benchmark's own) and return its URL."""
    import redis

    url = redis_url("CELERY_BROKER_URL")
    redis.Redis.from_url(url).flushdb()
    return url


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def busiest_window(per_second: dict[int, int], window: int) -> int:
    """The most events inside any `window` consecutive whole seconds."""
    if not per_second:
        return 0
    first, last = min(per_second), max(per_second)
    return max(sum(per_second.get(s, 0) for s in range(start, start + window)) for start in range(first, last + 1))


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and of its living descendants (Linux /proc), plus what its
    ended children were charged (cutime, cstime)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields after the command: state is [0]; utime, stime, cutime, cstime are [11:15].
        total += sum(int(v) for v in fields[11:15]) / ticks
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return total
