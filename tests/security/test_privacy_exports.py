"""EST-03 / PIPL: every spreadsheet and print of owner data shows phone numbers masked
(138****1234), in the contact columns and in the words people typed; the reception
register's full numbers are a deliberate, audited choice of a role allowed to see them.

Each workbook is opened with openpyxl and every cell read; each print page is read whole."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.security.phones import full_mobiles
from webapp.core.models import AuditEvent
from webapp.estate.models import Owner, Unit
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.paid_services.models import RentalCommission

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
CONTACT = "13912345678"
SAID = "13655556666"  # a number an owner said, written into the words of a record


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def records(app, world, clock):
    """Owner data in every slice that exports it, this month, in the own project."""
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        owner = session.get(Owner, world.own.owner_id)
        unit = session.get(Unit, world.own.unit_id)
        department = session.get(Department, world.own.department_id)
        desk = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        supervisor = session.scalar(sa.select(User).where(User.username == world.users[("dept_supervisor", "own")]))
        said = f"业主王先生,回电{SAID}"

        factories.make_reception_entry(session, project, desk, contact=CONTACT, content=said, owner_id=owner.id,
                                       unit_id=unit.id)
        return_entry = factories.make_reception_entry(session, project, desk, contact=CONTACT, content=said,
                                                      unit_id=unit.id)
        return_slip = factories.make_return_slip(session, return_entry, desk)
        factories.make_complaint(session, project, desk, owner_contact=CONTACT, description=said, owner_request=said,
                                 owner_id=owner.id, unit_id=unit.id, status="closed", closed_at=NOW,
                                 complaint_class="important")
        factories.make_slip(session, project, desk, source="raised_by_owner", owner_contact=CONTACT,
                            description=said, owner_id=owner.id, unit_id=unit.id)
        item = factories.make_service_item(session, project, department, supervisor,
                                           effective_from=NOW - timedelta(days=30))
        order = factories.make_service_order(session, project, item, unit, desk, contact=CONTACT, requirements=said,
                                             owner_id=owner.id, status="closed", finished_at=NOW, closed_at=NOW,
                                             started_at=NOW - timedelta(hours=2), work_done=said)
        rental = RentalCommission(
            project_id=project.id, number="OWN-WT-000001", status="applied", unit_id=unit.id, owner_id=owner.id,
            contact=CONTACT, asking_rent_fen=350000, terms=said, commission_rate_bp=833, applied_at=NOW,
            recorded_by_id=desk.id,
        )
        session.add(rental)
        session.commit()
        return {"order": order.id, "rental": rental.id, "return_slip": return_slip.id}


def _cells(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def _full_numbers(texts) -> list[str]:
    return [number for text in texts for number in full_mobiles(text)]


def _xlsx_exports(world) -> dict[str, str]:
    own = world.own.id
    return {
        "reception register": f"/reception/register.xlsx?project={own}&month=2026-03",
        "complaint register": f"/complaints/register.xlsx?project={own}&month=2026-03",
        "complaint summary": f"/complaints/summary.xlsx?project={own}&month=2026-03",
        "slip summary": f"/slips/summary.xlsx?project={own}&week=2026-03-09",
        "paid services summary": f"/services/summary.xlsx?project={own}&month=2026-03",
    }


def test_est03_every_spreadsheet_of_owner_data_shows_phone_numbers_masked(client, world, login, records):
    login(world.users[("admin", None)])
    seen, full = {}, {}
    for name, url in _xlsx_exports(world).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        assert response.mimetype.endswith("spreadsheetml.sheet"), name
        cells = _cells(response.data)
        seen[name] = " ".join(cells)
        full[name] = _full_numbers(cells)
    assert not any(full.values()), full
    # the masked numbers are there, so the check read the owner data itself
    assert "139****5678" in seen["reception register"] and "139****1111" in seen["reception register"]
    assert "139****5678" in seen["complaint register"]


def test_est03_every_print_of_owner_data_shows_phone_numbers_masked(client, world, login, records):
    login(world.users[("admin", None)])
    pages = {
        "paid service order": f"/services/orders/{records['order']}/print",
        "rental commission": f"/services/rentals/{records['rental']}/print",
        "return-for-repair slip": f"/reception/return-slips/{records['return_slip']}/print",
    }
    full = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.get_data(as_text=True)
        assert "<html" in html
        assert "139****" in html, f"{name} shows no (masked) contact at all"
        full[name] = _full_numbers([html])
    assert not any(full.values()), full


def test_est03_full_numbers_in_the_reception_register_are_audited_and_only_for_a_role_allowed(
    app, client, world, login, records
):
    url = _xlsx_exports(world)["reception register"] + "&full_phones=1"
    login(world.users[("dept_supervisor", "own")])  # reads the ledger, may not reveal phones
    assert client.get(_xlsx_exports(world)["reception register"]).status_code == 200
    assert client.get(url).status_code == 403

    login(world.users[("cs_supervisor", "own")])
    response = client.get(url)
    assert response.status_code == 200
    assert CONTACT in " ".join(_cells(response.data))
    with app.app_context():
        (event,) = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "reception_register_exported_with_phones")
        ).all()
        actor = db.session.get(User, event.actor_id)
    assert actor.username == world.users[("cs_supervisor", "own")] and event.project_id == world.own.id
