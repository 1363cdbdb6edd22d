"""SVC-01 the price list 有偿服务项目及收费标准 (proposed by supervisors, offered once the GM
approves, price history kept, printable for the notice board) and SVC-03 §4.5.1 the staff
cleared for work in owners' homes: the pages, their bad input and who may use them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import WorkItem
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services.models import InHomeClearance, ServiceItem, ServicePrice

#: Wednesday 25 November 2026, 10:00 in Shanghai
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _html(response) -> str:
    return response.get_data(as_text=True)


def _user(session, world, role, where="own") -> User:
    return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


def _make_item(app, world, where="own", **values) -> int:
    """An item of the project's security department with a price the GM approved a month ago."""
    with app.app_context():
        session = db.session
        ids = world.projects[where]
        item = factories.make_service_item(
            session, session.get(Project, ids.id), session.get(Department, ids.department_id),
            _user(session, world, "dept_supervisor", where), approved_by=_user(session, world, "gm", None),
            effective_from=values.pop("effective_from", NOW - timedelta(days=30)), **values,
        )
        session.commit()
        return item.id


def _signed_in(app, username: str):
    """A second browser, signed in as `username`."""
    other = app.test_client()
    assert post(other, "/login", {"username": username, "password": factories.PASSWORD}).status_code == 303
    return other


def _field_errors(html: str, name: str) -> list[str]:
    block = re.search(rf'id="{name}-field">(.*?)</div>', html, re.S)
    assert block, f"no field {name}"
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', block.group(1), re.S)


def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def _new_item(world, **overrides) -> dict:
    return {
        "department_id": str(world.own.department_id),
        "name": "日常保洁",
        "unit_of_charge": "小时",
        "description": "地面、门窗、厨卫清洁",
        "price": "45.50",
        "reason": "参照周边小区收费",
        **overrides,
    }


# ---------------------------------------------------------------------------- SVC-01


def test_svc01_a_proposed_item_is_offered_only_after_the_gm_approves(app, client, login, world, clock):
    login(world.users[("dept_supervisor", "own")])
    form = _html(client.get("/services/items/new"))
    assert "own安全部" in form and "other安全部" not in form
    response = post(client, "/services/items/new", _new_item(world))
    assert response.status_code == 303
    item_path = response.location
    with app.app_context():
        item = db.session.scalar(sa.select(ServiceItem).where(ServiceItem.name == "日常保洁"))
        assert [(p.price_fen, p.decision) for p in item.prices] == [(4550, None)]
        item_id = item.id
    assert item_path.endswith(f"/services/items/{item_id}")

    listing = _html(client.get(f"/services/items?project={world.own.id}"))
    row = re.search(rf'id="item-row-{item_id}">(.*?)</li>', listing, re.S).group(1)
    assert "data-pending" in row and "¥45.50" in row
    assert "尚无批准价格" in row or "no approved price" in row
    assert 'id="decide-form"' not in _html(client.get(item_path))  # the supervisor does not decide

    gm = _signed_in(app, world.users[("gm", None)])
    assert f'href="/services/items/{item_id}"' in _html(gm.get("/"))  # the GM's My work
    page = _html(gm.get(item_path))
    assert 'id="decide-form"' in page
    response = post(gm, f"/services/items/{item_id}/decide",
                    {"version": _version(page), "decision": "approve", "note": ""})
    assert response.status_code == 303

    listing = _html(client.get(f"/services/items?project={world.own.id}"))
    row = re.search(rf'id="item-row-{item_id}">(.*?)</li>', listing, re.S).group(1)
    assert "¥45.50" in row and "data-pending" not in row
    assert f'href="/services/items/{item_id}"' not in _html(gm.get("/"))  # done
    with app.app_context():
        price = db.session.scalar(sa.select(ServicePrice).where(ServicePrice.item_id == item_id))
        assert price.decision == "approved" and price.effective_from == NOW
        assert db.session.scalar(sa.select(WorkItem).where(WorkItem.kind == "service_price_decision")).done_at


