"""The evaluation sheets against a month of real records (EVAL, the issue's done-criterion):
November 2026 in one project — slips, complaints, praise, paid jobs, activities and work
items of a patrol guard, two technicians, their supervisor, a receptionist and the CS
supervisor — and every figure of their sheets, of their departments' and of the
project's, checked against values worked out by hand (the tables in `build_month`'s
docstring and the literal dicts below; nothing here recomputes them with the code under
test). A second project's records of the same month must never count.

November is local (Asia/Shanghai): 2026-10-31 16:00 UTC to 2026-11-30 16:00 UTC. Now is
2 December 2026, 10:00 local.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import tests.factories as f
import webapp.evaluation.families  # noqa: F401  (registers the facts families)
from webapp.activities.models import ActivityRosterEntry
from webapp.complaints.models import ComplaintCallback, ComplaintPause
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import WorkItem
from webapp.evaluation import facts
from webapp.evaluation.catalogue import SOP_AREAS, measures_for
from webapp.evaluation.rules import Kind, Period, PeriodLength
from webapp.evaluation.sheets import department_sheet, period_bounds, person_sheet, project_sheet
from webapp.paid_services.models import QualityCheck, ServiceAssignment, ServiceSignature
from webapp.reception.models import PraiseCredit
from webapp.slips.models import RectificationRound

NOVEMBER = Period(date(2026, 11, 1))
OCTOBER = Period(date(2026, 10, 1))
DECEMBER = Period(date(2026, 12, 1))
Q4 = Period(date(2026, 10, 1), PeriodLength.QUARTER)
NOV = (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
DEC = (NOV[1], datetime(2026, 12, 31, 16, tzinfo=UTC))


def local(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """A moment of 2026 in Beijing time."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


def end_of(month: int, day: int) -> datetime:
    """23:59:59 local: "the same day" of a commitment."""
    return local(month, day, 23, 59, 59)


NOW = local(12, 2, 10)


