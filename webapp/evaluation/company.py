"""The GM's and VP's company view (EVAL): every project the user may see, side by side, for
a month or a quarter — open and overdue items by SOP now, complaints per 1,000 units, the
on-time rates and satisfaction — each measure with its projects worst first and the worst
five marked.

The figures are the evaluation sheets' own (webapp.evaluation.catalogue measures over the
facts families): one facts.totals statement per family for every project at once, so the
view runs the same number of statements for 50 projects as for 2. Those sums are kept a
few minutes (EVALUATION_CACHE_SECONDS, webapp/core/cache.py) with the moment they were
computed, which the page shows as "data as of".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy.orm as so
from flask import current_app, has_app_context

from webapp.core.cache import remembered
from webapp.core.clock import local_midnight
from webapp.core.scoping import current_scope
from webapp.evaluation import facts
from webapp.evaluation.catalogue import MEASURES, SOP_AREAS, Measure
from webapp.evaluation.rules import WORST_COUNT, Kind, Period, worst_first
from webapp.evaluation.sheets import family_bounds

#: the company view's measures, in the order its table shows them
COMPANY_MEASURE_KEYS: tuple[str, ...] = (
    *(key for area in SOP_AREAS for key in (f"open_{area}", f"overdue_{area}")),
    "complaints_per_thousand",
    "slips_on_time_rate",
    "commitment_rate",
    "resolution_rate",
    "satisfaction_rate",
    "paid_satisfaction",
)
#: what the table is ordered by when the address names no measure
DEFAULT_MEASURE = "complaints_per_thousand"
#: the family and column of a project's units (the per-1,000 rates' denominator)
UNITS_FAMILY, UNITS_COLUMN = "units", "units"


def company_measures() -> list[Measure]:
    return [MEASURES[key] for key in COMPANY_MEASURE_KEYS if key in MEASURES]


def family_totals(
    session: so.Session,
    family_keys: Iterable[str],
    kind: Kind,
    subject_ids: Sequence[int] | None,
    period: Period,
    now: datetime,
) -> dict[str, dict[int, facts.Counts]]:
    """family → subject → sums: one statement per family (a family not registered, or not
    about this kind of subject, counts nothing and runs nothing)."""
    result: dict[str, dict[int, facts.Counts]] = {}
    for key in dict.fromkeys(family_keys):
        family = facts.FAMILIES.get(key)
        if family is None or kind not in family.kinds:
            continue
        result[key] = facts.totals(
            session, key, kind, subject_ids, *family_bounds(key, period), now
        )
    return result


def measure_value(
    measure: Measure, sums: Mapping[str, Mapping[int, facts.Counts]], subject_id: int, units: int
):
    """One subject's figure; None when its family is not there or there is nothing to count over."""
    if measure.family not in sums:
        return None
    return measure.value(sums[measure.family].get(subject_id), units=units)


def worst_marked(values: Mapping[int, object], order: Sequence[int]) -> frozenset[int]:
    """The worst five of `order` (worst first): those with a figure that is not as good as
    the best one (when every project has the same figure, none is singled out)."""
    figures = [values[key] for key in order if values[key] is not None]
    if not figures:
        return frozenset()
    best = figures[-1]
    marked = [key for key in order if values[key] is not None and values[key] != best]
    return frozenset(marked[:WORST_COUNT])


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    code: str
    #: the units the per-1,000 rates count over (None: the units family is not there)
    units: int | None


@dataclass(frozen=True)
class Column:
    """One measure across the projects."""

    measure: Measure
    #: project id → figure (None: nothing to count over)
    values: dict[int, object]
    #: the project ids worst first (those without a figure last)
    order: list[int]
    worst: frozenset[int]

    @property
    def key(self) -> str:
        return self.measure.key


@dataclass(frozen=True)
class CompanyView:
    period: Period
    start: datetime
    end: datetime
    now: datetime
    projects: list[ProjectRow]
    columns: list[Column]
    #: the measure the table is ordered by
    by: Column

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def ordered(self) -> list[ProjectRow]:
        """The projects worst first on the chosen measure."""
        rows = {row.id: row for row in self.projects}
        return [rows[project_id] for project_id in self.by.order]


