"""What people do with the reception ledger 业主接待记录表 (篇3): log a contact (RCP-01),
route it to its category and follow-up (RCP-02..04), close it out once the follow-up is
done (注销, RCP-08) or discard it, and read the open ledger.

Each verb takes the session, the acting user and `now`; checks the actor may act in the
entry's project (NotPermitted otherwise) and that the rules allow the step
(RuleViolation); writes exactly one audit event with the status before and after. The
caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _gettext

from webapp.core import audit, idempotency, notify
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.estate.models import Occupancy, Owner, Unit
from webapp.org.access import NotPermitted  # noqa: F401  (callers catch it from here)
from webapp.org.access import check as _require
from webapp.org.models import Project, User
from webapp.org.queries import users_with_roles as _users_with_roles
from webapp.org.rules import DESK_ROLES, Permission
from webapp.reception import rules
from webapp.reception.models import ReceptionEntry
from webapp.reception.rules import Category, FollowUp, LedgerStatus

#: work item kind: an entry logged without a category waits for the desk to route it
ROUTE = "reception_route"

audit.ACTION_LABELS.update(
    {
        "reception_logged": N_("logged the owner's contact"),
        "reception_routed": N_("classified the contact and started its follow-up"),
        "reception_closed": N_("closed out the entry"),
        "reception_discarded": N_("discarded the entry"),
    }
)
audit.FIELD_LABELS.setdefault("category", N_("Category"))


def _link(entry: ReceptionEntry) -> str:
    if has_request_context() and "reception.detail" in current_app.view_functions:
        return url_for("reception.detail", entry_id=entry.id)
    return f"/reception/{entry.id}"


def gettext(msgid: str, **params: Any) -> str:
    """Titles in the acting user's language (the msgid outside a request)."""
    if has_request_context():
        return _gettext(msgid, **params)
    return msgid % params if params else msgid


def _in_project(session: so.Session, model, record_id: int | None, project_id: int, field: str):
    if record_id is None:
        return None
    found = session.scalar(sa.select(model).where(model.id == record_id, model.project_id == project_id))
    if found is None:
        raise RuleViolation(N_("Not found in this project."), field=field)
    return found


def _move(entry: ReceptionEntry, target: LedgerStatus) -> str:
    before = entry.status
    rules.check_ledger_transition(before, target)
    entry.status = target.value
    return before


def _choice(enum, value: Any, field: str, message: str):
    try:
        return enum(value or "")
    except ValueError:
        raise RuleViolation(message, field=field) from None


# ---------------------------------------------------------------------------- RCP-01 logging


def log_entry(
    session: so.Session,
    actor: User,
    project: Project,
    values: dict[str, Any],
    now: datetime,
    submission_key: str | None,
) -> tuple[ReceptionEntry, bool]:
    """RCP-01: log an owner's contact; the receiving staff member and the time are the
    actor and `now`. With a category in `values` the entry is routed in the same step
    (the desk's usual case, which needs ROUTE_OWNER_CONTACTS); without one it waits in
    the ledger for the desk. A repeat of `submission_key` returns the first entry.

    `values`: channel, owner_id, unit_id, contact, content, and optionally category and
    follow_up."""
    _require(actor, Permission.LOG_OWNER_CONTACTS, project.id)
    body = idempotency.fingerprint(values)
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(ReceptionEntry, earlier.entity_id), False

    channel = values.get("channel")
    if channel not in {c.value for c in rules.STAFF_CHANNELS}:
        raise RuleViolation(N_("Choose how the owner contacted the centre."), field="channel")
    category = values.get("category") or None
    if category is not None:
        _require(actor, Permission.ROUTE_OWNER_CONTACTS, project.id)
    unit = _in_project(session, Unit, values.get("unit_id"), project.id, "unit")
    owner = _in_project(session, Owner, values.get("owner_id"), project.id, "owner")
    owner_unit_ids = None
    if owner is not None and unit is not None:
        owner_unit_ids = set(session.scalars(sa.select(Occupancy.unit_id).where(Occupancy.owner_id == owner.id)))
    contact = clean_text(values.get("contact"), "contact", None, rules.CONTACT_LIMIT)
    content = rules.check_entry(
        channel,
        values.get("content"),
        owner_id=owner.id if owner else None,
        unit_id=unit.id if unit else None,
        contact=contact,
        owner_unit_ids=owner_unit_ids,
    )
    entry = ReceptionEntry(
        project_id=project.id,
        number=next_number(
            session, project_id=project.id, project_code=project.code, series=rules.REFERENCE_SERIES, at=now
        ),
        channel=channel,
        status=LedgerStatus.NEW.value,
        received_at=now,
        received_by_id=actor.id,
        owner_id=owner.id if owner else None,
        unit_id=unit.id if unit else None,
        contact=contact,
        content=content,
    )
    session.add(entry)
    session.flush()
    audit.record(session, entry, "reception_logged", actor_id=actor.id, to_state=entry.status, note=channel)
    if category is not None:
        classify(session, actor, entry, category, values.get("follow_up") or None, now)
    else:
        _ask_desk_to_route(session, entry)
    idempotency.remember(session, submission_key, actor.id, entry, body)
    return entry, True


