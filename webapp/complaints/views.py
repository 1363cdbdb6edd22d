"""Complaint pages (篇4, reception per 篇3 §4.7): recording at the desk with the class
suggestion, a complaint with its clocks and the steps this user may take, and the list.

Reads need a complaint permission in the project; the project scope hides every other
project's complaints (404). Each step checks the actor's role (403) before anything else;
the operations check it again with the state.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from webapp.complaints import operations, rules
from webapp.complaints.forms import (
    CALLBACK_METHOD_LABELS,
    CHANNEL_LABELS,
    CLASS_LABELS,
    GROUND_LABELS,
    INVALID_REASON_LABELS,
    SATISFACTION_LABELS,
    STATUS_LABELS,
    ActionForm,
    AnswerForm,
    CallbackForm,
    CapaForm,
    CapaVerifyForm,
    ComplaintForm,
    DecideForm,
    ExtensionForm,
    InvalidForm,
    MajorGroundsForm,
    PauseForm,
    ResolveForm,
)
from webapp.complaints.models import (
    Complaint,
    ComplaintCallback,
    CorrectiveAction,
    ExtensionRequest,
)
from webapp.complaints.rules import ComplaintClass, ComplaintStatus
from webapp.core import audit
from webapp.core.actions import field_error, take_step
from webapp.core.clock import now as clock_now
from webapp.core.forms import department_choices, local_input
from webapp.core.htmx import render, wants_fragment
from webapp.core.rulekit import N_, RuleViolation
from webapp.estate import queries as estate_queries
from webapp.estate.labels import relation_label
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import NotPermitted, can
from webapp.org.labels import role_label
from webapp.org.models import Department, Project, RoleAssignment, User
from webapp.org.rules import Permission, Role, is_allowed
from webapp.reception import operations as reception_operations
from webapp.reception import rules as reception_rules
from webapp.reception import starting
from webapp.reception.models import ReceptionEntry

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

PAGE_SIZE = 30
#: whoever holds one of these in a project sees its complaints
VIEW_PERMISSIONS = (
    Permission.RECORD_COMPLAINT,
    Permission.HANDLE_COMPLAINT,
    Permission.VIEW_COMPLAINT_REPORTS,
    Permission.APPROVE_EXTENSION,
    Permission.VERIFY_CAPA,
)


@bp.app_template_global()
def complaint_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global()
def complaint_class_label(value: str) -> str:
    return str(CLASS_LABELS.get(value, value))


@bp.context_processor
def _complaint_helpers():
    return {
        "invalid_reason_label": lambda r: str(INVALID_REASON_LABELS.get(r, r)),
        "ground_label": lambda g: str(GROUND_LABELS.get(g, g)),
        "satisfaction_label": lambda s: str(SATISFACTION_LABELS.get(s, s)),
        "channel_label": lambda c: str(CHANNEL_LABELS.get(c, c)),
        "callback_method_label": lambda m: str(CALLBACK_METHOD_LABELS.get(m, m)),
        "relation_label": relation_label,
        "upgrade_reason_text": upgrade_reason_text,
    }


def _placeholders_pattern(msgid: str) -> re.Pattern:
    """A msgid's English sentence with its %(name)s parts as named groups."""
    parts = re.split(r"%\((\w+)\)s", msgid)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


#: the English sentence earlier versions stored as the upgrade reason
_STORED_UPGRADE_SENTENCE = _placeholders_pattern(rules.UPGRADE_REASON)


def upgrade_reason_text(stored: str | None, received_at: datetime) -> str:
    """CMP-02 c: the server's recorded reason in the reader's language: the code it stores
    (operations.UPGRADE_REASON_CODE), or the English sentence stored before; anything
    else as written."""
    if not stored:
        return ""
    if stored == operations.UPGRADE_REASON_CODE:
        params = rules.upgrade_reason(received_at)[1]
    else:
        found = _STORED_UPGRADE_SENTENCE.fullmatch(stored)
        if found is None:
            return stored
        params = found.groupdict()
    return gettext(rules.UPGRADE_REASON, **params)


