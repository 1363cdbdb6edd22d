"""The monthly complaint summary 投诉情况月汇总表 (CMP-07, 篇4 §4.5, 篇3 §4.9) and the
complaint register 业主投诉记录表 (CMP-03 b). SQL aggregation: a fixed number of queries
(six for the summary, three for the register) whatever the month's size, and the summary
fetches aggregates, never a row per complaint or pause (only the repeats it lists); no
Flask here.

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

*Still open*, *commitment* and *resolution* on time, late and pending are built by
still_open, commitment_outcome and resolution_outcome, which the evaluation sheets'
complaint figures use too (webapp.evaluation.families.complaints).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

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


def still_open() -> sa.ColumnElement[bool]:
    """Not closed (judged by the status now)."""
    return Complaint.status != ComplaintStatus.CLOSED.value


def commitment_outcome(now) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """CMP-04 (on time, late, pending) of a complaint, judged at ``now`` (a value or a
    bound parameter): taken into handling by its due moment; after it, or not yet and the
    due moment has passed; not yet and not yet due."""
    due = Complaint.commitment_due_at
    committed = Complaint.commitment_done_at
    on_time = committed <= due
    late = sa.or_(committed > due, sa.and_(committed.is_(None), due < now))
    pending = sa.and_(committed.is_(None), due >= now)
    return on_time, late, pending


def resolution_outcome(now) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """CMP-05 (on time, late, pending) of a complaint, judged at ``now``: resolution done
    (resolution_done_column) by the stored due moment; done after it, or not done, not
    waiting and overdue; not done and waiting now (its clock stopped) or not yet due."""
    due = Complaint.resolution_due_at
    done = resolution_done_column()
    waiting_now = Complaint.status == ComplaintStatus.WAITING.value
    on_time = done <= due
    late = sa.or_(done > due, sa.and_(done.is_(None), sa.not_(waiting_now), due < now))
    pending = sa.and_(done.is_(None), sa.or_(waiting_now, due >= now))
    return on_time, late, pending


def _department_order(departments: list[Department]) -> list[Department]:
    """The organisation chart's order: customer service, security, maintenance… then by name."""
    kinds = list(DepartmentKind)
    return sorted(departments, key=lambda d: (kinds.index(d.kind) if d.kind in kinds else len(kinds), d.name, d.id))


def _seconds(later, earlier, dialect: str) -> sa.ColumnElement[float]:
    """later - earlier in seconds, in SQL (SQLite: to the millisecond, its clock's precision)."""
    if dialect == "postgresql":
        return sa.extract("epoch", later - earlier)
    return sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0, 3)


def _moment(name: str) -> sa.BindParameter:
    """A moment the summary's statements are executed with (see _summary_statements)."""
    return sa.bindparam(name, type_=Complaint.received_at.type)


