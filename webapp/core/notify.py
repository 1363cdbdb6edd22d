"""Notifications and the work inbox: the one way any slice tells people what to do.

* ``open_work`` puts a duty in "My work" (APP-03) for a person or a role in a project;
  ``close_work`` ends it when the record moves on.
* ``notify`` drops a message into inboxes; a ``dedupe_key`` guarantees a person is told
  once (CMP-08), however often a sweep runs.
* ``tell_group`` also posts an urgent matter to the project's group chat (APP-04), when
  the project has a WeCom or DingTalk robot: queued with the change, sent off the request
  path by ``webapp.core.outbox``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, url_for
from flask_babel import gettext

from webapp.core import outbox, scoping
from webapp.core.clock import now as clock_now
from webapp.core.clock import to_local
from webapp.core.models import Notification, WorkItem


def page_link(endpoint: str, path: str, **ids: int) -> str:
    """The link a work item or notice carries to a page: `path` where no request builds
    the URL (the scheduled jobs, the command line)."""
    return url_for(endpoint, **ids) if has_request_context() else path


def notify(
    session: so.Session,
    user_ids: Iterable[int],
    *,
    project_id: int,
    title: str,
    body: str | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    already: set[int] = set()
    if dedupe_key is not None:
        already = set(
            session.scalars(
                sa.select(Notification.user_id)
                .where(Notification.dedupe_key == dedupe_key, Notification.user_id.in_(user_ids))
                .execution_options(all_projects=True)
            )
        )
    rows = [
        {
            "project_id": project_id,
            "user_id": user_id,
            "title": title,
            "body": body,
            "link": link,
            "dedupe_key": dedupe_key,
            "created_at": clock_now(),
        }
        for user_id in user_ids
        if user_id not in already
    ]
    if not rows:
        return []
    # One INSERT for every recipient, on every engine (the unit of work would insert them
    # one by one on SQLite). A bulk insert bypasses the flush-time scope check: same check here.
    if not scoping.in_scope(project_id):
        raise scoping.ScopeViolation(f"Notification in project {project_id} is outside the scope")
    return list(session.scalars(sa.insert(Notification).returning(Notification), rows))


def tell_group(
    session: so.Session,
    *,
    project_id: int,
    number: str,
    what: str,
    facts: Sequence[tuple[str, object]] = (),
    link: str | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Post an urgent matter to the project's group chat (APP-04), if it has an enabled
    robot: "<number> · <what>" and a line per fact, queued in the caller's transaction
    and sent once per `dedupe_key` (see webapp.core.outbox). Returns the queued row's id.

    The chat is shared, so the message is in the company's language, not the actor's:
    `what` and the fact labels are msgids; fact values are shown as they are (lazy labels
    translated, datetimes in Asia/Shanghai time, empty ones left out). Facts are for
    record numbers, classes, due times and places: never an owner's words or phone.
    """
    with outbox.group_language():
        title = f"{number} · {gettext(what)}"
        lines = [
            gettext("%(label)s: %(value)s", label=gettext(label), value=_fact_value(value))
            for label, value in facts
            if value is not None and str(value).strip()
        ]
        link_label = gettext("Open in EstateDesk")
    return outbox.enqueue(session, project_id, title, lines, link, dedupe_key, link_label=link_label)


def _fact_value(value: object) -> str:
    if isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def open_work(
    session: so.Session,
    *,
    project_id: int,
    kind: str,
    title: str,
    link: str,
    entity: object | None = None,
    assignee_id: int | None = None,
    assignee_role: str | None = None,
    department_id: int | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> WorkItem:
    if (assignee_id is None) == (assignee_role is None):
        raise ValueError("a work item goes to one user or to one role")
    if dedupe_key is not None:
        existing = session.scalar(
            sa.select(WorkItem)
            .where(WorkItem.dedupe_key == dedupe_key)
            .execution_options(all_projects=True)
        )
        if existing is not None:
            return existing
    item = WorkItem(
        project_id=project_id,
        kind=kind,
        title=title,
        link=link,
        entity_type=getattr(entity, "__tablename__", None),
        entity_id=getattr(entity, "id", None),
        assignee_id=assignee_id,
        assignee_role=assignee_role,
        department_id=department_id,
        due_at=due_at,
        dedupe_key=dedupe_key,
        created_at=clock_now(),
    )
    session.add(item)
    return item


def close_work(
    session: so.Session,
    *,
    entity: object,
    kind: str | None = None,
    done_by_id: int | None,
) -> int:
    """Close the open items about `entity` (of one kind, or all); returns how many."""
    conditions = [
        WorkItem.entity_type == entity.__tablename__,
        WorkItem.entity_id == entity.id,
        WorkItem.done_at.is_(None),
    ]
    if kind is not None:
        conditions.append(WorkItem.kind == kind)
    items = session.scalars(sa.select(WorkItem).where(*conditions)).all()
    moment = clock_now()
    for item in items:
        item.done_at = moment
        item.done_by_id = done_by_id
    return len(items)


def my_work(
    session: so.Session,
    user_id: int,
    role_grants: Iterable[tuple[str, int | None, int | None]],
    *,
    limit: int = 200,
) -> list[WorkItem]:
    """Open items for a user: addressed to them, or to a role they hold where they hold it.

    `role_grants` are (role, project_id, department_id); a company role (project None)
    receives the role's items of every project. One query, most urgent first.
    """
    addressed = [WorkItem.assignee_id == user_id]
    for role, project_id, department_id in role_grants:
        condition = [WorkItem.assignee_role == role]
        if project_id is not None:
            condition.append(WorkItem.project_id == project_id)
        if department_id is not None:
            condition.append(
                sa.or_(WorkItem.department_id.is_(None), WorkItem.department_id == department_id)
            )
        addressed.append(sa.and_(*condition))
    return list(
        session.scalars(
            sa.select(WorkItem)
            .where(WorkItem.done_at.is_(None), sa.or_(*addressed))
            .options(so.joinedload(WorkItem.project))
            .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)
            .limit(limit)
        )
    )


def unread_count(session: so.Session, user_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0
