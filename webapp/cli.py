"""Command line: ``flask --app webapp demo``, ``flask --app webapp user create``.

(``flask --app webapp db upgrade`` comes from Flask-Migrate.)
"""

from __future__ import annotations

import signal
import threading

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from webapp.extensions import db

user_cli = AppGroup("user", help="Manage users.")
sla_cli = AppGroup("sla", help="Deadlines of complaints.")
webhooks_cli = AppGroup("webhooks", help="Group-robot messages (WeCom, DingTalk).")
jobs_cli = AppGroup("jobs", help="Background jobs on Redis (RQ), when REDIS_URL is set.")
media_cli = AppGroup("media", help="Where photos and signatures are stored.")
privacy_cli = AppGroup("privacy", help="Owners' personal data (PIPL).")


@user_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Name shown in the app.")
@click.option("--role", default="admin", show_default=True, help="Role to grant.")
@click.option("--project", "project_code", help="Project code, for a project or department role.")
@click.option("--department", "department_kind", help="Department kind, for a department role.")
@click.option("--phone", default=None, help="Mobile number (optional).")
@click.password_option(help="Asked for when not given.")
def create_user(username, display_name, role, project_code, department_kind, phone, password):
    """Create a user (the first admin, typically) with one role.

    The user chose this password, so they are not asked to change it. The user and the
    grant are written in one transaction with their audit events: on any error nothing
    is created.
    """
    from webapp.core.rulekit import RuleViolation
    from webapp.org import operations
    from webapp.org.models import Department, Project

    project = department = None
    if project_code:
        project = db.session.scalar(
            sa.select(Project).where(Project.code == project_code.strip().upper())
        )
        if project is None:
            raise click.UsageError(f"No project with code {project_code}.")
    if department_kind:
        if project is None:
            raise click.UsageError("--department needs --project.")
        department = db.session.scalar(
            sa.select(Department).where(
                Department.project_id == project.id, Department.kind == department_kind
            )
        )
        if department is None:
            raise click.UsageError(f"Project {project.code} has no {department_kind} department.")
    try:
        user = operations.create_user(
            db.session,
            None,
            username=username,
            display_name=display_name,
            phone=phone,
            password=password,
            must_change_password=False,
        )
        operations.grant_role(
            db.session,
            None,
            user,
            role=role,
            project_id=project.id if project else None,
            department_id=department.id if department else None,
        )
    except RuleViolation as exc:
        db.session.rollback()
        raise click.UsageError(f"{exc.field + ': ' if exc.field else ''}{exc}") from None
    db.session.commit()
    click.echo(f"Created {user.username} ({role}).")


@click.command("demo")
@with_appcontext
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


@sla_cli.command("sweep")
def sla_sweep():
    """Upgrade complaints unresolved for a month and notify each breach once (CMP-02, CMP-08).

    Safe to run as often as wanted, and from several machines at once: rows are taken with
    SKIP LOCKED and every notification has a dedupe key. Run it from the systemd timer in
    deploy/systemd/ every few minutes. It ends with one pass of `flask webhooks deliver`.
    With REDIS_URL set, `flask jobs enqueue-sweep` hands the same work to the job worker.
    """
    _sweep_here()


def _sweep_here() -> None:
    upgraded, notified, chased = run_sla_sweep()
    click.echo(f"Upgraded {upgraded} complaint(s) to major; {notified} new breach notification(s).")
    if chased:
        click.echo(f"Return-for-repair slips to chase: {chased}.")
    _deliver_robot_messages(quiet=True)


SWEEP_JOB = "webapp.cli:sla_sweep_job"
#: one sweep waiting or running at a time, however often the timer ticks
SWEEP_JOB_ID = "sla-sweep"
#: the sweep's work plus a batch of group-robot posts
SWEEP_JOB_TIMEOUT = 900


def run_sla_sweep() -> tuple[int, int, int]:
    """The sweep's work, each step committed on its own: complaints upgraded, breach
    notifications sent, return-for-repair slips chased."""
    from webapp.complaints.operations import notify_breaches, upgrade_overdue
    from webapp.core.clock import now

    moment = now()
    upgraded = upgrade_overdue(db.session, moment)
    db.session.commit()
    notified = notify_breaches(db.session, moment)
    db.session.commit()
    # CMP-07: the month's complaint analysis in its writers' work from its last week on
    from webapp.complaints.report_operations import remind_analysis_due

    remind_analysis_due(db.session, moment)
    db.session.commit()
    # RCP-03 督促落实: return-for-repair slips past their date, once a day each
    from webapp.reception.follow_ups import chase_overdue

    chased = chase_overdue(db.session, moment)
    db.session.commit()
    # ACT-01: next year's activity plan in the publicists' work from 1 December
    from webapp.activities.plans import remind_plan_due

    remind_plan_due(db.session, moment)
    db.session.commit()
    # ACT-04…15: an activity's milestones past their due, their owners told once each
    from webapp.activities.timeline import remind_overdue_milestones

    remind_overdue_milestones(db.session, moment)
    db.session.commit()
    return len(upgraded), notified, chased


