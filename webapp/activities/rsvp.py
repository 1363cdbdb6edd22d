"""ACT-16 the owners' replies (RSVP) to an activity, from its public page reached by the
poster's QR code (ACT-06), and the staff's list of them.

The public page is addressed by the activity's unguessable token only. Nobody is signed
in there, so there is no actor: a household names itself by its unit and the last four
digits of a phone on file for it (households.find_household); one reply per unit, which
a later submission from the same unit changes (or cancels: head count None) until the
activity starts. The anonymous callers run these inside ``scoping.unrestricted()``,
always within the one project the token belongs to, and commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import rules
from webapp.activities.households import find_household
from webapp.activities.models import Activity, ActivityRsvp
from webapp.core import audit
from webapp.core.rulekit import N_, RuleViolation
from webapp.estate.models import Building, Unit
from webapp.org.access import check
from webapp.org.models import Project
from webapp.org.rules import Permission

audit.ACTION_LABELS.update(
    {
        "activity_rsvp_recorded": N_("a household replied"),
        "activity_rsvp_changed": N_("a household changed its reply"),
        "activity_rsvp_cancelled": N_("a household cancelled its reply"),
    }
)
audit.FIELD_LABELS.setdefault("head_count", N_("Head count"))

#: a token is what new_public_token() makes (token_urlsafe(16): 22 characters); anything
#: else is not looked up at all
TOKEN_MAX = 64


class Outcome(StrEnum):
    """What an owner's submission did, as the page tells them afterwards."""

    RECORDED = "recorded"  # the household's first reply
    CHANGED = "changed"  # a later reply replaced the earlier one
    CANCELLED = "cancelled"  # the reply withdrawn (head count None)


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    head_count: int | None


@dataclass(frozen=True)
class ReplyRow:
    """A line of the staff's list: the unit, never the owner (EST-03)."""

    building: str
    unit: str
    head_count: int | None
    first_at: datetime
    changed_at: datetime


def _looks_like_token(token: str | None) -> bool:
    return bool(token) and len(token) <= TOKEN_MAX and all(ch.isalnum() or ch in "-_" for ch in token)


def public_activity(session: so.Session, token: str | None) -> tuple[Activity, Project] | None:
    """The activity behind a poster's QR code and its project, or None: an unknown token,
    an inactive project or a planned activity (its annual plan not yet approved) has no
    public page. One query."""
    if not _looks_like_token(token):
        return None
    found = session.execute(
        sa.select(Activity, Project)
        .join(Project, Project.id == Activity.project_id)
        .where(Activity.public_token == token, Activity.scheduled_at.is_not(None), Project.active)
    ).first()
    return (found[0], found[1]) if found is not None else None


def starts_at(activity: Activity) -> datetime:
    return rules.activity_start(activity.day, activity.start_time)


def reply_count(session: so.Session, activity: Activity) -> int:
    """How many households have said they come (cancelled replies do not count). One query."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(ActivityRsvp)
        .where(ActivityRsvp.activity_id == activity.id, ActivityRsvp.head_count.is_not(None))
    ) or 0


def _existing(session: so.Session, activity: Activity, unit_id: int) -> ActivityRsvp | None:
    return session.scalar(
        sa.select(ActivityRsvp).where(ActivityRsvp.activity_id == activity.id, ActivityRsvp.unit_id == unit_id)
    )


def reply(
    session: so.Session,
    activity: Activity,
    *,
    unit_text: str | None,
    phone_digits: str | None,
    head_count: int | None,
    cancel: bool = False,
    now: datetime,
) -> Reply:
    """ACT-16: a household's reply. Refused (RuleViolation, with the field) for a cancelled
    or finished activity, after the start, for a household that does not check out, or a
    head count outside 1…20; the state is checked before the household, so a closed page
    tells nothing about units. A second reply from the same unit changes the first (one
    row; first_at kept, changed_at now); `cancel` withdraws it."""
    begins = starts_at(activity)
    rules.check_rsvp_allowed(activity.status, begins, now)
    if not cancel:
        head_count = rules.check_rsvp(head_count, begins, now)
    unit_id = find_household(session, activity.project_id, unit_text, phone_digits)
    heads = None if cancel else head_count
    row = _existing(session, activity, unit_id)
    if row is None and cancel:
        raise RuleViolation(N_("Your household has no reply to cancel."), field="head_count")
    if row is None:
        row = ActivityRsvp(
            project_id=activity.project_id, activity_id=activity.id, unit_id=unit_id,
            head_count=heads, first_at=now, changed_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except sa.exc.IntegrityError:
            # the same household's reply sent twice at once: the other one is stored; change it
            row = _existing(session, activity, unit_id)
            if row is None:  # pragma: no cover - the constraint failed for another reason
                raise
        else:
            audit.record(session, row, "activity_rsvp_recorded", actor_id=None, note=str(heads))
            return Reply(Outcome.RECORDED, heads)
    before = row.head_count
    row.head_count = heads
    row.changed_at = now
    session.flush()
    audit.record(
        session, row, "activity_rsvp_cancelled" if cancel else "activity_rsvp_changed", actor_id=None,
        changes={"head_count": [before, heads]},
    )
    if cancel:
        return Reply(Outcome.CANCELLED, None)
    return Reply(Outcome.CHANGED, heads)


def replies(session: so.Session, actor, activity: Activity) -> tuple[list[ReplyRow], rules.RsvpTotals]:
    """The staff's list (VIEW_ACTIVITIES): every reply by building and unit, cancelled ones
    included (head count None), and the totals the summary counts. One query."""
    check(actor, Permission.VIEW_ACTIVITIES, activity.project_id)
    result = session.execute(
        sa.select(Building.name, Unit.number, ActivityRsvp.head_count, ActivityRsvp.first_at,
                  ActivityRsvp.changed_at, ActivityRsvp.unit_id)
        .join(Unit, Unit.id == ActivityRsvp.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(ActivityRsvp.activity_id == activity.id)
        .order_by(Building.sort_order, Building.name, Unit.number)
    ).all()
    rows = [ReplyRow(building, number, heads, first_at, changed_at)
            for building, number, heads, first_at, changed_at, _unit in result]
    totals = rules.rsvp_totals((unit_id, heads) for _b, _n, heads, _f, _c, unit_id in result)
    return rows, totals
