"""The holiday calendar ACT-11 decides on: chinese-calendar's schedules for the years it
knows, the administrators' rows laid over them for later years and corrections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from webapp.activities import holidays
from webapp.activities.holidays import DayKind, HolidayRow
from webapp.activities.rules import DateBasis, Festival, HolidayYearUnknown, check_activity_date


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture(scope="module")
def cal():
    return holidays.package_calendar()


def test_act11_package_calendar_knows_2025_and_2026_but_not_2027(cal):
    assert {2025, 2026} <= cal.years
    assert 2027 not in cal.years
    assert holidays.package_years() == cal.years


@pytest.mark.parametrize("offset", range(7))
def test_act11_national_day_2026_is_1_to_7_october(cal, offset):
    assert cal.festival(d("2026-10-01") + timedelta(days=offset)) is Festival.NATIONAL_DAY


def test_act11_spring_festival_2026_runs_15_to_23_february(cal):
    days = [day for day, festival in cal.holidays.items() if festival is Festival.SPRING_FESTIVAL and day.year == 2026]
    assert min(days) == d("2026-02-15") and max(days) == d("2026-02-23") and len(days) == 9


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_act11_2026_makeup_working_days_come_from_the_package(cal, day):
    assert cal.is_makeup_workday(d(day))
    assert cal.festival(d(day)) is None


def test_act11_an_ordinary_weekend_is_no_makeup_working_day(cal):
    assert not cal.is_makeup_workday(d("2026-10-17"))


def test_act11_2027_is_reported_unknown(cal):
    assert not cal.knows(d("2027-10-01"))
    with pytest.raises(HolidayYearUnknown) as err:
        cal.festival(d("2027-10-01"))
    assert err.value.year == 2027
    assert "The holiday schedule for 2027 is not yet known; an administrator can add it." in str(err.value)
    with pytest.raises(HolidayYearUnknown):
        check_activity_date(d("2027-09-29"), cal)


def test_act11_the_package_calendar_is_built_once(cal):
    assert holidays.package_calendar() is cal


@pytest.mark.parametrize(("name", "festival"), [
    ("spring_festival", Festival.SPRING_FESTIVAL),
    ("Spring Festival", Festival.SPRING_FESTIVAL),
    ("春节", Festival.SPRING_FESTIVAL),
    ("国庆", Festival.NATIONAL_DAY),
    ("国庆节", Festival.NATIONAL_DAY),
    ("中秋节", Festival.MID_AUTUMN_FESTIVAL),
    (" 中秋 ", Festival.MID_AUTUMN_FESTIVAL),
    ("五一", Festival.LABOUR_DAY),
    ("Anti-Fascist 70th Day", Festival.OTHER),
    ("公司周年庆", Festival.OTHER),
    (None, Festival.OTHER),
])
def test_act11_festival_names_an_admin_may_type(name, festival):
    assert holidays.festival_from_name(name) is festival


def _rows_2027_spring_festival():
    # an administrator's entry for a year after the package (illustrative dates)
    rows = [HolidayRow(d("2027-02-06") + timedelta(days=i), DayKind.HOLIDAY, "春节") for i in range(9)]
    rows.append(HolidayRow(d("2027-02-20"), DayKind.WORKDAY, "春节"))
    return rows


def test_act11_admin_rows_make_a_new_year_known(cal):
    merged = holidays.merge_rows(cal, _rows_2027_spring_festival())
    assert 2027 in merged.years and 2026 in merged.years
    assert merged.festival(d("2027-02-06")) is Festival.SPRING_FESTIVAL
    assert merged.is_makeup_workday(d("2027-02-20"))
    assert check_activity_date(d("2027-02-05"), merged).basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert check_activity_date(d("2027-03-13"), merged).provisional is False
    # the package's own years are untouched
    assert merged.festival(d("2026-10-01")) is Festival.NATIONAL_DAY
    assert 2027 not in cal.years


def test_act11_admin_rows_correct_the_package(cal):
    merged = holidays.merge_rows(cal, [
        HolidayRow(d("2026-10-10"), DayKind.HOLIDAY, "国庆节"),
        HolidayRow(d("2026-10-07"), DayKind.WORKDAY, "国庆节"),
    ])
    assert merged.festival(d("2026-10-10")) is Festival.NATIONAL_DAY
    assert not merged.is_makeup_workday(d("2026-10-10"))
    assert merged.is_makeup_workday(d("2026-10-07"))
    assert merged.festival(d("2026-10-07")) is None


def test_act11_holiday_calendar_without_rows_is_the_package(cal):
    merged = holidays.holiday_calendar()
    assert merged.years == cal.years and merged.holidays == cal.holidays and merged.workdays == cal.workdays
    assert 2027 in holidays.holiday_calendar(_rows_2027_spring_festival()).years
