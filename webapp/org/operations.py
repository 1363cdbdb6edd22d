"""People administration (ORG-01): projects, departments, users and their role grants.

Each function takes the database session and the acting user (None for the command
line), checks the rules, makes the change and appends exactly one audit event (ORG-03).
They do not commit: the caller commits (``locking.commit`` for edits, which turns a lost
race into EditConflict), so a change and its event land together or not at all.

Where the events go (one rule): an event carries the project of the record it is about.
Projects and departments are project-scoped records, so their events carry their own
project. Users and their role grants are company-level records, so their events carry no
project (``project_id`` NULL): the scope then shows them only to company roles, exactly
like the user records themselves. A grant or a revocation is an event on the user (it
appears on the user's timeline) whose ``changes`` name the role, project and department.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, locking
from webapp.core.rulekit import N_, RuleViolation
from webapp.org import auth
from webapp.org.models import Company, Department, Project, RoleAssignment, User
from webapp.org.rules import DepartmentKind, Role, check_grant_shape, check_password_strength

audit.ACTION_LABELS.setdefault("password_changed", N_("changed their password"))

Actor = User | None


def _actor_id(actor: Actor) -> int | None:
    return actor.id if actor is not None else None


def _flush_unique(session: so.Session, field: str, msgid: str, **params: object) -> None:
    """Flush; a unique constraint lost to a concurrent insert becomes a field error."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise RuleViolation(msgid, field=field, **params) from None


def _apply(entity, values: dict) -> dict:
    changes = audit.diff(entity, values)
    for name, value in values.items():
        setattr(entity, name, value)
    return changes


# Projects -----------------------------------------------------------------------------

_CODE_TAKEN = N_("Another project already uses the code %(code)s.")


def company_for_new_project(session: so.Session, default_name: str) -> Company:
    """The company a new project belongs to: one deployment serves one company."""
    company = session.scalar(sa.select(Company).order_by(Company.id).limit(1))
    if company is None:
        company = Company(name=default_name)
        session.add(company)
        session.flush()
    return company


def _check_code_free(session: so.Session, code: str, project_id: int | None = None) -> None:
    query = sa.select(Project.id).where(Project.code == code)
    if project_id is not None:
        query = query.where(Project.id != project_id)
    # Codes are unique across the company, including projects outside the actor's scope.
    if session.scalar(query.execution_options(all_projects=True)) is not None:
        raise RuleViolation(_CODE_TAKEN, field="code", code=code)


def create_project(
    session: so.Session,
    actor: Actor,
    *,
    company: Company,
    code: str,
    name: str,
    address: str | None = None,
) -> Project:
    _check_code_free(session, code)
    project = Project(
        company_id=company.id, code=code, name=name, address=address or None, active=True
    )
    locking.touch(project, _actor_id(actor))
    session.add(project)
    _flush_unique(session, "code", _CODE_TAKEN, code=code)
    audit.record(
        session,
        project,
        "created",
        actor_id=_actor_id(actor),
        changes={"code": [None, code], "name": [None, name], "address": [None, address or None]},
    )
    session.flush()
    return project


def update_project(
    session: so.Session,
    actor: Actor,
    project: Project,
    *,
    version: int | str | None,
    code: str,
    name: str,
    address: str | None,
    active: bool,
) -> Project:
    locking.check_version(session, project, version)
    if code != project.code:
        _check_code_free(session, code, project.id)
    changes = _apply(
        project, {"code": code, "name": name, "address": address or None, "active": active}
    )
    if not changes:
        return project
    locking.touch(project, _actor_id(actor))
    audit.record(session, project, "updated", actor_id=_actor_id(actor), changes=changes)
    return project


# Departments --------------------------------------------------------------------------


def create_department(
    session: so.Session, actor: Actor, project: Project, *, kind: str, name: str
) -> Department:
    kind = DepartmentKind(kind)
    department = Department(project_id=project.id, kind=kind, name=name, active=True)
    locking.touch(department, _actor_id(actor))
    session.add(department)
    session.flush()
    audit.record(
        session,
        department,
        "created",
        actor_id=_actor_id(actor),
        changes={"kind": [None, str(kind)], "name": [None, name]},
    )
    session.flush()
    return department


def update_department(
    session: so.Session,
    actor: Actor,
    department: Department,
    *,
    version: int | str | None,
    kind: str,
    name: str,
    active: bool,
) -> Department:
    locking.check_version(session, department, version)
    changes = _apply(
        department, {"kind": str(DepartmentKind(kind)), "name": name, "active": active}
    )
    if not changes:
        return department
    locking.touch(department, _actor_id(actor))
    audit.record(session, department, "updated", actor_id=_actor_id(actor), changes=changes)
    return department


# Users --------------------------------------------------------------------------------

_USERNAME_TAKEN = N_("The username %(username)s is taken.")
#: what people type on a phone keyboard to sign in: lowercase, no spaces
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")


