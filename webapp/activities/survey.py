"""ACT-01 the owners' activity-preference survey: the publicist creates the year's survey
(one per project and plan year), opens it, and closes it; households answer on the
public page (one answer per unit); the results inform the annual plan, whose page shows
them beside it (``results_for``).

Operations take the session, the acting user and `now`, check the permission and the
state, audit what changed and leave the commit to the caller. The public answer has no
actor: it runs inside ``scoping.unrestricted()`` within the survey's own project.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from webapp.activities import rules
from webapp.activities.models import ActivitySurvey, ActivitySurveyAnswer
from webapp.activities.operations import new_public_token
from webapp.activities.rules import SurveyStatus
from webapp.core import audit
from webapp.core.rulekit import N_, RuleViolation, clean_text
from webapp.estate.models import Unit
from webapp.org.access import check
from webapp.org.rules import Permission

audit.ACTION_LABELS.update(
    {
        "survey_created": N_("created the activity survey"),
        "survey_opened": N_("opened the survey to owners"),
        "survey_closed": N_("closed the survey"),
    }
)
for _field, _label in {"title": N_("Title"), "intro": N_("Introduction"), "options": N_("Options")}.items():
    audit.FIELD_LABELS.setdefault(_field, _label)
del _field, _label

#: the steps on a survey: the URL's action → the status it leads to
SURVEY_STEPS: dict[str, SurveyStatus] = {"open": SurveyStatus.OPEN, "close": SurveyStatus.CLOSED}


# ---------------------------------------------------------------------------- results (the plan page uses these)


@dataclass(frozen=True)
class OptionResult:
    option: str
    #: households that chose it
    count: int
    #: count / households answered, 0.0…1.0 (0.0 when nobody answered)
    share: float


@dataclass(frozen=True)
class SurveyResults:
    """What the owners said: each option with its count and share (in the survey's order),
    how many households answered out of the project's units, and the comments (text only:
    nothing says which unit wrote them)."""

    options: tuple[OptionResult, ...]
    households_answered: int
    units_total: int
    comments: tuple[str, ...]

    @property
    def most_chosen(self) -> int:
        return max((o.count for o in self.options), default=0)

    @property
    def response_rate(self) -> float:
        return self.households_answered / self.units_total if self.units_total else 0.0


def tally(options: Sequence[str], answers: Iterable[tuple[Sequence[str], str | None]], units_total: int) -> SurveyResults:
    """The results from (choices, comment) pairs: rules.survey_results counts them."""
    answers = list(answers)
    counts = rules.survey_results(options, (choices for choices, _ in answers))
    answered = len(answers)
    return SurveyResults(
        options=tuple(
            OptionResult(option, count, count / answered if answered else 0.0) for option, count in counts.items()
        ),
        households_answered=answered,
        units_total=units_total,
        comments=tuple(comment for _, comment in answers if comment),
    )


def results_for(session: so.Session, survey: ActivitySurvey) -> SurveyResults:
    """ACT-01: the survey's results. Two queries, however many answers."""
    answers = session.execute(
        sa.select(ActivitySurveyAnswer.choices, ActivitySurveyAnswer.comment)
        .where(ActivitySurveyAnswer.survey_id == survey.id)
        .order_by(ActivitySurveyAnswer.answered_at, ActivitySurveyAnswer.id)
    ).all()
    units_total = session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.project_id == survey.project_id)) or 0
    return tally(survey.options or [], ((choices or [], comment) for choices, comment in answers), units_total)


# ---------------------------------------------------------------------------- finding


def surveys_of(session: so.Session, project_id: int) -> list[ActivitySurvey]:
    """A project's surveys, latest year first."""
    return list(
        session.scalars(
            sa.select(ActivitySurvey).where(ActivitySurvey.project_id == project_id).order_by(ActivitySurvey.year.desc())
        )
    )


