"""Who may do what, where (ORG-01, ORG-02). Pure: no Flask, no database."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum

from webapp.core.clock import local_date, local_midnight
from webapp.core.rulekit import N_, RuleViolation


class Role(StrEnum):
    # company roles: every project
    ADMIN = "admin"  # 系统管理员
    GM = "gm"  # 总经理
    VP = "vp"  # 分管副总经理
    QA = "qa"  # 品质部
    # project roles
    PM = "pm"  # 项目经理
    PM_ASSISTANT = "pm_assistant"  # 经理助理
    CS_SUPERVISOR = "cs_supervisor"  # 客服主管
    RECEPTIONIST = "receptionist"  # 接待员
    PUBLICIST = "publicist"  # 宣传员
    # department roles: one project, one department
    DEPT_SUPERVISOR = "dept_supervisor"  # 部门主管
    STAFF = "staff"  # 员工 (patrol staff, technicians)


COMPANY_ROLES = frozenset({Role.ADMIN, Role.GM, Role.VP, Role.QA})
DEPARTMENT_ROLES = frozenset({Role.DEPT_SUPERVISOR, Role.STAFF})
PROJECT_ROLES = frozenset(Role) - COMPANY_ROLES - DEPARTMENT_ROLES
#: the customer-service desk: who receives, verifies and calls owners back (篇2, 篇4)
DESK_ROLES = (Role.RECEPTIONIST.value, Role.CS_SUPERVISOR.value)


class DepartmentKind(StrEnum):
    CUSTOMER_SERVICE = "customer_service"  # 客服中心
    SECURITY = "security"  # 安全部
    MAINTENANCE = "maintenance"  # 维修部
    CLEANING = "cleaning"  # 保洁部
    LANDSCAPING = "landscaping"  # 绿化部
    HOUSEKEEPING = "housekeeping"  # 家政部
    OTHER = "other"


class Permission(StrEnum):
    VIEW_ESTATE = "estate.view"
    EDIT_ESTATE = "estate.edit"  # buildings, units, owners, facilities, imports
    REVEAL_PHONE = "estate.reveal_phone"  # EST-03: a deliberate, audited action
    PRINT_LABELS = "estate.print_labels"
    MANAGE_PEOPLE = "org.manage"  # projects, departments, users, roles
    FILE_SLIP = "slips.file"  # SLIP-01: everyone files information-transfer slips
    WORK_SLIP_DESK = "slips.desk"  # SLIP-03: receive at the CS desk and assign
    RECTIFY_SLIP = "slips.rectify"  # SLIP-04..06: the responsible department (checked in ops)
    VERIFY_SLIP = "slips.verify"  # SLIP-07, SLIP-08: CS verifies and calls back
    VIEW_SLIP_SUMMARY = "slips.summary"  # SLIP-09: the weekly summary
    RECORD_COMPLAINT = "complaints.record"  # CMP-03: receive and record a complaint
    HANDLE_COMPLAINT = "complaints.handle"  # CMP-04..06: commit, handle, answer, call back
    APPROVE_EXTENSION = "complaints.approve_extension"  # CMP-05: PM (minor), GM (important), checked per class
    VERIFY_CAPA = "complaints.verify_capa"  # CMP-09: QA verifies the corrective action worked
    VIEW_COMPLAINT_REPORTS = "complaints.reports"  # CMP-07: register and monthly summary
    WRITE_COMPLAINT_ANALYSIS = "complaints.write_analysis"  # CMP-07: CS (or QA) writes the month's analysis
    REVIEW_COMPLAINT_ANALYSIS = "complaints.review_analysis"  # CMP-07: the PM reviews it
    # paid services (SVC)
    PROPOSE_SERVICE_PRICES = "paid_services.propose_prices"  # SVC-01: supervisors, their department's items
    APPROVE_SERVICE_PRICES = "paid_services.approve_prices"  # SVC-01: the GM
    REGISTER_SERVICE_ORDERS = "paid_services.register"  # SVC-02: the service centre logs a request
    DISPATCH_SERVICE_ORDERS = "paid_services.dispatch"  # SVC-03: the department supervisor
    WORK_SERVICE_ORDERS = "paid_services.work"  # SVC-04..06: technicians dispatched on the order
    CHECK_SERVICE_QUALITY = "paid_services.check_quality"  # SVC-07: department and CS supervisors
    VIEW_SERVICE_SUMMARY = "paid_services.summary"  # SVC-07: 家政服务汇总表
    HANDLE_RENTALS = "paid_services.rentals"  # SVC-08: 房屋委托出租申请表
    CLEAR_IN_HOME_STAFF = "paid_services.clear_staff"  # SVC-03, §4.5.1: trained and cleared staff
    # owner reception (RCP)
    LOG_OWNER_CONTACTS = "reception.log"  # RCP-01: any staff member logs an owner's contact
    ROUTE_OWNER_CONTACTS = "reception.route"  # RCP-02..04: classify and start the follow-up
    CLOSE_OWNER_CONTACTS = "reception.close"  # RCP-08: close out (注销) or discard an entry
    VIEW_RECEPTION = "reception.view"  # the ledger, its follow-ups and registers
    WORK_REPAIR_ORDERS = "reception.repair"  # RCP-04: the order's department reports it done (checked per department)
    VERIFY_PRAISE = "reception.verify_praise"  # RCP-04: check a praise and credit the staff praised
    ANSWER_SUGGESTIONS = "reception.answer_suggestion"  # RCP-04: the PM's answer to a suggestion
    KEEP_LOST_PROPERTY = "reception.lost_property"  # RCP-04: 失物招领登记表
    RECORD_MAJOR_EVENTS = "reception.major_events"  # RCP-07: 重大(突发)事件处理记录表
    # community cultural activities (ACT)
    VIEW_ACTIVITIES = "activities.view"  # plans, activities and their timelines
    MANAGE_HOLIDAYS = "activities.holidays"  # ACT-11: the holiday table (administrators)
    RUN_ACTIVITY_SURVEYS = "activities.survey"  # ACT-01: the owners' preference survey
    DRAFT_ACTIVITY_PLANS = "activities.draft"  # ACT-01/04: publicist (annual), CS supervisor (detailed); per kind in ops
    CONFIRM_ACTIVITY_PLANS = "activities.confirm"  # ACT-02/04: the PM confirms feasibility and budget
    APPROVE_ACTIVITY_PLANS = "activities.approve"  # ACT-02/04/14: the VP approves, content confirmed
    ORGANISE_ACTIVITIES = "activities.organise"  # ACT-05…09: milestones, checklist, households, roster, poster
    SUMMARISE_ACTIVITIES = "activities.summarise"  # ACT-15: the CS supervisor's summary


_EVERYONE = frozenset({Permission.VIEW_ESTATE, Permission.FILE_SLIP})
_OFFICE = _EVERYONE | {Permission.REVEAL_PHONE}
_DESK = frozenset({Permission.WORK_SLIP_DESK, Permission.VERIFY_SLIP})
_SUMMARY = frozenset({Permission.VIEW_SLIP_SUMMARY})
_PM = frozenset({Permission.WORK_SLIP_DESK, Permission.RECTIFY_SLIP}) | _SUMMARY
_COMPLAINT_DESK = frozenset({Permission.RECORD_COMPLAINT, Permission.HANDLE_COMPLAINT})
_COMPLAINT_REPORTS = frozenset({Permission.VIEW_COMPLAINT_REPORTS})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.GM: _OFFICE | _SUMMARY | _COMPLAINT_REPORTS | {Permission.APPROVE_EXTENSION},
    Role.VP: _OFFICE | _SUMMARY | _COMPLAINT_REPORTS,
    Role.QA: _OFFICE
    | _SUMMARY
    | _COMPLAINT_REPORTS
    | {Permission.VERIFY_CAPA, Permission.WRITE_COMPLAINT_ANALYSIS},
    Role.PM: _OFFICE
    | _PM
    | _COMPLAINT_DESK
    | _COMPLAINT_REPORTS
    | {
        Permission.EDIT_ESTATE,
        Permission.PRINT_LABELS,
        Permission.APPROVE_EXTENSION,
        Permission.REVIEW_COMPLAINT_ANALYSIS,
    },
    Role.PM_ASSISTANT: _OFFICE
    | _PM
    | _COMPLAINT_DESK
    | _COMPLAINT_REPORTS
    | {Permission.EDIT_ESTATE, Permission.PRINT_LABELS},
    Role.CS_SUPERVISOR: _OFFICE
    | _DESK
    | _SUMMARY
    | _COMPLAINT_DESK
    | _COMPLAINT_REPORTS
    | {Permission.EDIT_ESTATE, Permission.PRINT_LABELS, Permission.WRITE_COMPLAINT_ANALYSIS},
    Role.RECEPTIONIST: _OFFICE | _DESK | {Permission.RECORD_COMPLAINT},
    Role.PUBLICIST: _EVERYONE,
    Role.DEPT_SUPERVISOR: _EVERYONE
    | {Permission.PRINT_LABELS, Permission.RECTIFY_SLIP, Permission.HANDLE_COMPLAINT},
    Role.STAFF: _EVERYONE,
}

# paid services (SVC): added per role rather than inside the table above
_SERVICE_DESK = frozenset({Permission.REGISTER_SERVICE_ORDERS, Permission.HANDLE_RENTALS})
_PAID_SERVICES: dict[Role, frozenset[Permission]] = {
    Role.GM: frozenset({Permission.APPROVE_SERVICE_PRICES, Permission.VIEW_SERVICE_SUMMARY}),
    Role.VP: frozenset({Permission.VIEW_SERVICE_SUMMARY}),
    Role.QA: frozenset({Permission.VIEW_SERVICE_SUMMARY}),
    Role.PM: _SERVICE_DESK | {Permission.VIEW_SERVICE_SUMMARY, Permission.CLEAR_IN_HOME_STAFF},
    Role.PM_ASSISTANT: _SERVICE_DESK | {Permission.VIEW_SERVICE_SUMMARY},
    Role.CS_SUPERVISOR: _SERVICE_DESK
    | {Permission.PROPOSE_SERVICE_PRICES, Permission.CHECK_SERVICE_QUALITY, Permission.VIEW_SERVICE_SUMMARY},
    Role.RECEPTIONIST: _SERVICE_DESK,
    Role.DEPT_SUPERVISOR: frozenset(
        {
            Permission.PROPOSE_SERVICE_PRICES,
            Permission.DISPATCH_SERVICE_ORDERS,
            Permission.WORK_SERVICE_ORDERS,
            Permission.CHECK_SERVICE_QUALITY,
            Permission.VIEW_SERVICE_SUMMARY,
            Permission.CLEAR_IN_HOME_STAFF,
        }
    ),
    Role.STAFF: frozenset({Permission.WORK_SERVICE_ORDERS}),
}
for _role, _extra in _PAID_SERVICES.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra
del _role, _extra

# owner reception (RCP): every project role logs a contact (RCP-01); the desk, the PM and
# the PM's assistant route and close out entries, keep the lost-property register and
# record major events; the departments report repairs done and record major events
# (a security incident, a failure); the CS supervisor and the PM check praise; the PM
# (or the assistant, for the PM) answers suggestions; company roles read everything
_RECEPTION_DESK = frozenset(
    {
        Permission.LOG_OWNER_CONTACTS,
        Permission.ROUTE_OWNER_CONTACTS,
        Permission.CLOSE_OWNER_CONTACTS,
        Permission.VIEW_RECEPTION,
        Permission.KEEP_LOST_PROPERTY,
        Permission.RECORD_MAJOR_EVENTS,
    }
)
_RECEPTION: dict[Role, frozenset[Permission]] = {
    role: _RECEPTION_DESK
    if role in (Role.RECEPTIONIST, Role.CS_SUPERVISOR, Role.PM, Role.PM_ASSISTANT)
    else frozenset({Permission.LOG_OWNER_CONTACTS})
    for role in PROJECT_ROLES | DEPARTMENT_ROLES
}
_RECEPTION[Role.CS_SUPERVISOR] |= {Permission.VERIFY_PRAISE}
_RECEPTION[Role.PM] |= {Permission.VERIFY_PRAISE, Permission.ANSWER_SUGGESTIONS}
_RECEPTION[Role.PM_ASSISTANT] |= {Permission.ANSWER_SUGGESTIONS}
_RECEPTION[Role.DEPT_SUPERVISOR] |= {
    Permission.WORK_REPAIR_ORDERS,
    Permission.RECORD_MAJOR_EVENTS,
    Permission.VIEW_RECEPTION,
}
_RECEPTION[Role.STAFF] |= {Permission.WORK_REPAIR_ORDERS}
for _role in (Role.GM, Role.VP, Role.QA):
    _RECEPTION[_role] = frozenset({Permission.VIEW_RECEPTION})
for _role, _extra in _RECEPTION.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra
del _role, _extra

# community cultural activities (ACT): everyone sees the activities of their project (a
# department supervisor owns the safety milestones, ACT-12; a milestone is done by the
# role it names, checked in the operations); the publicist runs the survey and drafts
# the annual plan, the CS supervisor the detailed plans and the summary; the PM confirms,
# the VP approves; the CS centre organises
_ACTIVITY_ORGANISERS = frozenset(
    {Permission.VIEW_ACTIVITIES, Permission.ORGANISE_ACTIVITIES, Permission.RUN_ACTIVITY_SURVEYS}
)
_ACTIVITIES: dict[Role, frozenset[Permission]] = {role: frozenset({Permission.VIEW_ACTIVITIES}) for role in Role}
_ACTIVITIES[Role.PUBLICIST] = _ACTIVITY_ORGANISERS | {Permission.DRAFT_ACTIVITY_PLANS}
_ACTIVITIES[Role.CS_SUPERVISOR] = _ACTIVITY_ORGANISERS | {
    Permission.DRAFT_ACTIVITY_PLANS,
    Permission.SUMMARISE_ACTIVITIES,
}
_ACTIVITIES[Role.PM] = _ACTIVITY_ORGANISERS | {Permission.CONFIRM_ACTIVITY_PLANS}
_ACTIVITIES[Role.PM_ASSISTANT] = _ACTIVITY_ORGANISERS
_ACTIVITIES[Role.RECEPTIONIST] = frozenset({Permission.VIEW_ACTIVITIES, Permission.ORGANISE_ACTIVITIES})
_ACTIVITIES[Role.VP] = frozenset({Permission.VIEW_ACTIVITIES, Permission.APPROVE_ACTIVITY_PLANS})
for _role, _extra in _ACTIVITIES.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra
del _role, _extra

#: (role, project_id or None for a company role, department_id or None)
Grant = tuple[str, int | None, int | None]


def check_grant_shape(role: str, project_id: int | None, department_id: int | None) -> None:
    """A company role has no project; a project role has one; a department role has both."""
    try:
        role = Role(role)
    except ValueError:
        raise RuleViolation(N_("Unknown role %(role)s."), field="role", role=role) from None
    if role in COMPANY_ROLES and (project_id is not None or department_id is not None):
        raise RuleViolation(
            N_("A company role applies to every project; choose no project."), field="project"
        )
    if role not in COMPANY_ROLES and project_id is None:
        raise RuleViolation(N_("This role needs a project."), field="project")
    if role in DEPARTMENT_ROLES and department_id is None:
        raise RuleViolation(N_("This role needs a department."), field="department")
    if role in PROJECT_ROLES and department_id is not None:
        raise RuleViolation(
            N_("This role belongs to the project, not to a department."), field="department"
        )


def visible_projects(grants: Iterable[Grant]) -> frozenset[int] | None:
    """Project ids a user may read (ORG-02); None means every project."""
    ids = set()
    for role, project_id, _ in grants:
        if role in COMPANY_ROLES:
            return None
        if project_id is not None:
            ids.add(project_id)
    return frozenset(ids)


def is_allowed(grants: Iterable[Grant], permission: Permission, project_id: int | None) -> bool:
    """Whether any grant gives `permission` in `project_id` (None: in some project)."""
    for role, grant_project, _ in grants:
        if permission not in ROLE_PERMISSIONS.get(Role(role), frozenset()):
            continue
        if grant_project is None or project_id is None or grant_project == project_id:
            return True
    return False


def is_allowed_for_department(
    grants: Iterable[Grant], permission: Permission, project_id: int, department_id: int | None
) -> bool:
    """`permission` in a project, where a department role counts only for its own
    department (a supervisor acts on what concerns their department, not on others')."""
    for role, grant_project, grant_department in grants:
        if permission not in ROLE_PERMISSIONS.get(Role(role), frozenset()):
            continue
        if grant_project is not None and grant_project != project_id:
            continue
        if grant_department is not None and grant_department != department_id:
            continue
        return True
    return False


#: the same words for an unknown user, a wrong password and a disabled account
LOGIN_FAILED = N_("Wrong username or password.")


MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation(
            N_("At least %(count)s characters."), field="password", count=MIN_PASSWORD_LENGTH
        )
    if password.lower() == username.lower():
        raise RuleViolation(N_("The password cannot be the username."), field="password")
    if len(set(password)) <= 2:
        raise RuleViolation(N_("Too easy to guess."), field="password")


# Retention of owners' personal data (PIPL; EST-03) -------------------------------------

#: the company's default: personal data of a record closed 36 months ago is anonymised
DEFAULT_RETENTION_MONTHS = 36
#: the longest period the setting accepts (ten years)
MAX_RETENTION_MONTHS = 120


def check_retention_months(months: int | None) -> int | None:
    """None or 0 keeps personal data; otherwise a whole number of months, 1 to 120."""
    if not months:
        return None
    if months < 0 or months > MAX_RETENTION_MONTHS:
        raise RuleViolation(
            N_("Enter a number of months from 1 to %(count)s, or leave it empty to keep the data."),
            field="retention_months",
            count=MAX_RETENTION_MONTHS,
        )
    return months


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier), on the month's last day
    when the month is shorter (31 August + 6 months = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def retention_elapsed(closed_on: date, today: date, months: int) -> bool:
    """More than `months` calendar months have passed since the local day a record closed:
    closed on 15 March 2023, 36 months elapse on 15 March 2026; it is due from the 16th."""
    return add_months(closed_on, months) < today


def anonymise_closed_before(now: datetime, months: int | None) -> datetime | None:
    """The moment (UTC) before which a record must have closed for its personal data to be
    anonymised at `now`; None when the company keeps personal data. A record closed at
    `moment` is due exactly when ``moment < anonymise_closed_before(now, months)``, which
    is ``retention_elapsed(local_date(moment), local_date(now), months)``."""
    if not months:
        return None
    today = local_date(now)
    first_kept = add_months(today, -months)
    while add_months(first_kept, months) < today:
        first_kept += timedelta(days=1)
    return local_midnight(first_kept)


def is_due_for_anonymisation(
    status: str,
    closed_at: datetime | None,
    now: datetime,
    months: int | None,
    final_statuses: Iterable[str],
) -> bool:
    """A record's personal data is anonymised once it is in a final state (closed,
    finished, withdrawn…) and more than `months` calendar months have passed, in
    Asia/Shanghai, since it closed. Open records are never touched, however old."""
    if not months or closed_at is None or status not in set(final_statuses):
        return False
    return retention_elapsed(local_date(closed_at), local_date(now), months)
