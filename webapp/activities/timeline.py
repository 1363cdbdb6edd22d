"""An activity's own page in operations: its milestones ticked on the timeline (ACT-05, 06,
08, 12), its detailed organisation plan with the purchase list and their approval (ACT-04,
10, 14), its status (ready only with both safety plans, ACT-12; held; cancelled), its move
to another day, time or place (活动改期, ACT-11/13) and the overdue reminders of the sweep.

Each verb takes the session, the acting user and `now`; checks the permission with
org.access.check and the state with the rules; writes an audit event; never commits.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import operations, rules
from webapp.activities.models import (
    Activity,
    ActivityDetailedPlan,
    ActivityMilestone,
    ActivityMoneyLine,
    ActivityRosterEntry,
)
from webapp.activities.rules import (
    ActivityStatus,
    DetailedPlanValues,
    MilestoneCode,
    PlanAction,
    PlanKind,
    PlanStatus,
)
from webapp.core import audit, notify
from webapp.core.clock import to_local
from webapp.core.i18n import gettext
from webapp.core.models import WorkItem
from webapp.core.rulekit import N_, RuleViolation
from webapp.org.access import NotPermitted
from webapp.org.access import check as _require
from webapp.org.models import User
from webapp.org.queries import users_with_roles
from webapp.org.rules import Permission, Role, is_allowed
from webapp.paid_services.rules import format_yuan

#: the work item of a detailed plan returned to its writer with the reasons
DETAILED_PLAN_RETURNED = "activity_detailed_plan_returned"

#: the milestone each step of the detailed plan completes (ACT-04)
STEP_MILESTONES: dict[PlanAction, MilestoneCode] = {
    PlanAction.SUBMIT: MilestoneCode.DETAILED_PLAN,
    PlanAction.PM_CONFIRM: MilestoneCode.PM_APPROVAL,
    PlanAction.VP_APPROVE: MilestoneCode.VP_APPROVAL,
}

#: who may take each step of the detailed plan (the role is checked besides, see may_take)
STEP_PERMISSIONS: dict[PlanAction, Permission] = {
    PlanAction.SUBMIT: Permission.DRAFT_ACTIVITY_PLANS,
    PlanAction.PM_CONFIRM: Permission.CONFIRM_ACTIVITY_PLANS,
    PlanAction.PM_RETURN: Permission.CONFIRM_ACTIVITY_PLANS,
    PlanAction.VP_APPROVE: Permission.APPROVE_ACTIVITY_PLANS,
    PlanAction.VP_RETURN: Permission.APPROVE_ACTIVITY_PLANS,
}

audit.ACTION_LABELS.update(
    {
        "activity_milestone_done": N_("marked a step of the timeline done"),
        "detailed_plan_saved": N_("saved the detailed plan"),
        "detailed_plan_submit": N_("submitted the detailed plan"),
        "detailed_plan_pm_confirm": N_("confirmed the detailed plan"),
        "detailed_plan_pm_return": N_("returned the detailed plan"),
        "detailed_plan_vp_approve": N_("approved the detailed plan"),
        "detailed_plan_vp_return": N_("returned the detailed plan"),
        "activity_ready": N_("marked the activity ready"),
        "activity_held": N_("marked the activity held"),
        "activity_cancelled": N_("cancelled the activity"),
    }
)
audit.FIELD_LABELS.setdefault("host", N_("Host"))
audit.FIELD_LABELS.setdefault("organisation", N_("Organisation"))
audit.FIELD_LABELS.setdefault("purchase_total", N_("Purchase total (yuan)"))


# ---------------------------------------------------------------------------- who


def _grants_role(actor: User, role: str, project_id: int) -> bool:
    for granted, project, _department in actor.grants:
        if granted == role and (project is None or project == project_id):
            return True
    return False


def is_admin(actor: User) -> bool:
    return any(role == Role.ADMIN for role, _project, _department in actor.grants)


def may_do_milestone(actor: User, row: ActivityMilestone, department_kinds: dict[int, str]) -> bool:
    """The holder of the milestone's role (a supervisor of a department of its kind), or
    an administrator."""
    return is_admin(actor) or operations.holds_milestone_role(actor, row, department_kinds)


def may_take(actor: User, action: str, project_id: int) -> bool:
    """A detailed-plan step needs its permission; writing and submitting also the CS
    supervisor's role (rules.plan_action_role: a publicist drafts the annual plan, not
    this one). Administrators may do everything."""
    act = PlanAction(action)
    if not is_allowed(actor.grants, STEP_PERMISSIONS[act], project_id):
        return False
    if act is PlanAction.SUBMIT:
        return is_admin(actor) or _grants_role(actor, rules.plan_action_role(PlanKind.DETAILED, act), project_id)
    return True


def may_write(actor: User, project_id: int) -> bool:
    return may_take(actor, PlanAction.SUBMIT, project_id)


# ---------------------------------------------------------------------------- state of the activity


def check_on_timeline(activity: Activity) -> None:
    """Steps on an activity need its timeline: not while planned, not once cancelled."""
    if activity.scheduled_at is None:
        raise RuleViolation(N_("This activity is planned: its timeline starts when the annual plan is approved."))
    if activity.status == ActivityStatus.CANCELLED:
        raise RuleViolation(N_("This activity is cancelled."))


def _milestone_title(code: str) -> str:
    return gettext(operations.MILESTONE_TITLES[MilestoneCode(code)])


# ---------------------------------------------------------------------------- milestones ticked on the timeline


def mark_milestone_done(
    session: so.Session,
    actor: User,
    activity: Activity,
    row: ActivityMilestone,
    note: str | None,
    now: datetime,
    kinds: dict[int, str] | None = None,
) -> ActivityMilestone:
    """ACT-05…08, 12: the holder of the milestone's role ticks it with its note (the
    minutes, the safety plan: rules.check_milestone_note); the rehearsal not before T−3
    (rules.check_milestone_done). Milestones done by their own step are not ticked here.
    Done once: a second tick changes nothing."""
    if kinds is None:
        kinds = operations.department_kinds(session, activity.project_id)
    if not may_do_milestone(actor, row, kinds):
        raise NotPermitted()
    if MilestoneCode(row.code) in operations.DONE_BY_THEIR_OWN_STEP:
        raise RuleViolation(N_("This step is done on its own page."), field="note")
    check_on_timeline(activity)
    if row.done_at is not None:
        return row
    text = rules.check_milestone_note(row.code, note)
    operations.complete_milestone(session, row, actor_id=actor.id, now=now, note=text)
    audit.record(session, activity, "activity_milestone_done", actor_id=actor.id,
                 note=f"{_milestone_title(row.code)}{': ' + text if text else ''}"[:2000])
    return row


# ---------------------------------------------------------------------------- the detailed plan


def purchase_lines(session: so.Session, activity: Activity) -> list[ActivityMoneyLine]:
    return list(
        session.scalars(
            sa.select(ActivityMoneyLine)
            .where(ActivityMoneyLine.activity_id == activity.id, ActivityMoneyLine.kind == "purchase")
            .order_by(ActivityMoneyLine.position, ActivityMoneyLine.id)
        )
    )


def save_detailed_plan(
    session: so.Session, actor: User, activity: Activity, values: DetailedPlanValues, now: datetime
) -> ActivityDetailedPlan:
    """ACT-04/10: the CS supervisor writes (or rewrites, while a draft) the organisation, the
    host and the purchase list; its lines replace the activity's purchase lines."""
    _require(actor, Permission.DRAFT_ACTIVITY_PLANS, activity.project_id)
    if not may_write(actor, activity.project_id):
        raise NotPermitted()
    check_on_timeline(activity)
    checked = rules.check_detailed_plan(values)
    plan = activity.detailed_plan
    if plan is None:
        plan = ActivityDetailedPlan(
            project_id=activity.project_id, activity_id=activity.id, status=PlanStatus.DRAFT.value,
            created_at=now, created_by_id=actor.id,
        )
        session.add(plan)
        activity.detailed_plan = plan
    elif plan.status != PlanStatus.DRAFT:
        raise RuleViolation(N_("Only a draft plan can be changed."))
    before_total = sum(line.amount_fen for line in purchase_lines(session, activity))
    changes = audit.diff(plan, {"organisation": checked.organisation, "host": checked.host}) if plan.id else {}
    plan.organisation = checked.organisation
    plan.host = checked.host
    session.execute(
        sa.delete(ActivityMoneyLine).where(
            ActivityMoneyLine.activity_id == activity.id, ActivityMoneyLine.kind == "purchase"
        )
    )
    for position, line in enumerate(checked.purchase_lines):
        session.add(ActivityMoneyLine(project_id=activity.project_id, kind="purchase", activity_id=activity.id,
                                      position=position, item=line.item, amount_fen=line.amount_fen))
    session.flush()
    total = sum(line.amount_fen for line in checked.purchase_lines)
    if total != before_total:
        changes = dict(changes or {})
        changes["purchase_total"] = [format_yuan(before_total), format_yuan(total)]
    audit.record(session, plan, "detailed_plan_saved", actor_id=actor.id, changes=changes or None)
    return plan


