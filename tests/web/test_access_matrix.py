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
# -- paid service order rows -- (the matrix's orders are the world department's: its supervisor's)
SERVICE_DESK = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
SERVICE_ORDER_VIEWERS = SERVICE_DESK | {Role.GM, Role.VP, Role.QA, Role.DEPT_SUPERVISOR}
# -- paid service catalogue rows -- (the matrix's item and staff are the world department's)
SERVICE_READERS = ALL - {Role.PUBLICIST}
PRICE_PROPOSERS = frozenset({Role.ADMIN, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR})
STAFF_CLEARERS = frozenset({Role.ADMIN, Role.PM, Role.DEPT_SUPERVISOR})
RENTAL_HANDLERS = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
SERVICE_SUMMARY_READERS = COMPANY_ROLES | {Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR}
# -- reception follow-ups rows -- (the matrix's work order is the world department's)
FOLLOW_UP_DESK = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
FOLLOW_UP_READERS = ALL - {Role.STAFF, Role.PUBLICIST}
REPAIR_READERS = ALL - {Role.PUBLICIST}
REPAIR_WORKERS = frozenset({Role.ADMIN, Role.DEPT_SUPERVISOR, Role.STAFF})
# -- reception ledger rows --
RECEPTION_DESK = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
RECEPTION_READERS = RECEPTION_DESK | {Role.GM, Role.VP, Role.QA, Role.DEPT_SUPERVISOR}
RECEPTION_LOGGERS = RECEPTION_DESK | {Role.DEPT_SUPERVISOR, Role.STAFF, Role.PUBLICIST}
# whoever reads the ledger or works on what an entry starts (complaints, repairs)
RECEPTION_PHOTO_VIEWERS = ALL - {Role.PUBLICIST}
# -- reception registers rows -- (praise, suggestion, lost property, major events)
REGISTER_DESK = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST})
REGISTER_READERS = REGISTER_DESK | {Role.GM, Role.VP, Role.QA, Role.DEPT_SUPERVISOR}
PRAISE_CHECKERS = frozenset({Role.ADMIN, Role.PM, Role.CS_SUPERVISOR})
SUGGESTION_ANSWERERS = frozenset({Role.ADMIN, Role.PM, Role.PM_ASSISTANT})
EVENT_RECORDERS = REGISTER_DESK | {Role.DEPT_SUPERVISOR}
# -- reception public rows -- (the owners' pages need no login; the poster is for those
# who read the ledger or print labels)
POSTER_PRINTERS = ALL - {Role.STAFF, Role.PUBLICIST}
# -- activities rows -- (every role sees its project's activities; see webapp.org.rules)
ACTIVITY_READERS = ALL
ACTIVITY_ORGANISERS = frozenset(
    {Role.ADMIN, Role.PM, Role.PM_ASSISTANT, Role.CS_SUPERVISOR, Role.RECEPTIONIST, Role.PUBLICIST}
)
SURVEY_RUNNERS = ACTIVITY_ORGANISERS - {Role.RECEPTIONIST}
PLAN_DRAFTERS = frozenset({Role.ADMIN, Role.PUBLICIST, Role.CS_SUPERVISOR})
PLAN_CONFIRMERS = frozenset({Role.ADMIN, Role.PM})
PLAN_APPROVERS = frozenset({Role.ADMIN, Role.VP})
SUMMARY_WRITERS = frozenset({Role.ADMIN, Role.CS_SUPERVISOR})
# the annual plan is the publicist's (rules.plan_action_role), not the CS supervisor's
ANNUAL_PLAN_DRAFTERS = PLAN_DRAFTERS - {Role.CS_SUPERVISOR}
# -- activities timeline rows -- (the matrix's department is security: its supervisor does the crowd-flow plan)
TIMELINE_SECURITY_PLAN = frozenset({Role.ADMIN, Role.DEPT_SUPERVISOR})
# -- activities reschedule rows -- (the PM or the CS supervisor moves an activity)
ACTIVITY_RESCHEDULERS = frozenset({Role.ADMIN, Role.PM, Role.CS_SUPERVISOR})
# -- evaluation sheet rows -- (ORG-02: GM, VP, QA everything; the PM the project; a supervisor the department)
EVALUATION_PROJECT_READERS = frozenset({Role.GM, Role.VP, Role.QA, Role.PM})
EVALUATION_DEPARTMENT_READERS = EVALUATION_PROJECT_READERS | {Role.DEPT_SUPERVISOR}
EVALUATION_PERSON_READERS = EVALUATION_DEPARTMENT_READERS
# -- evaluation company rows -- (the company view is GM, VP and QA's; a department's people
# are ranked by its supervisor too, its project's departments only by the PM and the company)
EVALUATION_COMPANY_READERS = frozenset({Role.GM, Role.VP, Role.QA})


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
    "pwa.healthz": Route("GET", lambda p: "/healthz", PUBLIC, project_bound=False),
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
    # -- owner picker rows (the slip and complaint forms) --
    "estate.owner_search": Route("GET", lambda p: f"/estate/owners/search?project={p.id}&q=1502", ALL),
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
    # -- admin robot rows --
    "admin.robot": Route("GET", lambda p: f"/admin/projects/{p.id}/robot", ADMINS),
    "admin.robot_edit": Route("POST", lambda p: f"/admin/projects/{p.id}/robot/edit", ADMINS),
    # no robot is set up here: the admin is told to set one up, nothing is sent
    "admin.robot_test": Route("POST", lambda p: f"/admin/projects/{p.id}/robot/test", ADMINS),
    "admin.company": Route("GET", lambda p: "/admin/company", ADMINS, project_bound=False),
    "admin.company_edit": Route("POST", lambda p: "/admin/company/edit", ADMINS, project_bound=False),
    # -- slips workflow rows --
    "slips.index": Route("GET", lambda p: "/slips/", ALL, project_bound=False),
    "slips.new": Route("GET", lambda p: f"/slips/new?facility={p.facility_id}", ALL),
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
    # -- complaint major-grounds rows: the PM, QA or the GM (by role, CMP-02 a/b) --
    "complaints.mark_major": Route("POST", lambda p: f"/complaints/{p.complaint_id}/major", frozenset({Role.PM, Role.QA, Role.GM})),
    # -- complaint report rows --
    # the register and the monthly summary: QA, the GM and VP, the PM and assistant, the CS supervisor
    "complaints.register": Route("GET", lambda p: f"/complaints/register?project={p.id}", EDITORS | COMPANY_ROLES),
    "complaints.register_xlsx": Route("GET", lambda p: f"/complaints/register.xlsx?project={p.id}", EDITORS | COMPANY_ROLES),
    "complaints.summary": Route("GET", lambda p: f"/complaints/summary?project={p.id}", EDITORS | COMPANY_ROLES),
    "complaints.summary_xlsx": Route("GET", lambda p: f"/complaints/summary.xlsx?project={p.id}", EDITORS | COMPANY_ROLES),
    # customer service (or QA) writes the analysis; the PM reviews it (nothing submitted: 422)
    "complaints.save_analysis": Route(
        "POST", lambda p: f"/complaints/summary/analysis?project={p.id}", frozenset({Role.ADMIN, Role.QA, Role.CS_SUPERVISOR})
    ),
    "complaints.review_analysis": Route(
        "POST", lambda p: f"/complaints/summary/analysis/review?project={p.id}", frozenset({Role.ADMIN, Role.PM})
    ),
    # -- paid service job rows --
    # the technicians' pages: "my jobs" for whoever does paid jobs; a job (a completed one,
    # awaiting the owner) only for the technician dispatched on it, the project's staff member
    "paid_services.jobs": Route("GET", lambda p: "/services/jobs", frozenset({Role.ADMIN, Role.DEPT_SUPERVISOR, Role.STAFF}), project_bound=False),
    "paid_services.job": Route("GET", lambda p: f"/services/jobs/{p.job_order_id}", frozenset({Role.STAFF})),
    "paid_services.job_start": Route("POST", lambda p: f"/services/jobs/{p.job_order_id}/start", frozenset({Role.STAFF})),
    "paid_services.job_tick": Route("POST", lambda p: f"/services/jobs/{p.job_order_id}/tick", frozenset({Role.STAFF})),
    "paid_services.job_complete": Route("POST", lambda p: f"/services/jobs/{p.job_order_id}/complete", frozenset({Role.STAFF})),
    "paid_services.job_signing": Route("GET", lambda p: f"/services/jobs/{p.job_order_id}/sign", frozenset({Role.STAFF})),
    # nothing drawn and no content hash: refused as changed meanwhile (409), nothing signed
    "paid_services.job_sign": Route("POST", lambda p: f"/services/jobs/{p.job_order_id}/sign", frozenset({Role.STAFF})),
    "paid_services.job_refuse": Route("POST", lambda p: f"/services/jobs/{p.job_order_id}/refuse", frozenset({Role.STAFF})),
    # -- paid service order rows --
    # the list: whoever works with paid services (a technician sees the orders they are on)
    "paid_services.index": Route("GET", lambda p: "/services/", ALL - {Role.PUBLICIST}, project_bound=False),
    "paid_services.new": Route("GET", lambda p: "/services/orders/new", SERVICE_DESK, project_bound=False),
    # a registered order nobody is dispatched on: the staff member is not on it
    "paid_services.detail": Route("GET", lambda p: f"/services/orders/{p.service_order_id}", SERVICE_ORDER_VIEWERS),
    "paid_services.print_registration": Route(
        "GET", lambda p: f"/services/orders/{p.service_order_id}/print", SERVICE_ORDER_VIEWERS
    ),
    "paid_services.edit": Route(
        "GET", lambda p: f"/services/orders/{p.service_order_id}/edit", SERVICE_DESK | {Role.DEPT_SUPERVISOR}
    ),
    # no version posted: refused as changed meanwhile (409), nothing changes
    "paid_services.dispatch": Route(
        "POST", lambda p: f"/services/orders/{p.service_order_id}/dispatch", frozenset({Role.ADMIN, Role.DEPT_SUPERVISOR})
    ),
    "paid_services.cancel": Route(
        "POST", lambda p: f"/services/orders/{p.service_order_id}/cancel", SERVICE_DESK | {Role.DEPT_SUPERVISOR}
    ),
    "paid_services.check_quality": Route(
        "POST",
        lambda p: f"/services/orders/{p.service_order_id}/quality",
        frozenset({Role.ADMIN, Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR}),
    ),
    "paid_services.signature_image": Route(
        "GET", lambda p: f"/services/signatures/{p.service_signature_id}.png", SERVICE_ORDER_VIEWERS
    ),
    # -- paid service catalogue rows --
    # steps posted without a version are refused as changed meanwhile (409): nothing changes
    "paid_services.catalogue": Route("GET", lambda p: f"/services/items?project={p.id}", SERVICE_READERS),
    "paid_services.catalogue_print": Route("GET", lambda p: f"/services/items/print?project={p.id}", SERVICE_READERS),
    "paid_services.item_new": Route("GET", lambda p: "/services/items/new", PRICE_PROPOSERS, project_bound=False),
    "paid_services.item": Route("GET", lambda p: f"/services/items/{p.service_item_id}", SERVICE_READERS),
    "paid_services.item_propose_price": Route("POST", lambda p: f"/services/items/{p.service_item_id}/price", PRICE_PROPOSERS),
    "paid_services.item_decide": Route("POST", lambda p: f"/services/items/{p.service_item_id}/decide", frozenset({Role.ADMIN, Role.GM})),
    "paid_services.item_withdraw": Route(
        "POST", lambda p: f"/services/items/{p.service_item_id}/withdraw", PRICE_PROPOSERS | {Role.GM}
    ),
    # nothing typed: the training date is missing, the reason too (422)
    "paid_services.staff": Route("GET", lambda p: f"/services/staff?project={p.id}", STAFF_CLEARERS),
    "paid_services.staff_clear": Route(
        "POST", lambda p: f"/services/staff/{p.staff_user_id}/clear?project={p.id}", STAFF_CLEARERS
    ),
    "paid_services.clearance_revoke": Route("POST", lambda p: f"/services/clearances/{p.clearance_id}/revoke", STAFF_CLEARERS),
    "paid_services.rentals": Route("GET", lambda p: "/services/rentals", RENTAL_HANDLERS, project_bound=False),
    "paid_services.rental_new": Route("GET", lambda p: "/services/rentals/new", RENTAL_HANDLERS, project_bound=False),
    "paid_services.rental": Route("GET", lambda p: f"/services/rentals/{p.rental_id}", RENTAL_HANDLERS),
    "paid_services.rental_print": Route("GET", lambda p: f"/services/rentals/{p.rental_id}/print", RENTAL_HANDLERS),
    "paid_services.rental_list": Route("POST", lambda p: f"/services/rentals/{p.rental_id}/list", RENTAL_HANDLERS),
    "paid_services.rental_let": Route("POST", lambda p: f"/services/rentals/{p.rental_id}/let", RENTAL_HANDLERS),
    "paid_services.rental_withdraw": Route("POST", lambda p: f"/services/rentals/{p.rental_id}/withdraw", RENTAL_HANDLERS),
    "paid_services.summary": Route("GET", lambda p: f"/services/summary?project={p.id}", SERVICE_SUMMARY_READERS),
    "paid_services.summary_xlsx": Route("GET", lambda p: f"/services/summary.xlsx?project={p.id}", SERVICE_SUMMARY_READERS),
    # -- reception follow-ups rows --
    # the start pages need an entry not yet routed; steps posted without a version are
    # refused as changed meanwhile (409): nothing changes
    "reception.start_return_slip": Route(
        "GET", lambda p: f"/reception/{p.follow_up_entry_id}/start/return-slip", FOLLOW_UP_DESK
    ),
    "reception.start_work_order": Route("GET", lambda p: f"/reception/{p.follow_up_entry_id}/start/work-order", FOLLOW_UP_DESK),
    "reception.return_slips": Route("GET", lambda p: "/reception/return-slips", FOLLOW_UP_READERS, project_bound=False),
    "reception.return_slip": Route("GET", lambda p: f"/reception/return-slips/{p.return_slip_id}", FOLLOW_UP_READERS),
    "reception.return_slip_print": Route(
        "GET", lambda p: f"/reception/return-slips/{p.return_slip_id}/print", FOLLOW_UP_READERS
    ),
    "reception.return_slip_send": Route("POST", lambda p: f"/reception/return-slips/{p.return_slip_id}/send", FOLLOW_UP_DESK),
    "reception.return_slip_answer": Route(
        "POST", lambda p: f"/reception/return-slips/{p.return_slip_id}/answer", FOLLOW_UP_DESK
    ),
    "reception.return_slip_complete": Route(
        "POST", lambda p: f"/reception/return-slips/{p.return_slip_id}/complete", FOLLOW_UP_DESK
    ),
    "reception.return_slip_withdraw": Route(
        "POST", lambda p: f"/reception/return-slips/{p.return_slip_id}/withdraw", FOLLOW_UP_DESK
    ),
    "reception.work_orders": Route("GET", lambda p: "/reception/work-orders", REPAIR_READERS, project_bound=False),
    "reception.work_order": Route("GET", lambda p: f"/reception/work-orders/{p.work_order_id}", REPAIR_READERS),
    "reception.work_order_done": Route("POST", lambda p: f"/reception/work-orders/{p.work_order_id}/done", REPAIR_WORKERS),
    "reception.work_order_callback": Route(
        "POST", lambda p: f"/reception/work-orders/{p.work_order_id}/callback", FOLLOW_UP_DESK
    ),
    "reception.work_order_close": Route("POST", lambda p: f"/reception/work-orders/{p.work_order_id}/close", FOLLOW_UP_DESK),
    "reception.work_order_cancel": Route("POST", lambda p: f"/reception/work-orders/{p.work_order_id}/cancel", FOLLOW_UP_DESK),
    # -- reception ledger rows -- (the matrix's entry is new, logged by the receptionist, with
    # the owner and a photo; steps posted without a version are refused as changed meanwhile)
    "reception.ledger": Route("GET", lambda p: "/reception/", RECEPTION_READERS, project_bound=False),
    "reception.new": Route("GET", lambda p: "/reception/new", RECEPTION_LOGGERS, project_bound=False),
    "reception.detail": Route("GET", lambda p: f"/reception/{p.entry_id}", RECEPTION_READERS),
    "reception.start_note": Route("POST", lambda p: f"/reception/{p.entry_id}/start/note", RECEPTION_DESK),
    "reception.match": Route("POST", lambda p: f"/reception/{p.entry_id}/match", RECEPTION_DESK),
    "reception.close": Route("POST", lambda p: f"/reception/{p.entry_id}/close", RECEPTION_DESK),
    "reception.discard": Route("POST", lambda p: f"/reception/{p.entry_id}/discard", RECEPTION_DESK),
    "reception.reveal_contact": Route("POST", lambda p: f"/reception/{p.entry_id}/reveal-contact", PHONE_REVEALERS),
    "reception.photo": Route(
        "GET", lambda p: f"/reception/photos/{p.reception_photo_id}/view", RECEPTION_PHOTO_VIEWERS
    ),
    "reception.register": Route("GET", lambda p: f"/reception/register?project={p.id}", RECEPTION_READERS),
    "reception.register_xlsx": Route("GET", lambda p: f"/reception/register.xlsx?project={p.id}", RECEPTION_READERS),
    # -- reception public rows --
    "owner_contact.form": Route("GET", lambda p: f"/contact/{p.code}", PUBLIC, project_bound=False),
    "owner_contact.thanks": Route("GET", lambda p: f"/contact/{p.code}/thanks", PUBLIC, project_bound=False),
    "owner_contact.status": Route("GET", lambda p: f"/contact/status/{p.owner_status_token}", PUBLIC, project_bound=False),
    "reception.poster": Route("GET", lambda p: f"/reception/poster?project={p.id}", POSTER_PRINTERS),
    # -- activities holiday rows -- (company-wide: no project; deleting a row already gone is no error)
    "activities.holidays": Route("GET", lambda p: "/activities/holidays", ADMINS, project_bound=False),
    "activities.holiday_delete": Route("POST", lambda p: "/activities/holidays/0/delete", ADMINS, project_bound=False),
    # -- activities survey rows --
    "activities.surveys": Route("GET", lambda p: f"/activities/surveys?project={p.id}", ACTIVITY_READERS),
    "activities.survey_new": Route("GET", lambda p: f"/activities/surveys/new?project={p.id}", SURVEY_RUNNERS),
    "activities.survey": Route("GET", lambda p: f"/activities/surveys/{p.survey_id}", ACTIVITY_READERS),
    "activities.survey_step": Route("POST", lambda p: f"/activities/surveys/{p.survey_id}/close", SURVEY_RUNNERS),
    "activities.survey_poster": Route("GET", lambda p: f"/activities/surveys/{p.survey_id}/poster", SURVEY_RUNNERS),
    "activity_public.survey": Route("GET", lambda p: f"/survey/{p.survey_token}", PUBLIC, project_bound=False),
    "activity_public.survey_thanks": Route(
        "GET", lambda p: f"/survey/{p.survey_token}/thanks", PUBLIC, project_bound=False
    ),
    # -- activities plan rows --
    "activities.index": Route("GET", lambda p: f"/activities/?project={p.id}", ACTIVITY_READERS),
    "activities.plan_new": Route(
        "GET", lambda p: f"/activities/plans/new?project={p.id}&year={p.activity_year + 3}", ANNUAL_PLAN_DRAFTERS
    ),
    "activities.plan": Route("GET", lambda p: f"/activities/plans/{p.activity_plan_id}", ACTIVITY_READERS),
    "activities.plan_edit": Route("GET", lambda p: f"/activities/plans/{p.activity_plan_id}/edit", ANNUAL_PLAN_DRAFTERS),
    "activities.plan_step": Route("POST", lambda p: f"/activities/plans/{p.activity_plan_id}/submit", ANNUAL_PLAN_DRAFTERS),
    "activities.plan_print": Route("GET", lambda p: f"/activities/plans/{p.activity_plan_id}/print", ACTIVITY_READERS),
    # -- activities timeline rows -- (the matrix's activity has no detailed plan yet: its steps
    # are refused by the rules, 422; the security plan is the security supervisor's)
    "activities.activity": Route("GET", lambda p: f"/activities/{p.activity_id}", ACTIVITY_READERS),
    "activities.milestone_done": Route(
        "POST", lambda p: f"/activities/{p.activity_id}/milestones/security_plan", TIMELINE_SECURITY_PLAN
    ),
    "activities.detailed_plan": Route("GET", lambda p: f"/activities/{p.activity_id}/detailed-plan", ACTIVITY_READERS),
    "activities.detailed_plan_step": Route(
        "POST", lambda p: f"/activities/{p.activity_id}/detailed-plan/pm_confirm", PLAN_CONFIRMERS
    ),
    "activities.activity_step": Route("POST", lambda p: f"/activities/{p.activity_id}/status/ready", ACTIVITY_ORGANISERS),
    # -- activities reschedule rows --
    "activities.reschedule": Route("GET", lambda p: f"/activities/{p.activity_id}/reschedule", ACTIVITY_RESCHEDULERS),
    # -- activities preparation rows -- (the matrix's activity is important and scheduled; a
    # POST without values is refused next to its field (422); removing an entry already gone
    # does nothing more (303))
    "activities.checklist": Route("GET", lambda p: f"/activities/{p.activity_id}/checklist", ACTIVITY_READERS),
    "activities.households": Route("GET", lambda p: f"/activities/{p.activity_id}/households", ACTIVITY_READERS),
    "activities.roster": Route("GET", lambda p: f"/activities/{p.activity_id}/roster", ACTIVITY_READERS),
    "activities.roster_remove": Route(
        "POST", lambda p: f"/activities/{p.activity_id}/roster/0/remove", ACTIVITY_ORGANISERS
    ),
    # -- activities poster rows --
    "activities.poster": Route("GET", lambda p: f"/activities/{p.activity_id}/poster", ACTIVITY_ORGANISERS),
    "activities.rsvps": Route("GET", lambda p: f"/activities/{p.activity_id}/rsvps", ACTIVITY_READERS),
    "activity_public.activity": Route("GET", lambda p: f"/activity/{p.activity_token}", PUBLIC, project_bound=False),
    # -- activities summary rows -- (writing the summary, SUMMARY_WRITERS only, is proved in
    # tests/web/test_activity_summary.py: the matrix's activity is not yet held)
    "activities.summary": Route("GET", lambda p: f"/activities/{p.activity_id}/summary", ACTIVITY_READERS),
    "activities.register": Route(
        "GET", lambda p: f"/activities/register?project={p.id}&year={p.activity_year}", ACTIVITY_READERS
    ),
    "activities.register_xlsx": Route(
        "GET", lambda p: f"/activities/register.xlsx?project={p.id}&year={p.activity_year}", ACTIVITY_READERS
    ),
    # -- reception registers rows --
    "reception.start_praise": Route("GET", lambda p: f"/reception/{p.register_entry_id}/start/praise", REGISTER_DESK),
    "reception.start_suggestion": Route(
        "GET", lambda p: f"/reception/{p.register_entry_id}/start/suggestion", REGISTER_DESK
    ),
    "reception.start_lost_property": Route(
        "GET", lambda p: f"/reception/{p.register_entry_id}/start/lost-property", REGISTER_DESK
    ),
    "reception.praises": Route("GET", lambda p: f"/reception/praises?project={p.id}", REGISTER_READERS),
    "reception.praise": Route("GET", lambda p: f"/reception/praises/{p.praise_id}", REGISTER_READERS),
    "reception.praise_verify": Route("POST", lambda p: f"/reception/praises/{p.praise_id}/verify", PRAISE_CHECKERS),
    "reception.praise_credit": Route("POST", lambda p: f"/reception/praises/{p.praise_id}/credit", PRAISE_CHECKERS),
    "reception.suggestion": Route("GET", lambda p: f"/reception/suggestions/{p.suggestion_id}", REGISTER_READERS),
    "reception.suggestion_answer": Route(
        "POST", lambda p: f"/reception/suggestions/{p.suggestion_id}/answer", SUGGESTION_ANSWERERS
    ),
    "reception.found_items": Route("GET", lambda p: f"/reception/lost-property?project={p.id}", REGISTER_READERS),
    "reception.found_item_new": Route("GET", lambda p: "/reception/lost-property/new", REGISTER_DESK, project_bound=False),
    "reception.found_item": Route("GET", lambda p: f"/reception/lost-property/{p.found_item_id}", REGISTER_READERS),
    "reception.found_item_claim": Route(
        "POST", lambda p: f"/reception/lost-property/{p.found_item_id}/claim", REGISTER_DESK
    ),
    "reception.found_item_hand_over": Route(
        "POST", lambda p: f"/reception/lost-property/{p.found_item_id}/hand-over", REGISTER_DESK
    ),
    "reception.major_events": Route("GET", lambda p: f"/reception/events?project={p.id}", REGISTER_READERS),
    "reception.major_event_new": Route("GET", lambda p: "/reception/events/new", EVENT_RECORDERS, project_bound=False),
    "reception.major_event": Route("GET", lambda p: f"/reception/events/{p.major_event_id}", REGISTER_READERS),
    "reception.major_event_update": Route(
        "POST", lambda p: f"/reception/events/{p.major_event_id}/update", EVENT_RECORDERS
    ),
    "reception.major_event_close": Route("POST", lambda p: f"/reception/events/{p.major_event_id}/close", EVENT_RECORDERS),
    # -- evaluation sheet rows -- (the sheet is of the world department's staff member;
    # the admin manages people but reads no one's evaluation)
    "evaluation.index": Route("GET", lambda p: "/evaluation/", ALL, project_bound=False),
    "evaluation.person": Route("GET", lambda p: f"/evaluation/people/{p.staff_user_id}", EVALUATION_PERSON_READERS),
    "evaluation.department": Route(
        "GET", lambda p: f"/evaluation/departments/{p.department_id}", EVALUATION_DEPARTMENT_READERS
    ),
    "evaluation.project": Route("GET", lambda p: f"/evaluation/projects/{p.id}", EVALUATION_PROJECT_READERS),
    "evaluation.evidence": Route(
        "GET", lambda p: f"/evaluation/evidence/person/{p.staff_user_id}/slips_filed", EVALUATION_PERSON_READERS
    ),
    "evaluation.person_xlsx": Route(
        "GET", lambda p: f"/evaluation/people/{p.staff_user_id}.xlsx", EVALUATION_PERSON_READERS
    ),
    "evaluation.department_xlsx": Route(
        "GET", lambda p: f"/evaluation/departments/{p.department_id}.xlsx", EVALUATION_DEPARTMENT_READERS
    ),
    "evaluation.project_xlsx": Route("GET", lambda p: f"/evaluation/projects/{p.id}.xlsx", EVALUATION_PROJECT_READERS),
    # -- evaluation company rows --
    "evaluation.company": Route("GET", lambda p: "/evaluation/company", EVALUATION_COMPANY_READERS, project_bound=False),
    "evaluation.company_xlsx": Route(
        "GET", lambda p: "/evaluation/company.xlsx", EVALUATION_COMPANY_READERS, project_bound=False
    ),
    "evaluation.ranking": Route(
        "GET", lambda p: f"/evaluation/ranking?department={p.department_id}&of=people", EVALUATION_DEPARTMENT_READERS
    ),
    "evaluation.ranking_xlsx": Route(
        "GET", lambda p: f"/evaluation/ranking.xlsx?project={p.id}&of=departments", EVALUATION_PROJECT_READERS
    ),
}

