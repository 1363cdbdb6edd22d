"""The monthly complaint summary 投诉情况月汇总表 (CMP-07, 篇4 §4.5, 篇3 §4.9) and the
complaint register 业主投诉记录表 (CMP-03 b). SQL aggregation: a fixed number of queries
(eight for the summary, three for the register) whatever the month's size; no Flask here.

Definitions (one home for them; the pages and the xlsx only show these figures). The
period is a report month (rules.report_period): the day after the previous month's
cut-off day to this month's, Asia/Shanghai days, as UTC instants [start, end).

* **The period's complaints**: received in the period. *By class* counts them by their
  class now (a complaint upgraded to major counts as major); *by department* by the
  department complained about (none named: a row of its own); *by cause* by the cause
  the handler recorded, spaces trimmed (none yet: a row of its own); *still open*: not
  closed at ``now``.
* **Commitment on time** (CMP-04), over the complaints whose commitment was due in the
  period: *on time* when taken into handling by its due moment; *late* when taken in
  after it, or not yet and the due moment has passed at ``now``; *pending* otherwise.
* **Resolution on time** (CMP-05), over the complaints whose resolution was due in the
  period, the due moment as stored: moved by approved extensions and by closed waiting
  pauses (operations keep ``resolution_due_at`` so). Resolution done is what stops the
  clock (rules.resolution_done_at: the answer for major and invalid complaints, an answer
  before an upgrade not counting; the completed handling for the others). *On time*: done
  by the due moment; *late*: done after it, or not done and overdue at ``now``; a
  complaint waiting now, not done, is *pending*: its clock is stopped.
* **Rates**: on time / (on time + late); pending ones are left out until decided.
* **Waiting** (the pauses): pauses started in the period; complaints that waited at some
  time in the period; the waiting hours inside the period (rules.waiting_within: open
  pauses up to ``now``, one complaint's overlapping pauses once).
* **Repeats**: the period's complaints that repeat an earlier one (rules.find_repeats:
  the same owner, or the same unit about the same department, within 90 days before).
* **Satisfaction**: the call-backs made in the period, by the owner's answer; the rate is
  (satisfied + basically satisfied) / call-backs (rules.satisfaction_rate).
* **Upgrades**: complaints the server upgraded to major in the period (CMP-02 c),
  whenever they were received.
* **Trend**: the period's complaints by class for the twelve report months ending with
  this one.

The register lists the major and important complaints received in the period, and
those upgraded to major in it (the register gains an entry when a complaint becomes
major), oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.complaints import rules
from webapp.complaints.models import Complaint, ComplaintCallback, ComplaintPause
from webapp.complaints.rules import ComplaintClass, ComplaintStatus, RepeatKind, Satisfaction
from webapp.estate.models import Unit
from webapp.org.models import Department
from webapp.org.rules import DepartmentKind

#: the classes in the order the tables show them
CLASSES = tuple(ComplaintClass)
SATISFACTION_LEVELS = tuple(Satisfaction)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(CLASSES, 0)


@dataclass
class DepartmentRow:
    """The period's complaints about one department (department_id None: none named)."""

    department_id: int | None
    name: str | None = None
    kind: str | None = None
    by_class: dict[str, int] = field(default_factory=empty_counts)

    @property
    def total(self) -> int:
        return sum(self.by_class.values())


@dataclass
class CauseRow:
    #: None: no cause recorded yet
    cause: str | None
    count: int


@dataclass
class OnTime:
    on_time: int = 0
    late: int = 0
    pending: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.pending

    @property
    def rate(self) -> float | None:
        return rules.rate(self.on_time, self.on_time + self.late)


@dataclass
class Waiting:
    #: pauses started in the period
    pauses: int = 0
    #: complaints that waited at some time in the period
    complaints: int = 0
    seconds: float = 0

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


@dataclass
class RepeatRow:
    complaint_id: int
    number: str
    received_at: datetime
    department_id: int | None
    kinds: frozenset[RepeatKind]
    previous_id: int
    previous_number: str


@dataclass
class TrendPoint:
    month_of: date
    start: date
    end: date
    by_class: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_class.values())


@dataclass
class MonthlySummary:
    project_id: int
    month_of: date
    period_start: date
    period_end: date
    now: datetime
    by_class: dict[str, int]
    still_open: int
    departments: list[DepartmentRow]
    causes: list[CauseRow]
    commitment: OnTime
    resolution: OnTime
    waiting: Waiting
    repeats: list[RepeatRow]
    satisfaction: dict[str, int]
    upgrades: int
    trend: list[TrendPoint]

    @property
    def total(self) -> int:
        return sum(self.by_class.values())

    @property
    def valid(self) -> int:
        return self.total - self.by_class[ComplaintClass.INVALID]

    @property
    def callbacks(self) -> int:
        return sum(self.satisfaction.values())

    @property
    def satisfaction_rate(self) -> float | None:
        return rules.satisfaction_rate(self.satisfaction)

    def repeat_count(self, kind: RepeatKind | None = None) -> int:
        return sum(1 for r in self.repeats if kind is None or kind in r.kinds)


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _within(column, start: datetime, end: datetime):
    return sa.and_(column >= start, column < end)