def _readable_events(events, complaint: Complaint) -> list:
    """The complaint's trail for the shared timeline macro, the upgrade reason translated
    (values in `changes` read through audit.VALUE_LABELS, as on every timeline)."""
    shown = []
    for event in events:
        note = event.note
        if event.action == "complaint_upgraded":
            note = upgrade_reason_text(note, complaint.received_at)
        shown.append(
            SimpleNamespace(
                entity_type=event.entity_type,
                at=event.at,
                actor=event.actor,
                action=event.action,
                from_state=event.from_state,
                to_state=event.to_state,
                changes=event.changes,
                note=note,
            )
        )
    return shown


# ---------------------------------------------------------------------------- helpers


def _may_view(project_id: int | None = None) -> bool:
    return any(can(p, project_id) for p in VIEW_PERMISSIONS)


def _permitted_projects(permission: Permission) -> list[Project]:
    projects = db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.name, Project.id))
    return [p for p in projects if can(permission, p.id)]


def _project_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Project.id, Project.name)).all())


def _holds_role(roles, project_id: int) -> bool:
    return any(
        role in roles and (grant_project is None or grant_project == project_id)
        for role, grant_project, _ in current_user.grants
    )


def _light_clocks(complaint: Complaint, now) -> dict:
    """Breaches from the stored due moments (lists load no pauses)."""
    commitment = rules.met_on_time(complaint.commitment_due_at, complaint.commitment_done_at, now)
    done = complaint.resolved_at or (complaint.answered_at if complaint.complaint_class == "major" else None)
    resolution = rules.met_on_time(complaint.resolution_due_at, done, now)
    if complaint.status == ComplaintStatus.WAITING:
        resolution = None
    return {"commitment_breached": commitment is False, "resolution_breached": resolution is False}


