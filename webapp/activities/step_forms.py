"""The forms of a step on a plan or an activity: the version the page was built from, and
what some steps ask for: the reasons of a return (ACT-02), the content confirmation of the
VP's approval (ACT-14), the reason of a cancellation. The annual plan, the detailed plan,
the survey and the activity's status use these same forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField

from webapp.activities import rules
from webapp.activities.rules import PlanAction
from webapp.core.forms import text_area


class StepForm(FlaskForm):
    version = HiddenField()


class ReturnForm(StepForm):
    reasons = text_area(3, _l("Reasons for returning the plan"), rules.TEXT_LIMIT)


class ApproveForm(StepForm):
    content_confirmed = BooleanField(_l("The content is healthy, positive and lawful"))


class CancelForm(StepForm):
    reason = text_area(2, _l("Why it is cancelled"), rules.REASON_LIMIT)


#: a plan's approval step → its form (the annual plan and the detailed plan alike)
PLAN_STEP_FORMS: dict[PlanAction, type[StepForm]] = {
    PlanAction.SUBMIT: StepForm,
    PlanAction.PM_CONFIRM: StepForm,
    PlanAction.PM_RETURN: ReturnForm,
    PlanAction.VP_APPROVE: ApproveForm,
    PlanAction.VP_RETURN: ReturnForm,
}
