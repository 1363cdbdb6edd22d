"""The annual activity plan 社区文化活动计划 (ACT-01…03, 13, 14): drafted by the project's
publicist from the owners' survey, confirmed by the PM, approved by the VP; on approval
every activity of the plan is put on its timeline (operations.schedule).

Operations take the session, the acting user and `now`, check the permission and the
state with the rules, audit what changed and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import operations, rules
from webapp.activities.models import (
    Activity,
    ActivityMilestone,
    ActivityMoneyLine,
    ActivityPlan,
    ActivitySurvey,
)
from webapp.activities.rules import HolidayCalendar, PlanAction, PlanKind, PlanStatus
from webapp.core import audit, idempotency, notify
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.i18n import gettext
from webapp.core.models import WorkItem
from webapp.core.notify import page_link
from webapp.core.rulekit import N_, RuleViolation
from webapp.org.access import NotPermitted, check
from webapp.org.models import Project
from webapp.org.rules import Permission

#: the work item kinds: a plan waiting for someone's step, and the 30 December reminder
PLAN_WORK = "activity_plan"
PLAN_DUE_WORK = "activity_plan_due"

#: the permission each step needs; the role that takes it is rules.plan_action_role
ACTION_PERMISSIONS: dict[PlanAction, Permission] = {
    PlanAction.SUBMIT: Permission.DRAFT_ACTIVITY_PLANS,
    PlanAction.PM_CONFIRM: Permission.CONFIRM_ACTIVITY_PLANS,
    PlanAction.PM_RETURN: Permission.CONFIRM_ACTIVITY_PLANS,
    PlanAction.VP_APPROVE: Permission.APPROVE_ACTIVITY_PLANS,
    PlanAction.VP_RETURN: Permission.APPROVE_ACTIVITY_PLANS,
}

#: whose "My work" a plan goes to after a step (None: nobody's, it is approved)
NEXT_ROLE: dict[PlanAction, str | None] = {
    PlanAction.SUBMIT: "pm",
    PlanAction.PM_CONFIRM: "vp",
    PlanAction.PM_RETURN: "publicist",
    PlanAction.VP_RETURN: "publicist",
    PlanAction.VP_APPROVE: None,
}

NEXT_TITLES: dict[PlanAction, str] = {
    PlanAction.SUBMIT: N_("Confirm the activity plan for %(year)s (feasibility and budget)"),
    PlanAction.PM_CONFIRM: N_("Approve the activity plan for %(year)s"),
    PlanAction.PM_RETURN: N_("Revise the returned activity plan for %(year)s"),
    PlanAction.VP_RETURN: N_("Revise the returned activity plan for %(year)s"),
}

for _action, _label in {
    "plan_drafted": N_("drafted the activity plan"),
    "plan_edited": N_("edited the activity plan"),
    "submit": N_("submitted the plan"),
    "pm_confirm": N_("confirmed feasibility and budget"),
    "pm_return": N_("returned the plan"),
    "vp_approve": N_("approved the plan"),
    "vp_return": N_("returned the plan"),
}.items():
    audit.ACTION_LABELS.setdefault(_action, _label)
del _action, _label
audit.FIELD_LABELS.setdefault("activities", N_("Activities"))
audit.FIELD_LABELS.setdefault("budget_fen", N_("Budget"))


# ---------------------------------------------------------------------------- who acts


def acts_as(actor, role: str, project_id: int) -> bool:
    """Whether `actor` holds `role` in the project (a company role everywhere); the
    administrator may take every step."""
    for grant_role, grant_project, _ in actor.grants:
        if grant_role == "admin":
            return True
        if grant_role == role and (grant_project is None or grant_project == project_id):
            return True
    return False


def may_take(actor, action: str, project_id: int) -> bool:
    """The permission of the step and the role the SOP gives it (ACT-02: the publicist
    submits the annual plan, not the CS supervisor who drafts detailed plans)."""
    act = PlanAction(action)
    from webapp.org.rules import is_allowed

    return is_allowed(actor.grants, ACTION_PERMISSIONS[act], project_id) and acts_as(
        actor, rules.plan_action_role(PlanKind.ANNUAL, act), project_id
    )


def may_draft(actor, project_id: int) -> bool:
    return may_take(actor, PlanAction.SUBMIT, project_id)


def _check_may_take(actor, action: str, project_id: int) -> None:
    check(actor, ACTION_PERMISSIONS[PlanAction(action)], project_id)
    if not may_take(actor, action, project_id):
        raise NotPermitted()


# ---------------------------------------------------------------------------- the values


@dataclass(frozen=True)
class ActivityRow:
    """An activity as the form gives it: the rules' PlannedActivity with its times, the
    poster's description and whether every household is to be told."""

    name: str | None
    method: str | None
    day: date | None
    start_time: time | None
    end_time: time | None
    place: str | None
    important: bool = False
    description: str | None = None
    date_reason: str | None = None


