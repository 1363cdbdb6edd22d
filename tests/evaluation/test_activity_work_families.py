"""The community-activity (篇1 §4.6.2), My-work (APP-03) and estate facts of the
evaluation sheets and the company view: each figure per person, department and project
from hand-built records, the records behind them, and the periods' edges (EVAL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.activities.models import ActivityRosterEntry
from webapp.core import scoping
from webapp.core.models import WorkItem
from webapp.evaluation import facts
from webapp.evaluation.catalogue import SOP_AREAS
from webapp.evaluation.rules import Kind

NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)  # 12:00 in Beijing
OCT = (datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC))
NOV = (OCT[1], datetime(2026, 11, 30, 16, tzinfo=UTC))
#: an activity's day is a local date: a dated family's bounds are dates
OCT_DAYS = (date(2026, 10, 1), date(2026, 11, 1))
NOV_DAYS = (date(2026, 11, 1), date(2026, 12, 1))
DEC_DAYS = (date(2026, 12, 1), date(2027, 1, 1))


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------------------- activities

ACTIVITY_COLUMNS = ("activities", "summarised", "attendance")


def acts(*values: int) -> dict[str, int]:
    return dict(zip(ACTIVITY_COLUMNS, values, strict=True))


@pytest.fixture
def activities(session):
    """Activities by hand: publicist 小陈 and CS supervisor 周主管 (the customer-service
    centre by their project roles), guard 小王 (security).

    ====  ==========  ===========  ===================  ==========  ===================
    act   day         status       roster               attendance  summary written by
    ====  ==========  ===========  ===================  ==========  ===================
    A1    7 Nov       held         小陈, 小王 (twice)    120         —
    A2    21 Nov      summarised   小陈                 80          周主管
    A3    14 Nov      cancelled    小王                 —           —
    A4    28 Nov      scheduled    小陈                 —           —
    A5    31 Oct      held         小陈                 —           —
    A6    1 Dec       summarised   —                    50          周主管
    ====  ==========  ===========  ===================  ==========  ===================
    """
    company = f.make_company(session)
    project = f.make_project(session, company)
    service_centre = f.make_department(session, project, "customer_service")
    security = f.make_department(session, project, "security")
    chen = f.make_user(session, display_name="小陈", roles=[("publicist", project, None)])
    zhou = f.make_user(session, display_name="周主管", roles=[("cs_supervisor", project, None)])
    wang = f.make_user(session, display_name="小王", roles=[("staff", project, security)])
    plan = f.make_activity_plan(session, project, zhou, year=2026, status="approved")

    def activity(day, status, roster, *, name, attendance=None, writer=None, went_well=None, shortcomings=None):
        made = f.make_activity(
            session,
            plan,
            name=name,
            day=day,
            status=status,
            attendance=attendance,
            summarised_by_id=writer.id if writer else None,
            summarised_at=utc(day.month, day.day, 14) if writer else None,
            went_well=went_well,
            shortcomings=shortcomings,
        )
        for n, person in enumerate(roster):
            session.add(
                ActivityRosterEntry(
                    project_id=project.id,
                    activity_id=made.id,
                    user_id=person.id,
                    role="steward" if n else "host",
                    shift_start=utc(day.month, day.day, 10),
                    shift_end=utc(day.month, day.day, 13),
                )
            )
        session.flush()
        return made

    a1 = activity(date(2026, 11, 7), "held", [chen, wang, wang], name="重阳敬老茶话会", attendance=120)
    a2 = activity(
        date(2026, 11, 21),
        "summarised",
        [chen],
        name="亲子运动会",
        attendance=80,
        writer=zhou,
        went_well="亲子互动热烈,报名踊跃",
        shortcomings="音响准备不足,开场推迟十分钟",
    )
    activity(date(2026, 11, 14), "cancelled", [wang], name="广场电影")
    activity(date(2026, 11, 28), "scheduled", [chen], name="插花沙龙")
    a5 = activity(date(2026, 10, 31), "held", [chen], name="万圣节游园")
    a6 = activity(date(2026, 12, 1), "summarised", [], name="冬至包饺子", attendance=50, writer=zhou)
    session.commit()
    return dict(
        project=project,
        service_centre=service_centre,
        security=security,
        chen=chen,
        zhou=zhou,
        wang=wang,
        a1=a1,
        a2=a2,
        a5=a5,
        a6=a6,
    )


def test_eval_activities_count_those_held_for_the_roster_and_the_summary_writer(session, activities):
    """A person's sheet counts the activities held that month that they were on the roster
    of or wrote the summary of — once each, even on the roster twice; cancelled and
    merely planned activities do not count."""
    chen, zhou, wang = activities["chen"], activities["zhou"], activities["wang"]
    per_month = facts.buckets(
        session, "activities", Kind.PERSON, [chen.id, zhou.id, wang.id], [OCT_DAYS, NOV_DAYS, DEC_DAYS], NOW
    )
    assert per_month == {
        chen.id: [acts(1, 0, 0), acts(2, 1, 200), acts(0, 0, 0)],  # A5 | A1, A2
        zhou.id: [acts(0, 0, 0), acts(1, 1, 80), acts(1, 1, 50)],  # A2 | A6
        wang.id: [acts(0, 0, 0), acts(1, 0, 120), acts(0, 0, 0)],  # A1
    }


def test_eval_activities_count_once_per_department_and_project(session, activities):
    """Two people of the customer-service centre at one activity: the centre counts it
    once; the project counts every activity held."""
    departments = facts.totals(
        session,
        "activities",
        Kind.DEPARTMENT,
        [activities["service_centre"].id, activities["security"].id],
        *NOV_DAYS,
        NOW,
    )
    assert departments == {
        activities["service_centre"].id: acts(2, 1, 200),
        activities["security"].id: acts(1, 0, 120),
    }
    project = facts.totals(session, "activities", Kind.PROJECT, [activities["project"].id], *NOV_DAYS, NOW)
    assert project == {activities["project"].id: acts(2, 1, 200)}


def test_eval_activities_evidence_names_the_activity_and_the_summarys_findings(session, activities, queries):
    """Behind 小陈's activities: both, by day, the summarised one linking to its summary
    with what went well and the shortcomings; the other to the activity's page."""
    chen_id = activities["chen"].id
    with queries() as statements:
        listed = facts.evidence(session, "activities", Kind.PERSON, chen_id, "activities", *NOV_DAYS, NOW)
    assert len(statements) == 2
    assert [e.record_id for e in listed] == [activities["a1"].id, activities["a2"].id]
    held, summarised = listed
    assert (held.number, held.at, held.endpoint, held.note) == (
        "重阳敬老茶话会",
        date(2026, 11, 7),
        "activities.activity",
        None,
    )
    assert held.values == {"activity_id": activities["a1"].id}
    assert summarised.endpoint == "activities.summary"
    assert summarised.note == "What went well: 亲子互动热烈,报名踊跃 / Shortcomings found: 音响准备不足,开场推迟十分钟"
    written = facts.evidence(session, "activities", Kind.PERSON, chen_id, "summarised", *NOV_DAYS, NOW)
    assert [e.record_id for e in written] == [activities["a2"].id]


