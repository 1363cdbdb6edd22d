"""Sessions (ASVS V7; ORG-01): what a stolen cookie can still do, through real HTTP.

Every test here captures the cookies a browser held and replays them on a fresh client,
as someone who copied them would: after signing out, signing out everywhere, a password
change (own or by an administrator) or the user being disabled, the copy lands on the
sign-in page and sees no data. Signing in always starts a new session token (session
fixation); the cookies carry the flags a production browser needs; idle and absolute
timeouts end sessions; and the shared tablet, or a phone handed to an owner to sign, signs
itself out after a few idle minutes, losing any half-drawn signature.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import CSRF_PATTERN, csrf_token, post
from tests.web.test_auth_sessions import signed_in
from tests.web.test_paid_service_jobs import (
    APPOINTMENT,
    _arrange,
    _data_url,
    _signature_png,
    _signatures,
)
from webapp.extensions import db
from webapp.org.models import AuthSession, User

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
#: the owner signs after the work is recorded (see tests/web/test_paid_service_jobs.py)
SIGNING_TIME = APPOINTMENT + timedelta(hours=3, minutes=5)
#: pages full of owners' and staff data a stolen cookie must not open
DATA_PAGES = ("/", "/estate/", "/account")


def cookies_of(client, app, which: str = "both") -> list:
    """The cookies a thief copies: the session cookie, the remember cookie, or both."""
    names = {
        "session": [app.config["SESSION_COOKIE_NAME"]],
        "remember": [app.config["REMEMBER_COOKIE_NAME"]],
        "both": [app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]],
    }[which]
    found = [client.get_cookie(name) for name in names]
    assert all(found), f"the browser holds no {which} cookie to copy"
    return found


def replayed(app, cookies: list):
    """A fresh browser holding nothing but the copied cookies."""
    other = app.test_client()
    other.set_cookie("locale", "en")
    for cookie in cookies:
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def assert_locked_out(client, secret: str) -> None:
    """Every data page sends to the sign-in page, and no page shows the user's data."""
    for path in DATA_PAGES:
        response = client.get(path)
        assert response.status_code == 302, f"{path} answered {response.status_code}"
        assert urlsplit(response.location).path == "/login"
        assert secret not in response.get_data(as_text=True)
    assert secret not in client.get("/login", follow_redirects=True).get_data(as_text=True)


def _display_name(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(User.display_name).where(User.username == username))


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def _session_data(app, cookie_value: str) -> dict:
    """What the signed session cookie holds (the server signs it; it is not secret)."""
    return app.session_interface.get_signing_serializer(app).loads(cookie_value)


def _sign_in(client, username: str, **fields):
    data = {"username": username, "password": factories.PASSWORD, **fields}
    response = post(client, "/login", data)
    assert response.status_code == 303, f"sign-in of {username} refused: {response.status_code}"
    return response


# Ending sessions: a copy taken before stops working ----------------------------------


def _sign_out(app, victim, admin, username):
    assert post(victim, "/logout").status_code == 303


def _sign_out_everywhere(app, victim, admin, username):
    assert post(victim, "/account/sign-out-everywhere").status_code == 303


def _change_own_password(app, victim, admin, username):
    response = post(
        victim,
        "/account",
        {"current_password": factories.PASSWORD, "password": "brand-new-77", "confirm": "brand-new-77"},
    )
    assert response.status_code == 303


def _admin_resets_password(app, victim, admin, username):
    response = post(admin, f"/admin/users/{_user_id(app, username)}/reset-password", {"password": "temp-pass-123"})
    assert response.status_code == 303


def _admin_disables_user(app, victim, admin, username):
    assert post(admin, f"/admin/users/{_user_id(app, username)}/disable").status_code == 303


ENDINGS = {
    "sign-out": _sign_out,
    "sign-out-everywhere": _sign_out_everywhere,
    "own-password-change": _change_own_password,
    "admin-password-reset": _admin_resets_password,
    "user-disabled": _admin_disables_user,
}


@pytest.mark.parametrize("copied", ["session", "remember", "both"])
@pytest.mark.parametrize("ending", ENDINGS)
def test_sec_a_cookie_copied_before_the_session_ended_opens_nothing(app, client, world, ending, copied):
    username = world.users[("staff", "own")]
    secret = _display_name(app, username)
    _sign_in(client, username, remember="y")
    stolen = cookies_of(client, app, copied)
    before = replayed(app, stolen)
    assert signed_in(before)  # the copy worked while the session lived
    assert secret in before.get("/account").get_data(as_text=True)
    admin = app.test_client()
    _sign_in(admin, world.users[("admin", None)])

    ENDINGS[ending](app, client, admin, username)

    assert_locked_out(replayed(app, stolen), secret)


# Session fixation: signing in starts a new session token ----------------------------


