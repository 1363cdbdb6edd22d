"""Chromium at a phone viewport over a live server (APP-01, EST-02).

Debian's /usr/bin/chromium through Playwright (`make browser-deps` installs it with the CJK
fonts; never `playwright install`). One browser per session, a fresh context per test, a
live server per test over that test's SQLite file with CSRF on, as in production.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "screen": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
}


def pytest_collection_modifyitems(items):
    if shutil.which(CHROMIUM) is None:
        skip = pytest.mark.skip(reason="needs Debian's chromium: run `make browser-deps`")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def database() -> str:
    """Browser tests prove the flows once, on SQLite (the app tests cover PostgreSQL)."""
    return "sqlite"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return dict(PHONE)


@pytest.fixture
def live_server(app, world) -> Iterator[str]:
    """The app served on 127.0.0.1 on a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass
class Violations:
    """Console errors and Content-Security-Policy violations seen by the pages of a context."""

    console: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.console or self.csp)


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def violations(context) -> Violations:
    """Collects console errors/warnings and securitypolicyviolation events of every page."""
    seen = Violations()
    context.expose_binding("reportViolation", lambda _source, text: seen.csp.append(text))
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        if message.type in ("error", "warning"):
            seen.console.append(f"{message.type}: {message.text}")

    def watch(page):
        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.console.append(f"uncaught: {error}"))

    for page in context.pages:
        watch(page)
    context.on("page", watch)
    return seen


def wait_for_service_worker(page) -> str:
    """Resolves once a service worker controls the scope and is active; its state."""
    return page.evaluate(
        """async () => {
            const worker = (await navigator.serviceWorker.ready).active;
            if (worker.state !== "activated") {
                await new Promise((done) => worker.addEventListener("statechange", () => {
                    if (worker.state === "activated") done();
                }));
            }
            return worker.state;
        }"""
    )


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, username): types into the real login form and submits it."""

    def do_sign_in(page, username: str, password: str = factories.PASSWORD, path: str = "/login"):
        if path:
            page.goto(live_server + path)
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

    return do_sign_in


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where a test keeps its screenshots (under pytest's tmp dir)."""
    path = tmp_path / "screenshots"
    path.mkdir()
    return path
