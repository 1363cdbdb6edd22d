"""Complaints 投诉 (篇4, reception per 篇3 §4.7): recorded at the desk, classed, handed to
the people CMP-04 names, handled against the CMP-05 clocks (paused only while waiting,
moved only by an approved extension), answered, called back, closed. A major complaint
also carries a corrective and preventive action (CMP-09)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class Complaint(Versioned, ProjectScoped, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_complaints_number"),
        # the register (业主投诉记录表) and the monthly summary list by class and reception
        sa.Index("ix_complaints_project_class_received", "project_id", "complaint_class", "received_at"),
        sa.Index("ix_complaints_project_status_received", "project_id", "status", "received_at"),
        # the sweep: open complaints by their due moments
        sa.Index("ix_complaints_status_commitment_due", "status", "commitment_due_at"),
        sa.Index("ix_complaints_status_resolution_due", "status", "resolution_due_at"),
        sa.Index("ix_complaints_status_received", "status", "received_at"),
        # repeats by the same owner (CMP-07)
        sa.Index("ix_complaints_project_owner", "project_id", "owner_id"),
        # the monthly summary's clocks: what fell due or was upgraded in the period
        # (0011_scale_indexes); upgrades are rare, so only upgraded rows are indexed
        sa.Index("ix_complaints_project_commitment_due", "project_id", "commitment_due_at"),
        sa.Index("ix_complaints_project_resolution_due", "project_id", "resolution_due_at"),
        sa.Index(
            "ix_complaints_project_upgraded",
            "project_id",
            "upgraded_at",
            postgresql_where=sa.text("upgraded_at IS NOT NULL"),
            sqlite_where=sa.text("upgraded_at IS NOT NULL"),
        ),
        # the company view: one period of every project (0012_evaluation_indexes; BRIN on
        # PostgreSQL, the columns follow the order rows are written in)
        sa.Index("ix_complaints_received_brin", "received_at", postgresql_using="brin"),
        sa.Index("ix_complaints_commitment_due_brin", "commitment_due_at", postgresql_using="brin"),
        sa.Index("ix_complaints_resolution_due_brin", "resolution_due_at", postgresql_using="brin"),
        # a department's and a person's sheet: the complaints against them, their clocks and
        # call-backs (complaints_received, complaint_commitment/_resolution, complaint_callbacks;
        # 0013_evaluation_sheet_indexes); few name a person, so only those rows are indexed
        sa.Index("ix_complaints_department_received", "complained_department_id", "received_at"),
        sa.Index(
            "ix_complaints_user_received",
            "complained_user_id",
            "received_at",
            postgresql_where=sa.text("complained_user_id IS NOT NULL"),
            sqlite_where=sa.text("complained_user_id IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. OWN-TS-20261128-0003 (webapp.core.numbering, series "TS")
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: a rules.ComplaintStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: a rules.ComplaintClass, confirmed by the receptionist (CMP-01); the sweep may upgrade it
    complaint_class: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the class the form suggested (rules.suggest_class), kept to see how often it is overridden
    suggested_class: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    #: a rules.InvalidReason, for an invalid complaint only
    invalid_reason: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    #: rules.MajorGround values, comma-separated (CMP-02 a/b by staff, c by the server)
    major_grounds: so.Mapped[str | None] = so.mapped_column(sa.String(120))

    # CMP-03 the record
    event_time: so.Mapped[datetime | None]
    event_place: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    complained_department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("departments.id"))
    #: the person complained about, as the owner named them
    complained_person: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    complained_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    owner_request: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: how to reach the owner, as they gave it
    owner_contact: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("owners.id"))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: visit, phone, letter… (篇3 §4.7: other forms are handled the same way)
    channel: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    # reception; every clock starts at received_at
    received_at: so.Mapped[datetime]
    received_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: the owner's requested time (CMP-04 c, minor complaints)
    requested_at: so.Mapped[datetime | None]

    # CMP-04 handling commitment (never pauses)
    commitment_due_at: so.Mapped[datetime]
    commitment_done_at: so.Mapped[datetime | None]
    #: who took the complaint into handling
    commitment_to_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: minor: handling starts within 2 days or by the owner's requested time
    handling_start_due_at: so.Mapped[datetime | None]
    handling_started_at: so.Mapped[datetime | None]

    # CMP-05 resolution: rules.resolution_due(class, clock start, paused=closed pauses,
    # extension=extension_seconds); an open pause is added when the sweep looks
    resolution_due_at: so.Mapped[datetime]
    #: total of approved extensions, in seconds
    extension_seconds: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    answered_at: so.Mapped[datetime | None]
    #: handling complete (minor / important: this stops the resolution clock)
    resolved_at: so.Mapped[datetime | None]
    closed_at: so.Mapped[datetime | None]

    # CMP-02 c: the server's upgrade to major
    upgraded_at: so.Mapped[datetime | None]
    upgrade_reason: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    # handling (篇3 §4.7 c–e, 篇4 §4.4)
    measures: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answer: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the cause found (d: 查出原因和责任人); counts by cause in the monthly summary
    cause: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    responsible_person: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    #: a) the receptionist apologised on behalf of the department complained about
    desk_apologised: so.Mapped[bool] = so.mapped_column(default=False)
    #: e) about service attitude or quality: the department supervisor must apologise
    supervisor_apology_required: so.Mapped[bool] = so.mapped_column(default=False)
    supervisor_apologised_at: so.Mapped[datetime | None]
    #: e) serious: the person is criticised in a notice (通报批评)
    criticised: so.Mapped[bool] = so.mapped_column(default=False)
    #: c) caused by municipal water, power, gas, roads, post or telecoms
    municipal_cause: so.Mapped[bool] = so.mapped_column(default=False)
    #: c) what was taken up with the utility or authority, and its outcome
    utility_follow_up: so.Mapped[str | None] = so.mapped_column(sa.Text)

    # CMP-06 invalid complaints
    explanation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the developer, or the agency concerned
    forwarded_to: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    forwarded_at: so.Mapped[datetime | None]

    received_by: so.Mapped[User] = so.relationship(foreign_keys=[received_by_id])  # noqa: F821
    commitment_to: so.Mapped[User | None] = so.relationship(foreign_keys=[commitment_to_id])  # noqa: F821
    complained_user: so.Mapped[User | None] = so.relationship(foreign_keys=[complained_user_id])  # noqa: F821
    complained_department: so.Mapped[Department | None] = so.relationship(  # noqa: F821
        foreign_keys=[complained_department_id]
    )
    owner: so.Mapped[Owner | None] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit | None] = so.relationship()  # noqa: F821
    pauses: so.Mapped[list[ComplaintPause]] = so.relationship(
        back_populates="complaint", order_by="ComplaintPause.id"
    )
    extensions: so.Mapped[list[ExtensionRequest]] = so.relationship(
        back_populates="complaint", order_by="ExtensionRequest.id"
    )
    callbacks: so.Mapped[list[ComplaintCallback]] = so.relationship(
        back_populates="complaint", order_by="ComplaintCallback.id"
    )
    corrective_actions: so.Mapped[list[CorrectiveAction]] = so.relationship(
        back_populates="complaint", order_by="CorrectiveAction.id"
    )

    @property
    def grounds(self) -> list[str]:
        return [g for g in (self.major_grounds or "").split(",") if g]


class ComplaintPause(ProjectScoped, Base):
    """A wait with its reason (owner unreachable, parts on order): the resolution clock
    stops from `started_at` to `ended_at`; the commitment clock never does."""

    __tablename__ = "complaint_pauses"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    complaint_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("complaints.id"), index=True)
    started_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime | None]
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    started_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    ended_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    complaint: so.Mapped[Complaint] = so.relationship(back_populates="pauses")


class ExtensionRequest(ProjectScoped, Base):
    """CMP-05: more time asked with a reason; the PM (minor) or the GM (important) decides."""

    __tablename__ = "complaint_extensions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    complaint_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("complaints.id"), index=True)
    #: the resolution due moment when asked, and the one asked for
    current_due_at: so.Mapped[datetime]
    requested_due_at: so.Mapped[datetime]
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    requested_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: "approved" or "refused"; None while pending
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    decided_at: so.Mapped[datetime | None]
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    complaint: so.Mapped[Complaint] = so.relationship(back_populates="extensions")
    requested_by: so.Mapped[User] = so.relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])  # noqa: F821


class ComplaintCallback(ProjectScoped, Base):
    """回访 (CMP-07): how, the owner's satisfaction and words; it closes the complaint."""

    __tablename__ = "complaint_callbacks"
    #: the monthly summary's satisfaction: a project's call-backs in a period (0011_scale_indexes)
    __table_args__ = (
        sa.Index("ix_complaint_callbacks_project_called", "project_id", "called_at"),
        # the company view's satisfaction: one period of every project (0012_evaluation_indexes)
        sa.Index("ix_complaint_callbacks_called_brin", "called_at", postgresql_using="brin"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    complaint_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("complaints.id"), index=True)
    #: "visit" or "phone"
    method: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: a rules.Satisfaction
    satisfaction: so.Mapped[str] = so.mapped_column(sa.String(20))
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    called_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    called_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    complaint: so.Mapped[Complaint] = so.relationship(back_populates="callbacks")
    called_by: so.Mapped[User] = so.relationship()  # noqa: F821


class CorrectiveAction(ProjectScoped, Base):
    """不合格纠正与预防 (CMP-09) for a major complaint: open in QA's work until verified."""

    __tablename__ = "corrective_actions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    complaint_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("complaints.id"), index=True)
    opened_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    root_cause: so.Mapped[str | None] = so.mapped_column(sa.Text)
    correction: so.Mapped[str | None] = so.mapped_column(sa.Text)
    preventive_action: so.Mapped[str | None] = so.mapped_column(sa.Text)
    owner_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    due_on: so.Mapped[date | None]
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    recorded_at: so.Mapped[datetime | None]
    #: QA's verification of the effect: "effective" or "not_effective"
    verification: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    verification_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verified_at: so.Mapped[datetime | None]

    complaint: so.Mapped[Complaint] = so.relationship(back_populates="corrective_actions")
    owner_user: so.Mapped[User | None] = so.relationship(foreign_keys=[owner_user_id])  # noqa: F821


class ComplaintMonthlyReport(Versioned, ProjectScoped, Base):
    """The analysis report of 投诉情况月汇总表 (CMP-07, 篇4 §4.5, 篇3 §4.9): customer service
    writes it for one report period and submits it to the project manager, who marks it
    reviewed. The figures are computed when shown (webapp.complaints.reports); this row
    keeps the words and who signed them off. The sweep creates it, empty, when the
    period's last week starts, so that the reminder has a record to point at."""

    __tablename__ = "complaint_monthly_reports"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "period_start", name="uq_complaint_monthly_reports_project_period"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the report period, local dates, both included (rules.report_period); due on period_end
    period_start: so.Mapped[date]
    period_end: so.Mapped[date]
    #: the written analysis: what the figures mean, causes, measures for next month
    analysis: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    submitted_at: so.Mapped[datetime | None]
    reviewed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: so.Mapped[datetime | None]
    #: the PM's remarks with the review
    review_note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    submitted_by: so.Mapped[User | None] = so.relationship(foreign_keys=[submitted_by_id])  # noqa: F821
    reviewed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[reviewed_by_id])  # noqa: F821
