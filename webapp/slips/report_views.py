"""The weekly summary 信息传递汇总表 (SLIP-09, APP-05): the page with its chart, printable
on A4 landscape, and the same figures as an xlsx.

GET /slips/summary?week=YYYY-MM-DD&project=<id> — any day of the week; by default the
current week of the first project the user may summarise. The figures come from
webapp.slips.reports, where each one is defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from webapp.core.charts import Bar, scale
from webapp.core.clock import local_date, local_midnight, now
from webapp.core.spreadsheets import (
    PAPERWORK_LOCALE,
    book_bytes,
    percent_column,
    share,
    write_table,
    xlsx_response,
)
from webapp.extensions import db
from webapp.org.access import project_for
from webapp.org.models import Project
from webapp.org.rules import Permission
from webapp.slips.forms import CATEGORY_LABELS
from webapp.slips.reports import CATEGORIES, MEASURES, Row, Summary, weekly_summary
from webapp.slips.rules import week_bounds
from webapp.slips.views import bp

MEASURE_LABELS = {
    "filed": _l("Filed by its staff"),
    "against": _l("Against it"),
    "on_time": _l("Rectified on time"),
    "late": _l("Rectified late"),
    "failures": _l("Verification failures"),
    "open": _l("Still open"),
    "escalated": _l("Escalated to the PM"),
}
XLSX_LOCALE = PAPERWORK_LOCALE


def measure_label(measure: str) -> str:
    return str(MEASURE_LABELS[measure])


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def row_label(row: Row) -> str:
    if row.department_id is None:
        return gettext("No department / not yet assigned")
    return row.name or gettext("Department %(id)s", id=row.department_id)


# ---------------------------------------------------------------------------- the choice


@dataclass
class Chosen:
    project: Project
    monday: date
    summary: Summary
    projects: list[Project]


def _day(text: str | None, today: date) -> date:
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        return today


def _choose() -> Chosen:
    """The project (another project's: 404; one the user may not summarise: 403) and week."""
    project, projects = project_for(Permission.VIEW_SLIP_SUMMARY, request.args.get("project", type=int))
    moment = now()
    day = _day(request.args.get("week"), local_date(moment))
    start, end = week_bounds(local_midnight(day))
    summary = weekly_summary(db.session, project.id, start, end, moment)
    return Chosen(project=project, monday=local_date(start), summary=summary, projects=projects)


# ---------------------------------------------------------------------------- the chart

CHART_WIDTH = 720
LABEL_WIDTH = 150
VALUE_WIDTH = 40
BAR_HEIGHT = 14
ROW_GAP = 14
TOP = 8


@dataclass
class ChartRow:
    label: str
    y: float
    bars: list[Bar]
    #: (y of the text baseline, x, the figure shown at the bar's end)
    values: list[tuple[float, float, int]]


@dataclass
class Chart:
    width: int
    height: int
    rows: list[ChartRow]
    label_x: int = LABEL_WIDTH - 8
    bar_height: int = BAR_HEIGHT - 1


def chart(summary: Summary) -> Chart:
    """Two bars per department: slips its staff filed, and slips against it split into
    rectified on time, late and the rest (open within the deadline, unassigned)."""
    rows = [row for row in summary.rows if not row.is_empty] or summary.rows
    unit = scale(max([0] + [max(row.filed, row.against) for row in rows]), CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH)
    drawn = []
    y = TOP
    for row in rows:
        name = row_label(row)
        bars = [Bar(LABEL_WIDTH, y, row.filed * unit, "bar-filed", f"{name} · {measure_label('filed')}: {row.filed}")]
        x = LABEL_WIDTH
        rest = row.against - row.on_time - row.late
        for css, count, label in (
            ("bar-on-time", row.on_time, measure_label("on_time")),
            ("bar-late", row.late, measure_label("late")),
            ("bar-other", rest, gettext("Other slips against it")),
        ):
            if count > 0:
                bars.append(Bar(x, y + BAR_HEIGHT, count * unit, css, f"{name} · {label}: {count}"))
                x += count * unit
        values = [
            (y + BAR_HEIGHT - 3, LABEL_WIDTH + row.filed * unit + 4, row.filed),
            (y + 2 * BAR_HEIGHT - 3, LABEL_WIDTH + row.against * unit + 4, row.against),
        ]
        drawn.append(ChartRow(name, y + BAR_HEIGHT + 4, bars, values))
        y += 2 * BAR_HEIGHT + ROW_GAP
    return Chart(width=CHART_WIDTH, height=int(y - ROW_GAP + TOP), rows=drawn)


# ---------------------------------------------------------------------------- links


def _week_url(endpoint: str, project: Project, monday: date) -> str:
    return url_for(endpoint, project=project.id, week=monday.isoformat())


# ---------------------------------------------------------------------------- routes


@bp.get("/summary")
def summary():
    chosen = _choose()
    current_monday = local_date(week_bounds(now())[0])
    previous_week = chosen.monday - timedelta(days=7)
    next_week = chosen.monday + timedelta(days=7)
    return render_template(
        "slips/summary.html",
        project=chosen.project,
        projects=chosen.projects,
        summary=chosen.summary,
        monday=chosen.monday,
        sunday=chosen.monday + timedelta(days=6),
        previous_url=_week_url("slips.summary", chosen.project, previous_week),
        next_url=_week_url("slips.summary", chosen.project, next_week) if next_week <= current_monday else None,
        this_week_url=(
            url_for("slips.summary", project=chosen.project.id) if chosen.monday != current_monday else None
        ),
        xlsx_url=_week_url("slips.summary_xlsx", chosen.project, chosen.monday),
        measures=MEASURES,
        categories=CATEGORIES,
        measure_label=measure_label,
        category_label=category_label,
        row_label=row_label,
        chart=chart(chosen.summary),
    )


@bp.get("/summary.xlsx")
def summary_xlsx():
    chosen = _choose()
    with force_locale(XLSX_LOCALE):
        data = workbook(chosen.project, chosen.monday, chosen.summary)
        title = gettext("Slip summary")
    day = chosen.monday.isoformat()
    return xlsx_response(
        data, f"slip-summary-{chosen.project.code}-{day}.xlsx", f"{title}-{chosen.project.name}-{day}.xlsx"
    )


# ---------------------------------------------------------------------------- the xlsx


def workbook(project: Project, monday: date, summary: Summary) -> bytes:
    """Sheet 1: department × measures with totals; sheet 2: slips against each department
    by category. Titles name the project and the week (Asia/Shanghai dates)."""
    from openpyxl import Workbook

    sunday = monday + timedelta(days=6)
    week = gettext("%(start)s to %(end)s", start=monday.isoformat(), end=sunday.isoformat())
    department = gettext("Department")
    total = gettext("Total")

    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Summary")
    write_table(
        sheet,
        f"{project.name} · {gettext('Slip summary')} · {week}",
        [department, *(measure_label(m) for m in MEASURES), gettext("On-time rate")],
        [[row_label(row), *(getattr(row, m) for m in MEASURES), _rate(row)] for row in summary.rows],
        [total, *(getattr(summary.totals, m) for m in MEASURES), _rate(summary.totals)],
    )
    percent_column(sheet, len(MEASURES) + 2)

    by_category = book.create_sheet(gettext("By category"))
    write_table(
        by_category,
        f"{project.name} · {gettext('Slips against each department by category')} · {week}",
        [department, *(category_label(c) for c in CATEGORIES), total],
        [[row_label(row), *(row.by_category[c] for c in CATEGORIES), row.against] for row in summary.rows],
        [total, *(summary.totals.by_category[c] for c in CATEGORIES), summary.totals.against],
    )
    return book_bytes(book)


def _rate(row: Row) -> float | None:
    return share(row.on_time_rate)
