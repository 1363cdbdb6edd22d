"""The complaint register 业主投诉记录表 (CMP-03 b) and the monthly summary 投诉情况月汇总表
with its analysis report (CMP-07, APP-05): pages printable on A4 landscape, the same
figures as xlsx, and the analysis written by customer service and reviewed by the PM.

GET  /complaints/register?project=<id>&month=YYYY-MM      (and register.xlsx)
GET  /complaints/summary?project=<id>&month=YYYY-MM       (and summary.xlsx)
POST /complaints/summary/analysis?project=…&month=…       save the draft or submit it
POST /complaints/summary/analysis/review?project=…&month=…  the PM's review

`month` names a report month (the 26th of the previous month to the 25th with the
default cut-off day); by default the one today falls in. The figures come from
webapp.complaints.reports, where each one is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from webapp.complaints import operations, report_operations, reports, rules
from webapp.complaints.forms import (
    CALLBACK_METHOD_LABELS,
    CLASS_LABELS,
    SATISFACTION_LABELS,
    STATUS_LABELS,
)
from webapp.complaints.models import Complaint, ComplaintMonthlyReport
from webapp.complaints.reports import CLASSES, SATISFACTION_LEVELS, MonthlySummary
from webapp.complaints.rules import ComplaintStatus, RepeatKind
from webapp.complaints.views import bp
from webapp.core.actions import field_error
from webapp.core.charts import Bar, axis, scale
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.forms import text_area
from webapp.core.htmx import wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message
from webapp.core.locking import commit as commit_edit
from webapp.core.privacy import mask_phones
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.spreadsheets import (
    PAPERWORK_LOCALE,
    book_bytes,
    percent_column,
    share,
    write_table,
    xlsx_response,
)
from webapp.core.web import local_time
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, project_for
from webapp.org.models import Project
from webapp.org.rules import Permission
from webapp.slips.views import mask_contact

REPEAT_LABELS = {
    RepeatKind.OWNER: _l("Same owner"),
    RepeatKind.MATTER: _l("Same unit and department"),
}


def class_label(value: str) -> str:
    return str(CLASS_LABELS.get(value, value))


def class_labels() -> dict[str, str]:
    """Every class's label in the request's language, translated once for a page that
    names the classes dozens of times (the trend's bars, the tables' headings)."""
    return {cls: class_label(cls) for cls in CLASSES}


def satisfaction_label(value: str) -> str:
    return str(SATISFACTION_LABELS.get(value, value))


def department_label(row: reports.DepartmentRow) -> str:
    if row.department_id is None:
        return gettext("No department named")
    return row.name or gettext("Department %(id)s", id=row.department_id)


def cause_label(row: reports.CauseRow) -> str:
    return row.cause if row.cause is not None else gettext("No cause recorded yet")


def repeat_kinds_label(kinds) -> str:
    return " · ".join(str(REPEAT_LABELS[kind]) for kind in RepeatKind if kind in kinds)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


# ---------------------------------------------------------------------------- the choice


@dataclass
class Chosen:
    project: Project
    projects: list[Project]
    month_of: date
    current_month: date
    cutoff: int
    period_start: date
    period_end: date
    now: datetime

    @property
    def month(self) -> str:
        return report_operations.month_text(self.month_of)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> date | None:
    """'2026-03' → 1 March 2026; anything else → None (then the current report month)."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def _choose() -> Chosen:
    """The project (another project's: 404; one the user may not see reports of: 403)
    and the report month."""
    project, projects = project_for(Permission.VIEW_COMPLAINT_REPORTS, request.args.get("project", type=int))
    moment = clock_now()
    cutoff = report_operations.cutoff_day(db.session, project)
    current = rules.report_month_of(moment, cutoff)
    month_of = parse_month(request.args.get("month")) or current
    start, end = rules.report_period(month_of, cutoff)
    return Chosen(project, projects, month_of, current, cutoff, start, end, moment)


def _url(endpoint: str, chosen: Chosen, month_of: date | None = None) -> str:
    month_of = month_of or chosen.month_of
    return url_for(endpoint, project=chosen.project.id, month=report_operations.month_text(month_of))


