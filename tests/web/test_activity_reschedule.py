"""Moving an approved activity to another date, time or place (活动改期): who may, when,
ACT-11 for the new day, ACT-13 for the times, the timeline's dues and "My work" moved
with it (ACT-04), the poster put up again (ACT-06), the owners' page and replies, the
people told."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from tests.web.activity_helpers import field_errors, page_html, staff_user
from webapp.activities import operations
from webapp.activities.models import Activity, ActivityMilestone, ActivityRosterEntry, ActivityRsvp
from webapp.core.clock import to_local
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.extensions import db
from webapp.org.models import Project

#: Saturday 1 May 2027, 10:00 in Shanghai; the activity is on Saturday 5 June, 19:00–21:00
NOW = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)
DAY = date(2027, 6, 5)
#: the move: Saturday 12 June, 14:00–16:00 in the clubhouse
MOVE = {"day": "2027-06-12", "start_time": "14:00", "end_time": "16:00", "place": "会所多功能厅",
        "date_reason": "", "reason": "中心广场路面施工"}


def arrange(app, world, *, where="own", status="scheduled", day=DAY) -> int:
    """Next year's approved plan with one important activity on its timeline (at NOW)."""
    with app.app_context():
        project = db.session.get(Project, world.projects[where].id)
        plan = factories.make_activity_plan(db.session, project, staff_user(db.session, world, "publicist", where),
                                            year=day.year, status="approved")
        activity = factories.make_activity(db.session, plan, day=day, scheduled=True, scheduled_at=NOW,
                                           important=True, status=status)
        db.session.commit()
        return activity.id


def url(activity_id: int) -> str:
    return f"/activities/{activity_id}/reschedule"


def version_of(app, activity_id) -> int:
    with app.app_context():
        return db.session.get(Activity, activity_id).version


def moving(app, activity_id, **changes) -> dict:
    return {**MOVE, "version": version_of(app, activity_id), **changes}


def stored(app, activity_id) -> tuple:
    with app.app_context():
        found = db.session.get(Activity, activity_id)
        return found.day, found.start_time, found.end_time, found.place


def milestone(app, activity_id, code) -> ActivityMilestone:
    with app.app_context():
        row = db.session.scalar(sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity_id, ActivityMilestone.code == code))
        db.session.expunge(row)
        return row


def work_item(app, milestone_id) -> WorkItem:
    with app.app_context():
        item = db.session.scalar(sa.select(WorkItem).where(
            WorkItem.entity_type == "activity_milestones", WorkItem.entity_id == milestone_id,
            WorkItem.kind == operations.MILESTONE_WORK))
        db.session.expunge(item)
        return item


def complete(app, activity_id, code, world, role, note=None) -> None:
    with app.app_context():
        row = db.session.scalar(sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity_id, ActivityMilestone.code == code))
        operations.complete_milestone(db.session, row, actor_id=staff_user(db.session, world, role).id, now=NOW,
                                      note=note)
        db.session.commit()


