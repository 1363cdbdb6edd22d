"""The audit trail through the app (ORG-03, ASVS V16 security logging, V11 integrity).

1. Nothing in the app changes or deletes an audit event: no module outside
   webapp/core/audit*.py writes an UPDATE or DELETE of AuditEvent (read from the source,
   like tests/unit/test_architecture.py); a request that tries anyway is refused by the
   ORM guard with the event kept (tests/integration/test_audit_trail.py holds the
   guard's own cases); and while the main workflows below run, the database sees no
   UPDATE, DELETE or TRUNCATE of audit_events at all.
2. Each state change through the real routes writes exactly one audit event on its
   record, named after the step; a refused POST (422, 409, 403) writes none anywhere.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from tests.web.test_activity_plans import NOW as PLAN_NOW
from tests.web.test_activity_plans import _new_url, _plan_data, _sign_in, _version
from tests.web.test_paid_service_jobs import HASH_FIELD
from tests.web.test_paid_service_orders import (  # noqa: F401 - `services` is a fixture
    APPOINTMENT,
    CONDUCT,
    OWNER_AT_HOME,
    PRE_DEPARTURE,
    services,
)
from tests.web.test_paid_service_orders import _form as _order_form
from webapp.activities.models import ActivityPlan
from webapp.complaints.models import Complaint
from webapp.core import scoping
from webapp.core.audit import AuditTrailIsAppendOnly
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Department, Project, RoleAssignment, User
from webapp.paid_services.models import ServiceOrder
from webapp.reception.models import ReceptionEntry, RepairWorkOrder
from webapp.slips.models import Slip

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
#: the trail's own home: the only modules that may speak of changing events (to refuse it)
AUDIT_HOME = {WEBAPP / "core" / "audit.py", WEBAPP / "core" / "audit_ddl.py"}

# 10:00 in Shanghai on a Wednesday
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

#: any statement that would rewrite or remove rows of the trail
REWRITE = re.compile(r"^\s*(UPDATE|DELETE\s+FROM|TRUNCATE)\b[^;]*\baudit_events\b", re.I | re.S)


# ---------------------------------------------------------------------------- 1. the source


def _audit_names(tree: ast.AST) -> set[str]:
    """Local names bound to the AuditEvent class or its table in one module."""
    names = {"AuditEvent"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "AuditEvent"}
    return names


def _is_audit(node: ast.AST, names: set[str]) -> bool:
    """`AuditEvent`, `AuditEvent.__table__`, or a string literal naming the table."""
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):
        return _is_audit(node.value, names)
    return False


def audit_rewrites(source: str) -> list[str]:
    """Where a module updates or deletes audit events: sa.update/sa.delete/update()/delete()
    of AuditEvent (or its table), AuditEvent.__table__.update()/.delete(), a query's
    .update()/.delete() over AuditEvent, and UPDATE/DELETE/TRUNCATE of audit_events in SQL
    text. Returns "line: what" for each."""
    tree = ast.parse(source)
    names = _audit_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if callee in {"update", "delete"}:
                # sa.update(AuditEvent) / delete(AuditEvent.__table__)
                if node.args and _is_audit(node.args[0], names):
                    found.append(f"{node.lineno}: {callee}({ast.unparse(node.args[0])})")
                # AuditEvent.__table__.update() / session.query(AuditEvent)....delete()
                elif isinstance(func, ast.Attribute) and any(
                    _is_audit(inner, names) for inner in ast.walk(func.value)
                    if isinstance(inner, (ast.Name, ast.Attribute))
                ):
                    found.append(f"{node.lineno}: {ast.unparse(func)}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and REWRITE.search(node.value):
            found.append(f"{node.lineno}: {node.value.strip()[:60]}")
    return found


def test_sec_no_code_outside_the_audit_module_updates_or_deletes_audit_events():
    modules = [p for p in WEBAPP.rglob("*.py") if p not in AUDIT_HOME]
    assert len(modules) > 100  # the whole app is read, not an empty folder
    offenders = {
        str(path.relative_to(ROOT)): hits
        for path in modules
        if (hits := audit_rewrites(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "audit events are append-only (ORG-03): record a new event instead"


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa\nfrom webapp.core.models import AuditEvent\nsa.update(AuditEvent).values(note='x')",
        "from sqlalchemy import delete\nfrom webapp.core.models import AuditEvent as E\ndelete(E).where(E.id == 1)",
        "from webapp.core.models import AuditEvent\nAuditEvent.__table__.delete()",
        "from webapp.core.models import AuditEvent\nAuditEvent.__table__.update().values(note='x')",
        "from webapp.core.models import AuditEvent\nsession.query(AuditEvent).filter_by(id=1).update({'note': 'x'})",
        "session.execute(sa.text('DELETE FROM audit_events WHERE id = 1'))",
        "session.execute(sa.text('update audit_events set note = 1'))",
        "connection.exec_driver_sql('TRUNCATE audit_events')",
    ],
    ids=["sa.update", "delete-aliased", "table.delete", "table.update", "query.update", "sql-delete",
         "sql-update-lowercase", "sql-truncate"],
)
def test_sec_the_source_check_finds_each_way_of_rewriting_the_trail(source):
    assert audit_rewrites(source), source


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa\nfrom webapp.core.models import AuditEvent\nsa.select(AuditEvent)",
        "from webapp.core.models import AuditEvent\nsession.add(AuditEvent(action='x'))",
        "import sqlalchemy as sa\nfrom webapp.slips.models import Slip\nsa.update(Slip).values(note='x')",
        "session.execute(sa.text('INSERT INTO audit_events (action) VALUES (1)'))",
    ],
    ids=["select", "add", "update-another-table", "sql-insert"],
)
def test_sec_the_source_check_leaves_reading_and_appending_alone(source):
    assert audit_rewrites(source) == []


@pytest.mark.parametrize("how", ["change-object", "delete-object", "bulk-update", "bulk-delete"])
def test_sec_a_request_that_tries_to_rewrite_an_event_fails_and_the_event_stays(app, client, world, login, how):
    """A route that went wrong (here one added for the test) gets the ORM's refusal: the
    request fails with the app's error page, nothing of the trail changes, and the next
    request works."""
    attempts = {
        "change-object": lambda e: setattr(e, "note", "rewritten"),
        "delete-object": lambda e: db.session.delete(e),
        "bulk-update": lambda e: db.session.execute(sa.update(AuditEvent).values(note="rewritten")),
        "bulk-delete": lambda e: db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == e.id)),
    }

    def rogue():
        event = db.session.scalars(sa.select(AuditEvent).execution_options(all_projects=True)).first()
        attempts[how](event)
        db.session.commit()
        return "done"

    app.add_url_rule("/rogue-audit-edit", "rogue_audit_edit", rogue, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(world.users[("admin", None)])
    response = post(client, f"/admin/users/{_user_id(app, world, 'staff')}/disable")
    assert response.status_code == 303
    before = _all_events(app)
    assert before
    response = post(client, "/rogue-audit-edit")
    # the app's own error page (it queries the database too, after a rollback)
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)
    assert _all_events(app) == before
    assert client.get("/").status_code == 200


def test_sec_the_orm_guard_answers_for_the_request_session(app):
    """The guard is bound to the session class the requests use, not only to the tests'."""
    with app.test_request_context("/"):
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.execute(sa.delete(AuditEvent))
        db.session.rollback()


