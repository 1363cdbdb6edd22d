"""An activity's notice poster with the QR code of its public page (ACT-06 §4.4.4), and
the owners' replies to it (ACT-16), on the activities blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, url_for
from flask_babel import force_locale, format_date, gettext
from flask_login import current_user

from webapp.activities import rsvp
from webapp.activities.models import Activity
from webapp.activities.rules import ActivityStatus
from webapp.activities.views import bp
from webapp.core import qr
from webapp.core.spreadsheets import PAPERWORK_LOCALE
from webapp.extensions import db
from webapp.org.access import require
from webapp.org.models import Project
from webapp.org.rules import Permission


def public_url(activity: Activity) -> str:
    """The public page's absolute address for paper: on PUBLIC_BASE_URL when configured
    (a poster printed from an office-only address must still work), else on this
    request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("activity_public.activity", token=activity.public_token)
    return url_for("activity_public.activity", token=activity.public_token, _external=True)


def _scheduled_activity_or_404(activity_id: int) -> tuple[Activity, Project]:
    """The activity (another project's: not found by the scope) with its project; a
    planned one (its annual plan not yet approved) has no poster and no replies yet."""
    found = db.session.execute(
        sa.select(Activity, Project).join(Project, Project.id == Activity.project_id).where(Activity.id == activity_id)
    ).first()
    if found is None:
        abort(404)
    activity, project = found
    return activity, project


@bp.get("/<int:activity_id>/poster")
def poster(activity_id: int):
    """ACT-06 §4.4.4: the A4 notice for the notice boards, always in Chinese: what, when
    (the weekday too), where, and the QR code of the owners' page where households reply."""
    activity, project = _scheduled_activity_or_404(activity_id)
    require(Permission.ORGANISE_ACTIVITIES, activity.project_id)
    if activity.scheduled_at is None:
        abort(404)
    with force_locale(PAPERWORK_LOCALE):
        cancelled = activity.status == ActivityStatus.CANCELLED
        link = None if cancelled else public_url(activity)
        return render_template(
            "activities/poster.html",
            activity=activity,
            project=project,
            cancelled=cancelled,
            public_link=link,
            day_text=format_date(activity.day, "y年M月d日 EEEE"),
            qr_svg=None if cancelled else qr.svg(link, css_class="poster-qr", label=gettext("QR code of the activity's page")),
            hours=current_app.config.get("OWNER_CONTACT_HOURS"),
            back=url_for("activities.activity", activity_id=activity.id),
        )


@bp.get("/<int:activity_id>/rsvps")
def rsvps(activity_id: int):
    """ACT-16: the households' replies by building and unit (the unit only, never the
    owner), the head counts and the totals the summary takes over. Three queries."""
    activity, project = _scheduled_activity_or_404(activity_id)
    require(Permission.VIEW_ACTIVITIES, activity.project_id)
    rows, totals = rsvp.replies(db.session, current_user, activity)
    return render_template(
        "activities/rsvp_list.html",
        activity=activity,
        project=project,
        rows=rows,
        totals=totals,
        planned=activity.scheduled_at is None,
        back=url_for("activities.activity", activity_id=activity.id),
    )
