"""Display names of estate vocabulary, translated at render time."""

from flask_babel import lazy_gettext as _l

from webapp.core import audit
from webapp.estate.rules import FacilityKind, OccupantRelation

RELATION_LABELS = {
    OccupantRelation.OWNER: _l("Owner"),
    OccupantRelation.TENANT: _l("Tenant"),
    OccupantRelation.FAMILY: _l("Family member"),
}

FACILITY_KIND_LABELS = {
    FacilityKind.PATROL_POINT: _l("Patrol point"),
    FacilityKind.EQUIPMENT: _l("Equipment"),
    FacilityKind.PUBLIC_AREA: _l("Public area"),
}
audit.VALUE_LABELS[("facilities", "kind")] = FACILITY_KIND_LABELS

#: the facility fields as named on the form, for the history's field changes
FACILITY_FIELD_LABELS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "building": _l("Building"),
    "floor": _l("Floor"),
    "description": _l("Description"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "active": _l("In use"),
}


def relation_label(relation: str) -> str:
    return str(RELATION_LABELS.get(relation, relation))


def facility_kind_label(kind: str) -> str:
    return str(FACILITY_KIND_LABELS.get(kind, kind))