# ---------------------------------------------------------------------------- 2. one event per step


def _all_events(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEvent.id, AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.action,
                      AuditEvent.note, AuditEvent.changes, AuditEvent.actor_id)
            .order_by(AuditEvent.id).execution_options(all_projects=True)
        ).all()
        return [tuple(r) for r in rows]


def _user_id(app, world, role, where="own") -> int:
    with app.app_context():
        key = (role, where) if (role, where) in world.users else (role, None)
        return db.session.scalar(sa.select(User.id).where(User.username == world.users[key]))


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


@dataclass
class Trail:
    """Counts the events of the records a test walks through; sees every statement."""

    app: object
    rewrites: list[str] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)
    refusals: int = 0

    def events(self, kind: str, record_id: int) -> list[tuple[int, str]]:
        with self.app.app_context():
            return list(db.session.execute(
                sa.select(AuditEvent.id, AuditEvent.action)
                .where(AuditEvent.entity_type == kind, AuditEvent.entity_id == record_id)
                .order_by(AuditEvent.id).execution_options(all_projects=True)
            ).all())

    def last_id(self) -> int:
        with self.app.app_context():
            return db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0)).execution_options(all_projects=True)
            )

    def version(self, model, record_id: int) -> str:
        with self.app.app_context(), scoping.unrestricted():
            return str(db.session.get(model, record_id).version)

    def step(self, client, path: str, data: dict | None, *, record: tuple[str, int], action: str,
             status: int = 303, **kwargs):
        """POST one state change: exactly one new event on `record`, named `action`."""
        kind, record_id = record
        before = {i for i, _ in self.events(kind, record_id)}
        response = post(client, path, data, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:2000])
        new = [a for i, a in self.events(kind, record_id) if i not in before]
        assert new == [action], f"{path}: {len(new)} events on {kind} {record_id}: {new}"
        self.steps.append((kind, action))
        return response

    def create(self, client, path: str, data: dict, *, kind: str, action: str, pattern: str):
        """POST that creates a record (its id read from where the answer leads): exactly
        one event on the new record."""
        last = self.last_id()
        response = post(client, path, data)
        assert response.status_code == 303, (path, response.status_code, response.get_data(as_text=True)[:2000])
        record_id = int(re.search(pattern, response.location).group(1))
        new = [a for i, a in self.events(kind, record_id) if i > last]
        assert new == [action], f"{path}: {len(new)} events on the new {kind} {record_id}: {new}"
        self.steps.append((kind, action))
        return record_id

    def refused(self, client, path: str, data: dict | None, *, status: int, **kwargs):
        """A refused POST: the expected status and not a single new event anywhere."""
        last = self.last_id()
        response = post(client, path, data, **kwargs)
        assert response.status_code == status, (path, response.status_code)
        assert self.last_id() == last, f"{path} was refused ({status}) but wrote an audit event"
        self.refusals += 1
        return response

    def assert_only_appended(self):
        assert self.rewrites == [], "the trail was rewritten"


