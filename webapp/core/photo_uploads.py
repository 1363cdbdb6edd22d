"""Attaching uploaded photos to a record: one implementation for every slice that takes
photos (slips, reception entries).

Each photo is checked and re-encoded (webapp.core.media.check_and_reencode), then kept
three times: the clean original (no EXIF), a thumbnail for lists, and the copy pages and
prints show with the record's lines burnt in (水印相机). All or nothing: a bad file raises
MediaError (field "photos") before any file of the call is stored. Files are written
before the caller commits; a transaction that does not commit leaves none behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy.orm as so
from flask import current_app, has_app_context
from werkzeug.datastructures import FileStorage

from webapp.config import Config
from webapp.core.media import (
    MediaError,
    MediaStore,
    ProcessedImage,
    check_and_reencode,
    current_transaction,
    delete_files,
    delete_unless_committed,
    new_key,
    watermark,
)
from webapp.core.rulekit import N_

#: photos in one submission (the camera inputs take up to six)
MAX_PHOTOS_PER_UPLOAD = 6
#: what a photo route serves: the thumbnail, the watermarked copy, the clean original
VARIANTS = ("thumb", "view", "original")

TOO_MANY_PHOTOS = N_("At most %(limit)s photos at a time.")

#: builds the row of one stored photo from the image and its keys
#: ({"original", "thumbnail", "watermarked"})
RowBuilder = Callable[[ProcessedImage, dict[str, str]], Any]


def chosen_files(files: Iterable[FileStorage | None]) -> list[FileStorage]:
    """The files actually chosen: a form with no photo still sends an empty part."""
    return [f for f in files if f is not None and f.filename]


def _rewind(upload: FileStorage) -> None:
    try:
        if upload.stream.seekable():
            upload.stream.seek(0)
    except (AttributeError, OSError, ValueError):
        pass


def _limits() -> tuple[int, int]:
    config = current_app.config if has_app_context() else {}
    return (
        int(config.get("MEDIA_MAX_UPLOAD_BYTES", Config.MEDIA_MAX_UPLOAD_BYTES)),
        int(config.get("MEDIA_MAX_PIXELS", Config.MEDIA_MAX_PIXELS)),
    )


def check_uploads(uploads: list[FileStorage], max_photos: int = MAX_PHOTOS_PER_UPLOAD) -> list[ProcessedImage]:
    """Every chosen file checked and re-encoded, or MediaError (field "photos", with the
    number of the refused photo) before anything is stored."""
    if len(uploads) > max_photos:
        raise MediaError(TOO_MANY_PHOTOS, field="photos", limit=max_photos)
    max_bytes, max_pixels = _limits()
    processed = []
    for number, upload in enumerate(uploads, start=1):
        _rewind(upload)  # a caller retrying after a rollback passes the same uploads again
        # one byte more than allowed is enough to know the file is too large
        data = upload.stream.read(max_bytes + 1)
        try:
            processed.append(check_and_reencode(data, max_bytes=max_bytes, max_pixels=max_pixels))
        except MediaError as exc:
            exc.field = "photos"
            exc.params.setdefault("number", number)  # which of the photos, for a view that says so
            raise
    return processed


def attach_images(
    session: so.Session,
    files: Iterable[FileStorage | None],
    *,
    lines: list[str] | Callable[[], list[str]],
    build_row: RowBuilder,
    store: MediaStore,
    max_photos: int = MAX_PHOTOS_PER_UPLOAD,
) -> list[Any]:
    """Check, re-encode, watermark with `lines` and store the uploaded photos; add the
    row `build_row` makes for each to the session and return the rows.

    `lines` may be a callable, evaluated only when there is something to store."""
    uploads = chosen_files(files)
    if not uploads:
        return []
    processed = check_uploads(uploads, max_photos)
    watermark_lines = lines() if callable(lines) else lines
    transaction = current_transaction(session)
    saved: list[str] = []
    rows: list[Any] = []
    try:
        for image in processed:
            keys = {}
            for variant, data in (
                ("original", image.original),
                ("thumbnail", image.thumbnail),
                ("watermarked", watermark(image.original, watermark_lines)),
            ):
                key = new_key()
                store.save(key, data)
                saved.append(key)
                keys[variant] = key
            row = build_row(image, keys)
            session.add(row)
            rows.append(row)
    except BaseException:
        delete_files(store, saved)
        for row in rows:
            session.expunge(row)
        raise
    delete_unless_committed(session, store, saved, transaction)
    return rows


def variant_key(photo: Any, variant: str) -> str:
    """The storage key of one variant of a photo row; KeyError for anything else."""
    return {
        "thumb": photo.thumbnail_key,
        "view": photo.watermarked_key,
        "original": photo.original_key,
    }[variant]
