"""APP-03 "My work" and the inbox: one mechanism every slice uses."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests import factories
from webapp.core import notify
from webapp.core.models import Notification
from webapp.extensions import db
from webapp.org.models import Project, User

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_app03_my_work_lists_items_for_me_and_my_roles_most_urgent_first(app, world):
    with app.app_context():
        pm = _user(world.users[("pm", "own")])
        staff = _user(world.users[("staff", "own")])
        common = {"project_id": world.own.id, "kind": "test", "link": "/x"}
        notify.open_work(db.session, title="later", assignee_id=pm.id, due_at=T0 + timedelta(hours=5), **common)
        notify.open_work(db.session, title="sooner", assignee_role="pm", due_at=T0 + timedelta(hours=1), **common)
        notify.open_work(db.session, title="no deadline", assignee_id=pm.id, **common)
        notify.open_work(db.session, title="for staff", assignee_id=staff.id, **common)
        notify.open_work(
            db.session, title="other project's pm", assignee_role="pm",
            project_id=world.other.id, kind="test", link="/y",
        )
        db.session.commit()
        titles = [item.title for item in notify.my_work(db.session, pm.id, pm.grants)]
    assert titles == ["sooner", "later", "no deadline"]


def test_app03_department_items_reach_only_that_department(app, world):
    with app.app_context():
        supervisor = _user(world.users[("dept_supervisor", "own")])
        common = {"project_id": world.own.id, "kind": "test", "link": "/x", "assignee_role": "dept_supervisor"}
        notify.open_work(db.session, title="mine", department_id=world.own.department_id, **common)
        project = db.session.get(Project, world.own.id)
        cleaning = factories.make_department(db.session, project, "cleaning")
        notify.open_work(db.session, title="not mine", department_id=cleaning.id, **common)
        db.session.commit()
        titles = [item.title for item in notify.my_work(db.session, supervisor.id, supervisor.grants)]
    assert titles == ["mine"]


def test_app03_closed_work_leaves_my_work(app, world):
    with app.app_context():
        pm = _user(world.users[("pm", "own")])
        item = notify.open_work(
            db.session, project_id=world.own.id, kind="check", title="t", link="/x", assignee_id=pm.id, entity=pm,
            dedupe_key="check-1",
        )
        db.session.commit()
        again = notify.open_work(
            db.session, project_id=world.own.id, kind="check", title="t", link="/x", assignee_id=pm.id, entity=pm,
            dedupe_key="check-1",
        )
        assert again.id == item.id
        assert notify.close_work(db.session, entity=pm, kind="check", done_by_id=pm.id) == 1
        db.session.commit()
        assert notify.my_work(db.session, pm.id, pm.grants) == []


def test_cmp08_a_person_is_notified_once_per_dedupe_key(app, world):
    with app.app_context():
        pm = _user(world.users[("pm", "own")])
        for _ in range(3):
            notify.notify(db.session, [pm.id], project_id=world.own.id, title="overdue", dedupe_key="c1-overdue")
            db.session.commit()
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == pm.id)
        )
        assert count == 1
        assert notify.unread_count(db.session, pm.id) == 1
