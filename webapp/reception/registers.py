"""The reception registers (篇3): praise 表扬 checked and credited to the staff praised,
suggestions 建议 forwarded to the project manager, the lost-property register
失物招领登记表 (RCP-04, §4.6) and the major / sudden events register
重大(突发)事件处理记录表 (RCP-07, §4.10).

A praise, a suggestion or an item an owner brings in starts from a ledger entry: the
record is created and the entry classified in the same transaction
(operations.classify(..., follow_up_record=record)). Each step checks the actor's
permission in the record's project (NotPermitted), the rules (RuleViolation) and writes
exactly one audit event about the record. The caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from webapp.core import audit, idempotency, notify
from webapp.core.numbering import next_number
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.org.access import check as _require
from webapp.org.models import Project, RoleAssignment, User
from webapp.org.queries import users_with_roles
from webapp.org.rules import DESK_ROLES, PROJECT_ROLES, ROLE_PERMISSIONS, Permission, Role
from webapp.reception import operations, rules
from webapp.reception.models import (
    FoundItem,
    MajorEvent,
    Praise,
    PraiseCredit,
    ReceptionEntry,
    Suggestion,
)
from webapp.reception.rules import (
    Category,
    EventKind,
    EventStatus,
    FollowUp,
    LostPropertyStatus,
    PraiseStatus,
    SuggestionStatus,
)

#: work item kinds
PRAISE_CHECK = "reception_praise_check"
SUGGESTION_ANSWER = "reception_suggestion_answer"

#: whom the owner praised, as they said it (the column's width)
PRAISED_AS_LIMIT = 200

#: msgids, translated where they are shown (pages, the inbox, the group chat)
EVENT_KIND_NAMES = {
    EventKind.SECURITY_INCIDENT: N_("Major security incident"),
    EventKind.EQUIPMENT_FAILURE: N_("Major equipment or facility failure"),
    EventKind.OFFICIAL_VISIT: N_("Visit by important officials"),
}
EVENT_KIND_LABELS = {kind: _l(name) for kind, name in EVENT_KIND_NAMES.items()}
EVENT_FIELDS = ("place", "description", "people_involved", "handling", "follow_up")

audit.ACTION_LABELS.update(
    {
        "praise_recorded": N_("recorded the owner's praise"),
        "praise_verified": N_("checked the praise and named the staff praised"),
        "praise_not_confirmed": N_("checked the praise: not confirmed"),
        "praise_credited": N_("credited the praise to the staff members' records"),
        "suggestion_forwarded": N_("forwarded the suggestion to the project manager"),
        "suggestion_answered": N_("recorded the project manager's answer"),
        "found_item_registered": N_("entered the item in the lost-property register"),
        "found_item_claimed": N_("handed the item to its owner, ID checked"),
        "found_item_handed_over": N_("handed the unclaimed item over"),
        "major_event_recorded": N_("recorded the event"),
        "major_event_updated": N_("updated the handling and follow-up"),
        "major_event_closed": N_("closed the event record"),
    }
)
for _field, _label in {
    "handling": N_("Handling"),
    "follow_up": N_("Follow-up"),
    "place": N_("Place"),
    "description": N_("What happened"),
    "people_involved": N_("People involved"),
}.items():
    audit.FIELD_LABELS.setdefault(_field, _label)
del _field, _label


def _holders(permission: Permission) -> list[str]:
    """The project roles holding `permission` (the PM, the CS supervisor…), for work items."""
    return sorted(role.value for role in PROJECT_ROLES if permission in ROLE_PERMISSIONS[role])


def _work_for_roles(session: so.Session, project_id: int, roles: Iterable[str], *, kind: str, title: str,
                    link: str, entity: Any, due_at: datetime | None = None, body: str | None = None) -> None:
    """A work item per role in "My work" and a notice to each person holding one."""
    roles = list(roles)
    for role in roles:
        notify.open_work(session, project_id=project_id, kind=kind, title=title, link=link, entity=entity,
                         assignee_role=role, due_at=due_at)
    notify.notify(session, users_with_roles(session, project_id, roles), project_id=project_id, title=title,
                  body=body, link=link)


def _start_from_entry(session: so.Session, actor: User, entry: ReceptionEntry, category: Category,
                      follow_up: FollowUp, record: Any, now: datetime) -> None:
    """The record is new: flush it for its id, then route the entry to it (one step)."""
    session.add(record)
    session.flush()
    operations.classify(session, actor, entry, category.value, follow_up.value, now, follow_up_record=record)


def _check_entry_not_routed(entry: ReceptionEntry) -> None:
    # refused before a record is built, so a routed entry never gets a stray one
    rules.check_route(entry.status, Category.OTHER.value, FollowUp.NOTE.value)


# ---------------------------------------------------------------------------- RCP-04 praise


def project_staff(session: so.Session, project_id: int) -> list[User]:
    """The active people holding a role in the project, by name: whom a praise may credit."""
    return list(
        session.scalars(
            sa.select(User)
            .where(
                User.active,
                User.id.in_(sa.select(RoleAssignment.user_id).where(RoleAssignment.project_id == project_id)),
            )
            .order_by(User.display_name, User.id)
        )
    )


def start_praise(session: so.Session, actor: User, entry: ReceptionEntry, praised_as: str | None,
                 now: datetime) -> Praise:
    """RCP-04 (§4.6 表扬): the desk records whom the owner praised, as said, and the entry
    becomes a praise; those who check praise (VERIFY_PRAISE) find it in My work."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    _check_entry_not_routed(entry)
    text = clean_text(praised_as, "praised_as", N_("Write down whom the owner praised, as they said it."),
                      PRAISED_AS_LIMIT)
    praise = Praise(project_id=entry.project_id, entry_id=entry.id, status=PraiseStatus.RECORDED.value,
                    praised_as=text, recorded_at=now, recorded_by_id=actor.id)
    _start_from_entry(session, actor, entry, Category.PRAISE, FollowUp.PRAISE, praise, now)
    audit.record(session, praise, "praise_recorded", actor_id=actor.id, to_state=praise.status, note=text)
    title = f"{entry.number} · {operations.gettext('Praise from an owner: check it and credit the staff praised')}"
    _work_for_roles(session, entry.project_id, _holders(Permission.VERIFY_PRAISE), kind=PRAISE_CHECK,
                    title=title[:200], link=operations.page_link("reception.praise", f"/reception/praises/{praise.id}",
                                                  praise_id=praise.id),
                    entity=praise, body=text)
    return praise


