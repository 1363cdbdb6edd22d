"""Paid services 有偿服务 (篇5): the service centre's orders — registration, dispatch,
quality check — on this blueprint; the price list, the technician's job, the monthly
summary and rental commissions have modules of their own on the same blueprint.

The orders: the list (most urgent appointment first), registration at the desk
(家政服务登记表, SVC-02) and its print in two copies, the order with its team, checklists,
signature and quality check, the steps this user may take on it (dispatch SVC-03, cancel,
quality check SVC-07) and the edit of what the stage allows (SVC-09: an edit after the
owner signed leaves the signature no longer matching).

Reads need a paid-service permission in the project (a technician sees the orders they
are on); the project scope hides every other project's orders (404). Each step checks the
actor (403) before anything else; the operations check it again with the state.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from webapp.core import audit
from webapp.core.actions import field_error, saving, take_step
from webapp.core.clock import local_midnight, to_local
from webapp.core.clock import now as clock_now
from webapp.core.forms import local_input
from webapp.core.htmx import render, wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message
from webapp.core.media_responses import send_media
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.web import message
from webapp.estate import queries as estate_queries
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, permitted_projects
from webapp.org.models import Department, Project, User
from webapp.org.rules import Permission, is_allowed
from webapp.paid_services import operations, rules
from webapp.paid_services.forms import (
    CancelForm,
    DispatchForm,
    EditForm,
    OrderForm,
    QualityForm,
    chosen_items,
    quantity_field,
)
from webapp.paid_services.labels import (
    CHECKLIST_LABELS,
    QUALITY_LABELS,
    SATISFACTION_LABELS,
    STATUS_LABELS,
)
from webapp.paid_services.models import (
    ChecklistTick,
    InHomeClearance,
    QualityCheck,
    ServiceAssignment,
    ServiceOrder,
    ServiceSignature,
)
from webapp.paid_services.rules import Checklist, ServiceStatus, Step
from webapp.reception import operations as reception_operations
from webapp.reception import rules as reception_rules
from webapp.reception import starting
from webapp.reception.models import ReceptionEntry

bp = Blueprint("paid_services", __name__, url_prefix="/services")

PAGE_SIZE = 30
#: whoever holds one of these in a project sees its orders; technicians see the ones they are on
VIEW_PERMISSIONS = (
    Permission.REGISTER_SERVICE_ORDERS,
    Permission.DISPATCH_SERVICE_ORDERS,
    Permission.CHECK_SERVICE_QUALITY,
    Permission.VIEW_SERVICE_SUMMARY,
)
#: any of these brings the paid services into the main navigation
NAV_PERMISSIONS = (
    *VIEW_PERMISSIONS,
    Permission.WORK_SERVICE_ORDERS,
    Permission.PROPOSE_SERVICE_PRICES,
    Permission.APPROVE_SERVICE_PRICES,
    Permission.HANDLE_RENTALS,
    Permission.CLEAR_IN_HOME_STAFF,
)
#: the slice's other pages, linked from the list when they exist (by path: they live in
#: modules of their own) and the user holds one of the permissions
SECTIONS = (
    ("/services/jobs", N_("My jobs"), (Permission.WORK_SERVICE_ORDERS,)),
    ("/services/items", N_("Price list"), NAV_PERMISSIONS),
    ("/services/staff", N_("Staff cleared for homes"), (Permission.CLEAR_IN_HOME_STAFF,)),
    ("/services/rentals", N_("Rental commissions"), (Permission.HANDLE_RENTALS,)),
    ("/services/summary", N_("Monthly summary"), (Permission.VIEW_SERVICE_SUMMARY,)),
)
#: what the owner approved, as the order page names a part that changed since (SVC-09)
CONTENT_LABELS = {
    "unit_id": N_("Unit"),
    "owner_id": N_("Owner"),
    "appointment_at": N_("Appointment"),
    "lines": N_("Items and quantities"),
    "materials_fen": N_("Extra materials"),
    "materials_note": N_("Materials used"),
    "total_fen": N_("Total"),
    "work_done": N_("Work done"),
    "technician_ids": N_("Technicians"),
    "started_at": N_("Work started"),
    "finished_at": N_("Work finished"),
}


# ---------------------------------------------------------------------------- template helpers


@bp.app_template_global()
def may_use_paid_services() -> bool:
    """The main navigation's entry: any paid-service permission in some project."""
    return any(can(permission) for permission in NAV_PERMISSIONS)


