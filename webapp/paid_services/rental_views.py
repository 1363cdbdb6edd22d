"""Rental commissions 房屋委托出租申请表 (SVC-08, §4.6): an owner who does not live in the
flat asks the company to let it; the company takes the agreed share of the lease's rent.

GET       /services/rentals                   the list (open by default)
GET, POST /services/rentals/new               the application: unit and owner, asking rent,
                                              terms, commission rate
GET       /services/rentals/<id>              one commission with the steps this user may take
POST      /services/rentals/<id>/list         offered to prospective tenants
POST      /services/rentals/<id>/let          let: the rent and months of the lease fix the commission
POST      /services/rentals/<id>/withdraw     withdrawn, with the reason
GET       /services/rentals/<id>/print        the form on A4, for the owner's signature

Everything needs HANDLE_RENTALS in the commission's project; the rules of the states and
the money are in webapp.paid_services.rules, applied by operations.create_rental and
operations.move_rental.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length

from webapp.core import audit
from webapp.core.actions import field_error, take_step
from webapp.core.clock import now as clock_now
from webapp.core.forms import optional_int, strip, text_area
from webapp.core.htmx import render, wants_fragment
from webapp.core.idempotency import new_key
from webapp.core.rulekit import N_, RuleViolation
from webapp.estate import queries as estate_queries
from webapp.estate.labels import relation_label
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, permitted_projects
from webapp.org.models import Project, User
from webapp.org.rules import Permission
from webapp.paid_services import operations, rules
from webapp.paid_services.labels import RENTAL_STATUS_LABELS
from webapp.paid_services.models import RentalCommission
from webapp.paid_services.rules import RentalStatus
from webapp.paid_services.views import bp

PAGE_SIZE = 30
OPEN_STATUSES = (RentalStatus.APPLIED.value, RentalStatus.LISTED.value)


@bp.app_template_global()
def rental_status_label(status: str) -> str:
    return str(RENTAL_STATUS_LABELS.get(status, status))


@bp.app_template_global()
def commission_rate_text(rate_bp: int | None) -> str:
    """833 basis points → "8.33%"; 800 → "8%"."""
    if rate_bp is None:
        return ""
    percent = (Decimal(rate_bp) / 100).normalize()
    return f"{percent:f}%"


@bp.context_processor
def _rental_helpers():
    # the owner picker's choices name each person's relation to the unit
    return {"relation_label": relation_label}


def _short(label, limit: int, **render_kw) -> StringField:
    return StringField(label, validators=[Length(max=limit)], filters=[strip], render_kw=render_kw or None)


# ---------------------------------------------------------------------------- forms


class RentalForm(FlaskForm):
    """房屋委托出租申请表 as the desk fills it in with the owner."""

    submission_key = HiddenField(default=new_key)
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    #: the estate's owner picker: the words typed and the radio button picked
    unit_query = _short(_l("Unit to let"), 100)
    owner_choice = _short(None, 40)
    #: named as on the other forms: static/js/owner-picker.js fills it from the person picked
    owner_contact = _short(_l("Contact"), 100, autocomplete="off")
    asking_rent = _short(_l("Asking rent (yuan a month)"), 20, inputmode="decimal", autocomplete="off")
    commission_rate = _short(_l("Commission rate (%)"), 10, inputmode="decimal", autocomplete="off")
    terms = text_area(4, _l("Terms and the owner's conditions"))


class ActionForm(FlaskForm):
    version = HiddenField()


class LetForm(ActionForm):
    let_rent = _short(_l("Agreed rent (yuan a month)"), 20, inputmode="decimal", autocomplete="off")
    lease_months = _short(_l("Lease (months)"), 5, inputmode="numeric", autocomplete="off")
    tenant_name = _short(_l("Tenant"), 50)


class WithdrawForm(ActionForm):
    reason = text_area(2, _l("Why the letting is withdrawn"))


FORMS = {"list": ActionForm, "let": LetForm, "withdraw": WithdrawForm}

#: where the forms show what the operations say
_NEW_ALIASES = {
    "unit_id": "unit_query",
    "owner_id": "unit_query",
    "contact": "owner_contact",
}


# ---------------------------------------------------------------------------- the list


@bp.get("/rentals")
def rentals():
    """The rental commissions of the user's projects, newest first: a fixed number of
    queries however many there are."""
    if not can(Permission.HANDLE_RENTALS):
        abort(403)
    status = request.args.get("status", "open")
    page = max(1, request.args.get("page", 1, type=int))
    projects = permitted_projects(Permission.HANDLE_RENTALS)
    query = (
        sa.select(RentalCommission)
        .where(RentalCommission.project_id.in_([p.id for p in projects] or [0]))
        .options(so.joinedload(RentalCommission.unit).joinedload(Unit.building), so.joinedload(RentalCommission.owner))
    )
    if status == "open":
        query = query.where(RentalCommission.status.in_(OPEN_STATUSES))
    rows = list(
        db.session.scalars(
            query.order_by(RentalCommission.applied_at.desc(), RentalCommission.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return render(
        "paid_services/rentals.html",
        "paid_services/_rental_list.html",
        rentals=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page_number=page,
        filters={"status": "open" if status == "open" else "all"},
        project_names={p.id: p.name for p in projects},
    )


# ---------------------------------------------------------------------------- a new commission


def _render_new(form: RentalForm, projects: list[Project], status: int = 200):
    form.project_id.choices = [(p.id, p.name) for p in projects]
    ids = [p.id for p in projects]
    # with several projects the picker searches the one chosen in the form
    picker_ids = [form.project_id.data] if len(ids) > 1 and form.project_id.data in ids else ids
    picker = estate_queries.owner_picker(db.session, form.unit_query.data or "", form.owner_choice.data, picker_ids)
    return render_template(
        "paid_services/rental_new.html",
        form=form,
        projects=projects,
        picker=picker,
        picker_project=ids[0] if len(ids) == 1 else None,
    ), status


@bp.route("/rentals/new", methods=["GET", "POST"])
def rental_new():
    """SVC-08: the owner's application, recorded at the desk; a double submit records one."""
    projects = permitted_projects(Permission.HANDLE_RENTALS)
    if not projects:
        abort(403)
    form = RentalForm()
    if request.method == "GET":
        return _render_new(form, projects)
    if request.form.get("find_owner"):  # the picker's search without scripts, nothing saved
        form.owner_choice.data = ""
        return _render_new(form, projects)
    if not form.validate_on_submit():
        return _render_new(form, projects, 422)
    project = projects[0] if len(projects) == 1 else next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_new(form, projects, 422)
    try:
        unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
            db.session, form.unit_query.data, form.owner_choice.data, project.id
        )
        form.owner_choice.data = choice
        contact = form.owner_contact.data or estate_queries.chosen_contact(db.session, unit_id, owner_id, project.id)
        values = {
            "unit_id": unit_id,
            "owner_id": owner_id,
            "contact": contact or "",
            "asking_rent_fen": rules.parse_yuan(form.asking_rent.data, "asking_rent"),
            "commission_rate_bp": rules.parse_percent(form.commission_rate.data, "commission_rate"),
            "terms": form.terms.data or "",
        }
        now = clock_now()
        for attempt in range(3):
            rental, created = operations.create_rental(
                db.session, current_user, project, values, now, form.submission_key.data
            )
            if not created:
                return redirect(url_for("paid_services.rental", rental_id=rental.id), code=303)
            try:
                db.session.commit()
            except IntegrityError:  # two numbers drawn at once: draw again
                db.session.rollback()
                if attempt == 2:
                    raise
                continue
            break
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, _NEW_ALIASES)
        return _render_new(form, projects, 422)
    flash(gettext("Rental commission %(number)s recorded.", number=rental.number), "success")
    return redirect(url_for("paid_services.rental", rental_id=rental.id), code=303)


