"""The year overview and the annual activity plan 社区文化活动计划 (ACT-01…03, 11, 13, 14).

GET       /activities/?project=&year=            the year: its plan, survey, activities and their next steps
GET, POST /activities/plans/new?project=&year=   the publicist drafts the plan (rows added without JS)
GET       /activities/plans/<id>                 the plan, where it stands, the steps the user may take
GET, POST /activities/plans/<id>/edit            the publicist revises a draft (or a returned plan)
POST      /activities/plans/<id>/<action>        submit, pm_confirm, pm_return, vp_approve, vp_return
GET       /activities/plans/<id>/print           the printable 社区文化活动计划 (A4)

Steps in webapp.activities.plans, rules in webapp.activities.rules.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.activities import operations, plans, rules
from webapp.activities.labels import festival_names
from webapp.activities.models import ActivityPlan, ActivitySurvey, ActivitySurveyAnswer
from webapp.activities.plan_forms import PlanForm, fill_plan, form_field_name, read_date, read_plan
from webapp.activities.rules import (
    DateBasis,
    DateVerdict,
    PlanAction,
    PlanStatus,
)
from webapp.activities.step_forms import PLAN_STEP_FORMS
from webapp.activities.views import bp
from webapp.core import audit
from webapp.core.actions import take_step
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, project_for
from webapp.org.models import Project, User
from webapp.org.rules import Permission

#: the years the pages accept (anything else is the current year)
YEARS = range(2000, 2101)


def verdict_note(day, verdict: DateVerdict | RuleViolation, calendar: rules.HolidayCalendar) -> tuple[bool, str]:
    """ACT-11's verdict as a person reads it: (acceptable, text)."""
    if isinstance(verdict, RuleViolation):
        return False, message(verdict)
    unknown = gettext("The holiday schedule for %(year)s is not yet known.", year=day.year)
    if verdict.basis == DateBasis.WEEKEND:
        text = gettext("Saturday or Sunday")
        return True, f"{text} · {unknown}" if verdict.provisional else text
    if verdict.basis == DateBasis.BEFORE_MAJOR_HOLIDAY:
        return True, gettext("The eve of %(festivals)s", festivals=festival_names(verdict.festivals))
    text = gettext("Another day, for this reason: %(reason)s", reason=verdict.reason)
    return True, text if calendar.knows(day) else f"{text} · {unknown}"


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year in YEARS else local_date(clock_now()).year


# ---------------------------------------------------------------------------- the year


@bp.get("/")
def index():
    """The year of one project: its plan (due 30 December of the year before, ACT-01), its
    survey, its activities in date order with each one's next step. Five queries (with
    next year's plan) however many activities."""
    project, projects = project_for(Permission.VIEW_ACTIVITIES, request.args.get("project", type=int))
    now = clock_now()
    year = _year()
    this_year = local_date(now).year
    plan = plans.plan_for(db.session, project.id, year)
    next_plan = plans.plan_for(db.session, project.id, year + 1) if year == this_year else None
    survey = plans.survey_for(db.session, project.id, year)
    rows = plans.year_activities(db.session, project.id, year)
    return render_template(
        "activities/index.html",
        project=project, projects=projects, year=year, this_year=this_year, now=now,
        plan=plan, next_plan=next_plan, survey=survey, rows=rows,
        due=rules.plan_due(year), late=rules.plan_is_late(year, plan.submitted_at if plan else None, now),
        next_due=rules.plan_due(year + 1),
        next_late=rules.plan_is_late(year + 1, next_plan.submitted_at if next_plan else None, now),
        may_draft=plans.may_draft(current_user, project.id),
        display_status=plans.display_status,
        milestone_state=lambda m: rules.milestone_state(m.due_at, m.done_at, now),
        milestone_title=lambda m: operations.MILESTONE_TITLES[rules.MilestoneCode(m.code)],
    )


# ---------------------------------------------------------------------------- the form


def _survey_results(survey: ActivitySurvey | None) -> Mapping[str, int] | None:
    """ACT-01: how many households chose each option of the year's survey."""
    if survey is None:
        return None
    try:
        from webapp.activities.survey import results_for
    except ImportError:
        results_for = None
    if results_for is not None:
        try:
            results = results_for(db.session, survey)
        except Exception:  # noqa: BLE001 - another part's function: fall back to counting here
            results = None
        if isinstance(results, Mapping):
            return results
        if results is not None and hasattr(results, "options"):
            return {row.option: row.count for row in results.options}
    answers = db.session.scalars(sa.select(ActivitySurveyAnswer.choices).where(ActivitySurveyAnswer.survey_id == survey.id))
    return rules.survey_results(survey.options, answers)


def _place(form: PlanForm, errors: Mapping[str, RuleViolation], list_errors: dict[str, str]) -> None:
    """Each refusal next to its field: a row's field, a plan field, the list it is about."""
    for name, violation in errors.items():
        text = message(violation)
        parts = name.split("-")
        target = None
        if len(parts) == 3 and parts[1].isdigit():
            rows = getattr(form, parts[0], None)
            if rows is not None and int(parts[1]) < len(rows.entries):
                target = getattr(rows.entries[int(parts[1])].form, parts[2], None)
        elif name in ("activities", "budget_lines"):
            list_errors[name] = text
            continue
        elif name:
            target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors") and isinstance(target.errors, list):
            if text not in target.errors:
                target.errors.append(text)
        else:
            form.form_errors.append(text)


