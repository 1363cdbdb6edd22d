"""Paid service operations against a real database (篇5): the price list and its GM approval,
registration, dispatch of cleared staff, the checklists, completion, the owner's signature
bound to the order's content, the quality check, rental commission and clearances. One
audit event per step; work items for whoever acts next."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from tests import factories
from webapp.core import notify, scoping
from webapp.core.media import LocalMediaStore
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.estate.models import Unit
from webapp.org.access import NotPermitted
from webapp.org.models import Department, Project, User
from webapp.paid_services import operations
from webapp.paid_services.models import ServiceOrder, ServicePrice, ServiceSignature
from webapp.paid_services.rules import Conduct

#: §4.4.1 a–b, confirmed when the work is recorded
CONDUCT = list(Conduct)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
APPOINTMENT = NOW + timedelta(hours=4)
PRE_DEPARTURE = ["appearance", "tools", "requirements", "on_time"]
OWNER_AT_HOME = ["knock", "owner_admitted", "shoe_covers", "scope_confirmed", "valuables"]
KEY_ENTRY = ["knock", "nobody_home", "key_entry", "shoe_covers", "scope_confirmed"]


class Ctx:
    def __init__(self, session, world, store):
        self.session = session
        self.world = world
        self.store = store
        self.project = session.get(Project, world.own.id)
        self.department = session.get(Department, world.own.department_id)
        self.unit = session.get(Unit, world.own.unit_id)

    def user(self, role, where="own") -> User:
        return self.session.scalar(sa.select(User).where(User.username == self.world.users[(role, where)]))

    @property
    def gm(self) -> User:
        return self.user("gm", None)

    def item(self, price_fen=8000, **values):
        return factories.make_service_item(
            self.session, self.project, self.department, self.user("dept_supervisor"), price_fen=price_fen,
            approved_by=self.gm, effective_from=values.pop("effective_from", NOW - timedelta(days=30)), **values,
        )

    def technician(self, username="own.staff2", cleared=True) -> User:
        tech = factories.make_user(self.session, username, roles=[("staff", self.project, self.department)],
                                   display_name=f"技工{username[-1]}")
        if cleared:
            factories.make_service_clearance(self.session, self.project, tech, self.user("dept_supervisor"))
        return tech


@pytest.fixture
def ctx(app, world, tmp_path):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        yield Ctx(db.session, world, LocalMediaStore(tmp_path / "media"))


def _values(ctx, item, **overrides):
    values = {
        "unit_id": ctx.unit.id,
        "owner_id": ctx.world.own.owner_id,
        "contact": "13900001111",
        "appointment_at": APPOINTMENT,
        "requirements": "厨房油烟机重点清洁",
        "cautions": "家有宠物猫, 勿开阳台门",
        "key_authorised": False,
        "lines": [{"item_id": item.id, "quantity_centi": 300}],
    }
    values.update(overrides)
    return values


def _register(ctx, item, key=None, at=NOW, **overrides) -> ServiceOrder:
    order, _ = operations.register_order(
        ctx.session, ctx.user("receptionist"), ctx.project, _values(ctx, item, **overrides), at, key
    )
    return order


def _open(session, entity, kind=None):
    query = sa.select(WorkItem).where(
        WorkItem.entity_type == entity.__tablename__, WorkItem.entity_id == entity.id, WorkItem.done_at.is_(None)
    )
    if kind:
        query = query.where(WorkItem.kind == kind)
    return list(session.scalars(query.order_by(WorkItem.id)))


def _events(session, entity):
    session.flush()
    return list(
        session.execute(
            sa.select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.entity_type == entity.__tablename__, AuditEvent.entity_id == entity.id)
            .order_by(AuditEvent.id)
        )
    )


def _notes(session, user):
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id))


def _tick_all(ctx, order, technician, items, at=APPOINTMENT):
    for n, item in enumerate(items):
        operations.tick(ctx.session, technician, order, item, at + timedelta(minutes=n))


def _under_way(ctx, item=None, *, key_authorised=False):
    """An order dispatched to one cleared technician (own.staff) and started."""
    item = item or ctx.item()
    order = _register(ctx, item, key_authorised=key_authorised)
    tech = ctx.user("staff")
    factories.make_service_clearance(ctx.session, ctx.project, tech, ctx.user("dept_supervisor"))
    operations.dispatch(ctx.session, ctx.user("dept_supervisor"), order, [tech.id], NOW + timedelta(minutes=10))
    operations.start_job(ctx.session, tech, order, APPOINTMENT - timedelta(minutes=30))
    return order, tech


def _completed(ctx, **kwargs):
    order, tech = _under_way(ctx)
    _tick_all(ctx, order, tech, PRE_DEPARTURE)
    _tick_all(ctx, order, tech, OWNER_AT_HOME, APPOINTMENT + timedelta(minutes=5))
    operations.complete_job(ctx.session, tech, order, APPOINTMENT + timedelta(hours=3),
                            conduct=CONDUCT, work_done="全屋保洁, 油烟机清洗", materials_fen=1500, materials_note="清洁剂", **kwargs)
    return order, tech


def _signature_png(size=(600, 200), strokes=True) -> bytes:
    """What signature_pad sends: a transparent PNG with dark strokes."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if strokes:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (180, 160), (260, 50), (330, 150), (420, 70), (540, 120)],
                  fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _dot_png() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((300, 100, 304, 104), fill=(0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _sign(ctx, order, tech, at=None, image=None):
    return operations.record_signature(
        ctx.session, tech, order, signer_name="业主张三", image=_signature_png() if image is None else image, satisfaction=5,
        comment="很干净", store=ctx.store, now=at or APPOINTMENT + timedelta(hours=3, minutes=5),
    )


def _stored_files(ctx) -> list[Path]:
    return [p for p in Path(ctx.store.root).rglob("*") if p.is_file()] if Path(ctx.store.root).exists() else []


# ---------------------------------------------------------------------------- SVC-01 price list


def test_svc01_an_item_is_offered_only_after_the_gm_approves(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    price = operations.propose_item(
        session, supervisor, ctx.project,
        {"department_id": ctx.department.id, "name": "擦玻璃", "unit_of_charge": "平方米", "price_fen": 500},
        NOW,
    )
    item = price.item
    assert operations.offered_items(session, ctx.project.id, NOW) == []
    with pytest.raises(RuleViolation):
        _register(ctx, item)
    gm = ctx.gm
    assert [w.kind for w in notify.my_work(session, gm.id, gm.grants)] == ["service_price_decision"]
    with pytest.raises(NotPermitted):
        operations.decide_price(session, ctx.user("pm"), price, True, None, NOW)
    operations.decide_price(session, gm, price, True, None, NOW + timedelta(hours=1))
    assert price.effective_from == NOW + timedelta(hours=1)
    assert operations.offered_items(session, ctx.project.id, NOW + timedelta(hours=1)) == [(item, price)]
    assert notify.my_work(session, gm.id, gm.grants) == []
    assert _notes(session, supervisor) == 1
    assert [e[0] for e in _events(session, item)] == ["service_item_proposed", "service_price_approved"]


def test_svc01_only_the_departments_supervisor_proposes_its_items(ctx):
    session = ctx.session
    values = {"department_id": ctx.department.id, "name": "擦玻璃", "unit_of_charge": "平方米", "price_fen": 500}
    for role in ("staff", "receptionist", "gm"):
        with pytest.raises(NotPermitted):
            operations.propose_item(session, ctx.user(role) if role != "gm" else ctx.gm, ctx.project, values, NOW)
    housekeeping = factories.make_department(session, ctx.project, "housekeeping", "家政部")
    lead = factories.make_user(session, "own.house.lead", roles=[("dept_supervisor", ctx.project, housekeeping)])
    with pytest.raises(NotPermitted):
        operations.propose_item(session, lead, ctx.project, values, NOW)
    operations.propose_item(session, lead, ctx.project, {**values, "department_id": housekeeping.id}, NOW)


def test_svc01_a_zero_or_negative_price_is_refused_and_nothing_is_kept(ctx):
    session = ctx.session
    for price_fen in (0, -800):
        with pytest.raises(RuleViolation) as exc:
            operations.propose_item(
                session, ctx.user("dept_supervisor"), ctx.project,
                {"department_id": ctx.department.id, "name": "擦玻璃", "unit_of_charge": "次", "price_fen": price_fen},
                NOW,
            )
        assert exc.value.field == "price"
    assert session.scalar(sa.select(sa.func.count()).select_from(ServicePrice)) == 0


def test_svc01_a_price_change_is_a_new_proposal_and_an_order_keeps_its_price(ctx):
    session, supervisor, gm = ctx.session, ctx.user("dept_supervisor"), ctx.gm
    item = ctx.item(price_fen=8000)
    first = _register(ctx, item)
    with pytest.raises(RuleViolation) as exc:
        operations.propose_price(session, supervisor, item, 9000, None, NOW)
    assert exc.value.field == "reason"
    change = operations.propose_price(session, supervisor, item, 9000, "人工成本上涨", NOW)
    with pytest.raises(RuleViolation):
        operations.propose_price(session, supervisor, item, 9500, "再涨", NOW)
    while_pending = _register(ctx, item)
    assert while_pending.lines[0].price_fen == 8000
    operations.decide_price(session, gm, change, True, None, NOW + timedelta(minutes=5))
    later = _register(ctx, item, at=NOW + timedelta(minutes=5))
    assert later.lines[0].price_fen == 9000 and later.total_fen == 27000
    session.refresh(first)
    assert first.lines[0].price_fen == 8000 and first.total_fen == 24000
    assert [(p.price_fen, p.decision) for p in item.prices] == [(8000, "approved"), (9000, "approved")]


def test_svc01_a_refused_price_says_why_and_the_old_price_stays(ctx):
    session, gm = ctx.session, ctx.gm
    item = ctx.item(price_fen=8000)
    change = operations.propose_price(session, ctx.user("dept_supervisor"), item, 12000, "旺季", NOW)
    with pytest.raises(RuleViolation) as exc:
        operations.decide_price(session, gm, change, False, "", NOW)
    assert exc.value.field == "note"
    operations.decide_price(session, gm, change, False, "涨幅过大", NOW)
    assert change.decision == "refused" and change.effective_from is None
    assert operations.price_in_force(item, NOW + timedelta(days=1)).price_fen == 8000
    with pytest.raises(RuleViolation):
        operations.decide_price(session, gm, change, True, None, NOW)


def test_svc01_a_withdrawn_item_is_no_longer_offered(ctx):
    item = ctx.item()
    operations.withdraw_item(ctx.session, ctx.user("dept_supervisor"), item, "停止提供", NOW)
    assert operations.offered_items(ctx.session, ctx.project.id, NOW) == []
    with pytest.raises(RuleViolation):
        _register(ctx, item)


# ---------------------------------------------------------------------------- SVC-02 registration


def test_svc02_registration_numbers_the_order_and_tells_the_department_supervisor(ctx):
    session = ctx.session
    supervisor = ctx.user("dept_supervisor")
    order = _register(ctx, ctx.item())
    assert order.number.startswith("OWN-FW-20261125-") and order.status == "registered"
    assert order.total_fen == 24000 and order.lines[0].quantity_centi == 300
    [item] = _open(session, order, operations.DISPATCH)
    assert (item.assignee_role, item.department_id, item.due_at) == ("dept_supervisor", ctx.department.id, APPOINTMENT)
    assert _notes(session, supervisor) == 1
    assert [w.entity_id for w in notify.my_work(session, supervisor.id, supervisor.grants)] == [order.id]
    assert _events(session, order) == [("service_order_registered", None, "registered")]


def test_svc02_the_same_submission_registers_one_order(ctx):
    item = ctx.item()
    first, created = operations.register_order(
        ctx.session, ctx.user("receptionist"), ctx.project, _values(ctx, item), NOW, "once"
    )
    again, created_again = operations.register_order(
        ctx.session, ctx.user("receptionist"), ctx.project, _values(ctx, item), NOW, "once"
    )
    assert created and not created_again and again.id == first.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"appointment_at": NOW - timedelta(minutes=1)}, "appointment_at"),
        ({"appointment_at": None}, "appointment_at"),
        ({"unit_id": None}, "unit_id"),
        ({"owner_id": None, "contact": ""}, "contact"),
        ({"lines": []}, "lines"),
        ({"lines": [{"item_id": None, "quantity_centi": 100}]}, "lines"),
        ({"key_note": "钥匙在前台"}, "key_note"),
    ],
)
def test_svc02_bad_registrations_are_refused_at_the_field(ctx, overrides, field):
    with pytest.raises(RuleViolation) as exc:
        _register(ctx, ctx.item(), **overrides)
    assert exc.value.field == field
    assert ctx.session.scalar(sa.select(sa.func.count()).select_from(ServiceOrder)) == 0


