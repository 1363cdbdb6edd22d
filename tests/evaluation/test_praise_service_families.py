"""The praise (篇3 §4.6) and paid-services (篇5 §4.5.2) facts of the evaluation sheets:
each figure per person, department and project from hand-built records, the records
behind them, and the month's edges in Beijing time (EVAL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.core import scoping
from webapp.evaluation import facts
from webapp.evaluation.rules import Kind
from webapp.paid_services.models import QualityCheck, ServiceAssignment, ServiceSignature
from webapp.reception.models import PraiseCredit

NOW = datetime(2026, 12, 2, 2, tzinfo=UTC)
#: local months as UTC instants: 1 Nov 00:00 Beijing is 31 Oct 16:00 UTC
OCT = (datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC))
NOV = (OCT[1], datetime(2026, 11, 30, 16, tzinfo=UTC))
DEC = (NOV[1], datetime(2026, 12, 31, 16, tzinfo=UTC))


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------------------- praise


@pytest.fixture
def praised(session):
    """Credits by hand: security guard 小王 (staff and supervisor of the security
    department: one department), receptionist 小李 (the customer-service centre by her
    project role), and a guard of another project.

    ======  ===================  =====================  ===========
    praise  credited (UTC)       staff                  month
    ======  ===================  =====================  ===========
    P1      3 Nov 02:00          小王, 小李              November
    P2      20 Nov 02:00         小王                   November
    P3      only verified        小王                   never
    P4      31 Oct 15:59         小王                   October
    P5      31 Oct 16:00         小李                   November (1 Nov 00:00 Beijing)
    P6      5 Nov 02:00          the other project's    November
    P7      8 Nov 02:00          小王, in the other      November
                                 project (no department
                                 of his there)
    ======  ===================  =====================  ===========
    """
    company = f.make_company(session)
    project = f.make_project(session, company)
    other_project = f.make_project(session, company)
    security = f.make_department(session, project, "security")
    service_centre = f.make_department(session, project, "customer_service")
    other_security = f.make_department(session, other_project, "security")
    wang = f.make_user(
        session, display_name="小王", roles=[("staff", project, security), ("dept_supervisor", project, security)]
    )
    li = f.make_user(session, display_name="小李", roles=[("receptionist", project, None)])
    zhao = f.make_user(session, display_name="小赵", roles=[("staff", other_project, other_security)])
    desk = f.make_user(session, roles=[("receptionist", project, None)])

    def praise(people, credited_at, *, in_project=project, words="保安小王半夜帮我把老人送回家"):
        entry = f.make_reception_entry(session, in_project, desk, content=words, received_at=utc(10, 1, 2))
        made = f.make_praise(
            session,
            entry,
            desk,
            status="credited" if credited_at else "verified",
            recorded_at=utc(10, 1, 3),
            verified_at=utc(10, 1, 4),
            credited_at=credited_at,
        )
        credits = [
            PraiseCredit(project_id=in_project.id, praise_id=made.id, user_id=person.id, credited_at=credited_at)
            for person in people
        ]
        session.add_all(credits)
        session.flush()
        return made, entry, credits

    p1, p1_entry, (p1_wang, p1_li) = praise([wang, li], utc(11, 3, 2))
    p2, _, (p2_wang,) = praise([wang], utc(11, 20, 2))
    praise([wang], None)
    _, _, (p4_wang,) = praise([wang], utc(10, 31, 15, 59))
    _, _, (p5_li,) = praise([li], utc(10, 31, 16))
    praise([zhao], utc(11, 5, 2), in_project=other_project)
    _, _, (p7_wang,) = praise([wang], utc(11, 8, 2), in_project=other_project)
    session.commit()
    return dict(
        project=project,
        other_project=other_project,
        security=security,
        service_centre=service_centre,
        wang=wang,
        li=li,
        zhao=zhao,
        p1=p1,
        p1_entry=p1_entry,
        p2=p2,
        nov_wang=[p1_wang.id, p7_wang.id, p2_wang.id],
        nov_li=[p5_li.id, p1_li.id],
        oct_wang=[p4_wang.id],
    )


def test_eval_praise_counts_each_credit_in_the_month_it_was_credited(session, praised):
    """A staff member's sheet shows the praises credited to them that month; a praise
    only verified, not yet credited, is not on anyone's sheet."""
    wang, li = praised["wang"], praised["li"]
    per_month = facts.buckets(session, "praise", Kind.PERSON, [wang.id, li.id], [OCT, NOV, DEC], NOW)
    assert per_month == {
        wang.id: [{"praises": 1}, {"praises": 3}, {"praises": 0}],
        li.id: [{"praises": 0}, {"praises": 2}, {"praises": 0}],
    }