def _verdicts(form: PlanForm, calendar) -> dict[int, tuple[bool, str]]:
    """ACT-11 beside each row whose date can be read."""

    notes = {}
    for i, entry in enumerate(form.activities.entries):
        try:
            day = read_date(entry.form.day.data, "day")
        except RuleViolation:
            continue
        if day is not None:
            notes[i] = verdict_note(day, plans.date_verdict(day, entry.form.date_reason.data, calendar), calendar)
    return notes


def _render_form(form: PlanForm, project, year: int, plan: ActivityPlan | None, status: int = 200,
                 list_errors: dict[str, str] | None = None):
    survey = plan.survey if plan is not None and plan.survey is not None else plans.survey_for(db.session, project.id, year)
    calendar = operations.calendar(db.session)
    return render_template(
        "activities/plan_form.html",
        form=form, project=project, year=year, plan=plan, list_errors=list_errors or {},
        verdicts=_verdicts(form, calendar), survey=survey, results=_survey_results(survey),
        calendar_knows=calendar.knows, due=rules.plan_due(year),
    ), status


def _added_row(form: PlanForm) -> bool:
    """The "add an activity" / "add a budget line" buttons: an empty row, nothing saved."""
    wanted = request.form.get("add")
    rows = {"activity": form.activities, "budget_line": form.budget_lines}.get(wanted or "")
    if rows is None:
        return False
    if len(rows.entries) < (rows.max_entries or 100):
        rows.append_entry()
    return True


def _refused(form: PlanForm, errors: dict[str, RuleViolation], row_index, line_index, violation=None):
    mapped = {form_field_name(name, row_index, line_index): v for name, v in (
        [(violation.field or "", violation)] if violation is not None else [])}
    for name, v in errors.items():
        mapped.setdefault(name, v)
    list_errors: dict[str, str] = {}
    _place(form, mapped, list_errors)
    return list_errors


def _check(form: PlanForm, year: int):
    """Read the form and check it: (values, None) or (None, the errors per form field)."""
    values, errors, row_index, line_index = read_plan(form)
    _, found = plans.check_input(values, year, operations.calendar(db.session))
    for name, violation in found.items():
        errors.setdefault(form_field_name(name, row_index, line_index), violation)
    return values, errors, row_index, line_index


@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    """ACT-01/03: the publicist drafts the plan for a year (next year unless asked)."""
    project, _ = project_for(Permission.DRAFT_ACTIVITY_PLANS, request.args.get("project", type=int))
    if not plans.may_draft(current_user, project.id):
        abort(403)
    year = request.args.get("year", type=int)
    year = year if year in YEARS else local_date(clock_now()).year + 1
    form = PlanForm()
    if request.method == "GET":
        existing = plans.plan_for(db.session, project.id, year)
        if existing is not None:
            flash(gettext("The activity plan for %(year)s already exists: here it is.", year=year), "info")
            return redirect(url_for("activities.plan", plan_id=existing.id), code=303)
        return _render_form(form, project, year, None)
    if _added_row(form):
        return _render_form(form, project, year, None)
    if not form.validate_on_submit():
        return _render_form(form, project, year, None, 422)
    values, errors, row_index, line_index = _check(form, year)
    if errors:
        return _render_form(form, project, year, None, 422, _refused(form, errors, row_index, line_index))
    try:
        plan, _ = plans.draft_plan(db.session, current_user, project, year, values, clock_now(),
                                   form.submission_key.data)
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except plans.PlanExists as exists:
        db.session.rollback()
        flash(gettext("The activity plan for %(year)s already exists: here it is.", year=year), "info")
        return redirect(url_for("activities.plan", plan_id=exists.plan.id), code=303)
    except RuleViolation as violation:
        db.session.rollback()
        return _render_form(form, project, year, None, 422, _refused(form, {}, row_index, line_index, violation))
    flash(gettext("The activity plan for %(year)s is saved as a draft.", year=year), "success")
    return redirect(url_for("activities.plan", plan_id=plan.id), code=303)


def _project(plan: ActivityPlan) -> Project:
    return db.session.get(Project, plan.project_id)


