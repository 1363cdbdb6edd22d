"""Command line: ``flask --app webapp demo``, ``flask --app webapp user create``.

(``flask --app webapp db upgrade`` comes from Flask-Migrate.)
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, FlaskGroup

from webapp.extensions import db

user_cli = AppGroup("user", help="Manage users.")


@user_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Name shown in the app.")
@click.option("--role", default="admin", show_default=True, help="Role to grant.")
@click.option("--project", "project_code", help="Project code, for a project or department role.")
@click.option("--department", "department_kind", help="Department kind, for a department role.")
@click.password_option(help="Asked for when not given.")
def create_user(username, display_name, role, project_code, department_kind, password):
    """Create a user (the first admin, typically) with one role."""
    from webapp.core.rulekit import RuleViolation
    from webapp.org.auth import hash_password
    from webapp.org.models import Department, Project, RoleAssignment, User
    from webapp.org.rules import check_grant_shape, check_password_strength

    username = username.strip().lower()
    project = department = None
    if project_code:
        project = db.session.scalar(sa.select(Project).where(Project.code == project_code.upper()))
        if project is None:
            raise click.UsageError(f"No project with code {project_code}.")
    if department_kind:
        if project is None:
            raise click.UsageError("--department needs --project.")
        department = db.session.scalar(
            sa.select(Department).where(Department.project_id == project.id, Department.kind == department_kind)
        )
        if department is None:
            raise click.UsageError(f"Project {project.code} has no {department_kind} department.")
    try:
        check_grant_shape(role, project.id if project else None, department.id if department else None)
        check_password_strength(password, username)
    except RuleViolation as exc:
        raise click.UsageError(str(exc)) from None
    if db.session.scalar(sa.select(User).where(User.username == username)):
        raise click.UsageError(f"User {username} exists already.")
    user = User(username=username, display_name=display_name, password_hash=hash_password(password))
    user.roles.append(
        RoleAssignment(role=role, project_id=project.id if project else None, department_id=department.id if department else None)
    )
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {username} ({role}).")


@click.command("demo")
def demo_command():
    """Load the demo estate (safe to run again)."""
    from webapp.demo import DEMO_PASSWORD, load_demo
    from webapp.org.auth import hash_password

    summary = load_demo(db.session, hash_password)
    click.echo(f"Demo estate ready: {summary.units} units, {summary.owners} owners and residents, {summary.facilities} facilities.")
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in summary.usernames:
        click.echo(f"  {username:<22} {role}")


def register(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)


def main() -> None:
    from webapp import create_app

    FlaskGroup(create_app=create_app)()
