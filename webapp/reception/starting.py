"""Starting a record from a ledger entry (RCP-03, RCP-04), the one way every start page
does it, in this slice and in the complaints and paid-services slices: the entry to
route (another project's is not found, 404; routing needs the desk's permission there,
403), why it cannot be routed any more, the record a second submit already started,
numbers drawn again when two desks draw the same one, and the banner a record's page
shows of the entry it came from (its photos travel with it, never uploaded again).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import SimpleNamespace
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, redirect, url_for
from sqlalchemy.exc import IntegrityError

from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org.access import can
from webapp.org.rules import Permission
from webapp.reception import rules
from webapp.reception.models import ReceptionEntry
from webapp.reception.views import may_see_photo

T = TypeVar("T")

#: numbers drawn at the same moment by two desks: drawn again this many times at most
NUMBER_ATTEMPTS = 3


def entry_to_route(entry_id: int, project_ids: Collection[int] | None = None) -> ReceptionEntry:
    """The entry a start page works on, with what the page shows of it (owner, unit,
    photos). Not found (404) in another project; 403 without the desk's permission in
    the entry's project or, when `project_ids` is given, outside the projects where the
    user may create the record (a complaint, an order)."""
    entry = db.session.scalars(
        sa.select(ReceptionEntry)
        .where(ReceptionEntry.id == entry_id)
        .options(
            so.joinedload(ReceptionEntry.owner),
            so.joinedload(ReceptionEntry.unit).joinedload(Unit.building),
            so.selectinload(ReceptionEntry.photos),
        )
    ).first()
    if entry is None:
        abort(404)
    if not can(Permission.ROUTE_OWNER_CONTACTS, entry.project_id):
        abort(403)
    if project_ids is not None and entry.project_id not in project_ids:
        abort(403)
    return entry


def refusal(entry: ReceptionEntry, category: rules.Category, follow_up: rules.FollowUp) -> str | None:
    """Why the entry cannot start `follow_up` (already routed…), in the reader's
    language; None when it can. Shown on the start page before anything is typed."""
    try:
        rules.check_route(entry.status, category.value, follow_up.value)
    except RuleViolation as exc:
        return message(exc)
    return None


def started_record(entry: ReceptionEntry, table: str, endpoint: str, arg: str):
    """A second submit of a start form (or a second tab) lands on the record the first
    one started; None when the entry started no record of `table`."""
    if entry.follow_up_type == table and entry.follow_up_id is not None:
        return redirect(url_for(endpoint, **{arg: entry.follow_up_id}), code=303)
    return None


def commit_with_retry(make: Callable[[], T]) -> T:
    """Run `make` and commit its work; when two desks drew the same number at once, the
    work is rolled back and `make` runs again (it must load what it changes afresh or
    rely on the expired objects reloading)."""
    for attempt in range(NUMBER_ATTEMPTS):
        result = make()
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            continue
        return result
    raise AssertionError("unreachable")


def origin(entry: ReceptionEntry | None) -> SimpleNamespace | None:
    """RCP-04: the ledger entry a record was started from, as the record's page shows it
    (templates/reception/_origin.html): the number linked to the entry, the contact as
    given, and the photos this user may open."""
    if entry is None:
        return None
    return SimpleNamespace(
        number=entry.number,
        link=url_for("reception.detail", entry_id=entry.id),
        photos=[p for p in entry.photos if may_see_photo(p)],
        contact=entry.contact,
    )
