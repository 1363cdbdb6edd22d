"""CMP-03 b / CMP-07 / APP-05: the complaint register and the monthly summary pages, their
print layout and xlsx, month navigation, the analysis report's steps, access."""

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
from tests.conftest import HX, post
from webapp.complaints.models import ComplaintCallback, ComplaintMonthlyReport, ComplaintPause
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import WorkItem
from webapp.estate.models import Owner, Unit
from webapp.extensions import db
from webapp.org.models import Company, Department, Project, User

#: Friday 20 March 2026, 10:00 in Shanghai: March's report month (26 Feb – 25 Mar)
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=LOCAL_TZ)


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _user(session, username):
    return session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def march(app, world, clock):
    """In the own project: an important complaint taken in late and resolved late (the
    owner's phone in its contact), satisfied at call-back; a major one on hold; a minor
    one by the same owner (a repeat); a complaint named like a formula; February's
    important complaint; the other project's major complaint."""
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        security = session.get(Department, world.own.department_id)
        owner = session.get(Owner, world.own.owner_id)
        unit = session.get(Unit, world.own.unit_id)
        desk = _user(session, world.users[("receptionist", "own")])
        cs = _user(session, world.users[("cs_supervisor", "own")])

        def complaint(cls, received, **values):
            return factories.make_complaint(session, project, desk, complaint_class=cls, received_at=received, **values)

        late = complaint(
            "important", local(3, 2, 9), complained_department_id=security.id, owner_id=owner.id, unit_id=unit.id,
            owner_contact="王女士 13911112222", description="保安态度恶劣", owner_request="要求道歉",
            event_place="北门岗亭", event_time=local(3, 2, 8, 30), status="closed", cause="服务态度",
            commitment_done_at=local(3, 2, 11), resolved_at=local(3, 6, 9), measures="批评教育", answer="已致歉",
        )
        session.add(ComplaintCallback(project_id=project.id, complaint_id=late.id, method="phone",
                                      satisfaction="satisfied", called_by_id=cs.id, called_at=local(3, 7, 9)))
        waiting = complaint("major", local(3, 16, 9), complained_department_id=security.id, status="waiting",
                            commitment_done_at=local(3, 16, 10), description="车辆被刮")
        session.add(ComplaintPause(project_id=project.id, complaint_id=waiting.id, started_at=local(3, 17, 9),
                                   reason="等保险公司", started_by_id=cs.id))
        complaint("minor", local(3, 10, 9), owner_id=owner.id, unit_id=unit.id, status="received",
                  description="=HYPERLINK(\"http://x\")", cause="=1+1")
        complaint("important", local(2, 20, 9), complained_department_id=security.id, status="closed",
                  description="二月的投诉", commitment_done_at=local(2, 20, 9, 30), resolved_at=local(2, 21, 9))
        other = session.get(Project, world.other.id)
        stranger = _user(session, world.users[("receptionist", "other")])
        factories.make_complaint(session, other, stranger, complaint_class="major", received_at=local(3, 5, 9),
                                 description="别的项目的投诉")
        session.commit()


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def figure(html: str, key: str) -> str:
    match = re.search(r'data-figure="' + key + r'">([^<]*)<', html)
    assert match, key
    return match.group(1)


# ---------------------------------------------------------------------------- the summary


def test_cmp07_pm_sees_the_months_figures(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get(f"/complaints/summary?project={world.own.id}&month=2026-03"))
    assert "<html" in html
    assert "own项目" in html and "2026-02-26" in html and "2026-03-25" in html
    assert figure(html, "received") == "3"
    # taken in late (11:00 for 10:00); the major one on time; the minor one not yet, past its day
    assert figure(html, "commitment_on_time") == "1" and figure(html, "commitment_late") == "2"
    assert figure(html, "commitment_rate") == "33%"
    # resolved late; the minor one overdue; the major one on hold is left out
    assert figure(html, "resolution_late") == "2" and figure(html, "resolution_pending") == "1"
    assert figure(html, "resolution_rate") == "0%"
    assert figure(html, "pauses") == "1" and figure(html, "waiting_hours") == "73"  # 17 March 09:00 → now
    assert figure(html, "repeats_owner") == "1"
    assert figure(html, "satisfaction_rate") == "100%"
    by_class = dict(re.findall(r'data-class="(\w+)">(\d+)<', re.search(r'id="summary-by-class".*?</table>', html,
                                                                         re.S).group(0)))
    assert by_class == {"major": "1", "important": "1", "minor": "1", "invalid": "0", "total": "3"}
    assert "二月的投诉" not in html and "别的项目" not in html
    # text is text, never markup
    assert "=1+1" in html


