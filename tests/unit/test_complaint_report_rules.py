"""CMP-07 pure rules of the monthly analysis: repeats, rates, waiting inside a period,
report months and the analysis reminder. Fixed datetimes, no app, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from webapp.complaints.rules import (
    ComplaintKey,
    RepeatKind,
    analysis_dedupe_key,
    analysis_reminder_opens,
    analysis_to_remind,
    find_repeats,
    next_report_month,
    rate,
    report_months,
    satisfaction_rate,
    waiting_within,
)
from webapp.core.clock import LOCAL_TZ

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=LOCAL_TZ)


def key(id_, days, owner=None, unit=None, department=None, hours=0):
    return ComplaintKey(id_, T0 + timedelta(days=days, hours=hours), owner, unit, department)


def test_cmp07_same_owner_within_90_days_is_a_repeat():
    found = find_repeats([key(1, 0, owner=7), key(2, 30, owner=7)])
    assert set(found) == {2}
    assert found[2].kinds == {RepeatKind.OWNER} and found[2].previous_id == 1


def test_cmp07_90_days_exactly_repeats_a_second_more_does_not():
    assert 2 in find_repeats([key(1, 0, owner=7), key(2, 90, owner=7)])
    later = ComplaintKey(2, T0 + timedelta(days=90, seconds=1), 7, None, None)
    assert find_repeats([key(1, 0, owner=7), later]) == {}


def test_cmp07_same_unit_about_the_same_department_is_the_same_matter():
    found = find_repeats([key(1, 0, owner=7, unit=3, department=5), key(2, 10, owner=8, unit=3, department=5)])
    assert found[2].kinds == {RepeatKind.MATTER}


def test_cmp07_same_unit_about_another_department_or_without_one_is_no_repeat():
    assert find_repeats([key(1, 0, unit=3, department=5), key(2, 10, unit=3, department=6)]) == {}
    assert find_repeats([key(1, 0, unit=3), key(2, 10, unit=3)]) == {}
    assert find_repeats([key(1, 0, department=5), key(2, 10, department=5)]) == {}


def test_cmp07_both_kinds_and_the_latest_earlier_complaint():
    found = find_repeats([
        key(1, 0, owner=7, unit=3, department=5),
        key(2, 5, owner=9, unit=3, department=5),
        key(3, 8, owner=7, unit=3, department=5),
    ])
    assert found[3].kinds == {RepeatKind.OWNER, RepeatKind.MATTER}
    assert found[3].previous_id == 2  # the matter's latest, later than the owner's first


def test_cmp07_a_chain_repeats_link_to_link_and_the_first_is_no_repeat():
    found = find_repeats([key(3, 160, owner=7), key(1, 0, owner=7), key(2, 80, owner=7)])  # any order
    assert {k: v.previous_id for k, v in found.items()} == {2: 1, 3: 2}


def test_cmp07_same_moment_the_lower_id_is_earlier():
    found = find_repeats([key(5, 0, owner=7), key(4, 0, owner=7)])
    assert set(found) == {5} and found[5].previous_id == 4


def test_cmp07_rates_are_none_when_there_is_nothing_to_count():
    assert rate(3, 4) == 0.75
    assert rate(0, 4) == 0
    assert rate(0, 0) is None


def test_cmp07_satisfaction_rate_counts_basically_satisfied_as_satisfied():
    assert satisfaction_rate({"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}) == 0.75
    assert satisfaction_rate({"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0}) is None


START = datetime(2026, 2, 26, tzinfo=LOCAL_TZ)
END = datetime(2026, 3, 26, tzinfo=LOCAL_TZ)


def test_cmp07_waiting_is_clipped_to_the_period_and_now():
    before = (START - timedelta(days=1), START + timedelta(hours=10))
    inside = (START + timedelta(days=3), START + timedelta(days=4))
    still_open = (END - timedelta(days=2), None)
    now = END - timedelta(days=1)
    assert waiting_within([before], START, END, now) == timedelta(hours=10)
    assert waiting_within([inside], START, END, now) == timedelta(days=1)
    assert waiting_within([still_open], START, END, now) == timedelta(days=1)
    assert waiting_within([still_open], START, END, END + timedelta(days=5)) == timedelta(days=2)
    assert waiting_within([(END, None)], START, END, END + timedelta(days=1)) == timedelta(0)


def test_cmp07_overlapping_pauses_of_one_complaint_count_once():
    first = (START + timedelta(hours=1), START + timedelta(hours=5))
    second = (START + timedelta(hours=3), START + timedelta(hours=8))
    assert waiting_within([first, second], START, END, END) == timedelta(hours=7)


def test_cmp07_report_months_are_twelve_ending_with_this_one():
    months = report_months(date(2026, 3, 1))
    assert len(months) == 12
    assert months[0] == date(2025, 4, 1) and months[-1] == date(2026, 3, 1)
    assert report_months(date(2026, 1, 1), 2) == [date(2025, 12, 1), date(2026, 1, 1)]


@pytest.mark.parametrize(
    ("month_of", "step", "expected"),
    [(date(2026, 1, 1), -1, date(2025, 12, 1)), (date(2026, 12, 1), 1, date(2027, 1, 1)),
     (date(2026, 3, 1), 0, date(2026, 3, 1)), (date(2026, 3, 1), -14, date(2025, 1, 1))],
)
def test_cmp07_report_months_step_across_years(month_of, step, expected):
    assert next_report_month(month_of, step) == expected


def test_cmp07_analysis_reminder_opens_a_week_before_it_is_due():
    assert analysis_reminder_opens(date(2026, 3, 1)) == date(2026, 3, 19)
    assert analysis_reminder_opens(date(2026, 2, 1), 31) == date(2026, 2, 22)  # due 28 February
    before = datetime(2026, 3, 18, 23, 59, tzinfo=LOCAL_TZ)
    first = datetime(2026, 3, 19, 0, 0, tzinfo=LOCAL_TZ)
    due = datetime(2026, 3, 25, 23, 59, tzinfo=LOCAL_TZ)
    after = datetime(2026, 3, 26, 0, 1, tzinfo=LOCAL_TZ)  # April's report month, not yet its last week
    assert analysis_to_remind(before) is None
    assert analysis_to_remind(first) == date(2026, 3, 1)
    assert analysis_to_remind(due) == date(2026, 3, 1)
    assert analysis_to_remind(after) is None
    assert analysis_to_remind(datetime(2026, 3, 5, tzinfo=LOCAL_TZ), cutoff_day=10) == date(2026, 3, 1)


def test_cmp07_one_reminder_per_project_and_period():
    assert analysis_dedupe_key(3, date(2026, 2, 26)) == "complaint-analysis:3:2026-02-26"
    assert analysis_dedupe_key(3, date(2026, 2, 26)) != analysis_dedupe_key(4, date(2026, 2, 26))
