"""The evaluation sheets' pages (EVAL, ORG-02): the index of what the signed-in user may
open, the sheet of a person, a department and a project for a month or a quarter, and the
records behind each figure.

GET /evaluation/                                   my sheet, then what I may open
GET /evaluation/people/<id>?period=2026-11         a person's sheet (2026-Q4: a quarter)
GET /evaluation/departments/<id>?period=           a department's, with its 12-month trend
GET /evaluation/projects/<id>?period=              a project's, with its 12-month trend
GET /evaluation/evidence/<kind>/<id>/<measure>?period=   the records behind one figure
GET /evaluation/people/<id>.xlsx?period=           each sheet as an xlsx (the company's
GET /evaluation/departments/<id>.xlsx?period=      paperwork: Chinese whatever the reader's
GET /evaluation/projects/<id>.xlsx?period=         language)

Access is the subject's sheet's (webapp.evaluation.access): another project's person,
department or project is not found; one the user may not open is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, current_app, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from webapp.core.charts import Bar, axis, scale
from webapp.core.clock import local_date, now
from webapp.core.htmx import render
from webapp.core.spreadsheets import PAPERWORK_LOCALE, book_bytes, write_table, xlsx_response
from webapp.core.web import yuan
from webapp.evaluation import access, rules
from webapp.evaluation.catalogue import Measure
from webapp.evaluation.company import cell_value
from webapp.evaluation.facts import Evidence
from webapp.evaluation.rules import Kind, Period, month_of, quarter_of
from webapp.evaluation.sheets import (
    Figure,
    Sheet,
    department_sheet,
    figure_evidence,
    figure_value,
    measure_for,
    person_sheet,
    project_sheet,
)
from webapp.evaluation.views import bp
from webapp.extensions import db

#: the measures the trend chart draws, one small chart each (counts the sheets of both
#: departments and projects show)
TREND_CHART_MEASURES = ("slips_against", "complaints", "paid_jobs", "work_overdue")
#: how many months and quarters the period picker offers
PICKER_MONTHS = 12
PICKER_QUARTERS = 4

KIND_LABELS = {
    Kind.PERSON: _l("Staff member"),
    Kind.DEPARTMENT: _l("Department"),
    Kind.PROJECT: _l("Project"),
}


# ---------------------------------------------------------------------------- figures as text


def figure_text(figure: Figure) -> str:
    """A figure as the sheet shows it: a count as a number (0 too), money in yuan, a rate
    as a percentage, a mean to one decimal; "—" when there is nothing to count over."""
    return value_text(figure.measure, figure.value)


def value_text(measure: Measure, value: object) -> str:
    if value is None:
        return "—"
    shape = measure.shape
    if shape == "money":
        return yuan(int(value))
    if shape == "rate":
        return f"{float(value) * 100:.0f}%"
    return str(value)


def record_url(item: Evidence) -> str | None:
    """The record's own page (None when the app has no such page)."""
    url = getattr(item, "url", None)
    if url:
        return url
    try:
        return url_for(item.endpoint, **item.values)
    except BuildError:
        return None


def evidence_url(figure: Figure) -> str:
    return url_for("evaluation.evidence", **figure.evidence_args)


def period_label(period: Period) -> str:
    if period.months == 3:
        return gettext(
            "%(year)s Q%(quarter)s",
            year=period.first.year,
            quarter=(period.first.month - 1) // 3 + 1,
        )
    return period.key


@bp.app_template_global("evaluation_figure_text")
def _figure_text(figure: Figure) -> str:
    return figure_text(figure)


@bp.app_template_global("evaluation_value_text")
def _value_text(measure: Measure, value: object) -> str:
    return value_text(measure, value)


@bp.app_template_global("evaluation_record_url")
def _record_url(item: Evidence) -> str | None:
    return record_url(item)


@bp.app_template_global("evaluation_evidence_url")
def _evidence_url(figure: Figure) -> str:
    return evidence_url(figure)


@bp.app_template_global("evaluation_period_label")
def _period_label(period: Period) -> str:
    return period_label(period)


# ---------------------------------------------------------------------------- the period


@dataclass
class Choice:
    period: Period
    today: date
    #: (key, label) of each period offered, the chosen one among them
    options: list[tuple[str, str]]
    previous_url: str
    next_url: str | None
    #: the other length: the quarter of this month, or the last month of this quarter
    other_url: str
    other_label: str


