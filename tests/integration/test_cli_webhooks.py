"""`flask webhooks deliver` (APP-04): the runner the systemd service keeps going, and the
delivery pass at the end of `flask sla sweep`. Messages go to a local receiver on 127.0.0.1."""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.robot_receiver import LOCAL
from webapp.core import outbox
from webapp.core.models import WebhookDelivery
from webapp.extensions import db
from webapp.org.models import Project, User

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_HOSTS": tuple(LOCAL)}


def _queue(app, world, count: int) -> None:
    with app.app_context(), time_machine.travel(NOW, tick=False):
        for index in range(count):
            outbox.enqueue(db.session, world.own.id, f"消息{index}", ["一行"], None, f"cli:{index}")
        db.session.commit()


def _unsent(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(WebhookDelivery).where(WebhookDelivery.sent_at.is_(None))
        )


def test_app04_webhooks_deliver_sends_what_is_due_once(app, world, robot):
    _queue(app, world, 2)
    runner = app.test_cli_runner()
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        first = runner.invoke(args=["webhooks", "deliver"])
        second = runner.invoke(args=["webhooks", "deliver"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Group-robot messages: 2 sent, 0 to retry, 0 given up."
    assert second.output.strip() == "Group-robot messages: 0 sent, 0 to retry, 0 given up."
    assert len(robot.requests) == 2 and _unsent(app) == 0


def test_app04_webhooks_deliver_counts_a_failure_to_retry(app, world, robot):
    _queue(app, world, 1)
    robot.mode = "http500"
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0
    assert "0 sent, 1 to retry" in result.output
    assert _unsent(app) == 1


def test_app04_follow_keeps_delivering_until_systemd_stops_it(app, world, robot, monkeypatch):
    _queue(app, world, 1)
    passes = []
    real_pass = outbox.deliver_due

    def one_pass_then_sigterm(*args, **kwargs):
        passes.append(real_pass(*args, **kwargs))
        # systemd stops the service with SIGTERM: the command must have taken it over
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        signal.raise_signal(signal.SIGTERM)
        return passes[-1]

    monkeypatch.setattr(outbox, "deliver_due", one_pass_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["webhooks", "deliver", "--follow"])
    assert result.exit_code == 0, result.output
    assert len(passes) == 1 and passes[0].sent == 1
    assert "1 sent" in result.output
    assert signal.getsignal(signal.SIGTERM) == before


def test_app04_the_sla_sweep_also_sends_the_breach_to_the_group_once(app, world, robot):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        receptionist = db.session.scalar(
            sa.select(User).where(User.username == world.users[("receptionist", "own")])
        )
        factories.make_complaint(
            db.session, project, receptionist, complaint_class="important",
            received_at=NOW - timedelta(hours=3), complained_department_id=world.own.department_id,
        )
        db.session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["sla", "sweep"])
        second = runner.invoke(args=["sla", "sweep"])
    assert first.exit_code == 0, first.output
    assert "Group-robot messages: 1 sent" in first.output
    assert "Group-robot" not in second.output  # nothing due: the sweep says nothing about it
    assert re.findall(r"\d+", second.output) == ["0", "0"]
    (request,) = robot.requests
    # in the company's language, though the sweep runs outside any request
    assert "已超时：投诉未按时进入处置程序" in request["body"]["markdown"]["content"]
