"""The return-for-repair slip (RCP-03) and the repair work order (RCP-04) against a real
database: who may take each step, the clocks the rules set, the desk's and the
department's work, the once-a-day chasing sweep, and closing the entry out (RCP-08)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from webapp.core import scoping
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.org.models import Project, User
from webapp.reception import follow_ups, operations
from webapp.reception.models import RepairRound, ReturnSlip

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
END_OF_LOCAL_DAY = datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id)


def _entry(session, project, receptionist, world, **values):
    return factories.make_reception_entry(
        session, project, receptionist, unit_id=world.own.unit_id, owner_id=world.own.owner_id,
        received_at=NOW - timedelta(minutes=5), **values,
    )


def _open_items(session, record, kind=None):
    query = sa.select(WorkItem).where(
        WorkItem.entity_type == record.__tablename__, WorkItem.entity_id == record.id, WorkItem.done_at.is_(None)
    )
    if kind is not None:
        query = query.where(WorkItem.kind == kind)
    return list(session.scalars(query.order_by(WorkItem.id)))


def _actions(session, record):
    return list(session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_type == record.__tablename__,
                                           AuditEvent.entity_id == record.id).order_by(AuditEvent.id)
    ))


def _slip(session, user, project, world, **values):
    entry = _entry(session, project, user("receptionist"), world)
    return follow_ups.draft_return_slip(
        session, user("receptionist"), entry, {"unit_id": world.own.unit_id, "problem": "外墙渗水", **values}, NOW
    )


def _sent(session, user, project, world, due=NOW + timedelta(days=3)):
    slip = _slip(session, user, project, world)
    return follow_ups.send_return_slip(session, user("receptionist"), slip, {"received_by": "地产售后 王工", "due_at": due},
                                       NOW + timedelta(minutes=10))


# ---------------------------------------------------------------------------- RCP-03 return slip


def test_rcp03_drafting_classifies_the_entry_and_the_slip_is_sent_by_the_end_of_that_local_day(ctx, world):
    session, user, project = ctx
    entry = _entry(session, project, user("receptionist"), world)
    slip = follow_ups.draft_return_slip(
        session, user("receptionist"), entry, {"unit_id": world.own.unit_id, "problem": " 外墙渗水 "}, NOW
    )
    assert slip.number.startswith("OWN-FX-20261125-")
    assert (slip.status, slip.problem, slip.send_due_at) == ("drafted", "外墙渗水", END_OF_LOCAL_DAY)
    assert (entry.status, entry.category, entry.follow_up) == ("open", "after_sales", "return_slip")
    assert (entry.follow_up_type, entry.follow_up_id) == ("return_slips", slip.id)
    [item] = _open_items(session, slip)
    assert (item.kind, item.due_at, item.assignee_role) == (follow_ups.SLIP_TO_SEND, END_OF_LOCAL_DAY, "receptionist")
    assert _actions(session, slip) == ["return_slip_drafted"]


def test_rcp03_a_slip_needs_a_place_and_a_problem(ctx, world):
    session, user, project = ctx
    entry = _entry(session, project, user("receptionist"), world)
    with pytest.raises(RuleViolation) as nowhere:
        follow_ups.draft_return_slip(session, user("receptionist"), entry, {"problem": "渗水"}, NOW)
    assert nowhere.value.field == "location"
    with pytest.raises(RuleViolation) as no_problem:
        follow_ups.draft_return_slip(session, user("receptionist"), entry, {"location": "地下车库", "problem": " "}, NOW)
    assert no_problem.value.field == "problem"
    with pytest.raises(RuleViolation) as other_unit:
        follow_ups.draft_return_slip(session, user("receptionist"), entry,
                                     {"unit_id": world.other.unit_id, "problem": "渗水"}, NOW)
    assert other_unit.value.field == "unit"


def test_rcp03_only_the_desk_of_the_project_starts_and_works_a_slip(ctx, world):
    session, user, project = ctx
    entry = _entry(session, project, user("receptionist"), world)
    for outsider in (user("staff"), user("dept_supervisor"), user("receptionist", "other")):
        with pytest.raises(operations.NotPermitted):
            follow_ups.draft_return_slip(session, outsider, entry, {"unit_id": world.own.unit_id, "problem": "渗水"}, NOW)
    slip = follow_ups.draft_return_slip(session, user("cs_supervisor"), entry,
                                        {"unit_id": world.own.unit_id, "problem": "渗水"}, NOW)
    with pytest.raises(operations.NotPermitted):
        follow_ups.send_return_slip(session, user("dept_supervisor"), slip,
                                    {"received_by": "王工", "due_at": NOW + timedelta(days=3)}, NOW)


def test_rcp03_sending_needs_the_receiver_and_a_due_date_after_now(ctx, world):
    session, user, project = ctx
    slip = _slip(session, user, project, world)
    desk = user("receptionist")
    with pytest.raises(RuleViolation) as no_due:
        follow_ups.send_return_slip(session, desk, slip, {"received_by": "王工", "due_at": None}, NOW)
    assert no_due.value.field == "due_at"
    with pytest.raises(RuleViolation) as past:
        follow_ups.send_return_slip(session, desk, slip, {"received_by": "王工", "due_at": NOW - timedelta(hours=1)}, NOW)
    assert past.value.field == "due_at"
    with pytest.raises(RuleViolation) as nobody:
        follow_ups.send_return_slip(session, desk, slip, {"received_by": "", "due_at": NOW + timedelta(days=3)}, NOW)
    assert nobody.value.field == "received_by"
    assert slip.status == "drafted"

    follow_ups.send_return_slip(session, desk, slip, {"received_by": "王工", "due_at": NOW + timedelta(days=3)}, NOW)
    assert (slip.status, slip.received_by_developer, slip.sent_by_id) == ("sent", "王工", desk.id)
    assert slip.developer_due_at == slip.chase_due_at == NOW + timedelta(days=3)
    assert _open_items(session, slip) == []  # sent: nothing left to hand over today


def test_rcp03_the_developers_answer_moves_the_chase_date_to_their_promise(ctx, world):
    session, user, project = ctx
    slip = _sent(session, user, project, world)
    later = NOW + timedelta(days=10)
    follow_ups.record_developer_answer(session, user("receptionist"), slip,
                                       {"answer": "需等晴天做防水", "promised_by": later}, NOW + timedelta(days=1))
    assert (slip.status, slip.promised_by, slip.chase_due_at) == ("answered", later, later)
    # a later answer without a date: CS chases the due date set when sending again
    follow_ups.record_developer_answer(session, user("receptionist"), slip, {"answer": "材料已到"}, NOW + timedelta(days=2))
    assert slip.chase_due_at == slip.developer_due_at
    with pytest.raises(RuleViolation) as past_promise:
        follow_ups.record_developer_answer(session, user("receptionist"), slip,
                                           {"answer": "明天", "promised_by": NOW}, NOW + timedelta(days=2))
    assert past_promise.value.field == "promised_by"


def _chase_notices(session, slip):
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.dedupe_key.like(f"return_slip:{slip.id}:chase:%")))


def test_rcp03_chasing_after_the_date_reaches_my_work_once_a_day(ctx, world):
    session, user, project = ctx
    slip = _sent(session, user, project, world, due=NOW + timedelta(days=3))
    session.commit()
    desk_people = 2  # the receptionist and the CS supervisor of the project

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert follow_ups.chase_overdue(session, NOW + timedelta(days=3)) == 0  # at the due moment: still in time
    day_after = NOW + timedelta(days=3, hours=1)
    with time_machine.travel(day_after, tick=False):
        assert follow_ups.chase_overdue(session, day_after) == 1
        assert follow_ups.chase_overdue(session, day_after + timedelta(minutes=20)) == 0  # the same local day
    [item] = _open_items(session, slip, follow_ups.SLIP_TO_CHASE)
    assert (item.assignee_role, item.due_at) == ("receptionist", slip.chase_due_at)
    assert _chase_notices(session, slip) == desk_people

    next_day = day_after + timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        assert follow_ups.chase_overdue(session, next_day) == 1
    assert len(_open_items(session, slip, follow_ups.SLIP_TO_CHASE)) == 1  # one duty, a fresh notice
    assert _chase_notices(session, slip) == 2 * desk_people

    follow_ups.complete_return_slip(session, user("receptionist"), slip, "已修复", next_day)
    assert _open_items(session, slip) == []
    with time_machine.travel(next_day + timedelta(days=1), tick=False):
        assert follow_ups.chase_overdue(session, next_day + timedelta(days=1)) == 0


def test_rcp03_the_sla_sweep_chases_overdue_slips_and_is_safe_to_run_twice(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        project = db.session.get(Project, world.own.id)
        receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        entry = factories.make_reception_entry(db.session, project, receptionist, unit_id=world.own.unit_id)
        slip = factories.make_return_slip(db.session, entry, receptionist, status="sent", sent_at=NOW,
                                          developer_due_at=NOW + timedelta(days=3), chase_due_at=NOW + timedelta(days=3))
        db.session.commit()
        slip_id = slip.id
    runner = app.test_cli_runner()
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        first = runner.invoke(args=["sla", "sweep"])
        second = runner.invoke(args=["sla", "sweep"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Return-for-repair slips to chase: 1." in first.output
    assert "Return-for-repair slips to chase" not in second.output
    with app.app_context():
        items = db.session.scalars(sa.select(WorkItem).where(WorkItem.entity_type == "return_slips",
                                                             WorkItem.entity_id == slip_id)).all()
        assert [i.kind for i in items] == [follow_ups.SLIP_TO_CHASE]
        assert db.session.get(ReturnSlip, slip_id).last_chased_at == NOW + timedelta(days=4)


def test_rcp08_the_entry_closes_out_once_its_slip_is_completed(ctx, world):
    session, user, project = ctx
    slip = _sent(session, user, project, world)
    entry = slip.entry
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), entry, None, NOW + timedelta(days=1))
    follow_ups.complete_return_slip(session, user("receptionist"), slip, "开发商已修复外墙", NOW + timedelta(days=2))
    operations.close(session, user("receptionist"), entry, None, NOW + timedelta(days=2))
    assert entry.status == "closed"
    assert _actions(session, slip) == ["return_slip_drafted", "return_slip_sent", "return_slip_completed"]


def test_rcp03_withdrawing_keeps_the_reason_and_ends_the_desks_work(ctx, world):
    session, user, project = ctx
    slip = _slip(session, user, project, world)
    with pytest.raises(RuleViolation) as no_reason:
        follow_ups.withdraw_return_slip(session, user("receptionist"), slip, " ", NOW)
    assert no_reason.value.field == "reason"
    follow_ups.withdraw_return_slip(session, user("receptionist"), slip, "业主撤回", NOW)
    assert (slip.status, slip.withdraw_reason) == ("withdrawn", "业主撤回")
    assert _open_items(session, slip) == []
    with pytest.raises(RuleViolation):
        follow_ups.complete_return_slip(session, user("receptionist"), slip, "已修复", NOW)


# ---------------------------------------------------------------------------- RCP-04 repair work order


@pytest.fixture
def maintenance(ctx):
    """The project's maintenance department, its supervisor and a technician."""
    session, user, project = ctx
    department = factories.make_department(session, project, "maintenance", "维修部")
    supervisor = factories.make_user(session, "own.maint.sup", roles=[("dept_supervisor", project, department)])
    technician = factories.make_user(session, "own.maint.tech", roles=[("staff", project, department)])
    return department, supervisor, technician