def _ask_desk_to_route(session: so.Session, entry: ReceptionEntry) -> None:
    what = gettext("Owner contact: classify it and start its follow-up")
    title = f"{entry.number} · {what}"[:200]
    notify.open_work(
        session,
        project_id=entry.project_id,
        kind=ROUTE,
        title=title,
        link=_link(entry),
        entity=entry,
        assignee_role=DESK_ROLES[0],
    )
    notify.notify(
        session,
        _users_with_roles(session, entry.project_id, DESK_ROLES),
        project_id=entry.project_id,
        title=title,
        link=_link(entry),
        dedupe_key=f"reception:{entry.id}:route",
    )


# ---------------------------------------------------------------------------- RCP-02..04 routing


def classify(
    session: so.Session,
    actor: User,
    entry: ReceptionEntry,
    category: str,
    follow_up: str | None,
    now: datetime,
    *,
    follow_up_record: Any = None,
) -> ReceptionEntry:
    """RCP-02..04: give a new entry its category and the follow-up it starts (the
    category's usual one when none is chosen); `follow_up_record` links the complaint,
    order or slip already started for it."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    category = _choice(Category, category, "category", N_("Choose the category of the contact.")).value
    kind = follow_up or rules.default_follow_up(category).value
    _choice(FollowUp, kind, "follow_up", N_("This category does not start that follow-up."))
    rules.check_route(entry.status, category, kind)
    before = _move(entry, LedgerStatus.OPEN)
    entry.category = category
    entry.follow_up = kind
    entry.routed_at = now
    entry.routed_by_id = actor.id
    if follow_up_record is not None:
        link_follow_up(entry, follow_up_record)
    audit.record(
        session, entry, "reception_routed", actor_id=actor.id, from_state=before, to_state=entry.status,
        changes={"category": [None, category]}, note=kind,
    )
    notify.close_work(session, entity=entry, kind=ROUTE, done_by_id=actor.id)
    return entry


def link_follow_up(entry: ReceptionEntry, record: Any) -> None:
    """The record the entry's follow-up started (any slice's model with an id)."""
    if record.project_id != entry.project_id:
        raise RuleViolation(N_("Not found in this project."), field="follow_up")
    entry.follow_up_type = record.__tablename__
    entry.follow_up_id = record.id


#: the follow-up records whose status decides closing out, by table name; slices whose
#: follow-ups are not built yet add themselves here
FOLLOW_UP_MODELS: dict[str, str] = {
    "complaints": "webapp.complaints.models:Complaint",
    "service_orders": "webapp.paid_services.models:ServiceOrder",
}


def _follow_up_model(table: str):
    from importlib import import_module

    module, _, name = FOLLOW_UP_MODELS[table].partition(":")
    return getattr(import_module(module), name)


def follow_up_status(session: so.Session, entry: ReceptionEntry) -> str | None:
    """The status of the record the entry started; None while none is linked."""
    if entry.follow_up_type is None or entry.follow_up_id is None or entry.follow_up_type not in FOLLOW_UP_MODELS:
        return None
    model = _follow_up_model(entry.follow_up_type)
    return session.scalar(sa.select(model.status).where(model.id == entry.follow_up_id))


# ---------------------------------------------------------------------------- RCP-08 closing out


def close(session: so.Session, actor: User, entry: ReceptionEntry, note: str | None, now: datetime) -> ReceptionEntry:
    """RCP-08 (§4.11): close out (注销) an entry whose follow-up is done."""
    _require(actor, Permission.CLOSE_OWNER_CONTACTS, entry.project_id)
    rules.check_close(entry.status, entry.follow_up, follow_up_status(session, entry), note)
    before = _move(entry, LedgerStatus.CLOSED)
    entry.closed_at = now
    entry.closed_by_id = actor.id
    entry.closing_note = clean_text(note, "remark", None, rules.REMARK_LIMIT)
    audit.record(
        session, entry, "reception_closed", actor_id=actor.id, from_state=before, to_state=entry.status,
        note=entry.closing_note,
    )
    return entry


def discard(session: so.Session, actor: User, entry: ReceptionEntry, reason: str | None, now: datetime) -> ReceptionEntry:
    """A duplicate or nonsense nobody has acted on leaves the ledger, with the reason."""
    _require(actor, Permission.CLOSE_OWNER_CONTACTS, entry.project_id)
    rules.check_discard(entry.status, reason)
    before = _move(entry, LedgerStatus.DISCARDED)
    entry.discarded_at = now
    entry.discarded_by_id = actor.id
    entry.discard_reason = clean_text(reason, "reason", None, rules.REMARK_LIMIT)
    audit.record(
        session, entry, "reception_discarded", actor_id=actor.id, from_state=before, to_state=entry.status,
        note=entry.discard_reason,
    )
    notify.close_work(session, entity=entry, kind=ROUTE, done_by_id=actor.id)
    return entry


@dataclass(frozen=True)
class PendingEntry:
    entry: ReceptionEntry
    age: timedelta


def open_ledger(session: so.Session, project_id: int, now: datetime) -> list[PendingEntry]:
    """RCP-08: what CS still tracks (new and open entries), oldest first, with how long
    each has waited; one query, owner, unit and receiver loaded with it."""
    entries = session.scalars(
        sa.select(ReceptionEntry)
        .where(
            ReceptionEntry.project_id == project_id,
            ReceptionEntry.status.in_([s.value for s in rules.PENDING_STATUSES]),
        )
        .options(
            so.joinedload(ReceptionEntry.owner),
            so.joinedload(ReceptionEntry.unit),
            so.joinedload(ReceptionEntry.received_by),
        )
        .order_by(ReceptionEntry.received_at, ReceptionEntry.id)
    )
    return [PendingEntry(entry, rules.entry_age(entry.received_at, now)) for entry in entries]
