"""ACT-06 / ACT-16 end to end: an organiser opens the activity's poster, its QR code is
read like a phone camera reads it, an owner on a 360 px phone opens that page, replies
for the household without signing in, and the staff's list of replies shows it (by unit,
no owner)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import PHONE
from webapp.core.clock import local_date, now
from webapp.extensions import db
from webapp.org.models import Project, User

pytestmark = pytest.mark.browser


@pytest.fixture
def organiser_phone(browser):
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 780}})
    yield context
    context.close()


def _activity(app, world):
    """An important activity of an approved plan, 40 days from today, on its timeline."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        publicist = db.session.scalar(sa.select(User).where(User.username == world.users[("publicist", "own")]))
        day = local_date(now()) + timedelta(days=40)
        plan = factories.make_activity_plan(db.session, project, publicist, year=day.year, status="approved")
        activity = factories.make_activity(db.session, plan, scheduled=True, important=True, day=day,
                                           name="邻里中秋晚会", place="中心广场")
        db.session.commit()
        return activity.id, activity.public_token


def test_act06_act16_poster_qr_to_the_owners_reply_and_the_staff_list(
    page, organiser_phone, live_server, app, world, sign_in, shots, violations
):
    activity_id, token = _activity(app, world)

    # The publicist opens the poster on a phone and the QR code is read off the screen.
    staff = organiser_phone.new_page()
    sign_in(staff, world.users[("publicist", "own")])
    staff.goto(f"{live_server}/activities/{activity_id}/poster")
    expect(staff.locator("#poster-title")).to_have_text("邻里中秋晚会")
    expect(staff.locator("#poster-place")).to_have_text("中心广场")
    code = staff.locator("#poster-code svg")
    code.screenshot(path=shots / "poster-code.png")
    staff.screenshot(path=shots / "poster.png", full_page=True)
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert len(scanned) == 1
    public_url = scanned[0].text
    assert public_url == f"{live_server}/activity/{token}"

    # An owner scans it: a phone 360 px wide, never signed in.
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(public_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("邻里中秋晚会")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("#activity-replied")).to_contain_text("0")
    page.locator("#unit_text").fill("own1栋1502")
    page.locator("#phone_digits").fill("1111")
    page.locator("#head_count").fill("3")
    page.screenshot(path=shots / "owner-form.png", full_page=True)
    page.locator("#rsvp-send").click()
    expect(page.locator("#rsvp-done")).to_contain_text("3")
    expect(page.locator("#activity-replied")).to_contain_text("1")
    body = page.locator("body").inner_text()
    for private in (world.own.owner_name, world.own.owner_phone):
        assert private not in body
    page.screenshot(path=shots / "owner-replied.png", full_page=True)

    # The household changes its mind: still one reply, now for 4.
    page.locator("#unit_text").fill("own1栋1502")
    page.locator("#phone_digits").fill("1111")
    page.locator("#head_count").fill("4")
    page.locator("#rsvp-send").click()
    expect(page.locator("#rsvp-done")).to_contain_text("4")
    expect(page.locator("#activity-replied")).to_contain_text("1")

    # The staff list shows the unit and the count, no owner.
    staff.goto(f"{live_server}/activities/{activity_id}/rsvps")
    rows = staff.locator("#rsvp-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("own1栋")
    expect(rows.first).to_contain_text("1502")
    expect(rows.first.locator("td").nth(2)).to_have_text("4")
    assert world.own.owner_name not in staff.locator("body").inner_text()
    assert staff.evaluate("document.documentElement.scrollWidth") <= 360
    staff.screenshot(path=shots / "rsvps.png", full_page=True)
    assert not violations, violations