def _navigation(endpoint: str, chosen: Chosen) -> dict:
    previous_month = rules.next_report_month(chosen.month_of, -1)
    next_month = rules.next_report_month(chosen.month_of, 1)
    return {
        "previous_url": _url(endpoint, chosen, previous_month),
        "next_url": _url(endpoint, chosen, next_month) if next_month <= chosen.current_month else None,
        "current_url": (
            url_for(endpoint, project=chosen.project.id) if chosen.month_of != chosen.current_month else None
        ),
        "due_on": rules.report_due(chosen.month_of, chosen.cutoff),
    }


def _period_text(chosen: Chosen) -> str:
    return gettext("%(start)s to %(end)s", start=chosen.period_start.isoformat(), end=chosen.period_end.isoformat())


# ---------------------------------------------------------------------------- the overview


@dataclass
class Figure:
    key: str
    label: str
    value: int | float | None
    is_rate: bool = False

    @property
    def text(self) -> str:
        if self.is_rate:
            return percent(self.value)
        return "—" if self.value is None else f"{self.value:g}"


def overview(summary: MonthlySummary) -> list[Figure]:
    """The key figures, in the order the page and the xlsx show them."""
    c, r, w = summary.commitment, summary.resolution, summary.waiting
    return [
        Figure("received", gettext("Complaints received"), summary.total),
        Figure("valid", gettext("of which valid"), summary.valid),
        Figure("still_open", gettext("of which still open"), summary.still_open),
        Figure("commitment_due", gettext("Commitments due"), c.due),
        Figure("commitment_on_time", gettext("Commitments on time"), c.on_time),
        Figure("commitment_late", gettext("Commitments late"), c.late),
        Figure("commitment_rate", gettext("Commitment on-time rate"), c.rate, True),
        Figure("resolution_due", gettext("Resolutions due"), r.due),
        Figure("resolution_on_time", gettext("Resolved on time"), r.on_time),
        Figure("resolution_late", gettext("Resolved late"), r.late),
        Figure("resolution_pending", gettext("Not yet due or on hold"), r.pending),
        Figure("resolution_rate", gettext("Resolution on-time rate"), r.rate, True),
        Figure("pauses", gettext("Waiting pauses started"), w.pauses),
        Figure("waited", gettext("Complaints that waited"), w.complaints),
        Figure("waiting_hours", gettext("Hours on hold"), w.hours),
        Figure("repeats", gettext("Repeat complaints"), summary.repeat_count()),
        Figure("repeats_owner", gettext("by the same owner"), summary.repeat_count(RepeatKind.OWNER)),
        Figure("repeats_matter", gettext("from the same unit about the same department"),
               summary.repeat_count(RepeatKind.MATTER)),
        Figure("upgrades", gettext("Upgraded to major (not resolved within a month)"), summary.upgrades),
        Figure("callbacks", gettext("Call-backs"), summary.callbacks),
        Figure("satisfaction_rate", gettext("Satisfaction rate"), summary.satisfaction_rate, True),
    ]


# ---------------------------------------------------------------------------- the trend chart

TREND_WIDTH = 720
TREND_HEIGHT = 240
TREND_LEFT = 34
TREND_RIGHT = 6
TREND_TOP = 14
TREND_BOTTOM = 24
#: stacked from the bottom: the serious classes first
TREND_ORDER = (rules.ComplaintClass.MAJOR, rules.ComplaintClass.IMPORTANT, rules.ComplaintClass.MINOR,
               rules.ComplaintClass.INVALID)


@dataclass
class TrendColumn:
    label: str
    #: the x of the label and the total (the column's centre)
    x: float
    total: int
    total_y: float
    current: bool


@dataclass
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: list[Bar]
    #: (y, value) of each gridline
    gridlines: list[tuple[float, int]]
    columns: list[TrendColumn]


def trend_chart(summary: MonthlySummary) -> TrendChart:
    """Complaints per report month, a column per month stacked by class, twelve months."""
    top, values = axis(max([0] + [point.total for point in summary.trend]))
    plot_height = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    unit = scale(top, plot_height)
    baseline = TREND_HEIGHT - TREND_BOTTOM
    slot = (TREND_WIDTH - TREND_LEFT - TREND_RIGHT) / max(1, len(summary.trend))
    width = slot * 0.6
    bars, columns = [], []
    labels = class_labels()
    for index, point in enumerate(summary.trend):
        x = TREND_LEFT + index * slot + (slot - width) / 2
        y = baseline
        month = report_operations.month_text(point.month_of)
        for cls in TREND_ORDER:
            count = point.by_class.get(cls, 0)
            if count:
                height = count * unit
                y -= height
                bars.append(Bar(x, y, width, f"trend-{cls.value}", f"{month} · {labels.get(cls) or class_label(cls)}: {count}", height))
        columns.append(
            TrendColumn(month, x + width / 2, point.total, y - 3, point.month_of == summary.month_of)
        )
    gridlines = [(baseline - value * unit, value) for value in values]
    return TrendChart(TREND_WIDTH, TREND_HEIGHT, TREND_LEFT, TREND_WIDTH - TREND_RIGHT, baseline, bars, gridlines,
                      columns)


