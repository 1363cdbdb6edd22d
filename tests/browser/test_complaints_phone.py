"""An important complaint's life on the phones (CMP-01, 03, 04, 05, 07): recorded at the
desk with the suggested class confirmed, escalated to the supervisor of the department
complained about within its 1-hour commitment, taken into handling, more time approved by
the GM, put on hold and resumed, answered with the measures, called back and closed.

The server's clock is moved with time_machine (the live server runs in this process), so
the waiting time and the clocks on screen are facts the test can state; the browsers keep
their own clock, which nothing on these pages reads.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
import time_machine
from playwright.sync_api import expect

from tests.browser.conftest import CSP_LISTENER, PHONE, Violations
from webapp.complaints.models import Complaint
from webapp.core.clock import LOCAL_TZ, now, to_local
from webapp.extensions import db

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
NARROW_PHONE = {**PHONE, "viewport": {"width": 360, "height": 780}, "screen": {"width": 360, "height": 780}}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return dict(NARROW_PHONE)


def shown(moment: datetime) -> str:
    """A moment as the pages print it (the `local_time` filter)."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def typed(moment: datetime) -> str:
    """A moment as a datetime-local input takes it."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW_PHONE["viewport"]["width"], f"{page.url} scrolls sideways: {width} px"


def another_phone(browser, seen: Violations):
    """A second person's phone, watched for console errors and CSP violations like `page`."""
    context = browser.new_context(**NARROW_PHONE)
    context.expose_binding("reportViolation", lambda _source, text: seen.csp.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()

    def on_console(message):
        if message.type in ("error", "warning"):
            seen.console.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.console.append(f"uncaught: {error}"))
    return page


def load(app, complaint_id: int) -> Complaint:
    with app.app_context():
        complaint = db.session.scalars(
            sa.select(Complaint)
            .where(Complaint.id == complaint_id)
            .options(so.selectinload(Complaint.pauses), so.selectinload(Complaint.callbacks))
        ).one()
        db.session.expunge_all()
        return complaint


def status_is(page, label: str) -> None:
    expect(page.locator("#complaint-status-badge")).to_have_text(label, timeout=TIMEOUT)


def tomorrow_morning() -> datetime:
    """09:00 in Shanghai tomorrow: ahead of the browser's clock, so no cookie the server
    sets has expired by the browser's reckoning."""
    day = to_local(now()).date() + timedelta(days=1)
    return datetime.combine(day, time(9, 0), tzinfo=LOCAL_TZ)