def kept_totals(
    session: so.Session, families: Sequence[str], period: Period, now: datetime
) -> tuple[dict[str, dict[int, facts.Counts]], datetime]:
    """Every project's sums in the user's scope, and the moment they were computed: kept
    EVALUATION_CACHE_SECONDS (webapp/core/cache.py) per period and scope, since a company's
    month takes a tenth of a second of SQL and the GM, VP and QA see the same figures."""
    scope = current_scope()
    scope_key = (
        "all"
        if scope is None
        else hashlib.sha256(",".join(map(str, sorted(scope))).encode()).hexdigest()[:16]
    )

    def compute() -> dict:
        sums = family_totals(session, families, Kind.PROJECT, None, period, now)
        return {
            "now": now.isoformat(),
            "sums": {
                family: {str(k): v for k, v in by_subject.items()}
                for family, by_subject in sums.items()
            },
        }

    seconds = current_app.config.get("EVALUATION_CACHE_SECONDS", 0) if has_app_context() else 0
    kept = remembered(f"evaluation:company:{period.key}:{scope_key}", seconds, compute)
    sums = {
        family: {int(k): v for k, v in by_subject.items()}
        for family, by_subject in kept["sums"].items()
    }
    return sums, datetime.fromisoformat(kept["now"])


def company_view(
    session: so.Session, projects: Sequence, period: Period, now: datetime, by: str | None = None
) -> CompanyView:
    """The figures of `projects` (Project rows, by name: those the user may see) for the
    period; `by` is the measure to order by (default DEFAULT_MEASURE)."""
    measures = company_measures()
    ids = [project.id for project in projects]
    names = {project.id: project.name for project in projects}
    # every project in the user's scope at once (no list of ids in the statement); the
    # view keeps those it shows
    families = [UNITS_FAMILY, *(m.family for m in measures)]
    sums, now = kept_totals(session, families, period, now) if ids else ({}, now)
    units_known = UNITS_FAMILY in sums
    units = {
        project_id: (
            sums[UNITS_FAMILY].get(project_id, {}).get(UNITS_COLUMN, 0) if units_known else 0
        )
        for project_id in ids
    }
    columns = []
    for measure in measures:
        values = {
            project_id: measure_value(measure, sums, project_id, units[project_id])
            for project_id in ids
        }
        order = worst_first(values, measure.better, names)
        columns.append(Column(measure, values, order, worst_marked(values, order)))
    chosen = by if by in COMPANY_MEASURE_KEYS and by in MEASURES else DEFAULT_MEASURE
    return CompanyView(
        period=period,
        start=local_midnight(period.first),
        end=local_midnight(period.end),
        now=now,
        projects=[
            ProjectRow(
                project.id, project.name, project.code, units[project.id] if units_known else None
            )
            for project in projects
        ],
        columns=columns,
        by=next(column for column in columns if column.key == chosen),
    )


# ---------------------------------------------------------------------------- showing a figure


def display(measure: Measure, value) -> str:
    """A figure as the pages show it: rates in per cent to one decimal, means to one decimal,
    per-1,000 rates to two, money in yuan; "—" when there is nothing to count over."""
    if value is None:
        return "—"
    if measure.shape == "rate":
        return f"{float(value) * 100:.1f}%"
    if measure.shape == "money":
        return f"¥{Decimal(value) / 100:,.2f}"
    return str(value)


def cell_value(measure: Measure, value):
    """A figure as an xlsx cell holds it: rates as shares (shown as per cent), money in
    yuan, decimals as numbers, nothing as an empty cell."""
    if value is None:
        return None
    if measure.shape == "rate":
        return round(float(value), 4)
    if measure.shape == "money":
        return float(Decimal(value) / 100)
    if isinstance(value, Decimal):
        return float(value)
    return value


def numeric(value) -> float:
    return 0.0 if value is None else float(value)
