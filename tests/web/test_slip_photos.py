"""SLIP-01 photos on the web: served only to users of the slip's project, with the right
headers and caching; the clean original only to those who manage slips or took it."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import render_template
from PIL import Image
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import csrf_token
from webapp.core.media import store_from_app
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.slips.photos import attach_photos

NOW = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)


def jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def add_photos(app, world, key: str = "own", kind: str = "report", count: int = 1) -> SimpleNamespace:
    """A slip of the project filed by its staff member, with photos attached by them."""
    with app.app_context():
        project = db.session.get(Project, world.projects[key].id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", key)]))
        slip = factories.make_slip(db.session, project, filer)
        files = [FileStorage(io.BytesIO(jpeg((800, 600 + n))), filename=f"{n}.jpg") for n in range(count)]
        store = store_from_app(app)
        photos = attach_photos(db.session, slip, files, kind=kind, actor=filer, store=store, now=NOW)
        db.session.commit()
        first = photos[0]
        return SimpleNamespace(
            slip_id=slip.id,
            photo_id=first.id,
            photo_ids=[p.id for p in photos],
            sha256=first.sha256,
            bytes={
                "thumb": store.open(first.thumbnail_key),
                "view": store.open(first.watermarked_key),
                "original": store.open(first.original_key),
            },
        )


def url(photo_id: int, variant: str) -> str:
    return f"/slips/photos/{photo_id}/{variant}"


@pytest.mark.parametrize("variant", ["thumb", "view", "original"])
def test_slip01_photo_variants_are_served_to_the_project_with_private_caching(client, world, login, app, variant):
    photo = add_photos(app, world)
    login(world.users[("staff", "own")])  # the uploader may see every variant

    response = client.get(url(photo.photo_id, variant))

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == photo.bytes[variant]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    etag, weak = response.get_etag()
    assert etag == f"{photo.sha256}-{variant}" and not weak


def test_slip01_the_variants_are_different_pictures(client, world, login, app):
    photo = add_photos(app, world)
    login(world.users[("receptionist", "own")])
    served = {v: client.get(url(photo.photo_id, v)).data for v in ("thumb", "view", "original")}
    assert len(set(served.values())) == 3
    assert max(Image.open(io.BytesIO(served["thumb"])).size) <= 400
    assert Image.open(io.BytesIO(served["view"])).size == Image.open(io.BytesIO(served["original"])).size


def test_slip01_unchanged_photo_answers_304_to_the_phone_cache(client, world, login, app):
    photo = add_photos(app, world)
    login(world.users[("staff", "own")])
    etag = client.get(url(photo.photo_id, "view")).headers["ETag"]

    again = client.get(url(photo.photo_id, "view"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # another variant has another tag
    assert client.get(url(photo.photo_id, "thumb"), headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("role", ["staff", "pm", "receptionist"])
def test_org02_another_projects_photo_is_not_found(client, world, login, app, role):
    photo = add_photos(app, world, key="own")
    login(world.users[(role, "other")])
    for variant in ("thumb", "view", "original"):
        response = client.get(url(photo.photo_id, variant))
        assert response.status_code == 404, variant
        assert response.mimetype == "text/html"


def test_slip01_unknown_variant_or_photo_is_not_found(client, world, login, app):
    photo = add_photos(app, world)
    login(world.users[("pm", "own")])
    assert client.get(url(photo.photo_id, "full")).status_code == 404
    assert client.get(url(photo.photo_id, "..%2Foriginal")).status_code == 404
    assert client.get(url(photo.photo_id + 999, "view")).status_code == 404


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        (("staff", "own"), True),  # took the photo
        (("receptionist", "own"), True),  # the CS desk
        (("cs_supervisor", "own"), True),
        (("pm", "own"), True),
        (("qa", None), True),
        (("dept_supervisor", "own"), False),
        (("publicist", "own"), False),
    ],
)
def test_slip01_the_clean_original_is_for_the_uploader_and_slip_managers(client, world, login, app, username, allowed):
    photo = add_photos(app, world)
    login(world.users[username])
    assert client.get(url(photo.photo_id, "view")).status_code == 200
    assert client.get(url(photo.photo_id, "original")).status_code == (200 if allowed else 403)


def test_slip01_a_patrol_colleague_sees_the_watermarked_copy_not_the_original(client, world, login, app):
    photo = add_photos(app, world)
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        department = db.session.get(Department, world.own.department_id)
        factories.make_user(db.session, "own.colleague", roles=[("staff", project, department)])
        db.session.commit()
    login("own.colleague")
    assert client.get(url(photo.photo_id, "view")).status_code == 200
    assert client.get(url(photo.photo_id, "original")).status_code == 403


def test_slip01_photos_need_a_login(client, world, app):
    photo = add_photos(app, world)
    response = client.get(url(photo.photo_id, "thumb"))
    assert response.status_code == 302
    assert "/login" in response.location


def test_slip01_photos_are_not_reachable_as_static_files(client, world, login, app):
    add_photos(app, world)
    media = Path(app.config["MEDIA_DIR"]).resolve()
    assert not media.is_relative_to(Path(app.static_folder).resolve())
    login(world.users[("pm", "own")])
    for stored in media.rglob("*.jpg"):
        key = stored.relative_to(media).as_posix()
        assert client.get(f"/static/{key}").status_code == 404
        assert client.get(f"/media/{key}").status_code == 404


# ------------------------------------------------------------------ the thumbnails fragment


def test_slip01_photos_fragment_lists_lazy_thumbnails_linking_to_the_watermarked_copy(world, app):
    arranged = add_photos(app, world, kind="after", count=2)
    with app.app_context(), app.test_request_context():
        from webapp.slips.models import SlipPhoto

        photos = db.session.scalars(sa.select(SlipPhoto).where(SlipPhoto.slip_id == arranged.slip_id)).all()
        html = render_template("slips/_photos.html", photos=photos, kind="after")
        empty = render_template("slips/_photos.html", photos=[], kind="report")

    assert "<html" not in html
    assert html.strip().startswith('<ul id="slip-photos-after"')
    assert html.count("<img") == 2 and html.count('loading="lazy"') == 2
    first, second = arranged.photo_ids
    assert f'href="/slips/photos/{first}/view"' in html
    assert f'src="/slips/photos/{first}/thumb"' in html
    assert f'src="/slips/photos/{second}/thumb"' in html
    assert re.search(r'width="400"\s+height="300"', html)  # 800×600 shown at thumbnail size
    assert 'alt="' in html and 'alt=""' not in html
    assert "/original" not in html
    assert empty.strip() == ""


# ------------------------------------------------------------------ through the filing form


def file_slip(client, world, photos: list[tuple[bytes, str]]):
    """File a slip on the own project's facility through the phone's form, with `photos`
    as (bytes, filename); the response."""
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": f"slip-{secrets.token_hex(4)}",
        "facility_id": str(world.own.facility_id),
        "category": "facility",
        "description": "水泵漏水",
        "place_text": "B1",
        "source": "seen_on_site",
        "photos": [(io.BytesIO(body), name) for body, name in photos],
    }
    return client.post("/slips/new", data=data, content_type="multipart/form-data")


def test_slip01_a_bad_photo_in_the_filing_form_leaves_no_file_and_no_slip(client, world, login, app):
    login(world.users[("staff", "own")])
    response = file_slip(client, world, [(jpeg(), "a.jpg"), (b"%PDF-1.7 not a photo", "b.jpg")])
    assert response.status_code == 422
    assert "水泵漏水" in response.get_data(as_text=True)  # what was typed is kept
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


def test_slip01_photos_filed_with_a_slip_show_on_its_page_and_are_served(client, world, login, app):
    login(world.users[("staff", "own")])
    response = file_slip(client, world, [(jpeg(), "a.jpg"), (jpeg((600, 800)), "b.jpg")])
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="slip-photos-report"' in page
    views = re.findall(r'href="(/slips/photos/\d+/view)"', page)
    assert len(views) == 2
    for link in views:
        served = client.get(link)
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
    login(world.users[("staff", "other")])
    assert client.get(views[0]).status_code == 404
