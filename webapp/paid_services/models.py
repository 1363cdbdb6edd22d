"""Paid services 有偿服务 (篇5): the approved price list with its history (SVC-01), orders
from registration to the supervisor's quality check (SVC-02…07, 09), the staff cleared for
work in owners' homes (SVC-03, §4.5.1) and rental commissions (SVC-08).

Money is integer fen; quantities are hundredths of the unit of charge (see rules.py).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class ServiceItem(Versioned, ProjectScoped, Base):
    """有偿服务项目: a service a department offers (housekeeping, small repairs, business
    services…). Offered only while active and an approved price is in force (SVC-01)."""

    __tablename__ = "service_items"
    __table_args__ = (
        sa.UniqueConstraint("department_id", "name", name="uq_service_items_department_name"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    #: what one of the quantity counts: 次, 小时, 平方米, 个…
    unit_of_charge: so.Mapped[str] = so.mapped_column(sa.String(20))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: withdrawn items stay for the history of orders and prices
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    department: so.Mapped[Department] = so.relationship()  # noqa: F821
    prices: so.Mapped[list[ServicePrice]] = so.relationship(back_populates="item", order_by="ServicePrice.id")


class ServicePrice(ProjectScoped, Base):
    """One proposed price of an item and the GM's decision (收费标准, SVC-01). Rows are never
    changed after the decision: the price history is the list of them."""

    __tablename__ = "service_prices"
    __table_args__ = (sa.Index("ix_service_prices_item_decision_effective", "item_id", "decision", "effective_from"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    item_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_items.id"))
    price_fen: so.Mapped[int]
    proposed_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    proposed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: when the supervisor would like it to apply (None: as soon as approved)
    requested_effective_from: so.Mapped[datetime | None]
    #: a rules.PriceDecision; None while waiting for the GM
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    decided_at: so.Mapped[datetime | None]
    decision_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: set on approval: rules.effective_from(requested, decided_at)
    effective_from: so.Mapped[datetime | None]

    item: so.Mapped[ServiceItem] = so.relationship(back_populates="prices")
    proposed_by: so.Mapped[User] = so.relationship(foreign_keys=[proposed_by_id])  # noqa: F821
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])  # noqa: F821


class ServiceOrder(Versioned, ProjectScoped, Base):
    """家政服务登记表: one request of an owner, from the desk to the quality check."""

    __tablename__ = "service_orders"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_service_orders_number"),
        sa.Index("ix_service_orders_project_status_appointment", "project_id", "status", "appointment_at"),
        # 家政服务汇总表: jobs finished in a month
        sa.Index("ix_service_orders_project_finished", "project_id", "finished_at"),
        sa.Index("ix_service_orders_project_department_status", "project_id", "department_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-FW-20261128-0003 (webapp.core.numbering, series "FW")
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: a rules.ServiceStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the department whose items these are: told at registration, dispatches, checks quality
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"))

    # SVC-02 the request
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("owners.id"))
    #: how to reach the owner for this job, as they gave it
    contact: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    #: the time agreed with the owner
    appointment_at: so.Mapped[datetime]
    requirements: so.Mapped[str | None] = so.mapped_column(sa.Text)
    cautions: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the owner authorises entry with a key left at the service centre (SVC-05)
    key_authorised: so.Mapped[bool] = so.mapped_column(default=False)
    #: where the key is and who hands it over
    key_note: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    registered_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    registered_at: so.Mapped[datetime]

    # SVC-03 dispatch
    dispatched_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    dispatched_at: so.Mapped[datetime | None]

    # SVC-06 the work and its charge (fen); the lines' total is kept from the registration on
    started_at: so.Mapped[datetime | None]
    finished_at: so.Mapped[datetime | None]
    work_done: so.Mapped[str | None] = so.mapped_column(sa.Text)
    lines_fen: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    materials_fen: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    materials_note: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    total_fen: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    completed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    # SVC-07
    closed_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    cancelled_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    department: so.Mapped[Department] = so.relationship()  # noqa: F821
    unit: so.Mapped[Unit] = so.relationship()  # noqa: F821
    owner: so.Mapped[Owner | None] = so.relationship()  # noqa: F821
    registered_by: so.Mapped[User] = so.relationship(foreign_keys=[registered_by_id])  # noqa: F821
    lines: so.Mapped[list[ServiceOrderLine]] = so.relationship(
        back_populates="order", order_by="ServiceOrderLine.id"
    )
    assignments: so.Mapped[list[ServiceAssignment]] = so.relationship(
        back_populates="order", order_by="ServiceAssignment.id"
    )
    ticks: so.Mapped[list[ChecklistTick]] = so.relationship(back_populates="order", order_by="ChecklistTick.id")
    signatures: so.Mapped[list[ServiceSignature]] = so.relationship(
        back_populates="order", order_by="ServiceSignature.id"
    )
    quality_checks: so.Mapped[list[QualityCheck]] = so.relationship(
        back_populates="order", order_by="QualityCheck.id"
    )

    @property
    def technician_ids(self) -> list[int]:
        """The technicians on the job now (earlier teams stay as history)."""
        return [a.technician_id for a in self.assignments if a.removed_at is None]

    @property
    def current_signature(self) -> ServiceSignature | None:
        return self.signatures[-1] if self.signatures else None


class ServiceOrderLine(ProjectScoped, Base):
    """An item of an order. Name, unit of charge and price are copied when the order is
    registered: the order keeps the price it was made at (SVC-01) and what the owner signed
    does not change when the price list does."""

    __tablename__ = "service_order_lines"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_orders.id"), index=True)
    item_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_items.id"), index=True)
    #: the ServicePrice row the price was taken from
    price_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_prices.id"))
    item_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    unit_of_charge: so.Mapped[str] = so.mapped_column(sa.String(20))
    price_fen: so.Mapped[int]
    #: hundredths of the unit of charge (1.5 hours → 150)
    quantity_centi: so.Mapped[int]
    amount_fen: so.Mapped[int]

    order: so.Mapped[ServiceOrder] = so.relationship(back_populates="lines")
    item: so.Mapped[ServiceItem] = so.relationship()


class ServiceAssignment(ProjectScoped, Base):
    """A technician dispatched on an order (SVC-03). Taken off the job: `removed_at` set,
    the row kept."""

    __tablename__ = "service_assignments"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "technician_id", name="uq_service_assignments_order_technician"),
        sa.Index("ix_service_assignments_technician", "technician_id", "removed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_orders.id"))
    technician_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    assigned_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    assigned_at: so.Mapped[datetime]
    removed_at: so.Mapped[datetime | None]
    removed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    order: so.Mapped[ServiceOrder] = so.relationship(back_populates="assignments")
    technician: so.Mapped[User] = so.relationship(foreign_keys=[technician_id])  # noqa: F821


class ChecklistTick(ProjectScoped, Base):
    """One item of the pre-departure (SVC-04, per technician) or on-site (SVC-05, per
    order) checklist, ticked by a technician at a time."""

    __tablename__ = "service_checklist_ticks"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "technician_id", "item", name="uq_service_checklist_ticks_order_technician_item"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_orders.id"))
    technician_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: a rules.Checklist
    checklist: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: a rules.CheckItem
    item: so.Mapped[str] = so.mapped_column(sa.String(30))
    ticked_at: so.Mapped[datetime]

    order: so.Mapped[ServiceOrder] = so.relationship(back_populates="ticks")
    technician: so.Mapped[User] = so.relationship()  # noqa: F821


class ServiceSignature(ProjectScoped, Base):
    """The owner's acceptance of the order on the technician's phone or tablet (SVC-06),
    bound to the content it approved by its hash (SVC-09) — or the owner's refusal, with
    the reason. Every signing is kept; the latest counts."""

    __tablename__ = "service_signatures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_orders.id"), index=True)
    signer_name: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    signed_at: so.Mapped[datetime]
    #: SHA-256 (hex) of rules.serialise_content(signed_content) at the moment of signing
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: the canonical content itself, to show what was approved next to what the order says now
    signed_content: so.Mapped[str] = so.mapped_column(sa.Text)
    #: media key of the signature PNG (webapp.core.media); None for a refusal
    image_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    image_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    refused: so.Mapped[bool] = so.mapped_column(default=False)
    refusal_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: a rules.Satisfaction (1–5)
    satisfaction: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the technician whose device the owner used
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))

    order: so.Mapped[ServiceOrder] = so.relationship(back_populates="signatures")


class QualityCheck(ProjectScoped, Base):
    """The supervisor's check of the work (SVC-07); it closes the order."""

    __tablename__ = "service_quality_checks"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_orders.id"), index=True)
    checked_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: a rules.QualityResult
    result: so.Mapped[str] = so.mapped_column(sa.String(20))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    checked_at: so.Mapped[datetime]

    order: so.Mapped[ServiceOrder] = so.relationship(back_populates="quality_checks")
    checked_by: so.Mapped[User] = so.relationship()  # noqa: F821


