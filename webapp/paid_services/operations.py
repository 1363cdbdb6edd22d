"""What people do with paid services (篇5): propose and approve prices, register an order,
dispatch cleared technicians, tick the checklists, complete, have the owner sign (or
refuse), edit, check quality and close, cancel; rental commissions; in-home clearances.

Each verb takes the session, the acting user and `now`; checks the actor may take the step
(NotPermitted otherwise) and that the rules allow it (RuleViolation); writes one audit
event; and moves the work items and notifications of whoever acts next. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, url_for

from webapp.core import audit, idempotency, notify
from webapp.core.clock import local_date, to_local
from webapp.core.clock import now as clock_now
from webapp.core.i18n import gettext
from webapp.core.media import MediaStore
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.estate.models import Occupancy, Owner, Unit
from webapp.org.access import NotPermitted
from webapp.org.access import check as _require
from webapp.org.models import Department, Project, User
from webapp.org.queries import users_with_roles
from webapp.org.rules import Permission, Role, is_allowed, is_allowed_for_department
from webapp.paid_services import labels as _labels  # noqa: F401 - timeline state names
from webapp.paid_services import rules, signatures
from webapp.paid_services.models import (
    ChecklistTick,
    InHomeClearance,
    QualityCheck,
    RentalCommission,
    ServiceAssignment,
    ServiceItem,
    ServiceOrder,
    ServiceOrderLine,
    ServicePrice,
    ServiceSignature,
)
from webapp.paid_services.rules import Checklist, RentalStatus, ServiceStatus, Step
from webapp.reception import operations as reception
from webapp.reception import rules as reception_rules
from webapp.reception.models import ReceptionEntry

#: work item kinds, one per duty
PRICE_DECISION = "service_price_decision"
DISPATCH = "service_dispatch"
JOB = "service_job"
SIGN_AGAIN = "service_sign_again"
QUALITY = "service_quality"

#: number series (webapp.core.numbering): 服务 and 委托
ORDER_SERIES = "FW"
RENTAL_SERIES = "WT"

MAX_TEXT = 2000

audit.ACTION_LABELS.update(
    {
        "service_item_proposed": N_("proposed the service item and its price"),
        "service_price_proposed": N_("proposed a new price"),
        "service_price_approved": N_("approved the price"),
        "service_price_refused": N_("refused the price"),
        "service_item_withdrawn": N_("withdrew the service item"),
        "service_order_registered": N_("registered the paid service"),
        "service_order_dispatched": N_("dispatched the technicians"),
        "service_order_started": N_("started the job"),
        "service_checklist_ticked": N_("ticked a checklist item"),
        "service_order_completed": N_("completed the job"),
        "service_order_signed": N_("the owner signed the order"),
        "service_signature_refused": N_("the owner refused to sign"),
        "service_order_edited": N_("edited the order"),
        "service_order_checked": N_("checked the quality and closed the order"),
        "service_order_cancelled": N_("cancelled the order"),
        "rental_applied": N_("recorded the rental commission"),
        "rental_listed": N_("listed the flat for rent"),
        "rental_let": N_("let the flat"),
        "rental_withdrawn": N_("withdrew the rental commission"),
        "clearance_granted": N_("cleared for work in owners' homes"),
        "clearance_revoked": N_("revoked the clearance for work in owners' homes"),
    }
)
for _name, _label in {
    "price_fen": N_("Price"),
    "technicians": N_("Technicians"),
    "appointment_at": N_("Appointment"),
    "contact": N_("Contact"),
    "requirements": N_("Requirements"),
    "cautions": N_("Cautions"),
    "key_authorised": N_("Key entry authorised"),
    "key_note": N_("Key"),
    "quantities": N_("Quantities"),
    "work_done": N_("Work done"),
    "materials_fen": N_("Extra materials"),
    "materials_note": N_("Materials"),
    "started_at": N_("Started"),
    "finished_at": N_("Finished"),
    "total_fen": N_("Total"),
    "content_hash": N_("Signed content"),
    "conduct_confirmed": N_("Confirmed before handing over"),
    "quality": N_("Quality"),
    "arrived_late": N_("Arrived late"),
    "commission_fen": N_("Commission"),
}.items():
    audit.FIELD_LABELS.setdefault(_name, _label)
del _name, _label


# ---------------------------------------------------------------------------- helpers


def _url(endpoint: str, fallback: str, **values: Any) -> str:
    """The page of a record; outside a request (the command line) its path."""
    if has_request_context():
        return url_for(endpoint, **values)
    return fallback


def order_link(order: ServiceOrder) -> str:
    return _url("paid_services.detail", f"/services/orders/{order.id}", order_id=order.id)


def job_link(order: ServiceOrder) -> str:
    """Where a technician works the order: the job page on their phone."""
    return _url("paid_services.job", f"/services/jobs/{order.id}", order_id=order.id)


def item_link(item: ServiceItem) -> str:
    return _url("paid_services.item", f"/services/items/{item.id}", item_id=item.id)


def rental_link(rental: RentalCommission) -> str:
    return _url("paid_services.rental", f"/services/rentals/{rental.id}", rental_id=rental.id)


def _text(value: str | None, field: str, required_message: str | None, limit: int = MAX_TEXT) -> str | None:
    return clean_text(value, field, required_message, limit)


def _title(number: str, text: str) -> str:
    return f"{number} · {text}"[:200]


def _one_in_project(session: so.Session, model, record_id: int | None, project_id: int, field: str):
    if record_id is None:
        return None
    found = session.scalar(sa.select(model).where(model.id == record_id, model.project_id == project_id))
    if found is None:
        raise RuleViolation(N_("Not found in this project."), field=field)
    return found


def _check_owner_of_unit(session: so.Session, owner: Owner | None, unit: Unit | None) -> None:
    if owner is None or unit is None:
        return
    linked = session.scalar(sa.select(Occupancy.id).where(Occupancy.owner_id == owner.id, Occupancy.unit_id == unit.id))
    if linked is None:
        raise RuleViolation(N_("This owner is not registered in this unit."), field="owner_id")


def is_assigned(actor: User, order: ServiceOrder) -> bool:
    return actor.id in order.technician_ids


def may(actor: User, step: Step, project_id: int, department_id: int | None, order: ServiceOrder | None = None) -> bool:
    """Whether `actor` may take `step` (rules.STEP_PERMISSIONS): a department role only on
    its own department's records, the technicians' permission only on their own jobs."""
    for permission in rules.STEP_PERMISSIONS[step]:
        if permission == rules.ASSIGNED_ONLY_PERMISSION and (order is None or not is_assigned(actor, order)):
            continue
        if is_allowed_for_department(actor.grants, Permission(permission), project_id, department_id):
            return True
    return False


def _require_step(actor: User, step: Step, order: ServiceOrder) -> None:
    if not may(actor, step, order.project_id, order.department_id, order):
        raise NotPermitted()


def _open_for_role(session, project_id: int, kind: str, role: str, department_id: int | None, title: str,
                   link: str, entity, due_at=None, body: str | None = None) -> None:
    """A work item for a role (in one department) and a notification to each holder."""
    notify.open_work(
        session, project_id=project_id, kind=kind, title=title, link=link, entity=entity,
        assignee_role=role, department_id=department_id, due_at=due_at,
    )
    notify.notify(session, users_with_roles(session, project_id, [role], department_id),
                  project_id=project_id, title=title, body=body, link=link)


def _open_for_users(session, order: ServiceOrder, kind: str, user_ids: Iterable[int], title: str,
                    due_at=None, body: str | None = None) -> None:
    """Work for the technicians on the order: it opens their job page."""
    user_ids = sorted(set(user_ids))
    for user_id in user_ids:
        notify.open_work(
            session, project_id=order.project_id, kind=kind, title=title, link=job_link(order),
            entity=order, assignee_id=user_id, due_at=due_at,
        )
    notify.notify(session, user_ids, project_id=order.project_id, title=title, body=body, link=job_link(order))


def _close_for_users(session, order: ServiceOrder, kind: str, user_ids: Iterable[int], done_by_id: int | None) -> None:
    from webapp.core.models import WorkItem

    user_ids = list(user_ids)
    if not user_ids:
        return
    items = session.scalars(
        sa.select(WorkItem).where(
            WorkItem.entity_type == ServiceOrder.__tablename__,
            WorkItem.entity_id == order.id,
            WorkItem.kind == kind,
            WorkItem.assignee_id.in_(user_ids),
            WorkItem.done_at.is_(None),
        )
    ).all()
    for item in items:
        item.done_at = clock_now()
        item.done_by_id = done_by_id


def _local_text(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _move(order: ServiceOrder, target: ServiceStatus) -> str:
    before = order.status
    rules.check_transition(before, target)
    order.status = target.value
    return before


# ---------------------------------------------------------------------------- SVC-01 price list


def price_versions(item: ServiceItem) -> list[rules.PriceVersion]:
    return [rules.PriceVersion(p.price_fen, p.decision, p.effective_from, ref=p) for p in item.prices]


def price_in_force(item: ServiceItem, at: datetime) -> ServicePrice | None:
    """The approved ServicePrice row in force at `at`, if any."""
    version = rules.price_in_force(price_versions(item), at)
    return version.ref if version is not None else None  # type: ignore[return-value]


def offered_items(session: so.Session, project_id: int, at: datetime,
                  department_id: int | None = None) -> list[tuple[ServiceItem, ServicePrice]]:
    """The price list as the desk offers it at `at`: active items with an approved price in
    force, with that price. Two queries however long the list."""
    query = (
        sa.select(ServiceItem)
        .where(ServiceItem.project_id == project_id, ServiceItem.active.is_(True))
        .options(so.selectinload(ServiceItem.prices))
        .order_by(ServiceItem.department_id, ServiceItem.name)
    )
    if department_id is not None:
        query = query.where(ServiceItem.department_id == department_id)
    offered = []
    for item in session.scalars(query):
        price = price_in_force(item, at)
        if price is not None:
            offered.append((item, price))
    return offered


def _open_price_decision(session, price: ServicePrice, item: ServiceItem, title: str) -> None:
    _open_for_role(
        session, item.project_id, PRICE_DECISION, Role.GM.value, None,
        _title(item.name, title), item_link(item), price,
        body=gettext("%(price)s yuan per %(unit)s", price=rules.format_yuan(price.price_fen), unit=item.unit_of_charge),
    )


def propose_item(session: so.Session, actor: User, project: Project, values: Mapping[str, Any],
                 now: datetime) -> ServicePrice:
    """SVC-01: a department supervisor proposes a new item with its price; it is offered
    once the GM approves. `values`: department_id, name, unit_of_charge, description,
    price_fen, reason, effective_from."""
    department = _one_in_project(session, Department, values.get("department_id"), project.id, "department_id")
    if department is None:
        raise RuleViolation(N_("Choose the department that offers the service."), field="department_id")
    if not may(actor, Step.PROPOSE_PRICE, project.id, department.id):
        raise NotPermitted()
    name = _text(values.get("name"), "name", N_("Name the service."), 100)
    unit_of_charge = _text(values.get("unit_of_charge"), "unit_of_charge", N_("Say what the price is per (hour, visit, m²…)."), 20)
    taken = session.scalar(
        sa.select(ServiceItem.id).where(ServiceItem.department_id == department.id, ServiceItem.name == name)
    )
    if taken is not None:
        raise RuleViolation(N_("This department already has a service of this name."), field="name")
    price_fen = values.get("price_fen")
    reason = _text(values.get("reason"), "reason", None)
    rules.check_price_proposal(price_fen, reason, price_in_force_fen=None, has_pending=False, is_first=True)
    requested = values.get("effective_from")
    rules.check_requested_effective_from(requested, now)
    item = ServiceItem(
        project_id=project.id,
        department_id=department.id,
        name=name,
        unit_of_charge=unit_of_charge,
        description=_text(values.get("description"), "description", None),
        active=True,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(item)
    session.flush()
    price = ServicePrice(
        project_id=project.id, item_id=item.id, price_fen=price_fen, proposed_by_id=actor.id,
        proposed_at=now, reason=reason, requested_effective_from=requested,
    )
    item.prices.append(price)
    session.add(price)
    session.flush()
    audit.record(session, item, "service_item_proposed", actor_id=actor.id, to_state="proposed",
                 note=reason, changes={"price_fen": [None, price_fen]})
    _open_price_decision(session, price, item, gettext("Approve or refuse a new paid service"))
    return price


def propose_price(session: so.Session, actor: User, item: ServiceItem, price_fen: int, reason: str | None,
                  now: datetime, effective_from: datetime | None = None) -> ServicePrice:
    """SVC-01: a price change is a new proposal; the price in force stays until the GM
    approves the new one."""
    if not may(actor, Step.PROPOSE_PRICE, item.project_id, item.department_id):
        raise NotPermitted()
    if not item.active:
        raise RuleViolation(N_("This service has been withdrawn."))
    reason = _text(reason, "reason", None)
    in_force = price_in_force(item, now)
    rules.check_price_proposal(
        price_fen,
        reason,
        price_in_force_fen=in_force.price_fen if in_force else None,
        has_pending=any(p.decision is None for p in item.prices),
        is_first=not any(p.decision == rules.PriceDecision.APPROVED for p in item.prices),
    )
    rules.check_requested_effective_from(effective_from, now)
    price = ServicePrice(
        project_id=item.project_id, item_id=item.id, price_fen=price_fen, proposed_by_id=actor.id,
        proposed_at=now, reason=reason, requested_effective_from=effective_from,
    )
    item.prices.append(price)
    session.add(price)
    session.flush()
    audit.record(session, item, "service_price_proposed", actor_id=actor.id, note=reason,
                 changes={"price_fen": [in_force.price_fen if in_force else None, price_fen]})
    _open_price_decision(session, price, item, gettext("Approve or refuse a new price"))
    return price


def decide_price(session: so.Session, actor: User, price: ServicePrice, approved: bool, note: str | None,
                 now: datetime) -> ServicePrice:
    """SVC-01: the GM approves (the price applies from the requested moment, never before
    now) or refuses with a reason. Both are kept."""
    item = price.item
    if not may(actor, Step.DECIDE_PRICE, item.project_id, item.department_id):
        raise NotPermitted()
    rules.check_price_decision(price.decision is not None, approved, note)
    note = _text(note, "note", None)
    in_force = price_in_force(item, now)
    price.decision = (rules.PriceDecision.APPROVED if approved else rules.PriceDecision.REFUSED).value
    price.decided_by_id = actor.id
    price.decided_at = now
    price.decision_note = note
    if approved:
        price.effective_from = rules.effective_from(price.requested_effective_from, now)
    audit.record(
        session, item, "service_price_approved" if approved else "service_price_refused", actor_id=actor.id,
        note=note, changes={"price_fen": [in_force.price_fen if in_force else None, price.price_fen]} if approved else None,
    )
    notify.close_work(session, entity=price, kind=PRICE_DECISION, done_by_id=actor.id)
    notify.notify(
        session, [price.proposed_by_id], project_id=item.project_id,
        title=_title(item.name, gettext("Price approved") if approved else gettext("Price refused")),
        body=note, link=item_link(item),
    )
    return price


def withdraw_item(session: so.Session, actor: User, item: ServiceItem, reason: str | None, now: datetime) -> ServiceItem:
    """The department stops offering a service; its prices and orders stay."""
    if not (may(actor, Step.PROPOSE_PRICE, item.project_id, item.department_id)
            or may(actor, Step.DECIDE_PRICE, item.project_id, item.department_id)):
        raise NotPermitted()
    if not item.active:
        raise RuleViolation(N_("This service has been withdrawn."))
    item.active = False
    audit.record(session, item, "service_item_withdrawn", actor_id=actor.id, note=_text(reason, "reason", None),
                 changes={"active": [True, False]})
    for price in item.prices:
        if price.decision is None:
            notify.close_work(session, entity=price, kind=PRICE_DECISION, done_by_id=actor.id)
    return item


# ---------------------------------------------------------------------------- SVC-02 registration


def fingerprint(values: Mapping[str, Any]) -> str:
    return idempotency.fingerprint(dict(values))


def _line_specs(values: Mapping[str, Any]) -> list[tuple[int, int]]:
    specs = []
    for line in values.get("lines") or []:
        item_id = line.get("item_id")
        if item_id is None:
            raise RuleViolation(N_("Choose the service item."), field="lines")
        specs.append((int(item_id), rules.check_quantity_centi(line.get("quantity_centi"), "lines")))
    return specs


def register_order(session: so.Session, actor: User, project: Project, values: Mapping[str, Any], now: datetime,
                   submission_key: str | None) -> tuple[ServiceOrder, bool]:
    """SVC-02: log the request (家政服务登记表) with the appointment agreed with the owner and
    tell the department; a repeat of `submission_key` returns the first order.

    `values`: unit_id, owner_id, contact, appointment_at, requirements, cautions,
    key_authorised, key_note, lines [{item_id, quantity_centi}]."""
    _require(actor, Permission.REGISTER_SERVICE_ORDERS, project.id)
    body = fingerprint(values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(ServiceOrder, earlier.entity_id), False

    unit = _one_in_project(session, Unit, values.get("unit_id"), project.id, "unit_id")
    if unit is None:
        raise RuleViolation(N_("Choose the unit where the service is done."), field="unit_id")
    owner = _one_in_project(session, Owner, values.get("owner_id"), project.id, "owner_id")
    _check_owner_of_unit(session, owner, unit)
    contact = _text(values.get("contact"), "contact", None, 100)
    if owner is None and not contact:
        raise RuleViolation(N_("Write down how to reach the owner."), field="contact")
    appointment_at = values.get("appointment_at")
    rules.check_appointment(appointment_at, now)
    key_authorised = bool(values.get("key_authorised"))
    key_note = _text(values.get("key_note"), "key_note", None, 200)
    if key_note and not key_authorised:
        raise RuleViolation(N_("A key note needs the owner's authorisation for key entry."), field="key_note")

    specs = _line_specs(values)
    items = {
        item.id: item
        for item in session.scalars(
            sa.select(ServiceItem)
            .where(ServiceItem.project_id == project.id, ServiceItem.id.in_([i for i, _ in specs]))
            .options(so.selectinload(ServiceItem.prices))
        )
    }
    if any(item_id not in items for item_id, _ in specs):
        raise RuleViolation(N_("Not found in this project."), field="lines")
    rules.check_order_items([i for i, _ in specs], [items[i].department_id for i, _ in specs])
    priced = []
    for item_id, quantity in specs:
        item = items[item_id]
        price = price_in_force(item, now) if item.active else None
        if price is None:
            raise RuleViolation(N_("%(name)s is not offered: its price has not been approved."), field="lines",
                                name=item.name)
        priced.append((item, price, quantity))
    charge = rules.compute_charge(
        [rules.ChargeLine(item.name, item.unit_of_charge, price.price_fen, quantity) for item, price, quantity in priced]
    )
    order = ServiceOrder(
        project_id=project.id,
        number=next_number(session, project_id=project.id, project_code=project.code, series=ORDER_SERIES, at=now),
        status=ServiceStatus.REGISTERED.value,
        department_id=priced[0][0].department_id,
        unit_id=unit.id,
        owner_id=owner.id if owner else None,
        contact=contact,
        appointment_at=appointment_at,
        requirements=_text(values.get("requirements"), "requirements", None),
        cautions=_text(values.get("cautions"), "cautions", None),
        key_authorised=key_authorised,
        key_note=key_note,
        registered_by_id=actor.id,
        registered_at=now,
        lines_fen=charge.lines_fen,
        materials_fen=0,
        total_fen=charge.total_fen,
    )
    session.add(order)
    session.flush()
    for item, price, quantity in priced:
        line = ServiceOrderLine(
            project_id=project.id, order_id=order.id, item_id=item.id, price_id=price.id, item_name=item.name,
            unit_of_charge=item.unit_of_charge, price_fen=price.price_fen, quantity_centi=quantity,
            amount_fen=rules.line_amount_fen(price.price_fen, quantity),
        )
        order.lines.append(line)
        session.add(line)
    session.flush()
    audit.record(session, order, "service_order_registered", actor_id=actor.id, to_state=order.status,
                 changes={"total_fen": [None, order.total_fen]})
    _open_for_role(
        session, order.project_id, DISPATCH, Role.DEPT_SUPERVISOR.value, order.department_id,
        _title(order.number, gettext("Paid service: dispatch technicians by %(time)s", time=_local_text(appointment_at))),
        order_link(order), order, due_at=appointment_at, body=order.requirements,
    )
    idempotency.remember(session, submission_key, actor.id, order, body)
    return order, True


def register_order_from_entry(session: so.Session, actor: User, project: Project, entry: ReceptionEntry,
                              values: Mapping[str, Any], now: datetime,
                              submission_key: str | None) -> tuple[ServiceOrder, bool]:
    """RCP-04 (篇3 §4.6) 服务 / SVC-02: the order a ledger entry classified as a service
    request starts, registered and linked to the entry in one step (the caller commits
    both or neither); the contact the owner gave is kept unless the form names another.
    Refused, before anything is written, unless the actor may route the
    project's entries and the entry is still new; a repeat of `submission_key` returns the
    first order."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    if entry.project_id != project.id:
        raise RuleViolation(N_("Not found in this project."))
    values = {**values, "reception_entry_id": entry.id, "contact": values.get("contact") or entry.contact}
    earlier = idempotency.previous(session, submission_key, actor.id, fingerprint(values))
    if earlier is not None:
        return session.get(ServiceOrder, earlier.entity_id), False
    kind = reception_rules.FollowUp.SERVICE_ORDER.value
    reception_rules.check_route(entry.status, reception_rules.Category.SERVICE.value, kind)
    order, created = register_order(session, actor, project, values, now, submission_key)
    reception.classify(session, actor, entry, reception_rules.Category.SERVICE.value, kind, now, follow_up_record=order)
    return order, created


