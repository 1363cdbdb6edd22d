"""The evaluation sheets 绩效考评表 of a person, a department and a project (EVAL): the
catalogue's figures for a month or a quarter, by SOP, each with the records behind it,
and for departments and projects the trend over 12 months.

Every figure is a sum (or a rate, mean or per-1,000 of sums) of a facts family's column
(webapp.evaluation.facts); a sheet runs one statement per family of its kind, whatever
the number of records: with a trend, one statement buckets the 12 trend months and the
period is the sum of its months (the last one or three buckets). A person's departments
are counted together, one statement per family for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.clock import local_midnight
from webapp.evaluation import facts
from webapp.evaluation.access import cs_department_lookup
from webapp.evaluation.catalogue import MEASURES, Measure, families_for, measures_for
from webapp.evaluation.facts import Counts, Evidence
from webapp.evaluation.rules import Kind, Period, departments_of, trend_months
from webapp.org.models import Department, Project, User

#: the family of a project's units (per-1,000-unit rates) and its column
UNITS_FAMILY, UNITS_COLUMN = "units", "units"
#: the family of activities organised, whose records a person's sheet lists with their findings
ACTIVITIES_FAMILY, ACTIVITIES_COLUMN = "activities", "activities"


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as instants: local midnight of its first day and of the day after it, in UTC."""
    return local_midnight(period.first), local_midnight(period.end)


def family_bounds(family_key: str, period: Period) -> tuple[datetime | date, datetime | date]:
    """The bounds a family is executed with: local days for a dated family, else instants."""
    family = facts.FAMILIES.get(family_key)
    if family is not None and family.dated:
        return period.first, period.end
    return period_bounds(period)


@dataclass
class Figure:
    """One number of a sheet, and what its evidence link needs."""

    measure: Measure
    #: int (count, money in fen), float (rate 0–1), Decimal (mean, per 1,000) or None ("—")
    value: object
    kind: Kind
    subject_id: int
    period: Period
    #: the sum of the evidence column: how many records the evidence page lists
    evidence_count: int = 0

    @property
    def key(self) -> str:
        return self.measure.key

    @property
    def label(self) -> object:
        return self.measure.label

    @property
    def shape(self) -> str:
        return self.measure.shape

    @property
    def evidence_args(self) -> dict[str, object]:
        """url_for('evaluation.evidence', **figure.evidence_args)"""
        return {
            "kind": self.kind.value,
            "subject_id": self.subject_id,
            "measure": self.measure.key,
            "period": self.period.key,
        }


@dataclass
class Section:
    key: str
    label: object
    #: the SOP clauses its families read
    sop: str
    figures: list[Figure]


@dataclass
class TrendMonth:
    period: Period
    #: measure key → value (no snapshot measures: they describe the present only)
    values: dict[str, object]


@dataclass
class Sheet:
    kind: Kind
    subject_id: int
    name: str
    period: Period
    start: datetime
    end: datetime
    now: datetime
    sections: list[Section]
    #: family → column → sum over the period
    counts: dict[str, Counts]
    #: a person's departments, each a department sheet without trend
    departments: list[Sheet] = field(default_factory=list)
    #: the activities a person organised in the period, the summary's findings as note
    activities: list[Evidence] = field(default_factory=list)
    #: departments and projects: the 12 months ending with the period's last month
    trend: list[TrendMonth] = field(default_factory=list)
    #: the project a department or project sheet belongs to (ranking links)
    project_id: int | None = None
    #: the project's units (project sheets; None when unknown)
    units: int | None = None

    def figure(self, key: str) -> Figure:
        for section in self.sections:
            for figure in section.figures:
                if figure.measure.key == key:
                    return figure
        raise KeyError(key)

    def value(self, key: str) -> object:
        return self.figure(key).value


# ---------------------------------------------------------------------------- building


def _sum(buckets: Sequence[Counts]) -> Counts:
    total: Counts = {}
    for counts in buckets:
        for column, value in counts.items():
            total[column] = total.get(column, 0) + value
    return total


