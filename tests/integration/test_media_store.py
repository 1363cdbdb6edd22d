"""Local photo storage (SLIP-01 photos): keys, round trip, traversal and atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from webapp.core import media
from webapp.core.media import LocalMediaStore, new_key, store_from_app


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_slip01_photo_round_trip(tmp_path):
    store = LocalMediaStore(tmp_path)
    key = new_key()
    assert not store.exists(key)

    store.save(key, b"\xff\xd8jpeg bytes")

    assert store.exists(key)
    assert store.open(key) == b"\xff\xd8jpeg bytes"
    assert (tmp_path / key).is_file()
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting again is harmless
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_media_keys_fan_out_from_a_random_token_and_are_unique():
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        match = re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{32})\.jpg", key)
        assert match and match[3].startswith(match[1] + match[2])
    assert new_key(".png").endswith(".png")
    with pytest.raises(ValueError):
        new_key("/../x")


@pytest.mark.parametrize(
    "key",
    ["../x.jpg", "/etc/passwd", "ab/cd/../../x.jpg", "", "photo.jpg", "ab/cd/" + "0" * 32 + ".jpg",
     "ab/cd/abcd" + "0" * 28 + ".jpg\n", "ab\\cd\\abcd" + "0" * 28 + ".jpg", "AB/CD/ABCD" + "0" * 28 + ".jpg"],
)
def test_media_keys_not_made_by_new_key_are_refused(tmp_path, key):
    store = LocalMediaStore(tmp_path)
    for call in (lambda: store.save(key, b"x"), lambda: store.open(key),
                 lambda: store.exists(key), lambda: store.delete(key)):
        with pytest.raises(ValueError):
            call()
    assert _files(tmp_path) == []


def test_media_interrupted_write_leaves_neither_photo_nor_temp_file(tmp_path, monkeypatch):
    store = LocalMediaStore(tmp_path)
    key = new_key()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(media.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save(key, b"half a photo")

    assert not store.exists(key)
    assert _files(tmp_path) == []


def test_media_save_replaces_atomically_an_existing_file(tmp_path):
    store = LocalMediaStore(tmp_path)
    key = new_key()
    store.save(key, b"first")
    store.save(key, b"second")
    assert store.open(key) == b"second"
    assert _files(tmp_path) == [tmp_path / key]


def test_media_store_from_app_uses_media_dir(app, tmp_path):
    store = store_from_app(app)
    key = new_key()
    store.save(key, b"signature")
    assert (Path(app.config["MEDIA_DIR"]) / key).read_bytes() == b"signature"
    assert os.path.commonpath([app.config["MEDIA_DIR"], tmp_path]) == str(tmp_path)
    assert app.config["MEDIA_MAX_UPLOAD_BYTES"] == 15 * 1024 * 1024
    assert app.config["MEDIA_MAX_PIXELS"] == 40_000_000