# ---------------------------------------------------------------------------- SVC-03 clearance and dispatch


def active_clearance(session: so.Session, project_id: int, user_id: int) -> InHomeClearance | None:
    return session.scalar(
        sa.select(InHomeClearance)
        .where(
            InHomeClearance.project_id == project_id,
            InHomeClearance.user_id == user_id,
            InHomeClearance.revoked_at.is_(None),
        )
        .order_by(InHomeClearance.id.desc())
        .limit(1)
    )


def cleared_user_ids(session: so.Session, project_id: int, user_ids: Iterable[int]) -> set[int]:
    return set(
        session.scalars(
            sa.select(InHomeClearance.user_id).where(
                InHomeClearance.project_id == project_id,
                InHomeClearance.user_id.in_(list(user_ids)),
                InHomeClearance.revoked_at.is_(None),
            )
        )
    )


def _departments_in(user: User, project_id: int) -> list[int | None]:
    return [d for _, p, d in user.grants if p == project_id] or [None]


def _require_clearing(actor: User, project_id: int, user: User) -> None:
    """The PM, or the supervisor of a department the person works in."""
    if not any(may(actor, Step.CLEAR_STAFF, project_id, d) for d in _departments_in(user, project_id)):
        raise NotPermitted()


def grant_clearance(session: so.Session, actor: User, project: Project, user: User, trained_on: date | None,
                    note: str | None, now: datetime) -> InHomeClearance:
    """§4.5.1: only staff who have had the discipline training are sent into homes."""
    _require_clearing(actor, project.id, user)
    if not is_allowed(user.grants, Permission.WORK_SERVICE_ORDERS, project.id):
        raise RuleViolation(N_("%(name)s does not do paid jobs in this project."), field="user_id", name=user.display_name)
    if active_clearance(session, project.id, user.id) is not None:
        raise RuleViolation(N_("%(name)s is already cleared."), field="user_id", name=user.display_name)
    rules.check_clearance(trained_on, local_date(now))
    clearance = InHomeClearance(
        project_id=project.id, user_id=user.id, trained_on=trained_on,
        training_note=_text(note, "note", None, 200), cleared_by_id=actor.id, cleared_at=now,
    )
    session.add(clearance)
    session.flush()
    audit.record(session, clearance, "clearance_granted", actor_id=actor.id, to_state="cleared",
                 note=f"{user.display_name} · {trained_on.isoformat()}")
    return clearance


