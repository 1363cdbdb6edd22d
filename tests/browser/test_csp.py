"""The strict Content-Security-Policy holds in a real browser: nothing on the main pages is
refused, and no page logs an error (APP-01: the shell works with no inline script)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_service_worker

pytestmark = pytest.mark.browser


def test_app01_main_pages_run_without_csp_violations_or_console_errors(page, context, live_server, world, sign_in, violations):
    page.goto(live_server + "/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    sign_in(page, world.users[("pm", "own")], path=None)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作")
    # htmx must have loaded and read its configuration from the meta tag, not inline code.
    assert page.evaluate("window.htmx && htmx.config.allowEval") is False

    for path, heading in (("/estate/", "园区"), ("/account", None), ("/inbox", None), ("/offline", "无网络信号")):
        page.goto(live_server + path)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.wait_for_load_state("networkidle")

    # The offline page as the service worker serves it, with the network gone.
    page.goto(live_server + "/")
    wait_for_service_worker(page)
    page.reload()
    context.set_offline(True)
    try:
        page.goto(live_server + "/estate/")
        expect(page.get_by_role("heading", level=1)).to_have_text("无网络信号")
    finally:
        context.set_offline(False)

    assert violations.csp == []
    assert violations.console == []
