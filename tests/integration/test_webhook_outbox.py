"""APP-04 the group-robot outbox: urgent matters are queued with the change that announces
them, sent off the request path by the runner to a local receiver on 127.0.0.1 (which
checks the shape WeCom and DingTalk document and DingTalk's signature), retried on the
schedule, given up with the reason, and sent once however often a sweep or a runner runs."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import force_locale, gettext

from tests import factories, robot_receiver
from tests.robot_receiver import LOCAL, SECRET
from webapp.complaints import operations, rules
from webapp.core import outbox, scoping
from webapp.core.models import GroupRobot, WebhookDelivery
from webapp.core.webhooks import MAX_ATTEMPTS
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.slips import operations as slip_operations

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TIMEOUT = 0.5


@pytest.fixture
def receiver(monkeypatch):
    yield from robot_receiver.running(monkeypatch)


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_HOSTS": tuple(LOCAL), "PUBLIC_BASE_URL": "https://desk.example.cn"}


@pytest.fixture
def ctx(app, world):
    with app.app_context(), scoping.unrestricted(), time_machine.travel(NOW, tick=False):
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id), session.get(Department, world.own.department_id)


def _robot(session, project_id, url, kind="wecom", **values) -> GroupRobot:
    robot = GroupRobot(project_id=project_id, kind=kind, url=url, **values)
    session.add(robot)
    session.commit()
    return robot


def _record(ctx, complaint_class="important", **overrides):
    session, user, project, department = ctx
    values = {
        "complaint_class": complaint_class,
        "description": "保安态度恶劣，业主电话13812345678",
        "complained_department_id": department.id,
        "owner_contact": "13900001111",
        "event_place": "北门岗亭",
    }
    if complaint_class == "major":
        values["major_grounds"] = "major_loss_or_injury"
    values.update(overrides)
    complaint, _ = operations.record_complaint(session, user("receptionist"), project, values, NOW, None)
    return complaint


def _deliveries(session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _pass(at, limit=outbox.BATCH) -> outbox.DeliveryPass:
    return outbox.deliver_due(db.engine, at, limit, allow_hosts=LOCAL, timeout=TIMEOUT)


# ---------------------------------------------------------------------------- queued with the change


def test_app04_an_escalated_important_complaint_queues_one_message_in_the_same_transaction(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)

    complaint = _record(ctx)
    session.flush()
    (queued,) = _deliveries(session)  # in the transaction, before it commits
    assert queued.robot_id is not None and queued.kind == "wecom" and queued.attempts == 0
    content = queued.payload["markdown"]["content"]
    assert content.startswith(f"### {complaint.number} · ")
    assert "重要投诉：1小时内" in content  # the group reads the company's language
    assert "投诉类别：重要投诉" in content
    assert "2026-11-25 11:00" in content  # due in one hour, Asia/Shanghai
    assert "北门岗亭" in content
    assert "13900001111" not in content and "保安态度恶劣" not in content  # no owner's words or phone
    assert f"(https://desk.example.cn/complaints/{complaint.id})" in content

    session.rollback()
    assert _deliveries(session) == []
    assert receiver.requests == []  # nothing is sent by the change itself


def test_app04_the_group_reads_the_companys_language_whatever_the_actor_reads(app, ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    with app.test_request_context(), force_locale("en"):
        assert gettext("Place") == "Place"  # the actor reads English
        complaint = _record(ctx)
        session.commit()
    (queued,) = _deliveries(session)
    content = queued.payload["markdown"]["content"]
    assert f"### {complaint.number} · 重要投诉：1小时内" in content
    assert "地点：北门岗亭" in content and "在物业客服台中打开" in content


def test_app04_a_minor_complaint_stays_out_of_the_group(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    _record(ctx, complaint_class="minor", requested_at=None)
    session.commit()
    assert _deliveries(session) == []


def test_app04_a_disabled_robot_gets_nothing_queued(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom, enabled=False)
    _record(ctx)
    session.commit()
    assert _deliveries(session) == []


def test_app04_another_projects_robot_hears_nothing_of_this_one(ctx, world, receiver):
    session, _, _, _ = ctx
    _robot(session, world.other.id, receiver.wecom)
    _record(ctx)
    session.commit()
    assert _deliveries(session) == []


def test_app04_an_urgent_slip_is_queued_and_an_ordinary_one_is_not(ctx, receiver):
    session, user, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    values = {"category": "security", "description": "消防通道被堵", "place_text": "3栋东侧"}
    urgent, _ = slip_operations.file_slip(session, user("staff"), project, {**values, "urgent": True}, NOW, None)
    slip_operations.file_slip(session, user("staff"), project, values, NOW, None)
    session.commit()
    (queued,) = _deliveries(session)
    content = queued.payload["markdown"]["content"]
    assert content.startswith(f"### {urgent.number} · ")
    assert "2026-11-25 10:15" in content and "3栋东侧" in content


def test_app04_without_a_public_address_the_message_has_no_link(app, ctx, receiver):
    session, _, project, _ = ctx
    app.config["PUBLIC_BASE_URL"] = None
    _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()
    (queued,) = _deliveries(session)
    assert "http" not in queued.payload["markdown"]["content"]


# ---------------------------------------------------------------------------- the runner


def test_app04_the_runner_sends_the_wecom_markdown_once(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()

    first = _pass(NOW)
    again = _pass(NOW + timedelta(hours=1))

    assert (first.sent, first.retrying, first.gave_up, first.error) == (1, 0, 0, None)
    assert again.handled == 0
    (request,) = receiver.requests  # the receiver answered errcode 0: the shape is WeCom's
    assert request["path"] == "/cgi-bin/webhook/send" and request["body"]["msgtype"] == "markdown"
    (row,) = _deliveries(session)
    assert row.sent_at == NOW and row.attempts == 1 and row.last_error is None


def test_app04_the_runner_signs_dingtalk_at_send_time_and_puts_the_keyword_in_the_title(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.dingtalk, kind="dingtalk", secret=SECRET, keyword="物业")
    complaint = _record(ctx, complaint_class="major")
    session.commit()

    sent_at = NOW + timedelta(minutes=3)
    result = _pass(sent_at)

    assert result.sent == 1, _deliveries(session)[0].last_error
    (request,) = receiver.requests  # the receiver checked the signature with the secret
    assert request["query"]["timestamp"] == str(int(sent_at.timestamp() * 1000))
    assert request["query"]["sign"] and request["query"]["access_token"] == "test-token"
    body = request["body"]
    assert body["markdown"]["title"].startswith(f"【物业】{complaint.number}")
    assert body["at"] == {"atMobiles": [], "isAtAll": False}


def test_app04_a_failing_robot_is_retried_with_attempts_counted_then_sent(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()
    receiver.script = ["http500", "busy"]  # then errcode 0

    assert _pass(NOW).retrying == 1
    (row,) = _deliveries(session)
    assert (row.attempts, row.last_error, row.next_attempt_at) == (1, "HTTP 500", NOW + timedelta(minutes=1))

    assert _pass(NOW + timedelta(seconds=59)).handled == 0  # not due yet
    assert _pass(NOW + timedelta(minutes=1)).retrying == 1
    (row,) = _deliveries(session)
    assert row.attempts == 2 and row.last_error == "errcode -1: system busy"
    assert row.next_attempt_at == NOW + timedelta(minutes=3)

    assert _pass(NOW + timedelta(minutes=3)).sent == 1
    (row,) = _deliveries(session)
    assert row.attempts == 3 and row.sent_at == NOW + timedelta(minutes=3) and row.last_error is None
    assert len(receiver.requests) == 3


def test_app04_after_the_last_attempt_the_message_is_given_up_with_the_reason(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()
    receiver.mode = "http500"

    moment = NOW
    for _ in range(MAX_ATTEMPTS):
        _pass(moment)
        moment += timedelta(hours=1)  # past every wait of the schedule
    (row,) = _deliveries(session)
    assert row.attempts == MAX_ATTEMPTS and row.gave_up_at is not None and row.sent_at is None
    assert row.last_error == "HTTP 500"
    assert _pass(moment + timedelta(days=1)).handled == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_app04_a_refusal_that_retrying_cannot_fix_is_given_up_at_once(ctx, receiver):
    session, _, project, _ = ctx
    _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()
    receiver.mode = "errcode"  # 93000 invalid webhook url

    assert _pass(NOW).gave_up == 1
    (row,) = _deliveries(session)
    assert row.attempts == 1 and row.last_error == "errcode 93000: invalid webhook url"


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"enabled": False}, outbox.ROBOT_DISABLED), ({"kind": "dingtalk"}, outbox.ROBOT_KIND_CHANGED)],
)
def test_app04_a_robot_switched_off_or_moved_since_queueing_is_not_sent_the_message(ctx, receiver, change, reason):
    session, _, project, _ = ctx
    robot = _robot(session, project.id, receiver.wecom)
    _record(ctx)
    session.commit()
    for name, value in change.items():
        setattr(robot, name, value)
    session.commit()

    assert _pass(NOW).gave_up == 1
    (row,) = _deliveries(session)
    assert row.last_error == reason and row.sent_at is None
    assert receiver.requests == []


def test_app04_running_the_sweep_twice_sends_one_message_per_breach(ctx, receiver):
    session, user, project, department = ctx
    _robot(session, project.id, receiver.wecom)
    received = NOW - timedelta(hours=3)  # an important complaint nobody took in within its hour
    complaint = factories.make_complaint(
        session, project, user("receptionist"), complaint_class="important",
        received_at=received, complained_department_id=department.id,
    )
    session.commit()

    for _ in range(2):
        operations.notify_breaches(session, NOW)
        session.commit()
        _pass(NOW)
    (row,) = _deliveries(session)
    assert row.dedupe_key == rules.dedupe_key(complaint.id, rules.Clock.COMMITMENT, complaint.commitment_due_at)
    assert row.sent_at == NOW
    (request,) = receiver.requests
    assert "2026-11-25 08:00" in request["body"]["markdown"]["content"]  # due at 08:00 in Shanghai


def test_app04_an_upgrade_to_major_reaches_the_group_once(ctx, receiver):
    session, user, project, department = ctx
    _robot(session, project.id, receiver.wecom)
    factories.make_complaint(
        session, project, user("receptionist"), complaint_class="minor", status="in_progress",
        received_at=NOW - timedelta(days=40), commitment_done_at=NOW - timedelta(days=40),
        handling_started_at=NOW - timedelta(days=39), complained_department_id=department.id,
    )
    session.commit()
    assert len(operations.upgrade_overdue(session, NOW)) == 1
    session.commit()
    assert operations.upgrade_overdue(session, NOW) == []
    upgrades = [d for d in _deliveries(session) if d.dedupe_key.endswith(":upgraded")]
    assert len(upgrades) == 1
    assert "重大" in upgrades[0].payload["markdown"]["content"]


def test_app04_the_runner_never_raises_when_the_database_is_gone(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    result = outbox.deliver_due(engine, NOW, allow_hosts=LOCAL, timeout=TIMEOUT)
    assert result.handled == 0 and result.error.startswith("claiming failed")


# ---------------------------------------------------------------------------- several runners


def _runners_claiming_at_once(engine, runners: int, limit: int) -> list[outbox.DeliveryPass]:
    """`runners` threads run passes until one handles nothing; each holds its first claim
    (uncommitted) until all have claimed. A runner that took another's rows would send them
    twice; one that waited for them never reaches the rendezvous (it breaks)."""
    rendezvous = threading.Barrier(runners, timeout=10)
    waited: set[int] = set()
    threads_of_runners: set[int] = set()

    def hold_after_claim(conn, cursor, statement, parameters, context, executemany):
        me = threading.get_ident()
        claiming = statement.lstrip().startswith("WITH picked") and "UPDATE webhook_deliveries" in statement
        if claiming and me in threads_of_runners and me not in waited:
            waited.add(me)
            rendezvous.wait()

    results: list[outbox.DeliveryPass] = []

    def run():
        threads_of_runners.add(threading.get_ident())
        while True:
            result = outbox.deliver_due(engine, NOW, limit=limit, allow_hosts=LOCAL, timeout=TIMEOUT)
            results.append(result)
            if not result.handled:
                return

    threads = [threading.Thread(target=run) for _ in range(runners)]
    sa.event.listen(engine, "after_cursor_execute", hold_after_claim)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sa.event.remove(engine, "after_cursor_execute", hold_after_claim)
    assert not rendezvous.broken, "a runner waited for the other's rows"
    assert all(result.error is None for result in results)
    return results


def _queue(app, world, receiver, messages: int):
    with app.app_context(), time_machine.travel(NOW, tick=False):
        _robot(db.session, world.own.id, receiver.wecom)
        for index in range(messages):
            outbox.enqueue(db.session, world.own.id, f"消息{index}", ["第一行"], None, f"test:{index}")
        db.session.commit()
        return db.engine


def _headlines(receiver) -> list[str]:
    return [request["body"]["markdown"]["content"].split("\n", 1)[0] for request in receiver.requests]


def test_app04_two_runners_at_once_send_each_message_once(app, world, database, receiver):
    if database != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite lets one writer in at a time")
    messages = 12
    engine = _queue(app, world, receiver, messages)

    results = _runners_claiming_at_once(engine, runners=2, limit=messages // 2)

    sent = Counter(_headlines(receiver))
    assert sent == Counter({f"### 消息{index}": 1 for index in range(messages)})
    assert sum(result.sent for result in results) == messages
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(WebhookDelivery).where(WebhookDelivery.sent_at.is_(None))
        ) == 0


# ---------------------------------------------------------------------------- pacing


def test_app04_a_robot_gets_at_most_20_messages_a_minute_in_order_the_rest_wait(app, world, receiver):
    """WeCom and DingTalk take 20 messages a minute from a robot (DingTalk silences one that
    sends more for ten minutes): a burst is spread over the minutes, nothing is lost."""
    engine = _queue(app, world, receiver, 25)

    with app.app_context():
        first = outbox.deliver_due(engine, NOW, limit=50, allow_hosts=LOCAL, timeout=TIMEOUT)
        meanwhile = outbox.deliver_due(engine, NOW + timedelta(seconds=59), limit=50, allow_hosts=LOCAL, timeout=TIMEOUT)
        assert [(row.attempts, row.sent_at) for row in _deliveries(db.session)][20:] == [(0, None)] * 5
        later = outbox.deliver_due(engine, NOW + timedelta(seconds=61), limit=50, allow_hosts=LOCAL, timeout=TIMEOUT)

    assert (first.sent, meanwhile.handled, later.sent) == (20, 0, 5)
    assert _headlines(receiver) == [f"### 消息{index}" for index in range(25)]


def test_app04_a_robot_at_its_pace_holds_up_no_other_projects_robot(app, world, receiver):
    engine = _queue(app, world, receiver, 21)
    with app.app_context(), time_machine.travel(NOW, tick=False):
        _robot(db.session, world.other.id, receiver.wecom)
        outbox.enqueue(db.session, world.other.id, "另一项目的消息", ["第一行"], None, "test:other")
        db.session.commit()

        passes = [outbox.deliver_due(engine, NOW, limit=20, allow_hosts=LOCAL, timeout=TIMEOUT) for _ in range(3)]

    assert [result.sent for result in passes] == [20, 1, 0]
    assert _headlines(receiver)[-1] == "### 另一项目的消息"
    assert "### 消息20" not in _headlines(receiver)


def test_app04_runners_claiming_at_once_keep_the_robots_pace(app, world, database, receiver):
    if database != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite lets one writer in at a time")
    engine = _queue(app, world, receiver, 30)

    results = _runners_claiming_at_once(engine, runners=2, limit=15)

    assert sum(result.sent for result in results) == 20
    assert sorted(_headlines(receiver)) == sorted(f"### 消息{index}" for index in range(20))
