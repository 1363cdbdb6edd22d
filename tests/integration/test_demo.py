"""`flask demo`: the estate people try the app with (`make run` loads it)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.demo import DEMO_PASSWORD
from webapp.estate.models import Facility, Owner, Unit
from webapp.extensions import db
from webapp.org.models import Company, Project, RoleAssignment, User
from webapp.org.rules import COMPANY_ROLES, DEPARTMENT_ROLES, PROJECT_ROLES


def _run_demo(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def test_org01_demo_is_one_company_with_two_projects_and_every_role_staffed(app):
    _run_demo(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 1
        projects = db.session.scalars(sa.select(Project)).all()
        assert len(projects) == 2
        for project in projects:
            held = set(
                db.session.scalars(
                    sa.select(RoleAssignment.role).where(RoleAssignment.project_id == project.id)
                )
            )
            missing = {str(role) for role in PROJECT_ROLES | DEPARTMENT_ROLES} - held
            assert not missing, f"{project.code} has nobody as {sorted(missing)}"
        company_held = set(
            db.session.scalars(
                sa.select(RoleAssignment.role).where(RoleAssignment.project_id.is_(None))
            )
        )
        assert {str(role) for role in COMPANY_ROLES} <= company_held


def test_est01_demo_estate_has_200_units_and_owners_per_project(app):
    _run_demo(app)
    with app.app_context():
        for project_id in db.session.scalars(sa.select(Project.id)):
            units = _count(sa.select(Unit.id).where(Unit.project_id == project_id))
            owners = _count(sa.select(Owner.id).where(Owner.project_id == project_id))
            facilities = _count(sa.select(Facility.id).where(Facility.project_id == project_id))
            assert units >= 200 and owners >= 200 and facilities > 0, (units, owners, facilities)


def test_est02_demo_facilities_have_distinct_unguessable_qr_tokens(app):
    _run_demo(app)
    with app.app_context():
        tokens = db.session.scalars(sa.select(Facility.qr_token)).all()
    assert tokens and len(set(tokens)) == len(tokens)
    assert min(len(token) for token in tokens) >= 20


def test_demo_prints_every_login_and_the_password_and_they_work(app, client, login):
    output = _run_demo(app)
    with app.app_context():
        usernames = db.session.scalars(sa.select(User.username)).all()
    assert DEMO_PASSWORD in output
    missing = [name for name in usernames if name not in output]
    assert not missing, f"not printed: {missing}"
    login("ch.reception", password=DEMO_PASSWORD)
    assert "我的工作" in client.get("/").get_data(as_text=True)


def test_demo_run_again_changes_nothing(app):
    first_output = _run_demo(app)
    with app.app_context():
        before = _row_counts()
        tokens = set(db.session.scalars(sa.select(Facility.qr_token)))
    second_output = _run_demo(app)
    with app.app_context():
        assert _row_counts() == before
        assert set(db.session.scalars(sa.select(Facility.qr_token))) == tokens
    assert second_output == first_output


def test_svc01_svc03_demo_offers_an_approved_price_list_and_cleared_staff(app, client, login):
    _run_demo(app)
    login("ch.reception", password=DEMO_PASSWORD)
    registration = client.get("/services/orders/new").get_data(as_text=True)
    assert "油烟机清洗" in registration and "¥150.00" in registration
    assert "更换水龙头" in registration
    login("ch.house.lead", password=DEMO_PASSWORD)
    staff = client.get("/services/staff").get_data(as_text=True)
    after_name = staff[staff.index("翠湖家政员"):]
    assert after_name[after_name.index("data-clearance="):].startswith('data-clearance="cleared"')