def _clocks(complaint: Complaint, now) -> dict:
    """What the detail page shows about the deadlines (CMP-04/05)."""
    resolution_due = operations.current_resolution_due(complaint, now)
    done = operations.resolution_done_at(complaint)
    waiting = complaint.status == ComplaintStatus.WAITING
    paused = rules.paused_duration(operations._pauses(complaint), now)
    commitment = rules.met_on_time(complaint.commitment_due_at, complaint.commitment_done_at, now)
    start = None
    if complaint.handling_start_due_at is not None:
        start = rules.met_on_time(complaint.handling_start_due_at, complaint.handling_started_at, now)
    resolution = None if waiting and done is None else rules.met_on_time(resolution_due, done, now)
    return {
        "resolution_due": resolution_due,
        "resolution_done": done,
        "paused_minutes": int(paused.total_seconds() // 60),
        "extension_hours": format_decimal(round(complaint.extension_seconds / 3600, 1)) if complaint.extension_seconds else None,
        "commitment_breached": commitment is False,
        "handling_start_breached": start is False,
        "resolution_breached": resolution is False,
    }


# ---------------------------------------------------------------------------- the list


@bp.get("/")
def index():
    """Complaints of the user's projects; filters: open/all, class, overdue. One page is a
    fixed number of queries however many complaints there are."""
    if not _may_view():
        abort(403)
    status = request.args.get("status", "open")
    cls = request.args.get("class", "")
    overdue = request.args.get("overdue") == "1"
    page = max(1, request.args.get("page", 1, type=int))
    now = clock_now()
    query = sa.select(Complaint).options(
        so.joinedload(Complaint.received_by), so.joinedload(Complaint.complained_department)
    )
    if status == "open":
        query = query.where(Complaint.status != ComplaintStatus.CLOSED.value)
    if cls in CLASS_LABELS:
        query = query.where(Complaint.complaint_class == cls)
    if overdue:
        query = query.where(
            Complaint.status.notin_([ComplaintStatus.CLOSED.value, ComplaintStatus.WAITING.value]),
            sa.or_(
                sa.and_(Complaint.commitment_done_at.is_(None), Complaint.commitment_due_at < now),
                sa.and_(Complaint.resolved_at.is_(None), Complaint.resolution_due_at < now),
            ),
        )
    rows = list(
        db.session.scalars(
            query.order_by(Complaint.received_at.desc(), Complaint.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    complaints = rows[:PAGE_SIZE]
    filters = {"status": status, "class": cls, "overdue": "1" if overdue else ""}
    return render(
        "complaints/index.html",
        "complaints/_complaint_list.html",
        complaints=complaints,
        clocks={c.id: _light_clocks(c, now) for c in complaints},
        project_names=_project_names(),
        page_number=page,
        more=len(rows) > PAGE_SIZE,
        filters=filters,
        may_record=can(Permission.RECORD_COMPLAINT),
    )


# ---------------------------------------------------------------------------- recording


def _new_form(projects: list[Project]) -> ComplaintForm:
    form = ComplaintForm()
    form.project_id.choices = [(p.id, p.name) for p in projects]
    many = len(projects) > 1
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.project_id.in_([p.id for p in projects] or [0]), Department.active)
        .order_by(Department.project_id, Department.name)
    )
    names = {p.id: p.name for p in projects}
    form.complained_department_id.choices = department_choices(
        gettext("Not a department / not known"), departments, (lambda d: names.get(d.project_id, "")) if many else None
    )
    return form


def _render_new(form: ComplaintForm, projects, status: int = 200, entry: ReceptionEntry | None = None):
    suggestion = rules.suggest_class(**form.flags())
    if not form.complaint_class.data:
        form.complaint_class.data = suggestion.complaint_class.value
        if suggestion.invalid_reason and not form.invalid_reason.data:
            form.invalid_reason.data = suggestion.invalid_reason.value
    # the picker's matches come from the project chosen in the form (its search as you
    # type follows the form's project field when there are several)
    ids = [p.id for p in projects]
    picker_ids = [form.project_id.data] if len(ids) > 1 and form.project_id.data in ids else ids
    picker = estate_queries.owner_picker(db.session, form.unit_query.data or "", form.owner_choice.data, picker_ids)
    return render_template(
        "complaints/new.html",
        form=form,
        projects=projects,
        suggestion=suggestion,
        picker=picker,
        picker_project=ids[0] if len(ids) == 1 else None,
        entry=entry,
        origin=starting.origin(entry),
    ), status


#: where the form shows what the operation says about the grounds, the owner and the unit
_NEW_ALIASES = {
    "major_grounds": "injury_or_major_loss",
    "owner_id": "unit_query",
    "unit_id": "unit_query",
    "owner": "unit_query",
    "unit": "unit_query",
}


def _link_owner(form: ComplaintForm, project: Project, values: dict) -> None:
    """CMP-03: the unit and owner the picker names (estate.queries.resolve_owner_choice);
    the person picked fills an empty contact. Whether they belong to the project is the
    operation's to check."""
    unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
        db.session, form.unit_query.data, form.owner_choice.data, project.id
    )
    form.owner_choice.data = choice
    values["unit_id"], values["owner_id"] = unit_id, owner_id
    if not values.get("owner_contact"):
        contact = estate_queries.chosen_contact(db.session, unit_id, owner_id, project.id)
        if contact:
            form.owner_contact.data = values["owner_contact"] = contact


@bp.route("/new", methods=["GET", "POST"])
def new():
    """CMP-01/03: every field of the record; the class suggested, confirmed by the desk."""
    projects = _permitted_projects(Permission.RECORD_COMPLAINT)
    if not projects:
        abort(403)
    form = _new_form(projects)
    entry_id = request.args.get("entry", type=int) if request.method == "GET" else form.entry_id.data
    # RCP-04: the ledger entry a complaint is started from, in a project where the user
    # records complaints
    routable = {p.id for p in projects}
    entry = starting.entry_to_route(entry_id, routable) if entry_id is not None else None
    if entry is not None:  # RCP-04: the entry's project, the only one the form offers
        projects = [p for p in projects if p.id == entry.project_id]
        form = _new_form(projects)
    if request.method == "GET":
        if entry is None:
            return _render_new(form, projects)
        form.fill_from_entry(entry)
        refusal = starting.refusal(entry, reception_rules.Category.COMPLAINT, reception_rules.FollowUp.COMPLAINT)
        if refusal:
            form.form_errors.append(refusal)
        return _render_new(form, projects, 422 if refusal else 200, entry)
    if request.form.get("suggest"):  # "suggest again" from the flags, nothing saved
        form.complaint_class.data = None
        form.invalid_reason.data = None
        return _render_new(form, projects, entry=entry)
    if request.form.get("find_owner"):  # the owner picker's search without scripts, nothing saved
        form.owner_choice.data = ""
        return _render_new(form, projects, entry=entry)
    if not form.validate_on_submit():
        return _render_new(form, projects, 422, entry)
    project = projects[0] if len(projects) == 1 else next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_new(form, projects, 422, entry)
    suggested = rules.suggest_class(**form.flags()).complaint_class.value
    values = form.values(suggested)
    now = clock_now()
    try:
        # resolved before recording: the ids are part of the submission's fingerprint
        _link_owner(form, project, values)
        for attempt in range(3):
            if entry is None:
                complaint, created = operations.record_complaint(
                    db.session, current_user, project, values, now, form.submission_key.data
                )
            else:
                complaint, created = operations.record_complaint_from_entry(
                    db.session, current_user, project, entry, values, now, form.submission_key.data
                )
            if not created:
                return redirect(url_for("complaints.detail", complaint_id=complaint.id), code=303)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    raise
                entry = starting.entry_to_route(entry.id, routable) if entry is not None else None
                continue
            break
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except StaleDataError:  # another desk routed the entry at the same moment
        db.session.rollback()
        entry = starting.entry_to_route(entry.id, routable) if entry is not None else None
        form.form_errors.append(gettext("This entry has already been routed."))
        return _render_new(form, projects, 422, entry)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, _NEW_ALIASES)
        return _render_new(form, projects, 422, entry)
    flash(gettext("Complaint %(number)s recorded.", number=complaint.number), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), code=303)


