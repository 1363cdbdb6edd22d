"""The follow-ups the desk keeps for after-sales and repair contacts (篇3 §4.5–4.6):

* the return-for-repair slip 物业返修联系单 (RCP-03): drafted from the entry, handed the
  same day to the developer's on-site after-sales team with a due date, chased (督促落实)
  until the developer's repair is done;
* the repair work order (RCP-04 报修): dispatched to a department (maintenance as a rule),
  reported done by that department, called back by the desk (回访); not fixed goes round
  again, every round kept.

Each verb takes the session, the acting user and `now`; checks the actor may act in the
record's project (NotPermitted otherwise) and that the rules allow the step
(RuleViolation); writes one audit event about the record. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core import audit, notify
from webapp.core.clock import local_date, local_midnight, to_local
from webapp.core.i18n import gettext
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, clean_text
from webapp.estate.models import Unit
from webapp.org.access import NotPermitted
from webapp.org.access import check as _require
from webapp.org.models import Department, Project, User
from webapp.org.queries import users_with_roles
from webapp.org.rules import DESK_ROLES, DepartmentKind, Permission, Role, is_allowed_for_department
from webapp.reception import rules
from webapp.reception.models import ReceptionEntry, RepairRound, RepairWorkOrder, ReturnSlip
from webapp.reception.operations import classify, in_project, page_link
from webapp.reception.rules import Category, FollowUp, ReturnSlipStatus, WorkOrderStatus

#: work item kinds
SLIP_TO_SEND = "return_slip_send"  # the desk hands the drafted slip over today
SLIP_TO_CHASE = "return_slip_chase"  # the developer is past the date: chase them
REPAIR_TO_DO = "repair_work"  # the department does the repair
REPAIR_TO_CALL_BACK = "repair_callback"  # the desk calls the owner back

#: who in the department hears of a repair and sees it in their work
REPAIR_ROLES = (Role.DEPT_SUPERVISOR.value, Role.STAFF.value)

audit.ACTION_LABELS.update(
    {
        "return_slip_drafted": N_("drafted the return-for-repair slip"),
        "return_slip_sent": N_("sent the slip to the developer"),
        "return_slip_answered": N_("recorded the developer's answer"),
        "return_slip_completed": N_("recorded the developer's repair as done"),
        "return_slip_withdrawn": N_("withdrew the slip"),
        "work_order_dispatched": N_("dispatched the repair"),
        "work_order_done": N_("reported the repair done"),
        "work_order_called_back": N_("called the owner back"),
        "work_order_closed": N_("closed the work order"),
        "work_order_cancelled": N_("cancelled the work order"),
    }
)
audit.FIELD_LABELS.setdefault("developer_due_at", N_("Developer's due date"))
audit.FIELD_LABELS.setdefault("chase_due_at", N_("Chase date"))


def slip_link(slip: ReturnSlip) -> str:
    return page_link("reception.return_slip", f"/reception/return-slips/{slip.id}", slip_id=slip.id)


def order_link(order: RepairWorkOrder) -> str:
    return page_link("reception.work_order", f"/reception/work-orders/{order.id}", order_id=order.id)


def _when(moment: datetime | None) -> str | None:
    """A date on the timeline, as the desk reads it (Asia/Shanghai)."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def _tell_desk(session: so.Session, record, kind: str, title: str, link: str, due_at: datetime | None,
               dedupe_key: str) -> None:
    """A duty in the desk's work and a notice to each receptionist and CS supervisor."""
    notify.open_work(
        session, project_id=record.project_id, kind=kind, title=title[:200], link=link, entity=record,
        assignee_role=DESK_ROLES[0], due_at=due_at, dedupe_key=dedupe_key,
    )
    notify.notify(
        session, users_with_roles(session, record.project_id, DESK_ROLES), project_id=record.project_id,
        title=title[:200], link=link, dedupe_key=dedupe_key,
    )


# ---------------------------------------------------------------------------- RCP-03 return slip


def _move_slip(slip: ReturnSlip, target: ReturnSlipStatus) -> str:
    before = slip.status
    rules.check_return_slip_transition(before, target)
    slip.status = target.value
    return before


