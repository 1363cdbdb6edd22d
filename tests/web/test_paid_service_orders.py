"""Paid-service orders at the service centre (篇5): registration at the desk (SVC-02) with its
print in two copies, dispatch of cleared staff only (SVC-03), cancellation, the quality check
that closes the order (SVC-07), edits after signing that break the signature's match
(SVC-09), the list and the project scope."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image, ImageDraw

from tests import factories
from tests.conftest import HX, post
from webapp.core import scoping
from webapp.core.media import store_from_app
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services import operations
from webapp.paid_services.models import ServiceOrder
from webapp.paid_services.rules import Conduct

#: §4.4.1 a–b, confirmed when the work is recorded
CONDUCT = list(Conduct)

# 10:00 in Shanghai on a Wednesday
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
APPOINTMENT = MORNING + timedelta(hours=4)  # 14:00 local
AFTER_THE_JOB = APPOINTMENT + timedelta(hours=5)
PRE_DEPARTURE = ["appearance", "tools", "requirements", "on_time"]
OWNER_AT_HOME = ["knock", "owner_admitted", "shoe_covers", "scope_confirmed", "valuables"]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _section(html: str, element_id: str, end: str = "</div>") -> str:
    return html.split(f'id="{element_id}"')[1].split(end)[0]


def _user(session, world, role, where="own") -> User:
    return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


@pytest.fixture
def services(app, world):
    """Per project: an hourly cleaning (80 yuan) and a per-visit repair (50 yuan) approved by
    the GM in the world's department, the project's staff member trained and cleared for
    in-home work, and one more staff member (技工乙) who is not cleared."""
    ids = SimpleNamespace()
    with app.app_context(), scoping.unrestricted():
        session = db.session
        gm = session.scalar(sa.select(User).where(User.username == world.users[("gm", None)]))
        for key in ("own", "other"):
            project = session.get(Project, world.projects[key].id)
            department = session.get(Department, world.projects[key].department_id)
            supervisor = _user(session, world, "dept_supervisor", key)
            cleaning = factories.make_service_item(
                session, project, department, supervisor, name=f"{key}日常保洁", unit_of_charge="小时",
                price_fen=8000, approved_by=gm, effective_from=MORNING - timedelta(days=30),
            )
            repair = factories.make_service_item(
                session, project, department, supervisor, name=f"{key}水龙头更换", unit_of_charge="次",
                price_fen=5000, approved_by=gm, effective_from=MORNING - timedelta(days=30),
            )
            technician = _user(session, world, "staff", key)
            technician.display_name = f"{key}技工甲"
            factories.make_service_clearance(session, project, technician, supervisor,
                                             cleared_at=MORNING - timedelta(days=20))
            uncleared = factories.make_user(session, f"{key}.tech2", roles=[("staff", project, department)],
                                            display_name=f"{key}技工乙")
            setattr(ids, key, SimpleNamespace(cleaning_id=cleaning.id, repair_id=repair.id,
                                              technician_id=technician.id, uncleared_id=uncleared.id))
        session.commit()
    return ids


def _form(world, services, **overrides) -> dict:
    items = overrides.pop("items", [services.own.cleaning_id])
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        "contact": "13900001111",
        "appointment_at": "2026-11-25T14:00",
        "requirements": "厨房油烟机重点清洁",
        "cautions": "家有宠物猫, 勿开阳台门",
        "key_authorised": "y",
        "key_note": "钥匙存服务中心前台",
        "item": [str(i) for i in items],
        f"quantity-{services.own.cleaning_id}": "2.5",
        f"quantity-{services.own.repair_id}": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _orders(app) -> list[ServiceOrder]:
    with app.app_context():
        orders = list(db.session.scalars(
            sa.select(ServiceOrder).execution_options(all_projects=True).order_by(ServiceOrder.id)
        ))
        for order in orders:
            _ = order.lines, order.assignments, order.signatures, order.quality_checks
        db.session.expunge_all()
        return orders


def _order(app, order_id: int) -> ServiceOrder:
    return next(o for o in _orders(app) if o.id == order_id)


def _act(client, app, order_id: int, verb: str, data: dict | None = None, **kwargs):
    version = _order(app, order_id).version
    return post(client, f"/services/orders/{order_id}/{verb}", {"version": str(version), **(data or {})}, **kwargs)


def _signature_png() -> bytes:
    """What the signature pad sends: a transparent PNG with dark strokes."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 150), (120, 40), (180, 160), (260, 50), (330, 150), (420, 70), (540, 120)],
                               fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _registered(app, world, services, key="own", **values) -> int:
    """An order registered at the desk through the operation, at MORNING."""
    with app.app_context(), scoping.unrestricted():
        session = db.session
        project = session.get(Project, world.projects[key].id)
        receptionist = _user(session, world, "receptionist", key)
        order, _ = operations.register_order(session, receptionist, project, {
            "unit_id": world.projects[key].unit_id,
            "owner_id": world.projects[key].owner_id,
            "contact": "13900001111",
            "appointment_at": values.pop("appointment_at", APPOINTMENT),
            "requirements": "厨房油烟机重点清洁",
            "cautions": "家有宠物猫",
            "key_authorised": False,
            "lines": [{"item_id": getattr(services, key).cleaning_id, "quantity_centi": 300}],
            **values,
        }, values.pop("at", MORNING), None)
        session.commit()
        return order.id


