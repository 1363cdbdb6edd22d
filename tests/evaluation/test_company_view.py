"""The GM's and VP's company view (EVAL): every project side by side, each measure worst
first with the worst five marked, as a page, a print and an xlsx."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

import tests.factories as f
from webapp.complaints.models import ComplaintCallback
from webapp.core.models import WorkItem
from webapp.evaluation.company import COMPANY_MEASURE_KEYS, company_view, display
from webapp.evaluation.rules import Period
from webapp.extensions import db
from webapp.org.models import Project

#: Saturday 28 November 2026, noon in Beijing
NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)
NOVEMBER = Period(date(2026, 11, 1))
#: 1 November 00:00 Beijing time
NOV_START = datetime(2026, 10, 31, 16, tzinfo=UTC)


@dataclass
class Spec:
    """What one hand-built project holds."""

    units: int = 10
    #: complaints received in November (each about no one in particular)
    complaints: int = 0
    #: (commitment done on time?) per November complaint; the rest are not yet taken
    #: into handling with their due moment still ahead
    commitments: list[bool] = field(default_factory=list)
    #: satisfaction levels of November call-backs
    callbacks: list[str] = field(default_factory=list)
    open_slip_items: int = 0
    overdue_slip_items: int = 0
    open_complaint_items: int = 0


def build(app, specs: dict[str, Spec]) -> dict:
    """One project per spec (named by its key) and the company's GM, VP, QA; a PM and a
    receptionist per project. Returns ids and usernames."""
    out: dict = {"projects": {}, "users": {}}
    with app.app_context():
        session = db.session
        company = f.make_company(session)
        for name, spec in specs.items():
            project = f.make_project(session, company, name=name)
            building = f.make_building(session, project)
            for _ in range(spec.units):
                f.make_unit(session, building)
            pm = f.make_user(session, roles=[("pm", project, None)])
            desk = f.make_user(session, roles=[("receptionist", project, None)])
            complaints = []
            for i in range(spec.complaints):
                received = NOV_START + timedelta(days=2, hours=i)
                due = received + timedelta(hours=2)
                values = {}
                if i < len(spec.commitments):
                    done = (
                        due - timedelta(minutes=5)
                        if spec.commitments[i]
                        else due + timedelta(hours=1)
                    )
                    values["commitment_done_at"] = done
                else:
                    # not yet taken into handling, due after now: pending
                    due = NOW + timedelta(days=1)
                complaints.append(
                    f.make_complaint(
                        session,
                        project,
                        desk,
                        received_at=received,
                        commitment_due_at=due,
                        **values,
                    )
                )
            # a complaint of October counts for none of November's figures
            f.make_complaint(session, project, desk, received_at=NOV_START - timedelta(minutes=1))
            for i, level in enumerate(spec.callbacks):
                session.add(
                    ComplaintCallback(
                        project_id=project.id,
                        complaint_id=complaints[i].id,
                        method="phone",
                        satisfaction=level,
                        called_by_id=desk.id,
                        called_at=NOV_START + timedelta(days=10, hours=i),
                    )
                )
            for entity_type, count, due_at in (
                ("slips", spec.open_slip_items, NOW + timedelta(hours=3)),
                ("slips", spec.overdue_slip_items, NOW - timedelta(hours=3)),
                ("complaints", spec.open_complaint_items, None),
            ):
                for i in range(count):
                    session.add(
                        WorkItem(
                            project_id=project.id,
                            kind="test",
                            title=f"{entity_type} {i}",
                            link="/",
                            entity_type=entity_type,
                            entity_id=i + 1,
                            assignee_role="receptionist",
                            due_at=due_at,
                        )
                    )
            # done items are not open
            session.add(
                WorkItem(
                    project_id=project.id,
                    kind="test",
                    title="done",
                    link="/",
                    entity_type="slips",
                    entity_id=99,
                    assignee_role="receptionist",
                    due_at=NOW - timedelta(days=1),
                    done_at=NOW - timedelta(days=2),
                )
            )
            out["projects"][name] = project.id
            out["users"][(name, "pm")] = pm.username
        for role in ("gm", "vp", "qa", "admin"):
            out["users"][role] = f.make_user(session, roles=[(role, None, None)]).username
        session.commit()
    return out


def _view(app, by=None):
    with app.app_context():
        projects = list(db.session.scalars(db.select(Project).order_by(Project.name)))
        return company_view(db.session, projects, NOVEMBER, NOW, by)


def test_eval_company_view_figures_per_project_match_the_records(app):
    """The GM sees, per project, open and overdue slip items now, complaints per 1,000
    units, the commitment on-time rate and the call-back satisfaction rate of November."""
    ids = build(
        app,
        {
            "东苑": Spec(
                units=8,
                complaints=3,
                commitments=[True, True, False],
                callbacks=["satisfied", "basically_satisfied", "dissatisfied"],
                open_slip_items=2,
                overdue_slip_items=1,
                open_complaint_items=1,
            ),
            "西苑": Spec(units=5, complaints=1, commitments=[], callbacks=["satisfied"]),
            "南苑": Spec(units=0, complaints=2, commitments=[False, False]),
        },
    )
    view = _view(app)
    east, west, south = (ids["projects"][name] for name in ("东苑", "西苑", "南苑"))

    def value(key, project_id):
        return view.column(key).values[project_id]

    # open counts every open item of the area, past due or not; done items are not open
    assert (value("open_slips", east), value("overdue_slips", east)) == (3, 1)
    assert (value("open_complaints", east), value("overdue_complaints", east)) == (1, 0)
    assert (value("open_slips", west), value("overdue_slips", west)) == (0, 0)
    # 3 complaints over 8 units; November only
    assert value("complaints_per_thousand", east) == Decimal("375.00")
    assert value("complaints_per_thousand", west) == Decimal("200.00")
    assert value("complaints_per_thousand", south) is None  # no units: nothing to count over
    assert value("commitment_rate", east) == pytest.approx(2 / 3)
    assert value("commitment_rate", west) is None  # its one commitment is still pending
    assert value("commitment_rate", south) == 0
    assert value("satisfaction_rate", east) == pytest.approx(2 / 3)
    assert value("satisfaction_rate", west) == 1
    assert value("satisfaction_rate", south) is None
    assert {row.id: row.units for row in view.projects} == {east: 8, west: 5, south: 0}
    assert (
        display(view.column("commitment_rate").measure, value("commitment_rate", east)) == "66.7%"
    )


def test_eval_company_view_lists_projects_worst_first_and_marks_the_worst_five(app):
    """On every measure the worst project comes first; the five worst are marked, never a
    project as good as the best, and projects without a figure come last unmarked."""
    complaints = {"A": 7, "B": 1, "C": 5, "D": 3, "E": 6, "F": 4, "G": 0, "H": 0}
    specs = {name: Spec(units=10, complaints=n) for name, n in complaints.items()}
    specs["Z"] = Spec(units=0, complaints=1)
    ids = build(app, specs)
    p = ids["projects"]
    column = _view(app).column("complaints_per_thousand")
    assert column.order == [p[n] for n in ("A", "E", "C", "F", "D", "B", "G", "H", "Z")]
    assert column.worst == {p[n] for n in ("A", "E", "C", "F", "D")}
    overdue = _view(app).column("overdue_slips")
    assert overdue.worst == frozenset()  # every project has none: no one is worst
    assert set(overdue.order) == set(p.values())


def test_eval_company_view_marks_only_projects_worse_than_the_best(app):
    """With two projects behind and the rest at the best figure, only those two are marked."""
    specs = {name: Spec(open_slip_items=0) for name in "ABCDEF"}
    specs["B"] = Spec(overdue_slip_items=2)
    specs["E"] = Spec(overdue_slip_items=1)
    p = build(app, specs)["projects"]
    column = _view(app).column("overdue_slips")
    assert column.order[:2] == [p["B"], p["E"]]
    assert column.worst == {p["B"], p["E"]}


@time_machine.travel(NOW, tick=False)
def test_eval_company_view_page_shows_each_figure_marked_and_ordered(app, client, login):
    """The company view page lists the projects worst first on the measure chosen, with
    the figures, the worst marked, a chart per measure and the print/xlsx controls."""
    ids = build(app, {"东苑": Spec(units=4, complaints=2), "西苑": Spec(units=10, complaints=1)})
    login(ids["users"]["gm"])
    response = client.get("/evaluation/company?period=2026-11&by=complaints_per_thousand")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="company-view"' in html
    east, west = ids["projects"]["东苑"], ids["projects"]["西苑"]
    assert html.index(f'id="project-{east}"') < html.index(f'id="project-{west}"')
    assert ">500.00<" in html and ">100.00<" in html
    # each name leads to the project's sheet, each figure to the records behind it
    assert f'href="/evaluation/projects/{east}?period=2026-11">东苑</a>' in html
    assert (
        f'href="/evaluation/evidence/project/{east}/complaints_per_thousand?period=2026-11">500.00</a>'
        in html
    )
    assert 'data-measure="complaints_per_thousand" data-worst' in html
    assert 'id="chart-complaints_per_thousand"' in html and 'class="bar-worst"' in html
    assert 'id="chart-overdue_slips"' in html
    assert "data-print" in html and "/evaluation/company.xlsx?period=2026-11" in html


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("role", ["gm", "vp", "qa"])
def test_eval_company_view_is_for_gm_vp_and_qa(app, client, login, role):
    """GM, VP and QA open the company view and its xlsx."""
    ids = build(app, {"东苑": Spec()})
    login(ids["users"][role])
    assert client.get("/evaluation/company").status_code == 200
    assert client.get("/evaluation/company.xlsx").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_eval_company_view_refuses_a_pm(app, client, login):
    """A PM reads their own project's sheets, not the company view (403)."""
    ids = build(app, {"东苑": Spec(), "西苑": Spec()})
    login(ids["users"][("东苑", "pm")])
    assert client.get("/evaluation/company").status_code == 403
    assert client.get("/evaluation/company.xlsx").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_eval_company_xlsx_holds_the_same_figures(app, client, login):
    """The xlsx has a row per project in the page's order with the same figures (rates as
    shares), and the worst five of each measure on a second sheet."""
    ids = build(
        app,
        {
            "东苑": Spec(units=4, complaints=2, commitments=[True, False], open_slip_items=1),
            "西苑": Spec(units=10, complaints=1, commitments=[True]),
        },
    )
    login(ids["users"]["qa"])
    response = client.get("/evaluation/company.xlsx?period=2026-11")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    # project, units, then the measures in the page's order
    column = {key: index for index, key in enumerate(COMPANY_MEASURE_KEYS, start=2)}
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert list(rows) == ["东苑", "西苑"]  # worst first on complaints per 1,000 units
    assert (rows["东苑"][1], rows["西苑"][1]) == (4, 10)
    assert rows["东苑"][column["complaints_per_thousand"]] == 500.0
    assert rows["西苑"][column["complaints_per_thousand"]] == 100.0
    assert (
        rows["东苑"][column["commitment_rate"]] == 0.5
        and rows["西苑"][column["commitment_rate"]] == 1.0
    )
    assert rows["东苑"][column["open_slips"]] == 1 and rows["西苑"][column["open_slips"]] == 0
    assert rows["西苑"][column["satisfaction_rate"]] is None
    assert sheet.cell(row=3, column=column["commitment_rate"] + 1).number_format == "0.0%"
    worst = book.worksheets[1]
    assert any(row[2] == "东苑" for row in worst.iter_rows(min_row=3, values_only=True))