def test_cmp07_trend_chart_is_inline_svg_over_twelve_months(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get("/complaints/summary"))
    svg = re.search(r'<svg[^>]*class="trend-chart".*?</svg>', html, re.S).group(0)
    assert svg.count('class="chart-label') == 12
    assert "2025-04" in svg and "2026-03" in svg
    assert svg.count('class="trend-major"') == 1 and svg.count('class="trend-important"') == 2  # Feb and Mar
    assert 'class="chart-label is-current"' in svg
    trend = re.search(r'id="summary-trend".*?</table>', html, re.S).group(0)
    february = re.search(r'data-month="2026-02">(.*?)</tr>', trend, re.S).group(1)
    assert 'data-class="important">1<' in february
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_cmp07_default_month_is_the_current_report_month_and_months_can_be_paged(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get("/complaints/summary"))
    assert "2026-02-26" in html and 'rel="next"' not in html
    assert f'href="/complaints/summary?project={world.own.id}&amp;month=2026-02"' in html
    february = html_of(client.get(f"/complaints/summary?project={world.own.id}&month=2026-02"))
    assert "2026-01-26" in february and "2026-02-25" in february
    assert figure(february, "received") == "1"
    assert f'href="/complaints/summary?project={world.own.id}&amp;month=2026-03"' in february
    # nonsense falls back to the current month rather than failing
    assert "2026-02-26" in html_of(client.get("/complaints/summary?month=2026-13"))
    assert "2026-02-26" in html_of(client.get("/complaints/summary?month=soon"))


def test_cmp07_after_the_cut_off_day_the_next_report_month_is_current(client, login, world, march):
    with time_machine.travel(local(3, 26, 9), tick=False):
        login(world.users[("pm", "own")])
        html = html_of(client.get("/complaints/summary"))
    assert "2026-03-26" in html and "2026-04-25" in html


def test_cmp07_company_cut_off_day_sets_the_period(app, client, login, world, march):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        db.session.get(Company, project.company_id).report_cutoff_day = 10
        db.session.commit()
    login(world.users[("pm", "own")])
    html = html_of(client.get(f"/complaints/summary?project={world.own.id}&month=2026-03"))
    assert "2026-02-11" in html and "2026-03-10" in html
    assert figure(html, "received") == "3"  # 20 Feb, 2 Mar, 10 Mar; not 16 Mar
    current = html_of(client.get("/complaints/summary"))
    assert "2026-03-11" in current and "2026-04-10" in current


def test_app05_summary_prints_on_a4_landscape_without_controls(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get("/complaints/summary"))
    stylesheet = re.search(r'href="(/static/css/summary\.css[^"]*)"', html).group(1)
    assert re.search(r"@page\s*{\s*size:\s*A4 landscape", client.get(stylesheet).get_data(as_text=True))
    assert '<nav id="report-controls" class="summary-controls no-print"' in html
    assert "data-print" in html
    app_css = client.get("/static/css/app.css").get_data(as_text=True)
    assert re.search(r"@media print\s*{\s*\.print-only { display: block; }", app_css)


