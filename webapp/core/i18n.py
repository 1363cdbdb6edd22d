"""Text that operations write for people: work item titles, notifications, audit notes.

An operation runs inside a request (a person at a page, whose language is known) or
outside one (the command line, the sweep, a test): inside, the text is in the acting
user's language; outside, it stays the English msgid, which readers translate when they
show it.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext as _babel_gettext


def gettext(msgid: str, **params: Any) -> str:
    """`msgid` in the acting user's language, its %(name)s placeholders filled; outside a
    request the msgid itself, filled the same way."""
    if has_request_context():
        return _babel_gettext(msgid, **params)
    return msgid % params if params else msgid
