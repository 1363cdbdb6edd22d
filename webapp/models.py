"""Every slice's models, imported once so the metadata (and Alembic) knows all tables."""

from webapp.activities.models import (  # noqa: F401
    Activity,
    ActivityChecklistTick,
    ActivityDetailedPlan,
    ActivityHouseholdNotice,
    ActivityMilestone,
    ActivityMoneyLine,
    ActivityPlan,
    ActivityRosterEntry,
    ActivityRsvp,
    ActivitySurvey,
    ActivitySurveyAnswer,
    HolidayDay,
)
from webapp.complaints.models import (  # noqa: F401
    Complaint,
    ComplaintCallback,
    ComplaintPause,
    CorrectiveAction,
    ExtensionRequest,
)
from webapp.core.models import AuditEvent, Notification, RecordCounter, Submission, WorkItem  # noqa: F401
from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit  # noqa: F401
from webapp.org.models import AuthSession, Company, Department, Project, RoleAssignment, User  # noqa: F401
from webapp.paid_services.models import (  # noqa: F401
    ChecklistTick,
    InHomeClearance,
    QualityCheck,
    RentalCommission,
    ServiceAssignment,
    ServiceItem,
    ServiceOrder,
    ServiceOrderLine,
    ServicePrice,
    ServiceSignature,
)
from webapp.reception.models import (  # noqa: F401
    FoundItem,
    MajorEvent,
    Praise,
    PraiseCredit,
    ReceptionEntry,
    ReceptionPhoto,
    RepairRound,
    RepairWorkOrder,
    ReturnSlip,
    Suggestion,
)
from webapp.slips.models import RectificationRound, Slip, SlipCallback, SlipPhoto  # noqa: F401
