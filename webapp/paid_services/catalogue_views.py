"""The price list 有偿服务项目及收费标准 (SVC-01, §3.1–3.2) and the staff trained and
cleared for work in owners' homes (SVC-03, §4.5.1).

GET       /services/items?project=<id>           the price list per department: the price in
                                                 force, proposals waiting for the GM marked
GET       /services/items/print?project=<id>     the list as offered, A4 for the notice board
GET, POST /services/items/new                    a supervisor proposes an item with its price
GET       /services/items/<id>                   an item, its price history, the steps this
                                                 user may take now
POST      /services/items/<id>/price             a price change: a new proposal with its reason
POST      /services/items/<id>/decide            the GM approves, or refuses with a reason
POST      /services/items/<id>/withdraw          the department stops offering it
GET       /services/staff?project=<id>           staff with their training and clearance
POST      /services/staff/<user_id>/clear?project=<id>
POST      /services/clearances/<id>/revoke

Reading the price list needs any paid-services permission in the project; every step
checks the actor's role first (403) and leaves the rest to webapp.paid_services.operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.attributes import flag_modified
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields import DateField
from wtforms.validators import Length, Optional

from webapp.core import audit, idempotency
from webapp.core.actions import field_error, take_step
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.forms import (
    department_choices,
    local_datetime_field,
    local_input,
    optional_int,
    strip,
    text_area,
)
from webapp.core.htmx import wants_fragment
from webapp.core.idempotency import new_key
from webapp.core.locking import touch
from webapp.core.rulekit import N_, RuleViolation
from webapp.extensions import db
from webapp.org.access import NotPermitted, can
from webapp.org.models import Department, Project, RoleAssignment, User
from webapp.org.rules import (
    COMPANY_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    is_allowed_for_department,
)
from webapp.paid_services import operations, rules
from webapp.paid_services.models import InHomeClearance, ServiceItem, ServicePrice
from webapp.paid_services.rules import PriceDecision, Step
from webapp.paid_services.views import bp

#: whoever holds one of these in a project may read its price list
SERVICE_PERMISSIONS = tuple(p for p in Permission if p.value.startswith("paid_services."))

DECISION_LABELS = {
    PriceDecision.APPROVED: _l("Approved"),
    PriceDecision.REFUSED: _l("Refused"),
}


@bp.app_template_global()
def price_decision_label(decision: str | None) -> str:
    if decision is None:
        return gettext("Waiting for the general manager")
    return str(DECISION_LABELS.get(decision, decision))


def _money(label) -> StringField:
    return StringField(label, validators=[Length(max=20)], filters=[strip],
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})


# ---------------------------------------------------------------------------- forms


class ItemForm(FlaskForm):
    """SVC-01: a new item with the price the supervisor proposes."""

    submission_key = HiddenField(default=new_key)
    department_id = SelectField(_l("Department that offers it"), coerce=optional_int, validate_choice=False)
    name = StringField(_l("Service"), validators=[Length(max=100)], filters=[strip])
    unit_of_charge = StringField(_l("Charged per"), validators=[Length(max=20)], filters=[strip])
    description = text_area(3, _l("What it includes"))
    price = _money(_l("Price (yuan)"))
    reason = text_area(2, _l("Basis of the price"))
    effective_from = local_datetime_field(_l("Applies from"))


class ActionForm(FlaskForm):
    """A step on an item; `version` refuses a step based on what someone changed meanwhile."""

    version = HiddenField()


class PriceForm(ActionForm):
    """SVC-01: a price change is a new proposal, with its reason."""

    price = _money(_l("New price (yuan)"))
    reason = text_area(2, _l("Why the price changes"))
    effective_from = local_datetime_field(_l("Applies from"))


class DecideForm(ActionForm):
    decision = RadioField(
        _l("Decision"), choices=[("approve", _l("Approve")), ("refuse", _l("Refuse"))], validate_choice=False
    )
    note = text_area(2, _l("Reason"))


class WithdrawForm(ActionForm):
    reason = text_area(2, _l("Why it is no longer offered"))


class ClearForm(FlaskForm):
    """§4.5.1: cleared after the discipline training."""

    trained_on = DateField(_l("Discipline training on"), validators=[Optional()])
    note = StringField(_l("Trained by / note"), validators=[Length(max=200)], filters=[strip])


class RevokeForm(FlaskForm):
    reason = text_area(2, _l("Why the clearance is revoked"))


# ---------------------------------------------------------------------------- the project


def _permitted_projects(*permissions: Permission) -> list[Project]:
    projects = db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.name, Project.id))
    return [p for p in projects if any(can(permission, p.id) for permission in permissions)]


def _project_for(*permissions: Permission) -> tuple[Project, list[Project]]:
    """The project asked for (another project's: 404; one where the user holds none of
    `permissions`: 403), else the first the user may see."""
    projects = _permitted_projects(*permissions)
    project_id = request.args.get("project", type=int)
    if project_id is not None:
        project = db.first_or_404(sa.select(Project).where(Project.id == project_id))
    elif projects:
        project = projects[0]
    else:
        abort(403)
    if not any(can(permission, project.id) for permission in permissions):
        abort(403)
    return project, projects


def _may_read(project_id: int) -> bool:
    return any(can(permission, project_id) for permission in SERVICE_PERMISSIONS)


# ---------------------------------------------------------------------------- the price list


@dataclass
class ItemRow:
    """An item as the list shows it at `now` (SVC-01)."""

    item: ServiceItem
    in_force: ServicePrice | None
    pending: ServicePrice | None
    #: approved, applying from a later moment
    upcoming: ServicePrice | None

    @property
    def offered(self) -> bool:
        return self.item.active and self.in_force is not None


def item_row(item: ServiceItem, now: datetime) -> ItemRow:
    in_force = operations.price_in_force(item, now)
    pending = next((p for p in item.prices if p.decision is None), None)
    upcoming = [
        p for p in item.prices
        if p.decision == PriceDecision.APPROVED and p.effective_from is not None and p.effective_from > now
    ]
    return ItemRow(item, in_force, pending, min(upcoming, key=lambda p: p.effective_from) if upcoming else None)


@dataclass
class DepartmentGroup:
    department: Department
    rows: list[ItemRow] = field(default_factory=list)
    may_propose: bool = False


def _groups(project: Project, now: datetime, offered_only: bool = False) -> list[DepartmentGroup]:
    """The project's items per department, by name: three queries (departments, items,
    their prices) however long the list."""
    departments = db.session.scalars(
        sa.select(Department).where(Department.project_id == project.id).order_by(Department.name, Department.id)
    ).all()
    groups = {
        d.id: DepartmentGroup(
            d, may_propose=d.active and is_allowed_for_department(
                current_user.grants, Permission.PROPOSE_SERVICE_PRICES, project.id, d.id
            ),
        )
        for d in departments
    }
    items = db.session.scalars(
        sa.select(ServiceItem)
        .where(ServiceItem.project_id == project.id)
        .options(so.selectinload(ServiceItem.prices))
        .order_by(ServiceItem.name, ServiceItem.id)
    )
    for item in items:
        row = item_row(item, now)
        if offered_only and not row.offered:
            continue
        group = groups.get(item.department_id)
        if group is not None:
            group.rows.append(row)
    if offered_only:
        return [g for g in groups.values() if g.rows]
    return [g for g in groups.values() if g.rows or g.may_propose]


@bp.get("/items")
def catalogue():
    """SVC-01: 有偿服务项目及收费标准 as it stands: per department, the price in force and
    since when, proposals waiting for the general manager, items not offered yet."""
    project, projects = _project_for(*SERVICE_PERMISSIONS)
    now = clock_now()
    groups = _groups(project, now)
    return render_template(
        "paid_services/catalogue.html",
        project=project,
        projects=projects,
        groups=groups,
        now=now,
        may_propose=can(Permission.PROPOSE_SERVICE_PRICES, project.id),
        may_clear=can(Permission.CLEAR_IN_HOME_STAFF, project.id),
        waiting=sum(1 for g in groups for r in g.rows if r.pending is not None),
    )


@bp.get("/items/print")
def catalogue_print():
    """The price list for the notice board: what owners may order today at the approved
    prices, one A4 page per department where it fits."""
    project, _projects = _project_for(*SERVICE_PERMISSIONS)
    now = clock_now()
    return render_template(
        "paid_services/catalogue_print.html",
        project=project,
        groups=_groups(project, now, offered_only=True),
        today=local_date(now),
    )


# ---------------------------------------------------------------------------- a new item


def _proposable_departments() -> list[tuple[Department, Project]]:
    """Active departments whose items this user may propose (a supervisor: their own)."""
    projects = {p.id: p for p in _permitted_projects(Permission.PROPOSE_SERVICE_PRICES)}
    if not projects:
        return []
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.project_id.in_(list(projects)), Department.active)
        .order_by(Department.project_id, Department.name, Department.id)
    )
    return [
        (d, projects[d.project_id])
        for d in departments
        if is_allowed_for_department(current_user.grants, Permission.PROPOSE_SERVICE_PRICES, d.project_id, d.id)
    ]


def _render_new(form: ItemForm, choices, status: int = 200):
    many = len({project.id for _, project in choices}) > 1
    project_names = {d.id: project.name for d, project in choices}
    form.department_id.choices = department_choices(
        gettext("Choose the department"), [d for d, _ in choices], (lambda d: project_names[d.id]) if many else None
    )
    return render_template("paid_services/item_new.html", form=form), status


@bp.route("/items/new", methods=["GET", "POST"])
def item_new():
    """SVC-01: a department supervisor proposes an item with its price; it is offered once
    the general manager approves (the GM finds it in My work)."""
    if not can(Permission.PROPOSE_SERVICE_PRICES):
        abort(403)
    choices = _proposable_departments()
    if not choices:
        abort(403)
    form = ItemForm()
    if request.method == "GET":
        wanted = request.args.get("department", type=int)
        if any(d.id == wanted for d, _ in choices):
            form.department_id.data = wanted
        elif len(choices) == 1:
            form.department_id.data = choices[0][0].id
        return _render_new(form, choices)
    if not form.validate_on_submit():
        return _render_new(form, choices, 422)
    chosen = next(((d, p) for d, p in choices if d.id == form.department_id.data), None)
    now = clock_now()
    try:
        if chosen is None:
            raise RuleViolation(N_("Choose the department that offers the service."), field="department_id")
        department, project = chosen
        values = {
            "department_id": department.id,
            "name": form.name.data,
            "unit_of_charge": form.unit_of_charge.data,
            "description": form.description.data,
            "price_fen": rules.parse_yuan(form.price.data, "price"),
            "reason": form.reason.data,
            "effective_from": local_input(form.effective_from),
        }
        body = idempotency.fingerprint(values)
        key = form.submission_key.data
        earlier = idempotency.previous(db.session, key, current_user.id, body)
        if earlier is not None:  # the same form sent twice: one item
            return redirect(url_for("paid_services.item", item_id=earlier.entity_id), code=303)
        price = operations.propose_item(db.session, current_user, project, values, now)
        idempotency.remember(db.session, key, current_user.id, price.item, body)
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _render_new(form, choices, 422)
    flash(gettext("%(name)s proposed: it is offered once the general manager approves the price.",
                  name=price.item.name), "success")
    return redirect(url_for("paid_services.item", item_id=price.item_id), code=303)


# ---------------------------------------------------------------------------- one item


def _item_or_404(item_id: int) -> ServiceItem:
    item = db.session.scalar(
        sa.select(ServiceItem)
        .where(ServiceItem.id == item_id)
        .options(
            so.joinedload(ServiceItem.department),
            so.selectinload(ServiceItem.prices).joinedload(ServicePrice.proposed_by),
            so.selectinload(ServiceItem.prices).joinedload(ServicePrice.decided_by),
        )
    )
    if item is None:
        abort(404)
    return item


def _pending(item: ServiceItem) -> ServicePrice | None:
    return next((p for p in item.prices if p.decision is None), None)


def _may_propose(item: ServiceItem) -> bool:
    return operations.may(current_user, Step.PROPOSE_PRICE, item.project_id, item.department_id)


def _may_decide(item: ServiceItem) -> bool:
    return operations.may(current_user, Step.DECIDE_PRICE, item.project_id, item.department_id)


def _may_withdraw(item: ServiceItem) -> bool:
    return _may_propose(item) or _may_decide(item)


def _actions(item: ServiceItem) -> dict[str, bool]:
    """Which forms this user sees on this item, by role and state."""
    pending = _pending(item)
    return {
        "price": _may_propose(item) and item.active and pending is None,
        "decide": _may_decide(item) and pending is not None,
        "withdraw": _may_withdraw(item) and item.active,
    }


FORMS = {"price": PriceForm, "decide": DecideForm, "withdraw": WithdrawForm}


def _panel_context(item: ServiceItem, forms: dict | None = None, conflict: str | None = None) -> dict:
    forms = dict(forms or {})
    actions = _actions(item)
    for name, allowed in actions.items():
        if allowed and name not in forms:
            forms[name] = FORMS[name](formdata=None)
        if name in forms:
            forms[name].version.data = item.version
    now = clock_now()
    row = item_row(item, now)
    return {
        "item": item,
        "row": row,
        "history": list(reversed(item.prices)),
        "actions": actions,
        "forms": forms,
        "conflict": conflict,
        "now": now,
    }


def _render_item(item: ServiceItem, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _panel_context(item, forms, conflict)
    if wants_fragment():
        return render_template("paid_services/_item_panel.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = audit.timeline(db.session, item)
    context["may_read_list"] = _may_read(item.project_id)
    return render_template("paid_services/item.html", **context), status, {"Vary": "HX-Request"}


@bp.get("/items/<int:item_id>")
def item(item_id: int):
    """An item with its price in force, its price history and the steps this user may
    take (propose a change, decide, withdraw)."""
    found = _item_or_404(item_id)
    if not _may_read(found.project_id):
        abort(403)
    return _render_item(found)


def _bump(item: ServiceItem) -> None:
    """Every step on an item moves its version, also when only its prices change: a form
    filled in before someone else's step is then refused (409), not applied to a list that
    moved on."""
    touch(item, current_user.id)
    flag_modified(item, "updated_by_id")


def _act(item_id: int, name: str, allowed, do, done_message: str):
    """Every step on an item (webapp.core.actions.take_step); each one moves its version."""

    def do_and_bump(item: ServiceItem, form, now) -> None:
        do(item, form, now)
        _bump(item)

    return take_step(
        name,
        load=lambda: _item_or_404(item_id),
        allowed=allowed,
        form=lambda item: FORMS[name](),
        do=do_and_bump,
        show=_render_item,
        done_url=url_for("paid_services.item", item_id=item_id),
        done_message=done_message,
    )


@bp.post("/items/<int:item_id>/price")
def item_propose_price(item_id: int):
    """SVC-01: a new price is proposed with its reason; the price in force stays until the
    general manager approves the new one."""

    def do(item, form, now):
        price_fen = rules.parse_yuan(form.price.data, "price")
        operations.propose_price(
            db.session, current_user, item, price_fen, form.reason.data, now, local_input(form.effective_from)
        )

    return _act(item_id, "price", _may_propose, do, gettext("New price proposed: it waits for the general manager."))


@bp.post("/items/<int:item_id>/decide")
def item_decide(item_id: int):
    """SVC-01: the general manager approves the price waiting, or refuses it with a reason."""

    def do(item, form, now):
        pending = _pending(item)
        if pending is None:
            raise RuleViolation(N_("No price of this item is waiting for a decision."))
        if form.decision.data not in ("approve", "refuse"):
            raise RuleViolation(N_("Approve or refuse."), field="decision")
        operations.decide_price(db.session, current_user, pending, form.decision.data == "approve", form.note.data, now)

    return _act(item_id, "decide", _may_decide, do, gettext("Decision recorded."))


@bp.post("/items/<int:item_id>/withdraw")
def item_withdraw(item_id: int):
    """The department stops offering the service; its prices and orders stay."""

    def do(item, form, now):
        operations.withdraw_item(db.session, current_user, item, form.reason.data, now)

    return _act(item_id, "withdraw", _may_withdraw, do, gettext("The service is no longer offered."))


# ---------------------------------------------------------------------------- in-home clearance

#: the roles that do paid jobs in a project (department roles: they have a department)
WORKING_ROLES = sorted(
    role.value for role in Role
    if Permission.WORK_SERVICE_ORDERS in ROLE_PERMISSIONS[role] and role not in COMPANY_ROLES
)


@dataclass
class StaffRow:
    """A person who does paid jobs in the project, with their clearance (§4.5.1)."""

    user: User
    departments: list[Department]
    roles: list[str]
    #: their clearances in the project, the latest first
    clearances: list[InHomeClearance]
    may_clear: bool

    @property
    def active(self) -> InHomeClearance | None:
        return next((c for c in self.clearances if c.revoked_at is None), None)

    @property
    def latest(self) -> InHomeClearance | None:
        return self.clearances[0] if self.clearances else None


def _staff_rows(project: Project, only_user_id: int | None = None) -> tuple[list[StaffRow], dict[int, str]]:
    """The project's staff who do paid jobs, those this user may clear; three queries
    (grants with people and departments, clearances, the names of who cleared)."""
    query = (
        sa.select(RoleAssignment)
        .where(RoleAssignment.project_id == project.id, RoleAssignment.role.in_(WORKING_ROLES))
        .options(so.joinedload(RoleAssignment.user), so.joinedload(RoleAssignment.department))
    )
    if only_user_id is not None:
        query = query.where(RoleAssignment.user_id == only_user_id)
    rows: dict[int, StaffRow] = {}
    for grant in db.session.scalars(query):
        department_id = grant.department_id
        if not operations.may(current_user, Step.CLEAR_STAFF, project.id, department_id):
            continue
        row = rows.get(grant.user_id)
        if row is None:
            row = rows[grant.user_id] = StaffRow(grant.user, [], [], [], True)
        if grant.department is not None and grant.department not in row.departments:
            row.departments.append(grant.department)
        if grant.role not in row.roles:
            row.roles.append(grant.role)
    clearances = db.session.scalars(
        sa.select(InHomeClearance)
        .where(InHomeClearance.project_id == project.id, InHomeClearance.user_id.in_(list(rows) or [0]))
        .order_by(InHomeClearance.id.desc())
    ) if rows else []
    people: set[int] = set()
    for clearance in clearances:
        rows[clearance.user_id].clearances.append(clearance)
        people.update(i for i in (clearance.cleared_by_id, clearance.revoked_by_id) if i)
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(people))).all()) if people else {}
    ordered = sorted(rows.values(), key=lambda r: ([d.name for d in r.departments], r.user.display_name, r.user.id))
    return ordered, names


def _render_staff(project: Project, projects, forms: dict | None = None, status: int = 200,
                  only_user_id: int | None = None):
    rows, names = _staff_rows(project, only_user_id)
    forms = dict(forms or {})
    #: refusals of a form the row no longer offers (cleared meanwhile, revoked twice…)
    notices: dict[int, list[str]] = {}
    for row in rows:
        wanted = RevokeForm if row.active else ClearForm
        submitted = forms.get(row.user.id)
        if submitted is not None and not isinstance(submitted, wanted):
            notices[row.user.id] = [str(e) for errors in submitted.errors.values() for e in errors]
            notices[row.user.id] += [str(e) for e in submitted.form_errors]
            submitted = None
        forms[row.user.id] = submitted or wanted(formdata=None)
    context = {"project": project, "projects": projects, "rows": rows, "names": names, "forms": forms,
               "notices": notices, "today": local_date(clock_now())}
    if only_user_id is not None and wants_fragment():
        if not rows:
            abort(404)
        return render_template("paid_services/_staff_row.html", row=rows[0], **context), status, {"Vary": "HX-Request"}
    return render_template("paid_services/staff.html", **context), status, {"Vary": "HX-Request"}


@bp.get("/staff")
def staff():
    """SVC-03, §4.5.1: the department's staff, when they had the discipline training and
    whether they are cleared for work in owners' homes (only those are dispatched)."""
    project, projects = _project_for(Permission.CLEAR_IN_HOME_STAFF)
    return _render_staff(project, projects)