def _plan_or_404(plan_id: int) -> ActivityPlan:
    plan = db.session.scalar(
        sa.select(ActivityPlan)
        .where(ActivityPlan.id == plan_id)
        .options(so.selectinload(ActivityPlan.activities), so.selectinload(ActivityPlan.budget_lines),
                 so.joinedload(ActivityPlan.survey))
    )
    if plan is None:
        abort(404)
    return plan


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
def plan_edit(plan_id: int):
    """The publicist revises the draft; a submitted or approved plan is not edited."""
    plan = _plan_or_404(plan_id)
    if not plans.may_draft(current_user, plan.project_id):
        abort(403)
    if plan.status != PlanStatus.DRAFT:
        flash(gettext("Only a draft plan can be edited."), "error")
        return redirect(url_for("activities.plan", plan_id=plan.id), code=303)
    form = PlanForm()
    if request.method == "GET":
        fill_plan(form, plans.stored_input(plan))
        form.version.data = plan.version
        return _render_form(form, _project(plan), plan.year, plan)
    if _added_row(form):
        return _render_form(form, _project(plan), plan.year, plan)
    if not form.validate_on_submit():
        return _render_form(form, _project(plan), plan.year, plan, 422)
    values, errors, row_index, line_index = _check(form, plan.year)
    if errors:
        return _render_form(form, _project(plan), plan.year, plan, 422, _refused(form, errors, row_index, line_index))
    from webapp.core.locking import EditConflict, check_version, conflict_message, touch
    from webapp.core.locking import commit as commit_edit

    try:
        check_version(db.session, plan, form.version.data)
        plans.edit_plan(db.session, current_user, plan, values, clock_now())
        touch(plan, current_user.id)
        commit_edit(db.session, plan)
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except EditConflict as exc:
        db.session.rollback()
        form.form_errors.append(conflict_message(exc))
        return _render_form(form, _project(plan), plan.year, _plan_or_404(plan_id), 409)
    except RuleViolation as violation:
        db.session.rollback()
        plan = _plan_or_404(plan_id)
        return _render_form(form, _project(plan), plan.year, plan, 422,
                            _refused(form, {}, row_index, line_index, violation))
    flash(gettext("The plan is saved."), "success")
    return redirect(url_for("activities.plan", plan_id=plan_id), code=303)


# ---------------------------------------------------------------------------- the plan and its steps


def _step_forms(plan: ActivityPlan, forms: dict | None) -> dict:
    forms = dict(forms or {})
    for action in PlanAction:
        source, _ = rules.PLAN_ACTIONS[action]
        if action.value not in forms and plan.status == source and plans.may_take(current_user, action, plan.project_id):
            forms[action.value] = PLAN_STEP_FORMS[action](formdata=None)
        if action.value in forms:
            forms[action.value].version.data = plan.version
    return forms


def _render_plan(plan: ActivityPlan, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    now = clock_now()
    calendar = operations.calendar(db.session)
    ids = {plan.submitted_by_id, plan.pm_confirmed_by_id, plan.approved_by_id, plan.returned_by_id,
           plan.created_by_id} - {None}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    context = {
        "plan": plan,
        "forms": _step_forms(plan, forms),
        "conflict": conflict,
        "people": people,
        "now": now,
        "late": rules.plan_is_late(plan.year, plan.submitted_at, now),
        "due": rules.plan_due(plan.year),
        "verdicts": {a.id: verdict_note(a.day, plans.date_verdict(a.day, a.date_reason, calendar), calendar)
                     for a in plan.activities},
        "total_fen": plans.budget_total(plan.budget_lines),
        "may_edit": plan.status == PlanStatus.DRAFT and plans.may_draft(current_user, plan.project_id),
        "display_status": plans.display_status,
    }
    if not wants_fragment():
        context["events"] = audit.timeline(db.session, plan)
    return render("activities/plan.html", "activities/_plan_panel.html", status, **context)


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    found = _plan_or_404(plan_id)
    if not can(Permission.VIEW_ACTIVITIES, found.project_id):
        abort(403)
    return _render_plan(found)


@bp.post("/plans/<int:plan_id>/<action>")
def plan_step(plan_id: int, action: str):
    """ACT-02/14: one step of the plan's approval, by the role the SOP gives it."""
    if action not in {a.value for a in PlanAction}:
        abort(404)

    def do(plan, form, now):
        plans.take_plan_step(
            db.session, current_user, plan, action, now,
            reasons=form.reasons.data if hasattr(form, "reasons") else None,
            content_confirmed=bool(form.content_confirmed.data) if hasattr(form, "content_confirmed") else False,
        )

    done = {
        "submit": gettext("The plan is with the project manager."),
        "pm_confirm": gettext("The plan is with the vice president."),
        "pm_return": gettext("The plan is returned to the publicist with your reasons."),
        "vp_approve": gettext("The plan is approved: its activities are on their timelines."),
        "vp_return": gettext("The plan is returned to the publicist with your reasons."),
    }
    return take_step(
        action,
        load=lambda: _plan_or_404(plan_id),
        allowed=lambda plan: plans.may_take(current_user, action, plan.project_id),
        form=lambda plan: PLAN_STEP_FORMS[PlanAction(action)](),
        do=do,
        show=_render_plan,
        done_url=url_for("activities.plan", plan_id=plan_id),
        done_message=done[action],
    )


@bp.get("/plans/<int:plan_id>/print")
def plan_print(plan_id: int):
    """社区文化活动计划 as the printed document (A4)."""
    found = _plan_or_404(plan_id)
    if not can(Permission.VIEW_ACTIVITIES, found.project_id):
        abort(403)
    ids = {found.submitted_by_id, found.pm_confirmed_by_id, found.approved_by_id, found.created_by_id} - {None}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template("activities/plan_print.html", plan=found, people=people,
                           total_fen=plans.budget_total(found.budget_lines))
