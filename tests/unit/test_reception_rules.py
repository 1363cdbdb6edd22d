"""Rules of owner reception (篇3): channels, categories and what each starts, the ledger's
life, the return-for-repair slip, the repair work order, praise, suggestions, the
lost-property and major-events registers, and the owners' QR form. Fixed datetimes;
Asia/Shanghai is UTC+8 all year."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from webapp.complaints.rules import OPEN_STATUSES as COMPLAINT_OPEN_STATUSES
from webapp.complaints.rules import ComplaintStatus
from webapp.core.rulekit import RuleViolation
from webapp.estate.rules import normalise_phone
from webapp.paid_services.rules import OPEN_STATUSES as ORDER_OPEN_STATUSES
from webapp.paid_services.rules import ServiceStatus
from webapp.reception import rules
from webapp.reception.rules import (
    Category,
    Channel,
    EventKind,
    FollowUp,
    IdDocument,
    LedgerStatus,
    LostPropertyStatus,
    PraiseStatus,
    PublicStatus,
    ReturnSlipStatus,
    SpamVerdict,
    SuggestionStatus,
    WorkOrderStatus,
)

SHANGHAI = timezone(timedelta(hours=8))
SECOND = timedelta(seconds=1)
#: GB 11643's own example: valid checksum, born 1949-12-31
VALID_ID = "11010519491231002X"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def refused(call, *args, field: str | None = None, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field
    return caught.value


# ---------------------------------------------------------------------------- RCP-01 logging


def test_rcp01_channels_are_visit_phone_email_letter_and_the_qr_form():
    assert {c.value for c in Channel} == {"visit", "phone", "email", "letter", "qr_form"}


def test_rcp01_staff_choose_every_channel_except_the_owners_qr_form():
    assert set(rules.STAFF_CHANNELS) == set(Channel) - {Channel.QR_FORM}


def entry(channel="phone", content="  楼上漏水  ", **overrides):
    values = {"owner_id": 7, "unit_id": 3, "contact": None}
    values.update(overrides)
    return rules.check_entry(channel, content, **values)


@pytest.mark.parametrize("channel", ["visit", "phone", "email", "letter"])
def test_rcp01_a_staff_entry_records_what_was_said_trimmed(channel):
    assert entry(channel) == "楼上漏水"


def test_rcp01_staff_cannot_pass_an_entry_off_as_the_owners_qr_form():
    refused(entry, "qr_form", field="channel")


def test_rcp01_the_public_form_logs_only_with_the_qr_channel():
    assert entry("qr_form", owner_id=None, unit_id=None, contact="13812345678", from_public_form=True) == "楼上漏水"
    refused(entry, "phone", from_public_form=True, field="channel")


def test_rcp01_unknown_channel_is_an_error():
    with pytest.raises(ValueError):
        entry("fax")


@pytest.mark.parametrize("content", [None, "", "   "])
def test_rcp01_an_entry_says_what_the_owner_said(content):
    refused(entry, content=content, field="content")


def test_rcp01_content_and_contact_have_limits():
    entry(content="字" * rules.CONTENT_LIMIT)
    refused(entry, content="字" * (rules.CONTENT_LIMIT + 1), field="content")
    refused(entry, contact="1" * (rules.CONTACT_LIMIT + 1), field="contact")


@pytest.mark.parametrize(
    "who", [{"owner_id": 7, "unit_id": None}, {"owner_id": None, "unit_id": 3}, {"owner_id": None, "unit_id": None, "contact": "王先生 13812345678"}]
)
def test_rcp01_an_owner_a_unit_or_a_contact_is_enough_to_answer(who):
    assert entry(**who)


def test_rcp01_an_entry_with_nobody_to_answer_is_refused():
    refused(entry, owner_id=None, unit_id=None, contact="  ", field="unit")


def test_rcp01_the_owner_must_be_recorded_at_the_chosen_unit():
    assert entry(owner_unit_ids={3, 4})
    refused(entry, owner_unit_ids={4}, field="owner")
    assert entry(owner_unit_ids=None)  # unknown: not checked


# ---------------------------------------------------------------------------- RCP-02..04 categories


def test_rcp02_seven_categories():
    assert {c.value for c in Category} == {
        "after_sales", "repair", "complaint", "service", "praise", "suggestion", "other"
    }


@pytest.mark.parametrize(
    ("category", "first"),
    [
        ("after_sales", FollowUp.RETURN_SLIP),  # RCP-03
        ("repair", FollowUp.WORK_ORDER),
        ("complaint", FollowUp.COMPLAINT),
        ("service", FollowUp.SERVICE_ORDER),
        ("praise", FollowUp.PRAISE),
        ("suggestion", FollowUp.SUGGESTION),
        ("other", FollowUp.NOTE),
    ],
)
def test_rcp04_each_category_starts_its_own_process(category, first):
    assert rules.default_follow_up(category) is first
    rules.check_follow_up(category, first)


def test_rcp04_other_matters_go_to_the_lost_property_register_or_a_note():
    assert set(rules.FOLLOW_UPS[Category.OTHER]) == {FollowUp.LOST_PROPERTY, FollowUp.NOTE}
    rules.check_follow_up("other", "lost_property")


def test_rcp04_every_follow_up_belongs_to_exactly_one_category():
    started = [kind for kinds in rules.FOLLOW_UPS.values() for kind in kinds]
    assert sorted(started) == sorted(FollowUp)
    assert set(rules.FOLLOW_UPS) == set(Category)


@pytest.mark.parametrize(
    ("category", "follow_up"),
    [("repair", "complaint"), ("after_sales", "work_order"), ("praise", "note"), ("complaint", "lost_property")],
)
def test_rcp04_a_category_does_not_start_another_categorys_process(category, follow_up):
    refused(rules.check_follow_up, category, follow_up, field="follow_up")


# ---------------------------------------------------------------------------- RCP-08 the ledger


@pytest.mark.parametrize(("current", "target"), [("new", "open"), ("new", "discarded"), ("open", "closed")])
def test_rcp08_ledger_allows_each_step(current, target):
    rules.check_ledger_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("new", "closed"), ("open", "discarded"), ("open", "new"), ("closed", "open"), ("discarded", "open")],
)
def test_rcp08_ledger_refuses_other_steps(current, target):
    error = refused(rules.check_ledger_transition, current, target)
    assert error.params == {"current": current, "target": target}


def test_rcp08_the_open_ledger_is_new_and_open_entries():
    assert rules.PENDING_STATUSES == {LedgerStatus.NEW, LedgerStatus.OPEN}


def test_rcp02_a_new_entry_is_routed_once_to_its_categorys_process():
    rules.check_route("new", "after_sales", "return_slip")
    refused(rules.check_route, "new", "after_sales", "complaint", field="follow_up")
    refused(rules.check_route, "open", "repair", "work_order")


def test_rcp08_only_an_untouched_entry_is_discarded_and_with_a_reason():
    rules.check_discard("new", "重复提交")
    refused(rules.check_discard, "new", " ", field="reason")
    refused(rules.check_discard, "open", "重复提交")


FINISHED = [
    ("return_slip", "completed"),
    ("return_slip", "withdrawn"),
    ("work_order", "closed"),
    ("work_order", "cancelled"),
    ("complaint", "closed"),
    ("service_order", "closed"),
    ("service_order", "cancelled"),
    ("praise", "credited"),
    ("praise", "not_confirmed"),
    ("suggestion", "answered"),
    ("lost_property", "held"),  # in the register: the register tracks the claim
    ("lost_property", "claimed"),
    ("lost_property", "handed_over"),
    ("note", None),
]
UNFINISHED = [
    ("return_slip", "drafted"),
    ("return_slip", "sent"),
    ("return_slip", "answered"),
    ("work_order", "dispatched"),
    ("work_order", "done"),
    ("work_order", "called_back"),
    ("complaint", "awaiting_callback"),
    ("complaint", "received"),
    ("service_order", "signed"),
    ("praise", "recorded"),
    ("praise", "verified"),
    ("suggestion", "forwarded"),
    ("lost_property", None),
    ("work_order", None),
]


@pytest.mark.parametrize(("follow_up", "status"), FINISHED)
def test_rcp08_entry_closes_out_when_its_follow_up_is_done(follow_up, status):
    assert rules.follow_up_done(follow_up, status)
    rules.check_close("open", follow_up, status, "已回复业主" if follow_up == "note" else None)


@pytest.mark.parametrize(("follow_up", "status"), UNFINISHED)
def test_rcp08_entry_stays_open_while_its_follow_up_runs(follow_up, status):
    assert not rules.follow_up_done(follow_up, status)
    refused(rules.check_close, "open", follow_up, status, None)


def test_rcp08_an_entry_without_a_follow_up_cannot_be_closed_out():
    refused(rules.check_close, "open", None, None, "done")


def test_rcp08_closing_needs_a_routed_entry():
    refused(rules.check_close, "new", "note", None, "done")
    refused(rules.check_close, "closed", "note", None, "done")


def test_rcp08_a_note_is_closed_with_how_the_matter_was_settled():
    refused(rules.check_close, "open", "note", None, "  ", field="remark")
    rules.check_close("open", "work_order", "closed", None)  # others: optional
    refused(rules.check_close, "open", "work_order", "closed", "x" * (rules.REMARK_LIMIT + 1), field="remark")


def test_rcp08_complaint_and_order_done_states_follow_their_slices():
    """The values are written out (rules import no other slice): they must stay in step."""
    assert rules.FOLLOW_UP_DONE[FollowUp.COMPLAINT] == set(ComplaintStatus) - COMPLAINT_OPEN_STATUSES
    assert rules.FOLLOW_UP_DONE[FollowUp.SERVICE_ORDER] == set(ServiceStatus) - ORDER_OPEN_STATUSES


def test_rcp08_own_follow_ups_are_done_exactly_in_their_final_states():
    for kind, table in [
        (FollowUp.RETURN_SLIP, rules.RETURN_SLIP_TRANSITIONS),
        (FollowUp.WORK_ORDER, rules.WORK_ORDER_TRANSITIONS),
        (FollowUp.PRAISE, rules.PRAISE_TRANSITIONS),
        (FollowUp.SUGGESTION, rules.SUGGESTION_TRANSITIONS),
    ]:
        assert rules.FOLLOW_UP_DONE[kind] == {status for status, targets in table.items() if not targets}


def test_rcp08_age_of_an_open_entry():
    received = local(2026, 3, 10, 9, 0)
    assert rules.entry_age(received, local(2026, 3, 12, 11, 30)) == timedelta(days=2, hours=2, minutes=30)
    assert rules.entry_age(received, received - SECOND) == timedelta(0)  # clocks differ: never negative


@dataclass
class Row:
    id: int
    received_at: datetime


def test_rcp08_open_ledger_lists_oldest_first_and_same_moment_by_number():
    same = local(2026, 3, 10, 9, 0)
    rows = [Row(5, same), Row(1, local(2026, 3, 11, 8, 0)), Row(2, same), Row(9, local(2026, 3, 9, 23, 0))]
    assert [r.id for r in rules.oldest_first(rows)] == [9, 2, 5, 1]


def test_rcp08_open_ledger_order_takes_other_shapes():
    pairs = [(3, local(2026, 3, 10)), (4, local(2026, 3, 9))]
    ordered = rules.oldest_first(pairs, received_at=lambda p: p[1], entry_id=lambda p: p[0])
    assert [p[0] for p in ordered] == [4, 3]
    assert rules.ledger_order_key(local(2026, 3, 9), 4) < rules.ledger_order_key(local(2026, 3, 9), 5)


def test_rcp08_overdue_only_after_the_due_second():
    due = local(2026, 3, 10, 23, 59, 59)
    assert not rules.is_overdue(due, None, due)
    assert rules.is_overdue(due, None, due + SECOND)
    assert not rules.is_overdue(due, due, due + timedelta(days=3))  # done in time stays in time
    assert rules.is_overdue(due, due + SECOND, due + SECOND)
    assert not rules.is_overdue(None, None, due)


# ---------------------------------------------------------------------------- RCP-03 return slip

SLIP_STEPS = [
    ("drafted", "sent"),
    ("drafted", "withdrawn"),
    ("sent", "answered"),
    ("sent", "completed"),
    ("sent", "withdrawn"),
    ("answered", "answered"),
    ("answered", "completed"),
    ("answered", "withdrawn"),
]


@pytest.mark.parametrize(("current", "target"), SLIP_STEPS)
def test_rcp03_return_slip_allows_each_step(current, target):
    rules.check_return_slip_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("drafted", "answered"), ("drafted", "completed"), ("completed", "sent"), ("withdrawn", "sent"), ("sent", "drafted")],
)
def test_rcp03_return_slip_is_sent_before_anything_else_and_final_states_stay(current, target):
    error = refused(rules.check_return_slip_transition, current, target)
    assert "return-for-repair slip" in error.message


def test_rcp03_the_slip_says_where_and_what():
    assert rules.check_return_slip(3, None, " 卫生间渗水 ") == "卫生间渗水"
    assert rules.check_return_slip(None, "3栋外墙", "裂缝") == "裂缝"
    refused(rules.check_return_slip, None, " ", "裂缝", field="location")
    refused(rules.check_return_slip, 3, None, "", field="problem")


@pytest.mark.parametrize(
    ("classified_at", "due"),
    [
        (local(2026, 3, 10, 9, 0), local(2026, 3, 10, 23, 59, 59)),
        (local(2026, 3, 10, 23, 30), local(2026, 3, 10, 23, 59, 59)),
        (local(2026, 3, 11, 0, 10), local(2026, 3, 11, 23, 59, 59)),
        # 17:00 UTC is already the next local day
        (datetime(2026, 3, 10, 17, 0, tzinfo=UTC), local(2026, 3, 11, 23, 59, 59)),
    ],
)
def test_rcp03_return_slip_goes_to_the_developer_the_same_local_day(classified_at, due):
    assert rules.return_slip_send_due(classified_at) == due


def test_rcp03_a_slip_sent_the_next_morning_is_late():
    due = rules.return_slip_send_due(local(2026, 3, 10, 16, 0))
    assert not rules.is_overdue(due, local(2026, 3, 10, 23, 59), local(2026, 3, 12))
    assert rules.is_overdue(due, local(2026, 3, 11, 8, 30), local(2026, 3, 12))


def test_rcp03_proposed_developer_due_date_is_the_end_of_the_third_day():
    assert rules.default_developer_due(local(2026, 3, 10, 10, 0)) == local(2026, 3, 13, 23, 59, 59)
    rules.check_developer_due(rules.default_developer_due(local(2026, 3, 10, 10, 0)), local(2026, 3, 10, 10, 0))


def test_rcp03_developer_due_date_is_required_later_and_not_absurd():
    sent = local(2026, 3, 10, 10, 0)
    refused(rules.check_developer_due, None, sent, field="due_at")
    refused(rules.check_developer_due, sent, sent, field="due_at")
    rules.check_developer_due(sent + timedelta(days=rules.MAX_DEVELOPER_DAYS), sent)
    error = refused(rules.check_developer_due, sent + timedelta(days=rules.MAX_DEVELOPER_DAYS) + SECOND, sent,
                    field="due_at")
    assert error.params == {"days": rules.MAX_DEVELOPER_DAYS}


def test_rcp03_developer_answer_with_a_promise_in_the_future():
    answered = local(2026, 3, 12, 15, 0)
    assert rules.check_developer_answer(" 周五派人 ", local(2026, 3, 13, 18, 0), answered) == "周五派人"
    assert rules.check_developer_answer("待查", None, answered) == "待查"
    refused(rules.check_developer_answer, "", None, answered, field="answer")
    refused(rules.check_developer_answer, "周五", answered, answered, field="promised_by")


def test_rcp03_cs_chases_the_promise_once_given():
    due, promise = local(2026, 3, 13, 23, 59, 59), local(2026, 3, 20, 18, 0)
    assert rules.chase_due(due, None) == due
    assert rules.chase_due(due, promise) == promise
    assert rules.chase_due(due, local(2026, 3, 12, 18, 0)) == local(2026, 3, 12, 18, 0)


@pytest.mark.parametrize(
    ("status", "now", "chase"),
    [
        ("sent", local(2026, 3, 14, 0, 0), True),
        ("answered", local(2026, 3, 14, 0, 0), True),
        ("sent", local(2026, 3, 13, 23, 59, 59), False),  # the due second is still in time
        ("completed", local(2026, 3, 20), False),
        ("withdrawn", local(2026, 3, 20), False),
        ("drafted", local(2026, 3, 20), False),  # not sent: the send clock, not the chase
    ],
)
def test_rcp03_a_sent_slip_past_its_date_is_chased(status, now, chase):
    assert rules.needs_chasing(status, local(2026, 3, 13, 23, 59, 59), now) is chase


def test_rcp03_completion_says_what_the_developer_did_and_withdrawal_why():
    assert rules.check_return_slip_outcome(" 已修复 ") == "已修复"
    refused(rules.check_return_slip_outcome, None, field="outcome")
    assert rules.check_reason("业主自行处理") == "业主自行处理"
    refused(rules.check_reason, "", field="reason")


# ---------------------------------------------------------------------------- RCP-04 work order

ORDER_STEPS = [
    ("dispatched", "done"),
    ("dispatched", "cancelled"),
    ("done", "called_back"),
    ("done", "dispatched"),
    ("called_back", "closed"),
]


@pytest.mark.parametrize(("current", "target"), ORDER_STEPS)
def test_rcp04_work_order_allows_dispatch_done_call_back_close(current, target):
    rules.check_work_order_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("dispatched", "called_back"),  # done first
        ("dispatched", "closed"),
        ("done", "closed"),  # never closed without the call-back
        ("done", "cancelled"),  # done work is not cancelled
        ("called_back", "dispatched"),
        ("closed", "dispatched"),
        ("cancelled", "dispatched"),
    ],
)
def test_rcp04_work_order_refuses_skipping_the_call_back(current, target):
    error = refused(rules.check_work_order_transition, current, target)
    assert "repair work order" in error.message


def test_rcp04_call_back_decides_called_back_or_another_round():
    assert rules.status_after_callback(True) is WorkOrderStatus.CALLED_BACK
    assert rules.status_after_callback(False) is WorkOrderStatus.DISPATCHED
    for fixed in (True, False):
        rules.check_work_order_transition("done", rules.status_after_callback(fixed))


def test_rcp04_dispatch_names_the_department_and_a_later_agreed_time():
    now = local(2026, 3, 10, 10, 0)
    rules.check_dispatch(4, None, now)
    rules.check_dispatch(4, now + SECOND, now)
    refused(rules.check_dispatch, None, None, now, field="department")
    refused(rules.check_dispatch, 4, now, now, field="agreed_at")


def test_rcp04_repair_due_a_day_after_dispatch_or_at_the_agreed_time():
    dispatched = local(2026, 3, 10, 10, 0)
    assert rules.repair_done_due(dispatched) == local(2026, 3, 11, 10, 0)
    assert rules.repair_done_due(dispatched, local(2026, 3, 14, 9, 0)) == local(2026, 3, 14, 9, 0)
    assert rules.repair_done_due(dispatched, local(2026, 3, 10, 14, 0)) == local(2026, 3, 10, 14, 0)


def test_rcp04_owner_is_called_back_within_a_day_of_the_repair():
    assert rules.repair_callback_due(local(2026, 3, 10, 16, 0)) == local(2026, 3, 11, 16, 0)


def test_rcp04_done_says_what_was_done():
    assert rules.check_work_done(" 更换水龙头 ") == "更换水龙头"
    refused(rules.check_work_done, " ", field="work_done")


def test_rcp04_call_back_by_visit_or_phone_with_the_owners_words():
    assert rules.check_callback("phone", " 已修好 ") == "已修好"
    assert rules.check_callback("visit", "满意")
    refused(rules.check_callback, "sms", "满意", field="method")
    refused(rules.check_callback, None, "满意", field="method")
    refused(rules.check_callback, "phone", "", field="owner_response")


# ---------------------------------------------------------------------------- RCP-04 praise, suggestion


@pytest.mark.parametrize(
    ("current", "target"), [("recorded", "verified"), ("recorded", "not_confirmed"), ("verified", "credited")]
)
def test_rcp04_praise_is_verified_then_credited(current, target):
    rules.check_praise_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"), [("recorded", "credited"), ("verified", "not_confirmed"), ("credited", "verified")]
)
def test_rcp04_praise_is_never_credited_unverified(current, target):
    error = refused(rules.check_praise_transition, current, target)
    assert "praise" in error.message


def test_rcp04_verifying_a_praise_names_the_staff_and_how_it_was_checked():
    assert rules.check_praise_verification(True, {11, 12}, " 监控核实 ") == "监控核实"
    refused(rules.check_praise_verification, True, set(), "监控核实", field="staff")
    refused(rules.check_praise_verification, True, {11}, "", field="note")
    assert rules.check_praise_verification(False, set(), "查无此事") == "查无此事"
    refused(rules.check_praise_verification, False, set(), None, field="note")


def test_rcp04_suggestion_is_forwarded_to_the_pm_and_answered():
    rules.check_suggestion_transition("forwarded", "answered")
    assert "suggestion" in refused(rules.check_suggestion_transition, "answered", "forwarded").message
    assert rules.check_suggestion_answer(" 下月增设 ") == "下月增设"
    refused(rules.check_suggestion_answer, "", field="answer")


def test_rcp04_pm_answers_a_suggestion_within_a_week():
    assert rules.suggestion_answer_due(local(2026, 3, 10, 10, 0)) == local(2026, 3, 17, 10, 0)


def test_rcp04_status_values_are_stable():
    """Stored in the database: renaming one needs a migration."""
    assert [s.value for s in PraiseStatus] == ["recorded", "verified", "credited", "not_confirmed"]
    assert [s.value for s in SuggestionStatus] == ["forwarded", "answered"]
    assert [s.value for s in ReturnSlipStatus] == ["drafted", "sent", "answered", "completed", "withdrawn"]
    assert [s.value for s in WorkOrderStatus] == ["dispatched", "done", "called_back", "closed", "cancelled"]
    assert [s.value for s in LostPropertyStatus] == ["held", "claimed", "handed_over"]


# ---------------------------------------------------------------------------- RCP-04 lost property


def test_rcp04_found_item_is_claimed_or_handed_over_once():
    rules.check_lost_property_transition("held", "claimed")
    rules.check_lost_property_transition("held", "handed_over")
    assert "found item" in refused(rules.check_lost_property_transition, "claimed", "handed_over").message
    refused(rules.check_lost_property_transition, "handed_over", "held")


NOW = local(2026, 3, 10, 12, 0)
FOUND_AT = local(2026, 3, 10, 8, 0)


def found(item="黑色钱包", place="3栋大堂", at=FOUND_AT, holder="客服中心 张三"):
    rules.check_found_item(item, place, at, holder, NOW)


def test_rcp04_register_records_item_place_time_and_holder():
    found()
    found(at=NOW)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"item": " "}, "item"),
        ({"item": "包" * 201}, "item"),
        ({"place": None}, "found_place"),
        ({"at": None}, "found_at"),
        ({"at": NOW + SECOND}, "found_at"),
        ({"holder": ""}, "holder"),
    ],
)
def test_rcp04_register_refuses_a_missing_or_impossible_field(overrides, field):
    refused(found, field=field, **overrides)


@pytest.mark.parametrize(
    "number",
    [
        VALID_ID,
        "11010519491231002x",  # lower-case x, as people type it
        "110105 19491231 002X",
    ],
)
def test_rcp04_claimant_mainland_id_is_checked_by_its_checksum(number):
    assert rules.clean_document_number("resident_id", number) == VALID_ID


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19
        "11010519490230002X",  # 30 February
        "11010518991231002X",  # born before 1900
        "X1010519491231002X",
    ],
)
def test_rcp04_implausible_mainland_id_is_refused(number):
    assert not rules.resident_id_is_valid(number.upper())
    refused(rules.clean_document_number, "resident_id", number, field="document_number")


def test_rcp04_a_real_id_passes_only_with_its_own_check_character():
    # of the eleven possible check characters exactly one fits the first 17 digits
    passing = [c for c in "0123456789X" if rules.resident_id_is_valid(VALID_ID[:17] + c)]
    assert passing == ["X"]


@pytest.mark.parametrize(
    ("document", "number", "clean"),
    [("passport", "e 1234 5678", "E12345678"), ("hk_macao_permit", "H12345678", "H12345678"), ("other", "AB-12345", "AB-12345")],
)
def test_rcp04_other_documents_need_a_number_of_a_plausible_shape(document, number, clean):
    assert rules.clean_document_number(document, number) == clean


@pytest.mark.parametrize(
    ("document", "number"),
    [("passport", "E123"), ("passport", "ABCDEFGH"), ("taiwan_permit", "1234#5678"), ("other", "1" * 31), ("passport", " ")],
)
def test_rcp04_other_document_numbers_that_cannot_be_right_are_refused(document, number):
    refused(rules.clean_document_number, document, number, field="document_number")


def claim(name="李四", document="resident_id", number=VALID_ID, at=NOW - timedelta(hours=1)):
    return rules.check_claim(name, document, number, at, FOUND_AT, NOW)


def test_rcp04_claim_records_who_and_when_and_keeps_the_id_masked():
    assert claim() == "**************002X"
    assert claim(document="passport", number="E12345678") == "*****5678"
    assert claim(at=FOUND_AT) and claim(at=NOW)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "claimant_name"),
        ({"document": None}, "document"),
        ({"document": "driving_licence"}, "document"),
        ({"number": "110105194912310021"}, "document_number"),
        ({"at": None}, "claimed_at"),
        ({"at": NOW + SECOND}, "claimed_at"),
        ({"at": local(2026, 3, 10, 7, 59)}, "claimed_at"),  # before it was found
    ],
)
def test_rcp04_claim_refuses_missing_or_impossible_details(overrides, field):
    refused(claim, field=field, **overrides)


def test_rcp04_handover_of_an_unclaimed_item_says_to_whom():
    assert rules.check_handover(" 交辖区派出所 ") == "交辖区派出所"
    refused(rules.check_handover, "", field="note")


def test_rcp04_id_documents_offered():
    assert {d.value for d in IdDocument} == {"resident_id", "passport", "hk_macao_permit", "taiwan_permit", "other"}


# ---------------------------------------------------------------------------- EST-03 confidentiality


def test_est03_register_keeps_only_the_last_four_characters_of_a_document():
    masked = rules.mask_document_number(VALID_ID)
    assert masked == "*" * 14 + "002X" and VALID_ID[:14] not in masked
    assert rules.mask_document_number("E12345678") == "*****5678"
    assert rules.mask_document_number("1234") == "1234"


def test_est03_public_status_page_shows_no_personal_data():
    view = rules.public_view("CH-JD-20260310-0007", "repair", "open", False, local(2026, 3, 10, 9, 0))
    assert {f.name for f in fields(view)} == {"reference", "category", "status", "received_on"}
    assert view.status is PublicStatus.IN_PROGRESS and view.received_on == date(2026, 3, 10)


def test_est03_qr_form_phone_is_normalised_by_the_estates_rule_passed_in():
    """Phones are the estate's (mask_phone, normalise_phone): reused, not copied here."""
    assert not hasattr(rules, "mask_phone") and not hasattr(rules, "normalise_phone")
    assert rules.clean_owner_phone("x", lambda raw: "passed-in") == "passed-in"


