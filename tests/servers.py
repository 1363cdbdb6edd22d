"""The app as production runs it, for tests that start it in a subprocess: gunicorn with
deploy/gunicorn.conf.py and ESTATEDESK_ENV=production, the `flask` command against the same
environment, and a client that talks to gunicorn as nginx would forward a browser.
Everything listens on and talks to 127.0.0.1 only."""

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
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: settings of the machine running the tests that must not reach the app under test
_OWN_SETTINGS = (
    "ESTATEDESK_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_", "GUNICORN_", "WEB_CONCURRENCY",
    "MEDIA_", "S3_", "PUBLIC_BASE_URL",
)


def free_port() -> int:
    """A port nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(database_url: str, tmp_path: Path, port: int, **settings: str) -> dict:
    """The environment of a production server on 127.0.0.1:`port` with two workers; its
    instance and media folders under `tmp_path`. `settings` add to it or override it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
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
    env.update(settings)
    return env


def run_flask(args: list[str], env: dict, cwd: Path) -> str:
    """`flask --app webapp <args>` as an operator runs it; its output. Fails the test if it fails."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "webapp", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


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


@dataclass
class Answer:
    status: int | None  #: None: no answer within the client's timeout, or the connection failed
    headers: dict
    text: str
    started: float
    seconds: float
    error: str = ""


class ForwardedClient:
    """A browser behind nginx over plain HTTP to gunicorn: cookies kept by hand (they are
    Secure, and this is plain http to 127.0.0.1), X-Forwarded-* headers as nginx sets
    them. May be used from several threads (one connection per request)."""

    def __init__(self, port: int, *, user_agent: str, timeout: float = 20):
        self.port = port
        self.user_agent = user_agent
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        #: every Set-Cookie header received, as sent
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Host": f"127.0.0.1:{self.port}",
            "User-Agent": self.user_agent,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Flask-WTF checks the referrer of HTTPS form posts, as a browser sends it.
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for raw in response.msg.get_all("Set-Cookie") or []:
                self.set_cookies.append(raw)
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, dict(response.getheaders()), text, started, time.monotonic() - started)
        finally:
            connection.close()
