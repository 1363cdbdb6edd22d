"""Attaching uploaded photos to a record: one implementation for every slice that takes
photos (slips, reception entries).

Each photo is checked and re-encoded (webapp.core.media.check_and_reencode), then kept
three times: the clean original (no EXIF), a thumbnail for lists, and the copy pages and
prints show with the record's lines burnt in (水印相机). All or nothing: a bad file raises
MediaError (field "photos") before any file of the call is stored; a disk that fills up
while storing raises MediaError too, after deleting the files the call had stored. Files
are written before the caller commits; a transaction that does not commit leaves none behind.

The check and the re-encoding happen in the request (the user hears at once that a file
is no photo, and the clean original is stored before anything is acknowledged); the
watermarked copy is a background job after the commit (webapp.core.jobs), its key
recorded with the row from the start.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy.orm as so
from flask import current_app, has_app_context
from werkzeug.datastructures import FileStorage

from webapp.config import Config
from webapp.core import jobs
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
STORAGE_FULL = N_("The server has no room left for photos: tell the system administrator, then try again later.")

log = logging.getLogger(__name__)

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
    build_row: RowBuilder,
    store: MediaStore,
    watermark_job: str,
    max_photos: int = MAX_PHOTOS_PER_UPLOAD,
) -> list[Any]:
    """Check, re-encode and store the uploaded photos (original and thumbnail); add the
    row `build_row` makes for each to the session and return the rows.

    The watermarked copy is left to `watermark_job` ("package.module:function" taking the
    row's id), queued once the caller commits: the row already names its key, and
    `ensure_watermarked` builds the file on demand if a page asks before the job ran."""
    uploads = chosen_files(files)
    if not uploads:
        return []
    processed = check_uploads(uploads, max_photos)
    transaction = current_transaction(session)
    saved: list[str] = []
    rows: list[Any] = []
    try:
        for image in processed:
            # the watermarked copy's key is chosen now; its file comes after the commit
            keys = {"watermarked": new_key()}
            for variant, data in (("original", image.original), ("thumbnail", image.thumbnail)):
                key = new_key()
                try:
                    store.save(key, data)
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    # the user's form comes back with this message; the operator needs the log
                    log.error("media store full, photo upload refused: %s", exc)
                    raise MediaError(STORAGE_FULL, field="photos") from exc
                saved.append(key)
                keys[variant] = key
            row = build_row(image, keys)
            session.add(row)
            rows.append(row)
        session.flush()  # the rows' ids, for their watermark jobs
    except BaseException:
        delete_files(store, saved)
        for row in rows:
            if row in session:
                session.expunge(row)
        raise
    delete_unless_committed(session, store, saved, transaction)
    for row in rows:
        jobs.enqueue_after_commit(session, watermark_job, row.id, job_id=f"watermark-{row.__tablename__}-{row.id}")
    return rows


def ensure_watermarked(photo: Any, lines: Callable[[], list[str]], store: MediaStore) -> str:
    """The key of the photo's watermarked copy, its file built from the original now if
    the upload's job has not made it yet. Idempotent: the same original and lines give
    the same bytes, and the file is replaced atomically, so a job and a page view racing
    each other write the same copy."""
    key = photo.watermarked_key
    if not store.exists(key):
        store.save(key, watermark(store.open(photo.original_key), lines()))
    return key


def stored_variant_key(photo: Any, variant: str) -> str:
    """The storage key of one variant of a photo row, whether or not its file exists yet
    (the slices' `variant_key` makes sure it does); KeyError for anything else."""
    return {
        "thumb": photo.thumbnail_key,
        "view": photo.watermarked_key,
        "original": photo.original_key,
    }[variant]
