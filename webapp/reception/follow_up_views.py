"""The desk's follow-ups of after-sales and repair contacts (RCP-03, RCP-04), on the
reception blueprint.

GET, POST /reception/<entry>/start/return-slip   the slip, prefilled from the entry; saving it
                                                 classifies the entry as after-sales
GET       /reception/return-slips                the slips being chased, most overdue first
GET       /reception/return-slips/<id>           one slip with the steps this user may take
GET       /reception/return-slips/<id>/print     物业返修联系单 on A4
POST      /reception/return-slips/<id>/send|answer|complete|withdraw
GET, POST /reception/<entry>/start/work-order    the repair, prefilled; saving it dispatches it
GET       /reception/work-orders                 open orders (a department's own for its people)
GET       /reception/work-orders/<id>            one order, every round, the steps
POST      /reception/work-orders/<id>/done|callback|close|cancel

The desk (ROUTE_OWNER_CONTACTS) starts, sends, records answers, calls back, closes and
cancels; reporting a repair done is for the order's department (WORK_REPAIR_ORDERS there).
Slips are read with VIEW_RECEPTION; an order also by the people of its department.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import Length

from webapp.core import audit
from webapp.core.actions import field_error, take_step
from webapp.core.clock import now as clock_now
from webapp.core.clock import to_local
from webapp.core.forms import (
    label_choices,
    local_datetime_field,
    local_input,
    optional_int,
    strip,
    text_area,
)
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import RuleViolation
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, permitted_projects
from webapp.org.models import Department, Project, User
from webapp.org.rules import DEPARTMENT_ROLES, Permission
from webapp.reception import follow_ups, rules, starting
from webapp.reception.models import ReceptionEntry, RepairRound, RepairWorkOrder, ReturnSlip
from webapp.reception.rules import (
    CallbackMethod,
    Category,
    FollowUp,
    ReturnSlipStatus,
    WorkOrderStatus,
)
from webapp.reception.views import bp, record_page, step_forms

RETURN_SLIP_STATUS_LABELS = {
    ReturnSlipStatus.DRAFTED: _l("Drafted: to be sent today"),
    ReturnSlipStatus.SENT: _l("Sent to the developer"),
    ReturnSlipStatus.ANSWERED: _l("Developer answered"),
    ReturnSlipStatus.COMPLETED: _l("Completed"),
    ReturnSlipStatus.WITHDRAWN: _l("Withdrawn"),
}

WORK_ORDER_STATUS_LABELS = {
    WorkOrderStatus.DISPATCHED: _l("Dispatched"),
    WorkOrderStatus.DONE: _l("Repair done: call-back due"),
    WorkOrderStatus.CALLED_BACK: _l("Called back: fixed"),
    WorkOrderStatus.CLOSED: _l("Closed"),
    WorkOrderStatus.CANCELLED: _l("Cancelled"),
}

CALLBACK_METHOD_LABELS = {
    CallbackMethod.PHONE: _l("By phone"),
    CallbackMethod.VISIT: _l("Visit"),
}

FIXED_CHOICES = [("yes", _l("Yes, fixed")), ("no", _l("No, not fixed: repair again"))]

for _labels in (RETURN_SLIP_STATUS_LABELS, WORK_ORDER_STATUS_LABELS):
    for _state, _label in _labels.items():
        audit.STATE_LABELS.setdefault(_state.value, _label)
del _labels, _state, _label


@bp.app_template_global()
def return_slip_status_label(status: str) -> str:
    return str(RETURN_SLIP_STATUS_LABELS.get(status, status))


@bp.app_template_global()
def work_order_status_label(status: str) -> str:
    return str(WORK_ORDER_STATUS_LABELS.get(status, status))


@bp.app_template_global()
def callback_method_label(method: str | None) -> str:
    return str(CALLBACK_METHOD_LABELS.get(method, method or ""))


def _text(label, limit: int) -> StringField:
    return StringField(label, validators=[Length(max=limit)], filters=[strip])


# ---------------------------------------------------------------------------- forms


class StartReturnSlipForm(FlaskForm):
    """物业返修联系单 as drafted from the entry."""

    unit_id = SelectField(_l("Unit"), coerce=optional_int, validate_choice=False)
    location = _text(_l("Where (a common area, or where in the unit)"), 200)
    problem = text_area(4, _l("Problem for the developer"), rules.CONTENT_LIMIT)


class StartWorkOrderForm(FlaskForm):
    """RCP-04 报修 as dispatched from the entry."""

    department_id = SelectField(_l("Department that repairs it"), coerce=optional_int, validate_choice=False)
    unit_id = SelectField(_l("Unit"), coerce=optional_int, validate_choice=False)
    location = _text(_l("Where (a common area, or where in the unit)"), 200)
    problem = text_area(4, _l("What needs repairing"), rules.CONTENT_LIMIT)
    agreed_at = local_datetime_field(_l("Time agreed with the owner (optional)"))


class StepForm(FlaskForm):
    version = HiddenField()


class SendForm(StepForm):
    received_by = _text(_l("Received by (the developer's after-sales team)"), 100)
    due_at = local_datetime_field(_l("The developer deals with it by"))


class AnswerForm(StepForm):
    answer = text_area(3, _l("The developer's answer"), rules.CONTENT_LIMIT)
    promised_by = local_datetime_field(_l("Date they promise (optional)"))


class CompleteForm(StepForm):
    outcome = text_area(3, _l("What the developer did"), rules.CONTENT_LIMIT)


class ReasonForm(StepForm):
    reason = text_area(2, _l("Reason"), rules.REMARK_LIMIT)


class DoneForm(StepForm):
    work_done = text_area(3, _l("Work done"), rules.CONTENT_LIMIT)


class CallbackForm(StepForm):
    method = RadioField(_l("How the owner was called back"), choices=label_choices(CALLBACK_METHOD_LABELS),
                        default=CallbackMethod.PHONE.value, validate_choice=False)
    owner_response = text_area(2, _l("What the owner said"), rules.REMARK_LIMIT)
    fixed = RadioField(_l("Is it fixed?"), choices=FIXED_CHOICES, validate_choice=False)


SLIP_FORMS: dict[str, type[StepForm]] = {
    "send": SendForm, "answer": AnswerForm, "complete": CompleteForm, "withdraw": ReasonForm,
}
ORDER_FORMS: dict[str, type[StepForm]] = {
    "done": DoneForm, "callback": CallbackForm, "close": StepForm, "cancel": ReasonForm,
}


def _local_value(moment: datetime | None) -> datetime | None:
    """What a datetime-local field shows for a stored instant."""
    return to_local(moment).replace(tzinfo=None, second=0, microsecond=0) if moment else None


# ---------------------------------------------------------------------------- starting from an entry


def _unit_label(unit: Unit | None) -> str:
    return f"{unit.building.name} {unit.number}" if unit else ""


def _unit_choices(entry: ReceptionEntry) -> list[tuple]:
    """The entry's unit or none (a common area): a wrong unit is corrected on the entry."""
    choices = [("", gettext("No unit: a common area"))]
    if entry.unit is not None:
        choices.insert(0, (entry.unit.id, _unit_label(entry.unit)))
    return choices


