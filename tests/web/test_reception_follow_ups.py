"""The pages of the return-for-repair slip (RCP-03) and the repair work order (RCP-04):
start forms prefilled from the entry, steps as pages and HTMX fragments, the printable
slip, the lists with a fixed number of queries, owner phones masked (EST-03)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, post
from webapp.core.clock import end_of_day, now, to_local
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.reception.models import ReceptionPhoto, RepairWorkOrder, ReturnSlip


def _user(world, role, where="own"):
    return db.session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


def _entry(app, world, **values) -> int:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        entry = factories.make_reception_entry(db.session, project, _user(world, "receptionist"),
                                               unit_id=world.own.unit_id, owner_id=world.own.owner_id, **values)
        db.session.commit()
        return entry.id


def _maintenance(app, world) -> tuple[int, str]:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        department = factories.make_department(db.session, project, "maintenance", "维修部")
        technician = factories.make_user(db.session, "own.maint.tech", roles=[("staff", project, department)])
        db.session.commit()
        return department.id, technician.username


def _slips(app, world, count: int, **values) -> list[int]:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        receptionist = _user(world, "receptionist")
        ids = []
        for _ in range(count):
            entry = factories.make_reception_entry(db.session, project, receptionist, unit_id=world.own.unit_id,
                                                   owner_id=world.own.owner_id)
            ids.append(factories.make_return_slip(db.session, entry, receptionist, **values).id)
        db.session.commit()
        return ids


def test_rcp03_the_start_page_is_prefilled_and_saving_drafts_the_slip(app, client, login, world):
    entry_id = _entry(app, world, content="外墙渗水到卧室")
    login(world.users[("receptionist", "own")])
    page = client.get(f"/reception/{entry_id}/start/return-slip").get_data(as_text=True)
    assert "<html" in page and "外墙渗水到卧室" in page and 'selected value="' in page.replace("selected ", "selected ")
    response = post(client, f"/reception/{entry_id}/start/return-slip",
                    {"unit_id": str(world.own.unit_id), "problem": "外墙渗水到卧室"})
    assert response.status_code == 303
    with app.app_context():
        slip = db.session.scalar(sa.select(ReturnSlip))
        assert response.location.endswith(f"/reception/return-slips/{slip.id}")
        assert slip.send_due_at == end_of_day(slip.drafted_at)  # sent the same local day
    page = client.get(response.location).get_data(as_text=True)
    assert "外墙渗水到卧室" in page and 'id="send-form"' in page
    assert world.own.owner_phone not in page  # EST-03
    # a second submit of the same form lands on the slip it started
    again = post(client, f"/reception/{entry_id}/start/return-slip", {"problem": "外墙渗水到卧室"})
    assert again.status_code == 303 and again.location.endswith(f"/reception/return-slips/{slip.id}")


def test_rcp03_a_slip_without_place_comes_back_with_the_message_and_the_words_kept(app, client, login, world):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    response = post(client, f"/reception/{entry_id}/start/return-slip", {"unit_id": "", "problem": "车库顶板渗水"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "车库顶板渗水" in page and 'id="location-error"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnSlip)) == 0


def test_rcp03_sending_without_a_due_date_is_refused_next_to_the_field_then_sent(app, client, login, world):
    [slip_id] = _slips(app, world, 1)
    login(world.users[("receptionist", "own")])
    url = f"/reception/return-slips/{slip_id}/send"
    refused = post(client, url, {"version": "1", "received_by": "王工", "due_at": ""}, headers=HX)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in body and 'id="return-slip-status"' in body
    assert 'id="due_at-error"' in body and "王工" in body
    due = (to_local(now()) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    sent = post(client, url, {"version": "1", "received_by": "王工", "due_at": due}, headers=HX)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "<html" not in body and 'id="chase-due"' in body
    assert due.replace("T", " ") in body


def test_rcp03_the_printed_slip_shows_the_entrys_photos_and_masks_the_phone(app, client, login, world):
    moment = now()
    [slip_id] = _slips(app, world, 1, status="sent", sent_at=moment, received_by_developer="王工",
                       developer_due_at=moment + timedelta(days=3), chase_due_at=moment + timedelta(days=3))
    with app.app_context():
        slip = db.session.get(ReturnSlip, slip_id)
        photo = ReceptionPhoto(project_id=slip.project_id, entry_id=slip.entry_id, original_key="o.jpg",
                               thumbnail_key="t.jpg", watermarked_key="w.jpg", width=800, height=600, sha256="0" * 64,
                               uploaded_by_id=slip.drafted_by_id, uploaded_at=moment)
        db.session.add(photo)
        db.session.commit()
        photo_id = photo.id
    login(world.users[("receptionist", "own")])
    page = client.get(f"/reception/return-slips/{slip_id}/print").get_data(as_text=True)
    assert 'id="return-slip-sheet"' in page and 'id="sheet-photos"' in page
    assert f"/reception/photos/{photo_id}/thumb" in page
    assert world.own.owner_phone not in page and "139****1111" in page
    assert "王工" in page


def test_rcp03_the_chased_list_puts_the_most_overdue_first_in_a_fixed_number_of_queries(app, client, login, world, queries):
    moment = now()
    late = _slips(app, world, 1, status="sent", sent_at=moment - timedelta(days=9), chase_due_at=moment - timedelta(days=2))
    later = _slips(app, world, 1, status="answered", sent_at=moment - timedelta(days=9), chase_due_at=moment + timedelta(days=2))
    login(world.users[("receptionist", "own")])
    client.get("/reception/return-slips")
    with queries() as few:
        page = client.get("/reception/return-slips").get_data(as_text=True)
    assert page.index(f"return-slip-row-{late[0]}") < page.index(f"return-slip-row-{later[0]}")
    _slips(app, world, 4, status="sent", sent_at=moment, chase_due_at=moment + timedelta(days=1))
    _slips(app, world, 2)
    with queries() as many:
        page = client.get("/reception/return-slips").get_data(as_text=True)
    assert page.count('class="card return-slip-row') == 8
    assert len(many) == len(few)
    assert 'class="card return-slip-row is-overdue"' in page  # past its chase date


def test_rcp04_the_start_page_proposes_the_maintenance_department_and_dispatches(app, client, login, world):
    department_id, _ = _maintenance(app, world)
    entry_id = _entry(app, world, content="厨房水龙头漏水")
    login(world.users[("receptionist", "own")])
    page = client.get(f"/reception/{entry_id}/start/work-order").get_data(as_text=True)
    assert f'<option selected value="{department_id}">' in page or f'value="{department_id}" selected' in page
    response = post(client, f"/reception/{entry_id}/start/work-order",
                    {"department_id": str(department_id), "unit_id": str(world.own.unit_id), "problem": "厨房水龙头漏水"})
    assert response.status_code == 303
    with app.app_context():
        order = db.session.scalar(sa.select(RepairWorkOrder))
        assert (order.department_id, order.status) == (department_id, "dispatched")


def test_rcp04_the_department_reports_done_and_the_desk_calls_back_not_fixed(app, client, login, world):
    department_id, technician = _maintenance(app, world)
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        entry = factories.make_reception_entry(db.session, project, _user(world, "receptionist"), unit_id=world.own.unit_id)
        order = factories.make_work_order(db.session, entry, _user(world, "receptionist"),
                                          db.session.get(Department, department_id))
        db.session.commit()
        order_id = order.id
    login(technician)
    page = client.get(f"/reception/work-orders/{order_id}").get_data(as_text=True)
    assert 'id="done-form"' in page and 'id="callback-form"' not in page
    done = post(client, f"/reception/work-orders/{order_id}/done", {"version": "1", "work_done": "换了阀芯"})
    assert done.status_code == 303
    mine = client.get("/reception/work-orders").get_data(as_text=True)
    assert f"work-order-row-{order_id}" in mine

    client.post("/logout", data={"csrf_token": ""})
    login(world.users[("receptionist", "own")])
    with app.app_context():
        version = str(db.session.get(RepairWorkOrder, order_id).version)
    refused = post(client, f"/reception/work-orders/{order_id}/callback",
                   {"version": version, "method": "phone", "owner_response": "还在滴水"}, headers=HX)
    assert refused.status_code == 422 and 'id="fixed-error"' in refused.get_data(as_text=True)
    again = post(client, f"/reception/work-orders/{order_id}/callback",
                 {"version": version, "method": "phone", "owner_response": "还在滴水", "fixed": "no"}, headers=HX)
    body = again.get_data(as_text=True)
    assert again.status_code == 200 and "<html" not in body
    assert 'id="repair-round-1"' in body and 'id="repair-round-2"' in body


def test_rcp04_department_staff_see_only_their_departments_repairs_in_a_fixed_number_of_queries(
    app, client, login, world, queries
):
    department_id, technician = _maintenance(app, world)

    def orders(count, department):
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            ids = []
            for _ in range(count):
                entry = factories.make_reception_entry(db.session, project, _user(world, "receptionist"),
                                                       unit_id=world.own.unit_id)
                ids.append(factories.make_work_order(db.session, entry, _user(world, "receptionist"),
                                                     db.session.get(Department, department)).id)
            db.session.commit()
            return ids

    mine = orders(1, department_id)
    security = orders(1, world.own.department_id)
    login(technician)
    client.get("/reception/work-orders")
    with queries() as few:
        page = client.get("/reception/work-orders").get_data(as_text=True)
    assert f"work-order-row-{mine[0]}" in page and f"work-order-row-{security[0]}" not in page
    orders(5, department_id)
    with queries() as many:
        page = client.get("/reception/work-orders").get_data(as_text=True)
    assert page.count('class="card work-order-row') == 6 and len(many) == len(few)
