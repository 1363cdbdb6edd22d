"""RCP-05 (篇3 §4.7 c–e): what must be on record before a complaint's handling is
complete, and who calls the owner back after a notice of criticism."""

from __future__ import annotations

import pytest

from webapp.complaints import rules
from webapp.core.rulekit import RuleViolation

INTERNAL = {
    "municipal_cause": False,
    "utility_follow_up": None,
    "cause": "巡查漏报",
    "responsible_person": "维修部张某",
    "supervisor_apology_required": False,
    "supervisor_apologised": False,
}


def refused_on(field: str, complaint_class: str = "minor", **overrides) -> None:
    with pytest.raises(RuleViolation) as refused:
        rules.check_handling_complete(complaint_class, **{**INTERNAL, **overrides})
    assert refused.value.field == field


@pytest.mark.parametrize("complaint_class", ["major", "important", "minor"])
def test_rcp05_internal_cause_is_complete_with_the_cause_and_the_person(complaint_class):
    rules.check_handling_complete(complaint_class, **INTERNAL)


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_rcp05_internal_cause_needs_the_cause_found(blank):
    refused_on("cause", cause=blank)


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_rcp05_internal_cause_needs_the_person_responsible(blank):
    refused_on("responsible_person", responsible_person=blank)


def test_rcp05_municipal_cause_needs_the_follow_up_with_the_utility_not_a_person():
    refused_on("utility_follow_up", municipal_cause=True, cause=None, responsible_person=None)
    refused_on("utility_follow_up", municipal_cause=True, utility_follow_up="  ")
    rules.check_handling_complete(
        "important", **{**INTERNAL, "municipal_cause": True, "cause": None, "responsible_person": None,
                        "utility_follow_up": "已联系自来水公司，当日 18:00 恢复供水"}
    )


def test_rcp05_staff_attitude_needs_the_supervisors_apology():
    refused_on("supervisor_apologised", supervisor_apology_required=True)
    rules.check_handling_complete("minor", **{**INTERNAL, "supervisor_apology_required": True,
                                              "supervisor_apologised": True})


def test_rcp05_staff_attitude_needs_the_apology_whatever_the_cause():
    refused_on(
        "supervisor_apologised", municipal_cause=True, utility_follow_up="已联系供电局", supervisor_apology_required=True
    )


def test_rcp05_an_invalid_complaint_is_explained_and_forwarded_instead():
    rules.check_handling_complete(
        "invalid", municipal_cause=False, utility_follow_up=None, cause=None, responsible_person=None,
        supervisor_apology_required=True, supervisor_apologised=False,
    )


def test_rcp05_a_complaint_criticised_in_a_notice_is_called_back_by_a_leader():
    assert rules.callback_roles(True, ("receptionist", "cs_supervisor")) == ("pm", "pm_assistant")
    assert rules.callback_roles(False, ("receptionist", "cs_supervisor")) == ("receptionist", "cs_supervisor")
    rules.check_callback_caller(True, ["pm"])
    rules.check_callback_caller(True, ["receptionist", "pm_assistant"])
    rules.check_callback_caller(False, ["receptionist"])
    with pytest.raises(RuleViolation):
        rules.check_callback_caller(True, ["receptionist", "cs_supervisor"])
    with pytest.raises(RuleViolation):
        rules.check_callback_caller(True, [])
