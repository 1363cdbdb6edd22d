"""Who may open which evaluation sheet (ORG-02): staff their own, supervisors their
department's people, PMs their project, GM, VP and QA everything; another project's
person, department or project is not found."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine

import tests.factories as f
from webapp.extensions import db

NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)


@pytest.fixture
def org(app):
    """Two projects. In `own`: security (supervisor, two staff), maintenance (supervisor,
    one staff), the customer-service centre (CS supervisor, receptionist), a PM; in
    `other`: a department with staff and a PM; company GM, VP, QA and an admin."""
    with app.app_context():
        session = db.session
        company = f.make_company(session)
        own = f.make_project(session, company)
        other = f.make_project(session, company)
        security = f.make_department(session, own, "security")
        maintenance = f.make_department(session, own, "maintenance")
        service = f.make_department(session, own, "customer_service")
        far = f.make_department(session, other, "security")
        users = {
            "patrol": [("staff", own, security)],
            "colleague": [("staff", own, security)],
            "sec_sup": [("dept_supervisor", own, security)],
            "fixer": [("staff", own, maintenance)],
            "mnt_sup": [("dept_supervisor", own, maintenance)],
            "cs_sup": [("cs_supervisor", own, None)],
            "desk": [("receptionist", own, None)],
            "pm": [("pm", own, None)],
            "far_staff": [("staff", other, far)],
            "far_pm": [("pm", other, None)],
            "gm": [("gm", None, None)],
            "vp": [("vp", None, None)],
            "qa": [("qa", None, None)],
            "admin": [("admin", None, None)],
        }
        ids = {name: f.make_user(session, name, roles=roles).id for name, roles in users.items()}
        session.commit()
        return SimpleNamespace(
            users=ids,
            own=own.id,
            other=other.id,
            security=security.id,
            maintenance=maintenance.id,
            service=service.id,
            far=far.id,
        )


PERSON_CASES = [
    # viewer, person, status
    ("patrol", "patrol", 200),
    ("patrol", "colleague", 403),
    ("patrol", "sec_sup", 403),
    ("patrol", "far_staff", 404),
    ("sec_sup", "patrol", 200),
    ("sec_sup", "colleague", 200),
    ("sec_sup", "fixer", 403),
    ("sec_sup", "pm", 403),
    ("mnt_sup", "fixer", 200),
    ("cs_sup", "desk", 200),
    ("cs_sup", "patrol", 403),
    ("desk", "cs_sup", 403),
    ("pm", "patrol", 200),
    ("pm", "desk", 200),
    ("pm", "far_staff", 404),
    ("far_pm", "far_staff", 200),
    ("far_pm", "patrol", 404),
    ("gm", "patrol", 200),
    ("vp", "far_staff", 200),
    ("qa", "cs_sup", 200),
    ("qa", "gm", 200),
    # a company-role person is visible to company readers only (and to themselves)
    ("pm", "gm", 404),
    ("gm", "gm", 200),
    ("admin", "admin", 200),
    ("admin", "patrol", 403),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("viewer", "person", "status"), PERSON_CASES)
def test_eval_org02_who_may_open_a_persons_sheet(client, login, org, viewer, person, status):
    """Staff see only their own sheet; a supervisor their department's people; a PM the
    project's; GM, VP and QA everyone's; another project's person is not found."""
    login(viewer)
    response = client.get(f"/evaluation/people/{org.users[person]}?period=2026-11")
    assert response.status_code == status
    evidence = client.get(
        f"/evaluation/evidence/person/{org.users[person]}/slips_filed?period=2026-11"
    )
    assert evidence.status_code == status


DEPARTMENT_CASES = [
    ("patrol", "security", 403),
    ("sec_sup", "security", 200),
    ("sec_sup", "maintenance", 403),
    ("cs_sup", "service", 200),
    ("cs_sup", "security", 403),
    ("desk", "service", 403),
    ("pm", "maintenance", 200),
    ("pm", "far", 404),
    ("far_staff", "security", 404),
    ("qa", "far", 200),
    ("gm", "security", 200),
    ("admin", "security", 403),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("viewer", "department", "status"), DEPARTMENT_CASES)
