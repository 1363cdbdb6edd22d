"""SLIP-02 on the phone: typing a unit number offers its people (phones masked); picking
one files the owner-raised slip with that owner and unit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.slips.models import Slip

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms


def test_slip02_typing_a_unit_offers_its_owner_and_picking_files_with_them(page, live_server, world, app, sign_in, violations):
    sign_in(page, world.users[("receptionist", "own")])
    page.goto(live_server + "/slips/new")
    page.locator("input[name=category][value=facility]").check()
    page.locator("#description").fill("楼道灯不亮")
    page.locator("#place_text").fill("1502门口")
    page.locator("input[name=source][value=owner]").check()
    page.locator("#unit_query").press_sequentially("1502")
    choice = page.locator(f"#owner-choices input[value='{world.own.unit_id}:{world.own.owner_id}']")
    expect(choice).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#owner-choices")).to_contain_text("own1栋 1502 · own业主（业主） 139****1111")
    expect(page.locator("#owner-choices")).not_to_contain_text("other")
    page.locator("#unit_query").press("Enter")  # searches; does not send the slip
    expect(page).to_have_url(re.compile(r"/slips/new$"))
    page.locator(f"#owner-choices input[value='{world.own.unit_id}:{world.own.owner_id}']").check()
    page.locator("form[data-slip-form] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/slips/\d+$"), timeout=TIMEOUT)
    facts = page.locator("#slip-facts")
    expect(facts).to_contain_text("own1栋 1502")
    expect(facts).to_contain_text("own业主")
    expect(facts).to_contain_text("139****1111")
    with app.app_context():
        slip = db.session.get(Slip, int(page.url.rsplit("/", 1)[1]))
        assert (slip.unit_id, slip.owner_id) == (world.own.unit_id, world.own.owner_id)
    assert violations.csp == [] and violations.console == []
