"""Rules of community cultural activities 社区文化活动 (篇1, ACT-01…16). Pure: standard
library only; time and the holiday calendar are parameters.

The year's work::

    survey (ACT-01)   draft ──open──▶ open ──close──▶ closed       one answer per unit and year
    annual plan       draft ──submit (publicist, by 30 Dec of the year before)──▶ submitted
    (ACT-01…03, 14)     ▲                     │ PM confirms feasibility and budget (§4.2.1)
                        │ PM returns ◀────────┤
                        │ (reasons)           ▼
                        │               pm_confirmed ──VP approves (content healthy and
                        └── VP returns ◀──────┤         lawful confirmed, ACT-14)──▶ approved
                            (reasons)

Each activity of the approved plan gets a detailed organisation plan and purchase list
(ACT-04) that goes through the same approval (by the CS supervisor, with the host named,
ACT-10), and a timeline generated from its date (ACT-04…09, 12, 15)::

    T−30 detailed plan ─ T−25 PM feasibility meeting and review ─ T−20 VP approval
    ─ T−10 preparation meeting ─ T−7 poster, households (important only), checklist
    ─ T−4 security crowd-flow/evacuation plan, maintenance facility check/emergency plan
    ─ T−3…T−2 rehearsal, day roster ─ T the day ─ T+7 summary

Activity life::

    scheduled ──ready (both safety plans done, ACT-12)──▶ ready ──▶ held ──summary──▶ summarised
        └──────────────┴──▶ cancelled

All days are Asia/Shanghai calendar days (webapp.core.clock); a due "day" ends 23:59:59
local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from webapp.core.clock import LOCAL_TZ, end_of_day, local_date, local_midnight, to_local
from webapp.core.rulekit import N_, RuleViolation, clean_text

#: free text limits (characters)
TEXT_LIMIT = 2000
NAME_LIMIT = 200
REASON_LIMIT = 500

# ---------------------------------------------------------------------------- holidays


class Festival(StrEnum):
    """The public holidays of mainland China, as the State Council's schedule names them."""

    NEW_YEARS_DAY = "new_years_day"  # 元旦
    SPRING_FESTIVAL = "spring_festival"  # 春节
    TOMB_SWEEPING_DAY = "tomb_sweeping_day"  # 清明
    LABOUR_DAY = "labour_day"  # 劳动节
    DRAGON_BOAT_FESTIVAL = "dragon_boat_festival"  # 端午
    MID_AUTUMN_FESTIVAL = "mid_autumn_festival"  # 中秋
    NATIONAL_DAY = "national_day"  # 国庆节
    OTHER = "other"  # a one-off holiday (e.g. the 2015 anniversary day)


FESTIVAL_LABELS: dict[Festival, str] = {
    Festival.NEW_YEARS_DAY: N_("New Year's Day"),
    Festival.SPRING_FESTIVAL: N_("Spring Festival"),
    Festival.TOMB_SWEEPING_DAY: N_("Tomb-sweeping Day"),
    Festival.LABOUR_DAY: N_("Labour Day"),
    Festival.DRAGON_BOAT_FESTIVAL: N_("Dragon Boat Festival"),
    Festival.MID_AUTUMN_FESTIVAL: N_("Mid-Autumn Festival"),
    Festival.NATIONAL_DAY: N_("National Day"),
    Festival.OTHER: N_("Public holiday"),
}

#: ACT-11, §4.5.2 "重大节日来临前两天". 重大节日 are the great festivals, not every day off:
#: 春节 and 国庆 are the two long breaks of the year (seven days and more), and 中秋 is the
#: family-reunion festival that the SOP's purpose (1.0 "营造温馨的家文化氛围") speaks to most
#: directly — the three a community celebrates (迎新春, 中秋游园, 庆国庆). 元旦, 劳动节 and
#: 端午 are short breaks; 清明 is a day of mourning, no occasion for a festive gathering.
MAJOR_FESTIVALS = frozenset({Festival.SPRING_FESTIVAL, Festival.MID_AUTUMN_FESTIVAL, Festival.NATIONAL_DAY})
#: §4.5.2 "前两天": the two days before the first day of the holiday period
DAYS_BEFORE_MAJOR_HOLIDAY = 2


