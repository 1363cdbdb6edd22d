"""Evidence of a reception entry (RCP-01): photos taken at the desk or sent by the owner
with the QR form, checked, re-encoded, watermarked and stored with the entry.

The complaint, work order or return slip the entry starts shows these same photos
(entry.photos): evidence travels with the matter and is never uploaded twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy.orm as so
from flask import current_app
from werkzeug.datastructures import FileStorage

from webapp.core.clock import to_local
from webapp.core.media import MediaStore, store_from_app
from webapp.core.photo_uploads import (  # noqa: F401  (re-exported)
    VARIANTS,
    attach_images,
    ensure_watermarked,
    stored_variant_key,
)
from webapp.org.models import User
from webapp.reception.models import ReceptionEntry, ReceptionPhoto

#: who took a photo the owner sent with the QR form: burnt into the image, so it is the
#: words the centre's own records use whatever the viewer's language
OWNER_FORM_PHOTOGRAPHER = "业主扫码"


def photo_lines(entry: ReceptionEntry, actor: User | None, now: datetime) -> list[str]:
    """The watermark: local time, the entry number and who took the photo (the staff
    member, or the owner through the QR form)."""
    if actor is None:
        person = OWNER_FORM_PHOTOGRAPHER
    else:
        person = getattr(actor, "display_name", None) or getattr(actor, "username", "")
    return [to_local(now).strftime("%Y-%m-%d %H:%M"), entry.number, person]


def attach_photos(
    session: so.Session,
    entry: ReceptionEntry,
    files: Iterable[FileStorage | None],
    *,
    actor: User | None,
    store: MediaStore,
    now: datetime,
) -> list[ReceptionPhoto]:
    """Check, re-encode, watermark and store the uploaded photos of an entry and add their
    rows (the entry must be flushed: it needs its id and number). `actor` None: the owner.

    All or nothing: a bad file raises MediaError (field "photos") before any file of this
    call is kept; files are deleted if the transaction does not commit."""

    def row(image, keys: dict[str, str]) -> ReceptionPhoto:
        return ReceptionPhoto(
            project_id=entry.project_id,
            entry_id=entry.id,
            original_key=keys["original"],
            thumbnail_key=keys["thumbnail"],
            watermarked_key=keys["watermarked"],
            width=image.width,
            height=image.height,
            sha256=image.sha256,
            uploaded_by_id=actor.id if actor is not None else None,
            uploaded_at=now,
        )

    photos = attach_images(session, files, build_row=row, store=store, watermark_job=WATERMARK_JOB)
    if photos:
        # the entry's list, if already loaded, reloads with the new photos
        session.expire(entry, ["photos"])
    return photos


# ---------------------------------------------------------------------------- the watermarked copy

WATERMARK_JOB = "webapp.reception.photos:watermark_photo"


def stored_photo_lines(photo: ReceptionPhoto) -> list[str]:
    """The watermark of a stored photo, from what its row records: the entry, who took it
    (no one: the owner) and when."""
    session = so.object_session(photo)
    actor = session.get(User, photo.uploaded_by_id) if photo.uploaded_by_id is not None else None
    return photo_lines(photo.entry, actor, photo.uploaded_at)


def variant_key(photo: ReceptionPhoto, variant: str) -> str:
    """The storage key of one variant; the watermarked copy is built first if its job has
    not run yet, so a page never waits for the queue."""
    if variant == "view":
        return ensure_watermarked(photo, lambda: stored_photo_lines(photo), store_from_app(current_app))
    return stored_variant_key(photo, variant)


def watermark_photo(photo_id: int) -> None:
    """Background job: write the watermarked copy of a newly stored entry photo (nothing
    when it exists already or the photo is gone)."""
    from webapp.extensions import db

    photo = db.session.get(ReceptionPhoto, photo_id)
    if photo is not None:
        variant_key(photo, "view")
