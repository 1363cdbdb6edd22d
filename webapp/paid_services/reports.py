"""家政服务汇总表 (SVC-07, §4.5.2): a month of paid services per technician and per item —
the basis of the staff's evaluation. SQL aggregation only: three queries whatever the
number of orders; no Flask here.

Definitions (one home for them; the page and the xlsx only show these figures):

* The month's jobs: the project's orders whose work finished (``finished_at``) in the
  local calendar month — the 1st 00:00 to the next month's 1st 00:00 Asia/Shanghai
  (rules.summary_bounds), UTC in the database — and that were not cancelled. Every figure
  below counts only these jobs. With a department chosen, only its orders.
* **jobs**: per technician, the month's jobs they were on when the work was done (taken
  off before: not theirs). A job done by a team counts once for each member; the totals
  count each job once, so the technicians' rows may add up to more than the totals.
  Per item: the jobs that included the item.
* **revenue** (fen): per technician and in the totals, the charge of the job (its items
  and extra materials, ``total_fen``), in full for each member of a team. Per item, the
  amounts of its lines; extra materials are a row of their own, so that the item table
  adds up to the month's revenue.
* **satisfaction**: the rating the owner gave at the latest signing (or refusal, when
  the owner rated); the average is over the jobs rated, to one decimal, half up.
* **quality**: the result of the supervisor's latest check (SVC-07): up to standard, not
  up to standard, or not checked yet.
* **refusals**: jobs whose owner refused to sign at least once, even if they signed later.

The staff evaluation (webapp.evaluation.families.services) counts the same jobs with the
same team through finished_jobs() and on_the_job().
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.org.models import User
from webapp.paid_services.models import (
    QualityCheck,
    ServiceAssignment,
    ServiceItem,
    ServiceOrder,
    ServiceOrderLine,
    ServiceSignature,
)
from webapp.paid_services.rules import QualityResult, ServiceStatus, summary_bounds

#: the measures of a row, in the order the page and the xlsx show them
MEASURES = ("jobs", "revenue_fen", "satisfaction", "qualified", "unqualified", "unchecked", "refusals")


@dataclass
class Row:
    """One technician's or one item's figures (key: the user's or the item's id)."""

    key: int | None
    name: str
    #: items: what the quantity counts (小时, 次…)
    unit: str | None = None
    jobs: int = 0
    revenue_fen: int = 0
    #: items: hundredths of the unit of charge
    quantity_centi: int = 0
    rating_total: int = 0
    rated: int = 0
    qualified: int = 0
    unqualified: int = 0
    refusals: int = 0

    @property
    def unchecked(self) -> int:
        return self.jobs - self.qualified - self.unqualified

    @property
    def satisfaction(self) -> Decimal | None:
        """The mean rating, one decimal, half up; None when nobody rated."""
        if not self.rated:
            return None
        return (Decimal(self.rating_total) / Decimal(self.rated)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def qualified_rate(self) -> float | None:
        checked = self.qualified + self.unqualified
        return self.qualified / checked if checked else None


@dataclass
class Summary:
    project_id: int
    department_id: int | None
    month_of: date
    start: datetime
    end: datetime
    now: datetime
    technicians: list[Row]
    items: list[Row]
    #: extra materials of the month's jobs (the item table's last row)
    materials_fen: int
    totals: Row

    @property
    def job_count(self) -> int:
        return self.totals.jobs


def finished_jobs(start, end) -> sa.Select:
    """The jobs whose work finished in [start, end) and that were not cancelled, one row
    per job (`start`, `end`: instants or bind parameters): the order and its project and
    department, when the work finished, its charge, the latest rating (None: not rated)
    with ``rated`` 1 when rated, the latest quality result with ``qualified`` and
    ``unqualified`` 0/1, and ``refused`` 1 when the owner ever refused to sign. Add
    conditions on ServiceOrder to narrow it (a project, a department)."""
    latest_signature = (
        sa.select(ServiceSignature.order_id, sa.func.max(ServiceSignature.id).label("id"))
        .group_by(ServiceSignature.order_id)
        .subquery()
    )
    refusals = (
        sa.select(ServiceSignature.order_id, sa.func.count(ServiceSignature.id).label("n"))
        .where(ServiceSignature.refused.is_(True))
        .group_by(ServiceSignature.order_id)
        .subquery()
    )
    latest_check = (
        sa.select(QualityCheck.order_id, sa.func.max(QualityCheck.id).label("id"))
        .group_by(QualityCheck.order_id)
        .subquery()
    )
    signature = so.aliased(ServiceSignature)
    check = so.aliased(QualityCheck)
    return (
        sa.select(
            ServiceOrder.id.label("order_id"),
            ServiceOrder.project_id.label("project_id"),
            ServiceOrder.department_id.label("department_id"),
            ServiceOrder.finished_at.label("finished_at"),
            ServiceOrder.total_fen.label("total_fen"),
            ServiceOrder.materials_fen.label("materials_fen"),
            signature.satisfaction.label("satisfaction"),
            sa.case((signature.satisfaction.is_not(None), 1), else_=0).label("rated"),
            check.result.label("quality"),
            sa.case((check.result == QualityResult.QUALIFIED.value, 1), else_=0).label("qualified"),
            sa.case((check.result == QualityResult.UNQUALIFIED.value, 1), else_=0).label("unqualified"),
            sa.case((refusals.c.n > 0, 1), else_=0).label("refused"),
        )
        .select_from(ServiceOrder)
        .outerjoin(latest_signature, latest_signature.c.order_id == ServiceOrder.id)
        .outerjoin(signature, signature.id == latest_signature.c.id)
        .outerjoin(refusals, refusals.c.order_id == ServiceOrder.id)
        .outerjoin(latest_check, latest_check.c.order_id == ServiceOrder.id)
        .outerjoin(check, check.id == latest_check.c.id)
        .where(
            ServiceOrder.finished_at.is_not(None),
            ServiceOrder.finished_at >= start,
            ServiceOrder.finished_at < end,
            ServiceOrder.status != ServiceStatus.CANCELLED.value,
        )
    )


def on_the_job(order_id) -> sa.ColumnElement[bool]:
    """The ServiceAssignment rows of the team on job `order_id` when the work was done:
    a technician taken off before is not on it."""
    return sa.and_(ServiceAssignment.order_id == order_id, ServiceAssignment.removed_at.is_(None))


def _month_jobs(project_id: int, start: datetime, end: datetime, department_id: int | None):
    """One row per job of the project's month (finished_jobs)."""
    query = finished_jobs(start, end).where(ServiceOrder.project_id == project_id)
    if department_id is not None:
        query = query.where(ServiceOrder.department_id == department_id)
    return query.subquery("month_jobs")