# ---------------------------------------------------------------------------- RCP-07 major events


def test_rcp07_register_kinds_are_security_equipment_and_official_visits():
    assert {k.value for k in EventKind} == {"security_incident", "equipment_failure", "official_visit"}
    assert set(rules.EVENT_REQUIRED_FIELDS) == set(EventKind)


EVENT = {"place": "地下车库", "description": "车辆被撬", "people_involved": "保安 王五", "handling": None, "follow_up": None}


@pytest.mark.parametrize("kind", list(EventKind))
def test_rcp07_an_event_records_kind_time_place_and_what_happened(kind):
    rules.check_major_event(kind, NOW, EVENT, NOW)


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("security_incident", "place"),
        ("security_incident", "description"),
        ("security_incident", "people_involved"),
        ("official_visit", "people_involved"),
        ("equipment_failure", "description"),
    ],
)
def test_rcp07_each_kind_needs_its_fields(kind, missing):
    refused(rules.check_major_event, kind, NOW, {**EVENT, missing: " "}, NOW, field=missing)


def test_rcp07_an_equipment_failure_need_not_name_people():
    rules.check_major_event("equipment_failure", NOW, {**EVENT, "people_involved": None}, NOW)


def test_rcp07_kind_and_a_past_time_are_required_and_text_has_limits():
    refused(rules.check_major_event, None, NOW, EVENT, NOW, field="kind")
    refused(rules.check_major_event, "fire_drill", NOW, EVENT, NOW, field="kind")
    refused(rules.check_major_event, "official_visit", None, EVENT, NOW, field="occurred_at")
    refused(rules.check_major_event, "official_visit", NOW + SECOND, EVENT, NOW, field="occurred_at")
    refused(rules.check_major_event, "official_visit", NOW, {**EVENT, "handling": "x" * 2001}, NOW, field="handling")


