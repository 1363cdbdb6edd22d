"""Who may open which evaluation sheet (ORG-02), for the signed-in user.

The decisions are webapp.evaluation.rules' (staff their own sheet; supervisors their
department's people; PMs their project; GM, VP and QA everything); this module loads what
they need and answers as every page does: a person, department or project outside the
user's projects is not found (404), one inside that they may not open is refused (403).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, g, has_request_context
from flask_login import current_user

from webapp.core.scoping import current_scope
from webapp.evaluation import rules
from webapp.extensions import db
from webapp.org.models import Department, Project, RoleAssignment, User
from webapp.org.rules import DepartmentKind

#: how many people the index lists (or a search finds) at most
PEOPLE_LIMIT = 100


def cs_department_lookup(session: so.Session) -> Callable[[int], int | None]:
    """project id → its customer-service department (the active one of kind
    customer_service with the lowest id), or None. One query for every project, kept for
    the rest of the request."""
    cached = g.get("evaluation_cs_departments") if has_request_context() else None
    if cached is None:
        rows = session.execute(
            sa.select(Department.project_id, sa.func.min(Department.id))
            .where(
                Department.kind == DepartmentKind.CUSTOMER_SERVICE.value,
                Department.active.is_(True),
            )
            .group_by(Department.project_id)
        )
        cached = {project_id: department_id for project_id, department_id in rows}
        if has_request_context():
            g.evaluation_cs_departments = cached
    return cached.get


def _viewer_grants() -> list[rules.Grant]:
    return list(current_user.grants)


def _visible(project_id: int) -> bool:
    scope = current_scope()
    return scope is None or project_id in scope


def require_person(user_id: int) -> User:
    """The person whose sheet is asked for: 404 unless they hold a role in a project the
    viewer may see (a person with only company roles: visible to company readers and to
    themselves), 403 unless rules.may_view_person allows it."""
    person = db.session.scalar(
        sa.select(User).where(User.id == user_id).options(so.selectinload(User.roles))
    )
    if person is None:
        abort(404)
    viewer_grants = _viewer_grants()
    person_grants = person.grants
    projects = {project_id for _, project_id, _ in person_grants if project_id is not None}
    if person.id != current_user.id:
        if projects:
            if not any(_visible(project_id) for project_id in projects):
                abort(404)
        elif not rules.reads_company(viewer_grants):
            abort(404)
    if not rules.may_view_person(
        current_user.id, viewer_grants, person.id, person_grants, cs_department_lookup(db.session)
    ):
        abort(403)
    return person


def require_department(department_id: int) -> Department:
    """The department asked for: 404 outside the viewer's projects, 403 unless
    rules.may_view_department allows it."""
    department = db.session.scalar(sa.select(Department).where(Department.id == department_id))
    if department is None:
        abort(404)
    if not rules.may_view_department(
        _viewer_grants(), department.id, department.project_id, cs_department_lookup(db.session)
    ):
        abort(403)
    return department


def require_project(project_id: int) -> Project:
    """The project asked for: 404 outside the viewer's projects, 403 unless
    rules.may_view_project allows it."""
    project = db.session.scalar(sa.select(Project).where(Project.id == project_id))
    if project is None:
        abort(404)
    if not rules.may_view_project(_viewer_grants(), project.id):
        abort(403)
    return project


def require_company() -> None:
    """403 unless the viewer reads the company (GM, VP, QA)."""
    if not current_user.is_authenticated or not rules.reads_company(_viewer_grants()):
        abort(403)


# ---------------------------------------------------------------------------- the index


def reads_company() -> bool:
    return current_user.is_authenticated and rules.reads_company(_viewer_grants())


def viewable_projects(session: so.Session) -> list[Project]:
    """The active projects whose sheet the viewer may open, by name (one query)."""
    grants = _viewer_grants()
    statement = (
        sa.select(Project).where(Project.active.is_(True)).order_by(Project.name, Project.id)
    )
    if not rules.reads_company(grants):
        managed = sorted(rules.managed_projects(grants))
        if not managed:
            return []
        statement = statement.where(Project.id.in_(managed))
    return list(session.scalars(statement))


def viewable_departments(session: so.Session, *, all_for_company: bool = False) -> list[Department]:
    """The active departments whose sheet the viewer may open, by project and name (one
    query, plus the customer-service lookup once per request): those they supervise and
    those of the projects they manage; a company reader's only with `all_for_company`
    (their index goes through the projects)."""
    grants = _viewer_grants()
    statement = (
        sa.select(Department)
        .join(Project, Project.id == Department.project_id)
        .where(Department.active.is_(True))
        .options(so.contains_eager(Department.project))
        .order_by(Project.name, Department.name, Department.id)
    )
    if rules.reads_company(grants):
        if not all_for_company:
            return []
        return list(session.scalars(statement))
    supervised = sorted(rules.supervised_departments(grants, cs_department_lookup(session)))
    managed = sorted(rules.managed_projects(grants))
    if not supervised and not managed:
        return []
    statement = statement.where(
        sa.or_(Department.id.in_(supervised), Department.project_id.in_(managed))
    )
    return list(session.scalars(statement))


def viewable_people(
    session: so.Session, search: str | None = None, limit: int = PEOPLE_LIMIT
) -> list[User]:
    """The other people whose sheets the viewer may open, by name (one query): a
    supervisor's department members, a PM's project people, anyone for a company reader
    (in the viewer's projects); `search` narrows by name or username."""
    grants = _viewer_grants()
    statement = sa.select(User).where(User.id != current_user.id, User.active.is_(True))
    if not rules.reads_company(grants):
        from webapp.evaluation.facts import members

        supervised = sorted(rules.supervised_departments(grants, cs_department_lookup(session)))
        managed = sorted(rules.managed_projects(grants))
        if not supervised and not managed:
            return []
        member = members()
        conditions = []
        if managed:
            conditions.append(
                User.id.in_(
                    sa.select(RoleAssignment.user_id).where(RoleAssignment.project_id.in_(managed))
                )
            )
        if supervised:
            conditions.append(
                User.id.in_(
                    sa.select(member.c.user_id).where(member.c.department_id.in_(supervised))
                )
            )
        statement = statement.where(sa.or_(*conditions))
    else:
        scope = current_scope()
        if scope is not None:
            statement = statement.where(
                User.id.in_(
                    sa.select(RoleAssignment.user_id).where(
                        RoleAssignment.project_id.in_(sorted(scope))
                    )
                )
            )
    text = (search or "").strip()
    if text:
        statement = statement.where(
            sa.or_(
                User.display_name.icontains(text, autoescape=True),
                User.username.icontains(text, autoescape=True),
            )
        )
    return list(session.scalars(statement.order_by(User.display_name, User.id).limit(limit)))