@bp.app_template_global()
def service_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_filter("service_quantity")
def service_quantity(centi: int | None) -> str:
    """Hundredths of the unit of charge as people write them: 150 → "1.5"."""
    return "" if centi is None else rules.format_quantity(centi)


@bp.context_processor
def _service_helpers():
    return {
        "quality_label": lambda value: str(QUALITY_LABELS.get(value, value)),
        "satisfaction_label": lambda value: str(SATISFACTION_LABELS.get(value, value)),
        "checklist_label": lambda value: str(CHECKLIST_LABELS.get(value, value)),
        "check_item_label": lambda value: gettext(rules.CHECK_ITEM_LABELS.get(value, value)),
    }


def _sections() -> list[tuple[str, str]]:
    paths = {rule.rule for rule in current_app.url_map.iter_rules() if not rule.arguments and "GET" in rule.methods}
    return [
        (path, gettext(label))
        for path, label, permissions in SECTIONS
        if path in paths and any(can(p) for p in permissions)
    ]


# ---------------------------------------------------------------------------- who sees what


def _may_manage(project_id: int | None = None) -> bool:
    return any(can(p, project_id) for p in VIEW_PERMISSIONS)


def _may_view(order: ServiceOrder) -> bool:
    return _may_manage(order.project_id) or operations.is_assigned(current_user, order)


def _may(step: Step, order: ServiceOrder) -> bool:
    return operations.may(current_user, step, order.project_id, order.department_id, order)


def _managed_project_ids() -> list[int]:
    projects = db.session.scalars(sa.select(Project.id))
    return [project_id for project_id in projects if _may_manage(project_id)]


# ---------------------------------------------------------------------------- the list


