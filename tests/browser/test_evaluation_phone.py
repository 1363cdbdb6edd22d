"""The evaluation pages on a 360 px phone (EVAL, ORG-02): a patrol guard opens their own
sheet from the account page and follows a figure to the slips behind it; the period picker
swaps the sheet in place with JavaScript and works as a plain GET form without it; the GM's
company view keeps its wide table scrolling inside its wrapper, worst project first; and no
page logs an error or breaks the Content-Security-Policy.

The server's clock is moved with time_machine (the live server runs in this process) to
09:00 tomorrow in Shanghai, so "this month" and "last month" are facts the test states.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import CSP_LISTENER, PHONE, Violations
from webapp.core.clock import LOCAL_TZ, now, to_local
from webapp.evaluation.rules import month_of
from webapp.extensions import db
from webapp.org.models import Project, User

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
WIDTH = 360
NARROW_PHONE = {
    **PHONE,
    "viewport": {"width": WIDTH, "height": 780},
    "screen": {"width": WIDTH, "height": 780},
}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return dict(NARROW_PHONE)


def tomorrow_morning() -> datetime:
    """09:00 in Shanghai tomorrow: ahead of the browser's clock, so no cookie the server
    sets has expired by the browser's reckoning."""
    day = to_local(now()).date() + timedelta(days=1)
    return datetime.combine(day, time(9, 0), tzinfo=LOCAL_TZ)


def fits_the_phone(page) -> None:
    assert page.evaluate("window.innerWidth") == WIDTH
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH + 1, f"{page.url} scrolls sideways: {width} px"


def watched_context(browser, seen: Violations, **options):
    """Another phone (a context of its own), watched for console errors and CSP violations."""
    context = browser.new_context(**NARROW_PHONE, **options)
    context.expose_binding("reportViolation", lambda _source, text: seen.csp.append(text))
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        if message.type in ("error", "warning"):
            seen.console.append(f"{message.type}: {message.text}")

    def watch(page):
        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.console.append(f"uncaught: {error}"))

    context.on("page", watch)
    return context


def file_slips(app, username: str, moments: list[datetime]) -> list[tuple[int, str]]:
    """Slips filed by `username` in the own project at those moments: (id, number) each."""
    with app.app_context():
        session = db.session
        filer = session.scalar(sa.select(User).where(User.username == username))
        project = session.get(Project, filer.roles[0].project_id)
        department_id = filer.roles[0].department_id
        slips = [
            factories.make_slip(
                session, project, filer, filed_at=at, filer_department_id=department_id
            )
            for at in moments
        ]
        session.commit()
        return [(slip.id, slip.number) for slip in slips]


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def figure(page, key: str):
    return page.locator(f"#evaluation-sheet > .evaluation-columns a.figure-link[data-figure={key}]")


