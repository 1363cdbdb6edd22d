"""CMP-06 on the record: an invalid complaint is explained, forwarded to the developer or
the agency concerned and answered within 3 days (the clock shown, late shown late); bad
input comes back beside the field with what was typed kept; it closes only with the
call-back (CMP-07)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests.conftest import post
from webapp.complaints.models import Complaint
from webapp.extensions import db

# 10:00 in Shanghai
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _complaint(app, complaint_id: int | None = None) -> Complaint:
    with app.app_context():
        query = sa.select(Complaint).execution_options(all_projects=True).order_by(Complaint.id.desc())
        if complaint_id is not None:
            query = query.where(Complaint.id == complaint_id)
        found = db.session.scalars(query).first()
        db.session.expunge_all()
        return found


def _act(client, app, complaint_id: int, verb: str, data: dict | None = None):
    version = _complaint(app, complaint_id).version
    return post(client, f"/complaints/{complaint_id}/{verb}", {"version": str(version), **(data or {})})


def _clock(html: str) -> str:
    return html.split('id="resolution-clock"')[1].split("</dd>")[0]


def _field(html: str, name: str) -> str:
    return html.split(f'id="{name}-field"')[1].split("</div>")[0]


def _record_invalid(client, login, world) -> int:
    login(world.users[("receptionist", "own")])
    response = post(client, "/complaints/new", {
        "submission_key": "k-invalid",
        "channel": "phone",
        "description": "卫生间墙面渗水，交房时就有",
        "event_place": "3栋1502",
        "complained_person": "开发商",
        "owner_contact": "王女士 13900001111",
        "about_developer_or_housing_quality": "y",
        "complaint_class": "invalid",
        "invalid_reason": "developer_legacy",
    })
    assert response.status_code == 303, _html(response)
    return int(response.location.rsplit("/", 1)[1])


def test_cmp06_explained_forwarded_and_answered_through_the_record_within_3_days(app, client, world, login):
    with time_machine.travel(MORNING, tick=False) as traveller:
        complaint_id = _record_invalid(client, login, world)
        html = _html(client.get(f"/complaints/{complaint_id}"))
        # CMP-05 invalid: a reply to the owner within 3 days, on the record
        assert "2026-11-28 10:00" in _clock(html)
        _switch(client, login, world.users[("pm", "own")])
        assert _act(client, app, complaint_id, "commit").status_code == 303

        _switch(client, login, world.users[("receptionist", "own")])
        form = _html(client.get(f"/complaints/{complaint_id}")).split('id="invalid-form"')[1].split("</form>")[0]
        assert 'name="explanation"' in form and 'name="forwarded_to"' in form and 'name="reply"' in form
        response = _act(client, app, complaint_id, "invalid", {"explanation": "属房屋质量问题，由开发商保修"})
        assert response.status_code == 303 and _complaint(app, complaint_id).status == "explained"
        html = _html(client.get(f"/complaints/{complaint_id}"))
        assert "属房屋质量问题，由开发商保修" in html.split('id="complaint-handling"')[1]
        form = html.split('id="invalid-form"')[1].split("</form>")[0]
        assert 'name="explanation"' not in form  # recorded: not asked again

        traveller.move_to(MORNING + timedelta(days=1))
        login(world.users[("receptionist", "own")])  # a new shift
        response = _act(client, app, complaint_id, "invalid", {"forwarded_to": "开发商工程部 李工"})
        assert response.status_code == 303 and _complaint(app, complaint_id).status == "forwarded"
        html = _html(client.get(f"/complaints/{complaint_id}"))
        assert "开发商工程部 李工 · 2026-11-26 10:00" in html.split('id="complaint-handling"')[1]
        assert 'id="callback-form"' not in html  # no call-back, no closing before the reply

        traveller.move_to(MORNING + timedelta(days=2, hours=5))
        login(world.users[("receptionist", "own")])
        response = _act(client, app, complaint_id, "invalid", {"reply": "开发商答复周六上门维修"})
        assert response.status_code == 303
        complaint = _complaint(app, complaint_id)
        assert complaint.status == "awaiting_callback" and complaint.answered_at == MORNING + timedelta(days=2, hours=5)
        html = _html(client.get(f"/complaints/{complaint_id}"))
        assert "2026-11-27 15:00" in _clock(html) and "badge-danger" not in _clock(html)
        assert 'id="invalid-form"' not in html and 'id="callback-form"' in html

        response = _act(client, app, complaint_id, "callback", {"method": "phone", "satisfaction": "basically_satisfied"})
        assert response.status_code == 303
    assert _complaint(app, complaint_id).status == "closed"


def test_cmp06_a_reply_later_than_3_days_shows_late(app, client, world, login):
    with time_machine.travel(MORNING, tick=False) as traveller:
        complaint_id = _record_invalid(client, login, world)
        traveller.move_to(MORNING + timedelta(days=3, minutes=1))
        login(world.users[("receptionist", "own")])
        html = _html(client.get(f"/complaints/{complaint_id}"))
    assert "badge-danger" in _clock(html)


def test_cmp06_each_step_refused_beside_its_field_with_what_was_typed_kept(app, client, world, login):
    complaint_id = _record_invalid(client, login, world)
    _switch(client, login, world.users[("pm", "own")])
    _act(client, app, complaint_id, "commit")

    # no explanation: nothing moves, the other fields are kept
    response = _act(client, app, complaint_id, "invalid", {"forwarded_to": "开发商", "reply": "已转开发商"})
    html = _html(response)
    assert response.status_code == 422
    assert 'id="explanation-error"' in _field(html, "explanation")
    assert 'value="开发商"' in _field(html, "forwarded_to") and "已转开发商" in _field(html, "reply")
    assert _complaint(app, complaint_id).status == "committed"

    _act(client, app, complaint_id, "invalid", {"explanation": "属开发商保修范围"})
    response = _act(client, app, complaint_id, "invalid", {"reply": "开发商下周维修"})
    html = _html(response)
    assert response.status_code == 422
    assert 'id="forwarded_to-error"' in _field(html, "forwarded_to") and "开发商下周维修" in _field(html, "reply")

    _act(client, app, complaint_id, "invalid", {"forwarded_to": "开发商"})
    response = _act(client, app, complaint_id, "invalid", {})
    assert response.status_code == 422 and 'id="reply-error"' in _field(_html(response), "reply")
    assert _complaint(app, complaint_id).status == "forwarded"


def test_cmp06_it_is_closed_only_with_the_call_back(app, client, world, login):
    complaint_id = _record_invalid(client, login, world)
    _switch(client, login, world.users[("pm", "own")])
    _act(client, app, complaint_id, "commit")
    _act(client, app, complaint_id, "invalid", {"explanation": "属开发商保修范围", "forwarded_to": "开发商"})
    response = _act(client, app, complaint_id, "callback", {"method": "phone", "satisfaction": "satisfied"})
    assert response.status_code == 422
    assert _complaint(app, complaint_id).status == "forwarded" and _complaint(app, complaint_id).closed_at is None
