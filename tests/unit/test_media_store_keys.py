"""Choosing and configuring the media store, without any network: settings refused with
their reason, the origin phones are sent to, and what each stored key is served as."""

from __future__ import annotations

import pytest
from flask import Flask

from webapp.core.media import MediaStoreError, S3MediaStore, content_type, new_key, store_from_app
from webapp.core.media_responses import accel_prefix, media_origin


@pytest.fixture(autouse=True)
def _credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unit")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit-secret")


def app_with(**config) -> Flask:
    app = Flask("media-settings")
    app.config.update({"MEDIA_DIR": "/nonexistent/media", **config})
    return app


def test_media_store_local_is_the_default_and_adds_no_image_origin():
    app = app_with()
    assert store_from_app(app).root.as_posix() == "/nonexistent/media"
    assert media_origin(app) is None


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"MEDIA_STORE": "minio"}, "MEDIA_STORE must be 'local' or 's3'"),
        ({"MEDIA_STORE": "s3"}, "needs S3_BUCKET"),
        ({"MEDIA_STORE": "s3", "S3_BUCKET": " "}, "needs S3_BUCKET"),
        ({"MEDIA_STORE": "s3", "S3_BUCKET": "b", "S3_URL_SECONDS": 0}, "S3_URL_SECONDS must be between 1"),
        ({"MEDIA_STORE": "s3", "S3_BUCKET": "b", "S3_URL_SECONDS": 8 * 86400}, "S3_URL_SECONDS must be between 1"),
    ],
)
def test_media_store_bad_settings_are_refused_with_their_reason(config, reason):
    with pytest.raises(MediaStoreError, match=reason):
        store_from_app(app_with(**config))


@pytest.mark.parametrize(
    ("config", "origin"),
    [
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:9000"}, "http://127.0.0.1:9000"),
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:9000", "S3_PUBLIC_ENDPOINT_URL": "https://media.example.com/"},
         "https://media.example.com"),
        ({"S3_REGION": "eu-west-1"}, "https://estatedesk-media.s3.eu-west-1.amazonaws.com"),
        ({"S3_REGION": "cn-north-1"}, "https://estatedesk-media.s3.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_media_store_images_come_from_the_origin_the_links_are_signed_for(config, origin):
    app = app_with(MEDIA_STORE="s3", S3_BUCKET="estatedesk-media", **config)
    store = store_from_app(app)
    assert isinstance(store, S3MediaStore)
    assert media_origin(app) == origin
    assert store.presigned_url(new_key()).startswith(origin + "/")


def test_media_store_rebuilds_its_clients_when_the_settings_change():
    app = app_with(MEDIA_STORE="s3", S3_BUCKET="a", S3_ENDPOINT_URL="http://127.0.0.1:9000")
    first = store_from_app(app)
    app.config["S3_BUCKET"] = "b"
    assert store_from_app(app) is not first and store_from_app(app).bucket == "b"


def test_media_keys_are_served_as_their_suffix_says():
    assert content_type(new_key()) == "image/jpeg"
    assert content_type(new_key(".png")) == "image/png"
    assert content_type(new_key(".check")) == "application/octet-stream"


@pytest.mark.parametrize(("value", "prefix"), [(None, None), ("", None), ("  ", None), ("/_media/", "/_media/"),
                                               ("_media", "/_media/"), ("/internal/media", "/internal/media/")])
def test_media_accel_prefix_always_ends_in_one_slash(value, prefix):
    assert accel_prefix({"MEDIA_ACCEL_PREFIX": value}) == prefix
