"""The evaluation sheets and the SOP reports agree on the same records (EVAL): the paid
jobs of a technician, a department and a project are the 家政服务汇总表's rows (SVC-07),
and a person's praises are reception.registers.praise_credits (RCP-04)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.integration.test_paid_service_summary import NOVEMBER, NOW, arrange_month
from webapp.core import scoping
from webapp.evaluation import facts
from webapp.evaluation.catalogue import MEASURES
from webapp.evaluation.rules import Kind
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.paid_services.reports import Row, monthly_summary
from webapp.paid_services.rules import summary_bounds
from webapp.reception import registers

MONTHS = (date(2026, 10, 1), NOVEMBER, date(2026, 12, 1))


def as_counts(row: Row) -> dict[str, int]:
    """A summary row in the paid_jobs family's columns."""
    return {
        "jobs": row.jobs,
        "revenue_fen": row.revenue_fen,
        "rating_total": row.rating_total,
        "rated": row.rated,
        "qualified": row.qualified,
        "unqualified": row.unqualified,
        "refusals": row.refusals,
    }


@pytest.fixture
def month(app, world):
    with app.app_context(), scoping.unrestricted():
        return arrange_month(db.session, world)


@pytest.mark.parametrize("month_of", MONTHS, ids=["october", "november", "december"])
def test_eval_paid_jobs_agree_with_the_monthly_summary_per_technician_and_in_total(app, month, month_of, queries):
    """A technician's sheet shows the figures of their row of 家政服务汇总表, and the
    project's sheet the summary's totals, with the same average satisfaction and
    up-to-standard rate (one statement each)."""
    start, end = summary_bounds(month_of)
    with app.app_context(), scoping.unrestricted():
        summary = monthly_summary(db.session, month.project_id, month_of, NOW)
        technicians = list(month.technicians.values())
        with queries() as statements:
            people = facts.totals(db.session, "paid_jobs", Kind.PERSON, technicians, start, end, NOW)
            projects = facts.totals(db.session, "paid_jobs", Kind.PROJECT, [month.project_id], start, end, NOW)
    assert len(statements) == 2
    assert people == {row.key: as_counts(row) for row in summary.technicians}
    assert summary.technicians  # every month here has jobs
    for row in summary.technicians:
        assert MEASURES["paid_satisfaction"].value(people[row.key]) == row.satisfaction
        assert MEASURES["paid_quality_rate"].value(people[row.key]) == row.qualified_rate
    assert projects == {month.project_id: as_counts(summary.totals)}
    assert MEASURES["paid_satisfaction"].value(projects[month.project_id]) == summary.totals.satisfaction


def test_eval_paid_jobs_agree_with_the_monthly_summary_of_each_department(app, month):
    """A department's sheet shows the totals of 家政服务汇总表 for that department."""
    start, end = summary_bounds(NOVEMBER)
    with app.app_context(), scoping.unrestricted():
        departments = [month.security_id, month.maintenance_id]
        sheets = facts.totals(db.session, "paid_jobs", Kind.DEPARTMENT, departments, start, end, NOW)
        for department_id in departments:
            summary = monthly_summary(db.session, month.project_id, NOVEMBER, NOW, department_id=department_id)
            assert summary.job_count > 0
            assert sheets[department_id] == as_counts(summary.totals), department_id


@pytest.fixture
def credited(app, world):
    """Praises recorded, verified and credited the way the desk and the PM do it: the
    staff member on three (one of them October's), the supervisor on one, a praise
    verified but not credited yet, and one of another project."""
    november = summary_bounds(NOVEMBER)[0] + timedelta(days=2)
    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        staff, supervisor = user("staff"), user("dept_supervisor")

        def praise(people, credited_at, where="own"):
            project = session.get(Project, world.projects[where].id)
            entry = factories.make_reception_entry(session, project, user("receptionist", where), received_at=november)
            made = registers.start_praise(session, user("receptionist", where), entry, "小王", november)
            registers.verify_praise(
                session, user("pm", where), made, True, [p.id for p in people], "查看排班表", november
            )
            if credited_at is not None:
                registers.credit_praise(session, user("pm", where), made, credited_at)

        praise([staff, supervisor], november + timedelta(days=1))
        praise([staff], november + timedelta(days=20))
        praise([staff], november - timedelta(days=3))
        praise([supervisor], None)
        praise([user("staff", "other")], november + timedelta(days=4), "other")
        session.commit()
        return [staff.id, supervisor.id, user("staff", "other").id, user("pm").id]


@pytest.mark.parametrize("month_of", MONTHS, ids=["october", "november", "december"])
def test_eval_praise_agrees_with_the_registers_praise_credits(app, credited, month_of):
    """A person's praises on their sheet are the credits the reception register counts."""
    start, end = summary_bounds(month_of)
    with app.app_context(), scoping.unrestricted():
        register = registers.praise_credits(db.session, credited, start, end)
        sheets = facts.totals(db.session, "praise", Kind.PERSON, credited, start, end, NOW)
    assert {user_id: counts["praises"] for user_id, counts in sheets.items()} == register
    if month_of == NOVEMBER:
        assert sorted(register.values()) == [1, 1, 2]
