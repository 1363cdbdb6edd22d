"""Deadlines at their edges, whatever zone the server process runs in (REQUIREMENTS, Time:
every deadline is computed in Asia/Shanghai time).

Four edges, each through the pure rules and through a page or the SLA sweep, so the
views' and the sweep's conversion to local time is covered too:

* local midnight: 23:59:59 vs 00:00:00 in Shanghai, i.e. 15:59:59 / 16:00:00 UTC;
* month end: Jan 31 → Feb 28/29, Mar 31 → Apr 30, Dec 31 → Jan 1;
* 22:00: an activity may end at 22:00, not a minute later (ACT-13);
* the 25th: the monthly complaint summary is due by the 25th (RCP-06, CMP-07): on time
  at 23:59 local on the 25th, late from 00:00 on the 26th.

The pure cases run with the process zone set to UTC, Asia/Shanghai and America/Los_Angeles
(`process_zone`); code that read the server's local calendar instead of Shanghai's would
pass in one zone and fail in another. The page and sweep cases run in the zone the test
process was started in: tests/security/test_time_zones.py starts this file once per zone.
Time is travelled to with UTC instants, which leave the process zone alone.
"""

from __future__ import annotations

import os
import re
import time as process_time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from tests.web.activity_helpers import field_errors, page_html, staff_user
from webapp.activities import rules as activity_rules
from webapp.activities.models import Activity
from webapp.complaints import rules as complaint_rules
from webapp.complaints.models import Complaint
from webapp.core import clock
from webapp.core.models import Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception import rules as reception_rules
from webapp.slips import rules as slip_rules
from webapp.slips.models import Slip

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROCESS_ZONES = ("UTC", "Asia/Shanghai", "America/Los_Angeles")
SECOND = timedelta(seconds=1)


def local(*parts: int) -> datetime:
    """A Shanghai wall-clock time as the UTC instant the app stores."""
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)


def _set_process_zone(zone: str | None) -> None:
    if zone is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = zone
    process_time.tzset()


@pytest.fixture(params=PROCESS_ZONES)
def process_zone(request):
    """The server process's own zone (TZ), restored afterwards."""
    before = os.environ.get("TZ")
    _set_process_zone(request.param)
    yield request.param
    _set_process_zone(before)


@pytest.fixture
def utc_process():
    """The process zone set to UTC, as on most servers and containers."""
    before = os.environ.get("TZ")
    _set_process_zone("UTC")
    yield
    _set_process_zone(before)


#: (23:59:59 local, 00:00:00 local the next day) around the edges the rules meet most
MIDNIGHTS = {
    "wednesday": (local(2026, 11, 25, 23, 59, 59), local(2026, 11, 26, 0, 0, 0)),
    "jan31-feb1": (local(2027, 1, 31, 23, 59, 59), local(2027, 2, 1, 0, 0, 0)),
    "feb28-mar1": (local(2027, 2, 28, 23, 59, 59), local(2027, 3, 1, 0, 0, 0)),
    "leap-feb29": (local(2028, 2, 29, 23, 59, 59), local(2028, 3, 1, 0, 0, 0)),
    "dec31-jan1": (local(2026, 12, 31, 23, 59, 59), local(2027, 1, 1, 0, 0, 0)),
}


# ---------------------------------------------------------------------------- midnight, pure


def test_sec_shanghai_midnight_is_1600_utc(process_zone):
    last, first = MIDNIGHTS["wednesday"]
    assert (last, first) == (datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC), datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    assert clock.local_date(last) == date(2026, 11, 25)
    assert clock.local_date(first) == date(2026, 11, 26)
    assert clock.local_midnight(date(2026, 11, 26)) == first