# fmt: off
def build_month(session) -> SimpleNamespace:
    """November 2026 in project EV (units 1–6, departments 安全部 S, 维修部 M, 客服中心 CS),
    with a few records of October and December for the quarter, and the same kinds of
    records in project EX (which must not count). Returns the records by the keys below.

    People: guard (staff, S), tech and tech2 (staff, M), supervisor (dept_supervisor, M),
    receptionist and cs_supervisor (project roles: members of CS).

    Slips (filed local; due = rectification_due_at; rounds: completed, verification)::

        key  filed by      filed         status             against  due          rounds             outcome
        G3   guard  (S)    31 Oct 23:59  closed             M        1 Nov 18:00  pass 1 Nov 10:00   October
        A1   guard  (S)    3 Nov 10:00   closed             M        3 Nov 18:00  pass 3 Nov 16:00   on time
        A2   guard  (S)    1 Nov 00:30   rectifying         M        1 Nov 18:00  -                  late (past due now), open
        A3   recep. (CS)   12 Nov 10:00  closed             M        12 Nov 18:00 pass 13 Nov 09:00  late (completed after)
        A4   guard  (S)    25 Nov 10:00  escalated          M        5 Dec 18:00  -                  neither, open, escalated
        A5   tech   (M)    28 Nov 10:00  awaiting_callback  M        28 Nov 18:00 fail 14:00,        on time, open, failures 1
                                                                                  pass 17:00
        B1   tech   (M)    10 Nov 10:00  closed             S        10 Nov 18:00 pass 10 Nov 15:00  on time
        B2   tech   (M)    15 Nov 10:00  closed             S        15 Nov 18:00 pass 16 Nov 10:00  late
        B3   recep. (CS)   30 Nov 22:00  assigned           S        2 Dec 18:00  -                  neither (within due), open
        B4   cs_sup (CS)   18 Nov 10:00  closed             S        25 Nov 18:00 pass 22 Nov 10:00  on time, escalated
        B5   guard  (S)    8 Nov 10:00   withdrawn          S        8 Nov 18:00  -                  neither (withdrawn)
        G4   guard  (S)    20 Nov 10:00  withdrawn          -        -            -                  project only
        U1   superv.(M)    6 Nov 10:00   filed              -        -            -                  project only, open
        D1   guard  (S)    1 Dec 09:00   assigned           S        1 Dec 18:00  -                  December

    Complaints (received local; commitment due / taken in; resolution due / done — the
    answer for major and invalid, the completed handling for the others)::

        key  class      received      person  dept  status             commitment            resolution                 call-back
        C1   major      5 Nov 10:00   guard   S     closed             5 Nov 23:59 / 10:30   7 Nov 10:00 / 6 Nov       8 Nov satisfied
        C2   minor      20 Nov 10:00  guard   S     closed             20 Nov 23:59 / 21 Nov 22 Nov 10:00 / 23 Nov     24 Nov dissatisfied
        C3   invalid    26 Nov 10:00  guard   S     explained (open)   26 Nov 23:59 / 11:00  29 Nov 10:00 / -  (late)
        C4   important  12 Nov 10:00  tech    M     closed             12 Nov 11:00 / 10:40  16 Nov 10:00 / 15 Nov     17 Nov basically
                                                                                             (a day's closed pause)
        C5   minor      27 Nov 10:00  tech    M     waiting (open)     27 Nov 23:59 / 28 Nov 29 Nov 10:00 / - (pending)
        C6   minor      29 Nov 10:00  tech    M     received (open)    29 Nov 23:59 / - late 1 Dec 10:00 (December)
        C7   important  8 Nov 10:00   -       M     closed             8 Nov 11:00 / 12:00   11 Nov 10:00 / 10 Nov     12 Nov satisfied
        C8   minor      30 Oct 10:00  -       M     closed             30 Oct (October)      1 Nov 10:00 / 2 Nov late  3 Nov satisfied
        C9   minor      15 Nov 10:00  -       S     awaiting_callback  15 Nov 23:59 / 12:00  17 Nov 10:00 / 16 Nov
        C10  minor      18 Nov 10:00  recep.  CS    closed             18 Nov 23:59 / 10:10  20 Nov 10:00 / 19 Nov     21 Nov satisfied
        C11  invalid    22 Nov 10:00  -       -     closed             22 Nov 23:59 / 10:30  25 Nov 10:00 / 24 Nov
        C12  minor      2 Dec 09:30   guard   S     received (open)    2 Dec 23:59 / - (pending at now)  4 Dec 09:30

    Praise credits: P1 guard 6 Nov; P2 one praise naming guard and tech, 19 Nov; P3
    verified, not credited (tech); P4 guard 20 Oct.

    Paid jobs (maintenance's item at 80.00 yuan an hour; team on the job when done)::

        key  team              finished       charge (fen)        owner                    quality
        J1   tech              4 Nov 15:00    8 000 + 1 500 mat.  signed, 5                qualified
        J2   tech, tech2       14 Nov 16:00   16 000              signed, 4                unqualified
        J3   tech              21 Nov 16:00   4 000               refused, then signed     not checked
                                                                  (unrated)
        J4   tech              9 Nov 15:00    8 000               cancelled: not counted
        J5   tech              1 Dec 10:00    6 000               December
        J6   tech2 (tech off   25 Nov 15:00   24 000              signed, 2                qualified
             at 09:00)

    Activities (local days): "held" 14 Nov, summarised by cs_supervisor, attendance 120,
    roster receptionist and guard; "cancelled" 21 Nov (receptionist); "october" 24 Oct
    (receptionist, summarised, 80); "unsummarised" 28 Nov, held (receptionist).

    Work items (due local)::

        key  held by              department  due           done                 area
        W1   tech                 M           10 Nov 12:00  10 Nov 11:00         services
        W2   tech                 -           15 Nov 12:00  16 Nov 09:00 (late)  reception
        W3   tech                 -           28 Nov 12:00  open (overdue)       slips
        W4   role staff → guard   S           20 Nov 12:00  21 Nov 09:00 (late)  slips
        W5   tech                 -           5 Dec 12:00   open                 complaints
        W6   tech                 -           no due        open                 activities
        W7   role dept_supervisor M           25 Nov 12:00  open (overdue)       complaints
        W8   supervisor           M           5 Nov 12:00   5 Nov 10:00          services
        W9   receptionist         -           30 Nov 23:00  1 Dec 09:00 (late)   complaints

    Project EX, November: slip X1, complaint X2 (called back), praise X3, paid job X4
    (8 000), activity X5 (held), work item X6 (open, overdue); 2 units.
    """
    company = f.make_company(session)
    project = f.make_project(session, company, code="EV", name="评估花园")
    other = f.make_project(session, company, code="EX", name="另一花园")
    security = f.make_department(session, project, "security", "安全部")
    maintenance = f.make_department(session, project, "maintenance", "维修部")
    cs = f.make_department(session, project, "customer_service", "客服中心")
    other_security = f.make_department(session, other, "security", "另一安全部")
    other_maintenance = f.make_department(session, other, "maintenance", "另一维修部")

    def person(username, name, role, in_project=project, department=None):
        return f.make_user(session, username, roles=[(role, in_project, department)], display_name=name)

    guard = person("ev.guard", "巡逻岗小周", "staff", department=security)
    tech = person("ev.tech", "维修工老王", "staff", department=maintenance)
    tech2 = person("ev.tech2", "维修工小李", "staff", department=maintenance)
    supervisor = person("ev.supervisor", "维修主管老陈", "dept_supervisor", department=maintenance)
    receptionist = person("ev.receptionist", "接待员小林", "receptionist")
    cs_supervisor = person("ev.cs", "客服主管小何", "cs_supervisor")
    other_guard = person("ex.guard", "另一巡逻岗", "staff", other, other_security)
    other_tech = person("ex.tech", "另一维修工", "staff", other, other_maintenance)

    building = f.make_building(session, project, "1栋")
    units = [f.make_unit(session, building, f"{n}01") for n in range(1, 7)]
    other_building = f.make_building(session, other, "9栋")
    other_units = [f.make_unit(session, other_building, f"{n}02") for n in range(1, 3)]

    m = SimpleNamespace(
        project=project, other=other, security=security, maintenance=maintenance, cs=cs,
        other_security=other_security, guard=guard, tech=tech, tech2=tech2, supervisor=supervisor,
        receptionist=receptionist, cs_supervisor=cs_supervisor, other_guard=other_guard,
        other_tech=other_tech, units=units, slips={}, complaints={}, credits={}, jobs={},
        activities={}, work={},
    )

    # ------------------------------------------------------------------ slips
    department_of = {
        guard.id: security, tech.id: maintenance, supervisor.id: maintenance,
        receptionist.id: cs, cs_supervisor.id: cs, other_guard.id: other_security,
    }

    def slip(key, filer, filed, status, against=None, due=None, rounds=(), escalated=None,
             in_project=project):
        made = f.make_slip(
            session, in_project, filer, filer_department_id=department_of[filer.id].id,
            filed_at=filed, status=status, description=f"{key} 消防通道堆放杂物",
            responsible_department_id=against.id if against else None,
            received_at=filed + timedelta(minutes=10) if against else None,
            received_by_id=receptionist.id if against else None,
            rectification_due_at=due, escalated_at=escalated,
            closed_at=filed + timedelta(days=3) if status == "closed" else None,
        )
        for number, (completed, verification) in enumerate(rounds, start=1):
            session.add(RectificationRound(
                project_id=in_project.id, slip_id=made.id, number=number, measures_who="维修部老王",
                measures_when=completed - timedelta(hours=1), measures_how="清理杂物",
                recorded_by_id=filer.id, recorded_at=completed, completed_at=completed,
                verification=verification, verified_by_id=receptionist.id,
                verified_at=completed + timedelta(minutes=30),
            ))
        session.flush()
        m.slips[key] = made

    slip("G3", guard, local(10, 31, 23, 59), "closed", maintenance, local(11, 1, 18),
         [(local(11, 1, 10), "pass")])
    slip("A1", guard, local(11, 3), "closed", maintenance, local(11, 3, 18), [(local(11, 3, 16), "pass")])
    slip("A2", guard, local(11, 1, 0, 30), "rectifying", maintenance, local(11, 1, 18))
    slip("A3", receptionist, local(11, 12), "closed", maintenance, local(11, 12, 18),
         [(local(11, 13, 9), "pass")])
    slip("A4", guard, local(11, 25), "escalated", maintenance, local(12, 5, 18), escalated=local(11, 25, 12))
    slip("A5", tech, local(11, 28), "awaiting_callback", maintenance, local(11, 28, 18),
         [(local(11, 28, 14), "fail"), (local(11, 28, 17), "pass")])
    slip("B1", tech, local(11, 10), "closed", security, local(11, 10, 18), [(local(11, 10, 15), "pass")])
    slip("B2", tech, local(11, 15), "closed", security, local(11, 15, 18), [(local(11, 16, 10), "pass")])
    slip("B3", receptionist, local(11, 30, 22), "assigned", security, local(12, 2, 18))
    slip("B4", cs_supervisor, local(11, 18), "closed", security, local(11, 25, 18),
         [(local(11, 22, 10), "pass")], escalated=local(11, 18, 12))
    slip("B5", guard, local(11, 8), "withdrawn", security, local(11, 8, 18))
    slip("G4", guard, local(11, 20), "withdrawn")
    slip("U1", supervisor, local(11, 6), "filed")
    slip("D1", guard, local(12, 1, 9), "assigned", security, local(12, 1, 18))
    slip("X1", other_guard, local(11, 10), "closed", other_security, local(11, 10, 18),
         [(local(11, 10, 12), "pass")], in_project=other)

    # ------------------------------------------------------------------ complaints
    def complaint(key, cls, received, status, *, person=None, department=None, commitment_due,
                  committed=None, resolution_due, answered=None, resolved=None, pauses=(),
                  callback=None, in_project=project):
        made = f.make_complaint(
            session, in_project, receptionist, complaint_class=cls, received_at=received,
            status=status, description=f"{key} 楼道灯坏了三天没人修",
            complained_user_id=person.id if person else None,
            complained_department_id=department.id if department else None,
            commitment_due_at=commitment_due, commitment_done_at=committed,
            resolution_due_at=resolution_due, answered_at=answered, resolved_at=resolved,
            closed_at=callback[1] if callback and status == "closed" else None,
        )
        for started, ended in pauses:
            session.add(ComplaintPause(
                project_id=in_project.id, complaint_id=made.id, started_at=started, ended_at=ended,
                reason="等待配件", started_by_id=receptionist.id,
                ended_by_id=receptionist.id if ended else None,
            ))
        if callback:
            satisfaction, called = callback
            session.add(ComplaintCallback(
                project_id=in_project.id, complaint_id=made.id, method="phone",
                satisfaction=satisfaction, called_by_id=receptionist.id, called_at=called,
            ))
        session.flush()
        m.complaints[key] = made

    complaint("C1", "major", local(11, 5), "closed", person=guard, department=security,
              commitment_due=end_of(11, 5), committed=local(11, 5, 10, 30),
              resolution_due=local(11, 7), answered=local(11, 6, 15),
              callback=("satisfied", local(11, 8)))
    complaint("C2", "minor", local(11, 20), "closed", person=guard, department=security,
              commitment_due=end_of(11, 20), committed=local(11, 21, 9),
              resolution_due=local(11, 22), resolved=local(11, 23), answered=local(11, 23, 11),
              callback=("dissatisfied", local(11, 24)))
    complaint("C3", "invalid", local(11, 26), "explained", person=guard, department=security,
              commitment_due=end_of(11, 26), committed=local(11, 26, 11), resolution_due=local(11, 29))
    complaint("C4", "important", local(11, 12), "closed", person=tech, department=maintenance,
              commitment_due=local(11, 12, 11), committed=local(11, 12, 10, 40),
              resolution_due=local(11, 16), resolved=local(11, 15, 20), answered=local(11, 15, 20),
              pauses=[(local(11, 13), local(11, 14))], callback=("basically_satisfied", local(11, 17)))
    complaint("C5", "minor", local(11, 27), "waiting", person=tech, department=maintenance,
              commitment_due=end_of(11, 27), committed=local(11, 28, 9), resolution_due=local(11, 29),
              pauses=[(local(11, 28, 15), None)])
    complaint("C6", "minor", local(11, 29), "received", person=tech, department=maintenance,
              commitment_due=end_of(11, 29), resolution_due=local(12, 1))
    complaint("C7", "important", local(11, 8), "closed", department=maintenance,
              commitment_due=local(11, 8, 11), committed=local(11, 8, 12),
              resolution_due=local(11, 11), resolved=local(11, 10), answered=local(11, 10),
              callback=("satisfied", local(11, 12)))
    complaint("C8", "minor", local(10, 30), "closed", department=maintenance,
              commitment_due=end_of(10, 30), committed=local(10, 30, 11),
              resolution_due=local(11, 1), resolved=local(11, 2), answered=local(11, 2),
              callback=("satisfied", local(11, 3)))
    complaint("C9", "minor", local(11, 15), "awaiting_callback", department=security,
              commitment_due=end_of(11, 15), committed=local(11, 15, 12),
              resolution_due=local(11, 17), resolved=local(11, 16), answered=local(11, 16))
    complaint("C10", "minor", local(11, 18), "closed", person=receptionist, department=cs,
              commitment_due=end_of(11, 18), committed=local(11, 18, 10, 10),
              resolution_due=local(11, 20), resolved=local(11, 19), answered=local(11, 19),
              callback=("satisfied", local(11, 21)))
    complaint("C11", "invalid", local(11, 22), "closed", commitment_due=end_of(11, 22),
              committed=local(11, 22, 10, 30), resolution_due=local(11, 25), answered=local(11, 24))
    complaint("C12", "minor", local(12, 2, 9, 30), "received", person=guard, department=security,
              commitment_due=end_of(12, 2), resolution_due=local(12, 4, 9, 30))
    complaint("X2", "minor", local(11, 10), "closed", person=other_guard, department=other_security,
              commitment_due=end_of(11, 10), committed=local(11, 10, 11),
              resolution_due=local(11, 12), resolved=local(11, 11), answered=local(11, 11),
              callback=("satisfied", local(11, 13)), in_project=other)

    # ------------------------------------------------------------------ praise
    def praise(key, people, credited, status="credited", in_project=project):
        recorded = (credited or local(11, 26)) - timedelta(days=2)
        entry = f.make_reception_entry(session, in_project, receptionist, received_at=recorded,
                                       content=f"{key} 表扬夜班的小伙子")
        made = f.make_praise(session, entry, receptionist, status=status, recorded_at=recorded,
                             verified_at=recorded + timedelta(days=1), verified_by_id=cs_supervisor.id,
                             credited_at=credited, credited_by_id=cs_supervisor.id if credited else None)
        for who in people:
            credit = PraiseCredit(project_id=in_project.id, praise_id=made.id, user_id=who.id,
                                  credited_at=credited)
            session.add(credit)
            session.flush()
            m.credits[(key, who.username)] = credit

    praise("P1", [guard], local(11, 6))
    praise("P2", [guard, tech], local(11, 19))
    praise("P3", [tech], None, status="verified")
    praise("P4", [guard], local(10, 20))
    praise("X3", [other_guard], local(11, 10), in_project=other)

    # ------------------------------------------------------------------ paid jobs
    def item(department, in_project=project):
        return f.make_service_item(session, in_project, department, supervisor, name="水电维修",
                                   unit_of_charge="小时", price_fen=8000, effective_from=local(10, 1, 8))

    repairs, other_repairs = item(maintenance), item(other_maintenance, other)

    def job(key, team, finished, quantity, status, *, materials=0, signings=(), quality=None,
            taken_off=(), service=repairs, unit=units[0], in_project=project):
        made = f.make_service_order(
            session, in_project, service, unit, receptionist, quantity_centi=quantity, status=status,
            registered_at=finished - timedelta(days=2), appointment_at=finished - timedelta(hours=3),
            started_at=finished - timedelta(hours=2), finished_at=finished,
            cancelled_at=finished if status == "cancelled" else None,
        )
        made.materials_fen = materials
        made.total_fen = made.lines_fen + materials
        for who in [*team, *taken_off]:
            session.add(ServiceAssignment(
                project_id=in_project.id, order_id=made.id, technician_id=who.id,
                assigned_by_id=supervisor.id, assigned_at=finished - timedelta(days=1),
                removed_at=finished - timedelta(hours=6) if who in taken_off else None,
            ))
        for n, (refused, rating) in enumerate(signings, start=1):
            session.add(ServiceSignature(
                project_id=in_project.id, order_id=made.id, signer_name="业主",
                signed_at=finished + timedelta(minutes=n), content_hash="0" * 64, signed_content="{}",
                refused=refused, refusal_reason="地面没擦干净" if refused else None, satisfaction=rating,
                recorded_by_id=team[0].id,
            ))
            session.flush()
        if quality:
            session.add(QualityCheck(project_id=in_project.id, order_id=made.id,
                                     checked_by_id=supervisor.id, result=quality,
                                     checked_at=finished + timedelta(hours=3)))
        session.flush()
        m.jobs[key] = made

    job("J1", [tech], local(11, 4, 15), 100, "closed", materials=1500, signings=[(False, 5)],
        quality="qualified")
    job("J2", [tech, tech2], local(11, 14, 16), 200, "closed", signings=[(False, 4)], quality="unqualified",
        unit=units[1])
    job("J3", [tech], local(11, 21, 16), 50, "signed", signings=[(True, None), (False, None)], unit=units[2])
    job("J4", [tech], local(11, 9, 15), 100, "cancelled", unit=units[3])
    job("J5", [tech], local(12, 1, 10), 75, "completed", unit=units[4])
    job("J6", [tech2], local(11, 25, 15), 300, "closed", signings=[(False, 2)], quality="qualified",
        taken_off=[tech], unit=units[5])
    job("X4", [other_tech], local(11, 10, 15), 100, "closed", signings=[(False, 5)], quality="qualified",
        service=other_repairs, unit=other_units[0], in_project=other)

    # ------------------------------------------------------------------ activities
    plan = f.make_activity_plan(session, project, cs_supervisor, year=2026, status="approved")
    other_plan = f.make_activity_plan(session, other, other_guard, year=2026, status="approved")

    def activity(key, day, status, roster, *, attendance=None, summarised_by=None, a_plan=plan):
        held = status in ("held", "summarised")
        made = f.make_activity(
            session, a_plan, day=day, status=status, name=f"{key} 邻里联欢会",
            held_at=local(day.month, day.day, 21) if held else None,
            cancelled_at=local(day.month, day.day - 3) if status == "cancelled" else None,
            attendance=attendance,
            went_well="游园猜谜参与踊跃" if summarised_by else None,
            shortcomings="音响回声太大" if summarised_by else None,
            summarised_at=local(day.month, day.day + 2) if summarised_by else None,
            summarised_by_id=summarised_by.id if summarised_by else None,
        )
        for who in roster:
            session.add(ActivityRosterEntry(
                project_id=a_plan.project_id, activity_id=made.id, user_id=who.id,
                role=who.roles[0].role, duty="现场秩序",
                shift_start=local(day.month, day.day, 18), shift_end=local(day.month, day.day, 21, 30),
            ))
        session.flush()
        m.activities[key] = made

    activity("held", date(2026, 11, 14), "summarised", [receptionist, guard], attendance=120,
             summarised_by=cs_supervisor)
    activity("cancelled", date(2026, 11, 21), "cancelled", [receptionist])
    activity("october", date(2026, 10, 24), "summarised", [receptionist], attendance=80,
             summarised_by=cs_supervisor)
    activity("unsummarised", date(2026, 11, 28), "held", [receptionist])
    activity("X5", date(2026, 11, 14), "held", [other_guard], a_plan=other_plan)

    # ------------------------------------------------------------------ work items
    def work(key, due, area, *, assignee=None, role=None, department=None, done=None, done_by=None,
             in_project=project):
        made = WorkItem(
            project_id=in_project.id, kind="evaluation_test", title=f"{key} 待办", link=f"/my-work/{key}",
            entity_type=area, entity_id=1, assignee_id=assignee.id if assignee else None,
            assignee_role=role, department_id=department.id if department else None, due_at=due,
            created_at=local(10, 30, 9), done_at=done,
            done_by_id=(done_by or assignee).id if done else None,
        )
        session.add(made)
        session.flush()
        m.work[key] = made

    work("W1", local(11, 10, 12), "service_orders", assignee=tech, department=maintenance,
         done=local(11, 10, 11))
    work("W2", local(11, 15, 12), "repair_work_orders", assignee=tech, done=local(11, 16, 9))
    work("W3", local(11, 28, 12), "slips", assignee=tech)
    work("W4", local(11, 20, 12), "slips", role="staff", department=security, done=local(11, 21, 9),
         done_by=guard)
    work("W5", local(12, 5, 12), "complaints", assignee=tech)
    work("W6", None, "activities", assignee=tech)
    work("W7", local(11, 25, 12), "complaints", role="dept_supervisor", department=maintenance)
    work("W8", local(11, 5, 12), "service_orders", assignee=supervisor, department=maintenance,
         done=local(11, 5, 10))
    work("W9", local(11, 30, 23), "complaints", assignee=receptionist, done=local(12, 1, 9))
    work("X6", local(11, 10, 12), "slips", assignee=other_guard, department=other_security, in_project=other)

    session.commit()
    return m
