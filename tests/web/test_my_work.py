"""APP-03: each person opens the app to what they must do now; APP-04 the inbox."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests.conftest import HX, post
from webapp.core import notify
from webapp.extensions import db
from webapp.org.models import User

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def _add_work(app, world, username, **extra):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        notify.open_work(db.session, project_id=world.own.id, kind="test", link="/estate/", assignee_id=user.id, **extra)
        db.session.commit()
        return user.id


@time_machine.travel(NOW, tick=False)
def test_app03_my_work_shows_due_time_and_flags_overdue(app, client, world, login):
    username = world.users[("receptionist", "own")]
    _add_work(app, world, username, title="回访业主", due_at=NOW - timedelta(minutes=5))
    _add_work(app, world, username, title="核实表扬", due_at=NOW + timedelta(hours=2))
    login(username)
    html = client.get("/").get_data(as_text=True)
    assert "<html" in html
    assert html.index("回访业主") < html.index("核实表扬")
    assert "已超时" in html
    assert "2026-11-28 16:00" in html  # due time shown in Asia/Shanghai


def test_app03_my_work_refreshes_as_a_fragment(app, client, world, login):
    username = world.users[("pm", "own")]
    _add_work(app, world, username, title="审批计划")
    login(username)
    response = client.get("/", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'id="work-list"' in html and "审批计划" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_app03_someone_elses_work_is_not_mine(app, client, world, login):
    _add_work(app, world, world.users[("pm", "own")], title="项目经理的事")
    login(world.users[("receptionist", "own")])
    assert "项目经理的事" not in client.get("/").get_data(as_text=True)


def test_app04_inbox_lists_and_opens_notifications(app, client, world, login):
    username = world.users[("pm", "own")]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        notify.notify(db.session, [user.id], project_id=world.own.id, title="新的紧急信息", link="/estate/")
        db.session.commit()
    login(username)
    page = client.get("/inbox").get_data(as_text=True)
    assert "新的紧急信息" in page
    assert 'class="badge-count">1<' in page
    with app.app_context():
        note_id = db.session.scalar(sa.select(sa.text("id")).select_from(sa.table("notifications")))
    response = post(client, f"/inbox/{note_id}/open")
    assert response.status_code == 303 and response.location == "/estate/"
    assert 'class="badge-count"' not in client.get("/inbox").get_data(as_text=True)


def test_app04_someone_elses_notification_cannot_be_opened(app, client, world, login):
    with app.app_context():
        other = db.session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")]))
        note = notify.notify(db.session, [other.id], project_id=world.own.id, title="私信")[0]
        db.session.commit()
        note_id = note.id
    login(world.users[("receptionist", "own")])
    assert post(client, f"/inbox/{note_id}/open").status_code == 404
