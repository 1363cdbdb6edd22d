"""Rules of paid services (篇5): money in fen, the price list, the order's life cycle and
who takes each step, the checklists, the charge, the signed content and its hash, rental
commission and the summary month. Fixed datetimes; Asia/Shanghai is UTC+8 all year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from webapp.core.rulekit import RuleViolation
from webapp.org.rules import ROLE_PERMISSIONS, Permission, Role
from webapp.paid_services import rules
from webapp.paid_services.rules import (
    Candidate,
    ChargeLine,
    CheckItem,
    Checklist,
    PriceVersion,
    RentalStatus,
    ServiceStatus,
    Step,
)

SHANGHAI = timezone(timedelta(hours=8))
SECOND = timedelta(seconds=1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def refused(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as exc:
        call(*args, **kwargs)
    return exc.value


# ---------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "fen"),
    [("80", 8000), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("¥1,200", 120000), ("80元", 8000), (" 3 ", 300),
     ("0", 0), (45, 4500)],
)
def test_svc06_amounts_in_yuan_are_read_as_whole_fen(text, fen):
    assert rules.parse_yuan(text) == fen
    assert isinstance(rules.parse_yuan(text), int)


@pytest.mark.parametrize("text", ["", None, "abc", "1.234", "NaN", "Infinity", "1e400x"])
def test_svc06_amounts_that_are_not_yuan_are_refused(text):
    assert refused(rules.parse_yuan, text, "materials").field == "materials"


def test_svc06_fen_are_shown_as_yuan():
    assert rules.format_yuan(1250) == "12.50"
    assert rules.format_yuan(5) == "0.05"
    assert rules.format_yuan(0) == "0.00"
    assert rules.format_yuan(-5) == "-0.05"


@pytest.mark.parametrize(("text", "centi"), [("1", 100), ("1.5", 150), ("2.25", 225), ("0.01", 1)])
def test_svc06_quantities_are_hundredths_of_the_unit(text, centi):
    assert rules.parse_quantity(text) == centi


@pytest.mark.parametrize("text", ["", "x", "0", "-1", "1.005", "1001"])
def test_svc06_bad_quantities_are_refused(text):
    assert refused(rules.parse_quantity, text).field == "quantity"


def test_svc06_quantities_are_shown_without_trailing_zeros():
    assert [rules.format_quantity(c) for c in (200, 150, 125, 5)] == ["2", "1.5", "1.25", "0.05"]


@pytest.mark.parametrize("price", [0, -100, 1.5, 100.0, True, "100", None])
def test_svc01_a_price_of_zero_negative_or_not_whole_fen_is_refused(price):
    assert refused(rules.check_price_fen, price).field == "price"


def test_svc01_a_price_is_capped_and_one_fen_is_fine():
    assert rules.check_price_fen(1) == 1
    assert rules.check_price_fen(rules.MAX_PRICE_FEN) == rules.MAX_PRICE_FEN
    assert "100000.00" in str(refused(rules.check_price_fen, rules.MAX_PRICE_FEN + 1))


@pytest.mark.parametrize("quantity", [0, -1, 1.0, True, rules.MAX_QUANTITY_CENTI + 1])
def test_svc06_zero_negative_or_absurd_quantities_are_refused(quantity):
    refused(rules.check_quantity_centi, quantity)


@pytest.mark.parametrize("materials", [-1, 0.5, "10", rules.MAX_MATERIALS_FEN + 1])
def test_svc06_materials_cannot_be_negative_fractional_or_absurd(materials):
    assert refused(rules.check_materials_fen, materials).field == "materials"


def test_svc06_no_materials_is_zero():
    assert rules.check_materials_fen(0) == 0


def test_svc06_line_amount_is_quantity_times_price_rounded_half_up_to_the_fen():
    assert rules.line_amount_fen(8000, 200) == 16000  # 2 h × 80.00
    assert rules.line_amount_fen(3333, 150) == 5000  # 1.5 × 33.33 = 49.995 → 50.00
    assert rules.line_amount_fen(3333, 149) == 4966  # 49.6617 → 49.66
    assert rules.line_amount_fen(1, 50) == 1  # 0.005 → 0.01
    assert rules.line_amount_fen(1, 49) == 0


def test_svc06_charge_is_lines_plus_materials():
    lines = [ChargeLine("擦窗", "平方米", 500, 3550), ChargeLine("日常保洁", "小时", 4000, 300)]
    charge = rules.compute_charge(lines, 2850)
    assert charge == rules.Charge(lines_fen=17750 + 12000, materials_fen=2850, total_fen=17750 + 12000 + 2850)
    assert all(isinstance(v, int) for v in (charge.lines_fen, charge.materials_fen, charge.total_fen))


def test_svc06_charge_needs_a_line_and_refuses_negative_materials():
    assert refused(rules.compute_charge, []).field == "lines"
    assert refused(rules.compute_charge, [ChargeLine("a", "次", 100, 100)], -1).field == "materials"


def test_svc06_a_line_with_a_zero_price_cannot_be_charged():
    refused(lambda: ChargeLine("a", "次", 0, 100).amount_fen)


# ---------------------------------------------------------------------------- SVC-01 price list


def test_svc01_first_proposal_needs_only_a_valid_price():
    rules.check_price_proposal(8000, None, price_in_force_fen=None, has_pending=False, is_first=True)


def test_svc01_a_zero_price_proposal_is_refused():
    assert refused(rules.check_price_proposal, 0, "x", price_in_force_fen=None, has_pending=False,
                   is_first=True).field == "price"


def test_svc01_one_proposal_at_a_time_per_item():
    assert refused(rules.check_price_proposal, 9000, "涨价", price_in_force_fen=8000, has_pending=True,
                   is_first=False).field == "price"


def test_svc01_a_price_change_gives_its_reason():
    assert refused(rules.check_price_proposal, 9000, "  ", price_in_force_fen=8000, has_pending=False,
                   is_first=False).field == "reason"
    rules.check_price_proposal(9000, "人工成本上涨", price_in_force_fen=8000, has_pending=False, is_first=False)


def test_svc01_a_price_change_must_change_the_price():
    assert refused(rules.check_price_proposal, 8000, "再批", price_in_force_fen=8000, has_pending=False,
                   is_first=False).field == "price"


def test_svc01_a_requested_start_cannot_lie_in_the_past():
    proposed = local(2026, 11, 25, 10, 0)
    rules.check_requested_effective_from(None, proposed)
    rules.check_requested_effective_from(proposed, proposed)
    assert refused(rules.check_requested_effective_from, proposed - SECOND, proposed).field == "effective_from"


def test_svc01_the_gm_decides_once_and_a_refusal_says_why():
    rules.check_price_decision(False, True, None)
    rules.check_price_decision(False, False, "偏高")
    refused(rules.check_price_decision, True, True, None)
    assert refused(rules.check_price_decision, False, False, " ").field == "note"


def test_svc01_an_approved_price_applies_from_the_requested_time_never_before_the_approval():
    decided = local(2026, 11, 25, 10, 0)
    assert rules.effective_from(None, decided) == decided
    assert rules.effective_from(decided - timedelta(days=1), decided) == decided
    assert rules.effective_from(decided + timedelta(days=5), decided) == decided + timedelta(days=5)


def test_svc01_price_in_force_is_the_latest_approved_that_has_started():
    t0 = local(2026, 11, 1, 9, 0)
    first = PriceVersion(8000, "approved", t0)
    refused_change = PriceVersion(7000, "refused", None)
    pending = PriceVersion(9900, None, None)
    change = PriceVersion(9000, "approved", t0 + timedelta(days=10))
    versions = [first, refused_change, pending, change]
    assert rules.price_in_force(versions, t0 - SECOND) is None
    assert rules.price_in_force(versions, t0) == first
    assert rules.price_in_force(versions, t0 + timedelta(days=10) - SECOND) == first
    assert rules.price_in_force(versions, t0 + timedelta(days=10)) == change


def test_svc01_of_two_approved_prices_starting_together_the_later_one_counts():
    t0 = local(2026, 11, 1, 9, 0)
    assert rules.price_in_force([PriceVersion(1, "approved", t0), PriceVersion(2, "approved", t0)], t0).price_fen == 2


def test_svc01_price_version_carries_the_callers_record_without_comparing_it():
    assert PriceVersion(1, "approved", None, ref="a") == PriceVersion(1, "approved", None, ref="b")


def test_svc01_an_item_is_offered_only_once_approved_and_while_active():
    t0 = local(2026, 11, 1, 9, 0)
    assert not rules.is_offered(True, [PriceVersion(8000, None, None)], t0)
    assert not rules.is_offered(True, [PriceVersion(8000, "refused", None)], t0)
    assert rules.is_offered(True, [PriceVersion(8000, "approved", t0)], t0)
    assert not rules.is_offered(False, [PriceVersion(8000, "approved", t0)], t0)


# ---------------------------------------------------------------------------- life cycle

ALLOWED = [
    ("registered", "dispatched"),
    ("registered", "cancelled"),
    ("dispatched", "in_progress"),
    ("dispatched", "cancelled"),
    ("in_progress", "completed"),
    ("in_progress", "cancelled"),
    ("completed", "signed"),
    ("completed", "signature_refused"),
    ("signed", "closed"),
    ("signature_refused", "signed"),
    ("signature_refused", "closed"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_svc06_order_lifecycle_allows_each_step(current, target):
    rules.check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("registered", "in_progress"),  # SVC-03: dispatched first
        ("dispatched", "completed"),  # started first
        ("in_progress", "signed"),  # completed first
        ("completed", "closed"),  # SVC-07: the owner signs or refuses first
        ("completed", "cancelled"),  # work done is charged, not cancelled
        ("signed", "cancelled"),
        ("closed", "in_progress"),
        ("cancelled", "registered"),
    ],
)
def test_svc06_order_lifecycle_refuses_skipping_steps(current, target):
    refused(rules.check_transition, current, target)


def test_svc07_closed_and_cancelled_are_final():
    assert rules.OPEN_STATUSES == frozenset(ServiceStatus) - {ServiceStatus.CLOSED, ServiceStatus.CANCELLED}
    assert rules.TRANSITIONS[ServiceStatus.CLOSED] == rules.TRANSITIONS[ServiceStatus.CANCELLED] == frozenset()
    leading_to_closed = {s for s in ServiceStatus if ServiceStatus.CLOSED in rules.TRANSITIONS[s]}
    assert leading_to_closed == {ServiceStatus.SIGNED, ServiceStatus.SIGNATURE_REFUSED}


def test_svc09_what_the_owner_approves_can_be_edited_only_after_completion():
    rules.check_editable("registered", ["appointment_at", "key_authorised", "quantities"])
    rules.check_editable("signed", ["work_done", "materials_fen", "quantities", "finished_at"])
    assert refused(rules.check_editable, "registered", ["work_done"]).field == "work_done"
    assert refused(rules.check_editable, "completed", ["key_authorised"]).field == "key_authorised"
    assert refused(rules.check_editable, "in_progress", ["quantities"]).field == "quantities"
    rules.check_editable("in_progress", ["cautions"])
    assert refused(rules.check_editable, "closed", []).field is None
    refused(rules.check_editable, "cancelled", ["requirements"])


# ---------------------------------------------------------------------------- who does what


def test_svc01_to_svc08_every_step_names_existing_permissions():
    known = {p.value for p in Permission}
    for step in Step:
        assert rules.STEP_PERMISSIONS[step] and set(rules.STEP_PERMISSIONS[step]) <= known, step
    assert rules.ASSIGNED_ONLY_PERMISSION in known


def _roles_with(step: Step) -> set[Role]:
    return {
        role for role, permissions in ROLE_PERMISSIONS.items() if role is not Role.ADMIN
        and any(Permission(p) in permissions for p in rules.STEP_PERMISSIONS[step])
    }


def test_svc01_supervisors_propose_prices_and_only_the_gm_approves():
    assert _roles_with(Step.PROPOSE_PRICE) == {Role.DEPT_SUPERVISOR, Role.CS_SUPERVISOR}
    assert _roles_with(Step.DECIDE_PRICE) == {Role.GM}


def test_svc02_the_service_centre_registers_and_svc03_the_department_supervisor_dispatches():
    assert _roles_with(Step.REGISTER) == {Role.RECEPTIONIST, Role.CS_SUPERVISOR, Role.PM, Role.PM_ASSISTANT}
    assert _roles_with(Step.DISPATCH) == {Role.DEPT_SUPERVISOR}
    assert _roles_with(Step.WORK) == {Role.STAFF, Role.DEPT_SUPERVISOR}


def test_svc07_department_and_cs_supervisors_check_quality():
    assert _roles_with(Step.CHECK_QUALITY) == {Role.DEPT_SUPERVISOR, Role.CS_SUPERVISOR}


def test_svc08_the_desk_handles_rentals_and_svc03_pm_or_supervisor_clears_staff():
    assert _roles_with(Step.RENTAL) == {Role.RECEPTIONIST, Role.CS_SUPERVISOR, Role.PM, Role.PM_ASSISTANT}
    assert _roles_with(Step.CLEAR_STAFF) == {Role.PM, Role.DEPT_SUPERVISOR}


# ---------------------------------------------------------------------------- SVC-02 registration


def test_svc02_the_appointment_is_agreed_and_lies_ahead():
    now = local(2026, 11, 25, 10, 0)
    rules.check_appointment(now + SECOND, now)
    assert refused(rules.check_appointment, None, now).field == "appointment_at"
    assert refused(rules.check_appointment, now, now).field == "appointment_at"


def test_svc02_an_order_lists_each_item_once_all_of_one_department():
    rules.check_order_items([1, 2], [7, 7])
    assert refused(rules.check_order_items, [], []).field == "lines"
    assert refused(rules.check_order_items, [1, 1], [7, 7]).field == "lines"
    assert refused(rules.check_order_items, [1, 2], [7, 8]).field == "lines"


# ---------------------------------------------------------------------------- SVC-03 dispatch


def test_svc03_only_cleared_staff_who_do_paid_jobs_are_dispatched():
    rules.check_dispatch("registered", [Candidate("王", True, True), Candidate("李", True, True)])
    rules.check_dispatch("dispatched", [Candidate("王", True, True)])  # the team changed before the start
    assert refused(rules.check_dispatch, "registered", []).field == "technicians"
    not_cleared = refused(rules.check_dispatch, "registered", [Candidate("王", True, True), Candidate("李", True, False)])
    assert not_cleared.params == {"name": "李"} and "cleared" in not_cleared.message
    not_staff = refused(rules.check_dispatch, "registered", [Candidate("赵", False, True)])
    assert not_staff.params == {"name": "赵"} and "paid jobs" in not_staff.message


@pytest.mark.parametrize("status", ["in_progress", "completed", "closed", "cancelled"])
def test_svc03_the_team_is_chosen_before_the_work_starts(status):
    refused(rules.check_dispatch, status, [Candidate("王", True, True)])


def test_svc03_clearance_follows_a_training_that_took_place():
    today = date(2026, 11, 25)
    rules.check_clearance(today, today)
    assert refused(rules.check_clearance, None, today).field == "trained_on"
    assert refused(rules.check_clearance, today + timedelta(days=1), today).field == "trained_on"


# ---------------------------------------------------------------------------- SVC-04/05 checklists


PRE = [CheckItem.APPEARANCE, CheckItem.TOOLS, CheckItem.REQUIREMENTS, CheckItem.ON_TIME]


def _tick(item, ticked=(), *, pre_done=True, key=False):
    rules.check_tick(item, ticked=ticked, pre_departure_done=pre_done, key_authorised=key)


def test_svc04_the_pre_departure_checklist_holds_the_sops_four_items():
    assert rules.CHECKLISTS[Checklist.PRE_DEPARTURE] == tuple(PRE)
    assert all(rules.checklist_of(i) is Checklist.PRE_DEPARTURE for i in PRE)


def test_svc04_svc05_every_checklist_item_has_the_words_the_phone_shows():
    assert set(rules.CHECK_ITEM_LABELS) == set(CheckItem)
    assert len(set(rules.CHECK_ITEM_LABELS.values())) == len(CheckItem)


def test_svc06_every_state_rating_and_result_has_a_label():
    from webapp.paid_services import labels

    assert set(labels.STATUS_LABELS) == set(ServiceStatus)
    assert set(labels.RENTAL_STATUS_LABELS) == set(RentalStatus)
    assert set(labels.SATISFACTION_LABELS) == set(rules.Satisfaction)
    assert set(labels.QUALITY_LABELS) == set(rules.QualityResult)
    assert set(labels.CHECKLIST_LABELS) == set(Checklist)


def test_svc04_preparation_items_in_any_order_arrival_after_them():
    for item in PRE[:3]:
        _tick(item, pre_done=False)
    assert refused(_tick, CheckItem.ON_TIME, [CheckItem.APPEARANCE, CheckItem.TOOLS], pre_done=False).field == "item"
    _tick(CheckItem.ON_TIME, PRE[:3], pre_done=False)


def test_svc04_arrival_is_on_time_up_to_the_appointed_minute():
    appointment = local(2026, 11, 25, 14, 0)
    assert not rules.is_late(appointment, appointment + timedelta(seconds=59))
    assert rules.is_late(appointment, appointment + timedelta(minutes=1))
    assert not rules.is_late(appointment, appointment - timedelta(minutes=10))


def test_svc05_nothing_on_site_before_the_pre_departure_checklist_is_done():
    assert refused(_tick, CheckItem.KNOCK, pre_done=False).field == "item"


def test_svc05_knock_and_identify_comes_first():
    _tick(CheckItem.KNOCK)
    for item in (CheckItem.OWNER_ADMITTED, CheckItem.SHOE_COVERS):
        assert refused(_tick, item).field == "item"
    refused(_tick, CheckItem.NOBODY_HOME, key=True)


def test_svc05_key_entry_without_the_owners_authorisation_is_refused():
    for item, ticked in ((CheckItem.NOBODY_HOME, [CheckItem.KNOCK]),
                         (CheckItem.KEY_ENTRY, [CheckItem.KNOCK, CheckItem.NOBODY_HOME])):
        violation = refused(_tick, item, ticked, key=False)
        assert "authorised" in violation.message and violation.field == "item"


def test_svc05_key_entry_only_after_confirming_nobody_is_home():
    assert refused(_tick, CheckItem.KEY_ENTRY, [CheckItem.KNOCK], key=True).field == "item"
    _tick(CheckItem.NOBODY_HOME, [CheckItem.KNOCK], key=True)
    _tick(CheckItem.KEY_ENTRY, [CheckItem.KNOCK, CheckItem.NOBODY_HOME], key=True)


def test_svc05_one_way_in_the_occupant_or_the_key():
    let_in = [CheckItem.KNOCK, CheckItem.OWNER_ADMITTED]
    assert "let you in" in refused(_tick, CheckItem.NOBODY_HOME, let_in, key=True).message
    by_key = [CheckItem.KNOCK, CheckItem.NOBODY_HOME]
    assert "key" in refused(_tick, CheckItem.OWNER_ADMITTED, by_key, key=True).message


def test_svc05_shoe_covers_on_before_stepping_in():
    assert refused(_tick, CheckItem.SHOE_COVERS, [CheckItem.KNOCK, CheckItem.NOBODY_HOME], key=True).field == "item"
    _tick(CheckItem.SHOE_COVERS, [CheckItem.KNOCK, CheckItem.OWNER_ADMITTED])
    _tick(CheckItem.SHOE_COVERS, [CheckItem.KNOCK, CheckItem.NOBODY_HOME, CheckItem.KEY_ENTRY], key=True)


def test_svc05_scope_and_valuables_once_inside_with_shoe_covers():
    inside = [CheckItem.KNOCK, CheckItem.OWNER_ADMITTED]
    for item in (CheckItem.SCOPE_CONFIRMED, CheckItem.VALUABLES):
        refused(_tick, item, inside)
        _tick(item, [*inside, CheckItem.SHOE_COVERS])


def test_svc05_unknown_items_are_refused():
    assert refused(_tick, "coffee").field == "item"


def test_svc05_owner_at_home_needs_permission_scope_and_valuables():
    assert rules.required_items("on_site", [CheckItem.KNOCK]) == (
        CheckItem.KNOCK, CheckItem.OWNER_ADMITTED, CheckItem.SHOE_COVERS, CheckItem.SCOPE_CONFIRMED, CheckItem.VALUABLES,
    )
    assert rules.entry_mode([CheckItem.KNOCK]) is None
    assert rules.entry_mode([CheckItem.KNOCK, CheckItem.OWNER_ADMITTED]) == "owner"


def test_svc05_key_entry_replaces_the_permission_and_needs_no_valuables_reminder():
    ticked = [CheckItem.KNOCK, CheckItem.NOBODY_HOME]
    assert rules.entry_mode(ticked) == "key"
    assert rules.missing_items("on_site", ticked) == (
        CheckItem.KEY_ENTRY, CheckItem.SHOE_COVERS, CheckItem.SCOPE_CONFIRMED,
    )
    done = [*ticked, CheckItem.KEY_ENTRY, CheckItem.SHOE_COVERS, CheckItem.SCOPE_CONFIRMED]
    assert rules.missing_items("on_site", done) == ()


def test_svc04_missing_items_of_the_pre_departure_list():
    assert rules.missing_items("pre_departure", [CheckItem.TOOLS]) == (
        CheckItem.APPEARANCE, CheckItem.REQUIREMENTS, CheckItem.ON_TIME,
    )
    assert rules.missing_items("pre_departure", PRE) == ()


@pytest.mark.parametrize("status", ["registered", "dispatched", "completed", "signed", "closed"])
def test_svc04_checklists_are_ticked_only_while_the_job_is_under_way(status):
    refused(rules.check_work_under_way, status)


def test_svc04_under_way_accepts_ticks():
    rules.check_work_under_way("in_progress")


def test_svc06_completion_needs_both_checklists_complete():
    rules.check_checklists_complete(0, 0)
    assert refused(rules.check_checklists_complete, 2, 0).params == {"count": 2}
    assert "on-site" in refused(rules.check_checklists_complete, 0, 1).message


# ---------------------------------------------------------------------------- SVC-06 completion


def test_svc06_a_job_cannot_finish_before_it_started():
    start, now = local(2026, 11, 25, 14, 0), local(2026, 11, 25, 17, 0)
    rules.check_work_times(start, start + SECOND, now)
    rules.check_work_times(start, now, now)
    assert refused(rules.check_work_times, start, start, now).field == "finished_at"
    assert refused(rules.check_work_times, start, start - SECOND, now).field == "finished_at"


def test_svc06_work_times_are_known_and_not_in_the_future():
    start, now = local(2026, 11, 25, 14, 0), local(2026, 11, 25, 17, 0)
    assert refused(rules.check_work_times, None, now, now).field == "started_at"
    assert refused(rules.check_work_times, start, None, now).field == "finished_at"
    assert refused(rules.check_work_times, start, now + SECOND, now).field == "finished_at"


# ---------------------------------------------------------------------------- SVC-09 signed content


def _content(**overrides):
    values = dict(
        number="CH-FW-20261125-0001",
        unit_id=7,
        owner_id=3,
        appointment_at=local(2026, 11, 25, 14, 0),
        lines=[ChargeLine("日常保洁", "小时", 4000, 300), ChargeLine("擦窗", "平方米", 500, 3550)],
        materials_fen=2850,
        materials_note="玻璃水",
        work_done="全屋保洁, 擦窗两面",
        technician_ids=[12, 5],
        started_at=local(2026, 11, 25, 14, 5),
        finished_at=local(2026, 11, 25, 17, 0),
    )
    values.update(overrides)
    return rules.signing_content(**values)


def test_svc09_content_holds_items_quantities_prices_charge_work_technicians_and_times():
    content = _content()
    assert content["lines"] == [
        {"item": "擦窗", "unit": "平方米", "price_fen": 500, "quantity_centi": 3550, "amount_fen": 17750},
        {"item": "日常保洁", "unit": "小时", "price_fen": 4000, "quantity_centi": 300, "amount_fen": 12000},
    ]
    assert (content["lines_fen"], content["materials_fen"], content["total_fen"]) == (29750, 2850, 32600)
    assert content["technician_ids"] == [5, 12]
    assert content["started_at"] == "2026-11-25T06:05:00Z" and content["finished_at"] == "2026-11-25T09:00:00Z"
    assert content["appointment_at"] == "2026-11-25T06:00:00Z"
    assert content["work_done"] == "全屋保洁, 擦窗两面" and content["v"] == rules.CONTENT_VERSION


def test_svc09_serialisation_is_stable_whatever_the_order_of_lines_technicians_and_zone():
    base = _content()
    same = _content(
        lines=[ChargeLine("擦窗", "平方米", 500, 3550), ChargeLine("日常保洁", "小时", 4000, 300)],
        technician_ids=[5, 12, 5],
        started_at=datetime(2026, 11, 25, 6, 5, 0, 400_000, tzinfo=UTC),  # the same second in UTC
    )
    assert rules.serialise_content(base) == rules.serialise_content(same)
    assert rules.content_hash(base) == rules.content_hash(same)
    text = rules.serialise_content(base)
    assert "擦窗" in text and ": " not in text and ", " not in text.replace("全屋保洁, 擦窗两面", "")


def test_svc09_hash_is_sha256_of_the_utf8_serialisation():
    import hashlib

    content = _content()
    digest = rules.content_hash(content)
    assert len(digest) == 64
    assert digest == hashlib.sha256(rules.serialise_content(content).encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [ChargeLine("日常保洁", "小时", 4000, 400), ChargeLine("擦窗", "平方米", 500, 3550)]},
        {"lines": [ChargeLine("日常保洁", "小时", 4100, 300), ChargeLine("擦窗", "平方米", 500, 3550)]},
        {"materials_fen": 2851},
        {"materials_note": "玻璃水, 抹布"},
        {"work_done": "全屋保洁"},
        {"technician_ids": [5]},
        {"finished_at": local(2026, 11, 25, 17, 1)},
        {"started_at": local(2026, 11, 25, 14, 0)},
        {"appointment_at": local(2026, 11, 25, 15, 0)},
        {"unit_id": 8},
        {"owner_id": None},
        {"number": "CH-FW-20261125-0002"},
    ],
)
def test_svc09_any_change_of_the_approved_content_changes_the_hash(change):
    signed = rules.content_hash(_content())
    assert not rules.signature_matches(signed, rules.content_hash(_content(**change)))
    assert rules.signature_matches(signed, rules.content_hash(_content()))


def test_svc09_naive_times_are_refused():
    with pytest.raises(ValueError):
        _content(finished_at=datetime(2026, 11, 25, 17, 0))


def test_svc09_the_owner_signs_a_completed_order_or_again_after_a_change():
    rules.check_can_sign("completed", None)
    rules.check_can_sign("signature_refused", None)
    rules.check_can_sign("signed", False)  # the order changed after signing
    assert "already signed" in refused(rules.check_can_sign, "signed", True).message
    for status in ("registered", "dispatched", "in_progress", "closed", "cancelled"):
        refused(rules.check_can_sign, status, None)


def test_svc06_a_refusal_follows_completion_only():
    rules.check_can_refuse("completed")
    for status in ("in_progress", "signed", "signature_refused", "closed"):
        refused(rules.check_can_refuse, status)


def test_svc06_signer_name_and_refusal_reason_are_required():
    rules.check_signer_name("张三")
    assert refused(rules.check_signer_name, " ").field == "signer_name"
    rules.check_refusal_reason("收费不认可")
    assert refused(rules.check_refusal_reason, None).field == "reason"


def test_svc06_an_empty_signature_or_a_stray_dot_is_refused():
    rules.check_signature_ink(rules.MIN_INK_PIXELS, rules.MIN_INK_EXTENT_PX)
    assert refused(rules.check_signature_ink, 0, 0).field == "signature"
    refused(rules.check_signature_ink, rules.MIN_INK_PIXELS - 1, 300)  # too little ink
    refused(rules.check_signature_ink, 5000, rules.MIN_INK_EXTENT_PX - 1)  # a blot, not a signature


def test_svc06_satisfaction_is_a_rating_from_one_to_five():
    assert rules.check_satisfaction(5) == 5 and rules.check_satisfaction("1") == 1
    assert refused(rules.check_satisfaction, None).field == "satisfaction"
    assert rules.check_satisfaction("", required=False) is None
    for bad in (0, 6, "x", 2.5j):
        refused(rules.check_satisfaction, bad)


def test_svc07_average_satisfaction_to_one_decimal_half_up():
    assert rules.average_satisfaction([]) is None
    assert rules.average_satisfaction([None, None]) is None
    assert rules.average_satisfaction([5, 4, None]) == Decimal("4.5")
    assert rules.average_satisfaction([5, 4, 4]) == Decimal("4.3")
    assert rules.average_satisfaction([4, 4, 4, 5, 5, 5, 5, 5]) == Decimal("4.6")  # 4.625 → 4.6
    assert rules.average_satisfaction([5, 4, 4, 4]) == Decimal("4.3")  # 4.25 → 4.3 (half up)


# ---------------------------------------------------------------------------- SVC-07 quality and closing


def test_svc07_quality_result_and_a_note_for_poor_work():
    assert rules.check_quality("qualified", None) is rules.QualityResult.QUALIFIED
    assert rules.check_quality("unqualified", "窗框未擦") is rules.QualityResult.UNQUALIFIED
    assert refused(rules.check_quality, "unqualified", "").field == "note"
    assert refused(rules.check_quality, "great", None).field == "result"
    assert refused(rules.check_quality, None, None).field == "result"


def test_svc07_close_after_a_matching_signature_or_a_refusal():
    rules.check_can_close("signed", True)
    rules.check_can_close("signature_refused", None)
    assert "sign again" in refused(rules.check_can_close, "signed", False).message
    refused(rules.check_can_close, "completed", None)
    refused(rules.check_can_close, "closed", None)


def test_svc02_cancelling_says_why():
    rules.check_cancel_reason("业主改期")
    assert refused(rules.check_cancel_reason, "  ").field == "reason"


# ---------------------------------------------------------------------------- SVC-08 rental


@pytest.mark.parametrize(
    ("current", "target"),
    [("applied", "listed"), ("applied", "withdrawn"), ("listed", "let"), ("listed", "withdrawn")],
)
def test_svc08_rental_moves_through_listed_to_let_or_withdrawn(current, target):
    rules.check_rental_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("applied", "let"), ("let", "withdrawn"), ("withdrawn", "listed"), ("let", "listed"), ("listed", "applied")],
)
def test_svc08_rental_refuses_other_moves(current, target):
    refused(rules.check_rental_transition, current, target)


def test_svc08_let_and_withdrawn_are_final():
    assert rules.RENTAL_TRANSITIONS[RentalStatus.LET] == rules.RENTAL_TRANSITIONS[RentalStatus.WITHDRAWN] == frozenset()


def test_svc08_commission_is_the_rate_of_the_leases_rent_to_the_fen():
    assert rules.commission_fen(300000, 12, 833) == 299880  # 3 000 × 12 × 8.33 % = 2 998.80
    assert rules.commission_fen(300000, 12, 10000) == 3600000
    assert rules.commission_fen(333, 1, 5000) == 167  # 1.665 → 1.67, half up
    assert rules.commission_fen(333, 1, 4999) == 166  # 1.6647 → 1.66


@pytest.mark.parametrize("rate", [0, -1, 10001, 8.33, None])
def test_svc08_commission_rate_is_more_than_zero_and_at_most_all(rate):
    assert refused(rules.check_commission_rate_bp, rate).field == "commission_rate"


def test_svc08_rates_are_entered_as_percentages():
    assert rules.parse_percent("8.33") == 833 and rules.parse_percent("10%") == 1000
    refused(rules.parse_percent, "8.333")
    refused(rules.parse_percent, "")


@pytest.mark.parametrize("rent", [0, -1, 1.5, rules.MAX_PRICE_FEN + 1])
def test_svc08_rent_is_more_than_zero_fen(rent):
    refused(rules.check_rent_fen, rent)


@pytest.mark.parametrize("months", [0, rules.MAX_LEASE_MONTHS + 1, 1.5])
def test_svc08_lease_runs_for_whole_months(months):
    assert refused(rules.check_lease_months, months).field == "lease_months"


# ---------------------------------------------------------------------------- SVC-07 the month


def test_svc07_summary_covers_the_calendar_month():
    assert rules.summary_period(date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert rules.summary_period(date(2028, 2, 1)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert rules.summary_period(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_svc07_summary_bounds_are_local_midnights():
    start, end = rules.summary_bounds(date(2026, 11, 1))
    assert start == local(2026, 11, 1, 0, 0) and end == local(2026, 12, 1, 0, 0)
    assert start.tzinfo is not None


def test_svc07_a_job_counts_in_the_local_month_it_finished():
    assert rules.summary_month_of(local(2026, 11, 30, 23, 59)) == date(2026, 11, 1)
    assert rules.summary_month_of(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == date(2026, 12, 1)  # 00:00 local


def test_svc06_the_technician_confirms_no_gifts_and_tools_counted():
    assert rules.check_conduct_confirmed(["tools_counted", "no_gifts"]) == (
        rules.Conduct.NO_GIFTS, rules.Conduct.TOOLS_COUNTED,
    )


@pytest.mark.parametrize("confirmed", [[], ["no_gifts"], ["tools_counted"]])
def test_svc06_a_missing_conduct_confirmation_is_refused(confirmed):
    with pytest.raises(RuleViolation) as refused:
        rules.check_conduct_confirmed(confirmed)
    assert refused.value.field == "conduct"


def test_svc06_an_unknown_conduct_confirmation_is_refused():
    with pytest.raises(RuleViolation):
        rules.check_conduct_confirmed(["no_gifts", "tools_counted", "took_a_tip"])
