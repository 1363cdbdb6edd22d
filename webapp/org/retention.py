"""Retention of owners' personal data (PIPL): the company keeps it for N calendar months
after a record closes, then the sweep anonymises it.

Anonymised means the names typed on the record read ``已匿名``, the contacts are cleared
and phone numbers inside its free text are replaced by asterisks. The record itself, its
number, times, statuses, classes, amounts and links stay, so registers, monthly reports
and the staff evaluation count exactly what they counted before. Each anonymised record
gets one audit event ("anonymised") that names no personal value; the audit trail itself
never held a full phone number (webapp.core.audit masks them when recording), so it is
never edited.

What is anonymised, and when a record counts as closed, is listed in ``HOLDERS``. The owner
register (webapp.estate Owner) is the estate's current list of residents, not a closed
record: it is kept up to date by its own import and is not swept here.

Run by ``flask privacy anonymise`` from the daily systemd timer
(deploy/systemd/estatedesk-privacy.timer); idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities.models import ActivitySurvey, ActivitySurveyAnswer
from webapp.complaints.models import Complaint, ComplaintCallback, ComplaintPause
from webapp.complaints.rules import ComplaintStatus
from webapp.core import audit
from webapp.core.models import AuditEvent
from webapp.core.privacy import ANONYMISED_NAME, remove_phones
from webapp.core.rulekit import N_
from webapp.org import rules
from webapp.org.models import Company
from webapp.paid_services.models import RentalCommission, ServiceOrder, ServiceSignature
from webapp.paid_services.rules import RentalStatus, ServiceStatus
from webapp.reception.models import (
    FoundItem,
    MajorEvent,
    ReceptionEntry,
    RepairRound,
    RepairWorkOrder,
    Suggestion,
)
from webapp.reception.rules import (
    EventStatus,
    LedgerStatus,
    LostPropertyStatus,
    SuggestionStatus,
    WorkOrderStatus,
)
from webapp.slips.models import Slip, SlipCallback
from webapp.slips.rules import SlipStatus

ACTION = "anonymised"
audit.ACTION_LABELS[ACTION] = N_("anonymised the personal data")
audit.FIELD_LABELS["personal_data_retention_months"] = N_("Keep owners' personal data (months)")

#: a survey answer is "closed" with its survey
_SURVEY_CLOSED = "closed"


@dataclass(frozen=True)
class Part:
    """Rows under a record (its call-backs, signatures…) anonymised with it."""

    model: type
    #: the column naming the record
    parent: str
    names: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Holder:
    """A kind of record that holds owners' personal data."""

    model: type
    #: its final states: only these records are ever anonymised
    final_statuses: frozenset[str]
    #: SQL for the moment it closed (the first of several columns that is set)
    closed_at: Callable[[], Any]
    #: SQL for its state (the status column, unless the state lives elsewhere)
    status: Callable[[], Any]
    #: people's names as typed: replaced by ANONYMISED_NAME
    names: tuple[str, ...] = ()
    #: phone numbers, addresses, ID numbers: cleared
    contacts: tuple[str, ...] = ()
    #: free text: phone numbers removed, the words kept
    texts: tuple[str, ...] = ()
    parts: tuple[Part, ...] = field(default=())


def _first(*columns):
    return lambda: sa.func.coalesce(*columns) if len(columns) > 1 else columns[0]


HOLDERS: tuple[Holder, ...] = (
    Holder(
        ReceptionEntry,
        frozenset({LedgerStatus.CLOSED, LedgerStatus.DISCARDED}),
        _first(ReceptionEntry.closed_at, ReceptionEntry.discarded_at),
        lambda: ReceptionEntry.status,
        contacts=("contact",),
        texts=("content", "closing_note", "discard_reason"),
    ),
    Holder(
        # a withdrawn slip has no closing moment: it was withdrawn before the desk
        # received it, minutes after it was filed
        Slip,
        frozenset({SlipStatus.CLOSED, SlipStatus.WITHDRAWN}),
        _first(Slip.closed_at, Slip.filed_at),
        lambda: Slip.status,
        contacts=("owner_contact",),
        texts=("description", "escalation_plan"),
        parts=(Part(SlipCallback, "slip_id", texts=("owner_response",)),),
    ),
    Holder(
        Complaint,
        frozenset({ComplaintStatus.CLOSED}),
        _first(Complaint.closed_at),
        lambda: Complaint.status,
        contacts=("owner_contact",),
        texts=("description", "owner_request", "measures", "answer", "explanation", "utility_follow_up"),
        parts=(
            Part(ComplaintCallback, "complaint_id", texts=("comment",)),
            Part(ComplaintPause, "complaint_id", texts=("reason",)),
        ),
    ),
    Holder(
        # work_done and materials_note stay as they are: the owner's signature covers them
        ServiceOrder,
        frozenset({ServiceStatus.CLOSED, ServiceStatus.CANCELLED}),
        _first(ServiceOrder.closed_at, ServiceOrder.cancelled_at),
        lambda: ServiceOrder.status,
        contacts=("contact", "key_note"),
        texts=("requirements", "cautions", "cancel_reason"),
        parts=(
            Part(ServiceSignature, "order_id", names=("signer_name",), texts=("comment", "refusal_reason")),
        ),
    ),
    Holder(
        RentalCommission,
        frozenset({RentalStatus.LET, RentalStatus.WITHDRAWN}),
        _first(RentalCommission.let_at, RentalCommission.withdrawn_at),
        lambda: RentalCommission.status,
        names=("tenant_name",),
        contacts=("contact",),
        texts=("terms", "withdraw_reason"),
    ),
    Holder(
        RepairWorkOrder,
        frozenset({WorkOrderStatus.CLOSED, WorkOrderStatus.CANCELLED}),
        _first(RepairWorkOrder.closed_at, RepairWorkOrder.cancelled_at),
        lambda: RepairWorkOrder.status,
        texts=("problem", "cancel_reason"),
        parts=(Part(RepairRound, "work_order_id", texts=("owner_response",)),),
    ),
    Holder(
        FoundItem,
        frozenset({LostPropertyStatus.CLAIMED, LostPropertyStatus.HANDED_OVER}),
        _first(FoundItem.claimed_at, FoundItem.handed_over_at),
        lambda: FoundItem.status,
        names=("claimant_name", "found_by"),
        contacts=("claimant_document_masked",),
        texts=("handover_note",),
    ),
    Holder(
        Suggestion,
        frozenset({SuggestionStatus.ANSWERED}),
        _first(Suggestion.answered_at),
        lambda: Suggestion.status,
        texts=("answer",),
    ),
    Holder(
        # the people involved are named as written (owners, visitors): the event stays
        MajorEvent,
        frozenset({EventStatus.CLOSED}),
        _first(MajorEvent.closed_at),
        lambda: MajorEvent.status,
        names=("people_involved",),
        texts=("description", "handling", "follow_up"),
    ),
    Holder(
        # a household's answer names its unit; its comment may carry a phone number
        ActivitySurveyAnswer,
        frozenset({_SURVEY_CLOSED}),
        lambda: (
            sa.select(ActivitySurvey.closed_at)
            .where(ActivitySurvey.id == ActivitySurveyAnswer.survey_id)
            .scalar_subquery()
        ),
        lambda: sa.literal(_SURVEY_CLOSED),
        texts=("comment",),
    ),
)