# ---------------------------------------------------------------------------- the analysis report


class AnalysisForm(FlaskForm):
    version = HiddenField()
    analysis = text_area(10, _l("Analysis"), limit=report_operations.MAX_ANALYSIS)


class ReviewForm(FlaskForm):
    version = HiddenField()
    review_note = text_area(3, _l("Remarks"), limit=report_operations.MAX_ANALYSIS)


def _analysis_context(
    chosen: Chosen,
    report: ComplaintMonthlyReport | None,
    form: AnalysisForm | None = None,
    review_form: ReviewForm | None = None,
    conflict: str | None = None,
) -> dict:
    may_write = can(Permission.WRITE_COMPLAINT_ANALYSIS, chosen.project.id)
    may_review = can(Permission.REVIEW_COMPLAINT_ANALYSIS, chosen.project.id)
    submitted = report is not None and report.submitted_at is not None
    due_on = rules.report_due(chosen.month_of, chosen.cutoff)
    if form is None and may_write and not submitted:
        form = AnalysisForm(formdata=None, analysis=report.analysis if report else None)
    if review_form is None and may_review and submitted and report.reviewed_at is None:
        review_form = ReviewForm(formdata=None)
    for each in (form, review_form):
        if each is not None:
            each.version.data = report.version if report is not None else ""
    return {
        "report": report,
        "analysis_form": form if may_write and not submitted else None,
        "review_form": review_form if may_review and submitted and report.reviewed_at is None else None,
        "analysis_url": _url("complaints.save_analysis", chosen),
        "review_url": _url("complaints.review_analysis", chosen),
        "conflict": conflict,
        "due_on": due_on,
        "overdue": not submitted and local_date(chosen.now) > due_on,
    }


def _render_analysis(chosen: Chosen, status: int = 200, **context):
    report = report_operations.find_report(db.session, chosen.project.id, chosen.month_of, chosen.cutoff)
    return (
        render_template("complaints/_analysis.html", **_analysis_context(chosen, report, **context)),
        status,
        {"Vary": "HX-Request"},
    )


def _analysis_step(chosen: Chosen, form, permission: Permission, do, done_message: str, form_name: str):
    """The shape of both analysis steps: 403, parse, version, operate, commit; then the
    fresh panel (HTMX) or 303 to the summary; 422 with the text kept; 409 on a conflict."""
    if not can(permission, chosen.project.id):
        abort(403)
    if not form.validate_on_submit():
        return _render_or_page(chosen, 422, **{form_name: form})
    report = report_operations.find_report(db.session, chosen.project.id, chosen.month_of, chosen.cutoff)
    try:
        if report is not None and report.updated_by_id is not None:
            check_version(db.session, report, form.version.data)
        report = do(report, form, clock_now())
        commit_edit(db.session, report)
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except EditConflict as exc:
        db.session.rollback()
        return _render_or_page(chosen, 409, conflict=conflict_message(exc), **{form_name: form})
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _render_or_page(chosen, 422, **{form_name: form})
    if wants_fragment():
        db.session.expire_all()
        return _render_analysis(chosen)
    flash(done_message, "success")
    return redirect(_url("complaints.summary", chosen) + "#complaint-analysis", code=303)


def _render_or_page(chosen: Chosen, status: int, **context):
    if wants_fragment():
        return _render_analysis(chosen, status, **context)
    return _summary_page(chosen, status, **context)


@bp.post("/summary/analysis")
def save_analysis():
    """The draft kept, or submitted to the PM (the "submit" button)."""
    chosen = _choose()
    submit = request.form.get("action") == "submit"

    def do(report, form, now):
        return report_operations.save_analysis(
            db.session, current_user, chosen.project, chosen.month_of, form.analysis.data, now, submit=submit
        )

    done = gettext("Analysis submitted to the project manager.") if submit else gettext("Draft saved.")
    return _analysis_step(chosen, AnalysisForm(), Permission.WRITE_COMPLAINT_ANALYSIS, do, done, "form")


