"""Permission checks per action (ORG-02), on top of the project scope every query has."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from webapp.core.rulekit import N_, RuleViolation
from webapp.org.rules import Permission, is_allowed


class NotPermitted(RuleViolation):
    """Raised by operations when the acting user holds no role for the step (views answer 403)."""

    def __init__(self) -> None:
        super().__init__(N_("You may not do this."))


def check(actor, permission: Permission, project_id: int) -> None:
    """The operations' check of an acting user (who may be no request's current user)."""
    if not is_allowed(actor.grants, permission, project_id):
        raise NotPermitted()


def can(permission: Permission, project_id: int | None = None) -> bool:
    if not current_user.is_authenticated:
        return False
    return is_allowed(current_user.grants, permission, project_id)


def require(permission: Permission, project_id: int | None = None) -> None:
    """Abort with 403 unless the signed-in user may do this in this project.

    A record of another project never reaches this check: the scope hides it (404).
    """
    if not can(permission, project_id):
        abort(403)


def permission_required(permission: Permission):
    """The user needs `permission` in at least one project; record views then call
    require() with the record's project."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _only_project():
    """The one project all the signed-in user's roles are in, as loaded with their session
    (webapp.org.auth.load_user); None for a company role, roles in several projects, or a
    project no longer loaded. Most staff work in one estate: their pickers need no query."""
    import sqlalchemy as sa

    projects = {assignment.project for assignment in current_user.roles}
    if len(projects) != 1:
        return None
    (project,) = projects
    if project is None or not {"active", "name"} <= sa.inspect(project).dict.keys():
        return None
    return project


def permitted_projects(permission: Permission) -> list:
    """The active projects where the signed-in user holds `permission`, by name."""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.org.models import Project

    if current_user.is_authenticated and (only := _only_project()) is not None:
        return [only] if only.active and can(permission, only.id) else []
    projects = db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.name, Project.id))
    return [p for p in projects if can(permission, p.id)]


def project_for(permission: Permission, project_id: int | None) -> tuple:
    """The project a summary page is about, and the projects its picker offers: the one
    asked for (another project's: 404; one where the user lacks `permission`: 403), else
    the first the user may see it for (none: 403)."""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.org.models import Project

    projects = permitted_projects(permission)
    if project_id is not None:
        project = next((p for p in projects if p.id == project_id), None) or db.first_or_404(
            sa.select(Project).where(Project.id == project_id)
        )
    elif projects:
        project = projects[0]
    else:
        abort(403)
    require(permission, project.id)
    return project, projects