@pytest.mark.parametrize(
    ("typed", "message"),
    [("0", "价格必须大于零。"), ("-5", "价格必须大于零。"), ("八十", "请输入金额（元），如 80 或 12.50。"), ("", "请输入金额（元），如 80 或 12.50。")],
)
def test_svc01_a_price_of_zero_or_less_is_refused_next_to_the_field_with_everything_kept(
    app, client, login, world, clock, typed, message
):
    login(world.users[("dept_supervisor", "own")])
    response = post(client, "/services/items/new", _new_item(world, price=typed))
    assert response.status_code == 422
    html = _html(response)
    assert _field_errors(html, "price") == [message]
    assert 'value="日常保洁"' in html and 'value="小时"' in html and "参照周边小区收费" in html
    if typed:
        assert f'value="{typed}"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ServiceItem.id))) == 0


def test_svc01_a_double_submit_proposes_one_item(app, client, login, world, clock):
    login(world.users[("dept_supervisor", "own")])
    data = _new_item(world, submission_key="same-key-123")
    first = post(client, "/services/items/new", data)
    second = post(client, "/services/items/new", data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ServiceItem.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(ServicePrice.id))) == 1


def test_svc01_a_price_change_needs_its_reason_and_waits_for_the_gm(app, client, login, world, clock):
    item_id = _make_item(app, world, price_fen=8000)
    login(world.users[("dept_supervisor", "own")])
    page = _html(client.get(f"/services/items/{item_id}"))
    assert "¥80.00" in re.search(r'id="price-in-force">(.*?)</dd>', page, re.S).group(1)
    version = _version(page)

    refused = post(client, f"/services/items/{item_id}/price", {"version": version, "price": "95", "reason": " "})
    assert refused.status_code == 422
    html = _html(refused)
    assert _field_errors(html, "reason") == ["请说明调价原因。"]
    assert 'value="95"' in html
    same = post(client, f"/services/items/{item_id}/price", {"version": version, "price": "80", "reason": "不变"})
    assert same.status_code == 422 and _field_errors(_html(same), "price")

    response = post(client, f"/services/items/{item_id}/price",
                    {"version": version, "price": "95", "reason": "人工成本上涨"})
    assert response.status_code == 303
    page = _html(client.get(f"/services/items/{item_id}"))
    assert "¥80.00" in re.search(r'id="price-in-force">(.*?)</dd>', page, re.S).group(1)
    assert "¥95.00" in re.search(r'id="price-pending">(.*?)</dd>', page, re.S).group(1)
    assert 'id="price-form"' not in page  # one proposal at a time


def test_svc01_the_gm_refuses_with_a_reason_and_the_history_keeps_both(app, client, login, world, clock):
    item_id = _make_item(app, world, price_fen=8000)
    with app.app_context():
        session = db.session
        item = session.get(ServiceItem, item_id)
        session.add(ServicePrice(project_id=item.project_id, item_id=item_id, price_fen=12000,
                                 proposed_by_id=item.created_by_id, proposed_at=NOW, reason="涨价"))
        session.commit()
    login(world.users[("gm", None)])
    page = _html(client.get(f"/services/items/{item_id}"))
    no_reason = post(client, f"/services/items/{item_id}/decide",
                     {"version": _version(page), "decision": "refuse", "note": ""})
    assert no_reason.status_code == 422
    assert _field_errors(_html(no_reason), "note") == ["请说明不批准该价格的原因。"]
    undecided = post(client, f"/services/items/{item_id}/decide", {"version": _version(page), "note": "x"})
    assert undecided.status_code == 422

    response = post(client, f"/services/items/{item_id}/decide",
                    {"version": _version(page), "decision": "refuse", "note": "涨幅过大"}, headers=HX)
    assert response.status_code == 200
    panel = _html(response)
    assert panel.lstrip().startswith("<section id=\"item-status\"") and "<html" not in panel
    history = re.search(r'id="price-history".*?</section>', panel, re.S).group(0)
    assert history.index("¥120.00") < history.index("¥80.00")  # newest first
    assert "涨幅过大" in history and "badge-danger" in history
    assert "¥80.00" in re.search(r'id="price-in-force">(.*?)</dd>', panel, re.S).group(1)


