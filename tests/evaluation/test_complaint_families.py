"""EVAL / CMP-04, CMP-05, CMP-07: complaints against a person, a department and a project
on an evaluation sheet, with the monthly summary's definitions.

November 2026 (Asia/Shanghai, UTC+8), read on Saturday 28 November 12:00. Departments
maintenance (M) and security (S); staff members P1 (maintenance) and P2 (security).

       received         class      about   status       commitment (due)         resolution (due)            call-backs
  c1   1 Nov 00:10      minor      M, P1   closed       on time (1 Nov)          on time (3 Nov)             3 Nov satisfied,
                                                                                                              1 Dec 00:00 satisfied
  c2  10 Nov 10:00      important  M, P1   in_progress  late (10 Nov 11:00)      late: not done (13 Nov)
  c3  20 Nov 10:00      major      M       answered     on time (20 Nov)         on time: answered (22 Nov)  25 Nov dissatisfied
  c4  27 Nov 20:00      invalid    S, P2   received     late: not yet (27 Nov)   pending (30 Nov)
  c5  15 Nov 10:00      minor      S       waiting      on time (15 Nov)         pending: waiting (17 Nov)
  c6  31 Oct 23:50      minor      M, P1   closed       October                  late (2 Nov 23:50, done 3 Nov)  4 Nov basically
  c7  12 Nov 10:00      minor      –       closed       on time (12 Nov)         on time (14 Nov)            14 Nov satisfied
  c8  28 Nov 09:00      minor      S       received     pending (28 Nov)         pending (30 Nov)
  cx  another project's complaint, 5 Nov
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.complaints.models import ComplaintCallback, ComplaintPause
from webapp.core.clock import LOCAL_TZ, end_of_day, local_midnight
from webapp.evaluation import facts
from webapp.evaluation.rules import Kind


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


NOW = local(11, 28, 12)
NOV = (local_midnight(date(2026, 11, 1)), local_midnight(date(2026, 12, 1)))
OCT = (local_midnight(date(2026, 10, 1)), NOV[0])
RECEIVED = ("complaints", "valid", "major", "important", "still_open")
CLOCK = ("on_time", "late", "pending")


def received(*values: int) -> dict[str, int]:
    return dict(zip(RECEIVED, values, strict=True))


def clock(*values: int) -> dict[str, int]:
    return dict(zip(CLOCK, values, strict=True))


@pytest.fixture
def month(session):
    company = f.make_company(session)
    project = f.make_project(session, company, code="EC")
    other_project = f.make_project(session, company, code="EX")
    mnt = f.make_department(session, project, "maintenance", "维修部")
    sec = f.make_department(session, project, "security", "安全部")
    p1 = f.make_user(session, roles=[("staff", project, mnt)])
    p2 = f.make_user(session, roles=[("staff", project, sec)])
    desk = f.make_user(session, roles=[("receptionist", project, None)])

    def complaint(cls, at, dept=None, person=None, *, commitment_due, resolution_due, **values):
        return f.make_complaint(
            session,
            project,
            desk,
            complaint_class=cls,
            received_at=at,
            complained_department_id=dept.id if dept else None,
            complained_user_id=person.id if person else None,
            commitment_due_at=commitment_due,
            resolution_due_at=resolution_due,
            **values,
        )

    def callback(target, at, satisfaction):
        session.add(
            ComplaintCallback(
                project_id=project.id,
                complaint_id=target.id,
                method="phone",
                satisfaction=satisfaction,
                called_by_id=desk.id,
                called_at=at,
            )
        )
        session.flush()

    m = SimpleNamespace(project=project, other_project=other_project, mnt=mnt, sec=sec, p1=p1, p2=p2)
    m.c1 = complaint(
        "minor", local(11, 1, 0, 10), mnt, p1, status="closed",
        commitment_due=end_of_day(local(11, 1, 0, 10)), commitment_done_at=local(11, 1, 9),
        resolution_due=local(11, 3, 0, 10), resolved_at=local(11, 2, 15),
    )  # fmt: skip
    callback(m.c1, local(11, 3, 10), "satisfied")
    callback(m.c1, local(12, 1, 0, 0), "satisfied")  # December's
    m.c2 = complaint(
        "important", local(11, 10, 10), mnt, p1, status="in_progress",
        commitment_due=local(11, 10, 11), commitment_done_at=local(11, 10, 12),
        resolution_due=local(11, 13, 10),
    )  # fmt: skip
    m.c3 = complaint(
        "major", local(11, 20, 10), mnt, status="answered",
        commitment_due=end_of_day(local(11, 20, 10)), commitment_done_at=local(11, 20, 15),
        resolution_due=local(11, 22, 10), answered_at=local(11, 21, 16),
    )  # fmt: skip
    callback(m.c3, local(11, 25, 10), "dissatisfied")
    m.c4 = complaint(
        "invalid", local(11, 27, 20), sec, p2, status="received",
        commitment_due=end_of_day(local(11, 27, 20)), resolution_due=local(11, 30, 20),
    )  # fmt: skip
    m.c5 = complaint(
        "minor", local(11, 15, 10), sec, status="waiting",
        commitment_due=end_of_day(local(11, 15, 10)), commitment_done_at=local(11, 15, 11),
        resolution_due=local(11, 17, 10),
    )  # fmt: skip
    session.add(
        ComplaintPause(
            project_id=project.id, complaint_id=m.c5.id, started_at=local(11, 16, 9), reason="等配件",
            started_by_id=desk.id,
        )
    )  # fmt: skip
    m.c6 = complaint(
        "minor", local(10, 31, 23, 50), mnt, p1, status="closed",
        commitment_due=end_of_day(local(10, 31, 23, 50)), commitment_done_at=local(10, 31, 23, 55),
        resolution_due=local(11, 2, 23, 50), resolved_at=local(11, 3, 9),
    )  # fmt: skip
    callback(m.c6, local(11, 4, 10), "basically_satisfied")
    m.c7 = complaint(
        "minor", local(11, 12, 10), status="closed",
        commitment_due=end_of_day(local(11, 12, 10)), commitment_done_at=local(11, 12, 11),
        resolution_due=local(11, 14, 10), resolved_at=local(11, 13, 10),
    )  # fmt: skip
    callback(m.c7, local(11, 14, 12), "satisfied")
    m.c8 = complaint(
        "minor", local(11, 28, 9), sec, status="received",
        commitment_due=end_of_day(local(11, 28, 9)), resolution_due=local(11, 30, 9),
    )  # fmt: skip
    m.cx = f.make_complaint(session, other_project, desk, received_at=local(11, 5, 10), status="received")
    session.commit()
    return m


def test_eval_complaints_against_each_person_department_and_project(session, month):
    """A sheet counts the month's complaints about the person, the department or the
    project, by class, and those still open now; a complaint naming nobody counts for
    the project only."""
    people = facts.totals(session, "complaints_received", Kind.PERSON, [month.p1.id, month.p2.id], *NOV, NOW)
    assert people == {month.p1.id: received(2, 2, 0, 1, 1), month.p2.id: received(1, 0, 0, 0, 1)}
    departments = facts.totals(session, "complaints_received", Kind.DEPARTMENT, [month.mnt.id, month.sec.id], *NOV, NOW)
    assert departments == {month.mnt.id: received(3, 3, 1, 1, 2), month.sec.id: received(3, 2, 0, 0, 3)}
    projects = facts.totals(session, "complaints_received", Kind.PROJECT, None, *NOV, NOW)
    assert projects == {month.project.id: received(7, 6, 1, 1, 5), month.other_project.id: received(1, 1, 0, 0, 1)}


def test_eval_complaints_follow_local_month_edges(session, month):
    """c6, received at 23:50 on 31 October (local), is October's; c1, at 00:10 on
    1 November, November's — though both are 31 October in UTC."""
    per_month = facts.buckets(session, "complaints_received", Kind.PERSON, [month.p1.id], [OCT, NOV], NOW)
    assert [counts["complaints"] for counts in per_month[month.p1.id]] == [1, 2]
    listed = facts.evidence(session, "complaints_received", Kind.PERSON, month.p1.id, "complaints", *NOV, NOW)
    assert [e.record_id for e in listed] == [month.c1.id, month.c2.id]