def local_text(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def english(client):
    post(client, "/language", {"locale": "en"})


# ---------------------------------------------------------------------------- ACT-04 the dues move


@time_machine.travel(NOW, tick=False)
def test_act04_a_weekend_move_moves_the_dues_of_the_steps_not_yet_done(app, client, login, world):
    activity_id = arrange(app, world)
    complete(app, activity_id, "feasibility_meeting", world, "pm", note="奖品与经费已定")
    done_before = milestone(app, activity_id, "feasibility_meeting")
    login(world.users[("cs_supervisor", "own")])
    assert "2027-05-06 23:59" in page_html(client.get("/"))  # T−30 of 5 June, in My work

    form = page_html(client.get(url(activity_id)))
    assert 'value="2027-06-05"' in form and 'value="19:00"' in form and 'value="中心广场"' in form
    response = post(client, url(activity_id), moving(app, activity_id))
    assert response.status_code == 303 and response.location.endswith(f"/activities/{activity_id}")

    assert stored(app, activity_id) == (date(2027, 6, 12), time(14, 0), time(16, 0), "会所多功能厅")
    with app.app_context():
        assert db.session.get(Activity, activity_id).date_basis == "weekend"
    # the detailed plan (T−30) is due a week later, in the CS supervisor's My work too
    plan_row = milestone(app, activity_id, "detailed_plan")
    assert local_text(plan_row.due_at) == "2027-05-13 23:59" and not plan_row.compressed
    assert work_item(app, plan_row.id).due_at == plan_row.due_at
    my_work = page_html(client.get("/"))
    assert "2027-05-13 23:59" in my_work and "2027-05-06 23:59" not in my_work
    # the rehearsal's window and the summary's earliest moment follow the new day
    assert local_text(milestone(app, activity_id, "rehearsal").earliest_at) == "2027-06-09 00:00"
    assert local_text(milestone(app, activity_id, "summary").earliest_at) == "2027-06-12 14:00"
    # the step already done keeps its record and its due
    done_after = milestone(app, activity_id, "feasibility_meeting")
    assert (done_after.done_at, done_after.due_at, done_after.note) == (NOW, done_before.due_at, "奖品与经费已定")
    assert work_item(app, done_after.id).done_at is not None

    page = page_html(client.get(f"/activities/{activity_id}"))
    assert "2027-06-12" in page and "14:00–16:00" in page and "会所多功能厅" in page
    assert "中心广场路面施工" in page  # the reason, in the history
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "activity_rescheduled"))
        assert event.note == "中心广场路面施工"
        assert event.changes["day"] == ["2027-06-05", "2027-06-12"]
        assert event.changes["place"] == ["中心广场", "会所多功能厅"]