@pytest.mark.parametrize("edge", MIDNIGHTS, ids=list(MIDNIGHTS))
def test_slip03_slip04_same_day_ends_at_local_midnight(process_zone, edge):
    last, first = MIDNIGHTS[edge]
    next_end = first + timedelta(days=1) - SECOND
    # collected at the desk (SLIP-03) and rectified (SLIP-04) by the end of that local day
    assert slip_rules.desk_due(last, urgent=False) == last
    assert slip_rules.rectification_due(last) == last
    assert slip_rules.desk_due(first, urgent=False) == next_end
    assert slip_rules.rectification_due(first) == next_end
    # at the due second still in time; one second later late
    assert not slip_rules.desk_breached(last, False, None, now=last)
    assert slip_rules.desk_breached(last, False, None, now=first)
    assert slip_rules.rectified_on_time(last, last, now=first) is True
    assert slip_rules.rectified_on_time(last, first, now=first) is False


@pytest.mark.parametrize("complaint_class", ["major", "minor", "invalid"])
@pytest.mark.parametrize("edge", MIDNIGHTS, ids=list(MIDNIGHTS))
def test_cmp04_same_day_commitment_ends_at_local_midnight(process_zone, edge, complaint_class):
    last, first = MIDNIGHTS[edge]
    assert complaint_rules.commitment_due(complaint_class, last) == last
    assert complaint_rules.commitment_due(complaint_class, first) == first + timedelta(days=1) - SECOND
    due = complaint_rules.commitment_due(complaint_class, last)
    resolution = complaint_rules.resolution_due(complaint_class, last)
    assert complaint_rules.breaches(last, commitment_due=due, commitment_done_at=None,
                                    resolution_due=resolution, resolution_done_at=None) == ()
    late = complaint_rules.breaches(first, commitment_due=due, commitment_done_at=None,
                                    resolution_due=resolution, resolution_done_at=None)
    assert [b.clock for b in late] == [complaint_rules.Clock.COMMITMENT]


def test_cmp04_an_important_complaint_hour_runs_across_midnight(process_zone):
    last, _ = MIDNIGHTS["dec31-jan1"]
    assert complaint_rules.commitment_due("important", last) == local(2027, 1, 1, 0, 59, 59)


@pytest.mark.parametrize("edge", MIDNIGHTS, ids=list(MIDNIGHTS))
def test_rcp03_return_slip_goes_out_the_same_local_day(process_zone, edge):
    last, first = MIDNIGHTS[edge]
    assert reception_rules.return_slip_send_due(last) == last
    assert reception_rules.return_slip_send_due(first) == first + timedelta(days=1) - SECOND
    assert not reception_rules.is_overdue(last, None, now=last)
    assert reception_rules.is_overdue(last, None, now=first)


def test_slip09_summary_week_turns_at_monday_local_midnight(process_zone):
    sunday_last = local(2026, 11, 29, 23, 59, 59)
    monday_first = local(2026, 11, 30, 0, 0, 0)
    assert slip_rules.week_bounds(sunday_last) == (local(2026, 11, 23), local(2026, 11, 30))
    assert slip_rules.week_bounds(monday_first) == (local(2026, 11, 30), local(2026, 12, 7))
    # across the new year: Friday 1 January's week began on Monday 28 December
    assert slip_rules.week_bounds(local(2027, 1, 1, 0, 0, 0)) == (local(2026, 12, 28), local(2027, 1, 4))


def test_act15_milestones_turn_overdue_one_second_after_local_midnight(process_zone):
    timeline = activity_rules.activity_timeline(date(2027, 1, 30), time(19, 0), important=True)
    plan = next(m for m in timeline if m.code == activity_rules.MilestoneCode.DETAILED_PLAN)
    assert plan.due == local(2026, 12, 31, 23, 59, 59)  # T−30 of 30 January is New Year's Eve
    assert activity_rules.milestone_state(plan.due, None, plan.due) is activity_rules.MilestoneState.DUE_SOON
    assert activity_rules.milestone_state(plan.due, None, plan.due + SECOND) is activity_rules.MilestoneState.OVERDUE
    assert activity_rules.milestone_state(plan.due, plan.due + SECOND, plan.due + SECOND) is (
        activity_rules.MilestoneState.DONE_LATE)


# ---------------------------------------------------------------------------- month end, pure


