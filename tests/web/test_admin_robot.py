"""APP-04 a project's group robot, set up by the admin: the address checked against the
vendors' hosts, the secret never shown back nor audited, a test message sent on request
to a local receiver on 127.0.0.1, and the latest messages with their status."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories, robot_receiver
from tests.conftest import post
from tests.robot_receiver import LOCAL, SECRET
from webapp.core import outbox
from webapp.core.models import AuditEvent, GroupRobot, WebhookDelivery
from webapp.core.webhooks import build_payload
from webapp.extensions import db

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123-4567-89ab"


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_HOSTS": tuple(LOCAL)}


@pytest.fixture
def receiver(monkeypatch):
    yield from robot_receiver.running(monkeypatch)


@pytest.fixture
def admin(client, world, login):
    login(world.users[("admin", None)])
    return client


def _page(world) -> str:
    return f"/admin/projects/{world.own.id}/robot"


def _whole_page(response) -> str:
    html = response.get_data(as_text=True)
    assert "<html" in html and "</html>" in html
    return html


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def _robot(app, project_id) -> GroupRobot | None:
    with app.app_context():
        robot = db.session.scalar(sa.select(GroupRobot).where(GroupRobot.project_id == project_id))
        if robot is not None:
            db.session.expunge(robot)
        return robot


def _save(client, world, **values):
    data = {"kind": "wecom", "url": WECOM_URL, "enabled": "y", "version": ""}
    data.update(values)
    return post(client, f"/admin/projects/{world.own.id}/robot/edit", {k: v for k, v in data.items() if v is not None})


def test_app04_the_robot_page_is_linked_from_the_projects_admin_page(admin, world):
    html = _whole_page(admin.get(f"/admin/projects/{world.own.id}"))
    assert f'href="{_page(world)}"' in html
    html = _whole_page(admin.get(_page(world)))
    assert 'id="robot-form"' in html and "还没有消息" in html
    assert "请先保存机器人设置" in html  # no test button before there is a robot


def test_app04_admin_sets_up_a_wecom_robot(admin, world, app):
    response = _save(admin, world)
    assert response.status_code == 303 and response.location == _page(world)
    robot = _robot(app, world.own.id)
    assert (robot.kind, robot.url, robot.secret, robot.keyword, robot.enabled) == ("wecom", WECOM_URL, None, None, True)
    html = _whole_page(admin.get(_page(world)))
    assert f'value="{WECOM_URL}"' in html
    assert 'name="version" type="hidden" value="1"' in html


@pytest.mark.parametrize(
    ("kind", "url", "says"),
    [
        ("wecom", "https://evil.example.com/cgi-bin/webhook/send?key=1", "qyapi.weixin.qq.com"),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "https://qyapi.weixin.qq.com"),
        ("wecom", DINGTALK_URL, "这是钉钉机器人的地址"),
        ("dingtalk", WECOM_URL, "这是企业微信机器人的地址"),
        ("wecom", "", "请粘贴机器人的 Webhook 地址"),
    ],
)
def test_app04_a_wrong_address_is_refused_next_to_the_field_with_the_values_kept(admin, world, app, kind, url, says):
    response = _save(admin, world, kind=kind, url=url, keyword="物业" if kind == "dingtalk" else None)
    assert response.status_code == 422
    html = _whole_page(response)
    assert says in _error(html, "url")
    assert f'value="{url}"' in html or not url
    assert re.search(rf'value="{kind}"[^>]*checked|checked[^>]*value="{kind}"', html)
    if kind == "dingtalk":
        assert 'value="物业"' in html
    assert _robot(app, world.own.id) is None


def test_app04_a_wecom_robot_takes_no_secret(admin, world, app):
    response = _save(admin, world, secret="SECwhatever")
    assert response.status_code == 422
    assert "企业微信机器人没有加签密钥" in _error(_whole_page(response), "secret")
    assert _robot(app, world.own.id) is None


def test_app04_a_keyword_with_markdown_symbols_is_refused(admin, world, app):
    response = _save(admin, world, kind="dingtalk", url=DINGTALK_URL, keyword="#工单")
    assert response.status_code == 422
    assert "不要包含" in _error(_whole_page(response), "keyword")


def test_app04_the_secret_is_never_shown_back_nor_audited_and_empty_keeps_it(admin, world, app):
    assert _save(admin, world, kind="dingtalk", url=DINGTALK_URL, secret=SECRET, keyword="物业").status_code == 303
    html = _whole_page(admin.get(_page(world)))
    assert SECRET not in html
    assert "已保存密钥" in html and 'name="clear_secret"' in html

    # an edit with the secret left empty keeps it
    assert _save(admin, world, kind="dingtalk", url=DINGTALK_URL, keyword="通知", version="1").status_code == 303
    robot = _robot(app, world.own.id)
    assert (robot.secret, robot.keyword, robot.version) == (SECRET, "通知", 2)

    # "remove the saved secret"
    assert _save(admin, world, kind="dingtalk", url=DINGTALK_URL, keyword="通知", version="2", clear_secret="y").status_code == 303
    assert _robot(app, world.own.id).secret is None

    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "group_robots").order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == ["created", "updated", "updated"]
    trail = repr([(e.changes, e.note) for e in events])
    assert SECRET not in trail
    assert "abcdef0123456789" not in trail and "access_token=…6789" in trail  # the token shortened
    assert "secret" in events[0].changes and "secret" in events[2].changes
    assert "secret" not in events[1].changes
    timeline = _whole_page(admin.get(_page(world)))
    timeline = timeline[timeline.index('id="timeline"'):]
    assert "company.admin" in timeline and SECRET not in timeline


def test_app04_switching_to_wecom_drops_the_dingtalk_secret_and_keyword(admin, world, app):
    _save(admin, world, kind="dingtalk", url=DINGTALK_URL, secret=SECRET, keyword="物业")
    # the keyword is still in the form, as the page shows it
    assert _save(admin, world, kind="wecom", url=WECOM_URL, keyword="物业", version="1").status_code == 303
    robot = _robot(app, world.own.id)
    assert (robot.kind, robot.secret, robot.keyword) == ("wecom", None, None)


def test_app04_the_later_of_two_admins_editing_the_robot_is_told_and_nothing_is_overwritten(admin, world, app):
    with app.app_context():
        factories.make_user(db.session, "second.admin", roles=[("admin", None, None)], display_name="钱管理")
        db.session.commit()
    _save(admin, world)
    other_admin = app.test_client()
    assert post(other_admin, "/login", {"username": "second.admin", "password": factories.PASSWORD}).status_code == 303
    assert _save(other_admin, world, url=WECOM_URL + "-first", version="1").status_code == 303

    later = _save(admin, world, url=WECOM_URL + "-later", version="1")
    assert later.status_code == 409
    html = _whole_page(later)
    assert "钱管理" in html and "期间修改" in html
    assert f'value="{WECOM_URL}-later"' in html
    assert 'name="version" type="hidden" value="2"' in html
    assert _robot(app, world.own.id).url == WECOM_URL + "-first"


def test_app04_a_test_message_reaches_the_robot_in_the_documented_shape(admin, world, app, receiver):
    _save(admin, world, kind="dingtalk", url=receiver.dingtalk, secret=SECRET, keyword="通知")
    response = post(admin, f"/admin/projects/{world.own.id}/robot/test")
    assert response.status_code == 303 and response.location == _page(world)
    (request,) = receiver.requests  # the receiver checked the shape and the signature
    assert request["query"]["sign"]
    assert request["body"]["markdown"]["title"] == "【通知】物业客服台测试消息"
    assert "own项目的紧急事项将推送到本群" in request["body"]["markdown"]["text"]
    html = _whole_page(admin.get(_page(world)))
    assert "测试消息已送达" in html
    with app.app_context():  # sent at once, never queued
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_app04_a_refused_test_message_says_why(admin, world, receiver):
    _save(admin, world, url=receiver.wecom)
    receiver.mode = "errcode"
    post(admin, f"/admin/projects/{world.own.id}/robot/test")
    html = _whole_page(admin.get(_page(world)))
    assert "测试消息未送达：errcode 93000: invalid webhook url" in html


def test_app04_a_test_message_without_a_robot_asks_to_set_one_up(admin, world):
    response = post(admin, f"/admin/projects/{world.own.id}/robot/test", follow_redirects=True)
    assert "请先设置群机器人" in response.get_data(as_text=True)


def _deliveries(app, project_id, count: int) -> None:
    """`count` messages in every state the list shows."""
    with app.app_context():
        robot = GroupRobot(project_id=project_id, kind="wecom", url=WECOM_URL)
        db.session.add(robot)
        db.session.flush()
        states = [
            {"sent_at": T0 + timedelta(minutes=1), "attempts": 1},
            {"attempts": 2, "last_error": "HTTP 500"},
            {"attempts": 1, "gave_up_at": T0, "last_error": outbox.ROBOT_DISABLED},
            {"attempts": 0},
        ]
        for index in range(count):
            db.session.add(
                WebhookDelivery(
                    project_id=project_id,
                    robot_id=robot.id,
                    kind="wecom",
                    payload=build_payload("wecom", f"消息{index}", ["x"]),
                    created_at=T0,
                    next_attempt_at=T0 + timedelta(minutes=3),
                    **states[index % len(states)],
                )
            )
        db.session.commit()


def test_app04_the_latest_messages_show_their_status(admin, world, app):
    _deliveries(app, world.own.id, 4)
    html = _whole_page(admin.get(_page(world)))
    listing = html[html.index('id="robot-deliveries"'):]
    for index in range(4):
        assert f"消息{index}" in listing
    assert "已发送" in listing and "2026-11-25 10:01" in listing
    assert "等待重试" in listing and "尝试次数：2" in listing and "HTTP 500" in listing
    assert "下次重试 2026-11-25 10:03" in listing
    assert "已放弃" in listing and "消息发出前机器人已被停用" in listing
    assert "排队中" in listing


def test_app04_the_latest_messages_are_twenty_in_a_fixed_number_of_queries(admin, world, app, queries):
    _deliveries(app, world.own.id, 3)
    with queries() as few:
        admin.get(_page(world))
    with app.app_context():
        robot_id = db.session.scalar(sa.select(GroupRobot.id).where(GroupRobot.project_id == world.own.id))
        for index in range(30):
            db.session.add(
                WebhookDelivery(
                    project_id=world.own.id, robot_id=robot_id, kind="wecom",
                    payload=build_payload("wecom", f"更多{index}", ["x"]), created_at=T0, next_attempt_at=T0,
                )
            )
        db.session.commit()
    with queries() as many:
        html = _whole_page(admin.get(_page(world)))
    assert len(many) == len(few)
    assert html.count('id="delivery-') == 20
