"""Signing in (ORG-01): no user enumeration, safe redirects, CSRF, hashed passwords."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tests import factories
from tests.conftest import post
from webapp.config import Config
from webapp.extensions import db
from webapp.org import auth
from webapp.org.models import User

LOGIN_FAILED_ZH = "用户名或密码错误"


def _error_text(response) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', response.get_data(as_text=True))


def test_org01_wrong_password_and_unknown_user_get_the_same_answer(client, world):
    wrong_password = post(client, "/login", {"username": "own.pm", "password": "not-the-password"})
    unknown_user = post(client, "/login", {"username": "nobody.here", "password": "not-the-password"})
    assert wrong_password.status_code == unknown_user.status_code == 422
    assert _error_text(wrong_password) == _error_text(unknown_user)
    assert any(LOGIN_FAILED_ZH in text for text in _error_text(unknown_user))


def test_org01_an_unknown_user_costs_the_same_password_check_as_a_known_one(client, world, app, monkeypatch):
    """No enumeration by timing: the unknown user is checked against a hash of the
    configured method, as a real user's password would be."""
    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    checked: list[str] = []
    real_check = auth.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    post(client, "/login", {"username": "nobody.here", "password": "whatever-1"})
    assert checked == [generate_password_hash("x", method=Config.PASSWORD_HASH_METHOD).split("$")[0]]


def test_org01_the_username_typed_is_kept_after_a_failed_sign_in(client, world):
    response = post(client, "/login", {"username": "own.pm", "password": "nope-nope-1"})
    assert 'value="own.pm"' in response.get_data(as_text=True)


def test_org01_a_disabled_user_cannot_sign_in_and_is_told_the_same(client, world, app):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "own.staff"))
        user.active = False
        db.session.commit()
    disabled = post(client, "/login", {"username": "own.staff", "password": factories.PASSWORD})
    unknown = post(client, "/login", {"username": "nobody.here", "password": factories.PASSWORD})
    assert disabled.status_code == unknown.status_code == 422
    assert _error_text(disabled) == _error_text(unknown)
    assert client.get("/").status_code == 302


def test_org01_usernames_are_not_case_sensitive(client, world):
    response = post(client, "/login", {"username": "  OWN.PM ", "password": factories.PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/login",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "////evil.example",
    ],
)
def test_org01_next_only_leads_to_pages_of_this_site(client, world, target):
    response = post(
        client, "/login", {"username": "own.pm", "password": factories.PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.location == "/"


def test_org01_next_leads_back_to_the_page_asked_for(client, world):
    asked = client.get("/estate/?tab=units")
    assert asked.status_code == 302
    login_url = asked.location
    assert login_url.startswith("/login?next=")
    form = client.get(login_url).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', form).group(1)
    assert next_value == "/estate/?tab=units"
    response = post(
        client, "/login", {"username": "own.pm", "password": factories.PASSWORD, "next": next_value}
    )
    assert response.location == "/estate/?tab=units"


def test_org01_a_user_with_an_admin_set_password_is_sent_to_choose_their_own(client, world, app):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "own.receptionist"))
        user.must_change_password = True
        db.session.commit()
    response = post(
        client, "/login", {"username": "own.receptionist", "password": factories.PASSWORD, "next": "/estate/"}
    )
    assert response.location == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "您的密码由管理员设置" in page


def test_org01_choosing_a_new_password_clears_the_notice(client, world, app, login):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "own.receptionist"))
        user.must_change_password = True
        db.session.commit()
    login("own.receptionist")
    response = post(
        client,
        "/account",
        {"current_password": factories.PASSWORD, "password": "my-own-pass-7", "confirm": "my-own-pass-7"},
    )
    assert response.status_code == 303
    assert "您的密码由管理员设置" not in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"current_password": "wrong-one-1"}, "current_password", "当前密码不正确"),
        ({"password": "short", "confirm": "short"}, "password", "至少 8 个字符"),
        ({"confirm": "different-9"}, "confirm", "两次输入的密码不一致"),
    ],
)
def test_org01_a_refused_password_change_says_why_next_to_the_field(client, world, login, fields, field, message):
    login("own.pm")
    data = {"current_password": factories.PASSWORD, "password": "brand-new-77", "confirm": "brand-new-77", **fields}
    response = post(client, "/account", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">[^<]*{message}', html), html
    assert post(client, "/logout").status_code == 303
    assert post(client, "/login", {"username": "own.pm", "password": factories.PASSWORD}).status_code == 303


def test_org01_passwords_are_stored_with_the_configured_method(client, world, app, login):
    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    login(world.users[("admin", None)])
    response = post(
        client,
        "/admin/users/new",
        {"username": "zhou.min", "display_name": "周敏", "phone": "", "password": "zhou-min-pass-1"},
    )
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).where(User.username == "zhou.min"))
    assert stored.startswith("scrypt:")
    assert "zhou-min-pass-1" not in stored
    post(client, "/logout")
    assert post(client, "/login", {"username": "zhou.min", "password": "zhou-min-pass-1"}).status_code == 303


# CSRF --------------------------------------------------------------------------------

CSRF_MESSAGE_ZH = "表单已过期"


def test_org01_sign_in_without_the_form_token_is_refused_clearly(client, world):
    response = client.post("/login", data={"username": "own.pm", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE_ZH in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_org01_sign_out_without_the_form_token_changes_nothing(client, world, login):
    login("own.pm")
    response = client.post("/logout")
    assert response.status_code == 400
    assert CSRF_MESSAGE_ZH in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_org01_password_change_without_the_form_token_changes_nothing(client, world, login, app):
    login("own.pm")
    with app.app_context():
        before = db.session.scalar(sa.select(User.password_hash).where(User.username == "own.pm"))
    response = client.post(
        "/account",
        data={"current_password": factories.PASSWORD, "password": "brand-new-77", "confirm": "brand-new-77"},
    )
    assert response.status_code == 400
    assert CSRF_MESSAGE_ZH in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(User.password_hash).where(User.username == "own.pm")) == before


def test_org01_sign_out_everywhere_without_the_form_token_changes_nothing(client, world, login):
    login("own.pm")
    assert client.post("/account/sign-out-everywhere").status_code == 400
    assert client.get("/").status_code == 200
