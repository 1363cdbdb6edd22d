"""Slip photos (SLIP-01, SLIP-10): checked, re-encoded, watermarked and stored with the slip.

Every photo is kept three times: the re-encoded original (no EXIF), a thumbnail for lists,
and the copy the app and prints show, with the time, place, person and slip number burnt
into a strip along the bottom (水印相机), so a photo cannot be passed off as another day's.

Files are written before the caller commits; a transaction that does not commit leaves
no files behind (webapp.core.media.delete_unless_committed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy.orm as so
from flask import current_app, has_app_context
from werkzeug.datastructures import FileStorage

from webapp.config import Config
from webapp.core.clock import to_local
from webapp.core.media import (
    MediaError,
    MediaStore,
    check_and_reencode,
    current_transaction,
    delete_files,
    delete_unless_committed,
    new_key,
    watermark,
)
from webapp.core.rulekit import N_
from webapp.slips.models import Slip, SlipPhoto

#: photos of one kind in one submission (the filing form's camera input takes up to six)
MAX_PHOTOS_PER_UPLOAD = 6
KINDS = ("report", "after")
#: what the photo route serves: the thumbnail, the watermarked copy, the clean original
VARIANTS = ("thumb", "view", "original")

TOO_MANY_PHOTOS = N_("At most %(limit)s photos at a time.")


# --- what the watermark says ----------------------------------------------------------------


def _place(slip: Slip) -> list[str]:
    words = [part for part in (slip.facility.name if slip.facility else None, slip.place_text) if part]
    lines = [" · ".join(words)] if words else []
    if slip.latitude is not None and slip.longitude is not None:
        gps = f"{slip.latitude:.6f}, {slip.longitude:.6f}"
        if slip.accuracy_m is not None:
            gps += f" ±{slip.accuracy_m:.0f} m"
        lines.append(gps)
    return lines


def photo_lines(slip: Slip, actor, now: datetime) -> list[str]:
    """The watermark: local time, the place (facility and words, then GPS), who took the
    photo and the slip number. The person is the one uploading: the filer for a report
    photo, the department's staff for an "after" photo."""
    person = getattr(actor, "display_name", None) or getattr(actor, "username", "")
    return [to_local(now).strftime("%Y-%m-%d %H:%M"), *_place(slip), person, slip.number]


# --- attaching ------------------------------------------------------------------------------


def _uploads(files: Iterable[FileStorage | None]) -> list[FileStorage]:
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


def attach_photos(
    session: so.Session,
    slip: Slip,
    files: Iterable[FileStorage | None],
    *,
    kind: str,
    actor,
    store: MediaStore,
    now: datetime,
) -> list[SlipPhoto]:
    """Check, re-encode, watermark and store the uploaded photos and add their rows.

    All or nothing: a bad file raises MediaError (field "photos") before any file of this
    call is kept. The files are saved before the caller commits; if the transaction rolls
    back or ends without a commit, they are deleted.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown photo kind {kind!r}")
    uploads = _uploads(files)
    if not uploads:
        return []
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        raise MediaError(TOO_MANY_PHOTOS, field="photos", limit=MAX_PHOTOS_PER_UPLOAD)

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

    lines = photo_lines(slip, actor, now)
    transaction = current_transaction(session)
    saved: list[str] = []
    photos: list[SlipPhoto] = []
    try:
        for image in processed:
            keys = {}
            for variant, data in (
                ("original", image.original),
                ("thumbnail", image.thumbnail),
                ("watermarked", watermark(image.original, lines)),
            ):
                key = new_key()
                store.save(key, data)
                saved.append(key)
                keys[variant] = key
            photo = SlipPhoto(
                project_id=slip.project_id,
                slip_id=slip.id,
                kind=kind,
                original_key=keys["original"],
                thumbnail_key=keys["thumbnail"],
                watermarked_key=keys["watermarked"],
                width=image.width,
                height=image.height,
                sha256=image.sha256,
                uploaded_by_id=actor.id,
                uploaded_at=now,
            )
            session.add(photo)
            photos.append(photo)
    except BaseException:
        delete_files(store, saved)
        for photo in photos:
            session.expunge(photo)
        raise
    delete_unless_committed(session, store, saved, transaction)
    return photos


def variant_key(photo: SlipPhoto, variant: str) -> str:
    """The storage key of one variant; KeyError for anything else."""
    return {
        "thumb": photo.thumbnail_key,
        "view": photo.watermarked_key,
        "original": photo.original_key,
    }[variant]
