"""Preparing an activity: the checklist (ACT-07), the households told of an important
activity (ACT-06) and the day's roster (ACT-09), each completing its milestone on the
timeline and leaving "My work"; read by everyone of the project, changed by the organisers;
units only, never an owner's name or phone (EST-03)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from tests.web.activity_helpers import field_errors, page_html, staff_user
from webapp.activities.models import (
    Activity,
    ActivityChecklistTick,
    ActivityHouseholdNotice,
    ActivityMilestone,
    ActivityRosterEntry,
)
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)
ITEMS = ("venue", "prizes_and_supplies", "staff_assignments", "facilities")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(client):
    """Messages compared as written (the catalogue may not have them yet)."""
    client.set_cookie("locale", "en")




def _activity(app, world, where="own", *, scheduled=True, **values) -> int:
    with app.app_context():
        session = db.session
        project = session.get(Project, world.projects[where].id)
        publicist = staff_user(session, world, "publicist", where)
        plan = factories.make_activity_plan(session, project, publicist, year=2027, status="approved")
        activity = factories.make_activity(session, plan, scheduled=scheduled, **values)
        session.commit()
        return activity.id


def _milestone(app, activity_id: int, code: str) -> ActivityMilestone | None:
    with app.app_context():
        row = db.session.scalar(sa.select(ActivityMilestone).where(
            ActivityMilestone.activity_id == activity_id, ActivityMilestone.code == code))
        db.session.expunge_all()
        return row


def _count(app, model, activity_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.activity_id == activity_id))



def _tick(client, activity_id, item, note="", headers=None):
    return post(client, f"/activities/{activity_id}/checklist", {"item": item, "action": "tick", "note": note},
                headers=headers)


# ---------------------------------------------------------------------------- ACT-07 checklist


def test_act07_all_four_ticks_complete_the_checklist_and_it_leaves_my_work(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm_assistant", "own")])
    assert "Complete the preparation checklist" in page_html(client.get("/"))

    for item in ITEMS[:3]:
        response = _tick(client, activity_id, item, note="已落实" if item == "venue" else "")
        assert response.status_code == 303
    assert _milestone(app, activity_id, "preparation_checklist").done_at is None
    page = page_html(client.get(f"/activities/{activity_id}/checklist"))
    assert "3 of 4 ticked" in page
    assert "Ticked 2026-11-25 10:00 by own.pm_assistant" in page
    assert "已落实" in page
    assert "Complete the preparation checklist" in page_html(client.get("/"))

    response = _tick(client, activity_id, "facilities")
    assert response.status_code == 303
    done = _milestone(app, activity_id, "preparation_checklist")
    assert done.done_at is not None
    assert "The preparation checklist is complete." in page_html(client.get(response.location))
    assert "Complete the preparation checklist" not in page_html(client.get("/"))


def test_act07_three_ticks_do_not_complete_and_an_item_can_be_unticked_before(app, client, login, world, clock,
                                                                              english):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    for item in ITEMS[:3]:
        _tick(client, activity_id, item)
    response = post(client, f"/activities/{activity_id}/checklist", {"item": "venue", "action": "untick"})
    assert response.status_code == 303
    assert _count(app, ActivityChecklistTick, activity_id) == 2
    _tick(client, activity_id, "facilities")
    assert _milestone(app, activity_id, "preparation_checklist").done_at is None
    page = page_html(client.get(f"/activities/{activity_id}/checklist"))
    assert "3 of 4 ticked" in page


def test_act07_a_complete_checklist_cannot_be_unticked(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm", "own")])
    for item in ITEMS:
        _tick(client, activity_id, item)
    response = post(client, f"/activities/{activity_id}/checklist", {"item": "venue", "action": "untick"})
    assert response.status_code == 422
    assert "The checklist is complete: its items can no longer be unticked." in page_html(response)
    assert _count(app, ActivityChecklistTick, activity_id) == 4


def test_act07_htmx_swaps_the_ticked_row_and_the_progress(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm_assistant", "own")])
    response = _tick(client, activity_id, "venue", headers=HX)
    assert response.status_code == 200
    html = page_html(response)
    assert html.lstrip().startswith('<li class="checklist-item is-ticked" id="checklist-venue"')
    assert 'id="checklist-progress" hx-swap-oob="true">1 of 4 ticked' in html
    assert "<html" not in html


def test_act07_an_unknown_item_is_refused(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm_assistant", "own")])
    response = _tick(client, activity_id, "fireworks")
    assert response.status_code == 422
    assert "Choose an item of the checklist." in page_html(response)
    assert _count(app, ActivityChecklistTick, activity_id) == 0


def test_act07_a_note_too_long_is_refused_next_to_it_and_kept(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm_assistant", "own")])
    response = _tick(client, activity_id, "venue", note="场" * 501)
    assert response.status_code == 422
    html = page_html(response)
    row = html[html.index('id="checklist-venue"'):html.index('id="checklist-prizes_and_supplies"')]
    assert 'aria-invalid="true"' in row and "场" * 501 in row
    assert _count(app, ActivityChecklistTick, activity_id) == 0


# ---------------------------------------------------------------------------- ACT-06 households


def _more_units(app, world, count: int, building_name="own2栋") -> list[int]:
    with app.app_context():
        session = db.session
        project = session.get(Project, world.own.id)
        building = factories.make_building(session, project, name=building_name)
        units = [factories.make_unit(session, building, number=f"{i + 1:02d}01") for i in range(count)]
        for unit in units:
            factories.make_owner(session, unit, name=f"业主{unit.number}", phone=f"1390000{unit.number}")
        session.commit()
        return [unit.id for unit in units]


def test_act06_marking_every_unit_completes_the_household_notice(app, client, login, world, clock, english):
    activity_id = _activity(app, world, important=True)
    second = _more_units(app, world, 3)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/households"
    page = page_html(client.get(url))
    assert "Notified 0 / 4 units" in page

    response = post(client, url, {"unit_ids": [world.own.unit_id, second[0]], "method": "visit", "note": "不在家,留条"})
    assert response.status_code == 303
    page = page_html(client.get(url))
    assert "Notified 2 / 4 units" in page
    assert "Door-to-door visit · own.cs_supervisor · 2026-11-25 10:00 · 不在家,留条" in page
    assert _milestone(app, activity_id, "household_notice").done_at is None

    outstanding = page_html(client.get(f"{url}?show=outstanding"))
    assert f'id="unit-{second[1]}"' in outstanding and f'id="unit-{second[0]}"' not in outstanding

    # the building's own button: every unit of 2栋 not yet notified, no ticking needed
    with app.app_context():
        building_id = db.session.scalar(sa.text("select building_id from units where id = :id"), {"id": second[1]})
    response = post(client, url, {"building": building_id, "method": "wechat"})
    assert response.status_code == 303
    assert _count(app, ActivityHouseholdNotice, activity_id) == 4
    assert _milestone(app, activity_id, "household_notice").done_at is not None
    page = page_html(client.get(url))
    assert "Notified 4 / 4 units" in page and "Every household notified" in page
    assert "Notify every household" not in page_html(client.get("/"))


def test_act06_htmx_marks_units_and_returns_the_households_only(app, client, login, world, clock, english):
    activity_id = _activity(app, world, important=True)
    _more_units(app, world, 1)
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/households",
                    {"unit_ids": [world.own.unit_id], "method": "sms"}, headers=HX)
    assert response.status_code == 200
    html = page_html(response)
    assert html.lstrip().startswith('<section id="households"') and "<html" not in html
    assert "Notified 1 / 2 units" in html and "SMS · own.cs_supervisor" in html


def test_act06_a_unit_already_notified_keeps_its_first_record(app, client, login, world, clock, english):
    activity_id = _activity(app, world, important=True)
    _more_units(app, world, 1)
    login(world.users[("receptionist", "own")])
    url = f"/activities/{activity_id}/households"
    post(client, url, {"unit_ids": [world.own.unit_id], "method": "phone"})
    post(client, url, {"unit_ids": [world.own.unit_id], "method": "sms"})
    with app.app_context():
        methods = db.session.scalars(sa.select(ActivityHouseholdNotice.method)).all()
    assert methods == ["phone"]


def test_act06_a_non_important_activity_needs_no_household_notice(app, client, login, world, clock, english):
    activity_id = _activity(app, world, important=False)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/households"
    page = page_html(client.get(url))
    assert "no household needs to be notified one by one" in page
    assert 'name="unit_ids"' not in page
    assert _milestone(app, activity_id, "household_notice") is None
    response = post(client, url, {"unit_ids": [world.own.unit_id], "method": "visit"})
    assert response.status_code == 422
    assert "Only an important activity is announced to every household." in page_html(response)
    assert _count(app, ActivityHouseholdNotice, activity_id) == 0


def test_act06_another_projects_unit_is_refused(app, client, login, world, clock, english):
    activity_id = _activity(app, world, important=True)
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/households",
                    {"unit_ids": [world.own.unit_id, world.other.unit_id], "method": "visit"})
    assert response.status_code == 422
    assert "A chosen unit is not one of this project&#39;s." in page_html(response)
    assert _count(app, ActivityHouseholdNotice, activity_id) == 0


def test_act06_nothing_chosen_or_no_method_is_refused_next_to_the_field_and_kept(app, client, login, world, clock,
                                                                                   english):
    activity_id = _activity(app, world, important=True)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/households"
    response = post(client, url, {"method": "visit", "note": "第一批"})
    assert response.status_code == 422
    html = page_html(response)
    assert "Choose the units that were notified." in html and 'value="第一批"' in html
    response = post(client, url, {"unit_ids": [world.own.unit_id], "note": "第一批"})
    assert response.status_code == 422
    html = page_html(response)
    assert re.search(r'id="method-error">Choose how the households were notified.', html)
    assert re.search(rf'value="{world.own.unit_id}" checked', html)


def test_act06_owners_names_and_phones_never_appear(app, client, login, world, clock):
    activity_id = _activity(app, world, important=True)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/households"
    post(client, url, {"unit_ids": [world.own.unit_id], "method": "visit"})
    for page in (page_html(client.get(url)), page_html(client.get(f"{url}?show=outstanding"))):
        assert world.own.owner_name not in page
        assert world.own.owner_phone not in page and "1111" not in page
        assert "1502" in page or "show=outstanding" in page


def test_act06_households_page_runs_the_same_queries_for_3_and_30_units(app, client, login, world, clock, queries):
    activity_id = _activity(app, world, important=True)
    units = _more_units(app, world, 2)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity_id}/households"
    post(client, url, {"unit_ids": units, "method": "visit"})
    client.get(url)
    with queries() as few:
        assert client.get(url).status_code == 200
    more = _more_units(app, world, 27, building_name="own3栋")
    post(client, url, {"unit_ids": more[:20], "method": "slip"})
    with queries() as many:
        html = page_html(client.get(url))
    assert html.count('class="household-unit') == 30
    assert len(few) == len(many)


# ---------------------------------------------------------------------------- ACT-09 roster


def _staff_id(app, world, role, where="own") -> int:
    with app.app_context():
        return staff_user(db.session, world, role, where).id


def _add(client, activity_id, user_id, start="18:00", end="22:00", role="", duty="现场协调"):
    return post(client, f"/activities/{activity_id}/roster",
                {"action": "add", "user_id": user_id, "role": role, "duty": duty, "shift_start": start,
                 "shift_end": end})


def test_act09_a_roster_without_the_pm_is_refused_with_the_message(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    assert _add(client, activity_id, _staff_id(app, world, "receptionist"), duty="签到处").status_code == 303
    response = post(client, f"/activities/{activity_id}/roster", {"action": "complete"})
    assert response.status_code == 422
    assert "Put the project manager on the roster: the PM is in charge on the day." in page_html(response)
    assert _milestone(app, activity_id, "day_roster").done_at is None


def test_act09_a_roster_with_the_pm_completes_the_day_roster(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    assert "Set the day&#39;s roster and shifts" in page_html(client.get("/"))
    _add(client, activity_id, _staff_id(app, world, "receptionist"), start="17:30", end="21:30", duty="签到处")
    assert _add(client, activity_id, _staff_id(app, world, "pm"), duty="总指挥").status_code == 303
    with app.app_context():
        roles = db.session.scalars(sa.select(ActivityRosterEntry.role).order_by(ActivityRosterEntry.id)).all()
    assert roles == ["receptionist", "pm"]  # none chosen: their role in the project
    response = post(client, f"/activities/{activity_id}/roster", {"action": "complete"})
    assert response.status_code == 303
    assert _milestone(app, activity_id, "day_roster").done_at is not None
    page = page_html(client.get(f"/activities/{activity_id}/roster"))
    assert "The roster is complete." in page
    # the printable list: who, as what, duty, shift, by shift start
    table = page[page.index('id="roster-table"'):page.index("</table>")]
    assert table.index("own.receptionist") < table.index("own.pm")
    assert "17:30–21:30" in table and "总指挥" in table and "Project manager" in table
    assert "Set the day&#39;s roster and shifts" not in page_html(client.get("/"))


def test_act09_a_shift_ending_before_it_starts_is_refused_next_to_the_field_with_values_kept(
    app, client, login, world, clock, english
):
    activity_id = _activity(app, world)
    pm_id = _staff_id(app, world, "pm")
    login(world.users[("cs_supervisor", "own")])
    response = _add(client, activity_id, pm_id, start="20:00", end="18:30", duty="总指挥")
    assert response.status_code == 422
    html = page_html(response)
    assert field_errors(html, "shift_end") == ["The shift must end after it starts."]
    assert 'value="20:00"' in html and 'value="18:30"' in html and 'value="总指挥"' in html
    assert re.search(rf'<option selected value="{pm_id}">|<option value="{pm_id}" selected', html)
    assert _count(app, ActivityRosterEntry, activity_id) == 0


def test_act09_the_same_line_submitted_twice_is_one_line(app, client, login, world, clock):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    pm_id = _staff_id(app, world, "pm")
    assert _add(client, activity_id, pm_id).status_code == 303
    assert _add(client, activity_id, pm_id).status_code == 303
    assert _count(app, ActivityRosterEntry, activity_id) == 1
    _add(client, activity_id, pm_id, start="20:00")
    assert _count(app, ActivityRosterEntry, activity_id) == 2


def test_act09_htmx_adds_a_line_and_returns_the_roster_only(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = post(client, f"/activities/{activity_id}/roster",
                    {"action": "add", "user_id": _staff_id(app, world, "pm"), "shift_start": "18:00",
                     "shift_end": "22:00"}, headers=HX)
    assert response.status_code == 200
    html = page_html(response)
    assert html.lstrip().startswith('<section id="roster"') and "<html" not in html
    assert "18:00–22:00" in html


def test_act09_only_a_role_held_in_the_project_and_only_its_staff(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    response = _add(client, activity_id, _staff_id(app, world, "receptionist"), role="pm")
    assert response.status_code == 422
    assert field_errors(page_html(response), "role") == ["They do not hold this role in the project."]
    response = _add(client, activity_id, _staff_id(app, world, "pm", "other"))
    assert response.status_code == 422
    assert field_errors(page_html(response), "user_id") == ["Choose a staff member of this project."]
    assert _count(app, ActivityRosterEntry, activity_id) == 0


def test_act09_an_entry_is_removed_and_a_complete_roster_keeps_its_pm(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    login(world.users[("pm", "own")])
    _add(client, activity_id, _staff_id(app, world, "receptionist"))
    _add(client, activity_id, _staff_id(app, world, "pm"))
    with app.app_context():
        reception_entry, pm_entry = db.session.scalars(
            sa.select(ActivityRosterEntry.id).order_by(ActivityRosterEntry.id)).all()
    url = f"/activities/{activity_id}/roster"
    post(client, url, {"action": "complete"})
    response = post(client, f"{url}/{pm_entry}/remove")
    assert response.status_code == 422
    assert "Put the project manager on the roster" in page_html(response)
    response = post(client, f"{url}/{reception_entry}/remove")
    assert response.status_code == 303
    assert post(client, f"{url}/{reception_entry}/remove").status_code == 303  # twice: nothing more
    assert _count(app, ActivityRosterEntry, activity_id) == 1
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entity_type == "activities", AuditEvent.entity_id == activity_id)).all()
    assert actions.count("roster_removed") == 1 and "roster_completed" in actions


def test_act09_roster_page_runs_the_same_queries_for_2_and_10_entries(app, client, login, world, clock, queries):
    activity_id = _activity(app, world)
    login(world.users[("cs_supervisor", "own")])
    people = [_staff_id(app, world, role) for role in ("pm", "receptionist")]
    for person in people:
        _add(client, activity_id, person)
    url = f"/activities/{activity_id}/roster"
    client.get(url)
    with queries() as few:
        client.get(url)
    for hour in range(8):
        _add(client, activity_id, people[1], start=f"{10 + hour}:00")
    with queries() as many:
        html = page_html(client.get(url))
    assert html.count('id="roster-entry-') == 10
    assert len(few) == len(many)


# ---------------------------------------------------------------------------- who and when


@pytest.mark.parametrize("page", ["checklist", "households", "roster"])
def test_act06_07_09_readers_see_the_page_without_forms_and_may_not_post(app, client, login, world, clock, page):
    activity_id = _activity(app, world, important=True)
    login(world.users[("staff", "own")])
    response = client.get(f"/activities/{activity_id}/{page}")
    assert response.status_code == 200
    assert 'method="post"' not in page_html(response).split('id="main"')[1]
    response = post(client, f"/activities/{activity_id}/{page}",
                    {"item": "venue", "unit_ids": [world.own.unit_id], "method": "visit", "action": "complete"})
    assert response.status_code == 403
    assert _count(app, ActivityChecklistTick, activity_id) == 0
    assert _count(app, ActivityHouseholdNotice, activity_id) == 0


@pytest.mark.parametrize("page", ["checklist", "households", "roster"])
def test_act06_07_09_another_projects_activity_is_not_found(app, client, login, world, clock, page):
    activity_id = _activity(app, world, "other", important=True)
    login(world.users[("cs_supervisor", "own")])
    assert client.get(f"/activities/{activity_id}/{page}").status_code == 404
    assert post(client, f"/activities/{activity_id}/{page}", {"item": "venue"}).status_code == 404


def test_act06_07_09_a_planned_activity_has_no_preparation_pages(app, client, login, world, clock):
    activity_id = _activity(app, world, scheduled=False, important=True)
    login(world.users[("cs_supervisor", "own")])
    for page in ("checklist", "households", "roster"):
        assert client.get(f"/activities/{activity_id}/{page}").status_code == 404


def test_act07_a_cancelled_activity_is_read_only(app, client, login, world, clock, english):
    activity_id = _activity(app, world)
    with app.app_context():
        db.session.get(Activity, activity_id).status = "cancelled"
        db.session.commit()
    login(world.users[("pm_assistant", "own")])
    page = page_html(client.get(f"/activities/{activity_id}/checklist"))
    assert 'id="preparation-closed"' in page and "its preparation can no longer change" in page
    assert 'name="item"' not in page
    response = _tick(client, activity_id, "venue")
    assert response.status_code == 422
    assert _count(app, ActivityChecklistTick, activity_id) == 0