@pytest.fixture
def trail(app):
    """A Trail, with every SQL statement on the app's engine checked for a rewrite of
    audit_events (any user of the app: routes, jobs run in the request, listeners)."""
    found = Trail(app)
    with app.app_context():
        engine = db.engine

    def watch(conn, cursor, statement, parameters, context, executemany):
        if REWRITE.search(statement):
            found.rewrites.append(statement)

    sa.event.listen(engine, "before_cursor_execute", watch)
    yield found
    sa.event.remove(engine, "before_cursor_execute", watch)


# ---------------------------------------------------------------------------- slips


def test_sec_a_slip_from_filing_to_closed_writes_one_event_per_step(app, client, world, login, trail):
    own = world.own
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("staff", "own")])
        slip_id = trail.create(client, "/slips/new", {
            "submission_key": "k-trail-slip", "category": "facility", "description": "消防通道堆放杂物",
            "place_text": "3栋地下车库", "source": "owner", "unit_id": str(own.unit_id),
            "owner_contact": "王女士 13812345678",
        }, kind="slips", action="slip_filed", pattern=r"/slips/(\d+)$")
        slip = ("slips", slip_id)
        # the same filing sent twice (a phone retrying) is one slip with one event
        last = trail.last_id()
        again = post(client, "/slips/new", {
            "submission_key": "k-trail-slip", "category": "facility", "description": "消防通道堆放杂物",
            "place_text": "3栋地下车库", "source": "owner", "unit_id": str(own.unit_id),
            "owner_contact": "王女士 13812345678",
        })
        assert again.status_code == 303 and again.location.endswith(f"/slips/{slip_id}")
        assert trail.last_id() == last

        def act(verb, data=None, **kwargs):
            return trail.step(client, f"/slips/{slip_id}/{verb}",
                              {"version": trail.version(Slip, slip_id), **(data or {})}, record=slip, **kwargs)

        _switch(client, login, world.users[("receptionist", "own")])
        trail.refused(client, f"/slips/{slip_id}/withdraw", {"version": trail.version(Slip, slip_id)}, status=403)
        trail.refused(client, f"/slips/{slip_id}/receive",
                      {"version": "0", "department_id": str(own.department_id)}, status=409)
        trail.refused(client, f"/slips/{slip_id}/receive",
                      {"version": trail.version(Slip, slip_id), "department_id": ""}, status=422)
        act("receive", {"department_id": str(own.department_id)}, action="slip_received")

        _switch(client, login, world.users[("dept_supervisor", "own")])
        trail.refused(client, f"/slips/{slip_id}/escalate",
                      {"version": trail.version(Slip, slip_id), "plan": "等待配件", "new_due": "2026-11-20T18:00"},
                      status=422)
        act("escalate", {"plan": "需更换水泵，等待配件", "new_due": "2026-11-28T18:00"}, action="slip_escalated")
        measures = {"measures_who": "保安李四", "measures_how": "清走杂物", "measures_when": "2026-11-25T11:00"}
        act("measures", measures, action="slip_measures")
        act("done", action="slip_done")

        _switch(client, login, world.users[("cs_supervisor", "own")])
        trail.refused(client, f"/slips/{slip_id}/verify",
                      {"version": trail.version(Slip, slip_id), "result": "fail"}, status=422)
        act("verify", {"result": "fail", "note": "仍有纸箱"}, action="slip_verification_failed")

        _switch(client, login, world.users[("dept_supervisor", "own")])
        act("measures", measures, action="slip_measures")
        act("done", action="slip_done")

        _switch(client, login, world.users[("cs_supervisor", "own")])
        act("verify", {"result": "pass"}, action="slip_verified")
        trail.refused(client, f"/slips/{slip_id}/callback",
                      {"version": trail.version(Slip, slip_id), "method": "phone", "owner_response": ""}, status=422)
        act("callback", {"method": "phone", "owner_response": "业主表示满意", "satisfied": "y"},
            action="slip_called_back")
    with app.app_context():
        assert db.session.get(Slip, slip_id, execution_options={"all_projects": True}).status == "closed"
    assert len(trail.steps) == 10 and trail.refusals == 6
    trail.assert_only_appended()


