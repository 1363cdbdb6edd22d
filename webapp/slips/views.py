"""Slip pages (篇2): filing on the phone, the CS desk queue, a slip with its clocks,
rounds and actions, and the list.

Reads need a login only: the project scope hides every other project's slips (404).
Each action checks the actor's role in the slip's project (403) before anything else.
The summary and photo routes live in report_views.py and photo_views.py on this same
blueprint.
"""

from __future__ import annotations

import importlib
import importlib.util
import re

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, media
from webapp.core.actions import field_error, take_step
from webapp.core.clock import now as clock_now
from webapp.core.forms import department_choices, local_input
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import RuleViolation
from webapp.estate import queries as estate_queries
from webapp.estate.labels import relation_label
from webapp.estate.models import Facility, Unit
from webapp.estate.rules import mask_phone
from webapp.extensions import db
from webapp.org.access import can, permitted_projects, require
from webapp.org.models import Department, Project
from webapp.org.rules import COMPANY_ROLES, Permission, is_allowed
from webapp.slips import operations, rules
from webapp.slips.forms import (
    CALLBACK_METHOD_LABELS,
    CATEGORY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    CallbackForm,
    EscalateForm,
    MeasuresForm,
    ReceiveForm,
    SlipForm,
    VerifyForm,
)
from webapp.slips.models import RectificationRound, Slip
from webapp.slips.rules import SlipStatus

bp = Blueprint("slips", __name__, url_prefix="/slips")

PAGE_SIZE = 30
#: the desk queue refreshes itself this often (seconds)
DESK_REFRESH = 15
DESK_STATUSES = (
    SlipStatus.FILED,
    SlipStatus.ESCALATED,
    SlipStatus.AWAITING_VERIFICATION,
    SlipStatus.AWAITING_CALLBACK,
)
MAX_PHOTOS = 6


@bp.app_template_global()
def slip_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global()
def slip_category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


_DIGITS = re.compile(r"\+?\d[\d -]{5,}\d")


@bp.app_template_filter("mask_contact")
def mask_contact(text: str | None) -> str:
    """A contact as typed ("王女士 13812345678"): the name kept, phone numbers masked (EST-03)."""
    return _DIGITS.sub(lambda m: mask_phone(m.group(0)), text or "")


@bp.context_processor
def _slip_helpers():
    return {
        "source_label": lambda s: str(SOURCE_LABELS.get(s, s)),
        "callback_method_label": lambda m: str(CALLBACK_METHOD_LABELS.get(m, m)),
        "has_photos_partial": _module_exists("webapp.slips.photos"),
        "relation_label": relation_label,
    }


# ---------------------------------------------------------------------------- helpers


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _attach(slip: Slip, files: list, kind: str, now) -> None:
    """Photos through the photo module (SLIP-01, SLIP-04); MediaError leaves nothing."""
    if not files or not _module_exists("webapp.slips.photos"):
        return
    photos = importlib.import_module("webapp.slips.photos")
    photos.attach_photos(
        db.session, slip, files, kind=kind, actor=current_user, store=media.store_from_app(current_app), now=now
    )


def _slip_or_404(slip_id: int, *options) -> Slip:
    slip = db.session.scalars(sa.select(Slip).where(Slip.id == slip_id).options(*options)).unique().first()
    if slip is None:
        abort(404)
    return slip


def _permitted_projects(permission: Permission) -> list[Project]:
    """Active projects of the user's scope where they hold `permission`."""
    return permitted_projects(permission)


def _desk_scope() -> frozenset[int] | None:
    """Project ids whose desk the user works (None: every project, a company role)."""
    ids = set()
    for role, project_id, department_id in current_user.grants:
        if not is_allowed([(role, project_id, department_id)], Permission.WORK_SLIP_DESK, project_id):
            continue
        if role in COMPANY_ROLES:
            return None
        ids.add(project_id)
    return frozenset(ids)


def _my_departments() -> set[int]:
    return {d for _, _, d in current_user.grants if d is not None}


