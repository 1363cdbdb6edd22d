"""ORG-02: every role × every route × own/other project, zero leaks.

One row per URL rule of the app (a test fails when a route is added without a row). For
each row, every role signs in and requests the route twice: with the ids of its own
project's records and with those of the other project. Expected:

* a role in `allowed` may use it on its own project (no 403/404/login redirect/5xx);
* any other role is refused (403; 404 where the record itself is not theirs to see);
* with the other project's ids, a project-bound role that may use the route gets 404
  (one that may not is refused, possibly before any lookup), and no body names anything
  of that project (the other owner's name and phone never appear);
* company roles (admin, GM, VP, QA) see every project, so "other" behaves like "own";
* signed out, everything but the public routes leads to the login page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from webapp.core import notify
from webapp.core.media import store_from_app
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.org.rules import COMPANY_ROLES, Role

ALL = frozenset(Role)
EDITORS = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR})
LABEL_PRINTERS = EDITORS | {Role.DEPT_SUPERVISOR}
PHONE_REVEALERS = frozenset(
    {Role.ADMIN, Role.GM, Role.VP, Role.QA, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST}
)
ADMINS = frozenset({Role.ADMIN})
PUBLIC = "public"
SLIP_DESK = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
SLIP_VERIFIERS = frozenset({Role.ADMIN, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
SLIP_RECTIFIERS = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.DEPT_SUPERVISOR})
# the matrix's complaint is about no department: its supervisor does not handle it
COMPLAINT_HANDLERS = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR})
COMPLAINT_RECORDERS = COMPLAINT_HANDLERS | {Role.RECEPTIONIST}
COMPLAINT_VIEWERS = ALL - {Role.STAFF, Role.PUBLICIST}


@dataclass(frozen=True)
class Route:
    method: str
    #: the URL for a project's ids (a SimpleNamespace from the `world` fixture)
    url: object
    allowed: frozenset | str
    #: whether the URL names a record of one project (else "other" is not meaningful)
    project_bound: bool = True
    data: dict = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    # sign-in, account, language
    "org.login": Route("GET", lambda p: "/login", PUBLIC, project_bound=False),
    "org.logout": Route("POST", lambda p: "/logout", ALL, project_bound=False),
    "org.account": Route("GET", lambda p: "/account", ALL, project_bound=False),
    "org.sign_out_everywhere": Route("POST", lambda p: "/account/sign-out-everywhere", ALL, project_bound=False),
    "org.set_language": Route("POST", lambda p: "/language", PUBLIC, project_bound=False, data={"locale": "en"}),
    # My work and the inbox
    "inbox.my_work": Route("GET", lambda p: "/", ALL, project_bound=False),
    "inbox.notifications": Route("GET", lambda p: "/inbox", ALL, project_bound=False),
    "inbox.read_all": Route("POST", lambda p: "/inbox/read-all", ALL, project_bound=False),
    # the notification belongs to the project's PM: only that person may open it
    "inbox.open_notification": Route("POST", lambda p: f"/inbox/{p.notification_id}/open", frozenset()),
    # the shell
    "pwa.manifest": Route("GET", lambda p: "/manifest.webmanifest", PUBLIC, project_bound=False),
    "pwa.service_worker": Route("GET", lambda p: "/sw.js", PUBLIC, project_bound=False),
    "pwa.offline": Route("GET", lambda p: "/offline", PUBLIC, project_bound=False),
    "static": Route("GET", lambda p: "/static/css/app.css", PUBLIC, project_bound=False),
    # the estate
    "estate.index": Route("GET", lambda p: "/estate/", ALL, project_bound=False),
    "estate.facilities": Route("GET", lambda p: f"/estate/facilities?project={p.id}", ALL),
    "estate.building": Route("GET", lambda p: f"/estate/buildings/{p.building_id}", ALL),
    "estate.unit": Route("GET", lambda p: f"/estate/units/{p.unit_id}", ALL),
    "estate.owner": Route("GET", lambda p: f"/estate/owners/{p.owner_id}", ALL),
    "estate.reveal_phone": Route("POST", lambda p: f"/estate/owners/{p.owner_id}/reveal-phone", PHONE_REVEALERS),
    "estate.facility": Route("GET", lambda p: f"/estate/facilities/{p.facility_id}", ALL),
    "estate.facility_by_token": Route("GET", lambda p: f"/f/{p.facility_token}", ALL),
    "estate.facility_qr_png": Route("GET", lambda p: f"/estate/facilities/{p.facility_id}/qr.png", ALL),
    "estate.new_facility": Route("GET", lambda p: f"/estate/facilities/new?building={p.building_id}", EDITORS),
    "estate.edit_facility": Route("GET", lambda p: f"/estate/facilities/{p.facility_id}/edit", EDITORS),
    "estate.building_labels": Route("GET", lambda p: f"/estate/buildings/{p.building_id}/labels", LABEL_PRINTERS),
    "estate.site_labels": Route("GET", lambda p: f"/estate/projects/{p.id}/labels", LABEL_PRINTERS),
    "estate.import_units": Route("GET", lambda p: "/estate/import", EDITORS, project_bound=False),
    "estate.import_template": Route("GET", lambda p: "/estate/import/template.xlsx", EDITORS, project_bound=False),
    # administration: company-wide, the admin role only
    "admin.index": Route("GET", lambda p: "/admin/", ADMINS, project_bound=False),
    "admin.projects": Route("GET", lambda p: "/admin/projects", ADMINS, project_bound=False),
    "admin.project_new": Route("GET", lambda p: "/admin/projects/new", ADMINS, project_bound=False),
    "admin.project": Route("GET", lambda p: f"/admin/projects/{p.id}", ADMINS),
    "admin.project_edit": Route("POST", lambda p: f"/admin/projects/{p.id}/edit", ADMINS),
    "admin.department_new": Route("GET", lambda p: f"/admin/projects/{p.id}/departments/new", ADMINS),
    "admin.department": Route("GET", lambda p: f"/admin/departments/{p.department_id}", ADMINS),
    "admin.department_edit": Route("POST", lambda p: f"/admin/departments/{p.department_id}/edit", ADMINS),
    "admin.users": Route("GET", lambda p: "/admin/users", ADMINS, project_bound=False),
    "admin.user_new": Route("GET", lambda p: "/admin/users/new", ADMINS, project_bound=False),
    "admin.user": Route("GET", lambda p: f"/admin/users/{p.staff_user_id}", ADMINS),
    "admin.user_edit": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/edit", ADMINS),
    "admin.user_disable": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/disable", ADMINS),
    "admin.user_enable": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/enable", ADMINS),
    "admin.user_reset_password": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/reset-password", ADMINS),
    "admin.grant_add": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/grants", ADMINS),
    "admin.grant_revoke": Route("POST", lambda p: f"/admin/users/{p.staff_user_id}/grants/{p.grant_id}/revoke", ADMINS),
    # -- slips workflow rows --
    "slips.index": Route("GET", lambda p: "/slips/", ALL, project_bound=False),
    "slips.new": Route("GET", lambda p: f"/slips/new?facility={p.facility_id}", ALL),
    "slips.owner_search": Route("GET", lambda p: f"/slips/owner-search?project={p.id}&q=1502", ALL),
    "slips.desk": Route("GET", lambda p: "/slips/desk", SLIP_DESK, project_bound=False),
    "slips.detail": Route("GET", lambda p: f"/slips/{p.slip_id}", ALL),
    "slips.receive": Route("POST", lambda p: f"/slips/{p.slip_id}/receive", SLIP_DESK),
    "slips.record_measures": Route("POST", lambda p: f"/slips/{p.slip_id}/measures", SLIP_RECTIFIERS),
    "slips.report_done": Route("POST", lambda p: f"/slips/{p.slip_id}/done", SLIP_RECTIFIERS),
    "slips.escalate": Route("POST", lambda p: f"/slips/{p.slip_id}/escalate", SLIP_RECTIFIERS),
    "slips.verify": Route("POST", lambda p: f"/slips/{p.slip_id}/verify", SLIP_VERIFIERS),
    "slips.callback": Route("POST", lambda p: f"/slips/{p.slip_id}/callback", SLIP_VERIFIERS),
    # only the filer (the project's patrol staff member here) may withdraw
    "slips.withdraw": Route("POST", lambda p: f"/slips/{p.slip_id}/withdraw", frozenset({Role.STAFF})),
    # -- slip photo rows --
    "slips.photo": Route("GET", lambda p: f"/slips/photos/{p.photo_id}/view", ALL),
    # -- slip summary rows --
    "slips.summary": Route("GET", lambda p: f"/slips/summary?project={p.id}", EDITORS | COMPANY_ROLES),
    "slips.summary_xlsx": Route("GET", lambda p: f"/slips/summary.xlsx?project={p.id}", EDITORS | COMPANY_ROLES),
    # -- complaint rows --
    "complaints.index": Route("GET", lambda p: "/complaints/", COMPLAINT_VIEWERS, project_bound=False),
    "complaints.new": Route("GET", lambda p: "/complaints/new", COMPLAINT_RECORDERS, project_bound=False),
    "complaints.detail": Route("GET", lambda p: f"/complaints/{p.complaint_id}", COMPLAINT_VIEWERS),
    "complaints.commit": Route("POST", lambda p: f"/complaints/{p.complaint_id}/commit", COMPLAINT_RECORDERS),
    "complaints.start": Route("POST", lambda p: f"/complaints/{p.complaint_id}/start", COMPLAINT_HANDLERS),
    "complaints.pause": Route("POST", lambda p: f"/complaints/{p.complaint_id}/pause", COMPLAINT_HANDLERS),
    "complaints.resume": Route("POST", lambda p: f"/complaints/{p.complaint_id}/resume", COMPLAINT_HANDLERS),
    "complaints.extend": Route("POST", lambda p: f"/complaints/{p.complaint_id}/extend", COMPLAINT_HANDLERS),
    # a minor complaint: the project's PM decides on more time
    "complaints.decide": Route("POST", lambda p: f"/complaints/{p.complaint_id}/decide", frozenset({Role.PM})),
    "complaints.answer": Route("POST", lambda p: f"/complaints/{p.complaint_id}/answer", COMPLAINT_HANDLERS),
    "complaints.resolve": Route("POST", lambda p: f"/complaints/{p.complaint_id}/resolve", COMPLAINT_HANDLERS),
    "complaints.invalid": Route("POST", lambda p: f"/complaints/{p.complaint_id}/invalid", COMPLAINT_RECORDERS),
    "complaints.callback": Route("POST", lambda p: f"/complaints/{p.complaint_id}/callback", COMPLAINT_RECORDERS),
    "complaints.capa": Route("POST", lambda p: f"/complaints/{p.complaint_id}/capa", COMPLAINT_HANDLERS | {Role.QA, Role.GM}),
    "complaints.capa_verify": Route("POST", lambda p: f"/complaints/{p.complaint_id}/capa/verify", frozenset({Role.ADMIN, Role.QA})),
}

REFUSED = {403, 404}
SIGNED_IN_ROLES = sorted(Role)


def test_org02_every_route_of_the_app_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "add the new routes to ROUTES"
    assert set(ROUTES) - endpoints == set(), "remove routes that no longer exist"


def _arrange(app, world):
    """Per project: a notification to its PM, and a staff member with one grant whom the
    admin routes act on (not one of the users signing in here)."""
    with app.app_context():
        for key, ids in world.projects.items():
            pm = db.session.scalar(sa.select(User).where(User.username == world.users[("pm", key)]))
            note = notify.notify(db.session, [pm.id], project_id=ids.id, title=f"{key} notice", link="/")[0]
            db.session.flush()
            ids.notification_id = note.id
            project = db.session.get(Project, ids.id)
            department = db.session.get(Department, ids.department_id)
            staff = factories.make_user(db.session, f"{key}.target", roles=[("staff", project, department)])
            ids.staff_user_id = staff.id
            ids.grant_id = staff.roles[0].id
            patrol = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", key)]))
            ids.slip_id = factories.make_slip(
                db.session, project, patrol, responsible_department_id=department.id
            ).id
            photo_slip = factories.make_slip(db.session, project, staff)
            ids.photo_id = factories.make_slip_photos(db.session, photo_slip, staff, store_from_app(app))[0].id
            receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", key)]))
            ids.complaint_id = factories.make_complaint(db.session, project, receptionist).id
        db.session.commit()


def _username(world, role: Role, side: str) -> str:
    return world.users[(role.value, None)] if role in COMPANY_ROLES else world.users[(role.value, "own")]


def _request(client, route: Route, ids):
    url = route.url(ids)
    if route.method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client), **route.data})


def _signed_in(app, username):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303, username
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_org02_access_matrix(app, world, endpoint):
    route = ROUTES[endpoint]
    _arrange(app, world)
    own, other = world.own, world.other
    failures = []

    anonymous = _request(app.test_client(), route, own)
    if route.allowed == PUBLIC:
        if anonymous.status_code >= 400 or _is_login_redirect(anonymous):
            failures.append(f"anonymous: public route answered {anonymous.status_code}")
    elif not _is_login_redirect(anonymous):
        failures.append(f"anonymous: expected the login page, got {anonymous.status_code}")

    for role in SIGNED_IN_ROLES:
        if route.allowed == PUBLIC:
            continue
        username = _username(world, role, "own")
        allowed = role in route.allowed
        if endpoint == "inbox.open_notification":
            allowed = username == world.users[("pm", "own")]
        # refusals first: a permitted POST may change what later requests see
        response = _request(_signed_in(app, username), route, own)
        status = response.status_code
        if allowed and (status in REFUSED or status >= 500 or _is_login_redirect(response)):
            failures.append(f"{role} own: expected access, got {status}")
        if not allowed and status not in REFUSED:
            failures.append(f"{role} own: expected refusal, got {status}")

        if route.project_bound:
            response = _request(_signed_in(app, username), route, other)
            status = response.status_code
            body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
            if role in COMPANY_ROLES:
                if allowed and (status in REFUSED or status >= 500):
                    failures.append(f"{role} other: company role expected access, got {status}")
            else:
                # Those who may act on such records learn nothing of the other project's
                # (404); those who may not act at all can be refused before any lookup.
                expected = {404} if allowed else REFUSED
                if status not in expected:
                    failures.append(f"{role} other: expected {sorted(expected)}, got {status}")
                if other.owner_name in body or other.owner_phone in body:
                    failures.append(f"{role} other: the other project's owner leaked")
    assert failures == []
