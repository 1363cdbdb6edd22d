"""Community cultural activities pages (篇1). The slice's pages live in modules of their own
on this blueprint: holidays, surveys, plans, the activity and its timeline, preparation,
poster and replies, summary and register; the owners' pages on ``public_views.bp``."""

from __future__ import annotations

from flask import Blueprint

from webapp.activities import labels

bp = Blueprint("activities", __name__, url_prefix="/activities")
labels.register(bp)
