"""`flask --app webapp user create`: the first administrator, and clear refusals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import post
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import RoleAssignment, User


def _create(app, *args: str):
    return app.test_cli_runner().invoke(args=["user", "create", *args])


def _users(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(User.username)))


def test_org01_cli_creates_an_administrator_who_can_sign_in_and_manage_people(app, client):
    result = _create(app, "Chen.Admin", "--name", "陈管理", "--role", "admin", "--password", "first-admin-1")
    assert result.exit_code == 0, result.output
    assert "chen.admin" in result.output

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "chen.admin"))
        assert (user.display_name, user.active, user.must_change_password) == ("陈管理", True, False)
        assert user.grants == [("admin", None, None)]
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_id == user.id)
        ).all()
        assert sorted(actions) == ["created", "role_granted"]

    response = post(client, "/login", {"username": "chen.admin", "password": "first-admin-1"})
    assert response.status_code == 303 and response.location == "/"
    assert client.get("/admin/").status_code == 200


def test_org01_cli_grants_a_department_role_by_project_code_and_kind(app, world):
    result = _create(
        app, "own.guard", "--name", "保安甲", "--role", "staff", "--project", "own",
        "--department", "security", "--password", "guard-pass-1",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "own.guard"))
        assert user.grants == [("staff", world.own.id, world.own.department_id)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "janitor"], "Unknown role janitor"),
        (["--role", "pm"], "This role needs a project"),
        (["--role", "pm", "--project", "NOPE"], "No project with code NOPE"),
        (["--role", "staff", "--project", "OWN"], "This role needs a department"),
        (["--role", "staff", "--project", "OWN", "--department", "gardening"], "has no gardening department"),
        (["--role", "staff", "--department", "security"], "--department needs --project"),
        (["--role", "gm", "--project", "OWN"], "choose no project"),
    ],
)
def test_org01_cli_refuses_a_bad_role_or_project_and_creates_nothing(app, world, args, message):
    before = _users(app)
    result = _create(app, "new.person", "--name", "新人", "--password", "good-pass-1", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert _users(app) == before


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1", "At least 8 characters"), ("new.person", "cannot be the username"), ("aaaaaaaa", "Too easy")],
)
def test_org01_cli_refuses_a_weak_password_and_creates_nothing(app, password, message):
    result = _create(app, "new.person", "--name", "新人", "--password", password)
    assert result.exit_code != 0
    assert message in result.output
    assert "new.person" not in _users(app)


def test_org01_cli_refuses_a_taken_username(app, world):
    with app.app_context():
        roles_before = db.session.scalar(sa.select(sa.func.count(RoleAssignment.id)))
    result = _create(app, "OWN.PM", "--name", "重名", "--password", "good-pass-1")
    assert result.exit_code != 0
    assert "own.pm is taken" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RoleAssignment.id))) == roles_before


def test_org01_cli_refuses_a_username_with_spaces(app):
    result = _create(app, "li ming", "--name", "李明", "--password", "good-pass-1")
    assert result.exit_code != 0
    assert "Lowercase letters" in result.output
    assert _users(app) == set()
