"""What every part of the activities slice shares: the holiday calendar the app decides on,
an activity's public address, its timeline put into the database and into "My work", and
who may do a milestone.

Operations take the session and the acting user, check permissions with the state, and
leave the commit to the caller.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import rules
from webapp.activities.holidays import HolidayRow, holiday_calendar
from webapp.activities.models import Activity, ActivityMilestone, HolidayDay
from webapp.activities.rules import HolidayCalendar, MilestoneCode
from webapp.core import notify
from webapp.core.i18n import gettext
from webapp.core.notify import page_link
from webapp.core.rulekit import N_
from webapp.org.models import Department
from webapp.org.rules import COMPANY_ROLES

#: the kind of the work items a milestone puts into "My work"
MILESTONE_WORK = "activity_milestone"

#: what each milestone asks of its owner, as "My work" and the timeline show it
MILESTONE_TITLES: dict[MilestoneCode, str] = {
    MilestoneCode.DETAILED_PLAN: N_("Write the detailed organisation plan and purchase list"),
    MilestoneCode.FEASIBILITY_MEETING: N_("Hold the feasibility meeting (prizes, funding)"),
    MilestoneCode.PM_APPROVAL: N_("Confirm the detailed plan"),
    MilestoneCode.VP_APPROVAL: N_("Approve the detailed plan"),
    MilestoneCode.PREPARATION_MEETING: N_("Hold the preparation meeting and keep the minutes"),
    MilestoneCode.POSTER: N_("Put the notice poster up on the notice boards"),
    MilestoneCode.HOUSEHOLD_NOTICE: N_("Notify every household"),
    MilestoneCode.PREPARATION_CHECKLIST: N_("Complete the preparation checklist"),
    MilestoneCode.SECURITY_PLAN: N_("Write the crowd-flow and evacuation plan"),
    MilestoneCode.FACILITY_CHECK: N_("Check the facilities and write the emergency plan"),
    MilestoneCode.REHEARSAL: N_("Hold the rehearsal"),
    MilestoneCode.DAY_ROSTER: N_("Set the day's roster and shifts"),
    MilestoneCode.SUMMARY: N_("Write the summary"),
}

#: milestones that are done by another step, not ticked on the timeline: the detailed
#: plan's submission and approvals, the households (all notified), the checklist (all
#: ticked), the roster (complete) and the summary (written)
DONE_BY_THEIR_OWN_STEP = frozenset(
    {
        MilestoneCode.DETAILED_PLAN,
        MilestoneCode.PM_APPROVAL,
        MilestoneCode.VP_APPROVAL,
        MilestoneCode.HOUSEHOLD_NOTICE,
        MilestoneCode.PREPARATION_CHECKLIST,
        MilestoneCode.DAY_ROSTER,
        MilestoneCode.SUMMARY,
    }
)


def calendar(session: so.Session) -> HolidayCalendar:
    """ACT-11's calendar: the package's schedules with the administrators' rows over them."""
    rows = session.execute(sa.select(HolidayDay.day, HolidayDay.kind, HolidayDay.name).order_by(HolidayDay.day))
    return holiday_calendar(HolidayRow(day, kind, name) for day, kind, name in rows)


def new_public_token() -> str:
    """A survey's or an activity's public address: unguessable, names nobody."""
    return secrets.token_urlsafe(16)


def activity_link(activity: Activity) -> str:
    return page_link("activities.activity", f"/activities/{activity.id}", activity_id=activity.id)


def milestone_title(activity: Activity, code: str) -> str:
    return f"{gettext(MILESTONE_TITLES[MilestoneCode(code)])} · {activity.name}"[:200]


def department_id_of_kind(session: so.Session, project_id: int, kind: str | None) -> int | None:
    """The project's department of a DepartmentKind (its first active one), where a
    supervisor's milestone goes; None for no kind or no such department."""
    if kind is None:
        return None
    return session.scalar(
        sa.select(Department.id)
        .where(Department.project_id == project_id, Department.kind == kind, Department.active)
        .order_by(Department.id)
        .limit(1)
    )


def schedule(session: so.Session, activity: Activity, *, now: datetime) -> list[ActivityMilestone]:
    """ACT-04…09, 12, 15: the activity's milestones from its date (rules.activity_timeline,
    compressed when it is scheduled late), each put into "My work" of the role that owns
    it (a department supervisor's in their department). Once: a second call changes
    nothing."""
    if activity.scheduled_at is not None:
        return list(activity.milestones)
    activity.scheduled_at = now
    activity.status = rules.ActivityStatus.SCHEDULED
    created = []
    for milestone in rules.activity_timeline(activity.day, activity.start_time, activity.important, created_at=now):
        row = ActivityMilestone(
            project_id=activity.project_id,
            activity_id=activity.id,
            code=milestone.code,
            rule=milestone.rule,
            role=milestone.role,
            department_kind=milestone.department,
            due_at=milestone.due,
            earliest_at=milestone.earliest,
            compressed=milestone.compressed,
        )
        session.add(row)
        created.append(row)
    session.flush()
    for row in created:
        notify.open_work(
            session,
            project_id=activity.project_id,
            kind=MILESTONE_WORK,
            title=milestone_title(activity, row.code),
            link=activity_link(activity),
            entity=row,
            assignee_role=row.role,
            department_id=department_id_of_kind(session, activity.project_id, row.department_kind),
            due_at=row.due_at,
            dedupe_key=f"activity-milestone:{row.id}",
        )
    return created


def milestone(session: so.Session, activity: Activity, code: str) -> ActivityMilestone | None:
    return session.scalar(
        sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity.id, ActivityMilestone.code == MilestoneCode(code)
        )
    )


def holds_milestone_role(actor, row: ActivityMilestone, department_kinds: dict[int, str]) -> bool:
    """Whether `actor` holds the role a milestone names in its project (a department
    supervisor: of a department of the milestone's kind; `department_kinds` maps the
    project's department ids to their kinds). A company role holds it everywhere."""
    for role, project_id, department_id in actor.grants:
        if role != row.role:
            continue
        if role in COMPANY_ROLES:
            return True
        if project_id != row.project_id:
            continue
        if row.department_kind is None or department_kinds.get(department_id) == row.department_kind:
            return True
    return False


def department_kinds(session: so.Session, project_id: int) -> dict[int, str]:
    rows = session.execute(sa.select(Department.id, Department.kind).where(Department.project_id == project_id))
    return {department_id: kind for department_id, kind in rows}


def complete_milestone(
    session: so.Session, row: ActivityMilestone, *, actor_id: int | None, now: datetime, note: str | None = None
) -> None:
    """Mark a milestone done (rules.check_milestone_done: not before its earliest moment)
    and close its work item. Done once: a later call keeps the first time and person."""
    if row.done_at is not None:
        return
    rules.check_milestone_done(row.earliest_at, now)
    row.done_at = now
    row.done_by_id = actor_id
    if note is not None:
        row.note = note
    notify.close_work(session, entity=row, kind=MILESTONE_WORK, done_by_id=actor_id)

