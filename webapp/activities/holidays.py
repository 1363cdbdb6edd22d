"""The holiday calendar ACT-11 is decided on: the State Council's schedules as the
chinese-calendar package knows them, with the rows an administrator adds for the years
published after the package's release (next year's schedule comes out in November or
December, when next year's activity plan is being written).

Not a rules module: it reads the package. The rules receive the HolidayCalendar built here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
from chinese_calendar.constants import Holiday

from webapp.activities.rules import Festival, HolidayCalendar


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # a rest day of a holiday period
    WORKDAY = "workday"  # 调休: a weekend day people work


_FESTIVAL_KEYS = frozenset(f.value for f in Festival)

#: the package's names (the Holiday enum's member names and English values) → Festival
_PACKAGE_FESTIVALS: dict[str, Festival] = {}
for _member in Holiday:
    _festival = Festival(_member.name) if _member.name in _FESTIVAL_KEYS else Festival.OTHER
    _PACKAGE_FESTIVALS[_member.name] = _festival
    _PACKAGE_FESTIVALS[_member.value] = _festival
    _PACKAGE_FESTIVALS[_member.chinese] = _festival
del _member, _festival

#: the names an administrator is likely to type
_ALIASES: dict[str, Festival] = {
    "元旦节": Festival.NEW_YEARS_DAY,
    "新年": Festival.NEW_YEARS_DAY,
    "春节假期": Festival.SPRING_FESTIVAL,
    "新春": Festival.SPRING_FESTIVAL,
    "清明节": Festival.TOMB_SWEEPING_DAY,
    "劳动节": Festival.LABOUR_DAY,
    "五一": Festival.LABOUR_DAY,
    "五一劳动节": Festival.LABOUR_DAY,
    "端午节": Festival.DRAGON_BOAT_FESTIVAL,
    "中秋节": Festival.MID_AUTUMN_FESTIVAL,
    "国庆": Festival.NATIONAL_DAY,
    "国庆节": Festival.NATIONAL_DAY,
    "中秋国庆": Festival.NATIONAL_DAY,
}


def festival_from_name(name: str | None) -> Festival:
    """A festival from its key (``spring_festival``), the package's English name or a
    Chinese name (春节, 国庆节, 中秋…); anything else is Festival.OTHER."""
    text = (name or "").strip()
    if text in _FESTIVAL_KEYS:
        return Festival(text)
    return _PACKAGE_FESTIVALS.get(text) or _ALIASES.get(text) or Festival.OTHER


def package_years() -> frozenset[int]:
    """The years the package has a schedule for (2004…2026 in 1.11.0)."""
    years = [d.year for d in chinese_calendar.holidays]
    return frozenset(range(min(years), max(years) + 1))


@lru_cache(maxsize=1)
def package_calendar() -> HolidayCalendar:
    """Every year the package knows: its holidays with their festival, its make-up working
    days. Built once; the value is immutable."""
    return HolidayCalendar(
        years=package_years(),
        holidays={day: festival_from_name(name) for day, name in chinese_calendar.holidays.items()},
        workdays=frozenset(chinese_calendar.workdays),
    )


@dataclass(frozen=True)
class HolidayRow:
    """A row of the administrators' holiday table."""

    day: date
    kind: DayKind
    name: str | None = None


def merge_rows(calendar: HolidayCalendar, rows: Iterable[HolidayRow]) -> HolidayCalendar:
    """The calendar with the administrators' rows laid over it. A row decides its date: a
    holiday row makes it a rest day of that festival (no longer a make-up working day), a
    workday row a make-up working day (no longer a holiday) — so rows also correct the
    package. The year of every row becomes known: the State Council publishes a year's
    schedule in one notice, and the administrator enters it whole."""
    holidays = dict(calendar.holidays)
    workdays = set(calendar.workdays)
    years = set(calendar.years)
    for row in rows:
        years.add(row.day.year)
        if DayKind(row.kind) is DayKind.HOLIDAY:
            workdays.discard(row.day)
            holidays[row.day] = festival_from_name(row.name)
        else:
            holidays.pop(row.day, None)
            workdays.add(row.day)
    return HolidayCalendar(years=frozenset(years), holidays=holidays, workdays=frozenset(workdays))


def holiday_calendar(rows: Iterable[HolidayRow] = ()) -> HolidayCalendar:
    """The calendar the app decides on: the package, then the administrators' rows."""
    return merge_rows(package_calendar(), rows)
