"""Rules of complaint handling (篇4): classes, lifecycle, the commitment, handling-start,
resolution and one-month clocks, extensions, waiting, breaches and the report month.
Fixed datetimes; Asia/Shanghai is UTC+8 all year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from webapp.complaints import rules
from webapp.complaints.rules import (
    Clock,
    ComplaintClass,
    ComplaintStatus,
    InvalidReason,
    MajorGround,
)
from webapp.core.rulekit import RuleViolation
from webapp.org.rules import Role

SHANGHAI = timezone(timedelta(hours=8))
SECOND = timedelta(seconds=1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------- lifecycle

VALID_STEPS = [
    ("received", "committed"),
    ("committed", "in_progress"),
    ("in_progress", "waiting"),
    ("waiting", "in_progress"),
    ("in_progress", "answered"),
    ("answered", "in_progress"),
    ("answered", "awaiting_callback"),
    ("awaiting_callback", "closed"),
]
INVALID_STEPS = [
    ("received", "committed"),
    ("committed", "explained"),
    ("explained", "forwarded"),
    ("forwarded", "answered"),
    ("answered", "awaiting_callback"),
    ("awaiting_callback", "closed"),
]


@pytest.mark.parametrize("complaint_class", ["major", "important", "minor"])
@pytest.mark.parametrize(("current", "target"), VALID_STEPS)
def test_cmp07_valid_complaint_lifecycle_allows_each_step(complaint_class, current, target):
    rules.check_transition(current, target, complaint_class)


@pytest.mark.parametrize(("current", "target"), INVALID_STEPS)
def test_cmp06_invalid_complaint_is_explained_forwarded_and_answered(current, target):
    rules.check_transition(current, target, "invalid")


@pytest.mark.parametrize(
    ("current", "target", "complaint_class"),
    [
        ("received", "in_progress", "minor"),  # CMP-04: the commitment comes first
        ("committed", "answered", "important"),
        ("in_progress", "closed", "minor"),  # CMP-07: never closed without the call-back
        ("answered", "closed", "major"),
        ("waiting", "answered", "minor"),  # resume before answering
        ("committed", "waiting", "minor"),
        ("closed", "in_progress", "minor"),
        ("committed", "explained", "minor"),  # explanation/forwarding is for invalid ones
        ("committed", "in_progress", "invalid"),
        ("explained", "answered", "invalid"),  # CMP-06: forwarded first
        ("forwarded", "closed", "invalid"),
        ("answered", "in_progress", "invalid"),
    ],
)
def test_cmp07_lifecycle_refuses_skipping_steps(current, target, complaint_class):
    with pytest.raises(RuleViolation):
        rules.check_transition(current, target, complaint_class)


def test_cmp07_only_closed_is_final_and_closed_follows_only_the_call_back():
    assert rules.OPEN_STATUSES == frozenset(ComplaintStatus) - {ComplaintStatus.CLOSED}
    for cls in ComplaintClass:
        assert rules.allowed_transitions("closed", cls) == frozenset()
        leading_to_closed = {
            s for s in ComplaintStatus if ComplaintStatus.CLOSED in rules.allowed_transitions(s, cls)
        }
        assert leading_to_closed == {ComplaintStatus.AWAITING_CALLBACK}


# ---------------------------------------------------------------------------- CMP-01/02 classes


def test_cmp01_no_flags_suggests_minor():
    s = rules.suggest_class()
    assert s.complaint_class is ComplaintClass.MINOR and s.invalid_reason is None and s.major_ground is None
    assert s.why


def test_cmp01_service_fault_suggests_important():
    assert rules.suggest_class(service_fault=True).complaint_class is ComplaintClass.IMPORTANT


def test_cmp02_injury_or_major_loss_suggests_major_ground_b_even_with_other_flags():
    s = rules.suggest_class(injury_or_major_loss=True, outside_managed_area=True, service_fault=True)
    assert (s.complaint_class, s.major_ground) == (ComplaintClass.MAJOR, MajorGround.MAJOR_LOSS_OR_INJURY)


def test_cmp02_repeated_unresolved_suggests_major_ground_a():
    s = rules.suggest_class(repeated_unresolved=True, service_fault=True)
    assert (s.complaint_class, s.major_ground) == (ComplaintClass.MAJOR, MajorGround.UNDELIVERED_REPEATED)


def test_cmp01_developer_or_housing_quality_suggests_invalid_a_even_when_repeated():
    s = rules.suggest_class(about_developer_or_housing_quality=True, repeated_unresolved=True)
    assert (s.complaint_class, s.invalid_reason) == (ComplaintClass.INVALID, InvalidReason.DEVELOPER_LEGACY)


def test_cmp01_outside_managed_area_suggests_invalid_b():
    s = rules.suggest_class(outside_managed_area=True, service_fault=True)
    assert (s.complaint_class, s.invalid_reason) == (ComplaintClass.INVALID, InvalidReason.EXTERNAL)


def test_cmp01_confirmed_class_is_checked():
    rules.check_classification("invalid", "external")
    rules.check_classification("major", None, ["undelivered_repeated", "major_loss_or_injury"])
    rules.check_classification("important", None)
    rules.check_classification("major", None, ["unresolved_one_month"], by_server=True)


@pytest.mark.parametrize(
    ("cls", "reason", "grounds", "field"),
    [
        ("invalid", None, (), "invalid_reason"),
        ("invalid", "", (), "invalid_reason"),
        ("minor", "external", (), "invalid_reason"),
        ("important", None, ["major_loss_or_injury"], "major_grounds"),
        ("major", None, ["unresolved_one_month"], "major_grounds"),  # CMP-02 c is the server's
    ],
)
def test_cmp01_inconsistent_classification_is_refused_at_the_field(cls, reason, grounds, field):
    with pytest.raises(RuleViolation) as refused:
        rules.check_classification(cls, reason, grounds)
    assert refused.value.field == field


def test_cmp03_major_and_important_go_into_the_complaint_register():
    assert rules.is_registered("major") and rules.is_registered("important")
    assert not rules.is_registered("minor") and not rules.is_registered("invalid")


# ---------------------------------------------------------------------------- CMP-04 commitment


def test_cmp04_important_complaint_is_committed_within_one_hour():
    received = local(2026, 11, 25, 10, 0)
    due = rules.commitment_due("important", received)
    assert due == local(2026, 11, 25, 11, 0)
    assert rules.breaches(due, commitment_due=due, commitment_done_at=None,
                          resolution_due=due + timedelta(days=3), resolution_done_at=None) == ()
    assert rules.breaches(due + SECOND, commitment_due=due, commitment_done_at=None,
                          resolution_due=due + timedelta(days=3), resolution_done_at=None) == (
        rules.Breach(Clock.COMMITMENT, due),
    )


def test_cmp04_important_complaint_received_at_23_50_is_due_after_midnight():
    assert rules.commitment_due("important", local(2026, 11, 25, 23, 50)) == local(2026, 11, 26, 0, 50)


@pytest.mark.parametrize("cls", ["major", "minor", "invalid"])
def test_cmp04_other_classes_are_committed_the_same_local_day(cls):
    assert rules.commitment_due(cls, local(2026, 11, 25, 23, 50)) == local(2026, 11, 25, 23, 59, 59)
    # 00:05 in Shanghai is still the previous day in UTC: the local day counts
    received = local(2026, 11, 26, 0, 5)
    assert received.astimezone(UTC).day == 25
    assert rules.commitment_due(cls, received) == local(2026, 11, 26, 23, 59, 59)


def test_cmp04_same_day_commitment_is_breached_at_midnight_not_at_23_59_59():
    received = local(2026, 11, 25, 9, 0)
    due = rules.commitment_due("major", received)
    kwargs = dict(commitment_due=due, commitment_done_at=None, resolution_due=received + timedelta(days=2),
                  resolution_done_at=None)
    assert rules.breaches(local(2026, 11, 25, 23, 59, 59), **kwargs) == ()
    assert rules.breaches(local(2026, 11, 26, 0, 0), **kwargs) == (rules.Breach(Clock.COMMITMENT, due),)


def test_cmp04_commitment_goes_to_the_roles_the_sop_names():
    assert rules.commitment_recipients("major") == ("qa", "gm")
    assert rules.commitment_recipients("important") == ("dept_supervisor", "pm")
    assert rules.commitment_recipients("minor") == ("pm",)
    assert rules.commitment_recipients("invalid") == ("pm",)
    for cls in ComplaintClass:
        for role in rules.commitment_recipients(cls):
            Role(role)  # a real role name


def test_cmp04_minor_handling_starts_within_2_days_by_default():
    received = local(2026, 11, 25, 23, 50)
    assert rules.handling_start_due("minor", received) == local(2026, 11, 27, 23, 50)


def test_cmp04_owner_requested_earlier_time_wins_over_the_2_days():
    received = local(2026, 11, 25, 10, 0)
    earlier = local(2026, 11, 25, 18, 0)
    assert rules.handling_start_due("minor", received, earlier) == earlier


def test_cmp04_owner_requested_later_time_wins_over_the_2_days():
    received = local(2026, 11, 25, 10, 0)
    later = local(2026, 12, 5, 9, 0)  # the owner is away until then
    assert rules.handling_start_due("minor", received, later) == later


@pytest.mark.parametrize("cls", ["major", "important", "invalid"])
def test_cmp04_only_minor_complaints_have_a_handling_start_clock(cls):
    assert rules.handling_start_due(cls, local(2026, 11, 25, 10, 0), local(2026, 11, 26, 10, 0)) is None


def test_cmp04_handling_start_breach_only_for_minor_and_only_after_the_due():
    received = local(2026, 11, 25, 10, 0)
    start_due = rules.handling_start_due("minor", received)
    kwargs = dict(commitment_due=rules.commitment_due("minor", received), commitment_done_at=received,
                  resolution_due=rules.resolution_due("minor", received) + timedelta(days=5),
                  resolution_done_at=None, handling_start_due=start_due)
    assert rules.breaches(start_due, **kwargs) == ()
    assert rules.breaches(start_due + SECOND, **kwargs) == (rules.Breach(Clock.HANDLING_START, start_due),)
    assert rules.breaches(start_due + SECOND, handling_started_at=start_due, **kwargs) == ()


def test_cmp04_requested_time_must_follow_reception():
    received = local(2026, 11, 25, 10, 0)
    rules.check_requested_time(None, received)
    rules.check_requested_time(received + SECOND, received)
    with pytest.raises(RuleViolation) as refused:
        rules.check_requested_time(received, received)
    assert refused.value.field == "requested_at"


# ---------------------------------------------------------------------------- CMP-05 resolution


@pytest.mark.parametrize(("cls", "days"), [("minor", 2), ("important", 3), ("major", 2), ("invalid", 3)])
def test_cmp05_resolution_limit_per_class(cls, days):
    received = local(2026, 11, 25, 23, 50)
    due = rules.resolution_due(cls, received)
    assert due == received + timedelta(days=days)
    kwargs = dict(commitment_due=received, commitment_done_at=received, resolution_due=due, resolution_done_at=None)
    assert rules.breaches(due, **kwargs) == ()
    assert rules.breaches(due + SECOND, **kwargs) == (rules.Breach(Clock.RESOLUTION, due),)


def test_cmp05_major_and_invalid_are_stopped_by_the_answer_others_by_the_resolution():
    answered, resolved = local(2026, 11, 26, 9, 0), local(2026, 11, 27, 9, 0)
    assert rules.resolution_done_at("major", answered, None) == answered
    assert rules.resolution_done_at("invalid", answered, resolved) == answered
    assert rules.resolution_done_at("important", answered, None) is None
    assert rules.resolution_done_at("minor", answered, resolved) == resolved


def test_cmp05_minor_extension_needs_the_pm_important_the_gm():
    assert rules.extension_approver("minor") == "pm"
    assert rules.extension_approver("important") == "gm"


@pytest.mark.parametrize("cls", ["major", "invalid"])
def test_cmp05_major_and_invalid_cannot_be_extended(cls):
    assert rules.extension_approver(cls) is None
    due = rules.resolution_due(cls, local(2026, 11, 25, 10, 0))
    with pytest.raises(RuleViolation):
        rules.check_extension_request(cls, due, due + timedelta(days=1), "parts on order")


def test_cmp05_extension_request_needs_a_later_time_and_a_reason():
    due = rules.resolution_due("minor", local(2026, 11, 25, 10, 0))
    rules.check_extension_request("minor", due, due + SECOND, "parts on order")
    with pytest.raises(RuleViolation) as refused:
        rules.check_extension_request("minor", due, due, "parts on order")
    assert refused.value.field == "requested_due"
    with pytest.raises(RuleViolation) as refused:
        rules.check_extension_request("important", due, due + timedelta(days=1), "  ")
    assert refused.value.field == "reason"


def test_cmp05_approved_extension_moves_the_clock():
    received = local(2026, 11, 25, 10, 0)
    due = rules.resolution_due("important", received)
    requested = due + timedelta(days=2)
    assert rules.due_after_extension(due, requested, approved=True) == requested
    extension = rules.extension_length(due, requested, approved=True)
    assert rules.resolution_due("important", received, extension=extension) == requested
    kwargs = dict(commitment_due=received, commitment_done_at=received, resolution_done_at=None)
    assert rules.breaches(due + SECOND, resolution_due=requested, **kwargs) == ()


def test_cmp05_refused_extension_leaves_the_clock():
    received = local(2026, 11, 25, 10, 0)
    due = rules.resolution_due("minor", received)
    requested = due + timedelta(days=2)
    assert rules.due_after_extension(due, requested, approved=False) == due
    assert rules.extension_length(due, requested, approved=False) == timedelta(0)
    assert rules.resolution_due("minor", received, extension=timedelta(0)) == due


# ---------------------------------------------------------------------------- waiting


def test_cmp05_no_pauses_no_pause_time():
    assert rules.paused_duration([], local(2026, 11, 25, 10, 0)) == timedelta(0)


def test_cmp05_several_pauses_add_up():
    now = local(2026, 11, 28, 10, 0)
    pauses = [
        (local(2026, 11, 25, 10, 0), local(2026, 11, 25, 14, 0)),
        (local(2026, 11, 26, 8, 0), local(2026, 11, 26, 9, 30)),
    ]
    assert rules.paused_duration(pauses, now) == timedelta(hours=5, minutes=30)


def test_cmp05_open_pause_runs_until_now_and_overlaps_count_once():
    now = local(2026, 11, 26, 12, 0)
    pauses = [(local(2026, 11, 26, 10, 0), None), (local(2026, 11, 26, 11, 0), local(2026, 11, 26, 11, 30))]
    assert rules.paused_duration(pauses, now) == timedelta(hours=2)
    # a pause recorded ahead of `now` counts only up to now
    assert rules.paused_duration([(local(2026, 11, 26, 11, 0), local(2026, 11, 26, 15, 0))], now) == timedelta(hours=1)
    with pytest.raises(ValueError, match="pause"):
        rules.paused_duration([(now, now - SECOND)], now)


def test_cmp05_waiting_pauses_the_resolution_clock_but_never_the_commitment():
    received = local(2026, 11, 25, 10, 0)
    pause = [(local(2026, 11, 25, 10, 30), None)]  # owner unreachable since 10:30
    now = local(2026, 11, 28, 10, 0)  # three days later, still waiting
    paused = rules.paused_duration(pause, now)
    resolution_due = rules.resolution_due("minor", received, paused=paused)
    assert resolution_due == received + timedelta(days=2) + paused
    commitment_due = rules.commitment_due("minor", received)
    assert commitment_due == local(2026, 11, 25, 23, 59, 59)  # the pause has no say here
    assert rules.breaches(now, commitment_due=commitment_due, commitment_done_at=None,
                          resolution_due=resolution_due, resolution_done_at=None) == (
        rules.Breach(Clock.COMMITMENT, commitment_due),
    )


def test_cmp05_waiting_needs_a_reason():
    rules.check_pause_reason("业主出差联系不上")
    with pytest.raises(RuleViolation) as refused:
        rules.check_pause_reason(" ")
    assert refused.value.field == "reason"


# ---------------------------------------------------------------------------- CMP-02 c upgrade


def test_cmp02_one_month_is_the_same_day_next_month_local_time():
    assert rules.one_month_after(local(2026, 3, 15, 10, 0)) == local(2026, 4, 15, 10, 0)
    assert rules.one_month_after(local(2026, 12, 20, 8, 0)) == local(2027, 1, 20, 8, 0)
    # 00:05 local on the 1st is still the 30th/31st in UTC: the local date counts
    assert rules.one_month_after(local(2026, 11, 1, 0, 5)) == local(2026, 12, 1, 0, 5)


def test_cmp02_one_month_from_jan_31_is_the_end_of_february():
    assert rules.one_month_after(local(2026, 1, 31, 10, 0)) == local(2026, 2, 28, 10, 0)
    assert rules.one_month_after(local(2028, 1, 31, 10, 0)) == local(2028, 2, 29, 10, 0)  # leap year
    assert rules.one_month_after(local(2026, 3, 31, 10, 0)) == local(2026, 4, 30, 10, 0)


@pytest.mark.parametrize("cls", ["important", "minor"])
def test_cmp02_valid_complaint_unresolved_after_one_month_is_upgraded(cls):
    received = local(2026, 1, 31, 10, 0)
    limit = local(2026, 2, 28, 10, 0)
    assert not rules.needs_upgrade_to_major(cls, received, None, limit)
    assert rules.needs_upgrade_to_major(cls, received, None, limit + SECOND)


def test_cmp02_resolved_major_or_invalid_complaints_are_not_upgraded():
    received = local(2026, 1, 31, 10, 0)
    later = local(2026, 6, 1, 10, 0)
    assert not rules.needs_upgrade_to_major("important", received, local(2026, 2, 1, 10, 0), later)
    assert not rules.needs_upgrade_to_major("major", received, None, later)
    assert not rules.needs_upgrade_to_major("invalid", received, None, later)


def test_cmp02_upgrade_reason_states_the_reception_and_the_limit_in_local_time():
    msgid, params = rules.upgrade_reason(local(2028, 1, 31, 0, 5))
    assert msgid == rules.UPGRADE_REASON
    assert params == {"received": "2028-01-31 00:05", "limit": "2028-02-29 00:05"}
    assert "2028-02-29" in msgid % params


# ---------------------------------------------------------------------------- CMP-08 sweep


def test_cmp08_stopped_clocks_are_not_breaches_even_when_late():
    received = local(2026, 11, 25, 10, 0)
    now = local(2026, 12, 10, 10, 0)
    assert rules.breaches(now, commitment_due=received + timedelta(hours=1),
                          commitment_done_at=received + timedelta(hours=5),
                          resolution_due=received + timedelta(days=3),
                          resolution_done_at=received + timedelta(days=9)) == ()


def test_cmp08_every_overdue_clock_is_reported():
    received = local(2026, 11, 25, 10, 0)
    found = rules.breaches(local(2026, 12, 10, 10, 0), commitment_due=received, commitment_done_at=None,
                           resolution_due=received, resolution_done_at=None,
                           handling_start_due=received, handling_started_at=None)
    assert [b.clock for b in found] == [Clock.COMMITMENT, Clock.HANDLING_START, Clock.RESOLUTION]


def test_cmp08_dedupe_key_is_stable_and_changes_with_a_new_due():
    due = local(2026, 11, 25, 11, 0)
    key = rules.dedupe_key(7, "commitment", due)
    assert key == rules.dedupe_key(7, Clock.COMMITMENT, due.astimezone(UTC))
    assert key == "complaint:7:commitment:20261125T030000Z"
    assert key != rules.dedupe_key(7, "commitment", due + timedelta(days=1))
    assert key != rules.dedupe_key(8, "commitment", due)
    assert key != rules.dedupe_key(7, "resolution", due)


def test_cmp07_on_time_is_decided_only_when_known():
    due = local(2026, 11, 25, 11, 0)
    assert rules.met_on_time(None, None, due) is None
    assert rules.met_on_time(due, due, due + timedelta(days=1)) is True
    assert rules.met_on_time(due, due + SECOND, due) is False
    assert rules.met_on_time(due, None, due) is None
    assert rules.met_on_time(due, None, due + SECOND) is False


# ---------------------------------------------------------------------------- CMP-07 report month


def test_cmp07_january_report_runs_from_december_26_to_january_25():
    assert rules.report_period(date(2027, 1, 10)) == (date(2026, 12, 26), date(2027, 1, 25))
    assert rules.report_due(date(2027, 1, 10)) == date(2027, 1, 25)


def test_cmp07_march_report_runs_from_february_26_to_march_25():
    assert rules.report_period(date(2026, 3, 1)) == (date(2026, 2, 26), date(2026, 3, 25))


def test_cmp07_cut_off_day_is_a_setting():
    assert rules.report_period(date(2026, 3, 31), cutoff_day=20) == (date(2026, 2, 21), date(2026, 3, 20))
    assert rules.report_due(date(2026, 3, 31), cutoff_day=20) == date(2026, 3, 20)


def test_cmp07_cut_off_beyond_a_short_month_is_its_last_day_and_periods_join():
    assert rules.report_period(date(2026, 2, 1), cutoff_day=30) == (date(2026, 1, 31), date(2026, 2, 28))
    assert rules.report_period(date(2026, 3, 1), cutoff_day=30) == (date(2026, 3, 1), date(2026, 3, 30))
    assert rules.report_period(date(2028, 3, 1), cutoff_day=31) == (date(2028, 3, 1), date(2028, 3, 31))
    with pytest.raises(RuleViolation):
        rules.report_period(date(2026, 3, 1), cutoff_day=0)


def test_cmp07_report_bounds_are_local_midnights():
    start, end = rules.report_bounds(date(2027, 1, 1))
    assert start == local(2026, 12, 26, 0, 0) and end == local(2027, 1, 26, 0, 0)


def test_cmp07_a_moment_counts_in_the_report_month_of_its_local_date():
    assert rules.report_month_of(local(2026, 12, 25, 23, 59, 59)) == date(2026, 12, 1)
    assert rules.report_month_of(local(2026, 12, 26, 0, 5)) == date(2027, 1, 1)  # 25th in UTC
    assert rules.report_month_of(local(2026, 3, 21, 10, 0), cutoff_day=20) == date(2026, 4, 1)