def _prefill_location(entry: ReceptionEntry) -> str | None:
    # an owner's QR form gives the unit as typed until the desk matches it
    return entry.reported_unit if entry.unit_id is None else None


def _render_start_slip(entry: ReceptionEntry, form: StartReturnSlipForm, status: int = 200):
    form.unit_id.choices = _unit_choices(entry)
    return render_template("reception/return_slip_new.html", entry=entry, form=form,
                           send_due=rules.return_slip_send_due(clock_now())), status


@bp.route("/<int:entry_id>/start/return-slip", methods=["GET", "POST"])
def start_return_slip(entry_id: int):
    """RCP-03: after-sales → 物业返修联系单, drafted and the entry classified in one step."""
    entry = starting.entry_to_route(entry_id)
    started = starting.started_record(entry, ReturnSlip.__tablename__, "reception.return_slip", "slip_id")
    if started is not None:
        return started
    form = StartReturnSlipForm()
    if request.method == "GET":
        form.unit_id.data = entry.unit_id
        form.problem.data = entry.content
        form.location.data = _prefill_location(entry)
        refusal = starting.refusal(entry, Category.AFTER_SALES, FollowUp.RETURN_SLIP)
        if refusal:
            form.form_errors.append(refusal)
        return _render_start_slip(entry, form, 422 if refusal else 200)
    if not form.validate_on_submit():
        return _render_start_slip(entry, form, 422)
    values = {"unit_id": form.unit_id.data, "location": form.location.data, "problem": form.problem.data}
    try:
        slip = starting.commit_with_retry(lambda: follow_ups.draft_return_slip(
            db.session, current_user, starting.entry_to_route(entry_id), values, clock_now()
        ))
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, {"unit": "unit_id", "category": None, "follow_up": None})
        return _render_start_slip(starting.entry_to_route(entry_id), form, 422)
    flash(gettext("Return-for-repair slip %(number)s drafted: hand it to the developer today.", number=slip.number),
          "success")
    return redirect(url_for("reception.return_slip", slip_id=slip.id), code=303)


