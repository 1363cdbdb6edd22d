"""The production stack for real: gunicorn with deploy/gunicorn.conf.py on PostgreSQL.

The database is built the way the deployment guide builds it (`flask db upgrade`,
`flask demo`), the app runs with ESTATEDESK_ENV=production, and a client signs in over
HTTP with the headers nginx adds. Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.databases import TEST_DATABASE_URL, throwaway_database
from webapp.demo import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pg,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _production_environment(database_url: str, tmp_path: Path, port: int) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ESTATEDESK_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_", "GUNICORN_", "WEB_CONCURRENCY"))
    }
    env.update(
        ESTATEDESK_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        ESTATEDESK_INSTANCE=str(tmp_path / "instance"),
        MEDIA_DIR=str(tmp_path / "media"),
        ESTATEDESK_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PYTHONPATH=str(REPO),
    )
    return env


class Gunicorn:
    """gunicorn in a subprocess; its log lines arrive on a queue, read by a thread."""

    def __init__(self, env: dict, cwd: Path):
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "webapp:create_app()"],
            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, deadline: float) -> str:
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"gunicorn did not log {pattern!r} in time:\n" + "".join(self.log))
            if line is None:
                pytest.fail("gunicorn exited:\n" + "".join(self.log))
            self.log.append(line)
            if re.search(pattern, line):
                return line

    def stop(self) -> str:
        """Terminate gunicorn; its whole log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        while (line := self.lines.get(timeout=5)) is not None:
            self.log.append(line)
        return "".join(self.log)


class Browser:
    """Just enough of a browser behind nginx: cookies kept by hand (they are Secure, and
    this is plain http to 127.0.0.1), X-Forwarded-* headers as nginx sets them."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Host": f"127.0.0.1:{self.port}",
            "User-Agent": "Mozilla/5.0 (Linux; Android 14) gunicorn-test",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Flask-WTF checks the referrer of HTTPS form posts, as a browser sends it.
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for raw in response.msg.get_all("Set-Cookie") or []:
                self.set_cookies.append(raw)
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()


def _flask(args: list[str], env: dict, cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "webapp", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_gunicorn_serves_a_signed_in_user_their_work_on_postgresql(tmp_path):
    deadline = time.monotonic() + 30
    port = _free_port()
    with throwaway_database("estatedesk_gunicorn_test") as database_url:
        env = _production_environment(database_url, tmp_path, port)
        _flask(["db", "upgrade"], env, tmp_path)
        logins = _flask(["demo"], env, tmp_path)
        assert "ch.reception" in logins

        server = Gunicorn(env, tmp_path)
        try:
            server.wait_for(rf"Listening at: http://127\.0\.0\.1:{port}\b", deadline)
            server.wait_for(r"Using worker: gthread", deadline)
            browser = Browser(port)

            status, headers, page = browser.request("GET", "/login?next=/estate/?q=13900001111")
            assert status == 200, page
            assert any("Secure" in raw for raw in browser.set_cookies), browser.set_cookies
            assert "Strict-Transport-Security" in headers
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

            status, headers, page = browser.request(
                "POST", "/login", {"csrf_token": token, "username": "ch.reception", "password": DEMO_PASSWORD}
            )
            assert status == 303, page
            assert headers["Location"] in ("/", f"https://127.0.0.1:{port}/")

            status, headers, page = browser.request("GET", "/")
            assert status == 200, page
            assert "我的工作" in page
            assert headers.get("Cache-Control") == "no-store"
        finally:
            log = server.stop()
    assert log.count("Booting worker") == 2, log
    # The access log names paths only: no query string (a searched phone number here).
    assert '"GET /login HTTP/1.1" 200' in log and '"POST /login HTTP/1.1" 303' in log, log
    assert "13900001111" not in log