# ---------------------------------------------------------------------------- work items

WORK_COLUMNS = ("due", "overdue", "open_overdue")


def work(*values: int) -> dict[str, int]:
    return dict(zip(WORK_COLUMNS, values, strict=True))


@pytest.fixture
def items(session):
    """Work items by hand, now 28 Nov 12:00 Beijing: guard 小王 (security), receptionist
    小李 (the customer-service centre by her role).

    ====  ====================  ==========  ============  ==============  ==========================
    item  addressed to          department  due (UTC)     done            counts
    ====  ====================  ==========  ============  ==============  ==========================
    W1    小王                   —           5 Nov         4 Nov           due
    W2    小王                   —           10 Nov        12 Nov          due, overdue
    W3    小王                   security    20 Nov        open            due, overdue, still open
    W4    the receptionists     —           15 Nov        小李, 16 Nov     due, overdue (小李's)
    W5    the CS supervisors    —           29 Nov        open            due (nobody's yet)
    W6    小王                   —           31 Oct 15:59  open            October
    W7    小王                   —           no due        open            never
    W8    security's guards     security    26 Nov        open            due, overdue, still open
    W9    小王, other project    —           12 Nov        open            小王's, not his department's
    ====  ====================  ==========  ============  ==============  ==========================
    """
    company = f.make_company(session)
    project = f.make_project(session, company)
    other_project = f.make_project(session, company)
    security = f.make_department(session, project, "security")
    service_centre = f.make_department(session, project, "customer_service")
    wang = f.make_user(session, display_name="小王", roles=[("staff", project, security)])
    li = f.make_user(session, display_name="小李", roles=[("receptionist", project, None)])

    def item(title, due, *, to=None, role=None, department=None, done=None, done_by=None, in_project=project):
        made = WorkItem(
            project_id=in_project.id,
            kind="test",
            title=title,
            link=f"/somewhere/{title}",
            assignee_id=to.id if to else None,
            assignee_role=role,
            department_id=department.id if department else None,
            due_at=due,
            created_at=utc(10, 1, 0),
            done_at=done,
            done_by_id=(done_by or to).id if done else None,
        )
        session.add(made)
        session.flush()
        return made

    made = dict(
        w1=item("W1", utc(11, 5, 2), to=wang, done=utc(11, 4, 2)),
        w2=item("W2", utc(11, 10, 2), to=wang, done=utc(11, 12, 2)),
        w3=item("SL-0003 · W3", utc(11, 20, 2), to=wang, department=security),
        w4=item("W4", utc(11, 15, 2), role="receptionist", done=utc(11, 16, 2), done_by=li),
        w5=item("W5", utc(11, 29, 2), role="cs_supervisor"),
        w6=item("W6", utc(10, 31, 15, 59), to=wang),
        w7=item("W7", None, to=wang),
        w8=item("W8", utc(11, 26, 2), role="staff", department=security),
        w9=item("W9", utc(11, 12, 2), to=wang, in_project=other_project),
    )
    session.commit()
    return dict(
        project=project,
        other_project=other_project,
        security=security,
        service_centre=service_centre,
        wang=wang,
        li=li,
        **made,
    )


