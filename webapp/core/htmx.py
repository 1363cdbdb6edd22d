"""Page or fragment: the one decision every view that serves both makes here."""

from __future__ import annotations

from flask import render_template

from webapp.extensions import htmx


def wants_fragment() -> bool:
    """A targeted HTMX request gets a fragment; boosted navigation and history restores
    need the whole page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` for a targeted HTMX request, else the `page` that includes it."""
    template = fragment if wants_fragment() else page
    response = render_template(template, **context), status, {"Vary": "HX-Request"}
    return response
