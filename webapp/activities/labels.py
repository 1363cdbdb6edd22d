"""Display names of the activities slice's vocabulary, translated at render time: one map
per thing, used by every page of the slice. `register(bp)` makes the `*_label` functions
template globals (called once, from webapp.activities.views)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from webapp.activities.rules import (
    FESTIVAL_LABELS,
    ActivityStatus,
    DateBasis,
    Festival,
    MilestoneState,
    NoticeMethod,
    PlanAction,
    PlanStatus,
    SurveyStatus,
)
from webapp.core import audit

#: an activity whose annual plan is not approved yet (no timeline: plans.display_status)
PLANNED = "planned"

ACTIVITY_STATUS_LABELS = {
    PLANNED: _l("Planned"),
    ActivityStatus.SCHEDULED: _l("Being prepared"),
    ActivityStatus.READY: _l("Ready for the day"),
    # not "Held": that msgid is lost property's 保管中
    ActivityStatus.HELD: _l("Held, summary to write"),
    ActivityStatus.SUMMARISED: _l("Summarised"),
    ActivityStatus.CANCELLED: _l("Cancelled"),
}

#: the annual plan's and the detailed plan's status
PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("With the project manager for confirmation"),
    PlanStatus.PM_CONFIRMED: _l("With the vice president"),
    PlanStatus.APPROVED: _l("Approved"),
}

#: the annual plan's step buttons
PLAN_ACTION_LABELS = {
    PlanAction.SUBMIT: _l("Submit to the project manager"),
    PlanAction.PM_CONFIRM: _l("Confirm feasibility and budget"),
    PlanAction.PM_RETURN: _l("Return with reasons"),
    PlanAction.VP_APPROVE: _l("Approve the plan"),
    PlanAction.VP_RETURN: _l("Return with reasons"),
}

MILESTONE_STATE_LABELS = {
    MilestoneState.PENDING: _l("Pending"),
    MilestoneState.DUE_SOON: _l("Due soon"),
    MilestoneState.OVERDUE: _l("Overdue"),
    MilestoneState.DONE: _l("Done"),
    MilestoneState.DONE_LATE: _l("Done late"),
}

DATE_BASIS_LABELS = {
    DateBasis.WEEKEND: _l("A weekend day"),
    DateBasis.BEFORE_MAJOR_HOLIDAY: _l("Just before a major holiday"),
    DateBasis.REASON: _l("Another day, for the planner's reason"),
}

SURVEY_STATUS_LABELS = {
    SurveyStatus.DRAFT: _l("Draft"),
    SurveyStatus.OPEN: _l("Open to owners"),
    SurveyStatus.CLOSED: _l("Closed"),
}

#: ACT-11 a row of the holiday table (holidays.DayKind's values)
HOLIDAY_KIND_LABELS = {"holiday": _l("Rest day (休)"), "workday": _l("Make-up working day (班)")}

#: ACT-07 §4.4.5 a–d in the SOP's words
CHECKLIST_LABELS = {
    "venue": _l("Venue prepared for the activity"),
    "prizes_and_supplies": _l("Prizes and supplies prepared"),
    "staff_assignments": _l("Staff assignments prepared"),
    "facilities": _l("Facilities needed at the venue prepared"),
}

#: ACT-06 how a household was told
NOTICE_METHOD_LABELS = {
    NoticeMethod.VISIT: _l("Door-to-door visit"),
    NoticeMethod.PHONE: _l("Phone call"),
    NoticeMethod.SLIP: _l("Notice slip (mailbox or door)"),
    NoticeMethod.WECHAT: _l("WeChat group"),
    NoticeMethod.SMS: _l("SMS"),
}
audit.VALUE_LABELS[("activities", "item")] = CHECKLIST_LABELS
audit.VALUE_LABELS[("activities", "method")] = NOTICE_METHOD_LABELS

# the history (audit) names the states the slice's records pass through
for _labels in (SURVEY_STATUS_LABELS, PLAN_STATUS_LABELS, ACTIVITY_STATUS_LABELS):
    for _state, _label in _labels.items():
        audit.STATE_LABELS.setdefault(str(_state), _label)
del _labels, _state, _label


def _label(labels: dict, value: str | None) -> str:
    return str(labels.get(value, value or ""))


def activity_status_label(status: str | None) -> str:
    """An activity's status, or "planned" (plans.display_status)."""
    return _label(ACTIVITY_STATUS_LABELS, status)


def plan_status_label(status: str | None) -> str:
    return _label(PLAN_STATUS_LABELS, status)


def plan_action_label(action: str | None) -> str:
    return _label(PLAN_ACTION_LABELS, action)


def milestone_state_label(state: str | None) -> str:
    return _label(MILESTONE_STATE_LABELS, state)


def date_basis_label(basis: str | None) -> str:
    return _label(DATE_BASIS_LABELS, basis)


def survey_status_label(status: str | None) -> str:
    return _label(SURVEY_STATUS_LABELS, status)


def holiday_kind_label(kind: str | None) -> str:
    return _label(HOLIDAY_KIND_LABELS, kind)


def checklist_item_label(item: str | None) -> str:
    return _label(CHECKLIST_LABELS, item)


def notice_method_label(method: str | None) -> str:
    return _label(NOTICE_METHOD_LABELS, method)


def festival_names(festivals: Iterable[Festival]) -> str:
    """Festivals as a reader names them, in a fixed order: "春节、国庆节"."""
    return "、".join(sorted(gettext(FESTIVAL_LABELS[f]) for f in festivals))


TEMPLATE_GLOBALS = (
    activity_status_label,
    plan_status_label,
    plan_action_label,
    milestone_state_label,
    date_basis_label,
    survey_status_label,
    holiday_kind_label,
    checklist_item_label,
    notice_method_label,
)


def register(bp: Blueprint) -> None:
    """The label functions as template globals of the whole app (the slice's pages are on
    two blueprints)."""
    for function in TEMPLATE_GLOBALS:
        bp.add_app_template_global(function)