def test_rcp07_an_event_is_closed_with_its_handling_and_follow_up():
    done = {**EVENT, "handling": "报警, 调取监控", "follow_up": "加装摄像头"}
    rules.check_event_close("open", "security_incident", done)
    refused(rules.check_event_close, "open", "security_incident", {**done, "follow_up": ""}, field="follow_up")
    refused(rules.check_event_close, "open", "equipment_failure", {**done, "handling": None}, field="handling")
    assert "event record" in refused(rules.check_event_close, "closed", "security_incident", done).message


# ---------------------------------------------------------------------------- RCP-01 the owners' QR form


def test_rcp01_owners_choose_every_category_but_after_sales():
    assert set(rules.OWNER_CATEGORIES) == set(Category) - {Category.AFTER_SALES}
    assert rules.check_owner_category("praise") is Category.PRAISE
    for bad in (None, "", "after_sales", "spam"):
        refused(rules.check_owner_category, bad, field="category")


def test_rcp01_owner_description_between_four_and_five_hundred_characters():
    assert rules.clean_owner_description(" 电梯坏了 ") == "电梯坏了"
    assert rules.clean_owner_description("字" * rules.OWNER_DESCRIPTION_MAX)
    assert refused(rules.clean_owner_description, "漏水了", field="description").params == {"count": 4}
    refused(rules.clean_owner_description, "", field="description")
    refused(rules.clean_owner_description, "字" * (rules.OWNER_DESCRIPTION_MAX + 1), field="description")


