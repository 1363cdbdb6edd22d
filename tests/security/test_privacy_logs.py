"""PIPL / ASVS V16: the logs hold no full mobile number, no session, CSRF or public token,
no robot key and no password — neither the app's own records (at DEBUG, during a realistic
day at the desk) nor gunicorn's access log, whose paths carry the public tokens."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories, robot_receiver
from tests.conftest import csrf_token, post
from tests.robot_receiver import LOCAL
from tests.security.phones import full_mobiles
from webapp.core import outbox, privacy
from webapp.core.models import GroupRobot
from webapp.estate.models import Facility
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception.models import ReceptionEntry

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TYPED_PHONE = "13912345678"
FORM_PHONE = "13900002222"
NEW_PASSWORD = "a-new-Passw0rd-77"
STAMP = re.compile(r'name="stamp" type="hidden" value="([^"]+)"|id="stamp" name="stamp" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_HOSTS": tuple(LOCAL), "PUBLIC_BASE_URL": "https://desk.example.cn"}


@pytest.fixture
def receiver(monkeypatch):
    yield from robot_receiver.running(monkeypatch)


def _logged(caplog) -> str:
    """Everything the records say, as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def _public_tokens(app, world) -> dict[str, str]:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        publicist = db.session.scalar(sa.select(User).where(User.username == world.users[("publicist", "own")]))
        survey = factories.make_activity_survey(db.session, project, publicist)
        plan = factories.make_activity_plan(db.session, project, publicist, year=2026, status="approved")
        activity = factories.make_activity(db.session, plan, scheduled=True, day=datetime(2026, 3, 20).date())
        facility = db.session.get(Facility, world.own.facility_id)
        db.session.commit()
        return {"survey": survey.public_token, "activity": activity.public_token, "facility": facility.qr_token}