@dataclass(frozen=True)
class PlanInput:
    purpose: str | None
    activities: Sequence[ActivityRow]
    facilities: str | None
    budget_lines: Sequence[rules.MoneyLine]
    organisation: str | None


@dataclass(frozen=True)
class Checked:
    plan: rules.CheckedPlan
    rows: tuple[ActivityRow, ...]


def row_errors(rows: Sequence[ActivityRow], calendar: HolidayCalendar, year: int) -> dict[str, RuleViolation]:
    """Each row's own refusals, so that several rows' mistakes show at once: the times
    (ACT-13: a missing time, the end after the start, by 22:00) and the date (ACT-11)."""
    errors: dict[str, RuleViolation] = {}
    for i, row in enumerate(rows):
        prefix = f"activities-{i}"
        if row.start_time is None:
            errors[f"{prefix}-start_time"] = RuleViolation(N_("Enter the start time."), field=f"{prefix}-start_time")
        if row.end_time is None:
            errors[f"{prefix}-end_time"] = RuleViolation(N_("Enter the end time."), field=f"{prefix}-end_time")
        if row.day is not None and row.start_time is not None and row.end_time is not None:
            try:
                rules.check_times(rules.activity_start(row.day, row.start_time),
                                  rules.activity_start(row.day, row.end_time))
            except RuleViolation as violation:
                violation.field = f"{prefix}-end_time"
                errors[violation.field] = violation
        if row.day is not None and row.day.year == year:
            try:
                rules.check_activity_date(row.day, calendar, row.date_reason)
            except RuleViolation as violation:
                violation.field = f"{prefix}-date_reason"
                errors[violation.field] = violation
    return errors


def check_input(values: PlanInput, year: int, calendar: HolidayCalendar) -> tuple[Checked | None, dict[str, RuleViolation]]:
    """ACT-03 (rules.check_plan) with ACT-11 and ACT-13 for every row: the checked plan,
    or every refusal found, keyed by field name."""
    errors = row_errors(values.activities, calendar, year)
    planned = [rules.PlannedActivity(r.name or "", r.method or "", r.day, r.place or "", r.date_reason)
               for r in values.activities]
    try:
        checked = rules.check_plan(
            rules.PlanValues(values.purpose, planned, values.facilities, values.budget_lines, values.organisation),
            year,
            calendar,
        )
    except RuleViolation as violation:
        errors.setdefault(violation.field or "", violation)
        return None, errors
    if errors:
        return None, errors
    return Checked(checked, tuple(values.activities)), {}


def date_verdict(day: date, reason: str | None, calendar: HolidayCalendar) -> rules.DateVerdict | RuleViolation:
    """ACT-11's verdict on a date, or the refusal (HolidayYearUnknown for a year whose
    schedule is not yet known): for showing, never raised."""
    try:
        return rules.check_activity_date(day, calendar, reason)
    except RuleViolation as violation:
        return violation


# ---------------------------------------------------------------------------- draft and edit


def plan_for(session: so.Session, project_id: int, year: int) -> ActivityPlan | None:
    return session.scalar(sa.select(ActivityPlan).where(ActivityPlan.project_id == project_id,
                                                        ActivityPlan.year == year))


def survey_for(session: so.Session, project_id: int, year: int) -> ActivitySurvey | None:
    return session.scalar(sa.select(ActivitySurvey).where(ActivitySurvey.project_id == project_id,
                                                          ActivitySurvey.year == year))


class PlanExists(RuleViolation):
    """One plan per project and year: the existing one is `plan`."""

    def __init__(self, plan: ActivityPlan):
        self.plan = plan
        super().__init__(N_("The activity plan for %(year)s already exists."), field=None, year=plan.year)


def _fingerprint(year: int, values: PlanInput) -> str:
    return idempotency.fingerprint({"year": year, "values": repr(values)})


