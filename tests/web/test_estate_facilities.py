"""EST-01/EST-02 facilities: create and edit with optimistic locking, audit, validation."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import post
from webapp.core.models import AuditEvent
from webapp.estate import operations
from webapp.estate.models import Building, Facility
from webapp.extensions import db
from webapp.org.models import User


def _html(response) -> str:
    return response.get_data(as_text=True)


def _form(**overrides) -> dict:
    data = {"name": "2号消防栓", "kind": "equipment", "floor": "B2", "description": "靠近电梯厅",
            "latitude": "31.2304", "longitude": "121.4737", "active": "y"}
    data.update(overrides)
    return data


def _facility(app, facility_id: int) -> dict:
    with app.app_context():
        f = db.session.get(Facility, facility_id)
        return {"name": f.name, "version": f.version, "floor": f.floor, "code": f.code,
                "token": f.qr_token, "building_id": f.building_id, "latitude": f.latitude}


def _events(app, entity_id: int, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "facilities", AuditEvent.entity_id == entity_id, AuditEvent.action == action)))


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Facility))


# ------------------------------------------------------------------ create


def test_est02_new_facility_gets_a_token_a_code_and_a_created_event(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    form = client.get(f"/estate/facilities/new?building={world.own.building_id}")
    assert form.status_code == 200 and "<html" in _html(form)
    assert f'<option selected value="{world.own.building_id}">' in _html(form)
    response = post(client, "/estate/facilities/new", _form(project=world.own.id, building=world.own.building_id))
    assert response.status_code == 303
    facility_id = int(response.location.rsplit("/", 1)[1])
    stored = _facility(app, facility_id)
    assert stored["name"] == "2号消防栓" and stored["building_id"] == world.own.building_id
    assert stored["latitude"] == pytest.approx(31.2304)
    assert len(stored["token"]) == 22 and stored["token"] != world.own.facility_token
    assert re.fullmatch(r"OWN-OWN1-001", stored["code"])
    [event] = _events(app, facility_id, "created")
    assert event.changes["name"] == [None, "2号消防栓"]
    assert event.changes["building"] == [None, "own1栋"]
    assert event.changes["code"] == [None, stored["code"]]
    page = _html(client.get(response.location))
    assert "2号消防栓" in page and stored["code"] in page


def test_est02_facility_codes_count_up_within_a_building_and_site_wide(app, client, world, login):
    login(world.users[("pm", "own")])
    codes = []
    for building in (world.own.building_id, world.own.building_id, 0):
        response = post(client, "/estate/facilities/new", _form(project=world.own.id, building=building))
        codes.append(_facility(app, int(response.location.rsplit("/", 1)[1]))["code"])
    assert codes == ["OWN-OWN1-001", "OWN-OWN1-002", "OWN-G-001"]


def test_app06_too_long_name_is_refused_next_to_the_field_with_every_value_kept(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    before = _count(app)
    response = post(client, "/estate/facilities/new", _form(project=world.own.id, building=0, name="长" * 101))
    html = _html(response)
    assert response.status_code == 422
    field = html[html.index('id="name-field"') :]
    field = field[: field.index("</div>")]
    assert 'class="error"' in field and "100" in field
    assert "长" * 101 in html and "靠近电梯厅" in html and "121.4737" in html
    assert _count(app) == before


def test_app06_bad_coordinates_are_refused_next_to_the_field(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    response = post(client, "/estate/facilities/new", _form(project=world.own.id, building=0, latitude="北纬31"))
    html = _html(response)
    assert response.status_code == 422
    assert 'id="latitude-error"' in html and "北纬31" in html


def test_org02_new_facility_cannot_use_another_projects_building(app, client, world, login):
    login(world.users[("pm", "own")])
    before = _count(app)
    response = post(client, "/estate/facilities/new", _form(project=world.own.id, building=world.other.building_id))
    assert response.status_code == 422
    assert _count(app) == before


@pytest.mark.parametrize("role", ["staff", "publicist", "receptionist"])
def test_org02_roles_without_edit_permission_cannot_add_or_edit_facilities(app, client, world, login, role):
    login(world.users[(role, "own")])
    assert client.get("/estate/facilities/new").status_code == 403
    assert post(client, "/estate/facilities/new", _form(project=world.own.id, building=0)).status_code == 403
    assert client.get(f"/estate/facilities/{world.own.facility_id}/edit").status_code == 403
    edit = post(client, f"/estate/facilities/{world.own.facility_id}/edit", _form(building=0, version=1))
    assert edit.status_code == 403
    assert _facility(app, world.own.facility_id)["name"] == "own水泵房"


# ------------------------------------------------------------------ edit


def test_est01_edit_saves_and_records_the_field_changes(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    form = _html(client.get(f"/estate/facilities/{world.own.facility_id}/edit"))
    assert 'name="version"' in form and 'value="own水泵房"' in form
    response = post(client, f"/estate/facilities/{world.own.facility_id}/edit",
                    _form(name="1号水泵房", floor="B1", building=world.own.building_id, version=1))
    assert response.status_code == 303
    stored = _facility(app, world.own.facility_id)
    assert stored["name"] == "1号水泵房" and stored["version"] == 2
    [event] = _events(app, world.own.facility_id, "updated")
    assert event.changes["name"] == ["own水泵房", "1号水泵房"]
    assert event.changes["kind"] == ["patrol_point", "equipment"]
    assert "floor" not in event.changes  # unchanged fields are not listed
    timeline = _html(client.get(response.location))
    assert "1号水泵房" in timeline[timeline.index('id="timeline"'):]


def test_est01_saving_without_changes_writes_no_event(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/estate/facilities/{world.own.facility_id}/edit",
                    {"name": "own水泵房", "kind": "patrol_point", "floor": "B1",
                     "building": world.own.building_id, "active": "y", "version": 1})
    assert response.status_code == 303
    assert _events(app, world.own.facility_id, "updated") == []
    assert _facility(app, world.own.facility_id)["version"] == 1


def test_est01_a_save_based_on_an_old_version_is_refused_with_who_changed_it(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    client.get(f"/estate/facilities/{world.own.facility_id}/edit")  # opens the form at version 1
    with app.app_context():  # meanwhile the PM saves another name
        pm = db.session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")]))
        pm.display_name = "李经理"
        facility = db.session.get(Facility, world.own.facility_id)
        building = db.session.get(Building, world.own.building_id)
        operations.update_facility(db.session, pm, facility, building,
                                   {"name": "经理改的名字", "kind": "patrol_point"}, 1)
        db.session.commit()
    response = post(client, f"/estate/facilities/{world.own.facility_id}/edit",
                    _form(name="我的名字", building=world.own.building_id, version=1))
    html = _html(response)
    assert response.status_code == 409
    assert "李经理" in html and 'id="edit-conflict"' in html
    assert 'value="我的名字"' in html and "靠近电梯厅" in html  # every typed value kept
    assert "经理改的名字" in html  # and what is stored now
    assert _facility(app, world.own.facility_id)["name"] == "经理改的名字"
    assert len(_events(app, world.own.facility_id, "updated")) == 1
    # The re-rendered form carries the current version: saving again is a deliberate overwrite.
    assert re.search(r'name="version"[^>]*value="2"|value="2"[^>]*name="version"', html)
    again = post(client, f"/estate/facilities/{world.own.facility_id}/edit",
                 _form(name="我的名字", building=world.own.building_id, version=2))
    assert again.status_code == 303
    assert _facility(app, world.own.facility_id)["name"] == "我的名字"


def test_est01_edit_without_a_version_is_treated_as_stale(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/estate/facilities/{world.own.facility_id}/edit",
                    _form(name="无版本", building=world.own.building_id))
    assert response.status_code == 409
    assert _facility(app, world.own.facility_id)["name"] == "own水泵房"


def test_est02_edit_keeps_code_and_qr_token(app, client, world, login):
    login(world.users[("pm", "own")])
    before = _facility(app, world.own.facility_id)
    post(client, f"/estate/facilities/{world.own.facility_id}/edit", _form(building=0, version=1))
    after = _facility(app, world.own.facility_id)
    assert after["building_id"] is None
    assert (after["code"], after["token"]) == (before["code"], before["token"])


def _submission_key(html: str) -> str:
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


def _facility_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Facility))


def test_app06_tapping_save_twice_creates_one_facility(app, client, world, login):
    login(world.users[("pm", "own")])
    key = _submission_key(_html(client.get(f"/estate/facilities/new?building={world.own.building_id}")))
    before = _facility_count(app)
    data = _form(project=world.own.id, building=world.own.building_id, submission_key=key)
    first = post(client, "/estate/facilities/new", data)
    second = post(client, "/estate/facilities/new", data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert _facility_count(app) == before + 1


def test_app06_a_form_key_reused_with_other_content_is_refused(app, client, world, login):
    login(world.users[("pm", "own")])
    key = _submission_key(_html(client.get("/estate/facilities/new")))
    post(client, "/estate/facilities/new", _form(project=world.own.id, building=world.own.building_id, submission_key=key))
    before = _facility_count(app)
    response = post(client, "/estate/facilities/new",
                    _form(name="另一个设施", project=world.own.id, building=world.own.building_id, submission_key=key))
    assert response.status_code == 422
    html = _html(response)
    assert "已经提交过" in html and 'value="另一个设施"' in html
    assert _facility_count(app) == before