@pytest.mark.parametrize(
    ("received", "limit"),
    [
        (local(2027, 1, 31, 0, 30), local(2027, 2, 28, 0, 30)),  # Jan 30 16:30 UTC
        (local(2028, 1, 31, 0, 30), local(2028, 2, 29, 0, 30)),  # leap year
        (local(2027, 3, 31, 7, 0), local(2027, 4, 30, 7, 0)),  # Mar 30 23:00 UTC
        (local(2026, 12, 31, 23, 59, 59), local(2027, 1, 31, 23, 59, 59)),
        (local(2027, 1, 1, 0, 0, 0), local(2027, 2, 1, 0, 0, 0)),
    ],
    ids=["jan31-feb28", "jan31-feb29-leap", "mar31-apr30", "dec31-jan31", "jan1-feb1"],
)
def test_cmp02_one_month_is_counted_on_the_shanghai_calendar(process_zone, received, limit):
    assert complaint_rules.one_month_after(received) == limit
    assert not complaint_rules.needs_upgrade_to_major("minor", received, None, now=limit)
    assert complaint_rules.needs_upgrade_to_major("minor", received, None, now=limit + SECOND)


def test_act01_annual_plan_is_late_from_31_december_local_midnight(process_zone):
    due = activity_rules.plan_due(2027)
    assert due == local(2026, 12, 30, 23, 59, 59)
    assert not activity_rules.plan_is_late(2027, None, now=due)
    assert activity_rules.plan_is_late(2027, None, now=due + SECOND)
    assert activity_rules.plan_is_late(2027, local(2026, 12, 31, 0, 0, 0), now=due + SECOND)


def test_rcp06_report_periods_follow_each_other_across_the_year_and_short_months(process_zone):
    assert complaint_rules.report_period(date(2027, 1, 1)) == (date(2026, 12, 26), date(2027, 1, 25))
    assert complaint_rules.report_bounds(date(2027, 1, 1)) == (local(2026, 12, 26), local(2027, 1, 26))
    # a cut-off on the 31st is the last day of a short month
    assert complaint_rules.report_period(date(2027, 2, 1), 31) == (date(2027, 2, 1), date(2027, 2, 28))
    assert complaint_rules.report_period(date(2028, 3, 1), 31) == (date(2028, 3, 1), date(2028, 3, 31))
    assert complaint_rules.report_month_of(local(2026, 12, 25, 23, 59, 59)) == date(2026, 12, 1)
    assert complaint_rules.report_month_of(local(2026, 12, 26, 0, 0, 0)) == date(2027, 1, 1)


# ---------------------------------------------------------------------------- 22:00, pure


@pytest.mark.parametrize(
    ("end", "allowed"),
    [(time(21, 59, 59), True), (time(22, 0), True), (time(22, 0, 1), False), (time(22, 1), False),
     (time(23, 59), False)],
    ids=["21:59:59-allowed", "22:00-allowed", "22:00:01-refused", "22:01-refused", "23:59-refused"],
)
def test_act13_an_activity_ends_by_2200_shanghai_time(process_zone, end, allowed):
    day = date(2027, 6, 12)
    start = activity_rules.activity_start(day, time(19, 0))
    assert start == local(2027, 6, 12, 19, 0)
    if allowed:
        activity_rules.check_times(start, activity_rules.activity_start(day, end))
    else:
        with pytest.raises(RuleViolation) as refused:
            activity_rules.check_times(start, activity_rules.activity_start(day, end))
        assert "22:00" in refused.value.message


def test_act13_an_activity_does_not_run_past_local_midnight(process_zone):
    start = activity_rules.activity_start(date(2027, 6, 12), time(21, 0))
    with pytest.raises(RuleViolation):
        activity_rules.check_times(start, activity_rules.activity_start(date(2027, 6, 13), time(0, 0)))


# ---------------------------------------------------------------------------- the 25th, pure


