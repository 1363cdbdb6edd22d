"""Reception ledger operations against a real database: who may log, route and close out
an entry, one audit event per step, and the open ledger oldest first (RCP-01, 02, 08)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.core import scoping
from webapp.core.models import AuditEvent, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.estate.models import Owner, Unit
from webapp.org.models import Project, User
from webapp.reception import operations
from webapp.reception.models import ReceptionEntry

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id)


def _values(world, **overrides):
    values = {
        "channel": "visit",
        "owner_id": world.own.owner_id,
        "unit_id": world.own.unit_id,
        "contact": "13900001111",
        "content": "  楼上漏水到我家卫生间  ",
    }
    values.update(overrides)
    return values


def _events(session, entry):
    return list(
        session.execute(
            sa.select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.entity_type == "reception_entries", AuditEvent.entity_id == entry.id)
            .order_by(AuditEvent.id)
        )
    )


def _route_items(session, entry):
    return list(
        session.scalars(
            sa.select(WorkItem).where(
                WorkItem.entity_type == "reception_entries",
                WorkItem.entity_id == entry.id,
                WorkItem.kind == operations.ROUTE,
                WorkItem.done_at.is_(None),
            )
        )
    )


@pytest.mark.parametrize("role", ["staff", "dept_supervisor", "publicist", "receptionist", "pm"])
def test_rcp01_any_staff_member_logs_a_contact_and_the_receiver_and_time_are_automatic(ctx, world, role):
    session, user, project = ctx
    actor = user(role)
    entry, created = operations.log_entry(session, actor, project, _values(world), NOW, None)
    assert created
    assert entry.number.startswith("OWN-JD-20261125-")
    assert (entry.received_by_id, entry.received_at, entry.status) == (actor.id, NOW, "new")
    assert (entry.channel, entry.owner_id, entry.unit_id) == ("visit", world.own.owner_id, world.own.unit_id)
    assert entry.content == "楼上漏水到我家卫生间" and entry.category is None
    assert _events(session, entry) == [("reception_logged", None, "new")]
    # the desk is asked to route what it did not log itself
    assert [i.assignee_role for i in _route_items(session, entry)] == ["receptionist"]


def test_rcp01_a_company_role_outside_the_project_roles_may_not_log(ctx, world):
    session, user, project = ctx
    gm = session.scalar(sa.select(User).where(User.username == world.users[("gm", None)]))
    with pytest.raises(operations.NotPermitted):
        operations.log_entry(session, gm, project, _values(world), NOW, None)
    with pytest.raises(operations.NotPermitted):
        operations.log_entry(session, user("receptionist", "other"), project, _values(world), NOW, None)


def test_rcp01_the_same_submission_logs_one_entry(ctx, world):
    session, user, project = ctx
    first, created = operations.log_entry(session, user("receptionist"), project, _values(world), NOW, "key-1")
    again, created_again = operations.log_entry(session, user("receptionist"), project, _values(world), NOW, "key-1")
    assert created and not created_again and again.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceptionEntry)) == 1
    with pytest.raises(RuleViolation):
        operations.log_entry(
            session, user("receptionist"), project, _values(world, content="另一件事"), NOW, "key-1"
        )


def test_rcp01_owner_and_unit_must_be_of_the_project_and_belong_together(ctx, world):
    session, user, project = ctx
    receptionist = user("receptionist")
    with pytest.raises(RuleViolation) as other_unit:
        operations.log_entry(session, receptionist, project, _values(world, unit_id=world.other.unit_id), NOW, None)
    assert other_unit.value.field == "unit"
    with pytest.raises(RuleViolation) as other_owner:
        operations.log_entry(
            session, receptionist, project, _values(world, owner_id=world.other.owner_id), NOW, None
        )
    assert other_owner.value.field == "owner"
    neighbour = factories.make_unit(session, session.get(Unit, world.own.unit_id).building, number="1602")
    with pytest.raises(RuleViolation) as elsewhere:
        operations.log_entry(session, receptionist, project, _values(world, unit_id=neighbour.id), NOW, None)
    assert elsewhere.value.field == "owner"
    assert session.get(Owner, world.own.owner_id) is not None


def test_rcp01_the_public_channel_and_an_unreachable_caller_are_refused(ctx, world):
    session, user, project = ctx
    receptionist = user("receptionist")
    with pytest.raises(RuleViolation) as qr:
        operations.log_entry(session, receptionist, project, _values(world, channel="qr_form"), NOW, None)
    assert qr.value.field == "channel"
    with pytest.raises(RuleViolation) as nobody:
        operations.log_entry(
            session, receptionist, project, _values(world, owner_id=None, unit_id=None, contact=""), NOW, None
        )
    assert nobody.value.field == "unit"
    anonymous, _ = operations.log_entry(
        session, receptionist, project, _values(world, owner_id=None, unit_id=None, channel="phone"), NOW, None
    )
    assert anonymous.contact == "13900001111"


def test_rcp02_the_desk_logs_a_note_routed_in_one_step(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(
        session, user("receptionist"), project, _values(world, category="other", follow_up="note"), NOW, None
    )
    assert (entry.status, entry.category, entry.follow_up) == ("open", "other", "note")
    assert (entry.routed_by_id, entry.routed_at) == (user("receptionist").id, NOW)
    assert [e.action for e in _events(session, entry)] == ["reception_logged", "reception_routed"]
    assert _route_items(session, entry) == []


def test_rcp02_an_entry_is_never_open_without_its_follow_up_record(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(
        session, user("receptionist"), project, _values(world, category="repair"), NOW, None
    )
    # the work order is started on its own page, which routes the entry with the record
    assert (entry.status, entry.category, entry.follow_up) == ("new", None, None)
    assert [e.action for e in _events(session, entry)] == ["reception_logged"]
    assert len(_route_items(session, entry)) == 1


def test_rcp02_staff_may_log_but_not_route(ctx, world):
    session, user, project = ctx
    with pytest.raises(operations.NotPermitted):
        operations.log_entry(session, user("staff"), project, _values(world, category="repair"), NOW, None)
    entry, _ = operations.log_entry(session, user("staff"), project, _values(world), NOW, None)
    with pytest.raises(operations.NotPermitted):
        operations.classify(session, user("staff"), entry, "repair", None, NOW)


@pytest.mark.parametrize("role", ["receptionist", "cs_supervisor", "pm", "pm_assistant"])
def test_rcp02_the_desk_classifies_a_waiting_entry_once(ctx, world, role):
    session, user, project = ctx
    entry, _ = operations.log_entry(session, user("staff"), project, _values(world), NOW, None)
    later = NOW + timedelta(minutes=5)
    operations.classify(session, user(role), entry, "other", "lost_property", later)
    assert (entry.status, entry.category, entry.follow_up, entry.routed_at) == (
        "open", "other", "lost_property", later
    )
    assert _events(session, entry)[-1] == ("reception_routed", "new", "open")
    assert _route_items(session, entry) == []
    with pytest.raises(RuleViolation):
        operations.classify(session, user(role), entry, "complaint", None, later)


def test_rcp02_a_category_starts_only_its_own_follow_up(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(session, user("staff"), project, _values(world), NOW, None)
    with pytest.raises(RuleViolation) as wrong:
        operations.classify(session, user("receptionist"), entry, "repair", "complaint", NOW)
    assert wrong.value.field == "follow_up"
    with pytest.raises(RuleViolation) as unknown:
        operations.classify(session, user("receptionist"), entry, "gossip", None, NOW)
    assert unknown.value.field == "category"
    assert entry.status == "new" and entry.category is None


def test_rcp08_a_note_is_closed_out_with_how_it_was_settled(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(
        session, user("receptionist"), project, _values(world, category="other", follow_up="note"), NOW, None
    )
    assert entry.follow_up == "note"
    with pytest.raises(operations.NotPermitted):
        operations.close(session, user("staff"), entry, "已告知", NOW)
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), entry, "  ", NOW)
    later = NOW + timedelta(hours=2)
    operations.close(session, user("cs_supervisor"), entry, "已告知物业养犬规定", later)
    assert (entry.status, entry.closed_at, entry.closed_by_id, entry.closing_note) == (
        "closed", later, user("cs_supervisor").id, "已告知物业养犬规定"
    )
    assert _events(session, entry)[-1] == ("reception_closed", "open", "closed")


def test_rcp08_an_entry_stays_open_until_its_complaint_is_closed(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(session, user("receptionist"), project, _values(world), NOW, None)
    complaint = factories.make_complaint(session, project, user("receptionist"), received_at=NOW)
    operations.classify(session, user("receptionist"), entry, "complaint", None, NOW, follow_up_record=complaint)
    assert (entry.follow_up, entry.follow_up_type, entry.follow_up_id) == ("complaint", "complaints", complaint.id)
    with pytest.raises(RuleViolation):
        operations.close(session, user("receptionist"), entry, None, NOW)
    assert entry.status == "open"
    complaint.status = "closed"
    session.flush()
    operations.close(session, user("receptionist"), entry, None, NOW + timedelta(days=1))
    assert entry.status == "closed"


def test_rcp08_an_unlinked_follow_up_is_not_done(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(session, user("receptionist"), project, _values(world), NOW, None)
    operations.classify(session, user("receptionist"), entry, "repair", None, NOW)
    with pytest.raises(RuleViolation):
        operations.close(session, user("pm"), entry, "修好了", NOW)


def test_rcp08_only_a_waiting_entry_is_discarded_and_the_reason_kept(ctx, world):
    session, user, project = ctx
    entry, _ = operations.log_entry(session, user("staff"), project, _values(world), NOW, None)
    with pytest.raises(RuleViolation):
        operations.discard(session, user("receptionist"), entry, "", NOW)
    operations.discard(session, user("receptionist"), entry, "与JD-0003重复", NOW)
    assert (entry.status, entry.discard_reason, entry.discarded_by_id) == (
        "discarded", "与JD-0003重复", user("receptionist").id
    )
    assert _route_items(session, entry) == []
    routed, _ = operations.log_entry(session, user("receptionist"), project, _values(world), NOW, None)
    operations.classify(session, user("receptionist"), routed, "praise", None, NOW)
    with pytest.raises(RuleViolation):
        operations.discard(session, user("receptionist"), routed, "重复", NOW)


def test_rcp08_the_open_ledger_lists_pending_entries_oldest_first_with_age_in_one_query(ctx, world, queries):
    session, user, project = ctx
    receptionist = user("receptionist")
    unit = session.get(Unit, world.own.unit_id)
    newest = factories.make_reception_entry(session, project, receptionist, received_at=NOW - timedelta(hours=1))
    oldest = factories.make_reception_entry(
        session, project, receptionist, received_at=NOW - timedelta(days=2), status="open", category="repair",
        follow_up="work_order", unit_id=unit.id, owner_id=world.own.owner_id,
    )
    same_moment = factories.make_reception_entry(session, project, None, received_at=NOW - timedelta(hours=1),
                                                 channel="qr_form")
    factories.make_reception_entry(session, project, receptionist, received_at=NOW - timedelta(days=9), status="closed")
    factories.make_reception_entry(session, project, receptionist, received_at=NOW - timedelta(days=8),
                                   status="discarded")
    other = session.get(Project, world.other.id)
    factories.make_reception_entry(session, other, user("receptionist", "other"), received_at=NOW - timedelta(days=30))
    project_id = project.id
    session.commit()
    session.expire_all()
    with queries() as statements:
        ledger = operations.open_ledger(session, project_id, NOW)
        shown = [(p.entry.number, p.age, p.entry.unit.number if p.entry.unit else None,
                  p.entry.received_by.username if p.entry.received_by else None) for p in ledger]
    assert len(statements) == 1
    assert [p.entry.id for p in ledger] == [oldest.id, newest.id, same_moment.id]
    assert [row[1] for row in shown] == [timedelta(days=2), timedelta(hours=1), timedelta(hours=1)]
    assert shown[0][2] == "1502" and shown[2][3] is None
