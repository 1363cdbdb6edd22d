"""Estate look-ups shared by several pages: the unit/owner search (estate index) and the
owner picker of the slip and complaint forms (SLIP-02, CMP-03)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.rulekit import N_, RuleViolation
from webapp.estate.models import Building, Occupancy, Owner, Unit
from webapp.estate.rules import search_terms, unit_sort_key

#: units the owner picker offers at most; more means "type more"
OWNER_CHOICES_LIMIT = 10
#: the picker's radio value: "unitId:ownerId", or "unitId:" for someone not on record
_CHOICE = re.compile(r"(\d{1,12}):(\d{0,12})")


def units_with_people(session: so.Session, statement) -> list[Unit]:
    """Units with their occupants and owners in two more queries, however many units."""
    return list(
        session.scalars(statement.options(so.selectinload(Unit.occupancies).joinedload(Occupancy.owner))).unique()
    )


def search_units(
    session: so.Session, query: str, limit: int, *, project_ids: Iterable[int] | None = None
) -> tuple[list[Unit], bool]:
    """Units whose number, building or occupant name contains every word typed
    ("3栋 1502", "张 1502"), with their building and occupants loaded: at most `limit`,
    and whether there were more. Three queries, however many units match. The project
    scope applies as always; `project_ids` narrows it further."""
    terms = search_terms(query)
    if not terms:
        return [], False
    matching = (
        sa.select(Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .outerjoin(Occupancy, Occupancy.unit_id == Unit.id)
        .outerjoin(Owner, Occupancy.owner_id == Owner.id)
    )
    for term in terms:
        matching = matching.where(
            sa.or_(
                Unit.number.icontains(term, autoescape=True),
                Building.name.icontains(term, autoescape=True),
                Owner.name.icontains(term, autoescape=True),
            )
        )
    statement = (
        sa.select(Unit)
        .join(Unit.building)
        .options(so.contains_eager(Unit.building))
        .where(Unit.id.in_(matching.scalar_subquery()))
        .order_by(Building.project_id, Building.sort_order, Building.name, Unit.number)
        .limit(limit + 1)
    )
    if project_ids is not None:
        statement = statement.where(Unit.project_id.in_(list(project_ids) or [0]))
    units = units_with_people(session, statement)
    shown = sorted(
        units[:limit],
        key=lambda u: (u.project_id, u.building.sort_order, u.building.name, unit_sort_key(u.number)),
    )
    return shown, len(units) > limit


# ---------------------------------------------------------------------------- the owner picker


def parse_owner_choice(text: str | None) -> tuple[int, int | None] | None:
    """"12:34" → (12, 34); "12:" → (12, None) (the unit, no one on record); else None."""
    found = _CHOICE.fullmatch(text or "")
    if found is None:
        return None
    return int(found[1]), (int(found[2]) if found[2] else None)


def units_by_id(session: so.Session, unit_id: int, project_ids: Iterable[int]) -> list[Unit]:
    statement = (
        sa.select(Unit)
        .join(Unit.building)
        .options(so.contains_eager(Unit.building))
        .where(Unit.id == unit_id, Unit.project_id.in_(list(project_ids) or [0]))
    )
    return units_with_people(session, statement)


def contact_line(owner: Owner, unit: Unit) -> str:
    """How a chosen person reads in a form's contact field: name and unit, no phone (the
    phone stays on the owner's record, masked, EST-03)."""
    return f"{owner.name} · {unit.building.name} {unit.number}"


def picker_context(units: list[Unit], more: bool, query: str | None, selected: str | None) -> dict:
    """What templates/estate/_owner_choices.html needs."""
    return {"units": units, "more": more, "query": query or "", "selected": selected or "", "contact_of": contact_line}


def owner_picker(session: so.Session, query: str, choice: str | None, project_ids: Iterable[int]) -> dict:
    """The picker on a rendered form: the chosen unit with its people, else the units
    matching what was typed."""
    project_ids = list(project_ids)
    chosen = parse_owner_choice(choice)
    units, more = [], False
    if chosen is not None:
        units = units_by_id(session, chosen[0], project_ids)
    if not units and query:
        units, more = search_units(session, query, OWNER_CHOICES_LIMIT, project_ids=project_ids)
    return picker_context(units, more, query, choice)


def chosen_contact(session: so.Session, unit_id: int | None, owner_id: int | None, project_id: int) -> str | None:
    """contact_line() of the person picked at that unit of the project, else None."""
    if unit_id is None or owner_id is None:
        return None
    for unit in units_by_id(session, unit_id, [project_id]):
        for occupancy in unit.occupancies:
            if occupancy.owner_id == owner_id:
                return contact_line(occupancy.owner, unit)
    return None


def resolve_owner_choice(
    session: so.Session, query: str | None, choice: str | None, project_id: int
) -> tuple[int | None, int | None, str]:
    """The unit and owner a form names: the radio button picked, else what was typed when
    it names exactly one unit (its owner too when it has only one person on record).
    Returns (unit_id, owner_id, the choice as a radio value). None matching, or several:
    RuleViolation on "unit_query" (the form then offers the matches). Whether the ids
    belong to the project is the operation's to check."""
    if choice:
        chosen = parse_owner_choice(choice)
        if chosen is None:
            raise RuleViolation(N_("Choose the unit again."), field="unit_query")
        return chosen[0], chosen[1], choice
    if not query:
        return None, None, ""
    units, more = search_units(session, query, OWNER_CHOICES_LIMIT, project_ids=[project_id])
    if not units:
        raise RuleViolation(N_("No unit matches “%(query)s”."), field="unit_query", query=query)
    if len(units) > 1 or more:
        raise RuleViolation(N_("Several units match “%(query)s”: choose one below."), field="unit_query", query=query)
    unit = units[0]
    owner_id = unit.occupancies[0].owner_id if len(unit.occupancies) == 1 else None
    return unit.id, owner_id, f"{unit.id}:{owner_id or ''}"
