"""The activity page and its timeline (ACT-05, 06, 08, 12), the status steps, "My work"
(APP-03) and the overdue reminders of the sweep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from tests.web.activity_helpers import staff_user
from webapp.activities import timeline
from webapp.activities.models import Activity, ActivityMilestone, HolidayDay
from webapp.core.models import Notification, WorkItem
from webapp.extensions import db
from webapp.org.models import Project, User

#: Saturday 1 May 2027, 10:00 in Shanghai; the activity is on Saturday 5 June, 19:00–21:00
NOW = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)
DAY = date(2027, 6, 5)
T_MINUS_30_END = "2027-05-06 23:59"
T_MINUS_4_END = "2027-06-01 23:59"



def arrange(app, world, *, where="own", scheduled=True, important=True, day=DAY) -> int:
    """Next year's approved plan with one activity on its timeline (scheduled at NOW)."""
    with app.app_context():
        project = db.session.get(Project, world.projects[where].id)
        plan = factories.make_activity_plan(db.session, project, staff_user(db.session, world, "publicist", where),
                                            year=day.year, status="approved")
        activity = factories.make_activity(db.session, plan, day=day, scheduled=scheduled, scheduled_at=NOW,
                                           important=important)
        db.session.commit()
        return activity.id


def maintenance_supervisor(app, world) -> str:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        department = factories.make_department(db.session, project, "maintenance", "维修部")
        user = factories.make_user(db.session, "own.maint.lead", roles=[("dept_supervisor", project, department)])
        db.session.commit()
        return user.username


def milestone(app, activity_id, code) -> ActivityMilestone:
    with app.app_context():
        row = db.session.scalar(sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity_id, ActivityMilestone.code == code))
        db.session.expunge(row)
        return row


def status_of(app, activity_id) -> str:
    with app.app_context():
        return db.session.get(Activity, activity_id).status


def version_of(app, activity_id) -> int:
    with app.app_context():
        return db.session.get(Activity, activity_id).version


def english(client):
    post(client, "/language", {"locale": "en"})


# ---------------------------------------------------------------------------- the page