def draft_plan(session: so.Session, actor, project: Project, year: int, values: PlanInput, now: datetime,
               submission_key: str | None = None) -> tuple[ActivityPlan, bool]:
    """ACT-01/03: the publicist drafts the plan for `year`. Returns the plan and whether it
    is new (a repeat of `submission_key` returns the first one)."""
    _check_may_take(actor, PlanAction.SUBMIT, project.id)
    body = _fingerprint(year, values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(ActivityPlan, earlier.entity_id), False
    existing = plan_for(session, project.id, year)
    if existing is not None:
        raise PlanExists(existing)
    checked, errors = check_input(values, year, operations.calendar(session))
    if errors:
        raise next(iter(errors.values()))
    survey = survey_for(session, project.id, year)
    plan = ActivityPlan(project_id=project.id, year=year, status=PlanStatus.DRAFT, created_at=now,
                        created_by_id=actor.id, survey_id=survey.id if survey else None)
    session.add(plan)
    _store(session, plan, checked)
    session.flush()
    audit.record(session, plan, "plan_drafted", actor_id=actor.id, to_state=PlanStatus.DRAFT,
                 changes={"activities": [None, len(checked.rows)], "budget_fen": [None, checked.plan.total_fen]})
    idempotency.remember(session, submission_key, actor.id, plan, body)
    return plan, True


def edit_plan(session: so.Session, actor, plan: ActivityPlan, values: PlanInput, now: datetime) -> None:
    """The publicist revises a draft (a returned plan is a draft again)."""
    _check_may_take(actor, PlanAction.SUBMIT, plan.project_id)
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation(N_("Only a draft plan can be edited."))
    checked, errors = check_input(values, plan.year, operations.calendar(session))
    if errors:
        raise next(iter(errors.values()))
    before = {"activities": len(plan.activities), "budget_fen": sum(line.amount_fen for line in plan.budget_lines)}
    _store(session, plan, checked)
    audit.record(session, plan, "plan_edited", actor_id=actor.id,
                 changes={"activities": [before["activities"], len(checked.rows)],
                          "budget_fen": [before["budget_fen"], checked.plan.total_fen]})


def _store(session: so.Session, plan: ActivityPlan, checked: Checked) -> None:
    """The plan's columns, its activities (the rows kept keep their ids and public
    addresses; a draft has no timeline) and its budget lines."""
    values = checked.plan.values
    plan.purpose, plan.facilities, plan.organisation = values.purpose, values.facilities, values.organisation
    if plan.id is None:
        session.flush()
    existing = list(session.scalars(sa.select(Activity).where(Activity.plan_id == plan.id)
                                    .order_by(Activity.position, Activity.id)))
    for position, (row, cleaned, verdict) in enumerate(
        zip(checked.rows, values.activities, checked.plan.date_verdicts, strict=True)
    ):
        activity = existing[position] if position < len(existing) else None
        if activity is None:
            activity = Activity(project_id=plan.project_id, plan_id=plan.id, public_token=operations.new_public_token(),
                                status=rules.ActivityStatus.SCHEDULED, scheduled_at=None)
            session.add(activity)
        activity.position = position
        activity.name = cleaned.name
        activity.method = cleaned.method
        activity.day = cleaned.day
        activity.start_time = row.start_time
        activity.end_time = row.end_time
        activity.place = cleaned.place
        activity.important = bool(row.important)
        activity.description = (row.description or "").strip() or None
        activity.date_basis = verdict.basis
        activity.date_reason = verdict.reason
    for extra in existing[len(checked.rows):]:
        session.delete(extra)
    session.execute(sa.delete(ActivityMoneyLine).where(ActivityMoneyLine.plan_id == plan.id,
                                                       ActivityMoneyLine.kind == "budget"))
    for position, line in enumerate(values.budget_lines):
        session.add(ActivityMoneyLine(project_id=plan.project_id, kind="budget", plan_id=plan.id,
                                      position=position, item=line.item, amount_fen=line.amount_fen))
    session.flush()
    session.expire(plan, ["activities", "budget_lines"])


def stored_input(plan: ActivityPlan) -> PlanInput:
    """The plan as the form and the submit check read it."""
    return PlanInput(
        plan.purpose,
        [ActivityRow(a.name, a.method, a.day, a.start_time, a.end_time, a.place, a.important, a.description,
                     a.date_reason) for a in plan.activities],
        plan.facilities,
        [rules.MoneyLine(line.item, line.amount_fen) for line in plan.budget_lines],
        plan.organisation,
    )


# ---------------------------------------------------------------------------- approval


def _plan_link(plan: ActivityPlan) -> str:
    return page_link("activities.plan", f"/activities/plans/{plan.id}", plan_id=plan.id)


def take_plan_step(session: so.Session, actor, plan: ActivityPlan, action: str, now: datetime, *,
                   reasons: str | None = None, content_confirmed: bool = False) -> PlanStatus:
    """ACT-02/14: submit (re-checked: an incomplete plan is not submitted), the PM's
    confirmation or return, the VP's approval (content confirmed) or return. Each step
    closes the plan's work item and opens the next one's; approval puts every activity on
    its timeline."""
    act = PlanAction(action)
    _check_may_take(actor, act, plan.project_id)
    if act is PlanAction.SUBMIT and plan.status == PlanStatus.DRAFT:
        _, errors = check_input(stored_input(plan), plan.year, operations.calendar(session))
        if errors:
            violation = next(iter(errors.values()))
            raise RuleViolation(N_("The plan is incomplete: %(problem)s Edit it before submitting."),
                                problem=gettext(violation.message, **violation.params))
    target = rules.check_plan_action(PlanKind.ANNUAL, plan.status, act, reasons=reasons,
                                     content_confirmed=content_confirmed)
    source = plan.status
    note = None
    if act is PlanAction.SUBMIT:
        plan.submitted_at, plan.submitted_by_id = now, actor.id
        plan.pm_confirmed_at = plan.pm_confirmed_by_id = None
        _close_reminder(session, plan.project_id, plan.year, actor.id)
    elif act is PlanAction.PM_CONFIRM:
        plan.pm_confirmed_at, plan.pm_confirmed_by_id = now, actor.id
    elif act is PlanAction.VP_APPROVE:
        plan.approved_at, plan.approved_by_id, plan.content_confirmed = now, actor.id, True
    else:
        note = reasons.strip()
        plan.returned_at, plan.returned_by_id, plan.return_reasons = now, actor.id, note
    plan.status = target
    audit.record(session, plan, act.value, actor_id=actor.id, from_state=source, to_state=target, note=note)
    notify.close_work(session, entity=plan, kind=PLAN_WORK, done_by_id=actor.id)
    role = NEXT_ROLE[act]
    if role is not None:
        notify.open_work(session, project_id=plan.project_id, kind=PLAN_WORK,
                         title=gettext(NEXT_TITLES[act], year=plan.year), link=_plan_link(plan), entity=plan,
                         assignee_role=role, due_at=rules.plan_due(plan.year) if act in rules.RETURN_ACTIONS else None)
    if act is PlanAction.VP_APPROVE:
        for activity in plan.activities:
            operations.schedule(session, activity, now=now)
    return target


# ---------------------------------------------------------------------------- the year overview


@dataclass(frozen=True)
class YearRow:
    activity: Activity
    #: the next milestone not yet done, or None
    next_milestone: ActivityMilestone | None


def year_activities(session: so.Session, project_id: int, year: int) -> list[YearRow]:
    """The year's activities in date order with each one's next open milestone: two
    queries however many activities."""
    activities = list(session.scalars(
        sa.select(Activity)
        .where(Activity.project_id == project_id, Activity.day >= date(year, 1, 1), Activity.day <= date(year, 12, 31))
        .order_by(Activity.day, Activity.start_time, Activity.id)
    ))
    upcoming: dict[int, ActivityMilestone] = {}
    if activities:
        for row in session.scalars(
            sa.select(ActivityMilestone)
            .where(ActivityMilestone.activity_id.in_([a.id for a in activities]), ActivityMilestone.done_at.is_(None))
            .order_by(ActivityMilestone.due_at, ActivityMilestone.id)
        ):
            upcoming.setdefault(row.activity_id, row)
    return [YearRow(a, upcoming.get(a.id)) for a in activities]


def display_status(activity: Activity) -> str:
    """planned while its plan is not approved (no timeline yet), else its status."""
    return "planned" if activity.scheduled_at is None else activity.status


# ---------------------------------------------------------------------------- ACT-01 reminder


def reminder_key(project_id: int, year: int) -> str:
    return f"activity-plan-due:{project_id}:{year}"


def remind_plan_due(session: so.Session, now: datetime) -> int:
    """For the sweep: from 1 December, each active project whose plan for next year is not
    yet submitted has "Draft the activity plan for YEAR" in its publicists' work, due by 30
    December (rules.plan_due); once per project and year. Returns how many are new."""
    today = local_date(now)
    if today.month != 12:
        return 0
    year = today.year + 1
    projects = session.scalars(sa.select(Project).where(Project.active).order_by(Project.id)
                               .execution_options(all_projects=True)).all()
    submitted = set(session.scalars(
        sa.select(ActivityPlan.project_id)
        .where(ActivityPlan.year == year, ActivityPlan.submitted_at.is_not(None))
        .execution_options(all_projects=True)
    ))
    opened = 0
    for project in projects:
        if project.id in submitted:
            continue
        item = notify.open_work(
            session, project_id=project.id, kind=PLAN_DUE_WORK,
            title=gettext(N_("Draft the activity plan for %(year)s"), year=year),
            link=page_link("activities.index", f"/activities/?project={project.id}&year={year}",
                           project=project.id, year=year),
            assignee_role="publicist", due_at=rules.plan_due(year), dedupe_key=reminder_key(project.id, year),
        )
        if item.id is None:
            opened += 1
            session.flush()
    return opened


def _close_reminder(session: so.Session, project_id: int, year: int, actor_id: int) -> None:
    item = session.scalar(sa.select(WorkItem).where(WorkItem.dedupe_key == reminder_key(project_id, year),
                                                    WorkItem.done_at.is_(None)))
    if item is not None:
        item.done_at = clock_now()
        item.done_by_id = actor_id


def budget_total(lines: Sequence[ActivityMoneyLine]) -> int:
    return sum(line.amount_fen for line in lines)
