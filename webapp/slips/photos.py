"""Slip photos (SLIP-01, SLIP-10): checked, re-encoded, watermarked and stored with the slip.

Every photo is kept three times: the re-encoded original (no EXIF), a thumbnail for lists,
and the copy the app and prints show, with the time, place, person and slip number burnt
into a strip along the bottom (水印相机), so a photo cannot be passed off as another day's.

Files are written before the caller commits; a transaction that does not commit leaves
no files behind (webapp.core.media.delete_unless_committed). The watermarked copy is made
by a background job after the commit (`watermark_photo`), or on demand by `variant_key`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy.orm as so
from flask import current_app
from werkzeug.datastructures import FileStorage

from webapp.core.clock import to_local
from webapp.core.media import MediaStore, store_from_app
from webapp.core.photo_uploads import (  # noqa: F401  (re-exported for callers of this module)
    MAX_PHOTOS_PER_UPLOAD,
    TOO_MANY_PHOTOS,
    VARIANTS,
    attach_images,
    ensure_watermarked,
    stored_variant_key,
)
from webapp.org.models import User
from webapp.slips.models import Slip, SlipPhoto

KINDS = ("report", "after")


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

    def row(image, keys: dict[str, str]) -> SlipPhoto:
        return SlipPhoto(
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

    return attach_images(session, files, build_row=row, store=store, watermark_job=WATERMARK_JOB)


# --- the watermarked copy, after the commit ---------------------------------------------------

WATERMARK_JOB = "webapp.slips.photos:watermark_photo"


def stored_photo_lines(photo: SlipPhoto) -> list[str]:
    """The watermark of a stored photo, from what its row records: the slip, who uploaded
    it and when."""
    session = so.object_session(photo)
    return photo_lines(photo.slip, session.get(User, photo.uploaded_by_id), photo.uploaded_at)


def variant_key(photo: SlipPhoto, variant: str) -> str:
    """The storage key of one variant; the watermarked copy is built first if its job has
    not run yet, so a page never waits for the queue."""
    if variant == "view":
        return ensure_watermarked(photo, lambda: stored_photo_lines(photo), store_from_app(current_app))
    return stored_variant_key(photo, variant)


def watermark_photo(photo_id: int) -> None:
    """Background job: write the watermarked copy of a newly stored slip photo (nothing
    when it exists already or the photo is gone)."""
    from webapp.extensions import db

    photo = db.session.get(SlipPhoto, photo_id)
    if photo is not None:
        variant_key(photo, "view")
