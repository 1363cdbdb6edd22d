"""EVAL: the evaluation sheets and the SOP reports agree on the same data — the weekly
slip summary 信息传递汇总表 (SLIP-09) and the monthly complaint summary 投诉情况月汇总表
(CMP-07) give, for every department and project, the figures the sheets give for the
same period and moment.

The records are varied on purpose (a seeded generator): two projects with two
departments each, slips and complaints filed around the period's edges, in every status,
with deadlines before and after the moment the figures are read, rectification rounds
passed and failed, call-backs of every kind, waiting complaints and upgrades.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

import tests.factories as f
import webapp.evaluation.families  # noqa: F401
from webapp.complaints import reports as complaint_reports
from webapp.complaints.models import ComplaintCallback, ComplaintPause
from webapp.complaints.rules import ComplaintClass, ComplaintStatus, Satisfaction, report_bounds
from webapp.core.clock import LOCAL_TZ
from webapp.evaluation import facts
from webapp.evaluation.rules import Kind
from webapp.slips import reports as slip_reports
from webapp.slips.models import RectificationRound
from webapp.slips.rules import SlipCategory, SlipStatus, week_bounds


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


WEEK = week_bounds(local(11, 18, 12))  # Monday 16 to Monday 23 November, local
WEEK_READS = (local(11, 19, 12), local(11, 24, 9))  # mid-week, and the Tuesday after
NOVEMBER = date(2026, 11, 1)
MONTH = report_bounds(NOVEMBER, 31)  # the calendar month
MONTH_READS = (local(11, 20, 12), local(12, 3, 9))


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between start and end, to the minute."""
    return start + timedelta(minutes=rng.randrange(int((end - start).total_seconds() // 60)))


def _maybe(rng: random.Random, value, chance: float = 0.5):
    return value if rng.random() < chance else None


@pytest.fixture
def varied(session):
    rng = random.Random(20261118)
    company = f.make_company(session)
    projects = []
    for code in ("AG", "AH"):
        project = f.make_project(session, company, code=code)
        departments = [
            f.make_department(session, project, "maintenance", f"维修部{code}"),
            f.make_department(session, project, "security", f"安全部{code}"),
        ]
        people = [f.make_user(session, roles=[("staff", project, d)]) for d in departments]
        desk = f.make_user(session, roles=[("receptionist", project, None)])
        projects.append(SimpleNamespace(project=project, departments=departments, people=people))
        _slips(session, rng, project, departments, people, desk)
        _complaints(session, rng, project, departments, people, desk)
    session.commit()
    return projects


def _slips(session, rng, project, departments, people, desk):
    start, end = WEEK
    edges = [start, start - timedelta(seconds=1), end - timedelta(seconds=1), end]
    for n in range(45):
        filed = edges[n] if n < len(edges) else _moment(rng, start - timedelta(days=2), end + timedelta(days=2))
        against = rng.choice([*departments, None])
        status = rng.choice(list(SlipStatus))
        due = None
        if against is not None and rng.random() < 0.9:
            due = filed + timedelta(hours=rng.randrange(1, 150))
        filer = rng.choice([0, 1, None])
        slip = f.make_slip(
            session,
            project,
            people[filer] if filer is not None else desk,
            filed_at=filed,
            filer_department_id=departments[filer].id if filer is not None else None,
            responsible_department_id=against.id if against else None,
            rectification_due_at=due,
            status=status,
            category=rng.choice(list(SlipCategory)).value,
            escalated_at=_maybe(rng, filed + timedelta(hours=2), 0.25),
        )
        for number in range(1, rng.choice([0, 0, 1, 1, 2, 3]) + 1):
            done = _maybe(rng, filed + timedelta(hours=rng.randrange(1, 150)), 0.8)
            verification = rng.choice(["pass", "fail", None])
            session.add(
                RectificationRound(
                    project_id=project.id,
                    slip_id=slip.id,
                    number=number,
                    measures_who="李师傅",
                    measures_when=filed,
                    measures_how="更换",
                    recorded_by_id=desk.id,
                    completed_at=done,
                    verification=verification,
                    verified_at=(done or filed) + timedelta(hours=rng.randrange(1, 20)) if verification else None,
                )
            )
    session.flush()


def _complaints(session, rng, project, departments, people, desk):
    start, end = MONTH
    edges = [start, start - timedelta(seconds=1), end - timedelta(seconds=1), end]
    for n in range(60):
        received = edges[n] if n < len(edges) else _moment(rng, start - timedelta(days=6), end + timedelta(days=4))
        cls = rng.choice(list(ComplaintClass))
        status = rng.choice(list(ComplaintStatus))
        commitment_due = received + timedelta(hours=rng.randrange(1, 30))
        resolution_due = received + timedelta(hours=rng.randrange(24, 100))
        upgraded = _maybe(rng, received + timedelta(hours=rng.randrange(1, 80)), 0.15)
        complaint = f.make_complaint(
            session,
            project,
            desk,
            complaint_class=cls.value,
            status=status.value,
            received_at=received,
            complained_department_id=_maybe(rng, rng.choice(departments).id, 0.8),
            complained_user_id=_maybe(rng, rng.choice(people).id, 0.5),
            commitment_due_at=commitment_due,
            commitment_done_at=_maybe(rng, commitment_due + timedelta(hours=rng.randrange(-20, 10)), 0.7),
            resolution_due_at=resolution_due,
            resolved_at=_maybe(rng, resolution_due + timedelta(hours=rng.randrange(-40, 30)), 0.6),
            answered_at=_maybe(rng, resolution_due + timedelta(hours=rng.randrange(-40, 30)), 0.6),
            upgraded_at=upgraded,
            cause=rng.choice([None, "维修不及时", "服务态度"]),
        )
        if status is ComplaintStatus.WAITING:
            session.add(
                ComplaintPause(
                    project_id=project.id,
                    complaint_id=complaint.id,
                    started_at=received + timedelta(hours=3),
                    reason="等配件",
                    started_by_id=desk.id,
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2])):
            session.add(
                ComplaintCallback(
                    project_id=project.id,
                    complaint_id=complaint.id,
                    method="phone",
                    satisfaction=rng.choice(list(Satisfaction)).value,
                    called_by_id=desk.id,
                    called_at=_moment(rng, received, received + timedelta(days=5)),
                )
            )
    session.flush()


SLIP_MEASURES = ("against", "on_time", "late", "failures", "open", "escalated")


@pytest.mark.parametrize("read_at", WEEK_READS, ids=["mid-week", "after"])
def test_eval_slip_figures_agree_with_the_weekly_summary(session, varied, read_at):
    """A department's sheet over the summary's week, read at the same moment, shows the
    weekly summary's filed, against, on time, late, failures, open and escalated; the
    project's sheet its totals row."""
    seen = dict.fromkeys(SLIP_MEASURES, 0)
    for case in varied:
        summary = slip_reports.weekly_summary(session, case.project.id, *WEEK, read_at)
        ids = [d.id for d in case.departments]
        against = facts.totals(session, "slips_against", Kind.DEPARTMENT, ids, *WEEK, read_at)
        filed = facts.totals(session, "slips_filed", Kind.DEPARTMENT, ids, *WEEK, read_at)
        rows = {row.department_id: row for row in summary.rows}
        for department_id in ids:
            row = rows[department_id]
            sheet = against.get(department_id, dict.fromkeys(SLIP_MEASURES, 0))
            assert {m: getattr(row, m) for m in SLIP_MEASURES} == sheet, department_id
            assert row.filed == filed.get(department_id, {}).get("filed", 0)
        project = facts.totals(session, "slips_against", Kind.PROJECT, [case.project.id], *WEEK, read_at)
        assert {m: getattr(summary.totals, m) for m in SLIP_MEASURES} == project[case.project.id]
        project_filed = facts.totals(session, "slips_filed", Kind.PROJECT, [case.project.id], *WEEK, read_at)
        assert summary.totals.filed == project_filed[case.project.id]["filed"]
        for m in SLIP_MEASURES:
            seen[m] += getattr(summary.totals, m)
    # the data exercise every figure: agreement on zeros would prove nothing
    assert all(seen.values()), seen


def _by_class(counts: dict[str, int]) -> dict[str, int]:
    """The summary's by-class counts from a sheet's complaints, valid, major, important."""
    return {
        ComplaintClass.MAJOR: counts["major"],
        ComplaintClass.IMPORTANT: counts["important"],
        ComplaintClass.MINOR: counts["valid"] - counts["major"] - counts["important"],
        ComplaintClass.INVALID: counts["complaints"] - counts["valid"],
    }


def _clock(counts: dict[str, int] | None) -> tuple[int, int, int]:
    counts = counts or {}
    return counts.get("on_time", 0), counts.get("late", 0), counts.get("pending", 0)


@pytest.mark.parametrize("read_at", MONTH_READS, ids=["mid-month", "after"])
def test_eval_complaint_figures_agree_with_the_monthly_summary(session, varied, read_at):
    """A project's sheet over the calendar month (the summary with cut-off day 31), read
    at the same moment, shows the monthly summary's complaints by class, those still
    open, the commitment and resolution clocks (on time, late, pending) and the
    call-backs' satisfaction; a department's sheet its row of complaints by class."""
    seen = {"late": 0, "pending": 0, "on_time": 0, "satisfied": 0, "still_open": 0}
    for case in varied:
        project_id = case.project.id
        summary = complaint_reports.monthly_summary(session, project_id, NOVEMBER, 31, read_at)

        def sheet(family, kind=Kind.PROJECT, subjects=(project_id,)):
            return facts.totals(session, family, kind, list(subjects), *MONTH, read_at)

        received = sheet("complaints_received")[project_id]
        assert _by_class(received) == summary.by_class
        assert received["valid"] == summary.valid
        assert received["still_open"] == summary.still_open
        commitment = _clock(sheet("complaint_commitment").get(project_id))
        assert commitment == (summary.commitment.on_time, summary.commitment.late, summary.commitment.pending)
        resolution = _clock(sheet("complaint_resolution").get(project_id))
        assert resolution == (summary.resolution.on_time, summary.resolution.late, summary.resolution.pending)
        callbacks = sheet("complaint_callbacks").get(project_id, {"callbacks": 0, "satisfied": 0})
        assert callbacks["callbacks"] == summary.callbacks
        assert (
            callbacks["satisfied"]
            == summary.satisfaction[Satisfaction.SATISFIED] + summary.satisfaction[Satisfaction.BASICALLY_SATISFIED]
        )

        ids = [d.id for d in case.departments]
        by_department = sheet("complaints_received", Kind.DEPARTMENT, ids)
        rows = {row.department_id: row for row in summary.departments}
        for department_id in ids:
            counts = by_department.get(department_id)
            assert rows[department_id].total == (counts["complaints"] if counts else 0)
            if counts:
                assert _by_class(counts) == rows[department_id].by_class

        seen["late"] += summary.commitment.late + summary.resolution.late
        seen["pending"] += summary.commitment.pending + summary.resolution.pending
        seen["on_time"] += summary.commitment.on_time + summary.resolution.on_time
        seen["satisfied"] += callbacks["satisfied"]
        seen["still_open"] += summary.still_open
    if read_at == MONTH_READS[0]:
        assert all(seen.values()), seen
    else:
        assert seen["late"] and seen["on_time"] and seen["satisfied"], seen
