"""SLIP-09 / APP-05: the weekly summary page, its chart and print layout, the xlsx, access."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from tests import factories
from webapp.core.clock import LOCAL_TZ, end_of_day
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.slips.models import RectificationRound
from webapp.slips.reports import CATEGORIES

#: Thursday 5 March 2026, 10:00 in Shanghai: the week of Monday 2 March
NOW = datetime(2026, 3, 5, 10, 0, tzinfo=LOCAL_TZ)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def week(app, world, clock):
    """In the own project: two slips by security staff against maintenance (one rectified
    on time, one failed verification and still open), one by maintenance against security
    escalated, one by a department named like a formula; last week's slip is left out."""
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        security = session.get(Department, world.own.department_id)
        maintenance = factories.make_department(session, project, "maintenance", "own维修部")
        formula = factories.make_department(session, project, "other", "=HYPERLINK(\"http://x\")")
        guard = session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        fixer = factories.make_user(session, "own.fixer", roles=[("staff", project, maintenance)])
        cs = factories.make_user(session, "own.cs", roles=[("cs_supervisor", project, None)])

        def slip(user, filer, against, filed, **values):
            columns = {"status": "assigned", "rectification_due_at": end_of_day(filed), **values}
            return factories.make_slip(
                session, project, user, filed_at=filed, filer_department_id=filer.id,
                responsible_department_id=against.id, received_at=filed, **columns,
            )

        def add_round(target, number, done, verification):
            session.add(RectificationRound(
                project_id=project.id, slip_id=target.id, number=number, measures_who="李师傅",
                measures_when=done, measures_how="清理", recorded_by_id=cs.id, completed_at=done,
                verification=verification, verified_at=done + timedelta(minutes=20),
            ))

        on_time = slip(guard, security, maintenance, local(2, 9), category="facility", status="closed")
        add_round(on_time, 1, local(2, 11), "pass")
        failed = slip(guard, security, maintenance, local(3, 9), category="cleaning")
        add_round(failed, 1, local(3, 11), "fail")
        slip(fixer, maintenance, security, local(4, 9), category="security", status="escalated",
             escalated_at=local(4, 10), rectification_due_at=local(9, 18))
        slip(fixer, maintenance, formula, local(4, 15), category="other")
        slip(guard, security, maintenance, local(1, 23, 50), category="facility")  # last week
        session.commit()


def cells(html: str, name: str) -> dict[str, str]:
    """The figures of one department's row, by measure."""
    row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(name) + r"</th>(.*?)</tr>", html, re.S)
    assert row, f"no row for {name}"
    return dict(re.findall(r'data-measure="(\w+)">\s*(\d+)\s*<', row.group(1)))


def as_ints(figures: dict[str, str]) -> dict[str, int]:
    return {k: int(v) for k, v in figures.items()}


