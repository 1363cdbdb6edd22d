"""SVC-07 / APP-05: 家政服务汇总表 as a page (per technician and per item, a chart, A4
landscape print), as an xlsx, the month and department chosen, and who may see it."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from openpyxl import load_workbook

from tests.integration.test_paid_service_summary import NOW, arrange_month
from webapp.core import scoping
from webapp.extensions import db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def month(app, world, clock):
    with app.app_context(), scoping.unrestricted():
        return arrange_month(db.session, world)


def _html(response) -> str:
    return response.get_data(as_text=True)


def cells(html: str, row_id: str) -> dict[str, str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert row, f"no row {row_id}"
    return {k: v.strip() for k, v in re.findall(r'data-measure="(\w+)">(.*?)</td>', row.group(1), re.S)}


def test_svc07_the_pm_sees_the_months_figures_per_technician_and_item(client, login, world, month):
    login(world.users[("pm", "own")])
    response = client.get(f"/services/summary?project={world.own.id}&month=2026-11")
    assert response.status_code == 200
    html = _html(response)
    assert "own项目" in html and "2026-11-01" in html and "2026-11-30" in html
    zhang = cells(html, f"technician-{month.technicians['张师傅']}")
    assert zhang == {"jobs": "2", "revenue_fen": "¥287.50", "satisfaction": "4.0", "qualified": "1",
                     "unqualified": "1", "unchecked": "0", "refusals": "1"}
    li = cells(html, f"technician-{month.technicians['李师傅']}")
    assert (li["jobs"], li["revenue_fen"], li["satisfaction"], li["unchecked"], li["refusals"]) == \
        ("2", "¥242.50", "2.5", "1", "2")
    assert cells(html, "technician-totals") == {"jobs": "4", "revenue_fen": "¥417.50", "satisfaction": "3.5",
                                                "qualified": "2", "unqualified": "1", "unchecked": "1",
                                                "refusals": "2"}
    windows = cells(html, f"item-{month.items['擦玻璃']}")
    assert windows["quantity"] == "14 平方米" and windows["revenue_fen"] == "¥175.00"
    assert cells(html, "item-materials")["revenue_fen"] == "¥5.00"
    assert cells(html, "item-totals")["revenue_fen"] == "¥417.50"
    assert "赵师傅" not in html and "其他项目保洁" not in html  # the other project's


def test_svc07_one_department_can_be_chosen(client, login, world, month):
    login(world.users[("dept_supervisor", "own")])
    html = _html(client.get(f"/services/summary?month=2026-11&department={month.security_id}"))
    assert cells(html, "technician-totals")["jobs"] == "3"
    assert "王师傅" not in html and f'<option value="{month.security_id}" selected' in html
    # a department of no project of the page's: every department
    assert cells(_html(client.get("/services/summary?month=2026-11&department=99999")), "technician-totals")["jobs"] == "4"


def test_svc07_the_current_month_by_default_and_months_can_be_paged(client, login, world, month):
    login(world.users[("cs_supervisor", "own")])
    html = _html(client.get("/services/summary"))
    assert "2026-12-01" in html and 'rel="next"' not in html
    assert f'href="/services/summary?project={world.own.id}&amp;month=2026-11"' in html
    assert cells(html, "technician-totals")["jobs"] == "1"  # 1 Dec 00:10
    november = _html(client.get(f"/services/summary?project={world.own.id}&month=2026-11"))
    assert f'href="/services/summary?project={world.own.id}&amp;month=2026-12"' in november
    for nonsense in ("2026-13", "next", "2027-01"):  # unreadable or not begun: this month
        assert "2026-12-01" in _html(client.get(f"/services/summary?month={nonsense}"))


def test_svc07_chart_is_inline_svg_without_inline_styles_or_scripts(client, login, world, month):
    login(world.users[("pm", "own")])
    html = _html(client.get("/services/summary?month=2026-11"))
    svg = re.search(r'<svg[^>]*class="bar-chart".*?</svg>', html, re.S).group(0)
    assert svg.count('class="bar-on-time"') == 2  # 张 and 王 each had a job up to standard
    assert svg.count('class="bar-late"') == 2  # O2 for both 张 and 李
    assert svg.count('class="bar-other"') == 1  # 李's unchecked O3
    assert "2 · 4.0" in svg and "1 · 4.0" in svg
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_app05_the_summary_prints_on_a4_landscape(client, login, world, month):
    login(world.users[("pm", "own")])
    html = _html(client.get("/services/summary?month=2026-11"))
    stylesheet = re.search(r'href="(/static/css/summary\.css[^"]*)"', html).group(1)
    assert re.search(r"@page\s*{\s*size:\s*A4 landscape", _html(client.get(stylesheet)))
    assert 'class="summary-controls no-print"' in html and "data-print" in html


def test_app05_the_xlsx_has_the_same_figures_in_chinese(client, login, world, month):
    login(world.users[("gm", None)])
    response = client.get(f"/services/summary.xlsx?project={world.own.id}&month=2026-11")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="paid-services-OWN-2026-11.xlsx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]).endswith("-own项目-2026-11.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    technicians = book.worksheets[0]
    title = technicians["A1"].value
    assert "own项目" in title and "2026-11-01" in title and "2026-11-30" in title
    rows = {r[0]: r[1:] for r in technicians.iter_rows(min_row=3, values_only=True)}
    assert rows["张师傅"] == (2, 287.5, 4.0, 1, 1, 0, 1)
    assert rows["李师傅"] == (2, 242.5, 2.5, 0, 1, 1, 2)
    totals = [value for value in rows.values() if value[0] == 4]
    assert totals == [(4, 417.5, 3.5, 2, 1, 1, 2)]
    assert technicians.cell(row=3, column=3).number_format == "#,##0.00"

    items = book.worksheets[1]
    by_item = {r[0]: r[1:] for r in items.iter_rows(min_row=3, values_only=True)}
    assert by_item["擦玻璃"][:4] == ("平方米", 14, 2, 175)
    assert by_item["日常保洁"][:4] == ("小时", 3.5, 2, 157.5)
    materials = [value for name, value in by_item.items() if name not in ("擦玻璃", "日常保洁", "疏通下水道")]
    assert {value[3] for value in materials} == {5, 417.5}  # the materials row and the totals


@pytest.mark.parametrize("role", ["receptionist", "staff", "publicist"])
@pytest.mark.parametrize("path", ["/services/summary", "/services/summary.xlsx"])
def test_svc07_the_summary_is_for_supervisors_and_managers(client, login, world, role, path):
    login(world.users[(role, "own")])
    assert client.get(path).status_code == 403
    assert client.get(f"{path}?project={world.own.id}").status_code == 403


@pytest.mark.parametrize("path", ["/services/summary", "/services/summary.xlsx"])
def test_svc07_another_projects_summary_is_not_found(client, login, world, path):
    login(world.users[("pm", "own")])
    assert client.get(f"{path}?project={world.other.id}").status_code == 404


def test_svc07_the_page_takes_the_same_queries_however_many_jobs(app, client, login, world, month, queries):
    login(world.users[("pm", "own")])
    path = f"/services/summary?project={world.own.id}&month=2026-11"
    client.get(path)
    with queries() as few:
        assert client.get(path).status_code == 200
    with app.app_context(), scoping.unrestricted():
        from tests.integration.test_paid_service_summary import local
        from webapp.paid_services.models import ServiceAssignment, ServiceOrder

        template = db.session.get(ServiceOrder, 1)
        team = [a.technician_id for a in template.assignments]
        for n in range(5):
            copy = ServiceOrder(
                project_id=template.project_id, number=f"EXTRA-{n}", status="completed",
                department_id=template.department_id, unit_id=template.unit_id, appointment_at=template.appointment_at,
                registered_by_id=template.registered_by_id, registered_at=template.registered_at,
                started_at=local(11, 5, 9), finished_at=local(11, 5, 10) + timedelta(minutes=n), total_fen=1000,
            )
            db.session.add(copy)
            db.session.flush()
            for technician_id in team:
                db.session.add(ServiceAssignment(project_id=copy.project_id, order_id=copy.id,
                                                 technician_id=technician_id, assigned_by_id=template.registered_by_id,
                                                 assigned_at=template.registered_at))
        db.session.commit()
    with queries() as many:
        html = _html(client.get(path))
    assert cells(html, "technician-totals")["jobs"] == "9"
    assert len(few) == len(many)