@bp.post("/summary/analysis/review")
def review_analysis():
    """The PM marks the submitted analysis reviewed."""
    chosen = _choose()

    def do(report, form, now):
        if report is None:
            raise RuleViolation(N_("Nothing has been submitted for review yet."), field="review_note")
        return report_operations.review_analysis(db.session, current_user, report, form.review_note.data, now)

    return _analysis_step(
        chosen, ReviewForm(), Permission.REVIEW_COMPLAINT_ANALYSIS, do, gettext("Marked as reviewed."), "review_form"
    )


# ---------------------------------------------------------------------------- the summary


def _summary(chosen: Chosen) -> MonthlySummary:
    return reports.monthly_summary(db.session, chosen.project.id, chosen.month_of, chosen.cutoff, chosen.now)


def _summary_page(chosen: Chosen, status: int = 200, **analysis):
    summary = _summary(chosen)
    labels = class_labels()
    report = report_operations.find_report(db.session, chosen.project.id, chosen.month_of, chosen.cutoff)
    return (
        render_template(
            "complaints/summary.html",
            chosen=chosen,
            project=chosen.project,
            projects=chosen.projects,
            summary=summary,
            period_text=_period_text(chosen),
            figures=overview(summary),
            classes=CLASSES,
            satisfaction_levels=SATISFACTION_LEVELS,
            class_label=lambda cls: labels.get(cls) or class_label(cls),
            department_label=department_label,
            cause_label=cause_label,
            repeat_kinds_label=repeat_kinds_label,
            percent=percent,
            rate=rules.rate,
            chart=trend_chart(summary),
            trend_order=TREND_ORDER,
            xlsx_url=_url("complaints.summary_xlsx", chosen),
            register_url=_url("complaints.register", chosen),
            **{**_navigation("complaints.summary", chosen), **_analysis_context(chosen, report, **analysis)},
        ),
        status,
        {"Vary": "HX-Request"},
    )


@bp.get("/summary")
def summary():
    return _summary_page(_choose())


@bp.get("/summary.xlsx")
def summary_xlsx():
    chosen = _choose()
    summary = _summary(chosen)
    report = report_operations.find_report(db.session, chosen.project.id, chosen.month_of, chosen.cutoff)
    with force_locale(PAPERWORK_LOCALE):
        data = summary_workbook(chosen, summary, report)
        title = gettext("Monthly complaint summary")
    return xlsx_response(
        data,
        f"complaint-summary-{chosen.project.code}-{chosen.month}.xlsx",
        f"{title}-{chosen.project.name}-{chosen.month}.xlsx",
    )


