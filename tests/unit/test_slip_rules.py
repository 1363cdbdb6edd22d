"""Rules of the information-transfer slip (篇2): states, clocks, deadlines, places, weeks.
Fixed datetimes; Asia/Shanghai is UTC+8 all year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from webapp.core.rulekit import RuleViolation
from webapp.slips import rules
from webapp.slips.rules import SlipStatus

SHANGHAI = timezone(timedelta(hours=8))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------- transitions

ALLOWED = [
    ("filed", "assigned"),
    ("filed", "withdrawn"),
    ("assigned", "rectifying"),
    ("assigned", "escalated"),
    ("escalated", "rectifying"),
    ("rectifying", "awaiting_verification"),
    ("rectifying", "escalated"),
    ("awaiting_verification", "closed"),
    ("awaiting_verification", "awaiting_callback"),
    ("awaiting_verification", "assigned"),
    ("awaiting_callback", "closed"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_slip_lifecycle_allows_each_step_of_the_sop(current, target):
    rules.check_transition(current, target)
    assert SlipStatus(target) in rules.allowed_transitions(current)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("filed", "closed"),  # never closed without the department and CS
        ("filed", "rectifying"),  # the desk receives first (SLIP-03)
        ("assigned", "withdrawn"),  # withdrawn only before the desk has it
        ("rectifying", "closed"),  # SLIP-07: CS verifies first
        ("awaiting_callback", "assigned"),
        ("closed", "assigned"),
        ("withdrawn", "filed"),
    ],
)
def test_slip_lifecycle_refuses_skipping_steps(current, target):
    with pytest.raises(RuleViolation):
        rules.check_transition(current, target)


def test_slip_closed_and_withdrawn_are_final_and_not_open():
    assert rules.allowed_transitions("closed") == frozenset()
    assert rules.allowed_transitions("withdrawn") == frozenset()
    assert SlipStatus.CLOSED not in rules.OPEN_STATUSES and SlipStatus.ESCALATED in rules.OPEN_STATUSES


# ---------------------------------------------------------------------------- SLIP-03 desk clock


def test_slip03_urgent_slip_is_due_at_the_desk_in_15_minutes():
    filed = local(2026, 11, 25, 10, 0)
    assert rules.desk_due(filed, urgent=True) == local(2026, 11, 25, 10, 15)


def test_slip03_urgent_slip_filed_at_23_50_is_due_after_midnight():
    filed = local(2026, 11, 25, 23, 50)
    assert rules.desk_due(filed, urgent=True) == local(2026, 11, 26, 0, 5)


def test_slip03_non_urgent_slip_filed_at_23_50_is_collected_the_same_local_day():
    assert rules.desk_due(local(2026, 11, 25, 23, 50), urgent=False) == local(2026, 11, 25, 23, 59, 59)


def test_slip03_non_urgent_slip_filed_at_00_05_is_due_at_the_end_of_that_day():
    # 00:05 in Shanghai is still the previous day in UTC: the local day counts
    filed = local(2026, 11, 26, 0, 5)
    assert filed.astimezone(UTC).day == 25
    assert rules.desk_due(filed, urgent=False) == local(2026, 11, 26, 23, 59, 59)


def test_slip03_urgent_slip_filed_at_00_05_is_due_at_00_20():
    assert rules.desk_due(local(2026, 11, 26, 0, 5), urgent=True) == local(2026, 11, 26, 0, 20)


def test_slip03_desk_clock_is_breached_only_after_the_due_moment():
    filed = local(2026, 11, 25, 10, 0)
    due = local(2026, 11, 25, 10, 15)
    assert not rules.desk_breached(filed, True, None, due)
    assert rules.desk_breached(filed, True, None, due + timedelta(seconds=1))


def test_slip03_receiving_stops_the_clock():
    filed = local(2026, 11, 25, 10, 0)
    later = local(2026, 11, 25, 18, 0)
    assert not rules.desk_breached(filed, True, local(2026, 11, 25, 10, 14), later)
    assert rules.desk_breached(filed, True, local(2026, 11, 25, 10, 16), later)


def test_slip03_non_urgent_slip_breaches_after_midnight_local():
    filed = local(2026, 11, 25, 9, 0)
    assert not rules.desk_breached(filed, False, None, local(2026, 11, 25, 23, 59, 59))
    assert rules.desk_breached(filed, False, None, local(2026, 11, 26, 0, 0))


# ---------------------------------------------------------------------------- SLIP-04/05 deadlines


def test_slip04_rectification_is_due_at_the_end_of_the_assignment_day():
    assert rules.rectification_due(local(2026, 11, 25, 23, 50)) == local(2026, 11, 25, 23, 59, 59)
    assert rules.rectification_due(local(2026, 11, 26, 0, 5)) == local(2026, 11, 26, 23, 59, 59)


def test_slip05_escalation_deadline_must_lie_ahead():
    now = local(2026, 11, 25, 15, 0)
    rules.check_escalation_deadline(now + timedelta(minutes=1), now)
    for past in (now, now - timedelta(days=1)):
        with pytest.raises(RuleViolation) as refused:
            rules.check_escalation_deadline(past, now)
        assert refused.value.field == "new_due"


def test_slip09_rectified_on_time_decides_only_when_known():
    due = local(2026, 11, 25, 23, 59, 59)
    assert rules.rectified_on_time(None, None, due) is None
    assert rules.rectified_on_time(due, due, due + timedelta(days=1)) is True
    assert rules.rectified_on_time(due, due + timedelta(seconds=1), due) is False
    assert rules.rectified_on_time(due, None, due) is None
    assert rules.rectified_on_time(due, None, due + timedelta(seconds=1)) is False


# ---------------------------------------------------------------------------- SLIP-07/08


def test_slip07_failed_verification_goes_back_to_the_department():
    assert rules.status_after_verification("fail", "owner") is SlipStatus.ASSIGNED
    assert rules.status_after_verification("fail", "seen_on_site") is SlipStatus.ASSIGNED


def test_slip07_passed_verification_closes_a_slip_seen_on_site():
    assert rules.status_after_verification("pass", "seen_on_site") is SlipStatus.CLOSED


def test_slip08_passed_owner_raised_slip_waits_for_the_call_back():
    assert rules.needs_callback("owner") and not rules.needs_callback("seen_on_site")
    assert rules.status_after_verification("pass", "owner") is SlipStatus.AWAITING_CALLBACK


# ---------------------------------------------------------------------------- SLIP-11 capture time


def test_slip11_capture_time_missing_is_the_receipt_time():
    received = local(2026, 11, 25, 10, 0)
    assert rules.accepted_capture_time(None, received) == received


def test_slip11_earlier_capture_time_is_kept():
    received = local(2026, 11, 25, 10, 0)
    captured = local(2026, 11, 23, 8, 0)
    assert rules.accepted_capture_time(captured, received) == captured


def test_slip11_phone_clock_a_little_ahead_is_tolerated_as_the_receipt_time():
    received = local(2026, 11, 25, 10, 0)
    assert rules.accepted_capture_time(received + timedelta(minutes=5), received) == received


def test_slip11_phone_clock_far_ahead_is_refused():
    received = local(2026, 11, 25, 10, 0)
    with pytest.raises(RuleViolation) as refused:
        rules.accepted_capture_time(received + timedelta(minutes=5, seconds=1), received)
    assert refused.value.field == "captured_at"


def test_slip11_slip_queued_more_than_7_days_is_refused():
    received = local(2026, 11, 25, 10, 0)
    assert rules.accepted_capture_time(received - timedelta(days=7), received) == received - timedelta(days=7)
    with pytest.raises(RuleViolation):
        rules.accepted_capture_time(received - timedelta(days=7, seconds=1), received)


# ---------------------------------------------------------------------------- SLIP-01/02 place, owner


def test_slip01_place_from_a_facility_gps_or_words():
    rules.check_place(7, None, None, None)
    rules.check_place(None, 31.23, 121.47, None)
    rules.check_place(None, None, None, "3栋地库")


@pytest.mark.parametrize(
    ("latitude", "longitude", "text"),
    [(None, None, None), (None, None, "   "), (31.2, None, "x"), (None, 121.4, "x"), (91.0, 121.0, "x"), (31.0, 181.0, "x")],
)
def test_slip01_place_refused_without_a_usable_place(latitude, longitude, text):
    with pytest.raises(RuleViolation) as refused:
        rules.check_place(None, latitude, longitude, text)
    assert refused.value.field == "place_text"


def test_slip02_site_slip_needs_no_owner():
    rules.check_owner_details("seen_on_site", None, None, None)


def test_slip02_owner_raised_slip_needs_the_unit():
    with pytest.raises(RuleViolation) as refused:
        rules.check_owner_details("owner", 3, None, "13800000000")
    assert refused.value.field == "unit"


def test_slip02_owner_raised_slip_needs_the_owner_or_a_contact():
    rules.check_owner_details("owner", 3, 5, None)
    rules.check_owner_details("owner", None, 5, "王女士 13800000000")
    with pytest.raises(RuleViolation) as refused:
        rules.check_owner_details("owner", None, 5, "  ")
    assert refused.value.field == "owner_contact"


def test_slip02_chosen_owner_must_live_at_the_chosen_unit():
    rules.check_owner_details("owner", 3, 5, None, owner_unit_ids={5, 8})
    rules.check_owner_details("owner", None, 5, "王女士", owner_unit_ids=set())
    with pytest.raises(RuleViolation) as refused:
        rules.check_owner_details("owner", 3, 5, None, owner_unit_ids={8})
    assert refused.value.field == "owner"


# ---------------------------------------------------------------------------- SLIP-09 week


def test_slip09_week_starts_monday_00_00_local():
    start, end = rules.week_bounds(local(2026, 11, 25, 12, 0))  # a Wednesday
    assert start == local(2026, 11, 23, 0, 0) and end == local(2026, 11, 30, 0, 0)
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)


def test_slip09_sunday_23_59_belongs_to_its_week_and_monday_00_00_to_the_next():
    start, end = rules.week_bounds(local(2026, 11, 29, 23, 59))
    assert start == local(2026, 11, 23, 0, 0)
    assert start <= local(2026, 11, 29, 23, 59) < end
    assert rules.week_bounds(local(2026, 11, 30, 0, 0))[0] == local(2026, 11, 30, 0, 0)


def test_slip09_monday_00_30_local_is_sunday_in_utc_but_the_new_week():
    moment = local(2026, 11, 30, 0, 30)
    assert moment.astimezone(UTC).weekday() == 6
    assert rules.week_bounds(moment)[0] == local(2026, 11, 30, 0, 0)