# ---------------------------------------------------------------------------- complaints


def test_sec_a_complaint_from_recording_to_callback_writes_one_event_per_step(app, client, world, login, trail):
    with time_machine.travel(MORNING, tick=False) as traveller:
        login(world.users[("receptionist", "own")])
        complaint_id = trail.create(client, "/complaints/new", {
            "submission_key": "k-trail-complaint", "channel": "phone", "event_time": "2026-11-25T09:30",
            "event_place": "3栋大堂", "complained_person": "夜班保安", "description": "楼道灯坏了一周无人修",
            "owner_request": "尽快修好", "owner_contact": "王女士 13900001111", "complaint_class": "minor",
        }, kind="complaints", action="complaint_recorded", pattern=r"/complaints/(\d+)$")
        complaint = ("complaints", complaint_id)

        def act(verb, data=None, **kwargs):
            return trail.step(client, f"/complaints/{complaint_id}/{verb}",
                              {"version": trail.version(Complaint, complaint_id), **(data or {})},
                              record=complaint, **kwargs)

        _switch(client, login, world.users[("staff", "own")])
        trail.refused(client, f"/complaints/{complaint_id}/commit",
                      {"version": trail.version(Complaint, complaint_id)}, status=403)
        _switch(client, login, world.users[("pm", "own")])
        trail.refused(client, f"/complaints/{complaint_id}/commit", {"version": "0"}, status=409)
        act("commit", action="complaint_committed")
        act("start", action="complaint_started")
        traveller.shift(timedelta(hours=1))
        act("pause", {"wait_reason": "等待业主在家"}, action="complaint_paused")
        traveller.shift(timedelta(hours=1))
        act("resume", action="complaint_resumed")
        trail.refused(client, f"/complaints/{complaint_id}/answer",
                      {"version": trail.version(Complaint, complaint_id), "answer": ""}, status=422)
        act("answer", {"answer": "已安排维修部今天更换灯具", "still_open": "y"}, action="complaint_answered")
        act("resolve", {"measures": "维修部更换灯具", "cause": "巡查漏报", "responsible_person": "维修部张某"},
            action="complaint_resolved")
        _switch(client, login, world.users[("receptionist", "own")])
        trail.refused(client, f"/complaints/{complaint_id}/callback",
                      {"version": trail.version(Complaint, complaint_id), "method": "phone"}, status=422)
        act("callback", {"method": "phone", "satisfaction": "satisfied"}, action="complaint_called_back")
    with app.app_context():
        assert db.session.get(Complaint, complaint_id, execution_options={"all_projects": True}).status == "closed"
    assert len(trail.steps) == 8 and trail.refusals == 4
    trail.assert_only_appended()


