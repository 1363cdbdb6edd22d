"""Security headers on every response (ASVS 5.0 V3.4, V14.3): pages, HTMX fragments, error
pages, exports, photos, signatures, QR codes and static files all carry

* a Content-Security-Policy with default-src, object-src 'none', base-uri 'none' and
  frame-ancestors, and nowhere 'unsafe-inline' or 'unsafe-eval';
* X-Content-Type-Options: nosniff and a Referrer-Policy;
* Cache-Control: no-store whenever the response holds an owner's data (a name or phone on
  a page, fragment or export; an owner's photo or signature).

The crawl is the access matrix's (tests/security/access_matrix.toml): every GET line, as a
visitor and as every role, for the own and the other project, as a page and as an HTMX
fragment; then every POST line, the error answers and the media.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.conftest import HX, csrf_token
from tests.security.crawl import GET_ROUTES, POST_ROUTES, crawlers, get_variants, user_for
from tests.security.matrix import ROUTES, arrange, signed_in
from webapp.estate.rules import mask_phone

STATIC = Path(__file__).resolve().parents[2] / "static"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: owners' photos and signatures: owner data whatever the image shows
OWNER_MEDIA = {"reception.photo", "paid_services.signature_image"}


def owner_markers(world) -> list[str]:
    markers = []
    for ids in (world.own, world.other):
        markers += [ids.owner_name, ids.owner_phone, mask_phone(ids.owner_phone)]
    return markers


def response_text(response) -> str:
    """What a response says, for the owner-data check (an xlsx is read inside its zip)."""
    mimetype = response.mimetype or ""
    if mimetype == XLSX and response.data:
        with zipfile.ZipFile(io.BytesIO(response.data)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist()
                           if name.endswith(".xml"))
    if mimetype.startswith("text/") or mimetype.endswith(("json", "xml")):
        return response.get_data(as_text=True)
    return ""


def header_problems(response, markers: list[str], endpoint: str | None = None) -> list[str]:
    problems = []
    header = response.headers.get("Content-Security-Policy")
    if not header:
        problems.append("no Content-Security-Policy")
    else:
        csp = {}
        for part in header.split(";"):
            if part.strip():
                name, *values = part.split()
                csp[name] = values
        every_value = [value for values in csp.values() for value in values]
        for unsafe in ("'unsafe-inline'", "'unsafe-eval'"):
            if unsafe in every_value:
                problems.append(f"CSP allows {unsafe}")
        if not csp.get("default-src"):
            problems.append("CSP without default-src")
        for name in ("object-src", "base-uri"):
            if csp.get(name) != ["'none'"]:
                problems.append(f"CSP {name} is {csp.get(name)}, not 'none'")
        if not csp.get("frame-ancestors"):
            problems.append("CSP without frame-ancestors")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    text = response_text(response)
    holds_owner_data = endpoint in OWNER_MEDIA and response.status_code in {200, 304} or any(
        marker in text for marker in markers
    )
    if holds_owner_data and "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"owner data with Cache-Control {response.headers.get('Cache-Control')!r}")
    return problems


def test_sec_every_page_fragment_and_export_of_every_role_carries_the_security_headers(app, world):
    arrange(app, world)
    markers = owner_markers(world)
    failures, checked, statuses = [], 0, set()
    for who, client in crawlers(app, world):
        for route in GET_ROUTES:
            for label, url, headers in get_variants(route, world):
                response = client.get(url, headers=headers)
                checked += 1
                statuses.add(response.status_code)
                for problem in header_problems(response, markers, route.endpoint):
                    failures.append(f"{who} GET {route.endpoint} {label} ({response.status_code}): {problem}")
    # pages, redirects to the login page, refusals and the other project's 404s were all seen
    assert {200, 302, 403, 404} <= statuses
    assert checked > 4000
    assert failures == []


def test_sec_every_post_answer_carries_the_security_headers(app, world):
    """Each POST line as a role it allows, with a valid token (303s, 422s, pages), then as
    a visitor (the login page, or the public form's answer)."""
    arrange(app, world)
    markers = owner_markers(world)
    failures, statuses = [], set()
    clients = {}
    for route in POST_ROUTES:
        who = user_for(world, route)
        username = who[1] if who else None
        if username not in clients:
            clients[username] = signed_in(app, username) if username else app.test_client()
        for name, client in ((who[0].value if who else "visitor", clients[username]),
                             ("visitor", app.test_client())):
            data = {**route.data, "csrf_token": csrf_token(client)}
            response = client.post(route.url_for(world.own), data=data)
            statuses.add(response.status_code)
            for problem in header_problems(response, markers, route.endpoint):
                failures.append(f"{name} POST {route.endpoint} ({response.status_code}): {problem}")
    assert {302, 303} <= statuses
    assert failures == []


def test_sec_error_answers_carry_the_security_headers(app, world):
    arrange(app, world)
    markers = owner_markers(world)
    pm = signed_in(app, world.users[("pm", "own")])
    staff = signed_in(app, world.users[("staff", "own")])
    visitor = app.test_client()
    contact = ROUTES[("owner_contact.form", "POST")].url_for(world.own)
    slip_new = ROUTES[("slips.new", "POST")].url_for(world.own)
    answers = {
        "400 form without its token": (400, pm.post("/inbox/read-all", data={})),
        "400 HTMX without its token": (400, pm.post("/inbox/read-all", headers=HX)),
        "403 role not allowed": (403, staff.get("/admin/")),
        "404 unknown page": (404, pm.get("/no-such-page")),
        "404 other project's record": (404, pm.get(f"/complaints/{world.other.complaint_id}")),
        "404 unknown page, fragment": (404, pm.get("/no-such-page", headers=HX)),
        "404 visitor": (404, visitor.get("/static/no-such-file.css")),
        "405 PUT": (405, pm.put("/", data={"csrf_token": csrf_token(pm)})),
        "405 DELETE": (405, pm.delete(f"/complaints/{world.own.complaint_id}")),
        "413 body over the limit": (413, pm.post(
            slip_new, data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
            headers={"Content-Type": "application/octet-stream"},
        )),
        "422 owner's form sent empty": (422, visitor.post(contact, data={"csrf_token": csrf_token(visitor, contact)})),
    }
    failures = []
    for name, (status, response) in answers.items():
        if response.status_code != status:
            failures.append(f"{name}: answered {response.status_code}")
        failures += [f"{name}: {problem}" for problem in header_problems(response, markers)]
    assert failures == []


def test_sec_media_exports_and_static_files_carry_the_security_headers(app, world):
    arrange(app, world)
    markers = owner_markers(world)
    own = world.own
    media = {
        "paid_services.signature_image": [f"/services/signatures/{own.service_signature_id}.png"],
        "reception.photo": [f"/reception/photos/{own.reception_photo_id}/{v}" for v in ("thumb", "view", "original")],
        "slips.photo": [f"/slips/photos/{own.photo_id}/{v}" for v in ("thumb", "view", "original")],
        "estate.facility_qr_png": [f"/estate/facilities/{own.facility_id}/qr.png"],
        "estate.building_labels": [f"/estate/buildings/{own.building_id}/labels"],  # QR codes as inline SVG
    }
    media.update({endpoint: [route.url_for(own)] for (endpoint, method), route in ROUTES.items()
                  if method == "GET" and ".xlsx" in route.url})
    clients = {}

    def client_for(endpoint):
        username = user_for(world, ROUTES[(endpoint, "GET")])[1]
        if username not in clients:
            clients[username] = signed_in(app, username)
        return clients[username]

    admin = client_for("admin.index")
    failures, checked = [], 0
    for endpoint, urls in sorted(media.items()):
        client = client_for(endpoint)
        for url in urls:
            response = client.get(url)
            checked += 1
            if response.status_code != 200:
                failures.append(f"{url}: answered {response.status_code}")
                continue
            failures += [f"{url}: {problem}" for problem in header_problems(response, markers, endpoint)]
            if etag := response.get_etag()[0]:
                # the phone's revalidation: 304 with the same headers
                again = client.get(url, headers={"If-None-Match": f'"{etag}"'})
                checked += 1
                if again.status_code != 304:
                    failures.append(f"{url} revalidated: answered {again.status_code}")
                failures += [f"{url} (304): {problem}" for problem in header_problems(again, markers, endpoint)]
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        url = "/static/" + path.relative_to(STATIC).as_posix()
        for client in (admin, app.test_client()):
            response = client.get(url)
            checked += 1
            if response.status_code != 200:
                failures.append(f"{url}: answered {response.status_code}")
            failures += [f"{url}: {problem}" for problem in header_problems(response, markers, "static")]
    assert checked > 40
    assert failures == []


def test_sec_the_header_check_names_what_is_missing(app, world):
    # The checks above must be able to fail: a bare response, and owner data cached.
    from flask import Response

    bare = Response("own业主 13900001111", mimetype="text/html")
    problems = header_problems(bare, owner_markers(world))
    assert problems == [
        "no Content-Security-Policy", "no X-Content-Type-Options: nosniff", "no Referrer-Policy",
        "owner data with Cache-Control None",
    ]
    weak = Response(b"\x89PNG", mimetype="image/png", headers={
        "Content-Security-Policy": "script-src 'self' 'unsafe-inline'; object-src *",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
        "Cache-Control": "private, max-age=86400",
    })
    assert header_problems(weak, [], "paid_services.signature_image") == [
        "CSP allows 'unsafe-inline'", "CSP without default-src", "CSP object-src is ['*'], not 'none'",
        "CSP base-uri is None, not 'none'", "CSP without frame-ancestors",
        "owner data with Cache-Control 'private, max-age=86400'",
    ]
