"""Two `flask sla sweep` runs at the same moment on PostgreSQL (CMP-02 c, CMP-08): the
candidate rows are taken FOR UPDATE SKIP LOCKED, so each complaint is upgraded by one
sweep only, each breach notice is sent once, and neither sweep waits for the other.

Each sweep runs in its own thread with its own app context, hence its own session and
pooled connection, as two machines' timers would. The moment both have taken their
candidates is forced: a listener holds each sweep right after its candidate query until
the other has run its own. A sweep that read rows the other holds would act twice (or
trip the unique dedupe index); one that waited for them never reaches that rendezvous.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import click
import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from webapp.cli import sla_cli
from webapp.complaints import operations
from webapp.complaints.models import Complaint, CorrectiveAction
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.extensions import db
from webapp.org.models import Project, User

SWEEP_AT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
#: long enough for a slow machine; only a sweep that waits for the other's rows needs it all
RENDEZVOUS_SECONDS = 10
OVERDUE_BY_A_MONTH = 8  # per project
BREACHED_RECENTLY = 6  # per project


@pytest.fixture(autouse=True)
def only_postgresql(database):
    if database != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite lets one writer in at a time")


def arrange(app, world) -> tuple[list[int], list[int]]:
    """In both projects: complaints unresolved for 40 days (to upgrade) and recent ones
    past their commitment, handling-start or resolution clocks (to notify)."""
    upgradable, breached = [], []
    with app.app_context():
        receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        for side in (world.own, world.other):
            project = db.session.get(Project, side.id)
            for index in range(OVERDUE_BY_A_MONTH):
                complaint = factories.make_complaint(
                    db.session,
                    project,
                    receptionist,
                    complaint_class="important" if index % 2 else "minor",
                    status="in_progress",
                    received_at=SWEEP_AT - timedelta(days=40, hours=index),
                    commitment_done_at=SWEEP_AT - timedelta(days=40, hours=index) + timedelta(minutes=30),
                    complained_department_id=side.department_id,
                )
                upgradable.append(complaint.id)
            for index in range(BREACHED_RECENTLY):
                if index % 2:  # an important one nobody took into handling within its hour
                    complaint = factories.make_complaint(
                        db.session,
                        project,
                        receptionist,
                        complaint_class="important",
                        received_at=SWEEP_AT - timedelta(hours=3 + index),
                        complained_department_id=side.department_id,
                    )
                else:  # a minor one taken in, never started, past its 2 days
                    received = SWEEP_AT - timedelta(days=3, hours=index)
                    complaint = factories.make_complaint(
                        db.session,
                        project,
                        receptionist,
                        complaint_class="minor",
                        status="committed",
                        received_at=received,
                        commitment_done_at=received + timedelta(hours=1),
                    )
                breached.append(complaint.id)
        db.session.commit()
    return upgradable, breached


@pytest.fixture
def echoed(monkeypatch) -> list[tuple[str, str]]:
    """What each sweep printed, by thread (click's test runner swaps sys.stdout for the
    whole process, so it cannot run two commands at once)."""
    lines: list[tuple[str, str]] = []
    monkeypatch.setattr(click, "echo", lambda message=None, **_: lines.append((threading.current_thread().name, str(message))))
    return lines


def counts(echoed, thread_name: str) -> tuple[int, int]:
    (line,) = [text for name, text in echoed if name == thread_name and text.startswith("Upgraded")]
    upgraded, notified = map(int, re.findall(r"\d+", line))
    return upgraded, notified


def sweep(app) -> None:
    """`flask sla sweep` as the timer runs it: click parses, the command commits."""
    with app.app_context():
        sla_cli.main(args=["sweep"], prog_name="flask sla", standalone_mode=False)


def is_candidate_query(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT") and "FROM complaints" in statement and "ORDER BY complaints.id" in statement


def test_cmp08_two_sweeps_at_once_upgrade_each_complaint_once_and_notify_each_breach_once(app, world, echoed):
    upgradable, breached = arrange(app, world)
    rendezvous = threading.Barrier(2, timeout=RENDEZVOUS_SECONDS)
    held: Counter[str] = Counter()
    errors: dict[str, BaseException] = {}

    def hold_after_candidates(conn, cursor, statement, parameters, context, executemany):
        if is_candidate_query(statement) and threading.current_thread().name.startswith("sweep-"):
            held[threading.current_thread().name] += 1
            rendezvous.wait()  # the other sweep has taken its candidates too

    def run(name: str) -> None:
        try:
            rendezvous.wait()  # both start together
            sweep(app)
        except BaseException as exc:  # noqa: BLE001 - reported below with the thread's name
            errors[name] = exc

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", hold_after_candidates)
    try:
        with time_machine.travel(SWEEP_AT, tick=False):
            threads = [threading.Thread(target=run, args=(name,), name=name) for name in ("sweep-a", "sweep-b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=6 * RENDEZVOUS_SECONDS)
    finally:
        sa.event.remove(engine, "after_cursor_execute", hold_after_candidates)

    assert not any(thread.is_alive() for thread in threads), "a sweep hangs"
    assert errors == {}, f"the sweeps got in each other's way: {errors!r}"
    # each sweep ran its two candidate queries (upgrade, breaches) and met the other after each
    assert held == {"sweep-a": 2, "sweep-b": 2}
    (upgraded_a, notified_a), (upgraded_b, notified_b) = counts(echoed, "sweep-a"), counts(echoed, "sweep-b")
    assert upgraded_a + upgraded_b == len(upgradable)
    assert notified_a + notified_b > 0

    with app.app_context():
        upgrades = Counter(
            db.session.scalars(
                sa.select(AuditEvent.entity_id).where(
                    AuditEvent.entity_type == "complaints", AuditEvent.action == "complaint_upgraded"
                )
            )
        )
        assert upgrades == dict.fromkeys(upgradable, 1)
        classes = dict(db.session.execute(sa.select(Complaint.id, Complaint.complaint_class)).all())
        assert {classes[i] for i in upgradable} == {"major"}
        assert {classes[i] for i in breached} <= {"important", "minor"}
        capas = Counter(db.session.scalars(sa.select(CorrectiveAction.complaint_id)))
        assert capas == dict.fromkeys(upgradable, 1)
        escalations = Counter(
            db.session.scalars(sa.select(WorkItem.entity_id).where(WorkItem.kind == operations.ESCALATION))
        )
        assert escalations == dict.fromkeys(upgradable, 2)  # QA and the GM, once each
        # the upgrade's own message to QA and the GM carries no dedupe key: once each too
        told = Counter(
            db.session.execute(
                sa.select(Notification.user_id, Notification.link).where(
                    Notification.title.contains("Upgraded to major")
                )
            ).all()
        )
        assert len(told) == 2 * len(upgradable) and set(told.values()) == {1}
        breach_notices = db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.dedupe_key.is_not(None))
        )
        assert breach_notices == notified_a + notified_b
        noticed = set(
            db.session.scalars(
                sa.select(Notification.link).where(Notification.dedupe_key.is_not(None)).distinct()
            )
        )
        assert {f"/complaints/{i}" for i in breached} <= noticed

    # nothing was skipped and left behind: a later sweep finds nothing new to do
    with time_machine.travel(SWEEP_AT + timedelta(minutes=5), tick=False):
        sweep(app)
    assert counts(echoed, threading.current_thread().name) == (0, 0)
