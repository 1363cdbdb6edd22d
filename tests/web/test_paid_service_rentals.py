"""SVC-08 房屋委托出租申请表: the desk records an owner's application to let the flat (unit
and owner from the picker, asking rent, terms, commission rate); listed, then let with the
lease's rent and months (the commission computed) or withdrawn with the reason; printable."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import User
from webapp.paid_services.models import RentalCommission

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _html(response) -> str:
    return response.get_data(as_text=True)


def _field_errors(html: str, name: str) -> list[str]:
    """The messages shown under a field (each carries the field's error id)."""
    assert f'id="{name}-field"' in html, f"no field {name}"
    return re.findall(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)


def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def _application(world, **overrides) -> dict:
    return {
        "unit_query": "1502",
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        "owner_contact": "",
        "asking_rent": "3,000",
        "commission_rate": "8.33",
        "terms": "带家具出租, 租期一年起, 只租家庭",
        **overrides,
    }


def _make_rental(app, world, where="own", status="applied", **values) -> int:
    with app.app_context():
        session = db.session
        ids = world.projects[where]
        desk = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", where)]))
        rental = RentalCommission(
            project_id=ids.id, number=values.pop("number", f"{ids.code}-WT-{ids.unit_id:04d}-{status}"),
            status=status, unit_id=ids.unit_id, owner_id=ids.owner_id, contact="业主 13900001111",
            asking_rent_fen=values.pop("asking_rent_fen", 300000), commission_rate_bp=values.pop("commission_rate_bp", 833),
            applied_at=NOW - timedelta(days=2), recorded_by_id=desk.id,
            listed_at=NOW - timedelta(days=1) if status == "listed" else None, **values,
        )
        session.add(rental)
        session.commit()
        return rental.id


def test_svc08_the_desk_records_an_application_with_the_unit_and_owner_picked(app, client, login, world, clock):
    login(world.users[("receptionist", "own")])
    form = _html(client.get("/services/rentals/new"))
    assert 'name="unit_query"' in form and "owner-picker.js" in form
    response = post(client, "/services/rentals/new", _application(world))
    assert response.status_code == 303
    with app.app_context():
        rental = db.session.scalar(sa.select(RentalCommission))
        assert (rental.unit_id, rental.owner_id) == (world.own.unit_id, world.own.owner_id)
        assert (rental.asking_rent_fen, rental.commission_rate_bp, rental.status) == (300000, 833, "applied")
        assert "own业主" in rental.contact  # the picker's person fills an empty contact
        rental_id = rental.id
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity_id == rental_id,
                                                                    AuditEvent.entity_type == "rental_commissions"))
    assert response.location.endswith(f"/services/rentals/{rental_id}")
    page = _html(client.get(response.location))
    assert "¥3,000.00" in re.search(r'id="asking-rent">(.*?)</dd>', page, re.S).group(1)
    assert re.search(r'id="commission-rate">\s*8.33%\s*</dd>', page)
    assert world.own.owner_phone not in page  # masked
    assert f'href="/services/rentals/{rental_id}"' in _html(client.get("/services/rentals"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"asking_rent": "0"}, "asking_rent", "月租金必须大于零。"),
        ({"asking_rent": "-100"}, "asking_rent", "月租金必须大于零。"),
        ({"commission_rate": "150"}, "commission_rate", "提成比例必须大于零且不超过 100%。"),
        ({"commission_rate": "0"}, "commission_rate", "提成比例必须大于零且不超过 100%。"),
        ({"commission_rate": "百分之八"}, "commission_rate", "请输入百分比，如 8.33。"),
        ({"unit_query": "", "owner_choice": ""}, "unit_query", "请选择委托出租的房号。"),
        ({"owner_choice": "{unit}:"}, "unit_query", "请选择委托出租的业主。"),  # the unit alone: nobody entrusts it
    ],
)
def test_svc08_bad_input_is_refused_next_to_the_field_with_everything_kept(
    app, client, login, world, clock, overrides, field, message
):
    login(world.users[("receptionist", "own")])
    data = _application(world, **overrides)
    data["owner_choice"] = data["owner_choice"].replace("{unit}", str(world.own.unit_id))
    response = post(client, "/services/rentals/new", data)
    assert response.status_code == 422
    html = _html(response)
    assert _field_errors(html, field) == [message]
    assert "带家具出租, 租期一年起, 只租家庭" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RentalCommission.id))) == 0


def test_svc08_a_double_submit_records_one_application(app, client, login, world, clock):
    login(world.users[("receptionist", "own")])
    data = _application(world, submission_key="rental-key-1")
    first = post(client, "/services/rentals/new", data)
    second = post(client, "/services/rentals/new", data)
    assert first.status_code == second.status_code == 303 and first.location == second.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RentalCommission.id))) == 1