@time_machine.travel(NOW, tick=False)
def test_act04_the_page_shows_the_activity_and_every_milestone_in_due_order(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("receptionist", "own")])
    response = client.get(f"/activities/{activity_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "邻里中秋晚会" in html and "2027-06-05" in html and "19:00–21:00" in html and "中心广场" in html
    assert "星期六" in html  # the weekday, in Chinese by default
    codes = ["detailed_plan", "feasibility_meeting", "pm_approval", "vp_approval", "preparation_meeting", "poster",
             "household_notice", "preparation_checklist", "security_plan", "facility_check", "rehearsal",
             "day_roster", "summary"]
    positions = [html.index(f'id="milestone-{code}"') for code in codes]
    assert positions == sorted(positions)
    assert T_MINUS_30_END in html and T_MINUS_4_END in html
    # the receptionist holds none of the milestones' roles: no form to tick them
    assert "milestone-form" not in html
    # links to the pages that do the others
    assert f'href="/activities/{activity_id}/detailed-plan"' in html


def test_act04_a_planned_activity_has_no_timeline(app, client, login, world):
    activity_id = arrange(app, world, scheduled=False)
    login(world.users[("pm", "own")])
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert 'id="activity-planned"' in html
    assert 'id="activity-timeline"' not in html and "milestone-" not in html
    assert post(client, f"/activities/{activity_id}/status/cancelled",
                {"version": version_of(app, activity_id), "reason": "x"}).status_code == 422


def test_act04_an_activity_of_another_project_is_not_found(app, client, login, world):
    activity_id = arrange(app, world, where="other")
    login(world.users[("pm", "own")])
    assert client.get(f"/activities/{activity_id}").status_code == 404
    assert post(client, f"/activities/{activity_id}/milestones/feasibility_meeting", {"note": "x"}).status_code == 404
    assert post(client, f"/activities/{activity_id}/status/ready",
                {"version": version_of(app, activity_id)}).status_code == 404


def test_act05_a_role_that_does_not_own_the_milestone_is_refused(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/milestones/feasibility_meeting", {"note": "开会"})
    assert response.status_code == 403
    assert milestone(app, activity_id, "feasibility_meeting").done_at is None
    # milestones done by their own step are not ticked here
    login(world.users[("cs_supervisor", "own")])
    assert post(client, f"/activities/{activity_id}/milestones/detailed_plan", {"note": "x"}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_act05_the_preparation_meeting_needs_its_minutes(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    url = f"/activities/{activity_id}/milestones/preparation_meeting"
    response = post(client, url, {"note": "  "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="note-preparation_meeting-error"' in html
    assert milestone(app, activity_id, "preparation_meeting").done_at is None
    response = post(client, url, {"note": "与会: 项目经理、各部门主管; 分工已定"})
    assert response.status_code == 303
    row = milestone(app, activity_id, "preparation_meeting")
    assert row.done_at == NOW and row.note == "与会: 项目经理、各部门主管; 分工已定"
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "与会: 项目经理、各部门主管; 分工已定" in html
    assert world.users[("pm", "own")] in html  # who did it


@time_machine.travel(NOW, tick=False)
def test_act05_htmx_ticking_swaps_the_milestone_row(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    response = post(client, f"/activities/{activity_id}/milestones/feasibility_meeting", {"note": "奖品已定"},
                    headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<li class="milestone milestone-done')
    assert 'id="milestone-feasibility_meeting"' in html and "奖品已定" in html
    assert "milestone-form" not in html
    refused = post(client, f"/activities/{activity_id}/milestones/preparation_meeting", {"note": ""}, headers=HX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)


def test_act08_the_rehearsal_is_refused_before_t_minus_3_and_accepted_at_t_minus_2(app, client, login, world):
    with time_machine.travel(NOW, tick=False):
        activity_id = arrange(app, world)
    url = f"/activities/{activity_id}/milestones/rehearsal"
    # 1 June (T−4), 12:00 in Shanghai
    with time_machine.travel(datetime(2027, 6, 1, 4, 0, tzinfo=UTC), tick=False):
        login(world.users[("pm", "own")])
        response = post(client, url, {"note": "走台"})
        assert response.status_code == 422
        assert "此项不能早于 2027-06-02 00:00 完成" in response.get_data(as_text=True)
        assert milestone(app, activity_id, "rehearsal").done_at is None
    # 3 June (T−2), 20:00 in Shanghai
    moment = datetime(2027, 6, 3, 12, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        login(world.users[("pm", "own")])
        assert post(client, url, {"note": "走台, 疏散演练"}).status_code == 303
        assert milestone(app, activity_id, "rehearsal").done_at == moment


# ---------------------------------------------------------------------------- ACT-12 safety plans and status


@time_machine.travel(NOW, tick=False)
def test_act12_ready_is_refused_until_both_safety_plans_are_done(app, client, login, world):
    activity_id = arrange(app, world)
    maintenance = maintenance_supervisor(app, world)
    login(world.users[("pm", "own")])
    response = post(client, f"/activities/{activity_id}/status/ready", {"version": version_of(app, activity_id)})
    assert response.status_code == 422
    assert "安全部主管的人流组织与疏散方案尚未完成" in response.get_data(as_text=True)

    # the security supervisor writes the crowd-flow plan; the plan text is required
    security = world.users[("dept_supervisor", "own")]
    login(security)
    url = f"/activities/{activity_id}/milestones/security_plan"
    assert post(client, url, {"note": ""}).status_code == 422
    assert post(client, url, {"note": "东门入场, 西门及南门疏散"}).status_code == 303
    # …but may not do the maintenance department's facility check
    assert post(client, f"/activities/{activity_id}/milestones/facility_check",
                {"note": "音响已检查"}).status_code == 403

    login(world.users[("pm", "own")])
    english(client)
    response = post(client, f"/activities/{activity_id}/status/ready", {"version": version_of(app, activity_id)})
    assert response.status_code == 422
    assert "facility check and emergency plan is still missing" in response.get_data(as_text=True)

    login(maintenance)
    assert post(client, f"/activities/{activity_id}/milestones/facility_check",
                {"note": "音响、照明、电源已检查; 应急: 备用发电机"}).status_code == 303
    login(world.users[("pm", "own")])
    response = post(client, f"/activities/{activity_id}/status/ready", {"version": version_of(app, activity_id)})
    assert response.status_code == 303
    assert status_of(app, activity_id) == "ready"


@time_machine.travel(NOW, tick=False)
def test_act12_a_stale_version_is_refused_as_changed_meanwhile(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    response = post(client, f"/activities/{activity_id}/status/cancelled",
                    {"version": version_of(app, activity_id) - 1, "reason": "暴雨"})
    assert response.status_code == 409
    assert status_of(app, activity_id) == "scheduled"


def test_act12_held_only_once_the_activity_has_started(app, client, login, world):
    with time_machine.travel(NOW, tick=False):
        activity_id = arrange(app, world)
        with app.app_context():
            found = db.session.get(Activity, activity_id)
            found.status = "ready"
            db.session.commit()
    # 5 June 18:59 in Shanghai: not started
    with time_machine.travel(datetime(2027, 6, 5, 10, 59, tzinfo=UTC), tick=False):
        login(world.users[("pm_assistant", "own")])
        response = post(client, f"/activities/{activity_id}/status/held", {"version": version_of(app, activity_id)})
        assert response.status_code == 422
        assert status_of(app, activity_id) == "ready"
    with time_machine.travel(datetime(2027, 6, 5, 11, 0, tzinfo=UTC), tick=False):
        login(world.users[("pm_assistant", "own")])
        response = post(client, f"/activities/{activity_id}/status/held", {"version": version_of(app, activity_id)})
        assert response.status_code == 303
        assert status_of(app, activity_id) == "held"


@time_machine.travel(NOW, tick=False)
def test_act12_cancelling_needs_a_reason_and_closes_every_milestone_item(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/status/cancelled"
    assert post(client, url, {"version": version_of(app, activity_id), "reason": ""}).status_code == 422
    assert status_of(app, activity_id) == "scheduled"
    response = post(client, url, {"version": version_of(app, activity_id), "reason": "台风预警"})
    assert response.status_code == 303
    assert status_of(app, activity_id) == "cancelled"
    with app.app_context():
        open_items = db.session.scalar(
            sa.select(sa.func.count()).select_from(WorkItem).where(WorkItem.done_at.is_(None),
                                                                   WorkItem.kind == "activity_milestone"))
    assert open_items == 0
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "台风预警" in html and "milestone-form" not in html
    login(world.users[("pm", "own")])
    assert post(client, f"/activities/{activity_id}/milestones/feasibility_meeting",
                {"note": "x"}).status_code == 422


@time_machine.travel(NOW, tick=False)
def test_act12_the_status_step_needs_the_organise_permission(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("dept_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/status/cancelled",
                    {"version": version_of(app, activity_id), "reason": "x"})
    assert response.status_code == 403
    login(world.users[("pm", "own")])
    assert post(client, f"/activities/{activity_id}/status/summarised",
                {"version": version_of(app, activity_id)}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_act12_htmx_status_step_swaps_the_status_panel(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("pm", "own")])
    response = post(client, f"/activities/{activity_id}/status/cancelled",
                    {"version": version_of(app, activity_id), "reason": "台风"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="activity-status"' in html and "台风" in html


# ---------------------------------------------------------------------------- no N+1


def test_act04_the_page_runs_a_fixed_number_of_queries(app, client, login, world, queries):
    with time_machine.travel(NOW, tick=False):
        undone = arrange(app, world)
        with app.app_context():
            plan = db.session.get(Activity, undone).plan
            done = factories.make_activity(db.session, plan, day=DAY, scheduled=True, important=True)
            users = list(db.session.scalars(sa.select(User).order_by(User.id)))
            for i, row in enumerate(done.milestones):
                row.done_at, row.done_by_id, row.note = NOW, users[i % len(users)].id, f"记录{i}"
            db.session.commit()
            done_id = done.id
    login(world.users[("pm", "own")])
    counts = []
    for activity_id in (undone, done_id):
        with queries() as statements:
            response = client.get(f"/activities/{activity_id}")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    html = client.get(f"/activities/{done_id}").get_data(as_text=True)
    assert html.count('class="milestone milestone-done') == 13


# ---------------------------------------------------------------------------- APP-03 My work and the sweep


def test_app03_the_timeline_is_in_my_work_and_leaves_it_when_done(app, client, login, world):
    with time_machine.travel(NOW, tick=False):
        activity_id = arrange(app, world)
        login(world.users[("cs_supervisor", "own")])
        html = client.get("/").get_data(as_text=True)
        assert "邻里中秋晚会" in html and T_MINUS_30_END in html
        assert f"/activities/{activity_id}" in html

        security = world.users[("dept_supervisor", "own")]
        login(security)
        english(client)
        html = client.get("/").get_data(as_text=True)
        assert "Write the crowd-flow and evacuation plan · 邻里中秋晚会" in html and T_MINUS_4_END in html
        assert "Write the detailed organisation plan" not in html  # the CS supervisor's, not theirs
        assert post(client, f"/activities/{activity_id}/milestones/security_plan",
                    {"note": "东门入场, 西门疏散"}).status_code == 303
        assert "crowd-flow" not in client.get("/").get_data(as_text=True)

    # past T−30 the CS supervisor's detailed plan shows overdue
    with time_machine.travel(datetime(2027, 5, 7, 2, 0, tzinfo=UTC), tick=False):
        login(world.users[("cs_supervisor", "own")])
        html = client.get("/").get_data(as_text=True)
        assert "已超时" in html and T_MINUS_30_END in html
        page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
        assert 'class="milestone milestone-overdue is-overdue" id="milestone-detailed_plan"' in page


def test_app03_the_sweep_reminds_the_owners_of_an_overdue_milestone_once(app, world):
    with time_machine.travel(NOW, tick=False):
        activity_id = arrange(app, world)
    with app.app_context():
        # nothing is overdue yet
        assert timeline.remind_overdue_milestones(db.session, NOW) == 0
        later = datetime(2027, 5, 7, 2, 0, tzinfo=UTC)  # past T−30, before T−25
        sent = timeline.remind_overdue_milestones(db.session, later)
        db.session.commit()
        notes = db.session.execute(
            sa.select(Notification.user_id, Notification.link, Notification.title)
            .execution_options(all_projects=True)
        ).all()
        cs = staff_user(db.session, world, "cs_supervisor").id
        assert sent == 1 and [(n.user_id, n.link) for n in notes] == [(cs, f"/activities/{activity_id}")]
        assert "邻里中秋晚会" in notes[0].title
        # once only
        assert timeline.remind_overdue_milestones(db.session, later + timedelta(hours=1)) == 0
        # the security plan goes to the security supervisor only (not other supervisors)
        after_t4 = datetime(2027, 6, 2, 2, 0, tzinfo=UTC)
        timeline.remind_overdue_milestones(db.session, after_t4)
        db.session.commit()
        told = set(db.session.scalars(
            sa.select(Notification.user_id).where(Notification.dedupe_key == f"activity-milestone-overdue:"
                                                  f"{milestone(app, activity_id, 'security_plan').id}")
            .execution_options(all_projects=True)))
        assert told == {staff_user(db.session, world, "dept_supervisor").id}
        # a cancelled activity is not chased
        found = db.session.get(Activity, activity_id)
        found.status = "cancelled"
        db.session.commit()
        assert timeline.remind_overdue_milestones(db.session, datetime(2027, 6, 20, tzinfo=UTC)) == 0


def test_app03_the_sla_sweep_command_sends_the_overdue_reminders(app, world):
    with time_machine.travel(NOW, tick=False):
        arrange(app, world)
    runner = app.test_cli_runner()
    with time_machine.travel(datetime(2027, 5, 7, 2, 0, tzinfo=UTC), tick=False):
        first = runner.invoke(args=["sla", "sweep"])
        second = runner.invoke(args=["sla", "sweep"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    with app.app_context():
        keys = list(db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.dedupe_key.like("activity-milestone-overdue:%"))
            .execution_options(all_projects=True)))
    assert len(keys) == 1  # the CS supervisor's detailed plan, told once


@time_machine.travel(NOW, tick=False)
def test_act11_the_page_says_why_the_date_was_chosen(app, client, login, world):
    # 2027-09-29: two days before the National Day holiday the administrators entered
    activity_id = arrange(app, world, day=date(2027, 9, 29))
    with app.app_context():
        for offset in range(7):
            db.session.add(HolidayDay(day=date(2027, 10, 1) + timedelta(days=offset), kind="holiday", name="国庆节"))
        found = db.session.get(Activity, activity_id)
        found.date_basis = "before_major_holiday"
        plan = found.plan
        other = factories.make_activity(db.session, plan, day=date(2027, 9, 8), scheduled=True,
                                        date_basis="reason", date_reason="配合街道敬老活动周")
        db.session.commit()
        other_id = other.id
    login(world.users[("pm", "own")])
    english(client)
    assert "Before National Day" in client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "配合街道敬老活动周" in client.get(f"/activities/{other_id}").get_data(as_text=True)
