"""Background jobs (webapp/core/jobs.py): queued on Redis only after a commit, run inline
without Redis, deduplicated by job id, run by `flask jobs worker` in a subprocess, and
never lost when a worker dies mid-job: the outbox row is the truth and the sweep finds it.

Redis tests use their own database index (REDIS_DB), emptied before and after each test.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.robot_receiver import LOCAL
from tests.web.test_reception_public import _send
from webapp.core import jobs, outbox
from webapp.core.media import store_from_app, watermark
from webapp.core.models import GroupRobot, WebhookDelivery
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception.models import ReceptionPhoto
from webapp.slips.models import SlipPhoto
from webapp.slips.photos import attach_photos, photo_lines

REDIS_DB = "redis://127.0.0.1:6379/14"
#: nothing listens here: Redis "down"
REDIS_DOWN = "redis://127.0.0.1:1/0"
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NOW = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_DB, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_DB}: start redis-server to run this test")
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_HOSTS": tuple(LOCAL), "REDIS_URL": REDIS_DB}


def _queued_ids(redis) -> list[str]:
    return [job_id.decode() for job_id in redis.lrange(f"rq:queue:{jobs.QUEUE_NAME}", 0, -1)]


def _message(app, world, key: str = "jobs:1") -> int:
    with app.app_context():
        delivery_id = outbox.enqueue(db.session, world.own.id, "紧急：水管爆裂", ["一行"], None, key)
        db.session.commit()
    return delivery_id


def _delivery(app, delivery_id: int) -> WebhookDelivery:
    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        db.session.expunge(row)
        return row


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def _slip_photo(app, world) -> int:
    """A slip photo of the own project, committed the way filing does it."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        slip = factories.make_slip(db.session, project, filer)
        (photo,) = attach_photos(
            db.session, slip, [FileStorage(io.BytesIO(_jpeg()), filename="a.jpg")],
            kind="report", actor=filer, store=store_from_app(app), now=NOW,
        )
        db.session.commit()
        return photo.id


def _watermark_exists(app, model, photo_id: int) -> bool:
    with app.app_context():
        return store_from_app(app).exists(db.session.get(model, photo_id).watermarked_key)


# ---------------------------------------------------------------------------- the worker


def _worker_environment(app, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESTATEDESK_", "REDIS_URL", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=REDIS_DB,
        MEDIA_DIR=app.config["MEDIA_DIR"],
        ESTATEDESK_INSTANCE=str(tmp_path / "instance"),
        WEBHOOK_ALLOW_HOSTS=",".join(LOCAL),
        # a post gives up after 2 s; a claimed message is free again 6 s later (2 × (2 + 1))
        WEBHOOK_SEND_TIMEOUT="2",
        WEBHOOK_LEASE_SECONDS="1",
        PYTHONPATH=str(REPO),
    )
    return env


def _flask(env: dict, tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "webapp", "jobs", *args],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _burst(app, tmp_path: Path) -> str:
    """`flask jobs worker --burst`: everything queued, then exit; its log."""
    process = _flask(_worker_environment(app, tmp_path), tmp_path, "worker", "--burst")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


