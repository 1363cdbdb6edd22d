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

from webapp.core import audit, idempotency, notify
from webapp.core.i18n import gettext
from webapp.core.notify import page_link
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
        "reception_matched": N_("matched the contact to the unit and owner"),
        "reception_contact_revealed": N_("phone revealed"),
    }
)
audit.FIELD_LABELS.setdefault("category", N_("Category"))


def _link(entry: ReceptionEntry) -> str:
    return page_link("reception.detail", f"/reception/{entry.id}", entry_id=entry.id)


def in_project(session: so.Session, model, record_id: int | None, project_id: int, field: str):
    """The unit, owner, department… a step names, refused when it is another project's."""
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
    actor and `now`. A repeat of `submission_key` returns the first entry.

    An entry is never open without the record its follow-up started: a category in
    `values` (the desk's choice, which needs ROUTE_OWNER_CONTACTS) routes the entry here
    only for a note, which has no record; any other follow-up is started on its own
    page, which routes the entry with the record (`classify(..., follow_up_record=)`).
    Until then the entry waits in the ledger as new, and the desk's work lists it.

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
    unit = in_project(session, Unit, values.get("unit_id"), project.id, "unit")
    owner = in_project(session, Owner, values.get("owner_id"), project.id, "owner")
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
    follow_up = values.get("follow_up") or None
    if category is not None and follow_up == FollowUp.NOTE.value:
        classify(session, actor, entry, category, follow_up, now)
    else:
        # the desk starting the follow-up right away needs no message about it; the work
        # item keeps the entry in sight should the start page be left unfinished
        ask_desk_to_route(session, entry, tell_desk=category is None)
    idempotency.remember(session, submission_key, actor.id, entry, body)
    return entry, True


def ask_desk_to_route(session: so.Session, entry: ReceptionEntry, *, tell_desk: bool = True) -> None:
    """An entry waiting as new: a work item for the desk and, unless the desk itself is
    starting the follow-up, a notice to every receptionist (an owner's QR form too)."""
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
    if not tell_desk:
        return
    notify.notify(
        session,
        _users_with_roles(session, entry.project_id, DESK_ROLES),
        project_id=entry.project_id,
        title=title,
        link=_link(entry),
        dedupe_key=f"reception:{entry.id}:route",
    )


def match_owner(
    session: so.Session, actor: User, entry: ReceptionEntry, unit_id: int | None, owner_id: int | None, now: datetime
) -> ReceptionEntry:
    """An owner's QR form names the unit as typed (reported_unit); before routing, the
    desk links the entry to the unit and person on record."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    if LedgerStatus(entry.status) is not LedgerStatus.NEW:
        raise RuleViolation(N_("This entry has already been routed."))
    unit = in_project(session, Unit, unit_id, entry.project_id, "unit")
    if unit is None:
        raise RuleViolation(N_("Choose the unit."), field="unit")
    owner = in_project(session, Owner, owner_id, entry.project_id, "owner")
    if owner is not None:
        owner_unit_ids = set(session.scalars(sa.select(Occupancy.unit_id).where(Occupancy.owner_id == owner.id)))
        if unit.id not in owner_unit_ids:
            raise RuleViolation(N_("This person is not recorded at the chosen unit."), field="owner")
    entry.unit_id = unit.id
    entry.owner_id = owner.id if owner else None
    matched = " · ".join(part for part in (unit.label, owner.name if owner else None) if part)
    note = f"{entry.reported_unit} → {matched}" if entry.reported_unit else matched
    audit.record(session, entry, "reception_matched", actor_id=actor.id, note=note)
    return entry


def reveal_contact(session: so.Session, actor: User, entry: ReceptionEntry) -> None:
    """EST-03: the entry's full phone numbers, shown on purpose and written to its history."""
    _require(actor, Permission.REVEAL_PHONE, entry.project_id)
    audit.record(session, entry, "reception_contact_revealed", actor_id=actor.id)


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


def started_by(session: so.Session, record: Any) -> ReceptionEntry | None:
    """The entry whose follow-up `record` is (a complaint, an order…), with its photos in
    the same query; None when the record was not started from the ledger."""
    return (
        session.scalars(
            sa.select(ReceptionEntry)
            .where(ReceptionEntry.follow_up_type == record.__tablename__, ReceptionEntry.follow_up_id == record.id)
            .options(so.joinedload(ReceptionEntry.photos))
        )
        .unique()
        .first()
    )


#: the follow-up records whose status decides closing out, by table name; slices whose
#: follow-ups are not built yet add themselves here
FOLLOW_UP_MODELS: dict[str, str] = {
    "complaints": "webapp.complaints.models:Complaint",
    "service_orders": "webapp.paid_services.models:ServiceOrder",
    "praises": "webapp.reception.models:Praise",
    "suggestions": "webapp.reception.models:Suggestion",
    "found_items": "webapp.reception.models:FoundItem",
    "return_slips": "webapp.reception.models:ReturnSlip",
    "repair_work_orders": "webapp.reception.models:RepairWorkOrder",
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


def follow_up_statuses(session: so.Session, entries: list[ReceptionEntry]) -> dict[int, str]:
    """The status of each entry's follow-up record, by entry id: one query per kind of
    record among `entries`, however many entries (a list page's batch load)."""
    wanted: dict[str, dict[int, list[int]]] = {}
    for entry in entries:
        if entry.follow_up_type in FOLLOW_UP_MODELS and entry.follow_up_id is not None:
            wanted.setdefault(entry.follow_up_type, {}).setdefault(entry.follow_up_id, []).append(entry.id)
    statuses: dict[int, str] = {}
    for table, by_record in sorted(wanted.items()):
        model = _follow_up_model(table)
        for record_id, status in session.execute(
            sa.select(model.id, model.status).where(model.id.in_(list(by_record)))
        ):
            for entry_id in by_record[record_id]:
                statuses[entry_id] = status
    return statuses


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
