"""The household an owner names on a public page (the survey, an activity's RSVP): the
unit as typed ("3栋1502") and the last digits of a phone the project has on file for it
(rules.check_household). Anonymous pages run this inside ``scoping.unrestricted()``,
always within the one project the page belongs to."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import rules
from webapp.estate.models import Occupancy, Owner
from webapp.reception.public import matched_unit_id


def find_household(session: so.Session, project_id: int, unit_text: str | None, phone_digits: str | None) -> int:
    """The unit's id, or RuleViolation (field ``phone_digits`` or ``unit``). Two queries."""
    unit_id = matched_unit_id(session, project_id, unit_text or "")
    phones: list[str | None] = []
    if unit_id is not None:
        phones = list(
            session.scalars(
                sa.select(Owner.phone)
                .join(Occupancy, Occupancy.owner_id == Owner.id)
                .where(Occupancy.unit_id == unit_id, Owner.project_id == project_id)
            )
        )
    return rules.check_household(unit_id, phones, phone_digits)
