"""CMP-07: the monthly summary 投诉情况月汇总表, figure by figure, against hand-computed
values; CMP-03 b: the register 业主投诉记录表; the analysis report and its reminder.

The report month: March 2026 with the cut-off day 25, i.e. 26 February 00:00 to
26 March 00:00 Asia/Shanghai. Looked at on Wednesday 25 March, 12:00. Owners O1 (unit
U1), O2 and O3 (both unit U2); departments security, maintenance, cleaning.

    received      class      dept  owner/unit  commitment      resolution (due)            other
 N  Feb 26 00:00  minor      sec   –           on time         Feb 28 00:00 done Feb 27   satisfied call-back Feb 28
 A  Mar  2 10:00  important  mnt   O1 U1       on time         Mar 5 10:00 done Mar 4     cause 维修不及时, satisfied
 B  Mar  3 09:00  important  sec   O2 U2       late (10:30)    Mar 6 09:00 done Mar 7     服务态度, basically satisfied;
                                                                                          repeats I (owner, 90 days exactly)
 C  Mar 10 14:00  minor      mnt   O1 U1       on time         Mar 13 14:00 (+24 h wait)  "维修不及时 ", dissatisfied;
                                                               done Mar 13 12:00           repeats A (owner and matter)
 G  Mar 18 10:00  important  mnt   – U3        on time         Mar 21 10:00, waiting now  on hold since Mar 19 10:00
 D  Mar 20 08:00  major      cln   O3 U2       on time         Mar 22 08:00, no answer
 E  Mar 24 09:00  minor      sec   – U2        not done: late  Mar 26 09:00 (next month)  repeats B (matter)
 F  Mar 25 08:00  invalid    –     – U1        pending         Mar 28 08:00 (next month)  房屋质量
 earlier, counted only where their clocks fall in the month:
 J  Feb 24 10:00  minor      cln   –           (Feb 24)        Feb 28 10:00 (+48 h wait)  waited Feb 25 10:00–Feb 27 10:00
                                                               done Feb 27 15:00
 Q  Feb 25 23:59  minor      –     –           (Feb 25)        Feb 27 23:59 done Feb 26
 K  Feb 10 10:00  minor → major (upgraded Mar 11 00:05)        Mar 13 00:05, no answer    in the register
 H  2025-11-20    minor      mnt   O1 U1       102 days before A: no repeat
 I  2025-12-03 09:00 minor   cln   O2 U2       90 days before B
 X  another project's complaint, Mar 5.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.complaints import report_operations, reports
from webapp.complaints.models import ComplaintCallback, ComplaintMonthlyReport, ComplaintPause
from webapp.complaints.report_views import register_row
from webapp.core.clock import LOCAL_TZ, end_of_day
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.org.access import NotPermitted
from webapp.org.models import Company

MARCH = datetime(2026, 3, 1).date()


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


NOW = local(3, 25, 12)


@pytest.fixture
def month(session):
    """The complaints of the module docstring."""
    company = factories.make_company(session)
    project = factories.make_project(session, company, code="YB", name="月报项目")
    other = factories.make_project(session, company, code="YO")
    dept = SimpleNamespace(
        sec=factories.make_department(session, project, "security", "安全部"),
        mnt=factories.make_department(session, project, "maintenance", "维修部"),
        cln=factories.make_department(session, project, "cleaning", "保洁部"),
    )
    building = factories.make_building(session, project, name="1栋")
    units = SimpleNamespace(
        u1=factories.make_unit(session, building, "101"),
        u2=factories.make_unit(session, building, "102"),
        u3=factories.make_unit(session, building, "103"),
    )
    owners = SimpleNamespace(
        o1=factories.make_owner(session, units.u1, "业主甲", "13800001111"),
        o2=factories.make_owner(session, units.u2, "业主乙", "13800002222"),
    )
    owners.o3 = factories.make_owner(session, units.u2, "住户丙", "13800003333", relation="family")
    desk = factories.make_user(session, "yb.desk", roles=[("receptionist", project, None)])
    cs = factories.make_user(session, "yb.cs", roles=[("cs_supervisor", project, None)])
    pm = factories.make_user(session, "yb.pm", roles=[("pm", project, None)])

    def complaint(cls, received, *, dept_=None, owner=None, unit=None, **values):
        return factories.make_complaint(
            session, project, desk, complaint_class=cls, received_at=received,
            complained_department_id=dept_.id if dept_ else None,
            owner_id=owner.id if owner else None, unit_id=unit.id if unit else None, **values,
        )

    def callback(target, at, satisfaction):
        session.add(ComplaintCallback(
            project_id=project.id, complaint_id=target.id, method="phone", satisfaction=satisfaction,
            called_by_id=cs.id, called_at=at,
        ))

    def pause(target, start, end=None):
        session.add(ComplaintPause(
            project_id=project.id, complaint_id=target.id, started_at=start, ended_at=end, reason="等配件",
            started_by_id=cs.id,
        ))

    n = complaint("minor", local(2, 26), dept_=dept.sec, status="closed", cause="噪音",
                  commitment_done_at=local(2, 26, 8), resolved_at=local(2, 27, 10))
    callback(n, local(2, 28, 9), "satisfied")
    a = complaint("important", local(3, 2, 10), dept_=dept.mnt, owner=owners.o1, unit=units.u1, status="closed",
                  cause="维修不及时", commitment_done_at=local(3, 2, 10, 30), resolved_at=local(3, 4, 10))
    callback(a, local(3, 5, 9), "satisfied")
    b = complaint("important", local(3, 3, 9), dept_=dept.sec, owner=owners.o2, unit=units.u2, status="closed",
                  cause="服务态度", commitment_done_at=local(3, 3, 10, 30), resolved_at=local(3, 7, 9))
    callback(b, local(3, 8, 9), "basically_satisfied")
    c = complaint("minor", local(3, 10, 14), dept_=dept.mnt, owner=owners.o1, unit=units.u1, status="closed",
                  cause="维修不及时 ", commitment_done_at=local(3, 10, 15), resolved_at=local(3, 13, 12),
                  resolution_due_at=local(3, 13, 14))
    pause(c, local(3, 11, 10), local(3, 12, 10))
    callback(c, local(3, 14, 9), "dissatisfied")
    g = complaint("important", local(3, 18, 10), dept_=dept.mnt, unit=units.u3, status="waiting",
                  commitment_done_at=local(3, 18, 10, 20))
    pause(g, local(3, 19, 10))
    complaint("major", local(3, 20, 8), dept_=dept.cln, owner=owners.o3, unit=units.u2, status="in_progress",
              commitment_done_at=local(3, 20, 9))
    complaint("minor", local(3, 24, 9), dept_=dept.sec, unit=units.u2, status="received")
    complaint("invalid", local(3, 25, 8), unit=units.u1, status="received", cause="房屋质量",
              complained_person="开发商")
    j = complaint("minor", local(2, 24, 10), dept_=dept.cln, status="awaiting_callback",
                  commitment_done_at=local(2, 24, 11), resolved_at=local(2, 27, 15),
                  resolution_due_at=local(2, 28, 10))
    pause(j, local(2, 25, 10), local(2, 27, 10))
    complaint("minor", local(2, 25, 23, 59), status="awaiting_callback",
              commitment_done_at=local(2, 25, 23, 59) + timedelta(seconds=30), resolved_at=local(2, 26, 10))
    complaint("major", local(2, 10, 10), dept_=dept.mnt, status="in_progress", commitment_done_at=local(2, 10, 11),
              upgraded_at=local(3, 11, 0, 5), upgrade_reason="一个月内未解决", major_grounds="unresolved_one_month",
              resolution_due_at=local(3, 13, 0, 5))
    h = complaint("minor", local(11, 20, 10, year=2025), dept_=dept.mnt, owner=owners.o1, unit=units.u1,
                  status="closed", resolved_at=local(11, 21, 10, year=2025))
    callback(h, local(11, 22, 10, year=2025), "dissatisfied")
    complaint("minor", local(12, 3, 9, year=2025), dept_=dept.cln, owner=owners.o2, unit=units.u2, status="closed")
    outsider = factories.make_user(session, "yo.desk", roles=[("receptionist", other, None)])
    factories.make_complaint(session, other, outsider, complaint_class="major", received_at=local(3, 5, 10))
    session.commit()
    return SimpleNamespace(project=project, company=company, dept=dept, desk=desk, cs=cs, pm=pm, other=other,
                           complaint=complaint)


def summary_at(session, month, month_of=MARCH, cutoff=25, now=NOW):
    return reports.monthly_summary(session, month.project.id, month_of, cutoff, now)


def test_cmp07_counts_by_class_department_and_cause(session, month):
    summary = summary_at(session, month)
    assert (summary.period_start.isoformat(), summary.period_end.isoformat()) == ("2026-02-26", "2026-03-25")
    assert summary.by_class == {"major": 1, "important": 3, "minor": 3, "invalid": 1}
    assert (summary.total, summary.valid, summary.still_open) == (8, 7, 4)
    rows = {row.name: (row.by_class, row.total) for row in summary.departments}
    assert rows == {
        "安全部": ({"major": 0, "important": 1, "minor": 2, "invalid": 0}, 3),
        "维修部": ({"major": 0, "important": 2, "minor": 1, "invalid": 0}, 3),
        "保洁部": ({"major": 1, "important": 0, "minor": 0, "invalid": 0}, 1),
        None: ({"major": 0, "important": 0, "minor": 0, "invalid": 1}, 1),
    }
    # the organisation chart's order, the row without a department last
    assert [row.name for row in summary.departments] == ["安全部", "维修部", "保洁部", None]
    # causes trimmed, most frequent first, then by text; none recorded last
    assert [(row.cause, row.count) for row in summary.causes] == [
        ("维修不及时", 2), ("噪音", 1), ("房屋质量", 1), ("服务态度", 1), (None, 3),
    ]


def test_cmp07_on_time_rates_count_the_clocks_due_in_the_month(session, month):
    summary = summary_at(session, month)
    # N A C G D on time; B taken in late, E not taken in and past due; F due tonight
    assert (summary.commitment.on_time, summary.commitment.late, summary.commitment.pending) == (5, 2, 1)
    assert summary.commitment.rate == pytest.approx(5 / 7)
    # N A C J Q on time; B late, D (major, no answer) and K (upgraded, no answer) overdue;
    # G waits with its clock stopped; E and F are due next month
    assert (summary.resolution.on_time, summary.resolution.late, summary.resolution.pending) == (5, 3, 1)
    assert summary.resolution.due == 9
    assert summary.resolution.rate == pytest.approx(5 / 8)
    assert summary.upgrades == 1


def test_cmp07_waiting_pauses_count_in_the_month(session, month):
    """C's and G's pauses started in the month; J's started before it. Hours inside the
    month: C 24, G 146 (open, up to now), J 34 (from 26 Feb 00:00)."""
    waiting = summary_at(session, month).waiting
    assert (waiting.pauses, waiting.complaints) == (2, 3)
    assert waiting.seconds == (24 + 146 + 34) * 3600
    assert waiting.hours == 204.0
    # a day later G has waited 24 hours more, in the same month
    assert summary_at(session, month, now=NOW + timedelta(hours=12)).waiting.hours == 204.0 + 12


def test_cmp07_repeats_by_the_same_owner_or_about_the_same_matter(session, month):
    summary = summary_at(session, month)
    repeats = {r.number: (set(r.kinds), r.previous_number) for r in summary.repeats}
    numbers = {c.id: c.number for c in _complaints(session, month)}
    by_received = {c.received_at: c.number for c in _complaints(session, month)}
    b, c, e = (by_received[local(3, 3, 9)], by_received[local(3, 10, 14)], by_received[local(3, 24, 9)])
    a, i = by_received[local(3, 2, 10)], by_received[local(12, 3, 9, year=2025)]
    assert repeats == {
        b: ({"owner"}, i),  # exactly 90 days after I
        c: ({"owner", "matter"}, a),
        e: ({"matter"}, b),
    }
    assert len(numbers) == 13
    assert (summary.repeat_count(), summary.repeat_count("owner"), summary.repeat_count("matter")) == (3, 2, 2)


def test_cmp07_satisfaction_of_the_months_call_backs(session, month):
    summary = summary_at(session, month)
    assert summary.satisfaction == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
    assert summary.callbacks == 4
    assert summary.satisfaction_rate == pytest.approx(3 / 4)


def test_cmp07_trend_is_twelve_report_months_by_class(session, month):
    trend = summary_at(session, month).trend
    assert len(trend) == 12
    assert (trend[0].month_of.isoformat(), trend[-1].month_of.isoformat()) == ("2025-04-01", "2026-03-01")
    assert (trend[0].start.isoformat(), trend[0].end.isoformat()) == ("2025-03-26", "2025-04-25")
    by_month = {p.month_of.strftime("%Y-%m"): {k: v for k, v in p.by_class.items() if v} for p in trend}
    assert by_month["2025-11"] == {"minor": 1}  # H
    assert by_month["2025-12"] == {"minor": 1}  # I
    assert by_month["2026-01"] == {}
    assert by_month["2026-02"] == {"major": 1, "minor": 2}  # K (major now), J, Q
    assert by_month["2026-03"] == {"major": 1, "important": 3, "minor": 3, "invalid": 1}
    assert sum(p.total for p in trend) == 13


def test_cmp07_period_follows_the_cut_off_day_setting(session, month):
    """With the cut-off on the 10th, March's report covers 11 February to 10 March: J, Q,
    N, A, B and C (received on the 10th at 14:00) — not K (10 February)."""
    summary = summary_at(session, month, cutoff=10)
    assert (summary.period_start.isoformat(), summary.period_end.isoformat()) == ("2026-02-11", "2026-03-10")
    assert summary.by_class == {"major": 0, "important": 2, "minor": 4, "invalid": 0}
    # the boundary is Shanghai midnight: N (26 Feb 00:00) is February's with the 25th
    february = summary_at(session, month, month_of=MARCH.replace(month=2))
    assert february.by_class == {"major": 1, "important": 0, "minor": 2, "invalid": 0}  # K, J, Q (23:59)


def test_cmp07_other_projects_and_months_are_left_out(session, month):
    april = summary_at(session, month, month_of=MARCH.replace(month=4), now=local(4, 20))
    assert april.total == 0 and april.callbacks == 0 and april.repeats == []
    assert [row.name for row in april.departments] == ["安全部", "维修部", "保洁部"]
    other = reports.monthly_summary(session, month.other.id, MARCH, 25, NOW)
    assert other.by_class["major"] == 1 and other.total == 1


def test_cmp07_summary_runs_a_fixed_number_of_queries(session, month, queries):
    project_id = month.project.id
    with queries() as few:
        reports.monthly_summary(session, project_id, MARCH, 25, NOW)
    for day in range(1, 25):
        for hour in (9, 15):
            more = month.complaint("minor", local(3, day, hour), dept_=month.dept.cln, status="closed",
                                   commitment_done_at=local(3, day, hour, 30), resolved_at=local(3, day, hour + 2),
                                   cause=f"原因{day % 3}")
            session.add(ComplaintCallback(project_id=month.project.id, complaint_id=more.id, method="visit",
                                          satisfaction="satisfied", called_by_id=month.cs.id,
                                          called_at=local(3, day, hour + 3)))
            session.add(ComplaintPause(project_id=month.project.id, complaint_id=more.id,
                                       started_at=local(3, day, hour, 40), ended_at=local(3, day, hour, 50),
                                       reason="等待", started_by_id=month.cs.id))
    session.commit()
    session.expire_all()
    with queries() as many:
        summary = reports.monthly_summary(session, project_id, MARCH, 25, NOW)
    assert summary.total == 8 + 48
    assert len(many) == len(few) <= 8


def _complaints(session, month):
    from webapp.complaints.models import Complaint

    return session.scalars(sa.select(Complaint).where(Complaint.project_id == month.project.id)).all()


# ---------------------------------------------------------------------------- the register


def test_cmp03_register_lists_major_and_important_with_late_clocks(session, month):
    entries = reports.register_entries(session, month.project.id, MARCH, 25)
    received = [(c.received_at, c.complaint_class) for c in entries]
    # K enters when upgraded; A, B, G received as important; D as major; no minor or invalid ones
    assert received == [
        (local(2, 10, 10), "major"), (local(3, 2, 10), "important"), (local(3, 3, 9), "important"),
        (local(3, 18, 10), "important"), (local(3, 20, 8), "major"),
    ]
    late = [(register_row(c, NOW).commitment_late, register_row(c, NOW).resolution_late) for c in entries]
    assert late == [(False, True), (False, False), (True, True), (False, False), (False, True)]
    # G waits: its resolution due moves with the open pause (3 days + 6 days 2 hours so far)
    waiting = register_row(entries[3], NOW)
    assert waiting.resolution_due == local(3, 21, 10) + timedelta(days=6, hours=2)


def test_cmp03_register_runs_a_fixed_number_of_queries(session, month, queries):
    project_id = month.project.id
    session.expire_all()
    with queries() as statements:
        entries = reports.register_entries(session, project_id, MARCH, 25)
        for complaint in entries:
            register_row(complaint, NOW)
            _ = (complaint.owner, complaint.unit and complaint.unit.label, complaint.complained_department,
                 complaint.callbacks)
    assert len(statements) == 3


# ---------------------------------------------------------------------------- the analysis report


def _user(session, username):
    from webapp.org.models import User

    return session.scalar(sa.select(User).where(User.username == username))


def _open_items(session, kind):
    return session.scalars(
        sa.select(WorkItem).where(WorkItem.kind == kind, WorkItem.done_at.is_(None)).order_by(WorkItem.id)
    ).all()


def test_cmp07_analysis_reminder_opens_in_the_last_week_once_and_closes_on_submission(session, month):
    # 18 March is before the last week (19–25 March): nothing yet
    assert report_operations.remind_analysis_due(session, local(3, 18, 23)) == 0
    assert _open_items(session, report_operations.WRITE) == []
    # 19 March: the CS supervisor's work, due at the end of the 25th, and told once
    assert report_operations.remind_analysis_due(session, local(3, 19, 0, 5)) == 2  # both projects
    assert report_operations.remind_analysis_due(session, local(3, 19, 8)) == 0
    session.commit()
    items = [i for i in _open_items(session, report_operations.WRITE) if i.project_id == month.project.id]
    assert len(items) == 1 and items[0].assignee_role == "cs_supervisor"
    assert items[0].due_at == end_of_day(local(3, 25, 12))
    assert items[0].link == f"/complaints/summary?project={month.project.id}&month=2026-03"
    assert "2026-02-26" in items[0].title and "2026-03-25" in items[0].title
    told = session.scalars(sa.select(Notification).where(Notification.user_id == month.cs.id)).all()
    assert len(told) == 1

    report = report_operations.save_analysis(session, month.cs, month.project, MARCH, "本月投诉以维修不及时为主。",
                                             local(3, 20, 9), submit=True)
    session.commit()
    assert [i.project_id for i in _open_items(session, report_operations.WRITE)] == [month.other.id]
    review = _open_items(session, report_operations.REVIEW)
    assert [(i.project_id, i.assignee_role) for i in review] == [(month.project.id, "pm")]
    # a submitted analysis is not reminded again
    assert report_operations.remind_analysis_due(session, local(3, 24, 8)) == 0
    assert [i.project_id for i in _open_items(session, report_operations.WRITE)] == [month.other.id]

    report_operations.review_analysis(session, month.pm, report, "请维修部下月改进。", local(3, 21, 9))
    session.commit()
    assert _open_items(session, report_operations.REVIEW) == []
    actions = session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "complaint_monthly_reports", AuditEvent.entity_id == report.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["complaint_analysis_submitted", "complaint_analysis_reviewed"]


def test_cmp07_analysis_reminder_follows_the_cut_off_day(session, month):
    month.company.report_cutoff_day = 10
    session.commit()
    assert report_operations.remind_analysis_due(session, local(3, 3, 23)) == 0
    assert report_operations.remind_analysis_due(session, local(3, 4, 0, 1)) == 2
    report = session.scalar(
        sa.select(ComplaintMonthlyReport).where(ComplaintMonthlyReport.project_id == month.project.id)
    )
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == ("2026-02-11", "2026-03-10")


def test_cmp07_analysis_is_written_by_cs_submitted_once_and_reviewed_by_the_pm(session, month):
    with pytest.raises(NotPermitted):
        report_operations.save_analysis(session, month.pm, month.project, MARCH, "x", NOW, submit=False)
    with pytest.raises(RuleViolation) as empty:
        report_operations.save_analysis(session, month.cs, month.project, MARCH, "  ", NOW, submit=True)
    assert empty.value.field == "analysis"
    draft = report_operations.save_analysis(session, month.cs, month.project, MARCH, "草稿", NOW, submit=False)
    assert draft.submitted_at is None and draft.analysis == "草稿"
    with pytest.raises(RuleViolation):
        report_operations.review_analysis(session, month.pm, draft, None, NOW)
    report_operations.save_analysis(session, month.cs, month.project, MARCH, "定稿", NOW, submit=True)
    with pytest.raises(RuleViolation):
        report_operations.save_analysis(session, month.cs, month.project, MARCH, "改稿", NOW, submit=False)
    with pytest.raises(NotPermitted):
        report_operations.review_analysis(session, month.cs, draft, None, NOW)
    report_operations.review_analysis(session, month.pm, draft, None, NOW)
    with pytest.raises(RuleViolation):
        report_operations.review_analysis(session, month.pm, draft, None, NOW)
    session.commit()
    stored = session.scalar(sa.select(ComplaintMonthlyReport))
    assert (stored.analysis, stored.submitted_by_id, stored.reviewed_by_id) == ("定稿", month.cs.id, month.pm.id)
    assert session.get(Company, month.company.id).report_cutoff_day == 25