def resolution_done_column() -> sa.ColumnElement:
    """operations.resolution_done_at in SQL: the answer (not one given before an upgrade)
    for major and invalid complaints, the completed handling for the others."""
    answered = sa.case(
        (sa.and_(Complaint.upgraded_at.is_not(None), Complaint.answered_at < Complaint.upgraded_at), sa.null()),
        else_=Complaint.answered_at,
    )
    return sa.case(
        (Complaint.complaint_class.in_([ComplaintClass.MAJOR.value, ComplaintClass.INVALID.value]), answered),
        else_=Complaint.resolved_at,
    )


def _department_order(departments: list[Department]) -> list[Department]:
    """The organisation chart's order: customer service, security, maintenance… then by name."""
    kinds = list(DepartmentKind)
    return sorted(departments, key=lambda d: (kinds.index(d.kind) if d.kind in kinds else len(kinds), d.name, d.id))


def monthly_summary(
    session: so.Session, project_id: int, month_of: date, cutoff_day: int, now: datetime
) -> MonthlySummary:
    """The figures of one project's report month (see the module docstring), in eight queries."""
    period_start, period_end = rules.report_period(month_of, cutoff_day)
    start, end = rules.report_bounds(month_of, cutoff_day)
    in_project = Complaint.project_id == project_id
    received = sa.and_(in_project, _within(Complaint.received_at, start, end))

    # 1. by department and class, and what is still open
    counts = session.execute(
        sa.select(
            Complaint.complained_department_id,
            Complaint.complaint_class,
            sa.func.count(Complaint.id),
            _count_if(Complaint.status != ComplaintStatus.CLOSED.value),
        )
        .where(received)
        .group_by(Complaint.complained_department_id, Complaint.complaint_class)
    ).all()

    # 2. the departments: the project's active ones and any the period's complaints name
    named = {department_id for department_id, *_ in counts if department_id is not None}
    departments = _department_order(
        list(
            session.scalars(
                sa.select(Department).where(
                    sa.or_(
                        sa.and_(Department.project_id == project_id, Department.active),
                        Department.id.in_(sorted(named) or [0]),
                    )
                )
            )
        )
    )
    rows = {d.id: DepartmentRow(d.id, d.name, d.kind) for d in departments}
    unnamed = DepartmentRow(None)
    by_class = empty_counts()
    still_open = 0
    for department_id, cls, count, open_count in counts:
        row = unnamed if department_id is None else rows.setdefault(department_id, DepartmentRow(department_id))
        row.by_class[cls] = row.by_class.get(cls, 0) + count
        by_class[cls] = by_class.get(cls, 0) + count
        still_open += int(open_count)
    department_rows = list(rows.values()) + ([unnamed] if unnamed.total else [])

    # 3. by cause
    cause = sa.func.nullif(sa.func.trim(Complaint.cause), "")
    causes = [
        CauseRow(text, count)
        for text, count in session.execute(
            sa.select(cause, sa.func.count(Complaint.id)).where(received).group_by(cause)
        )
    ]
    causes.sort(key=lambda row: (row.cause is None, -row.count, row.cause or ""))

    # 4. the clocks due in the period, and the upgrades made in it
    commitment_due = _within(Complaint.commitment_due_at, start, end)
    resolution_due = _within(Complaint.resolution_due_at, start, end)
    upgraded = _within(Complaint.upgraded_at, start, end)
    committed = Complaint.commitment_done_at
    done = resolution_done_column()
    waiting_now = Complaint.status == ComplaintStatus.WAITING.value
    clock_row = session.execute(
        sa.select(
            _count_if(sa.and_(commitment_due, committed <= Complaint.commitment_due_at)),
            _count_if(
                sa.and_(
                    commitment_due,
                    sa.or_(
                        committed > Complaint.commitment_due_at,
                        sa.and_(committed.is_(None), Complaint.commitment_due_at < now),
                    ),
                )
            ),
            _count_if(sa.and_(commitment_due, committed.is_(None), Complaint.commitment_due_at >= now)),
            _count_if(sa.and_(resolution_due, done <= Complaint.resolution_due_at)),
            _count_if(
                sa.and_(
                    resolution_due,
                    sa.or_(
                        done > Complaint.resolution_due_at,
                        sa.and_(done.is_(None), sa.not_(waiting_now), Complaint.resolution_due_at < now),
                    ),
                )
            ),
            _count_if(
                sa.and_(resolution_due, done.is_(None), sa.or_(waiting_now, Complaint.resolution_due_at >= now))
            ),
            _count_if(upgraded),
        ).where(in_project, sa.or_(commitment_due, resolution_due, upgraded))
    ).one()
    c_on_time, c_late, c_pending, r_on_time, r_late, r_pending, upgrades = (int(n) for n in clock_row)

    # 5. waiting: the pauses that overlap the period
    pauses = session.execute(
        sa.select(ComplaintPause.complaint_id, ComplaintPause.started_at, ComplaintPause.ended_at)
        .where(
            ComplaintPause.project_id == project_id,
            ComplaintPause.started_at < end,
            sa.or_(ComplaintPause.ended_at.is_(None), ComplaintPause.ended_at > start),
        )
        .order_by(ComplaintPause.complaint_id, ComplaintPause.started_at)
    ).all()
    waiting = Waiting(pauses=sum(1 for _, started, _ in pauses if started >= start))
    per_complaint: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for complaint_id, started, ended in pauses:
        per_complaint.setdefault(complaint_id, []).append((started, ended))
    for spans in per_complaint.values():
        inside = rules.waiting_within(spans, start, end, now)
        if inside > timedelta(0):
            waiting.complaints += 1
            waiting.seconds += inside.total_seconds()

    # 6. repeats: the period's complaints and those of the window before it
    candidates = session.execute(
        sa.select(
            Complaint.id,
            Complaint.number,
            Complaint.received_at,
            Complaint.owner_id,
            Complaint.unit_id,
            Complaint.complained_department_id,
        ).where(
            in_project,
            _within(Complaint.received_at, start - rules.REPEAT_WINDOW, end),
            sa.or_(Complaint.owner_id.is_not(None), Complaint.unit_id.is_not(None)),
        )
    ).all()
    found = rules.find_repeats(
        rules.ComplaintKey(c.id, c.received_at, c.owner_id, c.unit_id, c.complained_department_id)
        for c in candidates
    )
    known = {c.id: c for c in candidates}
    repeats = [
        RepeatRow(
            complaint_id=c.id,
            number=c.number,
            received_at=c.received_at,
            department_id=c.complained_department_id,
            kinds=found[c.id].kinds,
            previous_id=found[c.id].previous_id,
            previous_number=known[found[c.id].previous_id].number,
        )
        for c in sorted(candidates, key=lambda c: (c.received_at, c.id))
        if c.id in found and start <= c.received_at < end
    ]

    # 7. satisfaction of the period's call-backs
    satisfaction = dict.fromkeys(SATISFACTION_LEVELS, 0)
    for level, count in session.execute(
        sa.select(ComplaintCallback.satisfaction, sa.func.count(ComplaintCallback.id))
        .where(ComplaintCallback.project_id == project_id, _within(ComplaintCallback.called_at, start, end))
        .group_by(ComplaintCallback.satisfaction)
    ):
        satisfaction[level] = satisfaction.get(level, 0) + count

    # 8. the trend: twelve report months by class
    trend = _trend(session, project_id, month_of, cutoff_day)

    return MonthlySummary(
        project_id=project_id,
        month_of=month_of,
        period_start=period_start,
        period_end=period_end,
        now=now,
        by_class=by_class,
        still_open=still_open,
        departments=department_rows,
        causes=causes,
        commitment=OnTime(c_on_time, c_late, c_pending),
        resolution=OnTime(r_on_time, r_late, r_pending),
        waiting=waiting,
        repeats=repeats,
        satisfaction=satisfaction,
        upgrades=upgrades,
        trend=trend,
    )


