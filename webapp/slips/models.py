"""Information-transfer slips 信息传递单 (篇2): filed on patrol, received at the CS desk,
rectified by the responsible department, verified by CS, called back when an owner
raised it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class Slip(Versioned, ProjectScoped, Base):
    __tablename__ = "slips"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_slips_number"),
        # the desk queue and "open slips of a department" are the hot lists
        sa.Index("ix_slips_project_status_filed", "project_id", "status", "filed_at"),
        sa.Index("ix_slips_project_department_status", "project_id", "responsible_department_id", "status"),
        sa.Index("ix_slips_project_filed", "project_id", "filed_at"),
        # the slip list's "my department" and "filed by me", newest first (0011_scale_indexes)
        sa.Index("ix_slips_project_department_filed", "project_id", "responsible_department_id", "filed_at"),
        sa.Index("ix_slips_filed_by_project_filed", "filed_by_id", "project_id", "filed_at"),
        # the company view: one period of every project (0012_evaluation_indexes; BRIN on
        # PostgreSQL, slips are written in the order they are filed)
        sa.Index("ix_slips_filed_brin", "filed_at", postgresql_using="brin"),
        # a department's sheet and the ranking of departments: its slips filed (slips_filed)
        # and assigned to it (slips_against) over the trend's months (0013_evaluation_sheet_indexes)
        sa.Index("ix_slips_filer_department_filed", "filer_department_id", "filed_at"),
        sa.Index("ix_slips_department_filed", "responsible_department_id", "filed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-XD-20261128-0007 (webapp.core.numbering, series "XD")
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: a rules.SlipStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(30))
    urgent: so.Mapped[bool] = so.mapped_column(default=False)
    #: a rules.SlipCategory
    category: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: a rules.SlipSource: seen on site, or raised face to face by an owner (SLIP-02)
    source: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: SLIP-04: the problem is about staff service quality (CS inspects on site)
    about_service_quality: so.Mapped[bool] = so.mapped_column(default=False)
    description: so.Mapped[str] = so.mapped_column(sa.Text)

    # who and when (SLIP-01): from the login and the clock
    filed_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: the filer's department at filing time (the weekly summary counts "filed by its staff")
    filer_department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("departments.id"))
    #: when the phone captured it (may be earlier than filed_at for a slip sent offline)
    captured_at: so.Mapped[datetime]
    #: when the server received it; the 15-minute desk clock starts here
    filed_at: so.Mapped[datetime]

    # where (SLIP-01): a scanned facility and/or the phone's GPS and/or words
    facility_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("facilities.id"), index=True)
    place_text: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    #: GPS accuracy radius in metres, as the browser reported it
    accuracy_m: so.Mapped[float | None]

    # owner-raised (SLIP-02)
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("owners.id"))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: how to reach the owner for the call-back, as they gave it (may differ from the register)
    owner_contact: so.Mapped[str | None] = so.mapped_column(sa.String(100))

    # the CS desk (SLIP-03)
    received_at: so.Mapped[datetime | None]
    received_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    responsible_department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("departments.id"))
    #: computed by rules.rectification_due at assignment; replaced by an approved escalation plan
    rectification_due_at: so.Mapped[datetime | None]

    # escalation to the PM (SLIP-05)
    escalated_at: so.Mapped[datetime | None]
    escalation_plan: so.Mapped[str | None] = so.mapped_column(sa.Text)

    closed_at: so.Mapped[datetime | None]

    filed_by: so.Mapped[User] = so.relationship(foreign_keys=[filed_by_id])  # noqa: F821
    received_by: so.Mapped[User | None] = so.relationship(foreign_keys=[received_by_id])  # noqa: F821
    filer_department: so.Mapped[Department | None] = so.relationship(foreign_keys=[filer_department_id])  # noqa: F821
    responsible_department: so.Mapped[Department | None] = so.relationship(  # noqa: F821
        foreign_keys=[responsible_department_id]
    )
    facility: so.Mapped[Facility | None] = so.relationship()  # noqa: F821
    owner: so.Mapped[Owner | None] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
    photos: so.Mapped[list[SlipPhoto]] = so.relationship(back_populates="slip", order_by="SlipPhoto.id")
    rounds: so.Mapped[list[RectificationRound]] = so.relationship(
        back_populates="slip", order_by="RectificationRound.number"
    )
    callbacks: so.Mapped[list[SlipCallback]] = so.relationship(back_populates="slip", order_by="SlipCallback.id")


class SlipPhoto(ProjectScoped, Base):
    """A photo of the problem (kind "report") or of the rectified result (kind "after")."""

    __tablename__ = "slip_photos"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slip_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("slips.id"), index=True)
    #: "report" (filed with the slip) or "after" (rectification evidence)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default="report")
    #: media keys (webapp.core.media): the re-encoded original, its thumbnail, and the
    #: copy with time, place and filer burned in that the app and prints show
    original_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    thumbnail_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    watermarked_key: so.Mapped[str] = so.mapped_column(sa.String(80))
    width: so.Mapped[int]
    height: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    slip: so.Mapped[Slip] = so.relationship(back_populates="photos")


class RectificationRound(ProjectScoped, Base):
    """One round of measures and their verification (SLIP-06, SLIP-07); every round is kept."""

    __tablename__ = "rectification_rounds"
    __table_args__ = (sa.UniqueConstraint("slip_id", "number", name="uq_rectification_rounds_slip_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slip_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("slips.id"), index=True)
    number: so.Mapped[int]
    # SLIP-06: who, when, how (何人何时采取何种方式)
    measures_who: so.Mapped[str] = so.mapped_column(sa.String(100))
    measures_when: so.Mapped[datetime]
    measures_how: so.Mapped[str] = so.mapped_column(sa.Text)
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    recorded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when the department reported the work done and asked CS to verify
    completed_at: so.Mapped[datetime | None]
    #: "pass" or "fail" once CS verified on site
    verification: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    verification_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verified_at: so.Mapped[datetime | None]

    slip: so.Mapped[Slip] = so.relationship(back_populates="rounds")
    recorded_by: so.Mapped[User] = so.relationship(foreign_keys=[recorded_by_id])  # noqa: F821
    verified_by: so.Mapped[User | None] = so.relationship(foreign_keys=[verified_by_id])  # noqa: F821


class SlipCallback(ProjectScoped, Base):
    """回访 of an owner-raised slip (SLIP-08): by visit or phone, with the owner's response."""

    __tablename__ = "slip_callbacks"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slip_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("slips.id"), index=True)
    #: "visit" or "phone"
    method: so.Mapped[str] = so.mapped_column(sa.String(10))
    owner_response: so.Mapped[str] = so.mapped_column(sa.Text)
    satisfied: so.Mapped[bool]
    called_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    called_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    slip: so.Mapped[Slip] = so.relationship(back_populates="callbacks")
    called_by: so.Mapped[User] = so.relationship()  # noqa: F821
