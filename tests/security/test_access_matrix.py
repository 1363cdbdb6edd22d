"""ORG-02: every role × every route × every method × own/other project, zero leaks.

The matrix itself is data: tests/security/access_matrix.toml, one line per URL rule and
HTTP method of the app (a test fails when a rule or a method is missing from it). For each
line, every role signs in and requests the route twice: with the ids of its own project's
records and with those of the other project. Expected:

* a role the line allows may use it on its own project (no 403/404/login redirect/5xx);
* any other role is refused (403; 404 where the record itself is not theirs to see);
* with the other project's ids, a project-bound role that may use the route gets 404
  (one that may not is refused, possibly before any lookup);
* no response to a role of the own project, allowed or refused, names anything of the
  other project: its canaries (the owner's name and phone, the complaint's text) never
  appear in the body;
* company roles (admin, GM, VP, QA) see every project, so "other" behaves like "own";
* signed out, everything but the public routes leads to the login page.
"""

from __future__ import annotations

import pytest

from tests.security.matrix import (
    IMPLICIT_METHODS,
    MATRIX_FILE,
    PUBLIC,
    REFUSED,
    ROUTES,
    SIGNED_IN_ROLES,
    _roles,
    arrange,
    is_login_redirect,
    leaks,
    request,
    signed_in,
    username_for,
)
from webapp.org.rules import COMPANY_ROLES, Role


def test_org02_every_rule_and_method_of_the_app_is_in_the_matrix(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IMPLICIT_METHODS
    }
    assert sorted(served - set(ROUTES)) == [], f"add these to {MATRIX_FILE.name}"
    assert sorted(set(ROUTES) - served) == [], f"remove these from {MATRIX_FILE.name}"


def test_org02_a_matrix_line_names_its_roles_exactly():
    groups = {"DESK": ["pm", "receptionist"], "LOOP": "LOOP"}
    assert _roles("public", groups) == PUBLIC
    assert _roles("DESK", groups) == {Role.PM, Role.RECEPTIONIST}
    assert _roles(["DESK", "-pm", "qa"], groups) == {Role.RECEPTIONIST, Role.QA}
    with pytest.raises(ValueError):
        _roles("chief", groups)
    with pytest.raises(AssertionError):
        _roles("LOOP", groups)



@pytest.mark.parametrize("endpoint,method", sorted(ROUTES), ids=[f"{e}-{m}" for e, m in sorted(ROUTES)])
def test_org02_access_matrix(app, world, endpoint, method):
    route = ROUTES[(endpoint, method)]
    arrange(app, world)
    own, other = world.own, world.other
    failures = []

    anonymous = request(app.test_client(), route, own)
    if route.allowed == PUBLIC:
        # a public form posted empty comes back with its messages (422)
        if (anonymous.status_code >= 400 and anonymous.status_code != 422) or is_login_redirect(anonymous):
            failures.append(f"anonymous: public route answered {anonymous.status_code}")
    elif not is_login_redirect(anonymous):
        failures.append(f"anonymous: expected the login page, got {anonymous.status_code}")

    for role in SIGNED_IN_ROLES:
        if route.allowed == PUBLIC:
            continue
        username = username_for(world, role)
        allowed = role in route.allowed
        if endpoint == "inbox.open_notification":
            allowed = username == world.users[("pm", "own")]
        # refusals first: a permitted POST may change what later requests see
        response = request(signed_in(app, username), route, own)
        status = response.status_code
        if allowed and (status in REFUSED or status >= 500 or is_login_redirect(response)):
            failures.append(f"{role} own: expected access, got {status}")
        if not allowed and status not in REFUSED:
            failures.append(f"{role} own: expected refusal, got {status}")
        if role not in COMPANY_ROLES and (leaked := leaks(response, other)):
            failures.append(f"{role} own: the other project's {', '.join(leaked)} leaked")

        if route.project_bound:
            response = request(signed_in(app, username), route, other)
            status = response.status_code
            if role in COMPANY_ROLES:
                if allowed and (status in REFUSED or status >= 500):
                    failures.append(f"{role} other: company role expected access, got {status}")
                continue
            # Those who may act on such records learn nothing of the other project's
            # (404); those who may not act at all can be refused before any lookup.
            expected = {route.other} if allowed else REFUSED
            if status not in expected:
                failures.append(f"{role} other: expected {sorted(expected)}, got {status}")
            if leaked := leaks(response, other):
                failures.append(f"{role} other: the other project's {', '.join(leaked)} leaked")
    assert not failures, "\n".join(failures)
