"""Tables of the shared mechanisms: the audit trail, notifications and work items."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class AuditEvent(ProjectScoped, Base):
    """One state change of one record (ORG-03). Append-only: never updated or deleted.

    Events about company-level records (users, their role grants) carry no project: the
    scope then shows them only to company roles, like the records themselves.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    project_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: the record's table name, e.g. "facilities"
    entity_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int]
    #: a verb from the slice's vocabulary, e.g. "created", "phone_revealed", "escalated"
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    from_state: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    to_state: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: field-level changes or context, {"field": [old, new]}
    changes: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    actor: so.Mapped[User | None] = so.relationship()  # noqa: F821


class Notification(ProjectScoped, Base):
    """A message in one user's inbox (APP-04). `dedupe_key` makes "notify once" hold."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: path inside the app the notification opens
    link: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    read_at: so.Mapped[datetime | None]


class WorkItem(ProjectScoped, Base):
    """Something a person must do (APP-03): "My work" lists the open ones, most urgent first.

    An item is addressed to one user, or to everyone holding a role in the project
    (optionally only in one department); whoever acts on the record closes it.
    """

    __tablename__ = "work_items"
    __table_args__ = (
        sa.Index("ix_work_items_open_user", "assignee_id", "done_at", "due_at"),
        sa.Index("ix_work_items_open_role", "project_id", "assignee_role", "done_at", "due_at"),
        sa.Index("ix_work_items_entity", "entity_type", "entity_id"),
        # the open items by SOP now, of every project or one (0012_evaluation_indexes)
        sa.Index(
            "ix_work_items_open_project_entity",
            "project_id",
            "entity_type",
            "department_id",
            "due_at",
            postgresql_where=sa.text("done_at IS NULL"),
            sqlite_where=sa.text("done_at IS NULL"),
        ),
        # the items due in a period: of every project (BRIN on PostgreSQL), and of the
        # people who held them (their assignee, else whoever did them)
        sa.Index("ix_work_items_due_brin", "due_at", postgresql_using="brin"),
        sa.Index("ix_work_items_holder_due", sa.text("coalesce(assignee_id, done_by_id)"), "due_at"),
        # work_overdue of a department's sheet: the items addressed to a department (few:
        # only those rows are indexed) due in the trend's months (0013_evaluation_sheet_indexes)
        sa.Index(
            "ix_work_items_department_due",
            "department_id",
            "due_at",
            postgresql_where=sa.text("department_id IS NOT NULL"),
            sqlite_where=sa.text("department_id IS NOT NULL"),
        ),
        # ... and the items its members held in its project (0013_evaluation_sheet_indexes)
        sa.Index(
            "ix_work_items_holder_project_due", sa.text("coalesce(assignee_id, done_by_id)"), "project_id", "due_at"
        ),
        sa.UniqueConstraint("dedupe_key", name="uq_work_items_dedupe_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    link: so.Mapped[str] = so.mapped_column(sa.String(300))
    entity_type: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int | None]
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    assignee_role: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("departments.id"))
    due_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    done_at: so.Mapped[datetime | None]
    done_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: one open item per (record, duty): re-opening the same duty is a no-op
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120))

    project: so.Mapped[Project] = so.relationship()  # noqa: F821


class Submission(Base):
    """A create form's submission key and what it created (webapp.core.idempotency)."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_submissions_user_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: random per rendered form (or per queued offline record)
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    entity_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int]
    #: sha256 of the submitted values: the same key with another body is refused
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class RecordCounter(ProjectScoped, Base):
    """The last record number handed out per project, series and local day."""

    __tablename__ = "record_counters"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "series", "day", name="uq_record_counters_project_series_day"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: short series code of a record type, e.g. "XD" for slips
    series: so.Mapped[str] = so.mapped_column(sa.String(8))
    day: so.Mapped[date]
    last: so.Mapped[int] = so.mapped_column(default=0)


class GroupRobot(Versioned, ProjectScoped, Base):
    """A project's group robot (APP-04): a WeCom (企业微信) or DingTalk (钉钉) chat that is
    told what the inbox is told for the project's urgent matters."""

    __tablename__ = "group_robots"
    __table_args__ = (sa.UniqueConstraint("project_id", name="uq_group_robots_project"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: webapp.core.webhooks.WECOM or DINGTALK
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the robot's webhook address as the vendor shows it (it carries the robot's key)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    #: DingTalk "加签" secret; empty for WeCom and for keyword-secured robots
    secret: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: DingTalk keyword security: every message must contain it
    keyword: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    enabled: so.Mapped[bool] = so.mapped_column(default=True)


class WebhookDelivery(ProjectScoped, Base):
    """One message for a group robot (the outbox): written in the transaction of the change
    it announces, sent afterwards off the request path, retried until sent or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.Index("ix_webhook_deliveries_due", "sent_at", "gave_up_at", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_robot_last_attempt", "robot_id", "last_attempt_at"),
        sa.UniqueConstraint("dedupe_key", name="uq_webhook_deliveries_dedupe_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    robot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("group_robots.id"), index=True)
    #: the robot kind the payload was built for; a robot changed meanwhile is not sent it
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the vendor JSON body, as built by webapp.core.webhooks.build_payload
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: one message per announced event, however often a sweep runs
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when a runner last claimed it to post: the robot's pace counts these
    last_attempt_at: so.Mapped[datetime | None]
    sent_at: so.Mapped[datetime | None]
    gave_up_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    robot: so.Mapped[GroupRobot] = so.relationship()