def _signed(app, world, services, key="own") -> int:
    """An order dispatched, worked through both checklists, completed and signed by the owner."""
    order_id = _registered(app, world, services, key)
    with app.app_context(), scoping.unrestricted():
        session = db.session
        order = session.get(ServiceOrder, order_id)
        tech = session.get(User, getattr(services, key).technician_id)
        operations.dispatch(session, _user(session, world, "dept_supervisor", key), order, [tech.id],
                            MORNING + timedelta(minutes=10))
        operations.start_job(session, tech, order, APPOINTMENT - timedelta(minutes=30))
        for n, item in enumerate(PRE_DEPARTURE + OWNER_AT_HOME):
            operations.tick(session, tech, order, item, APPOINTMENT + timedelta(minutes=n))
        operations.complete_job(session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="全屋保洁",
                                materials_fen=1500, materials_note="清洁剂")
        operations.record_signature(session, tech, order, signer_name="业主张三", image=_signature_png(),
                                    satisfaction=5, comment="很干净", store=store_from_app(app),
                                    now=APPOINTMENT + timedelta(hours=3, minutes=5))
        session.commit()
    return order_id


# ---------------------------------------------------------------------------- SVC-02 registration


def test_svc02_registration_keeps_the_approved_price_and_tells_the_department(app, client, world, services, login):
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        form = _html(client.get("/services/orders/new"))
        assert "own日常保洁" in form and "¥80.00" in form and "own水龙头更换" in form
        assert "other日常保洁" not in form
        response = post(client, "/services/orders/new", _form(world, services))
        assert response.status_code == 303
        [order] = _orders(app)
        assert response.location.endswith(f"/services/orders/{order.id}")
        page = _html(client.get(response.location))
        _switch(client, login, world.users[("dept_supervisor", "own")])
        my_work = _html(client.get("/"))
    [line] = order.lines
    assert (line.item_name, line.price_fen, line.quantity_centi, line.amount_fen) == ("own日常保洁", 8000, 250, 20000)
    assert order.total_fen == 20000 and order.status == "registered"
    assert order.appointment_at == APPOINTMENT and order.owner_id == world.own.owner_id
    assert order.key_authorised and order.key_note == "钥匙存服务中心前台"
    assert "¥200.00" in _section(page, "order-total", "</td>") and "厨房油烟机重点清洁" in page
    assert "2026-11-25 14:00" in _section(page, "appointment", "</dd>")
    # the owner's phone is masked (EST-03)
    assert "13900001111" not in page
    # SVC-02 "the department notified": the supervisor finds the order in My work
    assert order.number in my_work and f"/services/orders/{order.id}" in my_work


