"""The registers' own rules: the month a register shows a record under (local calendar
months, RCP-04 praise list, RCP-07 events register) and that a closed event record stays
as it was signed off."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from webapp.core.rulekit import RuleViolation
from webapp.reception import rules


def test_rcp07_a_moment_counts_in_its_local_month():
    # 30 Nov 16:30 UTC is 1 Dec 00:30 in Shanghai
    assert rules.register_month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert rules.register_month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("month_of", "months", "expected"),
    [
        (date(2026, 11, 1), 1, date(2026, 12, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 3, 1), -14, date(2025, 1, 1)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_rcp07_months_step_across_years(month_of, months, expected):
    assert rules.shift_month(month_of, months) == expected


def test_rcp07_a_month_runs_from_local_midnight_to_the_next_months_local_midnight():
    start, end = rules.register_bounds(date(2026, 12, 17))
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_rcp07_only_an_open_event_record_is_written_in():
    rules.check_event_open("open")
    with pytest.raises(RuleViolation):
        rules.check_event_open("closed")
