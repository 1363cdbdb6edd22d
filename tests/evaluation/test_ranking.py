"""The ranking QA prints for the monthly meeting (EVAL): a project's departments, or the
people of a project or a department, ranked on one measure with every measure shown."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

import tests.factories as f
from webapp.evaluation.ranking import (
    department_people,
    project_departments,
    project_people,
    rankable_measures,
    ranking,
)
from webapp.evaluation.rules import Kind, Period
from webapp.extensions import db
from webapp.org.models import Project

NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)
NOVEMBER = Period(date(2026, 11, 1))
NOV_START = datetime(2026, 10, 31, 16, tzinfo=UTC)


def build(
    app, filed: dict[str, int], complaints: dict[str, int] | None = None, extra_departments: int = 0
) -> dict:
    """One project ("own") with a department per key of `filed`, its supervisor and one staff
    member who filed that many slips in November (and one in October); complaints
    against each department in November; another project with its own PM. Returns ids
    and usernames."""
    complaints = complaints or {}
    out: dict = {"departments": {}, "staff": {}, "users": {}}
    with app.app_context():
        session = db.session
        company = f.make_company(session)
        project = f.make_project(session, company, code="OWN", name="东苑")
        other = f.make_project(session, company, code="OTH", name="西苑")
        other_department = f.make_department(session, other, "security", "西苑安全部")
        desk = f.make_user(session, "own.desk", roles=[("receptionist", project, None)])
        for name in [*filed, *(f"部门{i}" for i in range(extra_departments))]:
            department = f.make_department(session, project, "maintenance", name)
            supervisor = f.make_user(
                session,
                f"sup.{name}",
                roles=[("dept_supervisor", project, department)],
                display_name=f"{name}主管",
            )
            staff = f.make_user(
                session,
                f"staff.{name}",
                roles=[("staff", project, department)],
                display_name=f"{name}员工",
            )
            for i in range(filed.get(name, 0)):
                f.make_slip(
                    session,
                    project,
                    staff,
                    filer_department_id=department.id,
                    filed_at=NOV_START + timedelta(days=1, hours=i),
                )
            f.make_slip(
                session,
                project,
                staff,
                filer_department_id=department.id,
                filed_at=NOV_START - timedelta(hours=1),
            )
            for i in range(complaints.get(name, 0)):
                f.make_complaint(
                    session,
                    project,
                    desk,
                    received_at=NOV_START + timedelta(days=3, hours=i),
                    complained_department_id=department.id,
                )
            out["departments"][name] = department.id
            out["staff"][name] = staff.id
            out["users"][("supervisor", name)] = supervisor.username
            out["users"][("staff", name)] = staff.username
        out["users"]["pm"] = f.make_user(session, "own.pm", roles=[("pm", project, None)]).username
        out["users"]["other.pm"] = f.make_user(
            session, "other.pm", roles=[("pm", other, None)]
        ).username
        for role in ("gm", "vp", "qa"):
            out["users"][role] = f.make_user(
                session, f"company.{role}", roles=[(role, None, None)]
            ).username
        out["project"], out["other"], out["other_department"] = (
            project.id,
            other.id,
            other_department.id,
        )
        out["desk"] = desk.id
        session.commit()
    return out


def test_eval_ranking_of_departments_ranks_on_the_measure_with_ties_sharing_a_rank(app):
    """Departments ranked on slips filed in November: the most first, equal figures share
    a rank and the next rank skips; every measure of a department's sheet is a column."""
    ids = build(app, {"维修部": 3, "保洁部": 5, "绿化部": 3, "安全部": 0})
    with app.app_context():
        subjects = project_departments(db.session, ids["project"])
        result = ranking(db.session, Kind.DEPARTMENT, subjects, NOVEMBER, NOW, "slips_filed")
    d = ids["departments"]
    assert [(e.subject.id, e.rank) for e in result.entries] == [
        (d["保洁部"], 1),
        (d["维修部"], 2),  # ties in the order of their names (维 before 绿)
        (d["绿化部"], 2),
        (d["安全部"], 4),
    ]
    assert [e.values["slips_filed"] for e in result.entries] == [5, 3, 3, 0]
    assert [m.key for m in result.measures] == [m.key for m in rankable_measures(Kind.DEPARTMENT)]
    assert (
        "slips_on_time_rate" in result.entries[0].values
        and "open_slips" in result.entries[0].values
    )


def test_eval_ranking_puts_the_fewest_complaints_first_and_those_without_a_figure_last(app):
    """On a measure where lower is better (complaints against) the fewest rank first; on a
    rate with nothing to count over there is no rank and the department comes last."""
    ids = build(app, {"维修部": 1, "保洁部": 0, "绿化部": 0}, complaints={"维修部": 2, "保洁部": 1})
    d = ids["departments"]
    with app.app_context():
        subjects = project_departments(db.session, ids["project"])
        by_complaints = ranking(db.session, Kind.DEPARTMENT, subjects, NOVEMBER, NOW, "complaints")
        by_rate = ranking(db.session, Kind.DEPARTMENT, subjects, NOVEMBER, NOW, "commitment_rate")
        default = ranking(db.session, Kind.DEPARTMENT, subjects, NOVEMBER, NOW, "no_such_measure")
    assert [(e.subject.id, e.rank, e.values["complaints"]) for e in by_complaints.entries] == [
        (d["绿化部"], 1, 0),
        (d["保洁部"], 2, 1),
        (d["维修部"], 3, 2),
    ]
    # the complaints were never taken into handling and are past due: late, 0 %; a
    # department without complaints has no rate, no rank, and comes last
    assert [(e.subject.id, e.rank, e.values["commitment_rate"]) for e in by_rate.entries] == [
        (d["保洁部"], 1, 0),
        (d["维修部"], 1, 0),
        (d["绿化部"], None, None),
    ]
    assert default.by.key == "slips_on_time_rate"