def test_sec_logs_a_day_at_the_desk_logs_no_phone_token_key_or_password(app, client, world, login, caplog, receiver):
    caplog.set_level(logging.DEBUG)
    tokens = _public_tokens(app, world)
    with app.app_context():
        db.session.add(GroupRobot(project_id=world.own.id, kind="wecom", url=receiver.wecom))
        db.session.commit()

    with time_machine.travel(NOW, tick=False) as clock:
        # an owner writes in from the QR poster, then opens the status link
        form = client.get("/contact/OWN").get_data(as_text=True)
        stamp = next(g for g in STAMP.search(form).groups() if g)
        clock.shift(timedelta(seconds=40))
        response = client.post("/contact/OWN", data={
            "csrf_token": csrf_token(client, "/contact/OWN"), "stamp": stamp, "category": "repair",
            "description": f"楼道灯不亮,请打{FORM_PHONE}", "unit_text": "own1栋 1502室", "phone": FORM_PHONE,
            "website": "",
        }, content_type="multipart/form-data")
        assert response.status_code == 303
        with app.app_context():
            status_token = db.session.scalar(sa.select(ReceptionEntry.public_token))
        assert client.get(f"/contact/status/{status_token}").status_code == 200
        assert client.get(f"/contact/status/{status_token[:-2]}xx").status_code == 404
        for path in (f"/survey/{tokens['survey']}", f"/activity/{tokens['activity']}", f"/f/{tokens['facility']}"):
            assert client.get(path).status_code in (200, 302, 303), path
        assert client.get("/login?next=/estate/?q=" + TYPED_PHONE).status_code == 200

        # the receptionist signs in, logs a call, files an urgent slip, reveals a phone
        login(world.users[("receptionist", "own")], remember=True)
        with client.session_transaction() as flask_session:
            session_token = flask_session["_user_id"]
        csrf = csrf_token(client, "/")
        assert post(client, "/reception/new", {
            "submission_key": "log-1", "channel": "phone", "contact": TYPED_PHONE,
            "content": f"业主来电 {TYPED_PHONE} 说楼上漏水", "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        }).status_code == 303
        assert post(client, "/slips/new", {
            "submission_key": "log-2", "category": "facility", "description": f"井盖松动,业主{TYPED_PHONE}",
            "place_text": "3栋地下车库", "source": "seen_on_site", "urgent": "y",
            "latitude": "22.5431", "longitude": "114.0579", "accuracy_m": "12",
        }).status_code == 303
        assert post(client, f"/estate/owners/{world.own.owner_id}/reveal-phone").status_code == 200
        assert client.get(f"/estate/?q={TYPED_PHONE}").status_code == 200
        assert client.post("/reception/new", data={"content": "x", "csrf_token": "forged"}).status_code in (400, 403)
        # a password change, and a failed sign-in with a wrong password
        assert post(client, "/account", {
            "current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        }).status_code in (200, 303)
        client.post("/logout", data={"csrf_token": csrf})
        post(client, "/login", {"username": world.users[("receptionist", "own")], "password": "Wrong-" + NEW_PASSWORD})

    # the group robot's message goes out; then the vendor refuses the robot's key, so the
    # next urgent slip's message fails and the failure is logged
    with app.app_context():
        delivered = outbox.deliver_due(db.engine, NOW + timedelta(minutes=1), allow_hosts=LOCAL, timeout=2)
    assert delivered.sent == 1, delivered
    assert receiver.requests, "the urgent slip reached the group"
    receiver.mode = "errcode"
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        login(world.users[("cs_supervisor", "own")])
        assert post(client, "/slips/new", {
            "submission_key": "log-3", "category": "facility", "description": f"电梯困人,业主{TYPED_PHONE}",
            "place_text": "2栋电梯", "source": "seen_on_site", "urgent": "y",
        }).status_code == 303
    with app.app_context():
        refused = outbox.deliver_due(db.engine, NOW + timedelta(minutes=3), allow_hosts=LOCAL, timeout=2)
    assert refused.sent == 0 and "not sent" in caplog.text, refused

    logged = _logged(caplog)
    assert caplog.records, "the run logged something to check"
    secrets = {
        "the owner's registered phone": world.own.owner_phone,
        "a phone typed at the desk": TYPED_PHONE,
        "the phone of the public form": FORM_PHONE,
        "the session token": session_token,
        "the CSRF token": csrf,
        "the status token": status_token,
        "the survey token": tokens["survey"],
        "the activity token": tokens["activity"],
        "the facility token": tokens["facility"],
        "the robot's key": receiver.wecom.rsplit("key=", 1)[-1],
        "the old password": factories.PASSWORD,
        "the new password": NEW_PASSWORD,
    }
    leaked = {what: value for what, value in secrets.items() if value and value in logged}
    assert not leaked, f"in the logs: {sorted(leaked)}\n{logged[:3000]}"
    assert not full_mobiles(logged), full_mobiles(logged)


def test_sec_logs_a_message_naming_a_token_path_or_a_phone_is_redacted_when_it_is_made(app, caplog):
    """Whatever logs it (the 503 page logs the request's path), the record holds no secret."""
    caplog.set_level(logging.DEBUG)
    token = "Ii8J_K7G3DQHdjZMTj5D_g"
    logging.getLogger("webapp.core.web").error(
        "database unavailable, answered 503: %s %s", "GET", f"/contact/status/{token}"
    )
    logging.getLogger("webapp").warning("owner %s called; /f/%s?csrf_token=abc", "13812345678", token)
    try:
        raise ValueError(f"lookup of /survey/{token} for 13812345678 failed")
    except ValueError:
        logging.getLogger("webapp").exception("failed")
    logged = _logged(caplog)
    assert token not in logged and "13812345678" not in logged and "csrf_token=abc" not in logged
    assert "/contact/status/[redacted]" in logged and "138****5678" in logged


# -- gunicorn's access log ----------------------------------------------------------------------

TOKEN = "Ab3dEfGhIjKlMnOpQrSt_u"
PATHS = {
    f"/contact/status/{TOKEN}": "/contact/status/[redacted]",
    f"/survey/{TOKEN}": "/survey/[redacted]",
    f"/survey/{TOKEN}/thanks": "/survey/[redacted]/thanks",
    f"/activity/{TOKEN}": "/activity/[redacted]",
    f"/f/{TOKEN}": "/f/[redacted]",
    f"/estate/owners/search/{TYPED_PHONE}": "/estate/owners/search/139****5678",
    "/slips/12": "/slips/12",
    "/evaluation/company-view": "/evaluation/company-view",
    "/static/vendor/htmx-2.0.4.min.js": "/static/vendor/htmx-2.0.4.min.js",
}


def test_sec_logs_gunicorn_config_and_the_app_redact_paths_alike():
    import runpy

    config = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    assert config["logger_class"].__name__ == "RedactingLogger"
    for path, shown in PATHS.items():
        assert config["redact_path"](path) == shown == privacy.redact_path(path), path


WSGI_APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sec_logs_gunicorn_access_log_shows_no_public_token(tmp_path):
    """The shipped deploy/gunicorn.conf.py serving a stand-in app on 127.0.0.1: the access
    lines of the public token pages name the page, not the token."""
    (tmp_path / "tokenapp.py").write_text(WSGI_APP)
    port = _free_port()
    env = {**os.environ, "ESTATEDESK_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "PYTHONPATH": str(tmp_path)}
    env.pop("RUNTIME_DIRECTORY", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "tokenapp:app"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        for path in PATHS:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?csrf_token=abc", timeout=5).read()
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=15)
    access = [line for line in log.splitlines() if '"GET ' in line]
    assert len(access) == len(PATHS) + 1, log
    assert TOKEN not in log and TYPED_PHONE not in log and "csrf_token" not in log, log
    for shown in PATHS.values():
        assert any(f'"GET {shown} HTTP/1.1"' in line for line in access), (shown, access)
