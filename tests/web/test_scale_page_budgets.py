"""The pages people keep open all day run a fixed, small number of SQL statements: at
most ten per signed-in request, counting everything the request runs (loading the
session, the user and their roles, the page's own queries), and the same number for a
small and a ten-times larger estate. A page whose count grows with its rows is an N+1
that the bench would only find under load.

The monthly complaint summary is computed by SQL aggregation: besides a constant
statement count, the rows its queries hand back do not grow with the month's complaints.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, csrf_token
from webapp.complaints.models import (
    ComplaintCallback,
    ComplaintPause,
    CorrectiveAction,
    ExtensionRequest,
)
from webapp.core import audit, media
from webapp.core.notify import open_work
from webapp.estate.models import Building
from webapp.extensions import db
from webapp.org.models import Project, User

#: the ceiling for one request of a page under load
BUDGET = 10
SMALL, LARGE = 3, 30
# 10:00 in Shanghai on a Wednesday; the summary's report month is this one
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

_serial = itertools.count(1)


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _html(response) -> str:
    return response.get_data(as_text=True)


def _assert_budget(few: list[str], many: list[str], page: str) -> None:
    listing = "\n".join(f"  {n}. {s.splitlines()[0][:160]}" for n, s in enumerate(many, 1))
    assert len(few) == len(many), f"{page}: {len(few)} statements for {SMALL} rows, {len(many)} for {LARGE}:\n{listing}"
    assert len(many) <= BUDGET, f"{page}: {len(many)} statements (budget {BUDGET}):\n{listing}"


# ---------------------------------------------------------------------------- slips


def _fill_slips(app, world, count: int) -> None:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        staff = _user(world.users[("staff", "own")])
        for n in range(count):
            factories.make_slip(
                db.session,
                project,
                staff,
                urgent=n % 2 == 0,
                status=("filed", "escalated", "awaiting_verification", "assigned")[n % 4],
                responsible_department_id=world.own.department_id,
                facility_id=world.own.facility_id,
            )
        db.session.commit()


def _desk_slips(filled: int) -> int:
    """Of `filled` slips, those the desk queue shows (not the assigned ones)."""
    return sum(1 for n in range(filled) if n % 4 != 3)


def _urgent_slips(filled: int) -> int:
    return sum(1 for n in range(filled) if n % 2 == 0)


@time_machine.travel(MORNING, tick=False)
def test_scale_desk_queue_and_its_refresh_stay_within_ten_statements(app, client, world, login, queries):
    login(world.users[("receptionist", "own")])
    _fill_slips(app, world, SMALL)
    with queries() as few_page:
        assert client.get("/slips/desk").status_code == 200
    with queries() as few_fragment:
        assert client.get("/slips/desk", headers=HX).status_code == 200
    _fill_slips(app, world, LARGE - SMALL)
    with queries() as many_page:
        page = _html(client.get("/slips/desk"))
    with queries() as many_fragment:
        fragment = _html(client.get("/slips/desk", headers=HX))
    assert "<html" in page and "<html" not in fragment
    assert fragment.count('class="card slip-row') == _desk_slips(SMALL) + _desk_slips(LARGE - SMALL)
    _assert_budget(few_page, many_page, "GET /slips/desk")
    _assert_budget(few_fragment, many_fragment, "GET /slips/desk (HTMX refresh)")


@time_machine.travel(MORNING, tick=False)
def test_scale_filtered_slip_list_stays_within_ten_statements(app, client, world, login, queries):
    login(world.users[("cs_supervisor", "own")])
    _fill_slips(app, world, SMALL)
    with queries() as few_page:
        assert client.get("/slips/?status=open&urgent=1").status_code == 200
    with queries() as few_fragment:
        assert client.get("/slips/?status=open&urgent=1", headers=HX).status_code == 200
    _fill_slips(app, world, LARGE - SMALL)
    with queries() as many_page:
        page = _html(client.get("/slips/?status=open&urgent=1"))
    with queries() as many_fragment:
        fragment = _html(client.get("/slips/?status=open&urgent=1", headers=HX))
    assert "<html" in page and "<html" not in fragment
    assert fragment.count('class="card slip-row') == _urgent_slips(SMALL) + _urgent_slips(LARGE - SMALL)
    _assert_budget(few_page, many_page, "GET /slips/?status=open&urgent=1")
    _assert_budget(few_fragment, many_fragment, "GET /slips/?status=open&urgent=1 (HTMX)")


def _slip_form(client) -> dict:
    return {
        "csrf_token": csrf_token(client),
        "submission_key": f"budget-{next(_serial)}",
        "category": "facility",
        "description": "消防通道堆放杂物",
        "place_text": "3栋地下车库",
        "source": "seen_on_site",
    }


@time_machine.travel(MORNING, tick=False)
def test_scale_filing_a_slip_stays_within_ten_statements(app, client, world, login, queries):
    login(world.users[("staff", "own")])
    # the day's first slip also starts the day's number series: not the steady state
    assert client.post("/slips/new", data=_slip_form(client)).status_code == 303
    _fill_slips(app, world, SMALL)
    form = _slip_form(client)
    with queries() as few:
        response = client.post("/slips/new", data=form)
    assert response.status_code == 303 and "/slips/" in response.location
    _fill_slips(app, world, LARGE - SMALL)
    form = _slip_form(client)
    with queries() as many:
        response = client.post("/slips/new", data=form)
    assert response.status_code == 303 and "/slips/" in response.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("slips"))) == LARGE + 3
    _assert_budget(few, many, "POST /slips/new")


# ---------------------------------------------------------------------------- complaints


def _rich_complaint(app, world, items: int) -> int:
    """A complaint that has been through everything the detail page shows: the class
    confirmed, taken into handling, paused and resumed, extensions asked and decided,
    answered, called back, a corrective action, started from a ledger entry with photos,
    and a long trail; `items` of each."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        desk = _user(world.users[("receptionist", "own")])
        supervisor = _user(world.users[("cs_supervisor", "own")])
        complaint = factories.make_complaint(
            db.session,
            project,
            desk,
            complaint_class="important",
            status="closed",
            received_at=MORNING - timedelta(days=5),
            commitment_done_at=MORNING - timedelta(days=5),
            commitment_to_id=supervisor.id,
            complained_department_id=world.own.department_id,
            complained_user_id=supervisor.id,
            owner_id=world.own.owner_id,
            unit_id=world.own.unit_id,
            answered_at=MORNING - timedelta(days=2),
            answer="已更换灯管并致歉",
            measures="更换灯管",
            resolved_at=MORNING - timedelta(days=2),
            closed_at=MORNING - timedelta(days=1),
        )
        for n in range(items):
            started = MORNING - timedelta(days=4, hours=-n)
            db.session.add(ComplaintPause(
                project_id=project.id, complaint_id=complaint.id, started_at=started,
                ended_at=started + timedelta(minutes=30), reason="业主不在家", started_by_id=supervisor.id,
                ended_by_id=supervisor.id,
            ))
            db.session.add(ExtensionRequest(
                project_id=project.id, complaint_id=complaint.id, current_due_at=complaint.resolution_due_at,
                requested_due_at=complaint.resolution_due_at + timedelta(hours=n + 1), reason="等配件",
                requested_by_id=supervisor.id, requested_at=started, decision="approved",
                decided_by_id=supervisor.id, decided_at=started, note="同意",
            ))
            db.session.add(ComplaintCallback(
                project_id=project.id, complaint_id=complaint.id, method="phone", satisfaction="satisfied",
                comment="满意", called_by_id=desk.id, called_at=MORNING - timedelta(days=1),
            ))
            db.session.add(CorrectiveAction(
                project_id=project.id, complaint_id=complaint.id, owner_user_id=supervisor.id,
                root_cause="巡查不到位", correction="补换", preventive_action="每周巡查",
                recorded_by_id=supervisor.id, recorded_at=started, verification="effective",
                verified_by_id=supervisor.id, verified_at=started,
            ))
            audit.record(db.session, complaint, "complaint_answered", actor_id=supervisor.id,
                         from_state="in_progress", to_state="answered", changes={"answer": [None, "已更换"]})
        entry = factories.make_reception_entry(
            db.session, project, desk, status="routed", follow_up_type="complaints", follow_up_id=complaint.id
        )
        factories.make_reception_photos(
            db.session, entry, desk, media.store_from_app(app), count=min(items, 6), size=(64, 48)
        )
        db.session.commit()
        return complaint.id


