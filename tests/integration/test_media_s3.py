"""Photos and signatures in an S3 bucket (MEDIA_STORE=s3): stored privately, served by a
302 to a presigned URL after the app's own checks, never orphaned, checked by
`flask media check`.

The server is moto's S3 in server mode (`moto.server.ThreadedMotoServer`) on 127.0.0.1, a
stand-in: no MinIO or other S3 server is packaged in the registries this project installs
from. The app talks to it over real HTTP with boto3, and the presigned URLs are fetched
with urllib, as a phone would. moto does not enforce a presigned URL's expiry, so the test
that an expired URL is refused runs only against a real S3-compatible server: set
TEST_S3_ENDPOINT_URL (and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for it) to run this
whole module against one, e.g. a local MinIO.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from PIL import Image

from tests.servers import free_port
from tests.web.test_slip_photos import file_slip
from webapp.core import media
from webapp.core.media import MediaStoreError, S3MediaStore, new_key, store_from_app
from webapp.extensions import db
from webapp.slips.models import SlipPhoto

REPO = Path(__file__).resolve().parents[2]
REAL_SERVER = os.environ.get("TEST_S3_ENDPOINT_URL", "").strip().rstrip("/") or None


@pytest.fixture(scope="module")
def s3_endpoint() -> str:
    if REAL_SERVER:
        yield REAL_SERVER
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch, tmp_path):
    """boto3 reads its credentials from the environment, never from this machine's files."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    if not REAL_SERVER:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "estatedesk-test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "estatedesk-test-secret")


