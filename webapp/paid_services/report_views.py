"""家政服务汇总表 (SVC-07, APP-05): a month of paid services per technician and per item,
with a chart, printable on A4 landscape, and the same figures as an xlsx.

GET /services/summary?project=<id>&month=YYYY-MM&department=<id>       (and summary.xlsx)

By default the current month of the first project the user may see it for, every
department. The figures come from webapp.paid_services.reports, where each is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from webapp.core.charts import Bar, scale
from webapp.core.clock import now as clock_now
from webapp.core.spreadsheets import PAPERWORK_LOCALE, book_bytes, write_table, xlsx_response
from webapp.extensions import db
from webapp.org.access import project_for
from webapp.org.models import Department, Project
from webapp.org.rules import Permission
from webapp.paid_services.reports import MEASURES, Row, Summary, monthly_summary
from webapp.paid_services.rules import format_quantity, summary_month_of, summary_period
from webapp.paid_services.views import bp

MEASURE_LABELS = {
    "jobs": _l("Jobs"),
    "revenue_fen": _l("Revenue"),
    "satisfaction": _l("Average satisfaction"),
    "qualified": _l("Up to standard"),
    "unqualified": _l("Not up to standard"),
    "unchecked": _l("Not checked yet"),
    "refusals": _l("Refusals to sign"),
}


def measure_label(measure: str) -> str:
    return str(MEASURE_LABELS[measure])


def yuan_amount(fen: int) -> Decimal:
    """Fen as a number of yuan for a spreadsheet cell (exact: never a float)."""
    return Decimal(fen) / 100


# ---------------------------------------------------------------------------- the choice

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> date | None:
    """'2026-03' → 1 March 2026; anything else → None (then the current month)."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_text(month_of: date) -> str:
    return f"{month_of.year:04d}-{month_of.month:02d}"


def shift_month(month_of: date, months: int) -> date:
    index = month_of.year * 12 + month_of.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Chosen:
    project: Project
    projects: list[Project]
    departments: list[Department]
    department: Department | None
    month_of: date
    current_month: date
    summary: Summary

    @property
    def month(self) -> str:
        return month_text(self.month_of)


def _choose() -> Chosen:
    """The project (another project's: 404; one the user may not see the summary of: 403),
    the month (a month not yet begun: the current one) and the department (one not of the
    project: all of them)."""
    project, projects = project_for(Permission.VIEW_SERVICE_SUMMARY, request.args.get("project", type=int))
    moment = clock_now()
    current = summary_month_of(moment)
    month_of = parse_month(request.args.get("month")) or current
    if month_of > current:
        month_of = current
    departments = list(
        db.session.scalars(
            sa.select(Department).where(Department.project_id == project.id).order_by(Department.name, Department.id)
        )
    )
    wanted = request.args.get("department", type=int)
    department = next((d for d in departments if d.id == wanted), None)
    summary = monthly_summary(db.session, project.id, month_of, moment, department.id if department else None)
    return Chosen(project, projects, departments, department, month_of, current, summary)


def _url(endpoint: str, chosen: Chosen, month_of: date | None = None) -> str:
    values = {"project": chosen.project.id, "month": month_text(month_of or chosen.month_of)}
    if chosen.department is not None:
        values["department"] = chosen.department.id
    return url_for(endpoint, **values)


def _period_text(chosen: Chosen) -> str:
    first, last = summary_period(chosen.month_of)
    return gettext("%(start)s to %(end)s", start=first.isoformat(), end=last.isoformat())


def _scope_text(chosen: Chosen) -> str:
    return chosen.department.name if chosen.department else gettext("All departments")


# ---------------------------------------------------------------------------- the chart

CHART_WIDTH = 720
LABEL_WIDTH = 130
VALUE_WIDTH = 90
BAR_HEIGHT = 18
ROW_GAP = 10
TOP = 8


@dataclass
class ChartRow:
    label: str
    y: float
    bars: list[Bar]
    value_x: float
    value: str


@dataclass
class Chart:
    width: int
    height: int
    rows: list[ChartRow]
    label_x: int = LABEL_WIDTH - 8
    bar_height: int = BAR_HEIGHT


def satisfaction_text(row: Row) -> str:
    return "—" if row.satisfaction is None else f"{row.satisfaction}"


