"""The audit trail (ORG-03): append-only, one event per change with actor and changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.core.audit import AuditTrailIsAppendOnly
from webapp.core.models import AuditEvent
from webapp.core.rulekit import RuleViolation
from webapp.org import operations
from webapp.org.models import AuthSession, Department, Project, RoleAssignment, User


def _user(session, username: str) -> User:
    return session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def admin(world, session) -> User:
    return _user(session, world.users[("admin", None)])


@pytest.fixture
def event(world, session, admin) -> AuditEvent:
    project = session.get(Project, world.own.id)
    operations.update_project(
        session, admin, project, version=project.version, code=project.code,
        name="改名项目", address=None, active=True,
    )
    session.commit()
    return session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()


# Append-only --------------------------------------------------------------------------


def test_org03_changing_an_event_object_is_refused_and_changes_nothing(session, event):
    event_id = event.id
    event.note = "tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        session.flush()
    session.rollback()
    assert session.get(AuditEvent, event_id).note is None


def test_org03_deleting_an_event_is_refused_and_keeps_it(session, event):
    event_id = event.id
    session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        session.flush()
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).where(AuditEvent.id == event_id)) == 1


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEvent).values(note="tampered"),
        sa.update(AuditEvent).where(AuditEvent.id > 0).values(actor_id=None),
        sa.delete(AuditEvent),
        sa.delete(AuditEvent).where(AuditEvent.action == "updated"),
    ],
    ids=["update-all", "update-where", "delete-all", "delete-where"],
)
def test_org03_bulk_update_or_delete_of_events_is_refused(session, event, statement):
    before = [(e.id, e.note, e.actor_id) for e in session.scalars(sa.select(AuditEvent))]
    with pytest.raises(AuditTrailIsAppendOnly):
        session.execute(statement)
    session.rollback()
    after = [(e.id, e.note, e.actor_id) for e in session.scalars(sa.select(AuditEvent))]
    assert after == before and before


# One event per change -----------------------------------------------------------------


def _events(session) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))


def _only_new_event(session, before: list[AuditEvent]) -> AuditEvent:
    new = [e for e in _events(session) if e.id not in {b.id for b in before}]
    assert len(new) == 1, [(e.entity_type, e.action) for e in new]
    return new[0]


def test_org03_creating_a_project_appends_one_event_in_that_project(world, session, admin):
    before = _events(session)
    company_id = session.get(Project, world.own.id).company_id
    company = operations.company_for_new_project(session, "unused")
    assert company.id == company_id
    project = operations.create_project(
        session, admin, company=company, code="XD", name="新都花园", address="新都路 1 号"
    )
    session.commit()
    event = _only_new_event(session, before)
    assert (event.entity_type, event.entity_id, event.project_id) == ("projects", project.id, project.id)
    assert (event.action, event.actor_id) == ("created", admin.id)
    assert event.changes == {"code": [None, "XD"], "name": [None, "新都花园"], "address": [None, "新都路 1 号"]}


def test_org03_editing_a_project_records_each_field_from_and_to(world, session, admin):
    project = session.get(Project, world.own.id)
    before = _events(session)
    operations.update_project(
        session, admin, project, version=project.version, code="OWN",
        name="own项目二期", address="江南路 2 号", active=False,
    )
    session.commit()
    event = _only_new_event(session, before)
    assert (event.action, event.actor_id, event.project_id) == ("updated", admin.id, world.own.id)
    assert event.changes == {
        "name": ["own项目", "own项目二期"],
        "address": [None, "江南路 2 号"],
        "active": [True, False],
    }


def test_org03_saving_a_project_unchanged_appends_nothing(world, session, admin):
    project = session.get(Project, world.own.id)
    before = _events(session)
    operations.update_project(
        session, admin, project, version=project.version, code=project.code,
        name=project.name, address=project.address, active=project.active,
    )
    session.commit()
    assert len(_events(session)) == len(before)
    assert project.version == 1


def test_org03_department_events_carry_the_departments_project(world, session, admin):
    project = session.get(Project, world.other.id)
    before = _events(session)
    department = operations.create_department(session, admin, project, kind="maintenance", name="维修部")
    session.commit()
    created = _only_new_event(session, before)
    assert (created.entity_type, created.project_id, created.action) == ("departments", world.other.id, "created")
    assert created.changes == {"kind": [None, "maintenance"], "name": [None, "维修部"]}

    before = _events(session)
    operations.update_department(
        session, admin, department, version=department.version, kind="maintenance",
        name="工程维修部", active=True,
    )
    session.commit()
    updated = _only_new_event(session, before)
    assert updated.changes == {"name": ["维修部", "工程维修部"]}
    assert updated.actor_id == admin.id


def test_org03_user_events_are_company_level_and_hold_no_password(world, session, admin):
    before = _events(session)
    user = operations.create_user(
        session, admin, username="Wang.Fang", display_name="王芳", phone="13800001234",
        password="s3cret-pass",
    )
    session.commit()
    event = _only_new_event(session, before)
    assert (event.entity_type, event.entity_id, event.project_id) == ("users", user.id, None)
    assert event.changes == {
        "username": [None, "wang.fang"],
        "display_name": [None, "王芳"],
        "phone": [None, "138****1234"],  # masked: the trail never holds a full number
    }
    assert user.must_change_password

    before = _events(session)
    operations.reset_password(session, admin, user, password="another-pass-1")
    session.commit()
    event = _only_new_event(session, before)
    assert (event.action, event.actor_id, event.changes) == ("password_reset", admin.id, None)
    assert "another-pass-1" not in str(event.note) + str(event.changes)


def test_org03_editing_a_user_records_from_and_to(world, session, admin):
    user = _user(session, world.users[("receptionist", "own")])
    before = _events(session)
    operations.update_user(
        session, admin, user, version=user.version, display_name="李娜", phone="13911112222"
    )
    session.commit()
    event = _only_new_event(session, before)
    assert event.changes == {
        "display_name": ["own.receptionist", "李娜"],
        "phone": [None, "139****2222"],
    }


def test_org03_disabling_and_enabling_a_user_are_one_event_each(world, session, admin):
    user = _user(session, world.users[("staff", "own")])
    for active, action in ((False, "deactivated"), (True, "activated")):
        before = _events(session)
        operations.set_user_active(session, admin, user, active)
        session.commit()
        event = _only_new_event(session, before)
        assert (event.action, event.actor_id, event.changes) == (action, admin.id, {"active": [not active, active]})


def test_org03_granting_and_revoking_a_role_are_events_on_the_user(world, session, admin):
    user = _user(session, world.users[("staff", "own")])
    before = _events(session)
    grant = operations.grant_role(
        session, admin, user, role="dept_supervisor", project_id=world.own.id,
        department_id=world.own.department_id,
    )
    session.commit()
    event = _only_new_event(session, before)
    assert (event.entity_type, event.entity_id, event.action) == ("users", user.id, "role_granted")
    assert event.changes == {
        "role": [None, "dept_supervisor"],
        "project": [None, "own项目"],
        "department": [None, "own安全部"],
    }

    before = _events(session)
    operations.revoke_role(session, admin, grant)
    session.commit()
    event = _only_new_event(session, before)
    assert (event.action, event.actor_id) == ("role_revoked", admin.id)
    assert event.changes["role"] == ["dept_supervisor", None]
    assert session.get(RoleAssignment, grant.id) is None


def test_org03_a_refused_change_leaves_no_event(world, session, admin):
    user = _user(session, world.users[("pm", "own")])
    before = _events(session)
    with pytest.raises(RuleViolation) as caught:
        operations.grant_role(session, admin, user, role="pm", project_id=world.own.id, department_id=None)
    assert caught.value.field == "role"  # already holds it
    session.rollback()
    assert len(_events(session)) == len(before)


def test_org03_the_users_own_password_change_is_on_their_timeline(world, session):
    user = _user(session, world.users[("pm", "own")])
    before = _events(session)
    operations.change_own_password(
        session, user, current_password="correct-horse-9", password="new-horse-10"
    )
    session.commit()
    event = _only_new_event(session, before)
    assert (event.action, event.actor_id, event.entity_id) == ("password_changed", user.id, user.id)


def test_org01_disabling_a_user_ends_every_session(world, session, admin, app):
    from webapp.org import auth

    user = _user(session, world.users[("staff", "own")])
    with app.test_request_context():
        for _ in range(2):
            auth.start_session(session, user, remember=True, user_agent="phone")
    session.commit()
    operations.set_user_active(session, admin, user, False)
    session.commit()
    live = session.scalar(
        sa.select(sa.func.count()).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    )
    assert live == 0


def test_org01_a_department_role_needs_a_department_of_the_chosen_project(world, session, admin):
    user = _user(session, world.users[("staff", "own")])
    with pytest.raises(RuleViolation) as caught:
        operations.grant_role(
            session, admin, user, role="staff", project_id=world.own.id,
            department_id=world.other.department_id,
        )
    assert caught.value.field == "department"
    assert session.get(Department, world.other.department_id).project_id == world.other.id
