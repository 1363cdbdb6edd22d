"""PIPL retention: owners' personal data on records closed more than N calendar months ago
(the company's setting on /admin/company, 36 by default) is anonymised by
`flask privacy anonymise`; the records, their numbers, times, statuses and figures stay,
and the audit trail never held a full phone number to begin with."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from tests.security.phones import full_mobiles
from webapp.activities.models import ActivitySurveyAnswer
from webapp.complaints.models import Complaint, ComplaintCallback
from webapp.core import audit
from webapp.core.models import AuditEvent
from webapp.core.privacy import ANONYMISED_NAME
from webapp.estate.models import Unit
from webapp.extensions import db
from webapp.org import retention
from webapp.org.models import Company, Department, Project, User
from webapp.paid_services.models import RentalCommission, ServiceOrder, ServiceSignature
from webapp.reception.models import (
    FoundItem,
    MajorEvent,
    ReceptionEntry,
    RepairRound,
    RepairWorkOrder,
)
from webapp.slips.models import Slip, SlipCallback

#: 10:00 in Shanghai on 16 March 2026
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
#: 37 months before: due under the default 36
LONG_AGO = datetime(2023, 2, 10, 2, 0, tzinfo=UTC)
#: 20 months before: kept
RECENTLY = datetime(2024, 7, 10, 2, 0, tzinfo=UTC)

PHONE = "13912345678"
LANDLINE = "0755-86001234"


def _one(session, model, **where):
    return session.scalar(sa.select(model).filter_by(**where))


def _people(session, world):
    project = session.get(Project, world.own.id)
    desk = _one(session, User, username=world.users[("receptionist", "own")])
    supervisor = _one(session, User, username=world.users[("dept_supervisor", "own")])
    return project, desk, supervisor, session.get(Unit, world.own.unit_id), session.get(Department, world.own.department_id)


def _closed_records(session, world, closed_at):
    """One record of every kind that holds owners' personal data, closed at `closed_at`,
    each with a name, a contact and a phone number in its words."""
    project, desk, supervisor, unit, department = _people(session, world)
    said = f"业主王先生说有事打{PHONE}或{LANDLINE}"
    records = {}

    entry = factories.make_reception_entry(
        session, project, desk, status="closed", contact=PHONE, content=said, received_at=closed_at - timedelta(days=1),
    )
    entry.closed_at, entry.closing_note = closed_at, f"已回复,电话 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"
    records["reception_entries"] = entry

    slip = factories.make_slip(
        session, project, desk, status="closed", source="raised_by_owner", owner_contact=PHONE, description=said,
        filed_at=closed_at - timedelta(days=2), unit_id=unit.id, latitude=22.54, longitude=114.05, accuracy_m=12.0,
    )
    slip.closed_at = closed_at
    session.add(SlipCallback(project_id=project.id, slip_id=slip.id, method="phone", owner_response=said,
                             satisfied=True, called_by_id=desk.id, called_at=closed_at))
    records["slips"] = slip

    complaint = factories.make_complaint(
        session, project, desk, status="closed", owner_contact=PHONE, description=said, owner_request=said,
        received_at=closed_at - timedelta(days=3),
    )
    complaint.closed_at, complaint.answer = closed_at, "已处理"
    session.add(ComplaintCallback(project_id=project.id, complaint_id=complaint.id, method="phone",
                                  satisfaction="satisfied", comment=said, called_by_id=desk.id, called_at=closed_at))
    records["complaints"] = complaint

    item = factories.make_service_item(session, project, department, supervisor)
    order = factories.make_service_order(
        session, project, item, unit, desk, status="closed", contact=PHONE, requirements=said,
        registered_at=closed_at - timedelta(days=4), key_authorised=True, key_note=f"钥匙在邻居{PHONE}处",
    )
    order.closed_at, order.work_done = closed_at, "擦窗两小时"
    session.add(ServiceSignature(project_id=project.id, order_id=order.id, signer_name="王建国", signed_at=closed_at,
                                 content_hash="0" * 64, signed_content="{}", satisfaction=5, comment=said,
                                 recorded_by_id=supervisor.id))
    records["service_orders"] = order

    rental = RentalCommission(
        project_id=project.id, number=f"OWN-WT-{closed_at:%Y%m%d}", status="let", unit_id=unit.id,
        owner_id=world.own.owner_id, contact=PHONE, asking_rent_fen=350000, terms=said, commission_rate_bp=833,
        applied_at=closed_at - timedelta(days=30), recorded_by_id=desk.id, let_at=closed_at, let_rent_fen=340000,
        lease_months=12, commission_fen=28322, tenant_name="李四",
    )
    session.add(rental)
    records["rental_commissions"] = rental

    work_entry = factories.make_reception_entry(session, project, desk, content=said, unit_id=unit.id)
    work_order = factories.make_work_order(session, work_entry, desk, department, status="closed", problem=said)
    work_order.closed_at = closed_at
    session.flush()
    session.scalar(sa.select(RepairRound).filter_by(work_order_id=work_order.id)).owner_response = said
    records["repair_work_orders"] = work_order

    found = factories.make_found_item(
        session, project, desk, status="claimed", claimant_name="赵六", claimant_document="id_card",
        claimant_document_masked="4403**********1234", handover_note=said,
    )
    found.claimed_at = closed_at
    records["found_items"] = found

    suggestion_entry = factories.make_reception_entry(session, project, desk, content=said)
    suggestion = factories.make_suggestion(session, suggestion_entry, desk, status="answered",
                                           forwarded_at=closed_at - timedelta(days=3))
    suggestion.answer, suggestion.answered_at = said, closed_at
    records["suggestions"] = suggestion

    event = factories.make_major_event(session, project, desk, status="closed", people_involved="业主张三、李四",
                                       description=said)
    event.closed_at, event.handling = closed_at, said
    records["major_events"] = event

    survey = factories.make_activity_survey(session, project, desk, year=closed_at.year + 1)
    survey.status, survey.closed_at = "closed", closed_at
    answer = ActivitySurveyAnswer(project_id=project.id, survey_id=survey.id, unit_id=unit.id, choices=["书画展"],
                                  comment=said, answered_at=closed_at - timedelta(days=1))
    session.add(answer)
    records["activity_survey_answers"] = answer
    session.flush()
    return records


#: the columns anonymising may change (their personal data), besides version and updated_at
PERSONAL = {
    "reception_entries": {"contact", "content", "closing_note", "discard_reason"},
    "slips": {"owner_contact", "description", "escalation_plan"},
    "complaints": {"owner_contact", "description", "owner_request", "measures", "answer", "explanation",
                   "utility_follow_up"},
    "service_orders": {"contact", "key_note", "requirements", "cautions", "cancel_reason"},
    "rental_commissions": {"contact", "tenant_name", "terms", "withdraw_reason"},
    "repair_work_orders": {"problem", "cancel_reason"},
    "found_items": {"claimant_name", "found_by", "claimant_document_masked", "handover_note"},
    "suggestions": {"answer"},
    "major_events": {"people_involved", "description", "handling", "follow_up"},
    "activity_survey_answers": {"comment"},
}


def _snapshot(record) -> dict:
    """Every column that is not personal data: what registers, reports and figures read."""
    keep = PERSONAL[record.__tablename__] | {"version", "updated_at"}
    return {c.key: getattr(record, c.key) for c in record.__table__.columns if c.key not in keep}


def _all_text(record) -> str:
    return " ".join(str(getattr(record, c.key)) for c in record.__table__.columns)


def _events(session, action=None):
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


def test_sec_pipl_closed_records_past_the_retention_lose_names_and_phones_and_keep_their_figures(world, session):
    old = _closed_records(session, world, LONG_AGO)
    kept = _closed_records(session, world, RECENTLY)
    session.commit()
    before = {table: _snapshot(record) for table, record in old.items()}
    ids = {table: record.id for table, record in old.items()}
    kept_text = {table: _all_text(record) for table, record in kept.items()}

    outcome = retention.anonymise_due(session, NOW)
    session.expire_all()

    assert outcome.by_table == {table: 1 for table in old}, "one record of every kind anonymised"
    for table, record_id in ids.items():
        record = session.get(type(old[table]), record_id)
        text = _all_text(record)
        assert PHONE not in text and "8600 1234" not in text and "86001234" not in text, table
        assert not full_mobiles(text), table
        assert _snapshot(record) == before[table], f"{table}: only personal data may change"
    for table, record in kept.items():
        assert _all_text(session.get(type(record), record.id)) == kept_text[table], f"{table} closed 20 months ago"

    entry = session.get(ReceptionEntry, ids["reception_entries"])
    assert entry.contact is None and entry.content == "业主王先生说有事打***********或***********"
    assert session.get(Slip, ids["slips"]).owner_contact is None
    assert session.get(Slip, ids["slips"]).latitude == 22.54  # where the problem was stays
    callback = session.scalar(sa.select(SlipCallback).filter_by(slip_id=ids["slips"]))
    assert PHONE not in callback.owner_response
    assert session.get(Complaint, ids["complaints"]).owner_contact is None
    assert PHONE not in session.scalar(sa.select(ComplaintCallback).filter_by(complaint_id=ids["complaints"])).comment
    order = session.get(ServiceOrder, ids["service_orders"])
    assert order.contact is None and order.key_note is None and order.work_done == "擦窗两小时"
    signature = session.scalar(sa.select(ServiceSignature).filter_by(order_id=order.id))
    assert signature.signer_name == ANONYMISED_NAME and PHONE not in signature.comment
    assert signature.satisfaction == 5
    rental = session.get(RentalCommission, ids["rental_commissions"])
    assert (rental.tenant_name, rental.contact, rental.commission_fen) == (ANONYMISED_NAME, None, 28322)
    found = session.get(FoundItem, ids["found_items"])
    assert (found.claimant_name, found.claimant_document_masked) == (ANONYMISED_NAME, None)
    event = session.get(MajorEvent, ids["major_events"])
    assert (event.people_involved, event.kind, event.status) == (ANONYMISED_NAME, "equipment_failure", "closed")
    rounds = session.scalars(sa.select(RepairRound).filter_by(work_order_id=ids["repair_work_orders"])).all()
    assert all(PHONE not in (r.owner_response or "") for r in rounds)
    assert session.get(RepairWorkOrder, ids["repair_work_orders"]).status == "closed"

    events = _events(session, "anonymised")
    assert sorted((e.entity_type, e.entity_id) for e in events) == sorted(ids.items())
    for event in events:
        assert event.actor_id is None and event.note is None and event.changes is None
        assert event.project_id == world.own.id


def test_sec_pipl_anonymising_twice_acts_once_and_open_records_are_never_touched(world, session):
    project, desk, *_ = _people(session, world)
    _closed_records(session, world, LONG_AGO)
    still_open = factories.make_complaint(session, project, desk, status="in_progress", owner_contact=PHONE,
                                          received_at=LONG_AGO - timedelta(days=400))
    session.commit()

    first = retention.anonymise_due(session, NOW)
    events = len(_events(session))
    second = retention.anonymise_due(session, NOW + timedelta(days=40))

    assert first.total == 10 and second.total == 0
    assert len(_events(session)) == events, "a second run records nothing"
    session.expire_all()
    assert session.get(Complaint, still_open.id).owner_contact == PHONE


def test_sec_pipl_an_empty_retention_setting_keeps_personal_data(world, session):
    records = _closed_records(session, world, LONG_AGO)
    session.scalar(sa.select(Company)).personal_data_retention_months = None
    session.commit()

    assert retention.anonymise_due(session, NOW).total == 0
    session.expire_all()
    assert session.get(ReceptionEntry, records["reception_entries"].id).contact == PHONE


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # closed 15 March 2023 23:30 in Shanghai: 36 months elapse on 15 March 2026 (local)
        (datetime(2026, 3, 15, 15, 59, tzinfo=UTC), False),  # 15 March, 23:59 local
        (datetime(2026, 3, 15, 16, 0, tzinfo=UTC), True),  # 16 March, 00:00 local
    ],
)
def test_sec_pipl_retention_counts_calendar_months_in_shanghai(world, session, now, due):
    closed = datetime(2023, 3, 15, 15, 30, tzinfo=UTC)  # 23:30 local
    records = _closed_records(session, world, closed)
    session.commit()
    assert retention.anonymise_due(session, now).total == (10 if due else 0)
    session.expire_all()
    assert (session.get(ReceptionEntry, records["reception_entries"].id).contact is None) is due


def test_sec_pipl_flask_privacy_anonymise_reports_what_it_did(app, world):
    with app.app_context():
        _closed_records(db.session, world, LONG_AGO)
        db.session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["privacy", "anonymise"])
        second = runner.invoke(args=["privacy", "anonymise"])
    assert first.exit_code == 0, first.output
    assert "Anonymised 10 record(s) closed more than 36 month(s) ago" in first.output
    assert "Anonymised 0 record(s)" in second.output


def test_sec_pipl_the_audit_trail_masks_phone_numbers_when_it_records_them(world, session):
    project = session.get(Project, world.own.id)
    event = audit.record(
        session, project, "updated", actor_id=None, note=f"业主来电 {PHONE},座机 {LANDLINE}",
        changes={"contact": [None, PHONE], "nested": {"list": [f"+86 {PHONE}"]}, "count": [1, 2]},
    )
    session.commit()
    session.expire_all()
    stored = session.get(AuditEvent, event.id)
    assert stored.note == "业主来电 139****5678,座机 ********1234"
    assert stored.changes == {"contact": [None, "139****5678"], "nested": {"list": ["139****5678"]}, "count": [1, 2]}


def test_sec_pipl_no_audit_event_of_a_desk_day_holds_a_full_phone(client, world, login, app):
    """Owners' numbers typed at the desk reach the trail only masked (here: a discarded
    entry's reason), so anonymising never needs to edit it."""
    login(world.users[("receptionist", "own")])
    response = post(client, "/reception/new", {
        "submission_key": "privacy-1", "channel": "phone", "contact": PHONE, "content": f"业主说回电{PHONE}",
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
    })
    assert response.status_code == 303
    with app.app_context():
        entry = db.session.scalar(sa.select(ReceptionEntry))
        entry_id, version = entry.id, entry.version
    response = post(client, f"/reception/{entry_id}/discard",
                    {"reason": f"重复登记,业主电话 {PHONE}", "version": str(version)})
    assert response.status_code == 303
    with app.app_context():
        events = _events(db.session)
        texts = [f"{e.note} {e.changes}" for e in events]
        assert "reception_discarded" in {e.action for e in events}
        assert db.session.get(ReceptionEntry, entry_id).discard_reason.endswith(PHONE), "the record keeps it"
    assert any("139****5678" in text for text in texts)
    assert not any(full_mobiles(text) for text in texts), texts


