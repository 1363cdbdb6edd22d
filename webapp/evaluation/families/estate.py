"""The estate's size: each project's units (房号), what complaints per 1,000 units are
counted over. A snapshot: the units the register holds now."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import UTCDateTime
from webapp.estate.models import Unit
from webapp.evaluation.facts import Evidence, Family, register
from webapp.evaluation.rules import Kind


def _units(kind: Kind) -> sa.Select:
    return sa.select(
        Unit.project_id.label("subject_id"),
        Unit.id.label("record_id"),
        # a unit has no moment: a snapshot family's `at` is ignored
        sa.cast(sa.null(), UTCDateTime()).label("at"),
        sa.literal(1).label("units"),
    )


def unit_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    units = {
        unit.id: unit
        for unit in session.scalars(sa.select(Unit).where(Unit.id.in_(list(ids))).options(so.joinedload(Unit.building)))
    }
    return [
        Evidence(
            record_id=unit.id,
            number=unit.label,
            title=unit.building.name,
            at=None,
            endpoint="estate.unit",
            values={"unit_id": unit.id},
        )
        for unit in (units.get(i) for i in ids)
        if unit is not None
    ]


register(
    Family(
        key="units",
        sop="EST",
        kinds=frozenset({Kind.PROJECT}),
        columns=("units",),
        build=_units,
        records=unit_evidence,
        snapshot=True,
    )
)
