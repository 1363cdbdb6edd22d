"""Sign-in rate limits (ORG-01): failed attempts per username and per address, shared by
every worker process through the configured storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.conftest import post
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db

REDIS_URL = "redis://127.0.0.1:6379/15"
PAUSED_ZH = "登录失败次数过多"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _attempt(client, username: str, password: str, address: str = "127.0.0.2"):
    return post(
        client, "/login", {"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _fail(client, username: str, times: int, address: str = "127.0.0.2") -> None:
    for _ in range(times):
        assert _attempt(client, username, "wrong-password", address).status_code == 422


def _per_username(app) -> int:
    return int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])


def test_org01_after_too_many_failures_even_the_right_password_is_paused(client, world, app):
    with time_machine.travel(START, tick=False) as clock:
        _fail(client, "own.pm", _per_username(app))
        paused = _attempt(client, "own.pm", factories.PASSWORD)
        assert paused.status_code == 429
        html = paused.get_data(as_text=True)
        assert PAUSED_ZH in html and "15" in html
        assert 'value="own.pm"' in html
        assert not client.get("/").status_code == 200

        # Another person on the same network is not affected by this username's limit.
        assert _attempt(client, "own.receptionist", factories.PASSWORD).status_code == 303
        post(client, "/logout")

        clock.shift(timedelta(minutes=16))
        assert _attempt(client, "own.pm", factories.PASSWORD).status_code == 303


def test_org01_the_username_limit_ignores_case_and_spaces(client, world, app):
    for variant in ["OWN.PM", " own.pm", "Own.Pm "][: _per_username(app)]:
        _fail(client, variant, 1)
    _fail(client, "own.pm", _per_username(app) - 3)
    assert _attempt(client, "own.pm", factories.PASSWORD).status_code == 429


def test_org01_successful_sign_ins_do_not_count(client, world, app):
    for _ in range(_per_username(app) + 2):
        assert _attempt(client, "own.pm", factories.PASSWORD).status_code == 303
        assert post(client, "/logout").status_code == 303
    _fail(client, "own.pm", _per_username(app) - 1)
    assert _attempt(client, "own.pm", factories.PASSWORD).status_code == 303


def test_org01_an_expired_form_does_not_count(client, world, app):
    for _ in range(_per_username(app) + 1):
        response = client.post("/login", data={"username": "own.pm", "password": "wrong-password"})
        assert response.status_code == 400
    assert _attempt(client, "own.pm", factories.PASSWORD).status_code == 303


def test_org01_failures_are_limited_per_address_across_usernames(client, world, app):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for username in ("own.pm", "own.staff", "nobody.here"):
        _fail(client, username, 1, address="127.0.0.3")
    assert _attempt(client, "own.receptionist", factories.PASSWORD, "127.0.0.3").status_code == 429
    assert _attempt(client, "own.receptionist", factories.PASSWORD, "127.0.0.4").status_code == 303


# Several worker processes ------------------------------------------------------------


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: start redis-server to run this test")
    return connection


def _worker(app, storage_uri: str):
    """Another gunicorn worker: its own app object and its own rate-limit storage object."""
    worker = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "MEDIA_DIR": app.config["MEDIA_DIR"],
            "RATELIMIT_STORAGE_URI": storage_uri,
        },
    )
    return worker


def _dispose(*apps) -> None:
    for each in apps:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


def _failures_split_over_two_workers(app, storage_uri: str) -> int:
    """Fail some attempts through worker A, the rest through a newly started worker B,
    then try the right password on B; returns B's status."""
    limit = _per_username(app)
    worker_a = _worker(app, storage_uri)
    try:
        _fail(worker_a.test_client(), "own.pm", limit - 2)
        worker_b = _worker(app, storage_uri)  # its own storage connection from here on
        try:
            client_b = worker_b.test_client()
            _fail(client_b, "own.pm", 2)
            return _attempt(client_b, "own.pm", factories.PASSWORD).status_code
        finally:
            _dispose(worker_b)
    finally:
        _dispose(worker_a)


def test_org01_the_sign_in_limit_holds_across_worker_processes_with_redis(app, world):
    redis = _redis_or_skip()
    redis.flushdb()
    try:
        assert _failures_split_over_two_workers(app, REDIS_URL) == 429
    finally:
        redis.flushdb()


def test_org01_without_shared_storage_each_worker_counts_alone(app, world):
    """Why production sets REDIS_URL: in-memory counts are per process."""
    assert _failures_split_over_two_workers(app, "memory://") == 303


def test_rcp01_the_owners_form_limit_holds_across_worker_processes_with_redis(app, world):
    """The QR form's sending limit (and with it every limit of the one app-wide limiter:
    the owners' pages, the activity pages) is counted in the shared storage."""
    from tests.web.test_reception_public import _send

    redis = _redis_or_skip()
    redis.flushdb()
    app.config["OWNER_FORM_LIMIT"] = "3 per hour"
    worker_a = _worker(app, REDIS_URL)
    worker_b = _worker(app, REDIS_URL)
    try:
        for worker in (worker_a, worker_b):
            worker.config["OWNER_FORM_LIMIT"] = "3 per hour"
        with time_machine.travel(START, tick=False) as clock:
            phone_on_a, phone_on_b = worker_a.test_client(), worker_b.test_client()
            assert _send(phone_on_a, clock).status_code == 303
            assert _send(phone_on_a, clock).status_code == 303
            assert _send(phone_on_b, clock).status_code == 303
            assert _send(phone_on_b, clock).status_code == 429
            assert _send(phone_on_a, clock).status_code == 429
    finally:
        _dispose(worker_a, worker_b)
        redis.flushdb()