def _choose(endpoint: str, **values) -> tuple[Period, object, Choice]:
    """The period asked for (bad text, or one not yet begun: the current month), the
    moment the figures are read at, and the picker's choices."""
    moment = now()
    today = local_date(moment)
    period = rules.parse_period(request.args.get("period"), today)
    this_month, this_quarter = month_of(today), quarter_of(today)
    months = [this_month]
    for _ in range(PICKER_MONTHS - 1):
        months.append(months[-1].previous())
    quarters = [this_quarter]
    for _ in range(PICKER_QUARTERS - 1):
        quarters.append(quarters[-1].previous())
    offered = months + quarters
    if period not in offered:
        offered.append(period)
    options = [(p.key, period_label(p)) for p in offered]
    following = period.next()
    if period.months == 3:
        other = Period(period.month_starts()[-1])
        if other.first > today:
            other = this_month
        other_label = gettext("Month")
    else:
        other = quarter_of(period.first)
        other_label = gettext("Quarter")
    choice = Choice(
        period=period,
        today=today,
        options=options,
        previous_url=url_for(endpoint, **values, period=period.previous().key),
        next_url=url_for(endpoint, **values, period=following.key)
        if following.first <= today
        else None,
        other_url=url_for(endpoint, **values, period=other.key),
        other_label=other_label,
    )
    return period, moment, choice


# ---------------------------------------------------------------------------- the trend chart

CHART_WIDTH = 340
CHART_HEIGHT = 120
CHART_LEFT = 28
CHART_RIGHT = 4
CHART_TOP = 10
CHART_BOTTOM = 18


@dataclass
class TrendChart:
    key: str
    label: object
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: list[Bar]
    #: (y, value) of each gridline
    gridlines: list[tuple[float, int]]
    #: (x, text) of the month labels shown (every third month and the last)
    labels: list[tuple[float, str]]


