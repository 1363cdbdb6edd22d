"""The technician's job on the phone (SVC-03…06) and the owner's review and signature on
the technician's phone or tablet (SVC-06, SVC-09).

A job shows only to the technicians dispatched on it (anyone else: 403; another project's
order: 404); the service centre and the supervisors follow orders on the order pages.
Checklist items are ticked one tap at a time: HTMX swaps the checklist card, and without
JavaScript each tap is a plain POST that brings the page back.

The owner's page shows the order exactly as it will be signed and carries the hash of that
content: a change made while the owner was reading is refused (409) rather than signed
unread, and the signature stored binds the hash the owner saw (rules.signing_content).
"""

from __future__ import annotations

import base64
import binascii

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.core.actions import field_error, saving
from webapp.core.clock import now as clock_now
from webapp.core.clock import to_local
from webapp.core.forms import local_datetime_field, local_input, strip, text_area
from webapp.core.htmx import wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message, touch
from webapp.core.locking import commit as commit_edit
from webapp.core.media import MediaError, store_from_app
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.web import message
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import NotPermitted, can
from webapp.org.rules import Permission
from webapp.paid_services import labels, operations, rules, signatures
from webapp.paid_services.models import (
    ChecklistTick,
    ServiceAssignment,
    ServiceOrder,
)
from webapp.paid_services.rules import CheckItem, Checklist, ServiceStatus, Step
from webapp.paid_services.views import bp

#: what "my jobs" lists: dispatched, under way, and waiting for the owner's signature
LISTED_STATUSES = (ServiceStatus.DISPATCHED, ServiceStatus.IN_PROGRESS, ServiceStatus.COMPLETED)
_PNG_DATA_URL = "data:image/png;base64,"

CONTENT_CHANGED = N_("The order changed while the owner was reading it. Read it again before signing.")


class JobStepForm(FlaskForm):
    """A step on the job; `version` refuses a step based on what someone changed meanwhile."""

    version = HiddenField()


class TickForm(FlaskForm):
    item = HiddenField()