def test_eval_work_items_held_are_due_overdue_and_still_open_per_person(session, items):
    """A person's sheet: the items they held due that month, those done late or not done
    and past due now, and those still overdue now; an item addressed to a role is the
    sheet of whoever did it."""
    wang, li = items["wang"], items["li"]
    per_month = facts.buckets(session, "work_overdue", Kind.PERSON, [wang.id, li.id], [OCT, NOV], NOW)
    assert per_month == {
        wang.id: [work(1, 1, 1), work(4, 3, 2)],  # W6 | W1, W2, W3, W9
        li.id: [work(0, 0, 0), work(1, 1, 0)],  # W4
    }


def test_eval_work_items_count_for_their_department_or_their_holders_and_their_project(session, items):
    """An item of a department counts for it; one without counts for its holder's
    departments in its project; the project counts every item due, even one nobody
    holds yet."""
    departments = facts.totals(
        session,
        "work_overdue",
        Kind.DEPARTMENT,
        [items["security"].id, items["service_centre"].id],
        *NOV,
        NOW,
    )
    assert departments == {
        items["security"].id: work(4, 3, 2),  # W1, W2 (小王's), W3, W8 (the department's)
        items["service_centre"].id: work(1, 1, 0),  # W4 (小李's)
    }
    project = facts.totals(session, "work_overdue", Kind.PROJECT, [items["project"].id], *NOV, NOW)
    assert project == {items["project"].id: work(6, 4, 2)}  # W1–W5, W8


def test_eval_work_items_past_due_depend_on_now(session, items):
    """Seen on 1 December, the CS supervisors' item due 29 November is overdue too."""
    later = datetime(2026, 12, 1, 4, tzinfo=UTC)
    project = facts.totals(session, "work_overdue", Kind.PROJECT, [items["project"].id], *NOV, later)
    assert project == {items["project"].id: work(6, 5, 3)}


def test_eval_work_items_of_projects_out_of_scope_do_not_count(session, items):
    """Seen by the own project's managers, 小王's item of another project is not there."""
    scoping.set_scope(frozenset({items["project"].id}))
    try:
        per_person = facts.totals(session, "work_overdue", Kind.PERSON, [items["wang"].id], *NOV, NOW)
    finally:
        scoping.set_scope(None)
    assert per_person == {items["wang"].id: work(3, 2, 1)}


