"""The figures of the evaluation sheets: SQL aggregation over the records the SOP pages
keep (篇1–篇5), with the records behind every figure (no number without its evidence).

A *family* is one SQL statement of facts about one kind of record: a row per record and
subject (the person, department or project the record counts for), with

* ``subject_id``: whom the row counts for (a person's, department's or project's id);
* ``record_id``: the record behind it (what the evidence lists and links to);
* ``at``: the moment (or, for a family with ``dated``, the local day) that places the
  record in a period; the statement itself keeps only ``:start <= at < :end``;
* one integer column per figure (a 0/1 flag, or an amount to add up).

A figure is the sum of its column over the subject's rows in the period; its evidence is
the records whose column is not 0. Both come from the same statement, so the list behind
a number always adds up to it. A family's conditions are the SOP reports' own definitions
(the same functions build both), which is what makes the sheets and the SOP reports agree.

Statements are built once per (family, kind, dialect) and executed with the period's
bounds as parameters: :start, :end (instants, or local dates for a dated family), :now,
and :subjects (the subject ids; the company view asks for every project it may see).
Like every query they see only the projects the signed-in user may see
(webapp.core.scoping).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import UTCDateTime
from webapp.evaluation.rules import CS_MEMBER_ROLES, DEPARTMENT_MEMBER_ROLES, Kind
from webapp.org.models import Department, RoleAssignment
from webapp.org.rules import DepartmentKind

#: the figures of one subject: column → sum
Counts = dict[str, int]


@dataclass(frozen=True)
class Evidence:
    """One record behind a figure, as the evidence page lists it."""

    record_id: int
    #: the record's number (SL-…, TS-…) or name
    number: str
    title: str
    #: where it is placed in the period (an instant, or a local day)
    at: datetime | date | None
    #: the record's page: an endpoint and its arguments
    endpoint: str
    values: dict[str, int] = field(default_factory=dict)
    #: one line more (an outcome, an amount, a finding)
    note: str | None = None
    #: the record's page as a path already built (a work item's link), when `endpoint` is ""
    url: str | None = None


@dataclass(frozen=True)
class Family:
    key: str
    #: the SOP clause the family reads (shown beside its figures)
    sop: str
    kinds: frozenset[Kind]
    #: the figure columns, in the order the sheet shows them
    columns: tuple[str, ...]
    #: the facts statement of one kind of subject (see the module docstring)
    build: Callable[[Kind], sa.Select]
    #: the evidence rows of some records, in the order given
    records: Callable[[so.Session, Sequence[int]], list[Evidence]]
    #: ``at`` is a local day (bounds are dates) rather than an instant
    dated: bool = False
    #: the family describes the present (open items at :now): ``at`` is ignored and
    #: every period gives the same figures
    snapshot: bool = False


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.key in FAMILIES:
        raise ValueError(f"family {family.key} registered twice")
    FAMILIES[family.key] = family
    return family


def moment(name: str) -> sa.BindParameter:
    """A moment the statements are executed with (:start, :end, :now)."""
    return sa.bindparam(name, type_=UTCDateTime())


def day(name: str) -> sa.BindParameter:
    """A local day a dated family is executed with (:start, :end)."""
    return sa.bindparam(name, type_=sa.Date())


def flag(condition) -> sa.ColumnElement[int]:
    """1 when the condition holds, else 0 (a NULL condition is 0)."""
    return sa.case((condition, 1), else_=0)


def members() -> sa.Subquery:
    """(user_id, department_id): who belongs to which department, as
    rules.departments_of decides it — department grants, and the customer-service centre's
    project roles in their project's customer-service department(s)."""
    by_grant = sa.select(RoleAssignment.user_id, RoleAssignment.department_id).where(
        RoleAssignment.role.in_(sorted(DEPARTMENT_MEMBER_ROLES)), RoleAssignment.department_id.is_not(None)
    )
    by_cs_role = (
        sa.select(RoleAssignment.user_id, Department.id)
        .join(Department, Department.project_id == RoleAssignment.project_id)
        .where(
            RoleAssignment.role.in_(sorted(CS_MEMBER_ROLES)),
            Department.kind == DepartmentKind.CUSTOMER_SERVICE.value,
        )
    )
    return sa.union(by_grant, by_cs_role).subquery("members")


# ---------------------------------------------------------------------------- aggregation


@functools.cache
def _bucketed(family_key: str, kind: Kind, buckets: int, all_subjects: bool, dialect: str) -> sa.Select:
    family = FAMILIES[family_key]
    facts = family.build(kind).subquery("facts")
    bound = day if family.dated else moment
    if family.snapshot or buckets == 1:
        # the statement keeps only [start, end) already; grouping by a constant lets the
        # planner hash-aggregate per subject instead of sorting every row by a CASE
        bucket = sa.literal(0)
    else:
        bucket = sa.case(
            *((sa.and_(facts.c.at >= bound(f"start_{i}"), facts.c.at < bound(f"end_{i}")), i) for i in range(buckets)),
            else_=-1,
        )
    statement = sa.select(
        facts.c.subject_id,
        bucket.label("bucket"),
        *(sa.func.coalesce(sa.func.sum(facts.c[column]), 0).label(column) for column in family.columns),
    ).group_by(facts.c.subject_id, bucket)
    if not all_subjects:
        statement = statement.where(facts.c.subject_id.in_(sa.bindparam("subjects", expanding=True)))
    return statement