def trend_charts(sheet: Sheet) -> list[TrendChart]:
    """A small column chart per key measure over the sheet's 12 trend months."""
    if not sheet.trend:
        return []
    charts = []
    count = len(sheet.trend)
    slot = (CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / count
    width = slot * 0.7
    baseline = CHART_HEIGHT - CHART_BOTTOM
    for key in TREND_CHART_MEASURES:
        try:
            figure = sheet.figure(key)
        except KeyError:
            continue
        values = [int(month.values.get(key) or 0) for month in sheet.trend]
        top, ticks = axis(max([0, *values]), 2)
        unit = scale(top, baseline - CHART_TOP)
        bars, labels = [], []
        for index, (month, value) in enumerate(zip(sheet.trend, values, strict=True)):
            x = CHART_LEFT + index * slot + (slot - width) / 2
            height = value * unit
            current = month.period.first >= sheet.period.first
            bars.append(
                Bar(
                    x,
                    baseline - height,
                    width,
                    "bar-filed" if current else "bar-other",
                    f"{month.period.key}: {value}",
                    height,
                )
            )
            if index % 3 == 2 or index == count - 1:
                labels.append((x + width / 2, month.period.key[2:]))
        charts.append(
            TrendChart(
                key=key,
                label=figure.measure.label,
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
                left=CHART_LEFT,
                right=CHART_WIDTH - CHART_RIGHT,
                baseline=baseline,
                bars=bars,
                gridlines=[(baseline - tick * unit, tick) for tick in ticks],
                labels=labels,
            )
        )
    return charts


# ---------------------------------------------------------------------------- links


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def _ranking_links(sheet: Sheet) -> list[tuple[str, str]]:
    """(url, text) of the rankings this sheet belongs to, when the ranking page exists."""
    if not _has("evaluation.ranking") or sheet.project_id is None:
        return []
    key = sheet.period.key
    if sheet.kind is Kind.DEPARTMENT:
        return [
            (
                url_for(
                    "evaluation.ranking",
                    project=sheet.project_id,
                    department=sheet.subject_id,
                    of="people",
                    period=key,
                ),
                gettext("Ranking of this department's people"),
            )
        ]
    return [
        (
            url_for("evaluation.ranking", project=sheet.project_id, of="departments", period=key),
            gettext("Ranking of the departments"),
        ),
        (
            url_for("evaluation.ranking", project=sheet.project_id, of="people", period=key),
            gettext("Ranking of the people"),
        ),
    ]


def _may_open_department(department_id: int, project_id: int | None) -> bool:
    if project_id is None:
        return False
    return rules.may_view_department(
        current_user.grants, department_id, project_id, access.cs_department_lookup(db.session)
    )


def _render_sheet(sheet: Sheet, choice: Choice, endpoint: str, values: dict, **context):
    return render(
        "evaluation/sheet.html",
        "evaluation/_sheet.html",
        sheet=sheet,
        choice=choice,
        action=url_for(endpoint, **values),
        charts=trend_charts(sheet),
        rankings=_ranking_links(sheet),
        may_open_department=_may_open_department,
        kind_label=KIND_LABELS[sheet.kind],
        xlsx_url=url_for(f"{endpoint}_xlsx", **values, period=sheet.period.key),
        **context,
    )


# ---------------------------------------------------------------------------- pages


@bp.get("/")
def index():
    """What the signed-in user may open: their own sheet first, then their departments,
    projects, the company view, and the people they may look up."""
    session = db.session
    search = (request.args.get("q") or "").strip()[:50]
    departments = access.viewable_departments(session)
    projects = access.viewable_projects(session)
    supervises = bool(departments or projects or access.reads_company())
    people = access.viewable_people(session, search) if supervises else []
    company_url = (
        url_for("evaluation.company")
        if access.reads_company() and _has("evaluation.company")
        else None
    )
    return render(
        "evaluation/index.html",
        "evaluation/_people.html",
        departments=departments,
        projects=projects,
        people=people,
        search=search,
        supervises=supervises,
        company_url=company_url,
        people_limit=access.PEOPLE_LIMIT,
    )


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    person = access.require_person(user_id)
    period, moment, choice = _choose("evaluation.person", user_id=user_id)
    sheet = person_sheet(db.session, person, period, moment)
    return _render_sheet(sheet, choice, "evaluation.person", {"user_id": user_id}, person=person)


@bp.get("/departments/<int:department_id>")
def department(department_id: int):
    department = access.require_department(department_id)
    period, moment, choice = _choose("evaluation.department", department_id=department_id)
    sheet = department_sheet(db.session, department, period, moment)
    project_url = (
        url_for("evaluation.project", project_id=department.project_id, period=period.key)
        if rules.may_view_project(current_user.grants, department.project_id)
        else None
    )
    return _render_sheet(
        sheet,
        choice,
        "evaluation.department",
        {"department_id": department_id},
        project_url=project_url,
    )


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    project = access.require_project(project_id)
    period, moment, choice = _choose("evaluation.project", project_id=project_id)
    sheet = project_sheet(db.session, project, period, moment)
    return _render_sheet(
        sheet,
        choice,
        "evaluation.project",
        {"project_id": project_id},
        project_departments=project.departments,
    )


def _subject(kind: Kind, subject_id: int) -> tuple[str, str]:
    """The subject's name and the url of its sheet, with the access of that sheet."""
    if kind is Kind.PERSON:
        return access.require_person(subject_id).display_name, "evaluation.person"
    if kind is Kind.DEPARTMENT:
        return access.require_department(subject_id).name, "evaluation.department"
    return access.require_project(subject_id).name, "evaluation.project"


_SUBJECT_ARG = {
    Kind.PERSON: "user_id",
    Kind.DEPARTMENT: "department_id",
    Kind.PROJECT: "project_id",
}


#: records per page of the evidence list (a project's month can be behind a thousand slips)
EVIDENCE_PAGE_SIZE = 100


@bp.get("/evidence/<kind>/<int:subject_id>/<measure>")
def evidence(kind: str, subject_id: int, measure: str):
    """The records behind one figure: as many as the figure counts (for money, a mean or a
    rate: the records of its evidence column), each linking to its page."""
    try:
        kind_ = Kind(kind)
    except ValueError:
        abort(404)
    chosen = measure_for(kind_, measure)
    if chosen is None:
        abort(404)
    name, sheet_endpoint = _subject(kind_, subject_id)
    values = {"kind": kind_.value, "subject_id": subject_id, "measure": measure}
    period, moment, choice = _choose("evaluation.evidence", **values)
    figure = figure_value(db.session, kind_, subject_id, chosen, period, moment)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    offset = (page - 1) * EVIDENCE_PAGE_SIZE
    records, total = figure_evidence(
        db.session, kind_, subject_id, chosen, period, moment, offset=offset, limit=EVIDENCE_PAGE_SIZE
    )

    return render(
        "evaluation/evidence.html",
        "evaluation/_evidence.html",
        name=name,
        kind=kind_,
        kind_label=KIND_LABELS[kind_],
        figure=figure,
        records=records,
        total=total,
        offset=offset,
        page_number=page,
        more=offset + len(records) < total,
        pager_filters={**values, "period": period.key},
        choice=choice,
        action=url_for("evaluation.evidence", **values),
        sheet_url=url_for(sheet_endpoint, **{_SUBJECT_ARG[kind_]: subject_id}, period=period.key),
    )


# ---------------------------------------------------------------------------- the xlsx

#: the sections of a person's department blocks (as the page shows them)
PERSON_DEPARTMENT_SECTIONS = ("slips", "complaints")
#: how a figure's cell is shown; counts need none
NUMBER_FORMATS = {"rate": "0.0%", "mean": "0.0", "per_thousand": "0.00", "money": "#,##0.00"}
DAY_FORMAT = "yyyy-mm-dd"


def _xlsx_period() -> tuple[Period, object]:
    """The period asked for (as the page reads it) and the moment the figures are read at."""
    moment = now()
    return rules.parse_period(request.args.get("period"), local_date(moment)), moment


def _sheet_xlsx(sheet: Sheet):
    with force_locale(PAPERWORK_LOCALE):
        data = sheet_workbook(sheet)
        title = gettext("Evaluation sheet")
    key = sheet.period.key
    return xlsx_response(
        data,
        f"evaluation-{sheet.kind.value}-{sheet.subject_id}-{key}.xlsx",
        f"{title}-{sheet.name}-{key}.xlsx",
    )


@bp.get("/people/<int:user_id>.xlsx")
def person_xlsx(user_id: int):
    person = access.require_person(user_id)
    period, moment = _xlsx_period()
    return _sheet_xlsx(person_sheet(db.session, person, period, moment))


@bp.get("/departments/<int:department_id>.xlsx")
def department_xlsx(department_id: int):
    department = access.require_department(department_id)
    period, moment = _xlsx_period()
    return _sheet_xlsx(department_sheet(db.session, department, period, moment))


@bp.get("/projects/<int:project_id>.xlsx")
def project_xlsx(project_id: int):
    project = access.require_project(project_id)
    period, moment = _xlsx_period()
    return _sheet_xlsx(project_sheet(db.session, project, period, moment))


def _figure_rows(sections, only: tuple[str, ...] | None = None) -> list[tuple[list, str | None]]:
    """A row per section (its label, bold) and per figure (label, value), each with the
    number format of its value cell ("" for a section's row)."""
    rows: list[tuple[list, str | None]] = []
    for section in sections:
        if only is not None and section.key not in only:
            continue
        rows.append(([str(section.label), None], ""))
        for figure in section.figures:
            rows.append(
                (
                    [str(figure.label), cell_value(figure.measure, figure.value)],
                    NUMBER_FORMATS.get(figure.shape),
                )
            )
    return rows


def _day(at: object) -> date | None:
    """An activity's local day (an instant: its local day; a cell holds no time zone)."""
    if isinstance(at, datetime):
        return local_date(at)
    return at


def sheet_workbook(sheet: Sheet) -> bytes:
    """Sheet 1: the figures by section (a person's departments after theirs); sheet 2 of a
    department or project: the trend, a row per month; then the activities a person
    organised with the summaries' findings, when there are any. Rates are shares shown
    as per cent, money in yuan, "—" an empty cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    figures = book.active
    figures.title = gettext("Figures")
    rows = _figure_rows(sheet.sections)
    for department in sheet.departments:
        rows.append(([None, None], None))
        rows.append(([gettext("Department: %(name)s", name=department.name), None], ""))
        rows.extend(_figure_rows(department.sections, PERSON_DEPARTMENT_SECTIONS))
    write_table(
        figures,
        f"{gettext('Evaluation sheet')} · {sheet.name} · {period_label(sheet.period)}",
        [gettext("Measure"), gettext("Value")],
        [values for values, _ in rows],
        maximum_width=60,
    )
    for row, (_, number_format) in enumerate(rows, start=3):
        if number_format == "":
            figures.cell(row=row, column=1).font = Font(bold=True)
        elif number_format:
            figures.cell(row=row, column=2).number_format = number_format

    if sheet.trend:
        measures = [
            figure.measure
            for section in sheet.sections
            for figure in section.figures
            if figure.key in sheet.trend[0].values
        ]
        trend = book.create_sheet(gettext("Trend"))
        write_table(
            trend,
            f"{gettext('Trend over twelve months')} · {sheet.name} · {period_label(sheet.period)}",
            [gettext("Month"), *(str(measure.label) for measure in measures)],
            [
                [month.period.key, *(cell_value(m, month.values.get(m.key)) for m in measures)]
                for month in sheet.trend
            ],
        )
        for column, measure in enumerate(measures, start=2):
            number_format = NUMBER_FORMATS.get(measure.shape)
            if number_format:
                for (cell,) in trend.iter_rows(min_row=3, min_col=column, max_col=column):
                    cell.number_format = number_format

    if sheet.activities:
        activities = book.create_sheet(gettext("Activities"))
        heading = gettext("Activities organised and the summaries' findings")
        write_table(
            activities,
            f"{heading} · {sheet.name} · {period_label(sheet.period)}",
            [gettext("Activity"), gettext("Date"), gettext("Findings")],
            [[item.number, _day(item.at), item.note] for item in sheet.activities],
            maximum_width=80,
        )
        for (cell,) in activities.iter_rows(min_row=3, min_col=2, max_col=2):
            cell.number_format = DAY_FORMAT
    return book_bytes(book)
