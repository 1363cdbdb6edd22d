"""EVAL / SLIP-09: the slips filed against a department or project, on an evaluation
sheet, with the weekly summary's definitions (on time, late, failures, open, escalated).

November 2026 (Asia/Shanghai, UTC+8), read on Saturday 28 November 12:00. Slips against
maintenance (M) and security (S), filed in November unless said:

    a  M  filed 1 Nov 00:30 local   round passed, done before the deadline      on time
    b  M                            round failed, then passed after deadline     late, 1 failure
    c  M  due 5 Nov, no round, assigned                                         late (at NOW), open
    d  M  escalated, new deadline 30 Nov, no round                              open, escalated
    e  M  withdrawn, deadline past, no round                                    neither
    g  M  escalated earlier, passed (verified, no completion time) in time      on time, escalated
    h  S  two rounds failed, rectifying, deadline past                          late, 2 failures, open
    u  –  not yet received (no responsible department)                          the project only
    f  M  filed 31 Oct 23:59 local, withdrawn: October's
    x  another project's slip against its own department
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.core.clock import LOCAL_TZ, end_of_day, local_midnight
from webapp.evaluation import facts
from webapp.evaluation.rules import Kind
from webapp.slips.models import RectificationRound


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


NOW = local(11, 28, 12)
NOV = (local_midnight(date(2026, 11, 1)), local_midnight(date(2026, 12, 1)))
OCT = (local_midnight(date(2026, 10, 1)), NOV[0])
COLUMNS = ("against", "on_time", "late", "failures", "open", "escalated")


def counts(*values: int) -> dict[str, int]:
    return dict(zip(COLUMNS, values, strict=True))


@pytest.fixture
def slips(session):
    company = f.make_company(session)
    project = f.make_project(session, company, code="EV")
    other_project = f.make_project(session, company, code="EO")
    mnt = f.make_department(session, project, "maintenance", "维修部")
    sec = f.make_department(session, project, "security", "安全部")
    other_mnt = f.make_department(session, other_project, "maintenance", "维修部2")
    patrol = f.make_user(session, roles=[("staff", project, sec)])
    pm = f.make_user(session, roles=[("pm", project, None)])

    def slip(filed, against=None, *, due=None, **values):
        extra = {"status": "assigned"}
        if against is not None:
            extra.update(
                responsible_department_id=against.id,
                received_at=filed + timedelta(minutes=5),
                rectification_due_at=due or end_of_day(filed + timedelta(minutes=5)),
            )
        extra.update(values)
        return f.make_slip(session, project, patrol, filed_at=filed, filer_department_id=sec.id, **extra)

    def round_(target, number, *, done, verification, verified=None):
        session.add(
            RectificationRound(
                project_id=target.project_id,
                slip_id=target.id,
                number=number,
                measures_who="李师傅",
                measures_when=(done or verified) - timedelta(hours=1),
                measures_how="更换",
                recorded_by_id=pm.id,
                completed_at=done,
                verification=verification,
                verified_at=verified or (done + timedelta(minutes=30)),
            )
        )
        session.flush()

    s = SimpleNamespace(project=project, other_project=other_project, mnt=mnt, sec=sec, other_mnt=other_mnt)
    s.a = slip(local(11, 1, 0, 30), mnt, status="closed")
    round_(s.a, 1, done=local(11, 1, 15), verification="pass")
    s.b = slip(local(11, 3, 9), mnt, status="closed")
    round_(s.b, 1, done=local(11, 3, 12), verification="fail")
    round_(s.b, 2, done=local(11, 4, 9), verification="pass")
    s.c = slip(local(11, 5, 8), mnt, status="assigned")
    s.d = slip(local(11, 10, 9), mnt, due=local(11, 30, 18), status="escalated", escalated_at=local(11, 10, 11))
    s.e = slip(local(11, 12, 9), mnt, status="withdrawn")
    s.g = slip(local(11, 14, 9), mnt, due=local(11, 16, 18), status="closed", escalated_at=local(11, 14, 12))
    round_(s.g, 1, done=None, verification="pass", verified=local(11, 16, 17))
    s.h = slip(local(11, 20, 9), sec, status="rectifying")
    round_(s.h, 1, done=local(11, 20, 14), verification="fail")
    round_(s.h, 2, done=local(11, 20, 18), verification="fail")
    s.u = slip(local(11, 22, 9), status="filed")
    s.f = slip(local(10, 31, 23, 59), mnt, status="withdrawn")
    outsider = f.make_user(session, roles=[("staff", other_project, other_mnt)])
    s.x = f.make_slip(
        session,
        other_project,
        outsider,
        filed_at=local(11, 6, 9),
        responsible_department_id=other_mnt.id,
        rectification_due_at=local(11, 6, 18),
        status="assigned",
    )
    session.commit()
    return s


def test_eval_slips_against_each_department_with_the_weekly_summary_definitions(session, slips):
    """A supervisor's department sheet shows the slips filed against the department and
    how it dealt with them; slips not yet given to a department count for no department."""
    found = facts.totals(session, "slips_against", Kind.DEPARTMENT, [slips.mnt.id, slips.sec.id], *NOV, NOW)
    assert found == {
        slips.mnt.id: counts(6, 2, 2, 1, 2, 2),
        slips.sec.id: counts(1, 0, 1, 2, 1, 0),
    }


def test_eval_slips_against_a_project_count_every_slip_including_unassigned_ones(session, slips):
    """The project sheet counts every slip of the month, assigned or not; another
    project's slips stay on their own project's sheet."""
    found = facts.totals(session, "slips_against", Kind.PROJECT, None, *NOV, NOW)
    assert found == {
        slips.project.id: counts(8, 2, 3, 3, 4, 2),
        slips.other_project.id: counts(1, 0, 1, 0, 1, 0),
    }


def test_eval_slips_against_follow_local_month_edges(session, slips):
    """A slip filed at 23:59 on 31 October (local) is October's; one filed at 00:30 on
    1 November is November's, though both are 31 October in UTC."""
    per_month = facts.buckets(session, "slips_against", Kind.DEPARTMENT, [slips.mnt.id], [OCT, NOV], NOW)
    assert per_month[slips.mnt.id][0] == counts(1, 0, 0, 0, 0, 0)
    assert per_month[slips.mnt.id][1]["against"] == 6
    november = facts.evidence(session, "slips_against", Kind.DEPARTMENT, slips.mnt.id, "against", *NOV, NOW)
    assert november[0].record_id == slips.a.id
    assert slips.f.id not in {e.record_id for e in november}


