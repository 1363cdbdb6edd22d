"""Helper A's rules: the administrators' holiday rows (ACT-11: one typed, a year's schedule
pasted), the survey's plan year and public address, the results tally (ACT-01), and the
household check of the public pages (rules.check_household)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from webapp.activities import rules
from webapp.activities.holidays import DayKind, HolidayRow, holiday_calendar
from webapp.activities.operations import new_public_token
from webapp.activities.rules import (
    DateBasis,
    HolidayYearUnknown,
    RuleViolation,
    ScheduleLineProblem,
    check_activity_date,
    check_holiday_row,
    check_household,
    check_survey_year,
    is_public_token,
    parse_day,
    parse_holiday_schedule,
)
from webapp.activities.survey import tally

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- ACT-11 a row


@pytest.mark.parametrize("text", ["2027-01-01", "2027/1/1", "2027.01.01", " 2027-1-1 "])
def test_act11_a_date_typed_several_ways(text):
    assert parse_day(text) == date(2027, 1, 1)


@pytest.mark.parametrize("text", ["", "27-01-01", "2027-13-01", "2027-02-30", "一月一日", "2027-01"])
def test_act11_a_date_that_is_no_date_is_refused(text):
    with pytest.raises(RuleViolation) as err:
        parse_day(text)
    assert err.value.field == "day"


@pytest.mark.parametrize(("word", "kind"), [("休", "holiday"), ("holiday", "holiday"), ("Holiday", "holiday"),
                                            ("班", "workday"), ("workday", "workday")])
def test_act11_rest_and_working_day_words(word, kind):
    row = check_holiday_row(date(2027, 2, 6), word, "春节")
    assert row.kind == kind
    assert DayKind(row.kind)  # the holidays module reads the same values


def test_act11_a_rest_day_names_its_festival():
    with pytest.raises(RuleViolation) as err:
        check_holiday_row(date(2027, 2, 6), "休", "  ")
    assert err.value.field == "name"


def test_act11_a_makeup_working_day_is_a_weekend_day():
    with pytest.raises(RuleViolation) as err:
        check_holiday_row(date(2027, 2, 5), "班", None)  # a Friday
    assert err.value.field == "day"
    assert check_holiday_row(date(2027, 2, 20), "班", None).kind == "workday"  # a Saturday


def test_act11_an_unknown_kind_is_refused():
    with pytest.raises(RuleViolation) as err:
        check_holiday_row(date(2027, 2, 6), "放", "春节")
    assert err.value.field == "kind"


def test_act11_a_festival_name_longer_than_the_table_keeps_is_refused():
    with pytest.raises(RuleViolation):
        check_holiday_row(date(2027, 2, 6), "休", "节" * (rules.HOLIDAY_NAME_LIMIT + 1))


# ---------------------------------------------------------------------------- ACT-11 a pasted schedule

SCHEDULE_2027 = """
2027-01-01 休 元旦

