"""APP-03 "My work": the work items each person held and whether they were done in time
(``work_overdue``), and the items open now by SOP for the company view (``open_items``).
Both count an item for its department, or — addressed to nobody's department — for the
departments of whoever holds it.

An item is held by its assignee; an item addressed to a role (no assignee) by whoever did
it — until then it is nobody's, and counts only for its department and project. An item
is *overdue* when it was done after its due moment, or is not done and its due moment has
passed at :now (the My work list's red badge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.models import WorkItem
from webapp.evaluation.catalogue import AREA_TABLES, SOP_AREAS
from webapp.evaluation.facts import Evidence, Family, flag, members, moment, register
from webapp.evaluation.rules import Kind
from webapp.org.models import Department


def holder() -> sa.ColumnElement[int]:
    """Who held an item: its assignee, or for one addressed to a role whoever did it."""
    return sa.func.coalesce(WorkItem.assignee_id, WorkItem.done_by_id)


def past_due() -> sa.ColumnElement[bool]:
    """Not done and past its due moment at :now."""
    return sa.and_(WorkItem.done_at.is_(None), WorkItem.due_at < moment("now"))


def overdue() -> sa.ColumnElement[bool]:
    """Done after its due moment, or not done and past it at :now."""
    return sa.or_(sa.and_(WorkItem.done_at.is_not(None), WorkItem.done_at > WorkItem.due_at), past_due())


def _due_figures(subject) -> sa.Select:
    return sa.select(
        subject.label("subject_id"),
        WorkItem.id.label("record_id"),
        WorkItem.due_at.label("at"),
        sa.literal(1).label("due"),
        flag(overdue()).label("overdue"),
        flag(past_due()).label("open_overdue"),
    ).where(WorkItem.due_at.is_not(None), WorkItem.due_at >= moment("start"), WorkItem.due_at < moment("end"))


def _for_departments(figures: Callable[[sa.ColumnElement[int]], sa.Select]) -> sa.Select:
    """An item counts for its department; one without a department for its holder's
    departments in its project (members() is a union and an item has one holder: one row
    per department and item)."""
    member = members()
    own = figures(WorkItem.department_id).where(WorkItem.department_id.is_not(None))
    holders = (
        figures(member.c.department_id)
        .select_from(WorkItem)
        .join(member, member.c.user_id == holder())
        .join(
            Department, sa.and_(Department.id == member.c.department_id, Department.project_id == WorkItem.project_id)
        )
        .where(WorkItem.department_id.is_(None))
    )
    return sa.select(sa.union_all(own, holders).subquery("held_items"))


def _work_overdue(kind: Kind) -> sa.Select:
    if kind is Kind.PERSON:
        return _due_figures(holder()).where(holder().is_not(None))
    if kind is Kind.PROJECT:
        return _due_figures(WorkItem.project_id)
    return _for_departments(_due_figures)


def _open_figures(subject) -> sa.Select:
    areas = []
    for area in SOP_AREAS:
        in_area = WorkItem.entity_type.in_(AREA_TABLES[area])
        areas.append(flag(in_area).label(f"open_{area}"))
        areas.append(flag(sa.and_(in_area, WorkItem.due_at < moment("now"))).label(f"overdue_{area}"))
    every_table = sorted({table for area in SOP_AREAS for table in AREA_TABLES[area]})
    return sa.select(
        subject.label("subject_id"),
        WorkItem.id.label("record_id"),
        WorkItem.created_at.label("at"),
        *areas,
    ).where(WorkItem.done_at.is_(None), WorkItem.entity_type.in_(every_table))


def _open_items(kind: Kind) -> sa.Select:
    if kind is Kind.PROJECT:
        return _open_figures(WorkItem.project_id)
    return _for_departments(_open_figures)


def _number_and_title(title: str) -> tuple[str, str]:
    """Items about a record are titled "<its number> · <what to do>"."""
    number, separator, rest = title.partition(" · ")
    return (number, rest) if separator else ("", title)


def work_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    """A work item's evidence links where the item does (its link is a path)."""
    items = {item.id: item for item in session.scalars(sa.select(WorkItem).where(WorkItem.id.in_(list(ids))))}
    evidence = []
    for item in (items.get(i) for i in ids):
        if item is None:
            continue
        number, title = _number_and_title(item.title)
        evidence.append(
            Evidence(record_id=item.id, number=number, title=title, at=item.due_at, endpoint="", url=item.link)
        )
    return evidence


register(
    Family(
        key="work_overdue",
        sop="APP-03",
        kinds=frozenset(Kind),
        columns=("due", "overdue", "open_overdue"),
        build=_work_overdue,
        records=work_evidence,
    )
)

register(
    Family(
        key="open_items",
        sop="APP-03",
        kinds=frozenset({Kind.DEPARTMENT, Kind.PROJECT}),
        columns=tuple(f"{figure}_{area}" for area in SOP_AREAS for figure in ("open", "overdue")),
        build=_open_items,
        records=work_evidence,
        snapshot=True,
    )
)