def test_eval_praise_counts_once_per_department_of_the_staff_praised_and_per_project(session, praised):
    """A department's sheet counts its members' credits in its project — 小王 holds two
    grants in the security department and counts once, his praise in another project is
    not his department's; the receptionist's credits go to the customer-service centre —
    and a project's every credit of its own."""
    departments = facts.totals(
        session,
        "praise",
        Kind.DEPARTMENT,
        [praised["security"].id, praised["service_centre"].id],
        *NOV,
        NOW,
    )
    assert departments == {praised["security"].id: {"praises": 2}, praised["service_centre"].id: {"praises": 2}}
    projects = facts.totals(
        session, "praise", Kind.PROJECT, [praised["project"].id, praised["other_project"].id], *NOV, NOW
    )
    assert projects == {praised["project"].id: {"praises": 4}, praised["other_project"].id: {"praises": 2}}


def test_eval_praise_evidence_is_the_credits_with_the_entry_number_and_the_owners_words(session, praised, queries):
    """Behind 小王's 3 praises: the three credits, oldest first, each naming him and what the
    owner said, linking to the praise's page (two statements however many)."""
    wang = praised["wang"]
    wang_id = wang.id
    with queries() as statements:
        listed = facts.evidence(session, "praise", Kind.PERSON, wang_id, "praises", *NOV, NOW)
    assert len(statements) == 2
    assert [e.record_id for e in listed] == praised["nov_wang"]
    first = listed[0]
    assert first.number == praised["p1_entry"].number
    assert first.title == "小王: 保安小王半夜帮我把老人送回家"
    assert (first.endpoint, first.values) == ("reception.praise", {"praise_id": praised["p1"].id})
    assert first.at == utc(11, 3, 2)
    li = facts.evidence(session, "praise", Kind.PERSON, praised["li"].id, "praises", *NOV, NOW)
    assert [e.record_id for e in li] == praised["nov_li"]  # 1 Nov 00:00 Beijing first
    october = facts.evidence(session, "praise", Kind.PERSON, wang.id, "praises", *OCT, NOW)
    assert [e.record_id for e in october] == praised["oct_wang"]


def test_eval_praise_sees_only_the_projects_in_scope(app, session, praised):
    """A project manager's view of a department: credits of other projects are not there."""
    scoping.set_scope(frozenset({praised["other_project"].id}))
    try:
        projects = facts.totals(
            session, "praise", Kind.PROJECT, [praised["project"].id, praised["other_project"].id], *NOV, NOW
        )
    finally:
        scoping.set_scope(None)
    assert projects == {praised["other_project"].id: {"praises": 2}}


# ---------------------------------------------------------------------------- paid jobs

COLUMNS = ("jobs", "revenue_fen", "rating_total", "rated", "qualified", "unqualified", "refusals")


def counts(*values: int) -> dict[str, int]:
    return dict(zip(COLUMNS, values, strict=True))


