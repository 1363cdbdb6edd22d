"""Server-side sessions (ORG-01): remember-me, ending sessions everywhere, timeouts.

A "stolen" cookie jar is simulated by copying the client's cookies into a second test
client before the session is ended: afterwards the copy must not get in either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from webapp.extensions import db
from webapp.org.models import User

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def copy_of(client, app):
    """A second browser holding the same cookies (session and remember-me)."""
    other = app.test_client()
    for name in (app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]):
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


# Remember me -------------------------------------------------------------------------


def test_org01_remember_me_restores_the_session_from_its_cookie_alone(client, world, login, app):
    login("own.pm", remember=True)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is not None
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert signed_in(client)


def test_org01_without_remember_me_closing_the_browser_signs_out(client, world, login, app):
    login("own.pm", remember=False)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert not signed_in(client)


# Ending sessions ---------------------------------------------------------------------


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remembered"])
def test_org01_sign_out_ends_the_session_for_every_copy_of_its_cookies(client, world, login, app, remember):
    login("own.pm", remember=remember)
    stolen = copy_of(client, app)
    assert signed_in(stolen)
    assert post(client, "/logout").status_code == 303
    assert not signed_in(client)
    assert not signed_in(stolen)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None


def test_org01_changing_the_password_signs_out_other_devices_and_keeps_this_one(client, world, login, app):
    login("own.pm", remember=True)
    other_phone = app.test_client()
    assert post(other_phone, "/login", {"username": "own.pm", "password": factories.PASSWORD}).status_code == 303
    stolen = copy_of(client, app)

    response = post(
        client,
        "/account",
        {"current_password": factories.PASSWORD, "password": "brand-new-77", "confirm": "brand-new-77"},
    )
    assert response.status_code == 303
    assert signed_in(client)
    assert not signed_in(other_phone)
    assert not signed_in(stolen)
    # This device stays remembered with its new session.
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert signed_in(client)


def test_org01_sign_out_everywhere_ends_this_and_every_other_device(client, world, login, app):
    login("own.pm")
    other_phone = app.test_client()
    post(other_phone, "/login", {"username": "own.pm", "password": factories.PASSWORD, "remember": "y"})
    stolen = copy_of(client, app)
    assert post(client, "/account/sign-out-everywhere").status_code == 303
    assert not signed_in(client)
    assert not signed_in(other_phone)
    assert not signed_in(stolen)


def test_org01_disabling_a_user_signs_them_out_everywhere_at_once(client, world, login, app):
    victim = app.test_client()
    post(victim, "/login", {"username": "own.staff", "password": factories.PASSWORD, "remember": "y"})
    stolen = copy_of(victim, app)
    assert signed_in(victim)

    login(world.users[("admin", None)])
    response = post(client, f"/admin/users/{_user_id(app, 'own.staff')}/disable")
    assert response.status_code == 303
    assert not signed_in(victim)
    assert not signed_in(stolen)
    relogin = post(victim, "/login", {"username": "own.staff", "password": factories.PASSWORD})
    assert relogin.status_code == 422

    assert post(client, f"/admin/users/{_user_id(app, 'own.staff')}/enable").status_code == 303
    assert post(victim, "/login", {"username": "own.staff", "password": factories.PASSWORD}).status_code == 303


def test_org01_an_admin_password_reset_signs_the_user_out_everywhere(client, world, login, app):
    victim = app.test_client()
    post(victim, "/login", {"username": "own.staff", "password": factories.PASSWORD, "remember": "y"})
    stolen = copy_of(victim, app)

    login(world.users[("admin", None)])
    user_id = _user_id(app, "own.staff")
    response = post(client, f"/admin/users/{user_id}/reset-password", {"password": "temp-pass-123"})
    assert response.status_code == 303
    assert not signed_in(victim)
    assert not signed_in(stolen)
    assert post(victim, "/login", {"username": "own.staff", "password": factories.PASSWORD}).status_code == 422
    response = post(victim, "/login", {"username": "own.staff", "password": "temp-pass-123"})
    assert response.location == "/account"


# Timeouts ----------------------------------------------------------------------------


def test_org01_an_idle_session_ends_after_the_idle_timeout(client, world, login, app):
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with time_machine.travel(START, tick=False) as clock:
        login("own.pm")
        clock.shift(idle - timedelta(minutes=10))
        assert signed_in(client)  # activity moves the idle deadline on
        clock.shift(idle - timedelta(minutes=10))
        assert signed_in(client)
        clock.shift(idle + timedelta(minutes=1))
        assert not signed_in(client)


def test_org01_a_used_session_still_ends_at_the_absolute_timeout(client, world, login, app):
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(hours=2)
    app.config["SESSION_ABSOLUTE_TIMEOUT"] = timedelta(hours=5)
    with time_machine.travel(START, tick=False) as clock:
        login("own.pm")
        for _ in range(4):
            clock.shift(timedelta(hours=1, minutes=10))
            assert signed_in(client)
        clock.shift(timedelta(hours=1))  # 5 h 40 min after signing in, used 1 h ago
        assert not signed_in(client)


def test_org01_a_remembered_phone_stays_signed_in_until_the_absolute_timeout(client, world, login, app):
    lifetime = min(app.config["REMEMBER_COOKIE_DURATION"], app.config["SESSION_ABSOLUTE_TIMEOUT"])
    with time_machine.travel(START, tick=False) as clock:
        login("own.pm", remember=True)
        clock.shift(lifetime - timedelta(hours=1))  # idle far longer than the idle timeout
        assert signed_in(client)
        clock.shift(timedelta(hours=2))
        assert not signed_in(client)