class HolidayYearUnknown(RuleViolation):
    """The calendar has no schedule for a year (the State Council publishes next year's in
    November or December; the package knows only the years before its release)."""

    def __init__(self, year: int, field: str | None = "date_reason"):
        self.year = year
        super().__init__(
            N_("The holiday schedule for %(year)s is not yet known; an administrator can add it. "
               "Until then, give a reason for this date."),
            field=field,
            year=year,
        )


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays and make-up working days (调休) of the years it knows, built by the
    caller (webapp.activities.holidays: the package, merged with the admin's table).

    `holidays`: every rest day of a holiday period, weekends inside it included, with its
    festival; `workdays`: weekend days people work to make up for a holiday."""

    years: frozenset[int]
    holidays: Mapping[date, Festival] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()

    def __post_init__(self):
        stray = {d.year for d in (*self.holidays, *self.workdays)} - self.years
        if stray:
            raise ValueError(f"dates outside the calendar's years: {sorted(stray)}")
        both = set(self.holidays) & self.workdays
        if both:
            raise ValueError(f"both holiday and working day: {sorted(both)}")

    def knows(self, day: date) -> bool:
        return day.year in self.years

    def check_known(self, day: date, field: str | None = "date_reason") -> None:
        if not self.knows(day):
            raise HolidayYearUnknown(day.year, field=field)

    def festival(self, day: date) -> Festival | None:
        """The holiday `day` is a rest day of, or None (HolidayYearUnknown if unknown)."""
        self.check_known(day)
        return self.holidays.get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """调休: a Saturday or Sunday people work (HolidayYearUnknown if unknown)."""
        self.check_known(day)
        return day in self.workdays

    def period_starting(self, day: date) -> frozenset[Festival]:
        """The festivals of the holiday period whose first day is `day`, or empty. A period
        is a run of consecutive rest days (2025: 国庆 and 中秋 share 1–8 October)."""
        self.check_known(day)
        self.check_known(day - timedelta(days=1))
        if day not in self.holidays or day - timedelta(days=1) in self.holidays:
            return frozenset()
        festivals = set()
        current = day
        while current in self.holidays:
            festivals.add(self.holidays[current])
            current += timedelta(days=1)
        return frozenset(festivals)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


# ---------------------------------------------------------------------------- ACT-11 the date


class DateBasis(StrEnum):
    WEEKEND = "weekend"  # a Saturday or Sunday owners have free
    BEFORE_MAJOR_HOLIDAY = "before_major_holiday"  # one of the two days before 春节/中秋/国庆
    REASON = "reason"  # any other day, with the planner's reason


@dataclass(frozen=True)
class DateVerdict:
    basis: DateBasis
    #: BEFORE_MAJOR_HOLIDAY: the festival(s) the holiday period celebrates
    festivals: frozenset[Festival] = frozenset()
    #: the planner's reason, trimmed (kept even when the date needs none)
    reason: str | None = None
    #: a weekend of a year whose schedule is not yet known: it may still turn out to be a
    #: make-up working day once the State Council publishes the schedule
    provisional: bool = False


def major_holiday_ahead(day: date, calendar: HolidayCalendar) -> frozenset[Festival]:
    """ACT-11: the festivals of a major holiday period starting one or two days after
    `day`, or empty. HolidayYearUnknown when a day this needs lies in an unknown year."""
    for ahead in range(1, DAYS_BEFORE_MAJOR_HOLIDAY + 1):
        festivals = calendar.period_starting(day + timedelta(days=ahead))
        if festivals & MAJOR_FESTIVALS:
            return festivals
    return frozenset()


def check_activity_date(day: date, calendar: HolidayCalendar, reason: str | None = None) -> DateVerdict:
    """ACT-11 (§4.5.2 "社区文化活动举办时间一般安排在周六、日或重大节日来临前两天"):

    * a Saturday or Sunday — unless it is a make-up working day (调休): the SOP picks the
      weekend because owners are free then, and on a 调休 weekend they are at work;
    * one of the two days before the first day of a major holiday period (MAJOR_FESTIVALS),
      whatever the weekday, even a 调休 Saturday (2026-02-14 before 春节): the festive eve
      is the occasion, and an evening activity suits a working day. The holiday itself is
      not "来临前": during the long breaks many owners travel or go home;
    * any other day with a reason (field ``date_reason``; "一般" allows exceptions).

    A year the calendar does not know: a weekend is still allowed (provisional: its 调休
    are not yet published); the holiday rule cannot be decided, so without a reason the
    date is refused with HolidayYearUnknown rather than guessed."""
    reason = clean_text(reason, "date_reason", None, REASON_LIMIT)
    if is_weekend(day):
        if not calendar.knows(day):
            return DateVerdict(DateBasis.WEEKEND, reason=reason, provisional=True)
        if not calendar.is_makeup_workday(day):
            return DateVerdict(DateBasis.WEEKEND, reason=reason)
    try:
        festivals = major_holiday_ahead(day, calendar)
    except HolidayYearUnknown:
        if reason:
            return DateVerdict(DateBasis.REASON, reason=reason)
        raise
    if festivals:
        return DateVerdict(DateBasis.BEFORE_MAJOR_HOLIDAY, festivals=festivals, reason=reason)
    if reason:
        return DateVerdict(DateBasis.REASON, reason=reason)
    raise RuleViolation(
        N_("Activities are held on a Saturday or Sunday, or on one of the two days before a "
           "major holiday; give a reason for this date."),
        field="date_reason",
    )


# ---------------------------------------------------------------------------- ACT-13 the times

#: §4.5.6 "文化活动结束时间一般在晚上10:00以前停止,以不影响项目居民正常休息为原则"
LATEST_END = time(22, 0)


def activity_start(day: date, start_time: time) -> datetime:
    """The activity's start as UTC, from its local day and time."""
    return datetime.combine(day, start_time, tzinfo=LOCAL_TZ).astimezone(UTC)


def check_times(start: datetime, end: datetime) -> None:
    """ACT-13: the end after the start, on the same local day, by 22:00 local time
    (22:00:00 is allowed, 22:00:01 is not): the residents' rest comes first."""
    if end <= start:
        raise RuleViolation(N_("The end must be after the start."), field="end")
    if local_date(start) != local_date(end):
        raise RuleViolation(N_("An activity starts and ends on the same day."), field="end")
    if to_local(end).time() > LATEST_END:
        raise RuleViolation(N_("Activities end by 22:00 so that residents can rest."), field="end")


# ---------------------------------------------------------------------------- ACT-01 plan deadline


def plan_due(year: int) -> datetime:
    """ACT-01 (§4.1.1 "于每年的12月30日前"): the plan for `year` is due by the end of
    30 December of the year before, local time."""
    return end_of_day(local_midnight(date(year - 1, 12, 30)))


def plan_is_late(year: int, submitted_at: datetime | None, now: datetime) -> bool:
    """Submitted after the deadline, or still not submitted once it has passed."""
    due = plan_due(year)
    if submitted_at is not None:
        return submitted_at > due
    return now > due


# ---------------------------------------------------------------------------- ACT-02/04/14 approval


class PlanKind(StrEnum):
    ANNUAL = "annual"  # 社区文化活动计划 (ACT-01…03)
    DETAILED = "detailed"  # one activity's 详细活动组织方案 and purchase list (ACT-04)


class PlanStatus(StrEnum):
    DRAFT = "draft"  # being written, or returned with reasons
    SUBMITTED = "submitted"  # with the PM
    PM_CONFIRMED = "pm_confirmed"  # feasible, budget reviewed (§4.2.1); with the VP
    APPROVED = "approved"  # the VP approved (§3.1): CS organises it (§4.3)


class PlanAction(StrEnum):
    SUBMIT = "submit"
    PM_CONFIRM = "pm_confirm"
    PM_RETURN = "pm_return"
    VP_APPROVE = "vp_approve"
    VP_RETURN = "vp_return"


P = PlanStatus
A = PlanAction

#: action → (the status it starts from, the status it leads to)
PLAN_ACTIONS: dict[PlanAction, tuple[PlanStatus, PlanStatus]] = {
    A.SUBMIT: (P.DRAFT, P.SUBMITTED),
    A.PM_CONFIRM: (P.SUBMITTED, P.PM_CONFIRMED),
    A.PM_RETURN: (P.SUBMITTED, P.DRAFT),
    A.VP_APPROVE: (P.PM_CONFIRMED, P.APPROVED),
    A.VP_RETURN: (P.PM_CONFIRMED, P.DRAFT),
}

PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.DRAFT: frozenset({P.SUBMITTED}),
    P.SUBMITTED: frozenset({P.PM_CONFIRMED, P.DRAFT}),
    P.PM_CONFIRMED: frozenset({P.APPROVED, P.DRAFT}),
    P.APPROVED: frozenset(),
}

RETURN_ACTIONS = frozenset({A.PM_RETURN, A.VP_RETURN})

#: who acts (webapp.org.rules.Role values): the annual plan is drafted by the publicist
#: (§4.1.1 宣传员), the detailed plan by the CS supervisor (§4.4.1 项目客服主管); the PM
#: confirms (§4.2, 3.2), the VP approves (§3.1 分管副总经理)
PLAN_ACTION_ROLES: dict[PlanKind, dict[PlanAction, str]] = {
    PlanKind.ANNUAL: {A.SUBMIT: "publicist", A.PM_CONFIRM: "pm", A.PM_RETURN: "pm",
                      A.VP_APPROVE: "vp", A.VP_RETURN: "vp"},
    PlanKind.DETAILED: {A.SUBMIT: "cs_supervisor", A.PM_CONFIRM: "pm", A.PM_RETURN: "pm",
                        A.VP_APPROVE: "vp", A.VP_RETURN: "vp"},
}

