"""Audit trail (ORG-03): every state change of every record, appended, never edited.

Slices call ``record()`` inside the same transaction as the change, so a change and its
event land together or not at all. ``timeline()`` feeds templates/_macros/timeline.html.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.clock import now as clock_now
from webapp.core.models import AuditEvent
from webapp.core.privacy import mask_phones, mask_phones_in
from webapp.core.rulekit import N_


class AuditTrailIsAppendOnly(Exception):
    pass


#: msgids of the actions shown on timelines; slices add their own verbs here
ACTION_LABELS: dict[str, str] = {
    "created": N_("created"),
    "updated": N_("edited"),
    "imported": N_("imported"),
    "phone_revealed": N_("revealed the phone number"),
    "deactivated": N_("deactivated"),
    "activated": N_("activated"),
    "password_reset": N_("reset the password"),
    "role_granted": N_("granted a role"),
    "role_revoked": N_("revoked a role"),
}

#: msgids of the field names that appear in `changes`; slices add their own fields here
FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "code": N_("Code"),
    "address": N_("Address"),
    "active": N_("Active"),
    "kind": N_("Kind"),
    "username": N_("Username"),
    "display_name": N_("Display name"),
    "phone": N_("Phone"),
    "role": N_("Role"),
    "project": N_("Project"),
    "department": N_("Department"),
    "floor": N_("Floor"),
    "description": N_("Description"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "buildings_created": N_("Buildings created"),
    "units_created": N_("Units created"),
    "units_updated": N_("Units updated"),
    "owners_created": N_("Owners created"),
    "owners_matched": N_("Owners matched"),
    "occupancies_added": N_("Occupancies added"),
    "occupancies_updated": N_("Occupancies updated"),
}

#: display labels of record states (lazy_gettext strings); slices add their statuses here
STATE_LABELS: dict[str, object] = {}

#: how values in `changes` read, per record type and field: {(table, field): {code: label}}
#: for coded fields (labels lazy_gettext strings or msgids; "a,b" and lists are read code by
#: code), or a function of the stored value; slices add their fields here. Money in fen
#: (`*_fen`) and moments (`*_at`) need no entry.
VALUE_LABELS: dict[tuple[str, str], Mapping[str, object] | Callable[[Any], str]] = {}


def record(
    session: so.Session,
    entity: Any,
    action: str,
    *,
    actor_id: int | None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str | None = None,
    changes: dict | None = None,
    project_id: int | None = None,
) -> AuditEvent:
    """Append one event about `entity`, in the entity's project (none for company-level
    records such as users). Phone numbers in `note` and `changes` are masked here: the
    trail is never edited, so it never holds a full number (EST-03, PIPL)."""
    if entity.id is None:
        session.flush()
    if project_id is None and hasattr(entity, "scope_column"):
        project_id = getattr(entity, entity.scope_column().key)
    event = AuditEvent(
        project_id=project_id,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=mask_phones(note) if note else note,
        changes=mask_phones_in(changes) if changes else None,
        actor_id=actor_id,
        at=clock_now(),
    )
    session.add(event)
    return event


def diff(entity: Any, values: dict[str, Any]) -> dict[str, list]:
    """Field changes {name: [old, new]} that applying `values` to `entity` would make."""
    changed = {}
    for name, new in values.items():
        old = getattr(entity, name)
        if old != new:
            changed[name] = [_plain(old), _plain(new)]
    return changed


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def timeline(session: so.Session, entity: Any) -> list[AuditEvent]:
    """Events of one record, oldest first, with their actors loaded in the same query."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == entity.__tablename__,
                AuditEvent.entity_id == entity.id,
            )
            .options(so.joinedload(AuditEvent.actor))
            .order_by(AuditEvent.id)
        )
    )


_installed: set[type] = set()


def install(session_class: type[so.Session]) -> None:
    """Attach the listeners once per session class (create_app may run many times)."""
    if session_class in _installed:
        return
    _installed.add(session_class)

    @sa.event.listens_for(session_class, "before_flush")
    def _refuse_edits(session: so.Session, flush_context, instances) -> None:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
                raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")

    @sa.event.listens_for(session_class, "do_orm_execute")
    def _refuse_bulk_edits(state: so.ORMExecuteState) -> None:
        if (state.is_update or state.is_delete) and any(
            m.class_ is AuditEvent for m in state.all_mappers
        ):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
