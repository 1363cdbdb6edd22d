"""Administration of people and their roles (ORG-01), with their timelines (ORG-03)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, post
from webapp.extensions import db
from webapp.org.models import Project, RoleAssignment, User


def _user(app, username: str) -> SimpleNamespace:
    """The stored user as plain values (no session outlives the app context)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        return SimpleNamespace(
            id=user.id, display_name=user.display_name, phone=user.phone, active=user.active,
            must_change_password=user.must_change_password, version=user.version, grants=user.grants,
        )


def _user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


@pytest.fixture
def admin(world, login):
    login(world.users[("admin", None)])
    return world.users[("admin", None)]


# List and search ---------------------------------------------------------------------


def test_org01_the_user_list_finds_people_by_name_or_username(client, world, admin, app):
    with app.app_context():
        factories.make_user(db.session, "li.na", display_name="李娜")
        factories.make_user(db.session, "wang.fang", display_name="王芳")
        db.session.commit()
    html = client.get("/admin/users?q=李").get_data(as_text=True)
    assert "李娜" in html and "王芳" not in html
    html = client.get("/admin/users?q=WANG").get_data(as_text=True)
    assert "王芳" in html and "李娜" not in html
    html = client.get("/admin/users?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert "李娜" not in html and "没有" in html


def test_org01_the_user_list_shows_roles_and_answers_htmx_with_the_list_only(client, world, admin):
    page = client.get("/admin/users?q=own.staff")
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="user-search"' in html
    assert "员工 · OWN · own安全部" in html
    fragment = client.get("/admin/users?q=own.staff", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "<html" not in text
    assert text.lstrip().startswith('<section id="user-list"')
    assert "own.staff" in text and "own.pm" not in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_org01_the_user_list_is_paginated(client, world, admin, app, monkeypatch):
    from webapp.admin import views

    monkeypatch.setattr(views, "USERS_PER_PAGE", 10)
    total = _user_count(app)
    assert 10 < total < 20
    first = client.get("/admin/users").get_data(as_text=True)
    assert first.count('<td class="row-title">') == 10
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert second.count('<td class="row-title">') == total - 10
    assert 'rel="prev"' in second and 'rel="next"' not in second
    names = re.findall(r'<td class="row-title"><a href="/admin/users/(\d+)"', first + second)
    assert len(set(names)) == total


def test_org01_the_user_list_costs_the_same_queries_whatever_its_length(client, world, admin, app, queries):
    def cost() -> int:
        with queries() as statements:
            assert client.get("/admin/users?q=e").status_code == 200
        return len(statements)

    short = cost()
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        for n in range(12):
            factories.make_user(db.session, f"extra{n}", roles=[("receptionist", project, None), ("gm", None, None)])
        db.session.commit()
    assert cost() == short


# Create ------------------------------------------------------------------------------


def test_org01_admin_creates_a_user_who_must_choose_a_password(client, world, admin, app):
    response = post(
        client, "/admin/users/new",
        {"username": " Zhao.Lei ", "display_name": "赵磊", "phone": "13800001234", "password": "first-pass-1"},
    )
    assert response.status_code == 303
    user = _user(app, "zhao.lei")
    assert response.location == f"/admin/users/{user.id}"
    assert (user.display_name, user.phone, user.must_change_password, user.active) == ("赵磊", "13800001234", True, True)
    html = client.get(response.location).get_data(as_text=True)
    assert "赵磊" in html and "company.admin" in html[html.index('id="timeline"') :]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "own.pm"}, "username"),
        ({"username": "OWN.PM"}, "username"),
        ({"username": "li ming"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"display_name": "名" * 51}, "display_name"),
        ({"phone": "1380000123456789012345"}, "phone"),
        ({"phone": "电话"}, "phone"),
        ({"password": "short"}, "password"),
        ({"password": "new.person"}, "password"),
    ],
)
def test_org01_a_bad_new_user_is_refused_next_to_the_field_with_values_kept(client, world, admin, app, fields, field):
    before = _user_count(app)
    data = {"username": "new.person", "display_name": "新同事", "phone": "13800001234", "password": "good-pass-1", **fields}
    response = post(client, "/admin/users/new", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _error(html, field)
    for name in ("display_name", "phone"):
        assert f'value="{data[name]}"' in html
    assert _user_count(app) == before


# Edit --------------------------------------------------------------------------------


def test_org01_admin_edits_a_users_name_and_phone(client, world, admin, app):
    user = _user(app, "own.receptionist")
    response = post(client, f"/admin/users/{user.id}/edit", {"version": "1", "display_name": "孙丽", "phone": "13912345678"})
    assert response.status_code == 303
    edited = _user(app, "own.receptionist")
    assert (edited.display_name, edited.phone, edited.version) == ("孙丽", "13912345678", 2)
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "own.receptionist → 孙丽" in html


def test_org01_the_later_of_two_user_edits_is_refused_with_input_kept(client, world, admin, app):
    user = _user(app, "own.receptionist")
    url = f"/admin/users/{user.id}/edit"
    assert post(client, url, {"version": "1", "display_name": "第一次"}).status_code == 303
    later = post(client, url, {"version": "1", "display_name": "第二次", "phone": "13900000000"})
    assert later.status_code == 409
    html = later.get_data(as_text=True)
    assert 'value="第二次"' in html and 'value="13900000000"' in html
    assert _user(app, "own.receptionist").display_name == "第一次"


def test_org01_a_too_long_name_on_edit_is_refused_and_kept(client, world, admin, app):
    user = _user(app, "own.receptionist")
    response = post(client, f"/admin/users/{user.id}/edit", {"version": "1", "display_name": "名" * 51})
    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "display_name")
    assert _user(app, "own.receptionist").display_name == "own.receptionist"


