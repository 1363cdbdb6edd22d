"""The company view and the ranking (EVAL), printable on A4 landscape, each with its xlsx.

GET /evaluation/company?period=&by=<measure>       GM, VP and QA: every project side by side
GET /evaluation/company.xlsx?period=
GET /evaluation/ranking?project=&department=&of=people|departments&by=&period=
                                                  the project's PM, the department's supervisor
                                                  (its people), GM, VP and QA
GET /evaluation/ranking.xlsx?…                     the same arguments

The figures come from webapp.evaluation.company and webapp.evaluation.ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, render_template, request, url_for
from flask_babel import force_locale, gettext

from webapp.core.charts import Bar, scale
from webapp.core.clock import local_date, now
from webapp.core.spreadsheets import PAPERWORK_LOCALE, book_bytes, write_table, xlsx_response
from webapp.evaluation import access
from webapp.evaluation.company import (
    COMPANY_MEASURE_KEYS,
    Column,
    CompanyView,
    cell_value,
    company_view,
    display,
    numeric,
)
from webapp.evaluation.ranking import (
    Ranking,
    department_people,
    project_departments,
    project_people,
    ranking,
)
from webapp.evaluation.rules import WORST_COUNT, Kind, Period, parse_period
from webapp.evaluation.views import bp
from webapp.extensions import db

# ---------------------------------------------------------------------------- links


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def sheet_url(kind: Kind, subject_id: int, period: Period) -> str | None:
    """A person's, department's or project's sheet (None until the sheets exist)."""
    endpoint, argument = {
        Kind.PERSON: ("evaluation.person", "user_id"),
        Kind.DEPARTMENT: ("evaluation.department", "department_id"),
        Kind.PROJECT: ("evaluation.project", "project_id"),
    }[kind]
    if not _has(endpoint):
        return None
    return url_for(endpoint, **{argument: subject_id}, period=period.key)


class FigureLinks:
    """Each figure's link: the records behind it (the evidence page), else the subject's
    sheet. url_for is called once per page and measure, not once per figure."""

    _MARK = 987654321

    def __init__(self, kind: Kind, period: Period):
        self.kind, self.period = kind, period
        self.evidence = _has("evaluation.evidence")
        self._patterns: dict[str, str | None] = {}

    def _pattern(self, measure_key: str) -> str | None:
        if measure_key not in self._patterns:
            if self.evidence:
                url = url_for(
                    "evaluation.evidence",
                    kind=self.kind.value,
                    subject_id=self._MARK,
                    measure=measure_key,
                    period=self.period.key,
                )
            else:
                url = sheet_url(self.kind, self._MARK, self.period)
            self._patterns[measure_key] = url
        return self._patterns[measure_key]

    def __call__(self, subject_id: int, measure_key: str) -> str | None:
        pattern = self._pattern(measure_key)
        return None if pattern is None else pattern.replace(str(self._MARK), str(subject_id))


class SheetLinks:
    """Each name's link: the subject's sheet (url_for once per page)."""

    def __init__(self, kind: Kind, period: Period):
        self._pattern = sheet_url(kind, FigureLinks._MARK, period)

    def __call__(self, subject_id: int) -> str | None:
        if self._pattern is None:
            return None
        return self._pattern.replace(str(FigureLinks._MARK), str(subject_id))


def _period_urls(endpoint: str, period: Period, today: date, **arguments) -> dict[str, str | None]:
    current = parse_period(None, today)
    following = period.next()
    return {
        "previous_url": url_for(endpoint, period=period.previous().key, **arguments),
        "next_url": url_for(endpoint, period=following.key, **arguments)
        if following.first <= today
        else None,
        "current_url": url_for(endpoint, **arguments) if period != current else None,
    }


def period_text(period: Period) -> str:
    """2026-11, or 2026-Q4 for a quarter."""
    return period.key


# ---------------------------------------------------------------------------- the charts

CHART_WIDTH = 720
LABEL_WIDTH = 150
VALUE_WIDTH = 64
BAR_HEIGHT = 14
ROW_GAP = 6
TOP = 6


@dataclass
class ChartRow:
    label: str
    #: the middle of the row (the texts' baseline, centred by CSS)
    y: float
    bar: Bar
    value_x: float
    value: str
    worst: bool


@dataclass
class Chart:
    key: str
    title: str
    width: int
    height: int
    rows: list[ChartRow]
    #: the projects without a figure (nothing to count over), by name
    missing: list[str]
    #: projects with a figure not drawn (a measure other than the one the table is sorted by
    #: shows its worst five; sorting the table by it shows them all)
    more: int = 0
    #: the one figure every project with a figure has (then no bars are drawn), else None
    same: str | None = None
    label_x: int = LABEL_WIDTH - 8
    bar_height: int = BAR_HEIGHT


