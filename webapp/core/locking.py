"""Optimistic locking: the later of two concurrent saves is refused, never silently applied.

Edit forms carry the record's `version` as a hidden field. ``check_version`` compares it
with the stored one before anything changes; the mapper's version_id_col catches the
remaining race between that check and the UPDATE. Both surface as ``EditConflict``,
which views show as "changed by X meanwhile" with the user's input kept.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so
from sqlalchemy.orm.exc import StaleDataError


class EditConflict(Exception):
    def __init__(self, changed_by: str | None):
        self.changed_by = changed_by
        super().__init__(f"changed by {changed_by or 'someone'} meanwhile")


def conflict_message(exc: EditConflict) -> str:
    """What the later saver reads, in their language."""
    from flask_babel import gettext

    if exc.changed_by:
        return gettext(
            "%(name)s changed this meanwhile. Your input is kept below: check the current values and save again.",
            name=exc.changed_by,
        )
    return gettext(
        "Someone changed this meanwhile. Your input is kept below: check the current values and save again."
    )


def _editor_name(session: so.Session, entity: Any) -> str | None:
    from webapp.org.models import User

    if entity.updated_by_id is None:
        return None
    user = session.get(User, entity.updated_by_id)
    return user.display_name if user else None


def check_version(session: so.Session, entity: Any, submitted_version: int | str | None) -> None:
    try:
        submitted = int(submitted_version)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        submitted = -1
    if submitted != entity.version:
        raise EditConflict(_editor_name(session, entity))


def touch(entity: Any, actor_id: int | None) -> None:
    """Mark who saved last (shown to the next person whose save conflicts)."""
    entity.updated_by_id = actor_id


def lost_race(session: so.Session, entity: Any | None = None) -> EditConflict:
    """After an UPDATE … WHERE version = … matched no row (StaleDataError, at the commit
    or at an earlier autoflush): roll back and name who saved meanwhile."""
    session.rollback()
    name = None
    if entity is not None:
        session.refresh(entity)
        name = _editor_name(session, entity)
    return EditConflict(name)


def commit(session: so.Session, entity: Any | None = None) -> None:
    """Commit, turning a lost race into EditConflict."""
    try:
        session.commit()
    except StaleDataError:
        raise lost_race(session, entity) from None