def test_org01_a_weak_reset_password_is_refused_next_to_the_field(client, world, admin, app):
    user = _user(app, "own.staff")
    response = post(client, f"/admin/users/{user.id}/reset-password", {"password": "own.staff"})
    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "password")
    assert not _user(app, "own.staff").must_change_password


# Roles -------------------------------------------------------------------------------


def test_org01_admin_grants_a_department_role_and_revokes_it(client, world, admin, app):
    user = _user(app, "own.publicist")
    response = post(
        client, f"/admin/users/{user.id}/grants",
        {"role": "staff", "project": str(world.own.id), "department": str(world.own.department_id)},
    )
    assert response.status_code == 303
    assert response.location == f"/admin/users/{user.id}"
    granted = _user(app, "own.publicist").grants
    assert ("staff", world.own.id, world.own.department_id) in granted
    html = client.get(response.location).get_data(as_text=True)
    assert "授予了角色" in html or "granted a role" in html

    with app.app_context():
        grant_id = db.session.scalar(
            sa.select(RoleAssignment.id).where(RoleAssignment.user_id == user.id, RoleAssignment.role == "staff")
        )
    assert post(client, f"/admin/users/{user.id}/grants/{grant_id}/revoke").status_code == 303
    assert _user(app, "own.publicist").grants == [("publicist", world.own.id, None)]


@pytest.mark.parametrize(
    ("role", "project", "department", "field"),
    [
        ("gm", "own", "", "project"),
        ("pm", "", "", "project"),
        ("staff", "own", "", "department"),
        ("pm", "own", "own", "department"),
        ("staff", "own", "other", "department"),
        ("pm", "own", "", "role"),  # already holds it
        ("janitor", "own", "", "role"),
    ],
)
def test_org01_a_grant_of_the_wrong_shape_is_refused_next_to_the_field(client, world, admin, app, role, project, department, field):
    ids = {"own": world.own.id, "other": world.other.id, "": ""}
    departments = {"own": world.own.department_id, "other": world.other.department_id, "": ""}
    user = _user(app, "own.pm")
    response = post(
        client, f"/admin/users/{user.id}/grants",
        {"role": role, "project": str(ids[project]), "department": str(departments[department])},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _error(html, field)
    if role != "janitor":
        assert f'<option selected value="{role}">' in html
    assert _user(app, "own.pm").grants == [("pm", world.own.id, None)]


def test_org01_an_admin_cannot_lock_themselves_out(client, world, admin, app):
    me = _user(app, admin)
    assert post(client, f"/admin/users/{me.id}/disable").status_code == 303
    assert _user(app, admin).active
    with app.app_context():
        grant_id = db.session.scalar(sa.select(RoleAssignment.id).where(RoleAssignment.user_id == me.id))
    post(client, f"/admin/users/{me.id}/grants/{grant_id}/revoke")
    assert _user(app, admin).grants == [("admin", None, None)]
    assert client.get("/admin/").status_code == 200


def test_org01_revoking_a_grant_of_another_user_through_this_user_is_not_found(client, world, admin, app):
    pm = _user(app, "own.pm")
    staff = _user(app, "own.staff")
    with app.app_context():
        grant_id = db.session.scalar(sa.select(RoleAssignment.id).where(RoleAssignment.user_id == staff.id))
    assert post(client, f"/admin/users/{pm.id}/grants/{grant_id}/revoke").status_code == 404
    assert _user(app, "own.staff").grants


def test_org01_a_disabled_user_is_marked_and_can_be_enabled_again(client, world, admin, app):
    user = _user(app, "own.staff")
    post(client, f"/admin/users/{user.id}/disable")
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'action="/admin/users/{user.id}/enable"' in html
    listing = client.get("/admin/users?q=own.staff").get_data(as_text=True)
    assert "is-disabled" in listing
    post(client, f"/admin/users/{user.id}/enable")
    assert _user(app, "own.staff").active
