"""The README's production set-up, followed as written: DEBUG off, the documented variables, migrate,
collectstatic, createsuperuser and gunicorn; then every family of pages renders with its static files.

The commands are read from the README's own code block, so the README cannot drift from what works.
Two documented substitutions only: SQLite and the embedded broker instead of PostgreSQL and Redis (the
`DATABASE_URL`, `CELERY_BROKER_URL` and `CACHE_URL` line is left out), and gunicorn bound to a free
loopback port. Requests carry what the documented TLS proxy adds (`X-Forwarded-Proto: https`) and the
host name the README allows.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
ADMIN_PASSWORD = "a-long-production-password-" + secrets.token_hex(4)


def production_block() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running on PostgreSQL and Redis with several workers", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def production_environment(lines: list[str], tmp_path: Path, sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CELERY_", "CACHE_URL", "PYTEST_", "DJANGO_", "PORTAL_", "DEBUG"))}
    generated = {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    exports = [line for line in lines if line.startswith("export ")]
    assert exports, "the README's production block sets no variable"
    for line in exports:
        for assignment in shlex.split(line)[1:]:
            name, value = assignment.split("=", 1)
            if name in SERVICE_VARIABLES:
                continue
            env[name] = generated[name] if value == "…" else value
    assert env["DEBUG"] == "false" and set(generated) <= env.keys()
    env.update(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        QUALTRICS_API_BASE_URL=sandbox.base_url_template,
        DJANGO_SUPERUSER_USERNAME="root",
        DJANGO_SUPERUSER_EMAIL="root@example.org",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThroughTheProxy:
    """Requests as the documented TLS proxy forwards them. The session cookie is HTTPS-only, so the
    cookies are carried by hand rather than by a cookie jar that would keep them off plain HTTP."""

    def __init__(self, port: int, host: str):
        self.base = f"http://127.0.0.1:{port}"
        self.host = host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.setdefault("Origin", f"https://{self.host}")
        response = requests.request(method, urljoin(self.base, path), headers=headers, allow_redirects=False,
                                    timeout=60, **kwargs)
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.request("POST", path, data={"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data},
                            **kwargs)

    def local(self, location: str) -> str:
        return re.sub(rf"^https://{re.escape(self.host)}", "", location)


def run(command: str, env: dict, *extra: str) -> None:
    result = subprocess.run([*shlex.split(command), *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def production(tmp_path, sandbox):
    lines = production_block()
    env = production_environment(lines, tmp_path, sandbox)
    setup = next(line for line in lines if "manage.py migrate" in line)
    assert "collectstatic --no-input" in setup
    for command in setup.split("&&"):
        run(command.strip(), env)
    run(next(line for line in lines if "manage.py createsuperuser" in line), env, "--no-input")

    gunicorn = next(line for line in lines if "gunicorn" in line)
    assert re.search(r"-b 0\.0\.0\.0:8000\b", gunicorn), gunicorn
    port = free_port()
    argv = shlex.split(re.sub(r"-b 0\.0\.0\.0:8000", f"-b 127.0.0.1:{port}", re.sub(r"-w \d+", "-w 2", gunicorn)))
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        proxy = ThroughTheProxy(port, env["ALLOWED_HOSTS"].split(",")[0])
        deadline = time.monotonic() + 60
        while True:
            try:
                if proxy.get("/login/").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield proxy, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


STATIC_REFERENCE = re.compile(r"""(?:src|href)=["'](/static/[^"'?#]+)""")


def test_the_readme_production_setup_serves_every_page_family(production, sandbox):
    proxy, log = production
    assert proxy.request("GET", "/login/", headers={"X-Forwarded-Proto": "http"}).status_code == 301
    login = proxy.get("/login/")
    assert login.headers["Strict-Transport-Security"].startswith("max-age=")
    static_files = set(STATIC_REFERENCE.findall(login.text))
    response = proxy.post("/login/", {"username": "root", "password": ADMIN_PASSWORD})
    assert response.status_code == 302, response.text[:2000]

    created = proxy.post("/connections/new/", {"name": "Acme", "datacenter": "iad1", "token": sandbox.admin_token,
                                               "notify_days_before": 14, "enabled": "on"})
    assert created.status_code == 302, created.text[:3000]
    connection = proxy.local(created.headers["Location"])
    assert re.fullmatch(r"/c/\d+/", connection), connection

    pages = ["/", "/connections/", connection, f"{connection}users/",
             f"{connection}groups/", f"{connection}distributions/", f"{connection}distributions/new/email/",
             "/admin/", "/admin/connections/connection/", f"/admin/connections/connection/{connection[3:-1]}/change/",
             "/admin/auth/group/"]
    # With one directory, the directory page opens its contacts.
    contacts = proxy.get(f"{connection}directory/")
    assert contacts.status_code == 302, contacts.status_code
    pages += [f"{connection}directory/?all=1", proxy.local(contacts.headers["Location"])]

    for path in pages:
        page = proxy.get(path)
        assert page.status_code == 200, f"{path}: HTTP {page.status_code}\n{page.text[:2000]}"
        assert "text/html" in page.headers["Content-Type"]
        assert "script-src 'self'" in page.headers["Content-Security-Policy"], path
        assert "no-store" in page.headers["Cache-Control"], path
        found = set(STATIC_REFERENCE.findall(page.text))
        assert found, f"{path} references no static file"
        static_files |= found
    assert any(name.endswith(".css") for name in static_files) and any(n.endswith(".js") for n in static_files)
    for name in sorted(static_files):
        served = proxy.get(name)
        assert served.status_code == 200 and served.content, f"{name}: HTTP {served.status_code}"
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg|png|gif|woff2?)$", name), f"{name} is not a hashed name"
    output = log.read_text()
    for trouble in ("Missing staticfiles manifest entry", "MissingFileError", "Traceback", "Internal Server Error"):
        assert trouble not in output, output


def test_no_static_file_refers_to_a_source_map_that_is_not_there():
    """The vendored files come without their source maps; a reference to one stops collectstatic."""
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for reference in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(encoding="utf-8")):
            if not (path.parent / reference).exists():
                missing.append(f"{path.relative_to(ROOT)} → {reference}")
    assert not missing, missing