def test_svc08_a_flat_already_entrusted_is_not_entrusted_twice(app, client, login, world, clock):
    _make_rental(app, world, status="listed")
    login(world.users[("receptionist", "own")])
    response = post(client, "/services/rentals/new", _application(world))
    assert response.status_code == 422
    assert _field_errors(_html(response), "unit_query") == ["该房号已在委托出租中。"]


def test_svc08_listed_then_let_fixes_the_commission(app, client, login, world, clock):
    rental_id = _make_rental(app, world)
    login(world.users[("cs_supervisor", "own")])
    page = _html(client.get(f"/services/rentals/{rental_id}"))
    assert 'id="let-form"' not in page  # listed first
    response = post(client, f"/services/rentals/{rental_id}/list", {"version": _version(page)})
    assert response.status_code == 303
    page = _html(client.get(f"/services/rentals/{rental_id}"))
    assert 'id="let-form"' in page and 'value="3000.00"' in page  # the asking rent proposed

    bad = post(client, f"/services/rentals/{rental_id}/let",
               {"version": _version(page), "let_rent": "3000", "lease_months": "一年", "tenant_name": "王先生"})
    assert bad.status_code == 422
    assert _field_errors(_html(bad), "lease_months") and 'value="王先生"' in _html(bad)
    too_long = post(client, f"/services/rentals/{rental_id}/let",
                    {"version": _version(page), "let_rent": "3000", "lease_months": "121"})
    assert too_long.status_code == 422 and _field_errors(_html(too_long), "lease_months")
    no_rent = post(client, f"/services/rentals/{rental_id}/let",
                   {"version": _version(page), "let_rent": "0", "lease_months": "12"})
    assert no_rent.status_code == 422 and _field_errors(_html(no_rent), "let_rent")

    response = post(client, f"/services/rentals/{rental_id}/let",
                    {"version": _version(page), "let_rent": "3000", "lease_months": "12", "tenant_name": "王先生"},
                    headers=HX)
    assert response.status_code == 200
    panel = _html(response)
    assert panel.lstrip().startswith('<section id="rental-status"') and "<html" not in panel
    # 3 000 yuan × 12 months × 8.33 % = 2 998.80 yuan
    assert "¥2,998.80" in re.search(r'id="commission">(.*?)</dd>', panel, re.S).group(1)
    with app.app_context():
        rental = db.session.get(RentalCommission, rental_id)
        assert (rental.status, rental.let_rent_fen, rental.lease_months, rental.commission_fen) == ("let", 300000, 12, 299880)
        assert rental.tenant_name == "王先生" and rental.let_at == NOW
    assert 'id="withdraw-form"' not in panel and 'id="let-form"' not in panel