def test_eval_commitment_on_time_late_and_pending_by_due_moment(session, month):
    """CMP-04 on a sheet: the commitments that fell due in the month, taken in on time,
    late (or not yet and overdue at NOW), or still pending."""
    found = facts.totals(session, "complaint_commitment", Kind.DEPARTMENT, [month.mnt.id, month.sec.id], *NOV, NOW)
    assert found == {month.mnt.id: clock(2, 1, 0), month.sec.id: clock(1, 1, 1)}
    assert facts.totals(session, "complaint_commitment", Kind.PROJECT, [month.project.id], *NOV, NOW) == {
        month.project.id: clock(4, 2, 1)
    }
    person = facts.totals(session, "complaint_commitment", Kind.PERSON, [month.p1.id, month.p2.id], *NOV, NOW)
    assert person == {month.p1.id: clock(1, 1, 0), month.p2.id: clock(0, 1, 0)}
    late = facts.evidence(session, "complaint_commitment", Kind.DEPARTMENT, month.sec.id, "late", *NOV, NOW)
    assert [e.record_id for e in late] == [month.c4.id]
    # read on 27 November at 21:00, c4's commitment (due that night) was still pending
    earlier = facts.totals(session, "complaint_commitment", Kind.PERSON, [month.p2.id], *NOV, local(11, 27, 21))
    assert earlier == {month.p2.id: clock(0, 0, 1)}


