"""EST-03: owners' phone numbers are masked everywhere; showing one is a deliberate,
authorised and audited action."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import HX, post
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import User

MASKED = "139****1111"  # world.own.owner_phone is 13900001111


def _html(response) -> str:
    return response.get_data(as_text=True)


def _reveal_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "phone_revealed")))


def test_est03_owner_page_shows_the_masked_number_and_a_show_button(client, world, login):
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/estate/owners/{world.own.owner_id}"))
    assert MASKED in html
    assert world.own.owner_phone not in html
    assert f'action="/estate/owners/{world.own.owner_id}/reveal-phone"' in html


def test_est03_reveal_returns_the_phone_widget_with_a_tel_link_and_audits_it(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone", headers=HX)
    html = _html(response)
    assert response.status_code == 200
    assert "<html" not in html
    root = re.match(r'\s*<div id="owner-phone-(\d+)"[^>]*', html, re.S)
    assert root and root.group(1) == str(world.own.owner_id)
    assert 'hx-target="this"' in root.group(0) and 'hx-swap="outerHTML"' in root.group(0)
    assert f'href="tel:{world.own.owner_phone}"' in html
    events = _reveal_events(app)
    assert len(events) == 1
    with app.app_context():
        actor = db.session.get(User, events[0].actor_id)
        assert actor.username == world.users[("receptionist", "own")]
    assert events[0].entity_type == "owners" and events[0].entity_id == world.own.owner_id
    assert events[0].project_id == world.own.id


def test_est03_reveal_without_javascript_shows_the_whole_owner_page_with_the_number(client, world, login):
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    assert f'href="tel:{world.own.owner_phone}"' in html
    assert "no-store" in response.headers["Cache-Control"]


def test_est03_each_reveal_is_on_the_owners_timeline(client, world, login):
    login(world.users[("receptionist", "own")])
    post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone", headers=HX)
    post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone", headers=HX)
    html = _html(client.get(f"/estate/owners/{world.own.owner_id}"))
    timeline = html[html.index('id="timeline"') :]
    assert timeline.count(world.users[("receptionist", "own")]) == 2
    assert world.own.owner_phone not in html  # the page itself stays masked


@pytest.mark.parametrize("role", ["publicist", "staff", "dept_supervisor"])
def test_est03_roles_without_permission_see_no_button_and_get_403(app, client, world, login, role):
    login(world.users[(role, "own")])
    html = _html(client.get(f"/estate/owners/{world.own.owner_id}"))
    assert MASKED in html
    assert "reveal-phone" not in html
    html = _html(client.get(f"/estate/units/{world.own.unit_id}"))
    assert "reveal-phone" not in html
    response = post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone", headers=HX)
    assert response.status_code == 403
    assert world.own.owner_phone not in _html(response)
    assert _reveal_events(app) == []


@pytest.mark.parametrize("role", ["gm", "vp", "qa"])
def test_est03_company_office_roles_may_reveal(client, world, login, role):
    login(world.users[(role, None)])
    response = post(client, f"/estate/owners/{world.other.owner_id}/reveal-phone", headers=HX)
    assert response.status_code == 200
    assert world.other.owner_phone in _html(response)


def test_est03_reveal_needs_a_post_with_the_csrf_token(app, client, world, login):
    login(world.users[("receptionist", "own")])
    assert client.get(f"/estate/owners/{world.own.owner_id}/reveal-phone").status_code == 405
    assert client.post(f"/estate/owners/{world.own.owner_id}/reveal-phone").status_code == 400
    assert _reveal_events(app) == []


def test_est03_no_page_but_the_revealed_widget_ever_shows_the_full_number(client, world, login):
    """Building page, search results (fragment and page), unit page, owner page: masked."""
    login(world.users[("pm", "own")])  # may reveal, so the button is there: still masked
    pages = [
        client.get(f"/estate/buildings/{world.own.building_id}"),
        client.get("/estate/?q=1502", headers=HX),
        client.get("/estate/?q=own业主"),
        client.get(f"/estate/units/{world.own.unit_id}"),
        client.get(f"/estate/owners/{world.own.owner_id}"),
        client.get("/estate/"),
        client.get("/estate/facilities"),
    ]
    for response in pages:
        html = _html(response)
        assert response.status_code == 200
        assert world.own.owner_phone not in html, response.request.path
        assert "13900001111"[3:7] + "1111" not in html  # nor its middle digits with the end
    for response in pages[:5]:
        assert MASKED in _html(response), response.request.path