def test_svc02_zero_quantity_and_items_of_two_departments_are_refused(ctx):
    session = ctx.session
    item = ctx.item()
    with pytest.raises(RuleViolation):
        _register(ctx, item, lines=[{"item_id": item.id, "quantity_centi": 0}])
    other_department = factories.make_department(session, ctx.project, "maintenance", "维修部")
    repair = factories.make_service_item(session, ctx.project, other_department, ctx.user("dept_supervisor"),
                                         effective_from=NOW - timedelta(days=1))
    with pytest.raises(RuleViolation) as exc:
        _register(ctx, item, lines=[{"item_id": item.id, "quantity_centi": 100},
                                    {"item_id": repair.id, "quantity_centi": 100}])
    assert "one department" in exc.value.message


def test_svc02_only_the_service_centre_registers(ctx):
    item = ctx.item()
    for role in ("staff", "dept_supervisor", "publicist"):
        with pytest.raises(NotPermitted):
            operations.register_order(ctx.session, ctx.user(role), ctx.project, _values(ctx, item), NOW, None)
    operations.register_order(ctx.session, ctx.user("cs_supervisor"), ctx.project, _values(ctx, item), NOW, None)


# ---------------------------------------------------------------------------- SVC-03 dispatch


def test_svc03_only_cleared_staff_are_dispatched(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    order = _register(ctx, ctx.item())
    staff = ctx.user("staff")
    with pytest.raises(RuleViolation) as exc:
        operations.dispatch(session, supervisor, order, [staff.id], NOW)
    assert exc.value.field == "technicians" and exc.value.params == {"name": staff.display_name}
    receptionist = ctx.user("receptionist")
    factories.make_service_clearance(session, ctx.project, receptionist, supervisor)
    with pytest.raises(RuleViolation):  # cleared, but no technician
        operations.dispatch(session, supervisor, order, [receptionist.id], NOW)
    assert order.status == "registered" and order.assignments == []
    operations.grant_clearance(session, supervisor, ctx.project, staff, date(2026, 11, 1), "入户纪律培训", NOW)
    operations.dispatch(session, supervisor, order, [staff.id], NOW)
    assert order.status == "dispatched" and order.technician_ids == [staff.id]


def test_svc03_one_or_more_technicians_each_get_the_job_with_its_time(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    order = _register(ctx, ctx.item())
    first, second = ctx.technician("own.staff2"), ctx.technician("own.staff3")
    operations.dispatch(session, supervisor, order, [first.id, second.id], NOW)
    jobs = _open(session, order, operations.JOB)
    assert sorted(j.assignee_id for j in jobs) == sorted([first.id, second.id])
    assert {j.due_at for j in jobs} == {APPOINTMENT}
    assert "1502" in jobs[0].title and "14:00" in jobs[0].title
    work = notify.my_work(session, first.id, first.grants)
    assert [(w.kind, w.entity_id) for w in work] == [("service_job", order.id)]
    assert _open(session, order, operations.DISPATCH) == []
    operations.dispatch(session, supervisor, order, [second.id], NOW + timedelta(minutes=5))
    assert notify.my_work(session, first.id, first.grants) == []
    assert [j.assignee_id for j in _open(session, order, operations.JOB)] == [second.id]
    operations.dispatch(session, supervisor, order, [first.id, second.id], NOW + timedelta(minutes=6))
    assert sorted(order.technician_ids) == sorted([first.id, second.id])


def test_svc03_only_the_departments_supervisor_dispatches(ctx):
    session = ctx.session
    order = _register(ctx, ctx.item())
    tech = ctx.technician()
    housekeeping = factories.make_department(session, ctx.project, "housekeeping", "家政部")
    lead = factories.make_user(session, "own.house.lead", roles=[("dept_supervisor", ctx.project, housekeeping)])
    for actor in (ctx.user("receptionist"), ctx.user("staff"), lead):
        with pytest.raises(NotPermitted):
            operations.dispatch(session, actor, order, [tech.id], NOW)


def test_svc03_a_revoked_clearance_stops_the_start(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    order = _register(ctx, ctx.item())
    tech = ctx.technician()
    operations.dispatch(session, supervisor, order, [tech.id], NOW)
    clearance = operations.active_clearance(session, ctx.project.id, tech.id)
    operations.revoke_clearance(session, supervisor, clearance, "违反入户纪律", NOW + timedelta(minutes=1))
    with pytest.raises(RuleViolation):
        operations.start_job(session, tech, order, NOW + timedelta(hours=3))
    assert order.status == "dispatched"
    with pytest.raises(RuleViolation):
        operations.dispatch(session, supervisor, order, [tech.id], NOW + timedelta(minutes=2))


def test_svc03_clearance_needs_the_training_and_the_right_supervisor(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    staff = ctx.user("staff")
    with pytest.raises(RuleViolation) as exc:
        operations.grant_clearance(session, supervisor, ctx.project, staff, None, None, NOW)
    assert exc.value.field == "trained_on"
    with pytest.raises(RuleViolation):
        operations.grant_clearance(session, supervisor, ctx.project, staff, date(2026, 11, 26), None, NOW)
    housekeeping = factories.make_department(session, ctx.project, "housekeeping", "家政部")
    lead = factories.make_user(session, "own.house.lead", roles=[("dept_supervisor", ctx.project, housekeeping)])
    for actor in (lead, ctx.user("receptionist"), ctx.user("staff")):
        with pytest.raises(NotPermitted):
            operations.grant_clearance(session, actor, ctx.project, staff, date(2026, 11, 1), None, NOW)
    clearance = operations.grant_clearance(session, ctx.user("pm"), ctx.project, staff, date(2026, 11, 1), None, NOW)
    with pytest.raises(RuleViolation):
        operations.grant_clearance(session, supervisor, ctx.project, staff, date(2026, 11, 1), None, NOW)
    with pytest.raises(RuleViolation) as exc:
        operations.revoke_clearance(session, supervisor, clearance, " ", NOW)
    assert exc.value.field == "reason"
    operations.revoke_clearance(session, supervisor, clearance, "离职", NOW)
    assert [e[0] for e in _events(session, clearance)] == ["clearance_granted", "clearance_revoked"]
    operations.grant_clearance(session, supervisor, ctx.project, staff, date(2026, 11, 20), "重新培训", NOW)


# ---------------------------------------------------------------------------- SVC-04/05 checklists


def test_svc04_checklists_open_only_once_the_job_is_under_way(ctx):
    session = ctx.session
    order = _register(ctx, ctx.item())
    tech = ctx.technician()
    operations.dispatch(session, ctx.user("dept_supervisor"), order, [tech.id], NOW)
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "appearance", NOW)
    with pytest.raises(NotPermitted):
        operations.start_job(session, ctx.user("staff"), order, NOW)  # not on this job
    operations.start_job(session, tech, order, NOW + timedelta(hours=3))
    operations.tick(session, tech, order, "appearance", NOW + timedelta(hours=3))


def test_svc04_each_item_is_ticked_with_its_time_once_in_the_sops_order(ctx):
    session = ctx.session
    order, tech = _under_way(ctx)
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "on_time", APPOINTMENT)  # not prepared yet
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "knock", APPOINTMENT)  # pre-departure first
    first = operations.tick(session, tech, order, "appearance", APPOINTMENT - timedelta(minutes=20))
    again = operations.tick(session, tech, order, "appearance", APPOINTMENT - timedelta(minutes=19))
    assert again is first and first.ticked_at == APPOINTMENT - timedelta(minutes=20)
    _tick_all(ctx, order, tech, PRE_DEPARTURE[1:], APPOINTMENT - timedelta(minutes=3))
    assert [t.item for t in order.ticks] == PRE_DEPARTURE
    assert all(t.technician_id == tech.id and t.checklist == "pre_departure" for t in order.ticks)
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "shoe_covers", APPOINTMENT)  # knock and be let in first
    _tick_all(ctx, order, tech, OWNER_AT_HOME)
    assert operations.checklist_progress(order) == {"pre_departure": {tech.id: ()}, "on_site": ()}
    ticks = [e for e in _events(session, order) if e[0] == "service_checklist_ticked"]
    assert len(ticks) == len(PRE_DEPARTURE) + len(OWNER_AT_HOME)
    changes = session.scalars(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_id == order.id, AuditEvent.action == "service_checklist_ticked")
        .order_by(AuditEvent.id)
    ).all()
    assert changes[0] == {"item": [None, "appearance"]}
    assert changes[3] == {"item": [None, "on_time"]}  # ticked 3 minutes before the appointment


