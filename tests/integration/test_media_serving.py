"""Media views behind nginx (MEDIA_ACCEL_PREFIX): after the app's own checks they answer
with an empty body and X-Accel-Redirect, and nginx sends the file from an internal
location; refused requests carry no such header. Without the prefix the bytes come from
the app, as in development."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from tests import factories
from webapp.core.clock import now
from webapp.core.media import new_key, store_from_app
from webapp.extensions import db
from webapp.org.models import Project, User

PREFIX = "/_media/"


@pytest.fixture
def app_config() -> dict:
    return {"MEDIA_ACCEL_PREFIX": PREFIX}


def _user(world, role: str, key: str = "own") -> User:
    return db.session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))


def slip_photo(app, world) -> SimpleNamespace:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        filer = _user(world, "staff")
        slip = factories.make_slip(db.session, project, filer)
        photo = factories.make_slip_photos(db.session, slip, filer, store_from_app(app))[0]
        db.session.commit()
        return SimpleNamespace(id=photo.id, sha256=photo.sha256, original=photo.original_key,
                               thumb=photo.thumbnail_key, view=photo.watermarked_key)


def reception_photo(app, world) -> SimpleNamespace:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        receptionist = _user(world, "receptionist")
        entry = factories.make_reception_entry(db.session, project, receptionist)
        photo = factories.make_reception_photos(db.session, entry, receptionist, store_from_app(app))[0]
        db.session.commit()
        return SimpleNamespace(id=photo.id, thumb=photo.thumbnail_key)


def signature(app, world) -> SimpleNamespace:
    from webapp.estate.models import Unit
    from webapp.org.models import Department
    from webapp.paid_services.models import ServiceSignature

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        department = db.session.get(Department, world.own.department_id)
        item = factories.make_service_item(db.session, project, department, _user(world, "dept_supervisor"))
        order = factories.make_service_order(db.session, project, item, db.session.get(Unit, world.own.unit_id),
                                             _user(world, "receptionist"), status="signed")
        png = io.BytesIO()
        Image.new("L", (300, 100), 255).save(png, "PNG")
        key = new_key(".png")
        store_from_app(app).save(key, png.getvalue())
        row = ServiceSignature(
            project_id=project.id, order_id=order.id, signer_name="业主", signed_at=now(), content_hash="0" * 64,
            signed_content="{}", image_key=key, refused=False, satisfaction=5, recorded_by_id=_user(world, "staff").id,
        )
        db.session.add(row)
        db.session.commit()
        return SimpleNamespace(id=row.id, key=key)


@pytest.mark.parametrize("variant", ["thumb", "view", "original"])
def test_media_accel_slip_photo_is_handed_to_nginx_with_its_headers(client, world, login, app, variant):
    photo = slip_photo(app, world)
    login(world.users[("staff", "own")])

    response = client.get(f"/slips/photos/{photo.id}/{variant}")

    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"] == PREFIX + getattr(photo, variant)
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_etag() == (f"{photo.sha256}-{variant}", False)


def test_media_accel_a_cached_photo_still_answers_304(client, world, login, app):
    photo = slip_photo(app, world)
    login(world.users[("staff", "own")])
    again = client.get(f"/slips/photos/{photo.id}/view", headers={"If-None-Match": f'"{photo.sha256}-view"'})
    assert again.status_code == 304
    assert "X-Accel-Redirect" not in again.headers


def test_media_accel_refused_requests_carry_no_accel_header(client, world, login, app):
    photo = slip_photo(app, world)

    login(world.users[("staff", "other")])  # another project: not found
    for variant in ("thumb", "view", "original"):
        response = client.get(f"/slips/photos/{photo.id}/{variant}")
        assert response.status_code == 404
        assert "X-Accel-Redirect" not in response.headers

    login(world.users[("dept_supervisor", "own")])  # the watermarked copy only
    assert client.get(f"/slips/photos/{photo.id}/view").headers["X-Accel-Redirect"] == PREFIX + photo.view
    refused = client.get(f"/slips/photos/{photo.id}/original")
    assert refused.status_code == 403
    assert "X-Accel-Redirect" not in refused.headers

    anonymous = app.test_client().get(f"/slips/photos/{photo.id}/thumb")  # not signed in: to the login page
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert "X-Accel-Redirect" not in anonymous.headers


def test_media_accel_reception_photo_and_signature_are_handed_to_nginx(client, world, login, app):
    photo = reception_photo(app, world)
    signed = signature(app, world)
    login(world.users[("receptionist", "own")])

    response = client.get(f"/reception/photos/{photo.id}/thumb")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"] == PREFIX + photo.thumb
    assert response.mimetype == "image/jpeg"

    response = client.get(f"/services/signatures/{signed.id}.png")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"] == PREFIX + signed.key
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"  # an owner's signature: never cached

    login(world.users[("receptionist", "other")])
    for path in (f"/reception/photos/{photo.id}/thumb", f"/services/signatures/{signed.id}.png"):
        response = client.get(path)
        assert response.status_code == 404 and "X-Accel-Redirect" not in response.headers


def test_media_accel_a_missing_file_is_404_and_logged(client, world, login, app, caplog):
    photo = slip_photo(app, world)
    with app.app_context():
        store_from_app(app).delete(photo.thumb)
    login(world.users[("staff", "own")])
    response = client.get(f"/slips/photos/{photo.id}/thumb")
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response.headers
    assert f"slip photo {photo.id} (thumb): file {photo.thumb} missing" in caplog.text


@pytest.mark.parametrize("app_config", [{"MEDIA_ACCEL_PREFIX": "_media"}])
def test_media_accel_prefix_is_read_with_or_without_slashes(client, world, login, app):
    photo = slip_photo(app, world)
    login(world.users[("staff", "own")])
    assert client.get(f"/slips/photos/{photo.id}/thumb").headers["X-Accel-Redirect"] == "/_media/" + photo.thumb


@pytest.mark.parametrize("app_config", [{}])
def test_media_without_prefix_the_app_sends_the_bytes(client, world, login, app):
    photo = slip_photo(app, world)
    with app.app_context():
        expected = store_from_app(app).open(photo.thumb)
    login(world.users[("staff", "own")])
    response = client.get(f"/slips/photos/{photo.id}/thumb")
    assert response.status_code == 200 and response.data == expected
    assert "X-Accel-Redirect" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in policy  # the local store adds no image origin
