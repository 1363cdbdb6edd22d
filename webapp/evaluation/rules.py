"""Staff evaluation 绩效考评 (EVAL): the periods a sheet covers, who may read whose sheet
(ORG-02), and the arithmetic of its figures (rates, means, per-1,000-unit rates, the
worst-first ranking). Standard library only; the figures themselves are SQL aggregation
in webapp.evaluation.facts over the records the SOP pages keep.

Every SOP ends with "used as a basis for performance evaluation" (篇1 §4.6.2, 篇2 §4.9,
篇3 §4.6/§4.7 e, 篇4, 篇5 §4.5.2): the sheets read what those SOPs record and add no new
way of recording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

#: (role, project_id or None, department_id or None), as webapp.org.rules.Grant
Grant = tuple[str, "int | None", "int | None"]

#: company roles that read every sheet and the company view (ORG-02: GM, VP and QA)
COMPANY_READERS = frozenset({"gm", "vp", "qa"})
#: project roles that read every sheet of their project
PROJECT_READERS = frozenset({"pm"})
#: the customer-service centre's project roles: its members without a department grant
CS_MEMBER_ROLES = frozenset({"cs_supervisor", "receptionist", "publicist"})
#: the roles that supervise a department (the CS supervisor: the customer-service centre)
DEPARTMENT_SUPERVISOR = "dept_supervisor"
CS_SUPERVISOR = "cs_supervisor"
DEPARTMENT_MEMBER_ROLES = frozenset({"dept_supervisor", "staff"})

#: how many months the trend of a department or project shows
TREND_MONTHS = 12
#: how many projects the company view puts first on each measure
WORST_COUNT = 5


class Kind(StrEnum):
    """What a sheet is about."""

    PERSON = "person"
    DEPARTMENT = "department"
    PROJECT = "project"


# ---------------------------------------------------------------------------- periods


class PeriodLength(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A local calendar month or quarter (Asia/Shanghai days): `first` is its first day,
    `end` the first day after it."""

    first: date
    length: PeriodLength = PeriodLength.MONTH

    @property
    def months(self) -> int:
        return 3 if self.length is PeriodLength.QUARTER else 1

    @property
    def end(self) -> date:
        return _add_months(self.first, self.months)

    @property
    def last(self) -> date:
        """Its last day (what a page prints: 2026-11-01 – 2026-11-30)."""
        return self.end - timedelta(days=1)

    @property
    def key(self) -> str:
        """What the address bar carries: 2026-11 or 2026-Q4."""
        if self.length is PeriodLength.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year}-{self.first.month:02d}"

    def previous(self) -> Period:
        return Period(_add_months(self.first, -self.months), self.length)

    def next(self) -> Period:
        return Period(self.end, self.length)

    def month_starts(self) -> list[date]:
        return [_add_months(self.first, i) for i in range(self.months)]


def month_of(day: date) -> Period:
    return Period(day.replace(day=1))