def test_rcp06_the_monthly_summary_is_due_on_the_25th_local(process_zone):
    january = date(2027, 1, 1)
    assert complaint_rules.report_due(january) == date(2027, 1, 25)
    assert complaint_rules.report_month_of(local(2027, 1, 25, 23, 59, 59)) == january
    assert complaint_rules.report_month_of(local(2027, 1, 26, 0, 0, 0)) == date(2027, 2, 1)
    # the writers are reminded from the period's last week: the 19th local to the 25th
    assert complaint_rules.analysis_to_remind(local(2027, 1, 18, 23, 59, 59)) is None
    assert complaint_rules.analysis_to_remind(local(2027, 1, 19, 0, 0, 0)) == january
    assert complaint_rules.analysis_to_remind(local(2027, 1, 25, 23, 59, 59)) == january
    assert complaint_rules.analysis_to_remind(local(2027, 1, 26, 0, 0, 0)) is None


# ---------------------------------------------------------------------------- pages and the sweep


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _slip(app, slip_id: int) -> Slip:
    with app.app_context():
        slip = db.session.get(Slip, slip_id)
        db.session.expunge(slip)
        return slip


@pytest.mark.parametrize("edge", ["wednesday", "dec31-jan1"])
def test_slip04_a_slip_received_at_2359_is_due_that_night_and_at_0000_the_next(app, client, world, login, edge):
    last, first = MIDNIGHTS[edge]
    shown, filed = [], []
    for moment in (last, first):
        with time_machine.travel(moment - timedelta(minutes=1), tick=False) as traveller:
            login(world.users[("staff", "own")])
            response = post(client, "/slips/new", {
                "submission_key": f"midnight-{moment.timestamp()}", "category": "facility",
                "description": "消防通道堆放杂物", "place_text": "3栋地下车库", "source": "seen_on_site",
            })
            assert response.status_code == 303
            slip_id = int(response.location.rsplit("/", 1)[1])
            filed.append(slip_id)
            post(client, "/logout")
            login(world.users[("receptionist", "own")])
            traveller.move_to(moment)
            response = post(client, f"/slips/{slip_id}/receive", {
                "version": str(_slip(app, slip_id).version), "department_id": str(world.own.department_id)})
            assert response.status_code == 303
            html = page_html(client.get(f"/slips/{slip_id}"))
            post(client, "/logout")
        shown.append(re.search(r'id="rectification-clock">([^<]*)<', html).group(1).strip())
    assert _slip(app, filed[0]).rectification_due_at == last
    assert _slip(app, filed[1]).rectification_due_at == first + timedelta(days=1) - SECOND
    day_before, day_after = (clock.local_date(last), clock.local_date(first))
    assert shown == [f"{day_before.isoformat()} 23:59", f"{day_after.isoformat()} 23:59"]


def _commitment_notices(app, complaint_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.dedupe_key.like(f"complaint:{complaint_id}:commitment:%"))
            .execution_options(all_projects=True)
        )


@pytest.mark.parametrize("edge", ["wednesday", "jan31-feb1", "dec31-jan1"])
def test_cmp08_the_sweep_flags_a_same_day_commitment_at_local_midnight_not_before(app, world, edge):
    last, first = MIDNIGHTS[edge]
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        complaint = factories.make_complaint(db.session, project, _user(world.users[("receptionist", "own")]),
                                             complaint_class="minor", received_at=last - timedelta(hours=1))
        db.session.commit()
        complaint_id = complaint.id
        assert complaint.commitment_due_at == last
    runner = app.test_cli_runner()
    with time_machine.travel(last, tick=False):
        result = runner.invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    assert _commitment_notices(app, complaint_id) == 0  # 23:59:59 local: still the same day
    with time_machine.travel(first, tick=False):
        result = runner.invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    assert _commitment_notices(app, complaint_id) > 0  # 00:00:00 local: the day is over


