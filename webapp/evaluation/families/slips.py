"""篇2 information-transfer slips: what each person and department filed, and what was
filed against each department, with the weekly summary's (SLIP-09) definitions."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.evaluation.facts import Evidence, Family, flag, moment, register
from webapp.evaluation.rules import Kind
from webapp.slips.models import RectificationRound, Slip
from webapp.slips.reports import passed_rounds, rectification_outcome, slip_escalated, slip_open
from webapp.slips.rules import SlipStatus

_FILED_SUBJECT = {
    Kind.PERSON: Slip.filed_by_id,
    Kind.DEPARTMENT: Slip.filer_department_id,
    Kind.PROJECT: Slip.project_id,
}
_AGAINST_SUBJECT = {
    Kind.DEPARTMENT: Slip.responsible_department_id,
    Kind.PROJECT: Slip.project_id,
}


def _in_period():
    return sa.and_(Slip.filed_at >= moment("start"), Slip.filed_at < moment("end"))


def _filed(kind: Kind) -> sa.Select:
    return sa.select(
        _FILED_SUBJECT[kind].label("subject_id"),
        Slip.id.label("record_id"),
        Slip.filed_at.label("at"),
        sa.literal(1).label("filed"),
        flag(Slip.status == SlipStatus.CLOSED.value).label("closed"),
        flag(slip_open()).label("open"),
        flag(Slip.status == SlipStatus.WITHDRAWN.value).label("withdrawn"),
    ).where(_in_period(), _FILED_SUBJECT[kind].is_not(None))


def _against(kind: Kind) -> sa.Select:
    """The weekly summary's "against" figures (slips.reports), one row per slip filed in
    the period against the subject, judged at :now; the rounds are those of the period's
    slips, in every project the statement may see."""
    subject = _AGAINST_SUBJECT[kind]
    period_slip = so.aliased(Slip, name="period_slip")
    rounds = passed_rounds(
        RectificationRound.slip_id.in_(
            sa.select(period_slip.id).where(
                period_slip.filed_at >= moment("start"), period_slip.filed_at < moment("end")
            )
        )
    )
    on_time, late = rectification_outcome(rounds.c.passed_done, moment("now"))
    return (
        sa.select(
            subject.label("subject_id"),
            Slip.id.label("record_id"),
            Slip.filed_at.label("at"),
            sa.literal(1).label("against"),
            flag(on_time).label("on_time"),
            flag(late).label("late"),
            sa.func.coalesce(rounds.c.failures, 0).label("failures"),
            flag(slip_open()).label("open"),
            flag(slip_escalated()).label("escalated"),
        )
        .select_from(Slip)
        .outerjoin(rounds, rounds.c.slip_id == Slip.id)
        .where(_in_period(), subject.is_not(None))
    )


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


register(
    Family(
        key="slips_against",
        sop="篇2 §4.4–§4.9",
        kinds=frozenset({Kind.DEPARTMENT, Kind.PROJECT}),
        columns=("against", "on_time", "late", "failures", "open", "escalated"),
        build=_against,
        records=slip_evidence,
    )
)
