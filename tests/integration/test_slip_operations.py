"""Slip operations against a real database: one audit event per step with the statuses
before and after, work items and notifications for whoever acts next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.core import scoping
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.org.models import Department, Project, User
from webapp.slips import operations

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, "own")]))

        yield session, user, session.get(Project, world.own.id), session.get(Department, world.own.department_id)


def _values(**overrides):
    values = {"category": "facility", "description": "灯不亮", "place_text": "2栋大堂", "source": "seen_on_site"}
    values.update(overrides)
    return values


def _events(session, slip):
    return list(
        session.execute(
            sa.select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.entity_type == "slips", AuditEvent.entity_id == slip.id)
            .order_by(AuditEvent.id)
        )
    )


def _open(session, slip):
    return sorted(
        (i.kind, i.assignee_role)
        for i in session.scalars(
            sa.select(WorkItem).where(WorkItem.entity_id == slip.id, WorkItem.done_at.is_(None))
        )
    )


def test_slip_full_round_writes_one_audit_event_per_step(ctx):
    session, user, project, department = ctx
    slip, created = operations.file_slip(session, user("staff"), project, _values(urgent=True), NOW, "k1")
    assert created and slip.filer_department_id == department.id
    assert _open(session, slip) == [("slip_desk", "cs_supervisor"), ("slip_desk", "receptionist")]
    receptionist = user("receptionist")
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == receptionist.id)) == 1
    operations.receive_and_assign(session, receptionist, slip, department.id, NOW + timedelta(minutes=3))
    supervisor = user("dept_supervisor")
    operations.record_measures(session, supervisor, slip, "李四", NOW, "换灯泡", NOW + timedelta(hours=1))
    operations.report_done(session, supervisor, slip, NOW + timedelta(hours=2))
    operations.verify(session, receptionist, slip, "pass", None, NOW + timedelta(hours=3))
    session.flush()
    assert _events(session, slip) == [
        ("slip_filed", None, "filed"),
        ("slip_received", "filed", "assigned"),
        ("slip_measures", "assigned", "rectifying"),
        ("slip_done", "rectifying", "awaiting_verification"),
        ("slip_verified", "awaiting_verification", "closed"),
    ]
    assert slip.closed_at == NOW + timedelta(hours=3) and _open(session, slip) == []


def test_slip11_same_submission_key_returns_the_first_slip(ctx):
    session, user, project, _ = ctx
    staff = user("staff")
    first, created = operations.file_slip(session, staff, project, _values(), NOW, "key")
    again, created_again = operations.file_slip(session, staff, project, _values(captured_at=NOW), NOW, "key")
    assert created and not created_again and again.id == first.id
    with pytest.raises(RuleViolation):
        operations.file_slip(session, staff, project, _values(description="别的"), NOW, "key")


def test_slip05_escalation_replaces_the_deadline_and_reaches_the_pm(ctx):
    session, user, project, department = ctx
    slip, _ = operations.file_slip(session, user("staff"), project, _values(), NOW, None)
    operations.receive_and_assign(session, user("receptionist"), slip, department.id, NOW)
    new_due = NOW + timedelta(days=3)
    with pytest.raises(RuleViolation):
        operations.escalate(session, user("dept_supervisor"), slip, "", new_due, NOW)
    operations.escalate(session, user("dept_supervisor"), slip, "等配件，周五更换", new_due, NOW)
    assert slip.status == "escalated" and slip.rectification_due_at == new_due
    assert ("slip_escalation", "pm") in _open(session, slip)


def test_slip_withdraw_only_by_the_filer_and_only_while_filed(ctx):
    session, user, project, department = ctx
    slip, _ = operations.file_slip(session, user("staff"), project, _values(), NOW, None)
    with pytest.raises(operations.NotPermitted):
        operations.withdraw(session, user("receptionist"), slip, NOW)
    operations.withdraw(session, user("staff"), slip, NOW)
    assert slip.status == "withdrawn" and _open(session, slip) == []
    other, _ = operations.file_slip(session, user("staff"), project, _values(), NOW, None)
    operations.receive_and_assign(session, user("receptionist"), other, department.id, NOW)
    with pytest.raises(RuleViolation):
        operations.withdraw(session, user("staff"), other, NOW)


def test_slip03_staff_cannot_receive_and_verify_needs_cs(ctx):
    session, user, project, department = ctx
    slip, _ = operations.file_slip(session, user("staff"), project, _values(), NOW, None)
    with pytest.raises(operations.NotPermitted):
        operations.receive_and_assign(session, user("staff"), slip, department.id, NOW)
    with pytest.raises(RuleViolation):
        operations.receive_and_assign(session, user("receptionist"), slip, None, NOW)


def test_slip06_other_departments_supervisor_is_refused(ctx):
    session, user, project, department = ctx
    cleaning = factories.make_department(session, project, "cleaning", "保洁部")
    outsider = factories.make_user(session, "cleaning.sup", roles=[("dept_supervisor", project, cleaning)])
    slip, _ = operations.file_slip(session, user("staff"), project, _values(), NOW, None)
    operations.receive_and_assign(session, user("receptionist"), slip, department.id, NOW)
    with pytest.raises(operations.NotPermitted):
        operations.record_measures(session, outsider, slip, "x", NOW, "y", NOW)