def _waiting_columns(project_id, start, end, limit, dialect: str) -> list:
    """rules.waiting_within for every complaint at once: (pauses started in the period,
    complaints that waited in it, seconds waited in it) as scalar subqueries. Each pause is
    clipped to [start, limit), limit = min(end, now); per complaint, overlapping pauses are
    merged into islands (a pause opens a new island when it starts after every earlier one
    ended)."""
    overlapping = sa.and_(
        ComplaintPause.project_id == project_id,
        ComplaintPause.started_at < end,
        sa.or_(ComplaintPause.ended_at.is_(None), ComplaintPause.ended_at > start),
    )
    started = sa.case((ComplaintPause.started_at < start, start), else_=ComplaintPause.started_at)
    stopped = sa.func.coalesce(ComplaintPause.ended_at, limit)
    stopped = sa.case((stopped > limit, limit), else_=stopped)
    clipped = (
        sa.select(ComplaintPause.complaint_id, started.label("s"), stopped.label("e"))
        .where(overlapping)
        .subquery("clipped")
    )
    spans = sa.select(clipped).where(clipped.c.e > clipped.c.s).subquery("spans")
    by_complaint = {"partition_by": spans.c.complaint_id, "order_by": (spans.c.s, spans.c.e)}
    ended_before = sa.func.max(spans.c.e).over(**by_complaint, rows=(None, -1))
    opens = sa.case((sa.or_(ended_before.is_(None), spans.c.s > ended_before), 1), else_=0)
    flagged = sa.select(spans.c.complaint_id, spans.c.s, spans.c.e, opens.label("opens")).subquery("flagged")
    island = sa.func.sum(flagged.c.opens).over(
        partition_by=flagged.c.complaint_id, order_by=(flagged.c.s, flagged.c.e), rows=(None, 0)
    )
    numbered = sa.select(flagged.c.complaint_id, flagged.c.s, flagged.c.e, island.label("island")).subquery("numbered")
    islands = (
        sa.select(
            numbered.c.complaint_id,
            sa.func.min(numbered.c.s).label("s"),
            sa.func.max(numbered.c.e).label("e"),
        )
        .group_by(numbered.c.complaint_id, numbered.c.island)
        .subquery("islands")
    )
    return [
        sa.select(sa.func.count(ComplaintPause.id))
        .where(overlapping, ComplaintPause.started_at >= start)
        .scalar_subquery(),
        sa.select(sa.func.count(sa.distinct(islands.c.complaint_id))).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(_seconds(islands.c.e, islands.c.s, dialect)), 0)).scalar_subquery(),
    ]


def _repeats_statement(project_id, start, end, window_start, dialect: str) -> sa.Select:
    """rules.find_repeats in SQL: each complaint's latest earlier one of the same owner and
    of the same matter (window functions over the period and the window before it,
    window_start = start - REPEAT_WINDOW); only the repeats come back."""
    window = rules.REPEAT_WINDOW
    order = (Complaint.received_at, Complaint.id)
    same_owner = {"partition_by": Complaint.owner_id, "order_by": order}
    same_matter = {"partition_by": (Complaint.unit_id, Complaint.complained_department_id), "order_by": order}
    at_type = Complaint.received_at.type
    ranked = (
        sa.select(
            Complaint.id,
            Complaint.number,
            Complaint.received_at,
            Complaint.owner_id,
            Complaint.unit_id,
            Complaint.complained_department_id,
            sa.func.lag(Complaint.id).over(**same_owner).label("owner_previous_id"),
            sa.func.lag(Complaint.number).over(**same_owner).label("owner_previous_number"),
            sa.func.lag(Complaint.received_at, type_=at_type).over(**same_owner).label("owner_previous_at"),
            sa.func.lag(Complaint.id).over(**same_matter).label("matter_previous_id"),
            sa.func.lag(Complaint.number).over(**same_matter).label("matter_previous_number"),
            sa.func.lag(Complaint.received_at, type_=at_type).over(**same_matter).label("matter_previous_at"),
        )
        .where(
            Complaint.project_id == project_id,
            _within(Complaint.received_at, window_start, end),
            sa.or_(Complaint.owner_id.is_not(None), Complaint.unit_id.is_not(None)),
        )
        .subquery("ranked")
    )
    c = ranked.c
    seconds = window.total_seconds()
    by_owner = sa.and_(
        c.owner_id.is_not(None),
        c.owner_previous_id.is_not(None),
        _seconds(c.received_at, c.owner_previous_at, dialect) <= seconds,
    )
    by_matter = sa.and_(
        c.unit_id.is_not(None),
        c.complained_department_id.is_not(None),
        c.matter_previous_id.is_not(None),
        _seconds(c.received_at, c.matter_previous_at, dialect) <= seconds,
    )
    return (
        sa.select(c, by_owner.label("by_owner"), by_matter.label("by_matter"))
        .where(_within(c.received_at, start, end), sa.or_(by_owner, by_matter))
        .order_by(c.received_at, c.id)
    )


