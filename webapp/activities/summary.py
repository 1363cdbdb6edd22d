"""ACT-15 (§4.6) the summary of an activity and the year's 社区文化活动组织一览表.

After the day (the activity is held) the CS supervisor records the attendance, what went
well, the shortcomings found and what it cost, set against the budget (the activity's
purchase lines) and beside the owners' replies (ACT-16). Saving makes the activity
summarised, completes its SUMMARY milestone and tells the PM (§4.6.2: the summary goes to
the PM and counts in the CS staff's evaluation, so the writer is kept in
``summarised_by_id``).

Operations take the session, the acting user and `now`, and leave the commit to the
caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import operations, rules
from webapp.activities.models import Activity, ActivityMoneyLine, ActivityRsvp
from webapp.activities.rules import (
    ActivityStatus,
    ActivitySummary,
    MilestoneCode,
    MoneyLine,
    RsvpTotals,
)
from webapp.core import audit, notify
from webapp.core.i18n import gettext
from webapp.core.notify import page_link
from webapp.core.rulekit import N_
from webapp.org.access import check
from webapp.org.models import User
from webapp.org.queries import users_with_roles
from webapp.org.rules import Permission, Role
from webapp.paid_services.rules import format_yuan

PURCHASE = "purchase"
COST = "cost"

audit.ACTION_LABELS.setdefault("activity_summarised", N_("wrote the activity's summary"))
for _field, _label in {
    "attendance": N_("Attendance"),
    "went_well": N_("What went well"),
    "shortcomings": N_("Shortcomings found"),
    "cost": N_("Costs (yuan)"),
    "rsvp_units": N_("Households replied"),
    "rsvp_heads": N_("People announced"),
}.items():
    audit.FIELD_LABELS.setdefault(_field, _label)
del _field, _label


def summary_link(activity: Activity) -> str:
    return page_link("activities.summary", f"/activities/{activity.id}/summary", activity_id=activity.id)


def money_lines(session: so.Session, activity_id: int, kind: str) -> list[ActivityMoneyLine]:
    return list(
        session.scalars(
            sa.select(ActivityMoneyLine)
            .where(ActivityMoneyLine.activity_id == activity_id, ActivityMoneyLine.kind == kind)
            .order_by(ActivityMoneyLine.position, ActivityMoneyLine.id)
        )
    )


def budget_fen(session: so.Session, activity_id: int) -> int:
    """The activity's budget: the total of its detailed plan's purchase lines."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ActivityMoneyLine.amount_fen), 0)).where(
            ActivityMoneyLine.activity_id == activity_id, ActivityMoneyLine.kind == PURCHASE
        )
    )
    return int(total or 0)


def live_rsvp_totals(session: so.Session, activity_id: int) -> RsvpTotals:
    """ACT-16 → ACT-15: the households' replies as they stand (a cancelled reply counts
    for nothing)."""
    rows = session.execute(
        sa.select(ActivityRsvp.unit_id, ActivityRsvp.head_count)
        .where(ActivityRsvp.activity_id == activity_id)
        .order_by(ActivityRsvp.changed_at, ActivityRsvp.id)
    )
    return rules.rsvp_totals((unit_id, heads) for unit_id, heads in rows)


def summarise(
    session: so.Session,
    actor: User,
    activity: Activity,
    *,
    attendance: int | None,
    went_well: str | None,
    shortcomings: str | None,
    cost_lines: Sequence[MoneyLine],
    now: datetime,
) -> ActivitySummary:
    """ACT-15: write the summary of a held activity (rules.check_summary), its cost lines,
    the replies as they stand; held → summarised, the SUMMARY milestone done, the PM told."""
    check(actor, Permission.SUMMARISE_ACTIVITIES, activity.project_id)
    rules.check_summary_open(activity.status)
    rules.check_activity_transition(activity.status, ActivityStatus.SUMMARISED)
    summary = rules.check_summary(
        attendance=attendance,
        went_well=went_well,
        shortcomings=shortcomings,
        cost_lines=cost_lines,
        budget_fen=budget_fen(session, activity.id),
        rsvps=live_rsvp_totals(session, activity.id),
    )
    for old in money_lines(session, activity.id, COST):
        session.delete(old)
    for position, line in enumerate(summary.cost_lines):
        session.add(
            ActivityMoneyLine(
                project_id=activity.project_id,
                kind=COST,
                activity_id=activity.id,
                position=position,
                item=line.item,
                amount_fen=line.amount_fen,
            )
        )
    before = activity.status
    activity.attendance = summary.attendance
    activity.went_well = summary.went_well
    activity.shortcomings = summary.shortcomings
    activity.rsvp_units = summary.rsvp_units
    activity.rsvp_heads = summary.rsvp_heads
    activity.summarised_at = now
    activity.summarised_by_id = actor.id
    activity.status = ActivityStatus.SUMMARISED
    audit.record(
        session,
        activity,
        "activity_summarised",
        actor_id=actor.id,
        from_state=before,
        to_state=ActivityStatus.SUMMARISED,
        changes={
            "attendance": [None, summary.attendance],
            "shortcomings": [None, summary.shortcomings],
            "cost": [None, format_yuan(summary.cost_fen)],
            "rsvp_units": [None, summary.rsvp_units],
            "rsvp_heads": [None, summary.rsvp_heads],
        },
    )
    row = operations.milestone(session, activity, MilestoneCode.SUMMARY)
    if row is not None:
        operations.complete_milestone(session, row, actor_id=actor.id, now=now)
    # §4.6.2: the summary goes to the project manager
    notify.notify(
        session,
        users_with_roles(session, activity.project_id, [Role.PM.value]),
        project_id=activity.project_id,
        title=gettext("Activity summary: %(name)s", name=activity.name)[:200],
        body=summary.shortcomings,
        link=summary_link(activity),
        dedupe_key=f"activity-summary:{activity.id}",
    )
    return summary