def _family_counts(
    session: so.Session,
    family_key: str,
    kind: Kind,
    subject_ids: Sequence[int],
    period: Period,
    now: datetime,
    with_trend: bool,
) -> tuple[dict[int, Counts], dict[int, list[Counts]]]:
    """Per subject, the family's sums over the period and, with a trend, per trend month
    (one statement; none for a family not registered, which counts nothing)."""
    family = facts.FAMILIES.get(family_key)
    if family is None or not subject_ids:
        return {}, {}
    if with_trend:
        months = trend_months(period)
        per_month = facts.buckets(
            session,
            family_key,
            kind,
            subject_ids,
            [family_bounds(family_key, m) for m in months],
            now,
        )
        if family.snapshot:
            totals = {subject: dict(buckets[-1]) for subject, buckets in per_month.items()}
        else:
            totals = {
                subject: _sum(buckets[-period.months :]) for subject, buckets in per_month.items()
            }
        return totals, per_month
    totals = facts.totals(
        session, family_key, kind, subject_ids, *family_bounds(family_key, period), now
    )
    return totals, {}


def _units(
    session: so.Session, project_ids: Sequence[int], period: Period, now: datetime
) -> dict[int, int]:
    if UNITS_FAMILY not in facts.FAMILIES or not project_ids:
        return {}
    per_project = facts.totals(
        session, UNITS_FAMILY, Kind.PROJECT, project_ids, *family_bounds(UNITS_FAMILY, period), now
    )
    return {project_id: counts.get(UNITS_COLUMN, 0) for project_id, counts in per_project.items()}


def _sections(
    kind: Kind, subject_id: int, period: Period, counts: dict[str, Counts], units: int | None
) -> list[Section]:
    sections = []
    for key, label, measures in measures_for(kind):
        if not measures:
            continue
        figures = []
        sops: dict[str, None] = {}
        for measure in measures:
            family_counts = counts.get(measure.family, {})
            family = facts.FAMILIES.get(measure.family)
            if family is not None:
                sops.setdefault(family.sop, None)
            figures.append(
                Figure(
                    measure=measure,
                    value=measure.value(family_counts, units),
                    kind=kind,
                    subject_id=subject_id,
                    period=period,
                    evidence_count=family_counts.get(measure.evidence, 0),
                )
            )
        sections.append(Section(key=key, label=label, sop="; ".join(sops), figures=figures))
    return sections


def _is_snapshot(family_key: str) -> bool:
    """A family describing the present: the same in every month, so no trend of its own."""
    family = facts.FAMILIES.get(family_key)
    return family is not None and family.snapshot


def _empty(family_key: str) -> Counts:
    family = facts.FAMILIES.get(family_key)
    return dict.fromkeys(family.columns, 0) if family is not None else {}


def build_sheets(
    session: so.Session,
    kind: Kind,
    subjects: Sequence[tuple[int, str, int | None]],
    period: Period,
    now: datetime,
    *,
    with_trend: bool = True,
) -> list[Sheet]:
    """The sheets of several subjects of one kind, (id, name, project id) each, in that
    order: one statement per family for all of them (and one for the units of projects)."""
    ids = [subject_id for subject_id, _, _ in subjects]
    with_trend = with_trend and kind is not Kind.PERSON
    totals: dict[str, dict[int, Counts]] = {}
    monthly: dict[str, dict[int, list[Counts]]] = {}
    for family_key in families_for(kind):
        totals[family_key], monthly[family_key] = _family_counts(
            session, family_key, kind, ids, period, now, with_trend
        )
    units = _units(session, ids, period, now) if kind is Kind.PROJECT else {}
    start, end = period_bounds(period)
    months = trend_months(period) if with_trend else []
    sheets = []
    for subject_id, name, project_id in subjects:
        counts = {
            key: per_subject.get(subject_id) or _empty(key) for key, per_subject in totals.items()
        }
        subject_units = units.get(subject_id) if kind is Kind.PROJECT else None
        trend = []
        for i, month in enumerate(months):
            month_counts = {
                key: (per_subject[subject_id][i] if subject_id in per_subject else {})
                for key, per_subject in monthly.items()
            }
            trend.append(
                TrendMonth(
                    period=month,
                    values={
                        measure.key: measure.value(month_counts.get(measure.family), subject_units)
                        for _, _, measures in measures_for(kind)
                        for measure in measures
                        if not _is_snapshot(measure.family)
                    },
                )
            )
        sheets.append(
            Sheet(
                kind=kind,
                subject_id=subject_id,
                name=name,
                period=period,
                start=start,
                end=end,
                now=now,
                sections=_sections(kind, subject_id, period, counts, subject_units),
                counts=counts,
                trend=trend,
                project_id=project_id,
                units=subject_units,
            )
        )
    return sheets


