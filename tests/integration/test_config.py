"""Production configuration: refuses what would be unsafe, trusts only nginx's headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import request

from webapp import create_app
from webapp.config import (
    DEV_SECRET,
    Config,
    ProductionConfig,
    _database_url,
    config_from_environment,
)
from webapp.core.web import public

REPO = Path(__file__).resolve().parents[2]
STRONG_SECRET = "5f0c2b1e9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
POSTGRES_URL = "postgresql+psycopg://estatedesk:secret@127.0.0.1:5432/estatedesk"


def production_app(**overrides):
    config = {"SECRET_KEY": STRONG_SECRET, "SQLALCHEMY_DATABASE_URI": POSTGRES_URL, **overrides}
    return create_app(ProductionConfig, config)


@pytest.mark.parametrize(
    "secret", [None, "", DEV_SECRET, "short-but-not-empty", "x" * 31], ids=["unset", "empty", "dev", "short", "31"]
)
def test_production_refuses_a_missing_dev_or_short_secret_key(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set to a random value of at least 32"):
        production_app(SECRET_KEY=secret)


def test_production_refuses_sqlite_unless_explicitly_allowed(monkeypatch, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'prod.db'}"
    monkeypatch.delenv("ESTATEDESK_ALLOW_SQLITE", raising=False)
    with pytest.raises(RuntimeError, match="Production needs DATABASE_URL pointing at PostgreSQL"):
        production_app(SQLALCHEMY_DATABASE_URI=sqlite_url)
    monkeypatch.setenv("ESTATEDESK_ALLOW_SQLITE", "1")
    assert production_app(SQLALCHEMY_DATABASE_URI=sqlite_url).config["SESSION_COOKIE_SECURE"]


def test_production_starts_with_a_strong_secret_and_postgresql():
    app = production_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_production_without_redis_warns_that_login_limits_are_per_worker(caplog):
    production_app(RATELIMIT_STORAGE_URI="memory://")
    assert "REDIS_URL is not set" in caplog.text
    caplog.clear()
    production_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert "REDIS_URL" not in caplog.text


def test_production_session_cookie_is_secure_httponly_and_hsts_is_sent():
    response = production_app().test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "estatedesk_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_trusts_only_the_address_nginx_appended():
    app = production_app()

    @app.get("/_probe")
    @public
    def probe():
        return f"{request.scheme} {request.host} {request.remote_addr}"

    response = app.test_client().get(
        "/_probe",
        headers={
            # A client's own X-Forwarded-For comes first; nginx appends the real address.
            "X-Forwarded-For": "10.9.9.9, 203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "desk.example.com",
        },
    )
    assert response.get_data(as_text=True) == "https desk.example.com 203.0.113.7"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/estate", "postgresql+psycopg://u:p@db:5432/estate"),
        ("postgresql://u:p@db/estate", "postgresql+psycopg://u:p@db/estate"),
        ("postgresql+psycopg://u@db/estate", "postgresql+psycopg://u@db/estate"),
        ("sqlite:////var/lib/estatedesk/trial.db", "sqlite:////var/lib/estatedesk/trial.db"),
    ],
)
def test_database_url_names_the_psycopg_driver(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert _database_url("sqlite:///default.db") == expected


def test_database_url_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert _database_url("sqlite:///default.db") == "sqlite:///default.db"


def test_estatedesk_env_production_selects_the_production_config(monkeypatch):
    monkeypatch.setenv("ESTATEDESK_ENV", "production")
    assert config_from_environment() is ProductionConfig
    monkeypatch.setenv("ESTATEDESK_ENV", "development")
    assert config_from_environment() is Config


def _run_with_environment(code: str, **env) -> subprocess.CompletedProcess:
    """Python in a fresh process (configuration is read at import) from a neutral cwd."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ESTATEDESK_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_"))}
    clean.update(env, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_redis_url_shares_login_limits_across_workers():
    code = "from webapp.config import ProductionConfig as C; print(C.RATELIMIT_STORAGE_URI)"
    shared = _run_with_environment(code, REDIS_URL="redis://127.0.0.1:6379/2")
    assert shared.stdout.strip() == "redis://127.0.0.1:6379/2", shared.stderr
    alone = _run_with_environment(code)
    assert alone.stdout.strip() == "memory://", alone.stderr


def test_production_without_secret_key_in_the_environment_stops_with_the_reason(tmp_path):
    result = _run_with_environment(
        "from webapp import create_app; create_app()",
        ESTATEDESK_ENV="production",
        DATABASE_URL="postgres://estatedesk@127.0.0.1/estatedesk",
        ESTATEDESK_INSTANCE=str(tmp_path),
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    started = _run_with_environment(
        "from webapp import create_app; print(create_app().config['SQLALCHEMY_DATABASE_URI'])",
        ESTATEDESK_ENV="production",
        DATABASE_URL="postgres://estatedesk@127.0.0.1/estatedesk",
        SECRET_KEY=STRONG_SECRET,
        ESTATEDESK_INSTANCE=str(tmp_path),
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "postgresql+psycopg://estatedesk@127.0.0.1/estatedesk"