def test_slip09_pm_sees_the_weeks_figures_per_department(client, login, world, week):
    login(world.users[("pm", "own")])
    response = client.get(f"/slips/summary?project={world.own.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert "own项目" in html and "2026-03-02" in html and "2026-03-08" in html
    assert as_ints(cells(html, "own维修部")) == dict(
        filed=2, against=2, on_time=1, late=1, failures=1, open=1, escalated=0
    )
    assert as_ints(cells(html, "own安全部")) == dict(
        filed=2, against=1, on_time=0, late=0, failures=0, open=1, escalated=1
    )
    totals = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    assert as_ints(dict(re.findall(r'data-measure="(\w+)">\s*(\d+)\s*<', totals)))["filed"] == 4
    # a department name is text, never markup
    assert "=HYPERLINK(&#34;http://x&#34;)" in html or "=HYPERLINK(&quot;http://x&quot;)" in html


def test_slip09_default_is_this_week_and_weeks_can_be_paged(client, login, world, week):
    login(world.users[("pm", "own")])
    html = client.get("/slips/summary").get_data(as_text=True)
    assert "2026-03-02" in html
    assert 'rel="next"' not in html  # nothing to see in the future
    assert f'href="/slips/summary?project={world.own.id}&amp;week=2026-02-23"' in html
    previous = client.get(f"/slips/summary?project={world.own.id}&week=2026-02-26").get_data(as_text=True)
    assert "2026-02-23" in previous
    assert as_ints(cells(previous, "own维修部"))["against"] == 1  # Sunday 1 March 23:50
    assert f'href="/slips/summary?project={world.own.id}&amp;week=2026-03-02"' in previous
    # a nonsense week falls back to this week rather than failing
    assert "2026-03-02" in client.get("/slips/summary?week=not-a-date").get_data(as_text=True)


def test_slip09_chart_is_inline_svg_without_inline_styles_or_scripts(client, login, world, week):
    login(world.users[("pm", "own")])
    html = client.get("/slips/summary").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*class=\"bar-chart\".*?</svg>", html, re.S).group(0)
    assert svg.count('class="bar-on-time"') == 1
    assert svg.count('class="bar-late"') == 2  # maintenance's failed slip, the formula-named department's
    assert svg.count('class="bar-filed"') == 3  # departments with figures
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_app05_summary_prints_on_a4_landscape_without_navigation(client, login, world, week):
    login(world.users[("pm", "own")])
    html = client.get("/slips/summary").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/css/summary\.css[^"]*)"', html).group(1)
    css = client.get(stylesheet).get_data(as_text=True)
    assert re.search(r"@page\s*{\s*size:\s*A4 landscape", css)
    assert re.search(r'<nav class="summary-controls no-print"', html)
    app_css = client.get("/static/css/app.css").get_data(as_text=True)
    assert re.search(r"@media print\s*{\s*\.topbar, \.tabbar, \.no-print", app_css)
    assert "data-print" in html


def test_app05_xlsx_has_the_same_figures_in_chinese(client, login, world, week):
    login(world.users[("pm", "own")])
    response = client.get(f"/slips/summary.xlsx?project={world.own.id}&week=2026-03-04")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="slip-summary-OWN-2026-03-02.xlsx"')
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert utf8_name == "信息传递汇总表-own项目-2026-03-02.xlsx"

    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert "own项目" in sheet["A1"].value and "2026-03-02" in sheet["A1"].value and "2026-03-08" in sheet["A1"].value
    header = [cell.value for cell in sheet[2]]
    assert header[:3] == ["部门", "本部门填报", "被反映"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["own维修部"][:7] == (2, 2, 1, 1, 1, 1, 0)
    assert rows["own安全部"][:7] == (2, 1, 0, 0, 0, 1, 1)
    assert rows["合计"][:7] == (4, 4, 1, 2, 1, 3, 1)
    # a department named like a formula stays text
    assert "'=HYPERLINK(\"http://x\")" in rows
    assert sheet.column_dimensions["A"].width >= 10

    by_category = book.worksheets[1]
    header = [cell.value for cell in by_category[2]]
    assert header[0] == "部门" and header[-1] == "合计" and len(header) == len(CATEGORIES) + 2
    per_department = {r[0]: dict(zip([*CATEGORIES, "total"], r[1:], strict=True))
                      for r in by_category.iter_rows(min_row=3, values_only=True)}
    assert per_department["own维修部"]["facility"] == 1
    assert per_department["own维修部"]["cleaning"] == 1
    assert per_department["own维修部"]["total"] == 2
    assert per_department["合计"]["total"] == 4


@pytest.mark.parametrize("path", ["/slips/summary", "/slips/summary.xlsx"])
def test_slip09_patrol_staff_may_not_see_the_summary(client, login, world, path):
    login(world.users[("staff", "own")])
    assert client.get(path).status_code == 403
    assert client.get(f"{path}?project={world.own.id}").status_code == 403


@pytest.mark.parametrize("path", ["/slips/summary", "/slips/summary.xlsx"])
def test_slip09_pm_sees_own_project_only(client, login, world, path):
    login(world.users[("pm", "own")])
    assert client.get(f"{path}?project={world.own.id}").status_code == 200
    assert client.get(f"{path}?project={world.other.id}").status_code == 404


def test_slip09_qa_chooses_among_every_project(client, login, world):
    login(world.users[("qa", None)])
    html = client.get(f"/slips/summary?project={world.other.id}").get_data(as_text=True)
    assert "other项目" in html
    assert f'<option value="{world.own.id}"' in html
