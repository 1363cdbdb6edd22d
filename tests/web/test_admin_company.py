"""The company's settings (ORG-01): its name and the cut-off day of the monthly reports
(篇4 §4.5: the 25th; 1–31, a shorter month ending on its last day), admins only, audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import post
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Company


@pytest.fixture
def admin(client, world, login):
    login(world.users[("admin", None)])
    return client


def _whole_page(response) -> str:
    html = response.get_data(as_text=True)
    assert "<html" in html and "</html>" in html
    return html


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def _company(app) -> tuple[str, int]:
    with app.app_context():
        company = db.session.scalar(sa.select(Company).order_by(Company.id))
        return company.name, company.report_cutoff_day


def test_org01_the_company_page_is_linked_from_the_admin_index_and_shows_the_25th(admin, app):
    assert 'href="/admin/company"' in _whole_page(admin.get("/admin/"))
    html = _whole_page(admin.get("/admin/company"))
    name, _ = _company(app)
    assert f'value="{name}"' in html and 'value="25"' in html
    assert "月报截止日" in html


def test_org01_admin_sets_the_report_cut_off_day_and_the_timeline_shows_it(admin, app):
    response = post(admin, "/admin/company/edit", {"name": "江南物业服务有限公司", "cutoff_day": "31"})
    assert response.status_code == 303 and response.location == "/admin/company"
    assert _company(app) == ("江南物业服务有限公司", 31)
    html = _whole_page(admin.get("/admin/company"))
    timeline = html[html.index('id="timeline"'):]
    assert "月报截止日: 25 → 31" in timeline and "company.admin" in timeline
    with app.app_context():
        (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "companies")).all()
        assert event.project_id is None


@pytest.mark.parametrize(("day", "says"), [("0", "1"), ("32", "31"), ("-5", "1"), ("abc", "1 到 31"), ("", "1 到 31")])
def test_org01_a_cut_off_day_outside_1_to_31_is_refused_next_to_the_field_with_the_values_kept(admin, app, day, says):
    before = _company(app)
    response = post(admin, "/admin/company/edit", {"name": "新名字物业", "cutoff_day": day})
    assert response.status_code == 422
    html = _whole_page(response)
    assert says in _error(html, "cutoff_day")
    assert 'value="新名字物业"' in html and f'value="{day}"' in html
    assert _company(app) == before


def test_org01_the_company_needs_a_name(admin, app):
    response = post(admin, "/admin/company/edit", {"name": " ", "cutoff_day": "20"})
    assert response.status_code == 422
    _error(_whole_page(response), "name")
    assert _company(app)[1] == 25