def take_detailed_plan_step(
    session: so.Session,
    actor: User,
    activity: Activity,
    action: str,
    now: datetime,
    *,
    reasons: str | None = None,
    content_confirmed: bool = False,
) -> ActivityDetailedPlan:
    """ACT-04/10/14: submit (CS supervisor) → the PM confirms or returns → the VP approves
    (content confirmed) or returns; returns need the reasons, going forward the host.
    Submit, the PM's confirmation and the VP's approval complete their milestones (done by
    the actor) and so close their "My work" items; a return puts the rework into the
    writer's work."""
    act = PlanAction(action)
    _require(actor, STEP_PERMISSIONS[act], activity.project_id)
    if not may_take(actor, act, activity.project_id):
        raise NotPermitted()
    check_on_timeline(activity)
    plan = activity.detailed_plan
    if plan is None:
        raise RuleViolation(N_("Write the detailed plan first."))
    target = rules.check_plan_action(
        PlanKind.DETAILED, plan.status, act, reasons=reasons, content_confirmed=content_confirmed, host=plan.host
    )
    if act is PlanAction.SUBMIT and not purchase_lines(session, activity):
        raise RuleViolation(N_("Add at least one line to the purchase list."), field="purchase_lines")
    before = plan.status
    plan.status = target.value
    note = None
    if act is PlanAction.SUBMIT:
        plan.submitted_at, plan.submitted_by_id = now, actor.id
        notify.close_work(session, entity=plan, kind=DETAILED_PLAN_RETURNED, done_by_id=actor.id)
    elif act is PlanAction.PM_CONFIRM:
        plan.pm_confirmed_at, plan.pm_confirmed_by_id = now, actor.id
    elif act is PlanAction.VP_APPROVE:
        plan.approved_at, plan.approved_by_id = now, actor.id
        plan.content_confirmed = True
    else:
        note = reasons.strip() if reasons else None
        plan.returned_at, plan.returned_by_id, plan.return_reasons = now, actor.id, note
        plan.content_confirmed = False
        writer = plan.submitted_by_id or plan.created_by_id
        rework = gettext("Rework the detailed plan")
        title = f"{rework} · {activity.name}"[:200]
        if writer is not None:
            notify.open_work(
                session, project_id=activity.project_id, kind=DETAILED_PLAN_RETURNED, title=title,
                link=operations.activity_link(activity), entity=plan, assignee_id=writer,
                dedupe_key=f"activity-detailed-plan:{plan.id}:returned:{now.isoformat()}",
            )
            notify.notify(session, [writer], project_id=activity.project_id, title=title, body=note,
                          link=operations.activity_link(activity))
    code = STEP_MILESTONES.get(act)
    if code is not None:
        row = operations.milestone(session, activity, code)
        if row is not None:
            operations.complete_milestone(session, row, actor_id=actor.id, now=now)
    audit.record(session, plan, f"detailed_plan_{act.value}", actor_id=actor.id, from_state=before,
                 to_state=plan.status, note=note)
    return plan


