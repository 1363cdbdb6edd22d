"""Forms of complaint handling: recording at the desk (CMP-01/03) and the steps on a
complaint. They parse; the rules and operations decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields import DateField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.complaints.rules import (
    STAFF_MAJOR_GROUNDS,
    ComplaintClass,
    InvalidReason,
    MajorGround,
    Satisfaction,
)
from webapp.core import audit
from webapp.core.forms import (
    label_choices,
    local_datetime_field,
    local_input,
    optional_int,
    strip,
    text_area,
)
from webapp.core.idempotency import new_key

CLASS_LABELS = {
    ComplaintClass.MAJOR: _l("Major"),
    ComplaintClass.IMPORTANT: _l("Important"),
    ComplaintClass.MINOR: _l("Minor"),
    ComplaintClass.INVALID: _l("Invalid"),
}

INVALID_REASON_LABELS = {
    InvalidReason.DEVELOPER_LEGACY: _l("Developer legacy or housing quality"),
    InvalidReason.EXTERNAL: _l("External or outside the managed area"),
}

GROUND_LABELS = {
    MajorGround.UNDELIVERED_REPEATED: _l("Promised service not delivered, repeated requests unresolved"),
    MajorGround.MAJOR_LOSS_OR_INJURY: _l("Major loss or personal injury through the management's fault"),
    MajorGround.UNRESOLVED_ONE_MONTH: _l("Not resolved within one month"),
}

STATUS_LABELS = {
    "received": _l("Received"),
    "committed": _l("Taken into handling"),
    "in_progress": _l("Being handled"),
    "waiting": _l("On hold"),
    "answered": _l("Answered"),
    "awaiting_callback": _l("Awaiting call-back"),
    "closed": _l("Closed"),
    "explained": _l("Explained"),
    "forwarded": _l("Forwarded"),
}

for _key, _label in STATUS_LABELS.items():
    audit.STATE_LABELS.setdefault(_key, _label)

SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.BASICALLY_SATISFIED: _l("Basically satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}

CHANNEL_LABELS = {
    "visit": _l("At the desk"),
    "phone": _l("By phone"),
    "letter": _l("By letter"),
    "online": _l("Online"),
}

CALLBACK_METHOD_LABELS = {"visit": _l("Visit"), "phone": _l("Phone call")}

#: QA's verification of a corrective action (CMP-09)
VERIFICATION_LABELS = {"effective": _l("Effective"), "not_effective": _l("Not effective")}
audit.VALUE_LABELS.update({
    ("complaints", "complaint_class"): CLASS_LABELS,
    ("complaints", "major_grounds"): GROUND_LABELS,
    ("complaints", "satisfaction"): SATISFACTION_LABELS,
    ("complaints", "verification"): VERIFICATION_LABELS,
})

#: RCP-04: how the ledger's channels (webapp.reception.rules.Channel) read on a complaint
CHANNEL_FROM_RECEPTION = {"visit": "visit", "phone": "phone", "letter": "letter", "email": "online", "qr_form": "online"}


class ComplaintForm(FlaskForm):
    submission_key = HiddenField(default=new_key)
    #: RCP-04: the ledger entry this complaint is started from (complaints.new?entry=<id>)
    entry_id = HiddenField(filters=[optional_int])
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    channel = RadioField(_l("Channel"), default="visit", validate_choice=False)
    event_time = local_datetime_field(_l("When it happened"))
    event_place = StringField(_l("Where it happened"), validators=[Length(max=200)], filters=[strip])
    complained_department_id = SelectField(
        _l("Department complained about"), coerce=optional_int, validate_choice=False
    )
    complained_person = StringField(
        _l("Person complained about"), validators=[Length(max=100)], filters=[strip]
    )
    description = text_area(4, _l("What happened"))
    owner_request = text_area(2, _l("What the owner asks for"))
    #: CMP-03 "linked to the owner and unit when known": the estate's owner picker, the
    #: words typed and the radio button picked ("unitId:ownerId", "unitId:" for the unit alone)
    unit_query = StringField(_l("Owner's unit"), validators=[Length(max=100)], filters=[strip])
    owner_choice = StringField(validators=[Length(max=40)], filters=[strip])
    owner_contact = StringField(
        _l("Owner's name, unit and phone"), validators=[Length(max=100)], filters=[strip]
    )
    requested_at = local_datetime_field(_l("Time the owner asks for (minor complaints)"))
    # what the class suggestion is made from (rules.suggest_class)
    injury_or_major_loss = BooleanField(_l("Personal injury or major loss through the management's fault"))
    repeated_unresolved = BooleanField(_l("A promised service, asked for repeatedly and still not delivered"))
    about_developer_or_housing_quality = BooleanField(_l("About the developer or housing quality"))
    outside_managed_area = BooleanField(_l("Outside the managed area, external or a social issue"))
    service_fault = BooleanField(_l("A fault in our management or service"))
    complaint_class = RadioField(_l("Class (confirm)"), validate_choice=False)
    invalid_reason = RadioField(_l("Why it is invalid"), validate_choice=False)
    desk_apologised = BooleanField(_l("I apologised to the owner on behalf of the department"))
    supervisor_apology_required = BooleanField(
        _l("About service attitude or quality: the department supervisor must apologise")
    )
    municipal_cause = BooleanField(_l("Caused by municipal water, power, gas, roads, post or telecoms"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = label_choices(CHANNEL_LABELS)
        self.complaint_class.choices = label_choices(CLASS_LABELS)
        self.invalid_reason.choices = label_choices(INVALID_REASON_LABELS)

    def fill_from_entry(self, entry) -> None:
        """RCP-04: what the desk already wrote in the ledger, carried over to be completed.
        The contact as given stays out of the page (a phone, EST-03): the operation
        carries it over when the field is left empty."""
        self.entry_id.data = entry.id
        self.description.data = entry.content
        self.channel.data = CHANNEL_FROM_RECEPTION.get(entry.channel, self.channel.data)
        if entry.unit is not None:
            self.unit_query.data = entry.unit.label
            self.owner_choice.data = f"{entry.unit_id}:{entry.owner_id or ''}"

    def flags(self) -> dict[str, bool]:
        return {
            name: bool(getattr(self, name).data)
            for name in (
                "injury_or_major_loss",
                "repeated_unresolved",
                "about_developer_or_housing_quality",
                "outside_managed_area",
                "service_fault",
            )
        }

    def values(self, suggested_class: str) -> dict:
        cls = self.complaint_class.data or ""
        grounds = []
        if cls == ComplaintClass.MAJOR:
            if self.injury_or_major_loss.data:
                grounds.append(MajorGround.MAJOR_LOSS_OR_INJURY.value)
            if self.repeated_unresolved.data:
                grounds.append(MajorGround.UNDELIVERED_REPEATED.value)
        return {
            "complaint_class": cls,
            "suggested_class": suggested_class,
            "invalid_reason": (self.invalid_reason.data or None) if cls == ComplaintClass.INVALID else None,
            "major_grounds": grounds,
            "event_time": local_input(self.event_time),
            "event_place": self.event_place.data or "",
            "complained_department_id": self.complained_department_id.data,
            "complained_person": self.complained_person.data or "",
            "description": self.description.data or "",
            "owner_request": self.owner_request.data or "",
            "owner_contact": self.owner_contact.data or "",
            "channel": self.channel.data or None,
            "requested_at": local_input(self.requested_at),
            "desk_apologised": bool(self.desk_apologised.data),
            "supervisor_apology_required": bool(self.supervisor_apology_required.data),
            "municipal_cause": bool(self.municipal_cause.data),
        }


class ActionForm(FlaskForm):
    """A step on a complaint; `version` refuses a step based on what someone changed meanwhile."""

    version = HiddenField()


class PauseForm(ActionForm):
    wait_reason = text_area(2, _l("What the complaint is waiting for"))


class ExtensionForm(ActionForm):
    requested_due = local_datetime_field(_l("New time limit"))
    reason = text_area(2, _l("Reason for more time"))


class DecideForm(ActionForm):
    decision = RadioField(
        _l("Decision"), choices=[("approve", _l("Approve")), ("refuse", _l("Refuse"))], validate_choice=False
    )
    note = text_area(2, _l("Note"))


class AnswerForm(ActionForm):
    answer = text_area(3, _l("Answer given to the owner"))
    measures = text_area(2, _l("Measures taken"))
    cause = StringField(_l("Cause found"), validators=[Length(max=200)], filters=[strip])
    responsible_person = StringField(_l("Person responsible"), validators=[Length(max=100)], filters=[strip])
    supervisor_apologised = BooleanField(_l("The department supervisor apologised"))
    criticised = BooleanField(_l("The person is criticised in a notice"))
    utility_follow_up = text_area(2, _l("Taken up with the utility, and the outcome"))
    still_open = BooleanField(_l("Interim answer: handling goes on"))


class ResolveForm(ActionForm):
    """Completing after an interim answer: what RCP-05 asks on record may be added now."""

    measures = text_area(2, _l("Measures taken"))
    cause = StringField(_l("Cause found"), validators=[Length(max=200)], filters=[strip])
    responsible_person = StringField(_l("Person responsible"), validators=[Length(max=100)], filters=[strip])
    supervisor_apologised = BooleanField(_l("The department supervisor apologised"))
    criticised = BooleanField(_l("The person is criticised in a notice"))
    utility_follow_up = text_area(2, _l("Taken up with the utility, and the outcome"))


class InvalidForm(ActionForm):
    explanation = text_area(2, _l("Explanation given to the owner"))
    forwarded_to = StringField(_l("Forwarded to"), validators=[Length(max=200)], filters=[strip])
    reply = text_area(2, _l("Reply given to the owner"))


class CallbackForm(ActionForm):
    method = RadioField(_l("Call-back by"), validate_choice=False)
    satisfaction = RadioField(_l("The owner's satisfaction"), validate_choice=False)
    comment = text_area(2, _l("The owner's words"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = label_choices(CALLBACK_METHOD_LABELS)
        self.satisfaction.choices = label_choices(SATISFACTION_LABELS)


class CapaForm(ActionForm):
    root_cause = text_area(2, _l("Root cause"))
    correction = text_area(2, _l("Immediate correction"))
    preventive_action = text_area(2, _l("Preventive action"))
    owner_user_id = SelectField(_l("Owner of the action"), coerce=optional_int, validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[Optional()])


class CapaVerifyForm(ActionForm):
    result = RadioField(_l("Effect"), choices=label_choices(VERIFICATION_LABELS), validate_choice=False)
    verification_note = text_area(2, _l("Note"))


class MajorGroundsForm(ActionForm):
    """CMP-02 a/b marked after reception by the PM, QA or the GM."""

    major_grounds = SelectMultipleField(
        _l("Why it is major"),
        choices=[(g.value, label) for g, label in GROUND_LABELS.items() if g in STAFF_MAJOR_GROUNDS],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    major_note = text_area(2, _l("What shows it"), limit=500)