2027-02-06 休 春节
2027/2/7 holiday Spring Festival
2027-02-20 班
2027-02-13\u3000班
"""


def test_act11_a_pasted_schedule_reads_every_line_blank_lines_skipped():
    lines = parse_holiday_schedule(SCHEDULE_2027)
    assert [(line.day.isoformat(), line.kind, line.name) for line in lines] == [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-02-06", "holiday", "春节"),
        ("2027-02-07", "holiday", "Spring Festival"),
        ("2027-02-20", "workday", None),
        ("2027-02-13", "workday", None),
    ]


@pytest.mark.parametrize(("text", "line"), [
    ("2027-01-01 休 元旦\n2027-02-30 休 春节", 2),
    ("2027-01-01 休 元旦\n\n2027-02-06 休", 3),
    ("2027-01-01 休 元旦\n2027-02-05 班", 2),
    ("2027-01-01 放假 元旦", 1),
    ("2027-01-01 休 元旦\n2027-01-01 休 元旦", 2),
])
def test_act11_a_bad_line_is_refused_with_its_number(text, line):
    with pytest.raises(ScheduleLineProblem) as err:
        parse_holiday_schedule(text)
    assert err.value.line == line
    assert err.value.field == "schedule"
    assert f"Line {line}:" in str(err.value)
    assert isinstance(err.value.problem, RuleViolation)


def test_act11_an_empty_paste_is_refused():
    with pytest.raises(RuleViolation) as err:
        parse_holiday_schedule(" \n \n")
    assert err.value.field == "schedule"


def test_act11_a_paste_of_far_too_many_lines_is_refused():
    text = "\n".join("2027-01-01 休 元旦" for _ in range(rules.HOLIDAY_LINES_LIMIT + 1))
    with pytest.raises(RuleViolation) as err:
        parse_holiday_schedule(text)
    assert not isinstance(err.value, ScheduleLineProblem)


def test_act11_pasted_rows_make_2027_known_and_its_spring_festival_eve_a_major_holidays_eve():
    lines = parse_holiday_schedule("\n".join(f"2027-02-{day:02d} 休 春节" for day in range(6, 13)))
    calendar = holiday_calendar(HolidayRow(line.day, DayKind(line.kind), line.name) for line in lines)
    verdict = check_activity_date(date(2027, 2, 5), calendar)
    assert verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert verdict.festivals == {rules.Festival.SPRING_FESTIVAL}
    with pytest.raises(HolidayYearUnknown):
        check_activity_date(date(2027, 2, 5), holiday_calendar())


# ---------------------------------------------------------------------------- ACT-01 the survey


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_act01_the_plan_year_is_this_year_or_one_of_the_next_two(year):
    assert check_survey_year(year, NOW) == year


@pytest.mark.parametrize("year", [2025, 2029, None, True, "2027"])
def test_act01_another_plan_year_is_refused(year):
    with pytest.raises(RuleViolation) as err:
        check_survey_year(year, NOW)
    assert err.value.field == "year"


def test_act01_the_plan_year_turns_with_the_local_new_year():
    # 31 Dec 2026 17:00 UTC is already 1 Jan 2027 in Shanghai
    assert check_survey_year(2029, datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == 2029


def test_act01_a_public_token_is_what_new_public_token_makes():
    assert all(is_public_token(new_public_token()) for _ in range(20))


@pytest.mark.parametrize("token", [None, "", "short", "x" * 41, "abc def ghi jkl mno", "../../etc/passwdxxxxxxx",
                                   "令牌令牌令牌令牌令牌令牌令牌令牌"])
def test_act01_junk_is_no_public_token(token):
    assert not is_public_token(token)


def test_act01_tally_counts_households_per_option_with_shares_and_comments_without_units():
    results = tally(
        ["晚会", "运动会", "书画展"],
        [(["晚会", "运动会"], "多办亲子活动"), (["晚会"], None), (["晚会", "已删除的选项"], ""), (["书画展"], "  ")],
        units_total=10,
    )
    assert [(o.option, o.count, o.share) for o in results.options] == [
        ("晚会", 3, 0.75), ("运动会", 1, 0.25), ("书画展", 1, 0.25)]
    assert results.households_answered == 4
    assert results.units_total == 10
    assert results.response_rate == 0.4
    assert results.most_chosen == 3
    assert results.comments == ("多办亲子活动", "  ")


def test_act01_tally_of_no_answers_is_zeros_not_a_division_by_zero():
    results = tally(["晚会", "运动会"], [], units_total=0)
    assert [(o.count, o.share) for o in results.options] == [(0, 0.0), (0, 0.0)]
    assert results.response_rate == 0.0 and results.most_chosen == 0


# ---------------------------------------------------------------------------- the household on a public page


def test_act01_household_matched_by_unit_and_the_last_four_digits():
    assert check_household(7, ["139-0000-1111", None], "1111") == 7


def test_act01_household_digits_typed_with_spaces_are_read():
    assert check_household(7, ["13900001111"], " 11 11 ") == 7


@pytest.mark.parametrize("digits", [None, "", "111", "11111", "abcd"])
def test_act01_household_needs_exactly_four_digits(digits):
    with pytest.raises(RuleViolation) as err:
        check_household(7, ["13900001111"], digits)
    assert err.value.field == "phone_digits"


def test_act01_household_unknown_unit_and_wrong_digits_say_the_same():
    with pytest.raises(RuleViolation) as unknown:
        check_household(None, [], "1111")
    with pytest.raises(RuleViolation) as wrong:
        check_household(7, ["13900001111"], "2222")
    assert unknown.value.field == wrong.value.field == "unit"
    assert unknown.value.message == wrong.value.message == rules.HOUSEHOLD_NOT_FOUND


def test_act01_household_without_a_phone_on_file_cannot_answer():
    with pytest.raises(RuleViolation):
        check_household(7, [None, ""], "0000")
