"""The README's run command brings up the whole portal: log in with what it prints, see the dashboard."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_bin_run_starts_everything_and_prints_a_working_login(browser, tmp_path, shot):
    web_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CELERY_", "CACHE_URL", "PYTEST_", "DJANGO_ALLOW"))}
    env.update(PORTAL_VAR_DIR=str(tmp_path / "var"), PORT=str(web_port), SANDBOX_PORT=str(sandbox_port))
    process = subprocess.Popen(
        ["bin/run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
        # As from a terminal, whatever this test process did with SIGINT before: a shell cannot trap a signal
        # it was started ignoring, and then Ctrl-C would not reach bin/run's clean-up.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(output)
        login_url = re.search(r"Log in at\s+(\S+)", text)
        password = re.search(r"Password\s+(\S+)", text)
        assert login_url and password, text

        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(login_url.group(1))
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password.group(1))
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{login_url.group(1)}")
        assert page.get_by_role("heading", name=re.compile("Welcome")).is_visible()
        connections = page.get_by_test_id("dashboard-connections")
        assert connections.get_by_text("Acme (sandbox)").is_visible()
        assert connections.get_by_text("Globex (sandbox)").is_visible()
        assert connections.get_by_text("Acme (OAuth)").is_visible()
        assert connections.get_by_text("test OK").count() == 3
        assert page.get_by_test_id("dashboard-failing").get_by_text("Every connection passed").is_visible()
        # The worker with beat checks in within a few seconds; the warning then goes away.
        for _ in range(30):
            page.reload()
            if page.get_by_test_id("worker-warning").count() == 0:
                break
            time.sleep(1)
        assert page.get_by_test_id("worker-warning").count() == 0
        shot(page, "bin-run-dashboard")
        # It runs as production does: static files under hashed names from WhiteNoise, gunicorn answering,
        # and an unknown address is the portal's own page with its navigation, not Django's technical 404.
        stylesheet = page.locator("link[rel=stylesheet]").last.get_attribute("href")
        assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet), stylesheet
        served = page.request.get(f"{login_url.group(1).rstrip('/')}{stylesheet}")
        assert served.status == 200 and "max-age=315360000" in served.headers["cache-control"]
        assert served.headers.get("server", "").startswith("gunicorn")
        missing = page.goto(f"{login_url.group(1)}no-such-page/")
        assert missing.status == 404
        assert page.get_by_test_id("not-found").is_visible()
        assert "URLconf" not in page.content() and "DEBUG = True" not in page.content()
        page.get_by_role("link", name="Back to the dashboard").click()
        assert page.get_by_role("heading", name=re.compile("Welcome")).is_visible()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{login_url.group(1)}c/999999/")
        assert page.get_by_test_id("not-found").is_visible()
        shot(page, "bin-run-not-found-390")
        context.close()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    rest = process.stdout.read()
    assert "Stopping the portal" in rest, (process.returncode, rest)