def _trend(session: so.Session, project_id: int, month_of: date, cutoff_day: int) -> list[TrendPoint]:
    months = rules.report_months(month_of)
    bounds = [rules.report_bounds(m, cutoff_day) for m in months]
    columns = [_count_if(_within(Complaint.received_at, b_start, b_end)) for b_start, b_end in bounds]
    points = [
        TrendPoint(m, *rules.report_period(m, cutoff_day), by_class=empty_counts()) for m in months
    ]
    for cls, *per_month in session.execute(
        sa.select(Complaint.complaint_class, *columns)
        .where(Complaint.project_id == project_id, _within(Complaint.received_at, bounds[0][0], bounds[-1][1]))
        .group_by(Complaint.complaint_class)
    ):
        for point, count in zip(points, per_month, strict=True):
            point.by_class[cls] = point.by_class.get(cls, 0) + int(count)
    return points


# ---------------------------------------------------------------------------- the register


def register_entries(
    session: so.Session, project_id: int, month_of: date, cutoff_day: int
) -> list[Complaint]:
    """业主投诉记录表: the period's major and important complaints with everything a row
    shows loaded (three queries: the complaints with their people and places, their
    pauses, their call-backs)."""
    start, end = rules.report_bounds(month_of, cutoff_day)
    return list(
        session.scalars(
            sa.select(Complaint)
            .where(
                Complaint.project_id == project_id,
                Complaint.complaint_class.in_(sorted(rules.REGISTER_CLASSES)),
                sa.or_(_within(Complaint.received_at, start, end), _within(Complaint.upgraded_at, start, end)),
            )
            .options(
                so.joinedload(Complaint.owner),
                so.joinedload(Complaint.unit).joinedload(Unit.building),
                so.joinedload(Complaint.complained_department),
                so.joinedload(Complaint.complained_user),
                so.selectinload(Complaint.pauses),
                so.selectinload(Complaint.callbacks),
            )
            .order_by(Complaint.received_at, Complaint.id)
        ).unique()
    )
