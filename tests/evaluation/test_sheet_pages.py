"""The evaluation sheets' pages (EVAL): a sheet per person, department and project for a
month or a quarter, every figure a link to the records behind it, a fixed number of
statements whatever the records."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine

import tests.factories as f
from tests.conftest import HX
from webapp.evaluation import sheet_views
from webapp.evaluation.rules import Period, parse_period
from webapp.evaluation.sheets import department_sheet, period_bounds, person_sheet, project_sheet
from webapp.extensions import db
from webapp.org.models import Department, Project, User

NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)
IN_NOV = datetime(2026, 11, 3, 2, tzinfo=UTC)
IN_OCT = datetime(2026, 10, 12, 2, tzinfo=UTC)


@pytest.fixture
def org(app):
    """One project: a security department with a supervisor and two staff, a PM and QA."""
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
        qa = f.make_user(session, "qa", roles=[("qa", None, None)])
        session.commit()
        return SimpleNamespace(
            project_id=project.id,
            department_id=security.id,
            patrol_id=patrol.id,
            colleague_id=colleague.id,
            supervisor_id=supervisor.id,
            pm_id=pm.id,
            qa_id=qa.id,
        )


def _file_slips(app, org, count: int, filed_at: datetime = IN_NOV, status: str = "filed") -> None:
    with app.app_context():
        session = db.session
        project = session.get(Project, org.project_id)
        patrol = session.get(User, org.patrol_id)
        for _ in range(count):
            f.make_slip(
                session,
                project,
                patrol,
                filer_department_id=org.department_id,
                filed_at=filed_at,
                status=status,
            )
        session.commit()


def _figure(html: str, key: str) -> tuple[str, str]:
    """(the evidence link, the text) of the first figure `key` on a page."""
    match = re.search(
        rf'<a class="figure-link" href="([^"]+)" data-figure="{key}">([^<]*)</a>', html
    )
    assert match, f"no figure {key}"
    return match[1].replace("&amp;", "&"), match[2]


def test_eval_period_bounds_are_local_midnights():
    """November in Shanghai starts at 16:00 UTC on 31 October and ends at 16:00 UTC on 30 November."""
    assert period_bounds(Period(datetime(2026, 11, 1).date())) == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 30, 16, tzinfo=UTC),
    )


@time_machine.travel(NOW, tick=False)
def test_eval_sheets_count_the_period_and_a_quarter_sums_its_months(app, org):
    """A quarter's sheet counts the slips of all its months; a month's only its own; the
    department's trend shows each month apart."""
    _file_slips(app, org, 2, IN_NOV, status="closed")
    _file_slips(app, org, 1, IN_OCT)
    with app.app_context():
        session = db.session
        patrol = session.get(User, org.patrol_id)
        november = parse_period("2026-11", NOW.date())
        quarter = parse_period("2026-Q4", NOW.date())
        sheet = person_sheet(session, patrol, november, NOW)
        assert sheet.value("slips_filed") == 2
        assert sheet.value("slips_filed_closed") == 2
        assert sheet.counts["slips_filed"] == {"filed": 2, "closed": 2, "open": 0, "withdrawn": 0}
        assert person_sheet(session, patrol, quarter, NOW).value("slips_filed") == 3
        assert [d.subject_id for d in sheet.departments] == [org.department_id]
        assert sheet.departments[0].value("slips_filed") == 2
        assert sheet.trend == []

        department = session.get(Department, org.department_id)
        by_quarter = department_sheet(session, department, quarter, NOW)
        assert by_quarter.value("slips_filed") == 3
        assert [m.period.key for m in by_quarter.trend][-3:] == ["2026-10", "2026-11", "2026-12"]
        assert [m.values["slips_filed"] for m in by_quarter.trend][-3:] == [1, 2, 0]
        assert len(by_quarter.trend) == 12
        assert (
            department_sheet(session, department, november, NOW, with_trend=False).value(
                "slips_filed"
            )
            == 2
        )

        project = session.get(Project, org.project_id)
        by_project = project_sheet(session, project, november, NOW)
        assert by_project.value("slips_filed") == 2
        assert by_project.trend[-1].period.key == "2026-11"
        # nothing to count over: a rate is None (the page shows "—"), never 0 %
        assert by_project.value("commitment_rate") is None


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/people/{org.patrol_id}?period=2026-11",
        "/evaluation/departments/{org.department_id}?period=2026-11",
        "/evaluation/projects/{org.project_id}?period=2026-Q4",
    ],
)
def test_eval_each_sheet_renders_with_every_figure_linked_to_its_records(
    app, client, login, org, path
):
    """The person, department and project sheets are whole pages; every figure is a link to
    its evidence, whose record count equals the figure."""
    _file_slips(app, org, 3)
    login("qa")
    response = client.get(path.format(org=org))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="evaluation-sheet"' in html
    url, text = _figure(html, "slips_filed")
    assert text == "3"
    evidence = client.get(url).get_data(as_text=True)
    assert re.search(r"data-records>3<", evidence)
    assert len(re.findall(r"<li data-record=", evidence)) == 3
    assert "/slips/" in evidence  # each record links to its page
    # every figure on the page is a link (no number without its evidence)
    numbers = re.findall(r'<td class="num">\s*<a class="figure-link"', html)
    cells = re.findall(r'<td class="num">\s*(?!<a)(\S)', html.split('id="sheet-trend"')[0])
    assert numbers and not cells


