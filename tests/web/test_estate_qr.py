"""EST-02: unguessable QR codes, the /f/<token> short URL, printable label sheets."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests import factories
from tests.conftest import post
from webapp.estate.models import Building, Facility
from webapp.extensions import db
from webapp.org.models import Project


def _html(response) -> str:
    return response.get_data(as_text=True)


def decode_png(data: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(results) == 1
    return results[0].text


def decode_svg(svg: str) -> str:
    """Draw the module squares of a path-based QR SVG and read it like a camera would."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, x2, y2, _ in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z", svg):
        draw.rectangle([int(x) * scale, int(y) * scale, int(x2) * scale - 1, int(y2) * scale - 1], fill=0)
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0].text


def add_facility(app, project_id: int, building_id: int | None, name: str, active: bool = True) -> tuple[int, str]:
    with app.app_context():
        project = db.session.get(Project, project_id)
        building = db.session.get(Building, building_id) if building_id else None
        facility = factories.make_facility(db.session, project, building, name=name)
        facility.active = active
        db.session.commit()
        return facility.id, facility.qr_token


# ------------------------------------------------------------------ the short URL


def test_est02_short_url_is_exactly_slash_f_token():
    from webapp import create_app
    from webapp.config import TestConfig

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        from flask import url_for

        assert url_for("estate.facility_by_token", token="abc") == "/f/abc"


def test_est02_signed_out_scan_goes_to_sign_in_and_then_back_to_the_facility(client, world):
    token = world.own.facility_token
    response = client.get(f"/f/{token}")
    assert response.status_code in (302, 303)
    target = urlsplit(response.location)
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == [f"/f/{token}"]
    assert "own水泵房" not in _html(response)
    signed_in = post(client, "/login", {"username": world.users[("staff", "own")],
                                         "password": factories.PASSWORD, "next": f"/f/{token}"})
    assert signed_in.status_code == 303 and signed_in.location == f"/f/{token}"
    opened = client.get(signed_in.location)
    assert opened.status_code == 303
    assert opened.location == f"/estate/facilities/{world.own.facility_id}"
    assert "own水泵房" in _html(client.get(opened.location))


def test_est02_signed_out_visitor_learns_nothing_even_whether_a_token_exists(client, world):
    real = client.get(f"/f/{world.own.facility_token}")
    fake = client.get("/f/AAAAAAAAAAAAAAAAAAAAAA")
    assert real.status_code == fake.status_code
    assert urlsplit(real.location).path == urlsplit(fake.location).path == "/login"


def test_est02_signed_in_scan_opens_the_facility_page(client, world, login):
    login(world.users[("staff", "own")])
    response = client.get(f"/f/{world.own.facility_token}")
    assert response.status_code == 303
    assert response.location == f"/estate/facilities/{world.own.facility_id}"


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "x" * 500, "%E4%B8%AD"])
def test_est02_unknown_token_is_a_404_page_saying_the_code_is_invalid(client, world, login, token):
    login(world.users[("staff", "own")])
    response = client.get(f"/f/{token}")
    html = _html(response)
    assert response.status_code == 404 and "<html" in html
    assert "二维码无效" in html


def test_org02_another_projects_code_is_invalid_too(client, world, login):
    login(world.users[("pm", "own")])
    response = client.get(f"/f/{world.other.facility_token}")
    html = _html(response)
    assert response.status_code == 404 and "二维码无效" in html
    assert "other水泵房" not in html


# ------------------------------------------------------------------ QR images


def test_est02_qr_png_holds_the_absolute_short_url(client, world, login):
    login(world.users[("staff", "own")])
    response = client.get(f"/estate/facilities/{world.own.facility_id}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert decode_png(response.data) == f"http://localhost/f/{world.own.facility_token}"


def test_est02_qr_uses_public_base_url_when_configured(app, client, world, login):
    app.config["PUBLIC_BASE_URL"] = "https://wy.example.com"
    login(world.users[("staff", "own")])
    response = client.get(f"/estate/facilities/{world.own.facility_id}/qr.png")
    assert decode_png(response.data) == f"https://wy.example.com/f/{world.own.facility_token}"


def test_est02_facility_page_qr_opens_the_short_url(client, world, login):
    login(world.users[("staff", "own")])
    html = _html(client.get(f"/estate/facilities/{world.own.facility_id}"))
    svg = re.search(r'<svg class="qr".*?</svg>', html, re.S).group(0)
    assert decode_svg(svg) == f"http://localhost/f/{world.own.facility_token}"


# ------------------------------------------------------------------ label sheets


def test_est02_label_sheet_has_one_scannable_qr_per_facility_in_use_with_name_and_code(app, client, world, login):
    extra = [add_facility(app, world.own.id, world.own.building_id, f"消防栓{n}") for n in range(13)]
    retired_id, _ = add_facility(app, world.own.id, world.own.building_id, "旧配电箱", active=False)
    add_facility(app, world.own.id, None, "南大门岗亭")  # site-wide: not on the building's sheet
    app.config["PUBLIC_BASE_URL"] = "https://wy.example.com/"
    login(world.users[("cs_supervisor", "own")])
    response = client.get(f"/estate/buildings/{world.own.building_id}/labels")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    labels = re.findall(r'<figure class="label" id="label-(\d+)">(.*?)</figure>', html, re.S)
    expected = {world.own.facility_id: world.own.facility_token, **dict(extra)}
    assert {int(i) for i, _ in labels} == set(expected)
    assert str(retired_id) not in [i for i, _ in labels] and "南大门岗亭" not in html
    for facility_id, body in labels[:3]:
        assert decode_svg(body) == f"https://wy.example.com/f/{expected[int(facility_id)]}"
    with app.app_context():
        facility = db.session.get(Facility, world.own.facility_id)
        name, code = facility.name, facility.code
    own_label = dict(labels)[str(world.own.facility_id)]
    assert name in own_label and code in own_label
    assert html.count('class="label-page"') == 2  # 14 labels, 12 to an A4 sheet
    assert "css/print.css" in html and "data-print" in html and "onclick" not in html


def test_est02_print_stylesheet_is_a4_with_qr_codes_over_35_mm(app):
    css = (app.static_folder + "/css/print.css")
    with open(css, encoding="utf-8") as handle:
        text = handle.read()
    assert re.search(r"@page\s*{\s*size:\s*A4;\s*margin:\s*10mm;\s*}", text)
    width = re.search(r"svg\.label-qr\s*{[^}]*width:\s*(\d+)mm", text)
    assert width and int(width.group(1)) >= 35
    assert "repeat(3, 1fr)" in text


def test_est02_site_wide_facilities_have_their_own_label_sheet(app, client, world, login):
    facility_id, _ = add_facility(app, world.own.id, None, "南大门岗亭")
    login(world.users[("pm", "own")])
    html = _html(client.get(f"/estate/projects/{world.own.id}/labels"))
    assert f'id="label-{facility_id}"' in html and "own水泵房" not in html


@pytest.mark.parametrize(("role", "status"), [("staff", 403), ("publicist", 403), ("receptionist", 403),
                                              ("dept_supervisor", 200), ("pm", 200)])
def test_est02_label_sheets_need_the_print_permission(client, world, login, role, status):
    login(world.users[(role, "own")])
    assert client.get(f"/estate/buildings/{world.own.building_id}/labels").status_code == status
    assert client.get(f"/estate/projects/{world.own.id}/labels").status_code == status
