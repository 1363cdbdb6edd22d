"""What the privacy tests count as a full mainland mobile number in an output.

Written apart from the app's own mask (webapp.core.privacy) so that a fault there cannot hide
itself. Digits inside a file name, hash or token (16 or more letters and digits) are chance,
not a phone.
"""

import re

FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
IDENTIFIER = re.compile(r"\w{16,}", re.ASCII)


def full_mobiles(text: str) -> list[str]:
    """13912345678, 139 1234 5678, 139-1234-5678 and wx13912345678, as found in `text`."""
    without_identifiers = IDENTIFIER.sub(
        lambda match: " " if not match.group(0).isdigit() else match.group(0), text
    )
    return FULL_MOBILE.findall(without_identifiers)