def chart(summary: Summary) -> Chart:
    """One bar per technician: their jobs, split into up to standard, not up to standard
    and not checked yet; at its end the jobs and the average satisfaction."""
    rows = summary.technicians
    unit = scale(max([0] + [row.jobs for row in rows]), CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH)
    drawn = []
    y = TOP
    for row in rows:
        bars = []
        x = LABEL_WIDTH
        for css, count, measure in (
            ("bar-on-time", row.qualified, "qualified"),
            ("bar-late", row.unqualified, "unqualified"),
            ("bar-other", row.unchecked, "unchecked"),
        ):
            if count > 0:
                bars.append(Bar(x, y, count * unit, css, f"{row.name} · {measure_label(measure)}: {count}"))
                x += count * unit
        value = f"{row.jobs} · {satisfaction_text(row)}"
        drawn.append(ChartRow(row.name, y + BAR_HEIGHT / 2, bars, x + 4, value))
        y += BAR_HEIGHT + ROW_GAP
    return Chart(width=CHART_WIDTH, height=max(int(y - ROW_GAP + TOP), 2 * TOP), rows=drawn)


# ---------------------------------------------------------------------------- routes


@bp.get("/summary")
def summary():
    """SVC-07: 家政服务汇总表 of a month."""
    chosen = _choose()
    next_month = shift_month(chosen.month_of, 1)
    return render_template(
        "paid_services/summary.html",
        chosen=chosen,
        project=chosen.project,
        projects=chosen.projects,
        summary=chosen.summary,
        period_text=_period_text(chosen),
        scope_text=_scope_text(chosen),
        previous_url=_url("paid_services.summary", chosen, shift_month(chosen.month_of, -1)),
        next_url=_url("paid_services.summary", chosen, next_month) if next_month <= chosen.current_month else None,
        current_url=(
            url_for("paid_services.summary", project=chosen.project.id)
            if chosen.month_of != chosen.current_month else None
        ),
        xlsx_url=_url("paid_services.summary_xlsx", chosen),
        measures=MEASURES,
        measure_label=measure_label,
        satisfaction_text=satisfaction_text,
        format_quantity=format_quantity,
        chart=chart(chosen.summary),
    )


@bp.get("/summary.xlsx")
def summary_xlsx():
    chosen = _choose()
    with force_locale(PAPERWORK_LOCALE):
        data = workbook(chosen)
        title = gettext("Paid services summary")
    month = chosen.month
    return xlsx_response(
        data, f"paid-services-{chosen.project.code}-{month}.xlsx", f"{title}-{chosen.project.name}-{month}.xlsx"
    )


# ---------------------------------------------------------------------------- the xlsx

MONEY_FORMAT = "#,##0.00"
RATING_FORMAT = "0.0"


def _figures(row: Row) -> list:
    return [
        row.jobs,
        yuan_amount(row.revenue_fen),
        row.satisfaction,
        row.qualified,
        row.unqualified,
        row.unchecked,
        row.refusals,
    ]


def _format_columns(sheet, revenue_column: int, rating_column: int) -> None:
    for row in sheet.iter_rows(min_row=3):
        row[revenue_column - 1].number_format = MONEY_FORMAT
        row[rating_column - 1].number_format = RATING_FORMAT


def workbook(chosen: Chosen) -> bytes:
    """Sheet 1: per technician with the totals; sheet 2: per item with extra materials and
    the totals. Titles name the project, the department and the month."""
    from openpyxl import Workbook

    summary = chosen.summary
    heading = f"{chosen.project.name} · {_scope_text(chosen)} · {gettext('Paid services summary')} · {_period_text(chosen)}"
    header = [measure_label(m) if m != "revenue_fen" else gettext("Revenue (yuan)") for m in MEASURES]
    total = gettext("Total")

    book = Workbook()
    sheet = book.active
    sheet.title = gettext("By technician")
    write_table(
        sheet,
        heading,
        [gettext("Technician"), *header],
        [[row.name, *_figures(row)] for row in summary.technicians],
        [total, *_figures(summary.totals)],
    )
    _format_columns(sheet, 3, 4)

    by_item = book.create_sheet(gettext("By item"))
    materials = [gettext("Extra materials"), "", None, None, yuan_amount(summary.materials_fen), None, None, None, None, None]
    write_table(
        by_item,
        heading,
        [gettext("Service"), gettext("Charged per"), gettext("Quantity"), *header],
        [
            [row.name, row.unit, Decimal(row.quantity_centi) / 100, *_figures(row)]
            for row in summary.items
        ] + ([materials] if summary.materials_fen else []),
        [total, "", None, *_figures(summary.totals)],
    )
    _format_columns(by_item, 5, 6)
    return book_bytes(book)
