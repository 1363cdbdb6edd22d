"""CMP-03: a complaint is linked to the owner and unit when known, picked with the estate's
owner picker (the one the slip form uses): as-you-type search (HTMX), or the search
button without scripts; phones masked (EST-03); another project's owner or unit refused
beside the field."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, post
from webapp.complaints.models import Complaint
from webapp.extensions import db
from webapp.org.models import Project


def _html(response) -> str:
    return response.get_data(as_text=True)


def _form(**overrides) -> dict:
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "channel": "visit",
        "event_place": "3栋大堂",
        "complained_person": "夜班保安",
        "description": "保安对业主态度恶劣",
        "owner_request": "要求道歉",
        "owner_contact": "",
        "service_fault": "y",
        "complaint_class": "important",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _record(client, **overrides):
    return post(client, "/complaints/new", _form(**overrides))


def _complaints(app) -> list[Complaint]:
    with app.app_context():
        found = list(
            db.session.scalars(sa.select(Complaint).execution_options(all_projects=True).order_by(Complaint.id))
        )
        db.session.expunge_all()
        return found


def _add_unit(app, project_id: int, building: str, number: str, people: list[tuple[str, str]]) -> tuple:
    with app.app_context():
        project = db.session.get(Project, project_id)
        unit = factories.make_unit(db.session, factories.make_building(db.session, project, name=building), number=number)
        owners = [factories.make_owner(db.session, unit, name=name, phone=phone).id for name, phone in people]
        db.session.commit()
        return unit.id, owners


def _error(html: str) -> str:
    found = re.search(r'<p class="error" id="unit_query-error">([^<]*)</p>', html)
    return found.group(1) if found else ""


def test_cmp03_the_reception_form_offers_the_estates_owner_picker(client, world, login):
    login(world.users[("receptionist", "own")])
    html = _html(client.get("/complaints/new"))
    assert 'name="unit_query"' in html and 'id="owner-choices"' in html
    assert f'hx-get="/estate/owners/search?project={world.own.id}"' in html
    assert 'name="find_owner"' in html and "js/owner-picker.js" in html
    # the search as the receptionist types: the estate's fragment, phones masked
    fragment = _html(client.get(f"/estate/owners/search?project={world.own.id}&q=1502", headers=HX))
    assert fragment.lstrip().startswith('<div id="owner-choices"')
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in fragment and "139****1111" in fragment
    assert world.own.owner_phone not in fragment and world.other.owner_name not in fragment
    # what choosing puts in an empty contact field (static/js/owner-picker.js)
    assert f'data-contact="{world.own.owner_name} · own1栋 1502"' in fragment


def test_cmp03_choosing_the_owner_links_owner_and_unit_and_fills_an_empty_contact(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = _record(client, unit_query="1502", owner_choice=f"{world.own.unit_id}:{world.own.owner_id}")
    assert response.status_code == 303, _html(response)
    (complaint,) = _complaints(app)
    assert (complaint.unit_id, complaint.owner_id) == (world.own.unit_id, world.own.owner_id)
    assert complaint.owner_contact == f"{world.own.owner_name} · own1栋 1502"
    html = _html(client.get(response.location))
    facts = html.split('id="complaint-facts"')[1].split("</section>")[0]
    assert f'href="/estate/units/{world.own.unit_id}"' in facts and f'href="/estate/owners/{world.own.owner_id}"' in facts
    assert "139****1111" in facts and world.own.owner_phone not in html


def test_cmp03_what_the_receptionist_typed_as_contact_is_kept(app, client, world, login):
    login(world.users[("receptionist", "own")])
    choice = f"{world.own.unit_id}:{world.own.owner_id}"
    response = _record(client, owner_choice=choice, owner_contact="王女士 13900001111 晚上打")
    assert response.status_code == 303, _html(response)
    assert _complaints(app)[-1].owner_contact == "王女士 13900001111 晚上打"


def test_cmp03_without_scripts_the_search_button_offers_the_matches_and_keeps_every_value(app, client, world, login):
    second_unit, (second_owner,) = _add_unit(app, world.own.id, "2栋", "1502", [("钱六", "13688889999")])
    login(world.users[("receptionist", "own")])
    response = _record(
        client, find_owner="1", unit_query="1502", owner_contact="钱先生", event_place="5栋电梯口",
        owner_choice=f"{world.own.unit_id}:{world.own.owner_id}",  # an earlier choice: a new search replaces it
    )
    html = _html(response)
    assert response.status_code == 200
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html
    assert f'value="{second_unit}:{second_owner}"' in html and "136****9999" in html
    assert "13688889999" not in html and world.other.owner_name not in html and "137****3333" not in html
    assert not re.search(r'value="[\d:]+"\s+checked', html)
    assert 'value="1502"' in html and 'value="钱先生"' in html and 'value="5栋电梯口"' in html
    assert "保安对业主态度恶劣" in html and 'id="unit_query-error"' not in html
    assert _complaints(app) == []
    # nothing found: said where the matches would be
    html = _html(_record(client, find_owner="1", unit_query="99栋 0000"))
    assert "99栋 0000" in html.split('id="owner-choices"')[1].split("</div>")[0]


def test_cmp03_without_scripts_a_typed_unit_matching_once_is_linked_several_are_offered(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = _record(client, unit_query="own1栋 1502")
    assert response.status_code == 303, _html(response)
    assert (_complaints(app)[-1].unit_id, _complaints(app)[-1].owner_id) == (world.own.unit_id, world.own.owner_id)
    second_unit, _ = _add_unit(app, world.own.id, "2栋", "1502", [("钱六", "13688889999")])
    response = _record(client, unit_query="1502", owner_contact="钱先生")
    html = _html(response)
    assert response.status_code == 422 and "1502" in _error(html)
    assert f'value="{second_unit}:' in html and 'value="钱先生"' in html
    assert len(_complaints(app)) == 1


def test_cmp03_an_owner_or_unit_of_another_project_is_refused_beside_the_picker(app, client, world, login):
    _, (elsewhere_owner,) = _add_unit(app, world.own.id, "8栋", "0808", [("孙七", "13677776666")])
    login(world.users[("receptionist", "own")])
    for choice in (
        f"{world.other.unit_id}:{world.other.owner_id}",
        f"{world.own.unit_id}:{world.other.owner_id}",
        f"{world.other.unit_id}:",
    ):
        response = _record(client, owner_choice=choice, owner_contact="王女士")
        html = _html(response)
        assert response.status_code == 422, choice
        assert _error(html), choice
        assert world.other.owner_name not in html and "137****3333" not in html
        assert 'value="王女士"' in html and "保安对业主态度恶劣" in html
    # an owner of this project, but not of that unit
    response = _record(client, owner_choice=f"{world.own.unit_id}:{elsewhere_owner}")
    assert response.status_code == 422 and _error(_html(response))
    response = _record(client, owner_choice="not-a-choice")
    assert response.status_code == 422 and _error(_html(response))
    assert _complaints(app) == []


def test_cmp03_the_linked_owner_is_part_of_the_submission(app, client, world, login):
    """A replay of the same form records nothing new; the same key with another owner is
    a mistake, not a replay."""
    second_unit, (second_owner,) = _add_unit(app, world.own.id, "2栋", "0303", [("孙七", "13677776666")])
    login(world.users[("receptionist", "own")])
    choice = f"{world.own.unit_id}:{world.own.owner_id}"
    first = _record(client, owner_choice=choice, submission_key="k-same")
    again = _record(client, owner_choice=choice, submission_key="k-same")
    assert first.status_code == again.status_code == 303 and first.location == again.location
    other = _record(client, owner_choice=f"{second_unit}:{second_owner}", submission_key="k-same")
    assert other.status_code == 422
    assert len(_complaints(app)) == 1
