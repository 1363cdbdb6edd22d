"""A complaint or a paid-service order started from a ledger entry (RCP-04, 篇3 §4.6):
recorded and linked in one step, the complaint's clocks from the owner's contact, refused
before anything is written when the entry may not be routed, and the entry closed out
(RCP-08) once its follow-up is done. Also the one gettext of operations' texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.complaints import operations as complaints
from webapp.complaints import rules as complaint_rules
from webapp.complaints.models import Complaint
from webapp.core import scoping
from webapp.core.i18n import gettext
from webapp.core.models import AuditEvent
from webapp.core.rulekit import RuleViolation
from webapp.org.access import NotPermitted
from webapp.org.models import Department, Project, User
from webapp.paid_services import operations as paid_services
from webapp.paid_services.models import ServiceOrder
from webapp.reception import operations as reception

CONTACTED = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the owner came to the desk
NOW = CONTACTED + timedelta(hours=2)  # 11:00: the complaint form is saved


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id)


def _entry(ctx, world, **values):
    session, user, project = ctx
    values.setdefault("received_at", CONTACTED)
    values.setdefault("owner_id", world.own.owner_id)
    values.setdefault("unit_id", world.own.unit_id)
    return factories.make_reception_entry(session, project, user("receptionist"), **values)


def _complaint_values(world, **overrides):
    values = {
        "complaint_class": "important",
        "description": "保安态度恶劣",
        "complained_department_id": world.own.department_id,
        "owner_contact": "13900001111",
        "owner_id": world.own.owner_id,
        "unit_id": world.own.unit_id,
        "channel": "visit",
    }
    values.update(overrides)
    return values


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------------------- complaints


def test_rcp04_complaint_from_entry_starts_its_clocks_at_the_owners_contact_and_links_the_entry(ctx, world):
    session, user, project = ctx
    entry = _entry(ctx, world)
    desk = user("cs_supervisor")
    complaint, created = complaints.record_complaint_from_entry(
        session, desk, project, entry, _complaint_values(world), NOW, None
    )
    session.flush()
    assert created
    # CMP clocks start when the owner contacted the centre, not when the form was saved
    assert complaint.received_at == CONTACTED
    assert complaint.commitment_due_at == complaint_rules.commitment_due("important", CONTACTED)
    assert complaint.resolution_due_at == CONTACTED + timedelta(days=3)
    # whoever received the owner received the complaint
    assert complaint.received_by_id == user("receptionist").id
    # the entry is routed to it and stays open until the complaint is done (RCP-08)
    assert (entry.status, entry.category, entry.follow_up) == ("open", "complaint", "complaint")
    assert (entry.follow_up_type, entry.follow_up_id) == ("complaints", complaint.id)
    assert (entry.routed_by_id, entry.routed_at) == (desk.id, NOW)
    assert reception.started_by(session, complaint).id == entry.id
    actions = session.execute(sa.select(AuditEvent.entity_type, AuditEvent.action).order_by(AuditEvent.id)).all()
    assert ("complaints", "complaint_recorded") in actions and ("reception_entries", "reception_routed") in actions


def test_rcp04_complaint_from_an_owners_qr_form_is_received_by_the_desk_that_records_it(ctx, world):
    session, user, project = ctx
    entry = _entry(ctx, world, channel="qr_form")
    entry.received_by_id = None
    complaint, _ = complaints.record_complaint_from_entry(
        session, user("receptionist"), project, entry, _complaint_values(world), NOW, None
    )
    assert complaint.received_by_id == user("receptionist").id and complaint.received_at == CONTACTED


def test_rcp04_complaint_from_entry_repeated_submission_returns_the_first(ctx, world):
    session, user, project = ctx
    entry = _entry(ctx, world)
    first, _ = complaints.record_complaint_from_entry(
        session, user("receptionist"), project, entry, _complaint_values(world), NOW, "key-1"
    )
    session.flush()
    again, created = complaints.record_complaint_from_entry(
        session, user("receptionist"), project, entry, _complaint_values(world), NOW, "key-1"
    )
    assert not created and again.id == first.id and _count(session, Complaint) == 1


def test_rcp04_complaint_from_entry_refused_before_anything_is_written(ctx, world):
    session, user, project = ctx
    routed = _entry(ctx, world, status="open", category="repair", follow_up="work_order")
    with pytest.raises(RuleViolation, match="already been routed"):
        complaints.record_complaint_from_entry(
            session, user("receptionist"), project, routed, _complaint_values(world), NOW, None
        )
    fresh = _entry(ctx, world)
    # a department supervisor logs contacts but does not route them
    with pytest.raises(NotPermitted):
        complaints.record_complaint_from_entry(
            session, user("dept_supervisor"), project, fresh, _complaint_values(world), NOW, None
        )
    # the other project's desk may not route this project's entry
    with pytest.raises(NotPermitted):
        complaints.record_complaint_from_entry(
            session, user("receptionist", "other"), session.get(Project, world.other.id), fresh,
            _complaint_values(world), NOW, None,
        )
    assert _count(session, Complaint) == 0
    assert fresh.status == "new" and fresh.follow_up_id is None


def test_rcp08_entry_closes_out_once_the_complaint_is_called_back_and_closed(ctx, world):
    session, user, project = ctx
    entry = _entry(ctx, world)
    complaint, _ = complaints.record_complaint_from_entry(
        session, user("receptionist"), project, entry,
        _complaint_values(world, complaint_class="minor"), NOW, None,
    )
    later = NOW + timedelta(hours=1)
    complaints.commit_handling(session, user("pm"), complaint, later)
    complaints.start_handling(session, user("dept_supervisor"), complaint, later)
    complaints.answer_owner(
        session, user("dept_supervisor"), complaint, "已致歉并整改", later,
        cause="交接班未核对", responsible_person="夜班保安李某",
    )
    # the follow-up is not done before the call-back: the entry stays in the open ledger
    with pytest.raises(RuleViolation, match="follow-up is done"):
        reception.close(session, user("receptionist"), entry, None, later)
    complaints.record_callback(session, user("receptionist"), complaint, "phone", "satisfied", None, later)
    reception.close(session, user("receptionist"), entry, None, later + timedelta(minutes=5))
    assert entry.status == "closed" and entry.closed_at == later + timedelta(minutes=5)


# ---------------------------------------------------------------------------- paid services


@pytest.fixture
def item(ctx, world):
    session, user, project = ctx
    return factories.make_service_item(
        session, project, session.get(Department, world.own.department_id), user("pm"),
        effective_from=CONTACTED - timedelta(days=30),
    )


def _order_values(world, item, **overrides):
    values = {
        "unit_id": world.own.unit_id,
        "owner_id": world.own.owner_id,
        "contact": "13900001111",
        "appointment_at": NOW + timedelta(days=1),
        "requirements": "厨房深度保洁",
        "lines": [{"item_id": item.id, "quantity_centi": 200}],
    }
    values.update(overrides)
    return values


def test_rcp04_service_order_from_entry_is_registered_and_linked(ctx, world, item):
    session, user, project = ctx
    entry = _entry(ctx, world, content="想请人做一次厨房深度保洁")
    order, created = paid_services.register_order_from_entry(
        session, user("receptionist"), project, entry, _order_values(world, item), NOW, None
    )
    session.flush()
    assert created and order.status == "registered"
    assert (entry.status, entry.category, entry.follow_up) == ("open", "service", "service_order")
    assert (entry.follow_up_type, entry.follow_up_id) == ("service_orders", order.id)
    assert reception.started_by(session, order).id == entry.id


def test_rcp04_service_order_from_entry_refused_before_anything_is_written(ctx, world, item):
    session, user, project = ctx
    routed = _entry(ctx, world, status="open", category="complaint", follow_up="complaint")
    with pytest.raises(RuleViolation):
        paid_services.register_order_from_entry(
            session, user("receptionist"), project, routed, _order_values(world, item), NOW, None
        )
    fresh = _entry(ctx, world)
    with pytest.raises(NotPermitted):
        paid_services.register_order_from_entry(
            session, user("staff"), project, fresh, _order_values(world, item), NOW, None
        )
    assert _count(session, ServiceOrder) == 0 and fresh.status == "new"


def test_rcp08_entry_closes_out_once_the_service_order_is_cancelled(ctx, world, item):
    session, user, project = ctx
    entry = _entry(ctx, world)
    order, _ = paid_services.register_order_from_entry(
        session, user("receptionist"), project, entry, _order_values(world, item), NOW, None
    )
    with pytest.raises(RuleViolation):
        reception.close(session, user("receptionist"), entry, None, NOW)
    paid_services.cancel_order(session, user("receptionist"), order, "业主改期另约", NOW)
    reception.close(session, user("receptionist"), entry, None, NOW)
    assert entry.status == "closed"


# ---------------------------------------------------------------------------- one gettext


def test_operations_texts_outside_a_request_stay_the_msgid_with_its_values(app):
    with app.app_context():
        assert gettext("Call the owner back") == "Call the owner back"
        assert gettext("%(n)s items", n=3) == "3 items"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert gettext("Call the owner back") != "Call the owner back"