@pytest.mark.parametrize("role", ["pm", "cs_supervisor", "dept_supervisor", "receptionist"])
def test_svc01_only_the_gm_decides_a_price(app, client, login, world, clock, role):
    item_id = _make_item(app, world)
    login(world.users[(role, "own")])
    response = post(client, f"/services/items/{item_id}/decide", {"decision": "approve"})
    assert response.status_code == 403


def test_svc01_a_supervisor_prices_only_their_own_departments_items(app, client, login, world, clock):
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        maintenance = factories.make_department(session, project, "maintenance", "own维修部")
        item = factories.make_service_item(session, project, maintenance, _user(session, world, "dept_supervisor"),
                                           effective_from=NOW - timedelta(days=1))
        session.commit()
        maintenance_id, item_id = maintenance.id, item.id
    login(world.users[("dept_supervisor", "own")])
    form = _html(client.get("/services/items/new"))
    assert "own维修部" not in form
    assert post(client, f"/services/items/{item_id}/price", {"price": "1", "reason": "x"}).status_code == 403
    response = post(client, "/services/items/new", _new_item(world, department_id=str(maintenance_id)))
    assert response.status_code == 422 and _field_errors(_html(response), "department_id")
    # the customer service supervisor may propose for any department of the project
    cs = _signed_in(app, world.users[("cs_supervisor", "own")])
    assert "own维修部" in _html(cs.get("/services/items/new"))


def test_svc01_another_projects_price_list_and_items_are_not_found(app, client, login, world, clock):
    item_id = _make_item(app, world, where="other")
    login(world.users[("dept_supervisor", "own")])
    assert client.get(f"/services/items/{item_id}").status_code == 404
    assert client.get(f"/services/items?project={world.other.id}").status_code == 404
    assert client.get(f"/services/items/print?project={world.other.id}").status_code == 404
    assert post(client, f"/services/items/{item_id}/price", {"price": "1", "reason": "x"}).status_code == 404


def test_svc01_publicist_may_not_read_the_price_list(client, login, world, clock):
    login(world.users[("publicist", "own")])
    assert client.get("/services/items").status_code == 403
    assert client.get("/services/items/new").status_code == 403


def test_svc01_a_stale_form_is_refused_with_the_input_kept(app, client, login, world, clock):
    item_id = _make_item(app, world)
    login(world.users[("dept_supervisor", "own")])
    stale = _version(_html(client.get(f"/services/items/{item_id}")))
    gm = _signed_in(app, world.users[("gm", None)])
    assert post(gm, f"/services/items/{item_id}/withdraw", {"version": stale, "reason": ""}).status_code == 303
    again = post(client, f"/services/items/{item_id}/withdraw", {"version": stale, "reason": "重复"})
    assert again.status_code == 409
    assert "重复" in _html(again)


def test_svc01_the_price_list_takes_the_same_queries_however_long(app, client, login, world, clock, queries):
    _make_item(app, world)
    login(world.users[("cs_supervisor", "own")])
    path = f"/services/items?project={world.own.id}"
    client.get(path)
    with queries() as few:
        assert client.get(path).status_code == 200
    for n in range(8):
        _make_item(app, world, name=f"维修{n}", price_fen=1000 + n)
    with app.app_context():  # a price history of several versions on one item
        item = db.session.scalar(sa.select(ServiceItem).where(ServiceItem.name == "维修0"))
        db.session.add(ServicePrice(project_id=item.project_id, item_id=item.id, price_fen=5000,
                                    proposed_by_id=item.created_by_id, proposed_at=NOW, reason="调价"))
        db.session.commit()
    with queries() as many:
        html = _html(client.get(path))
    assert html.count('class="card price-row') == 9
    assert len(few) == len(many)


