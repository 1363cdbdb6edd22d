"""Phone numbers inside free text (PIPL; EST-03): found, masked or removed.

Standard library only. The audit trail masks them when an event is recorded (its events
are never edited afterwards), the retention sweep removes them from closed records, and
the logs mask them before a line is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: a mainland mobile (1[3-9] and 9 more digits) as people write it: 13812345678,
#: 138 1234 5678, 138-1234-5678, +86 138…, wx13812345678; never inside a longer run of digits
MOBILE_IN_TEXT = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d])")
#: a landline with its area code: 0755-12345678, 021 6543 2100
LANDLINE_IN_TEXT = re.compile(r"(?<![\d])0\d{2,3}[\s-]\d{3,4}[\s-]?\d{4}(?![\d])")
#: the characters of a file name, hash or token (ee247037b15243402325b517434c75cc): eleven
#: digits inside one are chance, not a phone, and a log must keep the name whole
_IDENTIFIER_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENTIFIER_MIN_LENGTH = 16

#: what the retention sweep writes in place of a person's name
ANONYMISED_NAME = "已匿名"
#: what the retention sweep writes in place of a phone number inside free text
REMOVED_PHONE = "***********"


def _inside_identifier(match: re.Match) -> bool:
    """Whether the number is part of a run of 16 or more letters and digits, with a letter
    in it, that no one types as a phone number (a person's "wx13812345678" is short)."""
    if not all(char in _IDENTIFIER_CHARS for char in match.group(0)):
        return False
    text, start, end = match.string, match.start(), match.end()
    while start > 0 and text[start - 1] in _IDENTIFIER_CHARS:
        start -= 1
    while end < len(text) and text[end] in _IDENTIFIER_CHARS:
        end += 1
    run = text[start:end]
    return len(run) >= _IDENTIFIER_MIN_LENGTH and not run.isdigit()


def _masked_mobile(match: re.Match) -> str:
    if _inside_identifier(match):
        return match.group(0)
    return f"{match.group(1)}****{match.group(3)}"


def _removed_mobile(match: re.Match) -> str:
    return match.group(0) if _inside_identifier(match) else REMOVED_PHONE


def _masked_landline(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_phones(text: str) -> str:
    """Every phone number in `text` shown as pages show it: 138****5678."""
    return LANDLINE_IN_TEXT.sub(_masked_landline, MOBILE_IN_TEXT.sub(_masked_mobile, text))


def remove_phones(text: str) -> str:
    """Every phone number in `text` replaced by asterisks, nothing of it kept."""
    return LANDLINE_IN_TEXT.sub(REMOVED_PHONE, MOBILE_IN_TEXT.sub(_removed_mobile, text))


def has_full_phone(text: str) -> bool:
    mobiles = (match for match in MOBILE_IN_TEXT.finditer(text) if not _inside_identifier(match))
    return any(mobiles) or bool(LANDLINE_IN_TEXT.search(text))


def mask_phones_in(value: Any) -> Any:
    """`mask_phones` through the strings of a JSON-like value (an audit event's changes)."""
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, dict):
        return {key: mask_phones_in(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_phones_in(item) for item in value]
    return value


# -- logs ------------------------------------------------------------------------------------

#: the public addresses whose last part is a secret: an owner's status link, a survey, an
#: activity's RSVP page, a facility's QR code
TOKEN_PATHS = re.compile(r"(/(?:contact/status|survey|activity|f)/)([^/?#\s\"']+)")
#: any other path segment shaped like a random token (16+ URL-safe characters with a
#: capital or a digit in them, unlike the words of the app's own paths)
TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]{16,}(?:[/?#\s\"']|$))(?=[^/]*[A-Z0-9])[A-Za-z0-9_-]{16,}")
#: key=value pairs that carry a secret, in a query string or a message
SECRET_PARAMS = re.compile(
    r"(?i)\b((?:csrf_token|token|access_token|key|secret|sign|password|current_password|confirm|session)=)"
    r"[^&\s\"']+"
)
REDACTED = "[redacted]"


def redact_path(path: str) -> str:
    """A URL path fit for a log: public tokens and token-shaped segments replaced, phone
    numbers masked, secret query parameters blanked."""
    path = TOKEN_PATHS.sub(lambda m: m.group(1) + REDACTED, path)
    path = TOKEN_SEGMENT.sub(REDACTED, path)
    return SECRET_PARAMS.sub(lambda m: m.group(1) + REDACTED, mask_phones(path))


def redact_log_text(text: str) -> str:
    """A log message fit for the journal: no full phone number, no public token in a path,
    no secret parameter."""
    text = TOKEN_PATHS.sub(lambda m: m.group(1) + REDACTED, text)
    return SECRET_PARAMS.sub(lambda m: m.group(1) + REDACTED, mask_phones(text))


_factory_installed = False


def install_log_redaction() -> None:
    """Every log record of the process is redacted when it is made (its message, and its
    traceback when it has one), whoever logs it and wherever it goes. Idempotent."""
    global _factory_installed
    if _factory_installed:
        return
    _factory_installed = True
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return record
        redacted = redact_log_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_log_text(formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(make_record)