# ---------------------------------------------------------------------------- the activity's status


def _milestone_done_at(session: so.Session, activity: Activity, code: MilestoneCode) -> datetime | None:
    row = operations.milestone(session, activity, code)
    return row.done_at if row is not None else None


def move_activity(
    session: so.Session, actor: User, activity: Activity, target: str, now: datetime, *, reason: str | None = None
) -> Activity:
    """ACT-12: ready only once the security plan and the facility check are done; held
    once it has started (from ready); cancelled with a reason, every open milestone item
    closed (the owners' page then says it is cancelled)."""
    _require(actor, Permission.ORGANISE_ACTIVITIES, activity.project_id)
    wanted = ActivityStatus(target)
    if wanted not in (ActivityStatus.READY, ActivityStatus.HELD, ActivityStatus.CANCELLED):
        raise RuleViolation(N_("An activity that is %(current)s cannot become %(target)s."),
                            current=activity.status, target=target)
    check_on_timeline(activity)
    before = activity.status
    note = None
    if wanted is ActivityStatus.READY:
        rules.check_ready_for_day(
            activity.status,
            security_plan_done_at=_milestone_done_at(session, activity, MilestoneCode.SECURITY_PLAN),
            facility_check_done_at=_milestone_done_at(session, activity, MilestoneCode.FACILITY_CHECK),
        )
        activity.ready_at = now
    elif wanted is ActivityStatus.HELD:
        rules.check_held(activity.status, rules.activity_start(activity.day, activity.start_time), now)
        activity.held_at = now
    else:
        note = rules.check_cancel(activity.status, reason)
        activity.cancelled_at = now
        activity.cancel_reason = note
        for row in activity.milestones:
            notify.close_work(session, entity=row, kind=operations.MILESTONE_WORK, done_by_id=actor.id)
        if activity.detailed_plan is not None:
            notify.close_work(session, entity=activity.detailed_plan, done_by_id=actor.id)
    activity.status = wanted.value
    audit.record(session, activity, f"activity_{wanted.value}", actor_id=actor.id, from_state=before,
                 to_state=activity.status, note=note)
    return activity


