"""Faults people would notice, on PostgreSQL: the database restarting under gunicorn, the
disk filling up during a photo upload, two supervisors saving one complaint at the same
moment, and a phone replaying one slip ten times at once.

The restart runs on a private cluster of this module's own (tests/pg_cluster.py): the
shared server at TEST_DATABASE_URL is never stopped. Gunicorn runs the production
configuration (deploy/gunicorn.conf.py, ESTATEDESK_ENV=production) with three workers, as
tests/servers.py starts it.

The full disk is real where the tests may mount a 200 KB tmpfs (the kernel answers ENOSPC
in the middle of a write), and everywhere also an fsync that reports ENOSPC after the bytes
went into the temporary file (see the `full_disk` fixture).
"""

from __future__ import annotations

import errno
import io
import os
import queue
import re
import secrets
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from babel.support import Translations
from PIL import Image

from tests import factories
from tests.conftest import csrf_token, post
from tests.databases import TEST_DATABASE_URL
from tests.pg_cluster import ClusterUnavailable, PrivateCluster
from tests.servers import Answer, ForwardedClient, Gunicorn, free_port, production_environment
from webapp import PACKAGE_DIR, create_app
from webapp.complaints.models import Complaint
from webapp.config import TestConfig
from webapp.core.models import AuditEvent, Submission
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.slips.models import Slip, SlipPhoto

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pg,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL"),
]

#: no answer may take longer than this, outage or not
ANSWER_BOUND_SECONDS = 5.0
#: after the database is back, the app serves again within this, by itself
RECOVERY_SECONDS = 5.0
UNAVAILABLE_LOG = "database unavailable, answered 503"


@pytest.fixture
def database() -> str:
    """The app tests of this module run on PostgreSQL only (the conftest's `app` uses this)."""
    return "postgresql"


def zh(msgid: str) -> str:
    """What a Chinese page says for `msgid`, from the app's own catalogue."""
    return Translations.load(str(PACKAGE_DIR / "translations"), ["zh_Hans_CN"]).gettext(msgid)


# ---------------------------------------------------------------------------- over HTTP


class Phone(ForwardedClient):
    """A phone's browser behind nginx with a bounded wait for every answer: a request that
    gets none, or whose connection fails, is an Answer without a status."""

    def __init__(self, port: int, timeout: float = 3 * ANSWER_BOUND_SECONDS):
        super().__init__(port, user_agent="Mozilla/5.0 (Linux; Android 14) fault-test", timeout=timeout)

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        started = time.monotonic()
        try:
            return super().request(method, path, form)
        except OSError as exc:
            return Answer(None, {}, "", started, time.monotonic() - started, repr(exc))

    def sign_in(self, username: str) -> str:
        """Sign in; the session's CSRF token for later forms."""
        login = self.request("GET", "/login")
        assert login.status == 200, login
        answer = self.request("POST", "/login", {"csrf_token": _token(login.text), "username": username,
                                                  "password": factories.PASSWORD})
        assert answer.status == 303, answer.text
        page = self.request("GET", "/slips/new")
        assert page.status == 200, page.text
        return _token(page.text)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _slip_form(token: str, key: str, description: str) -> dict:
    return {
        "csrf_token": token,
        "submission_key": key,
        "category": "facility",
        "description": description,
        "place_text": "3栋地下车库",
        "source": "seen_on_site",
    }


def _slip_id(answer: Answer) -> int:
    """The slip a 303 after filing points at."""
    assert answer.status == 303, (answer.status, answer.text[:500])
    match = re.search(r"/slips/(\d+)$", answer.headers.get("Location", ""))
    assert match, answer.headers
    return int(match.group(1))


FILERS = ("patrol.restart", "patrol.replay")


