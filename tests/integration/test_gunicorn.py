"""The production stack for real: gunicorn with deploy/gunicorn.conf.py on PostgreSQL.

The database is built the way the deployment guide builds it (`flask db upgrade`,
`flask demo`), the app runs with ESTATEDESK_ENV=production, and a client signs in over
HTTP with the headers nginx adds. Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.databases import TEST_DATABASE_URL, throwaway_database
from tests.servers import ForwardedClient, Gunicorn, free_port, production_environment, run_flask
from webapp.demo import DEMO_PASSWORD

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pg,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL"),
]


def test_gunicorn_serves_a_signed_in_user_their_work_on_postgresql(tmp_path):
    deadline = time.monotonic() + 30
    port = free_port()
    with throwaway_database("estatedesk_gunicorn_test") as database_url:
        env = production_environment(database_url, tmp_path, port)
        run_flask(["db", "upgrade"], env, tmp_path)
        logins = run_flask(["demo"], env, tmp_path)
        assert "ch.reception" in logins

        server = Gunicorn(env, tmp_path)
        try:
            server.wait_for(rf"Listening at: http://127\.0\.0\.1:{port}\b", deadline)
            server.wait_for(r"Using worker: gthread", deadline)
            browser = ForwardedClient(port, user_agent="Mozilla/5.0 (Linux; Android 14) gunicorn-test")

            login = browser.request("GET", "/login?next=/estate/?q=13900001111")
            assert login.status == 200, login.text
            assert any("Secure" in raw for raw in browser.set_cookies), browser.set_cookies
            assert "Strict-Transport-Security" in login.headers
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.text).group(1)

            signed_in = browser.request(
                "POST", "/login", {"csrf_token": token, "username": "ch.reception", "password": DEMO_PASSWORD}
            )
            assert signed_in.status == 303, signed_in.text
            assert signed_in.headers["Location"] in ("/", f"https://127.0.0.1:{port}/")

            home = browser.request("GET", "/")
            assert home.status == 200, home.text
            assert "我的工作" in home.text
            assert home.headers.get("Cache-Control") == "no-store"
        finally:
            log = server.stop()
    assert log.count("Booting worker") == 2, log
    # The access log names paths only: no query string (a searched phone number here).
    assert '"GET /login HTTP/1.1" 200' in log and '"POST /login HTTP/1.1" 303' in log, log
    assert "13900001111" not in log