# ---------------------------------------------------------------------------- paid services


def test_sec_a_paid_service_from_registration_to_closed_writes_one_event_per_step(
    app, client, world, services, login, trail  # noqa: F811 - the imported fixture
):
    with time_machine.travel(MORNING, tick=False) as traveller:
        login(world.users[("receptionist", "own")])
        order_id = trail.create(client, "/services/orders/new", _order_form(world, services),
                                kind="service_orders", action="service_order_registered",
                                pattern=r"/services/orders/(\d+)$")
        order = ("service_orders", order_id)

        def act(path, data=None, *, versioned=True, **kwargs):
            data = dict(data or {})
            if versioned:
                data["version"] = trail.version(ServiceOrder, order_id)
            return trail.step(client, path, data, record=order, **kwargs)

        _switch(client, login, world.users[("dept_supervisor", "own")])
        trail.refused(client, f"/services/orders/{order_id}/dispatch",
                      {"version": trail.version(ServiceOrder, order_id),
                       "technicians": str(services.own.uncleared_id)}, status=422)
        act(f"/services/orders/{order_id}/dispatch", {"technicians": str(services.own.technician_id)},
            action="service_order_dispatched")

        _switch(client, login, world.users[("staff", "own")])
        traveller.move_to(APPOINTMENT - timedelta(minutes=30))
        act(f"/services/jobs/{order_id}/start", action="service_order_started")
        for n, item in enumerate(PRE_DEPARTURE + OWNER_AT_HOME):
            traveller.move_to(APPOINTMENT + timedelta(minutes=n - len(PRE_DEPARTURE) + 1))
            act(f"/services/jobs/{order_id}/tick", {"item": item}, versioned=False, status=200, headers=HX,
                action="service_checklist_ticked")
        traveller.move_to(APPOINTMENT + timedelta(hours=3, minutes=10))
        with app.app_context(), scoping.unrestricted():
            line_id = db.session.get(ServiceOrder, order_id).lines[0].id
        completion = {"work_done": "全屋保洁", f"quantity-{line_id}": "2.5", "materials": "15",
                      "materials_note": "清洁剂", "started_at": "2026-11-25T14:05",
                      "finished_at": "2026-11-25T17:00", "conduct": [c.value for c in CONDUCT]}
        trail.refused(client, f"/services/jobs/{order_id}/complete",
                      {**completion, "version": trail.version(ServiceOrder, order_id), "conduct": []}, status=422)
        act(f"/services/jobs/{order_id}/complete", completion, action="service_order_completed")

        shown = HASH_FIELD.search(client.get(f"/services/jobs/{order_id}/sign").get_data(as_text=True)).group(1)
        from tests.web.test_paid_service_jobs import _data_url, _signature_png

        signing = {"signer_name": "业主张三", "satisfaction": "5", "comment": "很干净",
                   "signature": _data_url(_signature_png())}
        trail.refused(client, f"/services/jobs/{order_id}/sign", {**signing, "content_hash": "0" * 64}, status=409)
        act(f"/services/jobs/{order_id}/sign", {**signing, "content_hash": shown}, versioned=False,
            action="service_order_signed")
        # a double submit of the same signature is no second signing
        before = trail.last_id()
        assert post(client, f"/services/jobs/{order_id}/sign", {**signing, "content_hash": shown}).status_code == 303
        assert trail.last_id() == before

        _switch(client, login, world.users[("cs_supervisor", "own")])
        trail.refused(client, f"/services/orders/{order_id}/quality",
                      {"version": trail.version(ServiceOrder, order_id), "result": "unqualified", "note": ""},
                      status=422)
        act(f"/services/orders/{order_id}/quality", {"result": "qualified", "note": "复查合格"},
            action="service_order_checked")
    with app.app_context(), scoping.unrestricted():
        assert db.session.get(ServiceOrder, order_id).status == "closed"
    assert len(trail.steps) == 15 and trail.refusals == 4
    trail.assert_only_appended()


