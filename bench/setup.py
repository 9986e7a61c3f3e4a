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
