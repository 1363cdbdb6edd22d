"""SVC-07 家政服务汇总表 against a real database (SQLite, and PostgreSQL when configured): a
month of jobs per technician and per item, every figure checked against values worked
out by hand below, the month's edges in Beijing time, and a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.core import scoping
from webapp.core.clock import LOCAL_TZ
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services.models import (
    QualityCheck,
    ServiceAssignment,
    ServiceOrderLine,
    ServiceSignature,
)
from webapp.paid_services.reports import Row, monthly_summary

NOVEMBER = date(2026, 11, 1)
#: 2 December 2026, 10:00 in Shanghai: November is over
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


@dataclass
class Month:
    """Ids of what `arrange_month` made."""

    project_id: int
    security_id: int
    maintenance_id: int
    technicians: dict[str, int]
    items: dict[str, int]


def arrange_month(session, world) -> Month:
    """November 2026 in the own project, by hand:

    ====  ============================  ===========  =========  ============================  ===========
    job   lines (fen)                   materials    team       owner                         quality
    ====  ============================  ===========  =========  ============================  ===========
    O1    保洁 2 h × 4 500 = 9 000       500          张         signed, 5                     up to std.
    O2    保洁 1.5 h = 6 750,            0            张, 李     refused, then signed, 3       not up
          玻璃 10 m² × 1 250 = 12 500
    O3    玻璃 4 m² = 5 000              0            李 (张     refused, rated 2              not checked
                                                      taken off)
    O4    疏通 1 × 8 000 (maintenance)   0            王         signed, 4                     up to std.
    ====  ============================  ===========  =========  ============================  ===========

    O1 finished 1 Nov 00:05 Beijing time (still 31 Oct in UTC). Left out: a job finished
    31 Oct 23:30 and one finished 1 Dec 00:10 (Beijing), a cancelled and an unfinished
    order, and a November job of the other project.
    """
    project = session.get(Project, world.own.id)
    security = session.get(Department, world.own.department_id)
    maintenance = factories.make_department(session, project, "maintenance", "own维修部")
    supervisor = session.scalar(sa.select(User).where(User.username == world.users[("dept_supervisor", "own")]))
    desk = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
    unit_of = {project.id: world.own.unit_id}

    def technician(username, name, department, in_project=project):
        return factories.make_user(session, username, roles=[("staff", in_project, department)], display_name=name)

    zhang = technician("own.zhang", "张师傅", security)
    li = technician("own.li", "李师傅", security)
    wang = technician("own.wang", "王师傅", maintenance)

    def item(name, unit, price_fen, department, in_project=project):
        return factories.make_service_item(session, in_project, department, supervisor, name=name,
                                           unit_of_charge=unit, price_fen=price_fen,
                                           effective_from=local(10, 1, 8))

    cleaning = item("日常保洁", "小时", 4500, security)
    windows = item("擦玻璃", "平方米", 1250, security)
    drains = item("疏通下水道", "次", 8000, maintenance)

    from webapp.estate.models import Unit

    def order(lines, team, finished, *, materials=0, signings=(), quality=None, status=None, removed=(),
              in_project=project):
        first, *more = lines
        unit = session.get(Unit, unit_of[in_project.id])
        made = factories.make_service_order(
            session, in_project, first[0], unit, desk, quantity_centi=first[1],
            registered_at=local(10, 20, 9), appointment_at=local(10, 21, 9),
            status=status or ("closed" if quality else "signed"),
            started_at=finished - timedelta(hours=2) if finished else None, finished_at=finished,
        )
        for extra, quantity in more:
            price = extra.prices[-1]
            amount = (price.price_fen * quantity + 50) // 100
            made.lines.append(ServiceOrderLine(
                project_id=in_project.id, order_id=made.id, item_id=extra.id, price_id=price.id,
                item_name=extra.name, unit_of_charge=extra.unit_of_charge, price_fen=price.price_fen,
                quantity_centi=quantity, amount_fen=amount,
            ))
        made.lines_fen = sum(line.amount_fen for line in made.lines)
        made.materials_fen = materials
        made.total_fen = made.lines_fen + materials
        for person in [*team, *removed]:
            session.add(ServiceAssignment(
                project_id=in_project.id, order_id=made.id, technician_id=person.id, assigned_by_id=supervisor.id,
                assigned_at=local(10, 20, 10), removed_at=local(10, 20, 11) if person in removed else None,
            ))
        for n, (refused, rating) in enumerate(signings):
            session.add(ServiceSignature(
                project_id=in_project.id, order_id=made.id, signer_name="业主", signed_at=finished + timedelta(minutes=n + 1),
                content_hash="0" * 64, signed_content="{}", refused=refused,
                refusal_reason="不满意" if refused else None, satisfaction=rating, recorded_by_id=team[0].id,
            ))
        if quality:
            session.add(QualityCheck(project_id=in_project.id, order_id=made.id, checked_by_id=supervisor.id,
                                     result=quality, checked_at=finished + timedelta(hours=3)))
        session.flush()
        return made

    order([(cleaning, 200)], [zhang], local(11, 1, 0, 5), materials=500, signings=[(False, 5)], quality="qualified")
    order([(cleaning, 150), (windows, 1000)], [zhang, li], local(11, 12, 15),
          signings=[(True, None), (False, 3)], quality="unqualified")
    order([(windows, 400)], [li], local(11, 20, 16), signings=[(True, 2)], status="signature_refused",
          removed=[zhang])
    order([(drains, 100)], [wang], local(11, 30, 23, 50), signings=[(False, 4)], quality="qualified")
    # left out
    order([(cleaning, 100)], [zhang], local(10, 31, 23, 30), signings=[(False, 1)], quality="qualified")
    order([(cleaning, 100)], [zhang], local(12, 1, 0, 10), signings=[(False, 1)], quality="qualified")
    order([(cleaning, 100)], [zhang], None, status="cancelled")
    order([(cleaning, 100)], [zhang], None, status="in_progress")
    other = session.get(Project, world.other.id)
    other_department = session.get(Department, world.other.department_id)
    unit_of[other.id] = world.other.unit_id
    stranger = technician("other.zhao", "赵师傅", other_department, other)
    other_item = item("其他项目保洁", "小时", 4500, other_department, other)
    order([(other_item, 100)], [stranger], local(11, 15, 10), signings=[(False, 1)], quality="qualified",
          in_project=other)
    session.commit()
    return Month(
        project_id=project.id,
        security_id=security.id,
        maintenance_id=maintenance.id,
        technicians={"张师傅": zhang.id, "李师傅": li.id, "王师傅": wang.id},
        items={"日常保洁": cleaning.id, "擦玻璃": windows.id, "疏通下水道": drains.id},
    )


def figures(row: Row) -> tuple:
    return (row.jobs, row.revenue_fen, row.satisfaction, row.qualified, row.unqualified, row.unchecked, row.refusals)


@pytest.fixture
def month(app, world):
    with app.app_context(), scoping.unrestricted():
        return arrange_month(db.session, world)


def test_svc07_the_month_per_technician_per_item_and_in_total(app, month, queries):
    with app.app_context(), scoping.unrestricted():
        with queries() as statements:
            summary = monthly_summary(db.session, month.project_id, NOVEMBER, NOW)
    assert len(statements) == 3  # however many jobs

    assert figures(summary.totals) == (4, 41750, Decimal("3.5"), 2, 1, 1, 2)
    assert summary.materials_fen == 500
    assert summary.job_count == 4

    technicians = {row.name: figures(row) for row in summary.technicians}
    assert technicians == {
        "张师傅": (2, 28750, Decimal("4.0"), 1, 1, 0, 1),  # O1, O2 (taken off O3)
        "李师傅": (2, 24250, Decimal("2.5"), 0, 1, 1, 2),  # O2, O3
        "王师傅": (1, 8000, Decimal("4.0"), 1, 0, 0, 0),  # O4
    }
    assert {row.key for row in summary.technicians} == set(month.technicians.values())

    items = {row.name: (*figures(row), row.quantity_centi, row.unit) for row in summary.items}
    assert items == {
        "日常保洁": (2, 15750, Decimal("4.0"), 1, 1, 0, 1, 350, "小时"),
        "擦玻璃": (2, 17500, Decimal("2.5"), 0, 1, 1, 2, 1400, "平方米"),
        "疏通下水道": (1, 8000, Decimal("4.0"), 1, 0, 0, 0, 100, "次"),
    }
    # the item table adds up to the month's revenue with the materials row
    assert sum(row.revenue_fen for row in summary.items) + summary.materials_fen == summary.totals.revenue_fen


def test_svc07_one_department_only(app, month):
    with app.app_context(), scoping.unrestricted():
        summary = monthly_summary(db.session, month.project_id, NOVEMBER, NOW, department_id=month.security_id)
    assert figures(summary.totals) == (3, 33750, Decimal("3.3"), 1, 1, 1, 2)  # 10 / 3 = 3.33…
    assert {row.name for row in summary.technicians} == {"张师傅", "李师傅"}
    assert {row.name for row in summary.items} == {"日常保洁", "擦玻璃"}


def test_svc07_the_months_edges_are_beijing_midnights(app, month):
    with app.app_context(), scoping.unrestricted():
        october = monthly_summary(db.session, month.project_id, date(2026, 10, 1), NOW)
        december = monthly_summary(db.session, month.project_id, date(2026, 12, 1), NOW)
    assert figures(october.totals)[:2] == (1, 4500)  # 31 Oct 23:30
    assert figures(december.totals)[:2] == (1, 4500)  # 1 Dec 00:10
    assert [row.name for row in october.technicians] == ["张师傅"]


def test_svc07_an_empty_month_is_all_zeros(app, month):
    with app.app_context(), scoping.unrestricted():
        summary = monthly_summary(db.session, month.project_id, date(2026, 6, 1), NOW)
    assert figures(summary.totals) == (0, 0, None, 0, 0, 0, 0)
    assert summary.technicians == [] and summary.items == [] and summary.materials_fen == 0


def test_svc07_average_satisfaction_rounds_half_up_to_one_decimal():
    assert Row(key=1, name="x", jobs=4, rating_total=9, rated=4).satisfaction == Decimal("2.3")  # 2.25
    assert Row(key=1, name="x", jobs=3, rating_total=14, rated=3).satisfaction == Decimal("4.7")  # 4.67
    assert Row(key=1, name="x", jobs=2).satisfaction is None