def test_svc01_the_notice_board_copy_lists_what_is_offered_at_approved_prices(app, client, login, world, clock):
    offered = _make_item(app, world, name="擦玻璃", price_fen=1250, unit_of_charge="平方米")
    later = _make_item(app, world, name="搬家", price_fen=30000, effective_from=NOW + timedelta(days=3))
    withdrawn = _make_item(app, world, name="旧项目", active=False)
    with app.app_context():
        item = db.session.get(ServiceItem, offered)
        db.session.add(ServicePrice(project_id=item.project_id, item_id=offered, price_fen=9900,
                                    proposed_by_id=item.created_by_id, proposed_at=NOW, reason="涨价"))
        db.session.commit()
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/services/items/print?project={world.own.id}"))
    sheet = re.search(r'<article class="sheet".*?</article>', html, re.S).group(0)
    assert f'id="sheet-item-{offered}"' in sheet and "¥12.50" in sheet and "平方米" in sheet
    assert "¥99.00" not in sheet  # waiting for the GM
    assert f'id="sheet-item-{later}"' not in sheet and f'id="sheet-item-{withdrawn}"' not in sheet
    stylesheet = re.search(r'href="(/static/css/a4-portrait\.css[^"]*)"', html).group(1)
    assert re.search(r"@page\s*{\s*size:\s*A4 portrait", _html(client.get(stylesheet)))
    assert "data-print" in html and "style=" not in html
    # the list says what comes next
    listing = _html(client.get("/services/items"))
    assert "¥300.00" in re.search(rf'id="item-row-{later}">(.*?)</li>', listing, re.S).group(1)


def test_svc01_withdrawn_services_are_no_longer_offered(app, client, login, world, clock):
    item_id = _make_item(app, world, name="擦玻璃")
    login(world.users[("dept_supervisor", "own")])
    page = _html(client.get(f"/services/items/{item_id}"))
    response = post(client, f"/services/items/{item_id}/withdraw", {"version": _version(page), "reason": "人手不足"})
    assert response.status_code == 303
    page = _html(client.get(f"/services/items/{item_id}"))
    assert 'id="price-form"' not in page and 'id="withdraw-form"' not in page
    assert "人手不足" in page  # on the timeline
    assert "擦玻璃" not in _html(client.get(f"/services/items/print?project={world.own.id}"))


# ---------------------------------------------------------------------------- SVC-03 §4.5.1


def _staff_id(app, world, where="own") -> int:
    with app.app_context():
        return _user(db.session, world, "staff", where).id