@pytest.fixture
def jobs(session):
    """Orders by hand (items 保洁 ¥45/h in security, 疏通 ¥80 in maintenance):

    ====  ==================  ============  ===========  =====================  ================
    job   finished (UTC)      charge (fen)  team         owner                  quality (latest)
    ====  ==================  ============  ===========  =====================  ================
    J1    5 Nov 06:00         9 000         张, 李        refused, signed 4      up to standard
    J2    30 Nov 15:59        4 500         张 (李 off)   never signed           not (2nd check)
    J3    10 Nov 06:00        8 000         王            signed 2               not checked
    J4    6 Nov 06:00         9 000         张            (cancelled)            —
    J5    30 Nov 16:00        4 500         张            December               —
    J6    not finished        9 000         张            —                      —
    ====  ==================  ============  ===========  =====================  ================
    """
    company = f.make_company(session)
    project = f.make_project(session, company)
    security = f.make_department(session, project, "security")
    maintenance = f.make_department(session, project, "maintenance")
    supervisor = f.make_user(session, roles=[("dept_supervisor", project, security)])
    desk = f.make_user(session, roles=[("receptionist", project, None)])
    zhang = f.make_user(session, display_name="张师傅", roles=[("staff", project, security)])
    li = f.make_user(session, display_name="李师傅", roles=[("staff", project, security)])
    wang = f.make_user(session, display_name="王师傅", roles=[("staff", project, maintenance)])
    unit = f.make_unit(session, f.make_building(session, project))
    cleaning = f.make_service_item(session, project, security, supervisor, name="日常保洁", price_fen=4500)
    drains = f.make_service_item(session, project, maintenance, supervisor, name="疏通下水道", price_fen=8000)

    def order(item, quantity, team, finished, *, status="closed", removed=(), signings=(), checks=()):
        made = f.make_service_order(
            session,
            project,
            item,
            unit,
            desk,
            quantity_centi=quantity,
            registered_at=utc(10, 20, 1),
            status=status,
            finished_at=finished,
        )
        for person in [*team, *removed]:
            session.add(
                ServiceAssignment(
                    project_id=project.id,
                    order_id=made.id,
                    technician_id=person.id,
                    assigned_by_id=supervisor.id,
                    assigned_at=utc(10, 20, 2),
                    removed_at=utc(10, 20, 3) if person in removed else None,
                )
            )
        for n, (refused, rating) in enumerate(signings):
            session.add(
                ServiceSignature(
                    project_id=project.id,
                    order_id=made.id,
                    signed_at=finished + timedelta(minutes=n + 1),
                    content_hash="0" * 64,
                    signed_content="{}",
                    refused=refused,
                    satisfaction=rating,
                    recorded_by_id=team[0].id,
                )
            )
        for n, result in enumerate(checks):
            session.add(
                QualityCheck(
                    project_id=project.id,
                    order_id=made.id,
                    checked_by_id=supervisor.id,
                    result=result,
                    checked_at=finished + timedelta(hours=n + 1),
                )
            )
        session.flush()
        return made

    j1 = order(cleaning, 200, [zhang, li], utc(11, 5, 6), signings=[(True, None), (False, 4)], checks=["qualified"])
    j2 = order(cleaning, 100, [zhang], utc(11, 30, 15, 59), removed=[li], checks=["qualified", "unqualified"])
    j3 = order(drains, 100, [wang], utc(11, 10, 6), status="signed", signings=[(False, 2)])
    order(cleaning, 200, [zhang], utc(11, 6, 6), status="cancelled")
    j5 = order(cleaning, 100, [zhang], utc(11, 30, 16), checks=["qualified"])
    order(cleaning, 200, [zhang], None, status="in_progress")
    session.commit()
    return dict(
        project=project,
        security=security,
        maintenance=maintenance,
        zhang=zhang,
        li=li,
        wang=wang,
        j1=j1,
        j2=j2,
        j3=j3,
        j5=j5,
    )