def _build_estate(database_url: str, media_dir: Path) -> None:
    """The schema (as the app tests build it) and one project whose patrol staff file slips."""
    application = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(media_dir)})
    with application.app_context():
        db.create_all()
        project = factories.make_project(db.session, factories.make_company(db.session), code="CH", name="翠湖花园")
        department = factories.make_department(db.session, project, "security", "安全部")
        for username in FILERS:
            factories.make_user(db.session, username, roles=[("staff", project, department)])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Gunicorn (3 workers, production settings) on a private PostgreSQL cluster; the
    cluster is removed afterwards whatever happened."""
    if not shutil.which("runuser") and os.geteuid() == 0:
        pytest.skip("running as root without runuser: initdb cannot be run as postgres")
    try:
        cluster = PrivateCluster.create()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    server = None
    try:
        cluster.start()
        database_url = cluster.create_database("estatedesk")
        workdir = tmp_path_factory.mktemp("faults")
        _build_estate(database_url, workdir / "media")
        port = free_port()
        env = production_environment(database_url, workdir, port, WEB_CONCURRENCY="3")
        deadline = time.monotonic() + 30
        server = Gunicorn(env, workdir)
        server.wait_for(rf"Listening at: http://127\.0\.0\.1:{port}\b", deadline)
        phone = Phone(port)
        while phone.request("GET", "/healthz").status != 200:
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in time"
            time.sleep(0.1)
        engine = sa.create_engine(database_url)
        yield SimpleNamespace(cluster=cluster, server=server, port=port, engine=engine)
        engine.dispose()
    finally:
        try:
            if server is not None:
                server.process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight
                try:
                    server.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait()
        finally:
            cluster.close()


def _drain(server: Gunicorn) -> str:
    """gunicorn's log so far (its reader thread queues the lines)."""
    while True:
        try:
            line = server.lines.get_nowait()
        except queue.Empty:
            break
        if line is None:
            break
        server.log.append(line)
    return "".join(server.log)


def _slips_described(engine, description: str) -> list[int]:
    return _stored_slips(engine).get(description, [])


def _stored_slips(engine) -> dict[str, list[int]]:
    """The ids of the stored slips by description (each test's descriptions are unique)."""
    found: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for slip_id, description in connection.execute(sa.text("SELECT id, description FROM slips ORDER BY id")):
            found.setdefault(description, []).append(slip_id)
    return found


def _assert_clean_unavailable_page(answer: Answer) -> None:
    assert answer.status == 503, (answer.status, answer.text[:500])
    assert answer.headers.get("Retry-After", "").isdigit(), answer.headers
    assert answer.headers.get("Content-Type", "").startswith("text/html"), answer.headers
    page = answer.text
    assert '<html lang="zh-CN"' in page  # Chinese by default: the user could not be loaded
    assert zh("Briefly unavailable") in page
    assert zh("The database cannot be reached at the moment. Wait a few seconds and try again.") in page
    assert "返回我的工作" in page
    assert "Traceback" not in page and "psycopg" not in page and "sqlalchemy" not in page.lower()


def posts_and_reads(posts, reads) -> list[Answer]:
    return [a for _, a in posts] + list(reads)


# ---------------------------------------------------------------------------- 1. restart