def revoke_clearance(session: so.Session, actor: User, clearance: InHomeClearance, reason: str | None,
                     now: datetime) -> InHomeClearance:
    """Revoked staff are no longer dispatched, nor may they start a job they were on."""
    _require_clearing(actor, clearance.project_id, clearance.user)
    if clearance.revoked_at is not None:
        raise RuleViolation(N_("This clearance has already been revoked."))
    reason = _text(reason, "reason", N_("Say why the clearance is revoked."))
    clearance.revoked_at = now
    clearance.revoked_by_id = actor.id
    clearance.revoke_reason = reason
    audit.record(session, clearance, "clearance_revoked", actor_id=actor.id, from_state="cleared",
                 to_state="revoked", note=reason[:500])
    return clearance


def dispatch(session: so.Session, actor: User, order: ServiceOrder, technician_ids: Iterable[int],
             now: datetime) -> list[ServiceAssignment]:
    """SVC-03: the supervisor names one or more technicians, each trained and cleared for
    in-home work; each finds the job (content, time, address, requirements, cautions) in
    "My work". Before the start the team may be changed: whoever leaves loses the job."""
    _require_step(actor, Step.DISPATCH, order)
    wanted = list(dict.fromkeys(int(i) for i in technician_ids))
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(wanted)))} if wanted else {}
    if any(i not in users for i in wanted):
        raise RuleViolation(N_("Not found in this project."), field="technicians")
    cleared = cleared_user_ids(session, order.project_id, wanted)
    rules.check_dispatch(
        order.status,
        [
            rules.Candidate(
                name=users[i].display_name,
                may_work=users[i].active and is_allowed(users[i].grants, Permission.WORK_SERVICE_ORDERS, order.project_id),
                cleared=i in cleared,
            )
            for i in wanted
        ],
    )
    before_ids = order.technician_ids
    before = order.status
    if order.status == ServiceStatus.REGISTERED:
        _move(order, ServiceStatus.DISPATCHED)
    order.dispatched_at = now
    order.dispatched_by_id = actor.id
    removed = [i for i in before_ids if i not in wanted]
    added = [i for i in wanted if i not in before_ids]
    by_technician = {a.technician_id: a for a in order.assignments}
    for assignment in order.assignments:
        if assignment.technician_id in removed:
            assignment.removed_at = now
            assignment.removed_by_id = actor.id
    for technician_id in added:
        assignment = by_technician.get(technician_id)
        if assignment is None:
            assignment = ServiceAssignment(project_id=order.project_id, order_id=order.id, technician_id=technician_id)
            order.assignments.append(assignment)
            session.add(assignment)
        assignment.assigned_by_id = actor.id
        assignment.assigned_at = now
        assignment.removed_at = None
        assignment.removed_by_id = None
    session.flush()
    audit.record(session, order, "service_order_dispatched", actor_id=actor.id, from_state=before, to_state=order.status,
                 changes={"technicians": [_names(session, before_ids), _names(session, wanted)]})
    notify.close_work(session, entity=order, kind=DISPATCH, done_by_id=actor.id)
    _close_for_users(session, order, JOB, removed, actor.id)
    if removed:
        notify.notify(session, removed, project_id=order.project_id,
                      title=_title(order.number, gettext("You are no longer on this paid service job")),
                      link=_url("paid_services.jobs", "/services/jobs"))
    _open_for_users(
        session, order, JOB, added,
        _title(order.number, gettext("Paid service job at %(unit)s, %(time)s",
                                     unit=order.unit.label, time=_local_text(order.appointment_at))),
        due_at=order.appointment_at, body=job_brief(order),
    )
    return [a for a in order.assignments if a.removed_at is None]


