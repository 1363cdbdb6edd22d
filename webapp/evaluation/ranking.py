"""The ranking QA prints for the monthly meeting (EVAL): a project's departments, or the
people of a project or of one department, ranked on one catalogue measure, with every
measure of their sheets as a column.

Ranks are rules.ranks' (1 is the best; equal figures share a rank; nothing to count over,
no rank). The figures are the sheets' own: one facts.totals statement per family for all
the subjects at once, so a ranking of 60 people runs as many statements as one of 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.evaluation.catalogue import MEASURES, Measure, measures_for
from webapp.evaluation.company import family_totals, measure_value
from webapp.evaluation.facts import members
from webapp.evaluation.rules import Kind, Period, ranks
from webapp.org.models import Department, RoleAssignment, User

#: what a ranking is on when the address names no measure: a department's rectification
#: on-time rate; a person's slips filed (篇2 §4.9 rewards the slips staff file)
DEFAULT_MEASURES = {Kind.DEPARTMENT: "slips_on_time_rate", Kind.PERSON: "slips_filed"}


@dataclass(frozen=True)
class Subject:
    id: int
    name: str


@dataclass(frozen=True)
class Entry:
    subject: Subject
    #: 1 = the best; None: nothing to count over on the ranking's measure
    rank: int | None
    #: measure key → figure
    values: dict[str, object]


@dataclass(frozen=True)
class Ranking:
    kind: Kind
    period: Period
    now: datetime
    by: Measure
    #: every measure of this kind's sheet, in the sheet's order: the columns
    measures: list[Measure]
    #: best first; those without a rank last, by name
    entries: list[Entry]


def rankable_measures(kind: Kind) -> list[Measure]:
    return [measure for _, _, measures in measures_for(kind) for measure in measures]


def chosen_measure(kind: Kind, key: str | None) -> Measure:
    """The measure asked for when a sheet of this kind has it, else the kind's default."""
    if key in MEASURES and kind in MEASURES[key].kinds:
        return MEASURES[key]
    return MEASURES[DEFAULT_MEASURES[kind]]


# ---------------------------------------------------------------------------- who is ranked


def project_departments(session: so.Session, project_id: int) -> list[Subject]:
    """The project's active departments, by name (one query)."""
    rows = session.execute(
        sa.select(Department.id, Department.name)
        .where(Department.project_id == project_id, Department.active.is_(True))
        .order_by(Department.name, Department.id)
    )
    return [Subject(id_, name) for id_, name in rows]


def department_people(session: so.Session, department_id: int) -> list[Subject]:
    """The department's members (facts.members(): its grants and, for the customer-service
    centre, the project's CS roles), active, by name (one query)."""
    member = members()
    rows = session.execute(
        sa.select(User.id, User.display_name)
        .where(
            User.active.is_(True),
            User.id.in_(sa.select(member.c.user_id).where(member.c.department_id == department_id)),
        )
        .order_by(User.display_name, User.id)
    )
    return [Subject(id_, name) for id_, name in rows]


def project_people(session: so.Session, project_id: int) -> list[Subject]:
    """Everyone active holding a role in the project, by name (one query)."""
    rows = session.execute(
        sa.select(User.id, User.display_name)
        .where(
            User.active.is_(True),
            User.id.in_(
                sa.select(RoleAssignment.user_id).where(RoleAssignment.project_id == project_id)
            ),
        )
        .order_by(User.display_name, User.id)
    )
    return [Subject(id_, name) for id_, name in rows]


# ---------------------------------------------------------------------------- the ranking


def ranking(
    session: so.Session,
    kind: Kind,
    subjects: list[Subject],
    period: Period,
    now: datetime,
    by: str | None = None,
) -> Ranking:
    """The subjects' figures on every measure of their sheets and their ranks on `by`."""
    measures = rankable_measures(kind)
    measure = chosen_measure(kind, by)
    ids = [subject.id for subject in subjects]
    sums = (
        family_totals(session, [m.family for m in measures], kind, ids, period, now) if ids else {}
    )
    values = {
        subject.id: {m.key: measure_value(m, sums, subject.id, 0) for m in measures}
        for subject in subjects
    }
    placed = ranks(
        {subject_id: figures[measure.key] for subject_id, figures in values.items()}, measure.better
    )
    entries = [Entry(subject, placed.get(subject.id), values[subject.id]) for subject in subjects]
    # ties by name (in Python: the same order on every database, whatever its collation)
    position = {
        s.id: index for index, s in enumerate(sorted(subjects, key=lambda s: (s.name, s.id)))
    }
    entries.sort(key=lambda e: (e.rank is None, e.rank or 0, position[e.subject.id]))
    return Ranking(
        kind=kind, period=period, now=now, by=measure, measures=measures, entries=entries
    )