def _admin(endpoint: str):
    """A client of the test's own, to look into the bucket behind the app's back."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3_endpoint, _credentials) -> str:
    name = f"estatedesk-test-{secrets.token_hex(6)}"
    admin = _admin(s3_endpoint)
    admin.create_bucket(Bucket=name)
    yield name
    for found in admin.list_objects_v2(Bucket=name).get("Contents", []):
        admin.delete_object(Bucket=name, Key=found["Key"])
    admin.delete_bucket(Bucket=name)


@pytest.fixture
def app_config(s3_endpoint, bucket) -> dict:
    return {"MEDIA_STORE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint, "S3_URL_SECONDS": 300}


def _bare_app(**config) -> Flask:
    """An app object with only media settings: for the store alone, no database needed."""
    app = Flask("media-only")
    app.config.update({"MEDIA_STORE": "s3", "S3_REGION": "us-east-1", "S3_URL_SECONDS": 300, **config})
    return app


def objects(endpoint: str, bucket: str) -> set[str]:
    return {found["Key"] for found in _admin(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])}


def jpeg(size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the test's own server
            return answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(), refused.headers


# ------------------------------------------------------------------ the store itself


def test_media_s3_store_round_trip_keeps_objects_private_and_typed(s3_endpoint, bucket):
    store = store_from_app(_bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint))
    assert isinstance(store, S3MediaStore)
    photo, signature = new_key(), new_key(".png")
    assert not store.exists(photo)

    store.save(photo, b"\xff\xd8jpeg bytes")
    store.save(signature, b"\x89PNG signature")

    assert store.exists(photo) and store.open(photo) == b"\xff\xd8jpeg bytes"
    assert objects(s3_endpoint, bucket) == {photo, signature}
    admin = _admin(s3_endpoint)
    head = admin.head_object(Bucket=bucket, Key=photo)
    assert head["ContentType"] == "image/jpeg" and head["CacheControl"] == "private"
    assert admin.head_object(Bucket=bucket, Key=signature)["ContentType"] == "image/png"
    grantees = [grant["Grantee"] for grant in admin.get_object_acl(Bucket=bucket, Key=photo)["Grants"]]
    assert all(grantee.get("Type") == "CanonicalUser" for grantee in grantees)  # nobody but the owner
    with pytest.raises(urllib.error.HTTPError) as anonymous:  # not readable without a signature
        urllib.request.urlopen(f"{s3_endpoint}/{bucket}/{photo}", timeout=10)  # noqa: S310
    assert anonymous.value.code == 403

    store.delete(photo)
    assert not store.exists(photo)
    store.delete(photo)  # deleting again is harmless, as with files
    with pytest.raises(FileNotFoundError):
        store.open(photo)
    assert objects(s3_endpoint, bucket) == {signature}


def test_media_s3_client_is_built_once_per_app(s3_endpoint, bucket):
    app = _bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint)
    first, second = store_from_app(app), store_from_app(app)
    assert first is second and first.client is second.client
    other = store_from_app(_bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint))
    assert other.client is not first.client  # per app, not per module


@pytest.mark.parametrize(
    "key",
    ["../x.jpg", "/etc/passwd", "ab/cd/../../x.jpg", "", "photo.jpg", "ab/cd/" + "0" * 32 + ".jpg",
     "ab/cd/abcd" + "0" * 28 + ".jpg\n", "AB/CD/ABCD" + "0" * 28 + ".jpg", "ab/cd/abcd" + "0" * 28 + ".jpg?x=1"],
)
def test_media_s3_bad_keys_are_refused_before_any_network_call(s3_endpoint, bucket, key):
    store = store_from_app(_bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint))
    sent = []

    def record(request, **kwargs):
        sent.append(request.url)

    store.client.meta.events.register("before-send.s3", record)
    try:
        for call in (lambda: store.save(key, b"x"), lambda: store.open(key), lambda: store.exists(key),
                     lambda: store.delete(key), lambda: store.presigned_url(key)):
            with pytest.raises(ValueError):
                call()
        store.exists(new_key())  # the recorder does see a real call
    finally:
        store.client.meta.events.unregister("before-send.s3", record)
    assert len(sent) == 1


# ------------------------------------------------------------------ upload and serving


def test_media_s3_slip_photo_upload_lands_in_the_bucket_and_is_served_by_presigned_redirect(
    client, world, login, app, s3_endpoint, bucket
):
    login(world.users[("staff", "own")])
    filed = file_slip(client, world, [(jpeg(), "IMG_0001.jpg")])
    assert filed.status_code == 303

    with app.app_context():
        photo = db.session.scalar(sa.select(SlipPhoto))
        keys = {"original": photo.original_key, "thumb": photo.thumbnail_key, "view": photo.watermarked_key}
        store = store_from_app(app)
        stored = {variant: store.open(key) for variant, key in keys.items()}
    assert objects(s3_endpoint, bucket) == set(keys.values())
    assert len(set(stored.values())) == 3  # three different pictures, all JPEG
    assert all(data.startswith(b"\xff\xd8") for data in stored.values())

    for variant, key in keys.items():
        response = client.get(f"/slips/photos/{photo.id}/{variant}")
        assert response.status_code == 302, variant
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers
        location = response.headers["Location"]
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}" == s3_endpoint
        assert parts.path == f"/{bucket}/{key}"
        query = parse_qs(parts.query)
        assert query["X-Amz-Expires"] == ["300"]
        assert query["response-content-type"] == ["image/jpeg"]
        assert "X-Amz-Signature" in query

        status, body, headers = fetch(location)
        assert status == 200, body[:300]
        assert body == stored[variant]
        assert headers["Content-Type"] == "image/jpeg"


def test_media_s3_pages_allow_images_from_the_store_and_nowhere_else(client, world, login, s3_endpoint):
    login(world.users[("staff", "own")])
    policy = client.get("/").headers["Content-Security-Policy"]
    img_src = next(d for d in policy.split("; ") if d.startswith("img-src "))
    assert img_src == f"img-src 'self' data: blob: {s3_endpoint}"
    assert s3_endpoint not in policy.replace(img_src, "")


def test_media_s3_another_projects_user_gets_404_without_a_redirect(client, world, login, app):
    login(world.users[("staff", "own")])
    assert file_slip(client, world, [(jpeg(), "a.jpg")]).status_code == 303
    with app.app_context():
        photo_id = db.session.scalar(sa.select(SlipPhoto.id))

    login(world.users[("staff", "other")])
    for variant in ("thumb", "view", "original"):
        response = client.get(f"/slips/photos/{photo_id}/{variant}")
        assert response.status_code == 404
        assert "Location" not in response.headers
        assert "X-Amz-Signature" not in response.get_data(as_text=True)

    login(world.users[("dept_supervisor", "own")])  # may see the watermarked copy, not the original
    assert client.get(f"/slips/photos/{photo_id}/view").status_code == 302
    refused = client.get(f"/slips/photos/{photo_id}/original")
    assert refused.status_code == 403 and "Location" not in refused.headers


def test_media_s3_a_known_photo_still_answers_304_without_a_new_url(client, world, login, app):
    login(world.users[("staff", "own")])
    assert file_slip(client, world, [(jpeg(), "a.jpg")]).status_code == 303
    with app.app_context():
        photo = db.session.scalar(sa.select(SlipPhoto))
    etag = f'"{photo.sha256}-view"'  # what the phone kept from the app's own serving
    again = client.get(f"/slips/photos/{photo.id}/view", headers={"If-None-Match": etag})
    assert again.status_code == 304 and "Location" not in again.headers


def test_media_s3_links_are_signed_for_the_public_endpoint(app, client, world, login, s3_endpoint, bucket):
    # the app reaches the store at 127.0.0.1, phones at another name of the same server
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    app.config["S3_PUBLIC_ENDPOINT_URL"] = public
    login(world.users[("staff", "own")])
    assert file_slip(client, world, [(jpeg(), "a.jpg")]).status_code == 303
    with app.app_context():
        photo = db.session.scalar(sa.select(SlipPhoto))
        expected = store_from_app(app).open(photo.watermarked_key)

    response = client.get(f"/slips/photos/{photo.id}/view")
    location = response.headers["Location"]
    assert location.startswith(f"{public}/{bucket}/{photo.watermarked_key}?")
    assert fetch(location)[1] == expected
    policy = client.get("/").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {public};" in policy
    assert s3_endpoint not in policy


def test_media_s3_presigned_url_lives_s3_url_seconds_from_signing(app, client, world, login):
    app.config["S3_URL_SECONDS"] = 1
    login(world.users[("staff", "own")])
    assert file_slip(client, world, [(jpeg(), "a.jpg")]).status_code == 303
    with app.app_context():
        photo_id = db.session.scalar(sa.select(SlipPhoto.id))

    before = datetime.now(UTC).replace(microsecond=0)
    location = client.get(f"/slips/photos/{photo_id}/view").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert query["X-Amz-Expires"] == ["1"]
    assert before <= signed_at <= datetime.now(UTC)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"]


@pytest.mark.skipif(
    not REAL_SERVER,
    reason="moto (the stand-in S3 here) does not enforce presigned URL expiry; set TEST_S3_ENDPOINT_URL "
    "to run against a real S3-compatible server",
)
def test_media_s3_an_expired_url_is_refused_by_the_store(app, client, world, login):
    login(world.users[("staff", "own")])
    assert file_slip(client, world, [(jpeg(), "a.jpg")]).status_code == 303
    with app.app_context():
        photo_id = db.session.scalar(sa.select(SlipPhoto.id))
    fresh = client.get(f"/slips/photos/{photo_id}/view").headers["Location"]
    assert fetch(fresh)[0] == 200
    # signed a lifetime ago (the store's clock cannot be moved; the signing clock can)
    with time_machine.travel(datetime.now(UTC) - timedelta(seconds=app.config["S3_URL_SECONDS"] + 60), tick=False):
        stale = client.get(f"/slips/photos/{photo_id}/view").headers["Location"]
    status, body, _ = fetch(stale)
    assert status == 403 and b"expired" in body.lower()


# ------------------------------------------------------------------ no orphan objects


def test_media_s3_a_refused_upload_leaves_no_object(client, world, login, s3_endpoint, bucket):
    login(world.users[("staff", "own")])
    response = file_slip(client, world, [(jpeg(), "good.jpg"), (b"%PDF-1.7 not a photo", "bad.jpg")])
    assert response.status_code == 422
    assert objects(s3_endpoint, bucket) == set()


def test_media_s3_a_rolled_back_transaction_deletes_its_objects(app, world, s3_endpoint, bucket):
    from tests import factories
    from webapp.org.models import Project, User

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        filer = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        slip = factories.make_slip(db.session, project, filer)
        db.session.commit()
        photos = factories.make_slip_photos(db.session, slip, filer, store_from_app(app), count=2)
        saved = {key for photo in photos for key in (photo.original_key, photo.thumbnail_key)}
        assert saved <= objects(s3_endpoint, bucket)
        db.session.rollback()
        assert objects(s3_endpoint, bucket) == set()
        assert db.session.scalar(sa.select(sa.func.count(SlipPhoto.id))) == 0


# ------------------------------------------------------------------ settings and `media check`


def test_media_check_prints_ok_and_leaves_nothing_behind(app, s3_endpoint, bucket):
    result = app.test_cli_runner().invoke(args=["media", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")
    assert bucket in result.output and "300 s" in result.output
    assert objects(s3_endpoint, bucket) == set()


def test_media_check_from_the_command_line(s3_endpoint, bucket, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESTATEDESK_", "MEDIA_", "S3_", "DATABASE_URL"))}
    env.update(
        MEDIA_STORE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint, ESTATEDESK_INSTANCE=str(tmp_path),
        PYTHONPATH=str(REPO),
    )
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "webapp"]
    done = subprocess.run([*flask, "media", "check"], env=env, cwd=tmp_path, capture_output=True, text=True,  # noqa: S603
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ")

    env["S3_BUCKET"] = "estatedesk-no-such-bucket"
    done = subprocess.run([*flask, "media", "check"], env=env, cwd=tmp_path, capture_output=True, text=True,  # noqa: S603
                          timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "estatedesk-no-such-bucket" in done.stderr and "does not exist" in done.stderr


def test_media_check_names_a_missing_bucket(app):
    app.config["S3_BUCKET"] = "estatedesk-no-such-bucket"
    result = app.test_cli_runner().invoke(args=["media", "check"])
    assert result.exit_code == 1
    assert "Media store check failed" in result.output
    assert "'estatedesk-no-such-bucket' does not exist" in result.output and "S3_BUCKET" in result.output


def test_media_check_names_a_missing_setting(app):
    app.config["S3_BUCKET"] = None
    result = app.test_cli_runner().invoke(args=["media", "check"])
    assert result.exit_code == 1
    assert "MEDIA_STORE=s3 needs S3_BUCKET" in result.output


def test_media_check_reports_an_unreachable_store(app):
    closed = free_port()
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{closed}"
    result = app.test_cli_runner().invoke(args=["media", "check"])
    assert result.exit_code == 1
    assert re.search(rf"reaching the bucket failed: .*127\.0\.0\.1:{closed}", result.output)


def test_media_startup_refuses_a_missing_bucket(s3_endpoint, bucket):
    media.init_app(_bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint))  # exists: starts

    with pytest.raises(MediaStoreError, match="'estatedesk-no-such-bucket' does not exist"):
        media.init_app(_bare_app(S3_BUCKET="estatedesk-no-such-bucket", S3_ENDPOINT_URL=s3_endpoint))
    with pytest.raises(MediaStoreError, match="needs S3_BUCKET"):
        media.init_app(_bare_app(S3_BUCKET=None, S3_ENDPOINT_URL=s3_endpoint))
    with pytest.raises(MediaStoreError, match="MEDIA_STORE must be 'local' or 's3'"):
        media.init_app(_bare_app(MEDIA_STORE="S3 bucket"))


def test_media_startup_and_check_name_missing_credentials(s3_endpoint, bucket, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    app = _bare_app(S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint)
    with pytest.raises(MediaStoreError, match="needs credentials: set AWS_ACCESS_KEY_ID"):
        media.init_app(app)
    result = media.check_store(app)
    assert not result.ok and "AWS_SECRET_ACCESS_KEY" in result.message


def test_media_startup_only_warns_when_the_store_is_unreachable(caplog):
    closed = free_port()
    app = _bare_app(S3_BUCKET="estatedesk-media", S3_ENDPOINT_URL=f"http://127.0.0.1:{closed}")
    media.init_app(app)  # a store down for a moment must not keep workers from booting
    assert "could not reach S3 bucket estatedesk-media" in caplog.text