def _names(session: so.Session, user_ids: Iterable[int]) -> str | None:
    ids = list(user_ids)
    if not ids:
        return None
    return ", ".join(sorted(session.scalars(sa.select(User.display_name).where(User.id.in_(ids)))))


def job_brief(order: ServiceOrder) -> str:
    """What the technician's phone shows with the job (SVC-03 §4.1.1–4.1.2)."""
    parts = [
        "; ".join(f"{line.item_name} × {rules.format_quantity(line.quantity_centi)} {line.unit_of_charge}"
                  for line in order.lines),
        order.requirements or "",
        order.cautions or "",
    ]
    if order.key_authorised:
        parts.append(gettext("Key entry authorised") + (f": {order.key_note}" if order.key_note else ""))
    return " / ".join(p for p in parts if p)[:1000]


# ---------------------------------------------------------------------------- SVC-04/05 the job


def _require_technician(actor: User, order: ServiceOrder) -> None:
    """The technicians on the job take its steps."""
    if not (is_assigned(actor, order) and may(actor, Step.WORK, order.project_id, order.department_id, order)):
        raise NotPermitted()


def start_job(session: so.Session, actor: User, order: ServiceOrder, now: datetime) -> ServiceOrder:
    """The technician sets out: the job is under way and the checklists open. A clearance
    revoked since the dispatch stops the technician here."""
    _require_technician(actor, order)
    if active_clearance(session, order.project_id, actor.id) is None:
        raise RuleViolation(N_("%(name)s is not trained and cleared for work in owners' homes."),
                            name=actor.display_name)
    before = _move(order, ServiceStatus.IN_PROGRESS)
    order.started_at = now
    audit.record(session, order, "service_order_started", actor_id=actor.id, from_state=before, to_state=order.status)
    return order