def test_eval_paid_jobs_per_technician_count_the_team_on_the_job_when_done(session, jobs):
    """Each technician's sheet: the jobs they were on when the work was done (taken off
    before: not theirs), the charge in full for each member of a team, the latest rating
    and quality result, a refusal even when the owner signed later; cancelled and
    unfinished orders never count."""
    zhang, li, wang = jobs["zhang"], jobs["li"], jobs["wang"]
    totals = facts.totals(session, "paid_jobs", Kind.PERSON, [zhang.id, li.id, wang.id], *NOV, NOW)
    assert totals == {
        zhang.id: counts(2, 13500, 4, 1, 1, 1, 1),  # J1, J2
        li.id: counts(1, 9000, 4, 1, 1, 0, 1),  # J1
        wang.id: counts(1, 8000, 2, 1, 0, 0, 0),  # J3
    }


def test_eval_paid_jobs_per_department_and_project_count_each_job_once(session, jobs):
    """The order's department and its project count a team's job once."""
    departments = facts.totals(
        session, "paid_jobs", Kind.DEPARTMENT, [jobs["security"].id, jobs["maintenance"].id], *NOV, NOW
    )
    assert departments == {
        jobs["security"].id: counts(2, 13500, 4, 1, 1, 1, 1),
        jobs["maintenance"].id: counts(1, 8000, 2, 1, 0, 0, 0),
    }
    project = facts.totals(session, "paid_jobs", Kind.PROJECT, [jobs["project"].id], *NOV, NOW)
    assert project == {jobs["project"].id: counts(3, 21500, 6, 2, 1, 1, 1)}


def test_eval_paid_jobs_months_end_at_beijing_midnight(session, jobs):
    """A job finished at 23:59 on 30 November (Beijing) is November's, one at 00:00 on
    1 December is December's."""
    zhang = jobs["zhang"]
    per_month = facts.buckets(session, "paid_jobs", Kind.PERSON, [zhang.id], [OCT, NOV, DEC], NOW)
    assert per_month == {
        zhang.id: [counts(0, 0, 0, 0, 0, 0, 0), counts(2, 13500, 4, 1, 1, 1, 1), counts(1, 4500, 0, 0, 1, 0, 0)]
    }


def test_eval_paid_jobs_evidence_lists_the_orders_behind_each_figure(session, jobs, queries):
    """Behind 张's figures: his jobs oldest first with their numbers, items and charge,
    linking to the order; behind his refusals and ratings only the job the owner refused
    and rated; behind 李's jobs not the one he was taken off."""
    zhang = jobs["zhang"]
    zhang_id = zhang.id
    with queries() as statements:
        listed = facts.evidence(session, "paid_jobs", Kind.PERSON, zhang_id, "jobs", *NOV, NOW)
    assert len(statements) == 3  # the ids, the orders, their lines
    assert [e.record_id for e in listed] == [jobs["j1"].id, jobs["j2"].id]
    first = listed[0]
    assert (first.number, first.title, first.note) == (jobs["j1"].number, "日常保洁", "¥90.00")
    assert (first.endpoint, first.values) == ("paid_services.detail", {"order_id": jobs["j1"].id})
    assert first.at == utc(11, 5, 6)
    for column, expected in (
        ("refusals", [jobs["j1"].id]),
        ("rated", [jobs["j1"].id]),
        ("unqualified", [jobs["j2"].id]),
        ("qualified", [jobs["j1"].id]),
    ):
        listed = facts.evidence(session, "paid_jobs", Kind.PERSON, zhang.id, column, *NOV, NOW)
        assert [e.record_id for e in listed] == expected, column
    li = facts.evidence(session, "paid_jobs", Kind.PERSON, jobs["li"].id, "jobs", *NOV, NOW)
    assert [e.record_id for e in li] == [jobs["j1"].id]
    december = facts.evidence(session, "paid_jobs", Kind.PERSON, zhang.id, "jobs", *DEC, NOW)
    assert [e.record_id for e in december] == [jobs["j5"].id]