def test_svc04_a_late_arrival_is_marked_on_the_trail(ctx):
    session = ctx.session
    order, tech = _under_way(ctx)
    _tick_all(ctx, order, tech, PRE_DEPARTURE[:3], APPOINTMENT - timedelta(minutes=10))
    operations.tick(session, tech, order, "on_time", APPOINTMENT + timedelta(minutes=12))
    session.flush()
    changes = session.scalar(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_id == order.id, AuditEvent.action == "service_checklist_ticked")
        .order_by(AuditEvent.id.desc()).limit(1)
    )
    assert changes == {"item": [None, "on_time"], "arrived_late": [None, True]}


def test_svc05_key_entry_without_authorisation_is_refused(ctx):
    session = ctx.session
    order, tech = _under_way(ctx, key_authorised=False)
    _tick_all(ctx, order, tech, PRE_DEPARTURE + ["knock"])
    for item in ("nobody_home", "key_entry"):
        with pytest.raises(RuleViolation) as exc:
            operations.tick(session, tech, order, item, APPOINTMENT + timedelta(minutes=10))
        assert "authorised" in exc.value.message
    assert [t.item for t in order.ticks][-1] == "knock"


def test_svc05_key_entry_on_an_authorised_order_after_confirming_nobody_is_home(ctx):
    session = ctx.session
    order, tech = _under_way(ctx, key_authorised=True)
    _tick_all(ctx, order, tech, PRE_DEPARTURE + ["knock"])
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "key_entry", APPOINTMENT + timedelta(minutes=10))
    _tick_all(ctx, order, tech, KEY_ENTRY[1:], APPOINTMENT + timedelta(minutes=10))
    assert operations.checklist_progress(order)["on_site"] == ()
    with pytest.raises(RuleViolation):
        operations.tick(session, tech, order, "owner_admitted", APPOINTMENT + timedelta(minutes=20))