@time_machine.travel(MORNING, tick=False)
def test_scale_complaint_detail_stays_within_ten_statements(app, client, world, login, queries):
    small = _rich_complaint(app, world, SMALL)
    large = _rich_complaint(app, world, LARGE)
    login(world.users[("cs_supervisor", "own")])
    with queries() as few:
        assert client.get(f"/complaints/{small}").status_code == 200
    with queries() as many:
        page = _html(client.get(f"/complaints/{large}"))
    assert "<html" in page and 'id="complaint-status"' in page
    assert page.count("等配件") == LARGE and page.count("reception-photos") == 1 and page.count("<img ") >= 6
    _assert_budget(few, many, "GET /complaints/<id>")


# ---------------------------------------------------------------------------- My work


def _fill_work(app, world, count: int) -> None:
    """Work of several kinds: addressed to the supervisor, to their role in the project,
    and to their role in their department."""
    with app.app_context():
        supervisor = _user(world.users[("dept_supervisor", "own")])
        kinds = ("slip_rectify", "complaint_commit", "reception_follow_up")
        for n in range(count):
            address = (
                {"assignee_id": supervisor.id},
                {"assignee_role": "dept_supervisor", "department_id": world.own.department_id},
                {"assignee_role": "dept_supervisor"},
            )[n % 3]
            open_work(
                db.session,
                project_id=world.own.id,
                kind=kinds[n % 3],
                title=f"待办 {next(_serial)}",
                link="/slips/",
                due_at=MORNING + timedelta(hours=n),
                **address,
            )
        db.session.commit()