def _order(session, user, project, world, department, **values):
    entry = _entry(session, project, user("receptionist"), world, content="厨房水龙头漏水")
    return follow_ups.dispatch_work_order(
        session, user("receptionist"), entry,
        {"department_id": department.id, "unit_id": world.own.unit_id, "problem": "厨房水龙头漏水", **values}, NOW,
    )


def test_rcp04_the_project_maintenance_department_is_the_default(ctx, maintenance):
    session, user, project = ctx
    department, _, _ = maintenance
    assert follow_ups.maintenance_department(session, project.id).id == department.id


def test_rcp04_dispatch_classifies_the_entry_and_tells_the_department(ctx, world, maintenance):
    session, user, project = ctx
    department, supervisor, technician = maintenance
    order = _order(session, user, project, world, department)
    entry = order.entry
    assert order.number.startswith("OWN-BX-20261125-")
    assert (entry.status, entry.category, entry.follow_up_type, entry.follow_up_id) == (
        "open", "repair", "repair_work_orders", order.id)
    [first] = order.rounds
    assert (first.round_number, first.done_due_at) == (1, NOW + timedelta(days=1))
    items = _open_items(session, order, follow_ups.REPAIR_TO_DO)
    assert sorted((i.assignee_role, i.department_id) for i in items) == [
        ("dept_supervisor", department.id), ("staff", department.id)]
    told = set(session.scalars(sa.select(Notification.user_id).where(
        Notification.dedupe_key == f"work_order:{order.id}:round:1")))
    assert told == {supervisor.id, technician.id}  # not the world's security department