# fmt: on


def figures(sheet) -> dict[str, object]:
    """Every measure the sheet's kind shows, by key: a missing or an extra one changes the dict."""
    return {
        measure.key: sheet.value(measure.key)
        for _, _, measures in measures_for(sheet.kind)
        for measure in measures
    }


# ---------------------------------------------------------------------- the expected sheets, by hand

# fmt: off
NOTHING_PAID = {
    "paid_jobs": 0, "paid_revenue": 0, "paid_satisfaction": None, "paid_quality_rate": None,
    "paid_unqualified": 0, "paid_refusals": 0,
}
NO_COMPLAINTS = {
    "complaints": 0, "complaints_valid": 0, "complaints_major": 0, "complaints_important": 0,
    "complaints_open": 0, "commitment_rate": None, "commitment_late": 0, "resolution_rate": None,
    "resolution_late": 0, "callbacks": 0, "satisfaction_rate": None,
}
NO_ACTIVITIES = {"activities": 0, "activities_summarised": 0, "activity_attendance": 0}
NO_SLIPS_FILED = {
    "slips_filed": 0, "slips_filed_closed": 0, "slips_filed_open": 0, "slips_filed_withdrawn": 0,
}
NO_WORK = {"work_due": 0, "work_overdue": 0, "work_open_overdue": 0}