@time_machine.travel(MORNING, tick=False)
def test_scale_my_work_stays_within_ten_statements(app, client, world, login, queries):
    login(world.users[("dept_supervisor", "own")])
    _fill_work(app, world, SMALL)
    with queries() as few:
        assert client.get("/").status_code == 200
    _fill_work(app, world, LARGE - SMALL)
    with queries() as many:
        page = _html(client.get("/"))
    assert "<html" in page and page.count("待办 ") == LARGE
    _assert_budget(few, many, "GET /")


# ---------------------------------------------------------------------------- the summary


def _fill_month(app, world, count: int) -> None:
    """`count` complaints of this report month, each from a unit of its own (none repeats
    another), with a pause and a call-back. They share their class, department, cause and
    the owner's satisfaction: grouped, they come back as the same few rows however many
    there are, while a row per complaint or pause would grow with them."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        building = db.session.get(Building, world.own.building_id)
        desk = _user(world.users[("receptionist", "own")])
        for n in range(count):
            received = MORNING - timedelta(days=1 + n % 20, hours=n % 7)
            complaint = factories.make_complaint(
                db.session,
                project,
                desk,
                complaint_class="important",
                status=("received", "in_progress", "closed")[n % 3],
                received_at=received,
                complained_department_id=world.own.department_id,
                unit_id=factories.make_unit(db.session, building).id,
                cause="维修不及时",
            )
            db.session.add(ComplaintPause(
                project_id=project.id, complaint_id=complaint.id, started_at=received + timedelta(hours=1),
                ended_at=received + timedelta(hours=3), reason="等配件", started_by_id=desk.id,
            ))
            db.session.add(ComplaintCallback(
                project_id=project.id, complaint_id=complaint.id, method="phone", satisfaction="satisfied",
                called_by_id=desk.id, called_at=received + timedelta(days=1),
            ))
        db.session.commit()


class _CountingCursor:
    """A DBAPI cursor that adds up the rows fetched from it (any driver)."""

    def __init__(self, cursor, counts: list[int]):
        self._cursor = cursor
        self._counts = counts
        counts.append(0)
        self._index = len(counts) - 1

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def fetchall(self):
        rows = self._cursor.fetchall()
        self._counts[self._index] += len(rows)
        return rows

    def fetchmany(self, *args):
        rows = self._cursor.fetchmany(*args)
        self._counts[self._index] += len(rows)
        return rows

    def fetchone(self):
        row = self._cursor.fetchone()
        self._counts[self._index] += row is not None
        return row


@contextmanager
def fetched_rows(app) -> Iterator[list[int]]:
    """The rows each statement run inside the block handed back to Python."""
    counts: list[int] = []
    with app.app_context():
        engine = db.engine

    def after(conn, cursor, statement, parameters, context, executemany):
        # the result is built from context.cursor right after this hook
        if context is not None and context.cursor is cursor:
            context.cursor = _CountingCursor(cursor, counts)

    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)


@time_machine.travel(MORNING, tick=False)
def test_scale_monthly_complaint_summary_is_aggregated_in_sql(app, client, world, login, queries):
    login(world.users[("pm", "own")])
    path = f"/complaints/summary?project={world.own.id}&month=2026-11"
    _fill_month(app, world, SMALL)
    with queries() as few, fetched_rows(app) as few_rows:
        assert client.get(path).status_code == 200
    _fill_month(app, world, LARGE - SMALL)
    with queries() as many, fetched_rows(app) as many_rows:
        page = _html(client.get(path))
    assert "<html" in page
    figures = dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', page))
    assert (figures["received"], figures["pauses"], figures["callbacks"], figures["repeats"]) == (
        str(LARGE), str(LARGE), str(LARGE), "0")
    _assert_budget(few, many, "GET /complaints/summary")
    assert sum(many_rows) == sum(few_rows), (
        f"the summary fetched {sum(few_rows)} rows for {SMALL} complaints and {sum(many_rows)} for {LARGE}: "
        f"{few_rows} / {many_rows}"
    )
