"""Company, projects (estates), departments, people and their roles (ORG-01)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Scoped, Versioned, utcnow
from webapp.org.rules import Grant


class Company(Base):
    __tablename__ = "companies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    #: monthly reports cover the day after this one in the previous month up to this day
    #: (篇4: the complaint summary covers the 26th to the 25th and is due on the 25th)
    report_cutoff_day: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=25, server_default="25")
    #: PIPL: owners' personal data on records closed more than this many calendar months ago
    #: is anonymised by `flask privacy anonymise` (webapp.org.retention); None keeps it
    personal_data_retention_months: so.Mapped[int | None] = so.mapped_column(
        sa.SmallInteger, default=36, server_default="36"
    )


class Project(Versioned, Scoped, Base):
    """项目: one managed estate. The tenant every business record belongs to."""

    __tablename__ = "projects"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    company_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("companies.id"))
    #: short code used in record numbers, e.g. "CH"
    code: so.Mapped[str] = so.mapped_column(sa.String(10), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    address: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    active: so.Mapped[bool] = so.mapped_column(default=True)

    departments: so.Mapped[list[Department]] = so.relationship(
        back_populates="project", order_by="Department.id"
    )

    @classmethod
    def scope_column(cls):
        return cls.id


class Department(Versioned, ProjectScoped, Base):
    __tablename__ = "departments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: a DepartmentKind; routing (slips, paid services) looks departments up by kind
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    active: so.Mapped[bool] = so.mapped_column(default=True)

    project: so.Mapped[Project] = so.relationship(back_populates="departments")


class User(Versioned, Base):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(50), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(50))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: set when an admin sets the password; the user is asked to choose their own
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    roles: so.Mapped[list[RoleAssignment]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="RoleAssignment.user_id"
    )

    #: the AuthSession this request was authenticated by (not a column)
    auth_session = None  # type: AuthSession | None

    # Flask-Login protocol. get_id() names the server-side session, not the user, so
    # the session cookie and the remember cookie both die with that session row.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.auth_session.token if self.auth_session else None

    @property
    def grants(self) -> list[Grant]:
        return [(r.role, r.project_id, r.department_id) for r in self.roles]

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.roles)


class RoleAssignment(Base):
    """One role a user holds: company-wide, in a project, or in a project's department."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "project_id", "department_id", name="uq_role_assignments_grant"),
        sa.Index("ix_role_assignments_project_role", "project_id", "role"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(30))
    project_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("projects.id"))
    department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("departments.id"))

    user: so.Mapped[User] = so.relationship(back_populates="roles", foreign_keys=[user_id])
    project: so.Mapped[Project | None] = so.relationship()
    department: so.Mapped[Department | None] = so.relationship()


class AuthSession(Base):
    """A signed-in device. Cookies carry only its token; the row can be revoked."""

    __tablename__ = "auth_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    #: sha256 of the token, so a copy of the database opens no session
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    revoked_at: so.Mapped[datetime | None]
    remember: so.Mapped[bool] = so.mapped_column(default=False)
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: signed in as "shared tablet": never remembered, short idle and absolute timeouts
    shared_device: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: when this device was handed to an owner to sign (the signing page opened); until
    #: the signature or the refusal is recorded it has the shared tablet's idle timeout
    handed_over_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship()

    #: the raw token, known only in the request that created or presented it
    token = None  # type: str | None
