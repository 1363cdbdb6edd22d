"""An activity's page (篇1 ACT-04, 05, 08, 10, 12, 14), on the activities blueprint.

GET       /activities/<id>                          the header and the timeline of milestones
POST      /activities/<id>/milestones/<code>        a milestone ticked with its note (its role)
GET, POST /activities/<id>/detailed-plan            详细活动组织方案 + 物品采购计划 (GET: readers;
                                                    POST: the CS supervisor, while a draft)
POST      /activities/<id>/detailed-plan/<action>   submit, pm_confirm, pm_return, vp_approve, vp_return
POST      /activities/<id>/status/<target>          ready, held, cancelled (ORGANISE_ACTIVITIES)
GET, POST /activities/<id>/reschedule               moved to another day, time or place (the PM, the CS
                                                    supervisor; scheduled or ready, before the start)

Another project's activity is not found (the scope: 404); without VIEW_ACTIVITIES 403;
each step checks its own permission or role (403), then the rules (422, the message next
to the field). HTMX swaps the milestone row, the status panel or the plan's steps; without
JavaScript every form posts and the page comes back (303).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, StringField
from wtforms.validators import Length

from webapp.activities import operations, rules, timeline
from webapp.activities.labels import (
    activity_status_label,
    date_basis_label,
    festival_names,
    milestone_state_label,
    plan_status_label,
)
from webapp.activities.models import (
    Activity,
    ActivityDetailedPlan,
    ActivityMilestone,
    ActivityMoneyLine,
    ActivityRsvp,
)
from webapp.activities.rules import (
    ActivityStatus,
    DateBasis,
    DetailedPlanValues,
    MilestoneCode,
    MilestoneState,
    MoneyLine,
    PlanAction,
    PlanStatus,
)
from webapp.activities.step_forms import (
    PLAN_STEP_FORMS,
    ApproveForm,
    CancelForm,
    ReturnForm,
    StepForm,
)
from webapp.activities.views import activity_or_404, bp
from webapp.core import audit
from webapp.core.actions import field_error, saving
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip, text_area
from webapp.core.htmx import wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import NotPermitted, can
from webapp.org.labels import DEPARTMENT_KIND_LABELS, role_label
from webapp.org.rules import Permission
from webapp.paid_services.rules import format_yuan, parse_yuan

#: the page where a milestone done by its own step is done, and the link's words
OWN_STEP_PAGES: dict[MilestoneCode, tuple[str, object]] = {
    MilestoneCode.DETAILED_PLAN: ("activities.detailed_plan", _l("Open the detailed plan")),
    MilestoneCode.PM_APPROVAL: ("activities.detailed_plan", _l("Open the detailed plan")),
    MilestoneCode.VP_APPROVAL: ("activities.detailed_plan", _l("Open the detailed plan")),
    MilestoneCode.HOUSEHOLD_NOTICE: ("activities.households", _l("Open the households")),
    MilestoneCode.PREPARATION_CHECKLIST: ("activities.checklist", _l("Open the checklist")),
    MilestoneCode.DAY_ROSTER: ("activities.roster", _l("Open the roster")),
    MilestoneCode.SUMMARY: ("activities.summary", _l("Open the summary")),
    MilestoneCode.POSTER: ("activities.poster", _l("Print the poster")),
}

#: the steps on the activity's status, by the target in the URL
STATUS_TARGETS = (ActivityStatus.READY, ActivityStatus.HELD, ActivityStatus.CANCELLED)

NOTE_HINTS: dict[MilestoneCode, object] = {
    MilestoneCode.PREPARATION_MEETING: _l("The minutes: who attended, what was decided (required)."),
    MilestoneCode.SECURITY_PLAN: _l("The crowd flow and the evacuation plan (required)."),
    MilestoneCode.FACILITY_CHECK: _l("The facilities checked and the emergency plan (required)."),
    MilestoneCode.REHEARSAL: _l("What the rehearsal covered (optional); not before three days ahead."),
}


# ---------------------------------------------------------------------------- forms


class MilestoneForm(FlaskForm):
    note = text_area(3, _l("Note"), rules.TEXT_LIMIT)


class LineForm(Form):
    item = StringField(_l("Item to buy"), validators=[Length(max=rules.NAME_LIMIT)], filters=[strip])
    amount_fen = StringField(_l("Amount (yuan)"), validators=[Length(max=20)], filters=[strip],
                             render_kw={"inputmode": "decimal"})


class DetailedPlanForm(FlaskForm):
    version = HiddenField()
    organisation = text_area(8, _l("How the activity is organised and run"), rules.TEXT_LIMIT)
    host = StringField(_l("Host (experienced, able to lead the crowd)"),
                       validators=[Length(max=rules.NAME_LIMIT)], filters=[strip])
    purchase_lines = FieldList(FormField(LineForm), min_entries=5, max_entries=60)


STATUS_FORMS: dict[ActivityStatus, type[StepForm]] = {
    ActivityStatus.READY: StepForm,
    ActivityStatus.HELD: StepForm,
    ActivityStatus.CANCELLED: CancelForm,
}


# ---------------------------------------------------------------------------- loading


@contextmanager
def committing() -> Iterator[None]:
    """Changes of the block committed (a record with no version of its own: a milestone, a
    plan being created); NotPermitted is a 403, any other refusal rolled back and raised."""
    try:
        yield
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except Exception:
        db.session.rollback()
        raise


def _activity_or_404(activity_id: int) -> Activity:
    return activity_or_404(
        activity_id,
        so.selectinload(Activity.milestones).joinedload(ActivityMilestone.done_by),
        so.joinedload(Activity.detailed_plan),
        so.joinedload(Activity.plan),
    )


# ---------------------------------------------------------------------------- the activity page


@dataclass
class MilestoneRow:
    row: ActivityMilestone
    title: str
    owner: str
    state: MilestoneState
    state_label: str
    #: the page where it is done (its own step), with the link's words
    link: str | None
    link_label: str | None
    #: ticked on the timeline and this user holds its role
    form: MilestoneForm | None
    hint: object | None


def _owner_label(row: ActivityMilestone) -> str:
    role = role_label(row.role)
    if row.department_kind:
        return gettext("%(role)s, %(department)s", role=role,
                       department=DEPARTMENT_KIND_LABELS.get(row.department_kind, row.department_kind))
    return role


def _milestone_row(activity: Activity, row: ActivityMilestone, kinds: dict[int, str], now: datetime,
                   form: MilestoneForm | None = None) -> MilestoneRow:
    code = MilestoneCode(row.code)
    state = rules.milestone_state(row.due_at, row.done_at, now)
    link = link_label = None
    if code in OWN_STEP_PAGES:
        endpoint, label = OWN_STEP_PAGES[code]
        link, link_label = url_for(endpoint, activity_id=activity.id), str(label)
    tickable = (
        code not in operations.DONE_BY_THEIR_OWN_STEP
        and row.done_at is None
        and activity.status in (ActivityStatus.SCHEDULED, ActivityStatus.READY)
        and timeline.may_do_milestone(current_user, row, kinds)
    )
    if tickable and form is None:
        form = MilestoneForm(formdata=None)
    if form is not None:
        form.note.id = form.note.label.field_id = f"note-{row.code}"
    return MilestoneRow(row, gettext(operations.MILESTONE_TITLES[code]), _owner_label(row), state,
                        milestone_state_label(state), link, link_label, form if tickable else None,
                        NOTE_HINTS.get(code))


def _status_forms(activity: Activity, forms: dict | None) -> dict:
    """The status steps this user may take now, each carrying the activity's version."""
    forms = dict(forms or {})
    organiser = can(Permission.ORGANISE_ACTIVITIES, activity.project_id)
    on_timeline = activity.scheduled_at is not None
    allowed = {
        ActivityStatus.READY: activity.status == ActivityStatus.SCHEDULED,
        ActivityStatus.HELD: activity.status == ActivityStatus.READY,
        ActivityStatus.CANCELLED: activity.status in (ActivityStatus.SCHEDULED, ActivityStatus.READY),
    }
    for target, ok in allowed.items():
        if organiser and on_timeline and ok and target.value not in forms:
            forms[target.value] = STATUS_FORMS[target](formdata=None)
        if target.value in forms:
            forms[target.value].version.data = activity.version
    return forms