# ---------------------------------------------------------------------------- reception


def test_sec_reception_entries_write_one_event_per_step(app, client, world, login, trail):
    own = world.own
    with app.app_context():
        project = db.session.get(Project, own.id)
        maintenance = factories.make_department(db.session, project, "maintenance", "维修部")
        technician = factories.make_user(db.session, "own.maint.tech", roles=[("staff", project, maintenance)])
        desk = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        qr_entry = factories.make_reception_entry(db.session, project, desk, channel="qr_form",
                                                  reported_unit="1栋1502", contact=None).id
        db.session.commit()
        maintenance_id, technician_name = maintenance.id, technician.username

    def log(key):
        return trail.create(client, "/reception/new", {
            "submission_key": key, "channel": "visit", "owner_choice": f"{own.unit_id}:{own.owner_id}",
            "content": "卫生间天花板渗水",
        }, kind="reception_entries", action="reception_logged", pattern=r"/reception/(\d+)")

    def entry_step(entry_id, verb, data=None, **kwargs):
        return trail.step(client, f"/reception/{entry_id}/{verb}",
                          {"version": trail.version(ReceptionEntry, entry_id), **(data or {})},
                          record=("reception_entries", entry_id), **kwargs)

    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        # a note: routed and closed out
        note = log("k-trail-note")
        entry_step(note, "start/note", action="reception_routed")
        trail.refused(client, f"/reception/{note}/discard",
                      {"version": trail.version(ReceptionEntry, note), "reason": "重复登记"}, status=422)
        entry_step(note, "close", {"remark": "已告知"}, action="reception_closed")
        # a duplicate: discarded, with its reason
        duplicate = log("k-trail-duplicate")
        trail.refused(client, f"/reception/{duplicate}/discard",
                      {"version": trail.version(ReceptionEntry, duplicate)}, status=422)
        entry_step(duplicate, "discard", {"reason": "重复登记"}, action="reception_discarded")
        # an owner's QR message: matched to the unit and owner
        entry_step(qr_entry, "match", {"owner_choice": f"{own.unit_id}:{own.owner_id}"},
                   action="reception_matched")
        # a repair: the entry is routed, the work order dispatched
        repair = log("k-trail-repair")
        last = trail.last_id()
        entry_step(repair, "start/work-order", {"department_id": str(maintenance_id), "unit_id": str(own.unit_id),
                                                "problem": "卫生间天花板渗水"}, action="reception_routed")
        with app.app_context():
            order_id = db.session.scalar(sa.select(RepairWorkOrder.id).order_by(RepairWorkOrder.id.desc()))
        assert [a for i, a in trail.events("repair_work_orders", order_id) if i > last] == ["work_order_dispatched"]

        def order_step(verb, data=None, **kwargs):
            return trail.step(client, f"/reception/work-orders/{order_id}/{verb}",
                              {"version": trail.version(RepairWorkOrder, order_id), **(data or {})},
                              record=("repair_work_orders", order_id), **kwargs)

        _switch(client, login, technician_name)
        trail.refused(client, f"/reception/work-orders/{order_id}/done",
                      {"version": trail.version(RepairWorkOrder, order_id), "work_done": ""}, status=422)
        order_step("done", {"work_done": "更换防水层"}, action="work_order_done")
        trail.refused(client, f"/reception/work-orders/{order_id}/close",
                      {"version": trail.version(RepairWorkOrder, order_id)}, status=403)
        _switch(client, login, world.users[("receptionist", "own")])
        order_step("callback", {"method": "phone", "owner_response": "不再渗水", "fixed": "yes"},
                   action="work_order_called_back")
        order_step("close", action="work_order_closed")
        entry_step(repair, "close", {"remark": "维修完成"}, action="reception_closed")
    assert len(trail.steps) == 12 and trail.refusals == 4
    trail.assert_only_appended()


# ---------------------------------------------------------------------------- activity plans


