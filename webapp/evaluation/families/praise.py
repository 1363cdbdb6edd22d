"""篇3 §4.6 praise (RCP-04): the praises verified and credited to each staff member, their
departments and their project. A record is one credit (one person named by one praise);
it counts at the moment it was credited, as reception.registers.praise_credits counts it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.evaluation.facts import Evidence, Family, members, moment, register
from webapp.evaluation.rules import Kind
from webapp.org.models import Department, User
from webapp.reception.models import Praise, PraiseCredit, ReceptionEntry
from webapp.reception.registers import credited_between

#: how much of the owner's words the evidence shows
WORDS = 60


def _praise(kind: Kind) -> sa.Select:
    if kind is Kind.DEPARTMENT:
        member = members()
        subject = member.c.department_id
    else:
        subject = PraiseCredit.user_id if kind is Kind.PERSON else PraiseCredit.project_id
    statement = (
        sa.select(
            subject.label("subject_id"),
            PraiseCredit.id.label("record_id"),
            PraiseCredit.credited_at.label("at"),
            sa.literal(1).label("praises"),
        )
        .select_from(PraiseCredit)
        .where(credited_between(moment("start"), moment("end")))
    )
    if kind is Kind.DEPARTMENT:
        # members() is a union: one row per (department, credit); only the departments of
        # the praise's project (a person may work in several)
        statement = statement.join(member, member.c.user_id == PraiseCredit.user_id).join(
            Department,
            sa.and_(Department.id == member.c.department_id, Department.project_id == PraiseCredit.project_id),
        )
    return statement


def _short(text: str | None, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def praise_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    rows = session.execute(
        sa.select(PraiseCredit, Praise, ReceptionEntry.number, ReceptionEntry.content, User.display_name)
        .join(Praise, Praise.id == PraiseCredit.praise_id)
        .join(ReceptionEntry, ReceptionEntry.id == Praise.entry_id)
        .join(User, User.id == PraiseCredit.user_id)
        .where(PraiseCredit.id.in_(list(ids)))
    )
    found = {credit.id: (credit, praise, number, words, name) for credit, praise, number, words, name in rows}
    return [
        Evidence(
            record_id=credit.id,
            number=number,
            title=f"{name}: {_short(words, WORDS)}",
            at=credit.credited_at,
            endpoint="reception.praise",
            values={"praise_id": praise.id},
            note=_short(praise.praised_as, WORDS) or None,
        )
        for credit, praise, number, words, name in (found[i] for i in ids if i in found)
    ]


register(
    Family(
        key="praise",
        sop="篇3 §4.6",
        kinds=frozenset(Kind),
        columns=("praises",),
        build=_praise,
        records=praise_evidence,
    )
)
