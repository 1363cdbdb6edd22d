"""The owners' QR form against a real database (RCP-01): what a message becomes in the
ledger, who is told, and what the owner's status page says as the desk works on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.core import scoping
from webapp.core.media import store_from_app
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.estate.rules import normalise_phone
from webapp.org.models import Project, User
from webapp.reception import operations, public, rules
from webapp.reception.rules import PublicStatus

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id), store_from_app(app)


def _request(category="repair", unit_text="own1栋1502", phone="13900002222", description="楼道灯不亮好几天了"):
    cleaned, problems = rules.clean_owner_form(category, description, unit_text, phone, normalise_phone)
    assert problems == {}
    return cleaned


def _send(ctx, **values):
    session, _user, project, store = ctx
    return public.submit_owner_request(session, project, _request(**values), [], store=store, now=NOW)


def test_rcp01_qr_form_message_waits_in_the_ledger_and_the_desk_is_told(ctx, world):
    session, user, project, _store = ctx
    entry = _send(ctx)
    assert entry.number == "OWN-JD-20261125-0001"
    assert (entry.channel, entry.status, entry.received_by_id, entry.received_at) == ("qr_form", "new", None, NOW)
    # the owner's choice is kept for the status page; the desk confirms a category by routing
    assert (entry.owner_category, entry.category, entry.follow_up) == ("repair", None, None)
    assert entry.content == "【报修】楼道灯不亮好几天了"
    assert (entry.unit_id, entry.reported_unit, entry.contact) == (world.own.unit_id, "own1栋1502", "13900002222")
    assert rules.is_status_token(entry.public_token)

    events = session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.to_state)
        .where(AuditEvent.entity_type == "reception_entries", AuditEvent.entity_id == entry.id)
    ).all()
    assert events == [("reception_logged", None, "new")]
    [item] = session.scalars(
        sa.select(WorkItem).where(WorkItem.entity_id == entry.id, WorkItem.kind == operations.ROUTE)
    ).all()
    assert item.project_id == project.id and item.done_at is None
    told = set(session.scalars(sa.select(Notification.user_id).where(Notification.project_id == project.id)))
    assert user("receptionist").id in told and user("cs_supervisor").id in told
    assert user("staff").id not in told


def test_rcp01_qr_form_each_message_gets_its_own_number_and_token(ctx):
    first, second = _send(ctx), _send(ctx)
    assert first.number.endswith("-0001") and second.number.endswith("-0002")
    assert first.public_token != second.public_token


def test_rcp01_qr_form_the_unit_is_matched_within_the_project_only(ctx, world):
    session, user, project, _store = ctx
    other = session.get(Project, world.other.id)
    twin = factories.make_building(session, other, name="own1栋")
    factories.make_unit(session, twin, number="1502")
    assert _send(ctx).unit_id == world.own.unit_id
    # a second building that reads the same in this project: the desk decides
    factories.make_unit(session, factories.make_building(session, project, name="own1号楼"), number="1502")
    assert _send(ctx).unit_id is None


@pytest.mark.parametrize(("code", "found"), [("OWN", True), ("own", True), ("OTH", True), ("NOPE", False), ("", False)])
def test_rcp01_qr_form_projects_are_found_by_their_code(ctx, code, found):
    session = ctx[0]
    assert (public.project_by_code(session, code) is not None) is found


def test_rcp01_qr_form_an_inactive_project_takes_no_messages(ctx):
    session, _user, project, _store = ctx
    project.active = False
    session.flush()
    assert public.project_by_code(session, "OWN") is None


def test_rcp01_qr_form_status_by_token_only(ctx):
    session = ctx[0]
    entry = _send(ctx)
    assert public.entry_by_token(session, entry.public_token) is entry
    for wrong in (entry.number, None, "", entry.public_token[:-1], "A" * 22):
        assert public.entry_by_token(session, wrong) is None


def test_rcp01_qr_form_status_says_received_with_the_owners_choice_until_routed(ctx):
    session, _user, project, _store = ctx
    entry = _send(ctx, category="praise")
    view, shown_project = public.public_status(session, entry.public_token)
    assert (view.reference, view.category, view.status) == (entry.number, rules.Category.PRAISE, PublicStatus.RECEIVED)
    assert view.received_on.isoformat() == "2026-11-25" and shown_project.id == project.id


def test_rcp01_qr_form_status_follows_the_complaint_it_started(ctx):
    session, user, project, _store = ctx
    entry = _send(ctx, category="complaint")
    complaint = factories.make_complaint(session, project, user("receptionist"))
    operations.classify(session, user("receptionist"), entry, "complaint", None, NOW + timedelta(hours=1),
                        follow_up_record=complaint)
    view, _project = public.public_status(session, entry.public_token)
    assert (view.category, view.status) == (rules.Category.COMPLAINT, PublicStatus.IN_PROGRESS)
    complaint.status = "closed"
    session.flush()
    assert public.public_status(session, entry.public_token)[0].status is PublicStatus.DONE


def test_rcp01_qr_form_status_of_a_reclassified_message_names_the_desks_category(ctx):
    session, user, _project, _store = ctx
    entry = _send(ctx, category="repair")
    operations.classify(session, user("receptionist"), entry, "other", "note", NOW + timedelta(hours=1))
    view = public.public_status(session, entry.public_token)[0]
    assert (view.category, view.status) == (rules.Category.OTHER, PublicStatus.IN_PROGRESS)
    operations.close(session, user("receptionist"), entry, "已电话告知业主", NOW + timedelta(hours=2))
    assert public.public_status(session, entry.public_token)[0].status is PublicStatus.DONE


def test_rcp01_qr_form_status_of_a_discarded_message_says_closed(ctx):
    session, user, _project, _store = ctx
    entry = _send(ctx)
    operations.discard(session, user("receptionist"), entry, "重复提交", NOW + timedelta(hours=1))
    assert public.public_status(session, entry.public_token)[0].status is PublicStatus.NOT_PURSUED
