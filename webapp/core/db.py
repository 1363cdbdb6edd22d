"""Declarative base, column types and mixins shared by every slice's models."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always checks.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC in Python on every engine (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use webapp.core.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(so.DeclarativeBase):
    registry = so.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scoped:
    """A class whose rows belong to projects; ``scope_column()`` names the project key.

    webapp.core.scoping filters every ORM query touching a subclass.
    """

    @classmethod
    def scope_column(cls):
        # SQLAlchemy first runs the scoping criteria with this base class to analyse
        # it; a stand-in column serves that, every mapped subclass gives its real one.
        return sa.column("project_id", sa.Integer)


class ProjectScoped(Scoped):
    """A business record that belongs to one project (estate): the tenant key.

    Every ORM query touching such a class is filtered by webapp.core.scoping.
    """


    @so.declared_attr
    def project_id(cls) -> so.Mapped[int]:
        return so.mapped_column(sa.ForeignKey("projects.id"), index=True)

    @classmethod
    def scope_column(cls):
        return cls.project_id


class Versioned:
    """Optimistic locking: see webapp.core.locking."""

    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    updated_at: so.Mapped[datetime | None] = so.mapped_column(onupdate=utcnow)

    @so.declared_attr
    def updated_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))

    @so.declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
