"""The facts framework: a figure and its evidence come from one statement, bucketed by
period, per subject (EVAL)."""

from __future__ import annotations

from datetime import UTC, datetime

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.evaluation import facts
from webapp.evaluation.rules import Kind

NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)
NOV = (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
OCT = (datetime(2026, 9, 30, 16, tzinfo=UTC), NOV[0])


def test_eval_slips_filed_counted_per_person_and_month_with_their_evidence(session):
    company = f.make_company(session)
    project = f.make_project(session, company)
    department = f.make_department(session, project)
    patrol = f.make_user(session, roles=[("staff", project, department)])
    other = f.make_user(session, roles=[("staff", project, department)])
    in_nov = [
        f.make_slip(
            session,
            project,
            patrol,
            filer_department_id=department.id,
            filed_at=datetime(2026, 11, 3, 2, tzinfo=UTC),
            status="closed",
        ),
        f.make_slip(
            session,
            project,
            patrol,
            filer_department_id=department.id,
            filed_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
            status="withdrawn",
        ),
    ]
    # 1 Nov 00:30 local is still October 31st 16:30 UTC: November's
    in_nov.append(
        f.make_slip(
            session,
            project,
            patrol,
            filer_department_id=department.id,
            filed_at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC),
        )
    )
    f.make_slip(
        session,
        project,
        patrol,
        filer_department_id=department.id,
        filed_at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC),
    )  # October
    f.make_slip(
        session,
        project,
        other,
        filer_department_id=department.id,
        filed_at=datetime(2026, 11, 3, 2, tzinfo=UTC),
    )
    session.commit()

    per_month = facts.buckets(session, "slips_filed", Kind.PERSON, [patrol.id], [OCT, NOV], NOW)
    assert per_month == {
        patrol.id: [
            {"filed": 1, "closed": 0, "open": 1, "withdrawn": 0},
            {"filed": 3, "closed": 1, "open": 1, "withdrawn": 1},
        ]
    }
    by_department = facts.totals(
        session, "slips_filed", Kind.DEPARTMENT, [department.id], *NOV, NOW
    )
    assert by_department[department.id]["filed"] == 4
    listed = facts.evidence(session, "slips_filed", Kind.PERSON, patrol.id, "filed", *NOV, NOW)
    assert [e.at for e in listed] == sorted(e.at for e in listed)
    assert {e.record_id for e in listed} == {s.id for s in in_nov}
    withdrawn = facts.evidence(
        session, "slips_filed", Kind.PERSON, patrol.id, "withdrawn", *NOV, NOW
    )
    assert [e.record_id for e in withdrawn] == [in_nov[1].id]
