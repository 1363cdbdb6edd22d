"""The owners' pages behind the QR poster (RCP-01 "QR form", EST-03): the form, what a
message becomes in the ledger, the spam check, the rate limits, the status page by
token only, and the poster staff print."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image

from tests.conftest import csrf_token
from webapp.core.media import store_from_app
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.qr import svg as qr_svg
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception import operations, rules
from webapp.reception.models import ReceptionEntry, ReceptionPhoto

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
STAMP = re.compile(r'name="stamp" type="hidden" value="([^"]+)"|id="stamp" name="stamp" type="hidden" value="([^"]+)"')
STATUS_LINK = re.compile(r'id="status-link">([^<]+)<')
DESCRIPTION = "楼道灯不亮好几天了"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _form(client, code: str = "OWN") -> dict:
    """Open the form as a phone does: its CSRF token and the signed render stamp."""
    response = client.get(f"/contact/{code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    stamp = STAMP.search(html)
    assert stamp, "no render stamp on the form"
    return {"csrf_token": csrf_token(client, f"/contact/{code}"), "stamp": next(g for g in stamp.groups() if g)}


def _values(**overrides) -> dict:
    values = {
        "category": "repair",
        "description": DESCRIPTION,
        "unit_text": "own1栋 1502室",
        "phone": "139 0000 2222",
        "website": "",
    }
    values.update(overrides)
    return values


def _send(client, clock, code: str = "OWN", wait: timedelta = timedelta(seconds=40), files=None, **overrides):
    data = {**_form(client, code), **_values(**overrides)}
    clock.shift(wait)
    if files:
        data.update(files)
    return client.post(f"/contact/{code}", data=data, content_type="multipart/form-data")


def _entries(app) -> list[ReceptionEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(ReceptionEntry).order_by(ReceptionEntry.id)))


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


# ---------------------------------------------------------------------------- the form


def test_rcp01_qr_form_is_a_public_mobile_form_with_every_category_as_a_button(client, world):
    response = client.get("/contact/OWN")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and "own项目" in html
    for category in rules.OWNER_CATEGORIES:
        assert f'value="{category.value}"' in html
    assert 'value="after_sales"' not in html  # the centre judges construction legacy
    assert 'accept="image/*" capture="environment"' in html
    assert 'type="tel"' in html
    assert 'class="owner-form-extra" aria-hidden="true"' in html  # the honeypot, hidden by CSS
    assert "style=" not in html and "<script>" not in html  # strict CSP
    # no staff navigation, nothing to sign in to
    assert 'class="tabbar"' not in html and "/login" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_rcp01_qr_form_codes_are_read_in_any_case(client, world):
    assert client.get("/contact/own").status_code == 200


@pytest.mark.parametrize("code", ["NOPE", "x" * 11])
def test_rcp01_qr_form_of_an_unknown_project_is_not_found(client, world, code):
    response = client.get(f"/contact/{code}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "/login" not in html and 'class="tabbar"' not in html


def test_rcp01_qr_form_of_an_inactive_project_is_not_found(app, client, world):
    with app.app_context():
        db.session.get(Project, world.own.id).active = False
        db.session.commit()
    assert client.get("/contact/OWN").status_code == 404


def test_rcp01_qr_form_lands_in_the_ledger_as_a_new_qr_form_entry_with_a_reference(app, client, world, clock):
    response = _send(client, clock)
    assert response.status_code == 303
    assert response.location.endswith("/contact/OWN/thanks")

    [entry] = _entries(app)
    assert rules.is_reference_number(entry.number) and entry.number.startswith("OWN-JD-20260310-")
    assert (entry.channel, entry.status, entry.received_by_id) == ("qr_form", "new", None)
    assert entry.received_at.replace(tzinfo=UTC) == START + timedelta(seconds=40)
    assert entry.category is None  # the desk confirms it when routing
    assert entry.content == f"【报修】{DESCRIPTION}"
    assert (entry.reported_unit, entry.unit_id) == ("own1栋 1502室", world.own.unit_id)
    assert entry.contact == "13900002222"
    assert rules.is_status_token(entry.public_token)

    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.to_state).where(
                AuditEvent.entity_type == "reception_entries", AuditEvent.entity_id == entry.id
            )
        ).all()
        assert events == [("reception_logged", None, "new")]
        [item] = db.session.scalars(sa.select(WorkItem).where(WorkItem.kind == operations.ROUTE)).all()
        assert (item.entity_id, item.done_at) == (entry.id, None)
        notified = set(db.session.scalars(
            sa.select(User.username).join(Notification, Notification.user_id == User.id)
            .where(Notification.project_id == world.own.id)
        ))
        assert world.users[("receptionist", "own")] in notified
        assert world.users[("receptionist", "other")] not in notified

    thanks = client.get(response.location)
    html = thanks.get_data(as_text=True)
    assert entry.number in html
    link = STATUS_LINK.search(html).group(1)
    assert link == f"http://localhost/contact/status/{entry.public_token}"
    assert DESCRIPTION not in html and "13900002222" not in html and "1502" not in html


def test_rcp01_qr_form_status_link_uses_the_public_address_when_configured(app, client, world, clock):
    app.config["PUBLIC_BASE_URL"] = "https://wy.example.com"
    response = _send(client, clock)
    html = client.get(response.location).get_data(as_text=True)
    assert "https://wy.example.com/contact/status/" in html


def test_rcp01_qr_form_a_unit_typed_without_its_building_is_left_for_the_desk(app, client, world, clock):
    assert _send(client, clock, unit_text="1502").status_code == 303
    [entry] = _entries(app)
    assert (entry.reported_unit, entry.unit_id) == ("1502", None)


def test_rcp01_qr_form_values_kept_on_error_with_each_message_next_to_its_field(app, client, world, clock):
    response = _send(client, clock, category="", phone="12345", unit_text="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert DESCRIPTION in html and 'value="12345"' in html
    assert 'id="category-error"' in html and 'id="phone-error"' in html and 'id="unit_text-error"' in html
    assert 'id="description-error"' not in html
    assert _entries(app) == []

    # the owner corrects it: sent with the same form (its stamp kept)
    corrected = client.post(
        "/contact/OWN",
        data={**_values(), "csrf_token": csrf_token(client, "/contact/OWN"),
              "stamp": STAMP.search(html).group(1) or STAMP.search(html).group(2)},
    )
    assert corrected.status_code == 303
    assert len(_entries(app)) == 1


def test_rcp01_qr_form_a_chosen_category_is_kept_on_error(client, world, clock):
    html = _send(client, clock, category="praise", description="").get_data(as_text=True)
    assert re.search(r'value="praise"[^>]*checked|checked[^>]*value="praise"', html)


def test_rcp01_qr_form_photo_stored_with_the_entry(app, client, world, clock):
    response = _send(client, clock, files={"photos": (io.BytesIO(_jpeg()), "lamp.jpg")})
    assert response.status_code == 303
    [entry] = _entries(app)
    with app.app_context():
        [photo] = db.session.scalars(sa.select(ReceptionPhoto).where(ReceptionPhoto.entry_id == entry.id)).all()
        assert photo.uploaded_by_id is None and photo.project_id == world.own.id
    store = store_from_app(app)
    for key in (photo.original_key, photo.thumbnail_key, photo.watermarked_key):
        assert store.exists(key)


def test_rcp01_qr_form_a_file_that_is_no_photo_comes_back_and_nothing_is_stored(app, client, world, clock):
    response = _send(client, clock, files={"photos": (io.BytesIO(b"not an image"), "x.jpg")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="photos-error"' in html and DESCRIPTION in html
    assert _entries(app) == []


# ---------------------------------------------------------------------------- spam


def test_rcp01_qr_form_spam_dropped_a_bot_is_thanked_and_nothing_is_stored(app, client, world, clock):
    response = _send(client, clock, website="http://cheap-pills.example")
    assert response.status_code == 303
    html = client.get(response.location).get_data(as_text=True)
    assert "OWN-JD-" not in html and 'id="status-link"' not in html
    assert _entries(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize(
    ("wait", "said"),
    [(timedelta(seconds=1), "That was very quick"), (timedelta(hours=3), "This form has expired")],
)
def test_rcp01_qr_form_too_fast_or_stale_comes_back_with_values_kept(app, client, world, clock, wait, said):
    client.set_cookie("locale", "en")
    response = _send(client, clock, wait=wait)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert said in html and DESCRIPTION in html and 'value="139 0000 2222"' in html
    assert _entries(app) == []
    # sent again a little later with the fresh stamp it came back with: accepted
    stamp = STAMP.search(html)
    clock.shift(timedelta(seconds=20))
    again = client.post("/contact/OWN", data={**_values(), "csrf_token": csrf_token(client, "/contact/OWN"),
                                              "stamp": next(g for g in stamp.groups() if g)})
    assert again.status_code == 303 and len(_entries(app)) == 1


@pytest.mark.parametrize("stamp", ["", "12345", "1773100000.deadbeef", "forged.stamp"])
def test_rcp01_qr_form_a_missing_or_forged_stamp_is_asked_to_send_again(app, client, world, clock, stamp):
    data = {**_form(client), **_values(), "stamp": stamp}
    clock.shift(timedelta(minutes=1))
    assert client.post("/contact/OWN", data=data).status_code == 422
    assert _entries(app) == []


def test_rcp01_qr_form_a_stamp_of_another_projects_poster_is_not_accepted(app, client, world, clock):
    other = _form(client, "OTH")
    data = {**_form(client, "OWN"), **_values(), "stamp": other["stamp"]}
    clock.shift(timedelta(minutes=1))
    assert client.post("/contact/OWN", data=data).status_code == 422
    assert _entries(app) == []


def test_rcp01_qr_form_without_its_csrf_token_comes_back_to_be_sent_again(app, client, world, clock):
    data = {**_form(client), **_values()}
    data.pop("csrf_token")
    clock.shift(timedelta(minutes=1))
    response = client.post("/contact/OWN", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert DESCRIPTION in html and 'name="csrf_token"' in html
    assert _entries(app) == []


def test_rcp01_qr_form_works_for_a_phone_with_a_fresh_session(app, world, clock):
    phone = app.test_client()  # never been here: no cookie until the form is opened
    assert _send(phone, clock).status_code == 303
    assert len(_entries(app)) == 1


# ---------------------------------------------------------------------------- rate limits


def test_rcp01_qr_form_rate_limited_per_address_and_project_with_a_friendly_page(app, client, world, clock):
    app.config["OWNER_FORM_LIMIT"] = "3 per hour"
    for _ in range(3):
        assert _send(client, clock).status_code == 303
    limited = _send(client, clock)
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert "太多" in html or "频繁" in html  # Chinese, the owners' default
    assert "/login" not in html
    assert len(_entries(app)) == 3

    # another estate's form is not affected
    assert _send(client, clock, "OTH").status_code == 303
    # another phone (another address) still gets through
    other_phone = app.test_client()
    data = {**_form(other_phone), **_values()}
    clock.shift(timedelta(minutes=1))
    response = other_phone.post("/contact/OWN", data=data, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 303

    clock.shift(timedelta(hours=1, minutes=1))
    assert _send(client, clock).status_code == 303


def test_rcp01_qr_form_corrections_do_not_use_up_the_sending_limit(app, client, world, clock):
    app.config["OWNER_FORM_LIMIT"] = "2 per hour"
    for _ in range(4):
        assert _send(client, clock, phone="123").status_code == 422
    assert _send(client, clock).status_code == 303


def test_rcp01_qr_form_attempts_are_limited_too(app, client, world, clock):
    app.config["OWNER_FORM_ATTEMPT_LIMIT"] = "3 per hour"
    for _ in range(3):
        assert _send(client, clock, phone="123").status_code == 422
    assert _send(client, clock).status_code == 429


# ---------------------------------------------------------------------------- the status page


def _sent_entry(app, client, clock) -> ReceptionEntry:
    assert _send(client, clock).status_code == 303
    return _entries(app)[-1]


def test_rcp01_qr_form_status_by_token_only(app, client, world, clock, queries):
    entry = _sent_entry(app, client, clock)
    page = client.get(f"/contact/status/{entry.public_token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert entry.number in html and "2026-03-10" in html
    assert 'data-status="received"' in html
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in html

    # the reference number alone opens nothing (it is printed and guessable)
    assert client.get(f"/contact/status/{entry.number}").status_code == 404
    # a token of the wrong shape is refused before any lookup
    with queries() as statements:
        assert client.get("/contact/status/short").status_code == 404
    assert not any("reception_entries" in s for s in statements)
    # a well-shaped token of nobody's
    assert client.get(f"/contact/status/{'A' * 22}").status_code == 404


def test_rcp01_qr_form_status_follows_the_desk(app, client, world, clock):
    entry = _sent_entry(app, client, clock)
    url = f"/contact/status/{entry.public_token}"
    with app.app_context():
        from webapp.core import scoping

        with scoping.unrestricted():
            receptionist = db.session.scalar(
                sa.select(User).where(User.username == world.users[("receptionist", "own")])
            )
            found = db.session.get(ReceptionEntry, entry.id)
            operations.classify(db.session, receptionist, found, "other", "note", START + timedelta(hours=1))
            db.session.commit()
    assert 'data-status="in_progress"' in client.get(url).get_data(as_text=True)
    with app.app_context():
        from webapp.core import scoping

        with scoping.unrestricted():
            receptionist = db.session.scalar(
                sa.select(User).where(User.username == world.users[("receptionist", "own")])
            )
            operations.close(db.session, receptionist, db.session.get(ReceptionEntry, entry.id), "已告知业主",
                             START + timedelta(hours=2))
            db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert 'data-status="done"' in html


def test_est03_public_pages_show_no_owner_data(app, client, world, clock):
    phone, unit = "13900002222", "own1栋 1502室"
    response = _send(client, clock, phone=phone, unit_text=unit)
    [entry] = _entries(app)
    with app.app_context():
        from webapp.core import scoping

        with scoping.unrestricted():
            receptionist = db.session.scalar(
                sa.select(User).where(User.username == world.users[("receptionist", "own")])
            )
            found = db.session.get(ReceptionEntry, entry.id)
            found.owner_id = world.own.owner_id
            operations.classify(db.session, receptionist, found, "other", "note", START + timedelta(hours=1))
            db.session.commit()
            staff_name = receptionist.display_name
    pages = {
        "thanks": client.get(response.location),
        "status": client.get(f"/contact/status/{entry.public_token}"),
        "form": client.get("/contact/OWN"),
    }
    for name, page in pages.items():
        html = page.get_data(as_text=True)
        for secret in (phone, "139****2222", unit, "1502", DESCRIPTION, world.own.owner_name, world.own.owner_phone,
                       staff_name):
            assert secret not in html, f"{secret!r} on the {name} page"


def test_est03_public_pages_keep_the_strict_content_security_policy(client, world):
    response = client.get("/contact/OWN")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


# ---------------------------------------------------------------------------- the poster


def test_rcp01_qr_poster_prints_the_projects_form_address_as_a_qr_code(client, world, login):
    login(world.users[("receptionist", "own")])
    response = client.get(f"/reception/poster?project={world.own.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "http://localhost/contact/OWN" in html
    assert str(qr_svg("http://localhost/contact/OWN", css_class="poster-qr")).split(">", 1)[1][:200] in html
    assert "own项目" in html and 'class="poster-qr"' in html
    assert "style=" not in html


def test_rcp01_qr_poster_uses_the_public_address_and_shows_the_hours_when_configured(app, client, world, login):
    app.config.update(PUBLIC_BASE_URL="https://wy.example.com", OWNER_CONTACT_HOURS="每天 8:00–20:00")
    login(world.users[("pm", "own")])
    html = client.get(f"/reception/poster?project={world.own.id}").get_data(as_text=True)
    assert "https://wy.example.com/contact/OWN" in html and "每天 8:00–20:00" in html


def test_rcp01_qr_poster_without_a_project_shows_the_first_the_user_may_print(client, world, login):
    login(world.users[("receptionist", "own")])
    html = client.get("/reception/poster").get_data(as_text=True)
    assert "/contact/OWN" in html and "/contact/OTH" not in html


def test_rcp01_qr_poster_is_for_staff_of_the_project(client, world, login):
    login(world.users[("staff", "own")])
    assert client.get(f"/reception/poster?project={world.own.id}").status_code == 403
    assert client.get("/reception/poster").status_code == 403
