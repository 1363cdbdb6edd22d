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


def test_cmp03_the_complaint_form_uses_the_same_picker_and_choosing_fills_an_empty_contact(page, live_server, world, app, sign_in, violations):
    from webapp.complaints.models import Complaint

    sign_in(page, world.users[("receptionist", "own")])
    page.goto(live_server + "/complaints/new")
    page.locator("#description").fill("保安对业主态度恶劣")
    page.locator("#complained_person").fill("夜班保安")
    page.locator("#unit_query").press_sequentially("1502")
    owner = page.locator(f"#owner-choices input[value='{world.own.unit_id}:{world.own.owner_id}']")
    expect(owner).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#owner-choices")).to_contain_text("139****1111")
    page.locator("#unit_query").press("Enter")  # searches; does not send the form
    expect(page).to_have_url(re.compile(r"/complaints/new$"))
    contact = page.locator("#owner_contact")
    owner.check()
    expect(contact).to_have_value("own业主 · own1栋 1502")
    page.locator(f"#owner-choices input[value='{world.own.unit_id}:']").check()  # someone else
    expect(contact).to_have_value("")
    contact.fill("王女士 晚上联系")
    owner.check()
    expect(contact).to_have_value("王女士 晚上联系")  # what the receptionist typed stays
    # Enter in a field sends the form as its main button does (not the search, not the suggestion)
    page.locator("input[name=complaint_class][value=important]").check()
    page.locator("#event_place").fill("3栋大堂")
    page.locator("#event_place").press("Enter")

    expect(page).to_have_url(re.compile(r"/complaints/\d+$"), timeout=TIMEOUT)
    facts = page.locator("#complaint-facts")
    expect(facts).to_contain_text("own1栋 1502")
    expect(facts).to_contain_text("139****1111")
    with app.app_context():
        complaint = db.session.get(Complaint, int(page.url.rsplit("/", 1)[1]))
        assert (complaint.unit_id, complaint.owner_id) == (world.own.unit_id, world.own.owner_id)
        assert complaint.owner_contact == "王女士 晚上联系" and complaint.event_place == "3栋大堂"
    assert violations.csp == [] and violations.console == []