@pytest.mark.parametrize(
    ("case", "overrides", "field_id"),
    [
        ("no item", {"item": []}, "lines-field"),
        ("appointment in the past", {"appointment_at": "2026-11-25T09:00"}, "appointment_at-field"),
        ("no appointment", {"appointment_at": ""}, "appointment_at-field"),
        ("quantity zero", {"quantity": "0"}, "item-{cleaning}-field"),
        ("quantity unreadable", {"quantity": "两个"}, "item-{cleaning}-field"),
        ("no unit", {"owner_choice": ""}, "unit_query-field"),
        ("nobody on record and no contact", {"owner_choice": "{unit}:", "contact": ""}, "contact-field"),
        ("key note without the key", {"key_authorised": None}, "key_note-field"),
        ("items of two departments", {"two_departments": True}, "lines-field"),
    ],
)
def test_svc02_bad_input_is_refused_beside_the_field_with_every_value_kept(
    app, client, world, services, login, case, overrides, field_id
):
    overrides = dict(overrides)
    if overrides.pop("two_departments", False):
        with app.app_context(), scoping.unrestricted():
            project = db.session.get(Project, world.own.id)
            housekeeping = factories.make_department(db.session, project, "housekeeping", "家政部")
            supervisor = _user(db.session, world, "dept_supervisor")
            other = factories.make_service_item(db.session, project, housekeeping, supervisor, name="擦窗",
                                                effective_from=MORNING - timedelta(days=1))
            db.session.commit()
            overrides["item"] = [services.own.cleaning_id, other.id]
    if overrides.get("owner_choice"):
        overrides["owner_choice"] = overrides["owner_choice"].format(unit=world.own.unit_id)
    if "quantity" in overrides:
        overrides[f"quantity-{services.own.cleaning_id}"] = overrides.pop("quantity")
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        response = post(client, "/services/orders/new", _form(world, services, **overrides))
    assert response.status_code == 422, case
    html = _html(response)
    end = {"lines-field": "</fieldset>", "item-{cleaning}-field": "</li>", "unit_query-field": 'id="owner-choices"'}.get(
        field_id, "</div>"
    )
    section = _section(html, field_id.format(cleaning=services.own.cleaning_id), end)
    assert 'class="error"' in section, case
    # every value typed is kept
    assert "厨房油烟机重点清洁" in html and "家有宠物猫, 勿开阳台门" in html
    if case != "key note without the key":
        assert 'value="钥匙存服务中心前台"' in html
    if overrides.get("item") != []:
        assert re.search(rf'name="item" value="{services.own.cleaning_id}"\s+checked', html)
    quantity = overrides.get(f"quantity-{services.own.cleaning_id}", "2.5")
    assert f'name="quantity-{services.own.cleaning_id}" value="{quantity}"' in html
    assert _orders(app) == []


def test_svc02_an_empty_form_names_each_missing_part_at_once(app, client, world, services, login):
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        response = post(client, "/services/orders/new",
                        _form(world, services, item=[], appointment_at="", owner_choice=""))
    assert response.status_code == 422
    html = _html(response)
    assert 'id="lines-error"' in _section(html, "lines-field", "</fieldset>")
    assert _section(html, "appointment_at-field").count('class="error"') == 1
    assert 'class="error"' in _section(html, "unit_query-field", 'id="owner-choices"')
    assert _orders(app) == []


