"""Staff evaluation (EVAL, ORG-02): every branch of webapp/evaluation/rules.py — periods,
the arithmetic of the figures, the worst-first ranking and who reads whose sheet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from webapp.evaluation.rules import (
    Better,
    Kind,
    Period,
    PeriodLength,
    departments_of,
    managed_projects,
    manages_project,
    may_open_evaluation,
    may_view_department,
    may_view_person,
    may_view_project,
    mean,
    month_of,
    parse_period,
    per_thousand,
    quarter_of,
    ranks,
    rate,
    reads_company,
    supervised_departments,
    trend_months,
    worst_first,
)

TODAY = date(2026, 11, 28)
NOVEMBER = Period(date(2026, 11, 1))
Q4 = Period(date(2026, 10, 1), PeriodLength.QUARTER)

# ---------------------------------------------------------------------------- periods


def test_eval_a_month_runs_to_the_first_of_the_next_and_is_keyed_yyyy_mm():
    """November 2026 ends on 1 December and reads 2026-11 in the address bar."""
    assert NOVEMBER.months == 1
    assert NOVEMBER.end == date(2026, 12, 1)
    assert NOVEMBER.last == date(2026, 11, 30)
    assert NOVEMBER.key == "2026-11"
    assert NOVEMBER.month_starts() == [date(2026, 11, 1)]


def test_eval_a_quarter_spans_three_months_and_is_keyed_yyyy_qn():
    """Q4 2026 runs October to December and reads 2026-Q4."""
    assert Q4.months == 3
    assert Q4.end == date(2027, 1, 1)
    assert Q4.last == date(2026, 12, 31)
    assert Q4.key == "2026-Q4"
    assert Q4.month_starts() == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]


def test_eval_previous_and_next_step_by_the_periods_length_across_years():
    """January's previous month is last December; Q1's previous quarter is last Q4."""
    january = Period(date(2027, 1, 1))
    assert january.previous() == Period(date(2026, 12, 1))
    assert Period(date(2026, 12, 1)).next() == january
    q1 = Period(date(2027, 1, 1), PeriodLength.QUARTER)
    assert q1.previous() == Q4
    assert Q4.next() == q1


def test_eval_month_and_quarter_of_a_day():
    assert month_of(TODAY) == NOVEMBER
    assert quarter_of(TODAY) == Q4
    assert quarter_of(date(2026, 1, 31)).key == "2026-Q1"
    assert quarter_of(date(2026, 9, 30)).key == "2026-Q3"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-11", "2026-11"),
        (" 2026-03 ", "2026-03"),
        ("2026-Q4", "2026-Q4"),
        ("2026q2", "2026-Q2"),
        ("2026Q1", "2026-Q1"),
        # a quarter that has begun counts even if it has not ended
        ("2026-Q4", "2026-Q4"),
    ],
)
def test_eval_parse_period_reads_months_and_quarters(text, key):
    assert parse_period(text, TODAY).key == key


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "nonsense",
        "2026-13",
        "2026-00",
        "1999-05",
        "2101-01",
        "1999-Q1",
        "2026-Q5",
        "2026-12",
        "2027-Q1",
    ],
)
def test_eval_parse_period_falls_back_to_the_current_month(text):
    """Bad text, an impossible month, a year out of range, or a period not yet begun: the current month."""
    assert parse_period(text, TODAY) == NOVEMBER


def test_eval_trend_months_are_the_twelve_ending_with_the_periods_last_month():
    """A month's trend ends with it; a quarter's with its last month; oldest first."""
    months = trend_months(NOVEMBER)
    assert len(months) == 12
    assert months[0].key == "2025-12" and months[-1].key == "2026-11"
    assert all(m.length is PeriodLength.MONTH for m in months)
    assert trend_months(Q4)[-1].key == "2026-12"
    assert [m.key for m in trend_months(NOVEMBER, 3)] == ["2026-09", "2026-10", "2026-11"]


# ---------------------------------------------------------------------------- arithmetic


def test_eval_rate_is_none_without_anything_to_count_over():
    """A rate over nothing is shown as "—", never as 0 %."""
    assert rate(3, 4) == 0.75
    assert rate(0, 4) == 0
    assert rate(0, 0) is None


def test_eval_mean_is_one_decimal_half_up_or_none():
    assert mean(9, 2) == Decimal("4.5")
    assert mean(29, 6) == Decimal("4.8")  # 4.8333…
    assert mean(1, 8) == Decimal("0.1")  # 0.125 → 0.1; 0.15 → 0.2 below
    assert mean(3, 20) == Decimal("0.2")
    assert mean(5, 0) is None


def test_eval_per_thousand_units_is_two_decimals_half_up_or_none_without_units():
    assert per_thousand(3, 1200) == Decimal("2.50")
    assert per_thousand(1, 3000) == Decimal("0.33")
    assert per_thousand(1, 8000) == Decimal("0.13")  # 0.125 half up
    assert per_thousand(4, 0) is None


def test_eval_worst_first_puts_the_lowest_first_when_higher_is_better():
    """On-time rates: the worst project first, those without a value last."""
    values = {1: 0.9, 2: 0.5, 3: None, 4: 0.7}
    assert worst_first(values, Better.HIGHER) == [2, 4, 1, 3]


def test_eval_worst_first_puts_the_highest_first_when_lower_is_better():
    values = {1: 2, 2: 5, 3: 0, 4: None}
    assert worst_first(values, Better.LOWER) == [2, 1, 3, 4]


def test_eval_worst_first_breaks_ties_by_name_then_key():
    """Equal values keep the order of the names, then the ids: a printed ranking is stable."""
    values = {1: 3, 2: 3, 3: 3, 4: None, 5: None}
    names = {1: "b", 2: "a", 3: "a"}
    assert worst_first(values, Better.LOWER, names) == [2, 3, 1, 4, 5]
    assert worst_first({7: 1, 6: 1}, Better.HIGHER) == [6, 7]


def test_eval_ranks_are_competition_ranks_from_the_best():
    """Equal values share a rank and the next rank skips; no value, no rank."""
    assert ranks({1: 0.9, 2: 0.5, 3: 0.9, 4: None, 5: 0.4}, Better.HIGHER) == {
        1: 1,
        3: 1,
        2: 3,
        5: 4,
    }
    assert ranks({1: 2, 2: 0, 3: 5}, Better.LOWER) == {2: 1, 1: 2, 3: 3}
    assert ranks({}, Better.LOWER) == {}


def test_eval_kinds_are_person_department_project():
    assert [k.value for k in Kind] == ["person", "department", "project"]


# ---------------------------------------------------------------------------- access (ORG-02)

# project 1: security department 11, customer-service department 19; project 2: department 21
CS = {1: 19}.get
STAFF = ("staff", 1, 11)
SUPERVISOR = ("dept_supervisor", 1, 11)
CS_SUPERVISOR = ("cs_supervisor", 1, None)
RECEPTIONIST = ("receptionist", 1, None)
PUBLICIST = ("publicist", 1, None)
PM = ("pm", 1, None)
OTHER_PM = ("pm", 2, None)
OTHER_STAFF = ("staff", 2, 21)
QA = ("qa", None, None)


def test_eval_departments_of_a_person_by_grant_and_by_customer_service_role():
    """Department roles count for their department; the CS centre's project roles for the
    project's customer-service department (none when the project has none); others for none."""
    assert departments_of([STAFF, SUPERVISOR], CS) == {11}
    assert departments_of([RECEPTIONIST], CS) == {19}
    assert departments_of([PUBLICIST, CS_SUPERVISOR], CS) == {19}
    assert departments_of([("receptionist", 2, None)], CS) == set()
    assert departments_of([PM, QA, ("staff", 1, None)], CS) == set()
    assert departments_of([("receptionist", None, None)], CS) == set()


