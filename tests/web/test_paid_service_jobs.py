"""The technician's job on the phone and the owner's signature (篇5, SVC-03…06, SVC-09):
my jobs, the job with its content, the checklists ticked with their times (HTMX and plain
POST), key entry refused without authorisation, completion refused with every value kept,
the owner's review and signature bound to the content shown, an empty pad refused, a
refusal with its reason, and nobody but the technicians on the job."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image, ImageDraw

from tests import factories
from tests.conftest import HX, post
from webapp.core import scoping
from webapp.core.media import store_from_app
from webapp.core.models import WorkItem
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services import operations
from webapp.paid_services.models import ServiceOrder, ServiceSignature
from webapp.paid_services.rules import Conduct

#: §4.4.1 a–b, confirmed when the work is recorded
CONDUCT = list(Conduct)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
APPOINTMENT = NOW + timedelta(hours=4)  # 14:00
PRE_DEPARTURE = ["appearance", "tools", "requirements", "on_time"]
OWNER_AT_HOME = ["knock", "owner_admitted", "shoe_covers", "scope_confirmed", "valuables"]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _user(session, world, role: str, where: str = "own") -> User:
    return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


def _arrange(app, world, *, where="own", key_authorised=False, technician="staff", completed=False,
             appointment=APPOINTMENT, lines=None) -> int:
    """An order registered at the desk and dispatched to one cleared technician (the
    project's staff member unless named); `completed`: started, both checklists ticked and
    the work recorded, awaiting the owner."""
    ids = world.projects[where]
    with app.app_context(), scoping.unrestricted():
        session = db.session
        project = session.get(Project, ids.id)
        department = session.get(Department, ids.department_id)
        supervisor = _user(session, world, "dept_supervisor", where)
        tech = session.scalar(sa.select(User).where(User.username == technician)) or _user(session, world, technician, where)
        item = factories.make_service_item(session, project, department, supervisor, name=f"日常保洁{factories._next()}",
                                           price_fen=8000, effective_from=NOW - timedelta(days=30))
        values = {
            "unit_id": ids.unit_id, "owner_id": ids.owner_id, "contact": "13800138000", "appointment_at": appointment,
            "requirements": "厨房油烟机重点清洁", "cautions": "家有宠物猫, 勿开阳台门", "key_authorised": key_authorised,
            "key_note": "钥匙存客服中心" if key_authorised else None,
            "lines": lines or [{"item_id": item.id, "quantity_centi": 300}],
        }
        order, _ = operations.register_order(session, _user(session, world, "receptionist", where), project, values, NOW, None)
        if operations.active_clearance(session, project.id, tech.id) is None:
            factories.make_service_clearance(session, project, tech, supervisor)
        operations.dispatch(session, supervisor, order, [tech.id], NOW + timedelta(minutes=5))
        if completed:
            operations.start_job(session, tech, order, APPOINTMENT - timedelta(minutes=30))
            for n, step in enumerate(PRE_DEPARTURE):
                operations.tick(session, tech, order, step, APPOINTMENT - timedelta(minutes=20 - n))
            for n, step in enumerate(OWNER_AT_HOME):
                operations.tick(session, tech, order, step, APPOINTMENT + timedelta(minutes=1 + n))
            operations.complete_job(session, tech, order, APPOINTMENT + timedelta(hours=3), conduct=CONDUCT, work_done="全屋保洁, 油烟机清洗",
                                    materials_fen=1500, materials_note="清洁剂")
        session.commit()
        return order.id


def _order(app, order_id: int) -> ServiceOrder:
    with app.app_context(), scoping.unrestricted():
        order = db.session.scalars(
            sa.select(ServiceOrder).where(ServiceOrder.id == order_id).options(
                sa.orm.selectinload(ServiceOrder.lines), sa.orm.selectinload(ServiceOrder.signatures),
                sa.orm.selectinload(ServiceOrder.ticks), sa.orm.selectinload(ServiceOrder.assignments),
            )
        ).one()
        order.hash_now = operations.current_hash(order)
        order.matches_now = operations.signature_matches(order)
        db.session.expunge_all()
        return order


def _start(client, app, order_id: int, **kwargs):
    return post(client, f"/services/jobs/{order_id}/start", {"version": str(_order(app, order_id).version)}, **kwargs)


def _tick(client, order_id: int, item: str, **kwargs):
    return post(client, f"/services/jobs/{order_id}/tick", {"item": item}, **kwargs)


def _signature_png(strokes: bool = True) -> bytes:
    """What the pad sends: a transparent PNG with dark strokes."""
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    if strokes:
        ImageDraw.Draw(image).line([(40, 160), (120, 40), (180, 170), (260, 50), (330, 160), (420, 70), (540, 130)],
                                   fill=(17, 17, 17, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


HASH_FIELD = re.compile(r'id="content_hash" name="content_hash" type="hidden" value="([0-9a-f]{64})"')


def _shown_hash(html: str) -> str:
    found = HASH_FIELD.search(html)
    assert found, "no content hash on the signing page"
    return found.group(1)


def _sign(client, order_id: int, content_hash: str, **overrides):
    data = {"content_hash": content_hash, "signer_name": "业主张三", "satisfaction": "5", "comment": "很干净",
            "signature": _data_url(_signature_png())}
    data.update(overrides)
    return post(client, f"/services/jobs/{order_id}/sign", data)


def _signatures(app) -> list[ServiceSignature]:
    with app.app_context(), scoping.unrestricted():
        rows = list(db.session.scalars(sa.select(ServiceSignature).order_by(ServiceSignature.id)))
        db.session.expunge_all()
        return rows


def _between(html: str, element_id: str, end: str = "</li>") -> str:
    return html.split(f'id="{element_id}"', 1)[1].split(end, 1)[0]


# ---------------------------------------------------------------------------- SVC-03 my jobs and the job


def test_svc03_my_jobs_lists_the_dispatched_and_under_way_jobs_of_this_technician_only(app, client, world, login):
    with time_machine.travel(NOW, tick=False):
        mine = _arrange(app, world)
        under_way = _arrange(app, world, appointment=APPOINTMENT + timedelta(days=1))
        with app.app_context():
            department = db.session.get(Department, world.own.department_id)
            factories.make_user(db.session, "own.staff2", display_name="技工二",
                                roles=[("staff", db.session.get(Project, world.own.id), department)])
            db.session.commit()
        someone_elses = _arrange(app, world, technician="own.staff2")
        login(world.users[("staff", "own")])
        _start(client, app, under_way)
        html = _html(client.get("/services/jobs"))
    numbers = {_order(app, i).number: i for i in (mine, under_way, someone_elses)}
    listed = [n for n in numbers if n in html]
    assert sorted(listed) == sorted(n for n, i in numbers.items() if i != someone_elses)
    row = _between(html, f"job-row-{mine}")
    assert "2026-11-25 14:00" in row and "own1栋 1502" in row and "× 3 小时" in row
    # soonest first: today's job before tomorrow's
    assert html.index(f"job-row-{mine}") < html.index(f"job-row-{under_way}")
    assert "已派工" in row and "服务中" in _between(html, f"job-row-{under_way}")


def test_svc03_my_jobs_runs_a_fixed_number_of_queries(app, client, world, login, queries):
    with time_machine.travel(NOW, tick=False):
        _arrange(app, world)
        login(world.users[("staff", "own")])
        with queries() as few:
            assert client.get("/services/jobs").status_code == 200
        for n in range(4):
            _arrange(app, world, appointment=APPOINTMENT + timedelta(hours=n + 1))
        with queries() as many:
            html = _html(client.get("/services/jobs"))
    assert html.count('class="card job-row') == 5
    assert len(few) == len(many)


def test_svc03_the_job_shows_content_time_address_requirements_cautions_and_key_entry(app, client, world, login):
    with time_machine.travel(NOW, tick=False):
        order_id = _arrange(app, world)
        keyed = _arrange(app, world, key_authorised=True)
        login(world.users[("staff", "own")])
        html = _html(client.get(f"/services/jobs/{order_id}"))
        keyed_html = _html(client.get(f"/services/jobs/{keyed}"))
    assert "2026-11-25 14:00" in _between(html, "job-appointment", "</dd>")
    assert "own1栋 1502" in _between(html, "job-address", "</dd>")
    assert "× 3 小时" in _between(html, "job-lines", "</ul>")
    assert "厨房油烟机重点清洁" in html and "家有宠物猫, 勿开阳台门" in _between(html, "job-cautions", "</div>")
    assert 'href="tel:13800138000"' in html
    assert "不得用钥匙入户" in _between(html, "job-key", "</p>")
    assert "已授权用钥匙入户" in _between(keyed_html, "job-key", "</p>")
    assert "钥匙存客服中心" in _between(keyed_html, "job-key", "</p>")
    # before setting off: the start button, the checklists closed
    assert 'id="job-start"' in html and 'class="check-button" disabled' in html


def test_svc03_another_technicians_job_is_refused(app, client, world, login):
    with time_machine.travel(NOW, tick=False):
        order_id = _arrange(app, world)
        elsewhere = _arrange(app, world, where="other")
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            department = db.session.get(Department, world.own.department_id)
            stranger = factories.make_user(db.session, "own.staff2", roles=[("staff", project, department)])
            factories.make_service_clearance(db.session, project, stranger, _user(db.session, world, "dept_supervisor"))
            db.session.commit()
        login("own.staff2")
        responses = [
            client.get(f"/services/jobs/{order_id}"),
            client.get(f"/services/jobs/{order_id}/sign"),
            _tick(client, order_id, "appearance"),
            _start(client, app, order_id),
            post(client, f"/services/jobs/{order_id}/complete", {"work_done": "x"}),
            post(client, f"/services/jobs/{order_id}/refuse", {"refusal-reason": "x"}),
        ]
        listed = _html(client.get("/services/jobs"))
        post(client, "/logout")
        login(world.users[("staff", "own")])
        other_project = client.get(f"/services/jobs/{elsewhere}")
        post(client, "/logout")
        login(world.users[("receptionist", "own")])
        desk = client.get(f"/services/jobs/{order_id}")
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert _order(app, order_id).number not in listed
    assert other_project.status_code == 404 and desk.status_code == 403
    order = _order(app, order_id)
    assert order.status == "dispatched" and order.ticks == []


# ---------------------------------------------------------------------------- SVC-04/05 checklists


def test_svc04_svc05_each_item_is_ticked_with_its_time_by_htmx_or_a_plain_post(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        early = _tick(client, order_id, "appearance", headers=HX)
        traveller.move_to(APPOINTMENT - timedelta(minutes=30))  # 13:30
        started = _start(client, app, order_id)
        traveller.move_to(APPOINTMENT - timedelta(minutes=25))  # 13:35
        fragment = _tick(client, order_id, "appearance", headers=HX)
        again = _tick(client, order_id, "appearance", headers=HX)  # a double tap
        traveller.move_to(APPOINTMENT - timedelta(minutes=24))
        plain = _tick(client, order_id, "tools")
        page = _html(client.get(plain.location))
    assert early.status_code == 422 and "服务进行中勾选" in _html(early)
    assert started.status_code == 303
    assert fragment.status_code == 200
    html = _html(fragment)
    assert "<html" not in html and html.lstrip().startswith('<section id="job-checklists"')
    assert "13:35" in _between(html, "tick-appearance") and "is-done" in html.split('id="tick-appearance"')[0][-40:]
    assert again.status_code == 200
    assert plain.status_code == 303 and plain.location.endswith(f"/services/jobs/{order_id}#tick-tools")
    assert "13:36" in _between(page, "tick-tools")
    ticks = _order(app, order_id).ticks
    assert [(t.item, t.ticked_at) for t in ticks] == [
        ("appearance", APPOINTMENT - timedelta(minutes=25)), ("tools", APPOINTMENT - timedelta(minutes=24)),
    ]


def _prepared(client, app, order_id: int, traveller) -> None:
    traveller.move_to(APPOINTMENT - timedelta(minutes=30))
    assert _start(client, app, order_id).status_code == 303
    for step in PRE_DEPARTURE:
        assert _tick(client, order_id, step, headers=HX).status_code == 200
    traveller.move_to(APPOINTMENT + timedelta(minutes=1))
    assert _tick(client, order_id, "knock", headers=HX).status_code == 200


def test_svc05_key_entry_without_authorisation_is_refused_with_a_clear_message(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        _prepared(client, app, order_id, traveller)
        by_htmx = _tick(client, order_id, "nobody_home", headers=HX)
        plain = _tick(client, order_id, "key_entry")
    assert by_htmx.status_code == 422
    fragment = _html(by_htmx)
    assert fragment.lstrip().startswith('<section id="job-checklists"')
    error = _between(fragment, "tick-nobody_home-error", "</p>")
    assert "业主未授权用钥匙入户" in error
    assert plain.status_code == 422 and "<html" in _html(plain)
    assert "业主未授权用钥匙入户" in _between(_html(plain), "tick-key_entry-error", "</p>")
    assert [t.item for t in _order(app, order_id).ticks if t.checklist == "on_site"] == ["knock"]


def test_svc05_key_entry_on_an_authorised_order_after_confirming_nobody_is_home(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world, key_authorised=True)
        login(world.users[("staff", "own")])
        _prepared(client, app, order_id, traveller)
        too_soon = _tick(client, order_id, "key_entry", headers=HX)
        _tick(client, order_id, "nobody_home", headers=HX)
        opened = _html(_tick(client, order_id, "key_entry", headers=HX))
    assert too_soon.status_code == 422
    assert "is-done" in opened.split('id="tick-key_entry"')[0][-40:]
    # the occupant's permission and the valuables reminder are not needed once in with the key
    assert "is-skipped" in opened.split('id="tick-owner_admitted"')[0][-40:]
    assert "is-skipped" in opened.split('id="tick-valuables"')[0][-40:]


# ---------------------------------------------------------------------------- SVC-06 completion


def _completion(order, **overrides) -> dict:
    line = order.lines[0]
    data = {"version": str(order.version), "work_done": "全屋保洁, 油烟机清洗", f"quantity-{line.id}": "3.5",
            "materials": "15", "materials_note": "清洁剂", "started_at": "2026-11-25T14:05",
            "finished_at": "2026-11-25T17:00", "conduct": [c.value for c in CONDUCT]}
    data.update(overrides)
    return data


def test_svc06_the_work_is_not_recorded_without_no_gifts_and_tools_counted(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        _prepared(client, app, order_id, traveller)
        for step in OWNER_AT_HOME[1:]:
            _tick(client, order_id, step, headers=HX)
        traveller.move_to(APPOINTMENT + timedelta(hours=3, minutes=10))
        response = post(client, f"/services/jobs/{order_id}/complete",
                        _completion(_order(app, order_id), conduct=["no_gifts"]))
    assert response.status_code == 422
    html = _html(response)
    conduct = _between(html, "conduct-field", "</fieldset>")
    assert 'class="error"' in conduct
    assert re.search(r'<input checked[^>]*value="no_gifts"', conduct)
    assert not re.search(r'<input checked[^>]*value="tools_counted"', conduct)
    assert "全屋保洁, 油烟机清洗" in html and 'value="清洁剂"' in html
    assert _order(app, order_id).status == "in_progress"


def test_svc06_a_job_finished_before_it_started_is_refused_with_every_value_kept(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        _prepared(client, app, order_id, traveller)
        for step in OWNER_AT_HOME[1:]:
            _tick(client, order_id, step, headers=HX)
        traveller.move_to(APPOINTMENT + timedelta(hours=3, minutes=10))
        order = _order(app, order_id)
        line_id = order.lines[0].id
        response = post(client, f"/services/jobs/{order_id}/complete",
                        _completion(order, started_at="2026-11-25T14:05", finished_at="2026-11-25T13:00"))
        unreadable = post(client, f"/services/jobs/{order_id}/complete",
                          _completion(order, **{f"quantity-{line_id}": "三", "materials": "-5"}))
    assert response.status_code == 422
    html = _html(response)
    assert "完工时间不能早于开工时间" in _between(html, "finished_at-field", "</div>")
    assert "全屋保洁, 油烟机清洗" in html and 'value="3.5"' in html and 'value="15"' in html
    assert 'value="清洁剂"' in html and 'value="2026-11-25T14:05"' in html and 'value="2026-11-25T13:00"' in html
    assert unreadable.status_code == 422
    bad = _html(unreadable)
    assert "error" in _between(bad, f"quantity-{line_id}-field", "</div>") and 'value="三"' in bad
    assert "error" in _between(bad, "materials-field", "</div>") and 'value="-5"' in bad
    order = _order(app, order_id)
    assert order.status == "in_progress" and order.work_done is None and order.lines[0].quantity_centi == 300


def test_svc06_completion_records_the_work_and_the_charge_and_hands_over_to_the_owner(app, client, world, login):
    with time_machine.travel(NOW, tick=False) as traveller:
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        _prepared(client, app, order_id, traveller)
        early = post(client, f"/services/jobs/{order_id}/complete", _completion(_order(app, order_id)))
        for step in OWNER_AT_HOME[1:]:
            _tick(client, order_id, step, headers=HX)
        traveller.move_to(APPOINTMENT + timedelta(hours=3, minutes=10))
        response = post(client, f"/services/jobs/{order_id}/complete", _completion(_order(app, order_id)))
        review = _html(client.get(response.location))
        trail = _html(client.get(f"/services/orders/{order_id}"))
    assert early.status_code == 422 and "入户检查未完成" in _html(early)
    assert response.status_code == 303 and response.location.endswith(f"/services/jobs/{order_id}/sign")
    order = _order(app, order_id)
    assert order.status == "completed" and order.work_done == "全屋保洁, 油烟机清洗"
    assert (order.lines_fen, order.materials_fen, order.total_fen) == (28000, 1500, 29500)
    assert order.finished_at == APPOINTMENT + timedelta(hours=3)
    assert "¥295.00" in _between(review, "signing-total", "</td>") and "清洁剂" in review
    assert "未接受任何馈赠" in trail and "已清点、整理好设备和用具" in trail
    assert _shown_hash(review) == order.hash_now


# ---------------------------------------------------------------------------- SVC-06/09 the owner's signature


def test_svc06_svc09_the_owner_signs_what_the_page_showed(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        review = _html(client.get(f"/services/jobs/{order_id}/sign"))
        shown = _shown_hash(review)
        response = _sign(client, order_id, shown)
        repeat = _sign(client, order_id, shown)  # a double submit
        job = _html(client.get(response.location))
    assert "全屋保洁, 油烟机清洗" in review and "¥255.00" in review and "¥80.00/小时" in review
    assert 'value="own业主"' in review  # the signer's name starts as the owner's
    assert response.status_code == 303 and response.location.endswith(f"/services/jobs/{order_id}#job-signature")
    assert repeat.status_code == 303
    (signature,) = _signatures(app)
    order = _order(app, order_id)
    assert order.status == "signed" and order.matches_now is True
    assert signature.content_hash == shown == order.hash_now
    assert (signature.signer_name, signature.satisfaction, signature.comment) == ("业主张三", 5, "很干净")
    assert signature.signed_at == APPOINTMENT + timedelta(hours=3, minutes=5)
    with app.app_context():
        stored = Image.open(io.BytesIO(store_from_app(app).open(signature.image_key)))
        # SVC-06: the signed order goes back for the quality check
        checks = db.session.scalars(sa.select(WorkItem).where(
            WorkItem.entity_id == order_id, WorkItem.kind == operations.QUALITY, WorkItem.done_at.is_(None)
        ).execution_options(all_projects=True)).all()
    assert stored.format == "PNG" and stored.convert("L").getextrema()[0] < 60
    assert [w.assignee_role for w in checks] == ["dept_supervisor"]
    assert 'class="badge badge-ok" id="job-signature-state"' in job
    assert f"/services/signatures/{signature.id}.png" in job


@pytest.mark.parametrize("drawn", ["", _data_url(_signature_png(strokes=False))], ids=["nothing", "blank-pad"])
def test_svc06_an_empty_signature_is_refused_next_to_the_pad_with_the_other_values_kept(app, client, world, login, drawn):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        shown = _shown_hash(_html(client.get(f"/services/jobs/{order_id}/sign")))
        response = _sign(client, order_id, shown, signature=drawn, signer_name="李四", comment="擦得很仔细", satisfaction="4")
    assert response.status_code == 422
    html = _html(response)
    assert "签名为空" in _between(html, "signature-error", "</p>")
    assert 'value="李四"' in html and "擦得很仔细" in html
    assert re.search(r'checked[^>]*value="4"|value="4"[^>]*checked', html)
    assert _signatures(app) == [] and _order(app, order_id).status == "completed"
    assert not any(Path(app.config["MEDIA_DIR"]).rglob("*.png"))


def test_svc06_a_missing_name_keeps_the_drawing_for_the_owner(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        shown = _shown_hash(_html(client.get(f"/services/jobs/{order_id}/sign")))
        drawn = _data_url(_signature_png())
        response = _sign(client, order_id, shown, signer_name="", signature=drawn)
    assert response.status_code == 422
    html = _html(response)
    assert "error" in _between(html, "signer_name-field", "</div>")
    assert f'value="{drawn}"' in html and _signatures(app) == []


def test_svc09_a_change_between_display_and_signing_is_refused(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        shown = _shown_hash(_html(client.get(f"/services/jobs/{order_id}/sign")))
        with app.app_context(), scoping.unrestricted():
            order = db.session.get(ServiceOrder, order_id)
            operations.edit_order(db.session, _user(db.session, world, "dept_supervisor"), order,
                                  {"materials_fen": 3000}, APPOINTMENT + timedelta(hours=3, minutes=5))
            db.session.commit()
        response = _sign(client, order_id, shown, comment="擦得很仔细")
        refusal = post(client, f"/services/jobs/{order_id}/refuse",
                       {"refusal-content_hash": shown, "refusal-reason": "收费与约定不符"})
    assert response.status_code == 409
    html = _html(response)
    assert "订单已更改" in _between(html, "signature-error", "</p>")
    assert "¥270.00" in _between(html, "signing-total", "</td>")
    fresh = _shown_hash(html)
    assert fresh != shown and fresh == _order(app, order_id).hash_now
    assert "擦得很仔细" in html and 'name="signature" value=""' in html
    assert refusal.status_code == 409 and "订单已更改" in _html(refusal)
    assert _signatures(app) == [] and _order(app, order_id).status == "completed"


def test_svc06_the_owner_may_refuse_to_sign_with_a_reason(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        review = _html(client.get(f"/services/jobs/{order_id}/sign"))
        shown = re.search(r'name="refusal-content_hash" type="hidden" value="([0-9a-f]{64})"', review).group(1)
        bare = post(client, f"/services/jobs/{order_id}/refuse", {"refusal-content_hash": shown, "refusal-reason": " "})
        refused = post(client, f"/services/jobs/{order_id}/refuse",
                       {"refusal-content_hash": shown, "refusal-reason": "收费与约定不符", "refusal-signer_name": "张三"})
        job = _html(client.get(refused.location))
    assert bare.status_code == 422
    assert "error" in _between(_html(bare), "refusal-reason-field", "</div>")
    assert "<details" in _html(bare) and 'id="signing-refusal" open' in _html(bare)
    assert refused.status_code == 303
    (signature,) = _signatures(app)
    assert signature.refused and signature.refusal_reason == "收费与约定不符" and signature.image_key is None
    assert signature.content_hash == shown
    assert _order(app, order_id).status == "signature_refused"
    assert "收费与约定不符" in _between(job, "job-signature", "</section>")


def test_svc06_the_signing_page_waits_for_the_recorded_work(app, client, world, login):
    with time_machine.travel(NOW, tick=False):
        order_id = _arrange(app, world)
        login(world.users[("staff", "own")])
        response = client.get(f"/services/jobs/{order_id}/sign")
    assert response.status_code == 303 and response.location.endswith(f"/services/jobs/{order_id}")


def test_svc09_a_signed_order_changed_later_is_back_in_my_jobs_to_sign_again(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        order_id = _arrange(app, world, completed=True)
        login(world.users[("staff", "own")])
        _sign(client, order_id, _shown_hash(_html(client.get(f"/services/jobs/{order_id}/sign"))))
        signed_list = _html(client.get("/services/jobs"))
        with app.app_context(), scoping.unrestricted():
            order = db.session.get(ServiceOrder, order_id)
            operations.edit_order(db.session, _user(db.session, world, "dept_supervisor"), order,
                                  {"work_done": "只做了厨房"}, APPOINTMENT + timedelta(hours=4))
            db.session.commit()
        changed_list = _html(client.get("/services/jobs"))
        job = _html(client.get(f"/services/jobs/{order_id}"))
        again = _html(client.get(f"/services/jobs/{order_id}/sign"))
    number = _order(app, order_id).number
    assert number not in signed_list
    assert "请业主重新签名" in _between(changed_list, f"job-row-{order_id}")
    assert 'class="badge badge-danger" id="job-signature-state"' in job
    assert 'id="signing-form"' in again and "只做了厨房" in again


def test_svc03_another_projects_job_is_not_found(app, client, world, login):
    with time_machine.travel(APPOINTMENT + timedelta(hours=3, minutes=5), tick=False):
        elsewhere = _arrange(app, world, where="other", completed=True)
        login(world.users[("staff", "own")])
        shown = _order(app, elsewhere).hash_now
        responses = [client.get(f"/services/jobs/{elsewhere}/sign"), _sign(client, elsewhere, shown),
                     post(client, f"/services/jobs/{elsewhere}/refuse", {"refusal-content_hash": shown,
                                                                         "refusal-reason": "x"})]
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert _signatures(app) == [] and _order(app, elsewhere).status == "completed"


def test_svc03_the_technicians_work_item_and_the_order_page_lead_to_the_job(app, client, world, login):
    with time_machine.travel(NOW, tick=False):
        order_id = _arrange(app, world)
        with app.app_context():
            links = set(db.session.scalars(
                sa.select(WorkItem.link).execution_options(all_projects=True)
                .where(WorkItem.entity_type == "service_orders", WorkItem.entity_id == order_id,
                       WorkItem.assignee_id.is_not(None))
            ))
        login(world.users[("staff", "own")])
        order_page = _html(client.get(f"/services/orders/{order_id}"))
        my_work = _html(client.get("/"))
    assert links == {f"/services/jobs/{order_id}"}
    assert f'id="open-job" href="/services/jobs/{order_id}"' in order_page
    assert f'href="/services/jobs/{order_id}"' in my_work
