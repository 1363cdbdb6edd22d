"""Serving slip photos: only to users of the slip's project, never from a guessable URL.

The media folder is not under static/: every photo goes through this view, which finds
the record through the project scope (another project's photo → 404) and streams the
bytes through `send_media` (the bucket's presigned URL, nginx, or the bytes themselves).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from webapp.core.media_responses import send_media
from webapp.extensions import db
from webapp.org.access import can
from webapp.org.rules import Permission
from webapp.slips.models import SlipPhoto
from webapp.slips.photos import VARIANTS, variant_key
from webapp.slips.views import bp

#: photos never change once stored; a day in the phone's own cache saves the data plan
MAX_AGE = 86400


def may_see_original(photo: SlipPhoto) -> bool:
    """The clean original (no time/place strip) is for whoever took it and for those who
    manage slips (the CS desk, the PM's office, QA and management); everyone else sees the
    watermarked copy, which cannot be passed off as another day's photo."""
    return (
        photo.uploaded_by_id == current_user.id
        or can(Permission.WORK_SLIP_DESK, photo.project_id)
        or can(Permission.VIEW_SLIP_SUMMARY, photo.project_id)
    )


@bp.get("/photos/<int:photo_id>/<variant>")
def photo(photo_id: int, variant: str):
    if variant not in VARIANTS:
        abort(404)
    photo = db.first_or_404(sa.select(SlipPhoto).where(SlipPhoto.id == photo_id))
    if variant == "original" and not may_see_original(photo):
        abort(403)

    return send_media(
        variant_key(photo, variant), mimetype="image/jpeg", etag=f"{photo.sha256}-{variant}", max_age=MAX_AGE,
        label=f"slip photo {photo.id} ({variant})",
    )