# ---------------------------------------------------------------------------- the sweep


def remind_overdue_milestones(session: so.Session, now: datetime) -> int:
    """Tell the holders of a milestone's role (a supervisor: of a department of its kind)
    once when it passes its due undone, for activities still being prepared. Safe to run
    as often as wanted: one notification per milestone and person. Returns how many were
    sent."""
    from webapp.org.models import Department

    rows = session.execute(
        sa.select(ActivityMilestone, Activity.name)
        .join(Activity, Activity.id == ActivityMilestone.activity_id)
        .where(
            ActivityMilestone.done_at.is_(None),
            ActivityMilestone.due_at < now,
            Activity.status.in_([ActivityStatus.SCHEDULED.value, ActivityStatus.READY.value]),
            Activity.scheduled_at.is_not(None),
        )
        .order_by(ActivityMilestone.due_at, ActivityMilestone.id)
        .execution_options(all_projects=True)
    ).all()
    sent = 0
    departments: dict[tuple[int, str], list[int]] = {}
    for row, name in rows:
        if row.department_kind is not None:
            key = (row.project_id, row.department_kind)
            if key not in departments:
                departments[key] = list(session.scalars(
                    sa.select(Department.id)
                    .where(Department.project_id == row.project_id, Department.kind == row.department_kind,
                           Department.active)
                    .execution_options(all_projects=True)
                ))
            users = [user for department_id in departments[key]
                     for user in users_with_roles(session, row.project_id, [row.role], department_id)]
        else:
            users = users_with_roles(session, row.project_id, [row.role])
        overdue = gettext("Overdue")
        title = f"{overdue} · {_milestone_title(row.code)} · {name}"[:200]
        link = operations.page_link("activities.activity", f"/activities/{row.activity_id}",
                                    activity_id=row.activity_id)
        sent += len(notify.notify(session, users, project_id=row.project_id, title=title, link=link,
                                  dedupe_key=f"activity-milestone-overdue:{row.id}"))
    return sent


