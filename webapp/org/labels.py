"""Display names of org vocabulary, translated at render time."""

from flask_babel import lazy_gettext as _l

from webapp.core import audit
from webapp.org.rules import DepartmentKind, Role

ROLE_LABELS = {
    Role.ADMIN: _l("System administrator"),
    Role.GM: _l("General manager"),
    Role.VP: _l("Vice president in charge"),
    Role.QA: _l("Quality assurance"),
    Role.PM: _l("Project manager"),
    Role.PM_ASSISTANT: _l("PM assistant"),
    Role.CS_SUPERVISOR: _l("Customer-service supervisor"),
    Role.RECEPTIONIST: _l("Receptionist"),
    Role.PUBLICIST: _l("Publicist"),
    Role.DEPT_SUPERVISOR: _l("Department supervisor"),
    Role.STAFF: _l("Staff"),
}

DEPARTMENT_KIND_LABELS = {
    DepartmentKind.CUSTOMER_SERVICE: _l("Customer service centre"),
    DepartmentKind.SECURITY: _l("Security"),
    DepartmentKind.MAINTENANCE: _l("Maintenance"),
    DepartmentKind.CLEANING: _l("Cleaning"),
    DepartmentKind.LANDSCAPING: _l("Landscaping"),
    DepartmentKind.HOUSEKEEPING: _l("Housekeeping"),
    DepartmentKind.OTHER: _l("Other"),
}
audit.VALUE_LABELS[("departments", "kind")] = DEPARTMENT_KIND_LABELS


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