def test_app05_summary_xlsx_has_the_figures_in_chinese(client, login, world, march):
    login(world.users[("qa", None)])
    response = client.get(f"/complaints/summary.xlsx?project={world.own.id}&month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="complaint-summary-OWN-2026-03.xlsx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "投诉情况月汇总表-own项目-2026-03.xlsx"
    book = load_workbook(io.BytesIO(response.data))
    overview = book.worksheets[0]
    assert "own项目" in overview["A1"].value and "2026-02-26" in overview["A1"].value
    values = {row[0]: row[1] for row in overview.iter_rows(min_row=3, values_only=True)}
    assert values["收到的投诉"] == 3
    assert values["处理承诺及时率"] == 0.3333
    assert overview["B9"].number_format == "0%"
    by_class = {r[0]: r[1] for r in book["按类别"].iter_rows(min_row=3, values_only=True)}
    assert by_class == {"重大投诉": 1, "重要投诉": 1, "轻微投诉": 1, "无效投诉": 0, "合计": 3}
    departments = {r[0]: r[-1] for r in book["按部门"].iter_rows(min_row=3, values_only=True)}
    assert departments["own安全部"] == 2 and departments["未指明部门"] == 1
    causes = [r[0] for r in book["按原因"].iter_rows(min_row=3, values_only=True)]
    assert "'=1+1" in causes  # a formula stays text
    trend = list(book["趋势"].iter_rows(min_row=3, values_only=True))
    assert len(trend) == 12 and trend[-1][0] == "2026-03" and trend[-1][-1] == 3
    repeats = list(book["重复投诉"].iter_rows(min_row=3, values_only=True))
    assert len(repeats) == 1 and repeats[0][3] == "同一业主"


# ---------------------------------------------------------------------------- the register


def test_cmp03_register_lists_major_and_important_complaints_with_masked_phones(client, login, world, march):
    login(world.users[("cs_supervisor", "own")])
    html = html_of(client.get("/complaints/register"))
    rows = re.findall(r'<tr id="register-row-\d+">(.*?)</tr>', html, re.S)
    assert len(rows) == 2  # the important and the major one; not the minor one, nor February's
    first, second = rows
    assert "保安态度恶劣" in first and "要求道歉" in first and "北门岗亭" in first and "批评教育" in first
    assert "139****2222" in first and "13911112222" not in html
    assert world.own.owner_phone not in html and "139****1111" in first
    assert "已致歉" in first and "满意" in first
    commitment = re.search(r'<td class="clock([^"]*)" data-clock="commitment">', first).group(1)
    resolution = re.search(r'<td class="clock([^"]*)" data-clock="resolution">', first).group(1)
    assert commitment == " is-late" and resolution == " is-late"
    assert "车辆被刮" in second and 'data-clock="resolution">' in second  # on hold: not late
    assert "is-late" not in second
    assert "二月的投诉" not in html and "别的项目" not in html


def test_app05_register_xlsx_opens_with_the_rows_and_late_in_red(client, login, world, march):
    login(world.users[("pm", "own")])
    response = client.get(f"/complaints/register.xlsx?project={world.own.id}&month=2026-03")
    assert response.status_code == 200
    assert 'filename="complaint-register-OWN-2026-03.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert "业主投诉记录表" in sheet["A1"].value
    header = [cell.value for cell in sheet[2]]
    assert header[:3] == ["编号", "受理时间", "业主及房号"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2
    assert rows[0][5] == "保安态度恶劣" and "139****2222" in rows[0][2]
    assert sheet.cell(row=3, column=10).font.color.rgb.endswith("B3261E")  # committed late
    assert not sheet.cell(row=4, column=12).font.bold  # on hold: not late


def test_cmp03_register_pages_back_to_february(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get(f"/complaints/register?project={world.own.id}&month=2026-02"))
    assert "二月的投诉" in html and "保安态度恶劣" not in html
    assert f'href="/complaints/register?project={world.own.id}&amp;month=2026-03"' in html


# ---------------------------------------------------------------------------- the analysis report


def test_cmp07_cs_writes_submits_and_the_pm_reviews_the_analysis(app, client, login, world, march):
    login(world.users[("cs_supervisor", "own")])
    url = f"/complaints/summary/analysis?project={world.own.id}&month=2026-03"
    html = html_of(client.get(f"/complaints/summary?project={world.own.id}&month=2026-03"))
    assert 'id="analysis-form"' in html and 'id="review-form"' not in html
    response = post(client, url, {"analysis": "本月服务态度投诉较多。", "action": "save", "version": ""})
    assert response.status_code == 303
    assert response.location.endswith("month=2026-03#complaint-analysis")
    html = html_of(client.get(response.location))
    assert "本月服务态度投诉较多。" in html
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)

    # submitting empty text is refused, what was typed (nothing) kept, the panel re-rendered
    refused = post(client, url, {"analysis": "", "action": "submit", "version": version}, headers=HX)
    assert refused.status_code == 422
    fragment = refused.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="complaint-analysis"')

    done = post(client, url, {"analysis": "本月服务态度投诉较多，已培训。", "action": "submit", "version": version},
                headers=HX)
    assert done.status_code == 200
    fragment = done.get_data(as_text=True)
    assert 'id="analysis-form"' not in fragment and "本月服务态度投诉较多，已培训。" in fragment

    post(client, "/logout")
    login(world.users[("pm", "own")])
    html = html_of(client.get(f"/complaints/summary?project={world.own.id}&month=2026-03"))
    assert 'id="review-form"' in html and 'id="analysis-form"' not in html
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)
    reviewed = post(client, f"/complaints/summary/analysis/review?project={world.own.id}&month=2026-03",
                    {"review_note": "请安全部加强培训。", "version": version})
    assert reviewed.status_code == 303
    html = html_of(client.get(reviewed.location))
    assert "请安全部加强培训。" in html and 'id="review-form"' not in html
    with app.app_context():
        report = db.session.scalar(sa.select(ComplaintMonthlyReport))
        assert report.reviewed_at is not None and report.submitted_at is not None
        assert db.session.scalars(sa.select(WorkItem).where(WorkItem.done_at.is_(None))).all() == []
    # the analysis is in the xlsx too
    book = load_workbook(io.BytesIO(client.get(f"/complaints/summary.xlsx?project={world.own.id}&month=2026-03").data))
    analysis = {r[0]: r[1] for r in book["分析报告"].iter_rows(min_row=3, values_only=True)}
    assert analysis["分析"] == "本月服务态度投诉较多，已培训。" and analysis["备注"] == "请安全部加强培训。"