def _repeat_rows(found) -> list[RepeatRow]:
    repeats = []
    for row in found:
        earlier = []
        if row.by_owner:
            earlier.append((row.owner_previous_at, row.owner_previous_id, row.owner_previous_number, RepeatKind.OWNER))
        if row.by_matter:
            earlier.append(
                (row.matter_previous_at, row.matter_previous_id, row.matter_previous_number, RepeatKind.MATTER)
            )
        _, previous_id, previous_number, _ = max(earlier, key=lambda e: (e[0], e[1]))
        repeats.append(
            RepeatRow(
                complaint_id=row.id,
                number=row.number,
                received_at=row.received_at,
                department_id=row.complained_department_id,
                kinds=frozenset(e[3] for e in earlier),
                previous_id=previous_id,
                previous_number=previous_number,
            )
        )
    return repeats


@dataclass(frozen=True)
class _SummaryStatements:
    counts: sa.Select
    departments: sa.Select
    clocks: sa.Select
    repeats: sa.Select
    satisfaction: sa.Select
    trend: sa.Select


@functools.cache
def _summary_statements(dialect: str) -> _SummaryStatements:
    """The summary's statements, built once per dialect and executed with the month's
    values as parameters: building them (a few hundred SQL expression objects) took as
    long as running them. Parameters: project_id, start, end (the period), now, limit
    (min(end, now)), window_start (start - REPEAT_WINDOW), named (department ids), and
    per trend month i, start_i and end_i."""
    project_id = sa.bindparam("project_id", type_=sa.Integer)
    start, end, now = _moment("start"), _moment("end"), _moment("now")
    in_project = Complaint.project_id == project_id
    received = sa.and_(in_project, _within(Complaint.received_at, start, end))

    # 1. by department, class and cause, and what is still open
    cause = sa.func.nullif(sa.func.trim(Complaint.cause), "")
    counts = (
        sa.select(
            Complaint.complained_department_id,
            Complaint.complaint_class,
            cause,
            sa.func.count(Complaint.id),
            _count_if(still_open()),
        )
        .where(received)
        .group_by(Complaint.complained_department_id, Complaint.complaint_class, cause)
    )

    # 2. the departments: the project's active ones and any the period's complaints name
    departments = sa.select(Department).where(
        sa.or_(
            sa.and_(Department.project_id == project_id, Department.active),
            Department.id.in_(sa.bindparam("named", expanding=True)),
        )
    )

    # 3. the clocks due in the period, the upgrades made in it, and the waiting in it
    commitment_due = _within(Complaint.commitment_due_at, start, end)
    resolution_due = _within(Complaint.resolution_due_at, start, end)
    upgraded = _within(Complaint.upgraded_at, start, end)
    c_on_time, c_late, c_pending = commitment_outcome(now)
    r_on_time, r_late, r_pending = resolution_outcome(now)
    clocks = (
        sa.select(
            _count_if(sa.and_(commitment_due, c_on_time)),
            _count_if(sa.and_(commitment_due, c_late)),
            _count_if(sa.and_(commitment_due, c_pending)),
            _count_if(sa.and_(resolution_due, r_on_time)),
            _count_if(sa.and_(resolution_due, r_late)),
            _count_if(sa.and_(resolution_due, r_pending)),
            _count_if(upgraded),
        )
        .where(in_project, sa.or_(commitment_due, resolution_due, upgraded))
        .subquery("clocks")
    )
    clock_statement = sa.select(clocks, *_waiting_columns(project_id, start, end, _moment("limit"), dialect))

    # 4. repeats among the period's complaints
    repeats = _repeats_statement(project_id, start, end, _moment("window_start"), dialect)

    # 5. satisfaction of the period's call-backs
    satisfaction = (
        sa.select(ComplaintCallback.satisfaction, sa.func.count(ComplaintCallback.id))
        .where(ComplaintCallback.project_id == project_id, _within(ComplaintCallback.called_at, start, end))
        .group_by(ComplaintCallback.satisfaction)
    )

    # 6. the trend: twelve report months by class
    month_columns = [
        _count_if(_within(Complaint.received_at, _moment(f"start_{i}"), _moment(f"end_{i}")))
        for i in range(rules.TREND_PERIODS)
    ]
    trend = (
        sa.select(Complaint.complaint_class, *month_columns)
        .where(
            Complaint.project_id == project_id,
            _within(Complaint.received_at, _moment("start_0"), _moment(f"end_{rules.TREND_PERIODS - 1}")),
        )
        .group_by(Complaint.complaint_class)
    )
    return _SummaryStatements(counts, departments, clock_statement, repeats, satisfaction, trend)


