"""Administration: projects, departments, users and their roles (ORG-01), the company's
settings and each project's group robot (APP-04).

Views parse and render; every change goes through webapp.org.operations, which writes the
audit event. The whole blueprint needs MANAGE_PEOPLE (ORG-02); a project-scoped record
is loaded through the scope first (another project's record: 404) and then checked for
that project.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.admin.forms import (
    CompanyForm,
    ConfirmForm,
    DepartmentForm,
    GrantForm,
    PasswordResetForm,
    ProjectForm,
    RobotForm,
    UserCreateForm,
    UserEditForm,
)
from webapp.complaints.rules import DEFAULT_CUTOFF_DAY
from webapp.core import audit, locking, outbox
from webapp.core.clock import now
from webapp.core.htmx import render
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org import operations, retention
from webapp.org.access import require
from webapp.org.labels import DEPARTMENT_KIND_LABELS
from webapp.org.models import Company, Department, Project, RoleAssignment, User
from webapp.org.rules import DEFAULT_RETENTION_MONTHS, Permission

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERS_PER_PAGE = 30
DEFAULT_COMPANY_NAME = "物业服务公司"


@bp.before_request
def _only_people_managers():
    """Every admin route, present and future, needs MANAGE_PEOPLE somewhere."""
    require(Permission.MANAGE_PEOPLE)


def _actor() -> User:
    return current_user._get_current_object()


def _kind_label(kind: str) -> str:
    label = DEPARTMENT_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def _add_error(form, exc: RuleViolation) -> None:
    """Show a rule's refusal next to its field (or above the form)."""
    text = message(exc)
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, text]
    else:
        form.form_errors.append(text)


def _conflict(form, exc: locking.EditConflict, entity) -> None:
    """The later of two saves: keep what this person typed, say who saved meanwhile and
    carry the current version, so saving again is a deliberate choice."""
    form.form_errors.append(locking.conflict_message(exc))
    form.version.data = entity.version


def _save_edit(entity, form, show, save, done_url: str):
    """The one way an admin edit is saved: validate, apply `save()`, commit with the
    version check; a conflict (409) or a refused value (422) re-renders `show(status)`
    with everything typed kept and nothing changed."""
    if not form.validate():
        return show(422)
    try:
        save()
        locking.commit(db.session, entity)
    except locking.EditConflict as exc:
        db.session.rollback()
        _conflict(form, exc, entity)
        return show(409)
    except RuleViolation as exc:
        db.session.rollback()
        _add_error(form, exc)
        return show(422)
    flash(gettext("Saved."), "success")
    return redirect(done_url, code=303)


def _scoped_project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    require(Permission.MANAGE_PEOPLE, project.id)
    return project


def _scoped_department(department_id: int) -> Department:
    department = db.first_or_404(
        sa.select(Department)
        .where(Department.id == department_id)
        .options(so.joinedload(Department.project))
    )
    require(Permission.MANAGE_PEOPLE, department.project_id)
    return department


@bp.get("/")
def index():
    counts = {
        "projects": db.session.scalar(sa.select(sa.func.count(Project.id))),
        "users": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active)),
    }
    return render_template("admin/index.html", counts=counts)


# Projects -----------------------------------------------------------------------------


@bp.get("/projects")
def projects():
    rows = db.session.scalars(sa.select(Project).order_by(Project.active.desc(), Project.code)).all()
    return render_template("admin/projects.html", projects=rows)