def answer_counts(session: so.Session, survey_ids: Sequence[int]) -> dict[int, int]:
    """Households answered per survey (one query)."""
    if not survey_ids:
        return {}
    rows = session.execute(
        sa.select(ActivitySurveyAnswer.survey_id, sa.func.count(ActivitySurveyAnswer.id))
        .where(ActivitySurveyAnswer.survey_id.in_(survey_ids))
        .group_by(ActivitySurveyAnswer.survey_id)
    )
    return dict(rows.all())


def by_token(session: so.Session, token: str | None) -> ActivitySurvey | None:
    """The survey a public address names (the caller lifts the scope)."""
    if not rules.is_public_token(token):
        return None
    return session.scalar(sa.select(ActivitySurvey).where(ActivitySurvey.public_token == token))


# ---------------------------------------------------------------------------- the publicist's steps


def create_survey(
    session: so.Session,
    actor,
    project_id: int,
    *,
    year: int | None,
    title: str | None,
    intro: str | None,
    options: Sequence[str],
    now: datetime,
) -> ActivitySurvey:
    """ACT-01: the year's survey, as a draft with its own public address. One per project
    and plan year (field ``year``)."""
    check(actor, Permission.RUN_ACTIVITY_SURVEYS, project_id)
    plan_year = rules.check_survey_year(year, now)
    title = clean_text(title, "title", N_("Give the survey a title."), rules.NAME_LIMIT)
    intro = clean_text(intro, "intro", None, rules.TEXT_LIMIT)
    cleaned = rules.check_survey_options(list(options))
    taken = session.scalar(
        sa.select(ActivitySurvey.id).where(ActivitySurvey.project_id == project_id, ActivitySurvey.year == plan_year)
    )
    if taken is not None:
        raise RuleViolation(N_("This project already has a survey for %(year)s."), field="year", year=plan_year)
    survey = ActivitySurvey(
        project_id=project_id,
        year=plan_year,
        title=title,
        intro=intro,
        options=list(cleaned),
        status=SurveyStatus.DRAFT.value,
        public_token=new_public_token(),
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(survey)
    session.flush()
    audit.record(session, survey, "survey_created", actor_id=actor.id, to_state=survey.status, note=title)
    return survey


def step(session: so.Session, actor, survey: ActivitySurvey, action: str, *, now: datetime) -> None:
    """ACT-01: open the survey to owners (draft → open) or close it (open → closed)."""
    check(actor, Permission.RUN_ACTIVITY_SURVEYS, survey.project_id)
    target = SURVEY_STEPS[action]
    before = survey.status
    rules.check_survey_transition(before, target)
    survey.status = target.value
    if target is SurveyStatus.OPEN:
        survey.opened_at = now
    else:
        survey.closed_at = now
    action_name = "survey_opened" if target is SurveyStatus.OPEN else "survey_closed"
    audit.record(session, survey, action_name, actor_id=actor.id, from_state=before, to_state=target.value)


# ---------------------------------------------------------------------------- the owners' answer


def answer(
    session: so.Session,
    survey: ActivitySurvey,
    unit_id: int,
    chosen: Iterable[str],
    comment: str | None,
    *,
    now: datetime,
) -> ActivitySurveyAnswer:
    """ACT-01: a household's answer (the unit already verified, households.find_household),
    one per unit: a second is refused. Stores the unit and the choices, never who answered."""
    already = session.scalar(
        sa.select(ActivitySurveyAnswer.id).where(
            ActivitySurveyAnswer.survey_id == survey.id, ActivitySurveyAnswer.unit_id == unit_id
        )
    )
    choices = rules.check_survey_answer(survey.status, survey.options, chosen, unit_already_answered=already is not None)
    comment = clean_text(comment, "comment", None, rules.TEXT_LIMIT)
    row = ActivitySurveyAnswer(
        project_id=survey.project_id,
        survey_id=survey.id,
        unit_id=unit_id,
        choices=list(choices),
        comment=comment,
        answered_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # the same household sent it twice at the same moment: the first one counts
        raise RuleViolation(N_("Your household has already answered this survey.")) from None
    return row