def _ticked(order: ServiceOrder, checklist: Checklist, technician_id: int | None = None) -> set[str]:
    return {
        t.item for t in order.ticks
        if t.checklist == checklist.value and (technician_id is None or t.technician_id == technician_id)
    }


def tick(session: so.Session, actor: User, order: ServiceOrder, item: str, now: datetime) -> ChecklistTick:
    """SVC-04 (each technician's own list) and SVC-05 (the order's, by any of the team),
    in the SOP's order; key entry only on an order that authorises it. Ticking an item
    already ticked returns the first tick (a double tap is no second record)."""
    _require_technician(actor, order)
    rules.check_work_under_way(order.status)
    try:
        checklist = rules.checklist_of(item)
    except ValueError:
        raise RuleViolation(N_("Unknown checklist item."), field="item") from None
    own_pre_departure = _ticked(order, Checklist.PRE_DEPARTURE, actor.id)
    same_list = own_pre_departure if checklist is Checklist.PRE_DEPARTURE else _ticked(order, Checklist.ON_SITE)
    if item in same_list:
        return next(
            t for t in order.ticks
            if t.item == item and (checklist is Checklist.ON_SITE or t.technician_id == actor.id)
        )
    rules.check_tick(
        item,
        ticked=same_list,
        pre_departure_done=not rules.missing_items(Checklist.PRE_DEPARTURE, own_pre_departure),
        key_authorised=order.key_authorised,
    )
    mark = ChecklistTick(project_id=order.project_id, order_id=order.id, technician_id=actor.id,
                         checklist=checklist.value, item=item, ticked_at=now)
    order.ticks.append(mark)
    session.add(mark)
    # codes, not words: the timeline names the item in the language of whoever reads it
    changes: dict[str, list] = {"item": [None, item]}
    if item == rules.CheckItem.ON_TIME and rules.is_late(order.appointment_at, now):
        changes["arrived_late"] = [None, True]
    audit.record(session, order, "service_checklist_ticked", actor_id=actor.id, from_state=order.status,
                 to_state=order.status, changes=changes)
    return mark


