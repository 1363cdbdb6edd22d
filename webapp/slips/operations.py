"""What people do with a slip (篇2): file, receive and assign, record measures, report
done, verify, escalate, call back, withdraw.

Each verb takes the session, the acting user and `now`; checks the actor may act in the
slip's project (NotPermitted otherwise) and that the rules allow the step (RuleViolation);
changes the slip; writes exactly one audit event with the status before and after; and
moves the work items and notifications of the people who must act next. The caller
commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, url_for

from webapp.core import audit, idempotency, notify
from webapp.core.i18n import gettext
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.estate.models import Facility, Occupancy, Owner, Unit
from webapp.org.access import NotPermitted
from webapp.org.access import check as _require
from webapp.org.models import Department, Project, User
from webapp.org.queries import users_with_roles as _users_with_roles
from webapp.org.rules import (
    DESK_ROLES,
    Permission,
    Role,
    is_allowed_for_department,
)
from webapp.slips import rules
from webapp.slips.models import RectificationRound, Slip, SlipCallback
from webapp.slips.rules import SlipStatus

#: work item kinds, one per duty
DESK = "slip_desk"
RECTIFY = "slip_rectify"
VERIFY = "slip_verify"
CALLBACK = "slip_callback"
ESCALATION = "slip_escalation"


MAX_DESCRIPTION = 2000
MAX_TEXT = 2000

audit.ACTION_LABELS.update(
    {
        "slip_filed": N_("filed the slip"),
        "slip_received": N_("received the slip and assigned it"),
        "slip_measures": N_("recorded measures"),
        "slip_done": N_("reported the rectification done"),
        "slip_verified": N_("verified on site: passed"),
        "slip_verification_failed": N_("verified on site: not passed"),
        "slip_escalated": N_("escalated to the project manager"),
        "slip_called_back": N_("called the owner back"),
        "slip_withdrawn": N_("withdrew the slip"),
    }
)
audit.FIELD_LABELS.setdefault("satisfied", N_("Owner satisfied"))


# ---------------------------------------------------------------------------- helpers


def _link(slip: Slip) -> str:
    if has_request_context():
        return url_for("slips.detail", slip_id=slip.id)
    return f"/slips/{slip.id}"


def may_rectify(grants, slip: Slip) -> bool:
    """The supervisor of the responsible department, or a project-wide role holding
    RECTIFY_SLIP (PM, PM assistant: escalations reach them), or a company role."""
    return is_allowed_for_department(grants, Permission.RECTIFY_SLIP, slip.project_id, slip.responsible_department_id)


def _require_rectifier(actor: User, slip: Slip) -> None:
    if not may_rectify(actor.grants, slip):
        raise NotPermitted()


def _move(slip: Slip, target: SlipStatus) -> str:
    before = slip.status
    rules.check_transition(before, target)
    slip.status = target.value
    return before


def _text(value: str | None, field: str, required_message: str, limit: int = MAX_TEXT) -> str:
    return clean_text(value, field, required_message, limit)


def _title(slip: Slip, text: str) -> str:
    return f"{slip.number} · {text}"[:200]


def _open_for_roles(session, slip: Slip, kind: str, roles, title: str, due_at, department_id=None) -> None:
    for role in roles:
        notify.open_work(
            session,
            project_id=slip.project_id,
            kind=kind,
            title=title,
            link=_link(slip),
            entity=slip,
            assignee_role=role,
            department_id=department_id,
            due_at=due_at,
        )
    notify.notify(
        session,
        _users_with_roles(session, slip.project_id, roles, department_id),
        project_id=slip.project_id,
        title=title,
        body=slip.description[:200],
        link=_link(slip),
    )


def _latest_round(slip: Slip) -> RectificationRound | None:
    return slip.rounds[-1] if slip.rounds else None


def filer_department_id(actor: User, project_id: int) -> int | None:
    """SLIP-01: the department comes from the login (the actor's department grant there)."""
    for _, grant_project, department_id in actor.grants:
        if grant_project == project_id and department_id is not None:
            return department_id
    return None


# ---------------------------------------------------------------------------- filing


def _one_in_project(session: so.Session, model, record_id: int | None, project_id: int, field: str):
    if record_id is None:
        return None
    found = session.scalar(sa.select(model).where(model.id == record_id, model.project_id == project_id))
    if found is None:
        raise RuleViolation(N_("Not found in this project."), field=field)
    return found


def fingerprint(values: dict[str, Any]) -> str:
    """What makes two submissions the same slip: everything typed and chosen, plus the
    photo sizes; not the capture time (a second tap may carry a later one)."""
    return idempotency.fingerprint({k: v for k, v in values.items() if k != "captured_at"})


def file_slip(
    session: so.Session,
    actor: User,
    project: Project,
    values: dict[str, Any],
    now: datetime,
    submission_key: str | None,
) -> tuple[Slip, bool]:
    """SLIP-01/02: file a slip; a repeat of `submission_key` returns the first one.

    `values`: category, urgent, description, source, place_text, latitude, longitude,
    accuracy_m, facility_id, unit_id, owner_id, owner_contact, about_service_quality,
    captured_at (aware datetime or None) and photo_sizes (for the fingerprint only).
    """
    _require(actor, Permission.FILE_SLIP, project.id)
    body = fingerprint(values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(Slip, earlier.entity_id), False

    try:
        category = rules.SlipCategory(values.get("category") or "")
    except ValueError:
        raise RuleViolation(N_("Choose a category."), field="category") from None
    try:
        source = rules.SlipSource(values.get("source") or rules.SlipSource.SEEN_ON_SITE)
    except ValueError:
        raise RuleViolation(N_("Choose where the problem came from."), field="source") from None
    description = _text(values.get("description"), "description", N_("Say what is wrong in a few words."), MAX_DESCRIPTION)
    place_text = (values.get("place_text") or "").strip() or None
    facility = _one_in_project(session, Facility, values.get("facility_id"), project.id, "facility_id")
    latitude, longitude = values.get("latitude"), values.get("longitude")
    rules.check_place(facility.id if facility else None, latitude, longitude, place_text)
    unit_id = owner_id = owner_contact = None
    if source is rules.SlipSource.OWNER:
        unit_id, owner_id = values.get("unit_id"), values.get("owner_id")
        owner_contact = (values.get("owner_contact") or "").strip() or None
        _one_in_project(session, Unit, unit_id, project.id, "unit_id")
        owner = _one_in_project(session, Owner, owner_id, project.id, "owner_id")
        owner_units = None
        if owner is not None:
            owner_units = set(session.scalars(sa.select(Occupancy.unit_id).where(Occupancy.owner_id == owner.id)))
        try:
            rules.check_owner_details(source, owner_id, unit_id, owner_contact, owner_unit_ids=owner_units)
        except RuleViolation as exc:
            exc.field = {"unit": "unit_id", "owner": "owner_id"}.get(exc.field, exc.field)
            raise
    captured_at = rules.accepted_capture_time(values.get("captured_at"), now)
    about_service = bool(values.get("about_service_quality")) or category is rules.SlipCategory.SERVICE_QUALITY

    slip = Slip(
        project_id=project.id,
        number=next_number(session, project_id=project.id, project_code=project.code, series="XD", at=now),
        status=SlipStatus.FILED.value,
        urgent=bool(values.get("urgent")),
        category=category.value,
        source=source.value,
        about_service_quality=about_service,
        description=description,
        filed_by_id=actor.id,
        filer_department_id=filer_department_id(actor, project.id),
        captured_at=captured_at,
        filed_at=now,
        facility_id=facility.id if facility else None,
        place_text=place_text,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=values.get("accuracy_m") if latitude is not None else None,
        unit_id=unit_id,
        owner_id=owner_id,
        owner_contact=owner_contact,
    )
    session.add(slip)
    session.flush()
    audit.record(session, slip, "slip_filed", actor_id=actor.id, to_state=slip.status)
    due = rules.desk_due(now, slip.urgent)
    if slip.urgent:
        title = _title(slip, gettext("Urgent slip: receive within 15 minutes"))
    else:
        title = _title(slip, gettext("New slip: collect today"))
    _open_for_roles(session, slip, DESK, DESK_ROLES, title, due)
    if slip.urgent:
        from webapp.slips.forms import CATEGORY_LABELS

        # APP-04: an urgent slip reaches the project's group chat too
        notify.tell_group(
            session,
            project_id=slip.project_id,
            number=slip.number,
            what=N_("Urgent slip: receive within 15 minutes"),
            facts=[
                (N_("Category"), CATEGORY_LABELS[category]),
                (N_("Due by"), due),
                (N_("Place"), facility.name if facility else place_text),
            ],
            link=_link(slip),
            dedupe_key=f"slip:{slip.id}:urgent",
        )
    idempotency.remember(session, submission_key, actor.id, slip, body)
    return slip, True


# ---------------------------------------------------------------------------- the desk


def receive_and_assign(
    session: so.Session,
    actor: User,
    slip: Slip,
    department_id: int | None,
    now: datetime,
    cs_inspects: bool = False,
) -> Slip:
    """SLIP-03: the desk receives the slip (the desk clock stops) and hands it to the
    responsible department's supervisor; rectification is due the same day (SLIP-04)."""
    _require(actor, Permission.WORK_SLIP_DESK, slip.project_id)
    department = _one_in_project(session, Department, department_id, slip.project_id, "department_id")
    if department is None:
        raise RuleViolation(N_("Choose the responsible department."), field="department_id")
    before = _move(slip, SlipStatus.ASSIGNED)
    slip.received_at = now
    slip.received_by_id = actor.id
    slip.responsible_department_id = department.id
    slip.rectification_due_at = rules.rectification_due(now)
    note = department.name
    if cs_inspects:
        note += " · " + gettext("CS inspects on site with the department")
    audit.record(session, slip, "slip_received", actor_id=actor.id, from_state=before, to_state=slip.status, note=note)
    notify.close_work(session, entity=slip, kind=DESK, done_by_id=actor.id)
    _open_for_roles(
        session,
        slip,
        RECTIFY,
        [Role.DEPT_SUPERVISOR.value],
        _title(slip, gettext("Rectify today and record the measures")),
        slip.rectification_due_at,
        department_id=department.id,
    )
    return slip


# ---------------------------------------------------------------------------- the department


def record_measures(
    session: so.Session, actor: User, slip: Slip, who: str, when: datetime | None, how: str, now: datetime
) -> RectificationRound:
    """SLIP-06: who, when and how; each call opens a new round (SLIP-07 keeps them all)."""
    _require_rectifier(actor, slip)
    who = _text(who, "measures_who", N_("Say who takes the measures."), 100)
    if when is None:
        raise RuleViolation(N_("Say when the measures are taken."), field="measures_when")
    how = _text(how, "measures_how", N_("Say how the problem is dealt with."))
    before = _move(slip, SlipStatus.RECTIFYING)
    round_ = RectificationRound(
        project_id=slip.project_id,
        slip_id=slip.id,
        number=len(slip.rounds) + 1,
        measures_who=who,
        measures_when=when,
        measures_how=how,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    slip.rounds.append(round_)
    session.add(round_)
    audit.record(
        session,
        slip,
        "slip_measures",
        actor_id=actor.id,
        from_state=before,
        to_state=slip.status,
        note=f"{who} · {how}"[:500],
    )
    return round_


def report_done(session: so.Session, actor: User, slip: Slip, now: datetime) -> Slip:
    """SLIP-04: the department reports the work done and asks CS to verify on site."""
    _require_rectifier(actor, slip)
    before = _move(slip, SlipStatus.AWAITING_VERIFICATION)
    _latest_round(slip).completed_at = now
    audit.record(session, slip, "slip_done", actor_id=actor.id, from_state=before, to_state=slip.status)
    notify.close_work(session, entity=slip, kind=RECTIFY, done_by_id=actor.id)
    _open_for_roles(session, slip, VERIFY, DESK_ROLES, _title(slip, gettext("Verify the rectification on site")), None)
    return slip


def escalate(session: so.Session, actor: User, slip: Slip, plan: str, new_due: datetime | None, now: datetime) -> Slip:
    """SLIP-05: what cannot be done today goes to the PM with a plan and a new deadline,
    which replaces the rectification deadline; the desk keeps tracking it."""
    _require_rectifier(actor, slip)
    plan = _text(plan, "plan", N_("Write the rectification plan: the steps and who takes them."))
    if new_due is None:
        raise RuleViolation(N_("Set the new deadline."), field="new_due")
    rules.check_escalation_deadline(new_due, now)
    before = _move(slip, SlipStatus.ESCALATED)
    slip.escalated_at = now
    slip.escalation_plan = plan
    slip.rectification_due_at = new_due
    audit.record(
        session, slip, "slip_escalated", actor_id=actor.id, from_state=before, to_state=slip.status, note=plan[:500]
    )
    notify.close_work(session, entity=slip, kind=RECTIFY, done_by_id=actor.id)
    _open_for_roles(
        session,
        slip,
        ESCALATION,
        [Role.PM.value],
        _title(slip, gettext("Escalated slip: follow the rectification plan")),
        new_due,
    )
    _open_for_roles(
        session,
        slip,
        RECTIFY,
        [Role.DEPT_SUPERVISOR.value],
        _title(slip, gettext("Rectify by the new deadline and record the measures")),
        new_due,
        department_id=slip.responsible_department_id,
    )
    return slip


# ---------------------------------------------------------------------------- CS verifies


def verify(session: so.Session, actor: User, slip: Slip, result: str, note: str | None, now: datetime) -> Slip:
    """SLIP-07: pass closes (owner-raised: waits for the call-back, SLIP-08); fail sends
    it back to the department for new measures. The round keeps the result."""
    _require(actor, Permission.VERIFY_SLIP, slip.project_id)
    try:
        outcome = rules.Verification(result or "")
    except ValueError:
        raise RuleViolation(N_("Choose passed or not passed."), field="result") from None
    note = (note or "").strip() or None
    if outcome is rules.Verification.FAIL and not note:
        raise RuleViolation(N_("Say what is still wrong."), field="note")
    target = rules.status_after_verification(outcome, slip.source)
    before = _move(slip, target)
    round_ = _latest_round(slip)
    round_.verification = outcome.value
    round_.verification_note = note
    round_.verified_by_id = actor.id
    round_.verified_at = now
    action = "slip_verified" if outcome is rules.Verification.PASS else "slip_verification_failed"
    audit.record(session, slip, action, actor_id=actor.id, from_state=before, to_state=slip.status, note=note)
    notify.close_work(session, entity=slip, kind=VERIFY, done_by_id=actor.id)
    if target is SlipStatus.ASSIGNED:
        _open_for_roles(
            session,
            slip,
            RECTIFY,
            [Role.DEPT_SUPERVISOR.value],
            _title(slip, gettext("Verification not passed: record new measures")),
            slip.rectification_due_at,
            department_id=slip.responsible_department_id,
        )
    elif target is SlipStatus.AWAITING_CALLBACK:
        _open_for_roles(session, slip, CALLBACK, DESK_ROLES, _title(slip, gettext("Call the owner back")), None)
    else:
        _close(session, actor, slip, now)
    return slip


def record_callback(
    session: so.Session, actor: User, slip: Slip, method: str, owner_response: str, satisfied: bool, now: datetime
) -> SlipCallback:
    """SLIP-08: the owner's response to the visit or call closes the slip."""
    _require(actor, Permission.VERIFY_SLIP, slip.project_id)
    if method not in ("visit", "phone"):
        raise RuleViolation(N_("Choose a visit or a phone call."), field="method")
    response = _text(owner_response, "owner_response", N_("Write down what the owner said."))
    before = _move(slip, SlipStatus.CLOSED)
    callback = SlipCallback(
        project_id=slip.project_id,
        slip_id=slip.id,
        method=method,
        owner_response=response,
        satisfied=bool(satisfied),
        called_by_id=actor.id,
        called_at=now,
    )
    slip.callbacks.append(callback)
    session.add(callback)
    audit.record(
        session,
        slip,
        "slip_called_back",
        actor_id=actor.id,
        from_state=before,
        to_state=slip.status,
        note=response[:500],
        changes={"satisfied": [None, bool(satisfied)]},
    )
    _close(session, actor, slip, now)
    return callback


def withdraw(session: so.Session, actor: User, slip: Slip, now: datetime) -> Slip:
    """Only the filer, only before the desk received it; the slip stays on record."""
    if actor.id != slip.filed_by_id:
        raise NotPermitted()
    before = _move(slip, SlipStatus.WITHDRAWN)
    audit.record(session, slip, "slip_withdrawn", actor_id=actor.id, from_state=before, to_state=slip.status)
    _close(session, actor, slip, now)
    return slip


def _close(session: so.Session, actor: User, slip: Slip, now: datetime) -> None:
    if slip.status == SlipStatus.CLOSED:
        slip.closed_at = now
    notify.close_work(session, entity=slip, done_by_id=actor.id)