def test_svc02_a_double_submit_registers_one_order(app, client, world, services, login):
    data = _form(world, services, submission_key="same-key")
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        first = post(client, "/services/orders/new", data)
        second = post(client, "/services/orders/new", data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(_orders(app)) == 1


def test_svc02_the_owner_picker_finds_the_unit_without_scripts(app, client, world, services, login):
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        data = _form(world, services, owner_choice="", unit_query="1502", find_owner="1")
        html = _html(post(client, "/services/orders/new", data))
    assert f'value="{world.own.unit_id}:{world.own.owner_id}"' in html and "own业主" in html
    assert "厨房油烟机重点清洁" in html and _orders(app) == []


def test_svc02_only_the_service_centre_registers(app, client, world, services, login):
    login(world.users[("staff", "own")])
    assert client.get("/services/orders/new").status_code == 403
    assert post(client, "/services/orders/new", _form(world, services)).status_code == 403
    assert _orders(app) == []


def test_svc02_the_registration_form_prints_in_two_copies_on_one_sheet(app, client, world, services, login):
    order_id = _registered(app, world, services)
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/services/orders/{order_id}/print"))
    order = _order(app, order_id)
    assert html.count('class="registration-copy"') == 2 and html.count('class="cut-line"') == 1
    assert html.count(order.number) >= 2 and html.count("own日常保洁") == 2 and html.count("厨房油烟机重点清洁") == 2
    assert html.count("2026-11-25 14:00") == 2 and html.count('class="sign-space"') == 8
    assert "data-print" in html and "13900001111" not in html


# ---------------------------------------------------------------------------- SVC-03 dispatch


def test_svc03_dispatch_offers_only_cleared_staff_and_refuses_anyone_else(app, client, world, services, login):
    order_id = _registered(app, world, services)
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        login(world.users[("dept_supervisor", "own")])
        html = _html(client.get(f"/services/orders/{order_id}"))
        team = _section(html, "technicians-field", "</fieldset>")
        assert "own技工甲" in team and "own技工乙" not in team
        # a posted id of someone not cleared is refused by the operation, beside the list
        refused = _act(client, app, order_id, "dispatch", {"technicians": str(services.own.uncleared_id)})
        assert refused.status_code == 422
        assert "own技工乙" in _section(_html(refused), "technicians-field", "</fieldset>")
        assert _order(app, order_id).status == "registered"
        # through HTMX the panel alone comes back
        done = _act(client, app, order_id, "dispatch", {"technicians": str(services.own.technician_id)}, headers=HX)
    assert done.status_code == 200
    panel = _html(done)
    assert panel.lstrip().startswith("<section") and "<html" not in panel
    assert "own技工甲" in _section(panel, "service-team", "</dd>")
    order = _order(app, order_id)
    assert order.status == "dispatched" and order.technician_ids == [services.own.technician_id]


def test_svc03_only_the_departments_supervisor_dispatches(app, client, world, services, login):
    order_id = _registered(app, world, services)
    login(world.users[("receptionist", "own")])
    assert 'id="dispatch-form"' not in _html(client.get(f"/services/orders/{order_id}"))
    response = _act(client, app, order_id, "dispatch", {"technicians": str(services.own.technician_id)})
    assert response.status_code == 403 and _order(app, order_id).status == "registered"


# ---------------------------------------------------------------------------- cancel, quality


def test_svc02_a_cancellation_needs_a_reason_and_keeps_the_order(app, client, world, services, login):
    order_id = _registered(app, world, services)
    with time_machine.travel(MORNING + timedelta(minutes=30), tick=False):
        login(world.users[("receptionist", "own")])
        refused = _act(client, app, order_id, "cancel", {"reason": ""})
        assert refused.status_code == 422
        assert 'class="error"' in _section(_html(refused), "reason-field")
        response = _act(client, app, order_id, "cancel", {"reason": "业主临时出差"})
        assert response.status_code == 303
        html = _html(client.get(response.location))
    assert "业主临时出差" in _section(html, "cancel-reason", "</dd>")
    assert _order(app, order_id).status == "cancelled"


def test_svc07_the_supervisors_quality_check_closes_the_signed_order(app, client, world, services, login):
    order_id = _signed(app, world, services)
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("receptionist", "own")])
        assert 'id="quality-form"' not in _html(client.get(f"/services/orders/{order_id}"))
        assert _act(client, app, order_id, "quality", {"result": "qualified"}).status_code == 403
        _switch(client, login, world.users[("dept_supervisor", "own")])
        html = _html(client.get(f"/services/orders/{order_id}"))
        assert 'id="quality-form"' in html
        refused = _act(client, app, order_id, "quality", {"result": "unqualified", "note": ""})
        assert refused.status_code == 422 and 'class="error"' in _section(_html(refused), "note-field")
        response = _act(client, app, order_id, "quality", {"result": "qualified", "note": "复查合格"})
        assert response.status_code == 303
        html = _html(client.get(response.location))
    order = _order(app, order_id)
    assert order.status == "closed" and order.quality_checks[0].result == "qualified"
    assert "复查合格" in _section(html, "quality-result", "</dd>")
    assert 'id="quality-form"' not in html and 'id="edit-order"' not in html