def _header(activity: Activity) -> dict:
    basis = activity.date_basis
    if basis == DateBasis.REASON:
        basis_text = activity.date_reason or date_basis_label(basis)
    elif basis == DateBasis.BEFORE_MAJOR_HOLIDAY:
        try:
            festivals = rules.major_holiday_ahead(activity.day, operations.calendar(db.session))
        except RuleViolation:  # the year's schedule is no longer known: say it generally
            festivals = frozenset()
        names = festival_names(festivals & rules.MAJOR_FESTIVALS)
        basis_text = gettext("Before %(festival)s", festival=names) if names else date_basis_label(basis)
    else:
        basis_text = date_basis_label(basis)
    return {"weekday": format_date(activity.day, "EEEE"), "basis_text": basis_text}


def _page_context(activity: Activity, *, milestone_forms: dict | None = None, status_forms: dict | None = None,
                  conflict: str | None = None) -> dict:
    now = clock_now()
    kinds = operations.department_kinds(db.session, activity.project_id)
    milestone_forms = milestone_forms or {}
    rows = [_milestone_row(activity, row, kinds, now, milestone_forms.get(row.code)) for row in activity.milestones]
    replies = db.session.scalar(
        sa.select(sa.func.count()).select_from(ActivityRsvp)
        .where(ActivityRsvp.activity_id == activity.id, ActivityRsvp.head_count.is_not(None))
    ) or 0
    return {
        "activity": activity,
        "rows": rows,
        "forms": _status_forms(activity, status_forms),
        "conflict": conflict,
        "replies": replies,
        "rsvps_url": url_for("activities.rsvps", activity_id=activity.id),
        "plan_url": url_for("activities.plan", plan_id=activity.plan_id),
        "poster_url": (url_for("activities.poster", activity_id=activity.id)
                       if can(Permission.ORGANISE_ACTIVITIES, activity.project_id) else None),
        "detailed_plan_url": url_for("activities.detailed_plan", activity_id=activity.id),
        "reschedule_url": _reschedule_url(activity),
        "now": now,
        **_header(activity),
    }


