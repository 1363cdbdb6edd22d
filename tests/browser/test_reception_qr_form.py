"""RCP-01 "QR form" end to end: the poster printed at the desk, scanned by an owner's phone,
a message with a photo sent without signing in, the status link (no personal data,
EST-03), and the receptionist routing it from the open ledger on a phone."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from webapp.reception import rules

pytestmark = pytest.mark.browser

DESCRIPTION = "楼道灯不亮好几天了"
PHONE_NUMBER = "13900002222"
UNIT = "own1栋1502"


@pytest.fixture
def desk(browser):
    """A desktop browser window in the office, where the poster is printed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


@pytest.fixture
def receptionist_phone(browser):
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def quick_owner(monkeypatch):
    """A test fills the form faster than any person: the fill-time check would hold it."""
    monkeypatch.setattr(rules, "MIN_FILL_TIME", timedelta(0))


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_rcp01_qr_form_from_the_poster_to_the_ledger_and_back_to_the_owner(
    page, desk, receptionist_phone, live_server, world, sign_in, shots, violations, quick_owner
):
    # The receptionist prints the poster for the notice boards.
    office = desk.new_page()
    sign_in(office, world.users[("receptionist", "own")])
    office.goto(f"{live_server}/reception/poster?project={world.own.id}")
    expect(office.locator("#poster")).to_contain_text("扫码联系客服中心")
    code = office.locator("#poster .poster-code")
    code.screenshot(path=shots / "poster-code.png")
    office.locator("#poster").screenshot(path=shots / "poster.png")
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert len(scanned) == 1
    form_url = scanned[0].text
    assert form_url == f"{live_server}/contact/OWN"

    # An owner scans it: a phone 360 px wide, never signed in.
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(form_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("联系客服中心")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("label.owner-category", has_text="报修").click()
    page.locator("#description").fill(DESCRIPTION)
    page.locator("#photos").set_input_files(
        files=[{"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.locator("#unit_text").fill(UNIT)
    page.locator("#phone").fill(PHONE_NUMBER)
    page.screenshot(path=shots / "owner-form.png", full_page=True)
    page.locator("#owner-form-send").click()

    reference = page.locator("#public-reference")
    expect(reference).to_have_text(re.compile(r"^OWN-JD-\d{8}-0001$"))
    number = reference.inner_text()
    status_link = page.locator("#status-link")
    status_url = status_link.get_attribute("href")
    assert status_url.startswith(f"{live_server}/contact/status/")
    assert status_link.inner_text() == status_url  # shown in full, to copy
    page.screenshot(path=shots / "owner-thanks.png", full_page=True)

    page.goto(status_url)
    expect(page.locator("#status-reference")).to_have_text(number)
    expect(page.locator("#status-now")).to_have_text("已收到")
    body = page.locator("body").inner_text()
    for private in (DESCRIPTION, PHONE_NUMBER, "139****2222", UNIT, "1502"):
        assert private not in body
    assert not violations, violations

    # The receptionist, on a phone, finds it at the top of the open ledger and routes it
    # as a repair: the work order is dispatched.
    desk_phone = receptionist_phone.new_page()
    sign_in(desk_phone, world.users[("receptionist", "own")])
    desk_phone.goto(f"{live_server}/reception/")
    first = desk_phone.locator("#ledger-list > li").first
    expect(first).to_contain_text(number)
    expect(first).to_contain_text(DESCRIPTION)
    first.locator("a").first.click()
    expect(desk_phone.locator("h1.code")).to_have_text(number)
    expect(desk_phone.locator("#entry-facts img")).to_have_count(1)  # the owner's photo
    desk_phone.locator('#route-repair a[data-follow-up="work_order"]').click()
    desk_phone.locator("#department_id").select_option(label="own安全部")
    desk_phone.screenshot(path=shots / "work-order.png", full_page=True)
    desk_phone.locator("#work-order-form button[type=submit]").click()
    desk_phone.wait_for_load_state()
    assert "/start/work-order" not in desk_phone.url

    # The owner's status page now says it is being handled, still naming nobody.
    page.reload()
    expect(page.locator("#status-now")).to_have_text("处理中")
    body = page.locator("body").inner_text()
    assert "own.receptionist" not in body and DESCRIPTION not in body
    page.screenshot(path=shots / "owner-status.png", full_page=True)
