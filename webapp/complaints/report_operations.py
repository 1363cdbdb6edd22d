"""The month's analysis report (出具分析报告, 上呈项目经理审阅: CMP-07, 篇4 §4.5): customer
service writes it (QA may too), submits it to the project manager, the PM marks it
reviewed; the sweep puts it in the writers' "My work" from the start of the period's
last week until it is submitted.

Each verb takes the session, the acting user and `now`, checks the permission in the
project (NotPermitted), writes one audit event and moves the work items. The caller
commits.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, url_for
from flask_babel import force_locale, gettext

from webapp.complaints import rules
from webapp.complaints.models import ComplaintMonthlyReport
from webapp.core import audit, notify
from webapp.core.clock import end_of_day, local_midnight
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.core.spreadsheets import PAPERWORK_LOCALE
from webapp.org.access import check as _require
from webapp.org.models import Company, Project, User
from webapp.org.queries import users_with_roles
from webapp.org.rules import Permission, Role

#: work item kinds
WRITE = "complaint_analysis"
REVIEW = "complaint_analysis_review"
#: who is reminded to write it: the SOP gives the monthly statistics to customer service
WRITER_ROLES = (Role.CS_SUPERVISOR.value,)
REVIEWER_ROLES = (Role.PM.value,)
MAX_ANALYSIS = 10000

audit.ACTION_LABELS.update(
    {
        "complaint_analysis_saved": N_("saved the draft of the monthly complaint analysis"),
        "complaint_analysis_submitted": N_("submitted the monthly complaint analysis to the PM"),
        "complaint_analysis_reviewed": N_("reviewed the monthly complaint analysis"),
    }
)


def month_text(month_of: date) -> str:
    return month_of.strftime("%Y-%m")


def cutoff_day(session: so.Session, project: Project) -> int:
    """The company's cut-off day (篇4: the 25th unless the company set another)."""
    company = session.get(Company, project.company_id)
    return company.report_cutoff_day if company and company.report_cutoff_day else rules.DEFAULT_CUTOFF_DAY


def _summary_link(project_id: int, month_of: date) -> str:
    if has_request_context():
        return url_for("complaints.summary", project=project_id, month=month_text(month_of))
    return f"/complaints/summary?project={project_id}&month={month_text(month_of)}"


def _title(msgid: str, **params) -> str:
    """In the acting user's language; the sweep writes in the company's (Chinese)."""
    if has_request_context():
        return gettext(msgid, **params)
    with force_locale(PAPERWORK_LOCALE):
        return gettext(msgid, **params)


def _due_at(report: ComplaintMonthlyReport) -> datetime:
    """Due on the cut-off day, by its end."""
    return end_of_day(local_midnight(report.period_end))


def find_report(
    session: so.Session, project_id: int, month_of: date, cutoff: int
) -> ComplaintMonthlyReport | None:
    period_start, _ = rules.report_period(month_of, cutoff)
    return session.scalars(
        sa.select(ComplaintMonthlyReport)
        .where(ComplaintMonthlyReport.project_id == project_id, ComplaintMonthlyReport.period_start == period_start)
        .options(so.joinedload(ComplaintMonthlyReport.submitted_by), so.joinedload(ComplaintMonthlyReport.reviewed_by))
    ).first()


def _report_for(session: so.Session, project_id: int, month_of: date, cutoff: int, now: datetime):
    """The period's report, a new one (not yet flushed) if there is none."""
    report = find_report(session, project_id, month_of, cutoff)
    if report is None:
        period_start, period_end = rules.report_period(month_of, cutoff)
        report = ComplaintMonthlyReport(
            project_id=project_id, period_start=period_start, period_end=period_end, created_at=now
        )
        session.add(report)
    return report