def test_rcp01_owner_gives_the_unit_as_text():
    assert rules.clean_unit_text(" 3栋1502 ") == "3栋1502"
    refused(rules.clean_unit_text, None, field="unit_text")
    refused(rules.clean_unit_text, "1" * (rules.UNIT_TEXT_MAX + 1), field="unit_text")


@pytest.mark.parametrize(
    ("raw", "normal"), [("138 1234 5678", "13812345678"), ("+86 13812345678", "13812345678"), ("021-12345678", "021-12345678")]
)
def test_rcp01_owner_phone_is_a_mainland_mobile_or_landline(raw, normal):
    assert rules.clean_owner_phone(raw, normalise_phone) == normal


@pytest.mark.parametrize("raw", ["", None, "12345678901", "+44 20 7946 0958", "138123"])
def test_rcp01_owner_phone_that_cannot_be_called_is_refused(raw):
    refused(rules.clean_owner_phone, raw, normalise_phone, field="phone")


def test_rcp01_qr_form_reports_every_problem_at_once():
    request, problems = rules.clean_owner_form("after_sales", "漏", "", "123", normalise_phone)
    assert request is None
    assert set(problems) == {"category", "description", "unit_text", "phone"}
    assert all(problem.field == name for name, problem in problems.items())


def test_rcp01_qr_form_gives_the_cleaned_request():
    request, problems = rules.clean_owner_form("repair", " 楼道灯不亮 ", "3栋1502", "13812345678", normalise_phone)
    assert problems == {}
    assert request == rules.OwnerRequest(Category.REPAIR, "楼道灯不亮", "3栋1502", "13812345678")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("CH-JD-20260310-0007", True),
        (" ch-jd-20260310-0007 ", True),
        ("JX2-JD-20260310-12345", True),
        ("CH-TS-20260310-0007", False),  # a complaint's number
        ("CH-JD-2026031-0007", False),
        ("CH-JD-20260310-07", False),
        ("", False),
        (None, False),
    ],
)
def test_rcp01_reference_number_is_the_ledger_number(text, ok):
    assert rules.is_reference_number(text) is ok