def test_svc08_an_empty_agreed_rent_means_the_asking_rent(app, client, login, world, clock):
    rental_id = _make_rental(app, world, status="listed", asking_rent_fen=250050, commission_rate_bp=1000)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/services/rentals/{rental_id}"))
    response = post(client, f"/services/rentals/{rental_id}/let",
                    {"version": _version(page), "let_rent": "", "lease_months": "6"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(RentalCommission, rental_id).commission_fen == 150030  # 2 500.50 × 6 × 10 %


def test_svc08_withdrawn_with_the_reason(app, client, login, world, clock):
    rental_id = _make_rental(app, world, status="listed")
    login(world.users[("pm", "own")])
    page = _html(client.get(f"/services/rentals/{rental_id}"))
    no_reason = post(client, f"/services/rentals/{rental_id}/withdraw", {"version": _version(page), "reason": ""})
    assert no_reason.status_code == 422
    assert _field_errors(_html(no_reason), "reason") == ["请说明撤销委托出租的原因。"]
    response = post(client, f"/services/rentals/{rental_id}/withdraw",
                    {"version": _version(page), "reason": "业主自住"})
    assert response.status_code == 303
    page = _html(client.get(f"/services/rentals/{rental_id}"))
    assert "业主自住" in re.search(r'id="withdrawn">(.*?)</dd>', page, re.S).group(1)
    assert 'id="list-form"' not in page and 'id="withdraw-form"' not in page
    # a step the state no longer allows is refused, nothing changes
    with app.app_context():
        version = db.session.get(RentalCommission, rental_id).version
    again = post(client, f"/services/rentals/{rental_id}/list", {"version": version})
    assert again.status_code == 422
    with app.app_context():
        assert db.session.get(RentalCommission, rental_id).status == "withdrawn"
    every = _html(client.get("/services/rentals?status=all"))
    assert "已撤回" in re.search(rf'id="rental-row-{rental_id}">(.*?)</li>', every, re.S).group(1)
    assert f'id="rental-row-{rental_id}"' not in _html(client.get("/services/rentals"))  # open ones only


def test_svc08_a_stale_form_is_refused_with_the_input_kept(app, client, login, world, clock):
    rental_id = _make_rental(app, world, status="listed")
    login(world.users[("receptionist", "own")])
    stale = _version(_html(client.get(f"/services/rentals/{rental_id}")))
    other = app.test_client()
    assert post(other, "/login", {"username": world.users[("pm", "own")], "password": factories.PASSWORD}).status_code == 303
    assert post(other, f"/services/rentals/{rental_id}/withdraw", {"version": stale, "reason": "业主自住"}).status_code == 303
    response = post(client, f"/services/rentals/{rental_id}/let",
                    {"version": stale, "let_rent": "3100", "lease_months": "12", "tenant_name": "赵女士"})
    assert response.status_code == 409
    assert "赵女士" in _html(response)
    with app.app_context():
        assert db.session.get(RentalCommission, rental_id).status == "withdrawn"


def test_svc08_the_application_prints_on_a4_with_room_to_sign(app, client, login, world, clock):
    rental_id = _make_rental(app, world)
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/services/rentals/{rental_id}/print"))
    sheet = re.search(r'<article class="sheet".*?</article>', html, re.S).group(0)
    assert "own业主" in sheet and "¥3,000.00" in sheet and "8.33%" in sheet
    assert sheet.count('class="sign-here"') == 2
    assert "13900001111" not in sheet  # the contact's phone masked
    stylesheet = re.search(r'href="(/static/css/a4-portrait\.css[^"]*)"', html).group(1)
    assert re.search(r"@page\s*{\s*size:\s*A4 portrait", _html(client.get(stylesheet)))
    assert "style=" not in html and "data-print" in html


@pytest.mark.parametrize("role", ["staff", "dept_supervisor", "publicist"])
def test_svc08_rentals_are_the_desks_business(app, client, login, world, clock, role):
    rental_id = _make_rental(app, world)
    login(world.users[(role, "own")])
    for path in ("/services/rentals", "/services/rentals/new", f"/services/rentals/{rental_id}",
                 f"/services/rentals/{rental_id}/print"):
        assert client.get(path).status_code == 403, path
    assert post(client, f"/services/rentals/{rental_id}/list", {}).status_code == 403


def test_svc08_another_projects_rentals_are_not_found(app, client, login, world, clock):
    rental_id = _make_rental(app, world, where="other")
    login(world.users[("receptionist", "own")])
    assert client.get(f"/services/rentals/{rental_id}").status_code == 404
    assert client.get(f"/services/rentals/{rental_id}/print").status_code == 404
    assert post(client, f"/services/rentals/{rental_id}/withdraw", {"reason": "x"}).status_code == 404
    assert f"rental-row-{rental_id}" not in _html(client.get("/services/rentals?status=all"))
    # the picker offers no unit of the other project: its owner is refused as not found
    response = post(client, "/services/rentals/new",
                    _application(world, owner_choice=f"{world.other.unit_id}:{world.other.owner_id}"))
    assert response.status_code == 422 and "other业主" not in _html(response)


def test_svc08_the_list_takes_the_same_queries_however_long(app, client, login, world, clock, queries):
    _make_rental(app, world)
    login(world.users[("receptionist", "own")])
    client.get("/services/rentals", headers=HX)
    with queries() as few:
        assert client.get("/services/rentals?status=all", headers=HX).status_code == 200
    with app.app_context():
        session = db.session
        project_unit = world.own
        from webapp.estate.models import Building, Unit
        building = session.get(Building, project_unit.building_id)
        desk = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        for n in range(6):
            unit = factories.make_unit(session, building, number=f"20{n:02d}")
            owner = factories.make_owner(session, unit, name=f"业主{n}", phone=f"1380000{n:04d}")
            session.add(RentalCommission(
                project_id=project_unit.id, number=f"OWN-WT-{n}", status="listed", unit_id=unit.id,
                owner_id=owner.id, asking_rent_fen=200000 + n, commission_rate_bp=800, applied_at=NOW,
                recorded_by_id=desk.id,
            ))
        assert session.scalar(sa.select(sa.func.count(Unit.id))) >= 7
        session.commit()
    with queries() as many:
        html = _html(client.get("/services/rentals?status=all", headers=HX))
    assert html.count('class="card rental-row"') == 7
    assert len(few) == len(many)