def _clocks(slip: Slip, now) -> dict:
    """What the desk and the detail page show about the deadlines."""
    due = rules.desk_due(slip.filed_at, slip.urgent)
    received = slip.received_at
    breached = rules.desk_breached(slip.filed_at, slip.urgent, received, now)
    minutes_left = None if received or breached else max(0, int((due - now).total_seconds() // 60))
    done_at = slip.rounds[-1].completed_at if slip.rounds else None
    on_time = rules.rectified_on_time(slip.rectification_due_at, done_at, now)
    return {
        "desk_due": due,
        "desk_breached": breached,
        "desk_minutes_left": minutes_left,
        "rectification_overdue": on_time is False,
        "rectified_on_time": on_time,
    }


# ---------------------------------------------------------------------------- lists


@bp.get("/")
def index():
    """Slips of the user's projects; filters: mine, my department, status, urgent."""
    scope = request.args.get("scope", "all")
    status = request.args.get("status", "")
    urgent = request.args.get("urgent") == "1"
    page = max(1, request.args.get("page", 1, type=int))
    query = sa.select(Slip).options(
        so.joinedload(Slip.filed_by),
        so.joinedload(Slip.facility),
        so.joinedload(Slip.responsible_department),
    )
    if scope == "mine":
        query = query.where(Slip.filed_by_id == current_user.id)
    elif scope == "department":
        query = query.where(Slip.responsible_department_id.in_(_my_departments() or {0}))
    if status == "open":
        query = query.where(Slip.status.in_([s.value for s in rules.OPEN_STATUSES]))
    elif status in STATUS_LABELS:
        query = query.where(Slip.status == status)
    if urgent:
        query = query.where(Slip.urgent.is_(True))
    rows = list(
        db.session.scalars(query.order_by(Slip.filed_at.desc(), Slip.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    )
    now = clock_now()
    slips = rows[:PAGE_SIZE]
    filters = {"scope": scope, "status": status, "urgent": "1" if urgent else ""}
    return render(
        "slips/index.html",
        "slips/_slip_list.html",
        slips=slips,
        clocks={s.id: _clocks_light(s, now) for s in slips},
        project_names=_project_names(),
        page_number=page,
        more=len(rows) > PAGE_SIZE,
        filters=filters,
        has_department=bool(_my_departments()),
        may_file=can(Permission.FILE_SLIP),
        may_desk=can(Permission.WORK_SLIP_DESK),
        now=now,
    )


@bp.get("/desk")
def desk():
    """SLIP-03: the CS desk's queue. Urgent unreceived slips first with their clock, then
    the rest to collect today, escalations being tracked (SLIP-05), and slips waiting for
    verification or a call-back. One query, however long the queue."""
    require(Permission.WORK_SLIP_DESK)
    now = clock_now()
    query = (
        sa.select(Slip)
        .where(Slip.status.in_([s.value for s in DESK_STATUSES]))
        .options(
            so.joinedload(Slip.filed_by),
            so.joinedload(Slip.facility),
            so.joinedload(Slip.responsible_department),
        )
        .order_by(Slip.filed_at, Slip.id)
    )
    scope = _desk_scope()
    if scope is not None:
        query = query.where(Slip.project_id.in_(scope or {0}))
    slips = list(db.session.scalars(query).unique())
    groups = {
        "urgent": [s for s in slips if s.status == SlipStatus.FILED and s.urgent],
        "today": [s for s in slips if s.status == SlipStatus.FILED and not s.urgent],
        "escalated": [s for s in slips if s.status == SlipStatus.ESCALATED],
        "verify": [
            s for s in slips if s.status in (SlipStatus.AWAITING_VERIFICATION, SlipStatus.AWAITING_CALLBACK)
        ],
    }
    clocks = {s.id: _clocks_light(s, now) for s in slips}
    return render(
        "slips/desk.html",
        "slips/_desk_queue.html",
        groups=groups,
        clocks=clocks,
        now=now,
        refresh=DESK_REFRESH,
        project_names=_project_names(),
    )


def _project_names() -> dict[int, str]:
    """Names of the projects in scope (one query), for users who see more than one."""
    return dict(db.session.execute(sa.select(Project.id, Project.name)).all())


def _clocks_light(slip: Slip, now) -> dict:
    """The clocks without the rounds (the desk loads no rounds)."""
    due = rules.desk_due(slip.filed_at, slip.urgent)
    breached = rules.desk_breached(slip.filed_at, slip.urgent, slip.received_at, now)
    overdue = slip.rectification_due_at is not None and now > slip.rectification_due_at
    return {
        "desk_due": due,
        "desk_breached": breached,
        "desk_minutes_left": None if breached else max(0, int((due - now).total_seconds() // 60)),
        "rectification_overdue": overdue,
    }


# ---------------------------------------------------------------------------- filing


#: where the owner picker shows the errors about the unit and the owner
_PICKER_FIELDS = {"unit": "unit_query", "unit_id": "unit_query", "owner": "unit_query", "owner_id": "unit_query"}


def _filing_form(projects: list[Project]) -> SlipForm:
    form = SlipForm()
    form.project_id.choices = [(p.id, p.name) for p in projects]
    return form


def _resolve_owner(form: SlipForm, project: Project) -> tuple[int | None, int | None]:
    """SLIP-02: the unit and owner of an owner-raised slip (estate.queries.resolve_owner_choice);
    the choice it settles on stays picked when the form comes back."""
    unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
        db.session, form.unit_query.data, form.owner_choice.data, project.id
    )
    form.owner_choice.data = choice
    return unit_id, owner_id


def _render_new(form: SlipForm, facility: Facility | None, projects, status: int = 200, project_ids=None):
    """`project_ids`: where the picker's matches on this page come from (the form's project
    once known); its search as you type follows the project chosen in the form."""
    fixed = [facility.project_id] if facility is not None else [p.id for p in projects]
    picker = estate_queries.owner_picker(
        db.session, form.unit_query.data or "", form.owner_choice.data, project_ids or fixed
    )
    return (
        render_template(
            "slips/new.html",
            form=form,
            facility=facility,
            projects=projects,
            max_photos=MAX_PHOTOS,
            picker=picker,
            picker_project=fixed[0] if len(fixed) == 1 else None,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """SLIP-01/02/10: photo, category, a few words, place, submit."""
    projects = _permitted_projects(Permission.FILE_SLIP)
    if not projects:
        abort(403)
    form = _filing_form(projects)
    facility_id = request.args.get("facility", type=int) if request.method == "GET" else form.facility_id.data
    facility = None
    if facility_id:
        facility = db.session.scalar(
            sa.select(Facility).where(Facility.id == facility_id).options(so.joinedload(Facility.building))
        )
        if facility is None:
            abort(404)
        require(Permission.FILE_SLIP, facility.project_id)
    if request.method == "GET":
        if facility is not None:
            form.facility_id.data = facility.id
            form.project_id.data = facility.project_id
        return _render_new(form, facility, projects)
    if request.form.get("find_owner"):  # the owner picker's search without scripts: nothing saved
        form.owner_choice.data = ""
        chosen_project = form.project_id.data if facility is None and len(projects) > 1 else None
        project_ids = [chosen_project] if chosen_project in {p.id for p in projects} else None
        if form.photo_files():
            form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, facility, projects, project_ids=project_ids)

    if not form.validate_on_submit():
        return _render_new(form, facility, projects, 422)
    if facility is not None:
        project = next((p for p in projects if p.id == facility.project_id), None)
    elif len(projects) == 1:
        project = projects[0]
    else:
        project = next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_new(form, facility, projects, 422)

    files = form.photo_files()
    values = form.values()
    values["photo_sizes"] = [_size(f) for f in files]
    key = form.submission_key.data
    now = clock_now()
    if not form.owner_choice.data and form.unit_id.data is not None:  # an earlier form's ids
        form.owner_choice.data = f"{form.unit_id.data}:{form.owner_id.data or ''}"
    try:
        if values["source"] == rules.SlipSource.OWNER.value:
            # resolved before filing: the ids are part of the submission's fingerprint
            values["unit_id"], values["owner_id"] = _resolve_owner(form, project)
        for attempt in range(3):
            slip, created = operations.file_slip(db.session, current_user, project, values, now, key)
            if not created:  # a second tap or a replay from the phone's queue
                return redirect(url_for("slips.detail", slip_id=slip.id), code=303)
            _attach(slip, files, "report", now)
            # read before the commit expires them: no reload just to redirect
            slip_id, number = slip.id, slip.number
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    raise
                continue
            break
    except operations.NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, _PICKER_FIELDS)
        return _render_new(form, facility, projects, 422, [project.id])
    except media.MediaError as exc:
        db.session.rollback()
        field_error(form, exc, _PICKER_FIELDS, fallback="photos")
        form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, facility, projects, 422)
    flash(gettext("Slip %(number)s filed.", number=number), "success")
    return redirect(url_for("slips.detail", slip_id=slip_id), code=303)


def _size(upload) -> int:
    stream = upload.stream
    try:
        position = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(position)
    except (AttributeError, OSError):
        return upload.content_length or 0
    return size


# ---------------------------------------------------------------------------- one slip


def _detail_options():
    return (
        so.joinedload(Slip.filed_by),
        so.joinedload(Slip.filer_department),
        so.joinedload(Slip.received_by),
        so.joinedload(Slip.responsible_department),
        so.joinedload(Slip.facility),
        so.joinedload(Slip.owner),
        so.joinedload(Slip.unit).joinedload(Unit.building),
        so.selectinload(Slip.rounds).joinedload(RectificationRound.recorded_by),
        so.selectinload(Slip.rounds).joinedload(RectificationRound.verified_by),
        so.selectinload(Slip.callbacks),
        so.selectinload(Slip.photos),
    )


def _actions(slip: Slip) -> dict[str, bool]:
    """Which action forms this user sees on this slip, by role and state."""
    status = slip.status
    desk = can(Permission.WORK_SLIP_DESK, slip.project_id)
    verifier = can(Permission.VERIFY_SLIP, slip.project_id)
    rectifier = operations.may_rectify(current_user.grants, slip)
    return {
        "receive": desk and status == SlipStatus.FILED,
        "measures": rectifier and status in (SlipStatus.ASSIGNED, SlipStatus.ESCALATED),
        "done": rectifier and status == SlipStatus.RECTIFYING,
        "escalate": rectifier and status in (SlipStatus.ASSIGNED, SlipStatus.RECTIFYING),
        "verify": verifier and status == SlipStatus.AWAITING_VERIFICATION,
        "callback": verifier and status == SlipStatus.AWAITING_CALLBACK,
        "withdraw": current_user.id == slip.filed_by_id and status == SlipStatus.FILED,
    }


FORMS = {
    "receive": ReceiveForm,
    "measures": MeasuresForm,
    "escalate": EscalateForm,
    "verify": VerifyForm,
    "callback": CallbackForm,
    "done": None,
    "withdraw": None,
}


def _fill_departments(form, slip: Slip) -> None:
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.project_id == slip.project_id, Department.active)
        .order_by(Department.name)
    )
    form.department_id.choices = department_choices(gettext("Choose the department"), departments)


def _panel_context(slip: Slip, forms: dict | None = None, conflict: str | None = None) -> dict:
    from webapp.slips.forms import ActionForm

    forms = dict(forms or {})
    actions = _actions(slip)
    for name, allowed in actions.items():
        if allowed and name not in forms:
            form_class = FORMS.get(name) or ActionForm
            form = form_class(formdata=None)
            form.version.data = slip.version
            forms[name] = form
        elif name in forms:
            forms[name].version.data = slip.version
    if "receive" in forms:
        _fill_departments(forms["receive"], slip)
    now = clock_now()
    return {
        "slip": slip,
        "actions": actions,
        "forms": forms,
        "clock": _clocks(slip, now),
        "now": now,
        "conflict": conflict,
        "service_quality": slip.about_service_quality or slip.category == rules.SlipCategory.SERVICE_QUALITY,
    }


@bp.get("/<int:slip_id>")
def detail(slip_id: int):
    slip = _slip_or_404(slip_id, *_detail_options())
    return _render_detail(slip)


def _render_detail(slip: Slip, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _panel_context(slip, forms, conflict)
    if wants_fragment():
        return render_template("slips/_status_panel.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = audit.timeline(db.session, slip)
    return render_template("slips/detail.html", **context), status, {"Vary": "HX-Request"}


def _act(slip_id: int, name: str, allowed, do, form_class=None, done_message: str = ""):
    """Every step on a slip (webapp.core.actions.take_step); a photo refused is shown like
    a rule's refusal."""
    from webapp.slips.forms import ActionForm

    def step_form(slip: Slip):
        form = (form_class or ActionForm)()
        if name == "receive":
            _fill_departments(form, slip)
        return form

    return take_step(
        name,
        load=lambda: _slip_or_404(slip_id, *_detail_options()),
        allowed=allowed,
        form=step_form,
        do=do,
        show=_render_detail,
        done_url=url_for("slips.detail", slip_id=slip_id),
        done_message=done_message,
        aliases=_PICKER_FIELDS,
        refusals=(RuleViolation, media.MediaError),
    )


def _desk_allowed(slip):
    return can(Permission.WORK_SLIP_DESK, slip.project_id)


def _verifier(slip):
    return can(Permission.VERIFY_SLIP, slip.project_id)


def _rectifier(slip):
    return operations.may_rectify(current_user.grants, slip)


@bp.post("/<int:slip_id>/receive")
def receive(slip_id: int):
    """SLIP-03: received at the desk (the clock stops) and handed to the department."""

    def do(slip, form, now):
        operations.receive_and_assign(
            db.session, current_user, slip, form.department_id.data, now, cs_inspects=form.cs_inspects.data
        )

    return _act(slip_id, "receive", _desk_allowed, do, ReceiveForm, gettext("Received and assigned."))


@bp.post("/<int:slip_id>/measures")
def record_measures(slip_id: int):
    """SLIP-06: who, when, how — and photos of the result (SLIP-04)."""

    def do(slip, form, now):
        operations.record_measures(
            db.session,
            current_user,
            slip,
            form.measures_who.data,
            local_input(form.measures_when),
            form.measures_how.data,
            now,
        )
        _attach(slip, form.photo_files(), "after", now)

    return _act(slip_id, "measures", _rectifier, do, MeasuresForm, gettext("Measures recorded."))


@bp.post("/<int:slip_id>/done")
def report_done(slip_id: int):
    def do(slip, form, now):
        operations.report_done(db.session, current_user, slip, now)

    return _act(slip_id, "done", _rectifier, do, None, gettext("CS is asked to verify on site."))


@bp.post("/<int:slip_id>/verify")
def verify(slip_id: int):
    """SLIP-07: pass closes (or waits for the call-back), fail goes back for new measures."""

    def do(slip, form, now):
        operations.verify(db.session, current_user, slip, form.result.data, form.note.data, now)

    return _act(slip_id, "verify", _verifier, do, VerifyForm, gettext("Verification recorded."))


@bp.post("/<int:slip_id>/escalate")
def escalate(slip_id: int):
    """SLIP-05: a plan and a new deadline for the PM; the desk tracks it."""

    def do(slip, form, now):
        operations.escalate(db.session, current_user, slip, form.plan.data, local_input(form.new_due), now)

    return _act(slip_id, "escalate", _rectifier, do, EscalateForm, gettext("Escalated to the project manager."))


@bp.post("/<int:slip_id>/callback")
def callback(slip_id: int):
    """SLIP-08: the owner's response closes an owner-raised slip."""

    def do(slip, form, now):
        operations.record_callback(
            db.session, current_user, slip, form.method.data, form.owner_response.data, form.satisfied.data, now
        )

    return _act(slip_id, "callback", _verifier, do, CallbackForm, gettext("Call-back recorded; the slip is closed."))


@bp.post("/<int:slip_id>/withdraw")
def withdraw(slip_id: int):
    def do(slip, form, now):
        operations.withdraw(db.session, current_user, slip, now)

    return _act(
        slip_id,
        "withdraw",
        lambda slip: slip.filed_by_id == current_user.id,
        do,
        None,
        gettext("Slip withdrawn."),
    )
