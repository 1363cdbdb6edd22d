"""Field helpers every slice's forms share: trimmed text, optional ids, local date-times
and choices from a labels table. They parse; rules and operations decide."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from wtforms import TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Length, Optional

from webapp.core.clock import LOCAL_TZ

#: what browsers send from <input type="datetime-local">, with or without seconds
MINUTES = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def optional_int(value) -> int | None:
    """A chosen id; nothing chosen (empty, "0") or anything not a number is None."""
    if value in (None, "", "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def text_area(rows: int = 2, label=None, limit: int = 2000) -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=limit)], filters=[strip], render_kw={"rows": rows})


def local_datetime_field(label) -> DateTimeLocalField:
    """An optional date and time as typed (local time: read it with `local_input`)."""
    return DateTimeLocalField(label, format=MINUTES, validators=[Optional()])


def local_input(field) -> datetime | None:
    """A datetime-local field's value, read as Asia/Shanghai time."""
    return field.data.replace(tzinfo=LOCAL_TZ) if field.data else None


def label_choices(labels: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """A select's or radio group's choices from a labels table keyed by enum member or value."""
    return [(key.value if isinstance(key, Enum) else key, label) for key, label in labels.items()]


def department_choices(empty_label: str, departments: Iterable[Any], project_name: Callable[[Any], str] | None = None):
    """A department select's choices after the empty one; with `project_name` (for a user who
    works in several projects) each is shown as "project · department"."""
    return [("", empty_label)] + [
        (d.id, f"{project_name(d)} · {d.name}" if project_name else d.name) for d in departments
    ]
