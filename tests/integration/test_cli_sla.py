"""`flask sla sweep`: the command cron or the systemd timer runs (CMP-02, CMP-08)."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests import factories
from webapp.complaints.models import Complaint
from webapp.extensions import db
from webapp.org.models import Project, User

RECEIVED = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def test_cmp02_cmp08_sweep_upgrades_and_notifies_once_however_often_it_runs(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        receptionist = db.session.scalar(
            sa.select(User).where(User.username == world.users[("receptionist", "own")])
        )
        complaint = factories.make_complaint(
            db.session, project, receptionist, complaint_class="minor", status="in_progress", received_at=RECEIVED
        )
        db.session.commit()
        complaint_id = complaint.id

    runner = app.test_cli_runner()
    with time_machine.travel(RECEIVED + timedelta(days=40), tick=False):
        first = runner.invoke(args=["sla", "sweep"])
        second = runner.invoke(args=["sla", "sweep"])
    assert first.exit_code == 0, first.output
    upgraded, notified = map(int, re.findall(r"\d+", first.output))
    assert upgraded == 1 and notified > 0  # the upgrade starts the major escalation's clocks
    assert re.findall(r"\d+", second.output) == ["0", "0"]
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).complaint_class == "major"
