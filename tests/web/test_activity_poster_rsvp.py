"""ACT-06 an activity's poster with the QR code of its public page, ACT-16 the owners'
replies on that page (one per unit, changeable until the start), and the staff's list of
replies; EST-03 nothing personal on the public page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import csrf_token, post
from tests.web.activity_helpers import page_html
from tests.web.test_estate_qr import decode_svg
from webapp.activities.models import ActivityPlan, ActivityRsvp
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project, User

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DAY = date(2026, 6, 6)  # a Saturday; 19:00 local is 11:00 UTC
BEGINS = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)
UNIT = "own1栋1502"
DIGITS = "1111"  # the own owner's phone is 13900001111
QR_SVG = re.compile(r"<svg class=\"poster-qr\".*?</svg>", re.S)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _activity(app, world, key="own", *, scheduled=True, **values):
    with app.app_context():
        project = db.session.get(Project, world.projects[key].id)
        publicist = db.session.scalar(sa.select(User).where(User.username == world.users[("publicist", key)]))
        plan = db.session.scalar(
            sa.select(ActivityPlan).where(ActivityPlan.project_id == project.id, ActivityPlan.year == 2026)
        )
        if plan is None:
            plan = factories.make_activity_plan(db.session, project, publicist, year=2026, status="approved")
        status = values.pop("status", None)
        activity = factories.make_activity(
            db.session, plan, scheduled=scheduled, day=values.pop("day", DAY), name=values.pop("name", "邻里中秋晚会"),
            **values,
        )
        if status is not None:  # scheduling sets "scheduled"
            activity.status = status
        db.session.commit()
        return SimpleNamespace(id=activity.id, token=activity.public_token, project_id=project.id)


@pytest.fixture
def activity(app, world, clock):
    return _activity(app, world)


def _reply(client, token, **values):
    data = {"unit_text": UNIT, "phone_digits": DIGITS, "head_count": "3", **values}
    if "csrf_token" not in data:
        data["csrf_token"] = csrf_token(client, f"/activity/{token}")
    return client.post(f"/activity/{token}", data=data)


def _rows(app, activity_id):
    with app.app_context():
        return [
            (row.unit_id, row.head_count, row.first_at.replace(tzinfo=UTC), row.changed_at.replace(tzinfo=UTC))
            for row in db.session.scalars(sa.select(ActivityRsvp).where(ActivityRsvp.activity_id == activity_id))
        ]



# ---------------------------------------------------------------------------- the poster (ACT-06)


def test_act06_poster_qr_decodes_to_the_public_page_and_prints_the_activity_in_chinese(
    app, client, world, login, activity
):
    app.config.update(PUBLIC_BASE_URL="https://wy.example.com", OWNER_CONTACT_HOURS="每天 8:00–20:00")
    login(world.users[("publicist", "own")])
    post(client, "/language", {"locale": "en"})  # the poster stays Chinese whatever the user reads
    response = client.get(f"/activities/{activity.id}/poster")
    assert response.status_code == 200
    html = page_html(response)
    assert decode_svg(QR_SVG.search(html).group(0)) == f"https://wy.example.com/activity/{activity.token}"
    assert '<html lang="zh-CN">' in html
    for text in ("own项目", "邻里中秋晚会", "2026年6月6日 星期六", "19:00–21:00", "中心广场", "欢迎全体业主携家人参加",
                 "每天 8:00–20:00", "扫码报名", "客服中心"):
        assert text in html, text
    assert 'data-print' in html and f'href="/activities/{activity.id}"' in html
    assert "tabbar" not in html  # nothing of the app's chrome on the sheet


def test_act06_poster_without_public_base_url_uses_this_host(app, client, world, login, activity):
    login(world.users[("cs_supervisor", "own")])
    html = page_html(client.get(f"/activities/{activity.id}/poster"))
    assert decode_svg(QR_SVG.search(html).group(0)) == f"http://localhost/activity/{activity.token}"


def test_act06_poster_of_a_planned_activity_is_not_found_and_a_cancelled_one_has_no_code(
    app, client, world, login, clock
):
    planned = _activity(app, world, scheduled=False, name="还没批准的活动")
    cancelled = _activity(app, world, status="cancelled", name="取消的活动")
    login(world.users[("pm", "own")])
    assert client.get(f"/activities/{planned.id}/poster").status_code == 404
    html = page_html(client.get(f"/activities/{cancelled.id}/poster"))
    assert 'id="poster-cancelled"' in html and "poster-qr" not in html and cancelled.token not in html


def test_act06_poster_is_for_organisers_of_the_project_only(app, client, world, login, activity):
    login(world.users[("dept_supervisor", "own")])
    assert client.get(f"/activities/{activity.id}/poster").status_code == 403
    other = _activity(app, world, "other")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(world.users[("publicist", "own")])
    assert client.get(f"/activities/{other.id}/poster").status_code == 404


# ---------------------------------------------------------------------------- the public page (ACT-16)


def test_act16_public_page_shows_the_activity_and_no_one_personal(app, client, world, activity, clock):
    response = client.get(f"/activity/{activity.token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = page_html(response)
    for text in ("邻里中秋晚会", "2026年6月6日 星期六", "19:00–21:00", "中心广场", 'id="rsvp-form"'):
        assert text in html, text
    assert 'id="activity-replied"' in html
    for private in (world.own.owner_name, world.own.owner_phone, "own1栋", "tabbar"):
        assert private not in html


def test_act16_rsvp_creates_one_reply_and_the_page_confirms_it(app, client, world, activity, clock):
    response = _reply(client, activity.token)
    assert response.status_code == 303
    assert response.location.endswith(f"/activity/{activity.token}")
    assert _rows(app, activity.id) == [(world.own.unit_id, 3, START, START)]
    html = page_html(client.get(response.location))
    assert 'id="rsvp-done"' in html and "3" in re.search(r'id="rsvp-done">(.*?)</p>', html, re.S).group(1)
    assert re.search(r'id="activity-replied">\D*1\D*</p>', html)
    # the confirmation is shown once, to this browser only
    assert 'id="rsvp-done"' not in page_html(client.get(f"/activity/{activity.token}"))
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "activity_rsvp_recorded")
        ) == 1


def test_act16_a_second_reply_from_the_same_unit_changes_the_first(app, client, world, activity, clock):
    assert _reply(client, activity.token, head_count="3").status_code == 303
    clock.shift(timedelta(days=1))
    another_phone = app.test_client()  # someone else of the household, on another phone
    response = _reply(another_phone, activity.token, head_count="5", unit_text="own1栋 1502")
    assert response.status_code == 303
    assert _rows(app, activity.id) == [(world.own.unit_id, 5, START, START + timedelta(days=1))]
    html = page_html(another_phone.get(response.location))
    done = re.search(r'id="rsvp-done">(.*?)</p>', html, re.S).group(1)
    assert "5" in done and "3" not in done


def test_act16_the_household_can_cancel_its_reply(app, client, world, activity, clock):
    assert _reply(client, activity.token).status_code == 303
    response = _reply(client, activity.token, head_count="", cancel="1")
    assert response.status_code == 303
    assert [heads for _unit, heads, _f, _c in _rows(app, activity.id)] == [None]
    html = page_html(client.get(response.location))
    assert 'id="rsvp-done"' in html
    assert re.search(r'id="activity-replied">\D*0\D*</p>', html)


def test_act16_cancelling_without_a_reply_is_refused(app, client, world, activity, clock):
    response = _reply(client, activity.token, head_count="", cancel="1")
    assert response.status_code == 422
    assert _rows(app, activity.id) == []


def test_act16_wrong_digits_and_unknown_units_get_the_one_message_and_keep_the_values(
    app, client, world, activity, clock
):
    wrong = _reply(client, activity.token, phone_digits="2222")
    unknown = _reply(client, activity.token, unit_text="own9栋0101")
    assert wrong.status_code == unknown.status_code == 422
    message = re.compile(r'<p class="error" id="unit_text-error">([^<]+)</p>')
    assert message.search(page_html(wrong)).group(1) == message.search(page_html(unknown)).group(1)
    html = page_html(wrong)
    assert f'value="{UNIT}"' in html and 'value="3"' in html
    assert 'value="2222"' not in html  # the digits are cleared
    assert _rows(app, activity.id) == []


@pytest.mark.parametrize("count", ["0", "21", "-1", "two", ""])
def test_act16_head_counts_outside_one_to_twenty_are_refused(app, client, world, activity, clock, count):
    response = _reply(client, activity.token, head_count=count)
    assert response.status_code == 422
    assert 'id="head_count-error"' in page_html(response)
    assert _rows(app, activity.id) == []


def test_act16_twenty_people_are_accepted(app, client, world, activity, clock):
    assert _reply(client, activity.token, head_count="20").status_code == 303
    assert [heads for _u, heads, _f, _c in _rows(app, activity.id)] == [20]


def test_act16_replies_close_when_the_activity_starts(app, client, world, activity, clock):
    assert _reply(client, activity.token, head_count="2").status_code == 303
    clock.move_to(BEGINS - timedelta(seconds=1))
    assert _reply(client, activity.token, head_count="4").status_code == 303
    token = csrf_token(client, f"/activity/{activity.token}")  # a phone with the page still open
    clock.move_to(BEGINS)
    page = page_html(client.get(f"/activity/{activity.token}"))
    assert 'id="rsvp-form"' not in page and 'id="activity-closed"' in page
    response = _reply(client, activity.token, head_count="6", csrf_token=token)
    assert response.status_code == 422
    assert 'id="activity-closed"' in page_html(response)
    assert [heads for _u, heads, _f, _c in _rows(app, activity.id)] == [4]


def test_act16_a_cancelled_activity_says_so_and_takes_no_reply(app, client, world, clock):
    cancelled = _activity(app, world, status="cancelled")
    page = page_html(client.get(f"/activity/{cancelled.token}"))
    assert 'class="flash flash-error activity-cancelled"' in page and 'id="rsvp-form"' not in page
    response = _reply(client, cancelled.token, csrf_token=csrf_token(client))
    assert response.status_code == 422
    assert _rows(app, cancelled.id) == []


def test_act16_a_planned_activity_and_an_unknown_token_are_not_found(app, client, world, clock):
    planned = _activity(app, world, scheduled=False)
    for token in (planned.token, "no-such-token", "x" * 300):
        response = client.get(f"/activity/{token}")
        assert response.status_code == 404
        assert "/login" not in page_html(response) and 'id="public-message"' in page_html(response)
    assert client.post(f"/activity/{planned.token}", data={}).status_code == 404


def test_act16_another_projects_page_does_not_take_this_projects_household(app, client, world, clock):
    other = _activity(app, world, "other")
    response = _reply(client, other.token)  # the own unit and the own owner's digits
    assert response.status_code == 422
    html = page_html(response)
    assert "own项目" not in html and world.own.owner_name not in html and world.own.owner_phone not in html
    assert _rows(app, other.id) == []
    # its own household replies there, to that activity only
    assert _reply(client, other.token, unit_text="other1栋1502", phone_digits="3333").status_code == 303
    assert [unit for unit, *_ in _rows(app, other.id)] == [world.other.unit_id]


def test_act16_an_expired_form_comes_back_with_the_values(app, client, world, activity, clock):
    response = client.post(
        f"/activity/{activity.token}",
        data={"unit_text": UNIT, "phone_digits": DIGITS, "head_count": "3", "csrf_token": "stale"},
    )
    assert response.status_code == 400
    html = page_html(response)
    assert 'id="form-notice"' in html and f'value="{UNIT}"' in html and 'name="csrf_token"' in html
    assert _rows(app, activity.id) == []


def test_act16_digit_attempts_are_rate_limited_per_client_and_activity(app, client, world, activity, clock):
    app.config["OWNER_FORM_ATTEMPT_LIMIT"] = "3 per hour"
    for digits in ("0001", "0002", "0003"):
        assert _reply(client, activity.token, phone_digits=digits).status_code == 422
    limited = _reply(client, activity.token)  # even the right digits now
    assert limited.status_code == 429
    assert "/login" not in page_html(limited) and 'id="public-message"' in page_html(limited)
    assert _rows(app, activity.id) == []
    # another phone is not affected
    other_phone = app.test_client()
    data = {"unit_text": UNIT, "phone_digits": DIGITS, "head_count": "2",
            "csrf_token": csrf_token(other_phone, f"/activity/{activity.token}")}
    response = other_phone.post(f"/activity/{activity.token}", data=data, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 303
    clock.shift(timedelta(hours=1, minutes=1))
    assert _reply(client, activity.token).status_code == 303


# ---------------------------------------------------------------------------- the staff's list (ACT-16)


def _add_units(app, world, count):
    """`count` more households of the own project, each with an owner whose phone ends in 1111."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        building = factories.make_building(db.session, project, name="own2栋")
        for i in range(count):
            unit = factories.make_unit(db.session, building, number=f"{i + 1:02d}01")
            factories.make_owner(db.session, unit, name=f"业主{i}", phone=f"1380000{i:04d}"[:7] + "1111")
        db.session.commit()


