"""Administration of projects and departments (ORG-01), with their timelines (ORG-03)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Department, Project, User


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _project(app, project_id: int) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        return project


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def _whole_page(response) -> str:
    html = response.get_data(as_text=True)
    assert "<html" in html and "</html>" in html
    return html


def test_org01_admin_sees_the_admin_area(client, world, login):
    login(world.users[("admin", None)])
    html = _whole_page(client.get("/admin/"))
    assert 'href="/admin/projects"' in html and 'href="/admin/users"' in html


def test_org01_admin_creates_a_project_and_finds_it_in_the_list(client, world, login, app):
    login(world.users[("admin", None)])
    response = post(client, "/admin/projects/new", {"code": "xd ", "name": "新都花园", "address": "新都路 1 号"})
    assert response.status_code == 303
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.code == "XD"))
        assert (project.name, project.address, project.active) == ("新都花园", "新都路 1 号", True)
        assert project.company_id == db.session.get(Project, world.own.id).company_id
    assert response.location == f"/admin/projects/{project.id}"
    html = _whole_page(client.get("/admin/projects"))
    assert "XD · 新都花园" in html and "OWN · own项目" in html


def test_org01_a_too_long_project_name_is_refused_next_to_the_field_and_kept(client, world, login, app):
    login(world.users[("admin", None)])
    before = _count(app, Project)
    long_name = "很长的名字" * 21  # 105 characters
    response = post(client, "/admin/projects/new", {"code": "LN", "name": long_name, "address": "某路"})
    assert response.status_code == 422
    html = _whole_page(response)
    assert "100" in _error(html, "name")
    assert f'value="{long_name}"' in html and 'value="LN"' in html and 'value="某路"' in html
    assert _count(app, Project) == before


def test_org01_a_taken_project_code_is_refused_next_to_the_field(client, world, login, app):
    login(world.users[("admin", None)])
    before = _count(app, Project)
    response = post(client, "/admin/projects/new", {"code": "oth", "name": "重复代码项目", "address": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "OTH" in _error(html, "code")
    assert 'value="重复代码项目"' in html
    assert _count(app, Project) == before


def test_org01_a_project_code_with_spaces_or_symbols_is_refused(client, world, login):
    login(world.users[("admin", None)])
    response = post(client, "/admin/projects/new", {"code": "X-1", "name": "符号项目"})
    assert response.status_code == 422
    _error(response.get_data(as_text=True), "code")


def test_org01_admin_edits_a_project_and_the_timeline_shows_who_what_and_when(client, world, login, app):
    with time_machine.travel(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), tick=False):
        login(world.users[("admin", None)])
        response = post(
            client,
            f"/admin/projects/{world.own.id}/edit",
            {"version": "1", "code": "OWN", "name": "own项目二期", "address": "江南路 2 号"},
        )
        assert response.status_code == 303
        html = _whole_page(client.get(f"/admin/projects/{world.own.id}"))
    project = _project(app, world.own.id)
    assert (project.name, project.address, project.active, project.version) == ("own项目二期", "江南路 2 号", False, 2)

    timeline = html[html.index('id="timeline"') :]
    assert "company.admin" in timeline
    assert "2026-03-02 09:30" in timeline  # Asia/Shanghai
    assert "own项目 → own项目二期" in timeline
    assert "— → 江南路 2 号" in timeline


def test_org01_the_later_of_two_admins_editing_a_project_is_told_and_nothing_is_overwritten(client, world, login, app):
    with app.app_context():
        factories.make_user(db.session, "second.admin", roles=[("admin", None, None)], display_name="钱管理")
        db.session.commit()
    login("second.admin")
    other_admin = app.test_client()
    assert post(other_admin, "/login", {"username": world.users[("admin", None)], "password": factories.PASSWORD}).status_code == 303

    # Both open the edit page at version 1; the other admin saves first.
    for each in (client, other_admin):
        assert 'name="version" type="hidden" value="1"' in each.get(f"/admin/projects/{world.own.id}").get_data(as_text=True)
    first = post(other_admin, f"/admin/projects/{world.own.id}/edit", {"version": "1", "code": "OWN", "name": "先保存的名字", "active": "y"})
    assert first.status_code == 303
    with app.app_context():
        saved_by = db.session.scalar(sa.select(User.display_name).where(User.username == world.users[("admin", None)]))

    later = post(
        client,
        f"/admin/projects/{world.own.id}/edit",
        {"version": "1", "code": "OWN", "name": "后保存的名字", "address": "后来的地址", "active": "y"},
    )
    assert later.status_code == 409
    html = _whole_page(later)
    assert saved_by in html and "期间修改" in html
    assert 'value="后保存的名字"' in html and 'value="后来的地址"' in html
    assert 'name="version" type="hidden" value="2"' in html

    project = _project(app, world.own.id)
    assert (project.name, project.address) == ("先保存的名字", None)
    with app.app_context():
        names = [
            e.changes["name"][1]
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "projects"))
        ]
    assert names == ["先保存的名字"]


def test_org01_a_too_long_address_on_edit_is_refused_and_kept(client, world, login, app):
    login(world.users[("admin", None)])
    address = "路" * 201
    response = post(
        client, f"/admin/projects/{world.own.id}/edit",
        {"version": "1", "code": "OWN", "name": "own项目", "address": address, "active": "y"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _error(html, "address")
    assert address in html
    assert _project(app, world.own.id).address is None


def test_org01_renaming_a_project_to_a_taken_code_is_refused(client, world, login, app):
    login(world.users[("admin", None)])
    response = post(
        client, f"/admin/projects/{world.own.id}/edit",
        {"version": "1", "code": "OTH", "name": "own项目", "active": "y"},
    )
    assert response.status_code == 422
    assert "OTH" in _error(response.get_data(as_text=True), "code")
    assert _project(app, world.own.id).code == "OWN"


# Departments -------------------------------------------------------------------------


def test_org01_admin_adds_a_department_to_a_project(client, world, login, app):
    login(world.users[("admin", None)])
    page = _whole_page(client.get(f"/admin/projects/{world.own.id}/departments/new"))
    assert 'value="maintenance"' in page
    response = post(
        client, f"/admin/projects/{world.own.id}/departments/new", {"kind": "maintenance", "name": "维修部"}
    )
    assert response.status_code == 303
    assert response.location == f"/admin/projects/{world.own.id}"
    html = client.get(f"/admin/projects/{world.own.id}").get_data(as_text=True)
    assert "维修部" in html and "own安全部" in html
    with app.app_context():
        department = db.session.scalar(sa.select(Department).where(Department.name == "维修部"))
        assert (department.project_id, department.kind, department.active) == (world.own.id, "maintenance", True)


def test_org01_a_department_needs_a_known_kind_and_a_short_name(client, world, login, app):
    login(world.users[("admin", None)])
    before = _count(app, Department)
    response = post(
        client, f"/admin/projects/{world.own.id}/departments/new", {"kind": "spa", "name": "部" * 101}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _error(html, "kind")
    _error(html, "name")
    assert "部" * 101 in html
    assert _count(app, Department) == before


def test_org01_admin_edits_and_deactivates_a_department_with_its_timeline(client, world, login, app):
    login(world.users[("admin", None)])
    url = f"/admin/departments/{world.own.department_id}"
    html = _whole_page(client.get(url))
    assert "own.dept_supervisor" in html and "own.staff" in html  # its people
    response = post(client, f"{url}/edit", {"version": "1", "kind": "security", "name": "秩序维护部"})
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "名称: own安全部 → 秩序维护部" in html and "启用: 是 → 否" in html
    with app.app_context():
        department = db.session.get(Department, world.own.department_id)
        assert (department.name, department.active, department.version) == ("秩序维护部", False, 2)


def test_org01_the_later_of_two_department_edits_is_refused(client, world, login, app):
    login(world.users[("admin", None)])
    url = f"/admin/departments/{world.own.department_id}/edit"
    assert post(client, url, {"version": "1", "kind": "security", "name": "第一次", "active": "y"}).status_code == 303
    later = post(client, url, {"version": "1", "kind": "security", "name": "第二次", "active": "y"})
    assert later.status_code == 409
    assert 'value="第二次"' in later.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Department, world.own.department_id).name == "第一次"
