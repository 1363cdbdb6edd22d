"""篇5 §4.5.2 paid services: the jobs each technician did, and each department's and
project's, with exactly the 家政服务汇总表's definitions (SVC-07): the jobs are
paid_services.reports.finished_jobs (work finished in the period, not cancelled; the
latest rating, the latest quality result, refusals) and a person's jobs are those they
were on when the work was done (reports.on_the_job). Like the summary, a team's job
counts in full (revenue too) for each member.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.web import yuan
from webapp.evaluation.facts import Evidence, Family, moment, register
from webapp.evaluation.rules import Kind
from webapp.paid_services.models import ServiceAssignment, ServiceOrder
from webapp.paid_services.reports import finished_jobs, on_the_job

COLUMNS = ("jobs", "revenue_fen", "rating_total", "rated", "qualified", "unqualified", "refusals")


def _paid_jobs(kind: Kind) -> sa.Select:
    jobs = finished_jobs(moment("start"), moment("end")).subquery("jobs")
    subject = {
        Kind.PERSON: ServiceAssignment.technician_id,
        Kind.DEPARTMENT: jobs.c.department_id,
        Kind.PROJECT: jobs.c.project_id,
    }[kind]
    statement = sa.select(
        subject.label("subject_id"),
        jobs.c.order_id.label("record_id"),
        jobs.c.finished_at.label("at"),
        sa.literal(1).label("jobs"),
        jobs.c.total_fen.label("revenue_fen"),
        sa.func.coalesce(jobs.c.satisfaction, 0).label("rating_total"),
        jobs.c.rated.label("rated"),
        jobs.c.qualified.label("qualified"),
        jobs.c.unqualified.label("unqualified"),
        jobs.c.refused.label("refusals"),
    ).select_from(jobs)
    if kind is Kind.PERSON:
        statement = statement.join(ServiceAssignment, on_the_job(jobs.c.order_id))
    return statement


def job_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    orders = {
        order.id: order
        for order in session.scalars(
            sa.select(ServiceOrder).where(ServiceOrder.id.in_(list(ids))).options(so.selectinload(ServiceOrder.lines))
        )
    }
    return [
        Evidence(
            record_id=order.id,
            number=order.number,
            title="、".join(line.item_name for line in order.lines)[:120],
            at=order.finished_at,
            endpoint="paid_services.detail",
            values={"order_id": order.id},
            note=yuan(order.total_fen),
        )
        for order in (orders.get(i) for i in ids)
        if order is not None
    ]


register(
    Family(
        key="paid_jobs",
        sop="篇5 §4.5.2",
        kinds=frozenset(Kind),
        columns=COLUMNS,
        build=_paid_jobs,
        records=job_evidence,
    )
)
