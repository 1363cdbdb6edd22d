"""`flask demo`: the estate people try the app with (`make run` loads it)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine

from webapp.complaints.models import Complaint, ComplaintCallback
from webapp.core.clock import local_date, local_midnight
from webapp.core.models import RecordCounter, WorkItem
from webapp.demo import DEMO_PASSWORD
from webapp.estate.models import Facility, Owner, Unit
from webapp.evaluation.company import company_view
from webapp.evaluation.rules import Period
from webapp.evaluation.sheets import person_sheet
from webapp.extensions import db
from webapp.org.models import Company, Project, RoleAssignment, User
from webapp.org.rules import COMPANY_ROLES, DEPARTMENT_ROLES, PROJECT_ROLES
from webapp.paid_services.models import QualityCheck, ServiceOrder, ServiceSignature
from webapp.reception.models import PraiseCredit
from webapp.slips.models import RectificationRound, Slip

#: Wednesday 18 November 2026, 15:00 in Beijing: the demo's history runs from 1 September
HISTORY_NOW = datetime(2026, 11, 18, 7, tzinfo=UTC)
NOVEMBER, OCTOBER, SEPTEMBER = (
    Period(date(2026, 11, 1)),
    Period(date(2026, 10, 1)),
    Period(date(2026, 9, 1)),
)


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
    after_name = staff[staff.index("翠湖家政员") :]
    assert after_name[after_name.index("data-clearance=") :].startswith('data-clearance="cleared"')


# ---------------------------------------------------------------------------- the history (EVAL)


def _in_month(column, period: Period):
    return sa.and_(column >= local_midnight(period.first), column < local_midnight(period.end))


def _projects() -> dict[str, Project]:
    return {p.code: p for p in db.session.scalars(sa.select(Project))}


def test_eval_demo_has_three_months_of_varied_history_in_both_projects(app):
    """What a user notices: after `make run` the slips, complaints, paid jobs and praise
    lists have a few months of records, old ones closed and the latest still under way,
    nothing dated after today."""
    with time_machine.travel(HISTORY_NOW, tick=False):
        _run_demo(app)
    with app.app_context():
        for code, project in _projects().items():
            for period in (SEPTEMBER, OCTOBER):
                slips = _count(
                    sa.select(Slip.id).where(
                        Slip.project_id == project.id, _in_month(Slip.filed_at, period)
                    )
                )
                complaints = _count(
                    sa.select(Complaint.id).where(
                        Complaint.project_id == project.id, _in_month(Complaint.received_at, period)
                    )
                )
                jobs = _count(
                    sa.select(ServiceOrder.id).where(
                        ServiceOrder.project_id == project.id,
                        _in_month(ServiceOrder.finished_at, period),
                    )
                )
                assert 25 <= slips <= 45, (code, period, slips)
                assert 4 <= complaints <= 14, (code, period, complaints)
                assert 6 <= jobs <= 16, (code, period, jobs)
            in_project = Slip.project_id == project.id
            statuses = set(db.session.scalars(sa.select(Slip.status).where(in_project)))
            assert {"closed", "withdrawn", "rectifying"} <= statuses, (code, statuses)
            assert _count(sa.select(Slip.id).where(in_project, Slip.escalated_at.is_not(None))) >= 1
            verdicts = set(
                db.session.scalars(
                    sa.select(RectificationRound.verification).where(
                        RectificationRound.project_id == project.id
                    )
                )
            )
            assert {"pass", "fail"} <= verdicts
            classes = set(
                db.session.scalars(
                    sa.select(Complaint.complaint_class).where(Complaint.project_id == project.id)
                )
            )
            assert {"minor", "important", "invalid"} <= classes, (code, classes)
            levels = set(
                db.session.scalars(
                    sa.select(ComplaintCallback.satisfaction).where(
                        ComplaintCallback.project_id == project.id
                    )
                )
            )
            assert len(levels) >= 2
            assert _count(
                sa.select(ServiceSignature.id).where(
                    ServiceSignature.project_id == project.id, ServiceSignature.refused.is_(True)
                )
            )
            qualities = set(
                db.session.scalars(
                    sa.select(QualityCheck.result).where(QualityCheck.project_id == project.id)
                )
            )
            assert qualities == {"qualified", "unqualified"}
            assert (
                _count(sa.select(PraiseCredit.id).where(PraiseCredit.project_id == project.id)) >= 3
            )
            items = WorkItem.project_id == project.id
            assert (
                _count(sa.select(WorkItem.id).where(items, WorkItem.done_at > WorkItem.due_at)) >= 1
            )
            assert (
                _count(
                    sa.select(WorkItem.id).where(
                        items, WorkItem.done_at.is_(None), WorkItem.due_at < HISTORY_NOW
                    )
                )
                >= 1
            )
            assert _count(sa.select(WorkItem.id).where(items, WorkItem.assignee_role.is_not(None)))
            assert _count(sa.select(WorkItem.id).where(items, WorkItem.assignee_id.is_not(None)))
        for model, column in (
            (Slip, Slip.filed_at),
            (Complaint, Complaint.received_at),
            (ServiceOrder, ServiceOrder.finished_at),
            (ComplaintCallback, ComplaintCallback.called_at),
            (QualityCheck, QualityCheck.checked_at),
        ):
            latest = db.session.scalar(sa.select(sa.func.max(column)))
            assert latest <= HISTORY_NOW, model
        first_day = local_date(db.session.scalar(sa.select(sa.func.min(Slip.filed_at))))
        assert first_day >= SEPTEMBER.first


def test_eval_demo_history_numbers_continue_from_the_daily_counters(app):
    """What a user notices: the history's slips and complaints are numbered like real
    ones (CH-XD-20261103-0002), and the next slip filed today gets a number of its own."""
    with time_machine.travel(HISTORY_NOW, tick=False):
        _run_demo(app)
    with app.app_context():
        numbers = list(db.session.scalars(sa.select(Slip.number))) + list(
            db.session.scalars(sa.select(Complaint.number))
        )
        assert len(numbers) == len(set(numbers))
        pattern = re.compile(r"^(CH|JX)-(XD|TS)-(\d{8})-(\d{4})$")
        highest: dict[tuple, int] = {}
        for number in numbers:
            match = pattern.match(number)
            assert match, number
            key = (match[1], match[2], datetime.strptime(match[3], "%Y%m%d").date())
            highest[key] = max(highest.get(key, 0), int(match[4]))
        projects = {p.id: p.code for p in _projects().values()}
        counters = {
            (projects[row.project_id], row.series, row.day): row.last
            for row in db.session.scalars(
                sa.select(RecordCounter).where(RecordCounter.series.in_(["XD", "TS"]))
            )
        }
        assert counters == highest
        slip = db.session.scalar(sa.select(Slip).order_by(Slip.filed_at).limit(1))
        assert slip.number.split("-")[2] == f"{local_date(slip.filed_at):%Y%m%d}"


def test_eval_demo_history_is_made_once_even_on_a_later_day(app):
    """What a user notices: running the demo again next week adds nothing to the history."""
    with time_machine.travel(HISTORY_NOW, tick=False):
        _run_demo(app)
    with app.app_context():
        before = _row_counts()
    with time_machine.travel(HISTORY_NOW + timedelta(days=9), tick=False):
        _run_demo(app)
    with app.app_context():
        assert _row_counts() == before


def test_eval_demo_company_view_and_sheets_show_real_figures_for_this_and_last_month(
    app, client, login
):
    """What a user notices: as the GM the company view shows both projects with figures
    this month and last, 锦绣华庭 worse than 翠湖花园 on complaints and on-time rates; a
    patrol officer's sheet shows the slips they filed and the praise they earned."""
    with time_machine.travel(HISTORY_NOW, tick=False):
        _run_demo(app)
        with app.app_context():
            projects = _projects()
            ch, jx = projects["CH"].id, projects["JX"].id
            for period in (NOVEMBER, OCTOBER):
                view = company_view(db.session, list(projects.values()), period, HISTORY_NOW)
                values = {column.measure.key: column.values for column in view.columns}
                for key in (
                    "complaints_per_thousand",
                    "slips_on_time_rate",
                    "commitment_rate",
                    "resolution_rate",
                    "satisfaction_rate",
                    "paid_satisfaction",
                ):
                    assert values[key][ch] and values[key][jx], (period, key, values[key])
                assert values["complaints_per_thousand"][jx] > values["complaints_per_thousand"][ch]
                assert values["slips_on_time_rate"][jx] < values["slips_on_time_rate"][ch]
                assert values["resolution_rate"][jx] < values["resolution_rate"][ch]
                order = next(
                    c.order for c in view.columns if c.measure.key == "complaints_per_thousand"
                )
                assert order[0] == jx
            patrol = db.session.scalar(sa.select(User).where(User.username == "ch.patrol"))
            totals = {}
            for period in (NOVEMBER, OCTOBER):
                sheet = person_sheet(db.session, patrol, period, HISTORY_NOW)
                assert sheet.value("slips_filed") > 0, period
                totals[period] = sheet.value("slips_filed")
            praised = person_sheet(db.session, patrol, Period(date(2026, 9, 1)), HISTORY_NOW)
            patrol_id = patrol.id
        login("gm", password=DEMO_PASSWORD)
        for period in (NOVEMBER, OCTOBER):
            page = client.get(f"/evaluation/company?period={period.key}")
            assert page.status_code == 200
            assert "翠湖花园" in page.get_data(as_text=True) and "锦绣华庭" in page.get_data(
                as_text=True
            )
            sheet_page = client.get(f"/evaluation/people/{patrol_id}?period={period.key}")
            assert sheet_page.status_code == 200
    assert all(totals.values()) and praised.kind.value == "person"