# ---------------------------------------------------------------------------- one commission


def _rental_or_404(rental_id: int) -> RentalCommission:
    rental = db.session.scalar(
        sa.select(RentalCommission)
        .where(RentalCommission.id == rental_id)
        .options(so.joinedload(RentalCommission.unit).joinedload(Unit.building), so.joinedload(RentalCommission.owner))
    )
    if rental is None:
        abort(404)
    return rental


def _may_handle(rental: RentalCommission) -> bool:
    return can(Permission.HANDLE_RENTALS, rental.project_id)


def _actions(rental: RentalCommission) -> dict[str, bool]:
    handler = _may_handle(rental)
    status = RentalStatus(rental.status)
    return {
        "list": handler and status is RentalStatus.APPLIED,
        "let": handler and status is RentalStatus.LISTED,
        "withdraw": handler and status in (RentalStatus.APPLIED, RentalStatus.LISTED),
    }


def _panel_context(rental: RentalCommission, forms: dict | None = None, conflict: str | None = None) -> dict:
    forms = dict(forms or {})
    actions = _actions(rental)
    for name, allowed in actions.items():
        if allowed and name not in forms:
            forms[name] = FORMS[name](formdata=None)
            if name == "let":
                forms[name].let_rent.data = rules.format_yuan(rental.asking_rent_fen)
        if name in forms:
            forms[name].version.data = rental.version
    recorder = db.session.get(User, rental.recorded_by_id)
    return {"rental": rental, "actions": actions, "forms": forms, "conflict": conflict, "recorder": recorder}