def checklist_progress(order: ServiceOrder) -> dict[str, Any]:
    """What is still missing: per technician on the job (SVC-04) and for the order (SVC-05)."""
    return {
        "pre_departure": {
            technician_id: rules.missing_items(Checklist.PRE_DEPARTURE, _ticked(order, Checklist.PRE_DEPARTURE, technician_id))
            for technician_id in order.technician_ids
        },
        "on_site": rules.missing_items(Checklist.ON_SITE, _ticked(order, Checklist.ON_SITE)),
    }


# ---------------------------------------------------------------------------- SVC-06 completion


def _apply_quantities(order: ServiceOrder, quantities: Mapping[int, int] | None) -> dict[str, list]:
    """New quantities by line id; returns the changes for the audit event."""
    if not quantities:
        return {}
    lines = {line.id: line for line in order.lines}
    changed = {}
    for line_id, quantity in quantities.items():
        line = lines.get(int(line_id))
        if line is None:
            raise RuleViolation(N_("Not found in this project."), field="quantities")
        quantity = rules.check_quantity_centi(quantity, "quantities")
        if quantity != line.quantity_centi:
            changed[line.item_name] = [line.quantity_centi, quantity]
            line.quantity_centi = quantity
            line.amount_fen = rules.line_amount_fen(line.price_fen, quantity)
    return {"quantities": [{k: v[0] for k, v in changed.items()}, {k: v[1] for k, v in changed.items()}]} if changed else {}


def _charge_lines(order: ServiceOrder) -> list[rules.ChargeLine]:
    return [rules.ChargeLine(line.item_name, line.unit_of_charge, line.price_fen, line.quantity_centi) for line in order.lines]


def _recompute_charge(order: ServiceOrder) -> None:
    charge = rules.compute_charge(_charge_lines(order), order.materials_fen or 0)
    order.lines_fen = charge.lines_fen
    order.total_fen = charge.total_fen


def complete_job(
    session: so.Session,
    actor: User,
    order: ServiceOrder,
    now: datetime,
    *,
    work_done: str | None,
    materials_fen: int = 0,
    materials_note: str | None = None,
    quantities: Mapping[int, int] | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    conduct: Iterable[str] = (),
) -> ServiceOrder:
    """SVC-06: the technician records the work done and the charge (the order's prices ×
    the quantities done, plus extra materials) once both checklists are complete, and
    confirms the conduct §4.4.1 a–b asks (no gifts, tools counted); the work cannot finish
    before it started. The owner then reviews and signs."""
    _require_technician(actor, order)
    rules.check_transition(order.status, ServiceStatus.COMPLETED)
    progress = checklist_progress(order)
    rules.check_checklists_complete(
        sum(len(missing) for missing in progress["pre_departure"].values()), len(progress["on_site"])
    )
    confirmed = rules.check_conduct_confirmed(conduct)
    work_done = _text(work_done, "work_done", N_("Write down the work done."))
    materials_fen = rules.check_materials_fen(materials_fen)
    materials_note = _text(materials_note, "materials_note", None, 200)
    started = started_at or order.started_at
    finished = finished_at or now
    rules.check_work_times(started, finished, now)
    changes = _apply_quantities(order, quantities)
    before = _move(order, ServiceStatus.COMPLETED)
    order.work_done = work_done
    order.materials_fen = materials_fen
    order.materials_note = materials_note
    order.started_at = started
    order.finished_at = finished
    order.completed_by_id = actor.id
    _recompute_charge(order)
    changes["total_fen"] = [None, order.total_fen]
    changes["conduct_confirmed"] = [None, [c.value for c in confirmed]]
    audit.record(session, order, "service_order_completed", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=work_done[:500], changes=changes)
    return order


# ---------------------------------------------------------------------------- SVC-09 content and signature


def order_content(order: ServiceOrder) -> dict:
    """The canonical content of the order as it is now (rules.signing_content)."""
    return rules.signing_content(
        number=order.number,
        unit_id=order.unit_id,
        owner_id=order.owner_id,
        appointment_at=order.appointment_at,
        lines=_charge_lines(order),
        materials_fen=order.materials_fen or 0,
        materials_note=order.materials_note,
        work_done=order.work_done,
        technician_ids=order.technician_ids,
        started_at=order.started_at,
        finished_at=order.finished_at,
    )


def current_hash(order: ServiceOrder) -> str:
    return rules.content_hash(order_content(order))


def signature_matches(order: ServiceOrder) -> bool | None:
    """SVC-09: whether the latest signature covers the order as it is now; None when the
    owner has not signed (or refused)."""
    signature = order.current_signature
    if signature is None or signature.refused:
        return None
    return rules.signature_matches(signature.content_hash, current_hash(order))