# ---------------------------------------------------------------------------- moving the activity (活动改期, helper R)

#: who moves an activity: its project manager or CS supervisor (the administrator too)
RESCHEDULER_ROLES = ("pm", "cs_supervisor")

audit.ACTION_LABELS.update(
    {
        "activity_rescheduled": N_("moved the activity"),
        "activity_milestone_reopened": N_("reopened a step of the timeline"),
    }
)
for _field, _label in {
    "day": N_("Date"),
    "start_time": N_("Starts"),
    "end_time": N_("Ends"),
    "place": N_("Place"),
    "date_reason": N_("Reason for the date"),
}.items():
    audit.FIELD_LABELS.setdefault(_field, _label)
del _field, _label


def may_reschedule(actor: User, project_id: int) -> bool:
    """ORGANISE_ACTIVITIES and the PM's or the CS supervisor's role in the project (the
    administrator acts as every role, plans.acts_as)."""
    from webapp.activities.plans import acts_as

    return is_allowed(actor.grants, Permission.ORGANISE_ACTIVITIES, project_id) and any(
        acts_as(actor, role, project_id) for role in RESCHEDULER_ROLES
    )


def check_reschedule_open(activity: Activity, now: datetime) -> None:
    rules.check_reschedule_open(activity.status, activity.scheduled_at is not None,
                                rules.activity_start(activity.day, activity.start_time), now)


def _moved_shift(moment: datetime, days: int) -> datetime:
    local = to_local(moment)
    return rules.shift_moment(local.date() + timedelta(days=days), local.time())


def _milestone_holders(session: so.Session, project_id: int, rows: list[ActivityMilestone]) -> set[int]:
    """The users holding the roles of `rows` in the project (a supervisor: of an active
    department of the milestone's kind)."""
    from webapp.org.models import Department

    kinds = {row.department_kind for row in rows if row.department_kind}
    departments: dict[str, list[int]] = {}
    if kinds:
        for department_id, kind in session.execute(
            sa.select(Department.id, Department.kind)
            .where(Department.project_id == project_id, Department.kind.in_(kinds), Department.active)
            .order_by(Department.id)
        ):
            departments.setdefault(kind, []).append(department_id)
    users: set[int] = set()
    for role, kind in sorted({(row.role, row.department_kind or "") for row in rows}):
        if not kind:
            users.update(users_with_roles(session, project_id, [role]))
            continue
        for department_id in departments.get(kind, []):
            users.update(users_with_roles(session, project_id, [role], department_id))
    return users


