"""Security headers on every kind of response, cookie flags, and templates the strict
Content-Security-Policy can serve (APP-01: the shell; ORG-01: sessions)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import HX, csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request.path}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_secure_headers(response) -> None:
    csp = policy(response)
    every_value = [value for values in csp.values() for value in values]
    assert "'unsafe-inline'" not in every_value
    assert "'unsafe-eval'" not in every_value
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}


ANONYMOUS_RESPONSES = {
    "login page": ("/login", {}, 200),
    "offline page": ("/offline", {}, 200),
    "manifest": ("/manifest.webmanifest", {}, 200),
    "service worker": ("/sw.js", {}, 200),
    "static file": ("/static/css/app.css", {}, 200),
    "error 404": ("/no-such-page", {}, 404),
    "sign-in redirect": ("/estate/", {}, 302),
}
SIGNED_IN_RESPONSES = {
    "page": ("/", {}, 200),
    "fragment": ("/", HX, 200),
    "estate page": ("/estate/", {}, 200),
    "account page": ("/account", {}, 200),
    "error 404": ("/no-such-page", {}, 404),
    "static file": ("/static/js/app.js", {}, 200),
}


@pytest.mark.parametrize("kind", ANONYMOUS_RESPONSES)
def test_app01_every_anonymous_response_carries_the_security_headers(client, kind):
    path, headers, status = ANONYMOUS_RESPONSES[kind]

    response = client.get(path, headers=headers)

    assert response.status_code == status
    assert_secure_headers(response)


@pytest.mark.parametrize("kind", SIGNED_IN_RESPONSES)
def test_app01_every_signed_in_response_carries_the_security_headers(client, world, login, kind):
    login(world.users[("pm", "own")])
    path, headers, status = SIGNED_IN_RESPONSES[kind]

    response = client.get(path, headers=headers)

    assert response.status_code == status
    assert_secure_headers(response)
    if response.mimetype == "text/html":
        # Owners' data must not stay in the browser's or a proxy's cache.
        assert response.headers["Cache-Control"] == "no-store"


def test_app01_fragment_is_a_fragment_and_varies_on_hx_request(client, world, login):
    login(world.users[("pm", "own")])

    response = client.get("/", headers=HX)

    assert "<html" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def set_cookies(response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


def test_org01_session_cookie_is_httponly_and_samesite_lax(client, world):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": world.users[("pm", "own")], "password": factories.PASSWORD,
              "remember": "y", "csrf_token": token},
    )

    assert response.status_code == 303
    cookies = set_cookies(response)
    for name in ("estatedesk_session", "estatedesk_remember"):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]


def test_org01_production_cookies_are_secure_httponly_and_lax(production_app):
    assert len(production_app.config["SECRET_KEY"]) == 64
    client = production_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # behind the TLS proxy
    login_page = client.get("/login")
    assert "Strict-Transport-Security" in login_page.headers
    token = csrf_token(client)

    response = client.post(
        "/login",
        data={"username": "prod.pm", "password": factories.PASSWORD, "remember": "y", "csrf_token": token},
        headers={"Referer": "https://localhost/login"},  # CSRF checks it on https
    )

    assert response.status_code == 303
    cookies = set_cookies(response)
    for name in ("estatedesk_session", "estatedesk_remember"):
        assert "Secure" in cookies[name]
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
    assert_secure_headers(client.get("/"))


# What the CSP would block, so no template may contain it.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\-][\w:\-]*)\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def template_offences(root: Path = TEMPLATES) -> list[str]:
    offences = []
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for name, pattern in (("inline <script>", INLINE_SCRIPT), ("event handler attribute", EVENT_HANDLER),
                              ("style= attribute", STYLE_ATTRIBUTE), ("javascript: URL", JAVASCRIPT_URL)):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offences.append(f"{path.relative_to(root)}:{line}: {name}")
    return offences


def test_app01_no_template_holds_what_the_csp_would_block():
    assert list(TEMPLATES.rglob("*.html")), "no templates found"

    assert template_offences() == []


def test_app01_template_scan_recognises_inline_code(tmp_path):
    # The scan above must be able to fail: feed it one offending template of each kind.
    (tmp_path / "bad.html").write_text(
        '<script>alert(1)</script>\n<button onclick="go()">x</button>\n'
        '<p style="color:red">x</p>\n<a href="javascript:void(0)">x</a>\n'
        '<div hx-on:click="go()"></div>\n<script src="/ok.js"></script>\n',
        encoding="utf-8",
    )

    assert len(template_offences(tmp_path)) == 5