# ---------------------------------------------------------------------------- SVC-09 edits and the signature


def test_svc09_an_edit_after_signing_shows_the_signature_no_longer_matching(app, client, world, services, login):
    order_id = _signed(app, world, services)
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        html = _html(client.get(f"/services/orders/{order_id}"))
        assert "badge-ok" in _section(html, "signature-state", "</span>")
        image = re.search(r'src="(/services/signatures/\d+\.png)"', html).group(1)
        png = client.get(image)
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert Image.open(io.BytesIO(png.data)).size == (600, 200)
        form = _html(client.get(f"/services/orders/{order_id}/edit"))
        assert 'id="signed-warning"' in form
        line_id = _order(app, order_id).lines[0].id
        response = post(client, f"/services/orders/{order_id}/edit", {
            "version": str(_order(app, order_id).version),
            f"quantity-{line_id}": "4",
            "work_done": "全屋保洁",
            "materials": "15.00",
            "materials_note": "清洁剂",
            "started_at": "2026-11-25T13:30",
            "finished_at": "2026-11-25T17:00",
        })
        assert response.status_code == 303
        html = _html(client.get(response.location))
        _switch(client, login, world.users[("dept_supervisor", "own")])
        supervisor_view = _html(client.get(f"/services/orders/{order_id}"))
    order = _order(app, order_id)
    assert order.total_fen == 4 * 8000 + 1500 and order.status == "signed"
    assert "badge-danger" in _section(html, "signature-state", "</span>")
    assert "¥335.00" in _section(html, "order-total", "</td>")
    changed = _section(html, "changed-since-signing", "</p>")
    assert changed.strip()
    # the history reads as people write: money in yuan, quantities by item
    history = _section(html, "timeline", "</section>")
    assert "合计: ¥255.00 → ¥335.00" in history and "own日常保洁 × 3 → own日常保洁 × 4" in history
    assert "33500" not in history
    # the technician's checklist reads in the reader's language, whoever ticked it
    assert "项目: — → 已检查仪容仪表：整洁，佩戴工牌" in history
    assert "Appearance checked" not in history
    # SVC-07/09: the order is not closed on a signature that no longer matches
    assert 'id="quality-form"' not in supervisor_view and 'id="close-blocked"' in supervisor_view


def test_svc09_only_what_changed_is_sent_so_a_passed_appointment_does_not_block_other_edits(
    app, client, world, services, login
):
    order_id = _registered(app, world, services)
    with time_machine.travel(APPOINTMENT + timedelta(hours=1), tick=False):
        login(world.users[("receptionist", "own")])
        form = _html(client.get(f"/services/orders/{order_id}/edit"))
        assert 'value="2026-11-25T14:00"' in form
        response = post(client, f"/services/orders/{order_id}/edit", {
            "version": str(_order(app, order_id).version),
            "contact": "13900001111",
            "appointment_at": "2026-11-25T14:00",
            "requirements": "厨房油烟机重点清洁",
            "cautions": "家有宠物猫, 来前电话",
            f"quantity-{_order(app, order_id).lines[0].id}": "3",
        })
        assert response.status_code == 303
        # a new appointment in the past is refused beside the field, the other values kept
        refused = post(client, f"/services/orders/{order_id}/edit", {
            "version": str(_order(app, order_id).version),
            "appointment_at": "2026-11-25T12:00",
            "cautions": "改了又改",
            f"quantity-{_order(app, order_id).lines[0].id}": "3",
        })
    assert _order(app, order_id).cautions == "家有宠物猫, 来前电话"
    assert refused.status_code == 422
    html = _html(refused)
    assert 'class="error"' in _section(html, "appointment_at-field") and "改了又改" in html


