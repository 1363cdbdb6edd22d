"""Community cultural activities pages (篇1). The slice's pages live in modules of their own
on this blueprint: holidays, surveys, plans, the activity and its timeline, preparation,
poster and replies, summary and register; the owners' pages on ``public_views.bp``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort

from webapp.activities import labels
from webapp.activities.models import Activity
from webapp.extensions import db
from webapp.org.access import can
from webapp.org.rules import Permission

bp = Blueprint("activities", __name__, url_prefix="/activities")
labels.register(bp)


def activity_or_404(activity_id: int, *options, scheduled: bool = False) -> Activity:
    """The activity a staff page is about, loaded with `options` (what the page shows):
    another project's is not found (the scope), one the user may not read is refused
    (403); with `scheduled`, one still only planned (its plan not yet approved) is not
    found either."""
    activity = db.first_or_404(sa.select(Activity).where(Activity.id == activity_id).options(*options))
    if scheduled and activity.scheduled_at is None:
        abort(404)
    if not can(Permission.VIEW_ACTIVITIES, activity.project_id):
        abort(403)
    return activity
