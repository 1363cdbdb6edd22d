"""ACT-04/10/14: the detailed organisation plan 详细活动组织方案 with its purchase list
物品采购计划, written by the CS supervisor, confirmed by the PM, approved by the VP, each
step completing its milestone."""

from __future__ import annotations

import sqlalchemy as sa
import time_machine

from tests.conftest import HX, post
from tests.web.test_activity_timeline import NOW, arrange, milestone
from webapp.activities.models import ActivityDetailedPlan, ActivityMoneyLine
from webapp.core.models import WorkItem
from webapp.extensions import db
from webapp.org.models import User

PLAN = {
    "organisation": "18:00 布场; 19:00 开场; 文艺表演、游园猜谜; 安全部维持秩序",
    "host": "王主持",
    "purchase_lines-0-item": "奖品",
    "purchase_lines-0-amount_fen": "1,200.50",
    "purchase_lines-1-item": "",
    "purchase_lines-1-amount_fen": "",
    "purchase_lines-2-item": "横幅",
    "purchase_lines-2-amount_fen": "80",
}


def plan_of(app, activity_id) -> ActivityDetailedPlan | None:
    with app.app_context():
        plan = db.session.scalar(sa.select(ActivityDetailedPlan).where(ActivityDetailedPlan.activity_id == activity_id))
        if plan is not None:
            db.session.expunge(plan)
        return plan


def lines_of(app, activity_id) -> list[tuple[str, int]]:
    with app.app_context():
        return [(line.item, line.amount_fen) for line in db.session.scalars(
            sa.select(ActivityMoneyLine).where(ActivityMoneyLine.activity_id == activity_id,
                                               ActivityMoneyLine.kind == "purchase")
            .order_by(ActivityMoneyLine.position))]


def step(client, app, activity_id, action, **data):
    plan = plan_of(app, activity_id)
    return post(client, f"/activities/{activity_id}/detailed-plan/{action}", {"version": plan.version, **data})


def user_id(app, world, role) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == world.users[role]))


def write(client, activity_id, **changes):
    return post(client, f"/activities/{activity_id}/detailed-plan", {**PLAN, **changes})