def test_svc04_every_technician_on_the_job_prepares_themselves_and_svc05_is_once_per_order(ctx):
    session, supervisor = ctx.session, ctx.user("dept_supervisor")
    order = _register(ctx, ctx.item())
    first, second = ctx.technician("own.staff2"), ctx.technician("own.staff3")
    operations.dispatch(session, supervisor, order, [first.id, second.id], NOW)
    operations.start_job(session, first, order, APPOINTMENT - timedelta(minutes=30))
    _tick_all(ctx, order, first, PRE_DEPARTURE + ["knock"])
    with pytest.raises(RuleViolation):
        operations.tick(session, second, order, "owner_admitted", APPOINTMENT)  # own pre-departure list first
    _tick_all(ctx, order, first, OWNER_AT_HOME[1:], APPOINTMENT + timedelta(minutes=5))
    assert operations.tick(session, second, order, "knock", APPOINTMENT).technician_id == first.id  # done once
    with pytest.raises(RuleViolation) as exc:
        operations.complete_job(session, first, order, APPOINTMENT + timedelta(hours=2), conduct=CONDUCT, work_done="保洁")
    assert exc.value.params == {"count": 4}
    _tick_all(ctx, order, second, PRE_DEPARTURE)
    operations.complete_job(session, second, order, APPOINTMENT + timedelta(hours=2), conduct=CONDUCT, work_done="保洁")
    assert order.status == "completed"


