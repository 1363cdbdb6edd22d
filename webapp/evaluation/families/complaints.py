"""篇4 complaints (and 篇3 §4.7 reception): what was complained about each person,
department and project, how the CMP-04 / CMP-05 clocks went, and the call-backs
(CMP-07), with the monthly summary's (投诉情况月汇总表) definitions: the conditions are
built by the same functions (webapp.complaints.reports).

A complaint counts for the staff member complained about (``complained_user_id``), the
department complained about (``complained_department_id``) and its project; one naming
neither counts for its project only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context

from webapp.complaints.forms import CLASS_LABELS, SATISFACTION_LABELS, STATUS_LABELS
from webapp.complaints.models import Complaint, ComplaintCallback
from webapp.complaints.reports import commitment_outcome, resolution_outcome, still_open
from webapp.complaints.rules import SATISFIED_LEVELS, ComplaintClass
from webapp.evaluation.facts import Evidence, Family, flag, moment, register
from webapp.evaluation.rules import Kind

_SUBJECT = {
    Kind.PERSON: Complaint.complained_user_id,
    Kind.DEPARTMENT: Complaint.complained_department_id,
    Kind.PROJECT: Complaint.project_id,
}


def _within(column) -> sa.ColumnElement[bool]:
    return sa.and_(column >= moment("start"), column < moment("end"))


def _facts(kind: Kind, at, *columns) -> sa.Select:
    """One row per complaint placed in the period by `at`, for its subject of this kind."""
    subject = _SUBJECT[kind]
    return sa.select(subject.label("subject_id"), Complaint.id.label("record_id"), at.label("at"), *columns).where(
        _within(at), subject.is_not(None)
    )


def _received(kind: Kind) -> sa.Select:
    return _facts(
        kind,
        Complaint.received_at,
        sa.literal(1).label("complaints"),
        flag(Complaint.complaint_class != ComplaintClass.INVALID.value).label("valid"),
        flag(Complaint.complaint_class == ComplaintClass.MAJOR.value).label("major"),
        flag(Complaint.complaint_class == ComplaintClass.IMPORTANT.value).label("important"),
        flag(still_open()).label("still_open"),
    )


def _clock(at, outcome: Callable) -> Callable[[Kind], sa.Select]:
    def build(kind: Kind) -> sa.Select:
        on_time, late, pending = outcome(moment("now"))
        return _facts(
            kind, at, flag(on_time).label("on_time"), flag(late).label("late"), flag(pending).label("pending")
        )

    return build


def _callbacks(kind: Kind) -> sa.Select:
    """One row per call-back made in the period; the record is the call-back (its evidence
    row links to the complaint), so a complaint called back twice is listed twice."""
    called = ComplaintCallback.called_at
    satisfied = flag(ComplaintCallback.satisfaction.in_(sorted(level.value for level in SATISFIED_LEVELS)))
    if kind is Kind.PROJECT:
        # the call-back carries its project: no need to read the complaints
        return sa.select(
            ComplaintCallback.project_id.label("subject_id"),
            ComplaintCallback.id.label("record_id"),
            called.label("at"),
            sa.literal(1).label("callbacks"),
            satisfied.label("satisfied"),
        ).where(_within(called))
    subject = _SUBJECT[kind]
    return (
        sa.select(
            subject.label("subject_id"),
            ComplaintCallback.id.label("record_id"),
            called.label("at"),
            sa.literal(1).label("callbacks"),
            satisfied.label("satisfied"),
        )
        .select_from(ComplaintCallback)
        .join(Complaint, Complaint.id == ComplaintCallback.complaint_id)
        .where(_within(called), subject.is_not(None))
    )


def _label(labels: dict, value: str | None) -> str:
    """The value's label in the reader's language (a page or an xlsx: a request); the
    value itself elsewhere (no locale to translate into)."""
    if value in labels and has_request_context():
        return str(labels[value])
    return value or ""


def _evidence(at: Callable[[Complaint], datetime | None]):
    """The evidence rows of some complaints, placed by `at`."""

    def records(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
        found = {c.id: c for c in session.scalars(sa.select(Complaint).where(Complaint.id.in_(list(ids))))}
        return [
            Evidence(
                record_id=complaint.id,
                number=complaint.number,
                title=complaint.description[:80],
                at=at(complaint),
                endpoint="complaints.detail",
                values={"complaint_id": complaint.id},
                note=f"{_label(CLASS_LABELS, complaint.complaint_class)} · {_label(STATUS_LABELS, complaint.status)}",
            )
            for complaint in (found.get(i) for i in ids)
            if complaint is not None
        ]

    return records


def _callback_evidence(session: so.Session, ids: Sequence[int]) -> list[Evidence]:
    """The call-backs with their complaints, placed at the call, the owner's answer as note."""
    found = {
        callback.id: (callback, complaint)
        for callback, complaint in session.execute(
            sa.select(ComplaintCallback, Complaint)
            .join(Complaint, Complaint.id == ComplaintCallback.complaint_id)
            .where(ComplaintCallback.id.in_(list(ids)))
        ).all()
    }
    return [
        Evidence(
            record_id=callback.id,
            number=complaint.number,
            title=complaint.description[:80],
            at=callback.called_at,
            endpoint="complaints.detail",
            values={"complaint_id": complaint.id},
            note=_label(SATISFACTION_LABELS, callback.satisfaction),
        )
        for callback, complaint in (found[i] for i in ids if i in found)
    ]


register(
    Family(
        key="complaints_received",
        sop="篇4 §4.2–§4.5, 篇3 §4.7 e",
        kinds=frozenset(Kind),
        columns=("complaints", "valid", "major", "important", "still_open"),
        build=_received,
        records=_evidence(lambda complaint: complaint.received_at),
    )
)
register(
    Family(
        key="complaint_commitment",
        sop="篇4 §4.3.2",
        kinds=frozenset(Kind),
        columns=("on_time", "late", "pending"),
        build=_clock(Complaint.commitment_due_at, commitment_outcome),
        records=_evidence(lambda complaint: complaint.commitment_due_at),
    )
)
register(
    Family(
        key="complaint_resolution",
        sop="篇4 §4.7",
        kinds=frozenset(Kind),
        columns=("on_time", "late", "pending"),
        build=_clock(Complaint.resolution_due_at, resolution_outcome),
        records=_evidence(lambda complaint: complaint.resolution_due_at),
    )
)
register(
    Family(
        key="complaint_callbacks",
        sop="篇4 §4.5",
        kinds=frozenset(Kind),
        columns=("callbacks", "satisfied"),
        build=_callbacks,
        records=_callback_evidence,
    )
)
