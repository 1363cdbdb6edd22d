"""The weekly summary 信息传递汇总表 (SLIP-09): per department, what its staff filed and
what was filed against it, and how the department dealt with it. SQL aggregation only: a
fixed number of queries (three) whatever the number of slips; no Flask here.

Definitions (one home for them; the page and the xlsx only show these figures):

* The week's slips: filed (received by the server, ``filed_at``) in [week start, week
  end) — Monday 00:00 to the next Monday 00:00 Asia/Shanghai (rules.week_bounds), UTC in
  the database. Every figure below counts only these slips.
* **filed**: the week's slips filed by the department's staff (``filer_department_id``,
  the filer's department at filing time).
* **against**: the week's slips the department is responsible for
  (``responsible_department_id``), in total and per rules.SlipCategory. Every figure
  after this one counts slips against the department.
* **on time**: the slip's last passed rectification round was completed (reported
  done; its verification time if no completion was recorded) by the slip's
  ``rectification_due_at`` — the same-day deadline, or the new deadline of an approved
  escalation plan (rules.rectified_on_time, applied to the round that passed).
* **late**: that round was completed after the deadline, or — no round passed yet — the
  deadline is past at ``now``. A slip neither on time nor late is still within its
  deadline (or was never assigned).
* **verification failures**: rounds CS verified on site as "fail" (a slip failed twice
  counts twice).
* **open**: the slip's status at ``now`` is one of rules.OPEN_STATUSES.
* **escalated**: the slip was escalated to the PM (SLIP-05): ``escalated_at`` is set, or
  the status is escalated. It stays counted once the plan is carried out.

Slips without a responsible department (not yet received at the desk) and slips filed by
someone with no department (managers, CS) are counted in a row of their own, so the totals
row adds up to the week's slips in every column.

The conditions are built by passed_rounds, rectification_outcome, slip_open and
slip_escalated, which the evaluation sheets' ``slips_against`` figures use too
(webapp.evaluation.families.slips): the sheets and this summary count alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.org.models import Department
from webapp.org.rules import DepartmentKind
from webapp.slips.models import RectificationRound, Slip
from webapp.slips.rules import OPEN_STATUSES, SlipCategory, SlipStatus, Verification

#: the measures of a row, in the order the page and the xlsx show them
MEASURES = ("filed", "against", "on_time", "late", "failures", "open", "escalated")
CATEGORIES = tuple(SlipCategory)


@dataclass
class Row:
    """One department's figures (department_id None: no department / not yet assigned)."""

    department_id: int | None
    name: str | None = None
    kind: str | None = None
    filed: int = 0
    against: int = 0
    on_time: int = 0
    late: int = 0
    failures: int = 0
    open: int = 0
    escalated: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))

    @property
    def on_time_rate(self) -> float | None:
        """Share of decided rectifications done on time; None when none is decided."""
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, measure) for measure in MEASURES)

    def add(self, other: Row) -> None:
        for measure in MEASURES:
            setattr(self, measure, getattr(self, measure) + getattr(other, measure))
        for category, count in other.by_category.items():
            self.by_category[category] = self.by_category.get(category, 0) + count


@dataclass
class Summary:
    project_id: int
    week_start: datetime
    week_end: datetime
    now: datetime
    rows: list[Row]
    totals: Row

    @property
    def slip_count(self) -> int:
        """The week's slips (each is filed by exactly one row)."""
        return self.totals.filed


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def passed_rounds(*criteria) -> sa.Subquery:
    """Per slip with rectification rounds (those matching `criteria`): ``passed_done``,
    when its last passed round was completed (reported done; its verification time if no
    completion was recorded), and ``failures``, the rounds CS verified as "fail". Join it
    to the slips on ``slip_id`` (outer: a slip without rounds has neither)."""
    return (
        sa.select(
            RectificationRound.slip_id.label("slip_id"),
            sa.func.max(
                sa.case(
                    (
                        RectificationRound.verification == Verification.PASS.value,
                        sa.func.coalesce(RectificationRound.completed_at, RectificationRound.verified_at),
                    ),
                )
            ).label("passed_done"),
            _count_if(RectificationRound.verification == Verification.FAIL.value).label("failures"),
        )
        .where(*criteria)
        .group_by(RectificationRound.slip_id)
        .subquery()
    )