def test_rcp04_a_time_agreed_with_the_owner_sets_the_repair_due(ctx, world, maintenance):
    session, user, project = ctx
    saturday = NOW + timedelta(days=3)
    order = _order(session, user, project, world, maintenance[0], agreed_at=saturday)
    assert order.rounds[0].done_due_at == saturday
    with pytest.raises(RuleViolation) as past:
        _order(session, user, project, world, maintenance[0], agreed_at=NOW - timedelta(hours=1))
    assert past.value.field == "agreed_at"


def test_rcp04_only_the_orders_department_reports_it_done(ctx, world, maintenance):
    session, user, project = ctx
    department, supervisor, technician = maintenance
    order = _order(session, user, project, world, department)
    for outsider in (user("staff"), user("dept_supervisor"), user("receptionist"), user("pm")):
        with pytest.raises(operations.NotPermitted):
            follow_ups.mark_work_done(session, outsider, order, "换了阀芯", NOW + timedelta(hours=2))
    follow_ups.mark_work_done(session, technician, order, "换了阀芯", NOW + timedelta(hours=2))
    repair_round = order.rounds[0]
    assert (order.status, repair_round.done_by_id, repair_round.work_done) == ("done", technician.id, "换了阀芯")
    assert repair_round.callback_due_at == NOW + timedelta(hours=2, days=1)
    assert _open_items(session, order, follow_ups.REPAIR_TO_DO) == []
    [callback] = _open_items(session, order, follow_ups.REPAIR_TO_CALL_BACK)
    assert (callback.assignee_role, callback.due_at) == ("receptionist", repair_round.callback_due_at)


