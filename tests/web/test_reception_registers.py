"""The reception registers' pages: praise started from an entry, checked and credited; a
suggestion forwarded and answered (RCP-04); the lost-property register, its claims with the
ID masked; the major / sudden events register (RCP-07); owner data masked (EST-03)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX, post
from webapp.core.clock import LOCAL_TZ
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception.models import FoundItem, MajorEvent, Praise, ReceptionEntry, Suggestion

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)
VALID_ID = "11010519491231002X"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _html(response) -> str:
    return response.get_data(as_text=True)


def _field_errors(html: str, name: str) -> list[str]:
    assert f'id="{name}-field"' in html, f"no field {name}"
    return re.findall(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)


def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def _user(session, world, role, where="own") -> User:
    return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


def _entry(app, world, where="own", **values) -> int:
    with app.app_context():
        session = db.session
        ids = world.projects[where]
        entry = factories.make_reception_entry(
            session, session.get(Project, ids.id), _user(session, world, "receptionist", where),
            owner_id=ids.owner_id, unit_id=ids.unit_id, received_at=NOW - timedelta(hours=1), **values,
        )
        session.commit()
        return entry.id


def _make(app, world, maker, where="own", **values) -> int:
    """A register record made by `maker` (a factories function) in the project."""
    with app.app_context():
        session = db.session
        project = session.get(Project, world.projects[where].id)
        receptionist = _user(session, world, "receptionist", where)
        if maker in (factories.make_praise, factories.make_suggestion):
            entry = factories.make_reception_entry(session, project, receptionist, received_at=NOW - timedelta(hours=1))
            record = maker(session, entry, receptionist, **values)
        else:
            record = maker(session, project, receptionist, **values)
        session.commit()
        return record.id


# ---------------------------------------------------------------------------- praise


def test_rcp04_praise_start_page_is_prefilled_from_the_entry_and_masks_the_phone(app, client, login, world, clock):
    entry_id = _entry(app, world, content="夜班保安小王帮我推车")
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/reception/{entry_id}/start/praise"))
    assert 'value="夜班保安小王帮我推车"' in html
    assert world.own.owner_phone not in html and "139****1111" in html


def test_rcp04_praise_posted_once_records_it_and_classifies_the_entry(app, client, login, world, clock):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    response = post(client, f"/reception/{entry_id}/start/praise", {"praised_as": "小王"})
    assert response.status_code == 303
    again = post(client, f"/reception/{entry_id}/start/praise", {"praised_as": "小王"})
    assert again.status_code == 303 and again.location == response.location
    with app.app_context():
        praise = db.session.scalar(sa.select(Praise))
        entry = db.session.get(ReceptionEntry, entry_id)
        assert response.location.endswith(f"/reception/praises/{praise.id}")
        assert (entry.category, entry.follow_up_type, entry.follow_up_id) == ("praise", "praises", praise.id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Praise)) == 1


def test_rcp04_praise_start_without_words_comes_back_with_the_message(app, client, login, world, clock):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    response = post(client, f"/reception/{entry_id}/start/praise", {"praised_as": " "})
    assert response.status_code == 422
    assert _field_errors(_html(response), "praised_as")
    with app.app_context():
        assert db.session.get(ReceptionEntry, entry_id).status == "new"


def test_rcp04_praise_checked_with_the_staff_then_credited_on_the_page(app, client, login, world, clock):
    praise_id = _make(app, world, factories.make_praise)
    with app.app_context():
        staff_id = _user(db.session, world, "staff").id
    login(world.users[("cs_supervisor", "own")])
    page = _html(client.get(f"/reception/praises/{praise_id}"))
    assert 'id="verify-form"' in page and f'value="{staff_id}"' in page
    refused = post(client, f"/reception/praises/{praise_id}/verify",
                   {"version": _version(page), "confirmed": "yes", "note": "查看排班表"}, headers=HX)
    assert refused.status_code == 422 and _field_errors(_html(refused), "staff")
    assert "查看排班表" in _html(refused)  # the note typed is kept
    done = post(client, f"/reception/praises/{praise_id}/verify",
                {"version": _version(page), "confirmed": "yes", "staff": str(staff_id), "note": "查看排班表"},
                headers=HX)
    assert done.status_code == 200 and 'id="credit-form"' in _html(done)
    credited = post(client, f"/reception/praises/{praise_id}/credit", {"version": _version(_html(done))})
    assert credited.status_code == 303
    with app.app_context():
        praise = db.session.get(Praise, praise_id)
        assert praise.status == "credited" and [c.user_id for c in praise.credits] == [staff_id]


def test_rcp04_praise_only_checkers_see_and_take_the_check_step(app, client, login, world, clock):
    praise_id = _make(app, world, factories.make_praise)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/praises/{praise_id}"))
    assert 'id="verify-form"' not in page
    assert post(client, f"/reception/praises/{praise_id}/verify",
                {"version": "1", "confirmed": "no", "note": "x"}).status_code == 403


def test_rcp04_praise_month_list_names_the_staff_credited_in_fixed_queries(app, client, login, world, clock, queries):
    def credited_praise():
        with app.app_context():
            session = db.session
            project = session.get(Project, world.own.id)
            receptionist = _user(session, world, "receptionist")
            entry = factories.make_reception_entry(session, project, receptionist)
            praise = factories.make_praise(session, entry, receptionist, status="credited", recorded_at=NOW,
                                           credited_at=NOW)
            from webapp.reception.models import PraiseCredit

            for role in ("staff", "dept_supervisor"):
                session.add(PraiseCredit(project_id=project.id, praise_id=praise.id,
                                         user_id=_user(session, world, role).id, credited_at=NOW))
            session.commit()

    credited_praise()
    login(world.users[("pm", "own")])
    client.get(f"/reception/praises?project={world.own.id}")
    with queries() as few:
        html = _html(client.get(f"/reception/praises?project={world.own.id}&month=2026-11"))
    for _ in range(3):
        credited_praise()
    with queries() as many:
        html = _html(client.get(f"/reception/praises?project={world.own.id}&month=2026-11"))
    assert html.count('id="praise-row-') == 4 and "own.staff" in html
    assert len(few) == len(many)
    october = _html(client.get(f"/reception/praises?project={world.own.id}&month=2026-10"))
    assert 'id="praise-row-' not in october


# ---------------------------------------------------------------------------- suggestion


def test_rcp04_suggestion_forwarded_from_the_entry_and_answered_by_the_pm(app, client, login, world, clock):
    entry_id = _entry(app, world, content="建议增加快递柜")
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/{entry_id}/start/suggestion"))
    assert "建议增加快递柜" in page
    response = post(client, f"/reception/{entry_id}/start/suggestion")
    assert response.status_code == 303
    with app.app_context():
        suggestion_id = db.session.scalar(sa.select(Suggestion.id))
    assert 'id="answer-form"' not in _html(client.get(f"/reception/suggestions/{suggestion_id}"))

    login(world.users[("pm", "own")])
    page = _html(client.get(f"/reception/suggestions/{suggestion_id}"))
    empty = post(client, f"/reception/suggestions/{suggestion_id}/answer", {"version": _version(page), "answer": ""})
    assert empty.status_code == 422 and _field_errors(_html(empty), "answer")
    answered = post(client, f"/reception/suggestions/{suggestion_id}/answer",
                    {"version": _version(page), "answer": "下月在1栋增设快递柜"}, headers=HX)
    assert answered.status_code == 200 and "下月在1栋增设快递柜" in _html(answered)
    with app.app_context():
        assert db.session.get(Suggestion, suggestion_id).status == "answered"


# ---------------------------------------------------------------------------- lost property


def _found_form(**overrides) -> dict:
    return {"item": "黑色钱包", "found_place": "2栋大堂", "found_at": "2026-11-25T08:30", "found_by": "保安小李",
            "holder": "客服中心", **overrides}


def test_rcp04_lost_property_from_an_entry_enters_the_register(app, client, login, world, clock):
    entry_id = _entry(app, world, content="在大堂捡到钱包")
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/{entry_id}/start/lost-property"))
    assert 'value="在大堂捡到钱包"' in page and 'value="2026-11-25T09:00"' in page
    missing = post(client, f"/reception/{entry_id}/start/lost-property", _found_form(holder=""))
    assert missing.status_code == 422 and _field_errors(_html(missing), "holder")
    assert 'value="黑色钱包"' in _html(missing)
    response = post(client, f"/reception/{entry_id}/start/lost-property", _found_form())
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(sa.select(FoundItem))
        assert item.number.startswith("OWN-SW-20261125-") and item.entry_id == entry_id
        assert item.found_at == datetime(2026, 11, 25, 8, 30, tzinfo=LOCAL_TZ)
        assert db.session.get(ReceptionEntry, entry_id).follow_up == "lost_property"


def test_rcp04_lost_property_invalid_id_checksum_is_refused_with_the_value_kept(app, client, login, world, clock):
    item_id = _make(app, world, factories.make_found_item)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/lost-property/{item_id}"))
    wrong = "110105194912310021"
    response = post(client, f"/reception/lost-property/{item_id}/claim", {
        "version": _version(page), "claimant_name": "张三", "document": "resident_id", "document_number": wrong,
        "claimed_at": "2026-11-25T09:50",
    })
    assert response.status_code == 422
    html = _html(response)
    assert _field_errors(html, "document_number") and f'value="{wrong}"' in html and 'value="张三"' in html
    with app.app_context():
        assert db.session.get(FoundItem, item_id).status == "held"


def test_rcp04_lost_property_claim_before_it_was_found_is_refused(app, client, login, world, clock):
    item_id = _make(app, world, factories.make_found_item)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/lost-property/{item_id}"))
    response = post(client, f"/reception/lost-property/{item_id}/claim", {
        "version": _version(page), "claimant_name": "张三", "document": "resident_id", "document_number": VALID_ID,
        "claimed_at": "2026-11-24T09:00",
    })
    assert response.status_code == 422 and _field_errors(_html(response), "claimed_at")


def test_rcp04_lost_property_id_is_masked_on_the_page_in_the_database_and_the_history(app, client, login, world, clock):
    item_id = _make(app, world, factories.make_found_item)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/lost-property/{item_id}"))
    response = post(client, f"/reception/lost-property/{item_id}/claim", {
        "version": _version(page), "claimant_name": "张三", "document": "resident_id", "document_number": VALID_ID,
        "claimed_at": "2026-11-25T09:50",
    })
    assert response.status_code == 303
    shown = _html(client.get(f"/reception/lost-property/{item_id}"))
    register = _html(client.get(f"/reception/lost-property?project={world.own.id}"))
    assert "**************002X" in shown and "**************002X" in register
    assert VALID_ID not in shown + register
    with app.app_context():
        row = db.session.execute(sa.select(FoundItem.__table__).where(FoundItem.id == item_id)).one()
        assert not any("19491231" in str(value) for value in row)
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "found_items")).all()
        assert events and not any("19491231" in f"{e.note}{e.changes}" for e in events)


def test_rcp04_lost_property_register_is_printable_held_first_in_fixed_queries(app, client, login, world, clock,
                                                                                queries):
    claimed_id = _make(app, world, factories.make_found_item, status="claimed", item="雨伞")
    held_id = _make(app, world, factories.make_found_item, item="钥匙")
    _make(app, world, factories.make_found_item, where="other", item="别家的手机")
    login(world.users[("receptionist", "own")])
    with queries() as few:
        html = _html(client.get(f"/reception/lost-property?project={world.own.id}"))
    assert html.index(f"found-item-row-{held_id}") < html.index(f"found-item-row-{claimed_id}")
    assert "data-print" in html and "别家的手机" not in html
    for n in range(4):
        _make(app, world, factories.make_found_item, item=f"物品{n}")
    with queries() as many:
        html = _html(client.get(f"/reception/lost-property?project={world.own.id}"))
    assert html.count('id="found-item-row-') == 6
    assert len(few) == len(many)


def test_rcp04_lost_property_found_by_staff_is_registered_from_the_register(app, client, login, world, clock):
    login(world.users[("cs_supervisor", "own")])
    page = _html(client.get("/reception/lost-property/new"))
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    first = post(client, "/reception/lost-property/new", {"submission_key": key, **_found_form()})
    second = post(client, "/reception/lost-property/new", {"submission_key": key, **_found_form()})
    assert first.status_code == second.status_code == 303 and first.location == second.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FoundItem)) == 1


# ---------------------------------------------------------------------------- major events


def _event_form(**overrides) -> dict:
    return {"kind": "security_incident", "occurred_at": "2026-11-25T08:00", "place": "地下车库B2",
            "description": "车辆被划", "people_involved": "车主、当班保安", "handling": "", "follow_up": "", **overrides}


def test_rcp07_an_incident_without_the_people_involved_comes_back_with_every_value(app, client, login, world, clock):
    login(world.users[("dept_supervisor", "own")])
    page = client.get("/reception/events/new")
    assert page.status_code == 200
    response = post(client, "/reception/events/new", _event_form(people_involved=""))
    assert response.status_code == 422
    html = _html(response)
    assert _field_errors(html, "people_involved") and 'value="地下车库B2"' in html and "车辆被划" in html
    failure = post(client, "/reception/events/new", _event_form(kind="equipment_failure", people_involved=""))
    assert failure.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(MajorEvent.kind)) == "equipment_failure"


def test_rcp07_closing_needs_handling_and_follow_up(app, client, login, world, clock):
    event_id = _make(app, world, factories.make_major_event)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/events/{event_id}"))
    refused = post(client, f"/reception/events/{event_id}/close", {"version": _version(page)}, headers=HX)
    assert refused.status_code == 422 and 'class="form-errors"' in _html(refused)
    saved = post(client, f"/reception/events/{event_id}/update",
                 {"version": _version(page), "handling": "维保单位30分钟到场放人", "follow_up": "更换门机板"}, headers=HX)
    assert saved.status_code == 200 and "更换门机板" in _html(saved)
    closed = post(client, f"/reception/events/{event_id}/close", {"version": _version(_html(saved))})
    assert closed.status_code == 303
    with app.app_context():
        event = db.session.get(MajorEvent, event_id)
        assert (event.status, event.handling) == ("closed", "维保单位30分钟到场放人")


def test_rcp07_register_is_printable_by_month_open_first_and_hides_other_projects(app, client, login, world, clock,
                                                                                 queries):
    closed_id = _make(app, world, factories.make_major_event, status="closed", description="停电",
                      occurred_at=NOW - timedelta(days=2), handling="h", follow_up="f")
    open_id = _make(app, world, factories.make_major_event, description="电梯困人", occurred_at=NOW - timedelta(days=5))
    _make(app, world, factories.make_major_event, where="other", description="别家的事件")
    login(world.users[("pm", "own")])
    with queries() as few:
        html = _html(client.get(f"/reception/events?project={world.own.id}&month=2026-11"))
    assert html.index(f"major-event-row-{open_id}") < html.index(f"major-event-row-{closed_id}")
    assert "data-print" in html and "别家的事件" not in html
    for _ in range(3):
        _make(app, world, factories.make_major_event, occurred_at=NOW - timedelta(days=1))
    with queries() as many:
        html = _html(client.get(f"/reception/events?project={world.own.id}&month=2026-11"))
    assert html.count('id="major-event-row-') == 5 and len(few) == len(many)
    assert 'id="major-event-row-' not in _html(client.get(f"/reception/events?project={world.own.id}&month=2026-10"))
    assert client.get(f"/reception/events?project={world.other.id}").status_code == 404
    with app.app_context():
        other_event = db.session.scalar(sa.select(MajorEvent.id).where(MajorEvent.project_id == world.other.id)
                                        .execution_options(all_projects=True))
    assert client.get(f"/reception/events/{other_event}").status_code == 404
