"""Preparing an activity (篇1 §4.4.4–4.4.8), on the activities blueprint.

GET, POST /activities/<id>/checklist                   ACT-07 the four items ticked (§4.4.5 a–d)
GET, POST /activities/<id>/households                  ACT-06 every household of an important activity
GET, POST /activities/<id>/roster                      ACT-09 the day's roster, printable; "complete"
POST      /activities/<id>/roster/<entry>/remove       take an entry off the roster

Everyone who sees the project's activities reads the pages (VIEW_ACTIVITIES); the
organisers (ORGANISE_ACTIVITIES) change them, while the activity is on the calendar and
neither cancelled nor summarised. Owners' names and phones never appear: units only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields import TimeField
from wtforms.validators import Length, Optional

from webapp.activities import operations, preparation, rules
from webapp.activities.labels import NOTICE_METHOD_LABELS
from webapp.activities.models import Activity, ActivityChecklistTick
from webapp.activities.rules import CHECKLIST_ITEMS, MilestoneCode
from webapp.activities.views import activity_or_404, bp
from webapp.core.actions import field_error
from webapp.core.clock import now as clock_now
from webapp.core.clock import to_local
from webapp.core.forms import label_choices, optional_int, strip
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import NotPermitted, can
from webapp.org.labels import ROLE_LABELS, role_label
from webapp.org.models import User
from webapp.org.rules import Permission

# ---------------------------------------------------------------------------- forms


class ChecklistForm(FlaskForm):
    item = HiddenField()
    #: tick (also: change the note) or untick
    action = HiddenField(default="tick")
    note = StringField(_l("Note (optional)"), validators=[Length(max=rules.TICK_NOTE_LIMIT)], filters=[strip])


class HouseholdsForm(FlaskForm):
    unit_ids = SelectMultipleField(_l("Units"), coerce=str, validate_choice=False)
    method = RadioField(_l("How they were notified"), choices=label_choices(NOTICE_METHOD_LABELS),
                        validate_choice=False)
    note = StringField(_l("Note (optional)"), validators=[Length(max=rules.NOTICE_NOTE_LIMIT)], filters=[strip])


class RosterForm(FlaskForm):
    action = HiddenField(default="add")
    user_id = SelectField(_l("Staff member"), coerce=optional_int, validate_choice=False)
    role = SelectField(_l("Serves as"), validate_choice=False)
    duty = StringField(_l("Duty"), validators=[Length(max=rules.DUTY_LIMIT)], filters=[strip])
    shift_start = TimeField(_l("Shift starts"), validators=[Optional()])
    shift_end = TimeField(_l("Shift ends"), validators=[Optional()])


class RosterCompleteForm(FlaskForm):
    action = HiddenField(default="complete")


# ---------------------------------------------------------------------------- shared


def _activity_or_404(activity_id: int) -> Activity:
    return activity_or_404(activity_id, scheduled=True)


def _may_organise(activity: Activity) -> bool:
    return can(Permission.ORGANISE_ACTIVITIES, activity.project_id)


def _is_open(activity: Activity) -> bool:
    try:
        rules.check_preparation_open(activity.status, activity.scheduled_at is not None)
    except RuleViolation:
        return False
    return True


def _context(activity: Activity, code: MilestoneCode) -> dict:
    editable = _may_organise(activity) and _is_open(activity)
    closed = None
    if not _is_open(activity):
        try:
            rules.check_preparation_open(activity.status, True)
        except RuleViolation as exc:
            closed = message(exc)
    return {
        "activity": activity,
        "activity_url": url_for("activities.activity", activity_id=activity.id),
        "milestone": operations.milestone(db.session, activity, code),
        "editable": editable,
        "closed": closed,
    }


def _refused(exc: Exception) -> None:
    db.session.rollback()
    if isinstance(exc, NotPermitted):
        abort(403)


# ---------------------------------------------------------------------------- ACT-07 checklist


def _checklist_rows(activity: Activity, forms: dict[str, ChecklistForm] | None = None) -> list[dict]:
    found = db.session.execute(
        sa.select(ActivityChecklistTick, User.display_name)
        .outerjoin(User, User.id == ActivityChecklistTick.ticked_by_id)
        .where(ActivityChecklistTick.activity_id == activity.id)
    )
    ticks = {row.item: (row, name) for row, name in found}
    rows = []
    for item in CHECKLIST_ITEMS:
        tick, who = ticks.get(item, (None, None))
        form = (forms or {}).get(item)
        if form is None:
            form = ChecklistForm(formdata=None, item=item, note=tick.note if tick else None)
        rows.append({"item": item, "tick": tick, "who": who, "form": form})
    return rows


def _render_checklist(activity: Activity, forms: dict | None = None, status: int = 200, item: str | None = None,
                      error: str | None = None):
    context = _context(activity, MilestoneCode.PREPARATION_CHECKLIST)
    rows = _checklist_rows(activity, forms)
    context.update(rows=rows, ticked=sum(1 for row in rows if row["tick"]), total=len(rows), error=error)
    if item in CHECKLIST_ITEMS:
        # HTMX: the one row, the progress swapped out of band
        context["row"] = next(row for row in rows if row["item"] == item)
        return render("activities/checklist.html", "activities/_checklist_row.html", status, oob=True, **context)
    return render("activities/checklist.html", "activities/_checklist_panel.html", status, **context)


@bp.route("/<int:activity_id>/checklist", methods=["GET", "POST"])
def checklist(activity_id: int):
    """ACT-07 (§4.4.5): venue, prizes and supplies, staff assignments, facilities; the
    fourth tick completes the checklist milestone."""
    activity = _activity_or_404(activity_id)
    if request.method == "GET":
        return _render_checklist(activity)
    if not _may_organise(activity):
        abort(403)
    form = ChecklistForm()
    item = form.item.data if form.item.data in CHECKLIST_ITEMS else None
    if not form.validate_on_submit():
        if item is None:
            return _render_checklist(activity, None, 422, None, error=gettext("Choose an item of the checklist."))
        return _render_checklist(activity, {item: form}, 422, item)
    try:
        if form.action.data == "untick":
            preparation.untick(db.session, current_user, activity, form.item.data, now=clock_now())
            done_message = gettext("Unticked.")
        else:
            completed = preparation.tick(db.session, current_user, activity, form.item.data, form.note.data,
                                         now=clock_now())
            done_message = (gettext("The preparation checklist is complete.") if completed
                            else gettext("Ticked."))
        db.session.commit()
    except IntegrityError:
        # ticked by someone else at the same moment: theirs stands
        db.session.rollback()
        done_message = gettext("Ticked.")
    except RuleViolation as exc:
        _refused(exc)
        activity = _activity_or_404(activity_id)
        if item is None:
            return _render_checklist(activity, None, 422, None, error=message(exc))
        field_error(form, exc, {"item": None}, fallback="note")
        return _render_checklist(activity, {item: form}, 422, item)
    db.session.expire_all()
    if wants_fragment():
        return _render_checklist(_activity_or_404(activity_id), item=item)
    flash(done_message, "success")
    return redirect(url_for("activities.checklist", activity_id=activity_id), code=303)


# ---------------------------------------------------------------------------- ACT-06 households


def _render_households(activity: Activity, form: HouseholdsForm | None = None, status: int = 200):
    context = _context(activity, MilestoneCode.HOUSEHOLD_NOTICE)
    outstanding_only = request.args.get("show") == "outstanding"
    groups, notified, total = ([], 0, 0)
    if activity.important:
        groups, notified, total = preparation.household_groups(db.session, activity, outstanding_only=outstanding_only)
    if form is None:
        form = HouseholdsForm(formdata=None)
    chosen = {optional_int(value) for value in (form.unit_ids.data or [])}
    context.update(groups=groups, notified=notified, total=total, form=form, chosen=chosen,
                   outstanding_only=outstanding_only)
    return render("activities/households.html", "activities/_households_panel.html", status, **context)


@bp.route("/<int:activity_id>/households", methods=["GET", "POST"])
def households(activity_id: int):
    """ACT-06 (§4.4.4 "每家每户均通知到"): every unit of the project by building with how,
    by whom and when it was told; several at once, or a whole building."""
    activity = _activity_or_404(activity_id)
    if request.method == "GET":
        return _render_households(activity)
    if not _may_organise(activity):
        abort(403)
    form = HouseholdsForm()
    if not form.validate_on_submit():
        return _render_households(activity, form, 422)
    building_id = optional_int(request.form.get("building"))
    unit_ids = []
    for value in form.unit_ids.data or []:
        unit_id = optional_int(value)
        if unit_id is None:
            form.unit_ids.errors = [gettext("A chosen unit is not one of this project's.")]
            return _render_households(activity, form, 422)
        unit_ids.append(unit_id)
    try:
        added = preparation.notify_households(db.session, current_user, activity, unit_ids, form.method.data,
                                              form.note.data, now=clock_now(), building_id=building_id)
        db.session.commit()
    except IntegrityError:
        # the same units recorded by someone else at the same moment
        db.session.rollback()
        added = 0
    except RuleViolation as exc:
        _refused(exc)
        field_error(form, exc)
        return _render_households(_activity_or_404(activity_id), form, 422)
    db.session.expire_all()
    if wants_fragment():
        return _render_households(_activity_or_404(activity_id))
    flash(gettext("%(count)s units recorded as notified.", count=added), "success")
    args = {"show": "outstanding"} if request.args.get("show") == "outstanding" else {}
    return redirect(url_for("activities.households", activity_id=activity_id, **args), code=303)


# ---------------------------------------------------------------------------- ACT-09 roster


def _default_shift(activity: Activity) -> tuple:
    """An hour before the start to an hour after the end, on the day (the set-up and the
    tidying up, §4.4.7)."""
    start = to_local(rules.shift_moment(activity.day, activity.start_time))
    end = to_local(rules.shift_moment(activity.day, activity.end_time))
    early = start.replace(hour=max(start.hour - 1, 0))
    late = end.replace(hour=min(end.hour + 1, 23))
    return early.time(), late.time()


def _render_roster(activity: Activity, form: RosterForm | None = None, complete_form: RosterCompleteForm | None = None,
                   status: int = 200):
    context = _context(activity, MilestoneCode.DAY_ROSTER)
    staff = preparation.project_staff(db.session, activity.project_id)
    if form is None:
        start, end = _default_shift(activity)
        form = RosterForm(formdata=None, shift_start=start, shift_end=end)
    form.user_id.choices = [("", gettext("Choose a staff member"))] + [
        (user.id, f"{user.display_name} · {', '.join(role_label(r) for r in roles)}") for user, roles in staff
    ]
    form.role.choices = [("", gettext("Their role in the project"))] + [
        (role.value, label) for role, label in ROLE_LABELS.items()
        if any(role.value in roles for _, roles in staff)
    ]
    context.update(entries=preparation.roster(db.session, activity), form=form,
                   complete_form=complete_form or RosterCompleteForm(formdata=None), staff=staff)
    return render("activities/roster.html", "activities/_roster_panel.html", status, **context)


@bp.route("/<int:activity_id>/roster", methods=["GET", "POST"])
def roster(activity_id: int):
    """ACT-09 (§4.4.7–4.4.8): the staff on site that day with their role, duty and shift;
    "complete" needs the PM on it and completes the day-roster milestone."""
    activity = _activity_or_404(activity_id)
    if request.method == "GET":
        return _render_roster(activity)
    if not _may_organise(activity):
        abort(403)
    if request.form.get("action") == "complete":
        complete_form = RosterCompleteForm()
        if not complete_form.validate_on_submit():
            return _render_roster(activity, complete_form=complete_form, status=422)
        try:
            preparation.complete_roster(db.session, current_user, activity, now=clock_now())
            db.session.commit()
        except RuleViolation as exc:
            _refused(exc)
            complete_form.form_errors.append(message(exc))
            return _render_roster(_activity_or_404(activity_id), complete_form=complete_form, status=422)
        done_message = gettext("The day's roster is complete.")
    else:
        form = RosterForm()
        if not form.validate_on_submit():
            return _render_roster(activity, form, status=422)
        try:
            preparation.add_to_roster(
                db.session, current_user, activity, user_id=form.user_id.data, role=form.role.data,
                duty=form.duty.data, shift_start=form.shift_start.data, shift_end=form.shift_end.data,
                now=clock_now(),
            )
            db.session.commit()
        except RuleViolation as exc:
            _refused(exc)
            field_error(form, exc)
            return _render_roster(_activity_or_404(activity_id), form, status=422)
        done_message = gettext("Added to the roster.")
    db.session.expire_all()
    if wants_fragment():
        return _render_roster(_activity_or_404(activity_id))
    flash(done_message, "success")
    return redirect(url_for("activities.roster", activity_id=activity_id), code=303)


@bp.post("/<int:activity_id>/roster/<int:entry_id>/remove")
def roster_remove(activity_id: int, entry_id: int):
    """Take an entry off the roster; posted twice (or for an entry already gone) it does
    nothing more. A complete roster keeps its PM."""
    activity = _activity_or_404(activity_id)
    if not _may_organise(activity):
        abort(403)
    form = RosterCompleteForm()
    if not form.validate_on_submit():
        return _render_roster(activity, complete_form=form, status=422)
    try:
        removed = preparation.remove_from_roster(db.session, current_user, activity, entry_id, now=clock_now())
        db.session.commit()
    except RuleViolation as exc:
        _refused(exc)
        form.form_errors.append(message(exc))
        return _render_roster(_activity_or_404(activity_id), complete_form=form, status=422)
    db.session.expire_all()
    if wants_fragment():
        return _render_roster(_activity_or_404(activity_id))
    if removed:
        flash(gettext("Taken off the roster."), "success")
    return redirect(url_for("activities.roster", activity_id=activity_id), code=303)
