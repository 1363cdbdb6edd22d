"""SLIP-09: the weekly summary 信息传递汇总表, figure by figure, against hand-computed values.

The week: Monday 2 March 2026 00:00 to Monday 9 March 00:00, Asia/Shanghai. The summary
is looked at on Tuesday 10 March, 10:00. Slips (filer's department → responsible one):

    A  security → maintenance   facility   Mon  round 1 done Mon 15:00, passed      on time
    B  security → maintenance   facility   Tue  round 1 failed; round 2 done Wed    late, 1 failure
    C  cleaning → maintenance   cleaning   Wed  no round, due Wed                   late, open
    D  maintenance → security   security   Thu  escalated, new due 12 March         open, escalated
    E  maintenance → security   parking    Fri  round 1 done on time but failed     late, 1 failure, open
    F  security → (not yet received)       Sat  status filed                        open
    G  (PM, no department) → cleaning      Sun 23:30  done 23:50, passed, callback  on time, open
    J  cleaning → (withdrawn)              Sat
    K  cleaning → security      other      Sat  escalated, new due Sun 18:00, done Sun 12:00  on time, escalated
    L  security → landscaping (inactive)   Thu  done 16:00, passed                  on time
    H  Monday 9 March 00:10 (next week), I  Sunday 1 March 23:50 (last week), and a slip
       of another project: not in the week.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests import factories
from webapp.core.clock import LOCAL_TZ, end_of_day
from webapp.slips.models import RectificationRound
from webapp.slips.reports import weekly_summary
from webapp.slips.rules import week_bounds


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


NOW = local(10, 10)
WEEK = week_bounds(local(4, 12))


def add_round(session, slip, number, *, done, verification, recorder):
    session.add(
        RectificationRound(
            project_id=slip.project_id,
            slip_id=slip.id,
            number=number,
            measures_who="李师傅",
            measures_when=done - timedelta(hours=1),
            measures_how="更换",
            recorded_by_id=recorder.id,
            completed_at=done,
            verification=verification,
            verified_at=done + timedelta(minutes=30) if verification else None,
        )
    )
    session.flush()


@pytest.fixture
def week(session):
    """The slips of the module docstring; returns the project and the departments."""
    company = factories.make_company(session)
    project = factories.make_project(session, company, code="WK", name="周报项目")
    other_project = factories.make_project(session, company, code="OT")
    dept = SimpleNamespace(
        security=factories.make_department(session, project, "security", "安全部"),
        maintenance=factories.make_department(session, project, "maintenance", "维修部"),
        cleaning=factories.make_department(session, project, "cleaning", "保洁部"),
        landscaping=factories.make_department(session, project, "landscaping", "绿化部"),
        housekeeping=factories.make_department(session, project, "housekeeping", "家政部"),
    )
    dept.landscaping.active = False
    dept.housekeeping.active = False
    staff = {
        name: factories.make_user(session, f"wk.{name}", roles=[("staff", project, getattr(dept, name))])
        for name in ("security", "maintenance", "cleaning")
    }
    pm = factories.make_user(session, "wk.pm", roles=[("pm", project, None)])

    def slip(filer, day, hour, minute=0, *, month=3, against=None, assigned=None, **values):
        filed = local(day, hour, minute, month=month)
        extra = {}
        if against is not None:
            moment = assigned or filed + timedelta(minutes=10)
            extra = {
                "responsible_department_id": getattr(dept, against).id,
                "received_at": moment,
                "rectification_due_at": end_of_day(moment),
                "status": "assigned",
            }
        extra.update(values)
        user = pm if filer == "pm" else staff[filer]
        department_id = None if filer == "pm" else getattr(dept, filer).id
        return factories.make_slip(
            session, project, user, filed_at=filed, filer_department_id=department_id, **extra
        )

    a = slip("security", 2, 9, against="maintenance", category="facility", status="closed")
    add_round(session, a, 1, done=local(2, 15), verification="pass", recorder=pm)
    b = slip("security", 3, 10, against="maintenance", category="facility", status="closed")
    add_round(session, b, 1, done=local(3, 12), verification="fail", recorder=pm)
    add_round(session, b, 2, done=local(4, 9), verification="pass", recorder=pm)
    slip("cleaning", 4, 8, against="maintenance", category="cleaning", status="assigned")
    slip(
        "maintenance", 5, 8, against="security", category="security", status="escalated",
        escalated_at=local(5, 10), rectification_due_at=local(12, 18),
    )
    e = slip("maintenance", 6, 9, against="security", category="parking", status="assigned")
    add_round(session, e, 1, done=local(6, 11), verification="fail", recorder=pm)
    slip("security", 7, 9, category="facility", status="filed")
    g = slip(
        "pm", 8, 23, 30, against="cleaning", category="cleaning", source="owner",
        status="awaiting_callback", assigned=local(8, 23, 35),
    )
    add_round(session, g, 1, done=local(8, 23, 50), verification="pass", recorder=pm)
    slip("cleaning", 7, 11, category="facility", status="withdrawn")
    k = slip(
        "cleaning", 7, 9, against="security", category="other", status="closed",
        escalated_at=local(7, 10), rectification_due_at=local(8, 18),
    )
    add_round(session, k, 1, done=local(8, 12), verification="pass", recorder=pm)
    el = slip("security", 5, 14, against="landscaping", category="landscaping", status="closed")
    add_round(session, el, 1, done=local(5, 16), verification="pass", recorder=pm)
    # outside the week
    slip("security", 9, 0, 10, against="maintenance", category="facility")
    slip("security", 1, 23, 50, against="maintenance", category="facility")
    outsider = factories.make_user(session, "ot.staff")
    factories.make_slip(session, other_project, outsider, filed_at=local(4, 9), status="filed")
    session.commit()
    return SimpleNamespace(project=project, dept=dept, staff=staff, pm=pm, slip=slip)


def by_name(summary):
    return {row.name: row for row in summary.rows}


def figures(row):
    return {
        "filed": row.filed,
        "against": row.against,
        "on_time": row.on_time,
        "late": row.late,
        "failures": row.failures,
        "open": row.open,
        "escalated": row.escalated,
    }


def nonzero(counts):
    return {category: n for category, n in counts.items() if n}


def test_slip09_week_is_monday_to_monday_in_shanghai():
    start, end = WEEK
    assert start == local(2, 0) and end == local(9, 0)


def test_slip09_every_figure_of_every_department(session, week):
    summary = weekly_summary(session, week.project.id, *WEEK, NOW)
    rows = by_name(summary)
    # active departments, plus the inactive one named by a slip; not the unused inactive one
    assert set(rows) == {"安全部", "维修部", "保洁部", "绿化部", None}
    assert figures(rows["维修部"]) == dict(filed=2, against=3, on_time=1, late=2, failures=1, open=1, escalated=0)
    assert nonzero(rows["维修部"].by_category) == {"facility": 2, "cleaning": 1}
    assert figures(rows["安全部"]) == dict(filed=4, against=3, on_time=1, late=1, failures=1, open=2, escalated=2)
    assert nonzero(rows["安全部"].by_category) == {"security": 1, "parking": 1, "other": 1}
    assert figures(rows["保洁部"]) == dict(filed=3, against=1, on_time=1, late=0, failures=0, open=1, escalated=0)
    assert nonzero(rows["保洁部"].by_category) == {"cleaning": 1}
    assert figures(rows["绿化部"]) == dict(filed=0, against=1, on_time=1, late=0, failures=0, open=0, escalated=0)
    # filed by the PM (no department); F not yet received and J withdrawn (no department)
    assert figures(rows[None]) == dict(filed=1, against=2, on_time=0, late=0, failures=0, open=1, escalated=0)
    assert figures(summary.totals) == dict(filed=10, against=10, on_time=4, late=3, failures=2, open=5, escalated=2)
    assert nonzero(summary.totals.by_category) == {
        "facility": 4, "cleaning": 2, "security": 1, "parking": 1, "other": 1, "landscaping": 1,
    }
    assert summary.slip_count == 10
    # the organisation chart's order, the row without a department last
    assert [row.name for row in summary.rows] == ["安全部", "维修部", "保洁部", "绿化部", None]
    assert rows["维修部"].on_time_rate == pytest.approx(1 / 3)
    assert rows[None].on_time_rate is None


def test_slip09_late_depends_on_when_the_summary_is_read(session, week):
    """D's escalation deadline (12 March 18:00) lies after NOW: not late yet; later it is."""
    later = weekly_summary(session, week.project.id, *WEEK, local(13, 9))
    assert by_name(later)["安全部"].late == 2
    # within the week, C (due Wednesday) is not late yet on Wednesday morning
    wednesday = weekly_summary(session, week.project.id, *WEEK, local(4, 9))
    assert by_name(wednesday)["维修部"].late == 1


