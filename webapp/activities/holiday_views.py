"""ACT-11 the holiday table page (administrators): the years the app knows a schedule for,
the rows the administrators added, a row typed or a year's schedule pasted, and a date
checked the way an activity's date is checked."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from webapp.activities import holiday_admin, operations, rules
from webapp.activities.labels import HOLIDAY_KIND_LABELS, festival_names
from webapp.activities.models import HolidayDay
from webapp.activities.rules import DateBasis, ScheduleLineProblem
from webapp.activities.views import bp
from webapp.core.actions import field_error
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import NotPermitted, require
from webapp.org.rules import Permission

SCHEDULE_EXAMPLE = "2027-01-01 休 元旦\n2027-02-06 休 春节\n2027-02-07 班"


class HolidayRowForm(FlaskForm):
    mode = HiddenField(default="row")
    day = StringField(_l("Date"), filters=[strip], render_kw={"type": "date", "placeholder": "2027-01-01"})
    kind = SelectField(_l("Kind"), choices=list(HOLIDAY_KIND_LABELS.items()), validate_choice=False)
    name = StringField(_l("Festival"), filters=[strip], validators=[Length(max=rules.HOLIDAY_NAME_LIMIT)],
                       render_kw={"maxlength": rules.HOLIDAY_NAME_LIMIT, "placeholder": _l("e.g. 春节")})


class HolidayScheduleForm(FlaskForm):
    mode = HiddenField(default="schedule")
    schedule = TextAreaField(
        _l("A year's schedule, one day per line"),
        filters=[strip],
        render_kw={"rows": 10, "placeholder": SCHEDULE_EXAMPLE, "spellcheck": "false"},
    )


def _verdict(text: str | None) -> dict | None:
    """The answer to "how would an activity on this date be judged?" (ACT-11)."""
    if not text:
        return None
    try:
        day = rules.parse_day(text, "check")
        verdict = rules.check_activity_date(day, operations.calendar(db.session))
    except RuleViolation as exc:
        return {"day": text, "ok": False, "text": message(exc)}
    if verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY:
        names = festival_names(verdict.festivals)
        said = gettext("One of the two days before a major holiday (%(names)s).", names=names)
    elif verdict.provisional:
        said = gettext("A weekend; provisional until the year's schedule is added (it may become a make-up "
                       "working day).")
    else:
        said = gettext("A Saturday or Sunday owners have free.")
    return {"day": day.isoformat(), "ok": True, "text": said}


def _page(row_form=None, schedule_form=None, status: int = 200):
    table = holiday_admin.rows(db.session)
    return render(
        "activities/holidays.html",
        "activities/holiday_panel.html",
        status,
        table=table,
        years=holiday_admin.years(table),
        row_form=row_form or HolidayRowForm(formdata=None),
        schedule_form=schedule_form or HolidayScheduleForm(formdata=None),
        verdict=_verdict(request.args.get("check", "").strip()),
        example=SCHEDULE_EXAMPLE,
    )


def _done(added: int, changed: int):
    if wants_fragment():
        return _page()
    flash(gettext("The holiday table is saved: %(added)s added, %(changed)s changed.", added=added,
                  changed=changed), "success")
    return redirect(url_for("activities.holidays"), code=303)


@bp.route("/holidays", methods=["GET", "POST"])
def holidays():
    """ACT-11 the holiday table: GET shows it; POST adds one row or a pasted schedule."""
    require(Permission.MANAGE_HOLIDAYS)
    if request.method == "GET":
        return _page()
    if request.form.get("mode") == "schedule":
        form = HolidayScheduleForm()
        if not form.validate_on_submit():
            return _page(schedule_form=form, status=422)
        try:
            lines = rules.parse_holiday_schedule(form.schedule.data)
            added, changed = holiday_admin.add_rows(db.session, current_user, lines, now=clock_now())
            db.session.commit()
        except NotPermitted:
            db.session.rollback()
            abort(403)
        except ScheduleLineProblem as exc:
            db.session.rollback()
            form.schedule.errors = [gettext("Line %(line)s: %(problem)s", line=exc.line, problem=message(exc.problem))]
            return _page(schedule_form=form, status=422)
        except RuleViolation as exc:
            db.session.rollback()
            form.schedule.errors = [message(exc)]
            return _page(schedule_form=form, status=422)
        return _done(added, changed)

    form = HolidayRowForm()
    if not form.validate_on_submit():
        return _page(row_form=form, status=422)
    try:
        line = rules.check_holiday_row(rules.parse_day(form.day.data), form.kind.data, form.name.data)
        added, changed = holiday_admin.add_rows(db.session, current_user, [line], now=clock_now())
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _page(row_form=form, status=422)
    return _done(added, changed)


@bp.post("/holidays/<int:holiday_id>/delete")
def holiday_delete(holiday_id: int):
    """ACT-11 remove a row of the table."""
    require(Permission.MANAGE_HOLIDAYS)
    row = db.session.scalar(sa.select(HolidayDay).where(HolidayDay.id == holiday_id))
    if row is not None:
        # a row already gone (the button pressed twice, another administrator) is no error
        try:
            holiday_admin.delete_row(db.session, current_user, row, now=clock_now())
            db.session.commit()
        except NotPermitted:
            db.session.rollback()
            abort(403)
    if wants_fragment():
        return _page()
    flash(gettext("The row is deleted."), "success")
    return redirect(url_for("activities.holidays"), code=303)