def test_rcp04_a_callback_not_fixed_goes_round_again_keeping_both_rounds(ctx, world, maintenance):
    session, user, project = ctx
    department, _, technician = maintenance
    order = _order(session, user, project, world, department)
    follow_ups.mark_work_done(session, technician, order, "换了阀芯", NOW + timedelta(hours=2))
    with pytest.raises(RuleViolation) as undecided:
        follow_ups.record_callback(session, user("receptionist"), order,
                                   {"method": "phone", "owner_response": "还在滴水", "fixed": None}, NOW + timedelta(hours=5))
    assert undecided.value.field == "fixed"
    again = NOW + timedelta(hours=5)
    follow_ups.record_callback(session, user("receptionist"), order,
                               {"method": "phone", "owner_response": "还在滴水", "fixed": False}, again)
    assert order.status == "dispatched"
    first, second = session.scalars(sa.select(RepairRound).where(RepairRound.work_order_id == order.id)
                                    .order_by(RepairRound.round_number)).all()
    assert (first.fixed, first.owner_response, first.work_done) == (False, "还在滴水", "换了阀芯")
    assert (second.round_number, second.dispatched_at, second.done_due_at, second.done_at) == (
        2, again, again + timedelta(days=1), None)
    assert {i.assignee_role for i in _open_items(session, order, follow_ups.REPAIR_TO_DO)} == {"dept_supervisor", "staff"}

    follow_ups.mark_work_done(session, technician, order, "更换整个龙头", again + timedelta(hours=3))
    follow_ups.record_callback(session, user("receptionist"), order,
                               {"method": "visit", "owner_response": "好了", "fixed": True}, again + timedelta(hours=6))
    assert order.status == "called_back"
    assert [r.fixed for r in order.rounds] == [False, True]


