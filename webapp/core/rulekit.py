"""What every rules.py shares. Standard library only, like the rules themselves.

Messages are English msgids marked with ``N_`` so Babel extracts them; views translate
them with ``webapp.core.errors.message()``.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    return message


class RuleViolation(Exception):
    """A request the rules refuse. `message` is a msgid with %(name)s placeholders."""

    def __init__(self, message: str, field: str | None = None, **params: object):
        self.message = message
        self.field = field
        self.params = params
        super().__init__(message % params if params else message)


def clean_text(value: str | None, field: str, required_message: str | None, limit: int) -> str | None:
    """Trimmed free text; RuleViolation when required and empty, or longer than `limit`."""
    value = (value or "").strip()
    if not value:
        if required_message is None:
            return None
        raise RuleViolation(required_message, field=field)
    if len(value) > limit:
        raise RuleViolation(N_("At most %(count)s characters."), field=field, count=limit)
    return value
