"""Who holds which roles: the lookups operations use to address work and notifications."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.org.models import RoleAssignment
from webapp.org.rules import COMPANY_ROLES


def users_with_roles(
    session: so.Session, project_id: int, roles: Iterable[str], department_id: int | None = None
) -> list[int]:
    """Users holding `roles` in the project (in one department, when given); company roles
    (QA, GM…) hold them in every project."""
    roles = list(roles)
    company = [r for r in roles if r in COMPANY_ROLES]
    local = [r for r in roles if r not in COMPANY_ROLES]
    conditions = []
    if local:
        condition = [RoleAssignment.project_id == project_id, RoleAssignment.role.in_(local)]
        if department_id is not None:
            condition.append(RoleAssignment.department_id == department_id)
        conditions.append(sa.and_(*condition))
    if company:
        conditions.append(sa.and_(RoleAssignment.project_id.is_(None), RoleAssignment.role.in_(company)))
    if not conditions:
        return []
    query = sa.select(RoleAssignment.user_id).where(sa.or_(*conditions))
    return list(session.scalars(query.execution_options(all_projects=True)))