def open_items(**found: int) -> dict[str, int]:
    """The open_<area> and overdue_<area> figures: 0 but for those given."""
    return {f"{state}_{area}": found.get(f"{state}_{area}", 0) for area in SOP_AREAS
            for state in ("open", "overdue")}


PEOPLE_NOVEMBER = {
    # A1 closed; A2, A4 open; B5, G4 withdrawn (G3: 31 Oct 23:59 local, D1: December)
    "guard": {
        "slips_filed": 5, "slips_filed_closed": 1, "slips_filed_open": 2, "slips_filed_withdrawn": 2,
        # C1 major, C2 minor, C3 invalid and open; commitment C1, C3 on time, C2 late;
        # resolution C1 on time, C2 and C3 late; call-backs C1 satisfied, C2 dissatisfied
        "complaints": 3, "complaints_valid": 2, "complaints_major": 1, "complaints_important": 0,
        "complaints_open": 1, "commitment_rate": 2 / 3, "commitment_late": 1,
        "resolution_rate": 1 / 3, "resolution_late": 2, "callbacks": 2, "satisfaction_rate": 1 / 2,
        "praises": 2,  # P1, P2 (P4 is October's)
        **NOTHING_PAID,
        # on the held one's roster
        "activities": 1, "activities_summarised": 1, "activity_attendance": 120,
        # W4, addressed to staff, done late by the guard
        "work_due": 1, "work_overdue": 1, "work_open_overdue": 0,
    },
    "tech": {
        "slips_filed": 3, "slips_filed_closed": 2, "slips_filed_open": 1, "slips_filed_withdrawn": 0,
        # C4 important, C5 waiting, C6 received; commitment C4 on time, C5 late, C6 not taken
        # in; resolution C4 on time (the pause moved its due), C5 waiting: pending; C6 due in
        # December
        "complaints": 3, "complaints_valid": 3, "complaints_major": 0, "complaints_important": 1,
        "complaints_open": 2, "commitment_rate": 1 / 3, "commitment_late": 2,
        "resolution_rate": 1 / 1, "resolution_late": 0, "callbacks": 1, "satisfaction_rate": 1 / 1,
        "praises": 1,  # P2 (P3 is only verified)
        # J1 9 500 + J2 16 000 + J3 4 000; ratings 5, 4, unrated; J1 qualified, J2 not, J3
        # unchecked; J3 refused once (J4 cancelled, J5 December, J6 taken off)
        "paid_jobs": 3, "paid_revenue": 29500, "paid_satisfaction": Decimal("4.5"),
        "paid_quality_rate": 1 / 2, "paid_unqualified": 1, "paid_refusals": 1,
        **NO_ACTIVITIES,
        # W1 on time, W2 late, W3 open and overdue (W5 December, W6 no due)
        "work_due": 3, "work_overdue": 2, "work_open_overdue": 1,
    },
    "tech2": {
        **NO_SLIPS_FILED, **NO_COMPLAINTS, "praises": 0,
        # J2 16 000 in full + J6 24 000; ratings 4, 2; J2 unqualified, J6 qualified
        "paid_jobs": 2, "paid_revenue": 40000, "paid_satisfaction": Decimal("3.0"),
        "paid_quality_rate": 1 / 2, "paid_unqualified": 1, "paid_refusals": 0,
        **NO_ACTIVITIES, **NO_WORK,
    },
    "supervisor": {
        # U1
        "slips_filed": 1, "slips_filed_closed": 0, "slips_filed_open": 1, "slips_filed_withdrawn": 0,
        **NO_COMPLAINTS, "praises": 0, **NOTHING_PAID, **NO_ACTIVITIES,
        # W8 (W7 is addressed to the role and nobody did it)
        "work_due": 1, "work_overdue": 0, "work_open_overdue": 0,
    },
    "receptionist": {
        # A3 closed, B3 open
        "slips_filed": 2, "slips_filed_closed": 1, "slips_filed_open": 1, "slips_filed_withdrawn": 0,
        # C10
        "complaints": 1, "complaints_valid": 1, "complaints_major": 0, "complaints_important": 0,
        "complaints_open": 0, "commitment_rate": 1 / 1, "commitment_late": 0,
        "resolution_rate": 1 / 1, "resolution_late": 0, "callbacks": 1, "satisfaction_rate": 1 / 1,
        "praises": 0, **NOTHING_PAID,
        # the held one (summarised, 120) and the unsummarised one; not the cancelled one
        "activities": 2, "activities_summarised": 1, "activity_attendance": 120,
        # W9 due 30 Nov 23:00, done 1 Dec
        "work_due": 1, "work_overdue": 1, "work_open_overdue": 0,
    },
    "cs_supervisor": {
        # B4
        "slips_filed": 1, "slips_filed_closed": 1, "slips_filed_open": 0, "slips_filed_withdrawn": 0,
        **NO_COMPLAINTS, "praises": 0, **NOTHING_PAID,
        # wrote the held one's summary
        "activities": 1, "activities_summarised": 1, "activity_attendance": 120,
        **NO_WORK,
    },
}