def test_cmp01_cmp04_cmp05_cmp07_an_important_complaint_walks_from_the_desk_to_the_call_back_on_phones(
    page, browser, live_server, world, app, sign_in, violations
):
    receptionist = world.users[("receptionist", "own")]
    supervisor_name = world.users[("dept_supervisor", "own")]
    received_at = tomorrow_morning()
    with time_machine.travel(received_at, tick=True) as traveller:
        # --- the desk records the complaint (CMP-03 fields), the class suggested and confirmed (CMP-01)
        sign_in(page, receptionist)
        page.goto(live_server + "/complaints/new")
        expect(page.get_by_role("heading", level=1)).to_have_text("登记投诉")
        expect(page.locator("#class-suggestion strong")).to_have_text("轻微投诉")  # nothing ticked yet
        page.get_by_role("radio", name="来电", exact=True).check()
        page.get_by_label("投诉内容", exact=True).fill("夜班保安对业主态度恶劣，拒绝为访客开门")
        page.get_by_label("发生时间", exact=True).fill(typed(received_at - timedelta(minutes=40)))
        page.get_by_label("发生地点", exact=True).fill("1栋大堂")
        page.get_by_label("被投诉部门", exact=True).select_option(label="own安全部")
        page.get_by_label("被投诉人", exact=True).fill("夜班保安 李某")
        page.get_by_label("业主的要求", exact=True).fill("要求保安当面道歉并加强培训")
        page.get_by_label("业主姓名、房号及电话", exact=True).fill("王女士 1栋1502 13900001111")
        page.get_by_label("属我方管理或服务过失", exact=True).check()
        page.get_by_role("button", name="建议类别", exact=True).click()

        suggestion = page.locator("#class-suggestion")
        expect(suggestion).to_contain_text("建议类别：", timeout=TIMEOUT)
        expect(suggestion.locator("strong")).to_have_text("重要投诉")
        expect(page.locator("input[name=complaint_class][value=important]")).to_be_checked()
        expect(page.get_by_label("投诉内容", exact=True)).to_have_value("夜班保安对业主态度恶劣，拒绝为访客开门")  # kept
        fits_the_phone(page)
        page.get_by_label("已代表被投诉部门向业主致歉", exact=True).check()
        page.get_by_label("涉及服务态度或质量：须由部门主管道歉", exact=True).check()
        page.get_by_role("radio", name="重要投诉", exact=True).check()  # the desk confirms
        page.get_by_role("button", name="登记投诉", exact=True).click()

        expect(page).to_have_url(re.compile(r"/complaints/\d+$"), timeout=TIMEOUT)
        complaint_id = int(page.url.rsplit("/", 1)[1])
        recorded = load(app, complaint_id)
        url = f"{live_server}/complaints/{complaint_id}"
        expect(page.get_by_role("heading", level=1)).to_have_text(recorded.number)
        assert recorded.number.startswith("OWN-TS-")
        expect(page.locator("#complaint-class")).to_have_text("重要投诉")
        status_is(page, "已受理")
        commitment_due = recorded.received_at + timedelta(hours=1)
        assert recorded.commitment_due_at == commitment_due
        expect(page.locator("#commitment-clock")).to_contain_text(f"时限 {shown(commitment_due)}")
        expect(page.locator("#resolution-clock")).to_contain_text(
            f"时限 {shown(recorded.received_at + timedelta(days=3))}"
        )
        facts = page.locator("#complaint-facts")
        for text in ("来电", "1栋大堂", "own安全部", "夜班保安 李某", "要求保安当面道歉并加强培训", "王女士"):
            expect(facts).to_contain_text(text)
        expect(facts).to_contain_text(shown(received_at - timedelta(minutes=40)))
        fits_the_phone(page)

        # --- 20 minutes later the department supervisor sees it: My work, inbox (CMP-04)
        traveller.shift(timedelta(minutes=20))
        supervisor = another_phone(browser, violations)
        gm = another_phone(browser, violations)
        try:
            sign_in(supervisor, supervisor_name)
            expect(supervisor.get_by_role("heading", level=1)).to_have_text("我的工作")
            work = supervisor.locator(f"#work-list a[href='/complaints/{complaint_id}']")
            expect(work).to_have_count(1)
            expect(work).to_contain_text(f"{recorded.number} · 重要投诉：1小时内转呈并进入处置程序")
            expect(work).to_contain_text(f"{shown(commitment_due)} 前完成")
            expect(work.locator(".badge-danger")).to_have_count(0)  # not overdue
            fits_the_phone(supervisor)
            supervisor.goto(live_server + "/inbox")
            notice = supervisor.locator("#notification-list li.is-unread", has_text=recorded.number)
            expect(notice).to_contain_text("重要投诉：1小时内转呈并进入处置程序")
            fits_the_phone(supervisor)
            notice.get_by_role("button").click()  # opens the complaint
            expect(supervisor).to_have_url(url, timeout=TIMEOUT)

            supervisor.get_by_role("button", name="进入处置程序").click()
            status_is(supervisor, "已进入处置")
            committed = load(app, complaint_id)
            assert committed.commitment_done_at < commitment_due
            clock = supervisor.locator("#commitment-clock")
            expect(clock).to_contain_text(f"已于 {shown(committed.commitment_done_at)} 完成 · {supervisor_name}")
            expect(clock.locator(".badge-danger")).to_have_count(0)
            supervisor.get_by_role("button", name="开始处理", exact=True).click()
            status_is(supervisor, "处理中")

            # --- more time asked of the GM (CMP-05): the clock does not move yet
            due_before = load(app, complaint_id).resolution_due_at
            requested = (due_before + timedelta(days=2)).replace(second=0, microsecond=0)
            supervisor.locator("#extend-box summary").click()
            expect(supervisor.locator("#extend-box summary")).to_have_text("向总经理申请延期")
            supervisor.get_by_label("新的时限", exact=True).fill(typed(requested))
            supervisor.get_by_label("延期理由", exact=True).fill("门禁对讲需厂家更换主板，两天后到货")
            fits_the_phone(supervisor)  # the open form with its date-time picker too
            supervisor.get_by_role("button", name="申请延期", exact=True).click()
            extensions = supervisor.locator("#complaint-extensions")
            expect(extensions).to_contain_text("等待总经理", timeout=TIMEOUT)
            expect(extensions).to_contain_text(f"由 {shown(due_before)} 延至 {shown(requested)}")
            expect(supervisor.locator("#resolution-clock")).to_contain_text(f"时限 {shown(due_before)}")

            # --- the GM approves on his phone: the new due time shows
            traveller.shift(timedelta(minutes=10))
            sign_in(gm, world.users[("gm", None)])
            decision = gm.locator(f"#work-list a[href='/complaints/{complaint_id}']")
            expect(decision).to_contain_text(f"{recorded.number} · 审批延期申请")
            decision.click()
            expect(gm).to_have_url(url, timeout=TIMEOUT)
            form = gm.locator("#decide-form")
            expect(form).to_contain_text("门禁对讲需厂家更换主板")
            form.get_by_role("radio", name="批准", exact=True).check()
            form.get_by_label("备注", exact=True).fill("同意，请按新时限完成")
            form.get_by_role("button", name="记录审批结果").click()
            expect(gm.locator("#decide-form")).to_have_count(0, timeout=TIMEOUT)
            expect(gm.locator("#complaint-extensions")).to_contain_text("已批准")
            resolution = gm.locator("#resolution-clock")
            expect(resolution).to_contain_text(f"时限 {shown(requested)}")
            expect(resolution).to_contain_text("已延期 48")
            fits_the_phone(gm)

            # --- on hold while the owner is away, then resumed: the pause shows and moves the clock
            supervisor.reload()
            expect(supervisor.locator("#resolution-clock")).to_contain_text(f"时限 {shown(requested)}")
            supervisor.locator("#pause-box summary").click()
            supervisor.get_by_label("等待原因", exact=True).fill("业主出差，约定回来后当面道歉")
            supervisor.get_by_role("button", name="挂起", exact=True).click()
            status_is(supervisor, "挂起等待")
            expect(supervisor.locator("#resolution-clock")).to_contain_text("已暂停计时")
            traveller.shift(timedelta(minutes=90))
            supervisor.reload()
            expect(supervisor.locator("#resolution-clock")).to_contain_text("已挂起 90 分钟")
            supervisor.get_by_role("button", name="恢复处理").click()
            status_is(supervisor, "处理中")
            resumed = load(app, complaint_id)
            assert timedelta(minutes=90) <= resumed.resolution_due_at - requested < timedelta(minutes=92)
            resolution = supervisor.locator("#resolution-clock")
            expect(resolution).to_contain_text(f"时限 {shown(resumed.resolution_due_at)}")
            expect(resolution).to_contain_text("已挂起 90 分钟")
            expect(resolution).not_to_contain_text("已暂停计时")
            waits = supervisor.locator("#complaint-pauses li")
            expect(waits).to_have_count(1)
            expect(waits).to_contain_text("业主出差，约定回来后当面道歉")
            expect(waits).to_contain_text(shown(resumed.pauses[0].ended_at))

            # --- the answer to the owner with the measures (the supervisor apologised, 篇3 §4.7 e)
            answer = supervisor.locator("#answer-form")
            answer.get_by_label("给业主的答复", exact=True).fill("已对当班保安批评教育，主管已上门致歉")
            answer.get_by_label("采取的措施", exact=True).fill("全员服务礼仪培训；更换门禁对讲主板")
            answer.get_by_label("查明的原因", exact=True).fill("保安服务意识不足")
            answer.get_by_label("责任人", exact=True).fill("李某")
            answer.get_by_label("部门主管已致歉", exact=True).check()
            answer.get_by_role("button", name="记录答复").click()
            status_is(supervisor, "待回访")
            handling = supervisor.locator("#complaint-handling")
            expect(handling).to_contain_text("全员服务礼仪培训；更换门禁对讲主板")
            expect(handling).to_contain_text("已对当班保安批评教育，主管已上门致歉")
            answered = load(app, complaint_id)
            expect(supervisor.locator("#resolution-clock")).to_contain_text(f"已于 {shown(answered.resolved_at)} 完成")
            expect(supervisor.locator("#resolution-clock .badge-danger")).to_have_count(0)
            fits_the_phone(supervisor)
        finally:
            supervisor.context.close()
            gm.context.close()

        # --- the desk calls the owner back (CMP-07): only now is the complaint closed
        traveller.shift(timedelta(hours=2))
        page.goto(live_server + "/")
        callback_work = page.locator(f"#work-list a[href='/complaints/{complaint_id}']")
        expect(callback_work).to_contain_text(f"{recorded.number} · 回访业主")
        callback_work.click()
        expect(page).to_have_url(url, timeout=TIMEOUT)
        status_is(page, "待回访")
        callback = page.locator("#callback-form")
        callback.get_by_role("radio", name="电话", exact=True).check()
        callback.get_by_role("radio", name="满意", exact=True).check()
        callback.get_by_label("业主意见", exact=True).fill("对处理结果满意")
        callback.get_by_role("button", name="记录回访并关闭").click()
        status_is(page, "已关闭")
        closed = load(app, complaint_id)
        expect(page.locator("#complaint-callbacks")).to_contain_text(
            f"电话 · {shown(closed.closed_at)} · {receptionist}"
        )
        expect(page.locator("#complaint-callbacks")).to_contain_text("满意 — 对处理结果满意")
        expect(page.locator("#complaint-status dl.clocks")).to_contain_text(f"已关闭{shown(closed.closed_at)}")

        # --- the trail lists every step, in order, with who took it
        page.reload()
        steps = page.locator("#timeline > ol > li")
        expect(steps.locator(".action")).to_have_text(
            [
                "登记了投诉",
                "接收投诉并进入处置程序",
                "开始处理",
                "申请延期",
                "批准延期",
                "将投诉挂起等待",
                "恢复处理",
                "答复了业主",
                "回访了业主",
            ]
        )
        expect(steps.nth(0)).to_contain_text(receptionist)
        expect(steps.nth(1)).to_contain_text(supervisor_name)
        expect(steps.nth(4)).to_contain_text(world.users[("gm", None)])
        expect(steps.nth(8)).to_contain_text("已关闭")
        fits_the_phone(page)
        page.goto(live_server + "/")
        expect(page.locator(f"#work-list a[href='/complaints/{complaint_id}']")).to_have_count(0)

    assert closed.status == "closed" and closed.supervisor_apologised_at is not None
    assert [c.satisfaction for c in closed.callbacks] == ["satisfied"]
    assert violations.csp == [] and violations.console == []