# ---------------------------------------------------------------------------- one complaint


def _detail_options():
    return (
        so.joinedload(Complaint.received_by),
        so.joinedload(Complaint.commitment_to),
        so.joinedload(Complaint.complained_department),
        so.joinedload(Complaint.complained_user),
        so.joinedload(Complaint.owner),
        so.joinedload(Complaint.unit).joinedload(Unit.building),
        so.selectinload(Complaint.pauses),
        so.selectinload(Complaint.extensions).joinedload(ExtensionRequest.requested_by),
        so.selectinload(Complaint.extensions).joinedload(ExtensionRequest.decided_by),
        so.selectinload(Complaint.callbacks).joinedload(ComplaintCallback.called_by),
        so.selectinload(Complaint.corrective_actions).joinedload(CorrectiveAction.owner_user),
    )


def _complaint_or_404(complaint_id: int) -> Complaint:
    complaint = (
        db.session.scalars(sa.select(Complaint).where(Complaint.id == complaint_id).options(*_detail_options()))
        .unique()
        .first()
    )
    if complaint is None:
        abort(404)
    return complaint


def _pending(complaint: Complaint) -> ExtensionRequest | None:
    return next((e for e in complaint.extensions if e.decision is None), None)


def _open_capa(complaint: Complaint) -> CorrectiveAction | None:
    return next((c for c in complaint.corrective_actions if c.verified_at is None), None)


# who may take each step, by role only (the state is the operations' to refuse: 422)
def _may_commit(c: Complaint) -> bool:
    return (
        can(Permission.RECORD_COMPLAINT, c.project_id)
        or operations.may_handle(current_user.grants, c)
        or _holds_role(rules.commitment_recipients(c.complaint_class), c.project_id)
    )


def _may_handle(c: Complaint) -> bool:
    return operations.may_handle(current_user.grants, c)


def _may_desk(c: Complaint) -> bool:
    return can(Permission.RECORD_COMPLAINT, c.project_id) or operations.may_handle(current_user.grants, c)


def _may_decide(c: Complaint) -> bool:
    approver = rules.extension_approver(c.complaint_class)
    return (
        approver is not None
        and is_allowed(current_user.grants, Permission.APPROVE_EXTENSION, c.project_id)
        and _holds_role([approver], c.project_id)
    )


def _may_capa(c: Complaint) -> bool:
    return _may_handle(c) or _holds_role([Role.QA.value, Role.GM.value], c.project_id)