DEPARTMENTS_NOVEMBER = {
    "security": {
        # the guard's
        "slips_filed": 5, "slips_filed_closed": 1, "slips_filed_open": 2, "slips_filed_withdrawn": 2,
        # B1..B5: B1, B4 on time, B2 late, B3 within its due, B5 withdrawn; B4 escalated
        "slips_against": 5, "slips_on_time": 2, "slips_late": 1, "slips_on_time_rate": 2 / 3,
        "slips_failures": 0, "slips_escalated": 1,
        # C1, C2, C3, C9; commitment C2 late; resolution C2, C3 late; call-backs C1, C2
        "complaints": 4, "complaints_valid": 3, "complaints_major": 1, "complaints_important": 0,
        "complaints_open": 2, "commitment_rate": 3 / 4, "commitment_late": 1,
        "resolution_rate": 2 / 4, "resolution_late": 2, "callbacks": 2, "satisfaction_rate": 1 / 2,
        "praises": 2, **NOTHING_PAID,
        "activities": 1, "activities_summarised": 1, "activity_attendance": 120,
        "work_due": 1, "work_overdue": 1, "work_open_overdue": 0,  # W4
        **open_items(),
    },
    "maintenance": {
        # B1, B2, A5 (the tech's), U1 (the supervisor's)
        "slips_filed": 4, "slips_filed_closed": 2, "slips_filed_open": 2, "slips_filed_withdrawn": 0,
        # A1..A5: A1, A5 on time; A2 (past due now) and A3 (completed after its due) late;
        # A4 escalated; A5 failed once before it passed
        "slips_against": 5, "slips_on_time": 2, "slips_late": 2, "slips_on_time_rate": 2 / 4,
        "slips_failures": 1, "slips_escalated": 1,
        # C4, C5, C6, C7 (C8 is October's); commitment C4 on time, C5, C6, C7 late; resolution
        # C4, C7 on time, C8 (due 1 Nov) late, C5 pending; call-backs C8 (3 Nov), C7, C4
        "complaints": 4, "complaints_valid": 4, "complaints_major": 0, "complaints_important": 2,
        "complaints_open": 2, "commitment_rate": 1 / 4, "commitment_late": 3,
        "resolution_rate": 2 / 3, "resolution_late": 1, "callbacks": 3, "satisfaction_rate": 3 / 3,
        "praises": 1,
        # J1, J2, J3, J6 once each: 9 500 + 16 000 + 4 000 + 24 000; ratings 5, 4, 2 → 3.67
        "paid_jobs": 4, "paid_revenue": 53500, "paid_satisfaction": Decimal("3.7"),
        "paid_quality_rate": 2 / 3, "paid_unqualified": 1, "paid_refusals": 1,
        **NO_ACTIVITIES,
        # W1 (its department), W2, W3 (the tech's), W7 (its department), W8
        "work_due": 5, "work_overdue": 3, "work_open_overdue": 2,
        # open now with the department on it (W7) or held by its people (the tech's W3, W5, W6)
        **open_items(open_slips=1, overdue_slips=1, open_complaints=2, overdue_complaints=1, open_activities=1),
    },
    "cs": {
        # A3, B3 (the receptionist's), B4 (the CS supervisor's)
        "slips_filed": 3, "slips_filed_closed": 2, "slips_filed_open": 1, "slips_filed_withdrawn": 0,
        "slips_against": 0, "slips_on_time": 0, "slips_late": 0, "slips_on_time_rate": None,
        "slips_failures": 0, "slips_escalated": 0,
        # C10
        "complaints": 1, "complaints_valid": 1, "complaints_major": 0, "complaints_important": 0,
        "complaints_open": 0, "commitment_rate": 1 / 1, "commitment_late": 0,
        "resolution_rate": 1 / 1, "resolution_late": 0, "callbacks": 1, "satisfaction_rate": 1 / 1,
        "praises": 0, **NOTHING_PAID,
        "activities": 2, "activities_summarised": 1, "activity_attendance": 120,
        "work_due": 1, "work_overdue": 1, "work_open_overdue": 0,  # W9 (the receptionist's)
        **open_items(),
    },
}