def summary_workbook(chosen: Chosen, summary: MonthlySummary, report: ComplaintMonthlyReport | None) -> bytes:
    """投诉情况月汇总表: the key figures; by class; by department; by cause; satisfaction;
    the twelve-month trend; the repeats; the analysis. Titles name the project and period."""
    from openpyxl import Workbook

    period = _period_text(chosen)

    def heading(title: str) -> str:
        return f"{chosen.project.name} · {title} · {period}"

    total = gettext("Total")
    count = gettext("Count")
    book = Workbook()

    sheet = book.active
    sheet.title = gettext("Summary")
    figures = overview(summary)
    write_table(
        sheet,
        heading(gettext("Monthly complaint summary")),
        [gettext("Figure"), gettext("Value")],
        [[f.label, share(f.value) if f.is_rate else f.value] for f in figures],
    )
    for row_number, f in enumerate(figures, start=3):
        if f.is_rate:
            sheet.cell(row=row_number, column=2).number_format = "0%"

    by_class = book.create_sheet(gettext("By class"))
    write_table(
        by_class,
        heading(gettext("Complaints by class")),
        [gettext("Class"), count, gettext("Share")],
        [[class_label(c), summary.by_class[c], share(rules.rate(summary.by_class[c], summary.total))] for c in CLASSES],
        [total, summary.total, share(rules.rate(summary.total, summary.total))],
    )
    percent_column(by_class, 3)

    by_department = book.create_sheet(gettext("By department"))
    write_table(
        by_department,
        heading(gettext("Complaints by department complained about")),
        [gettext("Department"), *(class_label(c) for c in CLASSES), total],
        [[department_label(row), *(row.by_class[c] for c in CLASSES), row.total] for row in summary.departments],
        [total, *(summary.by_class[c] for c in CLASSES), summary.total],
    )

    by_cause = book.create_sheet(gettext("By cause"))
    write_table(
        by_cause,
        heading(gettext("Complaints by cause")),
        [gettext("Cause"), count],
        [[cause_label(row), row.count] for row in summary.causes],
        [total, summary.total],
    )

    satisfaction = book.create_sheet(gettext("Satisfaction"))
    write_table(
        satisfaction,
        heading(gettext("Satisfaction at call-back")),
        [gettext("Owner's answer"), gettext("Call-backs"), gettext("Share")],
        [
            [satisfaction_label(level), summary.satisfaction[level],
             share(rules.rate(summary.satisfaction[level], summary.callbacks))]
            for level in SATISFACTION_LEVELS
        ],
        [gettext("Satisfaction rate"), summary.callbacks, share(summary.satisfaction_rate)],
    )
    percent_column(satisfaction, 3)

    trend = book.create_sheet(gettext("Trend"))
    write_table(
        trend,
        heading(gettext("Complaints over twelve months")),
        [gettext("Month"), gettext("From"), gettext("To"), *(class_label(c) for c in CLASSES), total],
        [
            [report_operations.month_text(p.month_of), p.start.isoformat(), p.end.isoformat(),
             *(p.by_class[c] for c in CLASSES), p.total]
            for p in summary.trend
        ],
    )

    repeats = book.create_sheet(gettext("Repeat complaints"))
    names = {row.department_id: department_label(row) for row in summary.departments}
    write_table(
        repeats,
        heading(gettext("Repeat complaints")),
        [gettext("Number"), gettext("Received at"), gettext("Department complained about"), gettext("Repeats"),
         gettext("Earlier complaint")],
        [
            [r.number, local_time(r.received_at), names.get(r.department_id, "") if r.department_id else "",
             repeat_kinds_label(r.kinds), r.previous_number]
            for r in summary.repeats
        ],
    )

    analysis = book.create_sheet(gettext("Analysis report"))
    write_table(
        analysis,
        heading(gettext("Analysis report")),
        [gettext("Item"), gettext("Content")],
        _analysis_rows(report),
        maximum_width=100,
    )
    from openpyxl.styles import Alignment

    for row in analysis.iter_rows(min_row=3, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    return book_bytes(book)


def _analysis_rows(report: ComplaintMonthlyReport | None) -> list[list]:
    if report is None:
        return [[gettext("Analysis"), gettext("Not written yet")]]
    return [
        [gettext("Analysis"), report.analysis or gettext("Not written yet")],
        [gettext("Submitted by"), report.submitted_by.display_name if report.submitted_by else ""],
        [gettext("Submitted"), local_time(report.submitted_at)],
        [gettext("Reviewed by"), report.reviewed_by.display_name if report.reviewed_by else ""],
        [gettext("Reviewed"), local_time(report.reviewed_at)],
        [gettext("Remarks"), report.review_note or ""],
    ]


# ---------------------------------------------------------------------------- the register


@dataclass
class RegisterRow:
    """One line of 业主投诉记录表 with its clocks judged (late: True; None: not decided)."""

    complaint: Complaint
    resolution_due: datetime
    resolution_done: datetime | None
    commitment_late: bool
    resolution_late: bool

    @property
    def callback(self):
        return self.complaint.callbacks[-1] if self.complaint.callbacks else None


def register_row(complaint: Complaint, now: datetime) -> RegisterRow:
    due = operations.current_resolution_due(complaint, now)
    done = operations.resolution_done_at(complaint)
    commitment = rules.met_on_time(complaint.commitment_due_at, complaint.commitment_done_at, now)
    resolution = rules.met_on_time(due, done, now)
    if done is None and complaint.status == ComplaintStatus.WAITING:
        resolution = None
    return RegisterRow(complaint, due, done, commitment is False, resolution is False)


def _register_rows(chosen: Chosen) -> list[RegisterRow]:
    entries = reports.register_entries(db.session, chosen.project.id, chosen.month_of, chosen.cutoff)
    return [register_row(c, chosen.now) for c in entries]


def owner_text(complaint: Complaint) -> str:
    """Unit, owner and contact, phone numbers masked (EST-03)."""
    parts = []
    if complaint.unit is not None:
        parts.append(complaint.unit.label)
    if complaint.owner is not None:
        parts.append(f"{complaint.owner.name} {mask_contact(complaint.owner.phone)}".strip())
    if complaint.owner_contact:
        parts.append(mask_contact(complaint.owner_contact))
    return " · ".join(parts)


def complained_text(complaint: Complaint) -> str:
    parts = [
        complaint.complained_department.name if complaint.complained_department else None,
        complaint.complained_user.display_name if complaint.complained_user else None,
        complaint.complained_person,
    ]
    return " · ".join(p for p in parts if p)


def event_text(complaint: Complaint) -> str:
    return " · ".join(p for p in (local_time(complaint.event_time), complaint.event_place) if p)


def callback_text(row: RegisterRow) -> str:
    callback = row.callback
    if callback is None:
        return ""
    parts = [
        local_time(callback.called_at),
        str(CALLBACK_METHOD_LABELS.get(callback.method, callback.method)),
        satisfaction_label(callback.satisfaction),
        callback.comment,
    ]
    return " · ".join(p for p in parts if p)


@bp.get("/register")
def register():
    chosen = _choose()
    return render_template(
        "complaints/register.html",
        chosen=chosen,
        project=chosen.project,
        projects=chosen.projects,
        rows=_register_rows(chosen),
        period_text=_period_text(chosen),
        owner_text=owner_text,
        complained_text=complained_text,
        event_text=event_text,
        callback_text=callback_text,
        xlsx_url=_url("complaints.register_xlsx", chosen),
        summary_url=_url("complaints.summary", chosen),
        **_navigation("complaints.register", chosen),
    )


@bp.get("/register.xlsx")
def register_xlsx():
    chosen = _choose()
    rows = _register_rows(chosen)
    with force_locale(PAPERWORK_LOCALE):
        data = register_workbook(chosen, rows)
        title = gettext("Complaint register")
    return xlsx_response(
        data,
        f"complaint-register-{chosen.project.code}-{chosen.month}.xlsx",
        f"{title}-{chosen.project.name}-{chosen.month}.xlsx",
    )


#: the (due, done) columns of each clock, painted red when it ran late
COMMITMENT_COLUMNS = (9, 10)
RESOLUTION_COLUMNS = (11, 12)


def register_workbook(chosen: Chosen, rows: list[RegisterRow]) -> bytes:
    """业主投诉记录表 as a sheet: the page's columns, late moments in red."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Complaint register")
    header = [
        gettext("Number"), gettext("Received at"), gettext("Owner and unit"), gettext("When and where"),
        gettext("Complained about"), gettext("What happened"), gettext("What the owner asks for"),
        gettext("Class"), gettext("Commitment due"), gettext("Committed"), gettext("Resolution due"),
        gettext("Resolved"), gettext("Measures taken"), gettext("Answer to the owner"),
        gettext("Call-back and satisfaction"), gettext("Status"),
    ]
    values = [
        [
            row.complaint.number,
            local_time(row.complaint.received_at),
            owner_text(row.complaint),
            event_text(row.complaint),
            complained_text(row.complaint),
            # phone numbers in the owner's and the staff's words masked too (EST-03)
            mask_phones(row.complaint.description or ""),
            mask_phones(row.complaint.owner_request or ""),
            class_label(row.complaint.complaint_class),
            local_time(row.complaint.commitment_due_at),
            local_time(row.complaint.commitment_done_at),
            local_time(row.resolution_due),
            local_time(row.resolution_done),
            mask_phones(row.complaint.measures or ""),
            mask_phones(row.complaint.answer or ""),
            mask_phones(callback_text(row) or ""),
            str(STATUS_LABELS.get(row.complaint.status, row.complaint.status)),
        ]
        for row in rows
    ]
    write_table(
        sheet,
        f"{chosen.project.name} · {gettext('Complaint register')} · {_period_text(chosen)}",
        header,
        values,
        maximum_width=30,
    )
    late = Font(color="B3261E", bold=True)
    for row_number, row in enumerate(rows, start=3):
        for cell in sheet[row_number]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for is_late, columns in ((row.commitment_late, COMMITMENT_COLUMNS), (row.resolution_late, RESOLUTION_COLUMNS)):
            if is_late:
                for column in columns:
                    sheet.cell(row=row_number, column=column).font = late
    return book_bytes(book)