def test_eval_ranking_of_people_covers_a_department_or_the_whole_project(app):
    """People of one department are its members; people of the project everyone with a
    role in it; each ranked on the slips they filed."""
    ids = build(app, {"维修部": 2, "保洁部": 4})
    with app.app_context():
        in_department = department_people(db.session, ids["departments"]["维修部"])
        in_project = project_people(db.session, ids["project"])
        result = ranking(db.session, Kind.PERSON, in_project, NOVEMBER, NOW, None)
    assert {s.name for s in in_department} == {"维修部主管", "维修部员工"}
    assert {s.name for s in in_project} == {
        "维修部主管",
        "维修部员工",
        "保洁部主管",
        "保洁部员工",
        "own.desk",
        "own.pm",
    }
    assert result.by.key == "slips_filed"
    top = result.entries[:2]
    assert [(e.subject.id, e.rank, e.values["slips_filed"]) for e in top] == [
        (ids["staff"]["保洁部"], 1, 4),
        (ids["staff"]["维修部"], 2, 2),
    ]
    assert {e.rank for e in result.entries[2:]} == {3}


@time_machine.travel(NOW, tick=False)
def test_eval_ranking_page_prints_the_ranking_with_links_and_xlsx(app, client, login):
    """QA's printable ranking: rank, name, every measure, the chosen one highlighted, and
    an xlsx with the same ranks and figures."""
    ids = build(app, {"维修部": 3, "保洁部": 5})
    login(ids["users"]["qa"])
    url = (
        f"/evaluation/ranking?project={ids['project']}&of=departments&by=slips_filed&period=2026-11"
    )
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="ranking-table"' in html and "data-print" in html
    d = ids["departments"]
    assert html.index(f'id="subject-{d["保洁部"]}"') < html.index(f'id="subject-{d["维修部"]}"')
    assert 'class="num is-chosen" data-measure="slips_filed"' in html
    assert f'href="/evaluation/departments/{d["保洁部"]}?period=2026-11">保洁部</a>' in html
    assert (
        f'href="/evaluation/evidence/department/{d["保洁部"]}/slips_filed?period=2026-11">5</a>'
        in html
    )

    response = client.get(url.replace("/ranking?", "/ranking.xlsx?"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [row for row in sheet.iter_rows(min_row=3, values_only=True)]
    filed = 2 + [m.key for m in rankable_measures(Kind.DEPARTMENT)].index("slips_filed")
    assert [(row[0], row[1], row[filed]) for row in rows] == [(1, "保洁部", 5), (2, "维修部", 3)]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("who", "whom", "status"),
    [
        ("pm", "departments", 200),
        ("pm", "department", 200),
        ("qa", "departments", 200),
        ("gm", "people", 200),
        ("vp", "department", 200),
        ("supervisor", "department", 200),
        ("supervisor", "departments", 403),
        ("supervisor", "people", 403),
        ("staff", "department", 403),
        ("other.pm", "departments", 404),
        ("other.pm", "department", 404),
    ],
)
def test_eval_ranking_is_for_the_pm_the_departments_supervisor_and_the_company(
    app, client, login, who, whom, status
):
    """The project's PM and GM, VP, QA rank its departments and people; a department's
    supervisor only its people; another project's PM does not find it (404)."""
    ids = build(app, {"维修部": 1, "保洁部": 1})
    username = ids["users"].get(who) or ids["users"][(who, "维修部")]
    login(username)
    department = ids["departments"]["维修部"]
    url = {
        "departments": f"/evaluation/ranking?project={ids['project']}&of=departments",
        "people": f"/evaluation/ranking?project={ids['project']}&of=people",
        "department": f"/evaluation/ranking?department={department}",
    }[whom]
    assert client.get(url).status_code == status
    assert client.get(url.replace("/ranking?", "/ranking.xlsx?")).status_code == status


@time_machine.travel(NOW, tick=False)
def test_eval_ranking_runs_as_many_statements_for_six_departments_as_for_two(
    app, client, login, queries
):
    """One statement per family for all the departments at once."""
    ids = build(app, {"维修部": 1, "保洁部": 2})
    login(ids["users"]["pm"])
    url = f"/evaluation/ranking?project={ids['project']}&of=departments"
    client.get(url)  # warm
    with queries() as two:
        assert client.get(url).status_code == 200
    with app.app_context():
        project = db.session.get(Project, ids["project"])
        for i in range(4):
            department = f.make_department(db.session, project, "cleaning", f"新部门{i}")
            f.make_user(db.session, roles=[("staff", project, department)])
        db.session.commit()
    with queries() as six:
        response = client.get(url)
    assert response.status_code == 200 and "新部门3" in response.get_data(as_text=True)
    assert len(six) == len(two)