def quarter_of(day: date) -> Period:
    return Period(date(day.year, (day.month - 1) // 3 * 3 + 1, 1), PeriodLength.QUARTER)


def parse_period(text: str | None, today: date) -> Period:
    """2026-11 (a month) or 2026-Q4 (a quarter); anything else, or a period that has not
    begun, is the current month."""
    text = (text or "").strip()
    period = None
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            period = Period(date(year, month, 1))
    elif match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        if 2000 <= year <= 2100:
            period = Period(date(year, quarter * 3 - 2, 1), PeriodLength.QUARTER)
    if period is None or period.first > today:
        return month_of(today)
    return period


def trend_months(period: Period, count: int = TREND_MONTHS) -> list[Period]:
    """The `count` months ending with the period's last month, oldest first."""
    last = _add_months(period.end, -1)
    return [Period(_add_months(last, i - count + 1)) for i in range(count)]


# ---------------------------------------------------------------------------- arithmetic


def rate(part: int, whole: int) -> float | None:
    """part / whole; None when there is nothing to count over (shown as "—", never 0 %)."""
    return part / whole if whole else None


def mean(total: int, count: int) -> Decimal | None:
    """A mean to one decimal, half up; None when nothing was counted."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def per_thousand(count: int, units: int) -> Decimal | None:
    """Complaints per 1,000 units, to two decimals, half up; None for a project without units."""
    if not units:
        return None
    return (Decimal(count) * 1000 / Decimal(units)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Better(StrEnum):
    """Which way a measure improves: the ranking puts the worst first."""

    HIGHER = "higher"
    LOWER = "lower"


def worst_first(values: Mapping[int, object], better: Better, names: Mapping[int, str] | None = None) -> list[int]:
    """The keys from worst to best; keys without a value (nothing to measure) come last.
    Ties keep the order of `names` (then the key), so a printed ranking is stable."""
    names = names or {}

    def key(item: int):
        value = values[item]
        if value is None:
            return (1, 0, names.get(item, ""), item)
        number = float(value)  # type: ignore[arg-type]
        return (0, number if better is Better.HIGHER else -number, names.get(item, ""), item)

    return sorted(values, key=key)


def ranks(values: Mapping[int, object], better: Better) -> dict[int, int]:
    """Competition ranks from the best (1) down; equal values share a rank; keys without
    a value get none."""
    scored = [(k, float(v)) for k, v in values.items() if v is not None]  # type: ignore[arg-type]
    scored.sort(key=lambda kv: -kv[1] if better is Better.HIGHER else kv[1])
    result: dict[int, int] = {}
    previous = None
    for position, (k, v) in enumerate(scored, start=1):
        if previous is None or v != previous[1]:
            previous = (position, v)
        result[k] = previous[0]
    return result


# ---------------------------------------------------------------------------- access (ORG-02)


def departments_of(grants: Iterable[Grant], cs_department_of: Callable[[int], int | None]) -> set[int]:
    """The departments a person belongs to: their department grants, and for the
    customer-service centre's project roles (CS supervisor, receptionist, publicist) the
    project's customer-service department."""
    found: set[int] = set()
    for role, project_id, department_id in grants:
        if role in DEPARTMENT_MEMBER_ROLES and department_id is not None:
            found.add(department_id)
        elif role in CS_MEMBER_ROLES and project_id is not None:
            cs = cs_department_of(project_id)
            if cs is not None:
                found.add(cs)
    return found


def supervised_departments(grants: Iterable[Grant], cs_department_of: Callable[[int], int | None]) -> set[int]:
    """The departments a user supervises: a department supervisor's own; the CS
    supervisor's customer-service centre."""
    found: set[int] = set()
    for role, project_id, department_id in grants:
        if role == DEPARTMENT_SUPERVISOR and department_id is not None:
            found.add(department_id)
        elif role == CS_SUPERVISOR and project_id is not None:
            cs = cs_department_of(project_id)
            if cs is not None:
                found.add(cs)
    return found


def reads_company(grants: Iterable[Grant]) -> bool:
    """GM, VP and QA read every sheet and the company view."""
    return any(role in COMPANY_READERS and project_id is None for role, project_id, _ in grants)


def managed_projects(grants: Iterable[Grant]) -> set[int]:
    """The projects whose every sheet a user reads as their PM."""
    return {project_id for role, project_id, _ in grants if role in PROJECT_READERS and project_id is not None}


def manages_project(grants: Iterable[Grant], project_id: int) -> bool:
    return project_id in managed_projects(grants)


def may_view_project(grants: Iterable[Grant], project_id: int) -> bool:
    grants = list(grants)
    return reads_company(grants) or manages_project(grants, project_id)


def may_view_department(
    grants: Iterable[Grant], department_id: int, project_id: int, cs_department_of: Callable[[int], int | None]
) -> bool:
    """GM, VP, QA; the project's PM; the department's supervisor."""
    grants = list(grants)
    return may_view_project(grants, project_id) or department_id in supervised_departments(grants, cs_department_of)


def may_view_person(
    viewer_id: int,
    viewer_grants: Iterable[Grant],
    person_id: int,
    person_grants: Iterable[Grant],
    cs_department_of: Callable[[int], int | None],
) -> bool:
    """Staff see their own sheet; supervisors their department's people; PMs their
    project's people; GM, VP and QA everyone's."""
    viewer_grants, person_grants = list(viewer_grants), list(person_grants)
    if viewer_id == person_id or reads_company(viewer_grants):
        return True
    person_projects = {project_id for _, project_id, _ in person_grants if project_id is not None}
    if any(manages_project(viewer_grants, project_id) for project_id in person_projects):
        return True
    return bool(
        supervised_departments(viewer_grants, cs_department_of) & departments_of(person_grants, cs_department_of)
    )


def may_open_evaluation(grants: Iterable[Grant]) -> bool:
    """Everyone with a role has at least their own sheet."""
    return any(True for _ in grants)
