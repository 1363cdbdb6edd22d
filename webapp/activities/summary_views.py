"""ACT-15 pages: an activity's summary and the year's 社区文化活动组织一览表.

GET, POST /activities/<id>/summary          the summary: read by all, written by the CS supervisor once held
GET       /activities/register?project=&year=   社区文化活动组织一览表, printable (A4 landscape)
GET       /activities/register.xlsx?project=&year=   the same as a sheet (Chinese headers)

Rules in webapp.activities.rules (check_summary, check_summary_open), steps in
webapp.activities.summary.
"""

from __future__ import annotations

import re

import sqlalchemy.orm as so
from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from webapp.activities import rules, summary
from webapp.activities.labels import activity_status_label
from webapp.activities.models import Activity
from webapp.activities.rules import ActivityStatus, MoneyLine
from webapp.activities.views import activity_or_404, bp
from webapp.core import audit
from webapp.core.actions import field_error, saving
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip, text_area
from webapp.core.htmx import render, wants_fragment
from webapp.core.locking import EditConflict, check_version, conflict_message
from webapp.core.rulekit import RuleViolation
from webapp.core.spreadsheets import PAPERWORK_LOCALE, book_bytes, write_table, xlsx_response
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.access import can, project_for, require
from webapp.org.models import User
from webapp.org.rules import Permission
from webapp.paid_services.rules import parse_yuan

#: a summary has this many empty cost lines to fill before "Add a line"
EMPTY_COST_LINES = 2
#: and never more than this many lines (a form posted with more is cut)
MAX_COST_LINES = 50
_COST_FIELD = re.compile(r"^cost_lines-(\d+)-(item|amount)$")