@dataclass
class Outcome:
    #: records anonymised, by table
    by_table: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_table.values())


def retention_months(session: so.Session) -> int | None:
    """The company's setting; None (or no company yet) keeps personal data."""
    company = session.scalar(sa.select(Company).order_by(Company.id).limit(1))
    return company.personal_data_retention_months if company else None


def set_retention_months(session: so.Session, actor_id: int | None, company: Company, months: int | None) -> None:
    """The admin's setting on /admin/company, audited like the company's other fields."""
    months = rules.check_retention_months(months)
    before = company.personal_data_retention_months
    if before != months:
        company.personal_data_retention_months = months
        audit.record(
            session, company, "updated", actor_id=actor_id,
            changes={"personal_data_retention_months": [before, months]},
        )


def due_records(session: so.Session, holder: Holder, now: datetime, months: int | None) -> list:
    """Records of one kind due for anonymisation at `now` and not yet anonymised."""
    cutoff = rules.anonymise_closed_before(now, months)
    if cutoff is None:
        return []
    model = holder.model
    closed_at = holder.closed_at().label("closed_moment")
    status = holder.status().label("state")
    already = sa.exists().where(
        AuditEvent.entity_type == model.__tablename__,
        AuditEvent.entity_id == model.id,
        AuditEvent.action == ACTION,
    )
    rows = session.execute(
        sa.select(model, closed_at, status)
        .where(holder.status().in_([str(s) for s in holder.final_statuses]))
        .where(holder.closed_at() < cutoff)
        .where(~already)
        .order_by(model.id)
    ).all()
    # the SQL narrows; the rule decides (calendar months in Asia/Shanghai)
    return [
        record for record, moment, state in rows
        if rules.is_due_for_anonymisation(state, _aware(moment), now, months, holder.final_statuses)
    ]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive UTC
        return moment.replace(tzinfo=UTC)
    return moment


def anonymise_record(session: so.Session, holder: Holder, record: Any) -> None:
    """The record's personal data anonymised, and one event saying so (no value in it)."""
    _scrub(record, holder.names, holder.contacts, holder.texts)
    for part in holder.parts:
        rows = session.scalars(sa.select(part.model).where(getattr(part.model, part.parent) == record.id))
        for row in rows:
            _scrub(row, part.names, (), part.texts)
    audit.record(session, record, ACTION, actor_id=None)


def _scrub(row: Any, names: tuple[str, ...], contacts: tuple[str, ...], texts: tuple[str, ...]) -> None:
    for name in names:
        if getattr(row, name):
            setattr(row, name, ANONYMISED_NAME)
    for name in contacts:
        setattr(row, name, None)
    for name in texts:
        value = getattr(row, name)
        if value:
            cleaned = remove_phones(value)
            if cleaned != value:
                setattr(row, name, cleaned)


def anonymise_due(session: so.Session, now: datetime, *, batch: int = 500) -> Outcome:
    """Every record due at `now`, committed a batch at a time (a first run on years of
    records does not hold one long transaction). Running it again finds nothing new."""
    months = retention_months(session)
    outcome = Outcome()
    for holder in HOLDERS:
        done = 0
        for record in due_records(session, holder, now, months):
            anonymise_record(session, holder, record)
            done += 1
            if done % batch == 0:
                session.commit()
        session.commit()
        if done:
            outcome.by_table[holder.model.__tablename__] = done
    return outcome
