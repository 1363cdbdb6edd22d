"""EST-02 end to end: a printed QR label, scanned by a phone, opens the facility page."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from webapp.estate.models import Facility
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(browser):
    """A desktop browser window in the office, next to the phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def test_est02_printed_label_scanned_on_a_phone_opens_the_facility(app, page, desk, live_server, world, sign_in, shots):
    with app.app_context():
        facility_code = db.session.get(Facility, world.own.facility_id).code
    # The project manager prints the building's label sheet at a desk.
    sheet = desk.new_page()
    sign_in(sheet, world.users[("pm", "own")])
    sheet.goto(f"{live_server}/estate/buildings/{world.own.building_id}/labels")
    label = sheet.locator(f"#label-{world.own.facility_id}")
    expect(label).to_contain_text("own水泵房")
    label.screenshot(path=shots / "label.png")

    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(label.screenshot())))
    assert len(codes) == 1
    scanned = codes[0].text
    assert scanned == f"{live_server}/f/{world.own.facility_token}"
    expect(label).to_contain_text(facility_code)

    # The patrol officer's phone, signed out: the code leads through the login page.
    page.goto(scanned)
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    sign_in(page, world.users[("staff", "own")], path=None)
    facility_url = f"{live_server}/estate/facilities/{world.own.facility_id}"
    expect(page).to_have_url(facility_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("own水泵房")

    # Signed in, the next scan goes straight there.
    page.goto(live_server + "/")
    page.goto(scanned)
    expect(page).to_have_url(facility_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("own水泵房")
    page.screenshot(path=shots / "facility.png")