@time_machine.travel(NOW, tick=False)
def test_eval_a_zero_shows_as_0_and_links_to_an_empty_list(app, client, login, org):
    """Nothing filed: the figure reads 0, not blank, and its list says there is nothing."""
    login("patrol")
    html = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-11").get_data(as_text=True)
    url, text = _figure(html, "slips_filed")
    assert text == "0"
    evidence = client.get(url).get_data(as_text=True)
    assert re.search(r"data-records>0<", evidence)
    assert "<li data-record=" not in evidence
    _, rate = _figure(html, "commitment_rate")
    assert rate == "—"


@time_machine.travel(NOW, tick=False)
def test_eval_a_bad_period_falls_back_to_the_current_month(app, client, login, org):
    """Nonsense, a 13th month or a month not yet begun all show the current month."""
    _file_slips(app, org, 1)
    login("patrol")
    for text in ("nonsense", "2026-13", "2027-01", "2026-Q5"):
        html = client.get(f"/evaluation/people/{org.patrol_id}?period={text}").get_data(
            as_text=True
        )
        assert 'option value="2026-11" selected' in html, text
        assert _figure(html, "slips_filed")[1] == "1"


@time_machine.travel(NOW, tick=False)
def test_eval_the_period_picker_steps_back_and_forward_without_javascript(app, client, login, org):
    """Previous leads to October; from October, next leads back to November; the current
    month offers no next; the form is a plain GET form."""
    login("patrol")
    html = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-11").get_data(as_text=True)
    assert f'href="/evaluation/people/{org.patrol_id}?period=2026-10" rel="prev"' in html
    assert 'rel="next"' not in html
    assert 'method="get"' in html
    october = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-10").get_data(
        as_text=True
    )
    assert f'href="/evaluation/people/{org.patrol_id}?period=2026-11" rel="next"' in october


@time_machine.travel(NOW, tick=False)
def test_eval_htmx_gets_the_sheet_body_alone(app, client, login, org):
    """The period picker swaps the sheet's body: a fragment with its stable id, no page around it."""
    login("patrol")
    response = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-10", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="evaluation-sheet"')