@time_machine.travel(NOW, tick=False)
def test_eval_company_view_runs_as_many_statements_for_six_projects_as_for_two(
    app, client, login, queries
):
    """One statement per family for every project at once: the page costs the same for
    two projects as for six."""
    ids = build(
        app, {f"项目{i}": Spec(units=2, complaints=i % 3, open_slip_items=i % 2) for i in range(2)}
    )
    login(ids["users"]["gm"])
    client.get("/evaluation/company")  # warm
    with queries() as two:
        assert client.get("/evaluation/company").status_code == 200
    build(
        app,
        {f"项目{i}": Spec(units=2, complaints=i % 3, open_slip_items=i % 2) for i in range(2, 6)},
    )
    with queries() as six:
        assert client.get("/evaluation/company").status_code == 200
    assert len(six) == len(two)
    assert ">项目5<" in client.get("/evaluation/company").get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_eval_company_view_charts_the_sorted_measure_in_full_and_the_others_worst_five(
    app, client, login
):
    """With seven projects the chart of the measure the table is sorted by has all seven
    bars; every other measure's chart shows its worst five and a link to sort by it."""
    specs = {f"项目{i}": Spec(units=10, complaints=i + 1, open_slip_items=i + 1) for i in range(7)}
    ids = build(app, specs)
    login(ids["users"]["gm"])
    html = client.get("/evaluation/company?period=2026-11&by=complaints_per_thousand").get_data(as_text=True)

    def bars(key: str) -> int:
        start = html.index(f'id="chart-{key}"')
        return html[start : html.index("</figure>", start)].count("<rect ")

    assert bars("complaints_per_thousand") == 7
    assert bars("open_slips") == 5
    start = html.index('id="chart-open_slips"')
    caption = html[start : html.index("</figure>", start)]
    assert "/evaluation/company?period=2026-11&amp;by=open_slips" in caption
