"""What people (and the sweep) do with a complaint (篇4): record, commit, handle, wait,
extend, answer, resolve, call back; invalid complaints are explained, forwarded and
answered; the sweep upgrades month-old complaints and notifies breaches once.

Each verb takes the session, the acting user and `now`; checks the actor may act in the
complaint's project (NotPermitted otherwise) and that the rules allow the step
(RuleViolation); writes exactly one audit event with the status before and after; and
moves the work items and notifications of the people who must act next. The caller
commits.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, url_for

from webapp.complaints import rules
from webapp.complaints.models import (
    Complaint,
    ComplaintCallback,
    ComplaintPause,
    CorrectiveAction,
    ExtensionRequest,
)
from webapp.complaints.rules import ComplaintClass, ComplaintStatus
from webapp.core import audit, idempotency, notify
from webapp.core.i18n import gettext
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.estate.models import Occupancy, Owner, Unit
from webapp.org.access import NotPermitted
from webapp.org.access import check as _require
from webapp.org.models import Department, Project, User
from webapp.org.queries import users_with_roles as _users_with_roles
from webapp.org.rules import (
    DESK_ROLES,
    Permission,
    Role,
    is_allowed,
    is_allowed_for_department,
)
from webapp.reception import operations as reception
from webapp.reception import rules as reception_rules
from webapp.reception.models import ReceptionEntry

#: work item kinds, one per duty
COMMIT = "complaint_commit"
HANDLE = "complaint_handle"
EXTENSION = "complaint_extension"
CALLBACK = "complaint_callback"
ESCALATION = "complaint_major"
CAPA = "complaint_capa"


MAX_TEXT = 2000

audit.ACTION_LABELS.update(
    {
        "complaint_recorded": N_("recorded the complaint"),
        "complaint_committed": N_("took the complaint into handling"),
        "complaint_started": N_("started handling"),
        "complaint_paused": N_("put the complaint on hold"),
        "complaint_resumed": N_("resumed handling"),
        "complaint_extension_requested": N_("asked for more time"),
        "complaint_extension_approved": N_("approved more time"),
        "complaint_extension_refused": N_("refused more time"),
        "complaint_answered": N_("answered the owner"),
        "complaint_resolved": N_("completed the handling"),
        "complaint_invalid_handled": N_("explained and forwarded the invalid complaint"),
        "complaint_called_back": N_("called the owner back"),
        "complaint_upgraded": N_("upgraded the complaint to major"),
        "capa_recorded": N_("recorded the corrective and preventive action"),
        "capa_verified": N_("verified the corrective action"),
    }
)
audit.FIELD_LABELS.setdefault("satisfaction", N_("Satisfaction"))
audit.FIELD_LABELS.setdefault("complaint_class", N_("Class"))
audit.FIELD_LABELS.setdefault("resolution_due_at", N_("Resolution due"))


# ---------------------------------------------------------------------------- helpers


def _link(complaint: Complaint) -> str:
    if has_request_context():
        return url_for("complaints.detail", complaint_id=complaint.id)
    return f"/complaints/{complaint.id}"


def may_handle(grants, complaint: Complaint) -> bool:
    """A project-wide role holding HANDLE_COMPLAINT (PM, PM assistant, CS supervisor),
    or the supervisor of the department complained about."""
    return is_allowed_for_department(
        grants, Permission.HANDLE_COMPLAINT, complaint.project_id, complaint.complained_department_id
    )


def _require_handler(actor: User, complaint: Complaint) -> None:
    if not may_handle(actor.grants, complaint):
        raise NotPermitted()


def _holds_role(actor: User, roles, project_id: int) -> bool:
    return any(
        role in roles and (grant_project is None or grant_project == project_id)
        for role, grant_project, _ in actor.grants
    )


def _roles_in(actor: User, project_id: int) -> list[str]:
    return [role for role, grant_project, _ in actor.grants if grant_project is None or grant_project == project_id]


def _move(complaint: Complaint, target: ComplaintStatus) -> str:
    before = complaint.status
    rules.check_transition(before, target, complaint.complaint_class)
    complaint.status = target.value
    return before


def _text(value: str | None, field: str, required_message: str | None, limit: int = MAX_TEXT) -> str | None:
    return clean_text(value, field, required_message, limit)


def _title(complaint: Complaint, text: str) -> str:
    return f"{complaint.number} · {text}"[:200]


def _audience(complaint: Complaint, roles) -> list[tuple[str, int | None]]:
    """(role, department) pairs: a department supervisor only for the department complained
    about (with none known, the PM alone takes it)."""
    pairs = []
    for role in roles:
        if role == Role.DEPT_SUPERVISOR.value:
            if complaint.complained_department_id is not None:
                pairs.append((role, complaint.complained_department_id))
        else:
            pairs.append((role, None))
    return pairs


def _open_for_roles(session, complaint: Complaint, kind: str, roles, title: str, due_at, *, entity=None) -> None:
    """A work item per role (company roles see it in every project, see notify.my_work)
    and a notification to each person holding one of them."""
    user_ids: set[int] = set()
    for role, department_id in _audience(complaint, roles):
        notify.open_work(
            session,
            project_id=complaint.project_id,
            kind=kind,
            title=title,
            link=_link(complaint),
            entity=entity or complaint,
            assignee_role=role,
            department_id=department_id,
            due_at=due_at,
        )
        user_ids.update(_users_with_roles(session, complaint.project_id, [role], department_id))
    notify.notify(
        session,
        user_ids,
        project_id=complaint.project_id,
        title=title,
        body=complaint.description[:200],
        link=_link(complaint),
    )


def _tell_group(session, complaint: Complaint, what: str, due_at: datetime, dedupe_key: str) -> None:
    """APP-04: an urgent matter reaches the project's group chat too, with the number,
    class, due time and place (never the owner's words or phone)."""
    from webapp.complaints.forms import CLASS_LABELS

    notify.tell_group(
        session,
        project_id=complaint.project_id,
        number=complaint.number,
        what=what,
        facts=[
            (N_("Class"), CLASS_LABELS[ComplaintClass(complaint.complaint_class)]),
            (N_("Due by"), due_at),
            (N_("Place"), complaint.event_place),
        ],
        link=_link(complaint),
        dedupe_key=dedupe_key,
    )


def _one_in_project(session: so.Session, model, record_id: int | None, project_id: int, field: str):
    if record_id is None:
        return None
    found = session.scalar(sa.select(model).where(model.id == record_id, model.project_id == project_id))
    if found is None:
        raise RuleViolation(N_("Not found in this project."), field=field)
    return found


def _clock_start(complaint: Complaint) -> datetime:
    """The resolution clock of an upgraded complaint restarts at the upgrade (a major
    complaint: a clear answer within 2 days of becoming major)."""
    return complaint.upgraded_at or complaint.received_at


def _pauses(complaint: Complaint) -> list[tuple[datetime, datetime | None]]:
    start = _clock_start(complaint)
    return [(max(p.started_at, start), p.ended_at) for p in complaint.pauses if p.ended_at is None or p.ended_at > start]


def current_resolution_due(complaint: Complaint, now: datetime) -> datetime:
    """The resolution due moment at `now`: an open wait keeps pushing it."""
    return rules.resolution_due(
        complaint.complaint_class,
        _clock_start(complaint),
        paused=rules.paused_duration(_pauses(complaint), now),
        extension=timedelta(seconds=complaint.extension_seconds or 0),
    )


def resolution_done_at(complaint: Complaint) -> datetime | None:
    answered = complaint.answered_at
    if complaint.upgraded_at is not None and answered is not None and answered < complaint.upgraded_at:
        answered = None
    return rules.resolution_done_at(complaint.complaint_class, answered, complaint.resolved_at)


def _recompute_resolution_due(complaint: Complaint, now: datetime) -> None:
    complaint.resolution_due_at = current_resolution_due(complaint, now)


def _handle_roles(complaint: Complaint) -> tuple[str, ...]:
    """Who handles: the supervisor of the department complained about and the PM."""
    return (Role.DEPT_SUPERVISOR.value, Role.PM.value)


# ---------------------------------------------------------------------------- recording


def fingerprint(values: dict[str, Any]) -> str:
    return idempotency.fingerprint(values)


def _grounds(values: dict[str, Any]) -> list[str]:
    grounds = values.get("major_grounds") or []
    if isinstance(grounds, str):
        grounds = [g for g in grounds.split(",") if g]
    return sorted(set(grounds))


def record_complaint(
    session: so.Session,
    actor: User,
    project: Project,
    values: dict[str, Any],
    now: datetime,
    submission_key: str | None,
    *,
    received_at: datetime | None = None,
    received_by_id: int | None = None,
) -> tuple[Complaint, bool]:
    """CMP-01/03/04: record a complaint with its confirmed class and start its clocks;
    a repeat of `submission_key` returns the first one.

    `values`: complaint_class, suggested_class, invalid_reason, major_grounds, event_time,
    event_place, complained_department_id, complained_person, complained_user_id,
    description, owner_request, owner_contact, owner_id, unit_id, channel, requested_at,
    desk_apologised, supervisor_apology_required, municipal_cause.

    `received_at` / `received_by_id`: when and by whom the owner's complaint reached the
    centre, when that was before this record (a reception entry); every clock starts
    then. By default: `now` and the actor.
    """
    _require(actor, Permission.RECORD_COMPLAINT, project.id)
    body = fingerprint(values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(Complaint, earlier.entity_id), False

    try:
        cls = ComplaintClass(values.get("complaint_class") or "")
    except ValueError:
        raise RuleViolation(N_("Confirm the class of the complaint."), field="complaint_class") from None
    invalid_reason = values.get("invalid_reason") or None
    if invalid_reason is not None and invalid_reason not in {r.value for r in rules.InvalidReason}:
        raise RuleViolation(N_("Choose why the complaint is invalid."), field="invalid_reason")
    grounds = _grounds(values)
    if any(g not in {m.value for m in rules.MajorGround} for g in grounds):
        raise RuleViolation(N_("Choose the grounds from the list."), field="major_grounds")
    rules.check_classification(cls, invalid_reason, grounds)
    if cls is ComplaintClass.MAJOR and not grounds:
        raise RuleViolation(N_("Mark why the complaint is major."), field="major_grounds")
    description = _text(values.get("description"), "description", N_("Say what happened in a few words."))
    requested_at = values.get("requested_at")
    rules.check_requested_time(requested_at, now)
    department = _one_in_project(
        session, Department, values.get("complained_department_id"), project.id, "complained_department_id"
    )
    complained_person = _text(values.get("complained_person"), "complained_person", None, 100)
    complained_user_id = values.get("complained_user_id")
    if complained_user_id is not None and session.get(User, complained_user_id) is None:
        raise RuleViolation(N_("Not found in this project."), field="complained_user_id")
    if department is None and not complained_person and complained_user_id is None:
        raise RuleViolation(
            N_("Say who or which department the complaint is about."), field="complained_department_id"
        )
    unit = _one_in_project(session, Unit, values.get("unit_id"), project.id, "unit_id")
    owner = _one_in_project(session, Owner, values.get("owner_id"), project.id, "owner_id")
    if owner is not None and unit is not None:
        linked = session.scalar(
            sa.select(Occupancy.id).where(Occupancy.owner_id == owner.id, Occupancy.unit_id == unit.id)
        )
        if linked is None:
            raise RuleViolation(N_("This owner is not registered in this unit."), field="owner_id")
    owner_contact = _text(values.get("owner_contact"), "owner_contact", None, 100)
    if owner is None and not owner_contact:
        raise RuleViolation(N_("Write down how to reach the owner."), field="owner_contact")

    complaint = Complaint(
        project_id=project.id,
        number=next_number(session, project_id=project.id, project_code=project.code, series="TS", at=now),
        status=ComplaintStatus.RECEIVED.value,
        complaint_class=cls.value,
        suggested_class=values.get("suggested_class") or None,
        invalid_reason=invalid_reason,
        major_grounds=",".join(grounds) or None,
        event_time=values.get("event_time"),
        event_place=_text(values.get("event_place"), "event_place", None, 200),
        complained_department_id=department.id if department else None,
        complained_person=complained_person,
        complained_user_id=complained_user_id,
        description=description,
        owner_request=_text(values.get("owner_request"), "owner_request", None),
        owner_contact=owner_contact,
        owner_id=owner.id if owner else None,
        unit_id=unit.id if unit else None,
        channel=values.get("channel") or None,
        received_at=received_at or now,
        received_by_id=received_by_id or actor.id,
        requested_at=requested_at,
        commitment_due_at=rules.commitment_due(cls, received_at or now),
        handling_start_due_at=rules.handling_start_due(cls, received_at or now, requested_at),
        resolution_due_at=rules.resolution_due(cls, received_at or now),
        desk_apologised=bool(values.get("desk_apologised")),
        supervisor_apology_required=bool(values.get("supervisor_apology_required")),
        municipal_cause=bool(values.get("municipal_cause")),
    )
    session.add(complaint)
    session.flush()
    audit.record(
        session, complaint, "complaint_recorded", actor_id=actor.id, to_state=complaint.status, note=cls.value
    )
    _open_commitment(session, complaint)
    if cls is ComplaintClass.MAJOR:
        _open_capa(session, complaint, now)
    idempotency.remember(session, submission_key, actor.id, complaint, body)
    return complaint, True


def record_complaint_from_entry(
    session: so.Session,
    actor: User,
    project: Project,
    entry: ReceptionEntry,
    values: dict[str, Any],
    now: datetime,
    submission_key: str | None,
) -> tuple[Complaint, bool]:
    """RCP-04 (篇3 §4.6) 投诉: the complaint a ledger entry classified as a complaint starts,
    recorded and linked to the entry in one step (the caller commits both or neither).
    Its clocks start when the owner contacted the centre (the entry's time), and whoever
    received the owner then received the complaint; the contact the owner gave is kept
    unless the form names another. Refused, before anything is written,
    unless the actor may route the project's entries and the entry is still new; a repeat
    of `submission_key` returns the first complaint."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    if entry.project_id != project.id:
        raise RuleViolation(N_("Not found in this project."))
    values = {**values, "reception_entry_id": entry.id, "owner_contact": values.get("owner_contact") or entry.contact}
    earlier = idempotency.previous(session, submission_key, actor.id, fingerprint(values))
    if earlier is not None:
        return session.get(Complaint, earlier.entity_id), False
    kind = reception_rules.FollowUp.COMPLAINT.value
    reception_rules.check_route(entry.status, reception_rules.Category.COMPLAINT.value, kind)
    complaint, created = record_complaint(
        session, actor, project, values, now, submission_key,
        received_at=entry.received_at, received_by_id=entry.received_by_id,
    )
    reception.classify(
        session, actor, entry, reception_rules.Category.COMPLAINT.value, kind, now, follow_up_record=complaint
    )
    return complaint, created


_COMMIT_TITLES = {
    ComplaintClass.MAJOR: N_("Major complaint: take it into handling today"),
    ComplaintClass.IMPORTANT: N_("Important complaint: take it into handling within 1 hour"),
    ComplaintClass.MINOR: N_("Minor complaint: take it into handling today"),
    ComplaintClass.INVALID: N_("Invalid complaint: take it into handling today"),
}


def _open_commitment(session, complaint: Complaint) -> None:
    """CMP-04: the people the class names, due by the commitment clock."""
    cls = ComplaintClass(complaint.complaint_class)
    _open_for_roles(
        session,
        complaint,
        COMMIT,
        rules.commitment_recipients(cls),
        _title(complaint, gettext(_COMMIT_TITLES[cls])),
        complaint.commitment_due_at,
    )
    if cls in (ComplaintClass.MAJOR, ComplaintClass.IMPORTANT):
        _tell_group(
            session, complaint, _COMMIT_TITLES[cls], complaint.commitment_due_at, f"complaint:{complaint.id}:commitment"
        )


def _open_capa(session, complaint: Complaint, now: datetime) -> CorrectiveAction:
    """CMP-09: a major complaint opens its corrective and preventive action, in QA's work
    until QA verified it worked."""
    capa = CorrectiveAction(project_id=complaint.project_id, complaint_id=complaint.id, opened_at=now)
    complaint.corrective_actions.append(capa)
    session.add(capa)
    session.flush()
    _open_for_roles(
        session,
        complaint,
        CAPA,
        [Role.QA.value],
        _title(complaint, gettext("Corrective and preventive action: follow up and verify")),
        None,
        entity=capa,
    )
    return capa


# ---------------------------------------------------------------------------- commitment and handling


def commit_handling(session: so.Session, actor: User, complaint: Complaint, now: datetime) -> Complaint:
    """CMP-04: the complaint has reached the people the class names and is in handling
    (进入处置程序); the commitment clock stops. The desk records the hand-over, or one of
    the recipients takes it."""
    recipients = rules.commitment_recipients(complaint.complaint_class)
    if not (
        _holds_role(actor, recipients, complaint.project_id)
        or is_allowed(actor.grants, Permission.RECORD_COMPLAINT, complaint.project_id)
        or may_handle(actor.grants, complaint)
    ):
        raise NotPermitted()
    before = _move(complaint, ComplaintStatus.COMMITTED)
    complaint.commitment_done_at = now
    complaint.commitment_to_id = actor.id
    audit.record(
        session, complaint, "complaint_committed", actor_id=actor.id, from_state=before, to_state=complaint.status
    )
    notify.close_work(session, entity=complaint, kind=COMMIT, done_by_id=actor.id)
    cls = ComplaintClass(complaint.complaint_class)
    if cls is ComplaintClass.INVALID:
        title = gettext("Invalid complaint: explain, forward and reply to the owner")
        roles = (Role.PM.value, Role.CS_SUPERVISOR.value)
        due = complaint.resolution_due_at
    elif cls is ComplaintClass.MINOR:
        title = gettext("Start handling the complaint")
        roles = _handle_roles(complaint)
        due = complaint.handling_start_due_at
    else:
        title = gettext("Start handling the complaint")
        roles = _handle_roles(complaint)
        due = complaint.resolution_due_at
    _open_for_roles(session, complaint, HANDLE, roles, _title(complaint, title), due)
    return complaint


def start_handling(session: so.Session, actor: User, complaint: Complaint, now: datetime) -> Complaint:
    """The department's measures begin (again, after an interim answer)."""
    _require_handler(actor, complaint)
    before = _move(complaint, ComplaintStatus.IN_PROGRESS)
    if complaint.handling_started_at is None:
        complaint.handling_started_at = now
    audit.record(
        session, complaint, "complaint_started", actor_id=actor.id, from_state=before, to_state=complaint.status
    )
    notify.close_work(session, entity=complaint, kind=HANDLE, done_by_id=actor.id)
    _open_for_roles(
        session,
        complaint,
        HANDLE,
        _handle_roles(complaint),
        _title(complaint, gettext("Handle the complaint and answer the owner")),
        complaint.resolution_due_at,
    )
    return complaint


def pause(session: so.Session, actor: User, complaint: Complaint, reason: str, now: datetime) -> ComplaintPause:
    """Waiting with a reason: the resolution clock stops until resume (the commitment and
    one-month clocks do not)."""
    _require_handler(actor, complaint)
    rules.check_pause_reason(reason)
    reason = _text(reason, "reason", N_("Say what the complaint is waiting for."))
    before = _move(complaint, ComplaintStatus.WAITING)
    wait = ComplaintPause(
        project_id=complaint.project_id,
        complaint_id=complaint.id,
        started_at=now,
        reason=reason,
        started_by_id=actor.id,
    )
    complaint.pauses.append(wait)
    session.add(wait)
    audit.record(
        session,
        complaint,
        "complaint_paused",
        actor_id=actor.id,
        from_state=before,
        to_state=complaint.status,
        note=reason[:500],
    )
    return wait


def resume(session: so.Session, actor: User, complaint: Complaint, now: datetime) -> Complaint:
    """The wait ends; the resolution due moment moves by the time spent waiting."""
    _require_handler(actor, complaint)
    before = _move(complaint, ComplaintStatus.IN_PROGRESS)
    due_before = complaint.resolution_due_at
    for wait in complaint.pauses:
        if wait.ended_at is None:
            wait.ended_at = now
            wait.ended_by_id = actor.id
    _recompute_resolution_due(complaint, now)
    audit.record(
        session,
        complaint,
        "complaint_resumed",
        actor_id=actor.id,
        from_state=before,
        to_state=complaint.status,
        changes={"resolution_due_at": [due_before.isoformat(), complaint.resolution_due_at.isoformat()]},
    )
    notify.close_work(session, entity=complaint, kind=HANDLE, done_by_id=actor.id)
    _open_for_roles(
        session,
        complaint,
        HANDLE,
        _handle_roles(complaint),
        _title(complaint, gettext("Handle the complaint and answer the owner")),
        complaint.resolution_due_at,
    )
    return complaint


# ---------------------------------------------------------------------------- CMP-05 extensions


def request_extension(
    session: so.Session, actor: User, complaint: Complaint, requested_due: datetime | None, reason: str, now: datetime
) -> ExtensionRequest:
    """The handler asks for more time; the PM (minor) or the GM (important) decides."""
    _require_handler(actor, complaint)
    if complaint.status not in rules.OPEN_STATUSES or complaint.status == ComplaintStatus.AWAITING_CALLBACK:
        raise RuleViolation(N_("This complaint is no longer being handled."))
    if requested_due is None:
        raise RuleViolation(N_("Set the new time limit."), field="requested_due")
    if any(e.decision is None for e in complaint.extensions):
        raise RuleViolation(N_("A request for more time is already waiting for a decision."), field="requested_due")
    current = current_resolution_due(complaint, now)
    rules.check_extension_request(complaint.complaint_class, current, requested_due, reason)
    request = ExtensionRequest(
        project_id=complaint.project_id,
        complaint_id=complaint.id,
        current_due_at=current,
        requested_due_at=requested_due,
        reason=_text(reason, "reason", N_("Give the reason for more time.")),
        requested_by_id=actor.id,
        requested_at=now,
    )
    complaint.extensions.append(request)
    session.add(request)
    audit.record(
        session,
        complaint,
        "complaint_extension_requested",
        actor_id=actor.id,
        from_state=complaint.status,
        to_state=complaint.status,
        note=request.reason[:500],
    )
    approver = rules.extension_approver(complaint.complaint_class)
    _open_for_roles(
        session,
        complaint,
        EXTENSION,
        [approver],
        _title(complaint, gettext("Decide on a request for more time")),
        current,
    )
    return request


def decide_extension(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    request: ExtensionRequest,
    approved: bool,
    note: str | None,
    now: datetime,
) -> ExtensionRequest:
    """CMP-05: the clock moves only when approved; approvals and refusals are both kept."""
    approver = rules.extension_approver(complaint.complaint_class)
    if (
        approver is None
        or not is_allowed(actor.grants, Permission.APPROVE_EXTENSION, complaint.project_id)
        or not _holds_role(actor, [approver], complaint.project_id)
    ):
        raise NotPermitted()
    if request.complaint_id != complaint.id or request.decision is not None:
        raise RuleViolation(N_("This request has already been decided."))
    note = _text(note, "note", None if approved else N_("Say why more time is refused."))
    due_before = complaint.resolution_due_at
    request.decision = "approved" if approved else "refused"
    request.decided_by_id = actor.id
    request.decided_at = now
    request.note = note
    added = rules.extension_length(request.current_due_at, request.requested_due_at, approved)
    # rounded up: the clock started at a moment with seconds, the approver saw a whole
    # minute; truncating would put the due moment just before that minute (08:59 for 09:00)
    complaint.extension_seconds = (complaint.extension_seconds or 0) + math.ceil(added.total_seconds())
    _recompute_resolution_due(complaint, now)
    audit.record(
        session,
        complaint,
        "complaint_extension_approved" if approved else "complaint_extension_refused",
        actor_id=actor.id,
        from_state=complaint.status,
        to_state=complaint.status,
        note=note,
        changes={"resolution_due_at": [due_before.isoformat(), complaint.resolution_due_at.isoformat()]},
    )
    notify.close_work(session, entity=complaint, kind=EXTENSION, done_by_id=actor.id)
    if approved:
        for item in _open_items(session, complaint, HANDLE):
            item.due_at = complaint.resolution_due_at
    notify.notify(
        session,
        [request.requested_by_id],
        project_id=complaint.project_id,
        title=_title(
            complaint, gettext("More time approved") if approved else gettext("More time refused")
        ),
        body=note,
        link=_link(complaint),
    )
    return request


def _open_items(session, complaint: Complaint, kind: str):
    from webapp.core.models import WorkItem

    return session.scalars(
        sa.select(WorkItem).where(
            WorkItem.entity_type == Complaint.__tablename__,
            WorkItem.entity_id == complaint.id,
            WorkItem.kind == kind,
            WorkItem.done_at.is_(None),
        )
    ).all()


# ---------------------------------------------------------------------------- answer and resolution


def answer_owner(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    answer: str,
    now: datetime,
    *,
    resolved: bool = True,
    measures: str | None = None,
    cause: str | None = None,
    responsible_person: str | None = None,
    supervisor_apologised: bool = False,
    criticised: bool = False,
    utility_follow_up: str | None = None,
) -> Complaint:
    """The answer to the owner (major: stops the 2-day clock). `resolved` (default) also
    completes the handling, which stops the minor/important clock and waits for the
    call-back; otherwise the complaint stays answered while work goes on. Completing
    needs what RCP-05 asks on record (_record_findings)."""
    _require_handler(actor, complaint)
    answer = _text(answer, "answer", N_("Write down the answer given to the owner."))
    before = _move(complaint, ComplaintStatus.ANSWERED)
    if resolved:
        rules.check_transition(ComplaintStatus.ANSWERED, ComplaintStatus.AWAITING_CALLBACK, complaint.complaint_class)
    complaint.answer = answer
    complaint.answered_at = now
    _record_findings(
        complaint, now, complete=resolved, measures=measures, cause=cause, responsible_person=responsible_person,
        supervisor_apologised=supervisor_apologised, criticised=criticised, utility_follow_up=utility_follow_up,
    )
    notify.close_work(session, entity=complaint, kind=HANDLE, done_by_id=actor.id)
    if resolved:
        _finish_handling(complaint, now)
    audit.record(
        session,
        complaint,
        "complaint_answered",
        actor_id=actor.id,
        from_state=before,
        to_state=complaint.status,
        note=answer[:500],
    )
    if resolved:
        _open_callback(session, complaint)
    else:
        _open_for_roles(
            session,
            complaint,
            HANDLE,
            _handle_roles(complaint),
            _title(complaint, gettext("Complete the handling of the answered complaint")),
            None,
        )
    return complaint


def resolve(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    measures: str | None,
    now: datetime,
    *,
    cause: str | None = None,
    responsible_person: str | None = None,
    supervisor_apologised: bool = False,
    criticised: bool = False,
    utility_follow_up: str | None = None,
) -> Complaint:
    """An answered complaint's handling is complete: on to the call-back. What RCP-05
    asks on record may be added now (_record_findings)."""
    _require_handler(actor, complaint)
    before = _move(complaint, ComplaintStatus.AWAITING_CALLBACK)
    _record_findings(
        complaint, now, complete=True, measures=measures, cause=cause, responsible_person=responsible_person,
        supervisor_apologised=supervisor_apologised, criticised=criticised, utility_follow_up=utility_follow_up,
    )
    _finish_handling(complaint, now)
    audit.record(
        session, complaint, "complaint_resolved", actor_id=actor.id, from_state=before, to_state=complaint.status
    )
    notify.close_work(session, entity=complaint, kind=HANDLE, done_by_id=actor.id)
    _open_callback(session, complaint)
    return complaint


def _record_findings(
    complaint: Complaint,
    now: datetime,
    *,
    complete: bool,
    measures: str | None,
    cause: str | None,
    responsible_person: str | None,
    supervisor_apologised: bool,
    criticised: bool,
    utility_follow_up: str | None,
) -> None:
    """What the handler found and did (篇3 §4.7 c–e), added to what is on record (an empty
    field keeps the earlier value); `complete`: the handling ends now, so RCP-05's
    findings must all be there (rules.check_handling_complete)."""
    complaint.measures = _text(measures, "measures", None) or complaint.measures
    complaint.cause = _text(cause, "cause", None, 200) or complaint.cause
    complaint.responsible_person = _text(responsible_person, "responsible_person", None, 100) or complaint.responsible_person
    if supervisor_apologised and complaint.supervisor_apologised_at is None:
        complaint.supervisor_apologised_at = now
    complaint.criticised = complaint.criticised or bool(criticised)
    complaint.utility_follow_up = _text(utility_follow_up, "utility_follow_up", None) or complaint.utility_follow_up
    if complete:
        rules.check_handling_complete(
            complaint.complaint_class,
            municipal_cause=complaint.municipal_cause,
            utility_follow_up=complaint.utility_follow_up,
            cause=complaint.cause,
            responsible_person=complaint.responsible_person,
            supervisor_apology_required=complaint.supervisor_apology_required,
            supervisor_apologised=complaint.supervisor_apologised_at is not None,
        )


def _finish_handling(complaint: Complaint, now: datetime) -> None:
    complaint.status = ComplaintStatus.AWAITING_CALLBACK.value
    complaint.resolved_at = now


def _open_callback(session, complaint: Complaint) -> None:
    """CMP-07: the desk calls back; a serious case criticised in a notice, a leader (RCP-05)."""
    _open_for_roles(
        session,
        complaint,
        CALLBACK,
        rules.callback_roles(complaint.criticised, DESK_ROLES),
        _title(complaint, gettext("Call the owner back")),
        None,
    )


def record_invalid_handling(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    now: datetime,
    *,
    explanation: str | None = None,
    forwarded_to: str | None = None,
    reply: str | None = None,
) -> Complaint:
    """CMP-06: the explanation, the forwarding to the developer or the agency concerned,
    and the reply to the owner (within 3 days). Each call advances as far as what is
    recorded allows (explained → forwarded → answered → awaiting call-back); one event."""
    if complaint.complaint_class != ComplaintClass.INVALID:
        raise RuleViolation(N_("Only an invalid complaint is handled this way."))
    if not (
        may_handle(actor.grants, complaint)
        or is_allowed(actor.grants, Permission.RECORD_COMPLAINT, complaint.project_id)
    ):
        raise NotPermitted()
    before = complaint.status
    explanation = _text(explanation, "explanation", None)
    forwarded_to = _text(forwarded_to, "forwarded_to", None, 200)
    reply = _text(reply, "reply", None)
    if complaint.status == ComplaintStatus.COMMITTED:
        if not explanation:
            raise RuleViolation(N_("Write down the explanation given to the owner."), field="explanation")
        _move(complaint, ComplaintStatus.EXPLAINED)
        complaint.explanation = explanation
    if complaint.status == ComplaintStatus.EXPLAINED and forwarded_to:
        _move(complaint, ComplaintStatus.FORWARDED)
        complaint.forwarded_to = forwarded_to
        complaint.forwarded_at = now
    if complaint.status == ComplaintStatus.FORWARDED and reply:
        _move(complaint, ComplaintStatus.ANSWERED)
        rules.check_transition(ComplaintStatus.ANSWERED, ComplaintStatus.AWAITING_CALLBACK, complaint.complaint_class)
        complaint.answer = reply
        complaint.answered_at = now
        _finish_handling(complaint, now)
    if complaint.status == before:
        if complaint.status == ComplaintStatus.EXPLAINED:
            raise RuleViolation(N_("Say to whom the complaint was forwarded."), field="forwarded_to")
        if complaint.status == ComplaintStatus.FORWARDED:
            raise RuleViolation(N_("Write down the reply given to the owner."), field="reply")
        rules.check_transition(before, ComplaintStatus.EXPLAINED, complaint.complaint_class)
    audit.record(
        session,
        complaint,
        "complaint_invalid_handled",
        actor_id=actor.id,
        from_state=before,
        to_state=complaint.status,
        note=(reply or forwarded_to or explanation or "")[:500] or None,
    )
    if complaint.status == ComplaintStatus.AWAITING_CALLBACK:
        notify.close_work(session, entity=complaint, kind=HANDLE, done_by_id=actor.id)
        _open_callback(session, complaint)
    return complaint


# ---------------------------------------------------------------------------- CMP-07 call-back


def record_callback(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    method: str,
    satisfaction: str,
    comment: str | None,
    now: datetime,
) -> ComplaintCallback:
    """The call-back with the owner's satisfaction closes the complaint; nothing else does."""
    if not (
        is_allowed(actor.grants, Permission.RECORD_COMPLAINT, complaint.project_id)
        or may_handle(actor.grants, complaint)
    ):
        raise NotPermitted()
    rules.check_callback_caller(complaint.criticised, _roles_in(actor, complaint.project_id))
    if method not in ("visit", "phone"):
        raise RuleViolation(N_("Choose a visit or a phone call."), field="method")
    if satisfaction not in {s.value for s in rules.Satisfaction}:
        raise RuleViolation(N_("Choose how satisfied the owner is."), field="satisfaction")
    comment = _text(comment, "comment", None)
    before = _move(complaint, ComplaintStatus.CLOSED)
    callback = ComplaintCallback(
        project_id=complaint.project_id,
        complaint_id=complaint.id,
        method=method,
        satisfaction=satisfaction,
        comment=comment,
        called_by_id=actor.id,
        called_at=now,
    )
    complaint.callbacks.append(callback)
    session.add(callback)
    complaint.closed_at = now
    audit.record(
        session,
        complaint,
        "complaint_called_back",
        actor_id=actor.id,
        from_state=before,
        to_state=complaint.status,
        note=comment[:500] if comment else None,
        changes={"satisfaction": [None, satisfaction]},
    )
    notify.close_work(session, entity=complaint, done_by_id=actor.id)
    return callback


# ---------------------------------------------------------------------------- CMP-09 CAPA


def record_corrective_action(
    session: so.Session,
    actor: User,
    capa: CorrectiveAction,
    *,
    root_cause: str,
    correction: str,
    preventive_action: str,
    owner_user_id: int | None,
    due_on: date | None,
    now: datetime,
) -> CorrectiveAction:
    complaint = capa.complaint
    if not (may_handle(actor.grants, complaint) or _holds_role(actor, [Role.QA.value, Role.GM.value], capa.project_id)):
        raise NotPermitted()
    if capa.verified_at is not None:
        raise RuleViolation(N_("This action has already been verified."))
    capa.root_cause = _text(root_cause, "root_cause", N_("Write down the root cause."))
    capa.correction = _text(correction, "correction", N_("Write down the immediate correction."))
    capa.preventive_action = _text(preventive_action, "preventive_action", N_("Write down the preventive action."))
    if owner_user_id is None or session.get(User, owner_user_id) is None:
        raise RuleViolation(N_("Choose who owns the preventive action."), field="owner_user_id")
    if due_on is None:
        raise RuleViolation(N_("Set the due date of the preventive action."), field="due_on")
    capa.owner_user_id = owner_user_id
    capa.due_on = due_on
    capa.recorded_by_id = actor.id
    capa.recorded_at = now
    audit.record(
        session,
        complaint,
        "capa_recorded",
        actor_id=actor.id,
        from_state=complaint.status,
        to_state=complaint.status,
        note=capa.preventive_action[:500],
    )
    return capa


def verify_corrective_action(
    session: so.Session, actor: User, capa: CorrectiveAction, effective: bool, note: str | None, now: datetime
) -> CorrectiveAction:
    """QA's verification; an effective action leaves QA's work, an ineffective one stays."""
    _require(actor, Permission.VERIFY_CAPA, capa.project_id)
    if capa.recorded_at is None:
        raise RuleViolation(N_("The action must be recorded before it is verified."))
    note = _text(note, "note", None if effective else N_("Say why the action did not work."))
    capa.verification = "effective" if effective else "not_effective"
    capa.verification_note = note
    capa.verified_by_id = actor.id
    capa.verified_at = now
    complaint = capa.complaint
    audit.record(
        session,
        complaint,
        "capa_verified",
        actor_id=actor.id,
        from_state=complaint.status,
        to_state=complaint.status,
        note=note,
        changes={"verification": [None, capa.verification]},
    )
    if effective:
        notify.close_work(session, entity=capa, kind=CAPA, done_by_id=actor.id)
    else:
        capa.recorded_at = None
        capa.verified_at = None
    return capa


# ---------------------------------------------------------------------------- the sweep (CMP-02 c, CMP-08)


def _locked(query):
    """Rows another sweep holds are skipped, not waited for (PostgreSQL; SQLite ignores it)."""
    return query.with_for_update(skip_locked=True, of=Complaint)


def upgrade_overdue(session: so.Session, now: datetime) -> list[Complaint]:
    """CMP-02 c: valid non-major complaints unresolved past one month become major, with the
    reason recorded, the major escalation to QA and the GM started and a CAPA opened."""
    candidates = session.scalars(
        _locked(
            sa.select(Complaint)
            .where(
                Complaint.complaint_class.in_([ComplaintClass.IMPORTANT.value, ComplaintClass.MINOR.value]),
                Complaint.status != ComplaintStatus.CLOSED.value,
                Complaint.resolved_at.is_(None),
                Complaint.received_at < now - timedelta(days=27),
            )
            .order_by(Complaint.id)
        ).execution_options(all_projects=True)
    ).all()
    upgraded = []
    for complaint in candidates:
        if not rules.needs_upgrade_to_major(complaint.complaint_class, complaint.received_at, complaint.resolved_at, now):
            continue
        before_class = complaint.complaint_class
        complaint.complaint_class = ComplaintClass.MAJOR.value
        complaint.major_grounds = ",".join(sorted(set(complaint.grounds) | {rules.MajorGround.UNRESOLVED_ONE_MONTH.value}))
        complaint.upgraded_at = now
        complaint.upgrade_reason = UPGRADE_REASON_CODE
        complaint.extension_seconds = 0
        _recompute_resolution_due(complaint, now)
        audit.record(
            session,
            complaint,
            "complaint_upgraded",
            actor_id=None,
            from_state=complaint.status,
            to_state=complaint.status,
            note=UPGRADE_REASON_CODE,
            changes={"complaint_class": [before_class, ComplaintClass.MAJOR.value]},
        )
        _start_major_escalation(
            session, complaint, now, N_("Upgraded to major: not resolved within one month"), "upgraded", None
        )
        upgraded.append(complaint)
    return upgraded


_BREACH_TITLES = {
    rules.Clock.COMMITMENT: N_("Overdue: the complaint was not taken into handling in time"),
    rules.Clock.HANDLING_START: N_("Overdue: handling of the complaint has not started"),
    rules.Clock.RESOLUTION: N_("Overdue: the complaint was not resolved in time"),
}


def _breach_roles(complaint: Complaint, clock: rules.Clock) -> tuple[str, ...]:
    if clock is rules.Clock.COMMITMENT:
        return (*rules.commitment_recipients(complaint.complaint_class), Role.CS_SUPERVISOR.value)
    return (*_handle_roles(complaint), Role.CS_SUPERVISOR.value)


def notify_breaches(session: so.Session, now: datetime) -> int:
    """CMP-08: everyone responsible for an overdue clock is told once per breach, however
    often the sweep runs (rules.dedupe_key; an approved extension is a new breach)."""
    open_statuses = [s.value for s in rules.OPEN_STATUSES]
    candidates = session.scalars(
        _locked(
            sa.select(Complaint)
            .where(
                Complaint.status.in_(open_statuses),
                sa.or_(
                    sa.and_(Complaint.commitment_done_at.is_(None), Complaint.commitment_due_at < now),
                    sa.and_(Complaint.handling_started_at.is_(None), Complaint.handling_start_due_at < now),
                    Complaint.resolution_due_at < now,
                ),
            )
            .order_by(Complaint.id)
        ).execution_options(all_projects=True)
    ).all()
    sent = 0
    for complaint in candidates:
        waiting = complaint.status == ComplaintStatus.WAITING
        found = rules.breaches(
            now,
            commitment_due=complaint.commitment_due_at,
            commitment_done_at=complaint.commitment_done_at,
            resolution_due=current_resolution_due(complaint, now),
            resolution_done_at=resolution_done_at(complaint) or (now if waiting else None),
            handling_start_due=complaint.handling_start_due_at,
            handling_started_at=complaint.handling_started_at,
        )
        for breach in found:
            roles = _breach_roles(complaint, breach.clock)
            user_ids: set[int] = set()
            for role, department_id in _audience(complaint, roles):
                user_ids.update(_users_with_roles(session, complaint.project_id, [role], department_id))
            created = notify.notify(
                session,
                user_ids,
                project_id=complaint.project_id,
                title=_title(complaint, gettext(_BREACH_TITLES[breach.clock])),
                body=complaint.description[:200],
                link=_link(complaint),
                dedupe_key=rules.dedupe_key(complaint.id, breach.clock, breach.due_at),
            )
            sent += len(created)
            _tell_group(
                session,
                complaint,
                _BREACH_TITLES[breach.clock],
                breach.due_at,
                rules.dedupe_key(complaint.id, breach.clock, breach.due_at),
            )
    return sent


# ---------------------------------------------------------------------------- CMP-02 a/b marked by staff

#: what the server records as the one-month upgrade's reason (upgrade_reason and the audit
#: note): a code, shown in the reader's language with the dates of rules.upgrade_reason()
UPGRADE_REASON_CODE = rules.MajorGround.UNRESOLVED_ONE_MONTH.value
#: who may mark the major grounds after reception (篇4 §4.2.2; QA follows complaints, §3.5)
MARK_MAJOR_ROLES = (Role.PM.value, Role.QA.value, Role.GM.value)

audit.ACTION_LABELS.setdefault("complaint_marked_major", N_("marked the major grounds"))
audit.FIELD_LABELS.setdefault("major_grounds", N_("Major grounds"))
audit.FIELD_LABELS.setdefault("verification", N_("Verification"))


def may_mark_major(actor: User, complaint: Complaint) -> bool:
    return _holds_role(actor, MARK_MAJOR_ROLES, complaint.project_id)


def _start_major_escalation(
    session, complaint: Complaint, now: datetime, what: str, key: str, actor_id: int | None
) -> None:
    """A complaint became major after its reception (the server's one-month upgrade, or
    staff marking grounds a/b): QA and the GM take it up the same day (CMP-04, as at
    reception), the project's group chat hears of it, requests for more time lapse (a
    major complaint's limit is not extended, CMP-05) and the corrective and preventive
    action opens (CMP-09). `what`: the msgid of the work item's title; `key`: what makes
    the group message unique for this complaint."""
    due = rules.commitment_due(ComplaintClass.MAJOR, now)
    notify.close_work(session, entity=complaint, kind=EXTENSION, done_by_id=actor_id)
    _open_for_roles(
        session,
        complaint,
        ESCALATION,
        rules.commitment_recipients(ComplaintClass.MAJOR),
        _title(complaint, gettext(what)),
        due,
    )
    _tell_group(session, complaint, what, due, f"complaint:{complaint.id}:{key}")
    _open_capa(session, complaint, now)


def mark_major(
    session: so.Session,
    actor: User,
    complaint: Complaint,
    grounds: list[str] | str,
    note: str | None,
    now: datetime,
) -> Complaint:
    """CMP-02 a/b found after reception: the PM, QA or the GM marks the grounds of an open
    valid complaint. A complaint not yet major becomes major:

    * the clocks follow the major class from reception on (CMP-04/05): the hand-over due
      the same day if it has not happened, no separate start of handling, a clear answer
      within 2 days of reception plus the time spent waiting, and no extension (approved
      ones lapse). Unlike the server's one-month upgrade the answer clock does not
      restart: the grounds were there when the owner complained, and whoever marks them
      late sees the complaint overdue, as it is;
    * the major escalation starts and the CAPA opens (_start_major_escalation).

    On a complaint already major only the grounds change. The server's ground (c) stays.
    One audit event with what changed."""
    if not may_mark_major(actor, complaint):
        raise NotPermitted()
    if complaint.complaint_class == ComplaintClass.INVALID:
        raise RuleViolation(N_("An invalid complaint has no major grounds."))
    if complaint.status == ComplaintStatus.CLOSED:
        raise RuleViolation(N_("This complaint is closed."))
    chosen = _grounds({"major_grounds": grounds})
    if any(g not in rules.STAFF_MAJOR_GROUNDS for g in chosen):
        raise RuleViolation(N_("Choose the grounds from the list."), field="major_grounds")
    server_grounds = {g for g in complaint.grounds if g not in rules.STAFF_MAJOR_GROUNDS}
    marked = sorted(set(chosen) | server_grounds)
    if not marked:
        raise RuleViolation(N_("Mark why the complaint is major."), field="major_grounds")
    upgrading = complaint.complaint_class != ComplaintClass.MAJOR
    if not upgrading and marked == sorted(complaint.grounds):
        raise RuleViolation(N_("These grounds are already marked."), field="major_grounds")
    rules.check_classification(ComplaintClass.MAJOR, None, marked, by_server=True)
    note = _text(note, "note", None, 500)
    changes: dict[str, list] = {"major_grounds": [complaint.major_grounds, ",".join(marked)]}
    complaint.major_grounds = ",".join(marked)
    if upgrading:
        changes["complaint_class"] = [complaint.complaint_class, ComplaintClass.MAJOR.value]
        due_before = complaint.resolution_due_at
        complaint.complaint_class = ComplaintClass.MAJOR.value
        complaint.extension_seconds = 0
        if complaint.commitment_done_at is None:
            complaint.commitment_due_at = rules.commitment_due(ComplaintClass.MAJOR, complaint.received_at)
        if complaint.handling_started_at is None:
            complaint.handling_start_due_at = rules.handling_start_due(ComplaintClass.MAJOR, complaint.received_at)
        _recompute_resolution_due(complaint, now)
        if complaint.resolution_due_at != due_before:
            changes["resolution_due_at"] = [due_before.isoformat(), complaint.resolution_due_at.isoformat()]
    audit.record(
        session,
        complaint,
        "complaint_marked_major",
        actor_id=actor.id,
        from_state=complaint.status,
        to_state=complaint.status,
        note=note,
        changes=changes,
    )
    if upgrading:
        for item in _open_items(session, complaint, COMMIT):
            item.due_at = complaint.commitment_due_at
        for item in _open_items(session, complaint, HANDLE):
            if item.due_at is not None:  # work after an interim answer has no due moment
                item.due_at = complaint.resolution_due_at
        _start_major_escalation(
            session, complaint, now, N_("Marked major: take it up today"), "marked_major", actor.id
        )
    return complaint