def _figures(jobs) -> list:
    """The aggregates every table shows, over the rows of `jobs` in a group."""
    return [
        sa.func.count(sa.distinct(jobs.c.order_id)),
        sa.func.coalesce(sa.func.sum(jobs.c.satisfaction), 0),
        sa.func.coalesce(sa.func.sum(jobs.c.rated), 0),
        sa.func.coalesce(sa.func.sum(jobs.c.qualified), 0),
        sa.func.coalesce(sa.func.sum(jobs.c.unqualified), 0),
        sa.func.coalesce(sa.func.sum(jobs.c.refused), 0),
    ]


def _fill(row: Row, jobs: int, rating_total, rated, qualified, unqualified, refusals) -> Row:
    row.jobs = int(jobs)
    row.rating_total = int(rating_total)
    row.rated = int(rated)
    row.qualified = int(qualified)
    row.unqualified = int(unqualified)
    row.refusals = int(refusals)
    return row


def monthly_summary(
    session: so.Session, project_id: int, month_of: date, now: datetime, department_id: int | None = None
) -> Summary:
    """家政服务汇总表 of one project's month (optionally one department's), in three queries."""
    start, end = summary_bounds(month_of)
    jobs = _month_jobs(project_id, start, end, department_id)

    # 1. the totals: each job once
    total_jobs, revenue, materials, *figures = session.execute(
        sa.select(
            sa.func.count(jobs.c.order_id),
            sa.func.coalesce(sa.func.sum(jobs.c.total_fen), 0),
            sa.func.coalesce(sa.func.sum(jobs.c.materials_fen), 0),
            *_figures(jobs)[1:],
        )
    ).one()
    totals = _fill(Row(key=None, name=""), total_jobs, *figures)
    totals.revenue_fen = int(revenue)

    # 2. per technician: the team on the job when it was done
    technicians = []
    by_technician = session.execute(
        sa.select(User.id, User.display_name, sa.func.coalesce(sa.func.sum(jobs.c.total_fen), 0), *_figures(jobs))
        .select_from(jobs)
        .join(ServiceAssignment, on_the_job(jobs.c.order_id))
        .join(User, User.id == ServiceAssignment.technician_id)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name, User.id)
    )
    for user_id, name, revenue_fen, count, *rest in by_technician:
        row = _fill(Row(key=user_id, name=name), count, *rest)
        row.revenue_fen = int(revenue_fen)
        technicians.append(row)

    # 3. per item: the lines of the month's jobs (an order lists each item once)
    items = []
    by_item = session.execute(
        sa.select(
            ServiceItem.id,
            ServiceItem.name,
            ServiceItem.unit_of_charge,
            sa.func.coalesce(sa.func.sum(ServiceOrderLine.amount_fen), 0),
            sa.func.coalesce(sa.func.sum(ServiceOrderLine.quantity_centi), 0),
            *_figures(jobs),
        )
        .select_from(jobs)
        .join(ServiceOrderLine, ServiceOrderLine.order_id == jobs.c.order_id)
        .join(ServiceItem, ServiceItem.id == ServiceOrderLine.item_id)
        .group_by(ServiceItem.id, ServiceItem.name, ServiceItem.unit_of_charge)
        .order_by(ServiceItem.name, ServiceItem.id)
    )
    for item_id, name, unit, amount_fen, quantity, count, *rest in by_item:
        row = _fill(Row(key=item_id, name=name, unit=unit), count, *rest)
        row.revenue_fen = int(amount_fen)
        row.quantity_centi = int(quantity)
        items.append(row)

    return Summary(
        project_id=project_id,
        department_id=department_id,
        month_of=month_of,
        start=start,
        end=end,
        now=now,
        technicians=technicians,
        items=items,
        materials_fen=int(materials),
        totals=totals,
    )
