"""The owners' own channel into the reception ledger (RCP-01 "QR form"): a request sent
from the poster on the notice board, and the status an owner may look up with the link
they were given.

Nobody is signed in here, so there is no actor: the entry is received by no staff member
and waits as new until a receptionist routes it. Public pages are addressed by a
project's code or an unguessable token, never by a record id, and the status they show
names nobody (EST-03). The caller runs these inside ``scoping.unrestricted()`` (an
anonymous request sees no project) and commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.datastructures import FileStorage

from webapp.core import audit
from webapp.core.media import MediaStore
from webapp.core.numbering import next_number
from webapp.estate.models import Building, Unit
from webapp.org.models import Project
from webapp.reception import operations, rules
from webapp.reception.models import ReceptionEntry
from webapp.reception.photos import attach_photos
from webapp.reception.rules import Channel, LedgerStatus


def project_by_code(session: so.Session, code: str) -> Project | None:
    """The active project a poster names; codes are printed in capitals but typed any way."""
    code = (code or "").strip()
    if not code or len(code) > 10:
        return None
    return session.scalar(
        sa.select(Project).where(sa.func.upper(Project.code) == code.upper(), Project.active)
    )


def matched_unit_id(session: so.Session, project_id: int, unit_text: str) -> int | None:
    """The project's unit the owner typed, when exactly one reads the same (one query)."""
    units = session.execute(
        sa.select(Unit.id, Building.name, Unit.number)
        .join(Building, Unit.building_id == Building.id)
        .where(Unit.project_id == project_id)
    )
    return rules.match_unit(unit_text, units)


def submit_owner_request(
    session: so.Session,
    project: Project,
    request: rules.OwnerRequest,
    photos: Iterable[FileStorage | None],
    *,
    store: MediaStore,
    now: datetime,
) -> ReceptionEntry:
    """RCP-01: an owner's request (already cleaned by rules.clean_owner_form) becomes a new
    ledger entry: channel QR form, received by nobody, the owner's choice of category
    kept (and written at the head of its text) for the desk to confirm, the unit matched when unambiguous, the
    photo kept as the entry's evidence, and the desk asked to route it. Raises MediaError
    (field "photos") for a photo that is no image; nothing is kept then."""
    content = rules.check_entry(
        Channel.QR_FORM,
        rules.owner_request_content(request),
        owner_id=None,
        unit_id=None,
        contact=request.phone,
        from_public_form=True,
    )
    entry = ReceptionEntry(
        project_id=project.id,
        number=next_number(
            session, project_id=project.id, project_code=project.code, series=rules.REFERENCE_SERIES, at=now
        ),
        channel=Channel.QR_FORM.value,
        status=LedgerStatus.NEW.value,
        received_at=now,
        received_by_id=None,
        unit_id=matched_unit_id(session, project.id, request.unit_text),
        reported_unit=request.unit_text,
        owner_category=request.category.value,
        contact=request.phone,
        content=content,
        public_token=rules.new_status_token(),
    )
    session.add(entry)
    session.flush()
    attach_photos(session, entry, photos, actor=None, store=store, now=now)
    audit.record(
        session, entry, "reception_logged", actor_id=None, to_state=entry.status, note=Channel.QR_FORM.value
    )
    operations.ask_desk_to_route(session, entry)
    session.flush()
    return entry


def entry_by_token(session: so.Session, token: str | None) -> ReceptionEntry | None:
    """The entry behind an owner's status link; anything not shaped like a token is not
    looked up at all."""
    if not rules.is_status_token(token):
        return None
    return session.scalar(sa.select(ReceptionEntry).where(ReceptionEntry.public_token == token))


def public_status(session: so.Session, token: str | None) -> tuple[rules.PublicView, Project] | None:
    """What the owner's status page may say (rules.public_view) and the project it is
    about, or None for an unknown link. Before routing, the category is the one the
    owner chose."""
    entry = entry_by_token(session, token)
    if entry is None:
        return None
    category = entry.category or entry.owner_category or rules.Category.OTHER
    status = operations.follow_up_status(session, entry) if entry.follow_up is not None else None
    done = rules.follow_up_done_for_owner(entry.follow_up, status)
    view = rules.public_view(entry.number, category, entry.status, done, entry.received_at)
    return view, session.get(Project, entry.project_id)