def test_sec_signing_in_replaces_the_pre_login_cookie_with_a_new_session(app, client, world):
    username = world.users[("pm", "own")]
    client.get("/login")
    pre_login = cookies_of(client, app, "session")
    assert "_user_id" not in _session_data(app, pre_login[0].value)

    _sign_in(client, username)

    post_login = cookies_of(client, app, "session")[0]
    token = _session_data(app, post_login.value)["_user_id"]
    assert post_login.value != pre_login[0].value
    assert signed_in(client)
    assert not signed_in(replayed(app, pre_login))
    with app.app_context():
        live = db.session.scalars(sa.select(AuthSession).where(AuthSession.revoked_at.is_(None))).all()
    assert [row.token_hash for row in live] == [_sha256(token)]


def test_sec_a_cookie_planted_by_someone_else_does_not_give_them_the_victims_session(app, client, world):
    """Someone signs in on their own phone and plants that cookie in the victim's browser:
    when the victim signs in there, the planted token is not the victim's session."""
    attacker = app.test_client()
    _sign_in(attacker, world.users[("staff", "own")])
    planted = cookies_of(attacker, app, "session")
    for cookie in planted:
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    victim = world.users[("pm", "own")]

    _sign_in(client, victim)

    victims_token = _session_data(app, cookies_of(client, app, "session")[0].value)["_user_id"]
    assert victims_token != _session_data(app, planted[0].value)["_user_id"]
    assert_locked_out(replayed(app, planted), _display_name(app, victim))
    assert victim in client.get("/account").get_data(as_text=True)


def test_sec_signing_in_again_in_the_same_browser_ends_its_earlier_session(app, client, world):
    username = world.users[("pm", "own")]
    _sign_in(client, username, remember="y")
    earlier = cookies_of(client, app, "both")
    earlier_token = _session_data(app, earlier[0].value)["_user_id"]

    _sign_in(client, username)

    assert _session_data(app, cookies_of(client, app, "session")[0].value)["_user_id"] != earlier_token
    assert signed_in(client)
    assert_locked_out(replayed(app, earlier), _display_name(app, username))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Cookie flags in production ---------------------------------------------------------


def _production_sign_in(app, **fields):
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # behind the TLS proxy
    data = {"username": "prod.pm", "password": factories.PASSWORD, "csrf_token": csrf_token(client), **fields}
    response = client.post("/login", data=data, headers={"Referer": "https://localhost/login"})
    assert response.status_code == 303
    return response


def _set_cookies(response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie header as {attribute (lower case): value}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name = first.split("=", 1)[0]
        cookies[name] = {
            key.lower(): value for key, _, value in (attribute.partition("=") for attribute in attributes)
        }
    return cookies


@pytest.mark.parametrize("name", ["estatedesk_session", "estatedesk_remember"])
def test_sec_production_cookies_are_secure_httponly_lax_and_host_only(production_app, name):
    cookies = _set_cookies(_production_sign_in(production_app, remember="y"))

    flags = cookies[name]
    assert "secure" in flags
    assert "httponly" in flags
    assert flags["samesite"] == "Lax"
    assert "domain" not in flags  # host-only: no sibling subdomain receives it
    assert flags["path"] == "/"


def test_sec_production_session_cookie_without_remember_me_dies_with_the_browser(production_app):
    cookies = _set_cookies(_production_sign_in(production_app))

    assert "estatedesk_remember" not in cookies
    assert "expires" not in cookies["estatedesk_session"]
    assert "max-age" not in cookies["estatedesk_session"]


# Idle and absolute timeouts ----------------------------------------------------------


def test_sec_a_copied_cookie_dies_with_the_idle_timeout(app, client, world):
    username = world.users[("pm", "own")]
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, username)
        stolen = cookies_of(client, app, "session")
        clock.shift(idle - timedelta(minutes=1))
        assert signed_in(replayed(app, stolen))  # the last use, by the copy
        clock.shift(idle + timedelta(minutes=1))
        assert_locked_out(replayed(app, stolen), _display_name(app, username))
        assert not signed_in(client)


def test_sec_a_remembered_phone_used_every_day_still_ends_at_the_absolute_timeout(app, client, world):
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=90)
    absolute = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    username = world.users[("pm", "own")]
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, username, remember="y")
        stolen = cookies_of(client, app, "remember")
        used = timedelta(0)
        while used + timedelta(days=1) < absolute:
            clock.shift(timedelta(days=1))
            used += timedelta(days=1)
            assert signed_in(client)
        clock.shift(absolute - used + timedelta(minutes=1))
        assert not signed_in(client)
        assert_locked_out(replayed(app, stolen), _display_name(app, username))


# The shared tablet -------------------------------------------------------------------


def test_sec_the_sign_in_page_offers_and_explains_the_shared_tablet(client):
    client.set_cookie("locale", "en")

    html = client.get("/login").get_data(as_text=True)

    assert 'name="shared_device" type="checkbox"' in html
    assert "Shared tablet (signs out after 5 minutes without use)" in html
    assert "it never keeps you signed in" in html


def test_sec_a_shared_tablet_signs_out_after_five_idle_minutes(app, client, world):
    client.set_cookie("locale", "en")
    username = world.users[("receptionist", "own")]
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, username, shared_device="y")
        for _ in range(3):  # in use: every 4 minutes is fine, for as long as it is used
            clock.shift(timedelta(minutes=4))
            assert signed_in(client)
        stolen = cookies_of(client, app, "session")
        clock.shift(timedelta(minutes=6))
        landed = client.get("/estate/", follow_redirects=True)
        assert_locked_out(replayed(app, stolen), _display_name(app, username))
    assert landed.request.path == "/login"
    assert "You were signed out after 5 minutes without use. Sign in again." in landed.get_data(as_text=True)
    assert not signed_in(client)