# ---------------------------------------------------------------------------- SVC-06 completion


def test_svc06_completion_records_the_work_and_the_charge(ctx):
    session = ctx.session
    order, tech = _under_way(ctx)
    line = order.lines[0]
    _tick_all(ctx, order, tech, PRE_DEPARTURE)
    with pytest.raises(RuleViolation):
        operations.complete_job(session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="保洁")
    _tick_all(ctx, order, tech, OWNER_AT_HOME, APPOINTMENT + timedelta(minutes=5))
    with pytest.raises(RuleViolation) as exc:
        operations.complete_job(session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done=" ")
    assert exc.value.field == "work_done"
    operations.complete_job(
        session, tech, order, APPOINTMENT + timedelta(hours=4), conduct=CONDUCT, work_done="全屋保洁", materials_fen=1500,
        materials_note="清洁剂", quantities={line.id: 350}, finished_at=APPOINTMENT + timedelta(hours=3, minutes=30),
    )
    assert order.status == "completed" and line.quantity_centi == 350 and line.price_fen == 8000
    assert (order.lines_fen, order.materials_fen, order.total_fen) == (28000, 1500, 29500)
    assert order.finished_at == APPOINTMENT + timedelta(hours=3, minutes=30)


def test_svc06_a_job_finished_before_it_started_is_refused_and_nothing_is_lost(ctx):
    session = ctx.session
    order, tech = _under_way(ctx)
    _tick_all(ctx, order, tech, PRE_DEPARTURE)
    _tick_all(ctx, order, tech, OWNER_AT_HOME, APPOINTMENT + timedelta(minutes=5))
    line = order.lines[0]
    with pytest.raises(RuleViolation) as exc:
        operations.complete_job(
            session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="全屋保洁", materials_fen=1500,
            quantities={line.id: 500}, started_at=APPOINTMENT, finished_at=APPOINTMENT - timedelta(minutes=1),
        )
    assert exc.value.field == "finished_at"
    assert order.status == "in_progress" and order.work_done is None and order.total_fen == 24000
    assert line.quantity_centi == 300