def record_signature(
    session: so.Session,
    actor: User,
    order: ServiceOrder,
    *,
    signer_name: str | None,
    image: bytes,
    satisfaction: int | str | None,
    comment: str | None,
    store: MediaStore,
    now: datetime,
) -> ServiceSignature:
    """SVC-06/09: the owner's drawn signature, name, rating and comment on the
    technician's device, bound to the hash of the content approved. An empty pad is
    refused. Nothing is stored unless everything checks out."""
    _require_technician(actor, order)
    rules.check_can_sign(order.status, signature_matches(order))
    rules.check_signer_name(signer_name)
    signer_name = _text(signer_name, "signer_name", None, 50)
    rating = rules.check_satisfaction(satisfaction)
    comment = _text(comment, "comment", None)
    drawn = signatures.check_signature_image(image)
    content = order_content(order)
    digest = rules.content_hash(content)
    previous = order.current_signature
    key = signatures.store_signature(session, drawn, store)
    signature = ServiceSignature(
        project_id=order.project_id, order_id=order.id, signer_name=signer_name, signed_at=now,
        content_hash=digest, signed_content=rules.serialise_content(content), image_key=key,
        image_sha256=drawn.sha256, refused=False, satisfaction=rating, comment=comment, recorded_by_id=actor.id,
    )
    order.signatures.append(signature)
    session.add(signature)
    before = order.status
    if order.status != ServiceStatus.SIGNED:
        _move(order, ServiceStatus.SIGNED)
    audit.record(session, order, "service_order_signed", actor_id=actor.id, from_state=before, to_state=order.status,
                 note=signer_name, changes={"content_hash": [previous.content_hash if previous else None, digest]})
    _after_owner(session, actor, order)
    return signature


def refuse_signature(
    session: so.Session,
    actor: User,
    order: ServiceOrder,
    *,
    reason: str | None,
    signer_name: str | None = None,
    satisfaction: int | str | None = None,
    comment: str | None = None,
    now: datetime,
) -> ServiceSignature:
    """The owner will not sign: the reason is recorded with the content they were shown,
    and the supervisors are told."""
    _require_technician(actor, order)
    rules.check_can_refuse(order.status)
    rules.check_refusal_reason(reason)
    reason = _text(reason, "reason", None)
    rating = rules.check_satisfaction(satisfaction, required=False)
    content = order_content(order)
    signature = ServiceSignature(
        project_id=order.project_id, order_id=order.id, signer_name=_text(signer_name, "signer_name", None, 50),
        signed_at=now, content_hash=rules.content_hash(content), signed_content=rules.serialise_content(content),
        refused=True, refusal_reason=reason, satisfaction=rating, comment=_text(comment, "comment", None),
        recorded_by_id=actor.id,
    )
    order.signatures.append(signature)
    session.add(signature)
    before = _move(order, ServiceStatus.SIGNATURE_REFUSED)
    audit.record(session, order, "service_signature_refused", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=reason[:500])
    notify.notify(
        session, users_with_roles(session, order.project_id, [Role.CS_SUPERVISOR.value]),
        project_id=order.project_id, title=_title(order.number, gettext("The owner refused to sign the order")),
        body=reason[:200], link=order_link(order),
    )
    _after_owner(session, actor, order)
    return signature


def _after_owner(session, actor: User, order: ServiceOrder) -> None:
    """The technicians' part is over; the supervisor checks the quality (SVC-07)."""
    notify.close_work(session, entity=order, kind=JOB, done_by_id=actor.id)
    notify.close_work(session, entity=order, kind=SIGN_AGAIN, done_by_id=actor.id)
    notify.close_work(session, entity=order, kind=QUALITY, done_by_id=actor.id)
    _open_for_role(
        session, order.project_id, QUALITY, Role.DEPT_SUPERVISOR.value, order.department_id,
        _title(order.number, gettext("Check the quality of the paid service and close it")), order_link(order), order,
    )


def edit_order(session: so.Session, actor: User, order: ServiceOrder, changes: Mapping[str, Any],
               now: datetime) -> ServiceOrder:
    """Change what the stage allows (rules.EDITABLE_FIELDS). After the owner signed, the
    signature stays but no longer matches (SVC-09): the technicians are asked to have the
    owner sign again, and the order cannot be closed until then."""
    _require_step(actor, Step.EDIT, order)
    rules.check_editable(order.status, changes.keys())
    matched_before = signature_matches(order)
    values: dict[str, Any] = {}
    if "contact" in changes:
        values["contact"] = _text(changes["contact"], "contact", None, 100)
        if order.owner_id is None and not values["contact"]:
            raise RuleViolation(N_("Write down how to reach the owner."), field="contact")
    if "appointment_at" in changes:
        rules.check_appointment(changes["appointment_at"], now)
        values["appointment_at"] = changes["appointment_at"]
    for name in ("requirements", "cautions"):
        if name in changes:
            values[name] = _text(changes[name], name, None)
    if "key_authorised" in changes:
        values["key_authorised"] = bool(changes["key_authorised"])
        if not values["key_authorised"]:
            values["key_note"] = None  # no key is to be used: where it lies no longer matters
    if "key_note" in changes and values.get("key_authorised", order.key_authorised):
        values["key_note"] = _text(changes["key_note"], "key_note", None, 200)
    elif changes.get("key_note") and not values.get("key_authorised", order.key_authorised):
        raise RuleViolation(N_("A key note needs the owner's authorisation for key entry."), field="key_note")
    if "work_done" in changes:
        values["work_done"] = _text(changes["work_done"], "work_done", N_("Write down the work done."))
    if "materials_fen" in changes:
        values["materials_fen"] = rules.check_materials_fen(changes["materials_fen"])
    if "materials_note" in changes:
        values["materials_note"] = _text(changes["materials_note"], "materials_note", None, 200)
    if "started_at" in changes or "finished_at" in changes:
        started = changes.get("started_at", order.started_at)
        finished = changes.get("finished_at", order.finished_at)
        rules.check_work_times(started, finished, now)
        values["started_at"], values["finished_at"] = started, finished
    diff = audit.diff(order, values)
    diff.update(_apply_quantities(order, changes.get("quantities")))
    if not diff:
        return order
    for name, value in values.items():
        setattr(order, name, value)
    total_before = order.total_fen
    _recompute_charge(order)
    if order.total_fen != total_before:
        diff["total_fen"] = [total_before, order.total_fen]
    broken = matched_before is True and signature_matches(order) is False
    audit.record(session, order, "service_order_edited", actor_id=actor.id, from_state=order.status,
                 to_state=order.status, changes=diff,
                 note=gettext("The owner's signature no longer matches the order.") if broken else None)
    if "appointment_at" in values:
        from webapp.core.models import WorkItem

        for item in session.scalars(sa.select(WorkItem).where(
            WorkItem.entity_type == ServiceOrder.__tablename__, WorkItem.entity_id == order.id,
            WorkItem.kind.in_([DISPATCH, JOB]), WorkItem.done_at.is_(None),
        )):
            item.due_at = order.appointment_at
    if broken:
        _open_for_users(
            session, order, SIGN_AGAIN, order.technician_ids,
            _title(order.number, gettext("The order changed after signing: ask the owner to sign again")),
        )
    return order


