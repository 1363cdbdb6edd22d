"""EstateDesk (物业客服台): the customer-service centre of a property-management company."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import sqlalchemy.orm as so
from flask import Flask, g, request, session
from flask_login import current_user

from webapp.config import Config, ProductionConfig, config_from_environment
from webapp.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
# Installed wheels carry templates/ and static/ inside the package; a checkout has them
# at the repository root.
ASSET_ROOT = PACKAGE_DIR if (PACKAGE_DIR / "templates").is_dir() else PACKAGE_DIR.parent


def create_app(config: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ASSET_ROOT / "templates"),
        static_folder=str(ASSET_ROOT / "static"),
        instance_relative_config=False,
    )
    base = config or config_from_environment()
    app.config.from_object(base)
    app.config.update(overrides or {})
    if issubclass(base, ProductionConfig):
        ProductionConfig.check(app.config)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )

    import webapp.models  # noqa: F401 - registers every table
    from webapp.core.owner_text import owner_text
    from webapp.core.privacy import install_log_redaction, mask_phones

    install_log_redaction()  # no phone number, public token or secret in any log record
    # free text in prints and exports: phone numbers masked, record numbers and dates kept
    app.jinja_env.filters["mask_phones"] = mask_phones
    # free text on pages: in full for who may reveal phones in the record's project (EST-03)
    app.jinja_env.filters["owner_text"] = owner_text

    _init_extensions(app)
    _register_blueprints(app)

    from webapp import cli

    cli.register(app)
    return app


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale") or request.cookies.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from webapp.core import audit, media, scoping, web

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "org.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(token: str):
        from webapp.org.auth import load_user

        return load_user(db.session, token)

    scoping.install(so.Session)
    audit.install(so.Session)
    web.install(app)
    media.init_app(app)

    @app.context_processor
    def _template_globals():
        from webapp.org.access import can
        from webapp.org.rules import Permission

        return {"can": can, "Permission": Permission, "unread_count": _UNREAD_COUNT}


class _UnreadCount:
    """The signed-in user's unread notifications, counted (once per request) only when a
    template shows the number: HTMX fragments such as the desk's refresh every 15 seconds
    have no tab bar, and counting for them was a query per refresh."""

    __slots__ = ()

    @staticmethod
    def value() -> int:
        if "unread_count" not in g:
            from webapp.core.notify import unread_count

            g.unread_count = unread_count(db.session, current_user.id) if current_user.is_authenticated else 0
        return g.unread_count

    def __bool__(self) -> bool:
        return bool(self.value())

    def __int__(self) -> int:
        return self.value()

    def __str__(self) -> str:
        return str(self.value())

    def __html__(self) -> str:
        return str(self.value())


_UNREAD_COUNT = _UnreadCount()


def _register_blueprints(app: Flask) -> None:
    from webapp.activities.public_views import bp as activity_public_bp
    from webapp.activities.views import bp as activities_bp
    from webapp.admin.views import bp as admin_bp
    from webapp.complaints.views import bp as complaints_bp
    from webapp.estate.views import bp as estate_bp
    from webapp.evaluation.views import bp as evaluation_bp
    from webapp.inbox.views import bp as inbox_bp
    from webapp.org.views import bp as org_bp
    from webapp.paid_services.views import bp as paid_services_bp
    from webapp.pwa import bp as pwa_bp
    from webapp.reception.views import bp as reception_bp
    from webapp.slips.views import bp as slips_bp

    # a slice's secondary pages (the slips' photos and summary, the complaints' registers,
    # the paid services' price list, jobs, summary and rentals) live in modules of their
    # own, on the slice's blueprint
    for name in (
        "webapp.slips.photo_views",
        "webapp.slips.report_views",
        "webapp.complaints.report_views",
        "webapp.paid_services.catalogue_views",
        "webapp.paid_services.job_views",
        "webapp.paid_services.report_views",
        "webapp.paid_services.rental_views",
        "webapp.reception.follow_up_views",
        "webapp.reception.register_views",
        "webapp.activities.holiday_views",
        "webapp.activities.survey_views",
        "webapp.activities.plan_views",
        "webapp.activities.timeline_views",
        "webapp.activities.preparation_views",
        "webapp.activities.poster_views",
        "webapp.activities.summary_views",
        "webapp.activities.public_survey_views",
        "webapp.activities.public_activity_views",
        "webapp.evaluation.sheet_views",
        "webapp.evaluation.company_views",
    ):
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)

    for bp in (org_bp, inbox_bp, estate_bp, admin_bp, pwa_bp, slips_bp, complaints_bp, paid_services_bp, reception_bp,
               activities_bp, activity_public_bp, evaluation_bp):
        app.register_blueprint(bp)

    # the owners' own pages from the QR poster: no login, no staff data
    if importlib.util.find_spec("webapp.reception.public_views") is not None:
        from webapp.reception.public_views import bp as owner_contact_bp

        app.register_blueprint(owner_contact_bp)
