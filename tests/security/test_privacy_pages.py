"""EST-03 / PIPL on ordinary pages: a phone number staff typed into a record's words (what
the owner said, a problem, requirements…) is shown in full only to a role allowed to reveal
phones in the record's project; every other role that may open the record sees it masked
(136****6666), on the record's page, in the list and in the list's HTMX fragment.

Each (kind, page, role) case requests the page signed in as that role and reads it whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.security.phones import full_mobiles
from webapp.estate.models import Owner, Unit
from webapp.extensions import db
from webapp.org.models import Department, Project, User

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
SAID = "13655556666"  # a number an owner said, typed into a record's words
MASKED = "136****6666"
WORDS = f"业主王先生说:有事回电{SAID}"
#: any full mainland mobile, however it is spaced

REVEALERS = ("cs_supervisor", "receptionist")
NON_REVEALERS = ("dept_supervisor", "staff", "publicist")
HX = {"HX-Request": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def records(app, world, clock):
    """A record of each main kind in the own project, the world department's where a
    department matters, with the phone number typed into its words."""
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        owner = session.get(Owner, world.own.owner_id)
        unit = session.get(Unit, world.own.unit_id)
        department = session.get(Department, world.own.department_id)

        def user(role: str) -> User:
            return session.scalar(sa.select(User).where(User.username == world.users[(role, "own")]))

        desk, supervisor = user("receptionist"), user("dept_supervisor")
        slip = factories.make_slip(session, project, user("staff"), description=WORDS, place_text="1栋大堂",
                                   unit_id=unit.id)
        complaint = factories.make_complaint(session, project, desk, description=WORDS, owner_request=WORDS,
                                             owner_id=owner.id, unit_id=unit.id)
        entry = factories.make_reception_entry(session, project, desk, content=WORDS, owner_id=owner.id,
                                               unit_id=unit.id)
        order_entry = factories.make_reception_entry(session, project, desk, content=WORDS, unit_id=unit.id)
        work_order = factories.make_work_order(session, order_entry, desk, department, problem=WORDS)
        slip_entry = factories.make_reception_entry(session, project, desk, content=WORDS, unit_id=unit.id)
        return_slip = factories.make_return_slip(
            session, slip_entry, desk, problem=WORDS, status="sent", sent_at=NOW, sent_by_id=desk.id,
            received_by_developer=f"开发商张工{SAID}", chase_due_at=NOW, answer=WORDS, answered_at=NOW,
        )
        item = factories.make_service_item(session, project, department, supervisor)
        order = factories.make_service_order(session, project, item, unit, desk, requirements=WORDS,
                                             cautions=WORDS, owner_id=owner.id)
        found = factories.make_found_item(session, project, desk, found_by=WORDS)
        event = factories.make_major_event(session, project, desk, description=WORDS, people_involved=WORDS)
        session.commit()
        return {
            "slip": slip.id, "complaint": complaint.id, "entry": entry.id, "work_order": work_order.id,
            "return_slip": return_slip.id, "order": order.id, "found": found.id, "event": event.id,
        }


def _pages(world, ids) -> list[tuple[str, str, str, dict, tuple[str, ...]]]:
    """(kind, page, url, headers, the non-revealing roles that may open it)."""
    own = world.own.id
    department_readers = ("dept_supervisor", "staff")
    return [
        ("slip", "detail", f"/slips/{ids['slip']}", {}, NON_REVEALERS),
        ("slip", "list", "/slips/?scope=all", {}, ()),
        ("complaint", "detail", f"/complaints/{ids['complaint']}", {}, ("dept_supervisor",)),
        ("complaint", "list", "/complaints/", {}, ()),
        ("complaint", "fragment", "/complaints/", HX, ()),
        ("reception entry", "detail", f"/reception/{ids['entry']}", {}, ("dept_supervisor",)),
        ("reception entry", "list", "/reception/", {}, ("dept_supervisor",)),
        ("reception entry", "register", f"/reception/register?project={own}&month=2026-03", {},
         ("dept_supervisor",)),
        ("work order", "detail", f"/reception/work-orders/{ids['work_order']}", {}, department_readers),
        ("work order", "list", "/reception/work-orders", {}, department_readers),
        ("work order", "fragment", "/reception/work-orders", HX, department_readers),
        ("return slip", "detail", f"/reception/return-slips/{ids['return_slip']}", {}, ("dept_supervisor",)),
        ("return slip", "list", "/reception/return-slips", {}, ("dept_supervisor",)),
        ("return slip", "fragment", "/reception/return-slips", HX, ("dept_supervisor",)),
        ("paid service order", "detail", f"/services/orders/{ids['order']}", {}, ("dept_supervisor",)),
        ("lost property", "detail", f"/reception/lost-property/{ids['found']}", {}, ("dept_supervisor",)),
        ("lost property", "list", f"/reception/lost-property?project={own}", {}, ("dept_supervisor",)),
        ("major event", "detail", f"/reception/events/{ids['event']}", {}, ("dept_supervisor",)),
        ("major event", "list", f"/reception/events?project={own}", {}, ("dept_supervisor",)),
    ]


def _read(client, url: str, headers: dict) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    if headers:
        assert "<html" not in html, f"{url} with HX-Request is not a fragment"
    else:
        assert "<html" in html, f"{url} is not a whole page"
    return html


def test_est03_phone_numbers_typed_into_records_are_masked_for_roles_that_may_not_reveal_them(
    client, world, login, records
):
    cases, leaks, unmasked = 0, [], []
    for role in NON_REVEALERS:
        login(world.users[(role, "own")])
        for kind, page, url, headers, readers in _pages(world, records):
            if role not in readers:
                continue
            html = _read(client, url, headers)
            cases += 1
            if SAID in html or full_mobiles(html):
                leaks.append((kind, page, role))
            if MASKED not in html:
                unmasked.append((kind, page, role))
    assert not leaks, f"full phone numbers shown to {leaks}"
    # the masked number is there: each page did show the words typed into the record
    assert not unmasked, f"the record's words are missing from {unmasked}"
    assert cases >= 20, cases


def test_est03_roles_allowed_to_reveal_phones_read_the_words_as_typed(client, world, login, records):
    cases, missing = 0, []
    for role in REVEALERS:
        login(world.users[(role, "own")])
        for kind, page, url, headers, _readers in _pages(world, records):
            html = _read(client, url, headers)
            cases += 1
            if SAID not in html:
                missing.append((kind, page, role))
    assert not missing, f"the full number is not shown to {missing}"
    assert cases == 2 * len(_pages(world, records))


def test_est03_another_projects_revealer_role_does_not_make_the_number_readable(app, client, world, login, records):
    """A user who may reveal phones in the other project only, and reads this project as
    a department supervisor, sees this project's numbers masked."""
    with app.app_context():
        session = db.session
        own = session.get(Project, world.own.id)
        other = session.get(Project, world.other.id)
        department = session.get(Department, world.own.department_id)
        factories.make_user(session, "both.projects", roles=[("dept_supervisor", own, department),
                                                              ("cs_supervisor", other, None)])
        session.commit()
    login("both.projects")
    html = _read(client, f"/complaints/{records['complaint']}", {})
    assert MASKED in html and SAID not in html


def test_est03_the_filter_masks_for_a_signed_out_visitor_and_keeps_non_text(app):
    from webapp.core.owner_text import owner_text

    with app.test_request_context("/"):
        assert owner_text(WORDS, world_project := 1) == f"业主王先生说:有事回电{MASKED}"
        assert owner_text(None, world_project) is None
        assert owner_text("", world_project) == ""