def test_sec_remember_me_cannot_extend_a_shared_tablet_session(app, client, world):
    username = world.users[("receptionist", "own")]
    with time_machine.travel(START, tick=False) as clock:
        response = _sign_in(client, username, shared_device="y", remember="y")
        assert app.config["REMEMBER_COOKIE_NAME"] not in _set_cookies(response)
        assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None
        with app.app_context():
            row = db.session.scalars(sa.select(AuthSession)).one()
            assert (row.shared_device, row.remember) == (True, False)
        clock.shift(timedelta(minutes=4))
        assert signed_in(client)
        clock.shift(timedelta(minutes=6))
        assert not signed_in(client)


def test_sec_a_shared_tablet_in_constant_use_ends_at_its_absolute_timeout(app, client, world):
    app.config["SHARED_DEVICE_ABSOLUTE_TIMEOUT"] = timedelta(minutes=30)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, world.users[("receptionist", "own")], shared_device="y")
        for _ in range(7):
            clock.shift(timedelta(minutes=4))
            assert signed_in(client)
        clock.shift(timedelta(minutes=4))  # 32 minutes after signing in, used 4 minutes ago
        assert not signed_in(client)


# A device handed to the owner to sign -----------------------------------------------

DEVICES = {"technician's remembered phone": {"remember": "y"}, "shared tablet": {"shared_device": "y"}}


def _open_signing_page(client, order_id: int) -> dict:
    """The owner's signing page, and the form as the owner fills it in."""
    response = client.get(f"/services/jobs/{order_id}/sign")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = next(group for group in CSRF_PATTERN.search(html).groups() if group)
    content_hash = html.split('name="content_hash" type="hidden" value="', 1)[1].split('"', 1)[0]
    return {
        "csrf_token": token, "content_hash": content_hash, "signer_name": "业主张三", "satisfaction": "5",
        "comment": "很干净", "signature": _data_url(_signature_png()),
    }


@pytest.mark.parametrize("device", DEVICES)
def test_sec_a_signature_sent_after_six_idle_minutes_is_not_stored(app, client, world, device):
    client.set_cookie("locale", "en")
    with time_machine.travel(SIGNING_TIME, tick=False) as clock:
        order_id = _arrange(app, world, completed=True)
        _sign_in(client, world.users[("staff", "own")], **DEVICES[device])
        form = _open_signing_page(client, order_id)
        clock.shift(timedelta(minutes=6))  # the owner put the tablet down half-signed

        response = client.post(f"/services/jobs/{order_id}/sign", data=form)

        assert response.status_code == 302
        assert urlsplit(response.location).path == "/login"
        landed = client.get(response.location)
    assert _signatures(app) == []
    assert "You were signed out after 5 minutes without use. Sign in again." in landed.get_data(as_text=True)
    assert not signed_in(client)


@pytest.mark.parametrize("device", DEVICES)
def test_sec_a_signature_sent_within_four_minutes_is_stored(app, client, world, device):
    with time_machine.travel(SIGNING_TIME, tick=False) as clock:
        order_id = _arrange(app, world, completed=True)
        _sign_in(client, world.users[("staff", "own")], **DEVICES[device])
        form = _open_signing_page(client, order_id)
        clock.shift(timedelta(minutes=4))

        response = client.post(f"/services/jobs/{order_id}/sign", data=form)

    assert response.status_code == 303
    assert len(_signatures(app)) == 1


def test_sec_a_phone_handed_to_an_owner_keeps_the_short_timeout_until_the_owner_signs(app, client, world):
    with time_machine.travel(SIGNING_TIME, tick=False) as clock:
        order_id = _arrange(app, world, completed=True)
        _sign_in(client, world.users[("staff", "own")], remember="y")
        clock.shift(timedelta(hours=2))
        assert signed_in(client)  # a remembered phone: no idle limit of its own
        form = _open_signing_page(client, order_id)
        clock.shift(timedelta(minutes=4))
        assert client.get(f"/services/jobs/{order_id}/sign").status_code == 200  # still reading
        clock.shift(timedelta(minutes=4))
        assert client.post(f"/services/jobs/{order_id}/sign", data=form).status_code == 303
        clock.shift(timedelta(hours=2))  # back in the technician's pocket
        assert signed_in(client)


def test_sec_a_phone_handed_to_an_owner_and_left_unused_signs_out(app, client, world):
    with time_machine.travel(SIGNING_TIME, tick=False) as clock:
        order_id = _arrange(app, world, completed=True)
        _sign_in(client, world.users[("staff", "own")], remember="y")
        _open_signing_page(client, order_id)
        stolen = cookies_of(client, app, "remember")
        clock.shift(timedelta(minutes=6))
        assert not signed_in(client)
        assert not signed_in(replayed(app, stolen))
