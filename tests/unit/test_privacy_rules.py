"""PIPL retention rule (webapp.org.rules) and phone numbers in free text (webapp.core.privacy):
pure, fixed datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from webapp.core.privacy import has_full_phone, mask_phones, remove_phones
from webapp.core.rulekit import RuleViolation
from webapp.org.rules import (
    add_months,
    anonymise_closed_before,
    check_retention_months,
    is_due_for_anonymisation,
    retention_elapsed,
)

FINAL = {"closed", "withdrawn"}


def _local(y, m, d, hh=12, mm=0) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2023, 3, 15), 36, date(2026, 3, 15)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # a leap February
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),  # over the year's end
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_sec_pipl_months_are_calendar_months_ending_on_a_short_months_last_day(day, months, expected):
    assert add_months(day, months) == expected


def test_sec_pipl_a_record_closed_on_15_march_is_due_from_16_march_three_years_on():
    closed = _local(2023, 3, 15, 23, 30)
    assert not is_due_for_anonymisation("closed", closed, _local(2026, 3, 15, 23, 59), 36, FINAL)
    assert is_due_for_anonymisation("closed", closed, _local(2026, 3, 16, 0, 0), 36, FINAL)


def test_sec_pipl_the_local_day_counts_not_the_utc_day():
    # 00:30 on 1 March in Shanghai is still 28 February in UTC
    closed = _local(2025, 3, 1, 0, 30)
    assert closed.date() == date(2025, 2, 28)
    assert not is_due_for_anonymisation("closed", closed, _local(2025, 4, 1, 12), 1, FINAL)
    assert is_due_for_anonymisation("closed", closed, _local(2025, 4, 2, 0, 0), 1, FINAL)


@pytest.mark.parametrize("status", ["filed", "in_progress", "awaiting_callback", "open"])
def test_sec_pipl_open_records_are_never_due_however_old(status):
    assert not is_due_for_anonymisation(status, _local(2010, 1, 1), _local(2026, 1, 1), 36, FINAL)


@pytest.mark.parametrize("months", [None, 0])
def test_sec_pipl_no_retention_keeps_everything(months):
    assert not is_due_for_anonymisation("closed", _local(2010, 1, 1), _local(2026, 1, 1), months, FINAL)
    assert anonymise_closed_before(_local(2026, 1, 1), months) is None


def test_sec_pipl_a_record_without_a_closing_moment_is_not_due():
    assert not is_due_for_anonymisation("closed", None, _local(2026, 1, 1), 36, FINAL)


@pytest.mark.parametrize("months", [1, 6, 12, 36])
@pytest.mark.parametrize("today", [date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 31), date(2025, 2, 28),
                                   date(2025, 12, 31), date(2026, 1, 1)])
def test_sec_pipl_the_sql_cutoff_selects_exactly_the_records_the_rule_calls_due(months, today):
    """anonymise_closed_before narrows the query; the rule decides: they must agree on
    every closing moment (each day over four years, at 00:00 and 23:59 local)."""
    now = _local(today.year, today.month, today.day, 10)
    cutoff = anonymise_closed_before(now, months)
    day = add_months(today, -months - 2)
    while day <= add_months(today, -months + 2):
        for hh, mm in ((0, 0), (23, 59)):
            closed = _local(day.year, day.month, day.day, hh, mm)
            assert (closed < cutoff) is is_due_for_anonymisation("closed", closed, now, months, FINAL), closed
            assert (closed < cutoff) is retention_elapsed(day, today, months)
        day += timedelta(days=1)


@pytest.mark.parametrize(("months", "kept"), [(None, None), (0, None), (1, 1), (36, 36), (120, 120)])
def test_sec_pipl_the_retention_setting_takes_1_to_120_months_or_nothing(months, kept):
    assert check_retention_months(months) == kept


@pytest.mark.parametrize("months", [-1, 121, 1000])
def test_sec_pipl_a_retention_outside_1_to_120_months_is_refused(months):
    with pytest.raises(RuleViolation) as refused:
        check_retention_months(months)
    assert refused.value.field == "retention_months"


# -- phone numbers in free text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("业主电话13912345678", "业主电话139****5678"),
        ("139 1234 5678 找王先生", "139****5678 找王先生"),
        ("139-1234-5678", "139****5678"),
        ("+86 13912345678", "139****5678"),
        ("8613912345678", "139****5678"),
        ("座机0755-86001234", "座机********1234"),
        ("021 6543 2100", "*******2100"),
        ("两个号码:13800001111、13700002222", "两个号码:138****1111、137****2222"),
        ("Tel:13912345678.", "Tel:139****5678."),
        ("call 139 1234 5678 after 6", "call 139****5678 after 6"),
        ("微信wx13912345678", "微信wx139****5678"),  # a WeChat ID made of the phone
        ("ee/24/ee2470 13912345678 b517.jpg", "ee/24/ee2470 139****5678 b517.jpg"),
    ],
)
def test_sec_pipl_phone_numbers_in_text_are_masked_like_pages_show_them(text, masked):
    assert mask_phones(text) == masked
    assert not has_full_phone(mask_phones(text))
    assert not has_full_phone(remove_phones(text))


@pytest.mark.parametrize(
    "text",
    [
        "CH-XD-20261128-0007",  # a record number
        "2026-11-28 09:30",
        "金额 12345678901234 分",  # a long run of digits is no phone
        "12345678901",  # 12… is no mainland mobile
        "3栋1502室",
        "身份证4403**********1234",
        "ee/24/ee247037b15243402325b517434c75cc.jpg",  # a stored file's name
        "token a9F_13912345678Zq2x",
        "0000000013912345678",  # a longer run of digits
    ],
)
def test_sec_pipl_record_numbers_dates_and_amounts_are_left_alone(text):
    assert mask_phones(text) == text
    assert remove_phones(text) == text


def test_sec_pipl_removing_keeps_no_digit_of_the_number():
    assert remove_phones("打13912345678找我") == "打***********找我"