def test_eval_slips_against_late_is_judged_when_the_sheet_is_read(session, slips):
    """Read on 5 November in the morning, slip c (due that evening) is not late yet; read
    on 1 December, the escalated slip d (new deadline 30 November) is late too."""
    early = facts.totals(session, "slips_against", Kind.DEPARTMENT, [slips.mnt.id], *NOV, local(11, 5, 9))
    assert early[slips.mnt.id]["late"] == 1  # b only
    later = facts.totals(session, "slips_against", Kind.DEPARTMENT, [slips.mnt.id], *NOV, local(12, 1, 9))
    assert later[slips.mnt.id]["late"] == 3  # b, c, d


def test_eval_slips_against_evidence_lists_exactly_the_slips_counted(session, slips):
    """Every figure links to the slips behind it, oldest first."""

    def ids(subject, column, kind=Kind.DEPARTMENT):
        return [e.record_id for e in facts.evidence(session, "slips_against", kind, subject, column, *NOV, NOW)]

    assert ids(slips.mnt.id, "on_time") == [slips.a.id, slips.g.id]
    assert ids(slips.mnt.id, "late") == [slips.b.id, slips.c.id]
    assert ids(slips.mnt.id, "failures") == [slips.b.id]
    assert ids(slips.mnt.id, "open") == [slips.c.id, slips.d.id]
    assert ids(slips.mnt.id, "escalated") == [slips.d.id, slips.g.id]
    assert ids(slips.sec.id, "failures") == [slips.h.id]
    assert slips.u.id in ids(slips.project.id, "against", Kind.PROJECT)
    listed = facts.evidence(session, "slips_against", Kind.DEPARTMENT, slips.mnt.id, "late", *NOV, NOW)
    assert listed[0].endpoint == "slips.detail" and listed[0].values == {"slip_id": slips.b.id}
    assert listed[0].number == slips.b.number


def test_eval_slips_against_is_one_statement_for_every_project(session, slips, queries):
    """The company view asks for every project at once: one statement whatever their number."""
    with queries() as statements:
        facts.buckets(session, "slips_against", Kind.PROJECT, None, [OCT, NOV], NOW)
    assert len(statements) == 1


def test_eval_slips_against_are_not_a_personal_figure(session, slips):
    """Slips are filed against departments, not people: a person's sheet has no such figure."""
    assert facts.totals(session, "slips_against", Kind.PERSON, None, *NOV, NOW) == {}