def monthly_summary(
    session: so.Session, project_id: int, month_of: date, cutoff_day: int, now: datetime
) -> MonthlySummary:
    """The figures of one project's report month (see the module docstring), in six queries."""
    period_start, period_end = rules.report_period(month_of, cutoff_day)
    start, end = rules.report_bounds(month_of, cutoff_day)
    statements = _summary_statements(session.get_bind().dialect.name)
    period = {"project_id": project_id, "start": start, "end": end}

    # 1. by department, class and cause, and what is still open
    counts = session.execute(statements.counts, period).all()

    # 2. the departments: the project's active ones and any the period's complaints name
    named = {department_id for department_id, *_ in counts if department_id is not None}
    departments = _department_order(
        list(session.scalars(statements.departments, {"project_id": project_id, "named": sorted(named) or [0]}))
    )
    rows = {d.id: DepartmentRow(d.id, d.name, d.kind) for d in departments}
    unnamed = DepartmentRow(None)
    by_class = empty_counts()
    by_cause: dict[str | None, int] = {}
    still_open = 0
    for department_id, cls, cause_text, count, open_count in counts:
        row = unnamed if department_id is None else rows.setdefault(department_id, DepartmentRow(department_id))
        row.by_class[cls] = row.by_class.get(cls, 0) + count
        by_class[cls] = by_class.get(cls, 0) + count
        by_cause[cause_text] = by_cause.get(cause_text, 0) + count
        still_open += int(open_count)
    department_rows = list(rows.values()) + ([unnamed] if unnamed.total else [])
    causes = [CauseRow(text, count) for text, count in by_cause.items()]
    causes.sort(key=lambda row: (row.cause is None, -row.count, row.cause or ""))

    # 3. the clocks due in the period, the upgrades made in it, and the waiting in it
    clock_row = session.execute(statements.clocks, {**period, "now": now, "limit": min(end, now)}).one()
    c_on_time, c_late, c_pending, r_on_time, r_late, r_pending, upgrades = (int(n) for n in clock_row[:7])
    pauses_started, waited, waited_seconds = clock_row[7:]
    waiting = Waiting(pauses=int(pauses_started or 0), complaints=int(waited or 0), seconds=float(waited_seconds or 0))

    # 4. repeats among the period's complaints
    repeats = _repeat_rows(
        session.execute(statements.repeats, {**period, "window_start": start - rules.REPEAT_WINDOW}).all()
    )

    # 5. satisfaction of the period's call-backs
    satisfaction = dict.fromkeys(SATISFACTION_LEVELS, 0)
    for level, count in session.execute(statements.satisfaction, period):
        satisfaction[level] = satisfaction.get(level, 0) + count

    # 6. the trend: twelve report months by class
    trend = _trend(session, statements.trend, project_id, month_of, cutoff_day)

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


def _trend(
    session: so.Session, statement: sa.Select, project_id: int, month_of: date, cutoff_day: int
) -> list[TrendPoint]:
    months = rules.report_months(month_of, rules.TREND_PERIODS)
    params: dict[str, object] = {"project_id": project_id}
    for i, month in enumerate(months):
        params[f"start_{i}"], params[f"end_{i}"] = rules.report_bounds(month, cutoff_day)
    points = [TrendPoint(m, *rules.report_period(m, cutoff_day), by_class=empty_counts()) for m in months]
    for cls, *per_month in session.execute(statement, params):
        for point, count in zip(points, per_month, strict=True):
            point.by_class[cls] = point.by_class.get(cls, 0) + int(count)
    return points


# ---------------------------------------------------------------------------- the register


def register_entries(session: so.Session, project_id: int, month_of: date, cutoff_day: int) -> list[Complaint]:
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
