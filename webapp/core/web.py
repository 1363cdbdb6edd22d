"""Request plumbing shared by every blueprint: sign-in by default, scope, headers, errors."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from functools import lru_cache

from babel.dates import tokenize_pattern
from flask import Flask, current_app, g, render_template, request
from flask_babel import format_datetime, get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc

from webapp.core import scoping
from webapp.core.clock import LOCAL_TZ, to_local
from webapp.core.rulekit import RuleViolation
from webapp.extensions import login_manager

PUBLIC_ENDPOINTS: set[str] = {"static"}

#: what a 503 asks browsers and the phones' offline queue to wait: a database restart or
#: failover takes seconds, and pool_pre_ping reconnects on the first request after it
RETRY_AFTER_SECONDS = 5

#: where images may come from besides the app: photos in an S3 bucket are fetched from the
#: store's own origin (see content_security_policy)
IMG_SOURCES = "'self' data: blob:"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {IMG_SOURCES}",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


_CSP_EXTENSION = "estatedesk.content_security_policy"


def content_security_policy(app: Flask) -> str:
    """The policy for this app's pages: with MEDIA_STORE=s3 a photo's <img> follows a
    redirect to the bucket's presigned URL, so img-src allows that origin too (only it).
    Built once per app from its configuration."""
    policy = app.extensions.get(_CSP_EXTENSION)
    if policy is None:
        from webapp.core.media import MediaStoreError
        from webapp.core.media_responses import media_origin

        try:
            origin = media_origin(app)
        except MediaStoreError:
            # a wrong media setting fails the photo views with its reason; pages still work
            return CONTENT_SECURITY_POLICY
        policy = CONTENT_SECURITY_POLICY
        if origin:
            policy = policy.replace(f"img-src {IMG_SOURCES}", f"img-src {IMG_SOURCES} {origin}", 1)
        app.extensions[_CSP_EXTENSION] = policy
    return policy


def public(view):
    """Mark a view as reachable without signing in (everything else needs a login)."""
    view.is_public = True
    return view


def message(exc: RuleViolation) -> str:
    """A rule's refusal in the user's language."""
    return gettext(exc.message, **exc.params)


def current_language() -> str:
    """The LANGUAGES key in use (Babel spells Simplified Chinese zh_Hans_CN)."""
    return "en" if str(get_locale()).startswith("en") else "zh_CN"


#: a LANGUAGES key as the web spells it (html lang, Content-Language, the manifest)
LANGUAGE_TAGS = {"zh_CN": "zh-CN", "en": "en"}


def language_tag() -> str:
    return LANGUAGE_TAGS[current_language()]


def audit_value(entity_type: str, name: str, value: object) -> str:
    """A value from an audit event's changes, as a person reads it: codes by their labels,
    money in yuan, moments in local time."""
    from webapp.core.audit import VALUE_LABELS
    from webapp.org.labels import role_label

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if name == "role":
        return role_label(str(value))
    labels = VALUE_LABELS.get((entity_type, name))
    if callable(labels):
        return labels(value)
    if labels is not None:
        codes = value if isinstance(value, list) else str(value).split(",")
        separator = ", " if current_language() == "en" else "、"
        return separator.join(_label_text(labels[code]) if code in labels else code for code in codes)
    if name.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if name.endswith("_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return local_time(moment) if moment.tzinfo else value
    return str(value)


def _label_text(label: object) -> str:
    # lazy_gettext strings translate themselves; N_() msgids are plain strings
    return gettext(label) if isinstance(label, str) else str(label)


def yuan(fen: int | None) -> str:
    """Money kept in integer fen as people read it: 123450 → "¥1,234.50" (None → "")."""
    if fen is None:
        return ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{'-' if fen < 0 else ''}¥{whole:,}.{cents:02d}"


#: the pattern fields that Babel writes as zero-padded digits in every locale the app
#: speaks (zh_CN and en number with Latin digits), with the same padding
_DIGIT_FIELDS = {
    ("y", 4): "{0.year:04d}",
    ("M", 2): "{0.month:02d}",
    ("d", 2): "{0.day:02d}",
    ("H", 2): "{0.hour:02d}",
    ("m", 2): "{0.minute:02d}",
    ("s", 2): "{0.second:02d}",
}


@lru_cache(maxsize=64)
def _digits_only_template(fmt: str) -> str | None:
    """A str.format template giving Babel's output for a pattern made of digit fields and
    literal text ("yyyy-MM-dd HH:mm"), or None when the pattern needs the locale (month or
    weekday names, named formats): Babel re-parses the pattern and looks up the locale on
    every call, which made date formatting a large share of a list page's time."""
    try:
        tokens = tokenize_pattern(fmt)
    except (ValueError, KeyError):
        return None
    parts = []
    for kind, value in tokens:
        if kind == "chars":
            parts.append(value.replace("{", "{{").replace("}", "}}"))
        elif kind == "field" and value in _DIGIT_FIELDS:
            parts.append(_DIGIT_FIELDS[value])
        else:
            return None
    return "".join(parts)