def test_svc06_the_work_is_recorded_only_with_no_gifts_and_tools_counted_confirmed(ctx):
    order, tech = _under_way(ctx)
    _tick_all(ctx, order, tech, PRE_DEPARTURE)
    _tick_all(ctx, order, tech, OWNER_AT_HOME, APPOINTMENT + timedelta(minutes=5))
    with pytest.raises(RuleViolation) as exc:
        operations.complete_job(ctx.session, tech, order, APPOINTMENT + timedelta(hours=3),
                                conduct=[Conduct.NO_GIFTS], work_done="保洁")
    assert exc.value.field == "conduct" and order.status == "in_progress"
    operations.complete_job(ctx.session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="保洁")
    ctx.session.flush()
    completed = ctx.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity_id == order.id, AuditEvent.action == "service_order_completed")
    )
    assert completed.changes["conduct_confirmed"] == [None, ["no_gifts", "tools_counted"]]


def test_svc06_negative_materials_are_refused(ctx):
    order, tech = _under_way(ctx)
    _tick_all(ctx, order, tech, PRE_DEPARTURE)
    _tick_all(ctx, order, tech, OWNER_AT_HOME, APPOINTMENT + timedelta(minutes=5))
    with pytest.raises(RuleViolation) as exc:
        operations.complete_job(ctx.session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="保洁",
                                materials_fen=-100)
    assert exc.value.field == "materials"


# ---------------------------------------------------------------------------- SVC-06/09 signature


def test_svc09_the_signature_is_stored_with_name_time_and_the_hash_of_the_content(ctx):
    session = ctx.session
    order, tech = _completed(ctx)
    signature = _sign(ctx, order, tech)
    session.flush()
    assert order.status == "signed" and signature.signer_name == "业主张三" and signature.satisfaction == 5
    assert signature.signed_at == APPOINTMENT + timedelta(hours=3, minutes=5)
    assert signature.content_hash == operations.current_hash(order)
    assert operations.signature_matches(order) is True
    stored = Image.open(io.BytesIO(ctx.store.open(signature.image_key)))
    assert stored.format == "PNG" and stored.size == (600, 200)
    assert stored.convert("L").getextrema()[0] < 100  # the strokes are there
    assert not stored.info.get("exif")
    import json

    content = json.loads(signature.signed_content)
    assert content["total_fen"] == order.total_fen == 25500 and content["technician_ids"] == [tech.id]
    assert _open(session, order, operations.JOB) == []
    assert [w.assignee_role for w in _open(session, order, operations.QUALITY)] == ["dept_supervisor"]


@pytest.mark.parametrize("image", [_signature_png(strokes=False), _dot_png(), b""], ids=["blank", "dot", "nothing"])
def test_svc06_an_empty_signature_is_refused_and_nothing_is_stored(ctx, image):
    session = ctx.session
    order, tech = _completed(ctx)
    with pytest.raises(RuleViolation) as exc:
        _sign(ctx, order, tech, image=image)
    assert exc.value.field == "signature"
    assert order.status == "completed" and order.signatures == []
    assert session.scalar(sa.select(sa.func.count()).select_from(ServiceSignature)) == 0
    assert _stored_files(ctx) == []


def test_svc06_a_file_that_is_not_a_png_signature_is_refused(ctx):
    from webapp.core.media import MediaError

    order, tech = _completed(ctx)
    jpeg = io.BytesIO()
    Image.new("RGB", (600, 200), "white").save(jpeg, "JPEG")
    for data in (b"not an image", jpeg.getvalue()):
        with pytest.raises(MediaError) as exc:
            _sign(ctx, order, tech, image=data)
        assert exc.value.field == "signature"
    assert _stored_files(ctx) == []


def test_svc06_the_signature_file_goes_when_the_transaction_rolls_back(ctx):
    order, tech = _completed(ctx)
    ctx.session.commit()
    signature = _sign(ctx, order, tech)
    key = signature.image_key
    assert ctx.store.exists(key)
    ctx.session.rollback()
    assert not ctx.store.exists(key)


def test_svc09_an_edit_after_signing_shows_the_signature_as_no_longer_matching(ctx):
    session = ctx.session
    order, tech = _completed(ctx)
    _sign(ctx, order, tech)
    line = order.lines[0]
    operations.edit_order(session, ctx.user("cs_supervisor"), order, {"quantities": {line.id: 400}},
                          APPOINTMENT + timedelta(hours=5))
    assert order.total_fen == 32000 + 1500 and order.status == "signed"
    assert operations.signature_matches(order) is False
    with pytest.raises(RuleViolation) as exc:
        operations.check_quality(session, ctx.user("dept_supervisor"), order, "qualified", None,
                                 APPOINTMENT + timedelta(hours=6))
    assert "sign again" in exc.value.message
    assert [w.assignee_id for w in _open(session, order, operations.SIGN_AGAIN)] == [tech.id]
    edited = [e for e in _events(session, order) if e[0] == "service_order_edited"]
    assert edited == [("service_order_edited", "signed", "signed")]
    _sign(ctx, order, tech, at=APPOINTMENT + timedelta(hours=7))
    assert operations.signature_matches(order) is True and len(order.signatures) == 2
    assert _open(session, order, operations.SIGN_AGAIN) == []
    operations.check_quality(session, ctx.user("dept_supervisor"), order, "qualified", None,
                             APPOINTMENT + timedelta(hours=8))
    assert order.status == "closed"


