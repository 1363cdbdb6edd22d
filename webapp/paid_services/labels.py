"""Display names of paid-service vocabulary, translated at render time."""

from flask_babel import lazy_gettext as _l

from webapp.core import audit
from webapp.paid_services.rules import (
    CHECK_ITEM_LABELS,
    CONDUCT_LABELS,
    Checklist,
    QualityResult,
    RentalStatus,
    Satisfaction,
    ServiceStatus,
    format_quantity,
)

STATUS_LABELS = {
    ServiceStatus.REGISTERED: _l("Registered"),
    ServiceStatus.DISPATCHED: _l("Dispatched"),
    ServiceStatus.IN_PROGRESS: _l("Under way"),
    ServiceStatus.COMPLETED: _l("Awaiting the owner's signature"),
    ServiceStatus.SIGNED: _l("Signed by the owner"),
    ServiceStatus.SIGNATURE_REFUSED: _l("Owner refused to sign"),
    ServiceStatus.CLOSED: _l("Closed"),
    ServiceStatus.CANCELLED: _l("Cancelled"),
}

RENTAL_STATUS_LABELS = {
    RentalStatus.APPLIED: _l("Applied"),
    RentalStatus.LISTED: _l("Listed"),
    RentalStatus.LET: _l("Let"),
    RentalStatus.WITHDRAWN: _l("Withdrawn"),
}

CHECKLIST_LABELS = {
    Checklist.PRE_DEPARTURE: _l("Before setting off"),
    Checklist.ON_SITE: _l("At the door and inside"),
}

SATISFACTION_LABELS = {
    Satisfaction.VERY_DISSATISFIED: _l("Very dissatisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
    Satisfaction.NEUTRAL: _l("Neutral"),
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.VERY_SATISFIED: _l("Very satisfied"),
}

QUALITY_LABELS = {
    QualityResult.QUALIFIED: _l("Up to standard"),
    QualityResult.UNQUALIFIED: _l("Not up to standard"),
}
audit.VALUE_LABELS[("service_orders", "quality")] = QUALITY_LABELS
audit.VALUE_LABELS[("service_orders", "conduct_confirmed")] = CONDUCT_LABELS
audit.VALUE_LABELS[("service_orders", "item")] = CHECK_ITEM_LABELS
audit.VALUE_LABELS[("service_orders", "quantities")] = lambda quantities: "; ".join(
    f"{item} × {format_quantity(quantity)}" for item, quantity in quantities.items()
)
#: the signed content's hash, short enough to compare by eye
audit.VALUE_LABELS[("service_orders", "content_hash")] = lambda digest: str(digest)[:12]

#: states of price items and clearances that appear on timelines
OTHER_STATE_LABELS = {
    "proposed": _l("Proposed"),
    "cleared": _l("Cleared"),
    "revoked": _l("Revoked"),
}

for _labels in (STATUS_LABELS, RENTAL_STATUS_LABELS, OTHER_STATE_LABELS):
    for _state, _label in _labels.items():
        audit.STATE_LABELS.setdefault(str(_state), _label)
del _labels, _state, _label