def _until(condition, seconds: float, what: str, tick=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs /proc/<pid>/task/<pid>/children (Linux) to find the work horse")
    return [int(child) for child in path.read_text().split()]


# ---------------------------------------------------------------------------- after commit only


def test_jobs_a_rolled_back_change_queues_nothing_and_a_committed_one_its_wake_up(app, world, robot, redis_db):
    with app.app_context():
        outbox.enqueue(db.session, world.own.id, "不会发出", ["一行"], None, "jobs:rolled-back")
        db.session.rollback()
    assert _queued_ids(redis_db) == []

    delivery_id = _message(app, world)
    assert _queued_ids(redis_db) == [f"webhook-{delivery_id}"]
    assert robot.requests == []  # queued, not sent in the request


def test_jobs_a_savepoint_rolled_back_drops_its_jobs_one_released_keeps_them(app, world, robot, redis_db):
    with app.app_context():
        savepoint = db.session.begin_nested()
        outbox.enqueue(db.session, world.own.id, "不会发出", ["一行"], None, "jobs:savepoint-1")
        savepoint.rollback()
        with db.session.begin_nested():
            kept = outbox.enqueue(db.session, world.own.id, "会发出", ["一行"], None, "jobs:savepoint-2")
        assert _queued_ids(redis_db) == []  # the enclosing transaction has not committed yet
        db.session.commit()
    assert _queued_ids(redis_db) == [f"webhook-{kept}"]


def test_jobs_the_same_wake_up_queued_twice_runs_once(app, world, robot, redis_db, tmp_path):
    delivery_id = _message(app, world)
    with app.app_context():
        # e.g. a second process waking the same row before the worker got to it
        jobs.enqueue_after_commit(db.session, outbox.DELIVERY_JOB, delivery_id, job_id=f"webhook-{delivery_id}")
        db.session.commit()
    assert _queued_ids(redis_db) == [f"webhook-{delivery_id}"]

    _burst(app, tmp_path)
    assert len(robot.requests) == 1
    assert _delivery(app, delivery_id).sent_at is not None
    # the job run once more (a retry, a late duplicate) sends nothing more
    with app.app_context():
        assert outbox.deliver_queued(delivery_id) == "skipped"
    assert len(robot.requests) == 1


def test_jobs_status_counts_what_waits(app, world, robot, redis_db):
    _message(app, world, "jobs:a")
    _message(app, world, "jobs:b")
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    assert "Queue estatedesk: 2 queued, 0 started" in result.output
    assert "0 failed" in result.output


# ---------------------------------------------------------------------------- without Redis


def test_jobs_without_redis_a_photo_is_watermarked_right_after_the_commit(app, world):
    app.config["REDIS_URL"] = None
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        slip = factories.make_slip(db.session, project, filer)
        db.session.commit()
        upload = [FileStorage(io.BytesIO(_jpeg()), filename="a.jpg")]
        store = store_from_app(app)

        (dropped,) = attach_photos(db.session, slip, upload, kind="report", actor=filer, store=store, now=NOW)
        dropped_key = dropped.watermarked_key
        db.session.rollback()
        assert not store.exists(dropped_key)

        upload[0].stream.seek(0)
        (photo,) = attach_photos(db.session, slip, upload, kind="report", actor=filer, store=store, now=NOW)
        assert not store.exists(photo.watermarked_key)  # not before the commit
        db.session.commit()
        assert store.exists(photo.watermarked_key)
        assert not store.exists(dropped_key)


def test_jobs_without_redis_group_messages_are_left_to_their_runner(app, world, robot):
    app.config["REDIS_URL"] = None
    delivery_id = _message(app, world)
    assert robot.requests == []  # a slow vendor never holds the user's request
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert "1 sent" in result.output
    assert _delivery(app, delivery_id).sent_at is not None


def test_jobs_status_without_redis_says_jobs_run_inside_the_app(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0 and "REDIS_URL is not set" in result.output


# ---------------------------------------------------------------------------- the sweep


def test_jobs_the_timer_queues_one_sweep_however_often_it_ticks(app, world, redis_db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "enqueue-sweep"])
    second = runner.invoke(args=["jobs", "enqueue-sweep"])
    assert first.output.strip() == "Sweep queued."
    assert second.output.strip() == "A sweep is already queued or running."
    assert _queued_ids(redis_db) == ["sla-sweep"]


def test_jobs_without_redis_the_timer_sweeps_itself(app, world):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["jobs", "enqueue-sweep"])
    assert result.exit_code == 0, result.output
    assert "Upgraded 0 complaint(s) to major" in result.output


# ---------------------------------------------------------------------------- photos


def test_media_the_watermark_job_and_the_photo_page_give_the_same_bytes(app, world, client, login, redis_db, tmp_path):
    photo_id = _slip_photo(app, world)
    assert _queued_ids(redis_db) == [f"watermark-slip_photos-{photo_id}"]
    assert not _watermark_exists(app, SlipPhoto, photo_id)

    # the page asks before the job ran: the copy is built on demand, and kept
    login(world.users[("staff", "own")])
    response = client.get(f"/slips/photos/{photo_id}/view")
    assert response.status_code == 200
    on_demand = response.get_data()
    assert _watermark_exists(app, SlipPhoto, photo_id)

    with app.app_context():
        photo = db.session.get(SlipPhoto, photo_id)
        store = store_from_app(app)
        # what the upload itself used to burn in
        filer = db.session.get(User, photo.uploaded_by_id)
        assert on_demand == watermark(store.open(photo.original_key), photo_lines(photo.slip, filer, NOW))
        store.delete(photo.watermarked_key)
        key = photo.watermarked_key

    _burst(app, tmp_path)
    with app.app_context():
        assert store_from_app(app).open(key) == on_demand