def test_svc09_a_save_based_on_an_older_version_is_refused_with_the_values_kept(app, client, world, services, login):
    order_id = _registered(app, world, services)
    with time_machine.travel(MORNING + timedelta(minutes=20), tick=False):
        login(world.users[("receptionist", "own")])
        stale = str(_order(app, order_id).version)
        line_id = _order(app, order_id).lines[0].id
        first = post(client, f"/services/orders/{order_id}/edit",
                     {"version": stale, "cautions": "第一次修改", "appointment_at": "2026-11-25T14:00",
                      f"quantity-{line_id}": "3"})
        assert first.status_code == 303
        second = post(client, f"/services/orders/{order_id}/edit",
                      {"version": stale, "cautions": "第二次修改", "appointment_at": "2026-11-25T14:00",
                       f"quantity-{line_id}": "3"})
    assert second.status_code == 409
    html = _html(second)
    assert 'id="edit-conflict"' in html and "第二次修改" in html and "第一次修改" in _section(html, "edit-conflict", "</section>")
    assert f'name="version" type="hidden" value="{_order(app, order_id).version}"' in html
    assert _order(app, order_id).cautions == "第一次修改"


# ---------------------------------------------------------------------------- the list, the scope, the navigation


def test_svc02_list_runs_the_same_number_of_queries_for_3_and_30_orders_most_urgent_first(
    app, client, world, services, login, queries
):
    def fill(count, start):
        for n in range(count):
            _registered(app, world, services, appointment_at=start + timedelta(hours=n))

    with time_machine.travel(MORNING, tick=False):
        login(world.users[("cs_supervisor", "own")])
        fill(3, APPOINTMENT + timedelta(days=2))
        with queries() as few:
            assert client.get("/services/", headers=HX).status_code == 200
        fill(27, APPOINTMENT + timedelta(days=5))
        with queries() as many:
            html = _html(client.get("/services/", headers=HX))
        assert html.count('class="card service-row') == 30 and "<html" not in html
        assert len(few) == len(many)
        soon = _registered(app, world, services, appointment_at=APPOINTMENT)
        html = _html(client.get("/services/", headers=HX))
        assert re.search(r'id="service-row-(\d+)"', html).group(1) == str(soon)
        day = _html(client.get("/services/?day=2026-11-25", headers=HX))
        assert day.count('class="card service-row') == 1
        assert _html(client.get("/services/?status=cancelled", headers=HX)).count('class="card service-row') == 0
        page = _html(client.get("/services/"))
    assert "<html" in page and 'id="new-service-order"' in page and 'href="/services/items"' in page


def test_svc03_a_technician_sees_only_the_orders_they_are_on(app, client, world, services, login):
    mine = _signed(app, world, services)
    _registered(app, world, services)
    login(world.users[("staff", "own")])
    html = _html(client.get("/services/?status=all"))
    assert html.count('class="card service-row') == 1 and f'id="service-row-{mine}"' in html


def test_org02_another_projects_order_and_signature_are_not_found(app, client, world, services, login):
    other = _signed(app, world, services, key="other")
    with app.app_context(), scoping.unrestricted():
        signature_id = _order(app, other).signatures[0].id
    login(world.users[("receptionist", "own")])
    for path in (f"/services/orders/{other}", f"/services/orders/{other}/edit", f"/services/orders/{other}/print",
                 f"/services/signatures/{signature_id}.png"):
        assert client.get(path).status_code == 404, path
    assert _act(client, app, other, "cancel", {"reason": "x"}).status_code == 404
    assert "other" not in _html(client.get("/services/?status=all")).split('id="service-order-list"')[1]


def test_svc02_paid_services_are_in_the_navigation_of_those_who_work_with_them(client, world, login):
    login(world.users[("receptionist", "own")])
    assert 'id="nav-paid-services"' in _html(client.get("/"))
    _switch(client, login, world.users[("publicist", "own")])
    assert 'id="nav-paid-services"' not in _html(client.get("/"))
    assert client.get("/services/").status_code == 403



def test_svc01_money_in_fen_reads_as_yuan_on_every_page():
    from webapp.core.web import yuan

    assert (yuan(123450), yuan(8000), yuan(5), yuan(-5), yuan(0), yuan(None)) == (
        "¥1,234.50", "¥80.00", "¥0.05", "-¥0.05", "¥0.00", ""
    )
