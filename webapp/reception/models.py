"""Owner reception 业主接待 (篇3): the ledger 业主接待记录表 where every contact from an owner
is logged (RCP-01), classified (RCP-02), linked to the process it started (RCP-03/04) and
tracked until it is closed out (注销, RCP-08)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned


class ReceptionEntry(Versioned, ProjectScoped, Base):
    __tablename__ = "reception_entries"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_reception_entries_number"),
        sa.UniqueConstraint("public_token", name="uq_reception_entries_public_token"),
        # RCP-08: the open ledger, oldest first
        sa.Index("ix_reception_entries_project_status_received", "project_id", "status", "received_at"),
        # an owner's earlier contacts
        sa.Index("ix_reception_entries_project_owner", "project_id", "owner_id"),
        # from a complaint or order back to the entry that started it
        sa.Index("ix_reception_entries_follow_up", "follow_up_type", "follow_up_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-JD-20261128-0007 (webapp.core.numbering, series rules.REFERENCE_SERIES)
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: a rules.Channel
    channel: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: a rules.Category; None until the entry is routed
    category: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    #: a rules.LedgerStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))

    # RCP-01 who and when: from the login and the clock (no one for the owners' QR form)
    received_at: so.Mapped[datetime]
    received_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    # RCP-01 who came and what they said
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("owners.id"))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: how to reach the person, as they gave it (an anonymous caller's number, an address)
    contact: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    content: so.Mapped[str] = so.mapped_column(sa.Text)

    # RCP-03/04 the follow-up: a rules.FollowUp and the record it started (a table name
    # and id, since the follow-ups live in several slices); a note has no record
    follow_up: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    follow_up_type: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    follow_up_id: so.Mapped[int | None]
    routed_at: so.Mapped[datetime | None]
    routed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    # RCP-08 closing out (注销)
    closed_at: so.Mapped[datetime | None]
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    closing_note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    # a duplicate or nonsense, never routed
    discarded_at: so.Mapped[datetime | None]
    discarded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    discard_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    #: the owner's status link from the QR form (rules.new_status_token); names nobody
    public_token: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    #: the unit as an owner typed it on the QR form ("3栋1502") until the desk matches it
    reported_unit: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    #: the rules.Category an owner chose on the QR form; `category` stays empty until the
    #: desk confirms one by routing the entry
    owner_category: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    received_by: so.Mapped[User | None] = so.relationship(foreign_keys=[received_by_id])  # noqa: F821
    routed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[routed_by_id])  # noqa: F821
    closed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[closed_by_id])  # noqa: F821
    owner: so.Mapped[Owner | None] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
    photos: so.Mapped[list[ReceptionPhoto]] = so.relationship(
        back_populates="entry", order_by="ReceptionPhoto.id"
    )


class ReceptionPhoto(ProjectScoped, Base):
    """Evidence of an entry (a photo at the desk, or from the owner's QR form). The
    complaint, work order or return slip the entry starts shows these same files: evidence
    travels, it is never uploaded twice."""

    __tablename__ = "reception_photos"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reception_entries.id"), index=True)
    #: media keys (webapp.core.media): the re-encoded original, its thumbnail, and the
    #: copy with the time and entry number burnt in that pages and prints show
    original_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    thumbnail_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    watermarked_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    width: so.Mapped[int]
    height: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: None: the owner sent it with the QR form
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: so.Mapped[datetime]

    entry: so.Mapped[ReceptionEntry] = so.relationship(back_populates="photos")


class ReturnSlip(Versioned, ProjectScoped, Base):
    """RCP-03 物业返修联系单: an after-sales (construction legacy) problem handed the same
    day to the developer's on-site after-sales team, with a due date CS chases."""

    __tablename__ = "return_slips"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_return_slips_number"),
        sa.UniqueConstraint("entry_id", name="uq_return_slips_entry_id"),
        # the chasing sweep: sent and answered slips past their date
        sa.Index("ix_return_slips_status_chase_due", "status", "chase_due_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-FX-20261128-0003 (series rules.RETURN_SLIP_SERIES)
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reception_entries.id"))
    #: a rules.ReturnSlipStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: a common area, or more precisely where in the unit
    location: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    problem: so.Mapped[str] = so.mapped_column(sa.Text)

    drafted_at: so.Mapped[datetime]
    drafted_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: rules.return_slip_send_due: the end of the day the entry was classified
    send_due_at: so.Mapped[datetime]

    sent_at: so.Mapped[datetime | None]
    sent_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: who at the developer's after-sales team received it
    received_by_developer: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    #: the date set when sending (rules.check_developer_due)
    developer_due_at: so.Mapped[datetime | None]

    answer: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_at: so.Mapped[datetime | None]
    promised_by: so.Mapped[datetime | None]
    #: rules.chase_due(developer_due_at, promised_by): what the sweep compares with now
    chase_due_at: so.Mapped[datetime | None]
    #: the last time CS was reminded to chase (the sweep reminds once a day)
    last_chased_at: so.Mapped[datetime | None]

    outcome: so.Mapped[str | None] = so.mapped_column(sa.Text)
    completed_at: so.Mapped[datetime | None]
    withdrawn_at: so.Mapped[datetime | None]
    withdraw_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    entry: so.Mapped[ReceptionEntry] = so.relationship()
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
    drafted_by: so.Mapped[User] = so.relationship(foreign_keys=[drafted_by_id])  # noqa: F821
    sent_by: so.Mapped[User | None] = so.relationship(foreign_keys=[sent_by_id])  # noqa: F821


class RepairWorkOrder(Versioned, ProjectScoped, Base):
    """RCP-04 报修: a repair dispatched to maintenance, done, and called back. A call-back
    that finds it not fixed sends it round again; every round is kept (RepairRound)."""

    __tablename__ = "repair_work_orders"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_repair_work_orders_number"),
        sa.UniqueConstraint("entry_id", name="uq_repair_work_orders_entry_id"),
        sa.Index("ix_repair_work_orders_project_status", "project_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-BX-20261128-0012 (series rules.WORK_ORDER_SERIES)
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reception_entries.id"))
    #: a rules.WorkOrderStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    location: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    problem: so.Mapped[str] = so.mapped_column(sa.Text)
    #: a time agreed with the owner (rules.repair_done_due)
    agreed_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime]
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    closed_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    cancel_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    entry: so.Mapped[ReceptionEntry] = so.relationship()
    department: so.Mapped[Department] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
    created_by: so.Mapped[User] = so.relationship(foreign_keys=[created_by_id])  # noqa: F821
    rounds: so.Mapped[list[RepairRound]] = so.relationship(
        back_populates="work_order", order_by="RepairRound.round_number"
    )


class RepairRound(ProjectScoped, Base):
    """One dispatch of a work order: the repair, then the call-back (回访)."""

    __tablename__ = "repair_rounds"
    __table_args__ = (
        sa.UniqueConstraint("work_order_id", "round_number", name="uq_repair_rounds_work_order_id_round_number"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    work_order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("repair_work_orders.id"))
    round_number: so.Mapped[int]
    dispatched_at: so.Mapped[datetime]
    dispatched_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: rules.repair_done_due
    done_due_at: so.Mapped[datetime]
    done_at: so.Mapped[datetime | None]
    done_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    work_done: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: rules.repair_callback_due(done_at)
    callback_due_at: so.Mapped[datetime | None]
    called_back_at: so.Mapped[datetime | None]
    called_back_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: a rules.CallbackMethod
    callback_method: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    owner_response: so.Mapped[str | None] = so.mapped_column(sa.Text)
    fixed: so.Mapped[bool | None]

    work_order: so.Mapped[RepairWorkOrder] = so.relationship(back_populates="rounds")
    dispatched_by: so.Mapped[User] = so.relationship(foreign_keys=[dispatched_by_id])  # noqa: F821
    done_by: so.Mapped[User | None] = so.relationship(foreign_keys=[done_by_id])  # noqa: F821
    called_back_by: so.Mapped[User | None] = so.relationship(foreign_keys=[called_back_by_id])  # noqa: F821


class Praise(Versioned, ProjectScoped, Base):
    """RCP-04 表扬: recorded, verified (查证属实), then credited to the staff praised."""

    __tablename__ = "praises"
    __table_args__ = (sa.UniqueConstraint("entry_id", name="uq_praises_entry_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reception_entries.id"))
    #: a rules.PraiseStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: whom the owner praised, as they said it ("the young man on night duty")
    praised_as: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    recorded_at: so.Mapped[datetime]
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    verified_at: so.Mapped[datetime | None]
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verification_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    credited_at: so.Mapped[datetime | None]
    credited_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    entry: so.Mapped[ReceptionEntry] = so.relationship()
    credits: so.Mapped[list[PraiseCredit]] = so.relationship(back_populates="praise", order_by="PraiseCredit.id")


class PraiseCredit(ProjectScoped, Base):
    """A staff member a verified praise names: written to their record once credited
    (the staff evaluation reads these)."""

    __tablename__ = "praise_credits"
    __table_args__ = (
        sa.UniqueConstraint("praise_id", "user_id", name="uq_praise_credits_praise_id_user_id"),
        sa.Index("ix_praise_credits_user_credited", "user_id", "credited_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    praise_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("praises.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: set when the praise is credited; None while it is only verified
    credited_at: so.Mapped[datetime | None]

    praise: so.Mapped[Praise] = so.relationship(back_populates="credits")
    user: so.Mapped[User] = so.relationship()  # noqa: F821


class Suggestion(Versioned, ProjectScoped, Base):
    """RCP-04 建议: forwarded to the project manager, whose answer is recorded."""

    __tablename__ = "suggestions"
    __table_args__ = (sa.UniqueConstraint("entry_id", name="uq_suggestions_entry_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reception_entries.id"))
    #: a rules.SuggestionStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    forwarded_at: so.Mapped[datetime]
    forwarded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: rules.suggestion_answer_due(forwarded_at)
    answer_due_at: so.Mapped[datetime]
    answer: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_at: so.Mapped[datetime | None]
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    entry: so.Mapped[ReceptionEntry] = so.relationship()
    answered_by: so.Mapped[User | None] = so.relationship(foreign_keys=[answered_by_id])  # noqa: F821


class FoundItem(Versioned, ProjectScoped, Base):
    """RCP-04 失物招领登记表: the item, where and when found, who holds it; claimed by whom
    and when, the claimant's ID checked and kept masked (§4.12)."""

    __tablename__ = "found_items"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_found_items_number"),
        sa.Index("ix_found_items_project_status", "project_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-SW-20261128-0001 (series rules.FOUND_ITEM_SERIES)
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: the ledger entry it came in with; None for an item staff found themselves
    entry_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reception_entries.id"), index=True)
    #: a rules.LostPropertyStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    item: so.Mapped[str] = so.mapped_column(sa.String(200))
    found_place: so.Mapped[str] = so.mapped_column(sa.String(200))
    found_at: so.Mapped[datetime]
    #: who found or handed it in, as written
    found_by: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    holder: so.Mapped[str] = so.mapped_column(sa.String(100))
    registered_at: so.Mapped[datetime]
    registered_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))

    claimant_name: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    #: a rules.IdDocument
    claimant_document: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    #: rules.mask_document_number: the full number is never stored
    claimant_document_masked: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    claimed_at: so.Mapped[datetime | None]
    #: the staff member who checked the ID and handed the item over
    released_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    handover_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    handed_over_at: so.Mapped[datetime | None]

    entry: so.Mapped[ReceptionEntry | None] = so.relationship()
    registered_by: so.Mapped[User] = so.relationship(foreign_keys=[registered_by_id])  # noqa: F821
    released_by: so.Mapped[User | None] = so.relationship(foreign_keys=[released_by_id])  # noqa: F821


class MajorEvent(Versioned, ProjectScoped, Base):
    """RCP-07 重大(突发)事件处理记录表: major security incidents, major equipment or
    facility failures, visits by important officials."""

    __tablename__ = "major_events"
    __table_args__ = (sa.Index("ix_major_events_project_occurred", "project_id", "occurred_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: a rules.EventKind
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: a rules.EventStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    occurred_at: so.Mapped[datetime]
    place: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    people_involved: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    handling: so.Mapped[str | None] = so.mapped_column(sa.Text)
    follow_up: so.Mapped[str | None] = so.mapped_column(sa.Text)
    recorded_at: so.Mapped[datetime]
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    closed_at: so.Mapped[datetime | None]
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    recorded_by: so.Mapped[User] = so.relationship(foreign_keys=[recorded_by_id])  # noqa: F821
    closed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[closed_by_id])  # noqa: F821
