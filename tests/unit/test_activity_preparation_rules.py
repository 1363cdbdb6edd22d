"""Rules of preparing an activity: the households still to notify (ACT-06), the checklist
(ACT-07), the day's roster lines (ACT-09), and when preparation is open at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from webapp.activities import rules
from webapp.activities.rules import NoticeMethod
from webapp.core.rulekit import RuleViolation

DAY = date(2027, 6, 5)


# ---------------------------------------------------------------------------- ACT-06


def test_act06_what_remains_is_every_unit_not_yet_notified_in_order():
    assert rules.households_outstanding([5, 3, 9, 1], [3, 1]) == (5, 9)


def test_act06_nothing_remains_when_every_unit_is_notified():
    assert rules.households_outstanding([1, 2, 3], [3, 2, 1, 7]) == ()


def test_act06_a_unit_listed_twice_remains_once():
    assert rules.households_outstanding([4, 4, 2], []) == (4, 2)


def test_act06_a_project_without_units_has_nothing_outstanding():
    assert rules.households_outstanding([], [1]) == ()


@pytest.mark.parametrize("method", ["visit", "phone", "slip", "wechat", "sms"])
def test_act06_the_five_ways_of_notifying(method):
    chosen, note = rules.check_notice(method, "  留了通知单 ", 2)
    assert chosen is NoticeMethod(method) and note == "留了通知单"


def test_act06_a_notice_needs_units():
    with pytest.raises(RuleViolation) as refused:
        rules.check_notice("visit", None, 0)
    assert refused.value.field == "unit_ids"


@pytest.mark.parametrize("method", [None, "", "email", "VISIT"])
def test_act06_a_notice_needs_a_known_method(method):
    with pytest.raises(RuleViolation) as refused:
        rules.check_notice(method, None, 1)
    assert refused.value.field == "method"


def test_act06_a_notice_note_has_a_limit():
    assert rules.check_notice("sms", "", 1)[1] is None
    with pytest.raises(RuleViolation) as refused:
        rules.check_notice("sms", "字" * (rules.NOTICE_NOTE_LIMIT + 1), 1)
    assert refused.value.field == "note"


# ---------------------------------------------------------------------------- ACT-07


def test_act07_the_four_items_of_the_sop():
    assert rules.CHECKLIST_ITEMS == ("venue", "prizes_and_supplies", "staff_assignments", "facilities")
    for item in rules.CHECKLIST_ITEMS:
        assert rules.check_checklist_item(item) == item


@pytest.mark.parametrize("item", [None, "", "fireworks"])
def test_act07_an_unknown_item_is_refused(item):
    with pytest.raises(RuleViolation) as refused:
        rules.check_checklist_item(item)
    assert refused.value.field == "item"


def test_act07_complete_with_all_four_not_with_three():
    assert rules.checklist_complete(rules.CHECKLIST_ITEMS)
    assert not rules.checklist_complete(rules.CHECKLIST_ITEMS[:3])
    assert not rules.checklist_complete([])


def test_act07_untick_only_before_completion():
    rules.check_untick(False)
    with pytest.raises(RuleViolation):
        rules.check_untick(True)


# ---------------------------------------------------------------------------- ACT-09


def test_act09_a_shift_is_a_local_time_on_the_activity_day():
    assert rules.shift_moment(DAY, time(18, 0)) == datetime(2027, 6, 5, 10, 0, tzinfo=UTC)
    assert rules.shift_moment(DAY, time(0, 30)) == datetime(2027, 6, 4, 16, 30, tzinfo=UTC)


def test_act09_a_roster_line_with_its_shift():
    start, end = rules.shift_moment(DAY, time(18, 0)), rules.shift_moment(DAY, time(22, 0))
    assert rules.check_roster_entry("  签到处 ", start, end) == ("签到处", start, end)
    assert rules.check_roster_entry("", start, end)[0] is None


@pytest.mark.parametrize(("start", "end"), [(time(20, 0), time(18, 0)), (time(19, 0), time(19, 0))])
def test_act09_a_shift_ends_after_it_starts(start, end):
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_entry(None, rules.shift_moment(DAY, start), rules.shift_moment(DAY, end))
    assert refused.value.field == "shift_end"


def test_act09_a_shift_needs_both_times():
    moment = rules.shift_moment(DAY, time(18, 0))
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_entry(None, None, moment)
    assert refused.value.field == "shift_start"
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_entry(None, moment, None)
    assert refused.value.field == "shift_end"


def test_act09_the_duty_has_a_limit():
    start, end = rules.shift_moment(DAY, time(18, 0)), rules.shift_moment(DAY, time(22, 0))
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_entry("字" * (rules.DUTY_LIMIT + 1), start, end)
    assert refused.value.field == "duty"


def test_act09_the_role_defaults_to_their_first_role_in_the_project():
    assert rules.check_roster_role("", ["pm", "cs_supervisor"]) == "pm"
    assert rules.check_roster_role("cs_supervisor", ["pm", "cs_supervisor"]) == "cs_supervisor"


def test_act09_only_a_project_manager_serves_as_the_pm():
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_role("pm", ["receptionist"])
    assert refused.value.field == "role"


def test_act09_someone_without_a_role_in_the_project_is_refused():
    with pytest.raises(RuleViolation) as refused:
        rules.check_roster_role(None, [])
    assert refused.value.field == "user_id"


# ---------------------------------------------------------------------------- open for preparation


@pytest.mark.parametrize("status", ["scheduled", "ready", "held"])
def test_act06_07_09_preparation_is_open_while_on_the_calendar(status):
    rules.check_preparation_open(status, True)


@pytest.mark.parametrize("status", ["cancelled", "summarised"])
def test_act06_07_09_preparation_is_closed_once_cancelled_or_summarised(status):
    with pytest.raises(RuleViolation):
        rules.check_preparation_open(status, True)


def test_act06_07_09_a_planned_activity_is_not_prepared_yet():
    with pytest.raises(RuleViolation):
        rules.check_preparation_open("scheduled", False)
