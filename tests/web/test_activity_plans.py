"""The year overview and the annual activity plan: drafted by the publicist (ACT-01, 03)
with every activity's date (ACT-11) and times (ACT-13) checked, confirmed by the PM and
approved by the VP with the content confirmed (ACT-02, 14); approval puts the activities
on their timelines; the plan is due by 30 December (ACT-01)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from tests.web.activity_helpers import field_errors, page_html, staff_user
from webapp.activities import plans
from webapp.activities.holidays import package_years
from webapp.activities.models import Activity, ActivityMilestone, ActivityMoneyLine, ActivityPlan
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import AuditEvent, WorkItem
from webapp.extensions import db
from webapp.org.models import Project

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)
YEAR = 2027
#: a year the holiday package does not know yet
UNKNOWN = max(package_years()) + 1


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield




def _version(html: str, action: str) -> str:
    form = re.search(rf'id="plan-{action}-form".*?</form>', html, re.S).group(0)
    return re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)


def _sign_in(client, login, world, role, where="own"):
    """Signed in, in English (the messages the tests read)."""
    username = world.users[(role, where)] if (role, where) in world.users else world.users[(role, None)]
    login(username)
    post(client, "/language", {"locale": "en"})



def _plan_data(**values) -> dict:
    data = {
        "submission_key": "plan-key-1",
        "purpose": "丰富业主文化生活,增进邻里交流",
        "activities-0-name": "迎春联欢会",
        "activities-0-method": "文艺表演与游园猜谜",
        "activities-0-day": "2027-03-06",
        "activities-0-start_time": "19:00",
        "activities-0-end_time": "21:00",
        "activities-0-place": "中心广场",
        "activities-0-important": "y",
        "activities-0-description": "欢迎全体业主携家人参加",
        "activities-0-date_reason": "",
        "facilities": "音响一套、桌椅五十套",
        "budget_lines-0-item": "奖品",
        "budget_lines-0-amount": "1,200.50",
        "organisation": "客服中心组织,安全部、维修部配合",
    }
    data.update(values)
    return data


def _new_url(world, year=YEAR) -> str:
    return f"/activities/plans/new?project={world.own.id}&year={year}"


def _draft(client, login, world, year=YEAR, **values) -> int:
    _sign_in(client, login, world, "publicist")
    response = post(client, _new_url(world, year), _plan_data(**values))
    assert response.status_code == 303, page_html(response)
    return int(response.location.rsplit("/", 1)[1])


def _step(client, plan_id, action, **data):
    page = page_html(client.get(f"/activities/plans/{plan_id}"))
    data.setdefault("version", _version(page, action.replace("_", "-")))
    return post(client, f"/activities/plans/{plan_id}/{action}", data)


# ---------------------------------------------------------------------------- drafting


def test_act03_draft_errors_are_next_to_their_fields_and_every_value_is_kept(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    data = _plan_data(**{
        "purpose": "",
        "activities-0-end_time": "22:30",
        "activities-1-name": "",
        "activities-1-method": "亲子运动会的方式",
        "activities-1-day": "2027-03-13",
        "activities-1-start_time": "09:00",
        "activities-1-end_time": "11:00",
        "activities-1-place": "会所",
        "budget_lines-0-amount": "十二元",
    })
    response = post(client, _new_url(world), data)
    html = page_html(response)
    assert response.status_code == 422 and "<html" in html
    assert field_errors(html, "activities-0-end_time") == ["Activities end by 22:00 so that residents can rest."]
    assert field_errors(html, "budget_lines-0-amount") == ["Enter an amount in yuan, such as 80 or 12.50."]
    assert field_errors(html, "purpose") or field_errors(html, "activities-1-name")
    # every value kept, the second row included
    assert 'value="22:30"' in html and "亲子运动会的方式" in html and 'value="十二元"' in html
    assert 'id="activities-1-place"' in html and 'value="会所"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPlan)) == 0


def test_act13_an_activity_ending_at_2201_is_refused_at_2200_accepted(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    late = post(client, _new_url(world), _plan_data(**{"activities-0-end_time": "22:01"}))
    assert late.status_code == 422
    assert field_errors(page_html(late), "activities-0-end_time") == ["Activities end by 22:00 so that residents can rest."]
    on_time = post(client, _new_url(world), _plan_data(**{"activities-0-end_time": "22:00"}))
    assert on_time.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Activity.end_time)).strftime("%H:%M") == "22:00"


def test_act11_a_weekday_needs_a_reason(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    weekday = {"activities-0-day": "2026-06-03"}
    refused = post(client, _new_url(world, 2026), _plan_data(**weekday))
    assert refused.status_code == 422
    assert "give a reason for this date" in field_errors(page_html(refused), "activities-0-date_reason")[0]
    accepted = post(client, _new_url(world, 2026), _plan_data(**weekday, **{"activities-0-date_reason": "端午前夜"}))
    assert accepted.status_code == 303
    with app.app_context():
        activity = db.session.scalar(sa.select(Activity))
        assert (activity.date_basis, activity.date_reason, activity.scheduled_at) == ("reason", "端午前夜", None)
        assert activity.status == "scheduled" and activity.public_token
    page = page_html(client.get(accepted.location))
    assert "Another day, for this reason: 端午前夜" in page


def test_act11_a_year_whose_holiday_schedule_is_not_yet_known_is_said_so(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    wednesday = date(UNKNOWN, 3, 3)
    while wednesday.weekday() != 2:
        wednesday = wednesday.replace(day=wednesday.day + 1)
    values = {"activities-0-day": wednesday.isoformat()}
    refused = post(client, _new_url(world, UNKNOWN), _plan_data(**values))
    assert refused.status_code == 422
    error = field_errors(page_html(refused), "activities-0-date_reason")[0]
    assert f"holiday schedule for {UNKNOWN} is not yet known" in error
    accepted = post(client, _new_url(world, UNKNOWN), _plan_data(**values, **{"activities-0-date_reason": "业主要求"}))
    assert accepted.status_code == 303
    page = page_html(client.get(accepted.location))
    assert f"The holiday schedule for {UNKNOWN} is not yet known." in page


def test_act03_an_activity_row_is_added_without_javascript(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    response = post(client, _new_url(world), _plan_data(add="activity"))
    html = page_html(response)
    assert response.status_code == 200
    assert 'id="activities-1-name"' in html and 'value="迎春联欢会"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPlan)) == 0


def test_act03_a_double_submit_creates_one_plan_and_a_second_plan_of_the_year_leads_to_the_first(
        app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    again = post(client, _new_url(world), _plan_data())
    assert again.status_code == 303 and again.location.endswith(f"/activities/plans/{plan_id}")
    other_key = post(client, _new_url(world), _plan_data(submission_key="plan-key-2"))
    assert other_key.status_code == 303 and other_key.location.endswith(f"/activities/plans/{plan_id}")
    assert client.get(_new_url(world)).location.endswith(f"/activities/plans/{plan_id}")
    with app.app_context():
        plan = db.session.get(ActivityPlan, plan_id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPlan)) == 1
        assert [line.amount_fen for line in plan.budget_lines] == [120050]
        assert [a.name for a in plan.activities] == ["迎春联欢会"] and plan.activities[0].important


def test_act03_editing_a_draft_keeps_the_activities_ids(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    with app.app_context():
        first_id = db.session.scalar(sa.select(Activity.id))
    form = page_html(client.get(f"/activities/plans/{plan_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    data = _plan_data(version=version, **{
        "activities-0-name": "元宵灯谜会",
        "activities-1-name": "亲子运动会", "activities-1-method": "接力赛", "activities-1-day": "2027-04-10",
        "activities-1-start_time": "09:00", "activities-1-end_time": "11:30", "activities-1-place": "会所",
    })
    assert post(client, f"/activities/plans/{plan_id}/edit", data).status_code == 303
    with app.app_context():
        rows = db.session.execute(sa.select(Activity.id, Activity.name).order_by(Activity.position)).all()
        assert rows[0] == (first_id, "元宵灯谜会") and rows[1][1] == "亲子运动会"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityMoneyLine)) == 1


# ---------------------------------------------------------------------------- approval


def test_act02_act14_plan_goes_through_returns_confirmation_and_approval(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    assert _step(client, plan_id, "submit").status_code == 303
    # the PM has it in "My work"
    _sign_in(client, login, world, "pm")
    assert "Confirm the activity plan for 2027" in page_html(client.get("/"))
    no_reason = _step(client, plan_id, "pm_return", reasons="  ")
    assert no_reason.status_code == 422
    assert field_errors(page_html(no_reason), "reasons") == ["Give the reasons for returning the plan."]
    assert _step(client, plan_id, "pm_return", reasons="预算偏高,请压缩奖品费用").status_code == 303
    # the publicist sees the reasons, edits nothing, resubmits
    _sign_in(client, login, world, "publicist")
    page = page_html(client.get(f"/activities/plans/{plan_id}"))
    assert 'id="plan-return-reasons"' in page and "预算偏高,请压缩奖品费用" in page
    assert "Revise the returned activity plan for 2027" in page_html(client.get("/"))
    assert _step(client, plan_id, "submit").status_code == 303
    _sign_in(client, login, world, "pm")
    assert _step(client, plan_id, "pm_confirm").status_code == 303
    # the VP has it; approval needs the content confirmed (ACT-14)
    _sign_in(client, login, world, "vp", None)
    assert "Approve the activity plan for 2027" in page_html(client.get("/"))
    unconfirmed = _step(client, plan_id, "vp_approve")
    assert unconfirmed.status_code == 422
    assert field_errors(page_html(unconfirmed), "content_confirmed") == [
        "Confirm that the content is healthy, positive and lawful."]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityMilestone)) == 0
    approved = _step(client, plan_id, "vp_approve", content_confirmed="y")
    assert approved.status_code == 303
    page = page_html(client.get(f"/activities/plans/{plan_id}"))
    assert 'id="plan-approved"' in page and "Approve the activity plan for 2027" not in page_html(client.get("/"))
    with app.app_context():
        plan = db.session.get(ActivityPlan, plan_id)
        assert (plan.status, plan.content_confirmed, plan.return_reasons) == ("approved", True, "预算偏高,请压缩奖品费用")
        activity = plan.activities[0]
        assert activity.scheduled_at is not None and activity.milestones
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "activity_plans",
                                                                         AuditEvent.entity_id == plan_id)
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["plan_drafted", "submit", "pm_return", "submit", "pm_confirm", "vp_approve"]
        open_plan_items = db.session.scalar(sa.select(sa.func.count()).select_from(WorkItem).where(
            WorkItem.entity_type == "activity_plans", WorkItem.done_at.is_(None)))
        assert open_plan_items == 0
    # the CS supervisor's work: the detailed plan, due T−30 (2027-02-04 for 6 March)
    _sign_in(client, login, world, "cs_supervisor")
    work = page_html(client.get("/"))
    assert "Write the detailed organisation plan and purchase list · 迎春联欢会" in work
    assert "2027-02-04 23:59" in work


def test_act02_an_incomplete_plan_cannot_be_submitted(app, client, login, world, clock):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        plan = factories.make_activity_plan(db.session, project, staff_user(db.session, world, "publicist"), year=YEAR)
        db.session.commit()
        plan_id = plan.id
    _sign_in(client, login, world, "publicist")
    response = _step(client, plan_id, "submit")
    assert response.status_code == 422 and "Plan at least one activity." in page_html(response)
    with app.app_context():
        assert db.session.get(ActivityPlan, plan_id).status == "draft"


def test_act02_each_step_is_for_its_own_role(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    _sign_in(client, login, world, "cs_supervisor")
    assert post(client, f"/activities/plans/{plan_id}/submit", {"version": "1"}).status_code == 403
    assert client.get(_new_url(world, 2028)).status_code == 403
    assert client.get(f"/activities/plans/{plan_id}/edit").status_code == 403
    _sign_in(client, login, world, "publicist")
    assert _step(client, plan_id, "submit").status_code == 303
    assert post(client, f"/activities/plans/{plan_id}/pm_confirm", {"version": "2"}).status_code == 403
    _sign_in(client, login, world, "pm")
    assert 'id="plan-pm-confirm-form"' in page_html(client.get(f"/activities/plans/{plan_id}"))
    assert post(client, f"/activities/plans/{plan_id}/vp_approve", {"version": "2"}).status_code == 403
    assert post(client, f"/activities/plans/{plan_id}/unknown", {}).status_code == 404


def test_act02_another_projects_plan_is_not_found(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    _sign_in(client, login, world, "publicist", "other")
    assert client.get(f"/activities/plans/{plan_id}").status_code == 404
    assert client.get(f"/activities/plans/{plan_id}/print").status_code == 404
    assert post(client, f"/activities/plans/{plan_id}/submit", {"version": "1"}).status_code == 404
    assert client.get(f"/activities/?project={world.own.id}").status_code == 404


def test_act02_a_step_answers_htmx_with_the_panel(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    page = page_html(client.get(f"/activities/plans/{plan_id}"))
    response = client.post(f"/activities/plans/{plan_id}/submit", headers=HX,
                           data={"version": _version(page, "submit"),
                                 "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                         page).group(1)})
    html = page_html(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="plan-status"') or 'id="plan-status"' in html.split(">", 1)[0]


def test_act01_the_plan_prints_as_the_document(app, client, login, world, clock):
    plan_id = _draft(client, login, world)
    html = page_html(client.get(f"/activities/plans/{plan_id}/print"))
    assert 'id="plan-sheet"' in html and "a4-portrait.css" in html
    assert "迎春联欢会" in html and "¥1,200.50" in html and "2027-03-06 19:00–21:00" in html


# ---------------------------------------------------------------------------- deadline


def test_act01_plan_not_submitted_by_30_december_is_late(app, client, login, world):
    with time_machine.travel(NOW, tick=False):
        plan_id = _draft(client, login, world)
    with time_machine.travel(datetime(2026, 12, 30, 23, 59, tzinfo=LOCAL_TZ), tick=False):
        _sign_in(client, login, world, "publicist")
        page = client.get(f"/activities/plans/{plan_id}")
        assert page.status_code == 200 and 'id="plan-late"' not in page_html(page)
        assert 'id="next-plan-late"' not in page_html(client.get(f"/activities/?project={world.own.id}"))
    with time_machine.travel(datetime(2026, 12, 31, 0, 1, tzinfo=LOCAL_TZ), tick=False):
        _sign_in(client, login, world, "publicist")
        assert 'id="plan-late"' in page_html(client.get(f"/activities/plans/{plan_id}"))
        assert 'id="next-plan-late"' in page_html(client.get(f"/activities/?project={world.own.id}"))
        # submitted after the deadline: still late
        assert _step(client, plan_id, "submit").status_code == 303
        assert 'id="plan-late"' in page_html(client.get(f"/activities/plans/{plan_id}"))


def test_act01_a_plan_not_started_is_late_after_the_deadline(app, client, login, world):
    with time_machine.travel(datetime(2027, 1, 5, 10, 0, tzinfo=LOCAL_TZ), tick=False):
        _sign_in(client, login, world, "publicist")
        html = page_html(client.get(f"/activities/?project={world.own.id}"))
        assert 'id="year-plan-missing"' in html and 'id="year-plan-late"' in html and 'id="draft-plan"' in html


def test_act01_from_1_december_the_publicist_is_reminded_until_the_plan_is_submitted(app, client, login, world):
    def remind(moment):
        with app.app_context():
            opened = plans.remind_plan_due(db.session, moment)
            db.session.commit()
            return opened

    assert remind(datetime(2026, 11, 30, 23, 0, tzinfo=LOCAL_TZ)) == 0
    assert remind(datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ)) == 2  # both projects
    assert remind(datetime(2026, 12, 2, 8, 0, tzinfo=LOCAL_TZ)) == 0
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        _sign_in(client, login, world, "publicist")
        work = page_html(client.get("/"))
        assert "Draft the activity plan for 2027" in work and "2026-12-30 23:59" in work
        plan_id = _draft(client, login, world)
        assert "Draft the activity plan for 2027" in page_html(client.get("/"))
        assert _step(client, plan_id, "submit").status_code == 303
        assert "Draft the activity plan for 2027" not in page_html(client.get("/"))
    with app.app_context():
        items = db.session.execute(sa.select(WorkItem.project_id, WorkItem.done_at)
                                   .where(WorkItem.kind == plans.PLAN_DUE_WORK)
                                   .execution_options(all_projects=True)).all()
        assert {project_id: done is not None for project_id, done in items} == {world.own.id: True,
                                                                                  world.other.id: False}


# ---------------------------------------------------------------------------- the year


def test_act01_the_year_overview_lists_activities_in_date_order_in_a_fixed_number_of_queries(
        app, client, login, world, queries, clock):
    def add(count):
        with app.app_context():
            plan = db.session.scalar(sa.select(ActivityPlan).where(ActivityPlan.project_id == world.own.id))
            for n in range(count):
                factories.make_activity(db.session, plan, name=f"活动{n}", scheduled=n % 2 == 0,
                                        day=date(YEAR, 12 - n, 4))
            db.session.commit()

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        factories.make_activity_plan(db.session, project, staff_user(db.session, world, "publicist"), year=YEAR,
                                     status="approved")
        db.session.commit()
    add(2)
    _sign_in(client, login, world, "pm")
    url = f"/activities/?project={world.own.id}&year={YEAR}"
    client.get(url)
    with queries() as few:
        html = page_html(client.get(url))
    assert html.count('id="year-activity-') == 2
    add(6)
    with queries() as many:
        html = page_html(client.get(url))
    assert html.count('id="year-activity-') == 8
    assert len(few) == len(many)
    days = [int(d) for d in re.findall(rf"{YEAR}-(\d\d)-04 19:00–", html)]
    assert len(days) == 8 and days == sorted(days)
    assert "Planned" in html and "Being prepared" in html and "Next step: " in html
    assert 'id="draft-plan"' not in html and 'id="year-plan-link"' in html


def test_act01_the_publicist_is_offered_to_draft_a_missing_plan(app, client, login, world, clock):
    _sign_in(client, login, world, "publicist")
    html = page_html(client.get(f"/activities/?project={world.own.id}"))
    assert 'id="draft-next-plan"' in html and "2026-12-30 23:59" in html
    _sign_in(client, login, world, "receptionist")
    assert 'id="draft-next-plan"' not in page_html(client.get(f"/activities/?project={world.own.id}"))


def test_act01_the_survey_results_of_the_year_are_beside_the_form(app, client, login, world, clock):
    from webapp.activities.models import ActivitySurveyAnswer

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        survey = factories.make_activity_survey(db.session, project, staff_user(db.session, world, "publicist"), year=YEAR)
        db.session.add(ActivitySurveyAnswer(project_id=project.id, survey_id=survey.id, unit_id=world.own.unit_id,
                                            choices=["书画展", "电影之夜"], answered_at=NOW))
        db.session.commit()
        survey_id = survey.id
    _sign_in(client, login, world, "publicist")
    html = page_html(client.get(_new_url(world)))
    results = re.search(r'id="plan-survey-results".*?</aside>', html, re.S).group(0)
    assert re.search(r"书画展</span> <strong>1 households", results)
    assert re.search(r"文艺晚会</span> <strong>0 households", results)
    plan_id = _draft(client, login, world)
    with app.app_context():
        assert db.session.get(ActivityPlan, plan_id).survey_id == survey_id