REFUSED = {403, 404}
SIGNED_IN_ROLES = sorted(Role)


def test_org02_every_route_of_the_app_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "add the new routes to ROUTES"
    assert set(ROUTES) - endpoints == set(), "remove routes that no longer exist"


def _service_job(session, world, key: str, project: Project, department: Department):
    """-- paid service job rows --: a job the project's staff member did, awaiting the owner."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.estate.models import Unit
    from webapp.paid_services.models import ServiceAssignment

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    moment = now()
    supervisor = user("dept_supervisor")
    item = factories.make_service_item(session, project, department, supervisor)
    order = factories.make_service_order(
        session, project, item, session.get(Unit, world.projects[key].unit_id), user("receptionist"),
        status="completed", owner_id=world.projects[key].owner_id, contact=None, work_done="保洁",
        started_at=moment - timedelta(hours=2), finished_at=moment - timedelta(hours=1),
    )
    session.add(ServiceAssignment(project_id=project.id, order_id=order.id, technician_id=user("staff").id,
                                  assigned_by_id=supervisor.id, assigned_at=moment))
    session.flush()
    return order


def _service_order(session, world, key: str, project: Project, department: Department, store) -> tuple[int, int]:
    """-- paid service order rows --: an order registered at the desk, nobody dispatched yet,
    and the id of an owner's signature (its image stored) on another order."""
    import io

    from PIL import Image, ImageDraw

    from webapp.core.clock import now
    from webapp.core.media import new_key
    from webapp.estate.models import Unit
    from webapp.paid_services.models import ServiceSignature

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    unit = session.get(Unit, world.projects[key].unit_id)
    item = factories.make_service_item(session, project, department, user("dept_supervisor"))
    order = factories.make_service_order(session, project, item, unit, user("receptionist"),
                                         owner_id=world.projects[key].owner_id)
    signed = factories.make_service_order(session, project, item, unit, user("receptionist"), status="signed")
    image = Image.new("L", (300, 100), 255)
    ImageDraw.Draw(image).line([(20, 80), (120, 20), (280, 70)], fill=0, width=4)
    png = io.BytesIO()
    image.save(png, "PNG")
    image_key = new_key(".png")
    store.save(image_key, png.getvalue())
    signature = ServiceSignature(
        project_id=project.id, order_id=signed.id, signer_name=f"{key}业主", signed_at=now(), content_hash="0" * 64,
        signed_content="{}", image_key=image_key, refused=False, satisfaction=5, recorded_by_id=user("staff").id,
    )
    session.add(signature)
    session.flush()
    return order.id, signature.id