def _staff_in_project(session: so.Session, project_id: int, staff_ids: Collection[int]) -> list[int]:
    wanted = sorted({int(i) for i in staff_ids})
    if not wanted:
        return []
    known = {user.id for user in project_staff(session, project_id)}
    if any(user_id not in known for user_id in wanted):
        raise RuleViolation(N_("Choose staff members of this project."), field="staff")
    return wanted


def verify_praise(session: so.Session, actor: User, praise: Praise, confirmed: bool, staff_ids: Collection[int],
                  note: str | None, now: datetime) -> Praise:
    """RCP-04 (查证属实): confirmed, naming the staff members praised (several may be), or
    not confirmed; either way how it was checked."""
    _require(actor, Permission.VERIFY_PRAISE, praise.project_id)
    target = PraiseStatus.VERIFIED if confirmed else PraiseStatus.NOT_CONFIRMED
    rules.check_praise_transition(praise.status, target)
    text = rules.check_praise_verification(confirmed, staff_ids, note)
    chosen = _staff_in_project(session, praise.project_id, staff_ids) if confirmed else []
    before = praise.status
    praise.status = target.value
    praise.verified_at = now
    praise.verified_by_id = actor.id
    praise.verification_note = text
    for user_id in chosen:
        praise.credits.append(PraiseCredit(project_id=praise.project_id, user_id=user_id))
    action = "praise_verified" if confirmed else "praise_not_confirmed"
    audit.record(session, praise, action, actor_id=actor.id, from_state=before, to_state=praise.status, note=text)
    if not confirmed:
        notify.close_work(session, entity=praise, kind=PRAISE_CHECK, done_by_id=actor.id)
    return praise


