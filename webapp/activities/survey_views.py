"""ACT-01 the owners' activity-preference survey, staff side: the project's surveys, a new
one for a plan year, its page with the results as a bar chart (counts, shares, the
households that answered out of the project's units, the comments) and the steps open and
close, and the A4 poster with the QR code of the public page."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.activities import rules, survey
from webapp.activities.models import ActivitySurvey
from webapp.activities.rules import SurveyStatus
from webapp.activities.step_forms import StepForm
from webapp.activities.views import bp
from webapp.core import idempotency, qr
from webapp.core.actions import field_error, take_step
from webapp.core.charts import scale
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip
from webapp.core.htmx import render
from webapp.core.rulekit import RuleViolation
from webapp.core.spreadsheets import PAPERWORK_LOCALE
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, project_for, require
from webapp.org.models import Project
from webapp.org.rules import Permission
from webapp.reception.public_views import public_url


class SurveyForm(FlaskForm):
    submission_key = HiddenField()
    year = IntegerField(_l("Plan year"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    title = StringField(_l("Title"), filters=[strip], validators=[Length(max=rules.NAME_LIMIT)],
                        render_kw={"maxlength": rules.NAME_LIMIT})
    intro = TextAreaField(_l("What owners read first"), filters=[strip], validators=[Length(max=rules.TEXT_LIMIT)],
                          render_kw={"rows": 3})
    options = TextAreaField(_l("The activities offered, one per line"), filters=[strip], render_kw={"rows": 8})


def option_lines(text: str | None) -> list[str]:
    """The options as typed, one per line (blank lines skipped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# ---------------------------------------------------------------------------- the chart

#: drawn for a phone (360 px): the SVG scales to the width, so its units are about pixels there
CHART_WIDTH = 360
LABEL_WIDTH = 110
VALUE_WIDTH = 72
BAR_HEIGHT = 24
ROW_GAP = 12
#: characters of an option's name the chart shows (the table below has it whole)
LABEL_CHARS = 7


@dataclass
class ChartRow:
    label: str
    y: float
    width: float
    count: int
    share: int
    value_x: float
    title: str


@dataclass
class Chart:
    width: int
    height: int
    rows: list[ChartRow]
    label_x: int = LABEL_WIDTH - 8
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    label_chars: int = LABEL_CHARS


def chart(results: survey.SurveyResults) -> Chart:
    """A bar per option, its length the households that chose it, with count and share."""
    unit = scale(results.most_chosen, CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH)
    rows, y = [], ROW_GAP / 2
    for option in results.options:
        share = round(option.share * 100)
        width = option.count * unit
        title = gettext("%(option)s: %(count)s households (%(share)s%%)", option=option.option, count=option.count,
                        share=share)
        rows.append(ChartRow(option.option, y, width, option.count, share, LABEL_WIDTH + width + 6, title))
        y += BAR_HEIGHT + ROW_GAP
    return Chart(width=CHART_WIDTH, height=int(y + ROW_GAP / 2), rows=rows)


# ---------------------------------------------------------------------------- pages


def _survey_or_404(survey_id: int) -> ActivitySurvey:
    found = db.session.scalar(sa.select(ActivitySurvey).where(ActivitySurvey.id == survey_id))
    if found is None:
        abort(404)
    return found


@bp.get("/surveys")
def surveys():
    """ACT-01 the project's surveys, latest plan year first, with how many households answered."""
    project, projects = project_for(Permission.VIEW_ACTIVITIES, request.args.get("project", type=int))
    rows = survey.surveys_of(db.session, project.id)
    return render_template(
        "activities/surveys.html",
        project=project,
        projects=projects,
        surveys=rows,
        answered=survey.answer_counts(db.session, [row.id for row in rows]),
        may_run=can(Permission.RUN_ACTIVITY_SURVEYS, project.id),
    )


def _render_new(project, projects, form: SurveyForm, status: int = 200):
    return render_template("activities/survey_new.html", project=project, projects=projects, form=form), status


@bp.route("/surveys/new", methods=["GET", "POST"])
def survey_new():
    """ACT-01 a new survey for a plan year (a draft: the publicist opens it when ready)."""
    project, projects = project_for(Permission.RUN_ACTIVITY_SURVEYS, request.args.get("project", type=int))
    form = SurveyForm()
    if request.method == "GET":
        year = local_date(clock_now()).year + 1
        form.year.data = year
        form.title.data = gettext("Community activities in %(year)s: what would you like?", year=year)
        form.intro.data = gettext("Tick the activities you and your family would enjoy next year. "
                                  "One answer per household.")
        form.submission_key.data = idempotency.new_key()
        return _render_new(project, projects, form)
    if not form.validate_on_submit():
        return _render_new(project, projects, form, 422)
    options = option_lines(form.options.data)
    values = {"project": project.id, "year": form.year.data, "title": form.title.data, "intro": form.intro.data,
              "options": options}
    fingerprint = idempotency.fingerprint(values)
    try:
        earlier = idempotency.previous(db.session, form.submission_key.data, current_user.id, fingerprint)
        if earlier is not None:
            return redirect(url_for("activities.survey", survey_id=earlier.entity_id), code=303)
        created = survey.create_survey(db.session, current_user, project.id, year=form.year.data,
                                       title=form.title.data, intro=form.intro.data, options=options,
                                       now=clock_now())
        idempotency.remember(db.session, form.submission_key.data, current_user.id, created, fingerprint)
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field = exc.field or ""
        field_error(form, exc, {field: "options"} if field.startswith("options") else None)
        return _render_new(project, projects, form, 422)
    flash(gettext("The survey is saved as a draft. Open it when the poster is up."), "success")
    return redirect(url_for("activities.survey", survey_id=created.id), code=303)


def _actions(found: ActivitySurvey) -> dict[str, bool]:
    runner = can(Permission.RUN_ACTIVITY_SURVEYS, found.project_id)
    return {
        "open": runner and found.status == SurveyStatus.DRAFT,
        "close": runner and found.status == SurveyStatus.OPEN,
    }


def _render_survey(found: ActivitySurvey, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    actions = _actions(found)
    forms = dict(forms or {})
    for name, allowed in actions.items():
        if allowed and name not in forms:
            forms[name] = StepForm(formdata=None, version=found.version)
        if name in forms:
            forms[name].version.data = found.version
    results = survey.results_for(db.session, found)
    return render(
        "activities/survey.html",
        "activities/_survey_panel.html",
        status,
        survey=found,
        project=db.session.get(Project, found.project_id),
        results=results,
        chart=chart(results),
        forms=forms,
        conflict=conflict,
        may_run=can(Permission.RUN_ACTIVITY_SURVEYS, found.project_id),
        public_link=public_url("activity_public.survey", token=found.public_token),
    )


@bp.get("/surveys/<int:survey_id>", endpoint="survey")
def survey_page(survey_id: int):
    """ACT-01 the survey with its results."""
    found = _survey_or_404(survey_id)
    require(Permission.VIEW_ACTIVITIES, found.project_id)
    return _render_survey(found)


@bp.post("/surveys/<int:survey_id>/<action>")
def survey_step(survey_id: int, action: str):
    """ACT-01 open the survey to owners, or close it."""
    if action not in survey.SURVEY_STEPS:
        abort(404)
    done = {"open": gettext("The survey is open: put the poster up."), "close": gettext("The survey is closed.")}
    return take_step(
        action,
        load=lambda: _survey_or_404(survey_id),
        allowed=lambda found: can(Permission.RUN_ACTIVITY_SURVEYS, found.project_id),
        form=lambda found: StepForm(),
        do=lambda found, form, now: survey.step(db.session, current_user, found, action, now=now),
        show=_render_survey,
        done_url=url_for("activities.survey", survey_id=survey_id),
        done_message=done[action],
    )


@bp.get("/surveys/<int:survey_id>/poster")
def survey_poster(survey_id: int):
    """ACT-01 the A4 poster for the notice boards, in Chinese, with the public page's QR code."""
    found = _survey_or_404(survey_id)
    require(Permission.RUN_ACTIVITY_SURVEYS, found.project_id)
    link = public_url("activity_public.survey", token=found.public_token)
    with force_locale(PAPERWORK_LOCALE):
        return render_template(
            "activities/survey_poster.html",
            survey=found,
            project=db.session.get(Project, found.project_id),
            survey_url=link,
            qr_svg=qr.svg(link, css_class="poster-qr", label=gettext("QR code of the survey")),
            back=url_for("activities.survey", survey_id=found.id),
        )

