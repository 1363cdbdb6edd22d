"""The installable shell (APP-01): manifest, service worker at the site root, offline page."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale, gettext

from webapp.core.web import LANGUAGE_TAGS, language_tag, public

bp = Blueprint("pwa", __name__)

#: what the service worker stores when it installs: enough to show the offline page styled
SHELL_ASSETS = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx/htmx.min.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-512.png",
)
_SHELL_LINE = re.compile(r"^const SHELL = .*;$", re.MULTILINE)


@bp.get("/manifest.webmanifest")
@public
def manifest():
    icons = [
        {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"}
    ]
    body = {
        # A stable identity: the app stays the same installed app if start_url ever moves.
        "id": url_for("inbox.my_work"),
        "name": gettext("EstateDesk"),
        "short_name": gettext("EstateDesk"),
        "description": gettext("Customer-service desk of the property-management company"),
        "lang": language_tag(),
        "start_url": url_for("inbox.my_work"),
        "scope": url_for("inbox.my_work"),
        "display": "standalone",
        "background_color": "#f4f6f7",
        "theme_color": "#0b6e4f",
        "icons": icons,
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


def shell_version() -> str:
    """A hash of every file the shell serves: each deploy that changes a static file, the
    offline page or the translations gives the service worker new bytes, so phones install
    it and drop the old cache instead of keeping stale CSS forever (assets are cache-first)."""
    cached = current_app.extensions.get("estatedesk_shell_version")
    if cached and not current_app.debug:
        return cached
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    sources = sorted(p for p in static.rglob("*") if p.is_file())
    sources.append(Path(current_app.template_folder) / "offline.html")
    sources += sorted(Path(current_app.root_path, "translations").rglob("*.mo"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    version = digest.hexdigest()[:12]
    current_app.extensions["estatedesk_shell_version"] = version
    return version


@bp.get("/sw.js")
@public
def service_worker():
    # Served from the root (not /static/) so its scope covers the whole app.
    # one offline page per language, by the tag pages carry in Content-Language
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    offline_pages = {
        LANGUAGE_TAGS[code]: url_for("pwa.offline", lang=None if code == default else code)
        for code in current_app.config["LANGUAGES"]
    }
    shell = {
        "version": shell_version(),
        "offline": offline_pages,
        "language": LANGUAGE_TAGS[default],
        "static": url_for("static", filename=""),
        "urls": [*offline_pages.values(), url_for("pwa.manifest")]
        + [url_for("static", filename=name) for name in SHELL_ASSETS],
    }
    source = (Path(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")
    script = _SHELL_LINE.sub(lambda _: f"const SHELL = {json.dumps(shell)};", source, count=1)
    response = current_app.response_class(script, mimetype="text/javascript")
    # The browser must check for a new worker on every visit, never trust a stale copy.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
@public
def offline():
    # Cached by the service worker and shown to whoever is offline on this phone: the
    # template is a standalone page with nobody's name, navigation or CSRF token in it.
    # The worker fetches it without cookies, so the language comes in the address.
    language = request.args.get("lang")
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        response = current_app.make_response(render_template("offline.html"))
    response.headers["Content-Language"] = LANGUAGE_TAGS[language]
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/healthz")
@public
def healthz():
    """Liveness for nginx, systemd and monitoring; also the benchmark's ceiling: the same
    app, middleware and server as every page, with no database and no template."""
    response = current_app.make_response(("ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}))
    response.headers["Cache-Control"] = "no-store"
    return response