def buckets(
    session: so.Session,
    family_key: str,
    kind: Kind,
    subject_ids: Sequence[int] | None,
    bounds: Sequence[tuple[datetime | date, datetime | date]],
    now: datetime,
) -> dict[int, list[Counts]]:
    """Per subject, the family's figures in each of the consecutive periods `bounds`
    (one query). subject_ids None: every subject in scope (the company view). A subject
    without a row in any period is absent; a snapshot family gives its figures once, in
    every bucket alike."""
    family = FAMILIES[family_key]
    if kind not in family.kinds:
        return {}
    if subject_ids is not None and not subject_ids:
        return {}
    statement = _bucketed(family_key, kind, len(bounds), subject_ids is None, session.get_bind().dialect.name)
    params: dict[str, object] = {"start": bounds[0][0], "end": bounds[-1][1], "now": now}
    for i, (start, end) in enumerate(bounds):
        params[f"start_{i}"], params[f"end_{i}"] = start, end
    if subject_ids is not None:
        params["subjects"] = list(subject_ids)
    result: dict[int, list[Counts]] = {}
    for row in session.execute(statement, params).mappings():
        per_bucket = result.setdefault(row["subject_id"], [dict.fromkeys(family.columns, 0) for _ in bounds])
        values = {column: int(row[column]) for column in family.columns}
        if family.snapshot:
            for counts in per_bucket:
                _add(counts, values)
        elif 0 <= row["bucket"] < len(bounds):
            _add(per_bucket[row["bucket"]], values)
    return result


def _add(counts: Counts, values: Counts) -> None:
    for column, value in values.items():
        counts[column] = counts.get(column, 0) + value


def totals(
    session: so.Session,
    family_key: str,
    kind: Kind,
    subject_ids: Sequence[int] | None,
    start: datetime | date,
    end: datetime | date,
    now: datetime,
) -> dict[int, Counts]:
    """Per subject, the family's figures in [start, end) (one query)."""
    return {
        subject: per_bucket[0]
        for subject, per_bucket in buckets(session, family_key, kind, subject_ids, [(start, end)], now).items()
    }


@functools.cache
def _evidence_statement(family_key: str, kind: Kind, column: str, dialect: str) -> sa.Select:
    facts = FAMILIES[family_key].build(kind).subquery("facts")
    return (
        sa.select(
            facts.c.record_id,
            sa.func.min(facts.c.at).label("at"),
            # how many records in all, on every row: a page of them needs no second query
            sa.func.count().over().label("total"),
        )
        .where(facts.c.subject_id == sa.bindparam("subject"), facts.c[column] != 0)
        .group_by(facts.c.record_id)
        .order_by(sa.func.min(facts.c.at), facts.c.record_id)
    )


def evidence_page(
    session: so.Session,
    family_key: str,
    kind: Kind,
    subject_id: int,
    column: str,
    start: datetime | date,
    end: datetime | date,
    now: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Evidence], int]:
    """The records behind one figure, oldest first — exactly those its sum counts — from
    `offset`, at most `limit` of them, and how many there are in all (two queries: their
    ids from the facts, then the family's rows to show)."""
    family = FAMILIES[family_key]
    if kind not in family.kinds or column not in family.columns:
        return [], 0
    statement = _evidence_statement(family_key, kind, column, session.get_bind().dialect.name)
    if limit is not None:
        statement = statement.limit(limit).offset(offset)
    rows = session.execute(statement, {"subject": subject_id, "start": start, "end": end, "now": now}).all()
    if not rows:
        # past the last page: the total still tells how many there are
        return [], 0 if offset == 0 else _total(session, statement, subject_id, start, end, now)
    ids = [row.record_id for row in rows]
    return family.records(session, ids), rows[0].total


def _total(session: so.Session, statement: sa.Select, subject_id: int, start, end, now) -> int:
    found = session.execute(
        statement.limit(1).offset(0), {"subject": subject_id, "start": start, "end": end, "now": now}
    ).first()
    return found.total if found else 0


def evidence(
    session: so.Session,
    family_key: str,
    kind: Kind,
    subject_id: int,
    column: str,
    start: datetime | date,
    end: datetime | date,
    now: datetime,
) -> list[Evidence]:
    """Every record behind one figure, oldest first (see evidence_page)."""
    records, _ = evidence_page(session, family_key, kind, subject_id, column, start, end, now)
    return records
