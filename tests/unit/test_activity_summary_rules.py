"""ACT-15 rules of the summary area: when the summary can be written, and amounts typed
in yuan kept in fen."""

from __future__ import annotations

import pytest

from webapp.activities.rules import ActivityStatus, check_summary_open
from webapp.core.rulekit import RuleViolation
from webapp.paid_services.rules import parse_yuan


def test_act15_the_summary_is_written_once_the_activity_is_held():
    check_summary_open(ActivityStatus.HELD)


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (ActivityStatus.SCHEDULED, "once the activity has been held"),
        (ActivityStatus.READY, "once the activity has been held"),
        (ActivityStatus.SUMMARISED, "already written"),
        (ActivityStatus.CANCELLED, "cancelled activity has no summary"),
    ],
)
def test_act15_no_summary_before_the_day_twice_or_for_a_cancelled_activity(status, says):
    with pytest.raises(RuleViolation) as refused:
        check_summary_open(status)
    assert says in refused.value.message


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("80", 8000), ("12.5", 1250), ("12.50", 1250), ("¥1,200", 120000), ("80元", 8000), (" 0 ", 0), ("-5", -500),
     ("1，600", 160000), ("0.01", 1)],
)
def test_act15_an_amount_typed_in_yuan_is_kept_in_fen(typed, fen):
    assert parse_yuan(typed, "cost_lines-0-amount_fen") == fen


@pytest.mark.parametrize("typed", ["", None, "abc", "1.2.3", "NaN", "Infinity"])
def test_act15_an_amount_that_is_no_number_is_refused_at_its_field(typed):
    with pytest.raises(RuleViolation) as refused:
        parse_yuan(typed, "cost_lines-2-amount_fen")
    assert refused.value.field == "cost_lines-2-amount_fen"
    assert "yuan" in refused.value.message


def test_act15_an_amount_with_fractions_of_a_fen_is_refused():
    with pytest.raises(RuleViolation) as refused:
        parse_yuan("12.345", "cost_lines-0-amount_fen")
    assert refused.value.message == "At most two decimals (fen)."
