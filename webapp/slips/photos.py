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
from werkzeug.datastructures import FileStorage

from webapp.core.clock import to_local
from webapp.core.media import MediaStore
from webapp.core.photo_uploads import (  # noqa: F401  (re-exported for callers of this module)
    MAX_PHOTOS_PER_UPLOAD,
    TOO_MANY_PHOTOS,
    VARIANTS,
    attach_images,
    variant_key,
)
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

    return attach_images(
        session, files, lines=lambda: photo_lines(slip, actor, now), build_row=row, store=store
    )