def test_eval_resolution_on_time_late_and_pending_with_waiting_stopped(session, month):
    """CMP-05 on a sheet: resolutions due in the month (c6, received in October, was due
    on 2 November); a complaint waiting now is pending, its clock stopped; the answer
    stops a major or invalid complaint's clock."""
    found = facts.totals(session, "complaint_resolution", Kind.DEPARTMENT, [month.mnt.id, month.sec.id], *NOV, NOW)
    assert found == {month.mnt.id: clock(2, 2, 0), month.sec.id: clock(0, 0, 3)}
    assert facts.totals(session, "complaint_resolution", Kind.PROJECT, [month.project.id], *NOV, NOW) == {
        month.project.id: clock(3, 2, 3)
    }
    person = facts.totals(session, "complaint_resolution", Kind.PERSON, [month.p1.id], *NOV, NOW)
    assert person == {month.p1.id: clock(1, 2, 0)}

    def ids(column):
        return [
            e.record_id
            for e in facts.evidence(session, "complaint_resolution", Kind.DEPARTMENT, month.mnt.id, column, *NOV, NOW)
        ]

    assert ids("on_time") == [month.c1.id, month.c3.id]
    assert ids("late") == [month.c6.id, month.c2.id]
    pending = facts.evidence(session, "complaint_resolution", Kind.DEPARTMENT, month.sec.id, "pending", *NOV, NOW)
    assert [e.record_id for e in pending] == [month.c5.id, month.c8.id, month.c4.id]
    assert pending[0].at == month.c5.resolution_due_at


def test_eval_callbacks_and_satisfaction_by_call_back_moment(session, month):
    """CMP-07 on a sheet: the month's call-backs about the subject's complaints, and
    those satisfied or basically satisfied; a call-back on 1 December 00:00 is December's."""
    departments = facts.totals(session, "complaint_callbacks", Kind.DEPARTMENT, [month.mnt.id, month.sec.id], *NOV, NOW)
    assert departments == {month.mnt.id: {"callbacks": 3, "satisfied": 2}}
    assert facts.totals(session, "complaint_callbacks", Kind.PROJECT, None, *NOV, NOW) == {
        month.project.id: {"callbacks": 4, "satisfied": 3}
    }
    assert facts.totals(session, "complaint_callbacks", Kind.PERSON, [month.p1.id], *NOV, NOW) == {
        month.p1.id: {"callbacks": 2, "satisfied": 2}
    }
    listed = facts.evidence(session, "complaint_callbacks", Kind.DEPARTMENT, month.mnt.id, "callbacks", *NOV, NOW)
    # one row per call-back, each linking to its complaint
    assert [e.values["complaint_id"] for e in listed] == [month.c1.id, month.c6.id, month.c3.id]
    assert len({e.record_id for e in listed}) == 3
    satisfied = facts.evidence(session, "complaint_callbacks", Kind.DEPARTMENT, month.mnt.id, "satisfied", *NOV, NOW)
    assert [e.values["complaint_id"] for e in satisfied] == [month.c1.id, month.c6.id]


def test_eval_complaint_evidence_links_to_the_complaint(app, session, month):
    """Each record behind a complaint figure shows the complaint's number, what the owner
    said and its class and status in the reader's language, and links to the complaint's
    page."""
    listed = facts.evidence(session, "complaints_received", Kind.DEPARTMENT, month.mnt.id, "major", *NOV, NOW)
    assert len(listed) == 1
    evidence = listed[0]
    assert evidence.record_id == month.c3.id
    assert evidence.number == month.c3.number
    assert evidence.title == month.c3.description[:80]
    assert evidence.at == month.c3.received_at
    assert evidence.endpoint == "complaints.detail" and evidence.values == {"complaint_id": month.c3.id}
    assert evidence.note == "major · answered"
    with app.test_request_context("/"):
        shown = facts.evidence(session, "complaints_received", Kind.DEPARTMENT, month.mnt.id, "major", *NOV, NOW)
    assert shown[0].note == "重大投诉 · 已答复"


def test_eval_complaint_families_are_one_statement_each(session, month, queries):
    """The company view asks every project's figures of a family in one statement."""
    with queries() as statements:
        for family in ("complaints_received", "complaint_commitment", "complaint_resolution", "complaint_callbacks"):
            facts.buckets(session, family, Kind.PROJECT, None, [OCT, NOV], NOW)
    assert len(statements) == 4