def chart(column: Column, names: dict[int, str], limit: int | None = None) -> Chart:
    """The projects with a figure, worst first, one bar each (the first `limit` of them
    when given); the worst five in the warning colour. Rates are drawn against 100 %, the
    rest against the largest figure. When every project has the same figure there is
    nothing to compare: no bars."""
    measure = column.measure
    ranked = [project_id for project_id in column.order if column.values[project_id] is not None]
    shown = ranked if limit is None else ranked[:limit]
    missing = sorted(names[p] for p in column.order if column.values[p] is None)
    figures = {column.values[p] for p in shown}
    if len(figures) == 1:
        (figure,) = figures
        return Chart(
            measure.key, str(measure.label), CHART_WIDTH, 0, [], missing, same=display(measure, figure)
        )
    largest = (
        1.0 if measure.shape == "rate" else max([0.0] + [numeric(column.values[p]) for p in shown])
    )
    unit = scale(largest, CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH)
    rows = []
    y = TOP
    for project_id in shown:
        value = column.values[project_id]
        width = numeric(value) * unit
        worst = project_id in column.worst
        bar = Bar(LABEL_WIDTH, y, width, "bar-worst" if worst else "bar-rank", names[project_id])
        rows.append(
            ChartRow(
                names[project_id],
                y + BAR_HEIGHT / 2,
                bar,
                LABEL_WIDTH + width + 4,
                display(measure, value),
                worst,
            )
        )
        y += BAR_HEIGHT + ROW_GAP
    height = int(max(y - ROW_GAP + TOP, BAR_HEIGHT + 2 * TOP))
    return Chart(measure.key, str(measure.label), CHART_WIDTH, height, rows, missing, more=len(ranked) - len(shown))


# ---------------------------------------------------------------------------- the company view


def _today() -> date:
    return local_date(now())


def _company() -> CompanyView:
    access.require_company()
    moment = now()
    period = parse_period(request.args.get("period"), local_date(moment))
    projects = access.viewable_projects(db.session)
    return company_view(db.session, projects, period, moment, request.args.get("by"))


@bp.get("/company")
def company():
    view = _company()
    names = {row.id: row.name for row in view.projects}
    today = _today()
    return render_template(
        "evaluation/company.html",
        view=view,
        period_label=period_text(view.period),
        # the measure the table is sorted by in full, the others their worst five: 16 charts
        # of every project made the page heavy to render and to read
        charts=[
            chart(column, names, None if column.key == view.by.key else WORST_COUNT) for column in view.columns
        ],
        figure_url=FigureLinks(Kind.PROJECT, view.period),
        name_url=SheetLinks(Kind.PROJECT, view.period),
        display=display,
        worst_count=WORST_COUNT,
        xlsx_url=url_for("evaluation.company_xlsx", period=view.period.key),
        sort_url=lambda key: url_for("evaluation.company", period=view.period.key, by=key),
        measure_keys=COMPANY_MEASURE_KEYS,
        **_period_urls("evaluation.company", view.period, today, by=view.by.key),
    )


@bp.get("/company.xlsx")
def company_xlsx():
    view = _company()
    with force_locale(PAPERWORK_LOCALE):
        data = company_workbook(view)
        title = gettext("Company view")
    return xlsx_response(data, f"company-{view.period.key}.xlsx", f"{title}-{view.period.key}.xlsx")


def company_workbook(view: CompanyView) -> bytes:
    """Sheet 1: project × measure, in the order of the page's table; sheet 2: each
    measure's worst five."""
    from openpyxl import Workbook

    period = period_text(view.period)
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Projects")
    write_table(
        sheet,
        f"{gettext('Company view')} · {period}",
        [
            gettext("Project"),
            gettext("Number of units"),
            *(str(column.measure.label) for column in view.columns),
        ],
        [
            [
                row.name,
                row.units,
                *(cell_value(column.measure, column.values[row.id]) for column in view.columns),
            ]
            for row in view.ordered()
        ],
    )
    for index, column in enumerate(view.columns, start=3):
        _number_format(sheet, index, column.measure.shape)

    worst = book.create_sheet(gettext("Worst five"))
    names = {row.id: row.name for row in view.projects}
    rows = []
    for column in view.columns:
        for position, project_id in enumerate(
            (p for p in column.order if p in column.worst), start=1
        ):
            rows.append(
                [
                    str(column.measure.label),
                    position,
                    names[project_id],
                    display(column.measure, column.values[project_id]),
                ]
            )
    write_table(
        worst,
        f"{gettext('The worst five projects on each measure')} · {period}",
        [
            gettext("Measure"),
            gettext("Place from the worst"),
            gettext("Project"),
            gettext("Its figure"),
        ],
        rows,
    )
    return book_bytes(book)