def _list_options():
    return (
        so.joinedload(ServiceOrder.department),
        so.joinedload(ServiceOrder.unit).joinedload(Unit.building),
        so.joinedload(ServiceOrder.owner),
        so.selectinload(ServiceOrder.lines),
        so.selectinload(ServiceOrder.assignments).joinedload(ServiceAssignment.technician),
    )


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.get("/")
def index():
    """The orders of the user's projects, the most urgent appointment first; filters:
    open/all/a state, department, the day of the appointment. One page is a fixed number
    of queries however many orders there are."""
    if not any(can(p) for p in NAV_PERMISSIONS):
        abort(403)
    status = request.args.get("status", "open")
    department_id = request.args.get("department", type=int)
    day = _day(request.args.get("day"))
    page = max(1, request.args.get("page", 1, type=int))
    now = clock_now()

    on_the_job = sa.select(ServiceAssignment.order_id).where(
        ServiceAssignment.technician_id == current_user.id, ServiceAssignment.removed_at.is_(None)
    )
    query = sa.select(ServiceOrder).where(
        sa.or_(ServiceOrder.project_id.in_(_managed_project_ids()), ServiceOrder.id.in_(on_the_job))
    )
    open_values = [s.value for s in rules.OPEN_STATUSES]
    if status == "open":
        query = query.where(ServiceOrder.status.in_(open_values))
    elif status in {s.value for s in ServiceStatus}:
        query = query.where(ServiceOrder.status == status)
    else:
        status = "all"
    if department_id:
        query = query.where(ServiceOrder.department_id == department_id)
    if day is not None:
        query = query.where(
            ServiceOrder.appointment_at >= local_midnight(day),
            ServiceOrder.appointment_at < local_midnight(day + timedelta(days=1)),
        )
    is_open = ServiceOrder.status.in_(open_values)
    # open orders first, the nearest appointment (or the most overdue) on top; then the
    # finished ones, the latest first
    query = query.order_by(
        sa.case((is_open, 0), else_=1),
        sa.case((is_open, ServiceOrder.appointment_at)),
        ServiceOrder.appointment_at.desc(),
        ServiceOrder.id.desc(),
    )
    rows = list(
        db.session.scalars(
            query.options(*_list_options()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        ).unique()
    )
    orders = rows[:PAGE_SIZE]
    project_names = dict(db.session.execute(sa.select(Project.id, Project.name)).all())
    departments = db.session.scalars(
        sa.select(Department).where(Department.active).order_by(Department.project_id, Department.name)
    ).all()
    filters = {"status": status, "department": department_id or "", "day": day.isoformat() if day else ""}
    return render(
        "paid_services/index.html",
        "paid_services/_order_list.html",
        orders=orders,
        late={o.id for o in orders if _is_late(o, now)},
        today=to_local(now).date(),
        project_names=project_names,
        departments=departments,
        statuses=list(ServiceStatus),
        page_number=page,
        more=len(rows) > PAGE_SIZE,
        filters=filters,
        may_register=can(Permission.REGISTER_SERVICE_ORDERS),
        sections=_sections(),
    )


def _is_late(order: ServiceOrder, now: datetime) -> bool:
    """The appointment has passed and nobody has started the work."""
    return order.status in (ServiceStatus.REGISTERED, ServiceStatus.DISPATCHED) and order.appointment_at < now


# ---------------------------------------------------------------------------- registration


def _chosen_project(projects: list[Project], wanted: int | None) -> Project:
    if wanted is None:
        return projects[0]
    project = next((p for p in projects if p.id == wanted), None)
    if project is None:
        # another project's id is not found (ORG-02); a project of the user's without the permission: 403
        db.first_or_404(sa.select(Project).where(Project.id == wanted))
        abort(403)
    return project


def _offered_groups(project: Project, now: datetime) -> list[tuple[str, list]]:
    """The price list as the desk offers it now, by department."""
    offered = operations.offered_items(db.session, project.id, now)
    names = dict(db.session.execute(sa.select(Department.id, Department.name).where(Department.project_id == project.id)).all())
    groups: dict[int, list] = {}
    for item, price in offered:
        groups.setdefault(item.department_id, []).append((item, price))
    return [(names.get(department_id, ""), entries) for department_id, entries in groups.items()]


def _render_new(form: OrderForm, project: Project, projects: list[Project], status: int = 200, *,
                chosen=(), typed=None, item_errors=None, lines_error=None, entry: ReceptionEntry | None = None):
    now = clock_now()
    groups = _offered_groups(project, now)
    form.project_id.data = project.id
    picker = estate_queries.owner_picker(db.session, form.unit_query.data or "", form.owner_choice.data, [project.id])
    return render_template(
        "paid_services/new.html",
        form=form,
        project=project,
        projects=projects,
        groups=groups,
        chosen=set(chosen),
        typed=typed or {},
        item_errors=item_errors or {},
        lines_error=lines_error,
        picker=picker,
        earliest=to_local(now).strftime("%Y-%m-%dT%H:%M"),
        origin=starting.origin(entry),
    ), status


def _first_checks(form: OrderForm, values: dict, ticked: list[int], now: datetime, keep: dict) -> bool:
    """The rules a desk most often trips over, checked together so that every message
    shows at once; the operation checks everything again."""
    passed = True
    try:
        rules.check_order_items(ticked, [])
    except RuleViolation as exc:
        keep["lines_error"] = message(exc)
        passed = False
    if not form.appointment_at.errors:
        try:
            rules.check_appointment(values["appointment_at"], now)
        except RuleViolation as exc:
            field_error(form, exc)
            passed = False
    return passed


#: where the form shows what the operation says about the owner and the unit
_NEW_ALIASES = {"owner_id": "unit_query", "unit_id": "unit_query", "owner": "unit_query", "unit": "unit_query"}


@bp.route("/orders/new", methods=["GET", "POST"])
def new():
    """SVC-02: the request logged with the items offered now at their approved prices, the
    appointment agreed with the owner, requirements, cautions and the key; the department
    is told (the operation). A repeated submission opens the order it made."""
    projects = permitted_projects(Permission.REGISTER_SERVICE_ORDERS)
    if not projects:
        abort(403)
    form = OrderForm()
    wanted = request.args.get("project", type=int) if request.method == "GET" else form.project_id.data
    entry_id = request.args.get("entry", type=int) if request.method == "GET" else form.entry_id.data
    # RCP-04: the ledger entry an order is started from, in a project where the user
    # registers orders
    routable = {p.id for p in projects}
    entry = starting.entry_to_route(entry_id, routable) if entry_id is not None else None
    if entry is not None:  # RCP-04: the entry's project, the only one the form offers
        projects = [p for p in projects if p.id == entry.project_id]
        wanted = entry.project_id
    project = _chosen_project(projects, wanted)
    if request.method == "GET":
        if entry is None:
            return _render_new(form, project, projects)
        form.fill_from_entry(entry)
        refusal = starting.refusal(entry, reception_rules.Category.SERVICE, reception_rules.FollowUp.SERVICE_ORDER)
        if refusal:
            form.form_errors.append(refusal)
        return _render_new(form, project, projects, 422 if refusal else 200, entry=entry)

    offered_ids = [item.id for _, entries in _offered_groups(project, clock_now()) for item, _ in entries]
    ticked, lines, typed, quantity_errors = chosen_items(request.form, offered_ids)
    keep = {
        "chosen": ticked,
        "typed": typed,
        "item_errors": {i: message(e) for i, e in quantity_errors.items()},
        "entry": entry,
    }
    if request.form.get("find_owner"):  # the owner picker's search without scripts, nothing saved
        form.owner_choice.data = ""
        return _render_new(form, project, projects, chosen=ticked, typed=typed, entry=entry)
    values = form.values()
    values["lines"] = lines
    now = clock_now()
    valid = form.validate_on_submit()
    checked = _first_checks(form, values, ticked, now, keep)
    if not valid or quantity_errors:
        return _render_new(form, project, projects, 422, **keep)
    # when the first checks failed, the operation still runs to name what else is wrong
    # (the unit, the contact…): it refuses whatever they refused, before writing anything
    try:
        # resolved before registering: the ids are part of the submission's fingerprint
        unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
            db.session, form.unit_query.data, form.owner_choice.data, project.id
        )
        form.owner_choice.data = choice
        values["unit_id"], values["owner_id"] = unit_id, owner_id
        for attempt in range(3):
            if entry is None:
                order, created = operations.register_order(
                    db.session, current_user, project, values, now, form.submission_key.data
                )
            else:
                order, created = operations.register_order_from_entry(
                    db.session, current_user, project, entry, values, now, form.submission_key.data
                )
            if not created:
                return redirect(url_for("paid_services.detail", order_id=order.id), code=303)
            if not checked:  # never saved past a refusal, however the operation changes
                db.session.rollback()
                return _render_new(form, project, projects, 422, **keep)
            try:
                db.session.commit()
            except IntegrityError:  # two desks took the same number at once: number again
                db.session.rollback()
                if attempt == 2:
                    raise
                if entry is not None:
                    entry = keep["entry"] = starting.entry_to_route(entry.id, routable)
                continue
            break
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except StaleDataError:  # another desk routed the entry at the same moment
        db.session.rollback()
        if entry is not None:
            keep["entry"] = starting.entry_to_route(entry.id, routable)
        form.form_errors.append(gettext("This entry has already been routed."))
        return _render_new(form, project, projects, 422, **keep)
    except RuleViolation as exc:
        db.session.rollback()
        if exc.field == "lines":
            keep.setdefault("lines_error", message(exc))
        else:
            field_error(form, exc, _NEW_ALIASES)
        return _render_new(form, project, projects, 422, **keep)
    flash(gettext("Paid service %(number)s registered; the department has been told.", number=order.number), "success")
    return redirect(url_for("paid_services.detail", order_id=order.id), code=303)


