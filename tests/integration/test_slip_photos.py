"""SLIP-01 photos: checked, cleaned of EXIF, thumbnailed, watermarked, stored, never orphaned."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image, ImageStat
from werkzeug.datastructures import FileStorage

from tests import factories
from webapp.core.media import LocalMediaStore, MediaError
from webapp.slips.models import SlipPhoto
from webapp.slips.photos import attach_photos, photo_lines

NOW = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai


def jpeg_with_gps(size=(1200, 900), colour=(200, 210, 220)) -> bytes:
    """A phone photo: JPEG with the camera's make and the GPS position in its EXIF."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 2.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 7.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    return data


def upload(data: bytes, name: str = "IMG_0001.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/jpeg")


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def arranged(session, tmp_path):
    company = factories.make_company(session)
    project = factories.make_project(session, company, code="CH")
    department = factories.make_department(session, project)
    filer = factories.make_user(session, "patrol", display_name="王保安", roles=[("staff", project, department)])
    facility = factories.make_facility(session, project, name="2号水泵房")
    slip = factories.make_slip(
        session, project, filer, number="CH-XD-20261128-0001", facility_id=facility.id,
        place_text="B1 东侧", latitude=31.2340071, longitude=121.4745582, accuracy_m=12.4,
    )
    session.commit()
    store = LocalMediaStore(tmp_path / "media")
    return session, slip, filer, store


def attach(arranged, files, kind="report"):
    session, slip, filer, store = arranged
    return attach_photos(session, slip, files, kind=kind, actor=filer, store=store, now=NOW)


def test_slip01_photo_lines_carry_local_time_place_person_and_number(arranged):
    session, slip, filer, _ = arranged
    assert photo_lines(slip, filer, NOW) == [
        "2026-11-28 09:05",
        "2号水泵房 · B1 东侧",
        "31.234007, 121.474558 ±12 m",
        "王保安",
        "CH-XD-20261128-0001",
    ]


def test_slip01_photo_lines_with_only_words_or_only_gps(arranged):
    session, slip, filer, _ = arranged
    slip.facility_id = None
    session.flush()
    session.refresh(slip)
    slip.latitude = slip.longitude = slip.accuracy_m = None
    assert photo_lines(slip, filer, NOW)[1:3] == ["B1 东侧", "王保安"]
    slip.place_text = None
    slip.latitude, slip.longitude = 31.5, 121.25
    assert photo_lines(slip, filer, NOW)[1:3] == ["31.500000, 121.250000", "王保安"]


def test_slip01_attached_photos_are_stored_clean_thumbnailed_and_watermarked(arranged):
    session, slip, filer, store = arranged
    photos = attach(arranged, [upload(jpeg_with_gps()), upload(jpeg_with_gps(size=(900, 1600)), "b.heic"),
                               FileStorage(stream=io.BytesIO(b""), filename="")])  # the empty part is skipped
    session.commit()

    rows = session.scalars(sa.select(SlipPhoto).where(SlipPhoto.slip_id == slip.id)).all()
    assert [p.id for p in rows] == [p.id for p in photos] and len(rows) == 2
    assert {(p.kind, p.uploaded_by_id, p.project_id) for p in rows} == {("report", filer.id, slip.project_id)}
    assert [(p.width, p.height) for p in rows] == [(1200, 900), (900, 1600)]
    assert all(len(p.sha256) == 64 for p in rows)
    assert len(files_under(store.root)) == 6

    for photo in rows:
        variants = {name: store.open(getattr(photo, f"{name}_key")) for name in ("original", "thumbnail", "watermarked")}
        for name, data in variants.items():
            image = Image.open(io.BytesIO(data))
            assert image.format == "JPEG", name
            assert "exif" not in image.info and not image.getexif(), f"{name} kept EXIF"
            assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo), f"{name} kept GPS"
        thumb = Image.open(io.BytesIO(variants["thumbnail"]))
        assert max(thumb.size) <= 400
        original = Image.open(io.BytesIO(variants["original"])).convert("L")
        marked = Image.open(io.BytesIO(variants["watermarked"])).convert("L")
        assert marked.size == original.size == (photo.width, photo.height)
        w, h = original.size
        bottom, top = (0, h - h // 20, w, h), (0, 0, w, h // 2)
        # the dark strip with white text along the bottom; the rest of the picture untouched
        assert ImageStat.Stat(marked.crop(bottom)).mean[0] < ImageStat.Stat(original.crop(bottom)).mean[0] - 40
        assert abs(ImageStat.Stat(marked.crop(top)).mean[0] - ImageStat.Stat(original.crop(top)).mean[0]) < 3


def test_slip01_after_photos_are_kept_apart_from_report_photos(arranged):
    session, slip, filer, store = arranged
    attach(arranged, [upload(jpeg_with_gps())])
    attach(arranged, [upload(jpeg_with_gps())], kind="after")
    session.commit()
    kinds = session.scalars(sa.select(SlipPhoto.kind).where(SlipPhoto.slip_id == slip.id).order_by(SlipPhoto.id))
    assert list(kinds) == ["report", "after"]


def test_slip01_no_photo_chosen_stores_nothing(arranged):
    session, slip, filer, store = arranged
    assert attach(arranged, [FileStorage(stream=io.BytesIO(b""), filename=""), None]) == []
    assert files_under(store.root) == []


def test_slip01_a_bad_file_among_good_ones_stores_none_of_them(arranged):
    session, slip, filer, store = arranged
    files = [upload(jpeg_with_gps()), upload(b"MZ\x90\x00 not a photo", "invoice.jpg"), upload(jpeg_with_gps())]
    with pytest.raises(MediaError) as refused:
        attach(arranged, files)
    assert refused.value.field == "photos"
    assert refused.value.params["number"] == 2
    assert "Not an image" in refused.value.message
    session.commit()
    assert files_under(store.root) == []
    assert session.scalar(sa.select(sa.func.count(SlipPhoto.id))) == 0


def test_slip01_a_photo_over_the_size_limit_is_refused_with_the_limit(arranged, app):
    app.config["MEDIA_MAX_UPLOAD_BYTES"] = 50_000
    with pytest.raises(MediaError) as refused:
        attach(arranged, [upload(b"\xff\xd8" + b"\0" * 60_000)])
    assert refused.value.params["limit"] == f"{50_000 / 1024 / 1024:g}"
    assert files_under(arranged[3].root) == []


def test_slip01_seven_photos_at_once_are_refused(arranged):
    session, slip, filer, store = arranged
    with pytest.raises(MediaError) as refused:
        attach(arranged, [upload(jpeg_with_gps(size=(40, 30))) for _ in range(7)])
    assert refused.value.params == {"limit": 6}
    assert files_under(store.root) == []
    assert len(attach(arranged, [upload(jpeg_with_gps(size=(40, 30))) for _ in range(6)])) == 6


def test_slip01_a_rollback_deletes_the_files_saved_in_the_transaction(arranged):
    session, slip, filer, store = arranged
    attach(arranged, [upload(jpeg_with_gps())])
    # the original and the thumbnail; the watermarked copy is made after the commit
    assert len(files_under(store.root)) == 2
    session.rollback()
    assert files_under(store.root) == []


def test_slip01_a_failed_commit_leaves_no_files(arranged):
    session, slip, filer, store = arranged
    attach(arranged, [upload(jpeg_with_gps()), upload(jpeg_with_gps())])
    # a second slip with the same number: the commit fails on the unique constraint
    duplicate = type(slip)(**{c: getattr(slip, c) for c in (
        "project_id", "number", "status", "category", "source", "description", "filed_by_id", "captured_at", "filed_at",
    )})
    session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    assert files_under(store.root) == []
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(SlipPhoto.id))) == 0