def test_media_a_reception_photo_is_watermarked_by_the_worker(app, world, redis_db, tmp_path):
    with time_machine.travel(datetime(2026, 3, 10, 1, 0, tzinfo=UTC), tick=False) as clock:
        response = _send(app.test_client(), clock, files={"photos": (io.BytesIO(_jpeg()), "a.jpg")})
    assert response.status_code == 303
    with app.app_context():
        photo_id = db.session.scalar(sa.select(ReceptionPhoto.id))
    assert _queued_ids(redis_db) == [f"watermark-reception_photos-{photo_id}"]
    assert not _watermark_exists(app, ReceptionPhoto, photo_id)
    _burst(app, tmp_path)
    assert _watermark_exists(app, ReceptionPhoto, photo_id)


# ---------------------------------------------------------------------------- Redis down


def test_fault_with_redis_down_an_owner_message_with_a_photo_is_still_taken(app, world, robot):
    app.config["REDIS_URL"] = REDIS_DOWN
    with app.app_context():
        db.session.add(GroupRobot(project_id=world.other.id, kind="wecom", url=robot.wecom))
        db.session.commit()
    with time_machine.travel(datetime(2026, 3, 10, 1, 0, tzinfo=UTC), tick=False) as clock:
        response = _send(app.test_client(), clock, files={"photos": (io.BytesIO(_jpeg()), "a.jpg")})
    assert response.status_code == 303
    with app.app_context():
        photo_id = db.session.scalar(sa.select(ReceptionPhoto.id))
    # the watermark job ran in the request instead of the queue
    assert _watermark_exists(app, ReceptionPhoto, photo_id)

    delivery_id = _message(app, world)  # the wake-up cannot be queued: the row waits
    assert robot.requests == []
    assert _delivery(app, delivery_id).sent_at is None
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert "1 sent" in result.output


def test_fault_with_redis_down_the_timer_sweeps_itself(app, world):
    app.config["REDIS_URL"] = REDIS_DOWN
    result = app.test_cli_runner().invoke(args=["jobs", "enqueue-sweep"])
    assert result.exit_code == 0, result.output
    assert "Upgraded 0 complaint(s) to major" in result.output


# ---------------------------------------------------------------------------- a worker dies


@pytest.mark.slow
def test_jobs_a_worker_killed_mid_job_loses_no_message_and_it_is_sent_once(app, world, robot, redis_db, tmp_path):
    env = _worker_environment(app, tmp_path)
    robot.script = ["slow"]  # the first post is held: the worker is killed while it waits
    first = _flask(env, tmp_path, "worker")
    second = None
    try:
        delivery_id = _message(app, world)
        _until(lambda: robot.requests, 60, "the worker to post the message")
        horses = _children(first.pid)
        for pid in [*horses, first.pid]:
            os.kill(pid, signal.SIGKILL)
        first.wait(10)
        held = _delivery(app, delivery_id)
        assert held.sent_at is None and held.attempts == 1  # claimed, never recorded

        second = _flask(env, tmp_path, "worker")
        runner = app.test_cli_runner()
        # the timer ticking: a sweep is queued whenever none waits; once the dead worker's
        # claim has lapsed, the sweep sends the message
        _until(
            lambda: _delivery(app, delivery_id).sent_at is not None, 60, "the message to be sent again",
            tick=lambda: runner.invoke(args=["jobs", "enqueue-sweep"]),
        )
        sent = _delivery(app, delivery_id)
        assert sent.attempts == 2 and sent.gave_up_at is None
        assert len(robot.requests) == 2 and robot.requests[0]["body"] == robot.requests[1]["body"]

        # later sweeps and the dead worker's job find nothing more to send
        runner.invoke(args=["jobs", "enqueue-sweep"])
        with app.app_context():
            assert outbox.deliver_queued(delivery_id) == "skipped"
        _until(lambda: not _queued_ids(redis_db), 30, "the queue to empty")
        assert len(robot.requests) == 2

        # systemd's SIGTERM: the worker finishes what it holds and exits
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
