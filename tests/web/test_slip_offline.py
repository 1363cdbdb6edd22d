"""What the phone's offline queue (static/js/slip-form.js) relies on from the server
(SLIP-10, SLIP-11): the filing page carries the script and its translated words, and a
queued slip replayed with its submission_key is filed exactly once, with the time it was
captured; an ended session or a stale token files nothing and is told apart."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.conftest import csrf_token
from webapp.core.clock import LOCAL_TZ, now
from webapp.extensions import db

KEY = "queued-on-the-phone-0001"


@pytest.fixture
def app_config():
    # A replay must pass the same CSRF check as a form in the browser.
    return {"WTF_CSRF_ENABLED": True}


def jpeg(size=(1600, 1067)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTO = jpeg()


def queued_record(world, **changes) -> dict:
    """The fields slip-form.js keeps in IndexedDB for a slip filed with no signal."""
    captured = (now() - timedelta(minutes=40)).astimezone(LOCAL_TZ)
    fields = {
        "submission_key": KEY,
        "captured_at": captured.isoformat(timespec="seconds"),
        "project_id": str(world.own.id),
        "facility_id": str(world.own.facility_id),
        "category": "facility",
        "urgent": "y",
        "description": "地下车库B2水泵房漏水",
        "place_text": "B2 水泵房",
        "latitude": "31.230400",
        "longitude": "121.473700",
        "accuracy_m": "15",
        "source": "seen_on_site",
    }
    fields.update(changes)
    return fields


def replay(client, fields: dict, token: str | None = None):
    """POST /slips/new as the queue does: multipart, a fresh token, the photo as a Blob."""
    data = dict(fields)
    data["csrf_token"] = token if token is not None else csrf_token(client, "/slips/new")
    data["photos"] = [(io.BytesIO(PHOTO), "photo-1.jpg", "image/jpeg")]
    return client.post("/slips/new", data=data, content_type="multipart/form-data")


def slips(app):
    from webapp.slips.models import Slip, SlipPhoto

    with app.app_context():
        rows = db.session.scalars(sa.select(Slip)).all()
        result = [(s.id, s.captured_at, s.filed_at) for s in rows]
        photos = db.session.scalar(sa.select(sa.func.count()).select_from(SlipPhoto))
    return result, photos


def test_slip11_filing_page_carries_the_queue_script_and_its_translated_words(client, login, world):
    login(world.users[("staff", "own")])
    html = client.get("/slips/new").get_data(as_text=True)

    assert re.search(r'<script src="/static/vendor/idb-keyval/idb-keyval\.umd\.js[^"]*" defer></script>', html)
    assert re.search(r'<script src="/static/js/slip-form\.js[^"]*" defer></script>', html)
    assert "data-slip-form" in html
    queue = re.search(r'<section id="offline-queue"[^>]*>', html, re.S).group(0)
    assert 'data-new-url="/slips/new"' in queue
    assert 'data-login-path="/login"' in queue
    # the script's words come from the page, in the user's language
    assert "信号" in re.search(r'data-msg-queued="([^"]*)"', queue).group(1)
    assert "{n}" in re.search(r'data-msg-login="([^"]*)"', queue).group(1)
    assert "{m}" in re.search(r'data-msg-gps-found="([^"]*)"', queue).group(1)


@pytest.mark.parametrize("path", ["/", "/slips/"])
def test_slip11_my_work_and_the_slips_list_show_and_send_what_waits_on_the_phone(client, login, world, path):
    login(world.users[("staff", "own")])
    html = client.get(path).get_data(as_text=True)

    assert 'id="offline-queue"' in html
    assert "/static/js/slip-form.js" in html


def test_slip11_a_queued_slip_replayed_twice_is_filed_once_with_its_photo_and_capture_time(app, client, login, world):
    login(world.users[("staff", "own")])
    record = queued_record(world)

    first = replay(client, record)
    assert first.status_code == 303
    assert re.fullmatch(r"/slips/\d+", first.headers["Location"])
    # the answer was lost on the way back (signal gone again): the phone sends it again
    second = replay(client, record)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]

    rows, photos = slips(app)
    assert len(rows) == 1 and photos == 1
    (_, captured_at, filed_at), = rows
    assert captured_at < filed_at - timedelta(minutes=30)  # the time it was captured is kept
    assert client.get(first.headers["Location"]).status_code == 200


def test_slip11_the_same_key_with_other_content_is_refused(app, client, login, world):
    login(world.users[("staff", "own")])
    assert replay(client, queued_record(world)).status_code == 303

    response = replay(client, queued_record(world, description="另一件事"))

    assert response.status_code == 422
    assert "<form" in response.get_data(as_text=True)
    assert len(slips(app)[0]) == 1


def test_slip11_a_replay_after_the_session_ended_files_nothing_and_asks_to_sign_in(app, client, login, world):
    from webapp.org.auth import end_all_sessions
    from webapp.org.models import User

    username = world.users[("staff", "own")]
    login(username)
    token = csrf_token(client, "/slips/new")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        end_all_sessions(db.session, user.id)
        db.session.commit()

    response = replay(client, queued_record(world), token=token)

    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login")
    assert slips(app)[0] == []


def test_slip11_a_replay_with_a_stale_token_is_refused_as_400_and_files_nothing(app, client, login, world):
    login(world.users[("staff", "own")])

    response = replay(client, queued_record(world), token="stale-token-from-yesterday")

    assert response.status_code == 400
    assert slips(app)[0] == []
