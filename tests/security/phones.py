"""What the privacy tests count as a full mainland mobile number in an output.

Written apart from the app's own mask (webapp.core.privacy) so that a fault there cannot hide
itself. Digits glued to Latin letters are part of a file name, hash or token, not a phone.
"""

import re

_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"

#: 13912345678, 139 1234 5678, 139-1234-5678
FULL_MOBILE = re.compile(_EDGE_BEFORE + r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}" + _EDGE_AFTER)
