"""The rules the follow-up pages added: who received a slip, the once-a-day chase
reminder (RCP-03), what a work order needs, the call-back's answer and the clock of an
order's current step (RCP-04)."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.core.rulekit import RuleViolation
from webapp.reception import rules

DUE = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def test_rcp03_a_sent_slip_names_who_at_the_developer_received_it():
    assert rules.check_developer_receiver("  王工 ") == "王工"
    with pytest.raises(RuleViolation) as nobody:
        rules.check_developer_receiver(" ")
    assert nobody.value.field == "received_by"
    with pytest.raises(RuleViolation):
        rules.check_developer_receiver("王" * 101)


@pytest.mark.parametrize(
    ("status", "last_chased_at", "now", "expected"),
    [
        ("sent", None, DUE, False),  # at the due moment it is still in time
        ("sent", None, DUE + timedelta(minutes=1), True),
        ("answered", None, DUE + timedelta(days=2), True),
        ("completed", None, DUE + timedelta(days=2), False),
        ("withdrawn", None, DUE + timedelta(days=2), False),
        ("drafted", None, DUE + timedelta(days=2), False),
        # reminded at 22:31 local; 23:50 is the same local day, 00:10 the next
        ("sent", DUE + timedelta(minutes=1), DUE + timedelta(hours=1, minutes=20), False),
        ("sent", DUE + timedelta(minutes=1), DUE + timedelta(hours=1, minutes=40), True),
    ],
)
def test_rcp03_the_desk_is_reminded_of_an_overdue_slip_once_a_local_day(status, last_chased_at, now, expected):
    assert rules.needs_chase_reminder(status, DUE, last_chased_at, now) is expected


def test_rcp03_a_slip_without_a_chase_date_is_not_chased():
    assert rules.needs_chase_reminder("sent", None, None, DUE) is False


def test_rcp03_the_reminder_key_changes_with_the_local_day():
    assert rules.chase_reminder_key(7, DUE) == "return_slip:7:chase:20261128"
    assert rules.chase_reminder_key(7, DUE + timedelta(hours=2)) == "return_slip:7:chase:20261129"


def test_rcp04_a_work_order_says_where_and_what():
    assert rules.check_work_order(1, None, " 漏水 ") == "漏水"
    assert rules.check_work_order(None, "地下车库", "灯坏了") == "灯坏了"
    with pytest.raises(RuleViolation) as nowhere:
        rules.check_work_order(None, " ", "灯坏了")
    assert nowhere.value.field == "location"
    with pytest.raises(RuleViolation) as nothing:
        rules.check_work_order(1, None, "")
    assert nothing.value.field == "problem"
    with pytest.raises(RuleViolation) as too_long:
        rules.check_work_order(None, "地" * 201, "灯坏了")
    assert too_long.value.field == "location"


def test_rcp04_a_callback_answers_fixed_or_not():
    assert rules.check_callback_fixed(True) is True
    assert rules.check_callback_fixed(False) is False
    with pytest.raises(RuleViolation) as undecided:
        rules.check_callback_fixed(None)
    assert undecided.value.field == "fixed"


def test_rcp04_the_clock_of_an_order_is_that_of_its_current_step():
    done_due, callback_due = DUE, DUE + timedelta(days=1)
    assert rules.work_order_due("dispatched", done_due, callback_due) == done_due
    assert rules.work_order_due("done", done_due, callback_due) == callback_due
    for status in ("called_back", "closed", "cancelled"):
        assert rules.work_order_due(status, done_due, callback_due) is None