# ---------------------------------------------------------------------------- one order


def _detail_options():
    return (
        so.joinedload(ServiceOrder.department),
        so.joinedload(ServiceOrder.unit).joinedload(Unit.building),
        so.joinedload(ServiceOrder.owner),
        so.joinedload(ServiceOrder.registered_by),
        so.selectinload(ServiceOrder.lines),
        so.selectinload(ServiceOrder.assignments).joinedload(ServiceAssignment.technician),
        so.selectinload(ServiceOrder.ticks).joinedload(ChecklistTick.technician),
        so.selectinload(ServiceOrder.signatures),
        so.selectinload(ServiceOrder.quality_checks).joinedload(QualityCheck.checked_by),
    )


def _order_or_404(order_id: int) -> ServiceOrder:
    order = (
        db.session.scalars(sa.select(ServiceOrder).where(ServiceOrder.id == order_id).options(*_detail_options()))
        .unique()
        .first()
    )
    if order is None:
        abort(404)
    return order


def _viewable_order_or_404(order_id: int) -> ServiceOrder:
    order = _order_or_404(order_id)
    if not _may_view(order):
        abort(403)
    return order


def _user_names(*ids: int | None) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def _close_blocked(order: ServiceOrder) -> str | None:
    """Why the quality check cannot close the order now (SVC-09: a signature that no
    longer matches), in the reader's language; None when it can."""
    if ServiceStatus.CLOSED not in rules.TRANSITIONS[ServiceStatus(order.status)]:
        return None
    try:
        rules.check_can_close(order.status, operations.signature_matches(order))
    except RuleViolation as exc:
        return message(exc)
    return None


