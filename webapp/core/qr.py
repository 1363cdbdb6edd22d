"""QR codes for any URL: inline SVG for pages and print sheets, PNG for downloads."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup, escape


def _code(url: str) -> qrcode.QRCode:
    # Level M survives a scuffed or partly dirty label on a plant-room door.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def svg(url: str, *, css_class: str = "qr", label: str | None = None) -> Markup:
    """Inline SVG with a white background (a transparent one prints unscannable on
    coloured paper). One path with a viewBox: small, and CSS can scale it to any size."""
    image = _code(url).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    raw = image.to_string(encoding="unicode")
    # Several codes on one page (a label sheet) must not repeat the path's id.
    raw = raw.replace(' id="qr-path"', "", 1)
    # Only the caller's class and label enter the markup, both escaped; the rest is the
    # library's own rectangles and path, which never carry the encoded URL.
    named = f' aria-label="{escape(label)}"' if label else ""
    raw = raw.replace("<svg ", f'<svg class="{escape(css_class)}" role="img"{named} ', 1)
    return Markup(raw)  # noqa: S704  # nosec B704  # the SVG is qrcode's, caller text escaped


def png(url: str, *, box_size: int = 10) -> bytes:
    code = _code(url)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
