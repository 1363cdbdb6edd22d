"""ACT-01 the owners' survey page, reached from the QR poster: the options as large
checkboxes, an optional comment, and the household (the unit as typed and the last four
digits of a phone on file). One answer per unit. No login, nothing personal shown, no
staff navigation; addressed by the survey's token only."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from webapp.activities import households, survey
from webapp.activities.models import ActivitySurvey
from webapp.activities.public_views import (
    PRIVATE_HEADERS,
    HouseholdForm,
    bp,
    expired,
    message_page,
    not_found,
    owner_form,
    owner_page,
)
from webapp.activities.rules import TEXT_LIMIT, SurveyStatus
from webapp.core import scoping
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message
from webapp.extensions import db
from webapp.org.models import Project

#: the survey this browser just answered (the thanks page shows its title, nothing else)
ANSWERED_KEY = "activity_survey_answered"
#: the form's fields a refusal may name (households name the unit "unit")
FIELD_ALIASES = {"unit": "unit_text", "phone_digits": "phone_digits", "comment": "comment"}


class SurveyAnswerForm(HouseholdForm):
    """The choices are read from the request (checkboxes of the survey's options)."""

    comment = TextAreaField(
        _l("Anything else you would like? (optional)"),
        filters=[strip],
        validators=[Length(max=TEXT_LIMIT)],
        render_kw={"rows": 3, "maxlength": TEXT_LIMIT},
    )
    #: filled by bots only: people never see it (hidden by the stylesheet)
    website = StringField(_l("Leave this empty"), render_kw={"tabindex": "-1", "autocomplete": "off"})


def _not_open(found: ActivitySurvey, project: Project, status: int = 200):
    if found.status == SurveyStatus.DRAFT:
        return message_page(
            found.title,
            gettext("This survey has not started yet. Please come back when the notice says it is open."),
            status,
            project,
        )
    return message_page(
        found.title,
        gettext("This survey is closed. Thank you for your interest: the activities planned from it will be on "
                "the notice boards."),
        status,
        project,
    )


def _page(found: ActivitySurvey, project: Project, form: SurveyAnswerForm, status: int = 200, *,
          chosen: list[str] | None = None, choices_error: str | None = None, notice: str | None = None):
    body = render_template(
        "activities/public_survey.html",
        survey=found,
        project=project,
        form=form,
        chosen=chosen or [],
        choices_error=choices_error,
        notice=notice,
    )
    return body, status, PRIVATE_HEADERS


def _find(token: str) -> tuple[ActivitySurvey, Project] | None:
    found = survey.by_token(db.session, token)
    if found is None:
        return None
    project = db.session.get(Project, found.project_id)
    if project is None or not project.active:
        return None
    return found, project


@bp.route("/survey/<token>", methods=["GET", "POST"], endpoint="survey")
@owner_form("survey")
def survey_form(token: str):
    """ACT-01 the owners' answer: refused while the survey is a draft or closed (a page
    saying so), a second answer of the same unit refused with a friendly message, bad
    input back (422) with the message beside the field and everything kept."""
    with scoping.unrestricted():
        found_pair = _find(token)
        if found_pair is None:
            return not_found()
        found, project = found_pair
        form = SurveyAnswerForm()
        if found.status != SurveyStatus.OPEN:
            return _not_open(found, project, 200 if request.method == "GET" else 422)
        if request.method == "GET":
            return _page(found, project, form)

        chosen = [option for option in request.form.getlist("choices") if option]
        if not form.validate():
            notice = expired(form)
            return _page(found, project, form, 400 if notice else 422, chosen=chosen, notice=notice)
        if form.website.data:
            # a bot: thanked and forgotten
            session.pop(ANSWERED_KEY, None)
            return redirect(url_for("activity_public.survey_thanks", token=token), code=303)
        try:
            unit_id = households.find_household(db.session, project.id, form.unit_text.data, form.phone_digits.data)
            survey.answer(db.session, found, unit_id, chosen, form.comment.data, now=clock_now())
        except RuleViolation as exc:
            db.session.rollback()
            if exc.field == "choices":
                return _page(found, project, form, 422, chosen=chosen, choices_error=message(exc))
            name = FIELD_ALIASES.get(exc.field or "")
            if name is None:
                return _page(found, project, form, 422, chosen=chosen, notice=message(exc))
            getattr(form, name).errors = [message(exc)]
            return _page(found, project, form, 422, chosen=chosen)
        db.session.commit()
    session[ANSWERED_KEY] = token
    return redirect(url_for("activity_public.survey_thanks", token=token), code=303)


@bp.get("/survey/<token>/thanks")
@owner_page("survey")
def survey_thanks(token: str):
    """The thank-you page: the survey's title and a word of thanks; nothing of the answer."""
    with scoping.unrestricted():
        found_pair = _find(token)
        if found_pair is None:
            return not_found()
        found, project = found_pair
    answered = session.get(ANSWERED_KEY) == token
    body = render_template("activities/public_survey_thanks.html", survey=found, project=project, answered=answered)
    return body, 200, PRIVATE_HEADERS
