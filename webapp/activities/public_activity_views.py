"""The owners' page of an activity (ACT-06, ACT-16), reached from the poster's QR code:
what, when and where, how many households have replied, and the reply itself (the unit,
the last four digits of a phone on file, how many people come). No login, addressed by
the activity's token only, nothing personal shown (EST-03)."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from webapp.activities import rsvp
from webapp.activities.models import Activity
from webapp.activities.public_views import (
    PRIVATE_HEADERS,
    HouseholdForm,
    bp,
    expired,
    not_found,
    owner_form,
)
from webapp.activities.rules import MAX_HEAD_COUNT, ActivityStatus, rsvp_head_count
from webapp.core import scoping
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip
from webapp.core.rulekit import RuleViolation
from webapp.core.web import current_language, message
from webapp.extensions import db
from webapp.org.models import Project

#: where the page finds what this browser's last reply did (shown once after the redirect)
REPLY_KEY = "activity_rsvp_reply"
#: the form's fields, in the order a refusal names them
FIELDS = ("unit_text", "phone_digits", "head_count")


class RsvpForm(HouseholdForm):
    head_count = StringField(
        _l("How many people are coming?"),
        filters=[strip],
        render_kw={"type": "number", "inputmode": "numeric", "min": 1, "max": MAX_HEAD_COUNT, "step": 1},
    )


def _page(activity: Activity, project: Project, form: RsvpForm, status: int = 200, *,
          notice: str | None = None, reply: dict | None = None):
    closed = None
    if activity.status == ActivityStatus.CANCELLED:
        closed = gettext("This activity was cancelled: replies are closed.")
    elif activity.status not in (ActivityStatus.SCHEDULED, ActivityStatus.READY) or clock_now() >= rsvp.starts_at(
        activity
    ):
        closed = gettext("The activity has started: replies can no longer be changed.")
    body = render_template(
        "activities/public_activity.html",
        activity=activity,
        project=project,
        form=form,
        notice=notice,
        reply=reply,
        closed=closed,
        cancelled=activity.status == ActivityStatus.CANCELLED,
        day_text=format_date(activity.day, "y年M月d日 EEEE") if current_language() != "en" else format_date(activity.day, "EEEE d MMMM y"),
        replied=rsvp.reply_count(db.session, activity),
        max_heads=MAX_HEAD_COUNT,
    )
    return body, status, PRIVATE_HEADERS


@bp.route("/activity/<token>", methods=["GET", "POST"])
@owner_form("activity")
def activity(token: str):
    """ACT-16: the activity as on its poster and the household's reply. A planned activity
    (not yet approved) or an unknown token: not found. A second reply from the same unit
    changes the first; "cancel" withdraws it; refused after the start and for a cancelled
    activity. Bad input comes back (422) with the message beside the field and the values
    kept, the phone digits cleared."""
    with scoping.unrestricted():
        found = rsvp.public_activity(db.session, token)
        if found is None:
            return not_found()
        activity, project = found
        form = RsvpForm()
        if request.method == "GET":
            reply = session.get(REPLY_KEY)
            if reply and reply.get("token") == token:
                session.pop(REPLY_KEY, None)
            else:
                reply = None
            return _page(activity, project, form, reply=reply)

        if not form.validate():
            # the only validator is the CSRF token: the page was open too long
            form.phone_digits.data = ""
            return _page(activity, project, form, 400, notice=expired(form))
        cancel = request.form.get("cancel") == "1"
        try:
            outcome = rsvp.reply(
                db.session,
                activity,
                unit_text=form.unit_text.data,
                phone_digits=form.phone_digits.data,
                head_count=rsvp_head_count(form.head_count.data),
                cancel=cancel,
                now=clock_now(),
            )
        except RuleViolation as exc:
            db.session.rollback()
            form.phone_digits.data = ""
            field = exc.field if exc.field in FIELDS else ("unit_text" if exc.field == "unit" else None)
            if field is None:
                return _page(activity, project, form, 422, notice=message(exc))
            getattr(form, field).errors = [message(exc)]
            return _page(activity, project, form, 422)
        db.session.commit()
    session[REPLY_KEY] = {"token": token, "outcome": outcome.outcome.value, "heads": outcome.head_count}
    return redirect(url_for("activity_public.activity", token=token), code=303)