def test_eval_a_patrol_guard_follows_their_slips_filed_from_the_account_page_to_each_slip(
    page, live_server, world, app, sign_in, violations
):
    """The guard's sheet says 2 slips filed this month; tapping the 2 lists both slips by
    number, and each number opens that slip."""
    guard = world.users[("staff", "own")]
    moment = tomorrow_morning()
    with time_machine.travel(moment, tick=True):
        filed = file_slips(
            app, guard, [moment - timedelta(hours=2), moment - timedelta(minutes=30)]
        )
        # a slip of last month is not this month's
        file_slips(app, guard, [moment - timedelta(days=40)])

        sign_in(page, guard)
        page.locator(".topbar-user").click()
        expect(page).to_have_url(re.compile(r"/account$"))
        fits_the_phone(page)
        page.locator("#my-evaluation-link").click()
        expect(page).to_have_url(re.compile(r"/evaluation/$"))
        page.locator("#evaluation-mine a").click()

        expect(page).to_have_url(re.compile(rf"/evaluation/people/{user_id(app, guard)}$"))
        expect(page.locator("#evaluation-sheet h1")).to_contain_text("绩效考评表")
        expect(page.locator("#evaluation-sheet .summary-subtitle strong")).to_have_text(
            month_of(moment.date()).key
        )
        slips_filed = figure(page, "slips_filed")
        expect(slips_filed).to_have_text("2")
        fits_the_phone(page)
        box = slips_filed.bounding_box()
        assert box and box["height"] >= 24, f"the figure is a small tap target: {box}"

        slips_filed.tap()
        expect(page).to_have_url(
            re.compile(r"/evaluation/evidence/person/\d+/slips_filed\?period=")
        )
        records = page.locator("#evidence-records > li")
        expect(records).to_have_count(2)
        expect(page.locator("[data-records]")).to_have_text("2")
        fits_the_phone(page)
        for slip_id, number in filed:
            link = page.locator(f"#evidence-records > li[data-record='{slip_id}'] a")
            expect(link).to_have_text(number)
            expect(link).to_have_attribute("href", f"/slips/{slip_id}")

        first_id, first_number = filed[0]
        page.locator(f"#evidence-records a[href='/slips/{first_id}']").tap()
        expect(page).to_have_url(re.compile(rf"/slips/{first_id}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(first_number)
        page.go_back()
        second_id, second_number = filed[1]
        page.locator(f"#evidence-records a[href='/slips/{second_id}']").tap()
        expect(page).to_have_url(re.compile(rf"/slips/{second_id}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(second_number)
    assert violations.csp == [] and violations.console == []


def test_eval_the_period_picker_swaps_the_sheet_and_works_without_javascript(
    page, browser, live_server, world, app, sign_in, violations
):
    """Choosing last month in the picker shows last month's figure in place (the address
    says which month); the "previous period" link goes there too; with JavaScript off the
    same form still shows last month."""
    guard = world.users[("staff", "own")]
    moment = tomorrow_morning()
    this_month = month_of(moment.date())
    last_month = this_month.previous()
    with time_machine.travel(moment, tick=True):
        file_slips(app, guard, [moment - timedelta(hours=1)] * 2)
        file_slips(
            app,
            guard,
            [datetime.combine(last_month.first + timedelta(days=9), time(10), tzinfo=LOCAL_TZ)],
        )
        sheet_url = f"{live_server}/evaluation/people/{user_id(app, guard)}"
        subtitle = "#evaluation-sheet .summary-subtitle strong"

        # --- with JavaScript: the form swaps the sheet without loading the page again
        sign_in(page, guard)
        page.goto(sheet_url)
        expect(figure(page, "slips_filed")).to_have_text("2")
        page.evaluate("window.samePage = true")
        picker = page.locator("#evaluation-sheet form.summary-picker")
        picker.locator("select[name=period]").select_option(last_month.key)
        with page.expect_response(lambda r: f"period={last_month.key}" in r.url) as answer:
            picker.get_by_role("button", name="查看").tap()
        assert answer.value.request.headers.get("hx-request") == "true"
        expect(page).to_have_url(f"{sheet_url}?period={last_month.key}")
        expect(page.locator(subtitle)).to_have_text(last_month.key)
        expect(figure(page, "slips_filed")).to_have_text("1")
        assert page.evaluate("window.samePage") is True, "the form loaded the whole page"
        expect(page.locator("#evaluation-sheet")).to_have_count(1)  # swapped, not nested
        fits_the_phone(page)

        # the "previous period" link from this month
        page.goto(sheet_url)
        expect(figure(page, "slips_filed")).to_have_text("2")
        page.locator("#evaluation-sheet a[rel=prev]").tap()
        expect(page).to_have_url(f"{sheet_url}?period={last_month.key}")
        expect(page.locator(subtitle)).to_have_text(last_month.key)
        expect(figure(page, "slips_filed")).to_have_text("1")

        # --- without JavaScript: the same GET form
        seen = Violations()
        plain = watched_context(browser, seen, java_script_enabled=False)
        try:
            phone = plain.new_page()
            sign_in(phone, guard)
            phone.goto(sheet_url)
            expect(figure(phone, "slips_filed")).to_have_text("2")
            form = phone.locator("#evaluation-sheet form.summary-picker")
            form.locator("select[name=period]").select_option(last_month.key)
            form.get_by_role("button", name="查看").tap()
            expect(phone).to_have_url(f"{sheet_url}?period={last_month.key}")
            expect(phone.locator(subtitle)).to_have_text(last_month.key)
            expect(figure(phone, "slips_filed")).to_have_text("1")
            fits_the_phone(phone)
        finally:
            plain.close()
    assert seen.console == []
    assert violations.csp == [] and violations.console == []


def file_complaints(app, project_id: int, count: int, at: datetime) -> list[str]:
    with app.app_context():
        session = db.session
        project = session.get(Project, project_id)
        desk = session.scalar(
            sa.select(User).where(User.username == f"{project.code.lower()}.receptionist")
        )
        numbers = [
            factories.make_complaint(session, project, desk, received_at=at).number
            for _ in range(count)
        ]
        session.commit()
        return numbers


def test_eval_the_gm_reads_the_company_view_on_a_phone_worst_project_first(
    page, live_server, world, app, sign_in, violations
):
    """At 360 px the company table scrolls inside its frame while the page stays put; of the
    two projects of one unit each, the one with complaints comes first, and its figure opens the complaints behind it."""
    moment = tomorrow_morning()
    with time_machine.travel(moment, tick=True):
        numbers = file_complaints(app, world.own.id, 2, moment - timedelta(hours=1))
        sign_in(page, world.users[("gm", None)])
        page.goto(live_server + "/evaluation/")
        page.locator("#evaluation-company a").tap()
        expect(page).to_have_url(re.compile(r"/evaluation/company$"))

        table = page.locator("#company-table")
        expect(table).to_be_visible()
        fits_the_phone(page)
        frame = page.locator(".table-wrap", has=table)
        sizes = frame.evaluate(
            "(wrap) => [wrap.scrollWidth, wrap.clientWidth, getComputedStyle(wrap).overflowX]"
        )
        assert sizes[0] > sizes[1] and sizes[2] in ("auto", "scroll"), (
            f"the table does not scroll in its frame: {sizes}"
        )
        frame.evaluate("(wrap) => { wrap.scrollLeft = wrap.scrollWidth; }")
        assert frame.evaluate("(wrap) => wrap.scrollLeft") > 0
        assert page.evaluate("window.scrollX") == 0
        fits_the_phone(page)

        rows = table.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_have_attribute("data-project", str(world.own.id))
        expect(rows.nth(1)).to_have_attribute("data-project", str(world.other.id))
        cell = rows.first.locator("td[data-measure=complaints_per_thousand]")
        expect(cell).to_have_attribute("data-worst", "")
        link = cell.locator("a")
        link.scroll_into_view_if_needed()
        link.tap()

        expect(page).to_have_url(
            re.compile(
                rf"/evaluation/evidence/project/{world.own.id}/complaints_per_thousand\?period="
            )
        )
        expect(page.locator("#evidence-records > li")).to_have_count(2)
        for number in numbers:
            expect(page.locator("#evidence-records")).to_contain_text(number)
        fits_the_phone(page)
    assert violations.csp == [] and violations.console == []


def test_eval_every_evaluation_page_loads_on_a_phone_without_console_errors_or_csp_violations(
    page, live_server, world, app, sign_in, violations
):
    """QA walks the index, a person's, a department's and a project's sheet (with the trend
    charts), an evidence list, the company view and the ranking: nothing is logged as an
    error, nothing breaks the CSP, and no page scrolls sideways."""
    moment = tomorrow_morning()
    with time_machine.travel(moment, tick=True):
        file_slips(app, world.users[("staff", "own")], [moment - timedelta(hours=1)])
        file_complaints(app, world.own.id, 1, moment - timedelta(hours=1))
        guard_id = user_id(app, world.users[("staff", "own")])
        sign_in(page, world.users[("qa", None)])
        paths = [
            "/evaluation/",
            f"/evaluation/people/{guard_id}",
            f"/evaluation/departments/{world.own.department_id}",
            f"/evaluation/projects/{world.own.id}",
            f"/evaluation/projects/{world.own.id}?period={month_of(moment.date()).key[:4]}-Q4",
            f"/evaluation/evidence/person/{guard_id}/slips_filed",
            "/evaluation/company",
            f"/evaluation/ranking?project={world.own.id}&of=people",
        ]
        too_wide = []
        for path in paths:
            response = page.goto(live_server + path)
            assert response.status == 200, f"{path}: {response.status}"
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH + 1:
                too_wide.append(f"{path}: {width} px")
        expect(page.locator("#company-table, .ranking-table").first).to_be_visible()
    assert too_wide == []
    assert violations.csp == [] and violations.console == []