def test_act16_staff_see_replies_by_unit_with_totals_and_no_owner(app, client, world, login, activity, clock):
    _add_units(app, world, 2)
    assert _reply(app.test_client(), activity.token, head_count="3").status_code == 303
    assert _reply(app.test_client(), activity.token, unit_text="own2栋0101", head_count="2").status_code == 303
    assert _reply(app.test_client(), activity.token, unit_text="own2栋0201", head_count="4").status_code == 303
    assert _reply(app.test_client(), activity.token, unit_text="own2栋0201", head_count="", cancel="1").status_code == 303
    login(world.users[("receptionist", "own")])
    response = client.get(f"/activities/{activity.id}/rsvps")
    assert response.status_code == 200
    html = page_html(response)
    assert re.search(r'id="rsvp-totals">\D*2\D+5\D*</p>', html)
    rows = re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", html)
    assert [(b, u, h.strip()) for b, u, h in rows][:2] == [("own1栋", "1502", "3"), ("own2栋", "0101", "2")]
    assert rows[2][:2] == ("own2栋", "0201") and rows[2][2] != "4"
    for private in (world.own.owner_name, world.own.owner_phone, "业主0"):
        assert private not in html


def test_act16_staff_list_runs_a_fixed_number_of_queries(app, client, world, login, activity, clock, queries):
    _add_units(app, world, 9)
    login(world.users[("cs_supervisor", "own")])
    url = f"/activities/{activity.id}/rsvps"
    assert _reply(app.test_client(), activity.token).status_code == 303
    assert _reply(app.test_client(), activity.token, unit_text="own2栋0101").status_code == 303
    client.get(url)
    with queries() as two:
        client.get(url)
    for i in range(2, 10):
        assert _reply(app.test_client(), activity.token, unit_text=f"own2栋{i:02d}01").status_code == 303
    with queries() as ten:
        html = page_html(client.get(url))
    assert html.count("<tr") == 11  # the header and ten replies
    assert len(ten) == len(two)


def test_act16_another_projects_replies_are_not_found(app, client, world, login, clock):
    other = _activity(app, world, "other")
    login(world.users[("pm", "own")])
    assert client.get(f"/activities/{other.id}/rsvps").status_code == 404
