"""The app on a phone (APP-01): sign in, the tab bar under the thumb, install, offline."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, wait_for_service_worker
from webapp.core.notify import open_work
from webapp.extensions import db
from webapp.org.models import User

pytestmark = pytest.mark.browser


def test_app01_staff_signs_in_on_a_phone_and_lands_on_my_work(page, live_server, world, sign_in, shots):
    sign_in(page, world.users[("staff", "own")])

    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作")
    tabbar = page.get_by_role("navigation", name="主导航")
    expect(tabbar).to_be_visible()
    tabs = tabbar.get_by_role("link")
    assert tabs.count() >= 4
    viewport_height = PHONE["viewport"]["height"]
    for index in range(tabs.count()):
        box = tabs.nth(index).bounding_box()
        assert box["height"] >= 44, f"tab {index} is {box['height']} px tall"
        assert box["y"] + box["height"] <= viewport_height, "tab bar below the screen"
    expect(tabbar.get_by_role("link", name="我的工作")).to_have_attribute("aria-current", "page")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    page.screenshot(path=shots / "my-work.png", full_page=True)


def test_app01_login_page_fits_the_phone_without_sideways_scrolling(page, live_server, shots):
    page.goto(live_server + "/login")

    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    button = page.get_by_role("button", name="登录")
    assert button.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    # Signed out there is no tab bar to tap into a dead end.
    expect(page.get_by_role("navigation", name="主导航")).to_have_count(0)
    page.screenshot(path=shots / "login.png", full_page=True)


def test_app01_app_is_installable(playwright, live_server, world, tmp_path):
    # Chromium answers installability questions only for a persistent profile.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server + "/login")
        manifest_href = page.locator("link[rel=manifest]").get_attribute("href")
        assert manifest_href == "/manifest.webmanifest"

        assert wait_for_service_worker(page) == "activated"
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == live_server + manifest_href
        assert manifest["errors"] == []
        data = json.loads(manifest["data"])
        assert data["name"] == "物业客服台"
        assert data["display"] == "standalone"
        assert any(icon["purpose"] == "maskable" for icon in data["icons"])
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_app01_offline_phone_shows_the_no_signal_page_styled(page, context, live_server, world, sign_in, shots):
    sign_in(page, world.users[("staff", "own")])
    assert wait_for_service_worker(page) == "activated"
    # The first page may have loaded before the worker took control: one more visit
    # goes through it, as every later visit on the phone will.
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    try:
        page.goto(live_server + "/estate/")
        expect(page.get_by_role("heading", level=1)).to_have_text("无网络信号")
        # The stylesheet came from the worker's cache: the top bar has the brand colour.
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
        )
        assert background == "rgb(11, 110, 79)"
        # Nobody's name, tabs or data on the cached page.
        expect(page.get_by_role("navigation")).to_have_count(0)
        assert world.users[("staff", "own")] not in page.content()
        page.screenshot(path=shots / "offline.png")
    finally:
        context.set_offline(False)
    # The signal returns: the page the officer wanted opens by itself.
    expect(page.get_by_role("heading", level=1)).to_have_text("园区")


def test_app02_offline_page_speaks_the_language_the_user_chose(page, context, live_server, world, sign_in):
    sign_in(page, world.users[("staff", "own")])
    assert wait_for_service_worker(page) == "activated"
    page.goto(live_server + "/account")
    page.locator("#language-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()  # through the worker, which notes the page's language

    context.set_offline(True)
    try:
        page.goto(live_server + "/estate/")
        expect(page.get_by_role("heading", level=1)).to_have_text("No signal")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("No signal")


def test_app06_form_sent_without_signal_stays_on_screen_with_what_was_typed(page, context, live_server, world, sign_in):
    sign_in(page, world.users[("staff", "own")])
    page.goto(live_server + "/account")
    context.set_offline(True)
    try:
        expect(page.locator("#offline-banner")).to_be_visible()
        page.get_by_label("当前密码").fill("typed-before-the-tunnel")
        page.get_by_role("button", name="修改密码").click()

        expect(page).to_have_url(live_server + "/account")
        expect(page.get_by_label("当前密码")).to_have_value("typed-before-the-tunnel")
    finally:
        context.set_offline(False)
    expect(page.locator("#offline-banner")).to_be_hidden()


def test_app01_service_worker_never_stores_signed_in_pages(page, live_server, world, sign_in):
    sign_in(page, world.users[("pm", "own")])
    wait_for_service_worker(page)
    page.reload()
    page.goto(live_server + "/estate/")

    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }"""
    )
    assert "/offline" in cached
    assert "/static/css/app.css" in cached
    assert "/" not in cached
    assert "/estate/" not in cached
    offline_html = page.evaluate(
        "async () => (await (await caches.match('/offline', {ignoreVary: true})).text())"
    )
    assert world.users[("pm", "own")] not in offline_html
    assert "csrf" not in offline_html.lower()


def test_app03_my_work_refreshes_itself_while_on_screen(app, page, live_server, world, sign_in):
    page.clock.install()
    username = world.users[("staff", "own")]
    sign_in(page, username)
    expect(page.locator("#work-list")).to_contain_text("目前没有待办事项")

    # Someone hands this officer a job while the phone shows My work.
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        open_work(db.session, project_id=world.own.id, kind="test", title="巡查水泵房漏水",
                  link="/estate/", assignee_id=user.id)
        db.session.commit()
    page.clock.run_for("01:05")

    expect(page.locator("#work-list")).to_contain_text("巡查水泵房漏水")