PROJECT_NOVEMBER = {
    # the 12 slips filed in November: closed A1 A3 B1 B2 B4; open A2 A4 A5 B3 U1; withdrawn B5 G4
    "slips_filed": 12, "slips_filed_closed": 5, "slips_filed_open": 5, "slips_filed_withdrawn": 2,
    # on time A1 A5 B1 B4; late A2 A3 B2; escalated A4 B4
    "slips_against": 12, "slips_on_time": 4, "slips_late": 3, "slips_on_time_rate": 4 / 7,
    "slips_failures": 1, "slips_escalated": 2,
    # C1–C7, C9–C11: invalid C3, C11; open C3 C5 C6 C9; commitment late C2 C5 C6 C7;
    # resolution late C2 C3 C8, pending C5; call-backs C1 C2 C4 C7 C8 C10 (C2 dissatisfied)
    "complaints": 10, "complaints_valid": 8, "complaints_major": 1, "complaints_important": 2,
    "complaints_open": 4,
    "complaints_per_thousand": Decimal("1666.67"),  # 10 × 1,000 / 6 units, half up
    "commitment_rate": 6 / 10, "commitment_late": 4, "resolution_rate": 6 / 9, "resolution_late": 3,
    "callbacks": 6, "satisfaction_rate": 5 / 6,
    "praises": 3,  # P1 guard, P2 guard and tech
    "paid_jobs": 4, "paid_revenue": 53500, "paid_satisfaction": Decimal("3.7"),
    "paid_quality_rate": 2 / 3, "paid_unqualified": 1, "paid_refusals": 1,
    "activities": 2, "activities_summarised": 1, "activity_attendance": 120,
    # W1 W2 W3 W4 W7 W8 W9; overdue W2 W3 W4 W7 W9; still open and overdue W3 W7
    "work_due": 7, "work_overdue": 5, "work_open_overdue": 2,
    # open now: W3 (slips, overdue), W5 (complaints, due 5 Dec), W6 (activities, no due),
    # W7 (complaints, overdue)
    **open_items(open_slips=1, overdue_slips=1, open_complaints=2, overdue_complaints=1,
                 open_activities=1),
}
# fmt: on


