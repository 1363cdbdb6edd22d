"""CMP-02 on the record: the PM, QA or the GM marks grounds (a)/(b) after reception and the
complaint becomes major (clocks, escalation, CAPA); the server's one-month upgrade (c)
reads in the user's language, on the record and in its history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from webapp.complaints import operations
from webapp.complaints.models import Complaint, CorrectiveAction
from webapp.core import audit
from webapp.extensions import db
from webapp.org.models import Project, User

# 10:00 in Shanghai
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
UPGRADE_ZH = "一个月内未得到合理解决(受理于 2026-11-25 10:00,期限 2026-12-25 10:00):已升级为重大投诉。"
UPGRADE_EN = "Not resolved within one month (received 2026-11-25 10:00, limit 2026-12-25 10:00): upgraded to major."


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _complaint(app, complaint_id: int) -> Complaint:
    with app.app_context():
        found = db.session.scalars(
            sa.select(Complaint).where(Complaint.id == complaint_id).execution_options(all_projects=True)
        ).one()
        db.session.expunge_all()
        return found


def _make(app, world, **values) -> int:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        complaint_id = factories.make_complaint(db.session, project, receptionist, **values).id
        db.session.commit()
        return complaint_id


def _mark(client, app, complaint_id: int, data: dict):
    version = _complaint(app, complaint_id).version
    return post(client, f"/complaints/{complaint_id}/major", {"version": str(version), **data})


def _box(html: str) -> str:
    return html.split('id="major-box"')[1].split("</details>")[0]


def test_cmp02_the_pm_marks_grounds_on_the_record_and_it_becomes_major(app, client, world, login):
    with time_machine.travel(MORNING, tick=False):
        complaint_id = _make(app, world, complaint_class="important", status="in_progress", received_at=MORNING)
        login(world.users[("pm", "own")])
        page = _html(client.get(f"/complaints/{complaint_id}"))
        box = _box(page)
        # a plain form: the new class changes the whole page
        assert f'action="/complaints/{complaint_id}/major"' in box and "hx-post" not in box
        assert 'value="undelivered_repeated"' in box and 'value="major_loss_or_injury"' in box
        assert "unresolved_one_month" not in box  # the server's ground alone
        response = _mark(client, app, complaint_id, {"major_grounds": "major_loss_or_injury", "major_note": "业主摔伤"})
        assert response.status_code == 303
        html = _html(client.get(response.location))
    complaint = _complaint(app, complaint_id)
    assert complaint.complaint_class == "major" and complaint.grounds == ["major_loss_or_injury"]
    assert '<span class="badge class-major" id="complaint-class">重大投诉</span>' in html
    facts = html.split('id="complaint-facts"')[1].split("</section>")[0]
    assert "因管理责任造成重大经济损失或人身伤害" in facts
    # the corrective and preventive action opened (CMP-09), the answer due 2 days after reception
    assert 'id="capa-form"' in html and "2026-11-27 10:00" in html.split('id="resolution-clock"')[1][:400]
    history = html.split('id="timeline"')[1]
    assert "业主摔伤" in history and "重要投诉 → 重大投诉" in history
    assert "因管理责任造成重大经济损失或人身伤害" in history
    assert "major_loss_or_injury" not in history and "important" not in history
    # now it is major: the form offers to change the grounds marked so far
    assert re.search(r'<input checked[^>]*value="major_loss_or_injury"', _box(html))
    assert not re.search(r'<input checked[^>]*value="undelivered_repeated"', _box(html))


def test_cmp02_marking_without_grounds_is_refused_beside_the_field_and_the_note_kept(app, client, world, login):
    complaint_id = _make(app, world, complaint_class="minor", status="committed")
    login(world.users[("pm", "own")])
    response = _mark(client, app, complaint_id, {"major_note": "业主第三次投诉"})
    html = _html(response)
    assert response.status_code == 422
    box = _box(html.split('id="complaint-status"')[1])
    assert re.search(r'id="major-box" open', html)
    assert 'class="error" id="major_grounds-error"' in box and "业主第三次投诉" in box
    assert _complaint(app, complaint_id).complaint_class == "minor"


def test_cmp02_only_the_pm_qa_and_the_gm_mark_the_grounds(app, client, world, login):
    complaint_id = _make(app, world, complaint_class="minor", status="committed")
    login(world.users[("receptionist", "own")])
    assert 'id="major-box"' not in _html(client.get(f"/complaints/{complaint_id}"))
    assert _mark(client, app, complaint_id, {"major_grounds": "undelivered_repeated"}).status_code == 403
    _switch(client, login, world.users[("qa", None)])
    assert 'id="major-box"' in _html(client.get(f"/complaints/{complaint_id}"))
    assert _mark(client, app, complaint_id, {"major_grounds": "undelivered_repeated"}).status_code == 303
    with app.app_context():
        capas = db.session.scalars(
            sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint_id)
            .execution_options(all_projects=True)
        ).all()
    assert len(capas) == 1
    assert _complaint(app, complaint_id).complaint_class == "major"
    # QA's My work: the escalation and the corrective action
    my_work = _html(client.get("/"))
    assert my_work.count(f"/complaints/{complaint_id}") >= 2


def test_cmp02_the_servers_upgrade_reason_reads_in_the_users_language(app, client, world, login):
    complaint_id = _make(app, world, complaint_class="minor", status="in_progress", received_at=MORNING)
    with app.app_context():
        assert [c.id for c in operations.upgrade_overdue(db.session, MORNING + timedelta(days=31))] == [complaint_id]
        db.session.commit()
    login(world.users[("pm", "own")])
    html = _html(client.get(f"/complaints/{complaint_id}"))
    assert f'<span id="upgrade-reason">{UPGRADE_ZH}</span>' in html
    assert UPGRADE_ZH in html.split('id="timeline"')[1] and "unresolved_one_month" not in html.split('id="timeline"')[1]
    post(client, "/language", {"locale": "en"})
    html = _html(client.get(f"/complaints/{complaint_id}"))
    assert f'<span id="upgrade-reason">{UPGRADE_EN}</span>' in html and UPGRADE_EN in html.split('id="timeline"')[1]


def test_cmp02_an_upgrade_recorded_in_english_by_an_earlier_version_still_reads_in_chinese(app, client, world, login):
    complaint_id = _make(
        app, world, complaint_class="major", status="in_progress", received_at=MORNING,
        upgraded_at=MORNING + timedelta(days=31), upgrade_reason=UPGRADE_EN, major_grounds="unresolved_one_month",
    )
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        audit.record(db.session, complaint, "complaint_upgraded", actor_id=None, note=UPGRADE_EN,
                     changes={"complaint_class": ["minor", "major"]})
        db.session.commit()
    login(world.users[("pm", "own")])
    html = _html(client.get(f"/complaints/{complaint_id}"))
    assert f'<span id="upgrade-reason">{UPGRADE_ZH}</span>' in html
    history = html.split('id="timeline"')[1]
    assert UPGRADE_ZH in history and "轻微投诉 → 重大投诉" in history