def test_svc03_the_pm_clears_trained_staff_and_revokes_with_a_reason(app, client, login, world, clock):
    staff_id = _staff_id(app, world)
    login(world.users[("pm", "own")])
    page = _html(client.get(f"/services/staff?project={world.own.id}"))
    row = re.search(rf'id="staff-{staff_id}".*?</li>', page, re.S).group(0)
    assert 'data-clearance="none"' in row and "own安全部" in row
    clear = f"/services/staff/{staff_id}/clear?project={world.own.id}"

    future = post(client, clear, {"trained_on": "2026-11-26", "note": "李主管"})
    assert future.status_code == 422
    html = _html(future)
    assert "培训日期不能晚于今天。" in re.search(rf'id="staff-{staff_id}".*?</li>', html, re.S).group(0)
    assert 'value="李主管"' in html
    assert post(client, clear, {"trained_on": "", "note": ""}).status_code == 422

    response = post(client, clear, {"trained_on": "2026-11-20", "note": "李主管纪律培训"})
    assert response.status_code == 303
    row = re.search(rf'id="staff-{staff_id}".*?</li>',
                    _html(client.get(f"/services/staff?project={world.own.id}")), re.S).group(0)
    assert 'data-clearance="cleared"' in row and "2026-11-20" in row and "李主管纪律培训" in row
    assert post(client, clear, {"trained_on": "2026-11-20"}).status_code == 422  # already cleared

    with app.app_context():
        clearance_id = db.session.scalar(sa.select(InHomeClearance.id))
    no_reason = post(client, f"/services/clearances/{clearance_id}/revoke", {"reason": ""}, headers=HX)
    assert no_reason.status_code == 422
    assert _html(no_reason).lstrip().startswith(f'<li class="card staff-row" id="staff-{staff_id}"')
    revoked = post(client, f"/services/clearances/{clearance_id}/revoke", {"reason": "违反入户纪律"}, headers=HX)
    assert revoked.status_code == 200
    fragment = _html(revoked)
    assert 'data-clearance="revoked"' in fragment and "违反入户纪律" in fragment and "<html" not in fragment
    with app.app_context():
        clearance = db.session.get(InHomeClearance, clearance_id)
        assert clearance.revoked_at == NOW and clearance.revoke_reason == "违反入户纪律"


def test_svc03_a_supervisor_clears_only_their_own_departments_staff(app, client, login, world, clock):
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        maintenance = factories.make_department(session, project, "maintenance", "own维修部")
        fixer = factories.make_user(session, "own.fixer", roles=[("staff", project, maintenance)], display_name="维修工")
        session.commit()
        fixer_id = fixer.id
    staff_id = _staff_id(app, world)
    login(world.users[("dept_supervisor", "own")])
    page = _html(client.get("/services/staff"))
    assert f'id="staff-{staff_id}"' in page and "维修工" not in page
    response = post(client, f"/services/staff/{fixer_id}/clear?project={world.own.id}", {"trained_on": "2026-11-20"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["receptionist", "cs_supervisor", "staff"])
def test_svc03_clearances_need_the_clearing_permission(app, client, login, world, clock, role):
    staff_id = _staff_id(app, world)
    login(world.users[(role, "own")])
    assert client.get("/services/staff").status_code == 403
    response = post(client, f"/services/staff/{staff_id}/clear?project={world.own.id}", {"trained_on": "2026-11-20"})
    assert response.status_code == 403


def test_svc03_another_projects_staff_are_not_found(app, client, login, world, clock):
    other_staff = _staff_id(app, world, "other")
    login(world.users[("pm", "own")])
    assert client.get(f"/services/staff?project={world.other.id}").status_code == 404
    response = post(client, f"/services/staff/{other_staff}/clear?project={world.other.id}", {"trained_on": "2026-11-20"})
    assert response.status_code == 404
    # the own project, but someone who does not work in it
    response = post(client, f"/services/staff/{other_staff}/clear?project={world.own.id}", {"trained_on": "2026-11-20"})
    assert response.status_code == 404


def test_svc03_the_staff_page_takes_the_same_queries_however_many(app, client, login, world, clock, queries):
    def add_cleared(count: int, first: int = 0):
        with app.app_context():
            session = db.session
            project = session.get(Project, world.own.id)
            department = session.get(Department, world.own.department_id)
            pm = _user(session, world, "pm")
            for n in range(first, first + count):
                person = factories.make_user(session, f"own.tech{n}", roles=[("staff", project, department)])
                factories.make_service_clearance(session, project, person, pm)
            session.commit()

    add_cleared(1)
    login(world.users[("pm", "own")])
    path = f"/services/staff?project={world.own.id}"
    client.get(path)
    with queries() as few:
        assert client.get(path).status_code == 200
    add_cleared(6, first=1)
    with queries() as many:
        html = _html(client.get(path))
    assert html.count('data-clearance="cleared"') == 7
    assert len(few) == len(many)