# ---------------------------------------------------------------------- the tests


def test_eval_month_bounds_are_local_midnights():
    """November's sheet starts at 00:00 on 1 November in Beijing, not at UTC midnight: a
    slip filed at 00:30 local on the 1st is November's."""
    assert period_bounds(NOVEMBER) == NOV
    assert period_bounds(Q4) == (datetime(2026, 9, 30, 16, tzinfo=UTC), DEC[1])


def test_eval_every_figure_of_each_persons_november_sheet(session):
    """Each person's November sheet shows exactly the figures worked out by hand: what
    they filed, the complaints against them with on-time rates, praise, paid jobs,
    activities and items held; nothing of October, December or the other project."""
    m = build_month(session)
    people = {key: getattr(m, key) for key in PEOPLE_NOVEMBER}
    found = {
        key: figures(person_sheet(session, user, NOVEMBER, NOW)) for key, user in people.items()
    }
    assert found == PEOPLE_NOVEMBER


def test_eval_every_figure_of_the_departments_november_sheets(session):
    """Security's, maintenance's and the customer-service centre's sheets show the slips
    and complaints against them, their people's praise, paid jobs, activities and items,
    exactly as worked out by hand."""
    m = build_month(session)
    found = {
        key: figures(department_sheet(session, getattr(m, key), NOVEMBER, NOW))
        for key in DEPARTMENTS_NOVEMBER
    }
    assert found == DEPARTMENTS_NOVEMBER


def test_eval_every_figure_of_the_projects_november_sheet(session):
    """The project's sheet counts every record of the month once, with complaints per
    1,000 units from its 6 units, the paid-service mean 3.7 and revenue in fen."""
    m = build_month(session)
    sheet = project_sheet(session, m.project, NOVEMBER, NOW)
    assert figures(sheet) == PROJECT_NOVEMBER
    assert sheet.units == 6


def test_eval_a_persons_sheet_shows_their_departments_and_activities_with_findings(session):
    """Beside a person's own figures, the sheet shows their department's slips and
    complaints (the same figures as the department's sheet), and lists the activities they
    organised with the summary's findings."""
    m = build_month(session)
    expected_department = {
        "guard": "security",
        "tech": "maintenance",
        "supervisor": "maintenance",
        "receptionist": "cs",
        "cs_supervisor": "cs",
    }
    against = {
        measure.key
        for key, _, measures in measures_for(Kind.DEPARTMENT)
        if key in ("slips", "complaints")
        for measure in measures
    }
    for person_key, department_key in expected_department.items():
        sheet = person_sheet(session, getattr(m, person_key), NOVEMBER, NOW)
        assert [d.subject_id for d in sheet.departments] == [getattr(m, department_key).id], (
            person_key
        )
        (department,) = sheet.departments
        assert {key: department.value(key) for key in against} == {
            key: DEPARTMENTS_NOVEMBER[department_key][key] for key in against
        }, person_key

    sheet = person_sheet(session, m.receptionist, NOVEMBER, NOW)
    held, unsummarised = m.activities["held"], m.activities["unsummarised"]
    assert [e.record_id for e in sheet.activities] == [held.id, unsummarised.id]
    assert "音响回声太大" in (sheet.activities[0].note or "")
    assert [e.record_id for e in person_sheet(session, m.tech, NOVEMBER, NOW).activities] == []


def test_eval_evidence_lists_exactly_the_records_built_for_each_figure(session):
    """Behind each figure the evidence lists the records built for it, oldest first, and
    nothing else (no number without its evidence)."""
    m = build_month(session)
    slips, complaints, jobs, work = m.slips, m.complaints, m.jobs, m.work

    def ids(family, kind, subject, column, bounds=NOV):
        return [
            e.record_id
            for e in facts.evidence(session, family, kind, subject.id, column, *bounds, NOW)
        ]

    def called_back(kind, subject):
        """A call-back's evidence row links to its complaint."""
        listed = facts.evidence(session, "complaint_callbacks", kind, subject.id, "callbacks", *NOV, NOW)
        return [e.values["complaint_id"] for e in listed]

    assert ids("slips_filed", Kind.PERSON, m.guard, "filed") == [
        slips[k].id for k in ("A2", "A1", "B5", "G4", "A4")
    ]
    assert ids("slips_filed", Kind.PERSON, m.guard, "withdrawn") == [slips["B5"].id, slips["G4"].id]
    assert ids("slips_against", Kind.DEPARTMENT, m.maintenance, "late") == [
        slips["A2"].id,
        slips["A3"].id,
    ]
    assert ids("slips_against", Kind.DEPARTMENT, m.maintenance, "failures") == [slips["A5"].id]
    assert ids("slips_against", Kind.PROJECT, m.project, "escalated") == [
        slips["B4"].id,
        slips["A4"].id,
    ]
    assert ids("complaints_received", Kind.PERSON, m.guard, "complaints") == [
        complaints[k].id for k in ("C1", "C2", "C3")
    ]
    assert ids("complaint_resolution", Kind.PROJECT, m.project, "late") == [
        complaints[k].id for k in ("C8", "C2", "C3")
    ]
    assert ids("complaint_resolution", Kind.DEPARTMENT, m.maintenance, "pending") == [
        complaints["C5"].id
    ]
    assert ids("complaint_commitment", Kind.PERSON, m.guard, "pending", DEC) == [
        complaints["C12"].id
    ]
    assert called_back(Kind.DEPARTMENT, m.maintenance) == [
        complaints[k].id for k in ("C8", "C7", "C4")
    ]
    assert ids("praise", Kind.PERSON, m.guard, "praises") == [
        m.credits[("P1", "ev.guard")].id,
        m.credits[("P2", "ev.guard")].id,
    ]
    assert ids("paid_jobs", Kind.PERSON, m.tech, "jobs") == [jobs[k].id for k in ("J1", "J2", "J3")]
    assert ids("paid_jobs", Kind.PERSON, m.tech2, "revenue_fen") == [jobs["J2"].id, jobs["J6"].id]
    assert ids("paid_jobs", Kind.PROJECT, m.project, "refusals") == [jobs["J3"].id]
    assert ids(
        "activities",
        Kind.PERSON,
        m.receptionist,
        "activities",
        (date(2026, 11, 1), date(2026, 12, 1)),
    ) == [m.activities["held"].id, m.activities["unsummarised"].id]
    assert ids("work_overdue", Kind.PERSON, m.tech, "overdue") == [work["W2"].id, work["W3"].id]
    assert ids("work_overdue", Kind.DEPARTMENT, m.maintenance, "open_overdue") == [
        work["W7"].id,
        work["W3"].id,
    ]