def test_cmp07_a_stale_draft_is_not_saved_over_a_newer_one(client, login, world, march):
    login(world.users[("cs_supervisor", "own")])
    url = f"/complaints/summary/analysis?project={world.own.id}&month=2026-03"
    assert post(client, url, {"analysis": "第一稿", "action": "save", "version": ""}).status_code == 303
    assert post(client, url, {"analysis": "第二稿", "action": "save", "version": "1"}).status_code == 303
    stale = post(client, url, {"analysis": "旧页面上的稿", "action": "save", "version": "1"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "旧页面上的稿" in html  # the user's text is kept


def test_cmp07_sweep_puts_the_analysis_in_my_work_in_the_last_week(app, client, login, world, march):
    runner = app.test_cli_runner()
    with time_machine.travel(local(3, 19, 8), tick=False):
        assert runner.invoke(args=["sla", "sweep"]).exit_code == 0
        assert runner.invoke(args=["sla", "sweep"]).exit_code == 0
    login(world.users[("cs_supervisor", "own")])
    html = html_of(client.get("/"))
    assert html.count("2026-02-26") == 1 and "/complaints/summary?project=" in html
    post(client, "/logout")
    login(world.users[("pm", "own")])
    assert "2026-02-26" not in html_of(client.get("/"))


# ---------------------------------------------------------------------------- access and queries


@pytest.mark.parametrize("path", ["/complaints/summary", "/complaints/register", "/complaints/summary.xlsx",
                                  "/complaints/register.xlsx"])
def test_cmp07_staff_and_receptionists_may_not_see_the_reports(client, login, world, path):
    for role in ("staff", "receptionist"):
        login(world.users[(role, "own")])
        assert client.get(path).status_code == 403
        assert client.get(f"{path}?project={world.own.id}").status_code == 403
        post(client, "/logout")


@pytest.mark.parametrize("path", ["/complaints/summary", "/complaints/register", "/complaints/summary.xlsx",
                                  "/complaints/register.xlsx"])
def test_cmp07_pm_sees_own_project_only(client, login, world, path):
    login(world.users[("pm", "own")])
    assert client.get(f"{path}?project={world.own.id}").status_code == 200
    assert client.get(f"{path}?project={world.other.id}").status_code == 404


def test_cmp07_only_writers_write_and_only_the_pm_reviews(client, login, world):
    url = f"/complaints/summary/analysis?project={world.own.id}"
    login(world.users[("pm", "own")])
    assert post(client, url, {"analysis": "x", "action": "save"}).status_code == 403
    post(client, "/logout")
    login(world.users[("cs_supervisor", "own")])
    assert post(client, f"{url.replace('analysis?', 'analysis/review?')}", {}).status_code == 403
    assert post(client, f"/complaints/summary/analysis?project={world.other.id}", {"analysis": "x"}).status_code == 404


def test_cmp07_qa_chooses_among_every_project_and_the_index_links_the_reports(client, login, world):
    login(world.users[("qa", None)])
    html = html_of(client.get(f"/complaints/summary?project={world.other.id}"))
    assert "other项目" in html and f'<option value="{world.own.id}"' in html
    index = html_of(client.get("/complaints/"))
    assert 'id="complaint-register-link"' in index and 'id="complaint-summary-link"' in index
    post(client, "/logout")
    login(world.users[("receptionist", "own")])
    index = html_of(client.get("/complaints/"))
    assert "complaint-register-link" not in index


def _add_complaints(app, world, count):
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        desk = _user(session, world.users[("receptionist", "own")])
        cs = _user(session, world.users[("cs_supervisor", "own")])
        for n in range(count):
            received = local(3, 1 + n % 18, 9 + n % 8)
            complaint = factories.make_complaint(
                session, project, desk, complaint_class=("important", "major", "minor")[n % 3], received_at=received,
                complained_department_id=world.own.department_id, owner_id=world.own.owner_id,
                unit_id=world.own.unit_id, status="closed", commitment_done_at=received + timedelta(minutes=30),
                resolved_at=received + timedelta(days=1), answered_at=received + timedelta(hours=20),
                cause=f"原因{n % 4}",
            )
            session.add(ComplaintCallback(project_id=project.id, complaint_id=complaint.id, method="phone",
                                          satisfaction="satisfied", called_by_id=cs.id,
                                          called_at=received + timedelta(days=2)))
            session.add(ComplaintPause(project_id=project.id, complaint_id=complaint.id,
                                       started_at=received + timedelta(hours=1), ended_at=received + timedelta(hours=2),
                                       reason="等待", started_by_id=cs.id))
        session.commit()


@pytest.mark.parametrize("path", ["/complaints/summary", "/complaints/register"])
def test_cmp07_pages_run_a_fixed_number_of_queries(app, client, login, world, clock, queries, path):
    login(world.users[("pm", "own")])
    _add_complaints(app, world, 3)
    client.get(path)  # warm the session
    with queries() as few:
        assert client.get(path).status_code == 200
    _add_complaints(app, world, 27)
    with queries() as many:
        html = html_of(client.get(path))
    assert len(many) == len(few)
    assert html.count("own安全部") >= 1


def test_app05_register_prints_without_controls(client, login, world, march):
    login(world.users[("pm", "own")])
    html = html_of(client.get("/complaints/register"))
    assert "<html" in html and 'class="summary-page register-page"' in html
    assert re.search(r'href="/static/css/summary\.css', html)
    assert '<nav id="report-controls" class="summary-controls no-print"' in html
    assert f'href="/complaints/summary?project={world.own.id}&amp;month=2026-03"' in html
    app_css = client.get("/static/css/app.css").get_data(as_text=True)
    assert ".summary-table.register-table { font-size: 8pt; break-inside: auto;" in app_css
    assert "style=" not in html