# ---------------------------------------------------------------------------- 社区文化活动组织一览表


@dataclass(frozen=True)
class RegisterRow:
    number: int
    activity: Activity
    host: str | None
    rsvp_units: int
    rsvp_heads: int
    budget_fen: int
    #: None until the summary records the costs
    cost_fen: int | None
    summarised_by: str | None

    @property
    def difference_fen(self) -> int | None:
        """Cost − budget: positive over budget, negative under; None before the summary."""
        return None if self.cost_fen is None else self.cost_fen - self.budget_fen


@dataclass(frozen=True)
class RegisterTotals:
    attendance: int
    budget_fen: int
    cost_fen: int
    rsvp_units: int
    rsvp_heads: int
    #: over (positive) or under budget, of the activities summarised (the others have no costs yet)
    difference_fen: int


def register(session: so.Session, project_id: int, year: int) -> tuple[list[RegisterRow], RegisterTotals]:
    """社区文化活动组织一览表 of a project's year: every activity on the calendar (its annual
    plan approved) in date order, with its host, replies (as summarised, else as they
    stand), budget, costs and summary. Four queries however many activities."""
    activities = list(
        session.scalars(
            sa.select(Activity)
            .where(
                Activity.project_id == project_id,
                Activity.day >= date(year, 1, 1),
                Activity.day <= date(year, 12, 31),
                Activity.scheduled_at.is_not(None),
            )
            .options(so.joinedload(Activity.detailed_plan))
            .order_by(Activity.day, Activity.start_time, Activity.id)
        ).unique()
    )
    ids = [activity.id for activity in activities]
    money: dict[tuple[int, str], int] = {}
    replies: dict[int, tuple[int, int]] = {}
    writers: dict[int, str] = {}
    if ids:
        money = {
            (activity_id, kind): int(total or 0)
            for activity_id, kind, total in session.execute(
                sa.select(ActivityMoneyLine.activity_id, ActivityMoneyLine.kind, sa.func.sum(ActivityMoneyLine.amount_fen))
                .where(ActivityMoneyLine.activity_id.in_(ids), ActivityMoneyLine.kind.in_((PURCHASE, COST)))
                .group_by(ActivityMoneyLine.activity_id, ActivityMoneyLine.kind)
            )
        }
        # one reply per unit (a unique constraint): counting rows is rules.rsvp_totals
        replies = {
            activity_id: (int(units or 0), int(heads or 0))
            for activity_id, units, heads in session.execute(
                sa.select(ActivityRsvp.activity_id, sa.func.count(ActivityRsvp.id), sa.func.sum(ActivityRsvp.head_count))
                .where(ActivityRsvp.activity_id.in_(ids), ActivityRsvp.head_count > 0)
                .group_by(ActivityRsvp.activity_id)
            )
        }
        writer_ids = sorted({a.summarised_by_id for a in activities if a.summarised_by_id})
        writers = {
            user_id: name
            for user_id, name in session.execute(
                sa.select(User.id, User.display_name).where(User.id.in_(writer_ids)).execution_options(all_projects=True)
            )
        }
    rows = []
    for number, activity in enumerate(activities, start=1):
        summarised = activity.status == ActivityStatus.SUMMARISED
        units, heads = (
            (activity.rsvp_units or 0, activity.rsvp_heads or 0) if summarised else replies.get(activity.id, (0, 0))
        )
        rows.append(
            RegisterRow(
                number=number,
                activity=activity,
                host=activity.detailed_plan.host if activity.detailed_plan else None,
                rsvp_units=units,
                rsvp_heads=heads,
                budget_fen=money.get((activity.id, PURCHASE), 0),
                cost_fen=money.get((activity.id, COST), 0) if summarised else None,
                summarised_by=writers.get(activity.summarised_by_id) if activity.summarised_by_id else None,
            )
        )
    totals = RegisterTotals(
        attendance=sum(row.activity.attendance or 0 for row in rows),
        budget_fen=sum(row.budget_fen for row in rows),
        cost_fen=sum(row.cost_fen or 0 for row in rows),
        rsvp_units=sum(row.rsvp_units for row in rows),
        rsvp_heads=sum(row.rsvp_heads for row in rows),
        difference_fen=sum(row.difference_fen or 0 for row in rows),
    )
    return rows, totals