def local_time(moment: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A moment in Asia/Shanghai wall time, as Babel's format_datetime writes it."""
    if moment is None:
        return ""
    local = to_local(moment)
    template = _digits_only_template(fmt)
    if template is None or current_app.config["BABEL_DEFAULT_TIMEZONE"] != LOCAL_TZ.key:
        return format_datetime(local, fmt)
    return template.format(local)


@lru_cache(maxsize=512)
def _content_hash(path: str, modified: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:10]


def static_fingerprint(static_folder: str, filename: str) -> str | None:
    """A short hash of a static file's content, for cache-busting URLs (?v=...): nginx
    may then cache static files for a year, and a deploy still reaches every phone."""
    path = os.path.join(static_folder, filename)
    try:
        return _content_hash(path, os.path.getmtime(path))
    except OSError:
        return None


def install(app: Flask) -> None:
    @app.url_defaults
    def _fingerprint_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") and "v" not in values:
            version = static_fingerprint(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.before_request
    def _sign_in_and_scope():
        endpoint = request.endpoint or ""
        view = app.view_functions.get(endpoint)
        if current_user.is_authenticated:
            from webapp.org.rules import visible_projects

            scoping.set_scope(visible_projects(current_user.grants))
        else:
            scoping.set_scope(frozenset())
            is_public = endpoint in PUBLIC_ENDPOINTS or getattr(view, "is_public", False)
            if view is not None and not is_public:
                return login_manager.unauthorized()
        return None

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(current_app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # the service worker shows the offline page in the language of the last page
            headers.setdefault("Content-Language", language_tag())
        if current_user.is_authenticated and response.mimetype == "text/html":
            # Pages of a signed-in user may show owners' data: keep them out of caches.
            headers.setdefault("Cache-Control", "no-store")
        return response

    def _error_page(status: int, title: str, detail: str | None = None):
        return render_template("errors/error.html", status=status, title=title, detail=detail), status

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_page(
            400,
            gettext("The form expired"),
            gettext("Go back, reload the page and submit again. Nothing was changed."),
        )

    @app.errorhandler(403)
    def _forbidden(error):
        return _error_page(403, gettext("Not allowed"), gettext("Your role does not allow this."))

    @app.errorhandler(404)
    def _not_found(error):
        return _error_page(404, gettext("Not found"), gettext("This page does not exist or is not yours to see."))

    @app.errorhandler(413)
    def _too_large(error):
        return _error_page(413, gettext("File too large"), gettext("Choose a smaller file."))

    @app.errorhandler(429)
    def _too_many(error):
        return _error_page(429, gettext("Too many attempts"), gettext("Wait a few minutes and try again."))

    @app.errorhandler(500)
    def _server_error(error):
        from webapp.extensions import db

        # A failed flush (a refused audit edit, a constraint) leaves the session unusable:
        # the page itself queries (unread count), so it starts from a clean transaction.
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            pass
        return _error_page(500, gettext("Something went wrong"), gettext("Please try again. The error was logged."))

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _database_unavailable(error):
        """The database is restarting, unreachable or out of connections: 503 with
        Retry-After and a page that needs no database, instead of a 500 per request."""
        from webapp.extensions import db

        try:
            db.session.rollback()  # also removes the files this request had saved
        except sa_exc.SQLAlchemyError:
            pass
        # One line, no traceback: during an outage every request fails the same way.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        current_app.logger.error(
            "database unavailable, answered 503: %s %s: %s: %s",
            request.method,
            request.path,
            type(getattr(error, "orig", None) or error).__name__,
            reason[0] if reason else "",
        )
        # The user may not have been loaded (that is often the query that failed): the
        # page is rendered as for a visitor, so rendering it asks the database nothing.
        g._login_user = login_manager.anonymous_user()
        page, status = _error_page(
            503,
            gettext("Briefly unavailable"),
            gettext("The database cannot be reached at the moment. Wait a few seconds and try again."),
        )
        return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}

    @app.teardown_appcontext
    def _end_session_on_a_lost_connection(exc):
        """Closing the session rolls back on its connection; if the database cut that
        connection after the request's last query (a restart), the rollback fails and,
        raised from Flask-SQLAlchemy's teardown, would replace the finished answer with a
        bare 500. The transaction died with the connection: discard it. Registered after
        Flask-SQLAlchemy's teardown, so it runs just before that one removes the session."""
        from webapp.extensions import db

        try:
            db.session.close()
        except sa_exc.DBAPIError as error:
            current_app.logger.warning(
                "database connection lost while ending a session: %s",
                str(getattr(error, "orig", None) or error).strip().splitlines()[0],
            )
            db.session().invalidate()  # the scoped session's own Session

    from webapp.core.audit import ACTION_LABELS, FIELD_LABELS, STATE_LABELS
    from webapp.estate.rules import mask_phone
    from webapp.org.labels import role_label

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["language_tag"] = language_tag
    app.jinja_env.globals["audit_action_label"] = lambda action: gettext(
        ACTION_LABELS.get(action, action)
    )
    app.jinja_env.globals["audit_field_label"] = lambda name: gettext(FIELD_LABELS.get(name, name))
    app.jinja_env.globals["audit_value"] = audit_value
    app.jinja_env.globals["audit_state_label"] = lambda state: str(STATE_LABELS.get(state, state or "—"))
