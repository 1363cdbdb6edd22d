"""The evaluation sheets as xlsx (EVAL): a person's, a department's and a project's figures
for a month or a quarter, in the company's paperwork language, with the same access as the
pages and the same figures as the sheets."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
import time_machine
from flask_babel import force_locale
from openpyxl import load_workbook

import tests.factories as f
from webapp.core.spreadsheets import PAPERWORK_LOCALE
from webapp.evaluation.company import cell_value
from webapp.evaluation.rules import parse_period
from webapp.evaluation.sheets import department_sheet, person_sheet, project_sheet
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services.models import QualityCheck, ServiceAssignment, ServiceSignature

#: Saturday 28 November 2026, noon in Beijing
NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)
#: 3 November 2026, 10:00 in Beijing
IN_NOV = datetime(2026, 11, 3, 2, tzinfo=UTC)
ACTIVITY_DAY = date(2026, 11, 14)


@pytest.fixture
def org(app):
    """A project whose security department has a patrol and a colleague (both staff), a
    supervisor and a PM, QA for the company, and a second project with its own
    department, person and PM. In November the patrol filed two slips (one closed), was
    complained about twice (one commitment on time, one late), did one paid job (¥45.00,
    rated 4, up to standard) and wrote the summary of one activity."""
    with app.app_context():
        session = db.session
        company = f.make_company(session)
        project = f.make_project(session, company)
        security = f.make_department(session, project, "security")
        patrol = f.make_user(
            session, "patrol", roles=[("staff", project, security)], display_name="巡逻员甲"
        )
        colleague = f.make_user(session, "colleague", roles=[("staff", project, security)])
        supervisor = f.make_user(
            session, "supervisor", roles=[("dept_supervisor", project, security)]
        )
        pm = f.make_user(session, "pm", roles=[("pm", project, None)])
        f.make_user(session, "qa", roles=[("qa", None, None)])
        desk = f.make_user(session, "desk", roles=[("receptionist", project, None)])
        other = f.make_project(session, company)
        other_department = f.make_department(session, other, "security")
        other_person = f.make_user(session, roles=[("staff", other, other_department)])
        f.make_user(session, "other_pm", roles=[("pm", other, None)])

        for status in ("closed", "filed"):
            f.make_slip(
                session,
                project,
                patrol,
                filer_department_id=security.id,
                filed_at=IN_NOV,
                status=status,
            )

        for minutes in (-5, 60):
            due = IN_NOV + timedelta(hours=2)
            f.make_complaint(
                session,
                project,
                desk,
                received_at=IN_NOV,
                complained_user_id=patrol.id,
                commitment_due_at=due,
                commitment_done_at=due + timedelta(minutes=minutes),
            )

        item = f.make_service_item(
            session, project, security, supervisor, name="日常保洁", price_fen=4500
        )
        unit = f.make_unit(session, f.make_building(session, project))
        finished = datetime(2026, 11, 5, 6, tzinfo=UTC)
        order = f.make_service_order(
            session,
            project,
            item,
            unit,
            desk,
            quantity_centi=100,
            registered_at=finished - timedelta(days=1),
            status="closed",
            finished_at=finished,
        )
        session.add_all(
            [
                ServiceAssignment(
                    project_id=project.id,
                    order_id=order.id,
                    technician_id=patrol.id,
                    assigned_by_id=supervisor.id,
                    assigned_at=finished - timedelta(hours=3),
                ),
                ServiceSignature(
                    project_id=project.id,
                    order_id=order.id,
                    signed_at=finished + timedelta(minutes=1),
                    content_hash="0" * 64,
                    signed_content="{}",
                    refused=False,
                    satisfaction=4,
                    recorded_by_id=patrol.id,
                ),
                QualityCheck(
                    project_id=project.id,
                    order_id=order.id,
                    checked_by_id=supervisor.id,
                    result="qualified",
                    checked_at=finished + timedelta(hours=1),
                ),
            ]
        )

        plan = f.make_activity_plan(session, project, pm, year=2026, status="approved")
        f.make_activity(
            session,
            plan,
            name="邻里中秋晚会",
            day=ACTIVITY_DAY,
            status="summarised",
            summarised_by_id=patrol.id,
            summarised_at=datetime(2026, 11, 15, 2, tzinfo=UTC),
            went_well="秩序良好",
            shortcomings="音响偏小",
            attendance=80,
        )
        session.commit()
        return SimpleNamespace(
            project_id=project.id,
            department_id=security.id,
            patrol_id=patrol.id,
            colleague_id=colleague.id,
            other_project_id=other.id,
            other_department_id=other_department.id,
            other_person_id=other_person.id,
        )


def _add_slips(app, org, count: int) -> None:
    with app.app_context():
        session = db.session
        project = session.get(Project, org.project_id)
        patrol = session.get(User, org.patrol_id)
        for _ in range(count):
            f.make_slip(
                session, project, patrol, filer_department_id=org.department_id, filed_at=IN_NOV
            )
        session.commit()


def _book(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response, load_workbook(io.BytesIO(response.data))


def _blocks(worksheet) -> list[tuple[str | None, dict[str, tuple[object, str]]]]:
    """The figures sheet read back: (heading, label → (value, number format)) per block —
    the subject's own first (heading None), then each department after an empty row.
    Section rows (bold) are skipped; a label met twice in a block fails."""
    blocks: list[tuple[str | None, dict]] = [(None, {})]
    heading_next = False
    for label, value in worksheet.iter_rows(min_row=3, max_col=2):
        if label.value is None:
            heading_next = True
            continue
        if heading_next:
            blocks.append((label.value, {}))
            heading_next = False
            continue
        if label.font.bold:
            continue
        figures = blocks[-1][1]
        assert label.value not in figures, f"{label.value} twice"
        figures[label.value] = (value.value, value.number_format)
    return blocks


def _expected(app, sheet, only=None) -> dict[str, object]:
    """label (in the paperwork language) → the cell value of each figure of a Sheet."""
    with app.test_request_context(), force_locale(PAPERWORK_LOCALE):
        return {
            str(figure.label): cell_value(figure.measure, figure.value)
            for section in sheet.sections
            if only is None or section.key in only
            for figure in section.figures
        }


def _labels(app, *keys: str) -> list[str]:
    from webapp.evaluation.catalogue import MEASURES

    with app.test_request_context(), force_locale(PAPERWORK_LOCALE):
        return [str(MEASURES[key].label) for key in keys]


def _file_name(response) -> str:
    return unquote(response.headers["Content-Disposition"])


@time_machine.travel(NOW, tick=False)
def test_eval_person_xlsx_holds_the_figures_departments_and_activities_of_the_sheet(
    app, client, login, org
):
    """The patrol's xlsx for November holds every figure of their sheet (money in yuan,
    rates as per cent, a mean as a number, "—" as an empty cell), their department's
    slips and complaints after it, and the activity they summarised with its findings."""
    login("supervisor")
    response, book = _book(client, f"/evaluation/people/{org.patrol_id}.xlsx?period=2026-11")
    assert "evaluation-person-" in response.headers["Content-Disposition"]
    assert "2026-11" in _file_name(response) and "巡逻员甲" in _file_name(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        patrol = db.session.get(User, org.patrol_id)
        sheet = person_sheet(db.session, patrol, parse_period("2026-11", NOW.date()), NOW)
    figures = book.worksheets[0]
    assert "巡逻员甲" in figures["A1"].value and "2026-11" in figures["A1"].value
    (_, own), (heading, department) = _blocks(figures)
    assert {label: value for label, (value, _) in own.items()} == _expected(app, sheet)

    filed, revenue, satisfaction, commitment, callbacks = _labels(
        app,
        "slips_filed",
        "paid_revenue",
        "paid_satisfaction",
        "commitment_rate",
        "satisfaction_rate",
    )
    assert own[filed] == (2, "General")
    assert own[revenue] == (45.0, "#,##0.00")
    assert own[satisfaction] == (4.0, "0.0")
    assert own[commitment] == (0.5, "0.0%")
    assert own[callbacks][0] is None  # no call-backs: "—", an empty cell, never 0 %

    assert sheet.departments[0].name in heading
    assert {label: value for label, (value, _) in department.items()} == _expected(
        app, sheet.departments[0], only=("slips", "complaints")
    )
    assert department[filed][0] == 2

    assert [ws.title for ws in book.worksheets][1:] == ["活动"]  # no trend for a person
    activities = list(book.worksheets[1].iter_rows(min_row=3, values_only=True))
    assert len(activities) == 1
    name, day, findings = activities[0]
    assert name == "邻里中秋晚会" and day.date() == ACTIVITY_DAY
    assert "秩序良好" in findings and "音响偏小" in findings


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("kind", ["departments", "projects"])
def test_eval_group_xlsx_holds_the_sheet_figures_and_its_twelve_month_trend(
    app, client, login, org, kind
):
    """A department's and a project's xlsx for the fourth quarter hold the figures of their
    sheet and a second sheet with a row per month of the trend, November's slips and
    revenue in their month."""
    login("pm")
    subject_id = org.department_id if kind == "departments" else org.project_id
    response, book = _book(client, f"/evaluation/{kind}/{subject_id}.xlsx?period=2026-Q4")
    assert "2026-Q4" in _file_name(response)
    with app.app_context():
        quarter = parse_period("2026-Q4", NOW.date())
        if kind == "departments":
            sheet = department_sheet(
                db.session, db.session.get(Department, org.department_id), quarter, NOW
            )
        else:
            sheet = project_sheet(db.session, db.session.get(Project, org.project_id), quarter, NOW)
    ((_, own),) = _blocks(book.worksheets[0])
    assert {label: value for label, (value, _) in own.items()} == _expected(app, sheet)
    filed, revenue = _labels(app, "slips_filed", "paid_revenue")
    assert own[filed][0] == 2 and own[revenue] == (45.0, "#,##0.00")

    trend = book.worksheets[1]
    assert trend.title == "趋势"
    header = [cell.value for cell in trend[2]]
    months = {row[0]: row for row in trend.iter_rows(min_row=3, values_only=True)}
    assert list(months) == [month.period.key for month in sheet.trend]
    assert len(months) == 12 and list(months)[-1] == "2026-12"
    november = months["2026-11"]
    assert november[header.index(filed)] == 2 and november[header.index(revenue)] == 45.0
    assert months["2026-10"][header.index(filed)] == 0
    assert trend.cell(row=3, column=header.index(revenue) + 1).number_format == "#,##0.00"
    assert len(book.worksheets) == 2  # activities are listed on a person's sheet only


@time_machine.travel(NOW, tick=False)
def test_eval_sheet_xlsx_has_the_access_of_its_page(app, client, login, org):
    """A staff member downloads their own sheet but not a colleague's (403); a PM gets no
    other project's person, department or project (404)."""
    login("patrol")
    assert client.get(f"/evaluation/people/{org.patrol_id}.xlsx").status_code == 200
    assert client.get(f"/evaluation/people/{org.colleague_id}.xlsx").status_code == 403
    assert client.get(f"/evaluation/departments/{org.department_id}.xlsx").status_code == 403
    login("pm")
    for url in (
        f"/evaluation/people/{org.other_person_id}.xlsx",
        f"/evaluation/departments/{org.other_department_id}.xlsx",
        f"/evaluation/projects/{org.other_project_id}.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/evaluation/projects/{org.project_id}.xlsx").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_eval_sheet_pages_offer_their_xlsx_for_the_period_shown(app, client, login, org):
    """Beside Print, each sheet links its xlsx for the period on screen; the list of
    records behind a figure offers none."""
    login("qa")
    for page, xlsx in (
        (
            f"/evaluation/people/{org.patrol_id}?period=2026-10",
            f"/evaluation/people/{org.patrol_id}.xlsx?period=2026-10",
        ),
        (
            f"/evaluation/departments/{org.department_id}?period=2026-Q4",
            f"/evaluation/departments/{org.department_id}.xlsx?period=2026-Q4",
        ),
        (
            f"/evaluation/projects/{org.project_id}",
            f"/evaluation/projects/{org.project_id}.xlsx?period=2026-11",
        ),
    ):
        html = client.get(page).get_data(as_text=True)
        assert f'href="{xlsx}" download' in html, page
    evidence = client.get(f"/evaluation/evidence/person/{org.patrol_id}/slips_filed").get_data(
        as_text=True
    )
    assert "sheet-xlsx" not in evidence and ".xlsx" not in evidence


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/people/{org.patrol_id}.xlsx?period=2026-Q4",
        "/evaluation/departments/{org.department_id}.xlsx?period=2026-Q4",
        "/evaluation/projects/{org.project_id}.xlsx?period=2026-11",
    ],
)
def test_eval_sheet_xlsx_runs_the_same_statements_for_3_or_30_records(
    app, client, login, org, queries, path
):
    """A busy period's download costs no more statements than a quiet one's."""
    login("qa")
    url = path.format(org=org)
    counts = []
    for records in (3, 27):
        _add_slips(app, org, records)
        with queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
