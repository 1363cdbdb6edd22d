"""A step on a record, taken the same way on every record that has steps.

The shape: 404 / 403 first, then the form, then the stored version, the operation, who
saved last and the commit (``saving``). The answer: 403 when the operation says the actor
may not; 409 with the input kept when someone saved meanwhile; 422 with the message next
to its field when a rule refuses; after success the fresh fragment for HTMX, else a flash
and 303 to the record (``take_step``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError

from webapp.core.clock import now as clock_now
from webapp.core.htmx import wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message, lost_race, touch
from webapp.core.locking import commit as commit_edit
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import NotPermitted


def field_error(
    form: FlaskForm,
    exc: RuleViolation,
    aliases: Mapping[str, str | None] | None = None,
    *,
    fallback: str | None = None,
    errors: dict[str, str] | None = None,
) -> None:
    """The refusal next to its field: the form field the exception names (or its alias: the
    operation's name for what the form asks another way; an alias of None puts it on top),
    else one of `errors` (fields the view reads by name), else the `fallback` field, else at
    the top of the form."""
    text = message(exc)
    name = (aliases or {}).get(exc.field or "", exc.field)
    field = getattr(form, name, None) if name else None
    if not hasattr(field, "errors"):
        if errors is not None and name:
            errors[name] = text
            return
        field = getattr(form, fallback, None) if fallback else None
    if hasattr(field, "errors"):
        if text not in field.errors:
            field.errors = [*field.errors, text]
    else:
        form.form_errors.append(text)


@contextmanager
def saving(entity: Any) -> Iterator[None]:
    """Changes made in the block are saved as the current user's: touched and committed
    (a lost race becomes EditConflict). NotPermitted is a 403; any other refusal is rolled
    back and raised for the view to show."""
    try:
        yield
        touch(entity, current_user.id)
        commit_edit(db.session, entity)
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except StaleDataError:
        # a query inside the step autoflushed the change before the commit, and the row's
        # version had moved on: the same lost race, found earlier
        raise lost_race(db.session, entity) from None
    except Exception:
        db.session.rollback()
        raise


def take_step(
    name: str,
    *,
    load: Callable[[], Any],
    allowed: Callable[[Any], bool],
    form: Callable[[Any], FlaskForm],
    do: Callable[[Any, FlaskForm, datetime], None],
    show: Callable[..., Any],
    done_url: str,
    done_message: str = "",
    aliases: Mapping[str, str | None] | None = None,
    refusals: tuple[type[Exception], ...] = (RuleViolation,),
):
    """One step on a record.

    `load` finds the record (404 when gone), `allowed` says whether the user may take the
    step at all, `form` builds the step's form for the record (filling choices, never the
    version: the submitted one is what is checked), `do(record, form, now)`
    changes it. `show(record, forms, status, conflict)` renders the record with
    ``{name: form}`` kept (the page, or its fragment for HTMX). `aliases` place the
    operation's refusals (`refusals`, RuleViolation by default) next to the form's fields.
    """
    record = load()
    if not allowed(record):
        abort(403)
    filled = form(record)
    submitted_version = filled.version.data
    if not filled.validate_on_submit():
        return show(record, {name: filled}, 422)
    try:
        with saving(record):
            check_version(db.session, record, submitted_version)
            do(record, filled, clock_now())
    except EditConflict as exc:
        return show(load(), {name: filled}, 409, conflict_message(exc))
    except refusals as exc:
        record = load()
        field_error(filled, exc, aliases)  # type: ignore[arg-type]
        return show(record, {name: filled}, 422)
    db.session.expire_all()
    if wants_fragment():
        return show(load())
    if done_message:
        flash(done_message, "success")
    return redirect(done_url, code=303)