class CompletionForm(JobStepForm):
    """SVC-06: what was done and the charge. The quantities of the lines are read by name
    (`quantity-<line id>`), as many as the order has."""

    work_done = text_area(3, _l("Work done"))
    materials = StringField(_l("Extra materials (yuan)"), validators=[Length(max=20)], filters=[strip],
                            render_kw={"inputmode": "decimal"})
    materials_note = StringField(_l("Materials used"), validators=[Length(max=200)], filters=[strip])
    started_at = local_datetime_field(_l("Work started"))
    finished_at = local_datetime_field(_l("Work finished"))
    #: §4.4.1 a–b, confirmed before the phone goes to the owner
    conduct = SelectMultipleField(
        _l("Before handing over to the owner"),
        choices=[(code.value, _l(label)) for code, label in rules.CONDUCT_LABELS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )


class SigningForm(FlaskForm):
    """The owner's acceptance: `content_hash` is the hash of the content shown; `signature`
    the pad's drawing as a PNG data URL (static/js/signature.js)."""

    content_hash = HiddenField()
    signer_name = StringField(_l("Name of the person signing"), validators=[Length(max=50)], filters=[strip],
                              render_kw={"autocomplete": "name"})
    satisfaction = RadioField(_l("How satisfied are you with the service?"), validate_choice=False)
    comment = text_area(2, _l("Comment (optional)"))
    signature = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.satisfaction.choices = [(str(value.value), label) for value, label in labels.SATISFACTION_LABELS.items()]


class RefusalForm(FlaskForm):
    """The owner will not sign: the reason, and their name if they give it."""

    content_hash = HiddenField()
    reason = text_area(2, _l("Why the owner will not sign"))
    signer_name = StringField(_l("Name of the owner (optional)"), validators=[Length(max=50)], filters=[strip])


def line_field(line_id: int) -> str:
    return f"quantity-{line_id}"


# ---------------------------------------------------------------------------- loading and access


def _job_options():
    return (
        so.joinedload(ServiceOrder.unit).joinedload(Unit.building),
        so.joinedload(ServiceOrder.owner),
        so.selectinload(ServiceOrder.lines),
        so.selectinload(ServiceOrder.assignments).joinedload(ServiceAssignment.technician),
        so.selectinload(ServiceOrder.ticks).joinedload(ChecklistTick.technician),
        so.selectinload(ServiceOrder.signatures),
    )


def _order_or_404(order_id: int) -> ServiceOrder:
    order = (
        db.session.scalars(sa.select(ServiceOrder).where(ServiceOrder.id == order_id).options(*_job_options()))
        .unique()
        .first()
    )
    if order is None:
        abort(404)
    return order


def _on_the_job(order: ServiceOrder) -> bool:
    """A technician dispatched on the order (and still on the team) works it."""
    return operations.is_assigned(current_user, order) and operations.may(
        current_user, Step.WORK, order.project_id, order.department_id, order
    )


def _job_or_403(order_id: int) -> ServiceOrder:
    order = _order_or_404(order_id)
    if not _on_the_job(order):
        abort(403)
    return order


def _allowed(check, *args) -> bool:
    """Whether the rules allow a step now (to show its form or not; the operation checks again)."""
    try:
        check(*args)
    except RuleViolation:
        return False
    return True


def _reload(order_id: int) -> ServiceOrder:
    db.session.rollback()
    return _order_or_404(order_id)


# ---------------------------------------------------------------------------- my jobs


@bp.get("/jobs")
def jobs():
    """SVC-03: the technician's open jobs, soonest first: dispatched, under way, awaiting the
    owner's signature, and signed orders that changed since (to be signed again). A fixed
    number of queries however many jobs there are."""
    if not can(Permission.WORK_SERVICE_ORDERS):
        abort(403)
    mine = sa.and_(
        ServiceAssignment.order_id == ServiceOrder.id,
        ServiceAssignment.technician_id == current_user.id,
        ServiceAssignment.removed_at.is_(None),
    )
    orders = (
        db.session.scalars(
            sa.select(ServiceOrder)
            .join(ServiceAssignment, mine)
            .where(ServiceOrder.status.in_([*(s.value for s in LISTED_STATUSES), ServiceStatus.SIGNED.value]))
            .options(
                so.joinedload(ServiceOrder.unit).joinedload(Unit.building),
                so.selectinload(ServiceOrder.lines),
                so.selectinload(ServiceOrder.assignments),
                so.selectinload(ServiceOrder.signatures),
            )
            .order_by(ServiceOrder.appointment_at, ServiceOrder.id)
        )
        .unique()
        .all()
    )
    broken = {o.id for o in orders if o.status == ServiceStatus.SIGNED and operations.signature_matches(o) is False}
    shown = [o for o in orders if o.status != ServiceStatus.SIGNED or o.id in broken]
    return render_template(
        "paid_services/jobs.html",
        orders=shown,
        sign_again=broken,
        now=clock_now(),
        status_label=_status_label,
        quantity=rules.format_quantity,
    )


def _status_label(status: str) -> str:
    return str(labels.STATUS_LABELS.get(status, status))


# ---------------------------------------------------------------------------- one job


def _checklists(order: ServiceOrder, error: tuple[str, str] | None) -> list[dict]:
    """Both lists as the phone shows them: each item ticked (with its time), to tick, or
    not needed (the other way in, once the technician is in)."""
    own = {t.item: t for t in order.ticks if t.checklist == Checklist.PRE_DEPARTURE and t.technician_id == current_user.id}
    on_site = {t.item: t for t in order.ticks if t.checklist == Checklist.ON_SITE}
    entered = rules.entry_mode(on_site) is not None
    needed_on_site = set(rules.required_items(Checklist.ON_SITE, on_site))
    progress = operations.checklist_progress(order)["pre_departure"]
    team = [
        {"name": a.technician.display_name, "missing": len(progress.get(a.technician_id, ()))}
        for a in order.assignments
        if a.removed_at is None and a.technician_id != current_user.id
    ]
    error_item, error_text = error or (None, None)

    def entries(checklist: Checklist, ticked: dict) -> list[dict]:
        shown = []
        for item in rules.CHECKLISTS[checklist]:
            needed = checklist is Checklist.PRE_DEPARTURE or not entered or item in needed_on_site
            hint = None
            if item in rules.KEY_ENTRY_PATH and item not in ticked:
                hint = (
                    gettext("Only when nobody answers: the owner authorised entry with the key.")
                    if order.key_authorised
                    else gettext("Not authorised on this order.")
                )
            shown.append(
                {
                    "code": item.value,
                    "label": gettext(rules.CHECK_ITEM_LABELS[item]),
                    "tick": ticked.get(item.value),
                    "needed": needed,
                    "hint": hint,
                    "error": error_text if error_item == item.value else None,
                }
            )
        return shown

    return [
        {
            "code": Checklist.PRE_DEPARTURE.value,
            "title": str(labels.CHECKLIST_LABELS[Checklist.PRE_DEPARTURE]),
            "note": gettext("Each technician on the job ticks their own."),
            "entries": entries(Checklist.PRE_DEPARTURE, own),
            "team": team,
            "shared": False,
        },
        {
            "code": Checklist.ON_SITE.value,
            "title": str(labels.CHECKLIST_LABELS[Checklist.ON_SITE]),
            "note": gettext("Once per job, by whoever of the team does it."),
            "entries": entries(Checklist.ON_SITE, on_site),
            "team": [],
            "shared": True,
        },
    ]


def _completion_form(order: ServiceOrder) -> CompletionForm:
    form = CompletionForm(formdata=None)
    if order.started_at:
        form.started_at.data = to_local(order.started_at)
    form.finished_at.data = to_local(clock_now())
    return form


def _job_context(order: ServiceOrder, *, completion: CompletionForm | None = None,
                 typed: dict[int, str] | None = None, line_errors: dict[int, str] | None = None,
                 tick_error: tuple[str, str] | None = None, step_errors: list[str] | None = None,
                 conflict: str | None = None) -> dict:
    status = ServiceStatus(order.status)
    matches = operations.signature_matches(order)
    under_way = status is ServiceStatus.IN_PROGRESS
    if under_way and completion is None:
        completion = _completion_form(order)
    if completion is not None:
        completion.version.data = order.version
    start = None
    if status is ServiceStatus.DISPATCHED:
        start = JobStepForm(formdata=None)
        start.version.data = order.version
    return {
        "order": order,
        "status_label": _status_label(order.status),
        "checklists": _checklists(order, tick_error if tick_error and tick_error[0] else None),
        "tick_error": tick_error[1] if tick_error and not tick_error[0] else None,
        "under_way": under_way,
        "start_form": start,
        "step_errors": step_errors or [],
        "completion": completion if under_way else None,
        "typed": typed or {line.id: rules.format_quantity(line.quantity_centi) for line in order.lines},
        "line_errors": line_errors or {},
        "conflict": conflict,
        "signature": order.current_signature,
        "signature_matches": matches,
        "present": _allowed(rules.check_can_sign, order.status, matches),
        "technicians": [a.technician for a in order.assignments if a.removed_at is None],
        "quantity": rules.format_quantity,
    }


def _render_job(order: ServiceOrder, status: int = 200, fragment: bool = False, **context):
    values = _job_context(order, **context)
    if fragment and wants_fragment():
        return render_template("paid_services/_checklist.html", **values), status, {"Vary": "HX-Request"}
    return render_template("paid_services/job.html", **values), status, {"Vary": "HX-Request"}


@bp.get("/jobs/<int:order_id>")
def job(order_id: int):
    """SVC-03: content, time, address, requirements, cautions and whether the key may be
    used; the checklists (SVC-04/05) and the completion (SVC-06) once under way."""
    return _render_job(_job_or_403(order_id))


def _back_to_job(order_id: int, anchor: str | None = None):
    return redirect(url_for("paid_services.job", order_id=order_id, _anchor=anchor), code=303)


@bp.post("/jobs/<int:order_id>/start")
def job_start(order_id: int):
    """The technician sets off: the job is under way and the checklists open."""
    order = _job_or_403(order_id)
    form = JobStepForm()
    if not form.validate_on_submit():
        return _render_job(order, 422, step_errors=[gettext("The form expired: try again.")])
    try:
        check_version(db.session, order, form.version.data)
        operations.start_job(db.session, current_user, order, clock_now())
        touch(order, current_user.id)
        commit_edit(db.session, order)
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except EditConflict as exc:
        return _render_job(_reload(order_id), 409, conflict=conflict_message(exc))
    except RuleViolation as exc:
        return _render_job(_reload(order_id), 422, step_errors=[message(exc)])
    flash(gettext("The job is under way: tick each step as you go."), "success")
    return _back_to_job(order_id, "job-checklists")


@bp.post("/jobs/<int:order_id>/tick")
def job_tick(order_id: int):
    """SVC-04/05: one item ticked with its time. Ticks change no column of the order, so
    two technicians ticking at once do not conflict; a double tap records one tick."""
    order = _job_or_403(order_id)
    form = TickForm()
    item = (form.item.data or "") if form.validate_on_submit() else ""
    try:
        operations.tick(db.session, current_user, order, item, clock_now())
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        order = _reload(order_id)
        known = item in {i.value for i in CheckItem}
        return _render_job(order, 422, fragment=True, tick_error=(item if known else "", message(exc)))
    except IntegrityError:
        # the same tap arrived twice at once: the first one counts
        order = _reload(order_id)
    if wants_fragment():
        db.session.expire_all()
        return _render_job(_order_or_404(order_id), fragment=True)
    return _back_to_job(order_id, f"tick-{item}")


def _completion_values(form: CompletionForm, order: ServiceOrder) -> tuple[dict, dict[int, str], dict[int, str], list]:
    """What the operation takes, the quantities as typed (to show again), and the refusals
    of what cannot be read: by line, and by field."""
    typed = {line.id: (request.form.get(line_field(line.id)) or "").strip() for line in order.lines}
    line_errors: dict[int, str] = {}
    field_errors: list[RuleViolation] = []
    quantities = {}
    for line in order.lines:
        if not typed[line.id]:
            continue  # left empty: the quantity registered stands
        try:
            quantities[line.id] = rules.parse_quantity(typed[line.id], line_field(line.id))
        except RuleViolation as exc:
            line_errors[line.id] = message(exc)
    materials_fen = 0
    if form.materials.data:
        try:
            materials_fen = rules.check_materials_fen(rules.parse_yuan(form.materials.data, "materials"))
        except RuleViolation as exc:
            field_errors.append(exc)
    values = {
        "work_done": form.work_done.data,
        "materials_fen": materials_fen,
        "materials_note": form.materials_note.data,
        "quantities": quantities,
        "started_at": local_input(form.started_at),
        "finished_at": local_input(form.finished_at),
        "conduct": form.conduct.data or [],
    }
    return values, typed, line_errors, field_errors


_COMPLETION_FIELDS = {"work_done", "materials", "materials_note", "started_at", "finished_at", "conduct"}


def _completion_error(form: CompletionForm, exc: RuleViolation, line_errors: dict[int, str]) -> None:
    text = message(exc)
    if exc.field in _COMPLETION_FIELDS:
        field = getattr(form, exc.field)
        field.errors = list(field.errors) + [text]
    elif exc.field and exc.field.startswith("quantity-"):
        line_errors[int(exc.field.removeprefix("quantity-"))] = text
    else:
        form.form_errors.append(text)


@bp.post("/jobs/<int:order_id>/complete")
def job_complete(order_id: int):
    """SVC-06: the work done, the quantities done, extra materials and the times; refused
    with every value kept (a job finished before it started, checklists not complete…).
    Then the owner reviews and signs."""
    order = _job_or_403(order_id)
    form = CompletionForm()
    values, typed, line_errors, field_errors = _completion_values(form, order)
    if not form.validate_on_submit() or line_errors or field_errors:
        for exc in field_errors:
            _completion_error(form, exc, line_errors)
        return _render_job(order, 422, completion=form, typed=typed, line_errors=line_errors)
    try:
        with saving(order):
            check_version(db.session, order, form.version.data)
            operations.complete_job(db.session, current_user, order, clock_now(), **values)
    except EditConflict as exc:
        return _render_job(_reload(order_id), 409, completion=form, typed=typed, conflict=conflict_message(exc))
    except RuleViolation as exc:
        order = _reload(order_id)
        _completion_error(form, exc, line_errors)
        return _render_job(order, 422, completion=form, typed=typed, line_errors=line_errors)
    flash(gettext("Work recorded. Hand the phone to the owner to review and sign."), "success")
    return redirect(url_for("paid_services.job_signing", order_id=order_id), code=303)


# ---------------------------------------------------------------------------- the owner's signature


def _signing_context(order: ServiceOrder, form: SigningForm | None = None, refusal: RefusalForm | None = None,
                     conflict: str | None = None) -> dict:
    matches = operations.signature_matches(order)
    digest = operations.current_hash(order)
    can_sign = _allowed(rules.check_can_sign, order.status, matches)
    can_refuse = _allowed(rules.check_can_refuse, order.status)
    if form is None:
        form = SigningForm(formdata=None)
        if order.owner is not None:
            form.signer_name.data = order.owner.name
    if refusal is None:
        refusal = RefusalForm(formdata=None, prefix="refusal")
    # what the owner reads now is what the forms bind
    form.content_hash.data = digest
    refusal.content_hash.data = digest
    return {
        "order": order,
        "status_label": _status_label(order.status),
        "content_hash": digest,
        "form": form,
        "refusal": refusal,
        "can_sign": can_sign,
        "can_refuse": can_refuse,
        "conflict": conflict,
        "signature": order.current_signature,
        "signature_matches": matches,
        "technicians": [a.technician for a in order.assignments if a.removed_at is None],
        "quantity": rules.format_quantity,
    }


def _render_signing(order: ServiceOrder, status: int = 200, **context):
    return render_template("paid_services/sign.html", **_signing_context(order, **context)), status


@bp.get("/jobs/<int:order_id>/sign")
def job_signing(order_id: int):
    """SVC-06/09: the page the technician hands to the owner: the order as it will be
    signed (items, prices, charge, work done), a rating, a comment, the signer's name and
    the signature pad; or the refusal with a reason."""
    order = _job_or_403(order_id)
    if order.status not in rules.SIGNING_STATUSES:
        flash(gettext("The owner signs once the work is recorded."), "error")
        return _back_to_job(order_id)
    return _render_signing(order)


def _png(data_url: str | None) -> bytes:
    """The pad's PNG from its data URL; empty when nothing was drawn (the core refuses an
    empty signature with its own message)."""
    if not data_url:
        return b""
    if not data_url.startswith(_PNG_DATA_URL):
        raise MediaError(signatures.NOT_A_SIGNATURE, field="signature")
    try:
        return base64.b64decode(data_url[len(_PNG_DATA_URL):], validate=True)
    except (binascii.Error, ValueError):
        raise MediaError(signatures.NOT_A_SIGNATURE, field="signature") from None


def _is_repeat(order: ServiceOrder, submitted_hash: str) -> bool:
    """The same signing sent twice: the owner's signature of this very content is in."""
    latest = order.current_signature
    return (
        latest is not None
        and not latest.refused
        and latest.content_hash == submitted_hash
        and operations.signature_matches(order) is True
    )


#: the content's digest is nothing the owner can correct: its refusal goes on top of the form
_SIGN_ALIASES = {"content_hash": None}


@bp.post("/jobs/<int:order_id>/sign")
def job_sign(order_id: int):
    """The owner signs what the page showed. Refused: a content changed meanwhile (409,
    read again), an empty pad (the message next to it), a missing name or rating — every
    other value kept. Then the signed order goes to the service centre's quality check."""
    order = _job_or_403(order_id)
    form = SigningForm()
    refusal = RefusalForm(formdata=None, prefix="refusal")
    if not form.validate_on_submit():
        return _render_signing(order, 422, form=form, refusal=refusal)
    submitted = form.content_hash.data or ""
    if _is_repeat(order, submitted):
        return _back_to_job(order_id, "job-signature")
    if not rules.signature_matches(submitted, operations.current_hash(order)):
        form.signature.data = ""
        form.signature.errors = [gettext(CONTENT_CHANGED)]
        return _render_signing(order, 409, form=form, refusal=refusal)
    try:
        with saving(order):
            operations.record_signature(
                db.session, current_user, order,
                signer_name=form.signer_name.data,
                image=_png(form.signature.data),
                satisfaction=form.satisfaction.data,
                comment=form.comment.data,
                store=store_from_app(current_app),
                now=clock_now(),
            )
    except EditConflict as exc:
        form.signature.data = ""
        return _render_signing(_reload(order_id), 409, form=form, refusal=refusal, conflict=conflict_message(exc))
    except (RuleViolation, MediaError) as exc:
        order = _reload(order_id)
        if exc.field == "signature":
            form.signature.data = ""  # nothing usable was drawn: the owner signs again
        field_error(form, exc, _SIGN_ALIASES)
        return _render_signing(order, 422, form=form, refusal=refusal)
    flash(gettext("The owner signed. The signed order goes back to the service centre."), "success")
    return _back_to_job(order_id, "job-signature")


@bp.post("/jobs/<int:order_id>/refuse")
def job_refuse(order_id: int):
    """The owner will not sign: the reason is recorded with the content shown, and the
    service centre is told."""
    order = _job_or_403(order_id)
    form = SigningForm(formdata=None)
    refusal = RefusalForm(prefix="refusal")
    if not refusal.validate_on_submit():
        return _render_signing(order, 422, form=form, refusal=refusal)
    if not rules.signature_matches(refusal.content_hash.data or "", operations.current_hash(order)):
        refusal.form_errors.append(gettext(CONTENT_CHANGED))
        return _render_signing(order, 409, form=form, refusal=refusal)
    try:
        with saving(order):
            operations.refuse_signature(
                db.session, current_user, order,
                reason=refusal.reason.data,
                signer_name=refusal.signer_name.data,
                now=clock_now(),
            )
    except EditConflict as exc:
        return _render_signing(_reload(order_id), 409, form=form, refusal=refusal, conflict=conflict_message(exc))
    except RuleViolation as exc:
        order = _reload(order_id)
        field_error(refusal, exc, _SIGN_ALIASES)
        return _render_signing(order, 422, form=form, refusal=refusal)
    flash(gettext("The refusal is recorded; the service centre is told."), "success")
    return _back_to_job(order_id, "job-signature")