def reschedule(
    session: so.Session,
    actor: User,
    activity: Activity,
    *,
    day: date | None,
    start_time: time | None,
    end_time: time | None,
    place: str | None,
    date_reason: str | None,
    reason: str | None,
    now: datetime,
) -> Activity:
    """Move a scheduled or ready activity, before it starts, to another day, time or place
    (rain, a venue clash): ACT-11 for the new day, ACT-13 for the times, the reason kept.

    Every milestone not yet done is due again from the new day (rules.activity_timeline at
    `now`: compressed when its usual due has passed), its "My work" item with it; done
    ones keep their record, but the poster on the boards shows the old date: it is put up
    again (reopened, back in "My work"). The day's roster keeps its shifts' times on the
    new day; the owners' replies are kept. The holders of the open milestones' roles and
    everyone on the roster are told."""
    _require(actor, Permission.ORGANISE_ACTIVITIES, activity.project_id)
    if not may_reschedule(actor, activity.project_id):
        raise NotPermitted()
    check_reschedule_open(activity, now)
    moved = rules.check_reschedule(
        (activity.day, activity.start_time, activity.end_time, activity.place),
        day, start_time, end_time, place, date_reason, reason, operations.calendar(session), now,
    )

    def shown(values: tuple) -> dict[str, str | None]:
        when, start, end, where, why = values
        return {"day": when.isoformat(), "start_time": f"{start:%H:%M}", "end_time": f"{end:%H:%M}",
                "place": where, "date_reason": why}

    before = shown((activity.day, activity.start_time, activity.end_time, activity.place, activity.date_reason))
    after = shown((moved.day, moved.start_time, moved.end_time, moved.place, moved.verdict.reason))
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    days_moved = (moved.day - activity.day).days
    activity.day, activity.start_time, activity.end_time = moved.day, moved.start_time, moved.end_time
    activity.place = moved.place
    activity.date_basis, activity.date_reason = moved.verdict.basis.value, moved.verdict.reason

    new_dues = {m.code: m for m in rules.activity_timeline(moved.day, moved.start_time, activity.important,
                                                           created_at=now)}
    rows = list(activity.milestones)
    items = {
        item.entity_id: item
        for item in session.scalars(
            sa.select(WorkItem).where(
                WorkItem.entity_type == ActivityMilestone.__tablename__,
                WorkItem.entity_id.in_([row.id for row in rows]),
                WorkItem.kind == operations.MILESTONE_WORK,
            ).order_by(WorkItem.id)
        )
    }
    open_rows = []
    for row in rows:
        if row.done_at is not None:
            if row.code != MilestoneCode.POSTER:
                continue
            old_note = row.note
            row.done_at = row.done_by_id = row.note = None
            audit.record(session, activity, "activity_milestone_reopened", actor_id=actor.id,
                         note=f"{_milestone_title(row.code)}{': ' + old_note if old_note else ''}"[:2000])
        planned = new_dues.get(MilestoneCode(row.code))
        if planned is None:
            continue
        row.due_at, row.earliest_at, row.compressed = planned.due, planned.earliest, planned.compressed
        open_rows.append(row)
        item = items.get(row.id)
        if item is None:
            item = notify.open_work(
                session, project_id=activity.project_id, kind=operations.MILESTONE_WORK,
                title=operations.milestone_title(activity, row.code), link=operations.activity_link(activity),
                entity=row, assignee_role=row.role, due_at=row.due_at,
                department_id=operations.department_id_of_kind(session, activity.project_id, row.department_kind),
            )
        item.done_at = item.done_by_id = None
        item.due_at = row.due_at

    roster = list(session.scalars(sa.select(ActivityRosterEntry).where(ActivityRosterEntry.activity_id == activity.id)))
    for entry in roster:
        entry.shift_start = _moved_shift(entry.shift_start, days_moved)
        entry.shift_end = _moved_shift(entry.shift_end, days_moved)

    audit.record(session, activity, "activity_rescheduled", actor_id=actor.id, changes=changes, note=moved.reason)
    told = (_milestone_holders(session, activity.project_id, open_rows) | {e.user_id for e in roster}) - {actor.id}
    moved_word = gettext("Activity moved")
    title = (f"{moved_word} · {activity.name} · {moved.day.isoformat()} "
             f"{moved.start_time:%H:%M}–{moved.end_time:%H:%M} · {moved.place}")[:200]
    notify.notify(session, told, project_id=activity.project_id, title=title, body=moved.reason,
                  link=operations.activity_link(activity))
    session.flush()
    return activity