def test_sec_an_activity_plan_through_its_approval_writes_one_event_per_step(app, client, world, login, trail):
    with time_machine.travel(PLAN_NOW, tick=False):
        _sign_in(client, login, world, "publicist")
        plan_id = trail.create(client, _new_url(world), _plan_data(submission_key="k-trail-plan"),
                               kind="activity_plans", action="plan_drafted",
                               pattern=r"/activities/plans/(\d+)$")
        plan = ("activity_plans", plan_id)

        def act(action, **data):
            page = client.get(f"/activities/plans/{plan_id}").get_data(as_text=True)
            data.setdefault("version", _version(page, action.replace("_", "-")))
            return trail.step(client, f"/activities/plans/{plan_id}/{action}", data, record=plan, action=action)

        form = client.get(f"/activities/plans/{plan_id}/edit").get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
        trail.step(client, f"/activities/plans/{plan_id}/edit",
                   _plan_data(version=version, **{"activities-0-name": "元宵灯谜会"}), record=plan,
                   action="plan_edited")
        act("submit")
        trail.refused(client, f"/activities/plans/{plan_id}/pm_confirm",
                      {"version": trail.version(ActivityPlan, plan_id)}, status=403)
        _sign_in(client, login, world, "pm")
        trail.refused(client, f"/activities/plans/{plan_id}/pm_return",
                      {"version": trail.version(ActivityPlan, plan_id), "reasons": " "}, status=422)
        act("pm_return", reasons="预算偏高,请压缩奖品费用")
        _sign_in(client, login, world, "publicist")
        act("submit")
        _sign_in(client, login, world, "pm")
        act("pm_confirm")
        _sign_in(client, login, world, "vp", None)
        trail.refused(client, f"/activities/plans/{plan_id}/vp_approve",
                      {"version": trail.version(ActivityPlan, plan_id)}, status=422)
        act("vp_approve", content_confirmed="y")
    with app.app_context():
        assert db.session.get(ActivityPlan, plan_id).status == "approved"
    assert len(trail.steps) == 7 and trail.refusals == 3
    trail.assert_only_appended()


# ---------------------------------------------------------------------------- administration


def test_sec_disabling_enabling_and_granting_write_one_event_each(app, client, world, login, trail):
    login(world.users[("admin", None)])
    staff = _user_id(app, world, "staff")
    me = _user_id(app, world, "admin", None)
    user = ("users", staff)
    trail.step(client, f"/admin/users/{staff}/disable", {}, record=user, action="deactivated")
    # disabling again changes nothing and says nothing
    last = trail.last_id()
    assert post(client, f"/admin/users/{staff}/disable").status_code == 303
    assert trail.last_id() == last
    trail.step(client, f"/admin/users/{staff}/enable", {}, record=user, action="activated")
    trail.refused(client, f"/admin/users/{staff}/grants",
                  {"role": "staff", "project": str(world.own.id), "department": ""}, status=422)
    trail.step(client, f"/admin/users/{staff}/grants",
               {"role": "dept_supervisor", "project": str(world.own.id), "department": str(world.own.department_id)},
               record=user, action="role_granted")
    with app.app_context():
        grant_id = db.session.scalar(sa.select(RoleAssignment.id).where(
            RoleAssignment.user_id == staff, RoleAssignment.role == "dept_supervisor"))
    trail.step(client, f"/admin/users/{staff}/grants/{grant_id}/revoke", {}, record=user, action="role_revoked")
    # the admin's own account: refused (a message, no change, no event)
    last = trail.last_id()
    assert post(client, f"/admin/users/{me}/disable").status_code == 303
    assert trail.last_id() == last
    # someone without the right: 403, nothing written
    _switch(client, login, world.users[("pm", "own")])
    trail.refused(client, f"/admin/users/{staff}/disable", {}, status=403)
    with app.app_context():
        assert db.session.get(User, staff).active
        assert db.session.get(Department, world.own.department_id) is not None
    assert len(trail.steps) == 4 and trail.refusals == 2
    trail.assert_only_appended()


def test_sec_the_statement_watch_sees_a_rewrite_of_the_trail(app, trail):
    """The watch used above is not blind: a rewrite that reaches the database is seen."""
    with app.app_context(), db.engine.connect() as connection:
        connection.execute(sa.text("UPDATE audit_events SET note = note WHERE 1 = 0"))
        connection.rollback()
    assert len(trail.rewrites) == 1 and "UPDATE audit_events" in trail.rewrites[0]
