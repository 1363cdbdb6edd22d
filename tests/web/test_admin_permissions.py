"""Per-action checks on the administration pages (ORG-02): one role x route matrix."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, post
from webapp.core.models import GroupRobot
from webapp.extensions import db
from webapp.org.models import Company, Department, Project, RoleAssignment, User
from webapp.org.rules import (
    COMPANY_ROLES,
    DEPARTMENT_ROLES,
    PROJECT_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    Role,
)

NON_ADMIN_ROLES = sorted(
    [(role, None) for role in COMPANY_ROLES - {Role.ADMIN}]
    + [(role, "own") for role in PROJECT_ROLES | DEPARTMENT_ROLES]
)


def _ids(app, world) -> dict:
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "own.staff"))
        grant_id = db.session.scalar(sa.select(RoleAssignment.id).where(RoleAssignment.user_id == user_id))
    return {"p": world.own.id, "d": world.own.department_id, "u": user_id, "g": grant_id}


ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/projects"),
    ("GET", "/admin/projects/new"),
    ("POST", "/admin/projects/new"),
    ("GET", "/admin/projects/{p}"),
    ("POST", "/admin/projects/{p}/edit"),
    ("GET", "/admin/projects/{p}/departments/new"),
    ("POST", "/admin/projects/{p}/departments/new"),
    ("GET", "/admin/departments/{d}"),
    ("POST", "/admin/departments/{d}/edit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{u}"),
    ("POST", "/admin/users/{u}/edit"),
    ("POST", "/admin/users/{u}/reset-password"),
    ("POST", "/admin/users/{u}/disable"),
    ("POST", "/admin/users/{u}/enable"),
    ("POST", "/admin/users/{u}/grants"),
    ("POST", "/admin/users/{u}/grants/{g}/revoke"),
    ("GET", "/admin/projects/{p}/robot"),
    ("POST", "/admin/projects/{p}/robot/edit"),
    ("POST", "/admin/projects/{p}/robot/test"),
    ("GET", "/admin/company"),
    ("POST", "/admin/company/edit"),
]

#: a body that would succeed for an administrator, so a 403 is the check, not bad input
BODIES = {
    "/admin/projects/new": {"code": "NEW", "name": "新项目"},
    "/admin/projects/{p}/edit": {"version": "1", "code": "OWN", "name": "被改名", "active": "y"},
    "/admin/projects/{p}/departments/new": {"kind": "cleaning", "name": "保洁部"},
    "/admin/departments/{d}/edit": {"version": "1", "kind": "security", "name": "被改名", "active": "y"},
    "/admin/users/new": {"username": "intruder", "display_name": "入侵者", "password": "intruder-pass-1"},
    "/admin/users/{u}/edit": {"version": "1", "display_name": "被改名"},
    "/admin/users/{u}/reset-password": {"password": "hijacked-pass-1"},
    "/admin/users/{u}/grants": {"role": "admin", "project": "", "department": ""},
    "/admin/projects/{p}/robot/edit": {
        "version": "", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=intruder",
        "enabled": "y",
    },
    "/admin/company/edit": {"name": "被改名", "cutoff_day": "10"},
}


def test_org02_every_admin_route_is_in_the_matrix(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(method, path.replace("{p}", "<int:project_id>").replace("{d}", "<int:department_id>")
               .replace("{u}", "<int:user_id>").replace("{g}", "<int:grant_id>")) for method, path in ROUTES}
    assert rules == listed


def _snapshot(app) -> tuple:
    with app.app_context():
        return (
            db.session.scalars(sa.select(Project.name).order_by(Project.id)).all(),
            db.session.scalars(sa.select(Department.name).order_by(Department.id)).all(),
            db.session.execute(sa.select(User.username, User.display_name, User.password_hash, User.active).order_by(User.id)).all(),
            db.session.execute(sa.select(RoleAssignment.user_id, RoleAssignment.role).order_by(RoleAssignment.id)).all(),
            db.session.execute(sa.select(Company.name, Company.report_cutoff_day).order_by(Company.id)).all(),
            db.session.execute(
                sa.select(GroupRobot.url).execution_options(all_projects=True).order_by(GroupRobot.id)
            ).all(),
        )


@pytest.mark.parametrize(("role", "scope"), NON_ADMIN_ROLES, ids=lambda v: str(v))
def test_org02_every_admin_route_refuses_every_other_role(client, world, login, app, role, scope):
    ids = _ids(app, world)
    before = _snapshot(app)
    login(world.users[(role, scope)])
    token = csrf_token(client)
    for method, path in ROUTES:
        url = path.format(**ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**BODIES.get(path, {}), "csrf_token": token})
        assert response.status_code == 403, (method, url, response.status_code)
    assert _snapshot(app) == before
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_org02_signed_out_visitors_are_sent_to_sign_in(client, world, app):
    ids = _ids(app, world)
    for method, path in ROUTES:
        if method == "GET":
            response = client.get(path.format(**ids))
            assert response.status_code == 302
            assert response.location.startswith("/login?next=")


def test_org02_the_administrator_reaches_every_admin_page(client, world, login, app):
    ids = _ids(app, world)
    login(world.users[("admin", None)])
    for method, path in ROUTES:
        if method == "GET":
            assert client.get(path.format(**ids)).status_code == 200, path
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in html


def test_org02_admins_are_company_wide_and_see_every_project(client, world, login):
    login(world.users[("admin", None)])
    assert client.get(f"/admin/projects/{world.other.id}").status_code == 200
    assert client.get(f"/admin/departments/{world.other.department_id}").status_code == 200


@pytest.fixture
def pm_manages_people(monkeypatch):
    """Were a project role ever allowed to manage people, the scope would still confine
    it to its own projects: the admin pages load records through the scope."""
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.PM, ROLE_PERMISSIONS[Role.PM] | {Permission.MANAGE_PEOPLE})


def test_org02_another_projects_records_are_not_found_for_a_one_project_manager(client, world, login, app, pm_manages_people):
    login(world.users[("pm", "own")])
    assert client.get(f"/admin/projects/{world.own.id}").status_code == 200
    assert client.get(f"/admin/departments/{world.own.department_id}").status_code == 200
    for url in (
        f"/admin/projects/{world.other.id}",
        f"/admin/departments/{world.other.department_id}",
        f"/admin/projects/{world.other.id}/departments/new",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/admin/projects/{world.other.id}/edit", {"version": "1", "code": "OTH", "name": "被改名", "active": "y"}),
        (f"/admin/departments/{world.other.department_id}/edit", {"version": "1", "kind": "security", "name": "被改名", "active": "y"}),
        (f"/admin/projects/{world.other.id}/departments/new", {"kind": "cleaning", "name": "保洁部"}),
    ):
        assert post(client, url, data).status_code == 404, url
    listing = client.get("/admin/projects").get_data(as_text=True)
    assert "own项目" in listing and "other项目" not in listing
    with app.app_context():
        assert db.session.get(Project, world.other.id).name == "other项目"
        assert db.session.scalar(sa.select(sa.func.count(Department.id)).where(Department.project_id == world.other.id)) == 1


def test_org02_a_one_project_manager_cannot_grant_a_role_in_another_project(client, world, login, app, pm_manages_people):
    login(world.users[("pm", "own")])
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "own.publicist"))
    response = post(client, f"/admin/users/{user_id}/grants", {"role": "receptionist", "project": str(world.other.id), "department": ""})
    assert response.status_code == 422
    assert 'id="project-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(RoleAssignment.project_id).where(RoleAssignment.user_id == user_id)).all() == [world.own.id]


# CSRF --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] == "POST"], ids=lambda v: str(v))
def test_org02_admin_forms_without_the_form_token_are_refused_and_change_nothing(client, world, login, app, method, path):
    ids = _ids(app, world)
    login(world.users[("admin", None)])
    before = _snapshot(app)
    response = client.post(path.format(**ids), data=BODIES.get(path, {}))
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert _snapshot(app) == before
