"""ACT-11 the administrators' holiday table: a year the package does not know is reported
"not yet known" (never a crash) until its schedule is added; the rows then decide dates
(the eve of 春节 2027, a make-up working Saturday); bad lines come back with their number
and every line kept; deleting a row; all audited."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import HX, post
from webapp.activities import operations
from webapp.activities.holidays import package_years
from webapp.activities.models import HolidayDay
from webapp.activities.rules import (
    DateBasis,
    Festival,
    HolidayYearUnknown,
    RuleViolation,
    check_activity_date,
)
from webapp.core.models import AuditEvent
from webapp.extensions import db

SPRING_FESTIVAL_2027 = "\n".join(f"2027-02-{day:02d} 休 春节" for day in range(6, 13))
EVE = date(2027, 2, 5)  # a Friday, the day before the first day of 春节 2027
SATURDAY = date(2027, 2, 20)


@pytest.fixture
def admin(client, world, login):
    client.set_cookie("locale", "en")
    login(world.users[("admin", None)])
    return client


def _verdict(app, day: date, reason: str | None = None):
    with app.app_context():
        return check_activity_date(day, operations.calendar(db.session), reason)


def _rows(app) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [(r.day.isoformat(), r.kind, r.name) for r in db.session.scalars(sa.select(HolidayDay).order_by(HolidayDay.day))]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_act11_2027_is_not_a_package_year():
    # the tests below rely on it: when a newer package knows 2027, move them to its next year
    assert 2027 not in package_years()


def test_act11_a_date_of_an_unknown_year_is_not_yet_known_until_the_admin_adds_the_schedule(app, admin):
    with pytest.raises(HolidayYearUnknown) as err:
        _verdict(app, EVE)
    assert "The holiday schedule for 2027 is not yet known" in str(err.value)
    page = admin.get("/activities/holidays?check=2027-02-05")
    assert page.status_code == 200
    assert "The holiday schedule for 2027 is not yet known" in page.get_data(as_text=True)

    response = post(admin, "/activities/holidays", {"mode": "schedule", "schedule": SPRING_FESTIVAL_2027})
    assert response.status_code == 303

    verdict = _verdict(app, EVE)
    assert verdict.basis is DateBasis.BEFORE_MAJOR_HOLIDAY
    assert verdict.festivals == {Festival.SPRING_FESTIVAL}
    html = admin.get("/activities/holidays?check=2027-02-05").get_data(as_text=True)
    assert "One of the two days before a major holiday" in html
    assert 'id="table-years"><span class="badge badge-ok">2027</span>' in html
    assert len(_rows(app)) == 7 and len(_events(app, "holiday_added")) == 7


def test_act11_a_makeup_working_saturday_makes_the_weekend_date_need_a_reason(app, admin):
    post(admin, "/activities/holidays", {"mode": "schedule", "schedule": SPRING_FESTIVAL_2027})
    assert _verdict(app, SATURDAY).basis is DateBasis.WEEKEND

    response = post(admin, "/activities/holidays", {"mode": "row", "day": "2027-02-20", "kind": "workday", "name": ""})
    assert response.status_code == 303
    assert ("2027-02-20", "workday", None) in _rows(app)
    with pytest.raises(RuleViolation) as err:
        _verdict(app, SATURDAY)
    assert err.value.field == "date_reason"
    assert _verdict(app, SATURDAY, "业主白天上班, 晚上举办").basis is DateBasis.REASON


def test_act11_a_weekend_of_an_unknown_year_is_only_provisional(app, admin):
    verdict = _verdict(app, SATURDAY)
    assert verdict.basis is DateBasis.WEEKEND and verdict.provisional


def test_act11_a_bad_line_comes_back_with_its_number_and_every_line_kept(app, admin):
    text = "2027-01-01 休 元旦\n2027-02-06 休 春节\n2027-02-05 班\n2027-02-07 休 春节"
    response = post(admin, "/activities/holidays", {"mode": "schedule", "schedule": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 3: A make-up working day is a Saturday or a Sunday." in html
    assert text in html
    assert _rows(app) == []  # nothing of a refused paste is kept


def test_act11_a_rest_day_without_its_festival_comes_back_next_to_the_name(app, admin):
    response = post(admin, "/activities/holidays", {"mode": "row", "day": "2027-10-01", "kind": "holiday", "name": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-field"' in html and "Name the festival of this rest day" in html
    assert 'value="2027-10-01"' in html
    assert _rows(app) == []


def test_act11_a_row_for_a_date_already_in_the_table_corrects_it_audited(app, admin):
    post(admin, "/activities/holidays", {"mode": "row", "day": "2027-10-01", "kind": "holiday", "name": "中秋"})
    response = post(admin, "/activities/holidays", {"mode": "row", "day": "2027-10-01", "kind": "holiday",
                                                    "name": "国庆"})
    assert response.status_code == 303
    assert _rows(app) == [("2027-10-01", "holiday", "国庆")]
    [changed] = _events(app, "holiday_changed")
    assert changed.changes == {"name": ["中秋", "国庆"]}


def test_act11_deleting_a_row_is_audited_and_its_year_becomes_unknown_again(app, admin):
    post(admin, "/activities/holidays", {"mode": "schedule", "schedule": "2027-02-06 休 春节"})
    with app.app_context():
        row_id = db.session.scalar(sa.select(HolidayDay.id))
    response = post(admin, f"/activities/holidays/{row_id}/delete")
    assert response.status_code == 303
    assert _rows(app) == []
    [deleted] = _events(app, "holiday_deleted")
    assert deleted.note == "2027-02-06 休 春节"
    with pytest.raises(HolidayYearUnknown):
        _verdict(app, EVE)
    # pressed twice: no error
    assert post(admin, f"/activities/holidays/{row_id}/delete").status_code == 303


def test_act11_htmx_gets_the_panel_back(app, admin):
    response = post(admin, "/activities/holidays", {"mode": "schedule", "schedule": SPRING_FESTIVAL_2027}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="holiday-panel"') and "<html" not in html
    assert html.count('id="holiday-') >= 7


def test_act11_only_an_administrator_may_change_the_table(app, client, world, login):
    login(world.users[("pm", "own")])
    response = post(client, "/activities/holidays", {"mode": "schedule", "schedule": SPRING_FESTIVAL_2027})
    assert response.status_code == 403
    assert _rows(app) == []


def test_act11_the_page_says_which_years_are_known(app, admin):
    html = admin.get("/activities/holidays").get_data(as_text=True)
    years = sorted(package_years())
    assert f'id="package-years">{years[0]}–{years[-1]}<' in html
    assert "No rows yet" in html
