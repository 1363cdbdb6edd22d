"""The owner's drawn signature (SVC-06): checked, re-encoded and stored through core.media.

The pad (signature_pad) sends a PNG with a transparent background and dark strokes. The
server never trusts that it holds a signature: it opens the bytes with the same hardening
as photos (format by content, pixel count before decoding), flattens them onto white,
counts the dark pixels and their spread (rules.check_signature_ink: an empty pad or a
stray tap is refused) and keeps a freshly encoded greyscale PNG without metadata.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

from webapp.core import media
from webapp.core.media import MediaError, MediaStore
from webapp.core.rulekit import N_
from webapp.paid_services import rules

#: a pad is a few hundred CSS pixels at a device pixel ratio of up to 3 or 4
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
#: grey levels darker than this are ink (the pen is black on white after flattening)
INK_THRESHOLD = 160

NOT_A_SIGNATURE = N_("The signature could not be read: ask the owner to sign again.")


@dataclass(frozen=True)
class SignatureImage:
    png: bytes
    width: int
    height: int
    ink_pixels: int
    #: the larger side of the box around the ink
    extent_px: int
    sha256: str


def check_signature_image(data: bytes) -> SignatureImage:
    """The signature as a clean PNG; MediaError (field "signature") for anything that is
    not a PNG image, RuleViolation (rules.check_signature_ink) for an empty one."""
    if not data:
        rules.check_signature_ink(0, 0)
    if len(data) > MAX_SIGNATURE_BYTES:
        raise MediaError(NOT_A_SIGNATURE, field="signature")
    try:
        # the photos' hardening: identified by content, decompression bombs refused unread
        opened = media.open_checked(data, MAX_SIGNATURE_PIXELS)
    except MediaError as exc:
        if exc.message == media.NOT_AN_IMAGE:  # "JPEG, PNG, WebP or HEIC expected" is for photos
            raise MediaError(NOT_A_SIGNATURE, field="signature") from None
        exc.field = "signature"
        raise
    if opened.format != "PNG":
        raise MediaError(NOT_A_SIGNATURE, field="signature")
    grey = media.clean_rgb(opened).convert("L")
    ink = grey.point(lambda level: 255 if level < INK_THRESHOLD else 0)
    ink_pixels = ink.histogram()[255]
    box = ink.getbbox()
    extent = max(box[2] - box[0], box[3] - box[1]) if box else 0
    rules.check_signature_ink(ink_pixels, extent)
    out = io.BytesIO()
    clean = Image.new("L", grey.size)
    clean.paste(grey)
    clean.save(out, "PNG", optimize=True)
    png = out.getvalue()
    return SignatureImage(
        png=png,
        width=grey.width,
        height=grey.height,
        ink_pixels=ink_pixels,
        extent_px=extent,
        sha256=hashlib.sha256(png).hexdigest(),
    )


def store_signature(session, image: SignatureImage, store: MediaStore) -> str:
    """Save the PNG under a fresh key; the file is deleted again if the transaction does
    not commit (webapp.core.media.delete_unless_committed)."""
    key = media.new_key(".png")
    transaction = media.current_transaction(session)
    store.save(key, image.png)
    media.delete_unless_committed(session, store, [key], transaction)
    return key
