"""The owner signs on the technician's tablet (SVC-06, SVC-09): drawn with the mouse on the
real signature_pad canvas, stored as an image that is not blank, bound to the hash of the
order's content; an edit of the order afterwards shows the signature as no longer valid."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from webapp.core import media, scoping
from webapp.core.clock import now
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services import operations
from webapp.paid_services.models import ServiceOrder, ServiceSignature
from webapp.paid_services.rules import Conduct

#: §4.4.1 a–b, confirmed when the work is recorded
CONDUCT = list(Conduct)

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
#: a 10-inch Android tablet held upright
TABLET = {
    "viewport": {"width": 800, "height": 1280},
    "screen": {"width": 800, "height": 1280},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
}
#: two strokes of a signature, as fractions of the pad
STROKES = [
    [(0.08, 0.70), (0.16, 0.30), (0.24, 0.75), (0.32, 0.35), (0.40, 0.72), (0.48, 0.40)],
    [(0.55, 0.65), (0.62, 0.28), (0.70, 0.66), (0.80, 0.45), (0.92, 0.60)],
]


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return dict(TABLET)


def _user(session, world, role: str) -> User:
    return session.scalar(sa.select(User).where(User.username == world.users[(role, "own")]))


def _completed_job(app, world) -> int:
    """A job the project's staff member finished a moment ago, awaiting the owner."""
    moment = now()
    with app.app_context(), scoping.unrestricted():
        session = db.session
        project = session.get(Project, world.own.id)
        department = session.get(Department, world.own.department_id)
        supervisor, tech = _user(session, world, "dept_supervisor"), _user(session, world, "staff")
        item = factories.make_service_item(session, project, department, supervisor, price_fen=8000,
                                           effective_from=moment - timedelta(days=30))
        values = {"unit_id": world.own.unit_id, "owner_id": world.own.owner_id, "appointment_at": moment - timedelta(hours=4),
                  "requirements": "厨房油烟机重点清洁", "lines": [{"item_id": item.id, "quantity_centi": 300}]}
        order, _ = operations.register_order(session, _user(session, world, "receptionist"), project, values,
                                             moment - timedelta(days=1), None)
        factories.make_service_clearance(session, project, tech, supervisor)
        operations.dispatch(session, supervisor, order, [tech.id], moment - timedelta(hours=20))
        operations.start_job(session, tech, order, moment - timedelta(hours=4, minutes=30))
        for n, step in enumerate(["appearance", "tools", "requirements", "on_time",
                                  "knock", "owner_admitted", "shoe_covers", "scope_confirmed", "valuables"]):
            operations.tick(session, tech, order, step, moment - timedelta(hours=4, minutes=20 - n))
        operations.complete_job(session, tech, order, moment, conduct=CONDUCT, work_done="全屋保洁, 油烟机清洗", materials_fen=1500)
        session.commit()
        return order.id


def _draw_signature(page) -> None:
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in STROKES:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()


def _sign_on_the_tablet(page, live_server, sign_in, world, order_id: int) -> tuple[str, int]:
    """The technician opens the owner's page; the owner rates, draws and signs. Returns the
    content fingerprint the page showed and the pad's width in CSS pixels."""
    sign_in(page, world.users[("staff", "own")])
    page.goto(f"{live_server}/services/jobs/{order_id}/sign")
    expect(page.locator("#signing-total")).to_have_text("¥255.00")
    shown = page.locator("#signing-fingerprint").inner_text()
    page.locator("#satisfaction-field label.chip", has_text="非常满意").click()
    expect(page.locator("#signer_name")).to_have_value("own业主")
    _draw_signature(page)
    expect(page.locator("[data-signature-clear]")).to_be_visible()
    pad_width = page.locator("#signature-canvas").evaluate("canvas => canvas.offsetWidth")
    page.get_by_role("button", name="签名确认验收").click()
    expect(page).to_have_url(re.compile(rf"/services/jobs/{order_id}#job-signature$"), timeout=TIMEOUT)
    return shown, pad_width


def _stored(app, order_id: int) -> tuple[ServiceSignature, str, Image.Image]:
    with app.app_context(), scoping.unrestricted():
        order = db.session.get(ServiceOrder, order_id)
        (signature,) = order.signatures
        image = Image.open(io.BytesIO(media.store_from_app(app).open(signature.image_key)))
        image.load()
        current = operations.current_hash(order)
        db.session.expunge_all()
        return signature, current, image


def test_svc06_svc09_the_owner_draws_a_signature_on_the_tablet_bound_to_the_order_content(
    page, live_server, app, world, sign_in, violations
):
    order_id = _completed_job(app, world)
    shown, pad_width = _sign_on_the_tablet(page, live_server, sign_in, world, order_id)

    expect(page.locator("#job-signature-state")).to_have_class(re.compile(r"\bbadge-ok\b"))
    expect(page.locator("#job-signature img.signature-image")).to_be_visible()
    signature, current, image = _stored(app, order_id)
    assert signature.content_hash == current and current.startswith(shown)
    assert (signature.signer_name, signature.satisfaction) == ("own业主", 5)
    # the stored image holds the strokes: dark pixels, spread across the pad
    grey = image.convert("L")
    dark = sum(grey.histogram()[:128])
    left, top, right, bottom = grey.point(lambda level: 255 if level < 128 else 0).getbbox()
    assert dark > 500, f"only {dark} dark pixels"
    assert right - left > grey.width * 0.6 and bottom - top > grey.height * 0.2
    # drawn at the tablet's pixel ratio (2): sharp, not a blurry CSS-sized bitmap
    assert grey.width == 2 * pad_width
    assert not violations, violations


def test_svc09_an_edit_after_signing_shows_the_signature_as_no_longer_valid(
    page, live_server, app, world, sign_in, violations
):
    order_id = _completed_job(app, world)
    _sign_on_the_tablet(page, live_server, sign_in, world, order_id)
    signature, current, _ = _stored(app, order_id)
    assert signature.content_hash == current

    # the supervisor on their own phone: once the page's last requests have answered, or a
    # late response sets the technician's session cookie again
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in(page, world.users[("dept_supervisor", "own")])
    page.goto(f"{live_server}/services/orders/{order_id}/edit")
    page.locator("#work_done").fill("只做了厨房")
    page.locator("#service-edit-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/services/orders/{order_id}$"), timeout=TIMEOUT)

    state = page.locator("#service-signature #signature-state")
    expect(state).to_have_class(re.compile(r"\bbadge-danger\b"))
    expect(state).not_to_be_empty()
    later, current, _ = _stored(app, order_id)
    assert later.content_hash == signature.content_hash != current
    assert not violations, violations
