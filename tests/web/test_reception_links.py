"""Complaints and paid-service orders started from a ledger entry through the pages
(RCP-04, 篇3 §4.6): the form carries the entry over, saving records and routes in one
step with the complaint's clocks from the owner's contact, the record shows where it came
from with the entry's photos (never uploaded again), refusals create nothing, and the
owner's phone stays masked (EST-03)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from webapp.complaints.models import Complaint
from webapp.core.media import store_from_app
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services.models import ServiceOrder
from webapp.reception.models import ReceptionEntry

CONTACTED = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SAVED = CONTACTED + timedelta(hours=2)


@pytest.fixture(autouse=True)
def _at_the_desk():
    """Every page is used two hours after the owner came to the desk."""
    with time_machine.travel(SAVED, tick=False):
        yield


def _html(response) -> str:
    return response.get_data(as_text=True)


def _entry(app, world, where: str = "own", photos: int = 0, **values) -> int:
    project = world.projects[where]
    with app.app_context():
        session = db.session
        receiver = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", where)]))
        values.setdefault("owner_id", project.owner_id)
        values.setdefault("unit_id", project.unit_id)
        values.setdefault("contact", "13811112222")
        values.setdefault("content", "物业前台保安说话很冲，要求道歉")
        entry = factories.make_reception_entry(
            session, session.get(Project, project.id), receiver, received_at=CONTACTED, channel="visit", **values
        )
        if photos:
            factories.make_reception_photos(session, entry, receiver, store_from_app(app), count=photos)
        session.commit()
        return entry.id


def _stored(app, model, record_id=None):
    with app.app_context():
        query = sa.select(model).execution_options(all_projects=True)
        if record_id is not None:
            query = query.where(model.id == record_id)
        found = db.session.scalars(query.order_by(model.id.desc())).first()
        db.session.expunge_all()
        return found


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).execution_options(all_projects=True))


def _complaint_form(entry_id: int, **overrides) -> dict:
    data = {
        "submission_key": "k-" + str(factories._next()),
        "entry_id": str(entry_id),
        "channel": "visit",
        "description": "物业前台保安说话很冲，要求道歉",
        "complained_person": "前台保安",
        "owner_choice": "",
        "complaint_class": "important",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------- complaints


def test_rcp04_complaint_from_entry_form_carries_the_reception_over_and_shows_its_photos(app, client, world, login):
    entry_id = _entry(app, world, photos=2)
    entry = _stored(app, ReceptionEntry, entry_id)
    login(world.users[("receptionist", "own")])
    response = client.get(f"/complaints/new?entry={entry_id}")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    assert f'name="entry_id" type="hidden" value="{entry_id}"' in html
    assert "物业前台保安说话很冲，要求道歉</textarea>" in html
    assert re.search(r'name="channel"[^>]*value="visit"[^>]*checked|checked[^>]*value="visit"', html)
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html and "checked" in html
    assert entry.number in html and f'href="/reception/{entry_id}"' in html
    assert html.count("/reception/photos/") == 4  # two thumbnails, each opening its view
    # EST-03: the contact the owner gave is shown masked, never as typed
    assert "13811112222" not in html and "138****2222" in html


def test_rcp04_complaint_from_entry_clock_starts_at_the_owners_contact_and_the_entry_stays_open(
    app, client, world, login
):
    entry_id = _entry(app, world, owner_id=None, unit_id=None)
    login(world.users[("receptionist", "own")])
    response = post(client, "/complaints/new", _complaint_form(entry_id))
    assert response.status_code == 303
    complaint = _stored(app, Complaint)
    assert response.headers["Location"].endswith(f"/complaints/{complaint.id}")
    assert complaint.received_at == CONTACTED and complaint.resolution_due_at == CONTACTED + timedelta(days=3)
    assert complaint.owner_contact == "13811112222"  # carried over from the entry, never shown in full
    entry = _stored(app, ReceptionEntry, entry_id)
    assert (entry.status, entry.category, entry.follow_up_type, entry.follow_up_id) == (
        "open", "complaint", "complaints", complaint.id
    )


def test_rcp04_complaint_shows_where_it_came_from_with_the_entrys_photos_in_a_fixed_number_of_queries(
    app, client, world, login, queries
):
    login(world.users[("receptionist", "own")])
    counts = []
    for photos in (1, 3):
        entry_id = _entry(app, world, photos=photos)
        assert post(client, "/complaints/new", _complaint_form(entry_id)).status_code == 303
        complaint_id = _stored(app, Complaint).id
        with queries() as statements:
            html = _html(client.get(f"/complaints/{complaint_id}"))
        counts.append(len(statements))
        origin = html.split('id="reception-origin"')[1].split("</section>")[0]
        assert _stored(app, ReceptionEntry, entry_id).number in origin
        assert f'href="/reception/{entry_id}"' in origin
        assert origin.count("/thumb") == photos
    assert counts[0] == counts[1]


def test_rcp04_complaint_without_an_entry_shows_no_origin(app, client, world, login):
    login(world.users[("receptionist", "own")])
    data = _complaint_form(0)
    data.pop("entry_id")
    data["owner_contact"] = "王女士"
    assert post(client, "/complaints/new", data).status_code == 303
    html = _html(client.get(f"/complaints/{_stored(app, Complaint).id}"))
    assert 'id="reception-origin"' not in html


def test_rcp04_complaint_from_a_routed_entry_is_refused_and_nothing_is_created(app, client, world, login):
    entry_id = _entry(app, world, status="open", category="repair", follow_up="work_order")
    login(world.users[("receptionist", "own")])
    page = client.get(f"/complaints/new?entry={entry_id}")
    assert page.status_code == 422 and "该记录已分派处理。" in _html(page)
    response = post(client, "/complaints/new", _complaint_form(entry_id))
    assert response.status_code == 422
    assert f'name="entry_id" type="hidden" value="{entry_id}"' in _html(response)
    assert _count(app, Complaint) == 0


def test_rcp04_complaint_from_another_projects_entry_is_not_found(app, client, world, login):
    entry_id = _entry(app, world, where="other")
    login(world.users[("receptionist", "own")])
    assert client.get(f"/complaints/new?entry={entry_id}").status_code == 404
    assert post(client, "/complaints/new", _complaint_form(entry_id)).status_code == 404
    assert _count(app, Complaint) == 0 and _stored(app, ReceptionEntry, entry_id).status == "new"


def test_rcp04_complaint_from_entry_by_someone_who_may_not_route_is_forbidden(app, client, world, login):
    entry_id = _entry(app, world)
    login(world.users[("dept_supervisor", "own")])
    assert client.get(f"/complaints/new?entry={entry_id}").status_code == 403
    assert post(client, "/complaints/new", _complaint_form(entry_id)).status_code == 403
    assert _count(app, Complaint) == 0 and _stored(app, ReceptionEntry, entry_id).status == "new"


def test_rcp04_complaint_from_entry_bad_input_keeps_the_entry(app, client, world, login):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    response = post(client, "/complaints/new", _complaint_form(entry_id, description=""))
    html = _html(response)
    assert response.status_code == 422
    assert f'name="entry_id" type="hidden" value="{entry_id}"' in html and 'id="reception-origin"' in html
    assert _count(app, Complaint) == 0 and _stored(app, ReceptionEntry, entry_id).status == "new"


# ---------------------------------------------------------------------------- paid services


def _item_id(app, world) -> int:
    with app.app_context():
        session = db.session
        pm = session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")]))
        item = factories.make_service_item(
            session, session.get(Project, world.own.id), session.get(Department, world.own.department_id), pm,
            effective_from=CONTACTED - timedelta(days=30),
        )
        session.commit()
        return item.id


def _order_form(entry_id: int, item_id: int, world, **overrides) -> dict:
    data = {
        "submission_key": "k-" + str(factories._next()),
        "project_id": str(world.own.id),
        "entry_id": str(entry_id),
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        "appointment_at": "2026-11-26T14:00",
        "requirements": "厨房深度保洁",
        "item": str(item_id),
        f"quantity-{item_id}": "2",
    }
    data.update(overrides)
    return data


def test_rcp04_service_order_from_entry_is_registered_linked_and_shows_its_origin(app, client, world, login):
    item_id = _item_id(app, world)
    entry_id = _entry(app, world, photos=1, content="想请人做一次厨房深度保洁")
    login(world.users[("receptionist", "own")])
    page = client.get(f"/services/orders/new?entry={entry_id}")
    html = _html(page)
    assert page.status_code == 200
    assert "想请人做一次厨房深度保洁</textarea>" in html
    assert f'name="entry_id" type="hidden" value="{entry_id}"' in html and 'id="reception-origin"' in html
    assert "13811112222" not in html
    response = post(client, "/services/orders/new", _order_form(entry_id, item_id, world, contact=""))
    assert response.status_code == 303
    order = _stored(app, ServiceOrder)
    assert order.contact == "13811112222"
    entry = _stored(app, ReceptionEntry, entry_id)
    assert (entry.status, entry.category, entry.follow_up_type, entry.follow_up_id) == (
        "open", "service", "service_orders", order.id
    )
    detail = _html(client.get(f"/services/orders/{order.id}"))
    origin = detail.split('id="reception-origin"')[1].split("</section>")[0]
    assert entry.number in origin and origin.count("/thumb") == 1


def test_rcp04_service_order_from_a_routed_entry_is_refused_and_nothing_is_created(app, client, world, login):
    item_id = _item_id(app, world)
    entry_id = _entry(app, world, status="open", category="complaint", follow_up="complaint")
    login(world.users[("receptionist", "own")])
    assert client.get(f"/services/orders/new?entry={entry_id}").status_code == 422
    response = post(client, "/services/orders/new", _order_form(entry_id, item_id, world))
    assert response.status_code == 422
    assert _count(app, ServiceOrder) == 0
    other = _entry(app, world, where="other")
    assert client.get(f"/services/orders/new?entry={other}").status_code == 404