def _render_page(activity: Activity, status: int = 200, **kwargs):
    context = _page_context(activity, **kwargs)
    context["events"] = audit.timeline(db.session, activity)
    return render_template("activities/activity.html", **context), status, {"Vary": "HX-Request"}


@bp.get("/<int:activity_id>")
def activity(activity_id: int):
    """ACT-04…15: the activity, and its timeline once its annual plan is approved."""
    return _render_page(_activity_or_404(activity_id))


@bp.post("/<int:activity_id>/milestones/<code>")
def milestone_done(activity_id: int, code: str):
    """ACT-05/06/08/12: the holder of the milestone's role marks it done with its note."""
    found = _activity_or_404(activity_id)
    try:
        milestone_code = MilestoneCode(code)
    except ValueError:
        abort(404)
    row = next((m for m in found.milestones if m.code == milestone_code), None)
    if row is None or milestone_code in operations.DONE_BY_THEIR_OWN_STEP:
        abort(404)
    kinds = operations.department_kinds(db.session, found.project_id)
    if not timeline.may_do_milestone(current_user, row, kinds):
        abort(403)
    form = MilestoneForm()
    error = None
    if form.validate_on_submit():
        try:
            with committing():
                timeline.mark_milestone_done(db.session, current_user, found, row, form.note.data, clock_now(), kinds)
        except RuleViolation as exc:
            field_error(form, exc, {"done_at": "note"}, fallback="note")
            error = exc
    else:
        error = True
    found = _activity_or_404(activity_id)
    if error is not None:
        if wants_fragment():
            view = _milestone_row(found, next(m for m in found.milestones if m.code == milestone_code), kinds,
                                  clock_now(), form)
            return render_template("activities/_milestone_row.html", m=view, activity=found), 422
        return _render_page(found, 422, milestone_forms={milestone_code.value: form})
    if wants_fragment():
        view = _milestone_row(found, next(m for m in found.milestones if m.code == milestone_code), kinds,
                              clock_now())
        return render_template("activities/_milestone_row.html", m=view, activity=found)
    flash(gettext("Marked done."), "success")
    return redirect(url_for("activities.activity", activity_id=activity_id, _anchor=f"milestone-{code}"), code=303)