def test_eval_supervised_departments_are_the_supervisors_and_the_cs_supervisors_centre():
    assert supervised_departments([SUPERVISOR], CS) == {11}
    assert supervised_departments([CS_SUPERVISOR], CS) == {19}
    assert supervised_departments([("cs_supervisor", 2, None)], CS) == set()
    assert (
        supervised_departments([STAFF, RECEPTIONIST, PM, ("dept_supervisor", 1, None)], CS) == set()
    )


def test_eval_reads_company_only_gm_vp_qa_without_a_project():
    assert reads_company([("gm", None, None)])
    assert reads_company([("vp", None, None)])
    assert reads_company([QA])
    assert not reads_company([("admin", None, None)])
    assert not reads_company([PM, STAFF])
    assert not reads_company([("qa", 1, None)])


def test_eval_a_project_is_read_by_its_pm_and_the_company_readers():
    assert manages_project([PM], 1)
    assert not manages_project([PM], 2)
    assert not manages_project([CS_SUPERVISOR], 1)
    assert managed_projects([PM, ("pm", 3, None), CS_SUPERVISOR, QA]) == {1, 3}
    assert may_view_project([PM], 1)
    assert may_view_project([QA], 2)
    assert not may_view_project([OTHER_PM], 1)
    assert not may_view_project([SUPERVISOR, STAFF], 1)


def test_eval_a_department_is_read_by_its_supervisor_the_pm_and_the_company_readers():
    assert may_view_department([SUPERVISOR], 11, 1, CS)
    assert may_view_department([CS_SUPERVISOR], 19, 1, CS)
    assert may_view_department([PM], 11, 1, CS)
    assert may_view_department([QA], 21, 2, CS)
    assert not may_view_department([STAFF], 11, 1, CS)
    assert not may_view_department([CS_SUPERVISOR], 11, 1, CS)
    assert not may_view_department([SUPERVISOR], 12, 1, CS)
    assert not may_view_department([OTHER_PM], 11, 1, CS)


@pytest.mark.parametrize(
    ("viewer", "person", "person_id", "allowed"),
    [
        ([STAFF], [STAFF], 1, True),  # their own sheet
        ([STAFF], [STAFF], 2, False),  # a colleague's
        ([QA], [OTHER_STAFF], 2, True),
        ([PM], [STAFF], 2, True),
        ([PM], [RECEPTIONIST], 2, True),
        ([OTHER_PM], [STAFF], 2, False),
        ([SUPERVISOR], [STAFF], 2, True),
        ([CS_SUPERVISOR], [RECEPTIONIST], 2, True),
        ([CS_SUPERVISOR], [STAFF], 2, False),
        ([SUPERVISOR], [RECEPTIONIST], 2, False),
        ([("admin", None, None)], [STAFF], 2, False),
        ([PM], [QA], 2, False),  # a company-role person belongs to no project
    ],
)
def test_eval_may_view_person_follows_org02(viewer, person, person_id, allowed):
    """Staff see their own sheet; supervisors their department's people; PMs their
    project's; GM, VP and QA everyone's."""
    assert may_view_person(1, viewer, person_id, person, CS) is allowed


def test_eval_everyone_with_a_role_opens_the_evaluation():
    assert may_open_evaluation([STAFF])
    assert not may_open_evaluation([])
