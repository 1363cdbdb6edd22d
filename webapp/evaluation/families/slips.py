"""篇2 information-transfer slips: what each person and department filed, and what was
filed against each department, with the weekly summary's (SLIP-09) definitions."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.evaluation.facts import Evidence, Family, flag, moment, register
from webapp.evaluation.rules import Kind
from webapp.slips.models import Slip
from webapp.slips.rules import OPEN_STATUSES, SlipStatus

_FILED_SUBJECT = {
    Kind.PERSON: Slip.filed_by_id,
    Kind.DEPARTMENT: Slip.filer_department_id,
    Kind.PROJECT: Slip.project_id,
}


def _in_period():
    return sa.and_(Slip.filed_at >= moment("start"), Slip.filed_at < moment("end"))


def _filed(kind: Kind) -> sa.Select:
    open_statuses = sorted(status.value for status in OPEN_STATUSES)
    return sa.select(
        _FILED_SUBJECT[kind].label("subject_id"),
        Slip.id.label("record_id"),
        Slip.filed_at.label("at"),
        sa.literal(1).label("filed"),
        flag(Slip.status == SlipStatus.CLOSED.value).label("closed"),
        flag(Slip.status.in_(open_statuses)).label("open"),
        flag(Slip.status == SlipStatus.WITHDRAWN.value).label("withdrawn"),
    ).where(_in_period(), _FILED_SUBJECT[kind].is_not(None))


def slip_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    slips = {s.id: s for s in session.scalars(sa.select(Slip).where(Slip.id.in_(list(ids))))}
    return [
        Evidence(
            record_id=slip.id,
            number=slip.number,
            title=slip.description[:80],
            at=slip.filed_at,
            endpoint="slips.detail",
            values={"slip_id": slip.id},
            note=slip.status,
        )
        for slip in (slips.get(i) for i in ids)
        if slip is not None
    ]


register(
    Family(
        key="slips_filed",
        sop="篇2 §4.1, §4.9",
        kinds=frozenset(Kind),
        columns=("filed", "closed", "open", "withdrawn"),
        build=_filed,
        records=slip_evidence,
    )
)