del P, A


def check_plan_transition(current: str, target: str) -> None:
    if PlanStatus(target) not in PLAN_TRANSITIONS[PlanStatus(current)]:
        raise RuleViolation(
            N_("A plan that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def plan_action_role(kind: str, action: str) -> str:
    return PLAN_ACTION_ROLES[PlanKind(kind)][PlanAction(action)]


def check_plan_action(
    kind: str,
    status: str,
    action: str,
    *,
    reasons: str | None = None,
    content_confirmed: bool = False,
    host: str | None = None,
) -> PlanStatus:
    """ACT-02/04/10/14: one step of a plan's approval; returns the new status.

    * a return (PM or VP) needs the reasons (ACT-02 "Returned plans come back with reasons");
    * the VP's approval needs the confirmation that the content is healthy, positive and
      lawful (ACT-14, §4.5.7 "内容健康、积极、合法");
    * a detailed plan names its host before it goes forward and when it is approved (ACT-10,
      §4.5.1 "必须选定有经验、活动能力强的主持人")."""
    act = PlanAction(action)
    source, target = PLAN_ACTIONS[act]
    if PlanStatus(status) is not source:
        raise RuleViolation(
            N_("A plan that is %(current)s cannot become %(target)s."), current=status, target=target.value
        )
    if act in RETURN_ACTIONS:
        clean_text(reasons, "reasons", N_("Give the reasons for returning the plan."), TEXT_LIMIT)
        return target
    if PlanKind(kind) is PlanKind.DETAILED:
        clean_text(host, "host", N_("Name an experienced host before the plan is approved."), NAME_LIMIT)
    if act is PlanAction.VP_APPROVE and not content_confirmed:
        raise RuleViolation(
            N_("Confirm that the content is healthy, positive and lawful."), field="content_confirmed"
        )
    return target


# ---------------------------------------------------------------------------- ACT-03 plan content


@dataclass(frozen=True)
class PlannedActivity:
    """§4.3.1 b: an activity with its method (活动方式), time (活动时间) and place (活动地点)."""

    name: str
    method: str
    day: date | None
    place: str
    date_reason: str | None = None


@dataclass(frozen=True)
class MoneyLine:
    """A budget or cost line: what for, and the amount in integer fen."""

    item: str
    amount_fen: int


@dataclass(frozen=True)
class PlanValues:
    purpose: str | None  # a) 目的
    activities: Sequence[PlannedActivity]  # b) 项目与活动方式
    facilities: str | None  # c) 设施的装备、配备情况
    budget_lines: Sequence[MoneyLine]  # d) 经费的预算
    organisation: str | None  # e) 组织及实施方案


@dataclass(frozen=True)
class CheckedPlan:
    values: PlanValues
    #: per activity, why its date is acceptable (ACT-11)
    date_verdicts: tuple[DateVerdict, ...]
    total_fen: int


def check_money_lines(lines: Sequence[MoneyLine], prefix: str, required_message: str | None) -> tuple[MoneyLine, ...]:
    """Each line names its item and a whole, non-negative number of fen. Fields are named
    ``{prefix}-{i}-item`` / ``{prefix}-{i}-amount_fen`` (WTForms FieldList style)."""
    if not lines and required_message is not None:
        raise RuleViolation(required_message, field=prefix)
    cleaned = []
    for i, line in enumerate(lines):
        item = clean_text(line.item, f"{prefix}-{i}-item", N_("Say what the amount is for."), NAME_LIMIT)
        amount = line.amount_fen
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise RuleViolation(N_("Enter the amount in yuan and fen."), field=f"{prefix}-{i}-amount_fen")
        if amount < 0:
            raise RuleViolation(N_("An amount cannot be negative."), field=f"{prefix}-{i}-amount_fen")
        cleaned.append(MoneyLine(item, amount))
    return tuple(cleaned)


def check_plan(values: PlanValues, year: int, calendar: HolidayCalendar) -> CheckedPlan:
    """ACT-03 (§4.3.1 a–e): purpose; at least one activity with method, date in the plan's
    year and place (its date checked by ACT-11); facilities and equipment; at least one
    budget line; organisation and implementation. Returns the trimmed values, each
    activity's date verdict and the budget total."""
    purpose = clean_text(values.purpose, "purpose", N_("State the purpose of the activities."), TEXT_LIMIT)
    if not values.activities:
        raise RuleViolation(N_("Plan at least one activity."), field="activities")
    activities, verdicts = [], []
    for i, activity in enumerate(values.activities):
        prefix = f"activities-{i}"
        name = clean_text(activity.name, f"{prefix}-name", N_("Name the activity."), NAME_LIMIT)
        method = clean_text(activity.method, f"{prefix}-method", N_("Describe how the activity is run."), TEXT_LIMIT)
        if activity.day is None:
            raise RuleViolation(N_("Choose the date."), field=f"{prefix}-day")
        if activity.day.year != year:
            raise RuleViolation(N_("The date must be in %(year)s."), field=f"{prefix}-day", year=year)
        place = clean_text(activity.place, f"{prefix}-place", N_("Say where the activity takes place."), NAME_LIMIT)
        try:
            verdict = check_activity_date(activity.day, calendar, activity.date_reason)
        except RuleViolation as violation:
            violation.field = f"{prefix}-date_reason"
            raise
        verdicts.append(verdict)
        activities.append(PlannedActivity(name, method, activity.day, place, verdict.reason))
    facilities = clean_text(values.facilities, "facilities",
                            N_("List the facilities and equipment needed."), TEXT_LIMIT)
    lines = check_money_lines(values.budget_lines, "budget_lines", N_("Add at least one budget line."))
    organisation = clean_text(values.organisation, "organisation",
                              N_("Describe how the activities are organised and carried out."), TEXT_LIMIT)
    cleaned = PlanValues(purpose, tuple(activities), facilities, lines, organisation)
    return CheckedPlan(cleaned, tuple(verdicts), sum(line.amount_fen for line in lines))


# ---------------------------------------------------------------------------- ACT-04…09, 12, 15 timeline


class MilestoneCode(StrEnum):
    DETAILED_PLAN = "detailed_plan"  # ACT-04 详细活动组织方案 + 物品采购计划
    FEASIBILITY_MEETING = "feasibility_meeting"  # ACT-05 §4.4.2
    PM_APPROVAL = "pm_approval"  # ACT-04 the PM approves the detailed plan
    VP_APPROVAL = "vp_approval"  # ACT-04/14 the VP approves it, content confirmed
    PREPARATION_MEETING = "preparation_meeting"  # ACT-05 §4.4.3, minutes kept
    POSTER = "poster"  # ACT-06 §4.4.4
    HOUSEHOLD_NOTICE = "household_notice"  # ACT-06 important activities only
    PREPARATION_CHECKLIST = "preparation_checklist"  # ACT-07 §4.4.5
    SECURITY_PLAN = "security_plan"  # ACT-12 §4.5.3 人流组织与疏散方案
    FACILITY_CHECK = "facility_check"  # ACT-12 §4.5.4 设施设备 + 应急方案
    REHEARSAL = "rehearsal"  # ACT-08 §4.4.6
    DAY_ROSTER = "day_roster"  # ACT-09 §4.4.7 班次, staff on site
    SUMMARY = "summary"  # ACT-15 §4.6


#: ACT-07 (§4.4.5 a–d): the preparation checklist
CHECKLIST_ITEMS = ("venue", "prizes_and_supplies", "staff_assignments", "facilities")


@dataclass(frozen=True)
class Milestone:
    code: MilestoneCode
    rule: str  # "ACT-04" …
    #: a webapp.org.rules.Role value
    role: str
    #: for "dept_supervisor": the webapp.org.rules.DepartmentKind value (security, maintenance)
    department: str | None
    due: datetime
    #: the earliest moment it makes sense (the rehearsal not before T−3, the summary not
    #: before the activity), or None
    earliest: datetime | None = None
    #: the activity was created too late for the usual due: due on the creation day instead
    compressed: bool = False


def _day_end(day: date) -> datetime:
    return end_of_day(local_midnight(day))


# (code, rule, role, department, days relative to the day T whose end is the due,
#  days relative to T whose start is the earliest moment or None)
#
# Dues the SOP does not fix, and why:
# * feasibility meeting and PM approval, T−25: §4.4.2 puts the PM's meeting on the detailed
#   plan (feasibility, prizes, funding) before the plan goes up to the VP; five days from
#   the T−30 plan to gather the department supervisors.
# * VP approval, T−20: the approved purchase list leaves ten days to buy prizes and supplies
#   before the T−10 preparation meeting and the T−7 checklist (§4.4.5 b) need them.
# * safety plans, T−4: §4.5.3/4.5.4 want them before the day; due when the rehearsal
#   window opens (T−3), so the rehearsal (§4.4.6 "确保…无漏项") walks through the crowd
#   flow, the evacuation and the emergency measures.
# * day roster, T−2: the shifts of the whole CS centre change for the day (§4.4.7); due at
#   the end of the rehearsal window, so staff know their shift at least a full day ahead.
# * summary, T+7: §4.6.1 says "及时"; the summary sets costs against the budget, which
#   needs the last receipts for prizes and supplies — a week, and no longer.
_TIMELINE: tuple[tuple[MilestoneCode, str, str, str | None, int, int | None], ...] = (
    (MilestoneCode.DETAILED_PLAN, "ACT-04", "cs_supervisor", None, -30, None),
    (MilestoneCode.FEASIBILITY_MEETING, "ACT-05", "pm", None, -25, None),
    (MilestoneCode.PM_APPROVAL, "ACT-04", "pm", None, -25, None),
    (MilestoneCode.VP_APPROVAL, "ACT-04", "vp", None, -20, None),
    (MilestoneCode.PREPARATION_MEETING, "ACT-05", "pm", None, -10, None),
    (MilestoneCode.POSTER, "ACT-06", "cs_supervisor", None, -7, None),
    (MilestoneCode.HOUSEHOLD_NOTICE, "ACT-06", "cs_supervisor", None, -7, None),
    (MilestoneCode.PREPARATION_CHECKLIST, "ACT-07", "pm_assistant", None, -7, None),
    (MilestoneCode.SECURITY_PLAN, "ACT-12", "dept_supervisor", "security", -4, None),
    (MilestoneCode.FACILITY_CHECK, "ACT-12", "dept_supervisor", "maintenance", -4, None),
    (MilestoneCode.REHEARSAL, "ACT-08", "pm", None, -2, -3),
    (MilestoneCode.DAY_ROSTER, "ACT-09", "cs_supervisor", None, -2, None),
    (MilestoneCode.SUMMARY, "ACT-15", "cs_supervisor", None, 7, None),
)

#: ACT-04: "one month before" read as 30 days (the T−30 of the detailed plan)
LEAD_DAYS = 30


def activity_timeline(
    activity_day: date, start_time: time, important: bool, *, created_at: datetime | None = None
) -> list[Milestone]:
    """ACT-04…09, 12, 15: the milestones generated from the activity's local date, in due
    order. The household notice (ACT-06) only for an important activity. The summary's
    earliest moment is the activity's start.

    `created_at`: when the activity was put on the calendar. A milestone whose usual due
    has already passed then is due at the end of the creation day (never after the
    activity starts) and flagged ``compressed`` — never silently in the past."""
    start = activity_start(activity_day, start_time)
    milestones = []
    for code, rule, role, department, due_offset, earliest_offset in _TIMELINE:
        if code is MilestoneCode.HOUSEHOLD_NOTICE and not important:
            continue
        due = _day_end(activity_day + timedelta(days=due_offset))
        if earliest_offset is not None:
            earliest = local_midnight(activity_day + timedelta(days=earliest_offset))
        elif code is MilestoneCode.SUMMARY:
            earliest = start
        else:
            earliest = None
        compressed = False
        if created_at is not None and due < created_at:
            due = max(created_at, min(end_of_day(created_at), start))
            compressed = True
        milestones.append(Milestone(code, rule, role, department, due, earliest, compressed))
    milestones.sort(key=lambda m: m.due)
    return milestones


def is_compressed(activity_day: date, created_at: datetime) -> bool:
    """Created less than LEAD_DAYS before the day: the T−30 plan is already late."""
    return local_date(created_at) > activity_day - timedelta(days=LEAD_DAYS)


class MilestoneState(StrEnum):
    PENDING = "pending"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"


#: a milestone shows as due soon this long before its due (the steps from T−10 on are
#: three days apart: the next one is always in view)
DUE_SOON = timedelta(days=3)


def milestone_state(due: datetime, done_at: datetime | None, now: datetime, soon: timedelta = DUE_SOON) -> MilestoneState:
    """Done (on time or late) once done; otherwise overdue after the due moment (at the due
    second it is still in time), due soon within `soon` of it, else pending."""
    if done_at is not None:
        return MilestoneState.DONE if done_at <= due else MilestoneState.DONE_LATE
    if now > due:
        return MilestoneState.OVERDUE
    if now >= due - soon:
        return MilestoneState.DUE_SOON
    return MilestoneState.PENDING


def check_milestone_done(earliest: datetime | None, done_at: datetime) -> None:
    """A milestone with an earliest moment is not done before it (a rehearsal at T−5 is
    no rehearsal 2–3 days before, §4.4.6; no summary before the activity)."""
    if earliest is not None and done_at < earliest:
        raise RuleViolation(N_("This cannot be done before %(earliest)s."), field="done_at",
                            earliest=to_local(earliest).strftime("%Y-%m-%d %H:%M"))


def check_checklist(done_items: Iterable[str]) -> None:
    """ACT-07: the checklist is complete when venue, prizes and supplies, staff
    assignments and facilities are all ticked."""
    done = set(done_items)
    unknown = done - set(CHECKLIST_ITEMS)
    if unknown:
        raise ValueError(f"unknown checklist items: {sorted(unknown)}")
    for item in CHECKLIST_ITEMS:
        if item not in done:
            raise RuleViolation(N_("Tick every item of the preparation checklist."), field=item)


@dataclass(frozen=True)
class RosterEntry:
    person: str
    role: str  # a webapp.org.rules.Role value
    shift_start: datetime
    shift_end: datetime


def check_roster(entries: Sequence[RosterEntry]) -> None:
    """ACT-09 (§4.4.7–4.4.8): the day's roster lists the staff on site with their shifts,
    and the PM, who is in charge in person ("项目经理必须亲自抓各项工作")."""
    if not entries:
        raise RuleViolation(N_("List the staff on site and their shifts."), field="roster")
    for i, entry in enumerate(entries):
        clean_text(entry.person, f"roster-{i}-person", N_("Name the staff member."), NAME_LIMIT)
        if entry.shift_end <= entry.shift_start:
            raise RuleViolation(N_("The shift must end after it starts."), field=f"roster-{i}-shift_end")
    if not any(entry.role == "pm" for entry in entries):
        raise RuleViolation(N_("Put the project manager on the roster: the PM is in charge on the day."), field="roster")


# ---------------------------------------------------------------------------- ACT-12 activity status


class ActivityStatus(StrEnum):
    SCHEDULED = "scheduled"  # on the timeline, being prepared
    READY = "ready"  # both safety plans done (ACT-12)
    HELD = "held"
    SUMMARISED = "summarised"  # ACT-15
    CANCELLED = "cancelled"


S = ActivityStatus
ACTIVITY_TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    S.SCHEDULED: frozenset({S.READY, S.CANCELLED}),
    S.READY: frozenset({S.HELD, S.CANCELLED}),
    S.HELD: frozenset({S.SUMMARISED}),
    S.SUMMARISED: frozenset(),
    S.CANCELLED: frozenset(),
}
del S


def check_activity_transition(current: str, target: str) -> None:
    if ActivityStatus(target) not in ACTIVITY_TRANSITIONS[ActivityStatus(current)]:
        raise RuleViolation(
            N_("An activity that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def check_ready_for_day(
    status: str, *, security_plan_done_at: datetime | None, facility_check_done_at: datetime | None
) -> None:
    """ACT-12 (§4.5.3–4.5.4): not ready while the security supervisor's crowd-flow and
    evacuation plan or the maintenance supervisor's facility check and emergency plan is
    missing."""
    check_activity_transition(status, ActivityStatus.READY)
    if security_plan_done_at is None:
        raise RuleViolation(
            N_("The security supervisor's crowd-flow and evacuation plan is still missing."), field="security_plan"
        )
    if facility_check_done_at is None:
        raise RuleViolation(
            N_("The maintenance supervisor's facility check and emergency plan is still missing."),
            field="facility_check",
        )


# ---------------------------------------------------------------------------- the household on a public page

#: the public pages (survey, RSVP) know a household by its unit and the last digits of a
#: phone number the project has on file for it: enough that a neighbour cannot answer for
#: another flat, without asking owners for anything personal
PHONE_DIGITS = 4

HOUSEHOLD_NOT_FOUND = N_("The unit and the last four digits of the phone number do not match our records; "
                         "the service centre can check them for you.")


def check_household(unit_id: int | None, phones: Iterable[str | None], digits: str | None) -> int:
    """The unit an owner typed (matched by the caller, None when no single unit reads the
    same) and the last PHONE_DIGITS digits of a phone on file for it. One message for an
    unknown unit and wrong digits: the page does not tell which units exist. Returns the
    unit's id."""
    typed = "".join(ch for ch in (digits or "") if ch.isdigit())
    if len(typed) != PHONE_DIGITS:
        raise RuleViolation(N_("Enter the last four digits of the phone number."), field="phone_digits")
    if unit_id is None:
        raise RuleViolation(HOUSEHOLD_NOT_FOUND, field="unit")
    endings = {"".join(ch for ch in (phone or "") if ch.isdigit())[-PHONE_DIGITS:] for phone in phones}
    if typed not in endings:
        raise RuleViolation(HOUSEHOLD_NOT_FOUND, field="unit")
    return unit_id


# ---------------------------------------------------------------------------- ACT-16 RSVP

#: a household with its visiting family fits; 200 typed for 2 does not (and one unit
#: cannot fill the venue's planning count alone)
MAX_HEAD_COUNT = 20


def rsvp_key(activity_id: int, unit_id: int) -> str:
    """One RSVP per unit and activity: a second answer from the unit changes the first."""
    return f"activity-rsvp:{activity_id}:{unit_id}"


def check_rsvp(head_count: int | None, starts_at: datetime, now: datetime) -> int:
    """ACT-16: 1…MAX_HEAD_COUNT people, before the activity starts. Returns the count."""
    check_rsvp_open(starts_at, now)
    if head_count is None or isinstance(head_count, bool) or not isinstance(head_count, int):
        raise RuleViolation(N_("How many people are coming?"), field="head_count")
    if not 1 <= head_count <= MAX_HEAD_COUNT:
        raise RuleViolation(N_("Between 1 and %(limit)s people per household."), field="head_count",
                            limit=MAX_HEAD_COUNT)
    return head_count


def check_rsvp_open(starts_at: datetime, now: datetime) -> None:
    """An RSVP is made, changed or cancelled until the activity starts, not after."""
    if now >= starts_at:
        raise RuleViolation(N_("The activity has started: replies can no longer be changed."))


@dataclass(frozen=True)
class RsvpTotals:
    units: int
    heads: int


def rsvp_totals(rsvps: Iterable[tuple[int, int | None]]) -> RsvpTotals:
    """ACT-16 → ACT-15: (unit, head count) in the order given, a later reply of the same
    unit replacing the earlier one, None meaning cancelled."""
    latest: dict[int, int | None] = {}
    for unit_id, heads in rsvps:
        latest[unit_id] = heads
    counts = [heads for heads in latest.values() if heads]
    return RsvpTotals(len(counts), sum(counts))


# ---------------------------------------------------------------------------- ACT-01 survey


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


SURVEY_TRANSITIONS: dict[SurveyStatus, frozenset[SurveyStatus]] = {
    SurveyStatus.DRAFT: frozenset({SurveyStatus.OPEN}),
    SurveyStatus.OPEN: frozenset({SurveyStatus.CLOSED}),
    SurveyStatus.CLOSED: frozenset(),
}


def check_survey_transition(current: str, target: str) -> None:
    if SurveyStatus(target) not in SURVEY_TRANSITIONS[SurveyStatus(current)]:
        raise RuleViolation(
            N_("A survey that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def check_survey_options(options: Sequence[str]) -> tuple[str, ...]:
    """At least two distinct, non-empty options to choose from."""
    cleaned = [clean_text(o, f"options-{i}", N_("Write the option."), NAME_LIMIT) for i, o in enumerate(options)]
    if len(cleaned) < 2:
        raise RuleViolation(N_("Offer at least two options."), field="options")
    if len(set(cleaned)) != len(cleaned):
        raise RuleViolation(N_("Offer each option only once."), field="options")
    return tuple(cleaned)


def survey_answer_key(project_id: int, year: int, unit_id: int) -> str:
    """ACT-01: one answer per unit per survey year."""
    return f"activity-survey:{project_id}:{year}:{unit_id}"


def check_survey_answer(
    status: str, options: Sequence[str], chosen: Iterable[str], *, unit_already_answered: bool
) -> tuple[str, ...]:
    """ACT-01: answers only while the survey is open, one per unit, at least one of the
    offered options. Returns the choices in the survey's option order."""
    if SurveyStatus(status) is not SurveyStatus.OPEN:
        raise RuleViolation(N_("The survey is not open."))
    if unit_already_answered:
        raise RuleViolation(N_("Your household has already answered this survey."))
    picked = set(chosen)
    if not picked:
        raise RuleViolation(N_("Choose at least one option."), field="choices")
    if picked - set(options):
        raise RuleViolation(N_("Choose from the options offered."), field="choices")
    return tuple(o for o in options if o in picked)


def survey_results(options: Sequence[str], answers: Iterable[Iterable[str]]) -> dict[str, int]:
    """ACT-01: how many households chose each option, in option order, zeros included;
    choices no longer offered are not counted."""
    counts = dict.fromkeys(options, 0)
    for answer in answers:
        for option in set(answer):
            if option in counts:
                counts[option] += 1
    return counts


# ---------------------------------------------------------------------------- ACT-15 summary


@dataclass(frozen=True)
class ActivitySummary:
    """The row of 社区文化活动组织一览表."""

    attendance: int
    went_well: str | None
    shortcomings: str
    cost_lines: tuple[MoneyLine, ...]
    cost_fen: int
    budget_fen: int
    #: cost − budget: positive is over budget, negative under
    difference_fen: int
    rsvp_units: int
    rsvp_heads: int


def check_summary(
    *,
    attendance: int | None,
    went_well: str | None,
    shortcomings: str | None,
    cost_lines: Sequence[MoneyLine],
    budget_fen: int,
    rsvps: RsvpTotals | None = None,
) -> ActivitySummary:
    """ACT-15 (§4.6.1 "找出存在的缺点与不足之处"): the attendance (a whole number, not
    negative), what went well (optional), the shortcomings found (required: every
    activity has something to do better), the costs in fen set against the budget."""
    if attendance is None or isinstance(attendance, bool) or not isinstance(attendance, int):
        raise RuleViolation(N_("Enter how many people attended."), field="attendance")
    if attendance < 0:
        raise RuleViolation(N_("Attendance cannot be negative."), field="attendance")
    well = clean_text(went_well, "went_well", None, TEXT_LIMIT)
    short = clean_text(shortcomings, "shortcomings", N_("Write down the shortcomings found."), TEXT_LIMIT)
    lines = check_money_lines(cost_lines, "cost_lines", None)
    cost = sum(line.amount_fen for line in lines)
    rsvps = rsvps or RsvpTotals(0, 0)
    return ActivitySummary(attendance, well, short, lines, cost, budget_fen, cost - budget_fen,
                           rsvps.units, rsvps.heads)


# ============================================================================ helper A: holiday table and survey
# (ACT-11 the administrators' rows, ACT-01 the survey's year and public address)

#: what an administrator types for a row's kind (values are webapp.activities.holidays.DayKind's)
HOLIDAY_KIND_WORDS: dict[str, str] = {
    "休": "holiday",
    "假": "holiday",
    "holiday": "holiday",
    "rest": "holiday",
    "班": "workday",
    "workday": "workday",
    "work": "workday",
}
#: the festival name a row keeps (models.HolidayDay.name)
HOLIDAY_NAME_LIMIT = 40
#: a year's notice has some 30 rows; a paste longer than this is a mistake
HOLIDAY_LINES_LIMIT = 120


@dataclass(frozen=True)
class HolidayLine:
    day: date
    #: "holiday" or "workday" (holidays.DayKind)
    kind: str
    name: str | None


def parse_day(text: str | None, field: str = "day") -> date:
    """A date typed as 2027-01-01, 2027/1/1 or 2027.1.1."""
    raw = (text or "").strip()
    if not raw:
        raise RuleViolation(N_("Enter the date."), field=field)
    parts = raw.replace("/", "-").replace(".", "-").split("-")
    try:
        if len(parts) != 3 or len(parts[0]) != 4:
            raise ValueError(raw)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise RuleViolation(N_("Write the date as 2027-01-01."), field=field) from None


def check_holiday_row(day: date, kind: str | None, name: str | None, *, field_prefix: str = "") -> HolidayLine:
    """ACT-11 a row of the holiday table: a rest day with its festival named (春节, 国庆…:
    the festival decides whether the days before it are a major holiday's eve), or a make-up
    working day, which is always a Saturday or Sunday."""
    word = (kind or "").strip().lower()
    if word not in HOLIDAY_KIND_WORDS:
        raise RuleViolation(N_("Say whether it is a rest day (休) or a make-up working day (班)."),
                            field=f"{field_prefix}kind")
    resolved = HOLIDAY_KIND_WORDS[word]
    label = clean_text(name, f"{field_prefix}name", None, HOLIDAY_NAME_LIMIT)
    if resolved == "holiday" and label is None:
        raise RuleViolation(N_("Name the festival of this rest day (e.g. 春节)."), field=f"{field_prefix}name")
    if resolved == "workday" and not is_weekend(day):
        raise RuleViolation(N_("A make-up working day is a Saturday or a Sunday."), field=f"{field_prefix}day")
    return HolidayLine(day, resolved, label)


class ScheduleLineProblem(RuleViolation):
    """A bad line of a pasted schedule: its number and what is wrong with it (`problem`, a
    RuleViolation the view translates on its own)."""

    def __init__(self, line: int, problem: RuleViolation, field: str | None = "schedule"):
        self.line = line
        self.problem = problem
        super().__init__(N_("Line %(line)s: %(problem)s"), field=field, line=line, problem=str(problem))


def parse_holiday_schedule(text: str | None, field: str = "schedule") -> tuple[HolidayLine, ...]:
    """ACT-11 a year's schedule pasted as lines "2027-01-01 休 元旦", "2027-02-07 班"; blank
    lines are skipped. The first bad line is refused with its number (field `field`)."""
    lines = [(number, line.strip()) for number, line in enumerate((text or "").splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise RuleViolation(N_("Paste at least one line."), field=field)
    if len(lines) > HOLIDAY_LINES_LIMIT:
        raise RuleViolation(N_("At most %(count)s lines at a time."), field=field, count=HOLIDAY_LINES_LIMIT)
    rows: list[HolidayLine] = []
    seen: dict[date, int] = {}
    for number, line in lines:
        parts = line.replace("\u3000", " ").replace(",", " ").replace("，", " ").split(None, 2)
        try:
            day = parse_day(parts[0])
            row = check_holiday_row(day, parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
            if day in seen:
                raise RuleViolation(N_("%(day)s is already on line %(first)s."), day=day.isoformat(),
                                    first=seen[day])
        except RuleViolation as exc:
            raise ScheduleLineProblem(number, exc, field) from None
        seen[day] = number
        rows.append(row)
    return tuple(rows)


def check_survey_year(year: int | None, now: datetime) -> int:
    """ACT-01 the plan year a survey informs: this year or one of the next two (the survey
    runs in the autumn before the plan year)."""
    this_year = local_date(now).year
    if year is None or isinstance(year, bool) or not isinstance(year, int):
        raise RuleViolation(N_("Enter the plan year."), field="year")
    if not this_year <= year <= this_year + 2:
        raise RuleViolation(N_("The plan year is between %(first)s and %(last)s."), field="year",
                            first=this_year, last=this_year + 2)
    return year


def is_public_token(token: str | None) -> bool:
    """Whether a public address could be one of ours (operations.new_public_token): checked
    before any query, so junk addresses cost nothing."""
    text = token or ""
    return 16 <= len(text) <= 40 and all(ch.isalnum() or ch in "-_" for ch in text) and text.isascii()


# ---------------------------------------------------------------------------- ACT-06, 07, 09 preparation
# (helper D: the checklist, the households notified, the day's roster)


class NoticeMethod(StrEnum):
    """ACT-06: how a household was told of an important activity."""

    VISIT = "visit"  # 上门
    PHONE = "phone"  # 电话
    SLIP = "slip"  # 通知单 (in the mailbox or on the door)
    WECHAT = "wechat"  # 微信群
    SMS = "sms"  # 短信


#: free text beside a tick or a household notice (the columns' lengths)
TICK_NOTE_LIMIT = 500
NOTICE_NOTE_LIMIT = 200
DUTY_LIMIT = 200


def check_preparation_open(status: str, scheduled: bool) -> None:
    """ACT-06/07/09: an activity is prepared once it is on the timeline (its annual plan
    approved) and until it is cancelled or summarised."""
    if not scheduled:
        raise RuleViolation(N_("This activity is not on the calendar yet: its annual plan is not approved."))
    if ActivityStatus(status) is ActivityStatus.CANCELLED:
        raise RuleViolation(N_("This activity was cancelled: its preparation can no longer change."))
    if ActivityStatus(status) is ActivityStatus.SUMMARISED:
        raise RuleViolation(N_("This activity is summarised: its preparation can no longer change."))


def check_checklist_item(item: str | None) -> str:
    """One of CHECKLIST_ITEMS (§4.4.5 a–d)."""
    if item not in CHECKLIST_ITEMS:
        raise RuleViolation(N_("Choose an item of the checklist."), field="item")
    return item


def checklist_complete(done_items: Iterable[str]) -> bool:
    """Whether check_checklist passes: all four items ticked."""
    try:
        check_checklist(done_items)
    except RuleViolation:
        return False
    return True


def check_untick(milestone_done: bool) -> None:
    """ACT-07: an item can be unticked until the checklist is complete."""
    if milestone_done:
        raise RuleViolation(N_("The checklist is complete: its items can no longer be unticked."), field="item")


def check_notice(method: str | None, note: str | None, unit_count: int) -> tuple[NoticeMethod, str | None]:
    """ACT-06: at least one unit chosen, how they were told, an optional note."""
    if unit_count < 1:
        raise RuleViolation(N_("Choose the units that were notified."), field="unit_ids")
    try:
        chosen = NoticeMethod(method or "")
    except ValueError:
        raise RuleViolation(N_("Choose how the households were notified."), field="method") from None
    return chosen, clean_text(note, "note", None, NOTICE_NOTE_LIMIT)


def households_outstanding(unit_ids: Iterable[int], notified_ids: Iterable[int]) -> tuple[int, ...]:
    """ACT-06 "每家每户均通知到": the units not yet notified, in the given order (each once).
    The notice milestone is done when nothing remains."""
    notified = set(notified_ids)
    seen: set[int] = set()
    remaining = []
    for unit_id in unit_ids:
        if unit_id not in notified and unit_id not in seen:
            remaining.append(unit_id)
        seen.add(unit_id)
    return tuple(remaining)


def shift_moment(day: date, at: time) -> datetime:
    """A shift's start or end typed as a local time on the activity's day, as UTC."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(UTC)


def check_roster_entry(
    duty: str | None, shift_start: datetime | None, shift_end: datetime | None
) -> tuple[str | None, datetime, datetime]:
    """ACT-09 one line of the day's roster: the shift's start and end (the end after the
    start), an optional duty."""
    if shift_start is None:
        raise RuleViolation(N_("Enter when the shift starts."), field="shift_start")
    if shift_end is None:
        raise RuleViolation(N_("Enter when the shift ends."), field="shift_end")
    if shift_end <= shift_start:
        raise RuleViolation(N_("The shift must end after it starts."), field="shift_end")
    return clean_text(duty, "duty", None, DUTY_LIMIT), shift_start, shift_end


def check_roster_role(role: str | None, held_roles: Sequence[str]) -> str:
    """ACT-09: the role a person serves in on the day is one they hold in the project
    (none chosen: the first of `held_roles`, their main one); so the PM's place (in charge,
    §4.4.8) is only for a project manager."""
    if not held_roles:
        raise RuleViolation(N_("Choose a staff member of this project."), field="user_id")
    if not role:
        return held_roles[0]
    if role not in held_roles:
        raise RuleViolation(N_("They do not hold this role in the project."), field="role")
    return role


# ---------------------------------------------------------------------------- activity page: timeline notes, detailed plan, status (helper C)

#: the milestones ticked on the timeline whose note is the record itself: the minutes of
#: the preparation meeting (ACT-05 §4.4.3), the crowd-flow and evacuation plan (ACT-12
#: §4.5.3), the facilities checked and the emergency plan (ACT-12 §4.5.4)
MILESTONE_NOTE_REQUIRED: dict[MilestoneCode, str] = {
    MilestoneCode.PREPARATION_MEETING: N_("Write the minutes of the preparation meeting."),
    MilestoneCode.SECURITY_PLAN: N_("Describe the crowd flow and the evacuation plan."),
    MilestoneCode.FACILITY_CHECK: N_("Say which facilities were checked and give the emergency plan."),
}


def check_milestone_note(code: str, note: str | None) -> str | None:
    """The note of a milestone ticked on the timeline: required where it is the record
    (MILESTONE_NOTE_REQUIRED), optional otherwise; trimmed, at most TEXT_LIMIT."""
    return clean_text(note, "note", MILESTONE_NOTE_REQUIRED.get(MilestoneCode(code)), TEXT_LIMIT)


@dataclass(frozen=True)
class DetailedPlanValues:
    """ACT-04 详细活动组织方案: how it is organised, the host (ACT-10; required once it goes
    forward, see check_plan_action) and the purchase list 物品采购计划."""

    organisation: str | None
    host: str | None
    purchase_lines: Sequence[MoneyLine]


def check_detailed_plan(values: DetailedPlanValues) -> DetailedPlanValues:
    """The organisation text and at least one purchase line are required to save; the host
    may follow until the plan is submitted. Returns the trimmed values."""
    organisation = clean_text(values.organisation, "organisation",
                              N_("Describe how the activity is organised and run."), TEXT_LIMIT)
    host = clean_text(values.host, "host", None, NAME_LIMIT)
    lines = check_money_lines(values.purchase_lines, "purchase_lines",
                              N_("Add at least one line to the purchase list."))
    return DetailedPlanValues(organisation, host, lines)


def check_held(status: str, starts_at: datetime, now: datetime) -> None:
    """An activity is marked held from ready, once it has started (not before its start)."""
    check_activity_transition(status, ActivityStatus.HELD)
    if now < starts_at:
        raise RuleViolation(N_("An activity can be marked held only once it has started."), field="status")


def check_cancel(status: str, reason: str | None) -> str:
    """A scheduled or ready activity is cancelled with its reason (the owners' page says so)."""
    check_activity_transition(status, ActivityStatus.CANCELLED)
    return clean_text(reason, "reason", N_("Give the reason for cancelling."), REASON_LIMIT)


# ---------------------------------------------------------------------------- ACT-15 summary: when (summary area)


def check_summary_open(status: str) -> None:
    """ACT-15 (§4.6.1 "在每次文化活动结束后"): the summary is written once the activity has
    been held, and once: a summarised activity's summary is read-only, a cancelled one has
    none."""
    current = ActivityStatus(status)
    if current is ActivityStatus.SUMMARISED:
        raise RuleViolation(N_("The summary of this activity is already written."))
    if current is ActivityStatus.CANCELLED:
        raise RuleViolation(N_("A cancelled activity has no summary."))
    if current is not ActivityStatus.HELD:
        raise RuleViolation(N_("The summary can be written once the activity has been held."))


# ---------------------------------------------------------------------------- ACT-06, 16 poster and replies (helper E)

#: the activities whose public page takes replies (and whose poster may go up)
RSVP_STATUSES = frozenset({ActivityStatus.SCHEDULED, ActivityStatus.READY})


def check_rsvp_allowed(status: str, starts_at: datetime, now: datetime) -> None:
    """ACT-16: replies are made, changed or cancelled while the activity is scheduled or
    ready and has not started; a cancelled activity says so, one already held or
    summarised counts as started."""
    if status == ActivityStatus.CANCELLED:
        raise RuleViolation(N_("This activity was cancelled: replies are closed."))
    if status not in RSVP_STATUSES:
        raise RuleViolation(N_("The activity has started: replies can no longer be changed."))
    check_rsvp_open(starts_at, now)


def rsvp_head_count(text: str | None) -> int | None:
    """The head count as typed on the public page ("3", " 3 ", "３"): an int, or None for
    anything that is not a whole number (check_rsvp then asks for one)."""
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 4:
        return None
    try:
        return int(cleaned) if cleaned.isdigit() else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------- ACT-11, 13 rescheduling (helper R)

#: the activities that may be moved to another day, time or place: on their timeline, not
#: yet held (nor cancelled)
RESCHEDULE_STATUSES = frozenset({ActivityStatus.SCHEDULED, ActivityStatus.READY})


def check_reschedule_open(status: str, scheduled: bool, starts_at: datetime, now: datetime) -> None:
    """An activity is moved (rain, a venue clash) while it is scheduled or ready, on its
    timeline (a planned one changes with its annual plan), and before it starts."""
    if not scheduled:
        raise RuleViolation(N_("This activity is planned: change its date in the annual plan."))
    if status == ActivityStatus.CANCELLED:
        raise RuleViolation(N_("This activity is cancelled: it cannot be moved."))
    if status not in RESCHEDULE_STATUSES:
        raise RuleViolation(N_("This activity has been held: it cannot be moved."))
    if now >= starts_at:
        raise RuleViolation(N_("The activity has started: it can no longer be moved."))


@dataclass(frozen=True)
class Reschedule:
    """The new day, times and place of a moved activity, checked; the reason for the move."""

    day: date
    start_time: time
    end_time: time
    place: str
    verdict: DateVerdict
    reason: str


def check_reschedule(
    current: tuple[date, time, time, str],
    day: date | None,
    start_time: time | None,
    end_time: time | None,
    place: str | None,
    date_reason: str | None,
    reason: str | None,
    calendar: HolidayCalendar,
    now: datetime,
) -> Reschedule:
    """The move of an activity (`current`: its day, start, end and place): every value
    given; the times by 22:00 on one day (ACT-13, field ``end_time``); the new start later
    than now (a past day: field ``day``); the day a weekend or the eve of a major holiday,
    else with its reason (ACT-11, ``date_reason``); the reason for the move (``reason``);
    and something actually changed."""
    if day is None:
        raise RuleViolation(N_("Choose the date."), field="day")
    if start_time is None:
        raise RuleViolation(N_("Enter the start time."), field="start_time")
    if end_time is None:
        raise RuleViolation(N_("Enter the end time."), field="end_time")
    place = clean_text(place, "place", N_("Enter the place."), NAME_LIMIT)
    starts_at = activity_start(day, start_time)
    try:
        check_times(starts_at, activity_start(day, end_time))
    except RuleViolation as violation:
        violation.field = "end_time"
        raise
    if starts_at <= now:
        raise RuleViolation(N_("The new start must be later than now."),
                            field="day" if day < local_date(now) else "start_time")
    verdict = check_activity_date(day, calendar, date_reason)
    why = clean_text(reason, "reason", N_("Give the reason for the change."), REASON_LIMIT)
    if (day, start_time, end_time, place) == current:
        raise RuleViolation(N_("Nothing is moved: change the day, a time or the place."), field="day")
    return Reschedule(day, start_time, end_time, place, verdict, why)