def _render_status(activity: Activity, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    if wants_fragment():
        context = {"activity": activity, "forms": _status_forms(activity, forms), "conflict": conflict,
                   "reschedule_url": _reschedule_url(activity)}
        return render_template("activities/_activity_status.html", **context), status, {"Vary": "HX-Request"}
    return _render_page(activity, status, status_forms=forms, conflict=conflict)


@bp.post("/<int:activity_id>/status/<target>")
def activity_step(activity_id: int, target: str):
    """ACT-12: ready (both safety plans done), held (once started), cancelled (a reason)."""
    try:
        wanted = ActivityStatus(target)
    except ValueError:
        abort(404)
    if wanted not in STATUS_TARGETS:
        abort(404)
    found = _activity_or_404(activity_id)
    if not can(Permission.ORGANISE_ACTIVITIES, found.project_id):
        abort(403)
    form = STATUS_FORMS[wanted]()
    if not form.validate_on_submit():
        return _render_status(found, {wanted.value: form}, 422)
    try:
        with saving(found):
            check_version(db.session, found, form.version.data)
            timeline.move_activity(db.session, current_user, found, wanted, clock_now(),
                                   reason=getattr(form, "reason", None) and form.reason.data)
    except EditConflict as exc:
        return _render_status(_activity_or_404(activity_id), {wanted.value: form}, 409, conflict_message(exc))
    except RuleViolation as exc:
        field_error(form, exc, {"security_plan": None, "facility_check": None, "status": None},
                    fallback="reason")
        return _render_status(_activity_or_404(activity_id), {wanted.value: form}, 422)
    db.session.expire_all()
    found = _activity_or_404(activity_id)
    if wants_fragment():
        return _render_status(found)
    flash(gettext("The activity is now: %(status)s.", status=activity_status_label(found.status)), "success")
    return redirect(url_for("activities.activity", activity_id=activity_id), code=303)


# ---------------------------------------------------------------------------- the detailed plan


def _plan_forms(activity: Activity, plan: ActivityDetailedPlan | None, forms: dict | None) -> dict:
    forms = dict(forms or {})
    if plan is None or activity.scheduled_at is None or activity.status == ActivityStatus.CANCELLED:
        return forms
    for action, factory in PLAN_STEP_FORMS.items():
        source = rules.PLAN_ACTIONS[action][0]
        if plan.status == source and timeline.may_take(current_user, action, activity.project_id):
            if action.value not in forms:
                forms[action.value] = factory(formdata=None)
        if action.value in forms:
            forms[action.value].version.data = plan.version
    return forms


def _fill_edit_form(form: DetailedPlanForm, plan: ActivityDetailedPlan | None, lines: list[ActivityMoneyLine]):
    if plan is not None:
        form.organisation.data = plan.organisation
        form.host.data = plan.host
        form.version.data = plan.version
    while len(form.purchase_lines.entries):
        form.purchase_lines.pop_entry()
    for line in lines:
        form.purchase_lines.append_entry({"item": line.item, "amount_fen": format_yuan(line.amount_fen)})
    while len(form.purchase_lines.entries) < max(5, len(lines) + 2):
        form.purchase_lines.append_entry()


def _plan_context(activity: Activity, *, edit_form: DetailedPlanForm | None = None, line_errors: dict | None = None,
                  forms: dict | None = None, conflict: str | None = None) -> dict:
    plan = activity.detailed_plan
    lines = timeline.purchase_lines(db.session, activity)
    editable = (
        activity.scheduled_at is not None
        and activity.status in (ActivityStatus.SCHEDULED, ActivityStatus.READY)
        and (plan is None or plan.status == PlanStatus.DRAFT)
        and timeline.may_write(current_user, activity.project_id)
    )
    if editable and edit_form is None:
        edit_form = DetailedPlanForm(formdata=None)
        _fill_edit_form(edit_form, plan, lines)
    if edit_form is not None and plan is not None and not edit_form.version.data:
        edit_form.version.data = plan.version
    return {
        "activity": activity,
        "plan": plan,
        "lines": lines,
        "total_fen": sum(line.amount_fen for line in lines),
        "edit_form": edit_form if editable else None,
        "line_errors": line_errors or {},
        "forms": _plan_forms(activity, plan, forms),
        "conflict": conflict,
        "people": {},
    }


def _render_plan(activity: Activity, status: int = 200, **kwargs):
    context = _plan_context(activity, **kwargs)
    plan = context["plan"]
    if wants_fragment():
        return render_template("activities/_detailed_plan_steps.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = audit.timeline(db.session, plan) if plan is not None else []
    return render_template("activities/detailed_plan.html", **context), status, {"Vary": "HX-Request"}


def _typed_lines(form: DetailedPlanForm) -> list[MoneyLine]:
    """The purchase lines typed, blank rows left out; amounts parsed from yuan (a refusal
    names the line's field)."""
    typed = []
    for entry in form.purchase_lines.entries:
        item, amount = entry.form.item.data, entry.form.amount_fen.data
        if not item and not amount:
            continue
        typed.append((item, amount))
    lines = []
    for i, (item, amount) in enumerate(typed):
        fen = parse_yuan(amount, f"purchase_lines-{i}-amount_fen")
        lines.append(MoneyLine(item or "", fen))
    return lines


def _compact(form: DetailedPlanForm) -> None:
    """Blank rows removed and the lines renumbered, so a refusal's field name points at the
    row the user sees; two blank rows after them."""
    kept = [(e.form.item.data, e.form.amount_fen.data) for e in form.purchase_lines.entries
            if e.form.item.data or e.form.amount_fen.data]
    while len(form.purchase_lines.entries):
        form.purchase_lines.pop_entry()
    for item, amount in kept:
        form.purchase_lines.append_entry({"item": item, "amount_fen": amount})
    while len(form.purchase_lines.entries) < max(5, len(kept) + 2):
        form.purchase_lines.append_entry()


@bp.route("/<int:activity_id>/detailed-plan", methods=["GET", "POST"])
def detailed_plan(activity_id: int):
    """ACT-04/10: the detailed plan and purchase list; the CS supervisor writes it while a
    draft (another reader sees it and the steps they may take)."""
    found = _activity_or_404(activity_id)
    if request.method == "GET":
        return _render_plan(found)
    if not timeline.may_write(current_user, found.project_id):
        abort(403)
    form = DetailedPlanForm()
    if not form.validate_on_submit():
        return _render_plan(found, 422, edit_form=form)
    line_errors: dict[str, str] = {}
    _compact(form)
    plan = found.detailed_plan
    try:
        with saving(plan) if plan is not None else committing():
            if plan is not None:
                check_version(db.session, plan, form.version.data)
            values = DetailedPlanValues(form.organisation.data, form.host.data, _typed_lines(form))
            timeline.save_detailed_plan(db.session, current_user, found, values, clock_now())
    except EditConflict as exc:
        return _render_plan(_activity_or_404(activity_id), 409, edit_form=form, conflict=conflict_message(exc))
    except RuleViolation as exc:
        field_error(form, exc, errors=line_errors)
        return _render_plan(_activity_or_404(activity_id), 422, edit_form=form, line_errors=line_errors)
    flash(gettext("The detailed plan is saved."), "success")
    return redirect(url_for("activities.detailed_plan", activity_id=activity_id), code=303)


@bp.post("/<int:activity_id>/detailed-plan/<action>")
def detailed_plan_step(activity_id: int, action: str):
    """ACT-04/10/14: submit → PM confirm / return → VP approve / return."""
    try:
        act = PlanAction(action)
    except ValueError:
        abort(404)
    found = _activity_or_404(activity_id)
    if not timeline.may_take(current_user, act, found.project_id):
        abort(403)
    form = PLAN_STEP_FORMS[act]()
    if not form.validate_on_submit():
        return _render_plan(found, 422, forms={act.value: form})
    plan = found.detailed_plan
    try:
        with saving(plan) if plan is not None else committing():
            if plan is not None:
                check_version(db.session, plan, form.version.data)
            timeline.take_detailed_plan_step(
                db.session, current_user, found, act, clock_now(),
                reasons=form.reasons.data if isinstance(form, ReturnForm) else None,
                content_confirmed=bool(form.content_confirmed.data) if isinstance(form, ApproveForm) else False,
            )
    except EditConflict as exc:
        return _render_plan(_activity_or_404(activity_id), 409, forms={act.value: form},
                            conflict=conflict_message(exc))
    except RuleViolation as exc:
        if exc.field == "host":
            exc.field = None
        field_error(form, exc)
        return _render_plan(_activity_or_404(activity_id), 422, forms={act.value: form})
    db.session.expire_all()
    found = _activity_or_404(activity_id)
    if wants_fragment():
        return _render_plan(found)
    flash(gettext("The detailed plan is now: %(status)s.",
                  status=plan_status_label(found.detailed_plan.status)), "success")
    return redirect(url_for("activities.detailed_plan", activity_id=activity_id), code=303)


# ---------------------------------------------------------------------------- moving the activity (活动改期, helper R)


class RescheduleForm(FlaskForm):
    version = HiddenField()
    day = StringField(_l("Date"), validators=[Length(max=10)], filters=[strip], render_kw={"type": "date"})
    start_time = StringField(_l("Starts"), validators=[Length(max=8)], filters=[strip], render_kw={"type": "time"})
    end_time = StringField(_l("Ends (by 22:00)"), validators=[Length(max=8)], filters=[strip],
                           render_kw={"type": "time"})
    place = StringField(_l("Place"), validators=[Length(max=rules.NAME_LIMIT)], filters=[strip])
    date_reason = StringField(_l("Reason for the date (when it is not a weekend or the eve of a major holiday)"),
                              validators=[Length(max=rules.REASON_LIMIT)], filters=[strip])
    reason = text_area(2, _l("Why it is moved"), rules.REASON_LIMIT)


def _reschedule_url(activity: Activity) -> str | None:
    """The move page's address for the status panel: for those who may move it, while it
    may be moved."""
    if not timeline.may_reschedule(current_user, activity.project_id):
        return None
    try:
        timeline.check_reschedule_open(activity, clock_now())
    except RuleViolation:
        return None
    return url_for("activities.reschedule", activity_id=activity.id)


def _read_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise RuleViolation(N_("Choose the date."), field="day") from None


def _read_time(text: str | None, name: str) -> time | None:
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0) if text else None
    except ValueError:
        raise RuleViolation(N_("Enter a time such as 19:30."), field=name) from None


def _render_reschedule(activity: Activity, form: RescheduleForm | None, status: int = 200, *,
                       refusal: str | None = None, conflict: str | None = None):
    if form is not None and not form.version.data:
        form.version.data = activity.version
    context = {"activity": activity, "form": form, "refusal": refusal, "conflict": conflict, **_header(activity)}
    return render_template("activities/reschedule.html", **context), status, {"Vary": "HX-Request"}


@bp.route("/<int:activity_id>/reschedule", methods=["GET", "POST"])
def reschedule(activity_id: int):
    """Move a scheduled or ready activity, before it starts, to another day, time or place
    (the PM, the CS supervisor): ACT-11 for the day, ACT-13 for the times, the reason
    kept; the undone milestones due again from the new day, the poster put up again."""
    found = _activity_or_404(activity_id)
    if not timeline.may_reschedule(current_user, found.project_id):
        abort(403)
    try:
        timeline.check_reschedule_open(found, clock_now())
    except RuleViolation as exc:
        return _render_reschedule(found, None, 200 if request.method == "GET" else 422, refusal=message(exc))
    if request.method == "GET":
        form = RescheduleForm(formdata=None, data={
            "version": found.version, "day": found.day.isoformat(), "start_time": f"{found.start_time:%H:%M}",
            "end_time": f"{found.end_time:%H:%M}", "place": found.place, "date_reason": found.date_reason,
        })
        return _render_reschedule(found, form)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _render_reschedule(found, form, 422)
    typed: dict[str, object] = {}
    unread = False
    for name, read in (("day", _read_day), ("start_time", lambda text: _read_time(text, "start_time")),
                       ("end_time", lambda text: _read_time(text, "end_time"))):
        try:
            typed[name] = read(getattr(form, name).data)
        except RuleViolation as exc:
            field_error(form, exc)
            unread = True
    if unread:
        return _render_reschedule(found, form, 422)
    try:
        with saving(found):
            check_version(db.session, found, form.version.data)
            timeline.reschedule(db.session, current_user, found, place=form.place.data,
                                date_reason=form.date_reason.data, reason=form.reason.data, now=clock_now(), **typed)
    except EditConflict as exc:
        return _render_reschedule(_activity_or_404(activity_id), form, 409, conflict=conflict_message(exc))
    except RuleViolation as exc:
        field_error(form, exc)
        return _render_reschedule(_activity_or_404(activity_id), form, 422)
    flash(gettext("The activity is moved; the timeline follows the new date."), "success")
    return redirect(url_for("activities.activity", activity_id=activity_id), code=303)
