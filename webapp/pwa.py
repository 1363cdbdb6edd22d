"""The installable shell (APP-01): manifest, service worker at the site root, offline page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory, url_for
from flask_babel import gettext

from webapp.core.web import public

bp = Blueprint("pwa", __name__)


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
        "name": gettext("EstateDesk"),
        "short_name": gettext("EstateDesk"),
        "lang": "zh-CN",
        "start_url": url_for("inbox.my_work"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6e4f",
        "icons": icons,
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    # Served from the root so its scope covers the whole app.
    response = send_from_directory(current_app.static_folder, "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@public
def offline():
    return render_template("offline.html")