@time_machine.travel(NOW, tick=False)
def test_act04_moved_closer_the_overdue_steps_are_compressed_to_today(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    # Saturday 15 May: its T−30 (15 April) and T−25 are gone
    assert post(client, url(activity_id), moving(app, activity_id, day="2027-05-15")).status_code == 303
    row = milestone(app, activity_id, "detailed_plan")
    assert row.compressed and local_text(row.due_at) == "2027-05-01 23:59"
    assert local_text(milestone(app, activity_id, "poster").due_at) == "2027-05-08 23:59"
    assert work_item(app, row.id).due_at == row.due_at


@time_machine.travel(NOW, tick=False)
def test_act04_the_roster_and_the_open_steps_holders_are_told_the_roster_moves_with_the_day(app, client, login,
                                                                                              world):
    activity_id = arrange(app, world)
    with app.app_context():
        receptionist = staff_user(db.session, world, "receptionist")
        found = db.session.get(Activity, activity_id)
        db.session.add(ActivityRosterEntry(
            project_id=found.project_id, activity_id=activity_id, user_id=receptionist.id, role="receptionist",
            duty="签到", shift_start=datetime(2027, 6, 5, 10, 0, tzinfo=UTC),
            shift_end=datetime(2027, 6, 5, 13, 30, tzinfo=UTC)))
        db.session.commit()
        receptionist_id = receptionist.id
        security_id = staff_user(db.session, world, "dept_supervisor").id
        pm_id = staff_user(db.session, world, "pm").id
        cs_id = staff_user(db.session, world, "cs_supervisor").id
    login(world.users[("pm", "own")])
    assert post(client, url(activity_id), moving(app, activity_id)).status_code == 303
    with app.app_context():
        told = {n.user_id: n for n in db.session.scalars(sa.select(Notification)
                                                          .execution_options(all_projects=True))}
        entry = db.session.scalar(sa.select(ActivityRosterEntry))
        assert local_text(entry.shift_start) == "2027-06-12 18:00" and local_text(entry.shift_end) == "2027-06-12 21:30"
    # on the roster, holders of open steps (the CS supervisor, the security supervisor); not
    # the PM who moved it
    assert {receptionist_id, cs_id, security_id} <= set(told) and pm_id not in told
    assert "2027-06-12" in told[receptionist_id].title and "会所多功能厅" in told[receptionist_id].title
    assert told[receptionist_id].body == "中心广场路面施工"
    assert told[receptionist_id].link == f"/activities/{activity_id}"


# ---------------------------------------------------------------------------- ACT-11 the new day


@time_machine.travel(NOW, tick=False)
def test_act11_a_weekday_without_a_reason_is_refused_next_to_the_date_reason_values_kept(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    english(client)
    # Wednesday 9 June 2027: the State Council's 2027 schedule is not known yet
    response = post(client, url(activity_id), moving(app, activity_id, day="2027-06-09"))
    assert response.status_code == 422
    html = page_html(response)
    errors = field_errors(html, "date_reason")
    assert errors and "The holiday schedule for 2027 is not yet known" in errors[0]
    assert 'value="2027-06-09"' in html and 'value="14:00"' in html and 'value="16:00"' in html
    assert 'value="会所多功能厅"' in html and "中心广场路面施工" in html
    assert stored(app, activity_id)[0] == DAY

    response = post(client, url(activity_id), moving(app, activity_id, day="2027-06-09",
                                                      date_reason="配合街道端午活动"))
    assert response.status_code == 303
    with app.app_context():
        found = db.session.get(Activity, activity_id)
        assert (found.day, found.date_basis, found.date_reason) == (date(2027, 6, 9), "reason", "配合街道端午活动")


@time_machine.travel(NOW, tick=False)
def test_act11_the_reason_for_the_move_is_required_and_a_past_day_refused(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    response = post(client, url(activity_id), moving(app, activity_id, reason=" "))
    assert response.status_code == 422 and field_errors(page_html(response), "reason")
    response = post(client, url(activity_id), moving(app, activity_id, day="2027-04-24"))
    assert response.status_code == 422 and field_errors(page_html(response), "day")
    response = post(client, url(activity_id), moving(app, activity_id, day="24/04"))
    assert response.status_code == 422 and field_errors(page_html(response), "day")
    assert stored(app, activity_id)[0] == DAY


# ---------------------------------------------------------------------------- ACT-13 the times


@time_machine.travel(NOW, tick=False)
def test_act13_an_end_at_2230_is_refused_next_to_the_end_time(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    english(client)
    response = post(client, url(activity_id), moving(app, activity_id, start_time="20:00", end_time="22:30"))
    assert response.status_code == 422
    html = page_html(response)
    assert "22:00" in field_errors(html, "end_time")[0]
    assert 'value="22:30"' in html and 'value="2027-06-12"' in html
    assert stored(app, activity_id) == (DAY, time(19, 0), time(21, 0), "中心广场")


# ---------------------------------------------------------------------------- when and who


def test_act11_not_once_the_activity_has_started(app, client, login, world):
    with time_machine.travel(NOW, tick=False):
        activity_id = arrange(app, world, status="ready")
    # 5 June 19:30 in Shanghai
    with time_machine.travel(datetime(2027, 6, 5, 11, 30, tzinfo=UTC), tick=False):
        login(world.users[("pm", "own")])
        english(client)
        html = page_html(client.get(url(activity_id)))
        assert "it can no longer be moved" in html and 'id="reschedule-form"' not in html
        assert 'id="reschedule-link"' not in page_html(client.get(f"/activities/{activity_id}"))
        response = post(client, url(activity_id), moving(app, activity_id))
        assert response.status_code == 422 and "it can no longer be moved" in page_html(response)
    assert stored(app, activity_id)[0] == DAY


@time_machine.travel(NOW, tick=False)
def test_act11_a_held_or_cancelled_activity_is_not_moved(app, client, login, world):
    login(world.users[("pm", "own")])
    english(client)
    activity_id = arrange(app, world)
    for status, words in (("held", "has been held"), ("cancelled", "is cancelled")):
        with app.app_context():
            db.session.get(Activity, activity_id).status = status
            db.session.commit()
        assert words in page_html(client.get(url(activity_id)))
        assert 'id="reschedule-link"' not in page_html(client.get(f"/activities/{activity_id}"))
        response = post(client, url(activity_id), moving(app, activity_id))
        assert response.status_code == 422 and words in page_html(response)
        assert stored(app, activity_id)[0] == DAY


@time_machine.travel(NOW, tick=False)
def test_act11_only_the_pm_the_cs_supervisor_and_the_admin_move_an_activity(app, client, login, world):
    activity_id = arrange(app, world)
    for role in ("publicist", "pm_assistant", "receptionist"):
        login(world.users[(role, "own")])
        assert 'id="reschedule-link"' not in page_html(client.get(f"/activities/{activity_id}"))
        assert client.get(url(activity_id)).status_code == 403
        assert post(client, url(activity_id), moving(app, activity_id)).status_code == 403
    assert stored(app, activity_id)[0] == DAY
    for username in (world.users[("pm", "own")], world.users[("cs_supervisor", "own")],
                     world.users[("admin", None)]):
        login(username)
        page = page_html(client.get(f"/activities/{activity_id}"))
        assert f'id="reschedule-link" href="/activities/{activity_id}/reschedule"' in page
        assert client.get(url(activity_id)).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_act11_an_activity_of_another_project_is_not_found(app, client, login, world):
    activity_id = arrange(app, world, where="other")
    login(world.users[("pm", "own")])
    assert client.get(url(activity_id)).status_code == 404
    assert post(client, url(activity_id), moving(app, activity_id)).status_code == 404
    assert stored(app, activity_id)[0] == DAY


@time_machine.travel(NOW, tick=False)
def test_act11_a_stale_version_is_refused_as_changed_meanwhile_input_kept(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    response = post(client, url(activity_id), moving(app, activity_id, version=version_of(app, activity_id) - 1))
    assert response.status_code == 409
    html = page_html(response)
    assert 'id="reschedule-conflict"' in html and 'value="2027-06-12"' in html and 'value="会所多功能厅"' in html
    assert stored(app, activity_id)[0] == DAY


# ---------------------------------------------------------------------------- the owners' page and the poster


@time_machine.travel(NOW, tick=False)
def test_act06_the_public_page_shows_the_new_date_and_the_replies_are_kept(app, client, login, world):
    activity_id = arrange(app, world)
    with app.app_context():
        found = db.session.get(Activity, activity_id)
        db.session.add(ActivityRsvp(project_id=found.project_id, activity_id=activity_id, unit_id=world.own.unit_id,
                                    head_count=3, first_at=NOW, changed_at=NOW))
        db.session.commit()
        token = found.public_token
    login(world.users[("pm", "own")])
    assert post(client, url(activity_id), moving(app, activity_id)).status_code == 303
    client.post("/logout")
    html = page_html(client.get(f"/activity/{token}"))
    assert "2027年6月12日" in html and "14:00–16:00" in html and "会所多功能厅" in html
    assert "2027年6月5日" not in html and "中心广场" not in html
    with app.app_context():
        assert db.session.scalar(sa.select(ActivityRsvp.head_count).where(ActivityRsvp.activity_id == activity_id)) == 3


@time_machine.travel(NOW, tick=False)
def test_act06_a_poster_already_up_is_reopened_and_back_in_my_work(app, client, login, world):
    activity_id = arrange(app, world)
    complete(app, activity_id, "poster", world, "cs_supervisor", note="已张贴于各楼栋公告栏")
    poster = milestone(app, activity_id, "poster")
    assert work_item(app, poster.id).done_at is not None
    login(world.users[("cs_supervisor", "own")])
    english(client)
    assert "Put the notice poster up on the notice boards" not in page_html(client.get("/"))

    assert post(client, url(activity_id), moving(app, activity_id)).status_code == 303
    poster = milestone(app, activity_id, "poster")
    assert (poster.done_at, poster.done_by_id, poster.note) == (None, None, None)
    assert local_text(poster.due_at) == "2027-06-05 23:59"  # T−7 of 12 June
    item = work_item(app, poster.id)
    assert item.done_at is None and item.done_by_id is None and item.due_at == poster.due_at
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkItem).where(
            WorkItem.entity_type == "activity_milestones", WorkItem.entity_id == poster.id)) == 1
    my_work = page_html(client.get("/"))
    assert "Put the notice poster up on the notice boards · 邻里中秋晚会" in my_work and "2027-06-05 23:59" in my_work
    # the old poster's note is kept in the history
    page = page_html(client.get(f"/activities/{activity_id}"))
    assert "已张贴于各楼栋公告栏" in page and 'id="milestone-poster"' in page
