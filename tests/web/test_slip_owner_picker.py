"""SLIP-02: the owner and unit of an owner-raised slip, picked from a search (HTMX) or
resolved from what was typed (no scripts); phones masked (EST-03)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, post
from webapp.extensions import db
from webapp.org.models import Project
from webapp.slips.models import Slip


def _html(response) -> str:
    return response.get_data(as_text=True)


def _owner_form(**overrides) -> dict:
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "category": "facility",
        "description": "楼道灯不亮",
        "place_text": "1502门口",
        "source": "owner",
        "owner_contact": "",
    }
    data.update(overrides)
    return data


def _file(client, **overrides):
    return post(client, "/slips/new", _owner_form(**overrides))


def _slips(app) -> list[Slip]:
    with app.app_context():
        slips = list(db.session.scalars(sa.select(Slip).execution_options(all_projects=True).order_by(Slip.id)))
        db.session.expunge_all()
        return slips


def _add_unit(app, project_id: int, building: str, number: str, people: list[tuple[str, str]]) -> tuple:
    """A unit in a new building of the project with these (name, phone) people; its ids."""
    with app.app_context():
        project = db.session.get(Project, project_id)
        found = factories.make_building(db.session, project, name=building)
        unit = factories.make_unit(db.session, found, number=number)
        owners = [
            factories.make_owner(db.session, unit, name=name, phone=phone, relation="owner" if i == 0 else "tenant").id
            for i, (name, phone) in enumerate(people)
        ]
        db.session.commit()
        return unit.id, owners


def _add_many(app, project_id: int, building: str, units: int) -> None:
    with app.app_context():
        project = db.session.get(Project, project_id)
        found = factories.make_building(db.session, project, name=building)
        for n in range(units):
            unit = factories.make_unit(db.session, found, number=f"{n + 1:02d}01")
            factories.make_owner(db.session, unit, name=f"住户{n}", phone=f"1380000{n:04d}")
            factories.make_owner(db.session, unit, name=f"租户{n}", phone=f"1390000{n:04d}", relation="tenant")
        db.session.commit()


# ---------------------------------------------------------------------------- the search


def test_slip02_owner_search_fragment_lists_units_with_people_and_masked_phones(client, world, login):
    login(world.users[("staff", "own")])
    response = client.get(f"/estate/owners/search?project={world.own.id}&q=1502", headers=HX)
    assert response.status_code == 200
    html = _html(response).strip()
    assert "<html" not in html and html.startswith('<div id="owner-choices"')
    assert "own1栋 1502" in html and world.own.owner_name in html
    assert "139****1111" in html and world.own.owner_phone not in html
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html
    assert f'value="{world.own.unit_id}:"' in html  # the unit itself, someone not on record
    assert 'name="owner_choice"' in html and 'type="radio"' in html
    # the other project's unit 1502 never appears, even without naming a project
    html = _html(client.get("/estate/owners/search?q=1502", headers=HX))
    assert world.other.owner_name not in html and "137****3333" not in html and "other1栋" not in html
    html = _html(client.get(f"/estate/owners/search?q={world.other.owner_name}", headers=HX))
    assert 'type="radio"' not in html and "137****3333" not in html
    assert client.get(f"/estate/owners/search?project={world.other.id}&q=1502", headers=HX).status_code == 404


def test_slip02_owner_search_finds_by_owner_name_and_shows_at_most_ten_units(app, client, world, login):
    _add_many(app, world.own.id, "9栋", 12)
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/estate/owners/search?project={world.own.id}&q=9栋", headers=HX))
    assert len(set(re.findall(r'value="(\d+):', html))) == 10
    assert "9栋 0101" in html and "住户0" in html and "租户0" in html
    html = _html(client.get(f"/estate/owners/search?project={world.own.id}&q=租户11", headers=HX))
    assert "9栋 1201" in html and len(set(re.findall(r'value="(\d+):', html))) == 1


def test_slip02_owner_search_runs_the_same_number_of_queries_for_5_or_50_units(app, client, world, login, queries):
    _add_many(app, world.own.id, "5栋", 5)
    _add_many(app, world.own.id, "50栋", 50)
    login(world.users[("staff", "own")])
    client.get(f"/estate/owners/search?project={world.own.id}&q=5栋", headers=HX)  # warm up
    with queries() as few:
        small = _html(client.get(f"/estate/owners/search?project={world.own.id}&q=5栋", headers=HX))
    with queries() as many:
        large = _html(client.get(f"/estate/owners/search?project={world.own.id}&q=50栋", headers=HX))
    assert small.count('type="radio"') == 5 * 3 and large.count('type="radio"') == 10 * 3
    assert len(many) == len(few), many


def test_slip02_filing_form_has_the_picker_and_no_list_of_every_unit(client, world, login):
    login(world.users[("staff", "own")])
    html = _html(client.get("/slips/new"))
    assert 'name="unit_query"' in html and 'id="owner-choices"' in html
    assert f'hx-get="/estate/owners/search?project={world.own.id}"' in html
    assert 'name="unit_id"' not in html and "<select" not in html


# ---------------------------------------------------------------------------- filing


def test_slip02_choosing_an_owner_files_the_slip_with_owner_and_unit(app, client, world, login):
    login(world.users[("staff", "own")])
    response = _file(client, unit_query="1502", owner_choice=f"{world.own.unit_id}:{world.own.owner_id}")
    assert response.status_code == 303, _html(response)
    slip = _slips(app)[-1]
    assert (slip.unit_id, slip.owner_id) == (world.own.unit_id, world.own.owner_id)
    html = _html(client.get(response.location))
    assert "own1栋 1502" in html and world.own.owner_name in html
    assert f'href="/estate/owners/{world.own.owner_id}"' in html
    assert "139****1111" in html and world.own.owner_phone not in html


def test_slip02_choosing_the_unit_alone_needs_a_contact(app, client, world, login):
    login(world.users[("staff", "own")])
    response = _file(client, owner_choice=f"{world.own.unit_id}:")
    assert response.status_code == 422
    assert 'id="owner_contact-error"' in _html(response)
    response = _file(client, owner_choice=f"{world.own.unit_id}:", owner_contact="李先生 13611112222")
    assert response.status_code == 303
    slip = _slips(app)[-1]
    assert (slip.unit_id, slip.owner_id, slip.owner_contact) == (world.own.unit_id, None, "李先生 13611112222")


def test_slip02_without_scripts_one_matching_unit_is_taken_with_its_only_owner(app, client, world, login):
    login(world.users[("staff", "own")])
    response = _file(client, unit_query="own1栋 1502")
    assert response.status_code == 303, _html(response)
    slip = _slips(app)[-1]
    assert (slip.unit_id, slip.owner_id) == (world.own.unit_id, world.own.owner_id)


def test_slip02_without_scripts_a_unit_of_several_people_is_taken_without_choosing_one(app, client, world, login):
    unit_id, _ = _add_unit(app, world.own.id, "7栋", "0801", [("赵一", "13500001111"), ("赵二", "13500002222")])
    login(world.users[("staff", "own")])
    response = _file(client, unit_query="7栋 0801", owner_contact="赵一 13500001111")
    assert response.status_code == 303, _html(response)
    slip = _slips(app)[-1]
    assert (slip.unit_id, slip.owner_id) == (unit_id, None)


def test_slip02_without_scripts_no_matching_unit_is_refused_beside_the_field(app, client, world, login):
    login(world.users[("staff", "own")])
    response = _file(client, unit_query="99栋 0000", owner_contact="王女士")
    html = _html(response)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="unit_query-error">([^<]*)</p>', html)
    assert error and "99栋 0000" in error.group(1)
    assert 'value="99栋 0000"' in html and "楼道灯不亮" in html and 'value="王女士"' in html
    assert _slips(app) == []


def test_slip02_without_scripts_several_matches_are_offered_and_every_value_kept(app, client, world, login):
    second_unit, (second_owner,) = _add_unit(app, world.own.id, "2栋", "1502", [("钱六", "13688889999")])
    login(world.users[("staff", "own")])
    response = _file(client, unit_query="1502", owner_contact="钱先生", submission_key="k-several")
    html = _html(response)
    assert response.status_code == 422
    assert 'id="unit_query-error"' in html
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html
    assert f'value="{second_unit}:{second_owner}"' in html and "136****9999" in html
    assert "13688889999" not in html and world.other.owner_name not in html
    assert 'value="1502"' in html and "楼道灯不亮" in html and 'value="钱先生"' in html
    assert _slips(app) == []
    # the user picks one and sends the form again (same key: nothing was filed)
    response = _file(
        client, unit_query="1502", owner_contact="钱先生", submission_key="k-several",
        owner_choice=f"{second_unit}:{second_owner}",
    )
    assert response.status_code == 303, _html(response)
    slip = _slips(app)[-1]
    assert (slip.unit_id, slip.owner_id) == (second_unit, second_owner)


def test_slip02_without_scripts_the_search_button_offers_the_matches_and_keeps_every_value(app, client, world, login):
    second_unit, (second_owner,) = _add_unit(app, world.own.id, "2栋", "1502", [("钱六", "13688889999")])
    login(world.users[("staff", "own")])
    html = _html(client.get("/slips/new"))
    assert 'name="find_owner"' in html and "formnovalidate" in html and "js/owner-picker.js" in html
    response = _file(client, find_owner="1", unit_query="1502", owner_contact="钱先生", submission_key="k-search")
    html = _html(response)
    assert response.status_code == 200 and 'id="unit_query-error"' not in html
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html
    assert f'value="{second_unit}:{second_owner}"' in html and "136****9999" in html
    assert "13688889999" not in html and world.other.owner_name not in html
    assert 'value="1502"' in html and "楼道灯不亮" in html and 'value="钱先生"' in html and 'value="k-search"' in html
    assert _slips(app) == []


def test_slip02_owner_not_at_that_unit_is_refused(app, client, world, login):
    second_unit, (second_owner,) = _add_unit(app, world.own.id, "2栋", "0303", [("孙七", "13677776666")])
    login(world.users[("staff", "own")])
    response = _file(client, owner_choice=f"{second_unit}:{world.own.owner_id}", unit_query="0303")
    assert response.status_code == 422
    assert 'id="unit_query-error"' in _html(response)
    # another project's owner or unit is not found here
    response = _file(client, owner_choice=f"{world.own.unit_id}:{world.other.owner_id}")
    assert response.status_code == 422 and world.other.owner_name not in _html(response)
    response = _file(client, owner_choice=f"{world.other.unit_id}:{world.other.owner_id}")
    assert response.status_code == 422 and world.other.owner_name not in _html(response)
    response = _file(client, owner_choice="not-a-choice")
    assert response.status_code == 422 and 'id="unit_query-error"' in _html(response)
    assert _slips(app) == []


def test_slip02_a_picked_choice_is_kept_when_the_form_comes_back(client, world, login):
    login(world.users[("staff", "own")])
    choice = f"{world.own.unit_id}:{world.own.owner_id}"
    response = _file(client, owner_choice=choice, unit_query="1502", description="")
    html = _html(response)
    assert response.status_code == 422 and 'id="description-error"' in html
    assert re.search(rf'value="{choice}"\s+checked', html)


def test_slip02_the_resolved_owner_is_part_of_the_submission(app, client, world, login):
    """A replay of the same form files nothing new; the same key with another owner is
    not a replay but a mistake (SLIP-11)."""
    second_owner = None
    with app.app_context():
        from webapp.estate.models import Occupancy, Owner

        owner = Owner(project_id=world.own.id, name="周八", phone="13544443333")
        db.session.add(owner)
        db.session.flush()
        db.session.add(Occupancy(project_id=world.own.id, unit_id=world.own.unit_id, owner_id=owner.id, relation="family"))
        db.session.commit()
        second_owner = owner.id
    login(world.users[("staff", "own")])
    first = _file(client, owner_choice=f"{world.own.unit_id}:{world.own.owner_id}", submission_key="k-same")
    again = _file(client, owner_choice=f"{world.own.unit_id}:{world.own.owner_id}", submission_key="k-same")
    assert first.status_code == again.status_code == 303 and first.location == again.location
    other = _file(client, owner_choice=f"{world.own.unit_id}:{second_owner}", submission_key="k-same")
    assert other.status_code == 422
    assert len(_slips(app)) == 1