def _number_format(sheet, column: int, shape: str, first_row: int = 3) -> None:
    formats = {"rate": "0.0%", "mean": "0.0", "per_thousand": "0.00", "money": "#,##0.00"}
    if shape not in formats:
        return
    for row in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
        row[0].number_format = formats[shape]


# ---------------------------------------------------------------------------- the ranking


@dataclass
class RankingChoice:
    ranking: Ranking
    period: Period
    project: object
    department: object | None
    of: str

    @property
    def arguments(self) -> dict:
        arguments = {"project": self.project.id, "of": self.of, "by": self.ranking.by.key}
        if self.department is not None:
            arguments["department"] = self.department.id
        return arguments


def _ranking() -> RankingChoice:
    """The project (another project's: 404; one the user may not rank: 403), the
    department (its people; the supervisor may rank them), whom, on what, and when."""
    project_id = request.args.get("project", type=int)
    department_id = request.args.get("department", type=int)
    of = request.args.get("of")
    department = None
    if department_id is not None:
        # the department decides the project (a project left in the form from before is ignored)
        department = access.require_department(department_id)
        project = department.project
        of = "people"
    else:
        if project_id is None:
            viewable = access.viewable_projects(db.session)
            if not viewable:
                abort(403)
            project_id = viewable[0].id
        project = access.require_project(project_id)
        of = "people" if of == "people" else "departments"
    moment = now()
    period = parse_period(request.args.get("period"), local_date(moment))
    if department is not None:
        kind, subjects = Kind.PERSON, department_people(db.session, department.id)
    elif of == "people":
        kind, subjects = Kind.PERSON, project_people(db.session, project.id)
    else:
        kind, subjects = Kind.DEPARTMENT, project_departments(db.session, project.id)
    result = ranking(db.session, kind, subjects, period, moment, request.args.get("by"))
    return RankingChoice(result, period, project, department, of)


def _ranking_title(choice: RankingChoice) -> str:
    if choice.department is not None:
        return gettext("Ranking of the people of %(name)s", name=choice.department.name)
    if choice.of == "people":
        return gettext("Ranking of the people of %(name)s", name=choice.project.name)
    return gettext("Ranking of the departments of %(name)s", name=choice.project.name)


@bp.get("/ranking", endpoint="ranking")
def ranking_page():
    choice = _ranking()
    today = _today()
    kind = choice.ranking.kind
    departments = project_departments(db.session, choice.project.id)
    arguments = choice.arguments
    return render_template(
        "evaluation/ranking.html",
        choice=choice,
        result=choice.ranking,
        title=_ranking_title(choice),
        period_label=period_text(choice.period),
        departments=departments,
        projects=access.viewable_projects(db.session),
        figure_url=FigureLinks(kind, choice.period),
        name_url=SheetLinks(kind, choice.period),
        display=display,
        xlsx_url=url_for("evaluation.ranking_xlsx", period=choice.period.key, **arguments),
        sort_url=lambda key: url_for(
            "evaluation.ranking", period=choice.period.key, **{**arguments, "by": key}
        ),
        **_period_urls("evaluation.ranking", choice.period, today, **arguments),
    )


@bp.get("/ranking.xlsx")
def ranking_xlsx():
    choice = _ranking()
    with force_locale(PAPERWORK_LOCALE):
        data = ranking_workbook(choice)
        title = gettext("Ranking")
    name = choice.project.code + (
        f"-{choice.department.id}" if choice.department is not None else ""
    )
    return xlsx_response(
        data,
        f"ranking-{name}-{choice.of}-{choice.period.key}.xlsx",
        f"{title}-{choice.project.name}-{choice.period.key}.xlsx",
    )


def ranking_workbook(choice: RankingChoice) -> bytes:
    """One sheet: rank, name, then every measure, ranked on the chosen one."""
    from openpyxl import Workbook

    result = choice.ranking
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Ranking")
    heading = gettext("Department") if result.kind is Kind.DEPARTMENT else gettext("Person")
    write_table(
        sheet,
        f"{_ranking_title(choice)} · {gettext('by %(measure)s', measure=result.by.label)} · "
        f"{period_text(choice.period)}",
        [gettext("Rank"), heading, *(str(m.label) for m in result.measures)],
        [
            [
                entry.rank,
                entry.subject.name,
                *(cell_value(m, entry.values[m.key]) for m in result.measures),
            ]
            for entry in result.entries
        ],
        freeze="C3",
    )
    for index, measure in enumerate(result.measures, start=3):
        _number_format(sheet, index, measure.shape)
    return book_bytes(book)