class SummaryForm(FlaskForm):
    """ACT-15; the cost lines are as many as the supervisor adds, read by `_typed_lines`."""

    version = HiddenField()
    attendance = StringField(_l("How many people attended"), validators=[Length(max=10)], filters=[strip],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    went_well = text_area(3, _l("What went well"))
    shortcomings = text_area(4, _l("Shortcomings found"))


def _activity_or_404(activity_id: int) -> Activity:
    return activity_or_404(activity_id, so.joinedload(Activity.detailed_plan))


def _typed_lines(form_data) -> list[tuple[str, str]]:
    """The cost lines as typed (item, amount in yuan), in their order; lines left empty
    are dropped (the page numbers the rest again)."""
    found: dict[int, dict[str, str]] = {}
    for key in form_data:
        match = _COST_FIELD.match(key)
        if match and int(match.group(1)) < MAX_COST_LINES:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = (form_data.get(key) or "").strip()
    lines = [(found[i].get("item", ""), found[i].get("amount", "")) for i in sorted(found)]
    return [(item, amount) for item, amount in lines if item or amount]


def _money_lines(typed: list[tuple[str, str]]) -> list[MoneyLine]:
    return [MoneyLine(item, parse_yuan(amount, f"cost_lines-{i}-amount_fen")) for i, (item, amount) in
            enumerate(typed)]


def _attendance(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None


def _render(activity: Activity, form: SummaryForm | None = None, lines: list[tuple[str, str]] | None = None,
            line_errors: dict[str, str] | None = None, status: int = 200, conflict: str | None = None,
            refusal: str | None = None):
    may_write = can(Permission.SUMMARISE_ACTIVITIES, activity.project_id) and activity.status == ActivityStatus.HELD
    if may_write and form is None:
        form = SummaryForm(formdata=None)
    if form is not None:
        form.version.data = activity.version
    if lines is None:
        lines = []
    while may_write and len(lines) < EMPTY_COST_LINES:
        lines.append(("", ""))
    summarised = activity.status == ActivityStatus.SUMMARISED
    budget = summary.budget_fen(db.session, activity.id)
    costs = summary.money_lines(db.session, activity.id, summary.COST) if summarised else []
    cost_fen = sum(line.amount_fen for line in costs)
    replies = (
        rules.RsvpTotals(activity.rsvp_units or 0, activity.rsvp_heads or 0)
        if summarised
        else summary.live_rsvp_totals(db.session, activity.id)
    )
    writer = db.session.get(User, activity.summarised_by_id) if activity.summarised_by_id else None
    context = {
        "activity": activity,
        "form": form if may_write else None,
        "lines": lines,
        "line_errors": line_errors or {},
        "conflict": conflict,
        "refusal": refusal,
        "summarised": summarised,
        "budget_fen": budget,
        "budget_lines": summary.money_lines(db.session, activity.id, summary.PURCHASE),
        "costs": costs,
        "cost_fen": cost_fen,
        "difference_fen": cost_fen - budget,
        "replies": replies,
        "writer": writer,
        "may_summarise": can(Permission.SUMMARISE_ACTIVITIES, activity.project_id),
        "host": activity.detailed_plan.host if activity.detailed_plan else None,
        "activity_url": url_for("activities.activity", activity_id=activity.id),
    }
    if not wants_fragment():
        context["events"] = audit.timeline(db.session, activity)
    return render("activities/summary.html", "activities/_summary_panel.html", status, **context)


@bp.route("/<int:activity_id>/summary", methods=["GET", "POST"], endpoint="summary")
def summary_page(activity_id: int):
    """ACT-15: the summary of an activity. Written once by the CS supervisor after the day
    (held); then shown read-only, with the costs against the budget and the replies."""
    activity = _activity_or_404(activity_id)
    if request.method == "GET":
        require(Permission.VIEW_ACTIVITIES, activity.project_id)
        return _render(activity)
    require(Permission.SUMMARISE_ACTIVITIES, activity.project_id)
    try:
        rules.check_summary_open(activity.status)
    except RuleViolation as exc:
        # too early (or already written): said on the page, whatever the form carried
        return _render(activity, status=422, refusal=message(exc))
    form = SummaryForm()
    typed = _typed_lines(request.form)
    if "add_line" in request.form:
        # no JavaScript needed: the same form back with one more empty line, nothing saved
        return _render(activity, form, [*typed, ("", "")])
    submitted_version = form.version.data
    if not form.validate_on_submit():
        return _render(activity, form, typed, status=422)
    line_errors: dict[str, str] = {}
    try:
        with saving(activity):
            check_version(db.session, activity, submitted_version)
            summary.summarise(
                db.session,
                current_user,
                activity,
                attendance=_attendance(form.attendance.data),
                went_well=form.went_well.data,
                shortcomings=form.shortcomings.data,
                cost_lines=_money_lines(typed),
                now=clock_now(),
            )
    except EditConflict as exc:
        return _render(_activity_or_404(activity_id), form, typed, status=409, conflict=conflict_message(exc))
    except RuleViolation as exc:
        activity = _activity_or_404(activity_id)
        if exc.field and exc.field.startswith("cost_lines-"):
            line_errors[exc.field] = message(exc)
        else:
            field_error(form, exc)
        return _render(activity, form, typed, line_errors, status=422)
    db.session.expire_all()
    if wants_fragment():
        return _render(_activity_or_404(activity_id))
    flash(gettext("The summary is saved; the project manager is told."), "success")
    return redirect(url_for("activities.summary", activity_id=activity_id), code=303)


# ---------------------------------------------------------------------------- 社区文化活动组织一览表


def _register_choice():
    project, projects = project_for(Permission.VIEW_ACTIVITIES, request.args.get("project", type=int))
    now = clock_now()
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        year = local_date(now).year
    return project, projects, year, now


def _register_url(endpoint: str, project, year: int) -> str:
    return url_for(endpoint, project=project.id, year=year)


@bp.get("/register")
def register():
    """社区文化活动组织一览表 of a project's year (§4.6.1), for printing."""
    project, projects, year, now = _register_choice()
    rows, totals = summary.register(db.session, project.id, year)
    current = local_date(now).year
    return render_template(
        "activities/register.html",
        project=project,
        projects=projects,
        year=year,
        rows=rows,
        totals=totals,
        now=now,
        xlsx_url=_register_url("activities.register_xlsx", project, year),
        previous=(_register_url("activities.register", project, year - 1), gettext("Previous year")),
        current=(_register_url("activities.register", project, current) if year != current else None,
                 gettext("This year")),
        next=(_register_url("activities.register", project, year + 1) if year <= current else None,
              gettext("Next year")),
    )


def register_header() -> list[str]:
    """The columns of 社区文化活动组织一览表 (in the current locale)."""
    return [
        gettext("No."), gettext("Activity name"), gettext("Date"), gettext("Place"), gettext("Host"),
        gettext("Replies (households / people)"), gettext("Attendance"), gettext("Budget (yuan)"),
        gettext("Actual cost (yuan)"), gettext("Difference (yuan)"), gettext("Effect (what went well)"),
        gettext("Shortcomings found"), gettext("Summarised by"), gettext("Status"),
    ]


def _yuan_cell(fen: int | None):
    from decimal import Decimal

    return None if fen is None else Decimal(fen) / 100


@bp.get("/register.xlsx")
def register_xlsx():
    """The year's 一览表 as a sheet: Chinese whatever the reader's language."""
    project, projects, year, now = _register_choice()
    rows, totals = summary.register(db.session, project.id, year)
    with force_locale(PAPERWORK_LOCALE):
        title = gettext("Community cultural activities register")
        table = [
            [
                row.number,
                row.activity.name,
                row.activity.day.isoformat(),
                row.activity.place,
                row.host or "",
                f"{row.rsvp_units} / {row.rsvp_heads}",
                row.activity.attendance,
                _yuan_cell(row.budget_fen),
                _yuan_cell(row.cost_fen),
                _yuan_cell(row.difference_fen),
                row.activity.went_well or "",
                row.activity.shortcomings or "",
                row.summarised_by or "",
                activity_status_label(row.activity.status),
            ]
            for row in rows
        ]
        total_row = [
            gettext("Total"), "", "", "", "", f"{totals.rsvp_units} / {totals.rsvp_heads}", totals.attendance,
            _yuan_cell(totals.budget_fen), _yuan_cell(totals.cost_fen), _yuan_cell(totals.difference_fen), "", "", "", "",
        ]
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = title[:31]
        write_table(sheet, f"{title} · {project.name} · {year}", register_header(), table, total_row)
        for column in (8, 9, 10):
            for cells in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
                cells[0].number_format = "0.00"
        data = book_bytes(book)
    return xlsx_response(
        data,
        f"activities-register-{project.code}-{year}.xlsx",
        f"{title}-{project.name}-{year}.xlsx",
    )
