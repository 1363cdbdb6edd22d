"""The slip workflow on the web (篇2, SLIP-01..08): filing, the desk, rectification rounds,
verification, call-back, escalation, idempotent filing, permissions, fragments."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from webapp.core.models import AuditEvent, WorkItem
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.slips.models import Slip

# 10:00 in Shanghai on a Wednesday
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _form(**overrides) -> dict:
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "category": "facility",
        "description": "消防通道堆放杂物",
        "place_text": "3栋地下车库",
        "source": "seen_on_site",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _file(client, **overrides):
    return post(client, "/slips/new", _form(**overrides))


def _slip(app, slip_id: int | None = None) -> Slip:
    with app.app_context():
        query = sa.select(Slip).execution_options(all_projects=True)
        if slip_id is not None:
            query = query.where(Slip.id == slip_id)
        slip = db.session.scalars(query.order_by(Slip.id.desc())).first()
        db.session.expunge_all()
        return slip


def _slip_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Slip).execution_options(all_projects=True))


def _act(client, app, slip_id: int, verb: str, data: dict | None = None, **kwargs):
    version = _slip(app, slip_id).version
    return post(client, f"/slips/{slip_id}/{verb}", {"version": str(version), **(data or {})}, **kwargs)


def _open_work(app, slip_id: int) -> list[WorkItem]:
    with app.app_context():
        items = list(
            db.session.scalars(
                sa.select(WorkItem)
                .where(WorkItem.entity_type == "slips", WorkItem.entity_id == slip_id, WorkItem.done_at.is_(None))
                .execution_options(all_projects=True)
            )
        )
        db.session.expunge_all()
        return items


def _filed(app, world, login, client, urgent=True, source="seen_on_site", **extra) -> int:
    login(world.users[("staff", "own")])
    data = {"urgent": "y"} if urgent else {}
    if source == "owner":
        data.update(source="owner", unit_id=str(world.own.unit_id), owner_contact="王女士 13812345678")
    response = _file(client, **data, **extra)
    assert response.status_code == 303, _html(response)
    post(client, "/logout")
    return int(response.location.rsplit("/", 1)[1])


def _switch(client, login, username):
    """Sign out whoever is signed in, then sign in as `username`."""
    post(client, "/logout")
    login(username)


# ---------------------------------------------------------------------------- SLIP-01 / 02


@time_machine.travel(MORNING, tick=False)
def test_slip01_filing_takes_person_department_and_time_from_the_login_and_clock(app, client, world, login):
    login(world.users[("staff", "own")])
    if True:
        response = _file(client, facility_id=str(world.own.facility_id), latitude="31.2304", longitude="121.4737", accuracy_m="12")
    assert response.status_code == 303
    slip = _slip(app)
    assert response.location == f"/slips/{slip.id}"
    assert slip.filed_at == MORNING and slip.captured_at == MORNING
    assert slip.filer_department_id == world.own.department_id
    assert slip.facility_id == world.own.facility_id
    assert (slip.latitude, slip.longitude, slip.accuracy_m) == (31.2304, 121.4737, 12)
    assert slip.number == "OWN-XD-20261125-0001"
    html = _html(client.get(response.location))
    assert "own.staff" in html and "own安全部" in html and "own水泵房" in html and "±12 m" in html


def test_slip01_new_form_from_a_facility_shows_the_place_and_keeps_values_on_error(client, world, login):
    login(world.users[("staff", "own")])
    page = _html(client.get(f"/slips/new?facility={world.own.facility_id}"))
    assert "own水泵房" in page and 'capture="environment"' in page and 'name="submission_key"' in page
    response = _file(client, description="", place_text="", category="cleaning", urgent="y")
    assert response.status_code == 422
    html = _html(response)
    assert 'id="description-error"' in html or "description" in html
    assert 'value="cleaning" checked' in html or 'checked value="cleaning"' in html or re.search(r'value="cleaning"[^>]*checked', html) or re.search(r'checked[^>]*value="cleaning"', html)
    assert re.search(r'name="urgent"[^>]*checked|checked[^>]*name="urgent"', html)


def test_slip01_a_slip_needs_a_place(client, world, login):
    login(world.users[("staff", "own")])
    response = _file(client, place_text="")
    assert response.status_code == 422
    assert 'id="place_text-error"' in _html(response)


@time_machine.travel(MORNING, tick=False)
def test_slip01_capture_time_from_the_phone_is_kept_when_earlier(app, client, world, login):
    login(world.users[("staff", "own")])
    if True:
        response = _file(client, captured_at="2026-11-25T08:30:00+08:00")
    assert response.status_code == 303
    slip = _slip(app)
    assert slip.captured_at == datetime(2026, 11, 25, 0, 30, tzinfo=UTC) and slip.filed_at == MORNING


def test_slip02_owner_raised_slip_needs_unit_and_contact(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = _file(client, source="owner", owner_contact="王女士")
    assert response.status_code == 422
    assert 'id="unit_query-error"' in _html(response)
    response = _file(client, source="owner", unit_id=str(world.own.unit_id), owner_contact="王女士 13812345678")
    assert response.status_code == 303
    slip = _slip(app)
    assert slip.source == "owner" and slip.unit_id == world.own.unit_id
    html = _html(client.get(response.location))
    assert "王女士 138****5678" in html and "13812345678" not in html


# ---------------------------------------------------------------------------- idempotency


def test_slip11_double_submit_with_the_same_key_files_one_slip(app, client, world, login):
    login(world.users[("staff", "own")])
    first = _file(client, submission_key="same-key")
    second = _file(client, submission_key="same-key")
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert _slip_count(app) == 1


def test_slip11_same_key_with_another_body_is_refused(app, client, world, login):
    login(world.users[("staff", "own")])
    assert _file(client, submission_key="key-1").status_code == 303
    response = _file(client, submission_key="key-1", description="另一件事")
    assert response.status_code == 422
    assert "另一件事" in _html(response)
    assert _slip_count(app) == 1


# ---------------------------------------------------------------------------- SLIP-03


def test_slip03_urgent_slip_shows_on_the_desk_with_its_clock_and_a_breach_is_flagged(app, client, world, login):
    with time_machine.travel(MORNING, tick=False) as traveller:
        slip_id = _filed(app, world, login, client)
        login(world.users[("receptionist", "own")])
        traveller.move_to(datetime(2026, 11, 25, 2, 5, tzinfo=UTC))
        html = _html(client.get("/slips/desk"))
        urgent = html.split('id="desk-urgent"')[1].split('id="desk-today"')[0]
        assert f"/slips/{slip_id}" in urgent and 'class="countdown"' in urgent
        assert re.search(r'class="countdown">[^<]*10', urgent)
        fragment = _html(client.get("/slips/desk", headers=HX))
        assert "<html" not in fragment and fragment.lstrip().startswith('<section id="desk-queue"')
        traveller.move_to(datetime(2026, 11, 25, 2, 16, tzinfo=UTC))
        queue = _html(client.get("/slips/desk", headers=HX))
        assert 'class="countdown"' not in queue and "badge-danger" in queue.split(f"/slips/{slip_id}")[1]
        html = _html(client.get(f"/slips/{slip_id}"))
    assert 'class="badge badge-danger">' in html.split('id="desk-clock"')[1].split("</dd>")[0]


def test_slip03_receiving_stops_the_clock_and_gives_the_supervisor_work(app, client, world, login):
    with time_machine.travel(MORNING, tick=False) as traveller:
        slip_id = _filed(app, world, login, client)
        assert {item.assignee_role for item in _open_work(app, slip_id)} == {"receptionist", "cs_supervisor"}
        login(world.users[("receptionist", "own")])
        traveller.move_to(datetime(2026, 11, 25, 2, 10, tzinfo=UTC))
        response = _act(client, app, slip_id, "receive", {"department_id": str(world.own.department_id)})
        assert response.status_code == 303
        slip = _slip(app, slip_id)
        assert slip.status == "assigned" and slip.received_at == datetime(2026, 11, 25, 2, 10, tzinfo=UTC)
        assert slip.rectification_due_at == datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)
        items = _open_work(app, slip_id)
        assert [(i.assignee_role, i.department_id) for i in items] == [("dept_supervisor", world.own.department_id)]
        traveller.move_to(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
        html = _html(client.get(f"/slips/{slip_id}"))
    assert "badge-danger" not in html.split('id="desk-clock"')[1].split("</dd>")[0]
    _switch(client, login, world.users[("dept_supervisor", "own")])
    assert f"/slips/{slip_id}" in _html(client.get("/"))


def test_slip03_patrol_staff_cannot_receive(app, client, world, login):
    slip_id = _filed(app, world, login, client)
    login(world.users[("staff", "own")])
    response = _act(client, app, slip_id, "receive", {"department_id": str(world.own.department_id)})
    assert response.status_code == 403
    assert _slip(app, slip_id).status == "filed"


def test_slip03_desk_queue_runs_the_same_number_of_queries_for_3_and_30_slips(app, client, world, login, queries):
    def fill(count):
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            staff = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
            for n in range(count):
                factories.make_slip(db.session, project, staff, urgent=n % 2 == 0)
            db.session.commit()

    login(world.users[("receptionist", "own")])
    fill(3)
    with queries() as few:
        assert client.get("/slips/desk", headers=HX).status_code == 200
    fill(27)
    with queries() as many:
        html = _html(client.get("/slips/desk", headers=HX))
    assert html.count('class="card slip-row') == 30
    assert len(few) == len(many)
    with queries() as listing:
        html = _html(client.get("/slips/", headers=HX))
    assert html.count('class="card slip-row') == 30
    fill(5)
    with queries() as listing_more:
        client.get("/slips/", headers=HX)
    assert len(listing) == len(listing_more)


# ---------------------------------------------------------------------------- SLIP-04..08


def _assigned(app, world, login, client, **kwargs) -> int:
    slip_id = _filed(app, world, login, client, **kwargs)
    _switch(client, login, world.users[("receptionist", "own")])
    assert _act(client, app, slip_id, "receive", {"department_id": str(world.own.department_id)}).status_code == 303
    return slip_id


def test_slip06_measures_record_who_when_how(app, client, world, login):
    slip_id = _assigned(app, world, login, client)
    _switch(client, login, world.users[("dept_supervisor", "own")])
    response = _act(client, app, slip_id, "measures", {"measures_who": "", "measures_how": "清走杂物", "measures_when": "2026-11-25T11:00"})
    assert response.status_code == 422 and "清走杂物" in _html(response)
    response = _act(client, app, slip_id, "measures", {"measures_who": "保安李四", "measures_how": "清走杂物", "measures_when": "2026-11-25T11:00"})
    assert response.status_code == 303
    slip = _slip(app, slip_id)
    assert slip.status == "rectifying"
    html = _html(client.get(f"/slips/{slip_id}"))
    assert "保安李四" in html and "2026-11-25 11:00" in html and "清走杂物" in html


def test_slip06_a_supervisor_of_another_department_cannot_record_measures(app, client, world, login):
    slip_id = _assigned(app, world, login, client)
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        cleaning = factories.make_department(db.session, project, "cleaning", "保洁部")
        factories.make_user(db.session, "own.cleaning.sup", roles=[("dept_supervisor", project, cleaning)])
        db.session.commit()
    _switch(client, login, "own.cleaning.sup")
    response = _act(client, app, slip_id, "measures", {"measures_who": "x", "measures_how": "y", "measures_when": "2026-11-25T11:00"})
    assert response.status_code == 403
    assert "measures-form" not in _html(client.get(f"/slips/{slip_id}"))


def test_slip07_failed_verification_sends_it_back_and_every_round_is_kept(app, client, world, login):
    slip_id = _assigned(app, world, login, client)
    supervisor, receptionist = world.users[("dept_supervisor", "own")], world.users[("receptionist", "own")]
    for round_number, how in ((1, "第一次清理"), (2, "第二次彻底清理")):
        _switch(client, login, supervisor)
        assert _act(client, app, slip_id, "measures", {"measures_who": "李四", "measures_how": how, "measures_when": "2026-11-25T11:00"}).status_code == 303
        assert _act(client, app, slip_id, "done").status_code == 303
        assert {i.assignee_role for i in _open_work(app, slip_id)} == {"receptionist", "cs_supervisor"}
        _switch(client, login, receptionist)
        if round_number == 1:
            assert _act(client, app, slip_id, "verify", {"result": "fail"}).status_code == 422
            assert _act(client, app, slip_id, "verify", {"result": "fail", "note": "仍有纸箱"}).status_code == 303
            assert _slip(app, slip_id).status == "assigned"
            assert [i.assignee_role for i in _open_work(app, slip_id)] == ["dept_supervisor"]
        else:
            assert _act(client, app, slip_id, "verify", {"result": "pass"}).status_code == 303
    slip = _slip(app, slip_id)
    assert slip.status == "closed" and slip.closed_at is not None
    assert _open_work(app, slip_id) == []
    html = _html(client.get(f"/slips/{slip_id}"))
    assert 'id="round-1"' in html and 'id="round-2"' in html and "第一次清理" in html and "仍有纸箱" in html


def test_slip08_owner_raised_slip_waits_for_the_call_back_before_closing(app, client, world, login):
    slip_id = _assigned(app, world, login, client, source="owner")
    _switch(client, login, world.users[("dept_supervisor", "own")])
    _act(client, app, slip_id, "measures", {"measures_who": "李四", "measures_how": "修好", "measures_when": "2026-11-25T11:00"})
    _act(client, app, slip_id, "done")
    _switch(client, login, world.users[("cs_supervisor", "own")])
    assert _act(client, app, slip_id, "verify", {"result": "pass"}).status_code == 303
    assert _slip(app, slip_id).status == "awaiting_callback"
    assert "callback-form" in _html(client.get(f"/slips/{slip_id}"))
    assert _act(client, app, slip_id, "callback", {"method": "phone", "owner_response": ""}).status_code == 422
    response = _act(client, app, slip_id, "callback", {"method": "phone", "owner_response": "业主表示满意", "satisfied": "y"})
    assert response.status_code == 303
    assert _slip(app, slip_id).status == "closed"
    assert "业主表示满意" in _html(client.get(f"/slips/{slip_id}"))


def test_slip05_escalation_with_a_plan_and_new_deadline_is_tracked_on_the_desk(app, client, world, login):
    with time_machine.travel(MORNING, tick=False):
        slip_id = _assigned(app, world, login, client)
        _switch(client, login, world.users[("dept_supervisor", "own")])
        response = _act(client, app, slip_id, "escalate", {"plan": "需更换水泵，等待配件", "new_due": "2026-11-20T18:00"})
        assert response.status_code == 422
        response = _act(client, app, slip_id, "escalate", {"plan": "需更换水泵，等待配件", "new_due": "2026-11-28T18:00"})
        assert response.status_code == 303
    slip = _slip(app, slip_id)
    assert slip.status == "escalated" and slip.rectification_due_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert "pm" in {i.assignee_role for i in _open_work(app, slip_id)}
    _switch(client, login, world.users[("receptionist", "own")])
    html = _html(client.get("/slips/desk"))
    escalated = html.split('id="desk-escalated"')[1].split('id="desk-verify"')[0]
    assert f"/slips/{slip_id}" in escalated


def test_slip04_service_quality_slip_says_cs_inspects_on_site(app, client, world, login):
    slip_id = _filed(app, world, login, client, category="service_quality")
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/slips/{slip_id}"))
    assert 'id="service-quality-guidance"' in html and 'name="cs_inspects"' in html
    response = _act(client, app, slip_id, "receive", {"department_id": str(world.own.department_id), "cs_inspects": "y"})
    assert response.status_code == 303
    with app.app_context():
        note = db.session.scalar(
            sa.select(AuditEvent.note).where(AuditEvent.entity_id == slip_id, AuditEvent.action == "slip_received")
        )
    assert note.startswith("own安全部 · ") and len(note) > len("own安全部 · ")


# ---------------------------------------------------------------------------- the rest


def test_slip_withdraw_only_by_the_filer_while_filed(app, client, world, login):
    slip_id = _filed(app, world, login, client)
    login(world.users[("publicist", "own")])
    assert _act(client, app, slip_id, "withdraw").status_code == 403
    _switch(client, login, world.users[("staff", "own")])
    assert _act(client, app, slip_id, "withdraw").status_code == 303
    assert _slip(app, slip_id).status == "withdrawn"
    assert _slip_count(app) == 1


def test_org02_another_projects_slip_is_not_found(app, client, world, login):
    with app.app_context():
        project = db.session.get(Project, world.other.id)
        staff = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "other")]))
        other_id = factories.make_slip(db.session, project, staff).id
        db.session.commit()
    login(world.users[("receptionist", "own")])
    assert client.get(f"/slips/{other_id}").status_code == 404
    assert _act(client, app, other_id, "receive", {"department_id": str(world.other.department_id)}).status_code == 404
    assert f"/slips/{other_id}" not in _html(client.get("/slips/desk"))


def test_slip_detail_is_a_page_and_an_action_by_htmx_returns_the_status_panel(app, client, world, login):
    slip_id = _filed(app, world, login, client)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/slips/{slip_id}"))
    assert page.startswith("<!doctype html>") and 'id="slip-status"' in page and 'id="timeline"' in page
    response = _act(client, app, slip_id, "receive", {"department_id": str(world.own.department_id)}, headers=HX)
    assert response.status_code == 200
    fragment = _html(response)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="slip-status"')
    bad = _act(client, app, slip_id, "receive", {"department_id": ""}, headers=HX)
    assert bad.status_code == 422 and "<html" not in _html(bad)


def test_slip_stale_version_is_a_conflict(app, client, world, login):
    slip_id = _filed(app, world, login, client)
    login(world.users[("receptionist", "own")])
    response = post(client, f"/slips/{slip_id}/receive", {"version": "0", "department_id": str(world.own.department_id)})
    assert response.status_code == 409
    assert _slip(app, slip_id).status == "filed"


def test_slip_index_filters_mine_and_department(app, client, world, login):
    mine = _filed(app, world, login, client)
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        pm = db.session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")]))
        department = db.session.get(Department, world.own.department_id)
        theirs = factories.make_slip(db.session, project, pm, status="assigned", responsible_department_id=department.id).id
        db.session.commit()
    login(world.users[("staff", "own")])
    html = _html(client.get("/slips/?scope=mine"))
    assert f"/slips/{mine}" in html and f"/slips/{theirs}" not in html
    html = _html(client.get("/slips/?scope=department"))
    assert f"/slips/{theirs}" in html and f"/slips/{mine}" not in html
    assert _html(client.get("/slips/?status=assigned", headers=HX)).lstrip().startswith('<section id="slip-list"')


def test_slip01_a_bad_photo_keeps_everything_typed_and_files_nothing(app, client, world, login):
    import io

    login(world.users[("staff", "own")])
    data = _form(description="井盖松动", urgent="y")
    data["photos"] = (io.BytesIO(b"not an image at all"), "photo.jpg")
    response = post(client, "/slips/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = _html(response)
    assert "井盖松动" in html and 'id="photos-error"' in html
    assert _slip_count(app) == 0
