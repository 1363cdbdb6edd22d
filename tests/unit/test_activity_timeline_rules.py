"""The pure rules of the activity page (helper C's section of webapp.activities.rules):
the notes a milestone needs (ACT-05, ACT-12), amounts typed in yuan, the detailed plan's
content (ACT-04), held and cancelled."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.activities import rules
from webapp.activities.rules import DetailedPlanValues, MilestoneCode, MoneyLine
from webapp.core.rulekit import RuleViolation
from webapp.paid_services.rules import parse_yuan

START = datetime(2027, 6, 5, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai


@pytest.mark.parametrize("code", [MilestoneCode.PREPARATION_MEETING, MilestoneCode.SECURITY_PLAN,
                                  MilestoneCode.FACILITY_CHECK])
def test_act05_act12_the_minutes_and_the_safety_plans_need_their_note(code):
    with pytest.raises(RuleViolation) as refused:
        rules.check_milestone_note(code, "   ")
    assert refused.value.field == "note"
    assert rules.check_milestone_note(code, "  与会: 项目经理、各部门主管 ") == "与会: 项目经理、各部门主管"


@pytest.mark.parametrize("code", [MilestoneCode.FEASIBILITY_MEETING, MilestoneCode.POSTER, MilestoneCode.REHEARSAL])
def test_act05_other_milestones_take_an_optional_note(code):
    assert rules.check_milestone_note(code, "") is None
    assert rules.check_milestone_note(code, "已完成") == "已完成"


def test_act05_a_note_is_limited_in_length():
    with pytest.raises(RuleViolation):
        rules.check_milestone_note(MilestoneCode.REHEARSAL, "字" * (rules.TEXT_LIMIT + 1))


@pytest.mark.parametrize(("typed", "fen"), [("80", 8000), ("12.5", 1250), ("¥1,200", 120000), ("0.01", 1),
                                             ("35元", 3500), (" 0 ", 0)])
def test_act04_amounts_are_typed_in_yuan(typed, fen):
    assert parse_yuan(typed, "purchase_lines-0-amount_fen") == fen


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "NaN", "inf"])
def test_act04_a_wrong_amount_is_refused_next_to_its_line(typed):
    with pytest.raises(RuleViolation) as refused:
        parse_yuan(typed, "purchase_lines-2-amount_fen")
    assert refused.value.field == "purchase_lines-2-amount_fen"


def test_act04_a_negative_purchase_amount_is_refused_next_to_its_line():
    lines = [MoneyLine("奖品", 50000), MoneyLine("饮料", parse_yuan("-5", "purchase_lines-1-amount_fen"))]
    with pytest.raises(RuleViolation) as refused:
        rules.check_detailed_plan(DetailedPlanValues("流程", "王主持", lines))
    assert refused.value.field == "purchase_lines-1-amount_fen"


def test_act04_a_detailed_plan_needs_the_organisation_and_a_purchase_line():
    lines = [MoneyLine("奖品", 50000)]
    with pytest.raises(RuleViolation) as refused:
        rules.check_detailed_plan(DetailedPlanValues(" ", "王主持", lines))
    assert refused.value.field == "organisation"
    with pytest.raises(RuleViolation) as refused:
        rules.check_detailed_plan(DetailedPlanValues("流程", "王主持", []))
    assert refused.value.field == "purchase_lines"
    with pytest.raises(RuleViolation) as refused:
        rules.check_detailed_plan(DetailedPlanValues("流程", None, [MoneyLine(" ", 100)]))
    assert refused.value.field == "purchase_lines-0-item"


def test_act10_the_host_may_follow_until_submission():
    checked = rules.check_detailed_plan(DetailedPlanValues(" 流程 ", "  ", [MoneyLine(" 奖品 ", 100)]))
    assert checked == DetailedPlanValues("流程", None, (MoneyLine("奖品", 100),))


def test_act12_held_only_from_ready_and_once_started():
    with pytest.raises(RuleViolation):
        rules.check_held("ready", START, START - timedelta(seconds=1))
    rules.check_held("ready", START, START)
    with pytest.raises(RuleViolation):
        rules.check_held("scheduled", START, START + timedelta(hours=1))


def test_act12_cancelling_needs_a_reason_and_a_cancellable_status():
    with pytest.raises(RuleViolation) as refused:
        rules.check_cancel("scheduled", "")
    assert refused.value.field == "reason"
    assert rules.check_cancel("ready", " 暴雨 ") == "暴雨"
    with pytest.raises(RuleViolation):
        rules.check_cancel("held", "暴雨")
