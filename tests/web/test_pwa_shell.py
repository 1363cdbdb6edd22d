"""The installable shell (APP-01): manifest, icons, service worker script, offline page."""

from __future__ import annotations

import io
import json
import os
import re
import shutil

from PIL import Image

from tests.conftest import post


def shell_config(client) -> dict:
    script = client.get("/sw.js").get_data(as_text=True)
    match = re.search(r"^const SHELL = (.*);$", script, re.MULTILINE)
    assert match, "sw.js carries no shell configuration"
    return json.loads(match.group(1))


def test_app01_manifest_makes_the_app_installable_in_chinese(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "物业客服台"
    assert manifest["short_name"] == "物业客服台"
    assert manifest["lang"] == "zh-CN"
    assert manifest["id"] == "/"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b6e4f"


def test_app01_manifest_icons_are_real_pngs_of_the_stated_size(client):
    icons = client.get("/manifest.webmanifest").get_json()["icons"]

    purposes = set()
    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        image = Image.open(io.BytesIO(response.data))
        assert image.format == "PNG"
        assert f"{image.width}x{image.height}" == icon["sizes"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_app01_maskable_icon_fills_the_whole_square(client):
    # A maskable icon is cropped to a circle or squircle by the launcher: transparent
    # corners would show as black or white wedges.
    image = Image.open(io.BytesIO(client.get("/static/icons/maskable-512.png").data)).convert("RGBA")

    for corner in ((0, 0), (511, 0), (0, 511), (511, 511)):
        assert image.getpixel(corner)[3] == 255


def test_app01_service_worker_is_served_from_the_root_and_never_stale(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_app01_service_worker_precaches_the_shell_and_every_url_exists(client):
    shell = shell_config(client)

    assert re.fullmatch(r"[0-9a-f]{12}", shell["version"])
    assert shell["offline"] == {"zh-CN": "/offline", "en": "/offline?lang=en"}
    assert shell["language"] == "zh-CN"
    assert {"/offline", "/offline?lang=en"} <= set(shell["urls"])
    assert {"/offline", "/manifest.webmanifest", "/static/css/app.css", "/static/js/app.js",
            "/static/vendor/htmx/htmx.min.js", "/static/icons/icon-192.png"} <= {
        url.split("?")[0] for url in shell["urls"]}
    for url in shell["urls"]:
        assert client.get(url).status_code == 200, url
    # Signed-in pages are never part of it.
    assert "/" not in shell["urls"]


def test_app01_service_worker_version_changes_when_a_static_file_changes(app, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    client = app.test_client()
    before = shell_config(client)["version"]
    assert shell_config(client)["version"] == before  # stable while nothing changes

    (static / "css" / "app.css").write_text("body { color: red; }\n", encoding="utf-8")
    app.extensions.pop("estatedesk_shell_version", None)  # a deploy restarts the app

    assert shell_config(client)["version"] != before


def test_app01_offline_page_is_public_and_shows_no_signal(client):
    response = client.get("/offline")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert "无网络信号" in html
    assert 'href="/static/css/app.css?v=' in html


def test_app02_the_offline_page_of_each_language_is_at_its_own_address(client):
    """The worker fetches it without cookies: the language is in the address."""
    english = client.get("/offline?lang=en")
    chinese = client.get("/offline")
    unknown = client.get("/offline?lang=fr")

    assert "No signal" in english.get_data(as_text=True) and '<html lang="en">' in english.get_data(as_text=True)
    assert english.headers["Content-Language"] == "en"
    assert "无网络信号" in chinese.get_data(as_text=True) and chinese.headers["Content-Language"] == "zh-CN"
    assert unknown.get_data() == chinese.get_data()


def test_app02_every_page_names_its_language_for_the_offline_page(client, world, login):
    assert client.get("/login").headers["Content-Language"] == "zh-CN"
    client.set_cookie("locale", "en")
    assert client.get("/login").headers["Content-Language"] == "en"
    client.delete_cookie("locale")
    login(world.users[("staff", "own")])
    assert client.get("/").headers["Content-Language"] == "zh-CN"
    assert post(client, "/language", {"locale": "en"}).status_code == 303

    response = client.get("/")

    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_app01_static_urls_carry_a_fingerprint_of_their_content(app, tmp_path):
    """nginx may cache /static/ for a year: a changed file must get a new URL."""
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    html = app.test_client().get("/login").get_data(as_text=True)
    before = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', html).group(1)

    stylesheet = static / "css" / "app.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    os.utime(stylesheet, (1, 1))  # a different modification time, as a deploy gives
    after = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', app.test_client().get("/login").get_data(as_text=True)).group(1)
    assert after != before


def test_app01_offline_page_is_the_same_for_everyone_and_names_nobody(client, world, login):
    first = client.get("/offline")
    assert "Set-Cookie" not in first.headers
    anonymous = first.get_data(as_text=True)
    username = world.users[("pm", "own")]
    login(username)

    signed_in = client.get("/offline")

    html = signed_in.get_data(as_text=True)
    assert html == anonymous
    assert username not in html
    assert "csrf" not in html.lower()
    assert 'class="tabbar"' not in html
    # Rendering it starts no session: the cached copy carries no cookie either.
    assert "Set-Cookie" not in client.get("/offline").headers

