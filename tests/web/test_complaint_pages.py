"""Complaint pages (篇4, CMP-01..07): recording at the desk with the class confirmed, the
clocks on the record, the steps through the pages, permissions, fragments, the list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from webapp.complaints.models import Complaint
from webapp.core.clock import to_local
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project, User

# 10:00 in Shanghai on a Wednesday
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _form(**overrides) -> dict:
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "channel": "phone",
        "event_time": "2026-11-25T09:30",
        "event_place": "3栋大堂",
        "complained_person": "夜班保安",
        "description": "保安对业主态度恶劣",
        "owner_request": "要求道歉",
        "owner_contact": "王女士 13900001111",
        "service_fault": "y",
        "complaint_class": "important",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _complaint(app, complaint_id: int | None = None) -> Complaint:
    with app.app_context():
        query = sa.select(Complaint).execution_options(all_projects=True)
        if complaint_id is not None:
            query = query.where(Complaint.id == complaint_id)
        complaint = db.session.scalars(query.order_by(Complaint.id.desc())).first()
        db.session.expunge_all()
        return complaint


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Complaint).execution_options(all_projects=True)
        )


def _act(client, app, complaint_id: int, verb: str, data: dict | None = None, **kwargs):
    version = _complaint(app, complaint_id).version
    return post(client, f"/complaints/{complaint_id}/{verb}", {"version": str(version), **(data or {})}, **kwargs)


def _record(client, **overrides):
    return post(client, "/complaints/new", _form(**overrides))


def _section(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}"')[1].split("</dd>")[0]


# ---------------------------------------------------------------------------- recording


def test_cmp04_important_complaint_recorded_through_the_form_shows_its_1_hour_commitment_and_reaches_the_pm(
    app, client, world, login
):
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        form = _html(client.get("/complaints/new"))
        assert 'name="complaint_class"' in form and 'id="class-suggestion"' in form
        response = _record(client, complained_department_id=str(world.own.department_id))
        assert response.status_code == 303
        complaint = _complaint(app)
        assert response.location.endswith(f"/complaints/{complaint.id}")
        html = _html(client.get(response.location))
        _switch(client, login, world.users[("pm", "own")])
        my_work = _html(client.get("/"))
    assert complaint.complaint_class == "important" and complaint.suggested_class == "important"
    assert complaint.event_place == "3栋大堂" and complaint.owner_request == "要求道歉"
    assert "2026-11-25 11:00" in _section(html, "commitment-clock")
    # the owner's phone is masked on the record (EST-03)
    assert "13900001111" not in html and "王女士" in html
    assert complaint.number in my_work and f"/complaints/{complaint.id}" in my_work


def test_cmp03_bad_input_is_refused_with_the_message_beside_the_field_and_every_value_kept(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = _record(client, description="", event_place="5栋电梯口", owner_request="尽快处理")
    assert response.status_code == 422
    html = _html(response)
    assert "error" in html.split('id="description-field"')[1].split("</div>")[0]
    assert 'value="5栋电梯口"' in html and "尽快处理" in html and 'value="夜班保安"' in html
    assert _count(app) == 0


def test_cmp01_invalid_complaint_needs_its_reason(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = _record(client, complaint_class="invalid", service_fault=None, about_developer_or_housing_quality="y")
    assert response.status_code == 422
    assert 'class="error"' in _html(response).split('id="invalid_reason-field"')[1].split("</fieldset>")[0]
    assert _count(app) == 0
    response = _record(
        client,
        complaint_class="invalid",
        invalid_reason="developer_legacy",
        service_fault=None,
        about_developer_or_housing_quality="y",
    )
    assert response.status_code == 303
    complaint = _complaint(app)
    assert complaint.complaint_class == "invalid" and complaint.invalid_reason == "developer_legacy"


def test_cmp01_the_form_suggests_the_class_and_the_receptionist_confirms_it(app, client, world, login):
    login(world.users[("receptionist", "own")])
    data = _form(complaint_class=None, service_fault=None, injury_or_major_loss="y", suggest="1")
    html = _html(post(client, "/complaints/new", data))
    assert re.search(r'<input checked[^>]*value="major"', html)
    assert _count(app) == 0
    # the receptionist overrides the suggestion: the confirmed class is kept, the suggestion too
    response = _record(client, injury_or_major_loss="y", service_fault=None, complaint_class="important")
    assert response.status_code == 303
    complaint = _complaint(app)
    assert complaint.complaint_class == "important" and complaint.suggested_class == "major"


def test_cmp03_the_same_submission_twice_records_one_complaint(app, client, world, login):
    login(world.users[("receptionist", "own")])
    first = _record(client, submission_key="same-key")
    second = _record(client, submission_key="same-key")
    assert first.status_code == second.status_code == 303 and first.location == second.location
    assert _count(app) == 1


def test_cmp03_patrol_staff_cannot_record_a_complaint(app, client, world, login):
    login(world.users[("staff", "own")])
    assert client.get("/complaints/new").status_code == 403
    assert _record(client).status_code == 403
    assert _count(app) == 0


# ---------------------------------------------------------------------------- the steps


def test_cmp05_minor_complaint_through_the_pages_commit_start_extension_answer_callback_closed(
    app, client, world, login
):
    with time_machine.travel(MORNING, tick=False) as traveller:
        login(world.users[("receptionist", "own")])
        assert _record(client, complaint_class="minor", service_fault=None).status_code == 303
        complaint_id = _complaint(app).id

        _switch(client, login, world.users[("pm", "own")])
        assert _act(client, app, complaint_id, "commit").status_code == 303
        assert _complaint(app, complaint_id).status == "committed"
        assert _act(client, app, complaint_id, "start").status_code == 303
        assert _complaint(app, complaint_id).status == "in_progress"

        traveller.move_to(MORNING + timedelta(hours=2))
        _switch(client, login, world.users[("pm_assistant", "own")])
        due = _complaint(app, complaint_id).resolution_due_at
        wanted = to_local(due + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        # no reason: refused, nothing asked
        response = _act(client, app, complaint_id, "extend", {"requested_due": wanted})
        assert response.status_code == 422 and "error" in _html(response).split('id="extend-box"')[1].split('id="reason-field"')[1][:600]
        response = _act(client, app, complaint_id, "extend", {"requested_due": wanted, "reason": "配件在途"})
        assert response.status_code == 303
        assert _complaint(app, complaint_id).resolution_due_at == due  # not before the approval

        _switch(client, login, world.users[("pm", "own")])
        assert 'id="decide-form"' in _html(client.get(f"/complaints/{complaint_id}"))
        response = _act(client, app, complaint_id, "decide", {"decision": "approve"})
        assert response.status_code == 303
        moved = _complaint(app, complaint_id).resolution_due_at
        assert to_local(moved).strftime("%Y-%m-%dT%H:%M") == wanted

        response = _act(client, app, complaint_id, "answer", {"answer": "已更换灯具并致歉", "measures": "维修部更换", "cause": "巡查漏报", "responsible_person": "维修部张某"})
        assert response.status_code == 303
        assert _complaint(app, complaint_id).status == "awaiting_callback"

        _switch(client, login, world.users[("receptionist", "own")])
        response = _act(client, app, complaint_id, "callback", {"method": "phone", "satisfaction": "satisfied"})
        assert response.status_code == 303
        html = _html(client.get(f"/complaints/{complaint_id}"))
    complaint = _complaint(app, complaint_id)
    assert complaint.status == "closed" and complaint.closed_at is not None
    assert 'id="complaint-callbacks"' in html and 'id="complaint-extensions"' in html
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_type == "complaints", AuditEvent.entity_id == complaint_id)
            .order_by(AuditEvent.id)
            .execution_options(all_projects=True)
        ).all()
    assert "complaint_extension_requested" in actions and "complaint_extension_approved" in actions
    assert actions[-1] == "complaint_called_back"


def test_cmp05_a_wait_pauses_the_resolution_clock_and_shows_on_the_record(app, client, world, login):
    with time_machine.travel(MORNING, tick=False) as traveller:
        login(world.users[("receptionist", "own")])
        _record(client, complaint_class="minor", service_fault=None)
        complaint_id = _complaint(app).id
        _switch(client, login, world.users[("pm", "own")])
        _act(client, app, complaint_id, "commit")
        _act(client, app, complaint_id, "start")
        due = _complaint(app, complaint_id).resolution_due_at
        response = _act(client, app, complaint_id, "pause", {"wait_reason": ""})
        assert response.status_code == 422
        assert _act(client, app, complaint_id, "pause", {"wait_reason": "业主联系不上"}).status_code == 303
        traveller.move_to(MORNING + timedelta(hours=5))
        html = _html(client.get(f"/complaints/{complaint_id}"))
        assert "业主联系不上" in html.split('id="complaint-pauses"')[1]
        assert _act(client, app, complaint_id, "resume").status_code == 303
    assert _complaint(app, complaint_id).resolution_due_at == due + timedelta(hours=5)


def test_cmp05_a_stale_version_is_refused_with_409(app, client, world, login):
    login(world.users[("receptionist", "own")])
    _record(client, complaint_class="minor", service_fault=None)
    complaint = _complaint(app)
    _switch(client, login, world.users[("pm", "own")])
    response = post(client, f"/complaints/{complaint.id}/commit", {"version": str(complaint.version - 1)})
    assert response.status_code == 409
    assert 'role="alert"' in _html(response)
    assert _complaint(app, complaint.id).status == "received"


def test_cmp05_only_the_approver_of_the_class_decides(app, client, world, login):
    login(world.users[("receptionist", "own")])
    _record(client, complaint_class="minor", service_fault=None)
    complaint_id = _complaint(app).id
    _switch(client, login, world.users[("pm_assistant", "own")])
    assert _act(client, app, complaint_id, "decide", {"decision": "approve"}).status_code == 403


def test_org02_another_projects_complaint_is_not_found(app, client, world, login):
    with app.app_context():
        project = db.session.get(Project, world.other.id)
        receptionist = db.session.scalar(
            sa.select(User).where(User.username == world.users[("receptionist", "other")])
        )
        other_id = factories.make_complaint(db.session, project, receptionist).id
        db.session.commit()
    login(world.users[("pm", "own")])
    assert client.get(f"/complaints/{other_id}").status_code == 404
    assert post(client, f"/complaints/{other_id}/commit", {"version": "1"}).status_code == 404
    assert f"/complaints/{other_id}" not in _html(client.get("/complaints/?status=all"))


def test_cmp04_detail_is_a_page_and_a_step_by_htmx_returns_the_status_panel(app, client, world, login):
    login(world.users[("receptionist", "own")])
    _record(client, complaint_class="minor", service_fault=None)
    complaint_id = _complaint(app).id
    page = _html(client.get(f"/complaints/{complaint_id}"))
    assert "<html" in page and 'id="complaint-status"' in page and 'id="commit-form"' in page
    panel = _html(client.get(f"/complaints/{complaint_id}", headers=HX))
    assert "<html" not in panel and panel.lstrip().startswith('<section id="complaint-status"')
    response = _act(client, app, complaint_id, "commit", headers=HX)
    assert response.status_code == 200
    fragment = _html(response)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="complaint-status"')
    assert 'id="commit-form"' not in fragment
    bad = _act(client, app, complaint_id, "commit", headers=HX)
    assert bad.status_code == 422 and "<html" not in _html(bad)


# ---------------------------------------------------------------------------- the list


def test_cmp04_list_filters_and_runs_the_same_number_of_queries_for_3_and_30_complaints(
    app, client, world, login, queries
):
    def fill(count, **values):
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            receptionist = db.session.scalar(
                sa.select(User).where(User.username == world.users[("receptionist", "own")])
            )
            for _ in range(count):
                factories.make_complaint(db.session, project, receptionist, **values)
            db.session.commit()

    login(world.users[("cs_supervisor", "own")])
    fill(3)
    with queries() as few:
        assert client.get("/complaints/", headers=HX).status_code == 200
    fill(27, complaint_class="important")
    with queries() as many:
        html = _html(client.get("/complaints/", headers=HX))
    assert html.count('class="card complaint-row') == 30
    assert len(few) == len(many)
    assert _html(client.get("/complaints/?class=minor", headers=HX)).count('class="card complaint-row') == 3
    fill(2, received_at=MORNING - timedelta(days=10))
    overdue = _html(client.get("/complaints/?overdue=1", headers=HX))
    assert overdue.count('class="card complaint-row') == 2 and "badge-danger" in overdue
    page = _html(client.get("/complaints/"))
    assert "<html" in page and 'id="new-complaint"' in page