@time_machine.travel(NOW, tick=False)
def test_eval_a_person_sheet_lists_their_departments_with_links_for_those_who_may_open_them(
    app, client, login, org
):
    """The patrol sees their department's slips but no link to its sheet; their supervisor gets the link."""
    _file_slips(app, org, 2)
    department_url = f'href="/evaluation/departments/{org.department_id}?period=2026-11"'
    login("patrol")
    html = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-11").get_data(as_text=True)
    assert f'id="sheet-department-{org.department_id}"' in html
    assert department_url not in html
    login("supervisor")
    html = client.get(f"/evaluation/people/{org.patrol_id}?period=2026-11").get_data(as_text=True)
    assert department_url in html


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/people/{org.patrol_id}?period=2026-Q4",
        "/evaluation/departments/{org.department_id}?period=2026-Q4",
        "/evaluation/projects/{org.project_id}?period=2026-Q4",
        "/evaluation/evidence/person/{org.patrol_id}/slips_filed?period=2026-11",
        "/evaluation/evidence/project/{org.project_id}/slips_filed?period=2026-11",
    ],
)
def test_eval_a_sheet_runs_the_same_statements_for_3_or_30_records(
    app, client, login, org, queries, path
):
    """A busy month costs no more statements than a quiet one."""
    login("qa")
    url = path.format(org=org)
    counts = []
    for records in (3, 27):
        _file_slips(app, org, records)
        with queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


@time_machine.travel(NOW, tick=False)
def test_eval_an_unknown_measure_or_kind_is_not_found(app, client, login, org):
    login("qa")
    assert client.get(f"/evaluation/evidence/person/{org.patrol_id}/nonsense").status_code == 404
    assert (
        client.get(f"/evaluation/evidence/company/{org.patrol_id}/slips_filed").status_code == 404
    )
    # a group measure is not on a person's sheet
    assert (
        client.get(f"/evaluation/evidence/person/{org.patrol_id}/slips_against").status_code == 404
    )


@time_machine.travel(NOW, tick=False)
def test_eval_group_sheets_link_their_rankings_when_the_ranking_exists(app, client, login, org):
    """A department's sheet leads to the ranking of its people, a project's to those of its
    departments and people, for the same period (only once the ranking page exists)."""
    login("qa")
    department = client.get(f"/evaluation/departments/{org.department_id}?period=2026-Q4").get_data(
        as_text=True
    )
    project = client.get(f"/evaluation/projects/{org.project_id}?period=2026-Q4").get_data(
        as_text=True
    )
    people_of_department = f"/evaluation/ranking?project={org.project_id}&amp;department={org.department_id}&amp;of=people&amp;period=2026-Q4"
    departments = (
        f"/evaluation/ranking?project={org.project_id}&amp;of=departments&amp;period=2026-Q4"
    )
    exists = "evaluation.ranking" in app.view_functions
    assert (people_of_department in department) is exists
    assert (departments in project) is exists
    assert "/evaluation/ranking" not in client.get(f"/evaluation/people/{org.patrol_id}").get_data(
        as_text=True
    )


@time_machine.travel(NOW, tick=False)
def test_eval_a_long_evidence_list_comes_a_page_at_a_time_with_the_full_count(
    app, client, login, org, monkeypatch
):
    """Behind a figure of 5 records with 2 to a page: each page says 5 records in all,
    numbers its rows on from the pages before, and the pages together list all five once."""
    monkeypatch.setattr(sheet_views, "EVIDENCE_PAGE_SIZE", 2)
    _file_slips(app, org, 5)
    login("qa")
    url = f"/evaluation/evidence/person/{org.patrol_id}/slips_filed?period=2026-11"
    seen = []
    for page, rows, start in ((1, 2, 1), (2, 2, 3), (3, 1, 5)):
        html = client.get(f"{url}&page={page}").get_data(as_text=True)
        assert re.search(r"data-records>5<", html)
        found = re.findall(r'<li data-record="(\d+)"', html)
        assert len(found) == rows
        assert f'start="{start}"' in html
        assert ("page=4" in html) is False and (f"page={page + 1}" in html) == (page < 3)
        seen += found
    assert len(set(seen)) == 5
    past = client.get(f"{url}&page=9").get_data(as_text=True)
    assert re.search(r"data-records>5<", past) and "<li data-record=" not in past