def save_analysis(
    session: so.Session,
    actor: User,
    project: Project,
    month_of: date,
    text: str | None,
    now: datetime,
    *,
    submit: bool,
) -> ComplaintMonthlyReport:
    """Keep the draft, or submit it to the PM (then it is in the PM's work to review and
    can no longer be changed)."""
    _require(actor, Permission.WRITE_COMPLAINT_ANALYSIS, project.id)
    cutoff = cutoff_day(session, project)
    report = _report_for(session, project.id, month_of, cutoff, now)
    if report.submitted_at is not None:
        raise RuleViolation(N_("The analysis has been submitted and can no longer be changed."), field="analysis")
    required = N_("Write the analysis before submitting it.") if submit else None
    report.analysis = clean_text(text, "analysis", required, MAX_ANALYSIS)
    report.updated_by_id = actor.id
    if not submit:
        audit.record(session, report, "complaint_analysis_saved", actor_id=actor.id, to_state="draft")
        return report
    report.submitted_by_id = actor.id
    report.submitted_at = now
    audit.record(
        session,
        report,
        "complaint_analysis_submitted",
        actor_id=actor.id,
        from_state="draft",
        to_state="submitted",
        note=report.analysis[:500],
    )
    notify.close_work(session, entity=report, kind=WRITE, done_by_id=actor.id)
    _hand_to(session, report, month_of, REVIEW, REVIEWER_ROLES,
             N_("Review the complaint analysis of %(start)s to %(end)s"))
    return report


def _hand_to(
    session: so.Session,
    report: ComplaintMonthlyReport,
    month_of: date,
    kind: str,
    roles: tuple[str, ...],
    msgid: str,
    *,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Put the report in the work of `roles` in its project and tell the people holding
    them (once per `dedupe_key`, when given). Returns how many work items are new."""
    title = _title(msgid, start=report.period_start.isoformat(), end=report.period_end.isoformat())
    link = _summary_link(report.project_id, month_of)
    opened = 0
    for role in roles:
        item = notify.open_work(
            session,
            project_id=report.project_id,
            kind=kind,
            title=title,
            link=link,
            entity=report,
            assignee_role=role,
            due_at=due_at,
            dedupe_key=f"{dedupe_key}:{role}" if dedupe_key else None,
        )
        if item.id is None:  # not flushed yet: new, not the one the dedupe key found
            opened += 1
    notify.notify(
        session,
        users_with_roles(session, report.project_id, roles),
        project_id=report.project_id,
        title=title,
        link=link,
        dedupe_key=dedupe_key,
    )
    return opened


def review_analysis(
    session: so.Session, actor: User, report: ComplaintMonthlyReport, note: str | None, now: datetime
) -> ComplaintMonthlyReport:
    """The PM has read the submitted analysis (审阅), with remarks if any."""
    _require(actor, Permission.REVIEW_COMPLAINT_ANALYSIS, report.project_id)
    if report.submitted_at is None:
        raise RuleViolation(N_("Nothing has been submitted for review yet."), field="review_note")
    if report.reviewed_at is not None:
        raise RuleViolation(N_("The analysis has already been reviewed."), field="review_note")
    report.review_note = clean_text(note, "review_note", None, MAX_ANALYSIS)
    report.reviewed_by_id = actor.id
    report.reviewed_at = now
    report.updated_by_id = actor.id
    audit.record(
        session,
        report,
        "complaint_analysis_reviewed",
        actor_id=actor.id,
        from_state="submitted",
        to_state="reviewed",
        note=report.review_note[:500] if report.review_note else None,
    )
    notify.close_work(session, entity=report, kind=REVIEW, done_by_id=actor.id)
    return report


def remind_analysis_due(session: so.Session, now: datetime) -> int:
    """For the sweep: from the start of a period's last week, each active project whose
    analysis is not submitted has it in its writers' "My work", due at the end of the
    cut-off day, and they are told once (rules.analysis_dedupe_key). Returns how many
    reminders were new."""
    projects = session.execute(
        sa.select(Project, Company.report_cutoff_day)
        .join(Company, Company.id == Project.company_id)
        .where(Project.active)
        .order_by(Project.id)
        .execution_options(all_projects=True)
    ).all()
    opened = 0
    for project, cutoff in projects:
        cutoff = cutoff or rules.DEFAULT_CUTOFF_DAY
        month_of = rules.analysis_to_remind(now, cutoff)
        if month_of is None:
            continue
        report = _report_for(session, project.id, month_of, cutoff, now)
        if report.submitted_at is not None:
            continue
        session.flush()
        opened += _hand_to(
            session,
            report,
            month_of,
            WRITE,
            WRITER_ROLES,
            N_("Write the complaint analysis of %(start)s to %(end)s for the PM"),
            due_at=_due_at(report),
            dedupe_key=rules.analysis_dedupe_key(project.id, report.period_start),
        )
    return opened
