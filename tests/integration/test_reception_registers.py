"""The reception registers against a real database: praise checked and credited, suggestions
answered by the PM, the lost-property register with masked IDs (RCP-04), major events
(RCP-07), and closing out the entries they started (RCP-08)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from webapp.core import scoping
from webapp.core.models import AuditEvent, GroupRobot, Notification, WebhookDelivery, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.org.models import Project, User
from webapp.reception import operations, registers
from webapp.reception.models import FoundItem, Praise, ReceptionEntry

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
VALID_ID = "11010519491231002X"


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted(), time_machine.travel(NOW, tick=False):
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id)


def _entry(session, user, project, **values):
    return factories.make_reception_entry(session, project, user("receptionist"), received_at=NOW - timedelta(hours=1),
                                          **values)


def _open_work(session, record, kind):
    return sorted(
        session.scalars(
            sa.select(WorkItem.assignee_role).where(
                WorkItem.entity_type == record.__tablename__, WorkItem.entity_id == record.id,
                WorkItem.kind == kind, WorkItem.done_at.is_(None),
            )
        )
    )


def _actions(session, record):
    return [
        action for (action,) in session.execute(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_type == record.__tablename__, AuditEvent.entity_id == record.id)
            .order_by(AuditEvent.id)
        )
    ]


def _inbox(session, user):
    return list(session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id)))


# ---------------------------------------------------------------------------- praise


def test_rcp04_praise_is_recorded_from_the_entry_and_waits_for_the_checkers(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project, content="夜班保安小王帮我搬了东西")
    praise = registers.start_praise(session, user("receptionist"), entry, "  夜班保安小王 ", NOW)
    assert (praise.status, praise.praised_as, praise.recorded_by_id) == ("recorded", "夜班保安小王", user("receptionist").id)
    assert (entry.status, entry.category, entry.follow_up) == ("open", "praise", "praise")
    assert (entry.follow_up_type, entry.follow_up_id) == ("praises", praise.id)
    assert _actions(session, praise) == ["praise_recorded"]
    assert _open_work(session, praise, registers.PRAISE_CHECK) == ["cs_supervisor", "pm"]
    assert _inbox(session, user("cs_supervisor")) and _inbox(session, user("pm"))
    assert _inbox(session, user("staff")) == []


def test_rcp04_praise_is_started_by_the_desk_only_and_only_once(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project)
    with pytest.raises(operations.NotPermitted):
        registers.start_praise(session, user("staff"), entry, "小王", NOW)
    with pytest.raises(RuleViolation) as empty:
        registers.start_praise(session, user("receptionist"), entry, "  ", NOW)
    assert empty.value.field == "praised_as"
    registers.start_praise(session, user("receptionist"), entry, "小王", NOW)
    with pytest.raises(RuleViolation):
        registers.start_praise(session, user("receptionist"), entry, "小王", NOW)
    assert session.scalar(sa.select(sa.func.count()).select_from(Praise)) == 1


def test_rcp04_praise_verified_names_several_staff_then_credit_writes_their_record(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project)
    praise = registers.start_praise(session, user("receptionist"), entry, "两位保洁阿姨", NOW)
    staff, supervisor = user("staff"), user("dept_supervisor")
    with pytest.raises(operations.NotPermitted):
        registers.verify_praise(session, user("receptionist"), praise, True, [staff.id], "问过当班", NOW)
    registers.verify_praise(session, user("cs_supervisor"), praise, True, [staff.id, supervisor.id],
                            "查看排班表", NOW)
    assert praise.status == "verified" and praise.verification_note == "查看排班表"
    assert sorted(c.user_id for c in praise.credits) == sorted([staff.id, supervisor.id])
    assert all(c.credited_at is None for c in praise.credits)
    # verified is not yet on anyone's record
    assert registers.praise_credits(session, [staff.id], NOW - timedelta(days=1), NOW + timedelta(days=1)) == {}
    assert _open_work(session, praise, registers.PRAISE_CHECK) == ["cs_supervisor", "pm"]

    later = NOW + timedelta(hours=2)
    registers.credit_praise(session, user("pm"), praise, later)
    assert (praise.status, praise.credited_at, praise.credited_by_id) == ("credited", later, user("pm").id)
    assert all(c.credited_at == later for c in praise.credits)
    assert _open_work(session, praise, registers.PRAISE_CHECK) == []
    assert len(_inbox(session, staff)) == 1 and len(_inbox(session, supervisor)) == 1
    assert _actions(session, praise) == ["praise_recorded", "praise_verified", "praise_credited"]
    with pytest.raises(RuleViolation):
        registers.credit_praise(session, user("pm"), praise, later)


def test_rcp04_praise_verification_needs_staff_of_the_project_and_how_it_was_checked(ctx):
    session, user, project = ctx
    praise = registers.start_praise(session, user("receptionist"), _entry(session, user, project), "小王", NOW)
    checker = user("cs_supervisor")
    with pytest.raises(RuleViolation) as nobody:
        registers.verify_praise(session, checker, praise, True, [], "问过", NOW)
    assert nobody.value.field == "staff"
    with pytest.raises(RuleViolation) as no_note:
        registers.verify_praise(session, checker, praise, True, [user("staff").id], "", NOW)
    assert no_note.value.field == "note"
    with pytest.raises(RuleViolation) as stranger:
        registers.verify_praise(session, checker, praise, True, [user("staff", "other").id], "问过", NOW)
    assert stranger.value.field == "staff"
    assert praise.status == "recorded" and praise.credits == []


def test_rcp04_praise_credits_count_per_staff_member_in_the_period_in_one_query(ctx, queries):
    session, user, project = ctx
    staff, supervisor = user("staff"), user("dept_supervisor")
    for day in (1, 2, 40):
        entry = _entry(session, user, project)
        praise = registers.start_praise(session, user("receptionist"), entry, "小王", NOW)
        registers.verify_praise(session, user("pm"), praise, True, [staff.id] + ([supervisor.id] if day == 2 else []),
                                "问过", NOW)
        registers.credit_praise(session, user("pm"), praise, NOW - timedelta(days=day))
    session.flush()
    ids = [staff.id, supervisor.id, user("pm").id]
    with queries() as statements:
        counts = registers.praise_credits(session, ids, NOW - timedelta(days=30), NOW)
    assert counts == {staff.id: 2, supervisor.id: 1}
    assert len(statements) == 1


def test_rcp08_a_credited_or_unconfirmed_praise_lets_the_entry_be_closed_out(ctx):
    session, user, project = ctx
    credited_entry, refused_entry = _entry(session, user, project), _entry(session, user, project)
    credited = registers.start_praise(session, user("receptionist"), credited_entry, "小王", NOW)
    refused = registers.start_praise(session, user("receptionist"), refused_entry, "某人", NOW)
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), credited_entry, None, NOW)
    registers.verify_praise(session, user("pm"), credited, True, [user("staff").id], "问过", NOW)
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), credited_entry, None, NOW)
    registers.credit_praise(session, user("pm"), credited, NOW)
    registers.verify_praise(session, user("pm"), refused, False, [], "当晚无人值班", NOW)
    assert refused.status == "not_confirmed" and refused.credits == []
    assert _open_work(session, refused, registers.PRAISE_CHECK) == []
    operations.close(session, user("receptionist"), credited_entry, None, NOW)
    operations.close(session, user("receptionist"), refused_entry, None, NOW)
    assert (credited_entry.status, refused_entry.status) == ("closed", "closed")


# ---------------------------------------------------------------------------- suggestion


def test_rcp04_suggestion_goes_to_the_pm_with_an_answer_due_in_a_week(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project, content="建议在2栋门口加装雨棚")
    suggestion = registers.start_suggestion(session, user("receptionist"), entry, NOW)
    assert (suggestion.status, suggestion.answer_due_at) == ("forwarded", NOW + timedelta(days=7))
    assert (entry.category, entry.follow_up, entry.follow_up_type) == ("suggestion", "suggestion", "suggestions")
    item = session.scalar(sa.select(WorkItem).where(WorkItem.kind == registers.SUGGESTION_ANSWER))
    assert (item.assignee_role, item.due_at) == ("pm", NOW + timedelta(days=7))
    assert _inbox(session, user("pm")) and _inbox(session, user("pm_assistant")) == []
    with pytest.raises(operations.NotPermitted):
        registers.start_suggestion(session, user("staff"), _entry(session, user, project), NOW)


def test_rcp04_suggestion_answer_ends_the_pms_work_tells_the_desk_and_lets_the_entry_close(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project)
    suggestion = registers.start_suggestion(session, user("receptionist"), entry, NOW)
    with pytest.raises(operations.NotPermitted):
        registers.answer_suggestion(session, user("receptionist"), suggestion, "好", NOW)
    with pytest.raises(RuleViolation) as empty:
        registers.answer_suggestion(session, user("pm"), suggestion, " ", NOW)
    assert empty.value.field == "answer"
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), entry, None, NOW)
    registers.answer_suggestion(session, user("pm"), suggestion, "下月安装雨棚", NOW + timedelta(days=2))
    assert (suggestion.status, suggestion.answer, suggestion.answered_by_id) == ("answered", "下月安装雨棚", user("pm").id)
    assert _open_work(session, suggestion, registers.SUGGESTION_ANSWER) == []
    assert len(_inbox(session, user("receptionist"))) == 1 and len(_inbox(session, user("cs_supervisor"))) == 1
    assert _actions(session, suggestion) == ["suggestion_forwarded", "suggestion_answered"]
    operations.close(session, user("receptionist"), entry, None, NOW + timedelta(days=2))
    assert entry.status == "closed"


# ---------------------------------------------------------------------------- lost property


def _found(**overrides):
    values = {"item": "黑色钱包", "found_place": "2栋大堂", "found_at": NOW - timedelta(hours=3),
              "found_by": "业主李女士", "holder": "客服中心保险柜"}
    values.update(overrides)
    return values


def test_rcp04_lost_property_from_an_other_entry_is_numbered_and_the_entry_may_close(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project, content="在大堂捡到一个钱包")
    item = registers.start_lost_property(session, user("receptionist"), entry, _found(), NOW)
    assert item.number.startswith("OWN-SW-20261125-")
    assert (item.status, item.entry_id, item.holder, item.found_by) == ("held", entry.id, "客服中心保险柜", "业主李女士")
    assert (entry.category, entry.follow_up, entry.follow_up_type) == ("other", "lost_property", "found_items")
    assert _actions(session, item) == ["found_item_registered"]
    # the register tracks the item from now on
    operations.close(session, user("receptionist"), entry, None, NOW)
    assert entry.status == "closed"


def test_rcp04_lost_property_needs_the_item_place_time_and_holder(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project)
    receptionist = user("receptionist")
    for field, values in (("item", _found(item="")), ("found_place", _found(found_place=" ")),
                          ("found_at", _found(found_at=None)), ("found_at", _found(found_at=NOW + timedelta(hours=1))),
                          ("holder", _found(holder=""))):
        with pytest.raises(RuleViolation) as refused:
            registers.start_lost_property(session, receptionist, entry, values, NOW)
        assert refused.value.field == field
    assert entry.status == "new"
    with pytest.raises(operations.NotPermitted):
        registers.register_found_item(session, user("staff"), project, _found(), NOW, None)


def test_rcp04_lost_property_found_by_staff_is_registered_once_per_submission(ctx):
    session, user, project = ctx
    first, created = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, "k-1")
    again, created_again = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, "k-1")
    assert created and not created_again and again.id == first.id and first.entry_id is None
    assert session.scalar(sa.select(sa.func.count()).select_from(FoundItem)) == 1


def _everything_stored(session) -> str:
    """Every audit event and notification as text: where a leaked number would be."""
    events = session.scalars(sa.select(AuditEvent)).all()
    notes = session.scalars(sa.select(Notification)).all()
    return json.dumps(
        [[e.note, e.changes] for e in events] + [[n.title, n.body] for n in notes], ensure_ascii=False, default=str
    )


def test_rcp04_lost_property_claim_keeps_only_the_masked_id_number(ctx):
    session, user, project = ctx
    item = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, None)[0]
    claimed_at = NOW - timedelta(minutes=10)
    registers.claim_found_item(session, user("receptionist"), item, {
        "claimant_name": "张三", "document": "resident_id", "document_number": " 110105 19491231 002x ",
        "claimed_at": claimed_at,
    }, NOW)
    session.flush()
    assert (item.status, item.claimant_name, item.claimed_at) == ("claimed", "张三", claimed_at)
    assert item.claimant_document_masked == "**************002X"
    assert item.released_by_id == user("receptionist").id
    row = session.execute(sa.select(FoundItem.__table__).where(FoundItem.id == item.id)).one()
    assert not any(VALID_ID in str(value) or "19491231" in str(value) for value in row)
    assert "19491231" not in _everything_stored(session)
    assert _actions(session, item) == ["found_item_registered", "found_item_claimed"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"claimant_name": ""}, "claimant_name"),
        ({"document": None}, "document"),
        ({"document_number": "110105194912310021"}, "document_number"),  # checksum wrong
        ({"document": "passport", "document_number": "ab"}, "document_number"),
        ({"claimed_at": None}, "claimed_at"),
    ],
)
def test_rcp04_lost_property_claim_refuses_what_was_not_checked(ctx, changes, field):
    session, user, project = ctx
    item = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, None)[0]
    values = {"claimant_name": "张三", "document": "resident_id", "document_number": VALID_ID,
              "claimed_at": NOW, **changes}
    with pytest.raises(RuleViolation) as refused:
        registers.claim_found_item(session, user("receptionist"), item, values, NOW)
    assert refused.value.field == field
    assert item.status == "held" and item.claimant_document_masked is None


def test_rcp04_lost_property_cannot_be_claimed_before_it_was_found(ctx):
    session, user, project = ctx
    item = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, None)[0]
    with pytest.raises(RuleViolation) as early:
        registers.claim_found_item(session, user("receptionist"), item, {
            "claimant_name": "张三", "document": "resident_id", "document_number": VALID_ID,
            "claimed_at": item.found_at - timedelta(minutes=1),
        }, NOW)
    assert early.value.field == "claimed_at"


def test_rcp04_lost_property_unclaimed_is_handed_over_to_someone_once(ctx):
    session, user, project = ctx
    item = registers.register_found_item(session, user("receptionist"), project, _found(), NOW, None)[0]
    with pytest.raises(RuleViolation) as nobody:
        registers.hand_over_found_item(session, user("receptionist"), item, "", NOW)
    assert nobody.value.field == "note"
    registers.hand_over_found_item(session, user("receptionist"), item, "交辖区派出所王警官", NOW)
    assert (item.status, item.handover_note, item.handed_over_at) == ("handed_over", "交辖区派出所王警官", NOW)
    with pytest.raises(RuleViolation):
        registers.claim_found_item(session, user("receptionist"), item, {
            "claimant_name": "张三", "document": "resident_id", "document_number": VALID_ID, "claimed_at": NOW,
        }, NOW)


def test_rcp04_lost_property_register_lists_held_items_first(ctx):
    session, user, project = ctx
    receptionist = user("receptionist")
    old_held = factories.make_found_item(session, project, receptionist, found_at=NOW - timedelta(days=5))
    claimed = factories.make_found_item(session, project, receptionist, status="claimed", found_at=NOW)
    new_held = factories.make_found_item(session, project, receptionist, found_at=NOW - timedelta(days=1))
    factories.make_found_item(session, session.get(Project, user("pm", "other").roles[0].project_id),
                              user("receptionist", "other"))
    assert [i.id for i in registers.found_item_register(session, project.id)] == [new_held.id, old_held.id, claimed.id]


# ---------------------------------------------------------------------------- major events


def _event(**overrides):
    values = {"kind": "security_incident", "occurred_at": NOW - timedelta(hours=2), "place": "地下车库B2",
              "description": "车辆被划", "people_involved": "车主、当班保安", "handling": None, "follow_up": None}
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("kind", "missing", "required"),
    [
        ("security_incident", "people_involved", True),
        ("official_visit", "people_involved", True),
        ("equipment_failure", "people_involved", False),
        ("equipment_failure", "place", True),
        ("official_visit", "description", True),
    ],
)
def test_rcp07_the_fields_each_kind_of_event_needs(ctx, kind, missing, required):
    session, user, project = ctx
    values = _event(kind=kind, **{missing: ""})
    if required:
        with pytest.raises(RuleViolation) as refused:
            registers.record_major_event(session, user("receptionist"), project, values, NOW, None)
        assert refused.value.field == missing
    else:
        event, _ = registers.record_major_event(session, user("receptionist"), project, values, NOW, None)
        assert event.status == "open"


def test_rcp07_kind_and_time_are_required_and_not_in_the_future(ctx):
    session, user, project = ctx
    for values, field in ((_event(kind="fire_drill"), "kind"), (_event(occurred_at=None), "occurred_at"),
                          (_event(occurred_at=NOW + timedelta(minutes=5)), "occurred_at")):
        with pytest.raises(RuleViolation) as refused:
            registers.record_major_event(session, user("receptionist"), project, values, NOW, None)
        assert refused.value.field == field


def test_rcp07_recording_tells_the_pm_and_the_group_chat_without_the_description(ctx):
    session, user, project = ctx
    session.add(GroupRobot(project_id=project.id, kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"))
    session.flush()
    event, created = registers.record_major_event(session, user("dept_supervisor"), project, _event(), NOW, "e-1")
    again, created_again = registers.record_major_event(session, user("dept_supervisor"), project, _event(), NOW, "e-1")
    assert created and not created_again and again.id == event.id
    assert (event.recorded_by_id, event.recorded_at, event.status) == (user("dept_supervisor").id, NOW, "open")
    assert len(_inbox(session, user("pm"))) == 1 and _inbox(session, user("receptionist")) == []
    deliveries = session.scalars(sa.select(WebhookDelivery)).all()
    assert len(deliveries) == 1
    payload = json.dumps(deliveries[0].payload, ensure_ascii=False)
    assert "地下车库B2" in payload and "车辆被划" not in payload
    with pytest.raises(operations.NotPermitted):
        registers.record_major_event(session, user("staff"), project, _event(), NOW, None)


def test_rcp07_close_needs_handling_and_follow_up(ctx):
    session, user, project = ctx
    event, _ = registers.record_major_event(session, user("receptionist"), project, _event(), NOW, None)
    with pytest.raises(RuleViolation) as no_handling:
        registers.close_major_event(session, user("receptionist"), event, {}, NOW)
    assert no_handling.value.field == "handling"
    registers.update_major_event(session, user("receptionist"), event, {"handling": "调取监控并报警"}, NOW)
    with pytest.raises(RuleViolation) as no_follow_up:
        registers.close_major_event(session, user("receptionist"), event, {}, NOW)
    assert no_follow_up.value.field == "follow_up"
    registers.close_major_event(session, user("pm"), event, {"follow_up": "车库加装摄像头"}, NOW)
    assert (event.status, event.handling, event.follow_up, event.closed_by_id) == (
        "closed", "调取监控并报警", "车库加装摄像头", user("pm").id)
    assert _actions(session, event) == ["major_event_recorded", "major_event_updated", "major_event_closed"]
    with pytest.raises(RuleViolation):
        registers.update_major_event(session, user("pm"), event, {"handling": "改写"}, NOW)


def test_rcp07_the_register_shows_the_months_events_open_first(ctx):
    session, user, project = ctx
    recorder = user("receptionist")
    closed = factories.make_major_event(session, project, recorder, status="closed", occurred_at=NOW - timedelta(days=3),
                                        handling="h", follow_up="f")
    open_later = factories.make_major_event(session, project, recorder, occurred_at=NOW - timedelta(days=1))
    factories.make_major_event(session, project, recorder, occurred_at=datetime(2026, 10, 31, 15, 0, tzinfo=UTC))
    other_project = session.get(Project, user("pm", "other").roles[0].project_id)
    factories.make_major_event(session, other_project, user("receptionist", "other"), occurred_at=NOW)
    start, end = datetime(2026, 10, 31, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert [e.id for e in registers.major_event_register(session, project.id, start, end)] == [open_later.id, closed.id]


def test_rcp08_entries_linked_to_register_records_report_their_status(ctx):
    session, user, project = ctx
    entry = _entry(session, user, project)
    registers.start_suggestion(session, user("receptionist"), entry, NOW)
    assert operations.follow_up_status(session, entry) == "forwarded"
    assert session.get(ReceptionEntry, entry.id).follow_up_type == "suggestions"
