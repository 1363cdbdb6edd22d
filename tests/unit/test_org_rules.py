"""Who may do what, where (ORG-01, ORG-02): every branch of webapp/org/rules.py."""

from __future__ import annotations

import pytest

from webapp.core.rulekit import RuleViolation
from webapp.org.rules import (
    COMPANY_ROLES,
    DEPARTMENT_ROLES,
    PROJECT_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    check_grant_shape,
    check_password_strength,
    is_allowed,
    visible_projects,
)

# check_grant_shape -------------------------------------------------------------------


def _refusal(role, project_id, department_id) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check_grant_shape(role, project_id, department_id)
    return caught.value


def test_org01_every_role_is_company_project_or_department_role_exactly_once():
    assert COMPANY_ROLES | PROJECT_ROLES | DEPARTMENT_ROLES == set(Role)
    assert not (COMPANY_ROLES & PROJECT_ROLES or COMPANY_ROLES & DEPARTMENT_ROLES)
    assert not PROJECT_ROLES & DEPARTMENT_ROLES


def test_org01_unknown_role_is_refused_on_the_role_field():
    refusal = _refusal("janitor", 1, None)
    assert refusal.field == "role"
    assert refusal.params == {"role": "janitor"}


@pytest.mark.parametrize("role", sorted(COMPANY_ROLES))
def test_org01_company_role_takes_no_project(role):
    check_grant_shape(role, None, None)
    assert _refusal(role, 1, None).field == "project"


def test_org01_company_role_takes_no_department_either():
    assert _refusal(Role.GM, None, 3).field == "project"


@pytest.mark.parametrize("role", sorted(PROJECT_ROLES | DEPARTMENT_ROLES))
def test_org01_project_and_department_roles_need_a_project(role):
    assert _refusal(role, None, None).field == "project"


@pytest.mark.parametrize("role", sorted(DEPARTMENT_ROLES))
def test_org01_department_role_needs_a_department(role):
    assert _refusal(role, 1, None).field == "department"
    check_grant_shape(role, 1, 2)


@pytest.mark.parametrize("role", sorted(PROJECT_ROLES))
def test_org01_project_role_belongs_to_the_project_not_a_department(role):
    check_grant_shape(role, 1, None)
    assert _refusal(role, 1, 2).field == "department"


# visible_projects --------------------------------------------------------------------


def test_org02_no_grant_sees_no_project():
    assert visible_projects([]) == frozenset()


def test_org02_project_and_department_grants_see_their_projects():
    grants = [("pm", 1, None), ("staff", 2, 7), ("receptionist", 1, None)]
    assert visible_projects(grants) == frozenset({1, 2})


@pytest.mark.parametrize("role", sorted(COMPANY_ROLES))
def test_org02_a_company_role_sees_every_project(role):
    assert visible_projects([("pm", 1, None), (role, None, None)]) is None


def test_org02_a_grant_without_project_that_is_not_a_company_role_adds_nothing():
    assert visible_projects([("pm", None, None), ("pm", 4, None)]) == frozenset({4})


# is_allowed --------------------------------------------------------------------------


def test_org02_permission_in_the_grants_project_only():
    grants = [("pm", 1, None)]
    assert is_allowed(grants, Permission.EDIT_ESTATE, 1)
    assert not is_allowed(grants, Permission.EDIT_ESTATE, 2)


def test_org02_permission_in_some_project_when_no_project_is_named():
    assert is_allowed([("pm", 1, None)], Permission.EDIT_ESTATE, None)


def test_org02_a_role_without_the_permission_is_refused_everywhere():
    grants = [("staff", 1, 5)]
    assert not is_allowed(grants, Permission.EDIT_ESTATE, 1)
    assert not is_allowed(grants, Permission.EDIT_ESTATE, None)


def test_org02_company_role_permission_applies_in_every_project():
    assert is_allowed([("gm", None, None)], Permission.REVEAL_PHONE, 99)
    assert not is_allowed([("gm", None, None)], Permission.EDIT_ESTATE, 99)


def test_org02_any_grant_giving_the_permission_is_enough():
    grants = [("staff", 1, 5), ("cs_supervisor", 1, None)]
    assert is_allowed(grants, Permission.EDIT_ESTATE, 1)


def test_org02_no_grant_no_permission():
    assert not is_allowed([], Permission.VIEW_ESTATE, None)


def test_org01_only_the_administrator_manages_people():
    managers = {role for role, perms in ROLE_PERMISSIONS.items() if Permission.MANAGE_PEOPLE in perms}
    assert managers == {Role.ADMIN}
    assert set(ROLE_PERMISSIONS) == set(Role)


# check_password_strength -------------------------------------------------------------


def test_org01_a_password_needs_eight_characters():
    with pytest.raises(RuleViolation) as caught:
        check_password_strength("abc1234", "li.ming")
    assert caught.value.field == "password"
    assert caught.value.params == {"count": 8}
    check_password_strength("abc12345", "li.ming")


def test_org01_the_password_cannot_be_the_username_whatever_the_case():
    with pytest.raises(RuleViolation) as caught:
        check_password_strength("Li.Ming.Cs", "li.ming.cs")
    assert caught.value.field == "password"


@pytest.mark.parametrize("password", ["aaaaaaaa", "abababab"])
def test_org01_a_password_of_one_or_two_characters_repeated_is_too_easy(password):
    with pytest.raises(RuleViolation) as caught:
        check_password_strength(password, "li.ming")
    assert caught.value.message == "Too easy to guess."


def test_org01_three_distinct_characters_are_accepted():
    check_password_strength("abcabcab", "li.ming")


def test_org02_a_department_role_acts_only_for_its_own_department():
    from webapp.org.rules import is_allowed_for_department

    supervisor = [("dept_supervisor", 1, 10)]
    assert is_allowed_for_department(supervisor, Permission.RECTIFY_SLIP, 1, 10)
    assert not is_allowed_for_department(supervisor, Permission.RECTIFY_SLIP, 1, 11)
    assert not is_allowed_for_department(supervisor, Permission.RECTIFY_SLIP, 2, 10)
    pm = [("pm", 1, None)]
    assert is_allowed_for_department(pm, Permission.RECTIFY_SLIP, 1, 11)
    assert not is_allowed_for_department([("publicist", 1, None)], Permission.RECTIFY_SLIP, 1, 11)