def _actions(order: ServiceOrder) -> dict[str, bool]:
    """Which steps this user may take on this order now, by role and state."""
    state = ServiceStatus(order.status)
    return {
        "dispatch": _may(Step.DISPATCH, order) and state in rules.DISPATCHABLE_STATUSES,
        "cancel": _may(Step.CANCEL, order) and ServiceStatus.CANCELLED in rules.TRANSITIONS[state],
        "quality": _may(Step.CHECK_QUALITY, order)
        and ServiceStatus.CLOSED in rules.TRANSITIONS[state]
        and _close_blocked(order) is None,
        "edit": _may(Step.EDIT, order) and bool(rules.EDITABLE_FIELDS[state]),
    }


FORMS = {"dispatch": DispatchForm, "cancel": CancelForm, "quality": QualityForm}


def _cleared_technicians(order: ServiceOrder) -> list[SimpleNamespace]:
    """SVC-03 (§4.5.1): the staff trained and cleared for work in owners' homes in the
    order's project who do paid jobs there — the only ones offered. The order's own
    department first."""
    users = (
        db.session.scalars(
            sa.select(User)
            .join(InHomeClearance, InHomeClearance.user_id == User.id)
            .where(
                InHomeClearance.project_id == order.project_id,
                InHomeClearance.revoked_at.is_(None),
                User.active,
            )
            .options(so.selectinload(User.roles))
        )
        .unique()
        .all()
    )
    names = dict(
        db.session.execute(
            sa.select(Department.id, Department.name).where(Department.project_id == order.project_id)
        ).all()
    )
    found = []
    for user in users:
        if not is_allowed(user.grants, Permission.WORK_SERVICE_ORDERS, order.project_id):
            continue
        departments = sorted({d for _, p, d in user.grants if p == order.project_id and d is not None})
        found.append(
            SimpleNamespace(
                id=user.id,
                name=user.display_name,
                departments=[names[d] for d in departments if d in names],
                own=order.department_id in departments,
            )
        )
    return sorted(found, key=lambda t: (not t.own, t.name, t.id))


