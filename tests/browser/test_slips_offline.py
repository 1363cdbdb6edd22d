"""No signal in the plant room (SLIP-11): the phone keeps the slip and its photo in
IndexedDB, shows it as waiting, and sends it when the signal returns: exactly once, also
when the same record is sent again, and only after signing in again when the session
ended meanwhile."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from webapp.extensions import db
from webapp.org.auth import end_all_sessions
from webapp.org.models import User
from webapp.slips.models import Slip, SlipPhoto

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms: the replay starts on the "online" event; this bounds every wait
STORE = 'idbKeyval.createStore("estatedesk-slips", "queue")'


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {**PHONE, "geolocation": {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 15},
            "permissions": ["geolocation"]}


def photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (90, 120, 150)).save(buffer, "JPEG", quality=90)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def server_slips(app) -> list[tuple[Slip, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Slip).order_by(Slip.id)).all()
        result = [
            (slip, db.session.scalar(sa.select(sa.func.count()).where(SlipPhoto.slip_id == slip.id)))
            for slip in rows
        ]
        db.session.expunge_all()
    return result


def file_with_no_signal(page, context, live_server, description: str):
    page.goto(live_server + "/slips/new")
    expect(page.locator("#slip-gps")).to_contain_text("±15", timeout=TIMEOUT)
    context.set_offline(True)
    page.locator("#photos").set_input_files(photo())
    expect(page.locator(".photo-picks img")).to_have_count(1, timeout=TIMEOUT)
    page.locator("input[name=category][value=facility]").check()
    page.locator("#description").fill(description)
    page.locator("form[data-slip-form] button[type=submit]").click()


def waiting(page):
    return page.locator("#offline-queue [data-queue-count]")


def test_slip11_a_slip_filed_with_no_signal_waits_on_the_phone_and_is_sent_once(page, context, live_server, world, app, sign_in):
    sign_in(page, world.users[("staff", "own")])
    file_with_no_signal(page, context, live_server, "B2水泵房漏水")

    expect(waiting(page)).to_have_text("1", timeout=TIMEOUT)
    queue = page.locator("#offline-queue")
    expect(queue).to_be_visible()
    expect(queue).to_contain_text("信号恢复后自动发送")
    expect(queue.locator(".queue-item")).to_contain_text("1 张照片")
    expect(queue.locator(".queue-item")).to_contain_text("B2水泵房漏水")
    # the form is ready for the next slip, with a new key
    expect(page.locator("#description")).to_have_value("")
    expect(page.locator(".photo-picks img")).to_have_count(0)
    assert server_slips(app) == []  # nothing reached the server
    # the test keeps a copy of the queued record, to send it once more later
    key = page.evaluate(f"""async () => {{
        const store = {STORE};
        const [key] = await idbKeyval.keys(store);
        window.keptRecord = await idbKeyval.get(key, store);
        return key;
    }}""")
    assert page.locator("input[name=submission_key]").input_value() != key

    context.set_offline(False)

    expect(waiting(page)).to_have_text("0", timeout=TIMEOUT)
    expect(queue.locator("[data-queue-note]")).to_contain_text("已发送")
    (slip, photos), = server_slips(app)
    assert photos == 1
    assert slip.description == "B2水泵房漏水"
    assert slip.captured_at < slip.filed_at  # captured with no signal, received later
    assert (slip.latitude, slip.longitude, slip.accuracy_m) == (31.2304, 121.4737, 15)

    # The same record sent again (an answer lost on the way back): still one slip.
    page.evaluate("""() => { document.querySelector("#offline-queue [data-queue-note]").textContent = ""; }""")
    page.evaluate(f"""async () => {{
        await idbKeyval.set(window.keptRecord.submission_key, window.keptRecord, {STORE});
        window.dispatchEvent(new Event("online"));
    }}""")
    expect(queue.locator("[data-queue-note]")).to_contain_text("已发送", timeout=TIMEOUT)
    expect(waiting(page)).to_have_text("0")
    assert [s.id for s, _ in server_slips(app)] == [slip.id]


def test_slip11_a_queued_slip_waits_for_a_new_sign_in_when_the_session_ended(page, context, live_server, world, app, sign_in):
    username = world.users[("staff", "own")]
    sign_in(page, username)
    file_with_no_signal(page, context, live_server, "地下室照明损坏")
    expect(waiting(page)).to_have_text("1", timeout=TIMEOUT)
    with app.app_context():  # signed out elsewhere (password changed, admin ended sessions)
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        end_all_sessions(db.session, user_id)
        db.session.commit()

    context.set_offline(False)

    login_note = page.locator("#offline-queue [data-queue-login]")
    expect(login_note).to_be_visible(timeout=TIMEOUT)
    expect(login_note).to_contain_text("请重新登录")
    expect(login_note).to_contain_text("1")
    expect(waiting(page)).to_have_text("1")
    assert server_slips(app) == []

    login_note.get_by_role("link").click()
    sign_in(page, username, path=None)

    expect(page).to_have_url(live_server + "/slips/new")
    expect(waiting(page)).to_have_text("0", timeout=TIMEOUT)
    (slip, photos), = server_slips(app)
    assert slip.description == "地下室照明损坏" and photos == 1