def _may_verify_capa(c: Complaint) -> bool:
    return can(Permission.VERIFY_CAPA, c.project_id)


def _may_mark_major(c: Complaint) -> bool:
    return operations.may_mark_major(current_user, c)


def _actions(c: Complaint) -> dict[str, bool]:
    """Which action forms this user sees on this complaint, by role and state."""
    s = ComplaintStatus(c.status)
    valid = c.complaint_class != ComplaintClass.INVALID
    handler = _may_handle(c)
    capa = _open_capa(c)
    extendable = rules.extension_approver(c.complaint_class) is not None
    return {
        "commit": _may_commit(c) and s is ComplaintStatus.RECEIVED,
        "start": handler and valid and s is ComplaintStatus.COMMITTED,
        "pause": handler and valid and s is ComplaintStatus.IN_PROGRESS,
        "resume": handler and s is ComplaintStatus.WAITING,
        "extend": handler
        and extendable
        and s in (ComplaintStatus.COMMITTED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING, ComplaintStatus.ANSWERED)
        and _pending(c) is None,
        "decide": _may_decide(c) and _pending(c) is not None,
        "answer": handler and valid and s is ComplaintStatus.IN_PROGRESS,
        "resolve": handler and valid and s is ComplaintStatus.ANSWERED,
        "invalid": _may_desk(c)
        and not valid
        and s in (ComplaintStatus.COMMITTED, ComplaintStatus.EXPLAINED, ComplaintStatus.FORWARDED),
        "callback": _may_desk(c)
        and s is ComplaintStatus.AWAITING_CALLBACK
        and (not c.criticised or _holds_role(rules.LEADER_CALLBACK_ROLES, c.project_id)),
        "capa": _may_capa(c) and capa is not None and capa.recorded_at is None,
        "capa_verify": _may_verify_capa(c) and capa is not None and capa.recorded_at is not None,
        "mark_major": _may_mark_major(c) and valid and s is not ComplaintStatus.CLOSED,
    }


FORMS = {
    "commit": ActionForm,
    "start": ActionForm,
    "pause": PauseForm,
    "resume": ActionForm,
    "extend": ExtensionForm,
    "decide": DecideForm,
    "answer": AnswerForm,
    "resolve": ResolveForm,
    "invalid": InvalidForm,
    "callback": CallbackForm,
    "capa": CapaForm,
    "capa_verify": CapaVerifyForm,
    "mark_major": MajorGroundsForm,
}


def _capa_owner_choices(project_id: int) -> list:
    users = db.session.scalars(
        sa.select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(sa.or_(RoleAssignment.project_id == project_id, RoleAssignment.project_id.is_(None)), User.active)
        .distinct()
        .order_by(User.display_name, User.id)
    )
    return [("", gettext("Choose who owns the action"))] + [(u.id, u.display_name) for u in users]


def _panel_context(complaint: Complaint, forms: dict | None = None, conflict: str | None = None) -> dict:
    forms = dict(forms or {})
    actions = _actions(complaint)
    fresh = set()
    for name, allowed in actions.items():
        if allowed and name not in forms:
            forms[name] = FORMS[name](formdata=None)
            fresh.add(name)
        if name in forms:
            forms[name].version.data = complaint.version
    if "mark_major" in fresh:  # the grounds marked so far, to add to or change
        forms["mark_major"].major_grounds.data = [g for g in complaint.grounds if g in rules.STAFF_MAJOR_GROUNDS]
    if "capa" in forms:
        forms["capa"].owner_user_id.choices = _capa_owner_choices(complaint.project_id)
        if "capa" in fresh:  # after an ineffective verification: the earlier record, to improve
            _fill_capa_form(forms["capa"], _open_capa(complaint))
    if "invalid" in forms and complaint.status != ComplaintStatus.COMMITTED:
        forms["invalid"].explanation.render_kw = {"rows": 2, "disabled": True}
    now = clock_now()
    return {
        "complaint": complaint,
        "actions": actions,
        "forms": forms,
        "clock": _clocks(complaint, now),
        "now": now,
        "conflict": conflict,
        "pending": _pending(complaint),
        "open_capa": _open_capa(complaint),
        "approver_label": role_name(rules.extension_approver(complaint.complaint_class)),
    }


