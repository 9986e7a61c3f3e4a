"""Start-up configuration: bad settings stop with one line naming the variable; production is hardened."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_check(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    ignored = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "bogus"),
        ("DATABASE_URL", "postgres://user@host:notaport/db"),
        ("CELERY_BROKER_URL", "nope"),
        ("CACHE_URL", "zz://nowhere"),
        ("EMAIL_URL", "bad"),
        ("FIELD_ENCRYPTION_KEY", "not-a-fernet-key"),
        ("QUALTRICS_API_BASE_URL", "ftp://example.org/API/v3"),
        ("PORTAL_MAX_CONNECTIONS", "many"),
        ("PORTAL_MAX_CONNECTIONS", "0"),
    ],
)
def test_it_stops_with_one_line_naming_the_variable(variable, value):
    result = run_check({variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_it_requires_secrets_when_debug_is_off():
    result = run_check({"DEBUG": "0", "SECRET_KEY": "s" * 60})
    assert result.returncode == 2
    assert "FIELD_ENCRYPTION_KEY is required" in result.stderr


def test_it_passes_the_deploy_check_with_production_settings():
    result = run_check(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k" * 20 + "Zy8!qP2#mN5$wX7^" + "r" * 30,
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "portal.example.org",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_runs_on_embedded_defaults_with_no_environment():
    result = run_check({})
    assert result.returncode == 0, result.stderr
