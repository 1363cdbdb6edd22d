"""Rules of community cultural activities (篇1, ACT-01…16): the date and times, the plan
deadline, approvals and content, the timeline, safety, RSVP, the survey and the summary.
Real dates from the State Council's 2025/2026 schedules (through chinese-calendar);
Asia/Shanghai is UTC+8 all year."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from webapp.activities import rules
from webapp.activities.holidays import package_calendar
from webapp.activities.rules import (
    ActivityStatus,
    DateBasis,
    Festival,
    HolidayCalendar,
    HolidayYearUnknown,
    MilestoneCode,
    MilestoneState,
    MoneyLine,
    PlanAction,
    PlannedActivity,
    PlanStatus,
    PlanValues,
    RosterEntry,
    RsvpTotals,
)
from webapp.core.rulekit import RuleViolation
from webapp.org.rules import DepartmentKind, Role

SHANGHAI = timezone(timedelta(hours=8))
SECOND = timedelta(seconds=1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> HolidayCalendar:
    return package_calendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------------------- ACT-11 the date


@pytest.mark.parametrize("day", ["2026-03-07", "2026-03-08", "2025-06-14"])
def test_act11_an_ordinary_saturday_or_sunday_needs_no_reason(cal, day):
    verdict = rules.check_activity_date(d(day), cal)
    assert verdict.basis is DateBasis.WEEKEND
    assert not verdict.provisional and verdict.reason is None


@pytest.mark.parametrize("day", ["2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
                                 "2026-01-04", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_act11_a_makeup_working_weekend_needs_a_reason(cal, day):
    assert cal.is_makeup_workday(d(day)) and rules.is_weekend(d(day))
    with pytest.raises(RuleViolation) as err:
        rules.check_activity_date(d(day), cal)
    assert err.value.field == "date_reason"
    assert not isinstance(err.value, HolidayYearUnknown)


def test_act11_a_makeup_working_weekend_with_a_reason_is_allowed(cal):
    verdict = rules.check_activity_date(d("2026-02-28"), cal, "  元宵灯谜会, 正月十二  ")
    assert verdict.basis is DateBasis.REASON and verdict.reason == "元宵灯谜会, 正月十二"


def test_act11_a_makeup_sunday_two_days_before_spring_festival_counts_as_before_the_holiday(cal):
    # 2025: 春节 rest days 28 Jan – 4 Feb; Sunday 26 Jan is worked (调休) but is "前两天"
    verdict = rules.check_activity_date(d("2025-01-26"), cal)
    assert verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert verdict.festivals == {Festival.SPRING_FESTIVAL}


@pytest.mark.parametrize("day", ["2026-02-13", "2026-02-14"])
def test_act11_the_two_days_before_spring_festival_2026_are_allowed(cal, day):
    # 春节 2026: rest days 15–23 Feb; Saturday 14 Feb is a 调休 working day
    verdict = rules.check_activity_date(d(day), cal)
    assert verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert verdict.festivals == {Festival.SPRING_FESTIVAL}


def test_act11_three_days_before_spring_festival_needs_a_reason(cal):
    with pytest.raises(RuleViolation, match="give a reason"):
        rules.check_activity_date(d("2026-02-12"), cal)


def test_act11_the_first_holiday_day_on_a_sunday_is_a_weekend(cal):
    assert rules.check_activity_date(d("2026-02-15"), cal).basis is DateBasis.WEEKEND


@pytest.mark.parametrize("day", ["2026-02-16", "2026-10-01", "2026-10-02"])
def test_act11_a_weekday_inside_the_holiday_is_not_before_it(cal, day):
    with pytest.raises(RuleViolation):
        rules.check_activity_date(d(day), cal)


@pytest.mark.parametrize("day", ["2026-09-29", "2026-09-30"])
def test_act11_the_two_days_before_national_day_are_allowed(cal, day):
    verdict = rules.check_activity_date(d(day), cal)
    assert verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert verdict.festivals == {Festival.NATIONAL_DAY}


def test_act11_the_day_before_mid_autumn_2026_is_allowed(cal):
    assert rules.check_activity_date(d("2026-09-24"), cal).festivals == {Festival.MID_AUTUMN_FESTIVAL}


def test_act11_national_day_and_mid_autumn_sharing_a_period_count_from_its_first_day(cal):
    # 2025: 1–8 October, 6 October is 中秋
    verdict = rules.check_activity_date(d("2025-09-30"), cal)
    assert verdict.festivals == {Festival.NATIONAL_DAY, Festival.MID_AUTUMN_FESTIVAL}
    # 中秋 inside the period starts nothing: Friday 3 October is no "day before"
    assert cal.period_starting(d("2025-10-06")) == frozenset()
    with pytest.raises(RuleViolation):
        rules.check_activity_date(d("2025-10-03"), cal)


@pytest.mark.parametrize("day", ["2026-04-02", "2026-04-30", "2026-06-18", "2025-12-31"])
def test_act11_before_a_minor_holiday_a_reason_is_needed(cal, day):
    # 清明 4 Apr, 劳动节 1 May, 端午 19 Jun 2026, 元旦 1 Jan 2026
    with pytest.raises(RuleViolation):
        rules.check_activity_date(d(day), cal)


def test_act11_major_festivals_are_spring_festival_mid_autumn_and_national_day():
    assert {Festival.SPRING_FESTIVAL, Festival.NATIONAL_DAY} <= rules.MAJOR_FESTIVALS
    assert Festival.TOMB_SWEEPING_DAY not in rules.MAJOR_FESTIVALS


def test_act11_a_weekday_with_a_reason_is_allowed_and_the_reason_kept(cal):
    verdict = rules.check_activity_date(d("2026-03-11"), cal, "学雷锋日后的义诊")
    assert verdict.basis is DateBasis.REASON and verdict.reason == "学雷锋日后的义诊"


def test_act11_a_blank_reason_is_no_reason(cal):
    with pytest.raises(RuleViolation):
        rules.check_activity_date(d("2026-03-11"), cal, "   ")


def test_act11_an_over_long_reason_is_refused(cal):
    with pytest.raises(RuleViolation) as err:
        rules.check_activity_date(d("2026-03-11"), cal, "x" * (rules.REASON_LIMIT + 1))
    assert err.value.field == "date_reason"


def test_act11_a_weekend_keeps_an_optional_reason(cal):
    assert rules.check_activity_date(d("2026-03-07"), cal, "春季运动会").reason == "春季运动会"


def test_act11_an_unknown_year_weekday_says_the_schedule_is_not_yet_known(cal):
    with pytest.raises(HolidayYearUnknown) as err:
        rules.check_activity_date(d("2027-03-10"), cal)
    assert err.value.year == 2027 and err.value.field == "date_reason"
    assert "2027 is not yet known; an administrator can add it" in str(err.value)
    assert isinstance(err.value, RuleViolation)


def test_act11_an_unknown_year_weekday_with_a_reason_is_allowed(cal):
    verdict = rules.check_activity_date(d("2027-03-10"), cal, "植树节后")
    assert verdict.basis is DateBasis.REASON


def test_act11_an_unknown_year_weekend_is_allowed_provisionally(cal):
    verdict = rules.check_activity_date(d("2027-03-13"), cal)
    assert verdict.basis is DateBasis.WEEKEND and verdict.provisional


def test_act11_the_last_days_of_a_known_year_need_the_next_years_schedule(cal):
    # 30 Dec 2026 (Wednesday): whether a major holiday starts on 1 Jan 2027 is not known
    with pytest.raises(HolidayYearUnknown) as err:
        rules.check_activity_date(d("2026-12-30"), cal)
    assert err.value.year == 2027


def test_act11_a_calendar_extended_by_the_admin_decides_the_new_year():
    year_2027 = HolidayCalendar(
        years=frozenset({2027}),
        holidays={d("2027-02-06") + timedelta(days=i): Festival.SPRING_FESTIVAL for i in range(9)},
        workdays=frozenset({d("2027-02-20")}),
    )
    assert rules.check_activity_date(d("2027-02-05"), year_2027).basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    with pytest.raises(RuleViolation):
        rules.check_activity_date(d("2027-02-20"), year_2027)


def test_act11_calendar_refuses_dates_outside_its_years_or_both_kinds():
    with pytest.raises(ValueError, match="outside"):
        HolidayCalendar(years=frozenset({2026}), holidays={d("2027-01-01"): Festival.NEW_YEARS_DAY})
    with pytest.raises(ValueError, match="both"):
        HolidayCalendar(years=frozenset({2026}), holidays={d("2026-01-01"): Festival.NEW_YEARS_DAY},
                        workdays=frozenset({d("2026-01-01")}))


def test_act11_calendar_lookups(cal):
    assert cal.festival(d("2026-10-01")) is Festival.NATIONAL_DAY
    assert cal.festival(d("2026-10-09")) is None
    assert cal.period_starting(d("2026-10-01")) == {Festival.NATIONAL_DAY}
    assert cal.period_starting(d("2026-10-02")) == frozenset()
    with pytest.raises(HolidayYearUnknown):
        cal.festival(d("2027-10-01"))


# ---------------------------------------------------------------------------- ACT-13 the times


def test_act13_ending_at_22_00_is_allowed():
    rules.check_times(local(2026, 9, 30, 19, 0), local(2026, 9, 30, 22, 0))


def test_act13_ending_at_22_01_is_refused():
    with pytest.raises(RuleViolation, match="22:00") as err:
        rules.check_times(local(2026, 9, 30, 19, 0), local(2026, 9, 30, 22, 1))
    assert err.value.field == "end"


def test_act13_one_second_after_22_00_is_refused():
    with pytest.raises(RuleViolation):
        rules.check_times(local(2026, 9, 30, 19, 0), local(2026, 9, 30, 22, 0) + SECOND)


def test_act13_the_end_comes_after_the_start():
    with pytest.raises(RuleViolation, match="after the start"):
        rules.check_times(local(2026, 9, 30, 19, 0), local(2026, 9, 30, 19, 0))


def test_act13_the_activity_ends_on_its_local_day():
    with pytest.raises(RuleViolation, match="same day"):
        rules.check_times(local(2026, 9, 30, 21, 0), local(2026, 10, 1, 1, 0))


def test_act13_times_are_judged_in_shanghai_time_whatever_the_zone_given():
    # 13:30 UTC is 21:30 in Shanghai: fine; 14:30 UTC is 22:30: refused
    rules.check_times(datetime(2026, 9, 30, 11, 0, tzinfo=UTC), datetime(2026, 9, 30, 13, 30, tzinfo=UTC))
    with pytest.raises(RuleViolation):
        rules.check_times(datetime(2026, 9, 30, 11, 0, tzinfo=UTC), datetime(2026, 9, 30, 14, 30, tzinfo=UTC))


def test_act13_activity_start_is_the_local_time_as_utc():
    assert rules.activity_start(d("2026-09-30"), time(19, 30)) == datetime(2026, 9, 30, 11, 30, tzinfo=UTC)


# ---------------------------------------------------------------------------- ACT-01 plan deadline


def test_act01_the_plan_is_due_by_the_end_of_30_december_of_the_year_before():
    assert rules.plan_due(2027) == local(2026, 12, 30, 23, 59, 59)


def test_act01_a_plan_submitted_on_30_december_is_on_time():
    assert not rules.plan_is_late(2027, local(2026, 12, 30, 23, 59, 59), local(2027, 1, 5))


def test_act01_a_plan_submitted_on_31_december_is_late():
    assert rules.plan_is_late(2027, local(2026, 12, 31, 0, 0), local(2027, 1, 5))


def test_act01_a_missing_plan_is_late_only_after_the_deadline():
    assert not rules.plan_is_late(2027, None, local(2026, 12, 30, 23, 59, 59))
    assert rules.plan_is_late(2027, None, local(2026, 12, 31, 0, 0))


# ---------------------------------------------------------------------------- ACT-02/04/10/14 approval

FORWARD = [
    ("draft", "submit", PlanStatus.SUBMITTED),
    ("submitted", "pm_confirm", PlanStatus.PM_CONFIRMED),
    ("pm_confirmed", "vp_approve", PlanStatus.APPROVED),
]


@pytest.mark.parametrize(("status", "action", "target"), FORWARD)
def test_act02_annual_plan_goes_draft_submitted_pm_confirmed_approved(status, action, target):
    assert rules.check_plan_action("annual", status, action, content_confirmed=True) is target
    rules.check_plan_transition(status, target)


@pytest.mark.parametrize(("status", "action"), [("submitted", "pm_return"), ("pm_confirmed", "vp_return")])
def test_act02_pm_and_vp_return_the_plan_to_draft_with_reasons(status, action):
    assert rules.check_plan_action("annual", status, action, reasons="预算超标, 请压缩奖品") is PlanStatus.DRAFT
    rules.check_plan_transition(status, "draft")


@pytest.mark.parametrize(("status", "action"), [("submitted", "pm_return"), ("pm_confirmed", "vp_return")])
def test_act02_a_return_without_reasons_is_refused(status, action):
    with pytest.raises(RuleViolation) as err:
        rules.check_plan_action("annual", status, action, reasons="  ")
    assert err.value.field == "reasons"


@pytest.mark.parametrize(("status", "action"), [
    ("draft", "pm_confirm"), ("draft", "vp_approve"), ("submitted", "vp_approve"),
    ("approved", "pm_return"), ("approved", "submit"), ("pm_confirmed", "pm_confirm"),
])
def test_act02_steps_out_of_order_are_refused(status, action):
    with pytest.raises(RuleViolation, match="cannot become"):
        rules.check_plan_action("annual", status, action, reasons="r", content_confirmed=True, host="h")


@pytest.mark.parametrize(("current", "target"), [("draft", "approved"), ("approved", "draft"), ("submitted", "approved")])
def test_act02_plan_transition_table_refuses_skips(current, target):
    with pytest.raises(RuleViolation):
        rules.check_plan_transition(current, target)


def test_act02_who_acts_on_each_step():
    assert rules.plan_action_role("annual", "submit") == Role.PUBLICIST.value
    assert rules.plan_action_role("detailed", "submit") == Role.CS_SUPERVISOR.value
    for kind in ("annual", "detailed"):
        assert rules.plan_action_role(kind, PlanAction.PM_CONFIRM) == Role.PM.value
        assert rules.plan_action_role(kind, PlanAction.PM_RETURN) == Role.PM.value
        assert rules.plan_action_role(kind, PlanAction.VP_APPROVE) == Role.VP.value
        assert rules.plan_action_role(kind, PlanAction.VP_RETURN) == Role.VP.value


@pytest.mark.parametrize("kind", ["annual", "detailed"])
def test_act14_vp_approval_needs_the_content_confirmation(kind):
    with pytest.raises(RuleViolation, match="healthy") as err:
        rules.check_plan_action(kind, "pm_confirmed", "vp_approve", host="王主持")
    assert err.value.field == "content_confirmed"


@pytest.mark.parametrize(("status", "action"), [("draft", "submit"), ("submitted", "pm_confirm"),
                                                ("pm_confirmed", "vp_approve")])
def test_act10_a_detailed_plan_names_its_host_before_approval(status, action):
    with pytest.raises(RuleViolation, match="host") as err:
        rules.check_plan_action("detailed", status, action, content_confirmed=True, host=" ")
    assert err.value.field == "host"
    rules.check_plan_action("detailed", status, action, content_confirmed=True, host="王主持")


def test_act10_a_returned_detailed_plan_needs_no_host():
    assert rules.check_plan_action("detailed", "submitted", "pm_return", reasons="主持人未定") is PlanStatus.DRAFT


# ---------------------------------------------------------------------------- ACT-03 plan content


def _plan(**overrides) -> PlanValues:
    values = {
        "purpose": "丰富业主文化生活",
        "activities": [PlannedActivity("中秋游园", "猜灯谜、做月饼", d("2026-09-24"), "中心广场")],
        "facilities": "音响一套, 帐篷4顶",
        "budget_lines": [MoneyLine("奖品", 150_000), MoneyLine("月饼材料", 80_050)],
        "organisation": "客服主管总负责, 安全部维持秩序",
    }
    values.update(overrides)
    return PlanValues(**values)


def test_act03_a_complete_plan_is_accepted_with_its_budget_total(cal):
    checked = rules.check_plan(_plan(purpose="  丰富业主文化生活 "), 2026, cal)
    assert checked.total_fen == 230_050
    assert checked.values.purpose == "丰富业主文化生活"
    assert checked.date_verdicts[0].basis is DateBasis.BEFORE_MAJOR_HOLIDAY


@pytest.mark.parametrize(("overrides", "field"), [
    ({"purpose": " "}, "purpose"),
    ({"activities": []}, "activities"),
    ({"facilities": None}, "facilities"),
    ({"budget_lines": []}, "budget_lines"),
    ({"organisation": ""}, "organisation"),
    ({"budget_lines": [MoneyLine("奖品", -1)]}, "budget_lines-0-amount_fen"),
    ({"budget_lines": [MoneyLine("奖品", 1), MoneyLine("", 5)]}, "budget_lines-1-item"),
    ({"budget_lines": [MoneyLine("奖品", 12.5)]}, "budget_lines-0-amount_fen"),
    ({"budget_lines": [MoneyLine("奖品", True)]}, "budget_lines-0-amount_fen"),
])
def test_act03_each_part_of_the_plan_is_required(cal, overrides, field):
    with pytest.raises(RuleViolation) as err:
        rules.check_plan(_plan(**overrides), 2026, cal)
    assert err.value.field == field


@pytest.mark.parametrize(("activity", "field"), [
    (PlannedActivity("", "m", d("2026-03-07"), "p"), "activities-0-name"),
    (PlannedActivity("n", " ", d("2026-03-07"), "p"), "activities-0-method"),
    (PlannedActivity("n", "m", None, "p"), "activities-0-day"),
    (PlannedActivity("n", "m", d("2027-03-06"), "p"), "activities-0-day"),
    (PlannedActivity("n", "m", d("2026-03-07"), ""), "activities-0-place"),
    (PlannedActivity("n", "m", d("2026-03-11"), "p"), "activities-0-date_reason"),
])
def test_act03_each_activity_has_method_date_in_the_year_and_place(cal, activity, field):
    with pytest.raises(RuleViolation) as err:
        rules.check_plan(_plan(activities=[activity]), 2026, cal)
    assert err.value.field == field


def test_act03_a_zero_budget_line_is_allowed(cal):
    assert rules.check_plan(_plan(budget_lines=[MoneyLine("场地(自有)", 0)]), 2026, cal).total_fen == 0


def test_act01_next_years_plan_written_before_the_schedule_is_known(cal):
    weekend = PlannedActivity("元宵灯会", "m", d("2027-02-20"), "p")
    weekday = PlannedActivity("植树", "m", d("2027-03-10"), "p")
    checked = rules.check_plan(_plan(activities=[weekend]), 2027, cal)
    assert checked.date_verdicts[0].provisional
    with pytest.raises(HolidayYearUnknown) as err:
        rules.check_plan(_plan(activities=[weekend, weekday]), 2027, cal)
    assert err.value.field == "activities-1-date_reason"
    reasoned = PlannedActivity("植树", "m", d("2027-03-10"), "p", "植树节")
    assert rules.check_plan(_plan(activities=[reasoned]), 2027, cal).values.activities[0].date_reason == "植树节"


# ---------------------------------------------------------------------------- ACT-04…09 timeline

NATIONAL_DAY_EVE = d("2026-09-30")


def _timeline(important=True, **kwargs):
    return {m.code: m for m in rules.activity_timeline(NATIONAL_DAY_EVE, time(19, 0), important, **kwargs)}


def test_act04_detailed_plan_is_due_thirty_days_before_from_the_cs_supervisor():
    m = _timeline()[MilestoneCode.DETAILED_PLAN]
    assert m.due == local(2026, 8, 31, 23, 59, 59)
    assert m.role == Role.CS_SUPERVISOR and m.rule == "ACT-04" and not m.compressed


def test_act04_pm_and_vp_approve_the_detailed_plan():
    t = _timeline()
    assert t[MilestoneCode.PM_APPROVAL].role == Role.PM and t[MilestoneCode.VP_APPROVAL].role == Role.VP
    assert t[MilestoneCode.DETAILED_PLAN].due < t[MilestoneCode.PM_APPROVAL].due < t[MilestoneCode.VP_APPROVAL].due


def test_act05_feasibility_meeting_precedes_the_vp_approval_and_the_preparation_meeting():
    t = _timeline()
    meeting = t[MilestoneCode.FEASIBILITY_MEETING]
    assert meeting.role == Role.PM and meeting.due == local(2026, 9, 5, 23, 59, 59)
    assert meeting.due < t[MilestoneCode.VP_APPROVAL].due < t[MilestoneCode.PREPARATION_MEETING].due


def test_act05_preparation_meeting_is_ten_days_before():
    m = _timeline()[MilestoneCode.PREPARATION_MEETING]
    assert m.due == local(2026, 9, 20, 23, 59, 59) and m.role == Role.PM


def test_act06_poster_and_household_notice_a_week_before():
    t = _timeline(important=True)
    assert t[MilestoneCode.POSTER].due == local(2026, 9, 23, 23, 59, 59)
    assert t[MilestoneCode.HOUSEHOLD_NOTICE].due == local(2026, 9, 23, 23, 59, 59)


def test_act06_households_are_notified_only_for_an_important_activity():
    assert MilestoneCode.HOUSEHOLD_NOTICE not in _timeline(important=False)
    assert MilestoneCode.POSTER in _timeline(important=False)


def test_act07_preparation_checklist_a_week_before_by_the_pm_assistant():
    m = _timeline()[MilestoneCode.PREPARATION_CHECKLIST]
    assert m.due == local(2026, 9, 23, 23, 59, 59) and m.role == Role.PM_ASSISTANT


def test_act07_checklist_needs_every_item():
    rules.check_checklist(rules.CHECKLIST_ITEMS)
    with pytest.raises(RuleViolation) as err:
        rules.check_checklist(["venue", "prizes_and_supplies", "facilities"])
    assert err.value.field == "staff_assignments"
    with pytest.raises(ValueError):
        rules.check_checklist([*rules.CHECKLIST_ITEMS, "fireworks"])


def test_act08_rehearsal_window_is_three_to_two_days_before():
    m = _timeline()[MilestoneCode.REHEARSAL]
    assert m.earliest == local(2026, 9, 27, 0, 0)
    assert m.due == local(2026, 9, 28, 23, 59, 59)


def test_act08_a_rehearsal_before_the_window_is_refused():
    m = _timeline()[MilestoneCode.REHEARSAL]
    with pytest.raises(RuleViolation) as err:
        rules.check_milestone_done(m.earliest, local(2026, 9, 26, 20, 0))
    assert err.value.params == {"earliest": "2026-09-27 00:00"}
    rules.check_milestone_done(m.earliest, local(2026, 9, 27, 0, 0))
    rules.check_milestone_done(None, local(2026, 1, 1))


def test_act09_day_roster_is_due_before_the_day():
    m = _timeline()[MilestoneCode.DAY_ROSTER]
    assert m.due == local(2026, 9, 28, 23, 59, 59) and m.role == Role.CS_SUPERVISOR


def _entry(person="张三", role="receptionist", start=(16, 0), end=(22, 0)):
    return RosterEntry(person, role, local(2026, 9, 30, *start), local(2026, 9, 30, *end))


def test_act09_roster_lists_shifts_and_the_pm_in_charge():
    rules.check_roster([_entry(), _entry("李经理", "pm")])


@pytest.mark.parametrize(("entries", "field"), [
    ([], "roster"),
    ([_entry()], "roster"),
    ([_entry("李经理", "pm"), _entry(" ")], "roster-1-person"),
    ([_entry("李经理", "pm", start=(22, 0), end=(16, 0))], "roster-0-shift_end"),
])
def test_act09_roster_refuses_gaps(entries, field):
    with pytest.raises(RuleViolation) as err:
        rules.check_roster(entries)
    assert err.value.field == field


def test_act12_safety_plans_are_due_before_the_rehearsal_window_by_the_right_supervisors():
    t = _timeline()
    security, facility = t[MilestoneCode.SECURITY_PLAN], t[MilestoneCode.FACILITY_CHECK]
    assert (security.role, security.department) == (Role.DEPT_SUPERVISOR, DepartmentKind.SECURITY)
    assert (facility.role, facility.department) == (Role.DEPT_SUPERVISOR, DepartmentKind.MAINTENANCE)
    assert security.due == facility.due == local(2026, 9, 26, 23, 59, 59)
    assert security.due < t[MilestoneCode.REHEARSAL].earliest


def test_act15_summary_due_a_week_after_and_not_before_the_activity():
    m = _timeline()[MilestoneCode.SUMMARY]
    assert m.due == local(2026, 10, 7, 23, 59, 59)
    assert m.earliest == local(2026, 9, 30, 19, 0)


def test_act04_timeline_is_in_due_order_with_plain_role_strings():
    timeline = rules.activity_timeline(NATIONAL_DAY_EVE, time(19, 0), True)
    assert [m.due for m in timeline] == sorted(m.due for m in timeline)
    assert len(timeline) == len(MilestoneCode)
    assert all(type(m.role) is str and m.role in {r.value for r in Role} for m in timeline)


def test_act04_an_activity_created_twelve_days_ahead_has_its_past_milestones_due_now():
    created = local(2026, 9, 18, 10, 0)
    t = _timeline(created_at=created)
    for code in (MilestoneCode.DETAILED_PLAN, MilestoneCode.FEASIBILITY_MEETING,
                 MilestoneCode.PM_APPROVAL, MilestoneCode.VP_APPROVAL):
        assert t[code].compressed and t[code].due == local(2026, 9, 18, 23, 59, 59)
    assert not t[MilestoneCode.PREPARATION_MEETING].compressed
    assert t[MilestoneCode.PREPARATION_MEETING].due == local(2026, 9, 20, 23, 59, 59)
    assert all(m.due >= created for m in t.values())
    assert rules.is_compressed(NATIONAL_DAY_EVE, created)
    assert not rules.is_compressed(NATIONAL_DAY_EVE, local(2026, 8, 31, 12, 0))


def test_act04_created_on_the_day_itself_is_due_by_the_start_never_after():
    t = _timeline(created_at=local(2026, 9, 30, 9, 0))
    assert t[MilestoneCode.SECURITY_PLAN].due == local(2026, 9, 30, 19, 0)
    assert t[MilestoneCode.SECURITY_PLAN].compressed
    assert not t[MilestoneCode.SUMMARY].compressed


def test_act04_created_well_ahead_nothing_is_compressed():
    assert not any(m.compressed for m in _timeline(created_at=local(2026, 6, 1)).values())


DUE = local(2026, 9, 20, 23, 59, 59)


@pytest.mark.parametrize(("done_at", "now", "state"), [
    (None, DUE - timedelta(days=4), MilestoneState.PENDING),
    (None, DUE - timedelta(days=3), MilestoneState.DUE_SOON),
    (None, DUE, MilestoneState.DUE_SOON),
    (None, DUE + SECOND, MilestoneState.OVERDUE),
    (DUE, DUE + timedelta(days=9), MilestoneState.DONE),
    (DUE + SECOND, DUE + timedelta(days=9), MilestoneState.DONE_LATE),
])
def test_act05_milestone_state(done_at, now, state):
    assert rules.milestone_state(DUE, done_at, now) is state


# ---------------------------------------------------------------------------- ACT-12 ready for the day


def test_act12_ready_needs_both_safety_plans():
    rules.check_ready_for_day("scheduled", security_plan_done_at=local(2026, 9, 25),
                              facility_check_done_at=local(2026, 9, 26))


@pytest.mark.parametrize(("security", "facility", "field"), [
    (None, local(2026, 9, 26), "security_plan"),
    (local(2026, 9, 25), None, "facility_check"),
    (None, None, "security_plan"),
])
def test_act12_not_ready_while_a_safety_plan_is_missing(security, facility, field):
    with pytest.raises(RuleViolation) as err:
        rules.check_ready_for_day("scheduled", security_plan_done_at=security, facility_check_done_at=facility)
    assert err.value.field == field


@pytest.mark.parametrize(("current", "target"), [
    ("scheduled", "ready"), ("scheduled", "cancelled"), ("ready", "held"),
    ("ready", "cancelled"), ("held", "summarised"),
])
def test_act12_activity_lifecycle_allows_each_step(current, target):
    rules.check_activity_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("scheduled", "held"), ("held", "cancelled"), ("summarised", "held"), ("cancelled", "ready"),
])
def test_act12_activity_lifecycle_refuses_skips(current, target):
    with pytest.raises(RuleViolation, match="cannot become"):
        rules.check_activity_transition(current, target)


def test_act12_a_held_activity_cannot_be_marked_ready_again():
    with pytest.raises(RuleViolation):
        rules.check_ready_for_day(ActivityStatus.HELD, security_plan_done_at=local(2026, 9, 25),
                                  facility_check_done_at=local(2026, 9, 26))


# ---------------------------------------------------------------------------- ACT-16 RSVP

START = local(2026, 9, 30, 19, 0)


@pytest.mark.parametrize("heads", [1, 4, rules.MAX_HEAD_COUNT])
def test_act16_rsvp_head_count_from_1_to_20(heads):
    assert rules.check_rsvp(heads, START, START - SECOND) == heads


@pytest.mark.parametrize("heads", [0, -1, rules.MAX_HEAD_COUNT + 1, None, True, "3"])
def test_act16_rsvp_head_count_out_of_range_is_refused(heads):
    with pytest.raises(RuleViolation) as err:
        rules.check_rsvp(heads, START, START - timedelta(days=1))
    assert err.value.field == "head_count"


def test_act16_rsvp_refused_from_the_start():
    with pytest.raises(RuleViolation, match="started"):
        rules.check_rsvp(2, START, START)
    with pytest.raises(RuleViolation):
        rules.check_rsvp_open(START, START + timedelta(hours=1))
    rules.check_rsvp_open(START, START - SECOND)


def test_act16_one_rsvp_per_unit():
    assert rules.rsvp_key(7, 101) == rules.rsvp_key(7, 101) != rules.rsvp_key(7, 102)
    assert rules.rsvp_key(7, 101) != rules.rsvp_key(8, 101)


def test_act16_a_later_reply_replaces_the_units_earlier_one_and_none_cancels():
    totals = rules.rsvp_totals([(101, 2), (102, 3), (101, 4), (103, 1), (103, None)])
    assert totals == RsvpTotals(units=2, heads=7)
    assert rules.rsvp_totals([]) == RsvpTotals(0, 0)


# ---------------------------------------------------------------------------- ACT-01 survey

OPTIONS = ("亲子活动", "文艺演出", "体育比赛")


def test_act01_survey_opens_then_closes():
    rules.check_survey_transition("draft", "open")
    rules.check_survey_transition("open", "closed")
    for current, target in [("draft", "closed"), ("closed", "open"), ("open", "draft")]:
        with pytest.raises(RuleViolation):
            rules.check_survey_transition(current, target)


def test_act01_survey_options_are_at_least_two_distinct():
    assert rules.check_survey_options([" 亲子活动 ", "文艺演出"]) == ("亲子活动", "文艺演出")
    with pytest.raises(RuleViolation) as err:
        rules.check_survey_options(["亲子活动"])
    assert err.value.field == "options"
    with pytest.raises(RuleViolation, match="only once"):
        rules.check_survey_options(["亲子活动", "亲子活动"])
    with pytest.raises(RuleViolation) as err:
        rules.check_survey_options(["亲子活动", " "])
    assert err.value.field == "options-1"


def test_act01_an_answer_while_open_returns_choices_in_option_order():
    assert rules.check_survey_answer("open", OPTIONS, ["体育比赛", "亲子活动"], unit_already_answered=False) == (
        "亲子活动", "体育比赛")


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_act01_answers_only_while_the_survey_is_open(status):
    with pytest.raises(RuleViolation, match="not open"):
        rules.check_survey_answer(status, OPTIONS, ["亲子活动"], unit_already_answered=False)


def test_act01_one_answer_per_unit_per_survey_year():
    with pytest.raises(RuleViolation, match="already answered"):
        rules.check_survey_answer("open", OPTIONS, ["亲子活动"], unit_already_answered=True)
    assert rules.survey_answer_key(1, 2026, 101) != rules.survey_answer_key(1, 2027, 101)
    assert rules.survey_answer_key(1, 2026, 101) != rules.survey_answer_key(1, 2026, 102)


@pytest.mark.parametrize("chosen", [[], ["烟花晚会"]])
def test_act01_an_answer_chooses_from_the_options(chosen):
    with pytest.raises(RuleViolation) as err:
        rules.check_survey_answer("open", OPTIONS, chosen, unit_already_answered=False)
    assert err.value.field == "choices"


def test_act01_survey_results_count_households_per_option():
    answers = [["亲子活动", "体育比赛"], ["亲子活动"], ["亲子活动", "亲子活动"], ["已删除的选项"]]
    assert rules.survey_results(OPTIONS, answers) == {"亲子活动": 3, "文艺演出": 0, "体育比赛": 1}
    assert list(rules.survey_results(OPTIONS, [])) == list(OPTIONS)


# ---------------------------------------------------------------------------- ACT-15 summary


def test_act15_summary_sets_costs_against_the_budget():
    summary = rules.check_summary(
        attendance=230, went_well=" 秩序良好 ", shortcomings=" 音响不足 ",
        cost_lines=[MoneyLine("奖品", 160_000), MoneyLine("物料", 90_000)], budget_fen=230_050,
        rsvps=RsvpTotals(80, 210),
    )
    assert (summary.cost_fen, summary.budget_fen, summary.difference_fen) == (250_000, 230_050, 19_950)
    assert (summary.went_well, summary.shortcomings) == ("秩序良好", "音响不足")
    assert (summary.rsvp_units, summary.rsvp_heads) == (80, 210)


def test_act15_under_budget_is_a_negative_difference_and_went_well_is_optional():
    summary = rules.check_summary(attendance=0, went_well=None, shortcomings="天气原因到场人少",
                                  cost_lines=[], budget_fen=10_000)
    assert summary.difference_fen == -10_000 and summary.went_well is None
    assert (summary.rsvp_units, summary.rsvp_heads) == (0, 0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"attendance": -1}, "attendance"),
    ({"attendance": None}, "attendance"),
    ({"attendance": 3.5}, "attendance"),
    ({"shortcomings": "  "}, "shortcomings"),
    ({"cost_lines": [MoneyLine("奖品", -5)]}, "cost_lines-0-amount_fen"),
])
def test_act15_summary_refuses_bad_values(kwargs, field):
    values = {"attendance": 10, "went_well": "", "shortcomings": "签到慢", "cost_lines": [], "budget_fen": 0}
    values.update(kwargs)
    with pytest.raises(RuleViolation) as err:
        rules.check_summary(**values)
    assert err.value.field == field