def test_eval_the_other_projects_records_never_count(session):
    """A slip, complaint, praise, paid job, activity and item of another project in the
    same month count on that project's sheet and never on this one's: each figure's
    evidence lists this project's records only."""
    m = build_month(session)
    other = figures(project_sheet(session, m.other, NOVEMBER, NOW))
    shown = (
        "slips_filed", "slips_against", "complaints", "callbacks", "praises", "paid_jobs",
        "paid_revenue", "activities", "work_due", "work_open_overdue", "complaints_per_thousand",
    )  # fmt: skip
    assert {key: other[key] for key in shown} == {
        "slips_filed": 1, "slips_against": 1, "complaints": 1, "callbacks": 1, "praises": 1,
        "paid_jobs": 1, "paid_revenue": 8000, "activities": 1, "work_due": 1, "work_open_overdue": 1,
        "complaints_per_thousand": Decimal("500.00"),  # 1 × 1,000 / 2 units
    }  # fmt: skip

    slips, complaints, jobs, work = m.slips, m.complaints, m.jobs, m.work
    november_slips = {
        slips[k].id
        for k in ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5", "G4", "U1")
    }
    expected = {
        # (family, column): (this project's records, the other project's)
        ("slips_filed", "filed"): (november_slips, {slips["X1"].id}),
        ("slips_against", "against"): (november_slips, {slips["X1"].id}),
        ("complaints_received", "complaints"): (
            {
                complaints[k].id
                for k in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C9", "C10", "C11")
            },
            {complaints["X2"].id},
        ),
        ("complaint_callbacks", "callbacks"): (
            {complaints[k].id for k in ("C1", "C2", "C4", "C7", "C8", "C10")},
            {complaints["X2"].id},
        ),
        ("praise", "praises"): (
            {m.credits[k].id for k in (("P1", "ev.guard"), ("P2", "ev.guard"), ("P2", "ev.tech"))},
            {m.credits[("X3", "ex.guard")].id},
        ),
        ("paid_jobs", "jobs"): ({jobs[k].id for k in ("J1", "J2", "J3", "J6")}, {jobs["X4"].id}),
        ("work_overdue", "due"): (
            {work[k].id for k in ("W1", "W2", "W3", "W4", "W7", "W8", "W9")},
            {work["X6"].id},
        ),
    }
    for (family, column), (ours, theirs) in expected.items():
        for project, records in ((m.project, ours), (m.other, theirs)):
            listed = facts.evidence(session, family, Kind.PROJECT, project.id, column, *NOV, NOW)
            # a call-back's evidence row links to its complaint
            found = {e.values["complaint_id"] if family == "complaint_callbacks" else e.record_id for e in listed}
            assert found == records, (family, project.code)
    days = (date(2026, 11, 1), date(2026, 12, 1))
    for project, records in (
        (m.project, [m.activities["held"].id, m.activities["unsummarised"].id]),
        (m.other, [m.activities["X5"].id]),
    ):
        listed = facts.evidence(
            session, "activities", Kind.PROJECT, project.id, "activities", *days, NOW
        )
        assert [e.record_id for e in listed] == records, project.code


def test_eval_a_quarter_sums_its_three_months(session):
    """The Q4 sheet's counts are October's, November's and December's added up, for a
    person, a department and the project."""
    m = build_month(session)
    sheet_of = {
        "guard": lambda period: person_sheet(session, m.guard, period, NOW),
        "tech": lambda period: person_sheet(session, m.tech, period, NOW),
        "receptionist": lambda period: person_sheet(session, m.receptionist, period, NOW),
        "maintenance": lambda period: department_sheet(session, m.maintenance, period, NOW),
        "project": lambda period: project_sheet(session, m.project, period, NOW),
    }
    # fmt: off
    cases = [
        # sheet          measure           Oct  Nov  Dec
        ("guard",        "slips_filed",      1,   5,   1),  # G3 | A1 A2 A4 B5 G4 | D1
        ("guard",        "praises",          1,   2,   0),  # P4 | P1 P2
        ("guard",        "complaints",       0,   3,   1),  # C1 C2 C3 | C12
        ("tech",         "paid_jobs",        0,   3,   1),  # J1 J2 J3 | J5
        ("tech",         "work_due",         0,   3,   1),  # W1 W2 W3 | W5
        ("receptionist", "activities",       1,   2,   0),  # 24 Oct | 14 and 28 Nov
        ("maintenance",  "complaints",       1,   4,   0),  # C8 | C4 C5 C6 C7
        ("maintenance",  "resolution_late",  0,   1,   1),  # C8 | C6, due 1 Dec
        ("project",      "slips_against",    1,  12,   1),
        ("project",      "complaints",       1,  10,   1),
    ]
    # fmt: on
    for subject, key, october, november, december in cases:
        found = [
            sheet_of[subject](period).value(key) for period in (OCTOBER, NOVEMBER, DECEMBER, Q4)
        ]
        assert found == [october, november, december, october + november + december], (subject, key)


def test_eval_open_items_now_by_sop_and_units(session):
    """The company view's open and overdue items are those open now, by SOP, whatever the
    period asked for (W3 slips, overdue; W5 and W7 complaints, W7 overdue; W6 activities
    without a due); each project has its own units."""
    m = build_month(session)
    expected = open_items(
        open_slips=1, overdue_slips=1, open_complaints=2, overdue_complaints=1, open_activities=1
    )
    for bounds in (NOV, DEC):
        found = facts.totals(session, "open_items", Kind.PROJECT, [m.project.id], *bounds, NOW)
        assert found == {m.project.id: expected}
    units = facts.totals(session, "units", Kind.PROJECT, [m.project.id, m.other.id], *NOV, NOW)
    assert units == {m.project.id: {"units": 6}, m.other.id: {"units": 2}}