def _panel_context(order: ServiceOrder, forms: dict | None = None, conflict: str | None = None) -> dict:
    forms = dict(forms or {})
    actions = _actions(order)
    for name, form_class in FORMS.items():
        if actions[name] and name not in forms:
            forms[name] = form_class(formdata=None)
            if name == "dispatch":
                forms[name].technicians.data = order.technician_ids
        if name in forms:
            forms[name].version.data = order.version
    technicians = []
    if "dispatch" in forms:
        technicians = _cleared_technicians(order)
        forms["dispatch"].technicians.choices = [
            (t.id, " · ".join([t.name, *t.departments])) for t in technicians
        ]
    names = _user_names(order.dispatched_by_id, order.cancelled_by_id, order.completed_by_id)
    return {
        "order": order,
        "actions": actions,
        "forms": forms,
        "conflict": conflict,
        "technicians": technicians,
        "team": [a for a in order.assignments if a.removed_at is None],
        "names": names,
        "close_blocked": _close_blocked(order),
        "quality": order.quality_checks[-1] if order.quality_checks else None,
    }


def _changed_since_signing(order: ServiceOrder, signature: ServiceSignature) -> list[str]:
    """SVC-09: the parts of the order that differ from what the owner signed."""
    try:
        signed = json.loads(signature.signed_content)
    except ValueError:
        return []
    now = operations.order_content(order)
    return [gettext(label) for key, label in CONTENT_LABELS.items() if signed.get(key) != now.get(key)]


def _detail_context(order: ServiceOrder) -> dict:
    signature = order.current_signature
    matches = operations.signature_matches(order)
    ticks = {checklist: [t for t in order.ticks if t.checklist == checklist.value] for checklist in Checklist}
    late_ticks = {
        t.id for t in order.ticks if t.item == rules.CheckItem.ON_TIME and rules.is_late(order.appointment_at, t.ticked_at)
    }
    return {
        "signature": signature,
        "signature_matches": matches,
        "changed_since_signing": _changed_since_signing(order, signature) if matches is False else [],
        "signers": _user_names(*(s.recorded_by_id for s in order.signatures)),
        "ticks": ticks,
        "late_ticks": late_ticks,
        "events": audit.timeline(db.session, order),
        "may_print": _may_manage(order.project_id),
        "on_the_job": current_user.id in order.technician_ids,
    }


@bp.get("/orders/<int:order_id>")
def detail(order_id: int):
    """Everything about the order and the steps this user may take now."""
    return _render_detail(_viewable_order_or_404(order_id))