def test_slip01_a_session_closed_without_commit_leaves_no_files(arranged):
    session, slip, filer, store = arranged
    attach(arranged, [upload(jpeg_with_gps())])
    session.close()  # e.g. the request ended with an error before the view committed
    assert files_under(store.root) == []


def test_slip01_committed_photos_stay_after_later_rollbacks(arranged):
    session, slip, filer, store = arranged
    attach(arranged, [upload(jpeg_with_gps())])
    session.commit()
    session.rollback()
    session.close()
    assert len(files_under(store.root)) == 3


def test_slip01_photos_saved_inside_a_savepoint_follow_it(arranged):
    session, slip, filer, store = arranged
    savepoint = session.begin_nested()
    attach(arranged, [upload(jpeg_with_gps())])
    savepoint.rollback()
    assert files_under(store.root) == []

    savepoint = session.begin_nested()
    attach(arranged, [upload(jpeg_with_gps())])
    savepoint.commit()
    assert len(files_under(store.root)) == 2  # kept while the enclosing transaction runs
    session.rollback()
    assert files_under(store.root) == []

    with session.begin_nested():
        attach(arranged, [upload(jpeg_with_gps())])
    session.commit()
    assert len(files_under(store.root)) == 3


def test_slip01_a_store_failure_half_way_deletes_what_this_call_saved(arranged):
    session, slip, filer, store = arranged

    class DiskFullAfterThree(LocalMediaStore):
        saves = 0

        def save(self, key, data):
            self.saves += 1
            if self.saves > 3:
                raise OSError(28, "No space left on device")
            super().save(key, data)

    full = DiskFullAfterThree(store.root)
    with pytest.raises(MediaError) as refused:  # shown next to the photos, not a 500
        attach_photos(session, slip, [upload(jpeg_with_gps()), upload(jpeg_with_gps())],
                      kind="report", actor=filer, store=full, now=NOW)
    assert refused.value.field == "photos"
    assert full.saves == 4  # the original and thumbnail of the first photo, then the second's
    assert files_under(store.root) == []
    session.commit()
    assert session.scalar(sa.select(sa.func.count(SlipPhoto.id))) == 0


def test_slip01_the_same_uploads_can_be_attached_again_after_a_rollback(arranged):
    """The filing view retries once the number was taken meanwhile: the rolled-back
    attempt's files go, the retry reads the uploads from the start again."""
    session, slip, filer, store = arranged
    files = [upload(jpeg_with_gps())]
    attach(arranged, files)
    session.rollback()
    photos = attach(arranged, files)
    session.commit()
    assert len(photos) == 1
    assert len(files_under(store.root)) == 3