def test_eval_org02_who_may_open_a_departments_sheet(
    client, login, org, viewer, department, status
):
    """A department's sheet: its supervisor (the CS supervisor for the customer-service
    centre), the project's PM, GM, VP, QA; staff are refused; another project's is not found."""
    login(viewer)
    department_id = getattr(org, department)
    assert client.get(f"/evaluation/departments/{department_id}").status_code == status
    evidence = client.get(f"/evaluation/evidence/department/{department_id}/slips_against")
    assert evidence.status_code == status


PROJECT_CASES = [
    ("patrol", "own", 403),
    ("sec_sup", "own", 403),
    ("cs_sup", "own", 403),
    ("pm", "own", 200),
    ("pm", "other", 404),
    ("far_pm", "own", 404),
    ("vp", "other", 200),
    ("qa", "own", 200),
    ("admin", "own", 403),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("viewer", "project", "status"), PROJECT_CASES)
def test_eval_org02_who_may_open_a_projects_sheet(client, login, org, viewer, project, status):
    """A project's sheet: its PM, GM, VP and QA; another project's is not found."""
    login(viewer)
    project_id = getattr(org, project)
    assert client.get(f"/evaluation/projects/{project_id}").status_code == status
    assert client.get(f"/evaluation/evidence/project/{project_id}/complaints").status_code == status


@time_machine.travel(NOW, tick=False)
def test_eval_staff_index_offers_only_their_own_sheet(client, login, org):
    """A staff member's index: their sheet, no departments, projects or people to look up."""
    login("patrol")
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/people/{org.users["patrol"]}"' in html
    assert 'id="evaluation-people"' not in html
    assert "/evaluation/departments/" not in html and "/evaluation/projects/" not in html


@time_machine.travel(NOW, tick=False)
def test_eval_supervisor_index_lists_their_department_and_its_people(client, login, org):
    """The security supervisor finds their department and its staff, nobody of maintenance."""
    login("sec_sup")
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/departments/{org.security}"' in html
    assert f'href="/evaluation/departments/{org.maintenance}"' not in html
    assert f'href="/evaluation/people/{org.users["patrol"]}"' in html
    assert f'href="/evaluation/people/{org.users["colleague"]}"' in html
    assert f'href="/evaluation/people/{org.users["fixer"]}"' not in html


@time_machine.travel(NOW, tick=False)
def test_eval_pm_index_lists_the_project_its_departments_and_people_and_search_narrows(
    client, login, org
):
    """The PM finds the project, every department of it and its people; a search by name narrows the list."""
    login("pm")
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/projects/{org.own}"' in html
    assert f'href="/evaluation/projects/{org.other}"' not in html
    for department in (org.security, org.maintenance, org.service):
        assert f'href="/evaluation/departments/{department}"' in html
    assert f'href="/evaluation/people/{org.users["fixer"]}"' in html
    assert f'href="/evaluation/people/{org.users["far_staff"]}"' not in html
    found = client.get("/evaluation/?q=fix", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in found and 'id="evaluation-people"' in found
    assert f'href="/evaluation/people/{org.users["fixer"]}"' in found
    assert f'href="/evaluation/people/{org.users["patrol"]}"' not in found


@time_machine.travel(NOW, tick=False)
def test_eval_company_readers_index_lists_every_project(app, client, login, org):
    """QA finds both projects; the company view is offered when that page exists."""
    login("qa")
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/projects/{org.own}"' in html
    assert f'href="/evaluation/projects/{org.other}"' in html
    assert ('id="evaluation-company"' in html) == ("evaluation.company" in app.view_functions)
    assert f'href="/evaluation/people/{org.users["far_staff"]}"' in html


def test_eval_signed_out_is_sent_to_sign_in(client, org):
    response = client.get(f"/evaluation/people/{org.users['patrol']}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