# ---------------------------------------------------------------------------- SVC-07 quality, cancel


def check_quality(session: so.Session, actor: User, order: ServiceOrder, result: str | None, note: str | None,
                  now: datetime) -> QualityCheck:
    """SVC-07: the supervisor's check of the work closes the order; it goes into
    家政服务汇总表 with the owner's satisfaction."""
    _require_step(actor, Step.CHECK_QUALITY, order)
    quality = rules.check_quality(result, note)
    rules.check_can_close(order.status, signature_matches(order))
    check = QualityCheck(project_id=order.project_id, order_id=order.id, checked_by_id=actor.id,
                         result=quality.value, note=_text(note, "note", None), checked_at=now)
    order.quality_checks.append(check)
    session.add(check)
    before = _move(order, ServiceStatus.CLOSED)
    order.closed_at = now
    audit.record(session, order, "service_order_checked", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=check.note, changes={"quality": [None, quality.value]})
    notify.close_work(session, entity=order, done_by_id=actor.id)
    return check


def cancel_order(session: so.Session, actor: User, order: ServiceOrder, reason: str | None,
                 now: datetime) -> ServiceOrder:
    """The owner calls it off, or it cannot be done: cancelled with the reason, never deleted."""
    _require_step(actor, Step.CANCEL, order)
    rules.check_cancel_reason(reason)
    reason = _text(reason, "reason", None)
    before = _move(order, ServiceStatus.CANCELLED)
    order.cancelled_at = now
    order.cancelled_by_id = actor.id
    order.cancel_reason = reason
    audit.record(session, order, "service_order_cancelled", actor_id=actor.id, from_state=before,
                 to_state=order.status, note=reason[:500])
    notify.close_work(session, entity=order, done_by_id=actor.id)
    technicians = order.technician_ids
    if technicians:
        notify.notify(session, technicians, project_id=order.project_id,
                      title=_title(order.number, gettext("The paid service job was cancelled")),
                      body=reason[:200], link=order_link(order))
    return order


# ---------------------------------------------------------------------------- SVC-08 rental commission


def create_rental(session: so.Session, actor: User, project: Project, values: Mapping[str, Any], now: datetime,
                  submission_key: str | None) -> tuple[RentalCommission, bool]:
    """房屋委托出租申请表: unit, owner, asking rent, terms and the commission rate.
    `values`: unit_id, owner_id, contact, asking_rent_fen, terms, commission_rate_bp."""
    if not may(actor, Step.RENTAL, project.id, None):
        raise NotPermitted()
    body = fingerprint(values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(RentalCommission, earlier.entity_id), False
    unit = _one_in_project(session, Unit, values.get("unit_id"), project.id, "unit_id")
    if unit is None:
        raise RuleViolation(N_("Choose the unit to let."), field="unit_id")
    owner = _one_in_project(session, Owner, values.get("owner_id"), project.id, "owner_id")
    if owner is None:
        raise RuleViolation(N_("Choose the owner who entrusts the letting."), field="owner_id")
    _check_owner_of_unit(session, owner, unit)
    open_for_unit = session.scalar(
        sa.select(RentalCommission.id).where(
            RentalCommission.unit_id == unit.id,
            RentalCommission.status.in_([RentalStatus.APPLIED.value, RentalStatus.LISTED.value]),
        )
    )
    if open_for_unit is not None:
        raise RuleViolation(N_("This unit is already entrusted for letting."), field="unit_id")
    rental = RentalCommission(
        project_id=project.id,
        number=next_number(session, project_id=project.id, project_code=project.code, series=RENTAL_SERIES, at=now),
        status=RentalStatus.APPLIED.value,
        unit_id=unit.id,
        owner_id=owner.id,
        contact=_text(values.get("contact"), "contact", None, 100),
        asking_rent_fen=rules.check_rent_fen(values.get("asking_rent_fen"), "asking_rent"),
        terms=_text(values.get("terms"), "terms", None),
        commission_rate_bp=rules.check_commission_rate_bp(values.get("commission_rate_bp")),
        applied_at=now,
        recorded_by_id=actor.id,
    )
    session.add(rental)
    session.flush()
    audit.record(session, rental, "rental_applied", actor_id=actor.id, to_state=rental.status)
    idempotency.remember(session, submission_key, actor.id, rental, body)
    return rental, True


def move_rental(
    session: so.Session,
    actor: User,
    rental: RentalCommission,
    target: str,
    now: datetime,
    *,
    let_rent_fen: int | None = None,
    lease_months: int | None = None,
    tenant_name: str | None = None,
    reason: str | None = None,
) -> RentalCommission:
    """Listed, let (the lease's rent and months fix the commission) or withdrawn (why)."""
    if not may(actor, Step.RENTAL, rental.project_id, None):
        raise NotPermitted()
    target = RentalStatus(target)
    rules.check_rental_transition(rental.status, target)
    changes = None
    note = None
    if target is RentalStatus.LISTED:
        rental.listed_at = now
    elif target is RentalStatus.LET:
        rent = rules.check_rent_fen(let_rent_fen if let_rent_fen is not None else rental.asking_rent_fen, "let_rent")
        months = rules.check_lease_months(lease_months)
        rental.let_rent_fen = rent
        rental.lease_months = months
        rental.commission_fen = rules.commission_fen(rent, months, rental.commission_rate_bp)
        rental.tenant_name = _text(tenant_name, "tenant_name", None, 50)
        rental.let_at = now
        changes = {"commission_fen": [None, rental.commission_fen]}
    else:
        note = _text(reason, "reason", N_("Say why the letting is withdrawn."))
        rental.withdraw_reason = note
        rental.withdrawn_at = now
    before = rental.status
    rental.status = target.value
    audit.record(session, rental, f"rental_{target.value}", actor_id=actor.id, from_state=before,
                 to_state=rental.status, note=note, changes=changes)
    return rental