def test_fault_database_restart_answers_503_then_recovers_and_keeps_every_acknowledged_slip(stack):
    """A phone keeps filing slips and reading My work while PostgreSQL is stopped (fast:
    every session cut) and started again; gunicorn is left alone throughout."""
    phone = Phone(stack.port)
    token = phone.sign_in(FILERS[0])
    log_before = len(_drain(stack.server))
    posts: list[tuple[dict, Answer]] = []
    reads: list[Answer] = []
    stop_working = threading.Event()

    def keep_working() -> None:
        # a phone's pace, not a load test: each refused slip is sent again below
        while not stop_working.wait(0.05):
            key = secrets.token_urlsafe(12)
            form = _slip_form(token, key, f"重启测试 {key}")
            posts.append((form, phone.request("POST", "/slips/new", form)))
            reads.append(phone.request("GET", "/"))

    def answers_since(moment: float) -> tuple[list[Answer], list[Answer]]:
        return [a for _, a in posts if a.started >= moment], [a for a in reads if a.started >= moment]

    def wait_until(condition, what: str, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    worker = threading.Thread(target=keep_working, daemon=True)
    worker.start()
    try:
        wait_until(lambda: sum(a.status == 303 for _, a in posts) >= 4, "slips filed before the restart")

        stack.cluster.stop("fast")
        stopped = time.monotonic()
        wait_until(lambda: all(len(found) >= 3 for found in answers_since(stopped)), "answers during the outage")
        outage_posts, outage_reads = answers_since(stopped)
        starting = time.monotonic()
        stack.cluster.start()
        started = time.monotonic()

        def recovered() -> bool:
            done_posts, done_reads = answers_since(started)
            return any(a.status == 303 for a in done_posts) and any(a.status == 200 for a in done_reads)

        wait_until(recovered, "the app to recover", seconds=RECOVERY_SECONDS + ANSWER_BOUND_SECONDS)
        first_success = min(a.started + a.seconds for a in posts_and_reads(posts, reads)
                            if a.started >= started and a.status in (200, 303))
        wait_until(lambda: len(answers_since(first_success)[0]) >= 3, "requests after the recovery")
    finally:
        stop_working.set()
        worker.join(timeout=3 * ANSWER_BOUND_SECONDS)

    everything = posts_and_reads(posts, reads)
    # no 500, no hang: every request got an answer, fast
    assert {a.status for a in everything} <= {200, 303, 503}, (
        [(a.status, a.error, a.text[:300]) for a in everything if a.status not in (200, 303, 503)],
        _drain(stack.server)[log_before:][-8000:],
    )
    assert max(a.seconds for a in everything) < ANSWER_BOUND_SECONDS
    # while the server was down (stopped, not yet starting), every answer was the 503 page
    down = [a for a in outage_posts + outage_reads if a.started + a.seconds <= starting]
    assert len(down) >= 3
    assert all(a.status == 503 for a in down), [a.status for a in down]
    unavailable = [a for a in everything if a.status == 503]
    for answer in unavailable:
        _assert_clean_unavailable_page(answer)
    # recovered by itself, soon, and stayed recovered (no gunicorn restart in between)
    assert first_success - started < RECOVERY_SECONDS
    after = [a for a in everything if a.started >= first_success]
    assert after and all(a.status in (200, 303) for a in after), [a.status for a in after]
    log = _drain(stack.server)[log_before:]
    assert "Booting worker" not in log and "Worker exiting" not in log

    # every acknowledged slip is stored exactly once, the one the answer pointed at
    acknowledged = {form["description"]: [_slip_id(answer)] for form, answer in posts if answer.status == 303}
    stored = _stored_slips(stack.engine)
    assert {d: stored.get(d) for d in acknowledged} == acknowledged
    # a slip refused with 503 and sent again with the same key is stored once (some may
    # have been committed just before the connection was cut: the key finds those)
    refused = [form for form, answer in posts if answer.status == 503]
    assert [a for a in outage_posts if a.status == 503], "no slip was refused during the outage"
    sent_again = {form["description"]: [_slip_id(phone.request("POST", "/slips/new", form))] for form in refused}
    stored = _stored_slips(stack.engine)
    assert {d: stored.get(d) for d in sent_again} == sent_again
    restart_slips = [ids for description, ids in stored.items() if description.startswith("重启测试 ")]
    assert sum(len(ids) for ids in restart_slips) == len(acknowledged) + len(sent_again)

    # logged once per refused request, one line each, no traceback
    deadline = time.monotonic() + 5
    while _drain(stack.server)[log_before:].count(UNAVAILABLE_LOG) < len(unavailable):
        assert time.monotonic() < deadline, _drain(stack.server)[log_before:][-3000:]
        time.sleep(0.05)
    log = _drain(stack.server)[log_before:]
    assert log.count(UNAVAILABLE_LOG) == len(unavailable)
    assert "Traceback" not in log, log[-5000:]


# ---------------------------------------------------------------------------- 4. replays


def test_fault_a_slip_replayed_ten_times_at_once_is_stored_once_and_every_replay_lands_on_it(stack):
    phone = Phone(stack.port)
    token = phone.sign_in(FILERS[1])
    key = secrets.token_urlsafe(12)
    form = _slip_form(token, key, f"重放测试 {key}")
    start_together = threading.Barrier(10)
    answers: list[Answer | None] = [None] * 10

    def replay(number: int) -> None:
        start_together.wait(timeout=10)
        answers[number] = phone.request("POST", "/slips/new", form)

    threads = [threading.Thread(target=replay, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [a.status for a in answers] == [303] * 10, [(a.status, a.text[:300]) for a in answers]
    pointed_at = {_slip_id(a) for a in answers}
    assert len(pointed_at) == 1
    assert _slips_described(stack.engine, form["description"]) == list(pointed_at)
    with stack.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM submissions WHERE key = :k"), {"k": key}) == 1
    page = phone.request("GET", f"/slips/{pointed_at.pop()}")
    assert page.status == 200 and form["description"] in page.text


# ---------------------------------------------------------------------------- 2. disk full


def _photo(size: tuple[int, int], noisy: bool) -> bytes:
    """A JPEG; a noisy one barely compresses, so its stored copies are large."""
    if noisy:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (90, 140, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _two_photos() -> list[tuple[io.BytesIO, str]]:
    """A small photo that fits on the nearly full disk, then one whose original does not."""
    return [(io.BytesIO(_photo((160, 120), noisy=False)), "small.jpg"),
            (io.BytesIO(_photo((800, 600), noisy=True)), "large.jpg")]


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(params=["tmpfs", "fsync"])
def full_disk(request, app, tmp_path, monkeypatch):
    """The media folder on a disk with about 200 KB free.

    "tmpfs": a real 200 KB tmpfs mounted over the media folder (needs CAP_SYS_ADMIN; the
    case skips without it), so the kernel itself answers ENOSPC mid-write.
    "fsync": a plain folder whose fsync fails with ENOSPC once more than 200 KB were
    written, after the bytes went into the temporary file, as a filesystem with delayed
    allocation (ext4, XFS, NFS) reports a full disk; it runs everywhere.
    """
    folder = tmp_path / "full-media"
    folder.mkdir()
    if request.param == "tmpfs":
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)],
                                 capture_output=True, text=True, check=False)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {mounted.stderr.strip()}")
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(folder)], check=False))
    else:
        room = {"bytes": 200 * 1024}
        real_fsync = os.fsync

        def fsync_on_a_full_disk(fd: int) -> None:
            written = os.fstat(fd)
            if not stat.S_ISDIR(written.st_mode):
                if written.st_size > room["bytes"]:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                room["bytes"] -= written.st_size
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync_on_a_full_disk)
    app.config["MEDIA_DIR"] = str(folder)
    return folder