def _render_rental(rental: RentalCommission, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _panel_context(rental, forms, conflict)
    if wants_fragment():
        return render_template("paid_services/_rental_panel.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = audit.timeline(db.session, rental)
    return render_template("paid_services/rental.html", **context), status, {"Vary": "HX-Request"}


@bp.get("/rentals/<int:rental_id>")
def rental(rental_id: int):
    found = _rental_or_404(rental_id)
    if not _may_handle(found):
        abort(403)
    return _render_rental(found)


def _act(rental_id: int, name: str, do, done_message: str):
    """Every step on a rental commission (webapp.core.actions.take_step)."""
    return take_step(
        name,
        load=lambda: _rental_or_404(rental_id),
        allowed=_may_handle,
        form=lambda rental: FORMS[name](),
        do=do,
        show=_render_rental,
        done_url=url_for("paid_services.rental", rental_id=rental_id),
        done_message=done_message,
    )


def _lease_months(text: str | None) -> int | None:
    """Whole months as typed; anything else is refused by rules.check_lease_months."""
    try:
        return int((text or "").strip())
    except ValueError:
        raise RuleViolation(N_("Enter the lease in whole months, such as 12."), field="lease_months") from None


@bp.post("/rentals/<int:rental_id>/list")
def rental_list(rental_id: int):
    def do(rental, form, now):
        operations.move_rental(db.session, current_user, rental, RentalStatus.LISTED, now)

    return _act(rental_id, "list", do, gettext("The flat is listed for rent."))


@bp.post("/rentals/<int:rental_id>/let")
def rental_let(rental_id: int):
    """Let: the agreed rent (the asking rent when left empty) and the lease's months fix
    the commission (rules.commission_fen)."""

    def do(rental, form, now):
        let_rent = rules.parse_yuan(form.let_rent.data, "let_rent") if form.let_rent.data else None
        operations.move_rental(
            db.session, current_user, rental, RentalStatus.LET, now,
            let_rent_fen=let_rent, lease_months=_lease_months(form.lease_months.data),
            tenant_name=form.tenant_name.data,
        )

    return _act(rental_id, "let", do, gettext("The flat is let; the commission is computed."))


@bp.post("/rentals/<int:rental_id>/withdraw")
def rental_withdraw(rental_id: int):
    def do(rental, form, now):
        operations.move_rental(db.session, current_user, rental, RentalStatus.WITHDRAWN, now, reason=form.reason.data)

    return _act(rental_id, "withdraw", do, gettext("The rental commission is withdrawn."))


@bp.get("/rentals/<int:rental_id>/print")
def rental_print(rental_id: int):
    """房屋委托出租申请表 on A4 with room for the owner's and the company's signatures."""
    found = _rental_or_404(rental_id)
    if not _may_handle(found):
        abort(403)
    project = db.session.get(Project, found.project_id)
    return render_template("paid_services/rental_print.html", rental=found, project=project,
                           recorder=db.session.get(User, found.recorded_by_id))
