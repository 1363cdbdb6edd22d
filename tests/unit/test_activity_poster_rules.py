"""ACT-16 when an activity's public page takes replies, and the head count as typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp.activities import rules
from webapp.core.rulekit import RuleViolation

STARTS = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", ["scheduled", "ready"])
def test_act16_replies_are_open_before_the_start(status):
    rules.check_rsvp_allowed(status, STARTS, STARTS - timedelta(seconds=1))


@pytest.mark.parametrize("status", ["scheduled", "ready"])
def test_act16_replies_close_at_the_start(status):
    with pytest.raises(RuleViolation, match="started"):
        rules.check_rsvp_allowed(status, STARTS, STARTS)


def test_act16_a_cancelled_activity_takes_no_reply_and_says_why():
    with pytest.raises(RuleViolation, match="cancelled"):
        rules.check_rsvp_allowed("cancelled", STARTS, STARTS - timedelta(days=10))


@pytest.mark.parametrize("status", ["held", "summarised"])
def test_act16_a_held_activity_counts_as_started(status):
    with pytest.raises(RuleViolation, match="started"):
        rules.check_rsvp_allowed(status, STARTS, STARTS - timedelta(days=1))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3", 3), (" 20 ", 20), ("３", 3), ("0", 0), ("21", 21), ("", None), (None, None), ("two", None),
     ("-1", None), ("2.5", None), ("99999", None)],
)
def test_act16_head_count_as_typed(typed, expected):
    assert rules.rsvp_head_count(typed) == expected