@pytest.mark.parametrize(
    "changes",
    [
        {"work_done": "只做了厨房"},
        {"materials_fen": 0},
        {"materials_note": "自带"},
        {"finished_at": APPOINTMENT + timedelta(hours=2)},
    ],
)
def test_svc09_any_edit_of_what_the_owner_approved_breaks_the_match(ctx, changes):
    order, tech = _completed(ctx)
    _sign(ctx, order, tech)
    operations.edit_order(ctx.session, ctx.user("dept_supervisor"), order, changes, APPOINTMENT + timedelta(hours=5))
    assert operations.signature_matches(order) is False


def test_svc09_an_edit_that_changes_nothing_keeps_the_match_and_no_event(ctx):
    order, tech = _completed(ctx)
    _sign(ctx, order, tech)
    before = len(_events(ctx.session, order))
    operations.edit_order(ctx.session, ctx.user("dept_supervisor"), order, {"work_done": order.work_done},
                          APPOINTMENT + timedelta(hours=5))
    assert operations.signature_matches(order) is True and len(_events(ctx.session, order)) == before


def test_svc09_edits_follow_the_stage_and_the_role(ctx):
    session = ctx.session
    order = _register(ctx, ctx.item())
    with pytest.raises(RuleViolation):
        operations.edit_order(session, ctx.user("receptionist"), order, {"work_done": "x"}, NOW)
    with pytest.raises(NotPermitted):
        operations.edit_order(session, ctx.user("staff"), order, {"cautions": "x"}, NOW)  # not on the job
    operations.edit_order(session, ctx.user("receptionist"), order,
                          {"appointment_at": APPOINTMENT + timedelta(hours=1), "key_authorised": True,
                           "key_note": "钥匙存前台"}, NOW)
    assert order.key_authorised and order.appointment_at == APPOINTMENT + timedelta(hours=1)
    operations.edit_order(session, ctx.user("receptionist"), order, {"key_authorised": False}, NOW)
    assert not order.key_authorised and order.key_note is None
    with pytest.raises(RuleViolation) as exc:
        operations.edit_order(session, ctx.user("receptionist"), order, {"key_note": "钥匙在物业"}, NOW)
    assert exc.value.field == "key_note"
    assert [w.due_at for w in _open(session, order, operations.DISPATCH)] == [APPOINTMENT + timedelta(hours=1)]
    with pytest.raises(RuleViolation) as exc:
        operations.edit_order(session, ctx.user("receptionist"), order, {"appointment_at": NOW}, NOW)
    assert exc.value.field == "appointment_at"


def test_svc06_the_owner_may_refuse_to_sign_with_a_reason(ctx):
    session = ctx.session
    order, tech = _completed(ctx)
    cs = ctx.user("cs_supervisor")
    with pytest.raises(RuleViolation) as exc:
        operations.refuse_signature(session, tech, order, reason="", now=APPOINTMENT + timedelta(hours=4))
    assert exc.value.field == "reason"
    refusal = operations.refuse_signature(session, tech, order, reason="收费与约定不符", satisfaction=2,
                                          now=APPOINTMENT + timedelta(hours=4))
    assert order.status == "signature_refused" and refusal.refused and refusal.image_key is None
    assert operations.signature_matches(order) is None
    assert _notes(session, cs) == 1
    operations.check_quality(session, cs, order, "unqualified", "收费解释不清", APPOINTMENT + timedelta(hours=6))
    assert order.status == "closed" and order.quality_checks[0].result == "unqualified"


def test_svc06_only_a_technician_on_the_job_presents_the_order_for_signing(ctx):
    order, tech = _completed(ctx)
    for actor in (ctx.user("receptionist"), ctx.user("dept_supervisor"), ctx.technician("own.staff9")):
        with pytest.raises(NotPermitted):
            _sign(ctx, order, actor)


# ---------------------------------------------------------------------------- SVC-07 quality


def test_svc07_quality_check_by_a_supervisor_closes_the_order_and_its_work(ctx):
    session = ctx.session
    order, tech = _completed(ctx)
    _sign(ctx, order, tech)
    for actor in (tech, ctx.user("receptionist")):
        with pytest.raises(NotPermitted):
            operations.check_quality(session, actor, order, "qualified", None, APPOINTMENT + timedelta(hours=6))
    with pytest.raises(RuleViolation) as exc:
        operations.check_quality(session, ctx.user("dept_supervisor"), order, "unqualified", "",
                                 APPOINTMENT + timedelta(hours=6))
    assert exc.value.field == "note"
    operations.check_quality(session, ctx.user("dept_supervisor"), order, "qualified", "复查合格",
                             APPOINTMENT + timedelta(hours=6))
    assert order.status == "closed" and order.closed_at == APPOINTMENT + timedelta(hours=6)
    assert _open(session, order) == []
    assert [e for e in _events(session, order) if e[1] != e[2]] == [
        ("service_order_registered", None, "registered"),
        ("service_order_dispatched", "registered", "dispatched"),
        ("service_order_started", "dispatched", "in_progress"),
        ("service_order_completed", "in_progress", "completed"),
        ("service_order_signed", "completed", "signed"),
        ("service_order_checked", "signed", "closed"),
    ]
    with pytest.raises(RuleViolation):
        operations.edit_order(session, ctx.user("dept_supervisor"), order, {"work_done": "x"}, NOW)


def test_svc07_a_completed_order_is_not_closed_before_the_owner_signs_or_refuses(ctx):
    order, _ = _completed(ctx)
    with pytest.raises(RuleViolation):
        operations.check_quality(ctx.session, ctx.user("dept_supervisor"), order, "qualified", None,
                                 APPOINTMENT + timedelta(hours=6))