def _nothing_left(folder: Path) -> None:
    assert _files_under(folder) == []  # no photo of the request, no .upload-*.tmp


def test_media_a_full_disk_while_filing_a_slip_keeps_the_form_and_stores_nothing(app, client, login, world,
                                                                                  full_disk):
    login(world.users[("staff", "own")])
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": "disk-full-1",
        "category": "cleaning",
        "urgent": "y",
        "description": "垃圾桶满溢无人清理",
        "place_text": "5栋东侧垃圾房",
        "source": "seen_on_site",
        "photos": _two_photos(),
    }
    response = client.post("/slips/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" in page
    photos_field = page.split('id="photos-field"')[1].split("</div>")[0]
    assert zh("The server has no room left for photos: tell the system administrator, then try again later.") \
        in photos_field
    assert "未保存任何内容：请重新选择照片。" in photos_field
    assert "垃圾桶满溢无人清理" in page and 'value="5栋东侧垃圾房"' in page
    assert re.search(r'<input[^>]*checked[^>]*value="cleaning"|<input[^>]*value="cleaning"[^>]*checked', page)
    assert re.search(r'<input[^>]*id="urgent"[^>]*checked|<input[^>]*checked[^>]*id="urgent"', page)
    with app.app_context():
        for model in (Slip, SlipPhoto):
            assert db.session.scalar(
                sa.select(sa.func.count()).select_from(model).execution_options(all_projects=True)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    _nothing_left(full_disk)


def test_media_a_full_disk_while_adding_photos_to_a_slip_keeps_the_measures_and_stores_nothing(
    app, client, login, world, full_disk
):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        staff = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        slip = factories.make_slip(db.session, project, staff, status="assigned",
                                   responsible_department_id=world.own.department_id)
        db.session.commit()
        slip_id, version = slip.id, slip.version
    login(world.users[("dept_supervisor", "own")])
    data = {
        "csrf_token": csrf_token(client),
        "version": str(version),
        "measures_who": "保洁员张三",
        "measures_when": "2026-11-25T11:00",
        "measures_how": "清运垃圾并消毒",
        "photos": _two_photos(),
    }
    response = client.post(f"/slips/{slip_id}/measures", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    photos_field = page.split('id="measures-photos-field"')[1].split("</div>")[0]
    assert zh("The server has no room left for photos: tell the system administrator, then try again later.") \
        in photos_field
    assert "保洁员张三" in page and "清运垃圾并消毒" in page
    with app.app_context():
        stored = db.session.scalar(sa.select(Slip).where(Slip.id == slip_id).execution_options(all_projects=True))
        assert stored.status == "assigned" and stored.version == version and stored.rounds == []
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(SlipPhoto).execution_options(all_projects=True)) == 0
    _nothing_left(full_disk)


# ---------------------------------------------------------------------------- 3. two supervisors


def _lock_waiters(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ))


def test_fault_two_supervisors_answering_one_complaint_at_once_the_database_refuses_the_later(app, world):
    """Both requests load the complaint at version N and pass the version check in Python;
    the test holds the row until both are waiting in the database to UPDATE it, so what
    refuses the later one is PostgreSQL's `UPDATE … WHERE version = N` finding no row."""
    names = {"pm": "李经理", "cs_supervisor": "王主管"}
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        for role, name in names.items():
            db.session.scalar(sa.select(User).where(User.username == world.users[(role, "own")])).display_name = name
        receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        complaint = factories.make_complaint(db.session, project, receptionist, status="in_progress")
        db.session.commit()
        complaint_id, version = complaint.id, complaint.version

    clients, tokens = {}, {}
    for role in names:
        clients[role] = app.test_client()
        signed_in = post(clients[role], "/login", {"username": world.users[(role, "own")],
                                                    "password": factories.PASSWORD})
        assert signed_in.status_code == 303
        page = clients[role].get(f"/complaints/{complaint_id}").get_data(as_text=True)
        assert 'id="complaint-status"' in page and f'name="version" type="hidden" value="{version}"' in page
        tokens[role] = csrf_token(clients[role], f"/complaints/{complaint_id}")
    typed = {"pm": "已安排维修部今天修好楼道灯", "cs_supervisor": "已致电业主，明早派人检查线路"}

    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    engine = sa.create_engine(url)
    answers: dict[str, object] = {}

    def answer(role: str) -> None:
        answers[role] = clients[role].post(f"/complaints/{complaint_id}/answer", data={
            "csrf_token": tokens[role], "version": str(version), "answer": typed[role],
            "measures": typed[role], "still_open": "y",
        })

    threads = [threading.Thread(target=answer, args=(role,)) for role in names]
    try:
        with engine.connect() as holder, holder.begin():
            holder.execute(sa.text("SELECT id FROM complaints WHERE id = :id FOR NO KEY UPDATE"), {"id": complaint_id})
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 15
            while _lock_waiters(engine) < 2:
                assert time.monotonic() < deadline, f"both saves should wait on the row; answers: {answers}"
                time.sleep(0.05)
        for thread in threads:
            thread.join(timeout=15)
    finally:
        engine.dispose()

    statuses = {role: response.status_code for role, response in answers.items()}
    assert sorted(statuses.values()) == [303, 409], statuses
    first = next(role for role, status in statuses.items() if status == 303)
    later = next(role for role, status in statuses.items() if status == 409)
    page = answers[later].get_data(as_text=True)
    alert = page.split('role="alert">')[1].split("</p>")[0]
    assert names[first] in alert
    assert typed[later] in page  # their own answer is kept for them to compare and save again
    with app.app_context():
        stored = db.session.scalar(
            sa.select(Complaint).where(Complaint.id == complaint_id).execution_options(all_projects=True))
        assert stored.answer == typed[first] and stored.version > version
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "complaints", AuditEvent.entity_id == complaint_id,
            AuditEvent.action == "complaint_answered")).all()
        assert len(events) == 1


# ---------------------------------------------------------------------------- the end of a request


def test_fault_a_connection_cut_after_the_page_was_made_still_serves_the_page(app, world, login, client):
    """The restart can cut a connection between a request's last query and the end of
    the request, when the session is closed (a rollback on that connection): the page
    already made is served, not a bare 500, and the next request gets a new connection."""
    cutting = threading.Event()
    # autocommit: pg_stat_activity is read once per transaction
    killer = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")

    @app.after_request
    def cut_the_connection(response):
        if cutting.is_set():
            pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            with killer.connect() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                deadline = time.monotonic() + 10
                while connection.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                        {"pid": pid}):
                    assert time.monotonic() < deadline, "the backend did not end"
                    time.sleep(0.02)
        return response

    try:
        login(world.users[("pm", "own")])
        cutting.set()
        response = client.get("/")
        cutting.clear()
        assert response.status_code == 200 and 'id="main"' in response.get_data(as_text=True)
        assert client.get("/").status_code == 200
    finally:
        killer.dispose()