def test_eval_work_items_evidence_links_to_the_items_page(session, items, queries):
    """Behind 小王's overdue items: W2, W9, W3 by due moment, each linking where the item does."""
    wang_id = items["wang"].id
    with queries() as statements:
        listed = facts.evidence(session, "work_overdue", Kind.PERSON, wang_id, "overdue", *NOV, NOW)
    assert len(statements) == 2
    assert [e.record_id for e in listed] == [items["w2"].id, items["w9"].id, items["w3"].id]
    third = listed[2]
    assert (third.number, third.title) == ("SL-0003", "W3")
    assert (third.endpoint, third.url, third.at) == ("", "/somewhere/SL-0003 · W3", utc(11, 20, 2))
    assert (listed[0].number, listed[0].title) == ("", "W2")
    still = facts.evidence(session, "work_overdue", Kind.PERSON, wang_id, "open_overdue", *NOV, NOW)
    assert [e.record_id for e in still] == [items["w9"].id, items["w3"].id]


# ---------------------------------------------------------------------------- open items


@pytest.fixture
def open_work(session):
    """Work items open now by SOP area (their record's table)."""
    company = f.make_company(session)
    project = f.make_project(session, company)
    other_project = f.make_project(session, company)
    security = f.make_department(session, project, "security")

    def item(table, *, due=None, done=None, department=None, in_project=project):
        made = WorkItem(
            project_id=in_project.id,
            kind="test",
            title=table or "note",
            link="/",
            entity_type=table,
            entity_id=1 if table else None,
            department_id=department.id if department else None,
            due_at=due,
            created_at=utc(3, 1, 0),
            done_at=done,
        )
        session.add(made)
        session.flush()
        return made

    slip = item("slips", due=utc(11, 27, 0), department=security)  # open, past due
    item("complaints", due=utc(11, 29, 0), department=security)  # open, not yet due
    item("complaint_extensions", department=security)  # open, no due moment
    item("complaints", due=utc(11, 1, 0), done=utc(11, 2, 0), department=security)  # done
    item("praises")  # open, the project's only
    item("activity_milestones", due=utc(11, 20, 0))  # open, past due, the project's only
    item(None, due=utc(11, 1, 0), department=security)  # no record: no SOP
    item("service_orders", due=utc(11, 1, 0), in_project=other_project)
    session.commit()
    return dict(project=project, other_project=other_project, security=security, slip=slip)


def open_counts(**values: int) -> dict[str, int]:
    counts = {f"{figure}_{area}": 0 for area in SOP_AREAS for figure in ("open", "overdue")}
    counts.update(values)
    return counts


def test_eval_open_items_by_sop_now_whatever_the_period(session, open_work):
    """The company view: each project's and department's work items open now, and those
    past due, by SOP — the same in every period."""
    security, project, other = open_work["security"], open_work["project"], open_work["other_project"]
    departments = facts.buckets(session, "open_items", Kind.DEPARTMENT, [security.id], [OCT, NOV], NOW)
    expected = open_counts(open_slips=1, overdue_slips=1, open_complaints=2)
    assert departments == {security.id: [expected, expected]}
    projects = facts.totals(session, "open_items", Kind.PROJECT, None, *NOV, NOW)
    assert projects == {
        project.id: open_counts(
            open_slips=1, overdue_slips=1, open_complaints=2, open_reception=1, open_activities=1, overdue_activities=1
        ),
        other.id: open_counts(open_services=1, overdue_services=1),
    }
    listed = facts.evidence(session, "open_items", Kind.DEPARTMENT, security.id, "overdue_slips", *NOV, NOW)
    assert [e.record_id for e in listed] == [open_work["slip"].id]


# ---------------------------------------------------------------------------- units


def test_eval_units_count_each_projects_units(session):
    """Complaints per 1,000 units count over the units each project has now."""
    company = f.make_company(session)
    project, other = f.make_project(session, company), f.make_project(session, company)
    tower, villa = f.make_building(session, project, "1栋"), f.make_building(session, project, "2栋")
    units = [f.make_unit(session, tower, "1-101"), f.make_unit(session, tower, "1-102"), f.make_unit(session, villa)]
    f.make_unit(session, f.make_building(session, other))
    session.commit()
    totals = facts.totals(session, "units", Kind.PROJECT, [project.id, other.id], *OCT, NOW)
    assert totals == {project.id: {"units": 3}, other.id: {"units": 1}}
    listed = facts.evidence(session, "units", Kind.PROJECT, project.id, "units", *OCT, NOW)
    assert [e.record_id for e in listed] == [unit.id for unit in units]
    assert (listed[0].number, listed[0].endpoint, listed[0].values) == (
        "1栋 1-101",
        "estate.unit",
        {"unit_id": units[0].id},
    )
    assert facts.totals(session, "units", Kind.DEPARTMENT, None, *OCT, NOW) == {}
