"""ACT-11 the administrators' holiday table: the State Council's schedule of a year the
chinese-calendar package does not know yet (or a correction of one it does), entered row
by row or pasted whole. operations.calendar(session) lays these rows over the package.

Operations take the session, the acting user and `now`, check MANAGE_HOLIDAYS, audit
what changed (company-wide: no project) and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities.holidays import package_years
from webapp.activities.models import HolidayDay
from webapp.activities.rules import HolidayLine
from webapp.core import audit
from webapp.core.rulekit import N_
from webapp.org.access import check
from webapp.org.rules import Permission

audit.ACTION_LABELS.update(
    {
        "holiday_added": N_("added the holiday table row"),
        "holiday_changed": N_("changed the holiday table row"),
        "holiday_deleted": N_("deleted the holiday table row"),
    }
)
audit.FIELD_LABELS.setdefault("day", N_("Date"))


@dataclass(frozen=True)
class HolidayYears:
    """The years the app knows a schedule for, and where from."""

    #: the package's years (holidays.package_years)
    package: tuple[int, ...]
    #: the years the administrators' rows add or correct
    table: tuple[int, ...]

    @property
    def added(self) -> tuple[int, ...]:
        """Years only the table knows."""
        return tuple(year for year in self.table if year not in self.package)


def rows(session: so.Session) -> list[HolidayDay]:
    """The table, by date (one query)."""
    return list(session.scalars(sa.select(HolidayDay).order_by(HolidayDay.day)))


def years(table: Sequence[HolidayDay]) -> HolidayYears:
    return HolidayYears(package=tuple(sorted(package_years())), table=tuple(sorted({row.day.year for row in table})))


def add_rows(session: so.Session, actor, lines: Sequence[HolidayLine], *, now: datetime) -> tuple[int, int]:
    """ACT-11 enter rows (one typed, or a year's schedule pasted): a date already in the
    table takes the new kind and name. Returns (added, changed)."""
    check(actor, Permission.MANAGE_HOLIDAYS, None)
    days = [line.day for line in lines]
    existing = {row.day: row for row in session.scalars(sa.select(HolidayDay).where(HolidayDay.day.in_(days)))}
    added = changed = 0
    for line in lines:
        values = {"kind": line.kind, "name": line.name}
        row = existing.get(line.day)
        if row is None:
            row = HolidayDay(day=line.day, created_at=now, created_by_id=actor.id, **values)
            session.add(row)
            session.flush()
            audit.record(session, row, "holiday_added", actor_id=actor.id, note=_describe(line))
            added += 1
            continue
        changes = audit.diff(row, values)
        if changes:
            for name, value in values.items():
                setattr(row, name, value)
            audit.record(session, row, "holiday_changed", actor_id=actor.id, changes=changes, note=_describe(line))
            changed += 1
    return added, changed


def delete_row(session: so.Session, actor, row: HolidayDay, *, now: datetime) -> None:
    """ACT-11 remove a row (a mistyped date). Its year stays known while other rows of it remain."""
    check(actor, Permission.MANAGE_HOLIDAYS, None)
    audit.record(
        session, row, "holiday_deleted", actor_id=actor.id,
        note=_describe(HolidayLine(row.day, row.kind, row.name)),
    )
    session.delete(row)
    session.flush()


def _describe(line: HolidayLine) -> str:
    mark = "休" if line.kind == "holiday" else "班"
    return " ".join(part for part in (line.day.isoformat(), mark, line.name) if part)