# -- the setting on /admin/company ----------------------------------------------------------


@pytest.fixture
def admin(client, world, login):
    login(world.users[("admin", None)])
    return client


def _months(app):
    with app.app_context():
        return db.session.scalar(sa.select(Company.personal_data_retention_months).order_by(Company.id))


def _form(**values):
    return {"name": "测试物业", "cutoff_day": "25", **values}


def test_sec_pipl_the_company_page_shows_the_retention_of_36_months(admin, app):
    html = admin.get("/admin/company").get_data(as_text=True)
    assert 'name="retention_months"' in html and 'value="36"' in html
    assert _months(app) == 36


def test_sec_pipl_the_admin_changes_the_retention_and_the_timeline_shows_it(admin, app):
    response = post(admin, "/admin/company/edit", _form(retention_months="24"))
    assert response.status_code == 303
    assert _months(app) == 24
    with app.app_context():
        (event,) = _events(db.session, "updated")
        assert event.entity_type == "companies" and event.changes == {"personal_data_retention_months": [36, 24]}
    html = admin.get("/admin/company").get_data(as_text=True)
    assert "36 → 24" in html[html.index('id="timeline"'):]

    assert post(admin, "/admin/company/edit", _form(retention_months="")).status_code == 303
    assert _months(app) is None, "empty keeps the data"
    assert post(admin, "/admin/company/edit", _form(retention_months="0")).status_code == 303
    assert _months(app) is None


@pytest.mark.parametrize("months", ["121", "-1", "abc", "2.5"])
def test_sec_pipl_a_retention_outside_1_to_120_months_is_refused_next_to_the_field(admin, app, months):
    response = post(admin, "/admin/company/edit", _form(retention_months=months))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="retention_months-error">[^<]+</p>', html)
    assert _months(app) == 36


def test_sec_pipl_only_the_admin_sets_the_retention(client, world, login, app):
    login(world.users[("gm", None)])
    response = post(client, "/admin/company/edit", _form(retention_months="1"))
    assert response.status_code == 403
    assert _months(app) == 36