def draft_return_slip(
    session: so.Session, actor: User, entry: ReceptionEntry, values: dict[str, Any], now: datetime
) -> ReturnSlip:
    """RCP-03: classify the entry as after-sales and draft its slip, both in the caller's
    transaction; the desk must send it by the end of today (rules.return_slip_send_due).

    `values`: unit_id, location, problem."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    unit = in_project(session, Unit, values.get("unit_id"), entry.project_id, "unit")
    problem = rules.check_return_slip(unit.id if unit else None, values.get("location"), values.get("problem"))
    project = session.get(Project, entry.project_id)
    slip = ReturnSlip(
        project_id=entry.project_id,
        number=next_number(session, project_id=project.id, project_code=project.code,
                           series=rules.RETURN_SLIP_SERIES, at=now),
        entry_id=entry.id,
        status=ReturnSlipStatus.DRAFTED.value,
        unit_id=unit.id if unit else None,
        location=clean_text(values.get("location"), "location", None, 200),
        problem=problem,
        drafted_at=now,
        drafted_by_id=actor.id,
        send_due_at=rules.return_slip_send_due(now),
    )
    session.add(slip)
    session.flush()
    classify(session, actor, entry, Category.AFTER_SALES.value, FollowUp.RETURN_SLIP.value, now, follow_up_record=slip)
    audit.record(session, slip, "return_slip_drafted", actor_id=actor.id, to_state=slip.status, note=entry.number)
    what = gettext("Return-for-repair slip: hand it to the developer today")
    title = f"{slip.number} · {what}"
    _tell_desk(session, slip, SLIP_TO_SEND, title, slip_link(slip), slip.send_due_at, f"return_slip:{slip.id}:send")
    return slip


def send_return_slip(
    session: so.Session, actor: User, slip: ReturnSlip, values: dict[str, Any], now: datetime
) -> ReturnSlip:
    """RCP-03 当天返给现场售后部门: handed over, whom to, and the date CS will chase.

    `values`: received_by (the developer's person), due_at (aware datetime)."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, slip.project_id)
    receiver = rules.check_developer_receiver(values.get("received_by"))
    due_at = values.get("due_at")
    rules.check_developer_due(due_at, now)
    before = _move_slip(slip, ReturnSlipStatus.SENT)
    slip.sent_at = now
    slip.sent_by_id = actor.id
    slip.received_by_developer = receiver
    slip.developer_due_at = due_at
    slip.chase_due_at = rules.chase_due(due_at, None)
    audit.record(session, slip, "return_slip_sent", actor_id=actor.id, from_state=before, to_state=slip.status,
                 note=receiver, changes={"developer_due_at": [None, _when(due_at)]})
    notify.close_work(session, entity=slip, kind=SLIP_TO_SEND, done_by_id=actor.id)
    return slip


def record_developer_answer(
    session: so.Session, actor: User, slip: ReturnSlip, values: dict[str, Any], now: datetime
) -> ReturnSlip:
    """The developer's reply; a promised date becomes the date CS chases (rules.chase_due).
    A later answer replaces an earlier one.

    `values`: answer, promised_by (aware datetime or None)."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, slip.project_id)
    promised_by = values.get("promised_by")
    answer = rules.check_developer_answer(values.get("answer"), promised_by, now)
    before = _move_slip(slip, ReturnSlipStatus.ANSWERED)
    previous_chase = slip.chase_due_at
    slip.answer = answer
    slip.answered_at = now
    slip.promised_by = promised_by
    slip.chase_due_at = rules.chase_due(slip.developer_due_at, promised_by)
    audit.record(session, slip, "return_slip_answered", actor_id=actor.id, from_state=before, to_state=slip.status,
                 note=answer, changes={"chase_due_at": [_when(previous_chase), _when(slip.chase_due_at)]})
    notify.close_work(session, entity=slip, kind=SLIP_TO_CHASE, done_by_id=actor.id)
    return slip


def complete_return_slip(
    session: so.Session, actor: User, slip: ReturnSlip, outcome: str | None, now: datetime
) -> ReturnSlip:
    """The developer's repair is done (or refused): the outcome, and the entry may be closed out."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, slip.project_id)
    text = rules.check_return_slip_outcome(outcome)
    before = _move_slip(slip, ReturnSlipStatus.COMPLETED)
    slip.outcome = text
    slip.completed_at = now
    audit.record(session, slip, "return_slip_completed", actor_id=actor.id, from_state=before, to_state=slip.status,
                 note=text)
    notify.close_work(session, entity=slip, done_by_id=actor.id)
    return slip


def withdraw_return_slip(
    session: so.Session, actor: User, slip: ReturnSlip, reason: str | None, now: datetime
) -> ReturnSlip:
    """No longer needed (the owner withdrew, made in error), with the reason."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, slip.project_id)
    text = rules.check_reason(reason)
    before = _move_slip(slip, ReturnSlipStatus.WITHDRAWN)
    slip.withdraw_reason = text
    slip.withdrawn_at = now
    audit.record(session, slip, "return_slip_withdrawn", actor_id=actor.id, from_state=before, to_state=slip.status,
                 note=text)
    notify.close_work(session, entity=slip, done_by_id=actor.id)
    return slip


def chase_overdue(session: so.Session, now: datetime) -> int:
    """RCP-03 督促落实, for `flask sla sweep`: each sent or answered slip past its chase date
    puts "chase the developer" into the desk's work and tells the desk, once a local day
    however often the sweep runs (last_chased_at; the notices' dedupe key). Rows another
    sweep holds are skipped (PostgreSQL SKIP LOCKED). Returns how many slips were chased."""
    today_began = local_midnight(local_date(now))
    candidates = session.scalars(
        sa.select(ReturnSlip)
        .where(
            ReturnSlip.status.in_([s.value for s in rules.CHASED_STATUSES]),
            ReturnSlip.chase_due_at < now,
            sa.or_(ReturnSlip.last_chased_at.is_(None), ReturnSlip.last_chased_at < today_began),
        )
        .order_by(ReturnSlip.id)
        .with_for_update(skip_locked=True, of=ReturnSlip)
        .execution_options(all_projects=True)
    ).all()
    chased = 0
    for slip in candidates:
        if not rules.needs_chase_reminder(slip.status, slip.chase_due_at, slip.last_chased_at, now):
            continue
        slip.last_chased_at = now
        key = rules.chase_reminder_key(slip.id, now)
        what = gettext("Overdue: chase the developer about the return-for-repair slip")
        title = f"{slip.number} · {what}"
        if not _has_open_work(session, slip, SLIP_TO_CHASE):
            notify.open_work(
                session, project_id=slip.project_id, kind=SLIP_TO_CHASE, title=title[:200], link=slip_link(slip),
                entity=slip, assignee_role=DESK_ROLES[0], due_at=slip.chase_due_at, dedupe_key=key,
            )
        notify.notify(
            session, users_with_roles(session, slip.project_id, DESK_ROLES), project_id=slip.project_id,
            title=title[:200], body=slip.problem[:200], link=slip_link(slip), dedupe_key=key,
        )
        chased += 1
    return chased


def _has_open_work(session: so.Session, record, kind: str) -> bool:
    from webapp.core.models import WorkItem

    return session.scalar(
        sa.select(sa.func.count())
        .select_from(WorkItem)
        .where(
            WorkItem.entity_type == record.__tablename__,
            WorkItem.entity_id == record.id,
            WorkItem.kind == kind,
            WorkItem.done_at.is_(None),
        )
        .execution_options(all_projects=True)
    ) > 0


def chased_slips(session: so.Session, project_ids: Iterable[int], now: datetime) -> list[ReturnSlip]:
    """RCP-03: the slips CS is chasing (sent or answered), the most overdue first; one
    query with the entry and unit."""
    return list(
        session.scalars(
            sa.select(ReturnSlip)
            .where(
                ReturnSlip.project_id.in_(list(project_ids) or [0]),
                ReturnSlip.status.in_([s.value for s in rules.CHASED_STATUSES]),
            )
            .options(so.joinedload(ReturnSlip.entry), so.joinedload(ReturnSlip.unit).joinedload(Unit.building))
            .order_by(ReturnSlip.chase_due_at, ReturnSlip.id)
        )
    )


def drafted_slips(session: so.Session, project_ids: Iterable[int]) -> list[ReturnSlip]:
    """Slips still to hand over today, the earliest send-by first."""
    return list(
        session.scalars(
            sa.select(ReturnSlip)
            .where(
                ReturnSlip.project_id.in_(list(project_ids) or [0]),
                ReturnSlip.status == ReturnSlipStatus.DRAFTED.value,
            )
            .options(so.joinedload(ReturnSlip.unit).joinedload(Unit.building))
            .order_by(ReturnSlip.send_due_at, ReturnSlip.id)
        )
    )


# ---------------------------------------------------------------------------- RCP-04 repair work order


def may_work_repair(grants, order: RepairWorkOrder) -> bool:
    """Reporting a repair done is for the order's department (its supervisor and staff),
    or a project-wide or company role holding WORK_REPAIR_ORDERS."""
    return is_allowed_for_department(grants, Permission.WORK_REPAIR_ORDERS, order.project_id, order.department_id)


def maintenance_department(session: so.Session, project_id: int) -> Department | None:
    """RCP-04 dispatch to maintenance: the project's active maintenance department."""
    return session.scalar(
        sa.select(Department)
        .where(Department.project_id == project_id, Department.kind == DepartmentKind.MAINTENANCE.value,
               Department.active.is_(True))
        .order_by(Department.id)
    )


def _move_order(order: RepairWorkOrder, target: WorkOrderStatus) -> str:
    before = order.status
    rules.check_work_order_transition(before, target)
    order.status = target.value
    return before


def current_round(order: RepairWorkOrder) -> RepairRound:
    return max(order.rounds, key=lambda r: r.round_number)


def _dispatch_round(session: so.Session, actor: User, order: RepairWorkOrder, number: int, now: datetime,
                    agreed_at: datetime | None) -> RepairRound:
    """A round of the repair: its clock, the department told and the job in their work."""
    repair_round = RepairRound(
        project_id=order.project_id, work_order=order, round_number=number, dispatched_at=now,
        dispatched_by_id=actor.id, done_due_at=rules.repair_done_due(now, agreed_at),
    )
    session.add(repair_round)
    what = gettext("Repair work order: do the repair") if number == 1 else gettext(
        "Repair work order: not fixed, repair it again")
    title = f"{order.number} · {what}"[:200]
    for role in REPAIR_ROLES:
        notify.open_work(
            session, project_id=order.project_id, kind=REPAIR_TO_DO, title=title, link=order_link(order),
            entity=order, assignee_role=role, department_id=order.department_id, due_at=repair_round.done_due_at,
            dedupe_key=f"work_order:{order.id}:round:{number}:{role}",
        )
    notify.notify(
        session, users_with_roles(session, order.project_id, REPAIR_ROLES, order.department_id),
        project_id=order.project_id, title=title, body=order.problem[:200], link=order_link(order),
        dedupe_key=f"work_order:{order.id}:round:{number}",
    )
    return repair_round


def dispatch_work_order(
    session: so.Session, actor: User, entry: ReceptionEntry, values: dict[str, Any], now: datetime
) -> RepairWorkOrder:
    """RCP-04 报修: classify the entry as a repair and dispatch its work order (round 1)
    to the department, in the caller's transaction.

    `values`: department_id, unit_id, location, problem, agreed_at (aware datetime or None)."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    department = in_project(session, Department, values.get("department_id"), entry.project_id, "department")
    agreed_at = values.get("agreed_at")
    rules.check_dispatch(department.id if department else None, agreed_at, now)
    unit = in_project(session, Unit, values.get("unit_id"), entry.project_id, "unit")
    problem = rules.check_work_order(unit.id if unit else None, values.get("location"), values.get("problem"))
    project = session.get(Project, entry.project_id)
    order = RepairWorkOrder(
        project_id=entry.project_id,
        number=next_number(session, project_id=project.id, project_code=project.code,
                           series=rules.WORK_ORDER_SERIES, at=now),
        entry_id=entry.id,
        status=WorkOrderStatus.DISPATCHED.value,
        department_id=department.id,
        unit_id=unit.id if unit else None,
        location=clean_text(values.get("location"), "location", None, 200),
        problem=problem,
        agreed_at=agreed_at,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(order)
    session.flush()
    classify(session, actor, entry, Category.REPAIR.value, FollowUp.WORK_ORDER.value, now, follow_up_record=order)
    _dispatch_round(session, actor, order, 1, now, agreed_at)
    audit.record(session, order, "work_order_dispatched", actor_id=actor.id, to_state=order.status,
                 note=department.name, changes={"department": [None, department.name]})
    return order


def mark_work_done(
    session: so.Session, actor: User, order: RepairWorkOrder, work_done: str | None, now: datetime
) -> RepairWorkOrder:
    """The department reports the round's repair done; the desk calls the owner back
    within rules.REPAIR_CALLBACK_LIMIT."""
    if not may_work_repair(actor.grants, order):
        raise NotPermitted()
    text = rules.check_work_done(work_done)
    before = _move_order(order, WorkOrderStatus.DONE)
    repair_round = current_round(order)
    repair_round.done_at = now
    repair_round.done_by_id = actor.id
    repair_round.work_done = text
    repair_round.callback_due_at = rules.repair_callback_due(now)
    audit.record(session, order, "work_order_done", actor_id=actor.id, from_state=before, to_state=order.status,
                 note=text)
    notify.close_work(session, entity=order, kind=REPAIR_TO_DO, done_by_id=actor.id)
    what = gettext("Repair done: call the owner back")
    title = f"{order.number} · {what}"
    _tell_desk(session, order, REPAIR_TO_CALL_BACK, title, order_link(order), repair_round.callback_due_at,
               f"work_order:{order.id}:round:{repair_round.round_number}:callback")
    return order


def record_callback(
    session: so.Session, actor: User, order: RepairWorkOrder, values: dict[str, Any], now: datetime
) -> RepairWorkOrder:
    """回访: how the owner was reached and what they said. Fixed → called back (the desk
    closes it); not fixed → a new round dispatched to the same department.

    `values`: method (rules.CallbackMethod), owner_response, fixed (bool or None)."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, order.project_id)
    response = rules.check_callback(values.get("method"), values.get("owner_response"))
    fixed = rules.check_callback_fixed(values.get("fixed"))
    before = _move_order(order, rules.status_after_callback(fixed))
    repair_round = current_round(order)
    repair_round.called_back_at = now
    repair_round.called_back_by_id = actor.id
    repair_round.callback_method = values["method"]
    repair_round.owner_response = response
    repair_round.fixed = fixed
    audit.record(session, order, "work_order_called_back", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=response)
    notify.close_work(session, entity=order, kind=REPAIR_TO_CALL_BACK, done_by_id=actor.id)
    if not fixed:
        _dispatch_round(session, actor, order, repair_round.round_number + 1, now, None)
    return order


def close_work_order(session: so.Session, actor: User, order: RepairWorkOrder, now: datetime) -> RepairWorkOrder:
    """The owner confirmed the repair: the order is closed and the entry may be closed out."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, order.project_id)
    before = _move_order(order, WorkOrderStatus.CLOSED)
    order.closed_at = now
    audit.record(session, order, "work_order_closed", actor_id=actor.id, from_state=before, to_state=order.status)
    notify.close_work(session, entity=order, done_by_id=actor.id)
    return order


def cancel_work_order(
    session: so.Session, actor: User, order: RepairWorkOrder, reason: str | None, now: datetime
) -> RepairWorkOrder:
    """The owner cancelled, or a duplicate: only before the repair is reported done."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, order.project_id)
    text = rules.check_reason(reason)
    before = _move_order(order, WorkOrderStatus.CANCELLED)
    order.cancelled_at = now
    order.cancel_reason = text
    audit.record(session, order, "work_order_cancelled", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=text)
    notify.close_work(session, entity=order, done_by_id=actor.id)
    return order


#: the orders still under way
OPEN_WORK_ORDER_STATUSES = (WorkOrderStatus.DISPATCHED.value, WorkOrderStatus.DONE.value,
                            WorkOrderStatus.CALLED_BACK.value)


@dataclass(frozen=True)
class OpenOrder:
    order: RepairWorkOrder
    round: RepairRound
    #: the clock of its current step (rules.work_order_due); None once called back
    due_at: datetime | None
    overdue: bool


def open_work_orders(
    session: so.Session, project_ids: Iterable[int], now: datetime, department_ids: Iterable[int] | None = None
) -> list[OpenOrder]:
    """RCP-04: orders under way (of some departments only, when given), the earliest due
    first, those waiting for nothing but closing last. Two queries: the orders with unit
    and department, and their rounds."""
    query = (
        sa.select(RepairWorkOrder)
        .where(
            RepairWorkOrder.project_id.in_(list(project_ids) or [0]),
            RepairWorkOrder.status.in_(OPEN_WORK_ORDER_STATUSES),
        )
        .options(
            so.joinedload(RepairWorkOrder.unit).joinedload(Unit.building),
            so.joinedload(RepairWorkOrder.department),
            so.selectinload(RepairWorkOrder.rounds),
        )
    )
    if department_ids is not None:
        query = query.where(RepairWorkOrder.department_id.in_(list(department_ids) or [0]))
    rows = []
    for order in session.scalars(query).unique():
        repair_round = current_round(order)
        due = rules.work_order_due(order.status, repair_round.done_due_at, repair_round.callback_due_at)
        rows.append(OpenOrder(order, repair_round, due, rules.is_overdue(due, None, now)))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(rows, key=lambda row: (row.due_at is None, row.due_at or far, row.order.id))
