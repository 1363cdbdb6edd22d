"""Configuration read from the environment.

The development default needs nothing set: SQLite under ``instance/``, media under
``instance/media``, rate limits in memory. Production refuses to start on a weak secret.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("ESTATEDESK_INSTANCE", Path.cwd() / "instance"))
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - recognised and refused in production


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting panels still hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'estatedesk.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    MEDIA_DIR = os.environ.get("MEDIA_DIR", str(INSTANCE_DIR / "media"))
    TIME_ZONE = "Asia/Shanghai"

    # Sessions: the signed cookie only names a server-side session row (see org/auth.py),
    # so logging out, disabling a user or changing a password ends every copy of it.
    SESSION_COOKIE_NAME = "estatedesk_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "estatedesk_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    #: a session unused this long ends; a remembered phone gets the long lifetime instead
    SESSION_IDLE_TIMEOUT = timedelta(hours=12)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(days=30)
    #: a session started as "shared tablet" (or a device handed to an owner to sign) ends
    #: after this long unused; a shared tablet's session is never remembered and ends at
    #: the absolute timeout below however much it is used (one working day)
    SHARED_DEVICE_IDLE_TIMEOUT = timedelta(minutes=5)
    SHARED_DEVICE_ABSOLUTE_TIMEOUT = timedelta(hours=12)

    WTF_CSRF_TIME_LIMIT = 12 * 3600
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "memory://"
    )
    RATELIMIT_HEADERS_ENABLED = False
    #: failed logins allowed per username, then per client address
    LOGIN_LIMIT_PER_USERNAME = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    #: the owners' QR form (RCP-01), per client address and project: messages sent, every
    #: sending attempt (corrections included), and page views. Owners on mobile data may
    #: share one carrier address, so the sending limit leaves room for neighbours.
    OWNER_FORM_LIMIT = os.environ.get("OWNER_FORM_LIMIT", "10 per hour;50 per day")
    OWNER_FORM_ATTEMPT_LIMIT = "30 per hour"
    OWNER_PAGE_LIMIT = "300 per hour"
    #: the customer-service centre's opening hours printed on the QR poster, e.g.
    #: "每天 8:00–20:00" (left off the poster when not set)
    OWNER_CONTACT_HOURS = os.environ.get("OWNER_CONTACT_HOURS", "").strip() or None

    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    MEDIA_MAX_UPLOAD_BYTES = 15 * 1024 * 1024
    MEDIA_MAX_PIXELS = 40_000_000
    #: where photos and signatures are kept: "local" (MEDIA_DIR) or "s3" (a private bucket
    #: of S3 or an S3-compatible store; credentials through AWS_ACCESS_KEY_ID and
    #: AWS_SECRET_ACCESS_KEY, as boto3 reads them). `flask media check` tests the settings.
    MEDIA_STORE = os.environ.get("MEDIA_STORE", "local").strip().lower() or "local"
    S3_BUCKET = os.environ.get("S3_BUCKET", "").strip() or None
    #: e.g. http://127.0.0.1:9000 for MinIO; unset for AWS itself
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "").strip() or None
    S3_REGION = os.environ.get("S3_REGION", "").strip() or "us-east-1"
    #: how long the link a photo view redirects to keeps working
    S3_URL_SECONDS = int(os.environ.get("S3_URL_SECONDS", "").strip() or 300)
    #: the store's address as phones reach it, when it differs from S3_ENDPOINT_URL
    #: (links are signed for it, and pages allow images from it)
    S3_PUBLIC_ENDPOINT_URL = os.environ.get("S3_PUBLIC_ENDPOINT_URL", "").strip() or None
    #: behind nginx with the local store, e.g. "/_media/": photo views answer with
    #: X-Accel-Redirect after their own checks and nginx sends the file (internal location)
    MEDIA_ACCEL_PREFIX = os.environ.get("MEDIA_ACCEL_PREFIX", "").strip() or None
    MAX_IMPORT_ROWS = 20000
    #: printed QR labels point here (https://wy.example.com) instead of the host the
    #: sheet was printed from, e.g. when printing from an office-only address
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or None
    #: group robots (APP-04) post only to WeCom's and DingTalk's hosts; a private
    #: deployment's relay (or a test's 127.0.0.1 receiver) is added here, comma-separated
    WEBHOOK_ALLOW_HOSTS = tuple(
        host.strip().lower() for host in os.environ.get("WEBHOOK_ALLOW_HOSTS", "").split(",") if host.strip()
    )
    #: each post to a group robot gives up after this many seconds; a message claimed by a
    #: runner stays its own for at least WEBHOOK_LEASE_SECONDS (then another may send it)
    WEBHOOK_SEND_TIMEOUT = float(os.environ.get("WEBHOOK_SEND_TIMEOUT", "5"))
    WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))
    #: at most this many messages a minute go to one robot (WeCom's and DingTalk's limit)
    WEBHOOK_MESSAGES_PER_MINUTE = int(os.environ.get("WEBHOOK_MESSAGES_PER_MINUTE", "20"))

    #: background jobs (webapp/core/jobs.py) go to RQ on this Redis; unset, they run in
    #: the process right after the commit
    REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None

    #: how long the company view's figures are kept (webapp/core/cache.py); 0: never
    EVALUATION_CACHE_SECONDS = int(os.environ.get("EVALUATION_CACHE_SECONDS", "300"))


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    #: if Redis goes away, count login attempts per worker instead of failing the login
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start on a configuration that would be unsafe with real data."""
        secret = config.get("SECRET_KEY") or ""
        if secret == DEV_SECRET or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (python3 -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not os.environ.get(
            "ESTATEDESK_ALLOW_SQLITE"
        ):
            raise RuntimeError(
                "Production needs DATABASE_URL pointing at PostgreSQL, e.g. "
                "postgresql://estatedesk:PASSWORD@127.0.0.1:5432/estatedesk "
                "(set ESTATEDESK_ALLOW_SQLITE=1 only for a single-worker trial)."
            )
        if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
            logging.getLogger("webapp").warning(
                "REDIS_URL is not set: login attempts are counted per worker process, "
                "so the limits are looser than configured."
            )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    EVALUATION_CACHE_SECONDS = 0
    MEDIA_STORE = "local"
    MEDIA_ACCEL_PREFIX = None
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast; the real method is tested once


def config_from_environment() -> type[Config]:
    if os.environ.get("ESTATEDESK_ENV", "development") == "production":
        return ProductionConfig
    return Config