@time_machine.travel(NOW, tick=False)
def test_act04_the_detailed_plan_goes_through_the_pm_and_the_vp_completing_its_milestones(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    assert write(client, activity_id).status_code == 303
    assert lines_of(app, activity_id) == [("奖品", 120050), ("横幅", 8000)]
    html = client.get(f"/activities/{activity_id}/detailed-plan").get_data(as_text=True)
    assert "¥1,280.50" in html  # the purchase total

    assert step(client, app, activity_id, "submit").status_code == 303
    assert plan_of(app, activity_id).status == "submitted"
    done = milestone(app, activity_id, "detailed_plan")
    assert done.done_at == NOW and done.done_by_id == user_id(app, world, ("cs_supervisor", "own"))

    # the PM returns it: the reasons are required
    login(world.users[("pm", "own")])
    response = step(client, app, activity_id, "pm_return", reasons=" ")
    assert response.status_code == 422
    assert "请填写退回计划的理由" in response.get_data(as_text=True)
    assert step(client, app, activity_id, "pm_return", reasons="奖品预算偏高, 请压缩").status_code == 303
    plan = plan_of(app, activity_id)
    assert plan.status == "draft" and plan.return_reasons == "奖品预算偏高, 请压缩"

    # back with the CS supervisor, in their work with the reasons on the page
    # (the work item's title is in the language of the PM who returned it: Chinese)
    login(world.users[("cs_supervisor", "own")])
    assert "修改被退回的详细方案 · 邻里中秋晚会" in client.get("/").get_data(as_text=True)
    html = client.get(f"/activities/{activity_id}/detailed-plan").get_data(as_text=True)
    assert "奖品预算偏高, 请压缩" in html and 'id="detailed-plan-form"' in html
    assert write(client, activity_id, version=plan.version, **{"purchase_lines-0-amount_fen": "800"}).status_code == 303
    assert step(client, app, activity_id, "submit").status_code == 303
    assert "修改被退回的详细方案" not in client.get("/").get_data(as_text=True)

    login(world.users[("pm", "own")])
    assert step(client, app, activity_id, "pm_confirm").status_code == 303
    assert milestone(app, activity_id, "pm_approval").done_by_id == user_id(app, world, ("pm", "own"))

    login(world.users[("vp", None)])
    response = step(client, app, activity_id, "vp_approve", content_confirmed="y")
    assert response.status_code == 303
    plan = plan_of(app, activity_id)
    assert plan.status == "approved" and plan.content_confirmed and plan.approved_at == NOW
    assert milestone(app, activity_id, "vp_approval").done_by_id == user_id(app, world, ("vp", None))
    with app.app_context():
        open_plan_items = db.session.scalar(sa.select(sa.func.count()).select_from(WorkItem).where(
            WorkItem.done_at.is_(None), WorkItem.title.like("%detailed plan%")))
    assert open_plan_items == 0
    # an approved plan is no longer edited
    login(world.users[("cs_supervisor", "own")])
    assert 'id="detailed-plan-form"' not in client.get(f"/activities/{activity_id}/detailed-plan").get_data(
        as_text=True)
    assert write(client, activity_id, version=plan.version).status_code == 422


@time_machine.travel(NOW, tick=False)
def test_act04_a_plan_without_organisation_comes_back_with_every_value_kept(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = write(client, activity_id, organisation="  ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="organisation-error"' in html
    assert "王主持" in html and "横幅" in html and 'value="1,200.50"' in html
    assert plan_of(app, activity_id) is None

    response = write(client, activity_id, **{"purchase_lines-2-amount_fen": "八十"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # the blank row is dropped, so the wrong amount is now the second line's
    assert 'id="purchase_lines-1-amount_fen-error"' in html and 'value="八十"' in html
    assert plan_of(app, activity_id) is None

    response = write(client, activity_id, **{"purchase_lines-0-item": "", "purchase_lines-0-amount_fen": "",
                                             "purchase_lines-2-item": "", "purchase_lines-2-amount_fen": ""})
    assert response.status_code == 422
    assert 'id="purchase_lines-error"' in response.get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_act04_only_the_cs_supervisor_writes_and_submits_the_detailed_plan(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("publicist", "own")])  # drafts the annual plan, not this one
    assert write(client, activity_id).status_code == 403
    html = client.get(f"/activities/{activity_id}/detailed-plan").get_data(as_text=True)
    assert 'id="detailed-plan-missing"' in html and 'id="detailed-plan-form"' not in html
    login(world.users[("cs_supervisor", "own")])
    assert write(client, activity_id).status_code == 303
    for role in (("publicist", "own"), ("receptionist", "own"), ("pm", "own"), ("vp", None)):
        login(world.users[role])
        assert step(client, app, activity_id, "submit").status_code == 403, role
    login(world.users[("cs_supervisor", "own")])
    assert step(client, app, activity_id, "pm_confirm").status_code == 403
    assert plan_of(app, activity_id).status == "draft"


@time_machine.travel(NOW, tick=False)
def test_act04_another_projects_detailed_plan_is_not_found(app, client, login, world):
    activity_id = arrange(app, world, where="other")
    login(world.users[("cs_supervisor", "own")])
    assert client.get(f"/activities/{activity_id}/detailed-plan").status_code == 404
    assert write(client, activity_id).status_code == 404
    assert post(client, f"/activities/{activity_id}/detailed-plan/submit", {"version": 1}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_act10_the_host_is_required_before_the_plan_goes_forward(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    assert write(client, activity_id, host="").status_code == 303
    response = step(client, app, activity_id, "submit")
    assert response.status_code == 422
    assert "方案审批前须选定有经验的主持人" in response.get_data(as_text=True)
    assert plan_of(app, activity_id).status == "draft"
    assert milestone(app, activity_id, "detailed_plan").done_at is None
    plan = plan_of(app, activity_id)
    assert write(client, activity_id, version=plan.version, host="李老师").status_code == 303
    assert step(client, app, activity_id, "submit").status_code == 303
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "李老师" in html  # the host on the activity page


@time_machine.travel(NOW, tick=False)
def test_act14_the_vp_approves_only_with_the_content_confirmed(app, client, login, world):
    activity_id = arrange(app, world)
    login(world.users[("cs_supervisor", "own")])
    write(client, activity_id)
    step(client, app, activity_id, "submit")
    login(world.users[("pm", "own")])
    step(client, app, activity_id, "pm_confirm")
    login(world.users[("vp", None)])
    response = step(client, app, activity_id, "vp_approve")
    assert response.status_code == 422
    assert "请确认活动内容健康、积极、合法" in response.get_data(as_text=True)
    assert plan_of(app, activity_id).status == "pm_confirmed"
    assert milestone(app, activity_id, "vp_approval").done_at is None
    # the VP may return it with reasons; the PM's confirmation stays done
    response = post(client, f"/activities/{activity_id}/detailed-plan/vp_return",
                    {"version": plan_of(app, activity_id).version, "reasons": "节目内容需调整"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="detailed-plan-steps"' in html
    assert plan_of(app, activity_id).status == "draft"
    assert milestone(app, activity_id, "pm_approval").done_at == NOW