def test_rcp01_status_token_is_unguessable_and_well_shaped():
    tokens = {rules.new_status_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(rules.is_status_token(t) and len(t) == 22 for t in tokens)
    assert not rules.is_status_token("CH-JD-20260310-0007")
    assert not rules.is_status_token(None)
    assert not rules.is_status_token("a" * 23)


@pytest.mark.parametrize(
    ("ledger", "done", "public"),
    [
        ("new", False, PublicStatus.RECEIVED),
        ("open", False, PublicStatus.IN_PROGRESS),
        ("open", True, PublicStatus.DONE),  # done, not yet closed out by CS
        ("closed", True, PublicStatus.DONE),
        ("discarded", False, PublicStatus.NOT_PURSUED),
    ],
)
def test_rcp01_owner_sees_a_plain_status(ledger, done, public):
    assert rules.public_status(ledger, done) is public


# ---------------------------------------------------------------------------- spam without a captcha

SECRET = "test-secret"
SCOPE = "poster-token-1"
RENDERED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_rcp01_render_stamp_round_trips_to_the_second():
    stamp = rules.sign_render_stamp(RENDERED + timedelta(microseconds=700), SECRET, SCOPE)
    assert rules.read_render_stamp(stamp, SECRET, SCOPE) == RENDERED
    assert rules.read_render_stamp(rules.sign_render_stamp(RENDERED, b"bytes-key", SCOPE), b"bytes-key", SCOPE) == RENDERED


@pytest.mark.parametrize(
    "stamp",
    [
        None,
        "",
        "1773108000",
        "1773108000.",
        "abc.def",
        "-5.abc",
        rules.sign_render_stamp(RENDERED, "another-secret", SCOPE),  # forged
        rules.sign_render_stamp(RENDERED, SECRET, "another-poster"),  # another project's form
    ],
)
def test_rcp01_render_stamp_that_is_missing_or_forged_reads_as_none(stamp):
    assert rules.read_render_stamp(stamp, SECRET, SCOPE) is None


def test_rcp01_a_stamp_with_a_changed_time_is_forged():
    seconds, mac = rules.sign_render_stamp(RENDERED, SECRET, SCOPE).split(".")
    assert rules.read_render_stamp(f"{int(seconds) - 60}.{mac}", SECRET, SCOPE) is None


def test_rcp01_filled_honeypot_is_dropped_silently_whatever_the_time():
    check = rules.spam_check("http://spam.example", RENDERED, RENDERED + timedelta(minutes=1))
    assert check.verdict is SpamVerdict.DROP and check.message is None


@pytest.mark.parametrize(
    ("honeypot", "rendered_at", "now", "verdict"),
    [
        (None, RENDERED, RENDERED + rules.MIN_FILL_TIME, SpamVerdict.ACCEPT),
        ("  ", RENDERED, RENDERED + timedelta(minutes=5), SpamVerdict.ACCEPT),
        ("", RENDERED, RENDERED + rules.MAX_FORM_AGE, SpamVerdict.ACCEPT),
        ("", RENDERED, RENDERED + rules.MIN_FILL_TIME - SECOND, SpamVerdict.RETRY),  # too quick for a person
        ("", RENDERED, RENDERED + rules.MAX_FORM_AGE + SECOND, SpamVerdict.RETRY),  # stale
        ("", None, RENDERED, SpamVerdict.RETRY),  # no genuine stamp
        ("", RENDERED + rules.STAMP_SKEW + SECOND, RENDERED, SpamVerdict.RETRY),  # from the future
    ],
)
def test_rcp01_qr_form_spam_check_by_fill_time_and_honeypot(honeypot, rendered_at, now, verdict):
    check = rules.spam_check(honeypot, rendered_at, now)
    assert check.verdict is verdict
    assert (check.message is not None) is (verdict is SpamVerdict.RETRY)


def test_rcp01_a_slightly_fast_server_clock_is_tolerated_then_the_fill_time_applies():
    check = rules.spam_check("", RENDERED + rules.STAMP_SKEW, RENDERED)
    assert check.verdict is SpamVerdict.RETRY and "quick" in check.message