def test_slip09_week_boundary_follows_shanghai_midnight(session, week):
    """G, filed on Sunday 23:30 local (15:30 UTC), belongs to its week; H, Monday 00:10,
    to the next; I, Sunday 1 March 23:50, to the one before."""
    this_week = weekly_summary(session, week.project.id, *WEEK, NOW)
    assert by_name(this_week)[None].filed == 1  # G
    next_week = weekly_summary(session, week.project.id, *week_bounds(local(9, 0, 10)), NOW)
    assert by_name(next_week)["安全部"].filed == 1  # H
    assert next_week.totals.against == 1
    previous = weekly_summary(session, week.project.id, *week_bounds(local(1, 23, 50)), NOW)
    assert previous.totals.filed == 1  # I


def test_slip09_other_projects_and_other_weeks_are_left_out(session, week):
    empty = weekly_summary(session, week.project.id, *week_bounds(local(20, 12)), NOW)
    assert empty.totals.filed == 0
    assert {row.name for row in empty.rows} == {"安全部", "维修部", "保洁部"}  # active ones, all zero
    assert all(row.is_empty for row in empty.rows)


def test_slip09_summary_runs_a_fixed_number_of_queries(session, week, queries):
    with queries() as few:
        weekly_summary(session, week.project.id, *WEEK, NOW)
    for day in range(2, 9):
        for hour in range(8, 18):
            more = week.slip("maintenance", day, hour, against="cleaning", category="cleaning", status="closed")
            add_round(session, more, 1, done=local(day, hour + 1), verification="fail", recorder=week.pm)
            add_round(session, more, 2, done=local(day, hour + 2), verification="pass", recorder=week.pm)
    session.commit()
    session.expire_all()
    with queries() as many:
        summary = weekly_summary(session, week.project.id, *WEEK, NOW)
    assert summary.totals.filed == 80
    assert by_name(summary)["保洁部"].failures == 70
    assert len(many) == len(few) <= 5