def _render_start_order(entry: ReceptionEntry, form: StartWorkOrderForm, status: int = 200):
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.project_id == entry.project_id, Department.active.is_(True))
        .order_by(Department.name, Department.id)
    ).all()
    form.department_id.choices = [("", gettext("Choose the department"))] + [(d.id, d.name) for d in departments]
    form.unit_id.choices = _unit_choices(entry)
    return render_template("reception/work_order_new.html", entry=entry, form=form), status


@bp.route("/<int:entry_id>/start/work-order", methods=["GET", "POST"])
def start_work_order(entry_id: int):
    """RCP-04 报修 → dispatched to maintenance (by default), the entry classified in one step."""
    entry = starting.entry_to_route(entry_id)
    started = starting.started_record(entry, RepairWorkOrder.__tablename__, "reception.work_order", "order_id")
    if started is not None:
        return started
    form = StartWorkOrderForm()
    if request.method == "GET":
        maintenance = follow_ups.maintenance_department(db.session, entry.project_id)
        form.department_id.data = maintenance.id if maintenance else None
        form.unit_id.data = entry.unit_id
        form.problem.data = entry.content
        form.location.data = _prefill_location(entry)
        refusal = starting.refusal(entry, Category.REPAIR, FollowUp.WORK_ORDER)
        if refusal:
            form.form_errors.append(refusal)
        return _render_start_order(entry, form, 422 if refusal else 200)
    if not form.validate_on_submit():
        return _render_start_order(entry, form, 422)
    values = {
        "department_id": form.department_id.data,
        "unit_id": form.unit_id.data,
        "location": form.location.data,
        "problem": form.problem.data,
        "agreed_at": local_input(form.agreed_at),
    }
    try:
        order = starting.commit_with_retry(lambda: follow_ups.dispatch_work_order(
            db.session, current_user, starting.entry_to_route(entry_id), values, clock_now()
        ))
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, {"department": "department_id", "unit": "unit_id", "category": None,
                                "follow_up": None})
        return _render_start_order(starting.entry_to_route(entry_id), form, 422)
    flash(gettext("Work order %(number)s dispatched.", number=order.number), "success")
    return redirect(url_for("reception.work_order", order_id=order.id), code=303)


# ---------------------------------------------------------------------------- return slips


def _slip_or_404(slip_id: int) -> ReturnSlip:
    return db.first_or_404(
        sa.select(ReturnSlip).where(ReturnSlip.id == slip_id).options(
            so.joinedload(ReturnSlip.entry).selectinload(ReceptionEntry.photos),
            so.joinedload(ReturnSlip.entry).joinedload(ReceptionEntry.owner),
            so.joinedload(ReturnSlip.unit).joinedload(Unit.building),
        )
    )


def _may_view_slip(slip: ReturnSlip) -> bool:
    return can(Permission.VIEW_RECEPTION, slip.project_id)


def _may_work_desk(record) -> bool:
    return can(Permission.ROUTE_OWNER_CONTACTS, record.project_id)


def _slip_actions(slip: ReturnSlip) -> dict[str, bool]:
    desk = _may_work_desk(slip)
    status = ReturnSlipStatus(slip.status)
    return {
        "send": desk and status is ReturnSlipStatus.DRAFTED,
        "answer": desk and status in rules.CHASED_STATUSES,
        "complete": desk and status in rules.CHASED_STATUSES,
        "withdraw": desk and status in (ReturnSlipStatus.DRAFTED, *rules.CHASED_STATUSES),
    }


def _slip_context(slip: ReturnSlip, forms: dict | None = None, conflict: str | None = None) -> dict:
    now = clock_now()
    actions = _slip_actions(slip)

    def propose_due(name, form):
        if name == "send":
            form.due_at.data = _local_value(rules.default_developer_due(now))

    forms = step_forms(slip, actions, forms, SLIP_FORMS, propose_due)
    return {
        "slip": slip,
        "actions": actions,
        "forms": forms,
        "conflict": conflict,
        "send_late": slip.status == ReturnSlipStatus.DRAFTED.value and now > slip.send_due_at,
        "chase_late": slip.chase_due_at is not None and rules.needs_chasing(slip.status, slip.chase_due_at, now),
    }