class InHomeClearance(ProjectScoped, Base):
    """A staff member trained (discipline training) and cleared for work in owners' homes
    in a project (SVC-03, §4.5.1). Revoking keeps the row; clearing again adds one."""

    __tablename__ = "in_home_clearances"
    __table_args__ = (sa.Index("ix_in_home_clearances_project_user", "project_id", "user_id", "revoked_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    trained_on: so.Mapped[date]
    training_note: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    cleared_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    cleared_at: so.Mapped[datetime]
    revoked_at: so.Mapped[datetime | None]
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])  # noqa: F821


class RentalCommission(Versioned, ProjectScoped, Base):
    """房屋委托出租申请表 (SVC-08, §4.6): an owner asks the company to let their flat; the
    company takes a commission on the lease it finds."""

    __tablename__ = "rental_commissions"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_rental_commissions_number"),
        sa.Index("ix_rental_commissions_project_status", "project_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: e.g. CH-WT-20261128-0001 (series "WT", 委托)
    number: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: a rules.RentalStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("owners.id"))
    contact: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    asking_rent_fen: so.Mapped[int]
    #: the commission terms and the owner's conditions (furnishing, tenants, lease length…)
    terms: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the company's share of the lease's rent, in basis points (833 = 8.33 %)
    commission_rate_bp: so.Mapped[int]
    applied_at: so.Mapped[datetime]
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    listed_at: so.Mapped[datetime | None]
    let_at: so.Mapped[datetime | None]
    let_rent_fen: so.Mapped[int | None]
    lease_months: so.Mapped[int | None]
    #: rules.commission_fen(let_rent_fen, lease_months, commission_rate_bp), fixed when let
    commission_fen: so.Mapped[int | None]
    tenant_name: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    withdrawn_at: so.Mapped[datetime | None]
    withdraw_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    unit: so.Mapped[Unit] = so.relationship()  # noqa: F821
    owner: so.Mapped[Owner] = so.relationship()  # noqa: F821
