"""Estate pages (EST-01): index and search, building, unit, owner, facilities; scope (ORG-02)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, post
from webapp.estate.models import Building
from webapp.extensions import db
from webapp.org.models import Project


def _html(response) -> str:
    return response.get_data(as_text=True)


def add_building(app, project_id: int, name: str, units: int, people_per_unit: int = 1) -> int:
    """A building of the given project with `units` units, each with its people."""
    with app.app_context():
        project = db.session.get(Project, project_id)
        building = factories.make_building(db.session, project, name=name)
        for n in range(units):
            unit = factories.make_unit(db.session, building, number=f"{n // 4 + 1}{n % 4 + 1:02d}", floor=n // 4 + 1)
            for p in range(people_per_unit):
                factories.make_owner(
                    db.session, unit, name=f"住户{n}-{p}", phone=f"13{n % 10}{p}{n:07d}",
                    relation="owner" if p == 0 else "tenant",
                )
        db.session.commit()
        return building.id


# ------------------------------------------------------------------ index and search


def test_est01_estate_index_lists_buildings_with_unit_counts_and_facilities_link(client, world, login):
    login(world.users[("staff", "own")])
    response = client.get("/estate/")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    assert f'href="/estate/buildings/{world.own.building_id}"' in html
    assert f"/estate/facilities?project={world.own.id}" in html
    assert 'name="q"' in html
    assert "/estate/import" not in html  # staff may not import


def test_est01_index_offers_import_to_roles_that_edit_the_estate(client, world, login):
    login(world.users[("cs_supervisor", "own")])
    assert f"/estate/import?project={world.own.id}" in _html(client.get("/estate/"))


def test_est01_search_finds_a_unit_by_number_as_an_htmx_fragment(client, world, login):
    login(world.users[("receptionist", "own")])
    response = client.get("/estate/?q=1502", headers=HX)
    html = _html(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert re.match(r'\s*<section id="search-results"', html)
    assert f"/estate/units/{world.own.unit_id}" in html
    assert world.own.owner_name in html
    assert "HX-Request" in response.headers["Vary"]


def test_est01_search_finds_a_unit_by_owner_name_and_by_building_plus_number(client, world, login):
    login(world.users[("receptionist", "own")])
    assert f"/estate/units/{world.own.unit_id}" in _html(client.get("/estate/?q=own业", headers=HX))
    assert f"/estate/units/{world.own.unit_id}" in _html(client.get("/estate/?q=own1栋+1502", headers=HX))
    assert f"/estate/units/{world.own.unit_id}" not in _html(client.get("/estate/?q=own1栋+9999", headers=HX))


def test_est01_search_without_javascript_is_a_whole_page_with_results(client, world, login):
    login(world.users[("receptionist", "own")])
    html = _html(client.get("/estate/?q=1502"))
    assert "<html" in html and 'id="search-results"' in html
    assert f"/estate/units/{world.own.unit_id}" in html
    assert 'value="1502"' in html


def test_est01_search_treats_like_wildcards_literally(client, world, login):
    login(world.users[("receptionist", "own")])
    html = _html(client.get("/estate/?q=%25", headers=HX))
    assert "/estate/units/" not in html


def test_est01_search_says_when_nothing_matches(client, world, login):
    login(world.users[("receptionist", "own")])
    html = _html(client.get("/estate/?q=不存在的人", headers=HX))
    assert "/estate/units/" not in html and "不存在的人" in html


def test_org02_search_never_finds_another_projects_units(client, world, login):
    login(world.users[("pm", "own")])
    html = _html(client.get("/estate/?q=1502", headers=HX))
    assert f"/estate/units/{world.other.unit_id}" not in html
    assert world.other.owner_name not in html


def test_est01_search_results_are_capped(app, client, world, login):
    add_building(app, world.own.id, "9栋", units=40)
    login(world.users[("receptionist", "own")])
    html = _html(client.get("/estate/?q=9栋", headers=HX))
    assert html.count('class="unit-link"') == 30
    assert "search-more" in html


# ------------------------------------------------------------------ building, unit, owner


def test_est01_building_page_groups_units_by_floor_top_floor_first(app, client, world, login):
    building_id = add_building(app, world.own.id, "7栋", units=8)
    login(world.users[("staff", "own")])
    html = _html(client.get(f"/estate/buildings/{building_id}"))
    assert "<html" in html
    assert html.index('id="floor-2"') < html.index('id="floor-1"')
    floor_two = html[html.index('id="floor-2"') : html.index('id="floor-1"')]
    assert ">201<" in floor_two and ">101<" not in floor_two
    assert "住户0-0" in html


def test_est01_building_page_runs_the_same_number_of_queries_for_5_or_60_units(app, client, world, login, queries):
    small = add_building(app, world.own.id, "小楼", units=5, people_per_unit=2)
    large = add_building(app, world.own.id, "大楼", units=60, people_per_unit=2)
    login(world.users[("receptionist", "own")])
    client.get(f"/estate/buildings/{small}")  # warm up: first-request work is not the page's
    with queries() as few:
        assert client.get(f"/estate/buildings/{small}").status_code == 200
    with queries() as many:
        response = client.get(f"/estate/buildings/{large}")
    assert response.status_code == 200
    assert _html(response).count('class="unit-link"') == 60
    assert len(many) == len(few), many


def test_est01_search_runs_the_same_number_of_queries_for_few_or_many_results(app, client, world, login, queries):
    add_building(app, world.own.id, "8栋", units=25, people_per_unit=2)
    login(world.users[("receptionist", "own")])
    client.get("/estate/?q=1502", headers=HX)
    with queries() as few:
        client.get("/estate/?q=1502", headers=HX)
    with queries() as many:
        html = _html(client.get("/estate/?q=8栋", headers=HX))
    assert html.count('class="unit-link"') == 25
    assert len(many) == len(few)


def test_est01_unit_page_lists_its_people_with_relation(client, world, login):
    login(world.users[("staff", "own")])
    response = client.get(f"/estate/units/{world.own.unit_id}")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    assert world.own.owner_name in html
    assert "业主" in html  # the relation, in Chinese
    assert f"/estate/owners/{world.own.owner_id}" in html


def test_est01_owner_page_shows_units_and_history(client, world, login):
    login(world.users[("staff", "own")])
    html = _html(client.get(f"/estate/owners/{world.own.owner_id}"))
    assert "<html" in html and world.own.owner_name in html
    assert f"/estate/units/{world.own.unit_id}" in html
    assert 'id="timeline"' in html


def test_est01_facilities_list_groups_by_building_and_filters(client, world, login):
    login(world.users[("staff", "own")])
    html = _html(client.get("/estate/facilities"))
    assert "<html" in html
    assert f"/estate/facilities/{world.own.facility_id}" in html
    assert f"/estate/facilities/{world.other.facility_id}" not in html
    html = _html(client.get(f"/estate/facilities?building={world.own.building_id}"))
    assert f"/estate/facilities/{world.own.facility_id}" in html
    assert "/estate/facilities/new" not in html  # staff may not add


def test_est01_facility_page_shows_details_qr_and_history(client, world, login):
    login(world.users[("staff", "own")])
    html = _html(client.get(f"/estate/facilities/{world.own.facility_id}"))
    assert "<html" in html
    assert "own水泵房" in html and "B1" in html
    assert '<svg class="qr"' in html
    assert 'id="timeline"' in html
    assert f"/estate/facilities/{world.own.facility_id}/edit" not in html  # staff may not edit


def test_org02_company_role_reads_every_projects_building(client, world, login):
    login(world.users[("gm", None)])
    assert client.get(f"/estate/buildings/{world.other.building_id}").status_code == 200


# ------------------------------------------------------------------ every route, other project


OTHER_PROJECT_GETS = [
    "/estate/buildings/{other.building_id}",
    "/estate/buildings/{other.building_id}/labels",
    "/estate/projects/{other.id}/labels",
    "/estate/units/{other.unit_id}",
    "/estate/owners/{other.owner_id}",
    "/estate/facilities/{other.facility_id}",
    "/estate/facilities/{other.facility_id}/edit",
    "/estate/facilities/{other.facility_id}/qr.png",
    "/estate/facilities?building={other.building_id}",
    "/estate/facilities?project={other.id}",
    "/estate/facilities/new?building={other.building_id}",
    "/estate/import?project={other.id}",
    "/f/{other.facility_token}",
]


@pytest.mark.parametrize("template", OTHER_PROJECT_GETS)
def test_org02_estate_routes_answer_404_for_another_projects_records(client, world, login, template):
    login(world.users[("pm", "own")])
    response = client.get(template.format(other=world.other))
    assert response.status_code == 404
    html = _html(response)
    assert world.other.owner_name not in html and "other水泵房" not in html


OTHER_PROJECT_POSTS = [
    ("/estate/owners/{other.owner_id}/reveal-phone", {}),
    ("/estate/facilities/{other.facility_id}/edit", {"name": "改名", "kind": "equipment", "building": "0", "version": "1"}),
    ("/estate/import", {"project": "{other.id}"}),
]


@pytest.mark.parametrize(("template", "data"), OTHER_PROJECT_POSTS)
def test_org02_estate_actions_answer_404_for_another_projects_records(app, client, world, login, template, data):
    login(world.users[("pm", "own")])
    form = {key: value.format(other=world.other) for key, value in data.items()}
    response = post(client, template.format(other=world.other), form)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Building)) == 2


def test_org02_signed_out_visitors_are_sent_to_sign_in_from_every_estate_page(client, world):
    for path in ("/estate/", f"/estate/buildings/{world.own.building_id}", f"/estate/owners/{world.own.owner_id}",
                 f"/estate/facilities/{world.own.facility_id}/qr.png", "/estate/import"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
