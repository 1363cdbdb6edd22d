"""RCP-01 evidence: an entry's photos are checked, cleaned, watermarked with the time, the
entry number and who took them, stored with the entry, and never left orphaned."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from tests import factories
from webapp.core.media import LocalMediaStore, MediaError
from webapp.reception.models import ReceptionPhoto
from webapp.reception.photos import OWNER_FORM_PHOTOGRAPHER, attach_photos, photo_lines

NOW = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai


def jpeg(size=(1200, 900), colour=(200, 210, 220)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_0001.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/jpeg")


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def arranged(session, tmp_path):
    company = factories.make_company(session)
    project = factories.make_project(session, company, code="CH")
    desk = factories.make_user(session, "desk", display_name="李前台", roles=[("receptionist", project, None)])
    entry = factories.make_reception_entry(session, project, desk, number="CH-JD-20261128-0001")
    session.commit()
    return session, entry, desk, LocalMediaStore(tmp_path / "media")


def test_rcp01_the_watermark_names_the_time_the_entry_and_who_took_it(arranged):
    _, entry, desk, _ = arranged
    assert photo_lines(entry, desk, NOW) == ["2026-11-28 09:05", "CH-JD-20261128-0001", "李前台"]
    assert photo_lines(entry, None, NOW)[-1] == OWNER_FORM_PHOTOGRAPHER == "业主扫码"


def test_rcp01_photos_are_stored_in_three_variants_with_the_entry(arranged):
    session, entry, desk, store = arranged
    photos = attach_photos(session, entry, [upload(jpeg()), None], actor=desk, store=store, now=NOW)
    session.commit()
    assert len(photos) == 1
    photo = session.scalar(sa.select(ReceptionPhoto))
    assert (photo.entry_id, photo.project_id, photo.uploaded_by_id, photo.uploaded_at) == (
        entry.id, entry.project_id, desk.id, NOW
    )
    keys = {photo.original_key, photo.thumbnail_key, photo.watermarked_key}
    assert len(keys) == 3 and all(store.exists(k) for k in keys)
    # the watermarked copy differs from the clean original: the strip is burnt in
    assert store.open(photo.watermarked_key) != store.open(photo.original_key)
    thumb = Image.open(io.BytesIO(store.open(photo.thumbnail_key)))
    assert max(thumb.size) <= 400
    session.refresh(entry)
    assert [p.id for p in entry.photos] == [photo.id]


def test_rcp01_an_owner_photo_has_no_uploader(arranged):
    session, entry, _, store = arranged
    (photo,) = attach_photos(session, entry, [upload(jpeg())], actor=None, store=store, now=NOW)
    session.commit()
    assert photo.uploaded_by_id is None


def test_rcp01_a_refused_file_keeps_nothing_of_the_upload(arranged, tmp_path):
    session, entry, desk, store = arranged
    with pytest.raises(MediaError) as refused:
        attach_photos(
            session, entry, [upload(jpeg()), upload(b"not an image", "x.jpg")], actor=desk, store=store, now=NOW
        )
    assert refused.value.field == "photos" and refused.value.params["number"] == 2
    session.rollback()
    assert files_under(tmp_path / "media") == []
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceptionPhoto)) == 0


def test_rcp01_photos_of_a_transaction_that_does_not_commit_are_deleted(arranged, tmp_path):
    session, entry, desk, store = arranged
    attach_photos(session, entry, [upload(jpeg())], actor=desk, store=store, now=NOW)
    # the original and the thumbnail; the watermarked copy is made after the commit
    assert len(files_under(tmp_path / "media")) == 2
    session.rollback()
    assert files_under(tmp_path / "media") == []


def test_rcp01_at_most_six_photos_at_a_time(arranged, tmp_path):
    session, entry, desk, store = arranged
    with pytest.raises(MediaError) as refused:
        attach_photos(session, entry, [upload(jpeg()) for _ in range(7)], actor=desk, store=store, now=NOW)
    assert refused.value.field == "photos"
    assert files_under(tmp_path / "media") == []
