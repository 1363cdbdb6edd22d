"""Forms of the slip workflow: filing on the phone (SLIP-01, 02, 10) and the actions on a
slip. They parse; the rules and operations decide."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Length, Optional, ValidationError

from webapp.core import audit
from webapp.core.clock import LOCAL_TZ
from webapp.core.forms import label_choices, optional_int, strip, text_area
from webapp.core.idempotency import new_key
from webapp.slips.rules import SlipCategory, SlipSource

CATEGORY_LABELS = {
    SlipCategory.SECURITY: _l("Security and order"),
    SlipCategory.FACILITY: _l("Facilities and equipment"),
    SlipCategory.CLEANING: _l("Cleanliness of the environment"),
    SlipCategory.LANDSCAPING: _l("Greenery"),
    SlipCategory.SERVICE_QUALITY: _l("Staff service quality"),
    SlipCategory.PARKING: _l("Parking"),
    SlipCategory.OTHER: _l("Other"),
}

SOURCE_LABELS = {
    SlipSource.SEEN_ON_SITE: _l("Seen on site"),
    SlipSource.OWNER: _l("Raised by an owner"),
}

STATUS_LABELS = {
    "filed": _l("Filed"),
    "assigned": _l("Assigned"),
    "escalated": _l("Escalated"),
    "rectifying": _l("Rectifying"),
    "awaiting_verification": _l("Awaiting verification"),
    "awaiting_callback": _l("Awaiting call-back"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}

audit.STATE_LABELS.update(STATUS_LABELS)

CALLBACK_METHOD_LABELS = {"visit": _l("Visit"), "phone": _l("Phone call")}


def _number(low: float, high: float):
    def check(form, field):
        field.number = None
        if not field.data:
            return
        try:
            number = float(str(field.data).replace(",", "."))
        except ValueError:
            raise ValidationError(_l("Not a number.")) from None
        if not low <= number <= high:
            raise ValidationError(_l("Out of range."))
        field.number = number

    return check


def _parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 instant from the phone; without an offset it is local time."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)




class SlipForm(FlaskForm):
    submission_key = HiddenField(default=new_key)
    captured_at = HiddenField()
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    facility_id = HiddenField(filters=[optional_int])
    photos = MultipleFileField(_l("Photos"))
    category = RadioField(_l("Category"), validate_choice=False)
    urgent = BooleanField(_l("Urgent: the CS desk must have it within 15 minutes"))
    description = text_area(3, _l("What is wrong"))
    place_text = StringField(_l("Place"), validators=[Optional(), Length(max=200)], filters=[strip])
    latitude = HiddenField(validators=[_number(-90, 90)])
    longitude = HiddenField(validators=[_number(-180, 180)])
    accuracy_m = HiddenField(validators=[_number(0, 100000)])
    source = RadioField(_l("Source"), default=SlipSource.SEEN_ON_SITE.value, validate_choice=False)
    #: SLIP-02's owner picker: the words typed ("3栋 1502", an owner's name) and the radio
    #: button picked among the matches, "unitId:ownerId" ("unitId:" for no one on record)
    unit_query = StringField(_l("Owner's unit"), validators=[Length(max=100)], filters=[strip])
    owner_choice = StringField(validators=[Length(max=40)], filters=[strip])
    #: the ids themselves, as earlier versions of the form sent them (phones' queues)
    unit_id = HiddenField(filters=[optional_int])
    owner_id = HiddenField(filters=[optional_int])
    owner_contact = StringField(
        _l("Owner's name and phone"), validators=[Optional(), Length(max=100)], filters=[strip]
    )
    about_service_quality = BooleanField(_l("About a staff member's service"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = label_choices(CATEGORY_LABELS)
        self.source.choices = label_choices(SOURCE_LABELS)

    def photo_files(self) -> list:
        return [f for f in (self.photos.data or []) if getattr(f, "filename", None)]

    def values(self) -> dict:
        latitude, longitude = self.latitude.number, self.longitude.number
        return {
            "category": self.category.data or "",
            "urgent": bool(self.urgent.data),
            "description": self.description.data or "",
            "source": self.source.data or SlipSource.SEEN_ON_SITE.value,
            "place_text": self.place_text.data or "",
            "latitude": latitude,
            "longitude": longitude,
            "accuracy_m": self.accuracy_m.number,
            "facility_id": self.facility_id.data,
            "unit_id": self.unit_id.data,
            "owner_id": self.owner_id.data,
            "owner_contact": self.owner_contact.data or "",
            "about_service_quality": bool(self.about_service_quality.data),
            "captured_at": _parse_instant(self.captured_at.data),
        }


class ActionForm(FlaskForm):
    """A step on a slip; `version` refuses a step based on what someone changed meanwhile."""

    version = HiddenField()


class ReceiveForm(ActionForm):
    department_id = SelectField(_l("Responsible department"), coerce=optional_int, validate_choice=False)
    cs_inspects = BooleanField(_l("CS inspects on site with the department"))


class MeasuresForm(ActionForm):
    measures_who = StringField(_l("Who"), validators=[Length(max=100)], filters=[strip])
    measures_when = DateTimeLocalField(
        _l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )
    measures_how = text_area(3, _l("How"))
    photos = MultipleFileField(_l("Photos after rectification"))

    def photo_files(self) -> list:
        return [f for f in (self.photos.data or []) if getattr(f, "filename", None)]


class VerifyForm(ActionForm):
    result = RadioField(
        _l("Result of the on-site check"),
        choices=[("pass", _l("Passed")), ("fail", _l("Not passed"))],
        validate_choice=False,
    )
    note = text_area(2, _l("Note"))


class EscalateForm(ActionForm):
    plan = text_area(4, _l("Rectification plan (steps)"))
    new_due = DateTimeLocalField(
        _l("New deadline"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )


class CallbackForm(ActionForm):
    method = RadioField(_l("Call-back by"), validate_choice=False)
    owner_response = text_area(3, _l("The owner's response"))
    satisfied = BooleanField(_l("The owner is satisfied"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = label_choices(CALLBACK_METHOD_LABELS)
