"""篇1 §4.6.2 community activities (ACT-15): the activities each person worked at (on its
roster, or wrote its summary), their departments' and each project's, placed on the
activity's local day. Only activities that took place count — held, or held and
summarised; planned and cancelled ones do not. The summary "counts in the CS staff's
evaluation": its findings are the evidence's note.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities.models import Activity, ActivityRosterEntry
from webapp.activities.rules import ActivityStatus
from webapp.core.i18n import gettext
from webapp.evaluation.facts import Evidence, Family, day, flag, members, register
from webapp.evaluation.rules import Kind
from webapp.org.models import Department

#: the activities that took place (ACT-14/15)
TOOK_PLACE = (ActivityStatus.HELD.value, ActivityStatus.SUMMARISED.value)
#: how much of each finding the evidence shows
FINDING = 60


def _counted() -> sa.ColumnElement[bool]:
    return sa.and_(Activity.status.in_(TOOK_PLACE), Activity.day >= day("start"), Activity.day < day("end"))


def _people() -> sa.Subquery:
    """(activity_id, user_id): who worked at the period's activities — its roster and its
    summary's writer — each pair once (a union)."""
    roster = (
        sa.select(ActivityRosterEntry.activity_id.label("activity_id"), ActivityRosterEntry.user_id.label("user_id"))
        .join(Activity, Activity.id == ActivityRosterEntry.activity_id)
        .where(_counted())
    )
    writer = sa.select(Activity.id, Activity.summarised_by_id).where(_counted(), Activity.summarised_by_id.is_not(None))
    return sa.union(roster, writer).subquery("people")


def _figures() -> list:
    return [
        Activity.id.label("record_id"),
        Activity.day.label("at"),
        sa.literal(1).label("activities"),
        flag(Activity.summarised_at.is_not(None)).label("summarised"),
        sa.func.coalesce(Activity.attendance, 0).label("attendance"),
    ]


def _activities(kind: Kind) -> sa.Select:
    if kind is Kind.PROJECT:
        return sa.select(Activity.project_id.label("subject_id"), *_figures()).where(_counted())
    people = _people()
    if kind is Kind.PERSON:
        return sa.select(people.c.user_id.label("subject_id"), *_figures()).join(
            Activity, Activity.id == people.c.activity_id
        )
    member = members()
    # several people of one department at one activity: the department counts it once;
    # only the departments of the activity's project (a person may work in several)
    return (
        sa.select(member.c.department_id.label("subject_id"), *_figures())
        .select_from(people)
        .join(member, member.c.user_id == people.c.user_id)
        .join(Activity, Activity.id == people.c.activity_id)
        .join(
            Department, sa.and_(Department.id == member.c.department_id, Department.project_id == Activity.project_id)
        )
        .distinct()
    )


def _short(text: str | None, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def activity_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    found = {a.id: a for a in session.scalars(sa.select(Activity).where(Activity.id.in_(list(ids))))}
    evidence = []
    for activity in (found.get(i) for i in ids):
        if activity is None:
            continue
        findings = [
            f"{label}: {_short(text, FINDING)}"
            for label, text in (
                (gettext("What went well"), activity.went_well),
                (gettext("Shortcomings found"), activity.shortcomings),
            )
            if text
        ]
        summarised = activity.summarised_at is not None
        evidence.append(
            Evidence(
                record_id=activity.id,
                number=activity.name,
                title=activity.place,
                at=activity.day,
                endpoint="activities.summary" if summarised else "activities.activity",
                values={"activity_id": activity.id},
                note=" / ".join(findings) or None,
            )
        )
    return evidence


register(
    Family(
        key="activities",
        sop="篇1 §4.6.2",
        kinds=frozenset(Kind),
        columns=("activities", "summarised", "attendance"),
        build=_activities,
        records=activity_evidence,
        dated=True,
    )
)
