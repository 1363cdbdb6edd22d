"""ACT-15 (§4.6): the CS supervisor's summary of a held activity (attendance beside the
owners' replies, what went well, the shortcomings found, the costs against the budget),
which makes the activity summarised, completes its SUMMARY milestone and goes to the PM;
and the year's 社区文化活动组织一览表 on screen, in print and as xlsx."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from tests.web.activity_helpers import field_errors, page_html, staff_user
from webapp.activities.models import (
    Activity,
    ActivityDetailedPlan,
    ActivityMilestone,
    ActivityMoneyLine,
    ActivityPlan,
    ActivityRsvp,
)
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import Notification
from webapp.estate.models import Building
from webapp.extensions import db
from webapp.org.models import Project

#: a Monday; the activity was held on the Saturday before
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)
HELD_DAY = date(2026, 6, 13)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield




def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)



def _activity(app, world, where="own", *, status="held", day=HELD_DAY, purchases=(("奖品", 150000), ("饮用水", 50000)),
              replies=((2,), (3,), (None,)), host="王主持", **values) -> int:
    """An activity of the project's approved plan for 2026, on its timeline since April,
    with a detailed plan naming the host, its purchase list (the budget, ¥2,000.00 by
    default) and the households' replies (head counts; None is a cancelled reply)."""
    with app.app_context():
        session = db.session
        ids = world.projects[where]
        project = session.get(Project, ids.id)
        publicist = staff_user(session, world, "publicist", where)
        plan = session.scalar(sa.select(ActivityPlan).where(ActivityPlan.project_id == ids.id,
                                                            ActivityPlan.year == day.year))
        if plan is None:
            plan = factories.make_activity_plan(session, project, publicist, year=day.year, status="approved")
        activity = factories.make_activity(session, plan, day=day, scheduled=True,
                                           scheduled_at=datetime(2026, 4, 1, 9, 0, tzinfo=LOCAL_TZ), **values)
        activity.status = status
        if status in ("held", "summarised"):
            activity.held_at = datetime.combine(day, time(21, 0), tzinfo=LOCAL_TZ)
        session.add(ActivityDetailedPlan(project_id=ids.id, activity_id=activity.id, status="approved", host=host))
        for position, (item, fen) in enumerate(purchases):
            session.add(ActivityMoneyLine(project_id=ids.id, kind="purchase", activity_id=activity.id,
                                          position=position, item=item, amount_fen=fen))
        building = session.get(Building, ids.building_id)
        for n, (heads,) in enumerate(replies):
            unit = factories.make_unit(session, building, number=f"{activity.id}{n:02d}")
            at = datetime.combine(day, time(9, 0), tzinfo=LOCAL_TZ) - timedelta(days=3)
            session.add(ActivityRsvp(project_id=ids.id, activity_id=activity.id, unit_id=unit.id, head_count=heads,
                                     first_at=at, changed_at=at))
        session.commit()
        return activity.id


def _summary_form(**overrides) -> dict:
    data = {
        "attendance": "86",
        "went_well": "节目丰富,业主参与热情高",
        "shortcomings": "签到处排队较长,需增加一个签到台",
        "cost_lines-0-item": "奖品",
        "cost_lines-0-amount": "1,600",
        "cost_lines-1-item": "饮用水",
        "cost_lines-1-amount": "520.50",
    }
    data.update(overrides)
    return data


def _write(client, activity_id, **overrides):
    page = client.get(f"/activities/{activity_id}/summary")
    assert page.status_code == 200
    data = _summary_form(**overrides)
    data.setdefault("version", _version(page_html(page)))
    return post(client, f"/activities/{activity_id}/summary", data)


# ---------------------------------------------------------------------------- writing it


@pytest.mark.parametrize("status", ["scheduled", "ready"])
def test_act15_the_summary_cannot_be_written_before_the_activity_is_held(app, client, login, world, clock, status):
    activity_id = _activity(app, world, status=status, day=date(2026, 6, 20))
    login(world.users[("cs_supervisor", "own")])
    html = page_html(client.get(f"/activities/{activity_id}/summary"))
    assert 'id="summary-not-yet"' in html and "2026-06-20 19:00" in html
    assert 'id="summary-form"' not in html
    response = post(client, f"/activities/{activity_id}/summary", {**_summary_form(), "version": "1"})
    assert response.status_code == 422
    assert 'id="summary-refusal"' in page_html(response)
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity.status == status and activity.summarised_at is None and activity.attendance is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityMoneyLine)
                                 .where(ActivityMoneyLine.kind == "cost")) == 0


