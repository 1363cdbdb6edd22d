"""Moving an activity to another day, time or place (活动改期): when it may be moved, and
the new values checked with ACT-11 (the day) and ACT-13 (the times). Asia/Shanghai is
UTC+8 all year."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from webapp.activities import rules
from webapp.activities.rules import DateBasis, HolidayCalendar, HolidayYearUnknown
from webapp.core.rulekit import RuleViolation

#: 2026 known, without holidays in June; 2027 not yet published
CALENDAR = HolidayCalendar(years=frozenset({2026}))
#: Saturday 2 May 2026, 10:00 in Shanghai
NOW = datetime(2026, 5, 2, 2, 0, tzinfo=UTC)
#: Saturday 6 June 2026, 19:00–21:00 on the square
CURRENT = (date(2026, 6, 6), time(19, 0), time(21, 0), "中心广场")
STARTS = rules.activity_start(*CURRENT[:2])


def move(day=date(2026, 6, 13), start=time(14, 0), end=time(16, 0), place="会所", date_reason=None,
         reason="广场施工", now=NOW, calendar=CALENDAR):
    return rules.check_reschedule(CURRENT, day, start, end, place, date_reason, reason, calendar, now)


def refused(**values) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        move(**values)
    return caught.value


@pytest.mark.parametrize("status", ["scheduled", "ready"])
def test_act11_a_scheduled_or_ready_activity_may_be_moved_before_it_starts(status):
    rules.check_reschedule_open(status, True, STARTS, NOW)


@pytest.mark.parametrize("status", ["held", "summarised", "cancelled"])
def test_act11_a_held_summarised_or_cancelled_activity_stays_where_it_was(status):
    with pytest.raises(RuleViolation):
        rules.check_reschedule_open(status, True, STARTS, NOW)


def test_act11_a_planned_activity_is_moved_in_its_annual_plan_not_here():
    with pytest.raises(RuleViolation, match="annual plan"):
        rules.check_reschedule_open("scheduled", False, STARTS, NOW)


def test_act11_not_once_it_has_started():
    with pytest.raises(RuleViolation, match="started"):
        rules.check_reschedule_open("ready", True, STARTS, STARTS)
    rules.check_reschedule_open("ready", True, STARTS, datetime(2026, 6, 6, 10, 59, tzinfo=UTC))


def test_act11_a_weekend_move_is_accepted_with_its_basis_and_the_reason_kept():
    moved = move()
    assert (moved.day, moved.start_time, moved.end_time, moved.place) == (date(2026, 6, 13), time(14, 0),
                                                                           time(16, 0), "会所")
    assert moved.verdict.basis is DateBasis.WEEKEND and moved.reason == "广场施工"


def test_act11_a_weekday_needs_a_date_reason():
    assert refused(day=date(2026, 6, 10)).field == "date_reason"
    moved = move(day=date(2026, 6, 10), date_reason="配合街道活动周")
    assert moved.verdict.basis is DateBasis.REASON and moved.verdict.reason == "配合街道活动周"


def test_act11_a_weekday_of_a_year_whose_holidays_are_unknown_says_so_next_to_the_date_reason():
    violation = refused(day=date(2027, 6, 9))
    assert isinstance(violation, HolidayYearUnknown) and violation.field == "date_reason"
    assert move(day=date(2027, 6, 12)).verdict.provisional  # a weekend stays possible


def test_act13_the_end_by_2200_next_to_the_end_time():
    assert move(start=time(20, 0), end=time(22, 0)).end_time == time(22, 0)
    violation = refused(start=time(20, 0), end=time(22, 30))
    assert violation.field == "end_time" and "22:00" in violation.message
    assert refused(start=time(16, 0), end=time(14, 0)).field == "end_time"


def test_act11_the_new_start_is_later_than_now():
    # a past day: next to the day; today at an hour already gone: next to the start
    assert refused(day=date(2026, 4, 25)).field == "day"
    assert refused(day=date(2026, 5, 2), start=time(9, 0), end=time(11, 0)).field == "start_time"
    assert move(day=date(2026, 5, 2), start=time(10, 30), end=time(12, 0)).day == date(2026, 5, 2)


def test_act11_every_value_and_the_reason_for_the_move_are_required():
    assert refused(day=None).field == "day"
    assert refused(start=None).field == "start_time"
    assert refused(end=None).field == "end_time"
    assert refused(place="  ").field == "place"
    assert refused(reason=" ").field == "reason"
    assert refused(reason="x" * (rules.REASON_LIMIT + 1)).field == "reason"


def test_act11_a_move_that_changes_nothing_is_refused():
    assert refused(day=CURRENT[0], start=CURRENT[1], end=CURRENT[2], place=CURRENT[3]).field == "day"
    assert move(day=CURRENT[0], start=CURRENT[1], end=CURRENT[2], place="会所").place == "会所"
