from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.core.idempotency import new_key
from webapp.estate.labels import FACILITY_KIND_LABELS
from webapp.estate.rules import FacilityKind


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _coordinate(low: float, high: float, message):
    def check(form, field):
        if not field.data:
            field.number = None
            return
        try:
            number = float(field.data.replace("，", ",").replace(",", "."))
        except ValueError:
            raise ValidationError(message) from None
        if not low <= number <= high:
            raise ValidationError(message)
        field.number = number

    return check


class FacilityForm(FlaskForm):
    #: 0 = a site-wide facility (gate, car park, playground)
    building = SelectField(_l("Building"), coerce=int, validate_choice=True)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    kind = SelectField(_l("Kind"), default=FacilityKind.PATROL_POINT.value)
    floor = StringField(_l("Floor"), validators=[Optional(), Length(max=20)], filters=[_strip])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=2000)], filters=[_strip]
    )
    latitude = StringField(
        _l("Latitude"),
        validators=[Optional(), _coordinate(-90, 90, _l("A latitude between -90 and 90, e.g. 31.2304."))],
        filters=[_strip],
    )
    longitude = StringField(
        _l("Longitude"),
        validators=[Optional(), _coordinate(-180, 180, _l("A longitude between -180 and 180, e.g. 121.4737."))],
        filters=[_strip],
    )
    active = BooleanField(_l("In use (shown on label sheets)"), default=True)
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, label) for kind, label in FACILITY_KIND_LABELS.items()]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "floor": self.floor.data or None,
            "description": self.description.data or None,
            "latitude": getattr(self.latitude, "number", None),
            "longitude": getattr(self.longitude, "number", None),
            "active": bool(self.active.data),
        }


class NewFacilityForm(FacilityForm):
    project = SelectField(_l("Project"), coerce=int)
    #: APP-06: a second tap on "save" finds the facility the first one created
    submission_key = HiddenField(default=new_key)


class ImportForm(FlaskForm):
    project = SelectField(_l("Project"), coerce=int)
    sheet = FileField(
        _l("Sheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"},
    )
