"""A signed paid-service order changed afterwards shows its signature as invalid (SVC-09,
ASVS V11/V16 integrity): on the order page, on the printed registration form (both
copies) and by refusing to close the order; an order left as signed keeps a valid one.

The owner signs the hash of the order's content (items, quantities, prices, charge,
work done, technicians, times). Each change is made once through the app's own edit form
and, for what the form cannot touch (the price, the item, the appointment), straight in
the database, as someone bypassing the app would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import post
from tests.web.test_paid_service_orders import (  # noqa: F401 - `services` is a fixture
    AFTER_THE_JOB,
    _order,
    _signed,
    services,
)
from webapp.core import scoping
from webapp.extensions import db
from webapp.paid_services.models import ServiceOrder, ServiceOrderLine

#: what the owner signed in _signed(), as the edit form shows it
SIGNED_FORM = {
    "work_done": "全屋保洁",
    "materials": "15.00",
    "materials_note": "清洁剂",
    "started_at": "2026-11-25T13:30",
    "finished_at": "2026-11-25T17:00",
}
SIGNED_QUANTITY = "3"

VALID = "与服务单内容一致"  # "Matches the order"
INVALID = "与服务单内容不符"  # "No longer matches the order"
SIGN_AGAIN = "须请业主重新签名"  # "... the owner must sign again."


def _html(response) -> str:
    return response.get_data(as_text=True)


def _between(html: str, element_id: str, end: str) -> str:
    assert f'id="{element_id}"' in html, f"no #{element_id} on the page"
    return html.split(f'id="{element_id}"', 1)[1].split(end, 1)[0]


def _edit(client, app, order_id: int, **overrides):
    order = _order(app, order_id)
    data = {"version": str(order.version), **SIGNED_FORM, f"quantity-{order.lines[0].id}": SIGNED_QUANTITY}
    quantity = overrides.pop("quantity", None)
    if quantity is not None:
        data[f"quantity-{order.lines[0].id}"] = quantity
    data.update(overrides)
    return post(client, f"/services/orders/{order_id}/edit", data)


def _tamper(app, order_id: int, change) -> None:
    """Change the order in the database, outside every route and operation."""
    with app.app_context(), scoping.unrestricted():
        order = db.session.get(ServiceOrder, order_id)
        change(order)
        db.session.commit()


def _set_price(order: ServiceOrder) -> None:
    line: ServiceOrderLine = order.lines[0]
    line.price_fen += 1000
    line.amount_fen = (line.price_fen * line.quantity_centi + 50) // 100


def _rename_item(order: ServiceOrder) -> None:
    order.lines[0].item_name = "深度保洁"


def _move_appointment(order: ServiceOrder) -> None:
    order.appointment_at = order.appointment_at + timedelta(days=1)


def _drop_technician(order: ServiceOrder) -> None:
    for assignment in order.assignments:
        assignment.removed_at = order.finished_at


def _what_the_office_sees(client, order_id: int) -> tuple[str, str]:
    page = _html(client.get(f"/services/orders/{order_id}"))
    printed = client.get(f"/services/orders/{order_id}/print")
    assert printed.status_code == 200
    return page, _html(printed)


def _assert_invalid(page: str, printed: str, part: str) -> None:
    state = _between(page, "signature-state", "</p>")
    assert "badge-danger" in state and INVALID in state and SIGN_AGAIN in state
    assert VALID not in _between(page, "service-signature", "</dl>")
    assert part in _between(page, "changed-since-signing", "</p>")
    # SVC-07: the quality check cannot close it on that signature
    assert 'id="close-blocked"' in page and 'id="quality-form"' not in page
    for copy in (1, 2):
        shown = _between(printed, f"print-signature-state-{copy}", "</p>")
        assert INVALID in shown and SIGN_AGAIN in shown and VALID not in shown


def _assert_valid(page: str, printed: str) -> None:
    state = _between(page, "signature-state", "</p>")
    assert "badge-ok" in state and VALID in state and INVALID not in page
    assert 'id="changed-since-signing"' not in page and 'id="close-blocked"' not in page
    assert 'id="quality-form"' in page
    for copy in (1, 2):
        shown = _between(printed, f"print-signature-state-{copy}", "</p>")
        assert VALID in shown and "业主张三" in shown and INVALID not in shown


EDITS = {
    "quantity": ({"quantity": "4"}, "服务项目及数量"),
    "work-done": ({"work_done": "全屋保洁, 另加阳台"}, "完成的工作"),
    "materials-charge": ({"materials": "25.00"}, "另计材料费"),
    "materials-used": ({"materials_note": "清洁剂、抹布"}, "所用材料"),
    "finish-time": ({"finished_at": "2026-11-25T18:00"}, "完工时间"),
}

TAMPERING = {
    "price": (_set_price, "服务项目及数量"),
    "item": (_rename_item, "服务项目及数量"),
    "appointment": (_move_appointment, "约定时间"),
    "technicians": (_drop_technician, "服务人员"),
}


@pytest.fixture
def signed(app, world, services):  # noqa: F811 - the imported fixture
    return _signed(app, world, services)


@pytest.mark.parametrize("change", EDITS, ids=list(EDITS))
def test_svc09_an_edit_after_signing_shows_the_signature_invalid_on_the_page_and_the_print(
    app, client, world, login, signed, change
):
    overrides, part = EDITS[change]
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        _assert_valid(*_what_the_office_sees(client, signed))
        response = _edit(client, app, signed, **overrides)
        assert response.status_code == 303, _html(response)
        _assert_invalid(*_what_the_office_sees(client, signed), part)
    assert _order(app, signed).status == "signed"


@pytest.mark.parametrize("change", TAMPERING, ids=list(TAMPERING))
def test_svc09_a_change_made_in_the_database_behind_the_apps_back_shows_the_signature_invalid(
    app, client, world, login, signed, change
):
    tamper, part = TAMPERING[change]
    _tamper(app, signed, tamper)
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        _assert_invalid(*_what_the_office_sees(client, signed), part)
        version = _order(app, signed).version
        refused = post(client, f"/services/orders/{signed}/quality",
                       {"version": str(version), "result": "qualified", "note": ""})
    assert refused.status_code == 422 and SIGN_AGAIN in _html(refused)
    assert _order(app, signed).status == "signed"


def test_svc09_saving_the_signed_order_unchanged_keeps_the_signature_valid(app, client, world, login, signed):
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        response = _edit(client, app, signed)
        assert response.status_code == 303
        _assert_valid(*_what_the_office_sees(client, signed))


def test_svc09_changes_outside_what_the_owner_signed_keep_the_signature_valid(app, client, world, login, signed):
    def outside(order: ServiceOrder) -> None:
        order.requirements = "改过的要求"
        order.cautions = "改过的注意事项"
        order.contact = "13900002222"

    _tamper(app, signed, outside)
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        _assert_valid(*_what_the_office_sees(client, signed))


def test_svc09_the_signed_content_itself_cannot_be_swapped_for_the_new_one(app, client, world, login, signed):
    """Rewriting the content stored with the signature (not its hash) is not enough to
    make a changed order look signed."""
    from webapp.paid_services import operations, rules

    def rewrite(order: ServiceOrder) -> None:
        _set_price(order)
        order.current_signature.signed_content = rules.serialise_content(operations.order_content(order))

    _tamper(app, signed, rewrite)
    with time_machine.travel(AFTER_THE_JOB, tick=False):
        login(world.users[("cs_supervisor", "own")])
        page, printed = _what_the_office_sees(client, signed)
    assert INVALID in _between(page, "signature-state", "</p>")
    assert INVALID in _between(printed, "print-signature-state-1", "</p>")
    with app.app_context(), scoping.unrestricted():
        assert db.session.scalar(sa.select(ServiceOrder.status).where(ServiceOrder.id == signed)) == "signed"