def test_act15_the_shortcomings_are_required_and_everything_typed_is_kept(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _write(client, activity_id, shortcomings="  ")
    assert response.status_code == 422
    html = page_html(response)
    assert field_errors(html, "shortcomings"), "the message stands next to the shortcomings"
    assert 'value="86"' in html and "节目丰富,业主参与热情高" in html
    assert 'name="cost_lines-0-item" id="cost_lines-0-item" value="奖品"' in html
    assert 'name="cost_lines-1-amount" id="cost_lines-1-amount" value="520.50"' in html
    with app.app_context():
        assert db.session.get(Activity, activity_id).status == "held"


@pytest.mark.parametrize("typed", ["-3", "很多", ""])
def test_act15_attendance_must_be_a_whole_number_not_negative(app, client, login, world, clock, typed):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _write(client, activity_id, attendance=typed)
    assert response.status_code == 422
    assert field_errors(page_html(response), "attendance")
    with app.app_context():
        assert db.session.get(Activity, activity_id).attendance is None


def test_act15_a_cost_line_with_a_bad_amount_gets_its_message_beside_it(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _write(client, activity_id, **{"cost_lines-1-amount": "12.345"})
    assert response.status_code == 422
    html = page_html(response)
    assert field_errors(html, "cost_lines-1-amount") and not re.search(r'id="cost_lines-0-amount-error"', html)
    assert 'value="12.345"' in html
    response = _write(client, activity_id, **{"cost_lines-0-item": "", "cost_lines-0-amount": "30"})
    assert response.status_code == 422
    assert field_errors(page_html(response), "cost_lines-0-item")


def test_act15_add_a_line_works_without_javascript_and_saves_nothing(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _write(client, activity_id, add_line="1")
    assert response.status_code == 200
    html = page_html(response)
    assert 'name="cost_lines-2-item"' in html and 'name="cost_lines-3-item"' not in html
    assert 'value="1,600"' in html and 'value="86"' in html
    with app.app_context():
        assert db.session.get(Activity, activity_id).status == "held"


def test_act15_saving_makes_it_summarised_completes_the_milestone_and_tells_the_pm(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _write(client, activity_id)
    assert response.status_code == 303
    assert response.location.endswith(f"/activities/{activity_id}/summary")
    with app.app_context():
        session = db.session
        activity = session.get(Activity, activity_id)
        supervisor = staff_user(session, world, "cs_supervisor")
        assert activity.status == "summarised"
        assert activity.summarised_by_id == supervisor.id, "it counts in the CS staff's evaluation"
        assert activity.summarised_at == NOW
        assert (activity.attendance, activity.shortcomings) == (86, "签到处排队较长,需增加一个签到台")
        # ACT-16: two households replied for five people; the cancelled reply counts for nothing
        assert (activity.rsvp_units, activity.rsvp_heads) == (2, 5)
        costs = session.execute(sa.select(ActivityMoneyLine.item, ActivityMoneyLine.amount_fen)
                                .where(ActivityMoneyLine.activity_id == activity_id, ActivityMoneyLine.kind == "cost")
                                .order_by(ActivityMoneyLine.position)).all()
        assert costs == [("奖品", 160000), ("饮用水", 52050)]
        milestone = session.scalar(sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity_id, ActivityMilestone.code == "summary"))
        assert milestone.done_at == NOW and milestone.done_by_id == supervisor.id
        pm = staff_user(session, world, "pm")
        notes = session.scalars(sa.select(Notification).where(Notification.user_id == pm.id)).all()
        assert [n.link for n in notes] == [f"/activities/{activity_id}/summary"]
        other_pm = staff_user(session, world, "pm", "other")
        assert not session.scalars(sa.select(Notification).where(Notification.user_id == other_pm.id)).all()


def test_act15_the_written_summary_is_read_only_with_the_cost_over_budget(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    _write(client, activity_id)
    html = page_html(client.get(f"/activities/{activity_id}/summary"))
    assert 'id="summary-form"' not in html
    assert re.search(r'id="summary-budget">¥2,000.00<', html)
    assert re.search(r'id="summary-cost-total">¥2,120.50<', html)
    assert re.search(r'<tr id="summary-difference" class="over-budget">.*?¥120.50', html, re.S)
    assert re.search(r'id="summary-rsvp-units">2<', html) and re.search(r'id="summary-rsvp-heads">5<', html)
    assert re.search(r'id="summary-attendance">86<', html)
    # the history shows the costs in yuan, as people read them, not in stored fen
    assert "2120.50" in html and "212050" not in html
    again = post(client, f"/activities/{activity_id}/summary", {**_summary_form(attendance="99"), "version": "9"})
    assert again.status_code in (409, 422)
    with app.app_context():
        assert db.session.get(Activity, activity_id).attendance == 86


def test_act15_a_cost_under_budget_shows_how_much_was_left(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    _write(client, activity_id, **{"cost_lines-0-amount": "1200", "cost_lines-1-amount": "0"})
    html = page_html(client.get(f"/activities/{activity_id}/summary"))
    assert re.search(r'<tr id="summary-difference" class="under-budget">.*?¥800.00', html, re.S)


def test_act15_the_replies_stand_beside_the_attendance_while_it_is_written(app, client, login, world, clock):
    activity_id = _activity(app, world, replies=((4,), (1,), (2,), (None,)))
    login(world.users[("cs_supervisor", "own")])
    html = page_html(client.get(f"/activities/{activity_id}/summary"))
    assert re.search(r'id="summary-rsvp-units">3<', html) and re.search(r'id="summary-rsvp-heads">7<', html)


def test_act15_the_htmx_save_answers_with_the_read_only_panel(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    version = _version(page_html(client.get(f"/activities/{activity_id}/summary")))
    response = post(client, f"/activities/{activity_id}/summary", {**_summary_form(), "version": version}, headers=HX)
    assert response.status_code == 200
    html = page_html(response)
    assert "<html" not in html and html.lstrip().startswith('<section id="activity-summary"')
    assert 'id="summary-cost-total"' in html and 'id="summary-form"' not in html


def test_act15_a_stale_form_is_refused_as_changed_meanwhile(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/summary", {**_summary_form(), "version": "0"})
    assert response.status_code == 409
    assert 'value="86"' in page_html(response)
    with app.app_context():
        assert db.session.get(Activity, activity_id).status == "held"


@pytest.mark.parametrize("role", ["publicist", "pm", "receptionist"])
def test_act15_only_the_cs_supervisor_writes_the_summary(app, client, login, world, clock, role):
    activity_id = _activity(app, world)
    login(world.users[(role, "own")])
    page = client.get(f"/activities/{activity_id}/summary")
    assert page.status_code == 200 and 'id="summary-form"' not in page_html(page)
    response = post(client, f"/activities/{activity_id}/summary", {**_summary_form(), "version": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Activity, activity_id).status == "held"


def test_act15_another_projects_activity_is_not_found(app, client, login, world, clock):
    activity_id = _activity(app, world, where="other")
    login(world.users[("cs_supervisor", "own")])
    assert client.get(f"/activities/{activity_id}/summary").status_code == 404
    assert post(client, f"/activities/{activity_id}/summary", {**_summary_form(), "version": "1"}).status_code == 404


# ---------------------------------------------------------------------------- 社区文化活动组织一览表


def _register_year(app, client, login, world):
    """A summarised activity in June, an upcoming one in September, a cancelled one, and
    an activity of next year (not in this year's register)."""
    summarised = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    assert _write(client, summarised).status_code == 303
    upcoming = _activity(app, world, status="scheduled", day=date(2026, 9, 26), name="国庆游园会",
                         purchases=(("灯笼", 30000),), replies=((2,),), host="李主持")
    cancelled = _activity(app, world, status="cancelled", day=date(2026, 7, 4), name="夏日电影夜",
                          purchases=(), replies=())
    _activity(app, world, status="scheduled", day=date(2027, 1, 16), name="迎新春联欢")
    return summarised, cancelled, upcoming


def test_act15_the_register_has_a_row_per_activity_of_the_year_in_date_order_and_totals(app, client, login, world,
                                                                                         clock):
    summarised, cancelled, upcoming = _register_year(app, client, login, world)
    response = client.get(f"/activities/register?project={world.own.id}&year=2026")
    assert response.status_code == 200
    html = page_html(response)
    rows = re.findall(r'<tr id="activity-register-row-(\d+)">', html)
    assert rows == [str(summarised), str(cancelled), str(upcoming)]
    row = re.search(rf'<tr id="activity-register-row-{summarised}">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    assert cells[:10] == ["1", "邻里中秋晚会", "2026-06-13", "中心广场", "王主持", "2 / 5", "86", "¥2,000.00",
                          "¥2,120.50", "¥120.50"]
    assert cells[10:13] == ["节目丰富,业主参与热情高", "签到处排队较长,需增加一个签到台", "own.cs_supervisor"]
    upcoming_row = re.search(rf'<tr id="activity-register-row-{upcoming}">(.*?)</tr>', html, re.S).group(1)
    assert "李主持" in upcoming_row and "1 / 2" in upcoming_row and "¥300.00" in upcoming_row
    totals = re.search(r'<tr id="activity-register-totals">(.*?)</tr>', html, re.S).group(1)
    figures = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', totals, re.S)]
    # the difference of the summarised activities only: an upcoming one has no costs yet
    assert figures == ["3 / 7", "86", "¥2,300.00", "¥2,120.50", "¥120.50"]
    assert "迎新春联欢" not in html


def test_act15_the_register_prints_on_a_landscape_page(app, client, login, world, clock):
    _register_year(app, client, login, world)
    html = page_html(client.get(f"/activities/register?project={world.own.id}&year=2026"))
    assert "<html" in html and 'id="activity-register-table"' in html
    assert "css/summary.css" in html and "js/print.js" in html and "data-print" in html
    assert f"/activities/register.xlsx?project={world.own.id}&amp;year=2026" in html


def test_act15_the_register_xlsx_opens_with_the_chinese_headers_and_the_rows(app, client, login, world, clock):
    from openpyxl import load_workbook

    summarised, _cancelled, _upcoming = _register_year(app, client, login, world)
    post(client, "/language", {"locale": "en"})
    response = client.get(f"/activities/register.xlsx?project={world.own.id}&year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2026.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0].startswith("社区文化活动组织一览表")
    assert values[1] == ["序号", "活动名称", "日期", "地点", "主持人", "报名(户/人)", "参加人数", "预算(元)",
                         "实际费用(元)", "差额(元)", "效果", "存在的不足", "总结人", "状态"]
    assert values[2][:10] == [1, "邻里中秋晚会", "2026-06-13", "中心广场", "王主持", "2 / 5", 86, 2000, 2120.5, 120.5]
    assert values[-1][0] == "合计" and values[-1][6] == 86


def test_act15_the_register_reads_in_a_fixed_number_of_queries(app, client, login, world, clock, queries):
    login(world.users[("cs_supervisor", "own")])

    def count(n: int) -> int:
        with app.app_context():
            session = db.session
            plan = factories.make_activity_plan(session, session.get(Project, world.own.id),
                                                staff_user(session, world, "publicist"), year=2020 + n, status="approved")
            supervisor = staff_user(session, world, "cs_supervisor")
            building = session.get(Building, world.own.building_id)
            for i in range(n):
                activity = factories.make_activity(session, plan, day=date(2020 + n, 3, 1) + timedelta(days=7 * i),
                                                   scheduled=True, scheduled_at=datetime(2020 + n - 1, 1, 1, tzinfo=LOCAL_TZ))
                activity.status = "summarised" if i % 2 else "held"
                activity.summarised_by_id = supervisor.id if i % 2 else None
                session.add(ActivityDetailedPlan(project_id=world.own.id, activity_id=activity.id, status="approved",
                                                 host=f"主持{i}"))
                for kind in ("purchase", "cost"):
                    session.add(ActivityMoneyLine(project_id=world.own.id, kind=kind, activity_id=activity.id,
                                                  position=0, item="奖品", amount_fen=1000 * (i + 1)))
                unit = factories.make_unit(session, building, number=f"{n}{i:03d}")
                session.add(ActivityRsvp(project_id=world.own.id, activity_id=activity.id, unit_id=unit.id,
                                         head_count=2, first_at=NOW, changed_at=NOW))
            session.commit()
        with queries() as statements:
            response = client.get(f"/activities/register?project={world.own.id}&year={2020 + n}")
        assert response.status_code == 200
        assert len(re.findall(r'<tr id="activity-register-row-', page_html(response))) == n
        return len(statements)

    assert count(2) == count(10)