def rectification_outcome(passed_done, now) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """(on time, late) of a slip, given its passed_rounds ``passed_done`` and the moment
    ``now`` (a value or a bound parameter) lateness is judged at: see the module docstring."""
    due = Slip.rectification_due_at
    on_time = sa.and_(due.is_not(None), passed_done.is_not(None), passed_done <= due)
    late = sa.and_(
        due.is_not(None),
        sa.or_(
            passed_done > due,
            sa.and_(passed_done.is_(None), due < now, Slip.status != SlipStatus.WITHDRAWN.value),
        ),
    )
    return on_time, late


def slip_open() -> sa.ColumnElement[bool]:
    """The slip's status is one of rules.OPEN_STATUSES."""
    return Slip.status.in_(sorted(status.value for status in OPEN_STATUSES))


def slip_escalated() -> sa.ColumnElement[bool]:
    """Escalated to the PM (SLIP-05): ``escalated_at`` set, or the status escalated."""
    return sa.or_(Slip.escalated_at.is_not(None), Slip.status == SlipStatus.ESCALATED.value)


def weekly_summary(
    session: so.Session, project_id: int, week_start_utc: datetime, week_end_utc: datetime, now: datetime
) -> Summary:
    """The summary of one project's week, in three queries."""
    in_week = sa.and_(
        Slip.project_id == project_id,
        Slip.filed_at >= week_start_utc,
        Slip.filed_at < week_end_utc,
    )

    # 1. the departments: the project's active ones and any the week's slips name
    named = sa.union(
        sa.select(Slip.filer_department_id).where(in_week, Slip.filer_department_id.is_not(None)),
        sa.select(Slip.responsible_department_id).where(in_week, Slip.responsible_department_id.is_not(None)),
    )
    departments = session.scalars(
        sa.select(Department).where(
            sa.or_(
                sa.and_(Department.project_id == project_id, Department.active),
                Department.id.in_(sa.select(named.subquery().c[0])),
            )
        )
    ).all()
    # the organisation chart's order: customer service, security, maintenance… then by name
    kinds = list(DepartmentKind)
    departments = sorted(
        departments,
        key=lambda d: (kinds.index(d.kind) if d.kind in kinds else len(kinds), d.name, d.id),
    )
    rows = {d.id: Row(department_id=d.id, name=d.name, kind=d.kind) for d in departments}
    unassigned = Row(department_id=None)

    def row_for(department_id: int | None) -> Row:
        if department_id is None:
            return unassigned
        # a department hidden from this user's scope still counts, without its name
        return rows.setdefault(department_id, Row(department_id=department_id))

    # 2. filed by each department's staff
    filed = session.execute(
        sa.select(Slip.filer_department_id, sa.func.count(Slip.id)).where(in_week).group_by(Slip.filer_department_id)
    )
    for department_id, count in filed:
        row_for(department_id).filed = count

    # 3. against each department: by category, rectification, verification, state
    rounds = passed_rounds(RectificationRound.project_id == project_id)
    on_time, late = rectification_outcome(rounds.c.passed_done, now)
    open_now = slip_open()
    escalated = slip_escalated()
    against = session.execute(
        sa.select(
            Slip.responsible_department_id,
            sa.func.count(Slip.id),
            _count_if(on_time),
            _count_if(late),
            sa.func.coalesce(sa.func.sum(rounds.c.failures), 0),
            _count_if(open_now),
            _count_if(escalated),
            *(_count_if(Slip.category == category.value) for category in CATEGORIES),
        )
        .select_from(Slip)
        .outerjoin(rounds, rounds.c.slip_id == Slip.id)
        .where(in_week)
        .group_by(Slip.responsible_department_id)
    )
    for department_id, count, n_on_time, n_late, failures, n_open, n_escalated, *by_category in against:
        row = row_for(department_id)
        row.against = count
        row.on_time = int(n_on_time)
        row.late = int(n_late)
        row.failures = int(failures)
        row.open = int(n_open)
        row.escalated = int(n_escalated)
        row.by_category = {category: int(n) for category, n in zip(CATEGORIES, by_category, strict=True)}

    ordered = list(rows.values())
    if not unassigned.is_empty:
        ordered.append(unassigned)
    totals = Row(department_id=None)
    for row in ordered:
        totals.add(row)
    return Summary(
        project_id=project_id,
        week_start=week_start_utc,
        week_end=week_end_utc,
        now=now,
        rows=ordered,
        totals=totals,
    )
