"""My work (APP-03) and the notification inbox (APP-04)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from webapp.core.clock import now as clock_now
from webapp.core.htmx import render
from webapp.core.models import Notification
from webapp.core.notify import my_work as open_work_items
from webapp.extensions import db

bp = Blueprint("inbox", __name__)

PAGE_SIZE = 50


@bp.get("/")
def my_work():
    items = open_work_items(db.session, current_user.id, current_user.grants)
    return render(
        "inbox/my_work.html", "inbox/_work_list.html", items=items, now=clock_now()
    )


@bp.get("/inbox")
def notifications():
    before = request.args.get("before", type=int)
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    if before:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    return render(
        "inbox/notifications.html",
        "inbox/_notification_list.html",
        notifications=rows[:PAGE_SIZE],
        next_before=rows[PAGE_SIZE - 1].id if more else None,
    )


@bp.post("/inbox/<int:notification_id>/open")
def open_notification(notification_id: int):
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    if note is None:
        abort(404)
    if note.read_at is None:
        note.read_at = clock_now()
        db.session.commit()
    return redirect(note.link or url_for("inbox.notifications"), code=303)


@bp.post("/inbox/read-all")
def read_all():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=clock_now())
    )
    db.session.commit()
    return redirect(url_for("inbox.notifications"), code=303)
