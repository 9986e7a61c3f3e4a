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


def setting_in_a_fresh_process(name: str, env_overrides: dict) -> str:
    ignored = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "PYTEST_XDIST_WORKER"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(env_overrides)
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{name})"],
        cwd="/", env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("email_url", "folder"),
    [
        (None, "{var}/mail"),  # the demo's default, under an absolute PORTAL_VAR_DIR
        ("filemail:///srv/portal-mail", "/srv/portal-mail"),
        ("filemail://var/outbox", f"{ROOT}/var/outbox"),
    ],
)
def test_mail_files_go_to_the_folder_the_url_names_wherever_the_process_starts(tmp_path, email_url, folder):
    env = {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_TESTING": "0"}
    if email_url:
        env["EMAIL_URL"] = email_url
    assert setting_in_a_fresh_process("EMAIL_FILE_PATH", env) == folder.format(var=tmp_path)