def create_user(
    session: so.Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    phone: str | None,
    password: str,
    must_change_password: bool = True,
) -> User:
    """A new user. An administrator's initial password must be replaced at first sign-in."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise RuleViolation(
            N_("Lowercase letters, digits, dots, dashes and underscores only."), field="username"
        )
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise RuleViolation(_USERNAME_TAKEN, field="username", username=username)
    check_password_strength(password, username)
    user = User(
        username=username,
        display_name=display_name,
        phone=phone or None,
        password_hash=auth.hash_password(password),
        active=True,
        must_change_password=must_change_password,
    )
    locking.touch(user, _actor_id(actor))
    session.add(user)
    _flush_unique(session, "username", _USERNAME_TAKEN, username=username)
    audit.record(
        session,
        user,
        "created",
        actor_id=_actor_id(actor),
        changes={
            "username": [None, username],
            "display_name": [None, display_name],
            "phone": [None, phone or None],
        },
    )
    session.flush()
    return user


def update_user(
    session: so.Session,
    actor: Actor,
    user: User,
    *,
    version: int | str | None,
    display_name: str,
    phone: str | None,
) -> User:
    locking.check_version(session, user, version)
    changes = _apply(user, {"display_name": display_name, "phone": phone or None})
    if not changes:
        return user
    locking.touch(user, _actor_id(actor))
    audit.record(session, user, "updated", actor_id=_actor_id(actor), changes=changes)
    return user


def reset_password(session: so.Session, actor: Actor, user: User, *, password: str) -> User:
    """An administrator sets a temporary password: every device of the user is signed
    out and the user must choose their own password at the next sign-in."""
    check_password_strength(password, user.username)
    user.password_hash = auth.hash_password(password)
    user.must_change_password = True
    locking.touch(user, _actor_id(actor))
    auth.end_all_sessions(session, user.id)
    audit.record(session, user, "password_reset", actor_id=_actor_id(actor))
    session.flush()
    return user


def change_own_password(
    session: so.Session, user: User, *, current_password: str, password: str
) -> User:
    """The user chooses a new password; every other device is signed out by the caller
    starting a fresh session (see org.views.account)."""
    if auth.authenticate(session, user.username, current_password) is None:
        raise RuleViolation(N_("The current password is wrong."), field="current_password")
    check_password_strength(password, user.username)
    user.password_hash = auth.hash_password(password)
    user.must_change_password = False
    auth.end_all_sessions(session, user.id)
    audit.record(session, user, "password_changed", actor_id=user.id)
    session.flush()
    return user


def set_user_active(session: so.Session, actor: Actor, user: User, active: bool) -> User:
    """Disable (every session ends at once) or re-enable a user."""
    if user.active == active:
        return user
    if not active and actor is not None and actor.id == user.id:
        raise RuleViolation(N_("You cannot disable your own account."))
    user.active = active
    locking.touch(user, _actor_id(actor))
    if not active:
        auth.end_all_sessions(session, user.id)
    audit.record(
        session,
        user,
        "activated" if active else "deactivated",
        actor_id=_actor_id(actor),
        changes={"active": [not active, active]},
    )
    session.flush()
    return user


# Role grants --------------------------------------------------------------------------


def _grant_changes(grant: RoleAssignment, granted: bool) -> dict:
    values = {
        "role": grant.role,
        "project": grant.project.name if grant.project else None,
        "department": grant.department.name if grant.department else None,
    }
    return {
        name: ([None, value] if granted else [value, None])
        for name, value in values.items()
        if value is not None
    }


def grant_role(
    session: so.Session,
    actor: Actor,
    user: User,
    *,
    role: str,
    project_id: int | None,
    department_id: int | None,
) -> RoleAssignment:
    check_grant_shape(role, project_id, department_id)
    project = department = None
    if project_id is not None:
        project = session.get(Project, project_id)  # out of the actor's scope: None
        if project is None:
            raise RuleViolation(N_("Choose a project from the list."), field="project")
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or department.project_id != project_id:
            raise RuleViolation(
                N_("Choose a department of the chosen project."), field="department"
            )
    if any(g == (role, project_id, department_id) for g in user.grants):
        raise RuleViolation(N_("This person already holds this role."), field="role")
    grant = RoleAssignment(
        role=str(Role(role)), project=project, department=department, user=user
    )
    session.add(grant)
    session.flush()
    audit.record(
        session, user, "role_granted", actor_id=_actor_id(actor), changes=_grant_changes(grant, True)
    )
    session.flush()
    return grant


def revoke_role(session: so.Session, actor: Actor, grant: RoleAssignment) -> None:
    """Take a role away. The person keeps their other roles; the trail keeps the history."""
    user = grant.user
    if actor is not None and actor.id == user.id and grant.role == Role.ADMIN:
        raise RuleViolation(N_("You cannot remove your own administrator role."))
    changes = _grant_changes(grant, False)
    user.roles.remove(grant)
    session.flush()
    audit.record(session, user, "role_revoked", actor_id=_actor_id(actor), changes=changes)
    session.flush()


# Company ------------------------------------------------------------------------------

audit.FIELD_LABELS.setdefault("report_cutoff_day", N_("Monthly report cut-off day"))


def update_company(session: so.Session, actor: Actor, company: Company, *, name: str, cutoff_day: int) -> Company:
    """The company's name and the day its monthly reports are cut off (篇4 §4.5: the 25th)."""
    from webapp.complaints.rules import check_cutoff_day

    check_cutoff_day(cutoff_day)
    changes = _apply(company, {"name": name, "report_cutoff_day": cutoff_day})
    if changes:
        audit.record(session, company, "updated", actor_id=_actor_id(actor), changes=changes)
    return company
