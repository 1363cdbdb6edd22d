"""A slip's life on the phones (SLIP-01, 03, 06, 07, 10): filed from a facility's QR code
with a photo and the GPS position, received at the CS desk within its clock without a
reload, then measures and on-site verification, failed once, then passed."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import PHONE
from webapp.core import media
from webapp.core.clock import now
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.slips.models import Slip, SlipPhoto

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
DESK_TIMEOUT = 30_000  # ms: the desk refreshes itself every 15 s (checked every 5 s)
GPS = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 15}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {**PHONE, "geolocation": GPS, "permissions": ["geolocation"]}


def camera_photo() -> dict:
    """What a phone camera hands over: 3000×2000 with EXIF (maker, model, orientation)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Pixel 7"  # Model
    exif[0x0112] = 1  # Orientation
    buffer = io.BytesIO()
    image = Image.merge("RGB", [Image.effect_noise((3000, 2000), 40)] * 3)
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return {"name": "IMG_20261128.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_slip01_slip10_patrol_files_from_a_facility_qr_with_a_downscaled_photo_and_gps(page, live_server, world, app, sign_in, violations):
    page.goto(live_server + f"/f/{world.own.facility_token}")
    sign_in(page, world.users[("staff", "own")], path=None)  # signed out: login, then back
    page.locator("#new-slip-here").click()

    expect(page).to_have_url(re.compile(rf"/slips/new\?facility={world.own.facility_id}$"))
    expect(page.locator("#slip-facility")).to_contain_text("own水泵房")
    expect(page.locator("#slip-gps")).to_have_text("位置 ±15 米", timeout=TIMEOUT)
    page.locator("#photos").set_input_files(camera_photo())
    expect(page.locator(".photo-picks img")).to_have_count(1, timeout=TIMEOUT)
    page.locator("input[name=category][value=facility]").check()
    page.locator("input[name=urgent]").check()
    page.locator("#description").fill("水泵漏水")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/slips/new")) as sent:
        page.locator("form[data-slip-form] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/slips/\d+$"), timeout=TIMEOUT)
    expect(page.get_by_role("heading", level=1)).to_contain_text("OWN-XD-")
    facts = page.locator("#slip-facts")
    expect(facts).to_contain_text("own水泵房")
    expect(facts).to_contain_text("31.23040, 121.47370")
    expect(facts).to_contain_text("±15")
    # what went over the air was the phone's downscaled JPEG, not the 3000 px original
    assert sent.value.sizes()["requestBodySize"] < len(camera_photo()["buffer"]) / 2

    slip_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        slip = db.session.get(Slip, slip_id)
        assert slip.urgent and slip.facility_id == world.own.facility_id
        assert (slip.latitude, slip.longitude, slip.accuracy_m) == (31.2304, 121.4737, 15)
        (photo,) = db.session.scalars(sa.select(SlipPhoto).where(SlipPhoto.slip_id == slip_id)).all()
        stored = Image.open(io.BytesIO(media.store_from_app(app).open(photo.original_key)))
        # the server keeps up to 2560 px: ≤ 1600 proves the phone downscaled it
        assert max(stored.size) <= 1600 and stored.size[0] > stored.size[1]
        assert not stored.getexif() and "exif" not in stored.info
    assert violations.csp == [] and violations.console == []


def test_slip03_the_desk_sees_an_urgent_slip_without_reloading_and_receiving_stops_the_clock(page, live_server, world, app, sign_in):
    sign_in(page, world.users[("receptionist", "own")])
    page.goto(live_server + "/slips/desk")
    urgent = page.locator("#desk-queue ol[aria-labelledby=desk-urgent]")
    expect(urgent).to_have_count(0)

    with app.app_context():  # meanwhile a patrol files an urgent slip on a phone
        project = db.session.get(Project, world.own.id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        slip = factories.make_slip(db.session, project, filer, urgent=True, description="电梯困人")
        db.session.commit()
        slip_id = slip.id

    row = urgent.locator(f"a[href='/slips/{slip_id}']")
    expect(row).to_be_visible(timeout=DESK_TIMEOUT)  # the queue refreshed itself
    expect(urgent).to_contain_text("电梯困人")
    expect(urgent).to_contain_text(re.compile(r"1[45]"))  # minutes left of the 15
    row.click()
    expect(page.locator("#desk-clock strong")).to_be_visible()  # the clock runs
    page.locator("#receive-form select[name=department_id]").select_option(label="own安全部")
    page.locator("#receive-form button[type=submit]").click()

    expect(page.locator("#receive-form")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator("#desk-clock")).to_contain_text(world.users[("receptionist", "own")])
    expect(page.locator("#desk-clock strong")).to_have_count(0)  # the clock stopped
    with app.app_context():
        slip = db.session.get(Slip, slip_id)
        assert slip.received_at is not None and slip.responsible_department_id == world.own.department_id
        assert slip.status == "assigned"


def record_measures(page, how: str):
    form = page.locator("#measures-form")
    form.locator("input[name=measures_who]").fill("维修工 张师傅")
    form.locator("input[name=measures_when]").fill(now().strftime("%Y-%m-%dT%H:%M"))
    form.locator("textarea[name=measures_how]").fill(how)
    form.locator("button[type=submit]").click()
    expect(page.locator("#done-form")).to_be_visible(timeout=TIMEOUT)
    page.locator("#done-form button[type=submit]").click()
    expect(page.locator("#done-form")).to_have_count(0, timeout=TIMEOUT)


def verify(page, result: str, note: str):
    form = page.locator("#verify-form")
    form.locator(f"input[name=result][value={result}]").check()
    form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    expect(page.locator("#verify-form")).to_have_count(0, timeout=TIMEOUT)


def test_slip06_slip07_measures_then_verification_fails_then_passes_and_every_round_is_kept(browser, live_server, world, app, sign_in):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        received = now() - timedelta(minutes=30)
        slip = factories.make_slip(
            db.session, project, filer, status="assigned", filed_at=received - timedelta(minutes=5),
            received_at=received, responsible_department_id=world.own.department_id,
            rectification_due_at=now() + timedelta(hours=2),
        )
        db.session.commit()
        url = f"{live_server}/slips/{slip.id}"
        slip_id = slip.id
    supervisor = browser.new_context(**PHONE).new_page()
    desk = browser.new_context(**PHONE).new_page()
    try:
        sign_in(supervisor, world.users[("dept_supervisor", "own")])
        sign_in(desk, world.users[("cs_supervisor", "own")])

        supervisor.goto(url)
        record_measures(supervisor, "更换水泵密封圈")
        desk.goto(url)
        verify(desk, "fail", "仍有渗水")
        expect(desk.locator("#round-1 .verification-fail")).to_contain_text("仍有渗水")

        supervisor.goto(url)
        expect(supervisor.locator("#measures-form")).to_be_visible()  # back for new measures
        record_measures(supervisor, "更换整套水泵")
        desk.goto(url)
        verify(desk, "pass", "已修好")

        expect(desk.locator("#slip-rounds > li")).to_have_count(2)
        expect(desk.locator("#round-1 .verification-fail")).to_be_visible()
        expect(desk.locator("#round-2 .verification-pass")).to_be_visible()
        with app.app_context():
            slip = db.session.get(Slip, slip_id)
            assert slip.status == "closed" and slip.closed_at is not None
            assert [r.verification for r in slip.rounds] == ["fail", "pass"]
    finally:
        supervisor.context.close()
        desk.context.close()
