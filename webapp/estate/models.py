"""The estate: buildings, units, owners and residents, facilities (EST-01, EST-02)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class Building(Versioned, ProjectScoped, Base):
    __tablename__ = "buildings"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_buildings_project_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: as painted on the building, e.g. "3栋"
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    floors: so.Mapped[int | None]
    sort_order: so.Mapped[int] = so.mapped_column(default=0)

    units: so.Mapped[list[Unit]] = so.relationship(back_populates="building", order_by="Unit.number")
    facilities: so.Mapped[list[Facility]] = so.relationship(back_populates="building")


class Unit(Versioned, ProjectScoped, Base):
    """房号: one flat, shop or office."""

    __tablename__ = "units"
    __table_args__ = (
        sa.UniqueConstraint("building_id", "number", name="uq_units_building_number"),
        sa.Index("ix_units_project_number", "project_id", "number"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    building_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("buildings.id"))
    #: the unit number within the building, e.g. "2-1502" (entrance-floor+door)
    number: so.Mapped[str] = so.mapped_column(sa.String(30))
    floor: so.Mapped[int | None]
    #: floor area in square metres × 100 (integer, like money)
    area_centi_m2: so.Mapped[int | None]

    building: so.Mapped[Building] = so.relationship(back_populates="units")
    occupancies: so.Mapped[list[Occupancy]] = so.relationship(back_populates="unit")

    @property
    def label(self) -> str:
        return f"{self.building.name} {self.number}"


class Owner(Versioned, ProjectScoped, Base):
    """业主/住户: a person living in or owning units of the project. Confidential (EST-03)."""

    __tablename__ = "owners"
    __table_args__ = (sa.Index("ix_owners_project_name", "project_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    #: full number; pages show webapp.estate.rules.mask_phone() of it unless revealed
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20), index=True)
    note: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    occupancies: so.Mapped[list[Occupancy]] = so.relationship(back_populates="owner")


class Occupancy(ProjectScoped, Base):
    """Who is attached to which unit, and how (owner, tenant, family)."""

    __tablename__ = "occupancies"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "owner_id", name="uq_occupancies_unit_owner"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("owners.id"), index=True)
    #: an OccupantRelation
    relation: so.Mapped[str] = so.mapped_column(sa.String(20), default="owner")

    unit: so.Mapped[Unit] = so.relationship(back_populates="occupancies")
    owner: so.Mapped[Owner] = so.relationship(back_populates="occupancies")


class Facility(Versioned, ProjectScoped, Base):
    """设施/巡检点: equipment or a patrol point, labelled with a QR code (EST-02)."""

    __tablename__ = "facilities"
    #: the printed code names one facility of the project
    __table_args__ = (sa.UniqueConstraint("project_id", "code", name="uq_facilities_project_code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    building_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("buildings.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    #: a FacilityKind
    kind: so.Mapped[str] = so.mapped_column(sa.String(30), default="patrol_point")
    #: free text: "B1", "屋面", "3F"
    floor: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    #: unguessable, printed in the QR label; the short URL /f/<token>
    qr_token: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    #: human code printed under the QR, e.g. "CH-3-012"
    code: so.Mapped[str] = so.mapped_column(sa.String(30))
    active: so.Mapped[bool] = so.mapped_column(default=True)

    building: so.Mapped[Building | None] = so.relationship(back_populates="facilities")