def _render_detail(order: ServiceOrder, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _panel_context(order, forms, conflict)
    if wants_fragment():
        return render_template("paid_services/_status_panel.html", **context), status, {"Vary": "HX-Request"}
    context.update(_detail_context(order))
    context["origin"] = starting.origin(reception_operations.started_by(db.session, order))
    return render_template("paid_services/detail.html", **context), status, {"Vary": "HX-Request"}


def _act(order_id: int, name: str, step: Step, do, done_message: str, aliases: dict | None = None):
    """Every step on an order (webapp.core.actions.take_step)."""
    return take_step(
        name,
        load=lambda: _order_or_404(order_id),
        allowed=lambda order: _may(step, order),
        form=lambda order: FORMS[name](),
        do=do,
        show=_render_detail,
        done_url=url_for("paid_services.detail", order_id=order_id),
        done_message=done_message,
        aliases=aliases,
    )


@bp.post("/orders/<int:order_id>/dispatch")
def dispatch(order_id: int):
    """SVC-03: one or more technicians, only the trained and cleared (the operation refuses
    anyone else, whatever is posted); before the start the team may be changed."""

    def do(order, form, now):
        operations.dispatch(db.session, current_user, order, form.technicians.data or [], now)

    return _act(order_id, "dispatch", Step.DISPATCH, do, gettext("The technicians have the job."))


@bp.post("/orders/<int:order_id>/cancel")
def cancel(order_id: int):
    def do(order, form, now):
        operations.cancel_order(db.session, current_user, order, form.reason.data, now)

    return _act(order_id, "cancel", Step.CANCEL, do, gettext("The order is cancelled."))


@bp.post("/orders/<int:order_id>/quality")
def check_quality(order_id: int):
    """SVC-07: the supervisor's check of the work closes the order."""

    def do(order, form, now):
        operations.check_quality(db.session, current_user, order, form.result.data, form.note.data, now)

    return _act(order_id, "quality", Step.CHECK_QUALITY, do, gettext("Quality checked; the order is closed."))


# ---------------------------------------------------------------------------- edit


def _same_minute(new: datetime | None, old: datetime | None) -> bool:
    """The form holds minutes: a stored time with seconds is unchanged when the minute is."""
    if new is None or old is None:
        return new is old
    return new.replace(second=0, microsecond=0) == old.replace(second=0, microsecond=0)


def _local_minutes(moment: datetime | None) -> datetime | None:
    return to_local(moment).replace(second=0, microsecond=0, tzinfo=None) if moment else None


def _fill_edit_form(form: EditForm, order: ServiceOrder) -> None:
    for name in ("contact", "requirements", "cautions", "key_note", "work_done", "materials_note"):
        getattr(form, name).data = getattr(order, name) or ""
    form.key_authorised.data = order.key_authorised
    form.appointment_at.data = _local_minutes(order.appointment_at)
    form.started_at.data = _local_minutes(order.started_at)
    form.finished_at.data = _local_minutes(order.finished_at)
    form.materials.data = rules.format_yuan(order.materials_fen or 0)
    form.version.data = order.version


def _edit_changes(form: EditForm, order: ServiceOrder, editable, typed: dict[int, str]) -> tuple[dict, dict]:
    """What the user changed among the fields the stage allows; refusals of what cannot
    be read, by field name (also beside the form's own fields). Unchanged fields are not
    sent: a passed appointment does not stop an edit of the cautions."""
    changes: dict = {}
    errors: dict[str, str] = {}
    for name in ("contact", "requirements", "cautions", "work_done", "materials_note"):
        if name in editable and (getattr(form, name).data or None) != getattr(order, name):
            changes[name] = getattr(form, name).data
    if "key_authorised" in editable:
        authorised = bool(form.key_authorised.data)
        if authorised != order.key_authorised:
            changes["key_authorised"] = authorised
        if (form.key_note.data or None) != order.key_note and (authorised or form.key_note.data):
            changes["key_note"] = form.key_note.data
    for name in ("appointment_at", "started_at", "finished_at"):
        if name in editable:
            new = local_input(getattr(form, name))
            if not _same_minute(new, getattr(order, name)):
                changes[name] = new
    if "materials_fen" in editable:
        try:
            materials = rules.parse_yuan(form.materials.data, "materials") if form.materials.data else 0
        except RuleViolation as exc:
            form.materials.errors = [*form.materials.errors, message(exc)]
            errors["materials"] = message(exc)
        else:
            if materials != (order.materials_fen or 0):
                changes["materials_fen"] = materials
    if "quantities" in editable:
        quantities = {}
        for line in order.lines:
            try:
                quantity = rules.parse_quantity(typed.get(line.id, ""), quantity_field(line.id))
            except RuleViolation as exc:
                errors[quantity_field(line.id)] = message(exc)
                continue
            if quantity != line.quantity_centi:
                quantities[line.id] = quantity
        if quantities:
            changes["quantities"] = quantities
    return changes, errors


def _render_edit(order: ServiceOrder, form: EditForm, typed: dict[int, str], errors: dict[str, str],
                 status: int = 200, conflict: str | None = None):
    editable = rules.EDITABLE_FIELDS[ServiceStatus(order.status)]
    return render_template(
        "paid_services/edit.html",
        order=order,
        form=form,
        editable=editable,
        typed=typed,
        errors=errors,
        conflict=conflict,
        signed=operations.signature_matches(order) is True,
    ), status


#: where the edit form shows what the operation says
_EDIT_ALIASES = {"materials_fen": "materials", "materials": "materials", "quantities": "lines"}


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit(order_id: int):
    """What the stage allows (rules.EDITABLE_FIELDS), with optimistic locking: a save based
    on an older version is refused with the values kept. After the owner signed, a change of
    what they approved leaves the signature no longer matching (SVC-09)."""
    order = _order_or_404(order_id)
    if not _may(Step.EDIT, order):
        abort(403)
    editable = rules.EDITABLE_FIELDS[ServiceStatus(order.status)]
    if not editable:
        flash(gettext("A closed or cancelled order cannot be changed."), "error")
        return redirect(url_for("paid_services.detail", order_id=order.id), code=303)
    if request.method == "GET":
        form = EditForm(formdata=None)
        _fill_edit_form(form, order)
        return _render_edit(order, form, {line.id: rules.format_quantity(line.quantity_centi) for line in order.lines}, {})

    form = EditForm()
    typed = {line.id: (request.form.get(quantity_field(line.id)) or "").strip() for line in order.lines}
    if not form.validate_on_submit():
        return _render_edit(order, form, typed, {}, 422)
    changes, errors = _edit_changes(form, order, editable, typed)
    if errors:
        return _render_edit(order, form, typed, errors, 422)
    if not changes:
        flash(gettext("Nothing was changed."), "info")
        return redirect(url_for("paid_services.detail", order_id=order.id), code=303)
    was_signed = operations.signature_matches(order) is True
    try:
        with saving(order):
            check_version(db.session, order, form.version.data)
            operations.edit_order(db.session, current_user, order, changes, clock_now())
    except EditConflict as exc:
        order = _order_or_404(order_id)
        # the next save is a deliberate choice over what is stored now
        form.version.data = order.version
        return _render_edit(order, form, typed, {}, 409, conflict_message(exc))
    except RuleViolation as exc:
        order = _order_or_404(order_id)
        errors = {}
        field_error(form, exc, _EDIT_ALIASES, errors=errors)
        return _render_edit(order, form, typed, errors, 422)
    flash(gettext("Saved."), "success")
    if was_signed and operations.signature_matches(order) is False:
        flash(gettext("The owner's signature no longer matches the order: the technicians are asked to have the owner sign again."), "error")
    return redirect(url_for("paid_services.detail", order_id=order.id), code=303)


# ---------------------------------------------------------------------------- print and signature image


@bp.get("/orders/<int:order_id>/print")
def print_registration(order_id: int):
    """家政服务登记表 in two copies on one A4 (§4.1 一式两份): the service centre keeps one, the
    department gets the other."""
    order = _order_or_404(order_id)
    if not _may_manage(order.project_id):
        abort(403)
    project = db.session.get(Project, order.project_id)
    return render_template(
        "paid_services/print_registration.html",
        order=order,
        project=project,
        team=[a for a in order.assignments if a.removed_at is None],
        copies=[gettext("Copy for the service centre"), gettext("Copy for the department")],
        printed_at=clock_now(),
        # SVC-09: a copy printed after signing says whether the signature still covers it
        signature=order.current_signature,
        signature_matches=operations.signature_matches(order),
    )


#: an owner's signature: no cache, not even the phone's own, may keep it
SIGNATURE_MAX_AGE = None


@bp.get("/signatures/<int:signature_id>.png")
def signature_image(signature_id: int):
    """The owner's signature (SVC-06): only for those who may see the order, through the
    project scope (another project's → 404), never from a guessable URL of the media store."""
    signature = db.first_or_404(sa.select(ServiceSignature).where(ServiceSignature.id == signature_id))
    if signature.image_key is None:
        abort(404)
    order = db.first_or_404(
        sa.select(ServiceOrder).where(ServiceOrder.id == signature.order_id).options(so.selectinload(ServiceOrder.assignments))
    )
    if not _may_view(order):
        abort(403)
    return send_media(
        signature.image_key, mimetype="image/png", etag=signature.image_sha256 or str(signature.id),
        max_age=SIGNATURE_MAX_AGE, label=f"service signature {signature.id}",
    )