def test_rcp04_close_after_the_callback_then_the_entry_closes_out(ctx, world, maintenance):
    session, user, project = ctx
    department, _, technician = maintenance
    order = _order(session, user, project, world, department)
    with pytest.raises(RuleViolation):
        follow_ups.close_work_order(session, user("receptionist"), order, NOW)  # not called back yet
    follow_ups.mark_work_done(session, technician, order, "换了阀芯", NOW + timedelta(hours=2))
    follow_ups.record_callback(session, user("receptionist"), order,
                               {"method": "phone", "owner_response": "好了", "fixed": True}, NOW + timedelta(hours=3))
    follow_ups.close_work_order(session, user("receptionist"), order, NOW + timedelta(hours=3))
    assert (order.status, order.closed_at) == ("closed", NOW + timedelta(hours=3))
    assert _open_items(session, order) == []
    operations.close(session, user("receptionist"), order.entry, None, NOW + timedelta(hours=4))
    assert order.entry.status == "closed"
    assert _actions(session, order) == ["work_order_dispatched", "work_order_done", "work_order_called_back",
                                        "work_order_closed"]


def test_rcp04_cancel_keeps_the_reason_and_only_while_dispatched(ctx, world, maintenance):
    session, user, project = ctx
    department, _, technician = maintenance
    order = _order(session, user, project, world, department)
    with pytest.raises(RuleViolation) as no_reason:
        follow_ups.cancel_work_order(session, user("receptionist"), order, "", NOW)
    assert no_reason.value.field == "reason"
    follow_ups.cancel_work_order(session, user("receptionist"), order, "业主自行修好", NOW)
    assert (order.status, order.cancel_reason) == ("cancelled", "业主自行修好")
    assert _open_items(session, order) == []

    done = _order(session, user, project, world, department)
    follow_ups.mark_work_done(session, technician, done, "换了阀芯", NOW + timedelta(hours=2))
    with pytest.raises(RuleViolation):
        follow_ups.cancel_work_order(session, user("receptionist"), done, "重复", NOW + timedelta(hours=3))


def test_rcp04_open_orders_come_earliest_due_first_and_by_department(ctx, world, maintenance):
    session, user, project = ctx
    department, _, technician = maintenance
    late = _order(session, user, project, world, department, agreed_at=NOW + timedelta(hours=2))
    soon = _order(session, user, project, world, department)
    security = session.get(type(department), world.own.department_id)
    elsewhere = _order(session, user, project, world, security, agreed_at=NOW + timedelta(days=5))
    rows = follow_ups.open_work_orders(session, [project.id], NOW + timedelta(hours=3))
    assert [r.order.id for r in rows] == [late.id, soon.id, elsewhere.id]
    assert [r.overdue for r in rows] == [True, False, False]
    mine = follow_ups.open_work_orders(session, [project.id], NOW, [department.id])
    assert {r.order.id for r in mine} == {late.id, soon.id}