def _clearing_project() -> tuple[Project, list[Project]]:
    project, projects = _project_for(Permission.CLEAR_IN_HOME_STAFF)
    if request.args.get("project", type=int) is None:
        abort(404)  # a grant names its project
    return project, projects


def _after_staff_step(project: Project, projects, user_id: int, done_message: str):
    db.session.expire_all()
    if wants_fragment():
        return _render_staff(project, projects, only_user_id=user_id)
    flash(done_message, "success")
    return redirect(url_for("paid_services.staff", project=project.id, _anchor=f"staff-{user_id}"), code=303)


@bp.post("/staff/<int:user_id>/clear")
def staff_clear(user_id: int):
    """§4.5.1: the PM or the person's supervisor records the discipline training and clears
    them for work in owners' homes."""
    project, projects = _clearing_project()
    person = db.session.get(User, user_id)
    if person is None or not any(p == project.id for _, p, _d in person.grants):
        abort(404)
    form = ClearForm()
    if not form.validate_on_submit():
        return _render_staff(project, projects, {user_id: form}, 422, user_id if wants_fragment() else None)
    try:
        operations.grant_clearance(db.session, current_user, project, person, form.trained_on.data, form.note.data,
                                   clock_now())
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, {"user_id": "trained_on"})
        return _render_staff(project, projects, {user_id: form}, 422, user_id if wants_fragment() else None)
    return _after_staff_step(project, projects, user_id,
                             gettext("%(name)s is cleared for work in owners' homes.", name=person.display_name))


@bp.post("/clearances/<int:clearance_id>/revoke")
def clearance_revoke(clearance_id: int):
    """Revoked with the reason: no longer dispatched, nor may they start a job they were on."""
    clearance = db.first_or_404(
        sa.select(InHomeClearance).where(InHomeClearance.id == clearance_id).options(so.joinedload(InHomeClearance.user))
    )
    if not can(Permission.CLEAR_IN_HOME_STAFF, clearance.project_id):
        abort(403)
    project = db.session.get(Project, clearance.project_id)
    projects = _permitted_projects(Permission.CLEAR_IN_HOME_STAFF)
    user_id = clearance.user_id
    fragment_user = user_id if wants_fragment() else None
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_staff(project, projects, {user_id: form}, 422, fragment_user)
    try:
        operations.revoke_clearance(db.session, current_user, clearance, form.reason.data, clock_now())
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _render_staff(project, projects, {user_id: form}, 422, fragment_user)
    return _after_staff_step(project, projects, user_id, gettext("The clearance is revoked."))

