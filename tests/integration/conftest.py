"""Fixtures shared by the integration tests that send group-robot messages (APP-04)."""

from __future__ import annotations

import pytest

from tests import robot_receiver
from webapp.core.models import GroupRobot
from webapp.extensions import db


@pytest.fixture
def receiver(monkeypatch):
    yield from robot_receiver.running(monkeypatch)


@pytest.fixture
def robot(app, world, receiver):
    """A WeCom robot on the own project, posting to the local receiver."""
    with app.app_context():
        db.session.add(GroupRobot(project_id=world.own.id, kind="wecom", url=receiver.wecom))
        db.session.commit()
    return receiver