@pytest.mark.parametrize(
    ("received", "limit"),
    [(local(2027, 1, 31, 0, 30), local(2027, 2, 28, 0, 30)),
     (local(2028, 1, 31, 0, 30), local(2028, 2, 29, 0, 30))],
    ids=["jan31-feb28", "jan31-feb29-leap"],
)
def test_cmp02_the_sweep_upgrades_after_one_shanghai_month_at_month_end(app, world, received, limit):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        complaint = factories.make_complaint(db.session, project, _user(world.users[("receptionist", "own")]),
                                             complaint_class="minor", status="in_progress", received_at=received)
        db.session.commit()
        complaint_id = complaint.id
    runner = app.test_cli_runner()
    classes = []
    for moment in (limit, limit + SECOND):
        with time_machine.travel(moment, tick=False):
            result = runner.invoke(args=["sla", "sweep"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            classes.append(db.session.get(Complaint, complaint_id).complaint_class)
    assert classes == ["minor", "major"]


#: Saturday 1 May 2027, 10:00 in Shanghai; the activity is on Saturday 5 June, 19:00–21:00
RESCHEDULE_AT = local(2027, 5, 1, 10, 0)


@pytest.mark.parametrize(("end_time", "status"), [("22:00", 303), ("22:01", 422)])
def test_act13_a_move_may_end_at_2200_not_2201_on_a_utc_server(app, client, login, world, utc_process,
                                                                  end_time, status):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        plan = factories.make_activity_plan(db.session, project, staff_user(db.session, world, "publicist"),
                                            year=2027, status="approved")
        activity = factories.make_activity(db.session, plan, day=date(2027, 6, 5), scheduled=True,
                                           scheduled_at=RESCHEDULE_AT, important=True)
        db.session.commit()
        activity_id, version = activity.id, activity.version
    with time_machine.travel(RESCHEDULE_AT, tick=False):
        login(world.users[("pm", "own")])
        post(client, "/language", {"locale": "en"})
        response = post(client, f"/activities/{activity_id}/reschedule", {
            "day": "2027-06-12", "start_time": "20:00", "end_time": end_time, "place": "中心广场",
            "date_reason": "", "reason": "中心广场路面施工", "version": str(version)})
    assert response.status_code == status, page_html(response)[:2000]
    with app.app_context():
        stored = db.session.get(Activity, activity_id)
        moved = (stored.day, stored.end_time)
    if status == 303:
        assert moved == (date(2027, 6, 12), time(22, 0))
    else:
        assert "22:00" in field_errors(page_html(response), "end_time")[0]
        assert moved == (date(2027, 6, 5), time(21, 0))


def _analysis_state(client, project_id: int, month: str | None = None) -> str:
    query = f"?project={project_id}" + (f"&month={month}" if month else "")
    html = page_html(client.get(f"/complaints/summary{query}"))
    assert "<html" in html
    return html.split('id="analysis-state"')[1].split("</p>")[0]


def test_rcp06_summary_on_time_at_2359_on_the_25th_late_from_0000_on_the_26th(app, client, world, login):
    runner = app.test_cli_runner()
    with time_machine.travel(local(2027, 1, 20, 9, 0), tick=False):
        assert runner.invoke(args=["sla", "sweep"]).exit_code == 0  # January's analysis reminder
    with app.app_context():
        item = db.session.scalar(sa.select(WorkItem).where(WorkItem.kind == "complaint_analysis")
                                 .execution_options(all_projects=True))
        assert item is not None and item.due_at == local(2027, 1, 25, 23, 59, 59)
    with time_machine.travel(local(2027, 1, 25, 23, 59, 0), tick=False) as traveller:
        login(world.users[("cs_supervisor", "own")])
        on_time = _analysis_state(client, world.own.id)
        my_work = page_html(client.get("/"))
        assert "2027-01-25" in on_time and "badge-danger" not in on_time
        assert "2027-01-25 23:59" in my_work and "已超时" not in my_work
        traveller.move_to(local(2027, 1, 26, 0, 0, 0))
        late = _analysis_state(client, world.own.id, "2027-01")
        current = _analysis_state(client, world.own.id)
        my_work = page_html(client.get("/"))
    assert "2027-01-25" in late and "badge-danger" in late
    assert "2027-02-25" in current  # the page opens on February's report from the 26th
    assert "已超时" in my_work
