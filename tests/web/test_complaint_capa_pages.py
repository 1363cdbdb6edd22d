"""CMP-09 on the record: a major complaint's corrective and preventive action (root cause,
correction, preventive action with its owner and due date) is recorded through the page;
QA verifies its effect; it stays in QA's "My work" until verified effective. Bad input
comes back with the message beside the field and every value kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from tests.conftest import post
from webapp.complaints.models import Complaint, CorrectiveAction
from webapp.extensions import db
from webapp.org.models import User

# 10:00 in Shanghai
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CAPA_TITLE = "不合格纠正与预防：跟踪并验证"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _latest(app) -> Complaint:
    with app.app_context():
        found = db.session.scalars(
            sa.select(Complaint).execution_options(all_projects=True).order_by(Complaint.id.desc())
        ).first()
        db.session.expunge_all()
        return found


def _capa(app, complaint_id: int) -> CorrectiveAction:
    with app.app_context():
        found = db.session.scalars(
            sa.select(CorrectiveAction)
            .where(CorrectiveAction.complaint_id == complaint_id)
            .execution_options(all_projects=True)
        ).one()
        db.session.expunge_all()
        return found


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def _act(client, app, complaint_id: int, verb: str, data: dict):
    with app.app_context():
        version = db.session.get(Complaint, complaint_id).version
    return post(client, f"/complaints/{complaint_id}/{verb}", {"version": str(version), **data})


def _record_major(client, login, world) -> None:
    login(world.users[("receptionist", "own")])
    response = post(
        client,
        "/complaints/new",
        {
            "submission_key": "k-major",
            "channel": "visit",
            "description": "电梯困人，业主受伤",
            "event_place": "2栋电梯",
            "complained_person": "维修部",
            "owner_contact": "赵先生 13800002222",
            "injury_or_major_loss": "y",
            "complaint_class": "major",
        },
    )
    assert response.status_code == 303, _html(response)


def _capa_form(html: str) -> str:
    return html.split('id="capa-form"')[1].split("</form>")[0]


def _my_work_capa_items(client, complaint_number: str) -> int:
    html = _html(client.get("/"))
    return len(re.findall(rf"{re.escape(complaint_number)} · {CAPA_TITLE}", html))


def test_cmp09_the_action_is_recorded_verified_and_stays_in_qas_work_until_it_worked(app, client, world, login):
    with time_machine.travel(MORNING, tick=False):
        _record_major(client, login, world)
        complaint = _latest(app)
        owner_id = _user_id(app, world.users[("cs_supervisor", "own")])

        _switch(client, login, world.users[("qa", None)])
        assert _my_work_capa_items(client, complaint.number) == 1
        page = _html(client.get(f"/complaints/{complaint.id}"))
        assert 'id="capa-form"' in page and 'id="capa-verify-form"' not in page  # nothing to verify yet

        _switch(client, login, world.users[("pm", "own")])
        response = _act(client, app, complaint.id, "capa", {
            "root_cause": "电梯年检后未复查", "correction": "已送医并赔偿", "preventive_action": "每月复查电梯",
            "owner_user_id": str(owner_id), "due_on": "2026-12-10",
        })
        assert response.status_code == 303
        html = _html(client.get(f"/complaints/{complaint.id}"))
        record = html.split(f'id="capa-{_capa(app, complaint.id).id}"')[1].split("</div>")[0]
        assert "电梯年检后未复查" in record and "每月复查电梯" in record and "2026-12-10" in record
        assert world.users[("cs_supervisor", "own")] in record  # the action's owner, by name
        assert 'id="capa-verify-form"' not in html  # QA verifies, not the PM
        assert _act(client, app, complaint.id, "capa/verify", {"result": "effective"}).status_code == 403

        # QA: not effective needs a reason; then the action is recorded again and stays in QA's work
        _switch(client, login, world.users[("qa", None)])
        response = _act(client, app, complaint.id, "capa/verify", {"result": "not_effective"})
        html = _html(response)
        assert response.status_code == 422
        assert 'id="verification_note-error"' in html.split('id="capa-verify-form"')[1].split("</form>")[0]
        assert re.search(r'<input checked[^>]*value="not_effective"', html)
        response = _act(client, app, complaint.id, "capa/verify", {"result": "not_effective", "verification_note": "上周又困人"})
        assert response.status_code == 303
        assert _capa(app, complaint.id).verified_at is None
        assert _my_work_capa_items(client, complaint.number) == 1
        html = _html(client.get(f"/complaints/{complaint.id}"))
        assert "上周又困人" in html.split('id="complaint-status"')[1]
        # the earlier record is there to improve, not to type again
        form = _capa_form(html)
        assert "电梯年检后未复查" in form and 'value="2026-12-10"' in form
        assert re.search(rf'<option selected value="{owner_id}"', form)
        response = _act(client, app, complaint.id, "capa", {
            "root_cause": "电梯年检后未复查", "correction": "已送医并赔偿", "preventive_action": "每周复查电梯并签字",
            "owner_user_id": str(owner_id), "due_on": "2026-12-10",
        })
        assert response.status_code == 303
        assert _act(client, app, complaint.id, "capa/verify", {"result": "effective", "verification_note": "一个月无故障"}).status_code == 303
        assert _my_work_capa_items(client, complaint.number) == 0
        html = _html(client.get(f"/complaints/{complaint.id}"))
    capa = _capa(app, complaint.id)
    assert capa.verification == "effective" and capa.preventive_action == "每周复查电梯并签字"
    assert 'badge badge-ok' in html.split(f'id="capa-{capa.id}"')[1].split("</div>")[0]
    assert 'id="capa-form"' not in html and 'id="capa-verify-form"' not in html


def test_cmp09_bad_input_is_refused_beside_the_field_with_every_value_kept(app, client, world, login):
    _record_major(client, login, world)
    complaint = _latest(app)
    owner_id = _user_id(app, world.users[("cs_supervisor", "own")])
    _switch(client, login, world.users[("pm", "own")])
    filled = {
        "root_cause": "巡检漏项", "correction": "已修复", "preventive_action": "增加夜巡",
        "owner_user_id": str(owner_id), "due_on": "2026-12-10",
    }
    for missing, field_id in (
        ("root_cause", "root_cause"),
        ("correction", "correction"),
        ("preventive_action", "preventive_action"),
        ("owner_user_id", "owner_user_id"),
        ("due_on", "due_on"),
    ):
        response = _act(client, app, complaint.id, "capa", {**filled, missing: ""})
        assert response.status_code == 422, missing
        form = _capa_form(_html(response))
        assert f'id="{field_id}-error"' in form.split(f'id="{field_id}-field"')[1].split("</div>")[0], missing
        for name, value in filled.items():
            if name == missing:
                continue
            if name == "owner_user_id":
                assert re.search(rf'<option selected value="{owner_id}"', form), missing
            elif name == "due_on":
                assert 'value="2026-12-10"' in form, missing
            else:
                assert value in form, (missing, name)
    assert _capa(app, complaint.id).recorded_at is None
