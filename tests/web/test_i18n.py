"""APP-02: Simplified Chinese by default, English available, dates localised."""

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import post

CATALOGUE = Path(__file__).resolve().parents[2] / "webapp" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def test_app02_pages_are_in_simplified_chinese_by_default(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<title>登录 · 物业客服台</title>" in html
    assert "用户名" in html


def test_app02_english_can_be_chosen_before_signing_in(client):
    response = post(client, "/language", {"locale": "en", "next": "/login"})
    assert response.status_code == 303
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Username" in html


def test_app02_a_users_language_follows_them_to_another_device(app, client, world, login):
    username = world.users[("pm", "own")]
    login(username)
    post(client, "/language", {"locale": "en"})
    assert "My work" in client.get("/").get_data(as_text=True)
    other_device = app.test_client()
    post(other_device, "/login", {"username": username, "password": "correct-horse-9"})
    assert "My work" in other_device.get("/").get_data(as_text=True)


def test_app02_every_message_has_a_chinese_translation():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == [], "run tools/translations.py and translate these"


def test_app02_compiled_catalogue_matches_the_po_file():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == (CATALOGUE / "messages.mo").read_bytes(), "run make messages"