def _service_catalogue(session, world, key: str, project: Project, department: Department) -> tuple[int, int, int]:
    """-- paid service catalogue rows --: an approved item of the department, the project's
    staff member cleared for work in homes, and a rental commission just applied for."""
    from webapp.core.clock import now
    from webapp.paid_services.models import RentalCommission

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    item = factories.make_service_item(session, project, department, user("dept_supervisor"))
    clearance = factories.make_service_clearance(session, project, user("staff"), user("pm"))
    rental = RentalCommission(
        project_id=project.id, number=f"{project.code}-WT-0001", status="applied", unit_id=world.projects[key].unit_id,
        owner_id=world.projects[key].owner_id, asking_rent_fen=300000, commission_rate_bp=800, applied_at=now(),
        recorded_by_id=user("receptionist").id,
    )
    session.add(rental)
    session.flush()
    return item.id, clearance.id, rental.id


def _reception_follow_ups(session, world, key: str, project: Project, department: Department) -> tuple[int, int, int]:
    """-- reception follow-ups rows --: an entry not yet routed (for the start pages), a
    return slip with the developer and a work order dispatched to the world department."""

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    receptionist = user("receptionist")
    ids = world.projects[key]
    fresh = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    slip_entry = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    slip = factories.make_return_slip(session, slip_entry, receptionist)
    order_entry = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    order = factories.make_work_order(session, order_entry, receptionist, department)
    return fresh.id, slip.id, order.id