def test_svc02_cancel_with_a_reason_closes_the_work_and_tells_the_technicians(ctx):
    session = ctx.session
    order = _register(ctx, ctx.item())
    tech = ctx.technician()
    operations.dispatch(session, ctx.user("dept_supervisor"), order, [tech.id], NOW)
    with pytest.raises(NotPermitted):
        operations.cancel_order(session, tech, order, "不去了", NOW)
    with pytest.raises(RuleViolation) as exc:
        operations.cancel_order(session, ctx.user("receptionist"), order, " ", NOW)
    assert exc.value.field == "reason"
    notes_before = _notes(session, tech)
    operations.cancel_order(session, ctx.user("receptionist"), order, "业主临时出差", NOW + timedelta(minutes=30))
    assert order.status == "cancelled" and order.cancel_reason == "业主临时出差"
    assert _open(session, order) == [] and _notes(session, tech) == notes_before + 1


def test_svc06_completed_work_is_not_cancelled(ctx):
    order, _ = _completed(ctx)
    with pytest.raises(RuleViolation):
        operations.cancel_order(ctx.session, ctx.user("receptionist"), order, "不想付钱", NOW)


# ---------------------------------------------------------------------------- SVC-08 rental


def _rental_values(ctx, **overrides):
    values = {
        "unit_id": ctx.unit.id,
        "owner_id": ctx.world.own.owner_id,
        "contact": "13900001111",
        "asking_rent_fen": 350000,
        "terms": "一年起租, 家电齐全, 不租给群租",
        "commission_rate_bp": 833,
    }
    values.update(overrides)
    return values


def test_svc08_rental_commission_from_application_to_let(ctx):
    session, desk = ctx.session, ctx.user("receptionist")
    rental, created = operations.create_rental(session, desk, ctx.project, _rental_values(ctx), NOW, "r1")
    again, created_again = operations.create_rental(session, desk, ctx.project, _rental_values(ctx), NOW, "r1")
    assert created and not created_again and again.id == rental.id
    assert rental.number.startswith("OWN-WT-") and rental.status == "applied"
    with pytest.raises(RuleViolation) as exc:
        operations.create_rental(session, desk, ctx.project, _rental_values(ctx), NOW, None)
    assert exc.value.field == "unit_id"  # already entrusted
    with pytest.raises(RuleViolation):
        operations.move_rental(session, desk, rental, "let", NOW, lease_months=12)  # listed first
    operations.move_rental(session, desk, rental, "listed", NOW + timedelta(days=1))
    with pytest.raises(RuleViolation) as exc:
        operations.move_rental(session, desk, rental, "let", NOW + timedelta(days=9), let_rent_fen=300000)
    assert exc.value.field == "lease_months"
    operations.move_rental(session, desk, rental, "let", NOW + timedelta(days=10), let_rent_fen=300000,
                           lease_months=12, tenant_name="李四")
    assert rental.status == "let" and rental.commission_fen == 299880
    with pytest.raises(RuleViolation):
        operations.move_rental(session, desk, rental, "withdrawn", NOW, reason="x")
    assert [e[0] for e in _events(session, rental)] == ["rental_applied", "rental_listed", "rental_let"]


def test_svc08_withdrawal_says_why_and_bad_terms_are_refused(ctx):
    session, desk = ctx.session, ctx.user("cs_supervisor")
    for overrides, field in (({"asking_rent_fen": 0}, "asking_rent"), ({"commission_rate_bp": 0}, "commission_rate"),
                             ({"owner_id": None}, "owner_id")):
        with pytest.raises(RuleViolation) as exc:
            operations.create_rental(session, desk, ctx.project, _rental_values(ctx, **overrides), NOW, None)
        assert exc.value.field == field
    rental, _ = operations.create_rental(session, desk, ctx.project, _rental_values(ctx), NOW, None)
    with pytest.raises(RuleViolation):
        operations.move_rental(session, desk, rental, "withdrawn", NOW, reason="")
    operations.move_rental(session, desk, rental, "withdrawn", NOW, reason="业主自住")
    assert rental.status == "withdrawn" and rental.withdraw_reason == "业主自住"
    operations.create_rental(session, desk, ctx.project, _rental_values(ctx), NOW, None)  # entrusted again


def test_svc08_only_the_service_centre_handles_rentals(ctx):
    for role in ("staff", "dept_supervisor", "publicist"):
        with pytest.raises(NotPermitted):
            operations.create_rental(ctx.session, ctx.user(role), ctx.project, _rental_values(ctx), NOW, None)


# ---------------------------------------------------------------------------- scoping


def test_org02_another_projects_orders_are_invisible_in_a_scoped_request(app, ctx):
    session = ctx.session
    own = _register(ctx, ctx.item())
    other_project = session.get(Project, ctx.world.other.id)
    other_department = session.get(Department, ctx.world.other.department_id)
    other_item = factories.make_service_item(session, other_project, other_department,
                                             ctx.user("dept_supervisor", "other"))
    other = factories.make_service_order(session, other_project, other_item, session.get(Unit, ctx.world.other.unit_id),
                                         ctx.user("receptionist", "other"))
    session.commit()
    with app.test_request_context():
        scoping.set_scope(frozenset({ctx.project.id}))
        found = set(session.scalars(sa.select(ServiceOrder.id)))
        assert own.id in found and other.id not in found
        assert operations.offered_items(session, other_project.id, NOW) == []