def credit_praise(session: so.Session, actor: User, praise: Praise, now: datetime) -> Praise:
    """RCP-04 (按《员工手册》): the verified praise is written to each staff member's record
    and each of them hears of it."""
    _require(actor, Permission.VERIFY_PRAISE, praise.project_id)
    rules.check_praise_transition(praise.status, PraiseStatus.CREDITED)
    before = praise.status
    praise.status = PraiseStatus.CREDITED.value
    praise.credited_at = now
    praise.credited_by_id = actor.id
    for credit in praise.credits:
        credit.credited_at = now
    audit.record(session, praise, "praise_credited", actor_id=actor.id, from_state=before, to_state=praise.status)
    notify.close_work(session, entity=praise, kind=PRAISE_CHECK, done_by_id=actor.id)
    link = operations.page_link("reception.praise", f"/reception/praises/{praise.id}", praise_id=praise.id)
    notify.notify(session, [credit.user_id for credit in praise.credits], project_id=praise.project_id,
                  title=operations.gettext("An owner praised you: it is on your record."),
                  body=praise.verification_note, link=link, dedupe_key=f"praise:{praise.id}:credited")
    return praise


def praise_credits(session: so.Session, user_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, int]:
    """How many credited praises each staff member had in [start, end): for the staff
    evaluation. One query; a user without any is absent. Like every query it sees only
    the projects the signed-in user may see (webapp.core.scoping)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(PraiseCredit.user_id, sa.func.count())
        .where(PraiseCredit.user_id.in_(ids), credited_between(start, end))
        .group_by(PraiseCredit.user_id)
    )
    return {user_id: count for user_id, count in rows}


def credited_between(start, end) -> sa.ColumnElement[bool]:
    """A PraiseCredit counts in [start, end) (instants or bind parameters) once its praise
    is credited, at the moment it was: praise_credits and the staff evaluation's praise
    figures (webapp.evaluation.families.praise) share this."""
    return sa.and_(
        PraiseCredit.credited_at.is_not(None), PraiseCredit.credited_at >= start, PraiseCredit.credited_at < end
    )


def month_praises(session: so.Session, project_id: int, start: datetime, end: datetime) -> list[Praise]:
    """The praises recorded in [start, end), oldest first, with their entries and the
    staff credited: three queries however many there are."""
    return list(
        session.scalars(
            sa.select(Praise)
            .where(Praise.project_id == project_id, Praise.recorded_at >= start, Praise.recorded_at < end)
            .options(
                so.joinedload(Praise.entry),
                so.selectinload(Praise.credits).joinedload(PraiseCredit.user),
            )
            .order_by(Praise.recorded_at, Praise.id)
        )
    )


# ---------------------------------------------------------------------------- RCP-04 suggestion


def start_suggestion(session: so.Session, actor: User, entry: ReceptionEntry, now: datetime) -> Suggestion:
    """RCP-04 (§4.6 收集上报项目经理): the owner's suggestion goes to the project manager,
    who finds it in My work with the date the answer is due."""
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    _check_entry_not_routed(entry)
    suggestion = Suggestion(project_id=entry.project_id, entry_id=entry.id, status=SuggestionStatus.FORWARDED.value,
                            forwarded_at=now, forwarded_by_id=actor.id,
                            answer_due_at=rules.suggestion_answer_due(now))
    _start_from_entry(session, actor, entry, Category.SUGGESTION, FollowUp.SUGGESTION, suggestion, now)
    audit.record(session, suggestion, "suggestion_forwarded", actor_id=actor.id, to_state=suggestion.status)
    title = f"{entry.number} · {operations.gettext('Suggestion from an owner: please answer it')}"
    _work_for_roles(session, entry.project_id, [Role.PM.value], kind=SUGGESTION_ANSWER, title=title[:200],
                    link=operations.page_link("reception.suggestion", f"/reception/suggestions/{suggestion.id}",
                               suggestion_id=suggestion.id),
                    entity=suggestion, due_at=suggestion.answer_due_at, body=entry.content[:200])
    return suggestion


def answer_suggestion(session: so.Session, actor: User, suggestion: Suggestion, answer: str | None,
                      now: datetime) -> Suggestion:
    """The PM's answer (or the assistant's, for the PM): the work item ends and the desk
    is told, so the owner hears back."""
    _require(actor, Permission.ANSWER_SUGGESTIONS, suggestion.project_id)
    rules.check_suggestion_transition(suggestion.status, SuggestionStatus.ANSWERED)
    text = rules.check_suggestion_answer(answer)
    before = suggestion.status
    suggestion.status = SuggestionStatus.ANSWERED.value
    suggestion.answer = text
    suggestion.answered_at = now
    suggestion.answered_by_id = actor.id
    audit.record(session, suggestion, "suggestion_answered", actor_id=actor.id, from_state=before,
                 to_state=suggestion.status, note=text)
    notify.close_work(session, entity=suggestion, kind=SUGGESTION_ANSWER, done_by_id=actor.id)
    number = suggestion.entry.number
    notify.notify(
        session,
        users_with_roles(session, suggestion.project_id, DESK_ROLES),
        project_id=suggestion.project_id,
        title=f"{number} · {operations.gettext('The project manager answered the suggestion: tell the owner')}"[:200],
        body=text[:200],
        link=operations.page_link("reception.suggestion", f"/reception/suggestions/{suggestion.id}", suggestion_id=suggestion.id),
        dedupe_key=f"suggestion:{suggestion.id}:answered",
    )
    return suggestion


# ---------------------------------------------------------------------------- RCP-04 lost property


def _found_values(values: dict[str, Any], now: datetime) -> dict[str, Any]:
    rules.check_found_item(values.get("item"), values.get("found_place"), values.get("found_at"),
                           values.get("holder"), now)
    return {
        "item": clean_text(values.get("item"), "item", None, 200),
        "found_place": clean_text(values.get("found_place"), "found_place", None, 200),
        "found_at": values["found_at"],
        "found_by": clean_text(values.get("found_by"), "found_by", None, 100),
        "holder": clean_text(values.get("holder"), "holder", None, 100),
    }


def _new_found_item(session: so.Session, actor: User, project: Project, entry_id: int | None,
                    cleaned: dict[str, Any], now: datetime) -> FoundItem:
    return FoundItem(
        project_id=project.id,
        number=next_number(session, project_id=project.id, project_code=project.code,
                           series=rules.FOUND_ITEM_SERIES, at=now),
        entry_id=entry_id,
        status=LostPropertyStatus.HELD.value,
        registered_at=now,
        registered_by_id=actor.id,
        **cleaned,
    )


def start_lost_property(session: so.Session, actor: User, entry: ReceptionEntry, values: dict[str, Any],
                        now: datetime) -> FoundItem:
    """RCP-04 (§4.6 其它): an item an owner brings or reports found goes into
    失物招领登记表 (item, where and when found, who found it, who holds it); the entry is
    an "other" contact followed up by the register. `values`: item, found_place,
    found_at, found_by, holder."""
    _require(actor, Permission.KEEP_LOST_PROPERTY, entry.project_id)
    _require(actor, Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    _check_entry_not_routed(entry)
    cleaned = _found_values(values, now)
    project = session.get(Project, entry.project_id)
    item = _new_found_item(session, actor, project, entry.id, cleaned, now)
    _start_from_entry(session, actor, entry, Category.OTHER, FollowUp.LOST_PROPERTY, item, now)
    audit.record(session, item, "found_item_registered", actor_id=actor.id, to_state=item.status, note=item.item)
    return item


def register_found_item(session: so.Session, actor: User, project: Project, values: dict[str, Any],
                        now: datetime, submission_key: str | None) -> tuple[FoundItem, bool]:
    """An item staff found themselves, with no owner contact behind it; a repeat of
    `submission_key` returns the first item."""
    _require(actor, Permission.KEEP_LOST_PROPERTY, project.id)
    body = idempotency.fingerprint({k: str(v) for k, v in values.items()})
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(FoundItem, earlier.entity_id), False
    item = _new_found_item(session, actor, project, None, _found_values(values, now), now)
    session.add(item)
    session.flush()
    audit.record(session, item, "found_item_registered", actor_id=actor.id, to_state=item.status, note=item.item)
    idempotency.remember(session, submission_key, actor.id, item, body)
    return item, True


def claim_found_item(session: so.Session, actor: User, item: FoundItem, values: dict[str, Any],
                     now: datetime) -> FoundItem:
    """Claimed by whom and when, the claimant's document checked (§4.12): only the masked
    number is kept, on the record and in the history alike. `values`: claimant_name,
    document, document_number, claimed_at."""
    _require(actor, Permission.KEEP_LOST_PROPERTY, item.project_id)
    rules.check_lost_property_transition(item.status, LostPropertyStatus.CLAIMED)
    masked = rules.check_claim(values.get("claimant_name"), values.get("document"), values.get("document_number"),
                               values.get("claimed_at"), item.found_at, now)
    before = item.status
    item.status = LostPropertyStatus.CLAIMED.value
    item.claimant_name = clean_text(values.get("claimant_name"), "claimant_name", None, 50)
    item.claimant_document = values["document"]
    item.claimant_document_masked = masked
    item.claimed_at = values["claimed_at"]
    item.released_by_id = actor.id
    audit.record(session, item, "found_item_claimed", actor_id=actor.id, from_state=before, to_state=item.status,
                 note=f"{item.claimant_name} {masked}")
    return item


def hand_over_found_item(session: so.Session, actor: User, item: FoundItem, note: str | None,
                         now: datetime) -> FoundItem:
    """An unclaimed item passed on (the police station, the developer…): to whom."""
    _require(actor, Permission.KEEP_LOST_PROPERTY, item.project_id)
    rules.check_lost_property_transition(item.status, LostPropertyStatus.HANDED_OVER)
    text = rules.check_handover(note)
    before = item.status
    item.status = LostPropertyStatus.HANDED_OVER.value
    item.handover_note = text
    item.handed_over_at = now
    item.released_by_id = actor.id
    audit.record(session, item, "found_item_handed_over", actor_id=actor.id, from_state=before,
                 to_state=item.status, note=text)
    return item


def found_item_register(session: so.Session, project_id: int) -> list[FoundItem]:
    """失物招领登记表: items still held first (newest found first), then those claimed or
    handed over (latest first). One query."""
    held_first = sa.case((FoundItem.status == LostPropertyStatus.HELD.value, 0), else_=1)
    return list(
        session.scalars(
            sa.select(FoundItem)
            .where(FoundItem.project_id == project_id)
            .options(so.joinedload(FoundItem.registered_by), so.joinedload(FoundItem.released_by),
                     so.joinedload(FoundItem.entry))
            .order_by(held_first, FoundItem.found_at.desc(), FoundItem.id.desc())
        )
    )


# ---------------------------------------------------------------------------- RCP-07 major events


def _event_values(values: dict[str, Any]) -> dict[str, str | None]:
    return {name: clean_text(values.get(name), name, None, 10_000) for name in EVENT_FIELDS}


def record_major_event(session: so.Session, actor: User, project: Project, values: dict[str, Any], now: datetime,
                       submission_key: str | None) -> tuple[MajorEvent, bool]:
    """RCP-07 (§4.10): a major security incident, equipment or facility failure, or a
    visit by important officials: when, where, what happened, who was involved, and the
    handling and follow-up as far as known. The PM is told, and the project's group chat.
    `values`: kind, occurred_at and EVENT_FIELDS."""
    _require(actor, Permission.RECORD_MAJOR_EVENTS, project.id)
    body = idempotency.fingerprint({k: str(v) for k, v in values.items()})
    earlier = idempotency.previous(session, submission_key, actor.id, body)
    if earlier is not None:
        return session.get(MajorEvent, earlier.entity_id), False
    texts = _event_values(values)
    rules.check_major_event(values.get("kind"), values.get("occurred_at"), texts, now)
    event = MajorEvent(project_id=project.id, kind=values["kind"], status=EventStatus.OPEN.value,
                       occurred_at=values["occurred_at"], recorded_at=now, recorded_by_id=actor.id, **texts)
    session.add(event)
    session.flush()
    kind_name = operations.gettext(EVENT_KIND_NAMES[EventKind(event.kind)])
    audit.record(session, event, "major_event_recorded", actor_id=actor.id, to_state=event.status, note=kind_name)
    link = operations.page_link("reception.major_event", f"/reception/events/{event.id}", event_id=event.id)
    what = N_("Major or sudden event recorded")
    notify.notify(session, users_with_roles(session, project.id, [Role.PM.value]), project_id=project.id,
                  title=f"{project.name} · {operations.gettext(what)}: {kind_name}"[:200],
                  body=(event.description or "")[:200], link=link, dedupe_key=f"major_event:{event.id}:recorded")
    notify.tell_group(
        session,
        project_id=project.id,
        number=project.name,
        what=what,
        facts=[(N_("Kind"), EVENT_KIND_LABELS[EventKind(event.kind)]), (N_("When"), event.occurred_at),
               (N_("Place"), event.place)],
        link=link,
        dedupe_key=f"major_event:{event.id}:recorded",
    )
    idempotency.remember(session, submission_key, actor.id, event, body)
    return event, True


def _event_changes(event: MajorEvent, values: dict[str, Any]) -> tuple[dict[str, str | None], dict[str, list]]:
    """The handling and follow-up as submitted (an empty box keeps what was written) and
    what they change."""
    merged = {name: getattr(event, name) for name in EVENT_FIELDS}
    changes = {}
    for name in ("handling", "follow_up"):
        text = clean_text(values.get(name), name, None, 10_000)
        if text is not None and text != merged[name]:
            changes[name] = [merged[name], text]
            merged[name] = text
    return merged, changes


def update_major_event(session: so.Session, actor: User, event: MajorEvent, values: dict[str, Any],
                       now: datetime) -> MajorEvent:
    """The handling and follow-up written in as they happen, while the record is open."""
    _require(actor, Permission.RECORD_MAJOR_EVENTS, event.project_id)
    rules.check_event_open(event.status)
    merged, changes = _event_changes(event, values)
    if not changes:
        raise RuleViolation(N_("Write down the handling or the follow-up."), field="handling")
    rules.check_major_event(event.kind, event.occurred_at, merged, now)
    for name, (_, new) in changes.items():
        setattr(event, name, new)
    audit.record(session, event, "major_event_updated", actor_id=actor.id, changes=changes)
    return event


def close_major_event(session: so.Session, actor: User, event: MajorEvent, values: dict[str, Any],
                      now: datetime) -> MajorEvent:
    """Closed once the handling and the follow-up are written down (they may be completed
    in the same step)."""
    _require(actor, Permission.RECORD_MAJOR_EVENTS, event.project_id)
    merged, changes = _event_changes(event, values)
    rules.check_event_close(event.status, event.kind, merged)
    for name, (_, new) in changes.items():
        setattr(event, name, new)
    before = event.status
    event.status = EventStatus.CLOSED.value
    event.closed_at = now
    event.closed_by_id = actor.id
    audit.record(session, event, "major_event_closed", actor_id=actor.id, from_state=before, to_state=event.status,
                 changes=changes or None)
    return event


def major_event_register(session: so.Session, project_id: int, start: datetime, end: datetime) -> list[MajorEvent]:
    """重大(突发)事件处理记录表 of a month: events that happened in [start, end), open
    ones first, then by when they happened. One query."""
    open_first = sa.case((MajorEvent.status == EventStatus.OPEN.value, 0), else_=1)
    return list(
        session.scalars(
            sa.select(MajorEvent)
            .where(MajorEvent.project_id == project_id, MajorEvent.occurred_at >= start, MajorEvent.occurred_at < end)
            .options(so.joinedload(MajorEvent.recorded_by), so.joinedload(MajorEvent.closed_by))
            .order_by(open_first, MajorEvent.occurred_at, MajorEvent.id)
        )
    )
