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


#: per kind of page, the matrix lines to choose from (the first ones the role may open)
MAIN_PAGES = {
    "lists": ["complaints.index", "reception.ledger", "paid_services.jobs", "slips.index", "activities.index",
              "admin.users"],
    "record": ["complaints.detail", "paid_services.job", "reception.detail", "slips.detail"],
    "form": ["complaints.new", "paid_services.new", "reception.new", "slips.new"],
    "print": ["paid_services.print_registration", "estate.building_labels", "paid_services.catalogue_print",
              "activities.plan_print"],
}
TAKEN = {"lists": 2, "record": 1, "form": 1, "print": 1}


def main_pages(world, role) -> list[str]:
    from tests.security.matrix import ROUTES

    paths = ["/"]
    for kind, endpoints in MAIN_PAGES.items():
        allowed = [ROUTES[(endpoint, "GET")] for endpoint in endpoints if role in ROUTES[(endpoint, "GET")].allowed]
        paths += [route.url_for(world.own) for route in allowed[: TAKEN[kind]]]
    return paths


def test_app01_every_role_opens_its_main_pages_without_csp_violations_or_console_errors(
    app, browser, browser_context_args, live_server, world, sign_in
):
    """Each role signs in on its own phone and opens its home, two of its lists, a record,
    a form and a print page: nothing is refused by the policy and nothing logs an error."""
    from tests.browser.conftest import CSP_LISTENER
    from tests.security.matrix import SIGNED_IN_ROLES, arrange, username_for

    arrange(app, world)
    problems, opened = [], 0
    for role in SIGNED_IN_ROLES:
        context = browser.new_context(**browser_context_args)
        seen = []
        context.expose_binding("reportViolation", lambda _source, text, seen=seen: seen.append(f"CSP {text}"))
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("console", lambda message, seen=seen: seen.append(f"{message.type}: {message.text}")
                if message.type in ("error", "warning") else None)
        page.on("pageerror", lambda error, seen=seen: seen.append(f"uncaught: {error}"))
        try:
            sign_in(page, username_for(world, role))
            for path in main_pages(world, role):
                response = page.goto(live_server + path)
                page.wait_for_load_state("networkidle")
                opened += 1
                if response is None or response.status >= 400:
                    problems.append(f"{role.value} {path}: answered {response and response.status}")
                problems += [f"{role.value} {path}: {text}" for text in seen]
                seen.clear()
        finally:
            context.close()
    assert opened >= 5 * len(SIGNED_IN_ROLES)
    assert problems == []