def person_sheet(session: so.Session, person: User, period: Period, now: datetime) -> Sheet:
    """A person's sheet, with their departments' (slips and complaints against them) and
    the activities they organised with the summaries' findings."""
    (sheet,) = build_sheets(
        session, Kind.PERSON, [(person.id, person.display_name, None)], period, now
    )
    department_ids = sorted(departments_of(person.grants, cs_department_lookup(session)))
    if department_ids:
        departments = session.scalars(
            sa.select(Department)
            .where(Department.id.in_(department_ids))
            .order_by(Department.project_id, Department.name, Department.id)
        ).all()
        sheet.departments = build_sheets(
            session,
            Kind.DEPARTMENT,
            [(d.id, d.name, d.project_id) for d in departments],
            period,
            now,
            with_trend=False,
        )
    if ACTIVITIES_FAMILY in facts.FAMILIES:
        sheet.activities = facts.evidence(
            session,
            ACTIVITIES_FAMILY,
            Kind.PERSON,
            person.id,
            ACTIVITIES_COLUMN,
            *family_bounds(ACTIVITIES_FAMILY, period),
            now,
        )
    return sheet


def department_sheet(
    session: so.Session,
    department: Department,
    period: Period,
    now: datetime,
    *,
    with_trend: bool = True,
) -> Sheet:
    (sheet,) = build_sheets(
        session,
        Kind.DEPARTMENT,
        [(department.id, department.name, department.project_id)],
        period,
        now,
        with_trend=with_trend,
    )
    return sheet


def project_sheet(
    session: so.Session, project: Project, period: Period, now: datetime, *, with_trend: bool = True
) -> Sheet:
    (sheet,) = build_sheets(
        session,
        Kind.PROJECT,
        [(project.id, project.name, project.id)],
        period,
        now,
        with_trend=with_trend,
    )
    return sheet


# ---------------------------------------------------------------------------- evidence


def figure_evidence(
    session: so.Session,
    kind: Kind,
    subject_id: int,
    measure: Measure,
    period: Period,
    now: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Evidence], int]:
    """The records behind one figure (its evidence column's), oldest first, from `offset`
    and at most `limit` of them; and how many there are in all."""
    if measure.family not in facts.FAMILIES or kind not in measure.kinds:
        return [], 0
    return facts.evidence_page(
        session,
        measure.family,
        kind,
        subject_id,
        measure.evidence,
        *family_bounds(measure.family, period),
        now,
        offset=offset,
        limit=limit,
    )


def figure_value(
    session: so.Session,
    kind: Kind,
    subject_id: int,
    measure: Measure,
    period: Period,
    now: datetime,
) -> Figure:
    """One figure alone (one statement; two for a per-1,000 measure), as its sheet shows it."""
    counts = _family_counts(session, measure.family, kind, [subject_id], period, now, False)[0].get(
        subject_id
    )
    counts = counts or _empty(measure.family)
    units = None
    if measure.shape == "per_thousand":
        units = _units(session, [subject_id], period, now).get(subject_id)
    return Figure(
        measure=measure,
        value=measure.value(counts, units),
        kind=kind,
        subject_id=subject_id,
        period=period,
        evidence_count=counts.get(measure.evidence, 0),
    )


def measure_for(kind: Kind, key: str) -> Measure | None:
    """The catalogue's measure of that key if a sheet of this kind shows it."""
    measure = MEASURES.get(key)
    return measure if measure is not None and kind in measure.kinds else None