def _fill_capa_form(form: CapaForm, capa: CorrectiveAction | None) -> None:
    if capa is None or capa.root_cause is None:
        return
    form.root_cause.data = capa.root_cause
    form.correction.data = capa.correction
    form.preventive_action.data = capa.preventive_action
    form.owner_user_id.data = capa.owner_user_id
    form.due_on.data = capa.due_on


def role_name(role: str | None) -> str:
    return str(role_label(role)) if role else ""


@bp.get("/<int:complaint_id>")
def detail(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    if not _may_view(complaint.project_id):
        abort(403)
    return _render_detail(complaint)


def _render_detail(complaint: Complaint, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _panel_context(complaint, forms, conflict)
    if wants_fragment():
        return render_template("complaints/_status_panel.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = _readable_events(audit.timeline(db.session, complaint), complaint)
    context["origin"] = starting.origin(reception_operations.started_by(db.session, complaint))
    return render_template("complaints/detail.html", **context), status, {"Vary": "HX-Request"}


def _act(complaint_id: int, name: str, allowed, do, done_message: str = "", aliases: dict | None = None):
    """Every step on a complaint (webapp.core.actions.take_step)."""

    def step_form(complaint: Complaint):
        form = FORMS[name]()
        if name == "capa":
            form.owner_user_id.choices = _capa_owner_choices(complaint.project_id)
        return form

    return take_step(
        name,
        load=lambda: _complaint_or_404(complaint_id),
        allowed=allowed,
        form=step_form,
        do=do,
        show=_render_detail,
        done_url=url_for("complaints.detail", complaint_id=complaint_id),
        done_message=done_message,
        aliases=aliases,
    )


@bp.post("/<int:complaint_id>/commit")
def commit(complaint_id: int):
    """CMP-04: taken into handling by the people the class names; the commitment clock stops."""

    def do(c, form, now):
        operations.commit_handling(db.session, current_user, c, now)

    return _act(complaint_id, "commit", _may_commit, do, gettext("Taken into handling."))


@bp.post("/<int:complaint_id>/start")
def start(complaint_id: int):
    def do(c, form, now):
        operations.start_handling(db.session, current_user, c, now)

    return _act(complaint_id, "start", _may_handle, do, gettext("Handling started."))


@bp.post("/<int:complaint_id>/pause")
def pause(complaint_id: int):
    """Waiting with a reason: the resolution clock stops until resumed."""

    def do(c, form, now):
        operations.pause(db.session, current_user, c, form.wait_reason.data or "", now)

    return _act(
        complaint_id, "pause", _may_handle, do, gettext("The complaint is on hold."), {"reason": "wait_reason"}
    )


@bp.post("/<int:complaint_id>/resume")
def resume(complaint_id: int):
    def do(c, form, now):
        operations.resume(db.session, current_user, c, now)

    return _act(complaint_id, "resume", _may_handle, do, gettext("Handling resumed."))


@bp.post("/<int:complaint_id>/extend")
def extend(complaint_id: int):
    """CMP-05: more time asked with a reason; the clock moves only when approved."""

    def do(c, form, now):
        operations.request_extension(
            db.session, current_user, c, local_input(form.requested_due), form.reason.data or "", now
        )

    return _act(complaint_id, "extend", _may_handle, do, gettext("More time requested."))


@bp.post("/<int:complaint_id>/decide")
def decide(complaint_id: int):
    """CMP-05: the PM (minor) or the GM (important) approves or refuses."""

    def do(c, form, now):
        request_ = _pending(c)
        if request_ is None:
            raise RuleViolation(N_("No request for more time is waiting for a decision."))
        if form.decision.data not in ("approve", "refuse"):
            raise RuleViolation(N_("Approve or refuse."), field="decision")
        operations.decide_extension(
            db.session, current_user, c, request_, form.decision.data == "approve", form.note.data, now
        )

    return _act(complaint_id, "decide", _may_decide, do, gettext("Decision recorded."))


@bp.post("/<int:complaint_id>/answer")
def answer(complaint_id: int):
    """The answer to the owner; unless interim, the handling is complete (on to the call-back)."""

    def do(c, form, now):
        operations.answer_owner(
            db.session,
            current_user,
            c,
            form.answer.data or "",
            now,
            resolved=not form.still_open.data,
            measures=form.measures.data,
            cause=form.cause.data,
            responsible_person=form.responsible_person.data,
            supervisor_apologised=bool(form.supervisor_apologised.data),
            criticised=bool(form.criticised.data),
            utility_follow_up=form.utility_follow_up.data,
        )

    return _act(complaint_id, "answer", _may_handle, do, gettext("Answer recorded."))


@bp.post("/<int:complaint_id>/resolve")
def resolve(complaint_id: int):
    def do(c, form, now):
        operations.resolve(
            db.session,
            current_user,
            c,
            form.measures.data,
            now,
            cause=form.cause.data,
            responsible_person=form.responsible_person.data,
            supervisor_apologised=bool(form.supervisor_apologised.data),
            criticised=bool(form.criticised.data),
            utility_follow_up=form.utility_follow_up.data,
        )

    return _act(complaint_id, "resolve", _may_handle, do, gettext("Handling completed."))


@bp.post("/<int:complaint_id>/invalid")
def invalid(complaint_id: int):
    """CMP-06: explanation, forwarding, reply to the owner."""

    def do(c, form, now):
        operations.record_invalid_handling(
            db.session,
            current_user,
            c,
            now,
            explanation=form.explanation.data,
            forwarded_to=form.forwarded_to.data,
            reply=form.reply.data,
        )

    return _act(complaint_id, "invalid", _may_desk, do, gettext("Invalid complaint handling recorded."))


@bp.post("/<int:complaint_id>/callback")
def callback(complaint_id: int):
    """CMP-07: the call-back with the owner's satisfaction closes the complaint."""

    def do(c, form, now):
        operations.record_callback(
            db.session, current_user, c, form.method.data or "", form.satisfaction.data or "", form.comment.data, now
        )

    return _act(complaint_id, "callback", _may_desk, do, gettext("Call-back recorded; the complaint is closed."))


@bp.post("/<int:complaint_id>/capa")
def capa(complaint_id: int):
    """CMP-09: root cause, correction, preventive action with its owner and due date."""

    def do(c, form, now):
        record = _open_capa(c)
        if record is None:
            raise RuleViolation(N_("This complaint has no open corrective action."))
        operations.record_corrective_action(
            db.session,
            current_user,
            record,
            root_cause=form.root_cause.data or "",
            correction=form.correction.data or "",
            preventive_action=form.preventive_action.data or "",
            owner_user_id=form.owner_user_id.data,
            due_on=form.due_on.data,
            now=now,
        )

    return _act(complaint_id, "capa", _may_capa, do, gettext("Corrective action recorded."))


@bp.post("/<int:complaint_id>/capa/verify")
def capa_verify(complaint_id: int):
    """CMP-09: QA's verification of the effect."""

    def do(c, form, now):
        record = _open_capa(c)
        if record is None:
            raise RuleViolation(N_("This complaint has no open corrective action."))
        if form.result.data not in ("effective", "not_effective"):
            raise RuleViolation(N_("Say whether the action worked."), field="result")
        operations.verify_corrective_action(
            db.session, current_user, record, form.result.data == "effective", form.verification_note.data, now
        )

    return _act(
        complaint_id,
        "capa_verify",
        _may_verify_capa,
        do,
        gettext("Verification recorded."),
        {"note": "verification_note"},
    )


@bp.post("/<int:complaint_id>/major")
def mark_major(complaint_id: int):
    """CMP-02 a/b found after reception: the PM, QA or the GM marks the grounds; a complaint
    not yet major becomes major (operations.mark_major). A plain form: the whole page
    changes (class, clocks, history), so it comes back whole, never as the panel alone."""

    def do(c, form, now):
        operations.mark_major(
            db.session, current_user, c, form.major_grounds.data or [], form.major_note.data, now
        )

    return _act(
        complaint_id, "mark_major", _may_mark_major, do, gettext("Major grounds recorded."), {"note": "major_note"}
    )
