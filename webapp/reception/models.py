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

    received_by: so.Mapped[User | None] = so.relationship(foreign_keys=[received_by_id])  # noqa: F821
    routed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[routed_by_id])  # noqa: F821
    closed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[closed_by_id])  # noqa: F821
    owner: so.Mapped[Owner | None] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