def _render_slip(slip: ReturnSlip, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _slip_context(slip, forms, conflict)
    if not wants_fragment():
        context["drafter"] = db.session.get(User, slip.drafted_by_id)
    return record_page("reception/return_slip.html", "reception/_return_slip_panel.html", slip, status, **context)


@bp.get("/return-slips")
def return_slips():
    """RCP-03 督促落实: the slips handed to the developer and not yet completed, the most
    overdue first, and those still to be sent today; a fixed number of queries."""
    if not can(Permission.VIEW_RECEPTION):
        abort(403)
    projects = permitted_projects(Permission.VIEW_RECEPTION)
    ids = [p.id for p in projects]
    now = clock_now()
    chased = follow_ups.chased_slips(db.session, ids, now)
    return render(
        "reception/return_slips.html",
        "reception/_return_slip_list.html",
        chased=[(slip, rules.needs_chasing(slip.status, slip.chase_due_at, now)) for slip in chased],
        drafted=follow_ups.drafted_slips(db.session, ids),
        now=now,
        project_names={p.id: p.name for p in projects},
    )


@bp.get("/return-slips/<int:slip_id>")
def return_slip(slip_id: int):
    found = _slip_or_404(slip_id)
    if not _may_view_slip(found):
        abort(403)
    return _render_slip(found)


@bp.get("/return-slips/<int:slip_id>/print")
def return_slip_print(slip_id: int):
    """物业返修联系单 on A4: number, date, where, the problem, the entry's photos, the due
    date and the signature lines of CS and the developer's receiver. No phone in full."""
    found = _slip_or_404(slip_id)
    if not _may_view_slip(found):
        abort(403)
    return render_template("reception/return_slip_print.html", slip=found,
                           project=db.session.get(Project, found.project_id),
                           drafter=db.session.get(User, found.drafted_by_id))


def _slip_step(slip_id: int, name: str, do, done_message: str):
    return take_step(
        name,
        load=lambda: _slip_or_404(slip_id),
        allowed=lambda slip: _may_view_slip(slip) and _may_work_desk(slip),
        form=lambda slip: SLIP_FORMS[name](),
        do=do,
        show=_render_slip,
        done_url=url_for("reception.return_slip", slip_id=slip_id),
        done_message=done_message,
    )


@bp.post("/return-slips/<int:slip_id>/send")
def return_slip_send(slip_id: int):
    def do(slip, form, now):
        follow_ups.send_return_slip(db.session, current_user, slip,
                                    {"received_by": form.received_by.data, "due_at": local_input(form.due_at)}, now)

    return _slip_step(slip_id, "send", do, gettext("The slip is with the developer; it will be chased from its date."))


@bp.post("/return-slips/<int:slip_id>/answer")
def return_slip_answer(slip_id: int):
    def do(slip, form, now):
        follow_ups.record_developer_answer(
            db.session, current_user, slip, {"answer": form.answer.data, "promised_by": local_input(form.promised_by)},
            now,
        )

    return _slip_step(slip_id, "answer", do, gettext("The developer's answer is recorded."))


@bp.post("/return-slips/<int:slip_id>/complete")
def return_slip_complete(slip_id: int):
    def do(slip, form, now):
        follow_ups.complete_return_slip(db.session, current_user, slip, form.outcome.data, now)

    return _slip_step(slip_id, "complete", do, gettext("The slip is completed; the entry can be closed out."))


@bp.post("/return-slips/<int:slip_id>/withdraw")
def return_slip_withdraw(slip_id: int):
    def do(slip, form, now):
        follow_ups.withdraw_return_slip(db.session, current_user, slip, form.reason.data, now)

    return _slip_step(slip_id, "withdraw", do, gettext("The slip is withdrawn."))


# ---------------------------------------------------------------------------- repair work orders


def _order_or_404(order_id: int) -> RepairWorkOrder:
    return db.first_or_404(
        sa.select(RepairWorkOrder).where(RepairWorkOrder.id == order_id).options(
            so.joinedload(RepairWorkOrder.entry).selectinload(ReceptionEntry.photos),
            so.joinedload(RepairWorkOrder.unit).joinedload(Unit.building),
            so.joinedload(RepairWorkOrder.department),
            so.selectinload(RepairWorkOrder.rounds).options(
                so.joinedload(RepairRound.dispatched_by), so.joinedload(RepairRound.done_by),
                so.joinedload(RepairRound.called_back_by),
            ),
        )
    )


def _may_work_repair(order: RepairWorkOrder) -> bool:
    return current_user.is_authenticated and follow_ups.may_work_repair(current_user.grants, order)


def _may_view_order(order: RepairWorkOrder) -> bool:
    return can(Permission.VIEW_RECEPTION, order.project_id) or _may_work_repair(order)


def _order_actions(order: RepairWorkOrder) -> dict[str, bool]:
    desk = _may_work_desk(order)
    status = WorkOrderStatus(order.status)
    return {
        "done": _may_work_repair(order) and status is WorkOrderStatus.DISPATCHED,
        "callback": desk and status is WorkOrderStatus.DONE,
        "close": desk and status is WorkOrderStatus.CALLED_BACK,
        "cancel": desk and status is WorkOrderStatus.DISPATCHED,
    }


def _order_context(order: RepairWorkOrder, forms: dict | None = None, conflict: str | None = None) -> dict:
    now = clock_now()
    actions = _order_actions(order)
    forms = step_forms(order, actions, forms, ORDER_FORMS)
    current = follow_ups.current_round(order)
    due = rules.work_order_due(order.status, current.done_due_at, current.callback_due_at)
    return {
        "order": order,
        "current": current,
        "due": due,
        "late": rules.is_overdue(due, None, now),
        "actions": actions,
        "forms": forms,
        "conflict": conflict,
    }


def _render_order(order: RepairWorkOrder, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    return record_page(
        "reception/work_order.html", "reception/_work_order_panel.html", order, status,
        **_order_context(order, forms, conflict),
    )


def _department_ids_of_user() -> list[int] | None:
    """The departments whose repairs the user does; None for a desk or company role,
    who follows every order of their projects."""
    departments = [department for role, _, department in current_user.grants
                   if role in DEPARTMENT_ROLES and department is not None]
    if not departments or any(role not in DEPARTMENT_ROLES for role, _, _ in current_user.grants):
        return None
    return departments


@bp.get("/work-orders")
def work_orders():
    """RCP-04: repairs under way, the earliest due first: for a department's people their
    department's, for the desk every open order; a fixed number of queries."""
    if not (can(Permission.VIEW_RECEPTION) or can(Permission.WORK_REPAIR_ORDERS)):
        abort(403)
    projects = {p.id: p for p in permitted_projects(Permission.VIEW_RECEPTION)}
    projects.update({p.id: p for p in permitted_projects(Permission.WORK_REPAIR_ORDERS)})
    departments = _department_ids_of_user()
    rows = follow_ups.open_work_orders(db.session, list(projects), clock_now(), departments)
    return render(
        "reception/work_orders.html",
        "reception/_work_order_list.html",
        rows=rows,
        own_department=departments is not None,
        project_names={p.id: p.name for p in projects.values()},
    )


@bp.get("/work-orders/<int:order_id>")
def work_order(order_id: int):
    found = _order_or_404(order_id)
    if not _may_view_order(found):
        abort(403)
    return _render_order(found)


def _order_step(order_id: int, name: str, allowed, do, done_message: str):
    return take_step(
        name,
        load=lambda: _order_or_404(order_id),
        allowed=allowed,
        form=lambda order: ORDER_FORMS[name](),
        do=do,
        show=_render_order,
        done_url=url_for("reception.work_order", order_id=order_id),
        done_message=done_message,
    )


@bp.post("/work-orders/<int:order_id>/done")
def work_order_done(order_id: int):
    def do(order, form, now):
        follow_ups.mark_work_done(db.session, current_user, order, form.work_done.data, now)

    return _order_step(order_id, "done", _may_work_repair, do, gettext("The repair is reported done."))


def _fixed(answer: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(answer or "")


@bp.post("/work-orders/<int:order_id>/callback")
def work_order_callback(order_id: int):
    def do(order, form, now):
        follow_ups.record_callback(
            db.session, current_user, order,
            {"method": form.method.data, "owner_response": form.owner_response.data, "fixed": _fixed(form.fixed.data)},
            now,
        )

    return _order_step(order_id, "callback", _may_work_desk, do, gettext("The call-back is recorded."))


@bp.post("/work-orders/<int:order_id>/close")
def work_order_close(order_id: int):
    def do(order, form, now):
        follow_ups.close_work_order(db.session, current_user, order, now)

    return _order_step(order_id, "close", _may_work_desk, do,
                       gettext("The work order is closed; the entry can be closed out."))


@bp.post("/work-orders/<int:order_id>/cancel")
def work_order_cancel(order_id: int):
    def do(order, form, now):
        follow_ups.cancel_work_order(db.session, current_user, order, form.reason.data, now)

    return _order_step(order_id, "cancel", _may_work_desk, do, gettext("The work order is cancelled."))