def _reception_registers(session, world, key: str, project: Project) -> tuple[int, int, int, int, int]:
    """-- reception registers rows --: an entry not yet routed (for the start pages), a praise
    waiting to be checked, a suggestion with the PM, an item held and an open event."""

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    receptionist = user("receptionist")
    ids = world.projects[key]

    def entry():
        return factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)

    fresh = entry()
    praise = factories.make_praise(session, entry(), receptionist)
    suggestion = factories.make_suggestion(session, entry(), receptionist)
    item = factories.make_found_item(session, project, receptionist)
    event = factories.make_major_event(session, project, receptionist)
    return fresh.id, praise.id, suggestion.id, item.id, event.id


def _activities(session, world, key: str, project: Project) -> dict[str, object]:
    """-- activities rows --: an open survey, a draft annual plan for the year after next,
    and next year's approved plan with an important activity on its timeline."""
    from webapp.core.clock import local_date, now

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    publicist = user("publicist")
    year = local_date(now()).year
    survey = factories.make_activity_survey(session, project, publicist)
    draft = factories.make_activity_plan(session, project, publicist, year=year + 2)
    approved = factories.make_activity_plan(session, project, publicist, year=year + 1, status="approved")
    activity = factories.make_activity(session, approved, important=True, scheduled=True)
    return {
        "survey_id": survey.id,
        "survey_token": survey.public_token,
        "activity_plan_id": draft.id,
        "approved_plan_id": approved.id,
        "activity_id": activity.id,
        "activity_token": activity.public_token,
        "activity_year": approved.year,
    }


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
            # -- paid service job rows --
            ids.job_order_id = _service_job(db.session, world, key, project, department).id
            # -- paid service order rows --
            ids.service_order_id, ids.service_signature_id = _service_order(
                db.session, world, key, project, department, store_from_app(app)
            )
            # -- paid service catalogue rows --
            ids.service_item_id, ids.clearance_id, ids.rental_id = _service_catalogue(
                db.session, world, key, project, department
            )
            # -- reception follow-ups rows --
            ids.follow_up_entry_id, ids.return_slip_id, ids.work_order_id = _reception_follow_ups(
                db.session, world, key, project, department
            )
            # -- reception ledger rows --
            entry = factories.make_reception_entry(
                db.session, project, receptionist, owner_id=ids.owner_id, unit_id=ids.unit_id
            )
            ids.entry_id = entry.id
            ids.reception_photo_id = factories.make_reception_photos(
                db.session, entry, receptionist, store_from_app(app)
            )[0].id
            # -- reception registers rows --
            (ids.register_entry_id, ids.praise_id, ids.suggestion_id, ids.found_item_id,
             ids.major_event_id) = _reception_registers(db.session, world, key, project)
            # -- reception public rows --
            ids.owner_status_token = factories.make_owner_request(db.session, project).public_token
            # -- activities rows --
            for name, value in _activities(db.session, world, key, project).items():
                setattr(ids, name, value)
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
