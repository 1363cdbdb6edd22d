"""Estate operations: each takes the session and the acting user, does the work and
appends the audit event in the same transaction. Callers commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core import audit, locking
from webapp.core.models import AuditEvent
from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit
from webapp.estate.rules import (
    ImportRow,
    facility_code,
    facility_code_prefix,
    new_qr_token,
    next_facility_sequence,
)
from webapp.org.models import Project, User

#: the Facility columns a form edits (the building travels as an object)
FACILITY_FIELDS = ("name", "kind", "floor", "description", "latitude", "longitude", "active")


def reveal_phone(session: so.Session, actor: User, owner: Owner) -> str:
    """EST-03: the full number, shown on purpose and written to the owner's history."""
    audit.record(session, owner, "phone_revealed", actor_id=actor.id)
    return owner.phone or ""


def _readable(values: dict[str, Any], building: Building | None) -> dict[str, Any]:
    shown = {name: values[name] for name in FACILITY_FIELDS if name in values}
    shown["building"] = building.name if building else None
    return shown


def _next_code(session: so.Session, project: Project, building: Building | None) -> str:
    prefix = facility_code_prefix(project.code, building.name if building else None)
    used = session.scalars(
        sa.select(Facility.code).where(
            Facility.project_id == project.id, Facility.code.startswith(prefix + "-", autoescape=True)
        )
    ).all()
    return facility_code(project.code, building.name if building else None, next_facility_sequence(list(used), prefix))


def create_facility(
    session: so.Session, actor: User, project: Project, building: Building | None, values: dict[str, Any]
) -> Facility:
    """A new facility with an unguessable QR token and the next free code (EST-02)."""
    if building is not None and building.project_id != project.id:
        raise ValueError("the building belongs to another project")
    facility = Facility(
        project_id=project.id,
        building_id=building.id if building else None,
        qr_token=new_qr_token(),
        code=_next_code(session, project, building),
        **{name: values[name] for name in FACILITY_FIELDS if name in values},
    )
    locking.touch(facility, actor.id)
    # Two people adding a facility to one building at the same moment get the same code:
    # the unique constraint refuses the second commit, and the view simply tries again.
    session.add(facility)
    changes = {name: [None, value] for name, value in _readable(values, building).items() if value not in (None, "")}
    changes["code"] = [None, facility.code]
    audit.record(session, facility, "created", actor_id=actor.id, changes=changes)
    return facility


def update_facility(
    session: so.Session,
    actor: User,
    facility: Facility,
    building: Building | None,
    values: dict[str, Any],
    version: int | str | None,
) -> dict[str, list]:
    """Apply the form's values unless someone saved since the form was opened
    (raises locking.EditConflict). Returns the field changes ({} when nothing changed)."""
    locking.check_version(session, facility, version)
    if building is not None and building.project_id != facility.project_id:
        raise ValueError("the building belongs to another project")
    changes = audit.diff(facility, {name: values[name] for name in FACILITY_FIELDS if name in values})
    if facility.building_id != (building.id if building else None):
        changes["building"] = [facility.building.name if facility.building else None, building.name if building else None]
    if not changes:
        return {}
    for name in FACILITY_FIELDS:
        if name in values:
            setattr(facility, name, values[name])
    facility.building_id = building.id if building else None
    locking.touch(facility, actor.id)
    audit.record(session, facility, "updated", actor_id=actor.id, changes=changes)
    return changes


@dataclass
class ImportResult:
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    owners_created: int = 0
    owners_matched: int = 0
    occupancies_added: int = 0
    occupancies_updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def import_units(
    session: so.Session, actor: User, project: Project, rows: list[ImportRow], *, source: str | None = None
) -> AuditEvent:
    """EST-01: write checked rows into one project. Buildings are created when missing,
    units upserted by building + number, owners matched by name + phone within the project,
    occupancies added. Every row must be free of errors; the caller commits once, so the
    whole sheet lands or nothing does.

    A constant number of SELECTs whatever the sheet's length (inserts are batched).
    Returns the project's "imported" audit event, whose `changes` hold the counts."""
    if any(row.errors for row in rows):
        raise ValueError("rows with errors cannot be imported")
    result = ImportResult()
    in_project = Building.project_id == project.id

    buildings = {b.name: b for b in session.scalars(sa.select(Building).where(in_project))}
    for name in dict.fromkeys(row.building for row in rows):
        if name not in buildings:
            buildings[name] = Building(project_id=project.id, name=name, sort_order=len(buildings))
            session.add(buildings[name])
            result.buildings_created += 1
    session.flush()

    units = {
        (u.building_id, u.number): u
        for u in session.scalars(sa.select(Unit).where(Unit.project_id == project.id))
    }
    unit_of_row: dict[int, Unit] = {}
    touched: set[int] = set()
    for row in rows:
        building = buildings[row.building]
        key = (building.id, row.unit)
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(
                project_id=project.id, building_id=building.id, number=row.unit,
                floor=row.floor, area_centi_m2=row.area_centi_m2,
            )
            session.add(unit)
            result.units_created += 1
            touched.add(id(unit))
        elif id(unit) not in touched:
            touched.add(id(unit))
            changed = False
            if row.floor is not None and unit.floor != row.floor:
                unit.floor, changed = row.floor, True
            if row.area_centi_m2 is not None and unit.area_centi_m2 != row.area_centi_m2:
                unit.area_centi_m2, changed = row.area_centi_m2, True
            if changed:
                locking.touch(unit, actor.id)
                result.units_updated += 1
        unit_of_row[row.line] = unit
    session.flush()

    owners: dict[tuple[str, str | None], Owner] = {}
    for owner in session.scalars(sa.select(Owner).where(Owner.project_id == project.id).order_by(Owner.id)):
        owners.setdefault((owner.name, owner.phone), owner)
    counted: set[int] = set()
    owner_of_row: dict[int, Owner] = {}
    for row in rows:
        if not row.name:
            continue
        key = (row.name, row.phone)
        owner = owners.get(key)
        if owner is None:
            owner = owners[key] = Owner(project_id=project.id, name=row.name, phone=row.phone)
            session.add(owner)
            result.owners_created += 1
            counted.add(id(owner))
        elif id(owner) not in counted:
            counted.add(id(owner))
            result.owners_matched += 1
        owner_of_row[row.line] = owner
    session.flush()

    occupancies = {
        (o.unit_id, o.owner_id): o
        for o in session.scalars(sa.select(Occupancy).where(Occupancy.project_id == project.id))
    }
    for row in rows:
        owner = owner_of_row.get(row.line)
        if owner is None:
            continue
        unit = unit_of_row[row.line]
        key = (unit.id, owner.id)
        occupancy = occupancies.get(key)
        if occupancy is None:
            occupancies[key] = Occupancy(
                project_id=project.id, unit_id=unit.id, owner_id=owner.id, relation=row.relation.value
            )
            session.add(occupancies[key])
            result.occupancies_added += 1
        elif occupancy.relation != row.relation.value:
            occupancy.relation = row.relation.value
            result.occupancies_updated += 1
    session.flush()

    return audit.record(
        session,
        project,
        "imported",
        actor_id=actor.id,
        project_id=project.id,
        note=source,
        changes={name: [None, count] for name, count in result.as_dict().items()},
    )