@bp.route("/projects/new", methods=["GET", "POST"])
def project_new():
    form = ProjectForm()
    del form.active
    if form.validate_on_submit():
        try:
            company = operations.company_for_new_project(db.session, DEFAULT_COMPANY_NAME)
            project = operations.create_project(
                db.session,
                _actor(),
                company=company,
                code=form.code.data,
                name=form.name.data,
                address=form.address.data,
            )
        except RuleViolation as exc:
            db.session.rollback()
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(gettext("Project %(name)s created.", name=project.name), "success")
            return redirect(url_for("admin.project", project_id=project.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/project_new.html", form=form), status


def _project_page(project: Project, form: ProjectForm, status: int = 200):
    departments = db.session.scalars(
        sa.select(Department).where(Department.project_id == project.id).order_by(Department.id)
    ).all()
    return render_template(
        "admin/project.html",
        project=project,
        form=form,
        departments=departments,
        kind_label=_kind_label,
        events=audit.timeline(db.session, project),
    ), status


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    project = _scoped_project(project_id)
    form = ProjectForm(obj=project)
    return _project_page(project, form)


@bp.post("/projects/<int:project_id>/edit")
def project_edit(project_id: int):
    project = _scoped_project(project_id)
    form = ProjectForm()
    return _save_edit(
        project,
        form,
        lambda status: _project_page(project, form, status),
        lambda: operations.update_project(
            db.session,
            _actor(),
            project,
            version=form.version.data,
            code=form.code.data,
            name=form.name.data,
            address=form.address.data,
            active=form.active.data,
        ),
        url_for("admin.project", project_id=project.id),
    )


# Departments --------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/departments/new", methods=["GET", "POST"])
def department_new(project_id: int):
    project = _scoped_project(project_id)
    form = DepartmentForm()
    del form.active
    if form.validate_on_submit():
        department = operations.create_department(
            db.session, _actor(), project, kind=form.kind.data, name=form.name.data
        )
        db.session.commit()
        flash(gettext("Department %(name)s created.", name=department.name), "success")
        return redirect(url_for("admin.project", project_id=project.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/department_new.html", form=form, project=project), status


def _department_page(department: Department, form: DepartmentForm, status: int = 200):
    people = db.session.scalars(
        sa.select(RoleAssignment)
        .where(RoleAssignment.department_id == department.id)
        .options(so.joinedload(RoleAssignment.user))
        .order_by(RoleAssignment.role, RoleAssignment.id)
    ).all()
    return render_template(
        "admin/department.html",
        department=department,
        form=form,
        people=people,
        kind_label=_kind_label,
        events=audit.timeline(db.session, department),
    ), status


@bp.get("/departments/<int:department_id>")
def department(department_id: int):
    department = _scoped_department(department_id)
    return _department_page(department, DepartmentForm(obj=department))


@bp.post("/departments/<int:department_id>/edit")
def department_edit(department_id: int):
    department = _scoped_department(department_id)
    form = DepartmentForm()
    return _save_edit(
        department,
        form,
        lambda status: _department_page(department, form, status),
        lambda: operations.update_department(
            db.session,
            _actor(),
            department,
            version=form.version.data,
            kind=form.kind.data,
            name=form.name.data,
            active=form.active.data,
        ),
        url_for("admin.department", department_id=department.id),
    )


# Users --------------------------------------------------------------------------------


@bp.get("/users")
def users():
    search = (request.args.get("q") or "").strip()[:50]
    page = max(request.args.get("page", 1, type=int), 1)
    query = sa.select(User).options(
        so.selectinload(User.roles).options(
            so.joinedload(RoleAssignment.project), so.joinedload(RoleAssignment.department)
        )
    )
    if search:
        needle = search.lower()
        query = query.where(
            sa.or_(
                sa.func.lower(User.username).contains(needle, autoescape=True),
                sa.func.lower(User.display_name).contains(needle, autoescape=True),
            )
        )
    rows = db.session.scalars(
        query.order_by(User.active.desc(), User.username)
        .offset((page - 1) * USERS_PER_PAGE)
        .limit(USERS_PER_PAGE + 1)
    ).all()
    return render(
        "admin/users.html",
        "admin/_user_list.html",
        users=rows[:USERS_PER_PAGE],
        search=search,
        page_number=page,
        has_next=len(rows) > USERS_PER_PAGE,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = operations.create_user(
                db.session,
                _actor(),
                username=form.username.data,
                display_name=form.display_name.data,
                phone=form.phone.data,
                password=form.password.data,
            )
        except RuleViolation as exc:
            db.session.rollback()
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(gettext("User %(name)s created. Now give them a role.", name=user.display_name), "success")
            return redirect(url_for("admin.user", user_id=user.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


def _load_user(user_id: int) -> User:
    return db.first_or_404(
        sa.select(User)
        .where(User.id == user_id)
        .options(
            so.selectinload(User.roles).options(
                so.joinedload(RoleAssignment.project), so.joinedload(RoleAssignment.department)
            )
        )
    )


def _user_page(
    user: User,
    *,
    edit_form: UserEditForm | None = None,
    grant_form: GrantForm | None = None,
    reset_form: PasswordResetForm | None = None,
    status: int = 200,
):
    projects = db.session.scalars(
        sa.select(Project).where(Project.active).order_by(Project.code)
    ).all()
    departments = db.session.scalars(
        sa.select(Department).where(Department.active).order_by(Department.project_id, Department.id)
    ).all()
    grant_form = grant_form or GrantForm(formdata=None)
    grant_form.set_choices(projects, departments)
    return render_template(
        "admin/user.html",
        user=user,
        edit_form=edit_form or UserEditForm(formdata=None, obj=user),
        grant_form=grant_form,
        reset_form=reset_form or PasswordResetForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        events=audit.timeline(db.session, user),
    ), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(_load_user(user_id))


@bp.post("/users/<int:user_id>/edit")
def user_edit(user_id: int):
    user = _load_user(user_id)
    form = UserEditForm()
    return _save_edit(
        user,
        form,
        lambda status: _user_page(user, edit_form=form, status=status),
        lambda: operations.update_user(
            db.session,
            _actor(),
            user,
            version=form.version.data,
            display_name=form.display_name.data,
            phone=form.phone.data,
        ),
        url_for("admin.user", user_id=user.id),
    )


@bp.post("/users/<int:user_id>/reset-password")
def user_reset_password(user_id: int):
    user = _load_user(user_id)
    form = PasswordResetForm()
    if form.validate():
        try:
            operations.reset_password(db.session, _actor(), user, password=form.password.data)
        except RuleViolation as exc:
            db.session.rollback()
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(gettext("Password reset. %(name)s was signed out everywhere and must choose a new password at the next sign-in.", name=user.display_name), "success")
            return redirect(url_for("admin.user", user_id=user.id), code=303)
    return _user_page(user, reset_form=form, status=422)


def _set_active(user_id: int, active: bool):
    user = _load_user(user_id)
    try:
        operations.set_user_active(db.session, _actor(), user, active)
    except RuleViolation as exc:
        db.session.rollback()
        flash(message(exc), "error")
        return redirect(url_for("admin.user", user_id=user.id), code=303)
    db.session.commit()
    if active:
        flash(gettext("%(name)s can sign in again.", name=user.display_name), "success")
    else:
        flash(gettext("%(name)s is disabled and was signed out everywhere.", name=user.display_name), "success")
    return redirect(url_for("admin.user", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/disable")
def user_disable(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/enable")
def user_enable(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/grants")
def grant_add(user_id: int):
    user = _load_user(user_id)
    form = GrantForm()
    if form.validate():
        try:
            operations.grant_role(
                db.session,
                _actor(),
                user,
                role=form.role.data,
                project_id=form.project.data,
                department_id=form.department.data,
            )
        except RuleViolation as exc:
            db.session.rollback()
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(gettext("Role granted."), "success")
            return redirect(url_for("admin.user", user_id=user.id), code=303)
    user = _load_user(user_id)
    return _user_page(user, grant_form=form, status=422)


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/revoke")
def grant_revoke(user_id: int, grant_id: int):
    user = _load_user(user_id)
    grant = next((g for g in user.roles if g.id == grant_id), None)
    if grant is None:
        abort(404)
    if grant.project_id is not None:
        require(Permission.MANAGE_PEOPLE, grant.project_id)
    try:
        operations.revoke_role(db.session, _actor(), grant)
    except RuleViolation as exc:
        db.session.rollback()
        flash(message(exc), "error")
    else:
        db.session.commit()
        flash(gettext("Role revoked."), "success")
    return redirect(url_for("admin.user", user_id=user.id), code=303)


# Company ------------------------------------------------------------------------------


def _the_company() -> Company | None:
    """One deployment serves one company (see operations.company_for_new_project)."""
    return db.session.scalar(sa.select(Company).order_by(Company.id).limit(1))


def _company_page(company: Company | None, form: CompanyForm, status: int = 200):
    return render_template(
        "admin/company.html",
        company=company,
        form=form,
        events=audit.timeline(db.session, company) if company else [],
    ), status


@bp.get("/company")
def company():
    company = _the_company()
    form = CompanyForm(
        formdata=None,
        name=company.name if company else DEFAULT_COMPANY_NAME,
        cutoff_day=company.report_cutoff_day if company else DEFAULT_CUTOFF_DAY,
        retention_months=company.personal_data_retention_months if company else DEFAULT_RETENTION_MONTHS,
    )
    return _company_page(company, form)


@bp.post("/company/edit")
def company_edit():
    company = _the_company()
    form = CompanyForm()
    if not form.validate():
        return _company_page(company, form, 422)
    try:
        company = company or operations.company_for_new_project(db.session, DEFAULT_COMPANY_NAME)
        operations.update_company(
            db.session, _actor(), company, name=form.name.data, cutoff_day=form.cutoff_day.data
        )
        if "retention_months" in request.form:  # PIPL retention (webapp.org.retention)
            retention.set_retention_months(db.session, _actor().id, company, form.retention_months.data)
    except RuleViolation as exc:
        db.session.rollback()
        _add_error(form, exc)
        return _company_page(_the_company(), form, 422)
    db.session.commit()
    flash(gettext("Saved."), "success")
    return redirect(url_for("admin.company"), code=303)


# Group robot (APP-04) -----------------------------------------------------------------


def _robot_page(project: Project, robot, form: RobotForm, status: int = 200):
    return render_template(
        "admin/robot.html",
        project=project,
        robot=robot,
        form=form,
        deliveries=outbox.recent_deliveries(db.session, project.id),
        headline=outbox.headline,
        error_label=outbox.error_label,
        confirm_form=ConfirmForm(formdata=None),
        events=audit.timeline(db.session, robot) if robot else [],
    ), status


@bp.get("/projects/<int:project_id>/robot")
def robot(project_id: int):
    project = _scoped_project(project_id)
    robot = outbox.robot_of(db.session, project.id)
    return _robot_page(project, robot, RobotForm(formdata=None, obj=robot))


@bp.post("/projects/<int:project_id>/robot/edit")
def robot_edit(project_id: int):
    project = _scoped_project(project_id)
    robot = outbox.robot_of(db.session, project.id)
    form = RobotForm()
    return _save_edit(
        robot,
        form,
        lambda status: _robot_page(project, outbox.robot_of(db.session, project.id), form, status),
        lambda: outbox.save_robot(
            db.session,
            _actor(),
            project,
            robot,
            version=form.version.data,
            kind=form.kind.data,
            url=form.url.data,
            secret=form.secret.data,
            clear_secret=form.clear_secret.data,
            keyword=form.keyword.data,
            enabled=form.enabled.data,
            allow_hosts=outbox.configured_allow_hosts(),
        ),
        url_for("admin.robot", project_id=project.id),
    )


@bp.post("/projects/<int:project_id>/robot/test")
def robot_test(project_id: int):
    """The one message sent inside a request: the admin asked for it and waits for it."""
    project = _scoped_project(project_id)
    robot = outbox.robot_of(db.session, project.id)
    if robot is None:
        flash(gettext("Set up the robot first."), "error")
    else:
        result = outbox.send_test_message(robot, project.name, now())
        if result.ok:
            flash(gettext("The test message was delivered: check the group chat."), "success")
        else:
            flash(gettext("The test message was not delivered: %(reason)s", reason=result.reason), "error")
    return redirect(url_for("admin.robot", project_id=project.id), code=303)
