"""RCP-05 (篇3 §4.7) complaint reception through the pages: the desk's apology on the
department's behalf is recorded; a municipal cause is followed up with the utility, an
internal one traced to a cause and a person, before the handling is complete; a
complaint about staff attitude needs the supervisor's apology; a serious one criticised
in a notice is called back by a leader, not the desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import post
from webapp.complaints.models import Complaint
from webapp.core.models import WorkItem
from webapp.extensions import db
from webapp.org.models import Project, User

MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _in_the_morning():
    with time_machine.travel(MORNING + timedelta(hours=3), tick=False):
        yield


def _html(response) -> str:
    return response.get_data(as_text=True)


def _switch(client, login, username):
    post(client, "/logout")
    login(username)


def _complaint(app, world, status: str = "in_progress", **values) -> int:
    with app.app_context():
        session = db.session
        desk = session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        complaint = factories.make_complaint(
            session, session.get(Project, world.own.id), desk, complaint_class="minor", status=status,
            received_at=MORNING, commitment_done_at=MORNING + timedelta(minutes=10),
            handling_started_at=MORNING + timedelta(minutes=20),
            complained_department_id=world.own.department_id, **values,
        )
        session.commit()
        return complaint.id


def _stored(app, complaint_id: int) -> Complaint:
    with app.app_context():
        complaint = db.session.scalars(
            sa.select(Complaint).where(Complaint.id == complaint_id).execution_options(all_projects=True)
        ).one()
        db.session.expunge_all()
        return complaint


def _act(client, app, complaint_id: int, verb: str, data: dict):
    version = _stored(app, complaint_id).version
    return post(client, f"/complaints/{complaint_id}/{verb}", {"version": str(version), **data})


def _error_of(html: str, field: str) -> str:
    return html.split(f'id="{field}-field"')[1].split("</div>")[0]


FOUND = {"answer": "已更换灯具", "cause": "巡查漏报", "responsible_person": "维修部张某"}


def test_rcp05_the_desks_apology_on_the_departments_behalf_is_recorded(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = post(client, "/complaints/new", {
        "submission_key": "k-apology", "channel": "visit", "description": "保安态度恶劣", "complained_person": "夜班保安",
        "owner_contact": "王女士", "complaint_class": "minor", "desk_apologised": "y",
    })
    assert response.status_code == 303
    complaint_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _stored(app, complaint_id).desk_apologised
    assert "接待人员已代表被投诉部门致歉。" in _html(client.get(f"/complaints/{complaint_id}"))
    # left unticked, the record does not claim an apology
    response = post(client, "/complaints/new", {
        "submission_key": "k-no-apology", "channel": "visit", "description": "保安态度恶劣",
        "complained_person": "夜班保安", "owner_contact": "王女士", "complaint_class": "minor",
    })
    other_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert not _stored(app, other_id).desk_apologised
    assert "接待人员已代表被投诉部门致歉。" not in _html(client.get(f"/complaints/{other_id}"))


def test_rcp05_internal_cause_is_traced_to_a_cause_and_a_person_before_the_handling_completes(app, client, world, login):
    complaint_id = _complaint(app, world)
    login(world.users[("pm", "own")])
    response = _act(client, app, complaint_id, "answer", {"answer": "已更换灯具"})
    assert response.status_code == 422 and "error" in _error_of(_html(response), "cause")
    response = _act(client, app, complaint_id, "answer", {"answer": "已更换灯具", "cause": "巡查漏报"})
    assert response.status_code == 422 and "error" in _error_of(_html(response), "responsible_person")
    assert _stored(app, complaint_id).status == "in_progress"
    assert _act(client, app, complaint_id, "answer", FOUND).status_code == 303
    complaint = _stored(app, complaint_id)
    assert (complaint.status, complaint.cause, complaint.responsible_person) == (
        "awaiting_callback", "巡查漏报", "维修部张某"
    )


def test_rcp05_an_interim_answer_waits_for_the_findings_until_the_handling_completes(app, client, world, login):
    complaint_id = _complaint(app, world)
    login(world.users[("pm", "own")])
    assert _act(client, app, complaint_id, "answer", {"answer": "配件在途，明天更换", "still_open": "y"}).status_code == 303
    assert _stored(app, complaint_id).status == "answered"
    response = _act(client, app, complaint_id, "resolve", {"measures": "已更换"})
    assert response.status_code == 422 and "error" in _error_of(_html(response), "cause")
    response = _act(client, app, complaint_id, "resolve", {"measures": "已更换", "cause": "配件缺货",
                                                           "responsible_person": "仓管刘某"})
    assert response.status_code == 303 and _stored(app, complaint_id).status == "awaiting_callback"


def test_rcp05_municipal_cause_is_followed_up_with_the_utility_before_the_handling_completes(app, client, world, login):
    complaint_id = _complaint(app, world, municipal_cause=True, description="小区停水一整天")
    login(world.users[("pm", "own")])
    form = _html(client.get(f"/complaints/{complaint_id}"))
    assert 'id="utility_follow_up-field"' in form
    response = _act(client, app, complaint_id, "answer", {"answer": "已向业主解释是市政管网抢修"})
    assert response.status_code == 422 and "error" in _error_of(_html(response), "utility_follow_up")
    assert _stored(app, complaint_id).status == "in_progress"
    response = _act(client, app, complaint_id, "answer", {
        "answer": "已向业主解释是市政管网抢修", "utility_follow_up": "已联系自来水公司，18:00 恢复供水",
    })
    assert response.status_code == 303
    assert _stored(app, complaint_id).utility_follow_up == "已联系自来水公司，18:00 恢复供水"
    assert "已联系自来水公司" in _html(client.get(f"/complaints/{complaint_id}")).split('id="utility-follow-up"')[1]


def test_rcp05_staff_attitude_needs_the_supervisors_apology(app, client, world, login):
    complaint_id = _complaint(app, world, supervisor_apology_required=True)
    login(world.users[("dept_supervisor", "own")])
    response = _act(client, app, complaint_id, "answer", FOUND)
    assert response.status_code == 422 and "error" in _error_of(_html(response), "supervisor_apologised")
    assert _act(client, app, complaint_id, "answer", {**FOUND, "supervisor_apologised": "y"}).status_code == 303
    complaint = _stored(app, complaint_id)
    assert complaint.status == "awaiting_callback" and complaint.supervisor_apologised_at is not None


def test_rcp05_serious_case_is_criticised_in_a_notice_and_called_back_by_a_leader(app, client, world, login):
    complaint_id = _complaint(app, world, supervisor_apology_required=True)
    login(world.users[("dept_supervisor", "own")])
    response = _act(client, app, complaint_id, "answer", {**FOUND, "supervisor_apologised": "y", "criticised": "y"})
    assert response.status_code == 303
    with app.app_context():
        roles = set(db.session.scalars(
            sa.select(WorkItem.assignee_role)
            .where(WorkItem.entity_type == "complaints", WorkItem.entity_id == complaint_id,
                   WorkItem.kind == "complaint_callback", WorkItem.done_at.is_(None))
            .execution_options(all_projects=True)
        ))
    assert roles == {"pm", "pm_assistant"}

    _switch(client, login, world.users[("receptionist", "own")])
    page = _html(client.get(f"/complaints/{complaint_id}"))
    assert 'id="criticised"' in page and 'id="callback-form"' not in page
    refused = _act(client, app, complaint_id, "callback", {"method": "phone", "satisfaction": "satisfied"})
    assert refused.status_code == 422 and _stored(app, complaint_id).status == "awaiting_callback"

    _switch(client, login, world.users[("pm", "own")])
    assert 'id="callback-form"' in _html(client.get(f"/complaints/{complaint_id}"))
    done = _act(client, app, complaint_id, "callback", {"method": "visit", "satisfaction": "satisfied"})
    assert done.status_code == 303 and _stored(app, complaint_id).status == "closed"
