"""Estate look-ups shared by several pages: the unit/owner search (estate index, the slip
filing form's owner picker)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.estate.models import Building, Occupancy, Owner, Unit
from webapp.estate.rules import search_terms, unit_sort_key


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
