"""Complaint operations against a real database: clocks from the rules, work items for
whoever acts next, one audit event per step, the sweep acting once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.complaints import operations
from webapp.complaints.models import Complaint, CorrectiveAction
from webapp.core import scoping
from webapp.core.models import AuditEvent, Notification, WorkItem
from webapp.core.rulekit import RuleViolation
from webapp.org.models import Department, Project, User

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def ctx(app, world):
    from webapp.extensions import db

    with app.app_context(), scoping.unrestricted():
        session = db.session

        def user(role, where="own"):
            return session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))

        yield session, user, session.get(Project, world.own.id), session.get(Department, world.own.department_id)


def _values(department, **overrides):
    values = {
        "complaint_class": "important",
        "description": "保安态度恶劣",
        "complained_department_id": department.id,
        "owner_contact": "13900001111",
        "owner_request": "道歉",
        "event_place": "北门岗亭",
    }
    values.update(overrides)
    return values


def _record(ctx, **overrides):
    session, user, project, department = ctx
    complaint, _ = operations.record_complaint(
        session, user("receptionist"), project, _values(department, **overrides), NOW, None
    )
    return complaint


def _open(session, complaint, kind=None):
    query = sa.select(WorkItem).where(
        WorkItem.entity_type == "complaints", WorkItem.entity_id == complaint.id, WorkItem.done_at.is_(None)
    )
    if kind:
        query = query.where(WorkItem.kind == kind)
    return list(session.scalars(query))


def _events(session, complaint):
    return list(
        session.execute(
            sa.select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.entity_type == "complaints", AuditEvent.entity_id == complaint.id)
            .order_by(AuditEvent.id)
        )
    )


def _notes(session, user):
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id))


def _in_progress(ctx, **overrides):
    session, user, _, _ = ctx
    complaint = _record(ctx, **overrides)
    operations.commit_handling(session, user("pm"), complaint, NOW + timedelta(minutes=20))
    operations.start_handling(session, user("dept_supervisor"), complaint, NOW + timedelta(minutes=30))
    return complaint


def test_cmp04_important_complaint_reaches_supervisor_and_pm_within_one_hour(ctx):
    session, user, project, department = ctx
    complaint = _record(ctx)
    items = _open(session, complaint, operations.COMMIT)
    assert sorted((i.assignee_role, i.department_id) for i in items) == [
        ("dept_supervisor", department.id),
        ("pm", None),
    ]
    assert {i.due_at for i in items} == {NOW + timedelta(hours=1)}
    assert _notes(session, user("pm")) == 1 and _notes(session, user("dept_supervisor")) == 1
    assert complaint.number.startswith("OWN-TS-")
    assert complaint.resolution_due_at == NOW + timedelta(days=3)
    operations.commit_handling(session, user("dept_supervisor"), complaint, NOW + timedelta(minutes=40))
    assert _open(session, complaint, operations.COMMIT) == []
    assert complaint.commitment_done_at == NOW + timedelta(minutes=40)
    assert [i.kind for i in _open(session, complaint)] == ["complaint_handle", "complaint_handle"]


def test_cmp04_major_goes_to_qa_and_gm_and_cmp09_opens_a_capa_for_qa(app, ctx, world):
    from webapp.core import notify

    session, user, _, _ = ctx
    complaint = _record(ctx, complaint_class="major", major_grounds=["major_loss_or_injury"])
    assert sorted(i.assignee_role for i in _open(session, complaint, operations.COMMIT)) == ["gm", "qa"]
    capa = session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint.id))
    assert capa is not None
    qa = session.scalar(sa.select(User).where(User.username == world.users[("qa", None)]))
    kinds = {(i.kind, i.entity_type) for i in notify.my_work(session, qa.id, qa.grants)}
    assert ("complaint_capa", "corrective_actions") in kinds and ("complaint_commit", "complaints") in kinds
    operations.record_corrective_action(
        session, user("pm"), capa, root_cause="巡检漏项", correction="已赔偿", preventive_action="增加夜巡",
        owner_user_id=user("cs_supervisor").id, due_on=NOW.date() + timedelta(days=7), now=NOW,
    )
    with pytest.raises(operations.NotPermitted):
        operations.verify_corrective_action(session, user("pm"), capa, True, None, NOW)
    operations.verify_corrective_action(session, qa, capa, True, "复查有效", NOW + timedelta(days=8))
    assert "complaint_capa" not in {i.kind for i in notify.my_work(session, qa.id, qa.grants)}


def test_cmp01_invalid_needs_its_reason_and_cmp03_needs_who_it_is_about(ctx):
    with pytest.raises(RuleViolation) as exc:
        _record(ctx, complaint_class="invalid")
    assert exc.value.field == "invalid_reason"
    with pytest.raises(RuleViolation) as exc:
        _record(ctx, complained_department_id=None)
    assert exc.value.field == "complained_department_id"


def test_cmp03_same_submission_key_records_one_complaint(ctx):
    session, user, project, department = ctx
    first, created = operations.record_complaint(session, user("receptionist"), project, _values(department), NOW, "k")
    again, created_again = operations.record_complaint(
        session, user("receptionist"), project, _values(department), NOW, "k"
    )
    assert created and not created_again and again.id == first.id


def test_cmp05_minor_extension_approved_by_pm_moves_the_due_refused_does_not(ctx):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx, complaint_class="minor")
    due = complaint.resolution_due_at
    assert due == NOW + timedelta(days=2)
    handler = user("dept_supervisor")
    refused = operations.request_extension(session, handler, complaint, due + timedelta(days=1), "等配件", NOW)
    with pytest.raises(operations.NotPermitted):
        operations.decide_extension(session, user("receptionist"), complaint, refused, True, None, NOW)
    operations.decide_extension(session, user("pm"), complaint, refused, False, "两天够了", NOW)
    assert complaint.resolution_due_at == due
    approved = operations.request_extension(session, handler, complaint, due + timedelta(days=2), "等配件", NOW)
    operations.decide_extension(session, user("pm"), complaint, approved, True, None, NOW)
    assert complaint.resolution_due_at == due + timedelta(days=2)
    session.flush()
    actions = [e[0] for e in _events(session, complaint)]
    assert "complaint_extension_refused" in actions and "complaint_extension_approved" in actions


def test_cmp05_important_extension_needs_the_gm(ctx, world):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx)
    due = complaint.resolution_due_at
    request = operations.request_extension(
        session, user("pm"), complaint, due + timedelta(days=1), "业主出差", NOW
    )
    assert [i.assignee_role for i in _open(session, complaint, operations.EXTENSION)] == ["gm"]
    with pytest.raises(operations.NotPermitted):
        operations.decide_extension(session, user("pm"), complaint, request, True, None, NOW)
    gm = session.scalar(sa.select(User).where(User.username == world.users[("gm", None)]))
    operations.decide_extension(session, gm, complaint, request, True, None, NOW)
    assert complaint.resolution_due_at == due + timedelta(days=1)


def test_cmp05_an_approved_extension_reaches_the_minute_the_approver_saw(ctx, world):
    """A clock started at 10:00:07.4 and extended to a whole minute must not show one
    minute short of it (the stored extension is whole seconds, rounded up)."""
    session, user, project, department = ctx
    received = NOW + timedelta(seconds=7, microseconds=400_000)
    complaint, _ = operations.record_complaint(
        session, user("receptionist"), project, _values(department), received, None
    )
    operations.commit_handling(session, user("pm"), complaint, received + timedelta(minutes=20))
    operations.start_handling(session, user("dept_supervisor"), complaint, received + timedelta(minutes=30))
    asked_for = (complaint.resolution_due_at + timedelta(days=2)).replace(second=0, microsecond=0)
    request = operations.request_extension(
        session, user("pm"), complaint, asked_for, "等配件", received + timedelta(hours=1)
    )
    gm = session.scalar(sa.select(User).where(User.username == world.users[("gm", None)]))
    operations.decide_extension(session, gm, complaint, request, True, None, received + timedelta(hours=2))
    assert asked_for <= complaint.resolution_due_at < asked_for + timedelta(seconds=1)


def test_waiting_pauses_the_resolution_clock_but_not_the_commitment(ctx):
    session, user, _, _ = ctx
    complaint = _record(ctx)
    commitment_due = complaint.commitment_due_at
    operations.commit_handling(session, user("pm"), complaint, NOW + timedelta(minutes=20))
    operations.start_handling(session, user("pm"), complaint, NOW + timedelta(minutes=30))
    due = complaint.resolution_due_at
    operations.pause(session, user("pm"), complaint, "业主联系不上", NOW + timedelta(hours=2))
    with pytest.raises(RuleViolation):
        operations.pause(session, user("pm"), complaint, "again", NOW + timedelta(hours=3))
    operations.resume(session, user("pm"), complaint, NOW + timedelta(hours=7))
    assert complaint.resolution_due_at == due + timedelta(hours=5)
    assert complaint.commitment_due_at == commitment_due
    with pytest.raises(RuleViolation):
        operations.pause(session, user("pm"), complaint, " ", NOW + timedelta(hours=8))


def test_cmp07_answer_then_callback_closes_and_nothing_closes_without_it(ctx):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx)
    with pytest.raises(RuleViolation):
        operations.record_callback(session, user("receptionist"), complaint, "phone", "satisfied", None, NOW)
    operations.answer_owner(
        session, user("dept_supervisor"), complaint, "已当面道歉并批评当事人", NOW + timedelta(hours=4),
        supervisor_apologised=True, cause="服务态度", responsible_person="夜班保安李某",
    )
    assert complaint.status == "awaiting_callback" and complaint.resolved_at == NOW + timedelta(hours=4)
    assert [i.kind for i in _open(session, complaint)] == ["complaint_callback", "complaint_callback"]
    operations.record_callback(
        session, user("receptionist"), complaint, "phone", "satisfied", "满意", NOW + timedelta(days=1)
    )
    session.flush()
    assert complaint.status == "closed" and _open(session, complaint) == []
    assert _events(session, complaint) == [
        ("complaint_recorded", None, "received"),
        ("complaint_committed", "received", "committed"),
        ("complaint_started", "committed", "in_progress"),
        ("complaint_answered", "in_progress", "awaiting_callback"),
        ("complaint_called_back", "awaiting_callback", "closed"),
    ]


def test_cmp06_invalid_is_explained_forwarded_and_answered(ctx):
    session, user, _, _ = ctx
    complaint = _record(ctx, complaint_class="invalid", invalid_reason="developer_legacy")
    operations.commit_handling(session, user("pm"), complaint, NOW)
    with pytest.raises(RuleViolation):
        operations.record_invalid_handling(session, user("receptionist"), complaint, NOW)
    operations.record_invalid_handling(
        session, user("receptionist"), complaint, NOW, explanation="属房屋质量问题", forwarded_to="开发商工程部"
    )
    assert complaint.status == "forwarded"
    operations.record_invalid_handling(session, user("receptionist"), complaint, NOW, reply="开发商答复下周维修")
    assert complaint.status == "awaiting_callback" and complaint.answered_at == NOW


def test_cmp02_upgrade_after_one_month_with_reason_once(ctx, world):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx, complaint_class="minor")
    assert operations.upgrade_overdue(session, NOW + timedelta(days=29)) == []
    later = NOW + timedelta(days=31)
    assert operations.upgrade_overdue(session, later) == [complaint]
    assert complaint.complaint_class == "major" and "unresolved_one_month" in complaint.grounds
    # a code, shown in the reader's language (test_complaint_major_pages)
    assert complaint.upgrade_reason == operations.UPGRADE_REASON_CODE and complaint.upgraded_at == later
    assert sorted(i.assignee_role for i in _open(session, complaint, operations.ESCALATION)) == ["gm", "qa"]
    assert operations.upgrade_overdue(session, later + timedelta(hours=1)) == []
    session.flush()
    assert [e[0] for e in _events(session, complaint)].count("complaint_upgraded") == 1
    assert session.scalar(
        sa.select(sa.func.count()).select_from(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint.id)
    ) == 1


def test_cmp08_breaches_are_notified_once_across_two_sweeps(ctx):
    session, user, _, _ = ctx
    complaint = _record(ctx)
    pm = user("pm")
    before = _notes(session, pm)
    assert operations.notify_breaches(session, NOW + timedelta(minutes=59)) == 0
    first = operations.notify_breaches(session, NOW + timedelta(hours=2))
    session.flush()
    assert first > 0 and _notes(session, pm) == before + 1
    assert operations.notify_breaches(session, NOW + timedelta(hours=3)) == 0
    session.flush()
    assert _notes(session, pm) == before + 1
    assert complaint.commitment_done_at is None


def test_org02_other_projects_complaint_is_invisible_in_a_scoped_request(app, ctx, world):
    session, user, project, _ = ctx
    own = _record(ctx)
    other_project = session.get(Project, world.other.id)
    other = factories.make_complaint(session, other_project, user("receptionist", "other"))
    session.commit()
    with app.test_request_context():
        scoping.set_scope(frozenset({project.id}))
        found = set(session.scalars(sa.select(Complaint.id)))
        assert own.id in found and other.id not in found


# ---------------------------------------------------------------------------- CMP-02 a/b marked by staff


def _company_user(session, world, role):
    return session.scalar(sa.select(User).where(User.username == world.users[(role, None)]))


def _capas(session, complaint):
    return list(session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint.id)))


def test_cmp02_qa_marks_an_important_complaint_major_the_clocks_follow_and_the_major_escalation_starts(ctx, world):
    from webapp.core import notify

    session, user, _, _ = ctx
    complaint = _in_progress(ctx)  # important: resolution due in 3 days
    handler_items = _open(session, complaint, operations.HANDLE)
    assert {i.due_at for i in handler_items} == {NOW + timedelta(days=3)}
    qa = _company_user(session, world, "qa")
    marked_at = NOW + timedelta(days=1, hours=1)
    operations.mark_major(session, qa, complaint, ["undelivered_repeated"], "第三次报修仍未解决", marked_at)
    session.flush()
    assert complaint.complaint_class == "major" and complaint.grounds == ["undelivered_repeated"]
    # CMP-05 major: a clear answer within 2 days of the reception; not the server's upgrade
    assert complaint.resolution_due_at == NOW + timedelta(days=2) and complaint.upgraded_at is None
    assert {i.due_at for i in _open(session, complaint, operations.HANDLE)} == {NOW + timedelta(days=2)}
    # CMP-04 major: QA and the GM the same day (of the marking)
    escalation = _open(session, complaint, operations.ESCALATION)
    assert sorted(i.assignee_role for i in escalation) == ["gm", "qa"]
    assert {i.due_at for i in escalation} == {datetime(2026, 11, 26, 15, 59, 59, tzinfo=UTC)}
    # CMP-09: the corrective and preventive action opens, in QA's work
    assert len(_capas(session, complaint)) == 1
    assert "complaint_capa" in {i.kind for i in notify.my_work(session, qa.id, qa.grants)}
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_id == complaint.id, AuditEvent.action == "complaint_marked_major")
    ).one()
    assert event.actor_id == qa.id and event.note == "第三次报修仍未解决"
    assert event.changes["complaint_class"] == ["important", "major"]
    assert event.changes["major_grounds"] == [None, "undelivered_repeated"]


def test_cmp02_marked_before_the_hand_over_the_major_commitment_applies(ctx, world):
    session, user, _, _ = ctx
    complaint = _record(ctx, complaint_class="minor")  # handed to the PM today, handling starts within 2 days
    assert complaint.handling_start_due_at == NOW + timedelta(days=2)
    gm = _company_user(session, world, "gm")
    operations.mark_major(session, user("pm"), complaint, ["major_loss_or_injury"], None, NOW + timedelta(hours=2))
    session.flush()
    assert complaint.commitment_due_at == datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)
    assert complaint.handling_start_due_at is None  # a major complaint has no separate start clock
    assert {i.due_at for i in _open(session, complaint, operations.COMMIT)} == {complaint.commitment_due_at}
    # the people a major complaint goes to may now take it into handling
    operations.commit_handling(session, gm, complaint, NOW + timedelta(hours=3))
    assert complaint.status == "committed" and _open(session, complaint, operations.COMMIT) == []


def test_cmp05_marking_major_lapses_the_extensions(ctx):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx, complaint_class="minor")
    due = complaint.resolution_due_at
    granted = operations.request_extension(session, user("pm"), complaint, due + timedelta(days=1), "等配件", NOW)
    operations.decide_extension(session, user("pm"), complaint, granted, True, None, NOW)
    operations.request_extension(session, user("pm"), complaint, due + timedelta(days=3), "还要等", NOW)
    assert complaint.resolution_due_at == due + timedelta(days=1)
    assert _open(session, complaint, operations.EXTENSION)
    operations.mark_major(session, user("pm"), complaint, ["undelivered_repeated"], None, NOW + timedelta(hours=5))
    session.flush()
    assert complaint.extension_seconds == 0 and complaint.resolution_due_at == NOW + timedelta(days=2)
    assert _open(session, complaint, operations.EXTENSION) == []


def test_cmp02_on_a_major_complaint_only_the_grounds_change_and_the_servers_ground_stays(ctx, world):
    session, user, _, _ = ctx
    recorded_major = _record(ctx, complaint_class="major", major_grounds=["major_loss_or_injury"])
    due = recorded_major.resolution_due_at
    operations.mark_major(
        session, user("pm"), recorded_major, ["major_loss_or_injury", "undelivered_repeated"], "又一次", NOW
    )
    session.flush()
    assert recorded_major.grounds == ["major_loss_or_injury", "undelivered_repeated"]
    assert recorded_major.resolution_due_at == due and len(_capas(session, recorded_major)) == 1
    assert _open(session, recorded_major, operations.ESCALATION) == []
    with pytest.raises(RuleViolation) as exc:  # nothing new to mark
        operations.mark_major(
            session, user("pm"), recorded_major, ["undelivered_repeated", "major_loss_or_injury"], None, NOW
        )
    assert exc.value.field == "major_grounds"

    upgraded = _in_progress(ctx, complaint_class="minor")
    later = NOW + timedelta(days=31)
    operations.upgrade_overdue(session, later)
    operations.mark_major(session, _company_user(session, world, "gm"), upgraded, ["undelivered_repeated"], None, later)
    session.flush()
    assert upgraded.grounds == ["undelivered_repeated", "unresolved_one_month"]
    assert upgraded.upgraded_at == later and len(_capas(session, upgraded)) == 1
    assert len(_open(session, upgraded, operations.ESCALATION)) == 2  # the server's, not again


def test_cmp02_who_may_mark_and_what_is_refused(ctx, world):
    session, user, _, _ = ctx
    complaint = _in_progress(ctx)
    for role in ("receptionist", "cs_supervisor", "pm_assistant", "dept_supervisor"):
        with pytest.raises(operations.NotPermitted):
            operations.mark_major(session, user(role), complaint, ["undelivered_repeated"], None, NOW)
    with pytest.raises(operations.NotPermitted):
        operations.mark_major(session, user("pm", "other"), complaint, ["undelivered_repeated"], None, NOW)
    for grounds in ([], ["unresolved_one_month"], ["no_such_ground"]):
        with pytest.raises(RuleViolation) as exc:
            operations.mark_major(session, user("pm"), complaint, grounds, None, NOW)
        assert exc.value.field == "major_grounds", grounds
    invalid = _record(ctx, complaint_class="invalid", invalid_reason="external")
    with pytest.raises(RuleViolation):
        operations.mark_major(session, user("pm"), invalid, ["undelivered_repeated"], None, NOW)
    closed = factories.make_complaint(session, session.get(Project, world.own.id), user("receptionist"), status="closed")
    with pytest.raises(RuleViolation):
        operations.mark_major(session, user("pm"), closed, ["undelivered_repeated"], None, NOW)
    session.flush()
    assert complaint.complaint_class == "important" and _capas(session, complaint) == []