def sla_sweep_job() -> str:
    """Background job: `flask sla sweep` run by the job worker."""
    from webapp.core import outbox
    from webapp.core.clock import now

    upgraded, notified, chased = run_sla_sweep()
    delivered = outbox.deliver_due(db.engine, now())
    return (
        f"{upgraded} upgraded, {notified} breach notification(s), {chased} slip(s) to chase; "
        f"group-robot messages: {delivered.sent} sent, {delivered.retrying} to retry, {delivered.gave_up} given up"
    )


def _deliver_robot_messages(quiet: bool = False) -> bool:
    """One pass of the outbox; echoes what it did (nothing when `quiet` and idle). False
    when the pass ended on an error."""
    from webapp.core import outbox
    from webapp.core.clock import now

    result = outbox.deliver_due(db.engine, now())
    if result.handled or not quiet:
        click.echo(
            f"Group-robot messages: {result.sent} sent, {result.retrying} to retry, {result.gave_up} given up."
        )
    if result.error:
        click.echo(f"Group-robot messages: {result.error}", err=True)
    return result.error is None


@webhooks_cli.command("deliver")
@click.option("--follow", is_flag=True, help="Keep delivering until stopped (for a systemd service).")
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.5),
    help="Seconds between passes with --follow.",
)
def webhooks_deliver(follow, interval):
    """Send the group-robot messages that are due (APP-04), retrying failed ones on their
    schedule. Safe to run beside another runner: each message is claimed by one.
    deploy/systemd/estatedesk-webhooks.service runs it with --follow.
    """
    if not follow:
        if not _deliver_robot_messages():
            raise SystemExit(1)
        return
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        while not stop.is_set():
            _deliver_robot_messages(quiet=True)
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@media_cli.command("check")
def media_check():
    """Write, read back and delete a probe object in the configured media store (MEDIA_DIR,
    or the S3 bucket with MEDIA_STORE=s3). Prints OK, or the reason and exits 1: run it
    after changing the media settings, before restarting the service."""
    from flask import current_app

    from webapp.core.media import check_store

    result = check_store(current_app)
    if not result.ok:
        click.echo(f"Media store check failed: {result.message}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {result.message}")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (tests, one-off catch-up).")
def jobs_worker(burst):
    """Run background jobs from the "estatedesk" queue on REDIS_URL, each in the app with a
    fresh database session. SIGTERM lets the job in hand finish, then stops (what systemd
    sends); a job cut short by a crash runs again. deploy/systemd/estatedesk-worker.service
    runs it.
    """
    from flask import current_app

    from webapp.core import jobs

    url = jobs.redis_url()
    if not url:
        raise click.UsageError("REDIS_URL is not set: without it, jobs run inside the app and need no worker.")
    worker = jobs.make_worker(current_app._get_current_object(), url)
    # the scheduler re-queues jobs retried after a pause (Retry intervals)
    worker.work(burst=burst, with_scheduler=True)


@jobs_cli.command("status")
def jobs_status():
    """How many jobs wait, run, wait for a retry or failed, and how many workers listen."""
    from webapp.core import jobs

    url = jobs.redis_url()
    if not url:
        click.echo("REDIS_URL is not set: jobs run inside the app, right after each change is saved.")
        return
    try:
        found = jobs.status(url)
    except Exception as exc:
        click.echo(f"Redis is not reachable ({exc}).", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"Queue {jobs.QUEUE_NAME}: {found.queued} queued, {found.started} started, "
        f"{found.scheduled} scheduled for retry, {found.failed} failed, {found.finished} finished; "
        f"{found.workers} worker(s)."
    )


@jobs_cli.command("enqueue-sweep")
def jobs_enqueue_sweep():
    """Hand `flask sla sweep` to the job worker (what the timer runs). One sweep waits at a
    time: a tick while one is queued or running adds nothing. Without REDIS_URL, or with
    Redis unreachable, the sweep runs here instead.
    """
    from flask import current_app

    from webapp.core import jobs

    url = jobs.redis_url()
    if url:
        job = jobs.Job(SWEEP_JOB, (), SWEEP_JOB_ID, inline=False, timeout=SWEEP_JOB_TIMEOUT,
                       app=current_app._get_current_object())
        outcome = jobs.dispatch(job)
        if outcome in ("queued", "duplicate"):
            click.echo("Sweep queued." if outcome == "queued" else "A sweep is already queued or running.")
            return
        click.echo("Redis is not reachable: sweeping here.", err=True)
    _sweep_here()


@privacy_cli.command("anonymise")
def privacy_anonymise():
    """Anonymise the owners' personal data of records closed longer ago than the company
    keeps it (the retention setting on /admin/company): names become 已匿名, contacts are
    cleared, phone numbers are removed from the free text. Records, numbers, times and
    figures stay. Safe to run as often as wanted; the daily timer in deploy/systemd/ runs it.
    """
    from webapp.core.clock import now
    from webapp.org.retention import anonymise_due, retention_months

    months = retention_months(db.session)
    if not months:
        click.echo("The company keeps owners' personal data: nothing anonymised.")
        return
    outcome = anonymise_due(db.session, now())
    details = ", ".join(f"{table} {count}" for table, count in sorted(outcome.by_table.items()))
    click.echo(
        f"Anonymised {outcome.total} record(s) closed more than {months} month(s) ago"
        + (f" ({details})." if details else ".")
    )


def register(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(demo_command)


def main() -> None:
    from webapp import create_app

    FlaskGroup(create_app=create_app)()
