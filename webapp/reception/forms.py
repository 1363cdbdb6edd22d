"""Forms of the reception ledger: logging a contact (RCP-01), matching an owner's QR form
to a unit, closing out and discarding an entry (RCP-08). They parse; the rules and
operations decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import Length

from webapp.core import audit
from webapp.core.forms import label_choices, optional_int, strip, text_area
from webapp.core.idempotency import new_key
from webapp.reception import rules
from webapp.reception.rules import Category, Channel, FollowUp, LedgerStatus

CHANNEL_LABELS = {
    Channel.VISIT: _l("Visit"),
    Channel.PHONE: _l("Phone"),
    Channel.EMAIL: _l("Email"),
    Channel.LETTER: _l("Letter"),
    Channel.QR_FORM: _l("Owner's QR form"),
}

#: RCP-02 (§4.4): the words of 业主接待记录表
CATEGORY_LABELS = {
    Category.AFTER_SALES: _l("After-sales"),
    Category.REPAIR: _l("Repair"),
    Category.COMPLAINT: _l("Complaint"),
    Category.SERVICE: _l("Service"),
    Category.PRAISE: _l("Praise"),
    Category.SUGGESTION: _l("Suggestion"),
    Category.OTHER: _l("Other"),
}
audit.VALUE_LABELS[("reception_entries", "category")] = CATEGORY_LABELS

#: what each category means at the desk, under its button
CATEGORY_HINTS = {
    Category.AFTER_SALES: _l("Construction defect: the developer repairs it"),
    Category.REPAIR: _l("Something in the unit or estate to be repaired"),
    Category.COMPLAINT: _l("About the quality of our service"),
    Category.SERVICE: _l("A special (paid) service"),
    Category.PRAISE: _l("Praise for a staff member"),
    Category.SUGGESTION: _l("A suggestion for the management"),
    Category.OTHER: _l("Lost property, pets and other matters"),
}

FOLLOW_UP_LABELS = {
    FollowUp.RETURN_SLIP: _l("Return-for-repair slip"),
    FollowUp.WORK_ORDER: _l("Repair work order"),
    FollowUp.COMPLAINT: _l("Complaint"),
    FollowUp.SERVICE_ORDER: _l("Service order"),
    FollowUp.PRAISE: _l("Praise record"),
    FollowUp.SUGGESTION: _l("Suggestion to the project manager"),
    FollowUp.LOST_PROPERTY: _l("Lost-property register"),
    FollowUp.NOTE: _l("Note: settled at the desk"),
}

LEDGER_STATUS_LABELS = {
    LedgerStatus.NEW: _l("New"),
    LedgerStatus.OPEN: _l("Open"),
    LedgerStatus.CLOSED: _l("Closed out"),
    LedgerStatus.DISCARDED: _l("Discarded"),
}

for _status, _label in LEDGER_STATUS_LABELS.items():
    audit.STATE_LABELS.setdefault(_status.value, _label)


class EntryForm(FlaskForm):
    """RCP-01: what the desk writes down; the time and the receiver are automatic."""

    submission_key = HiddenField(default=new_key)
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    channel = RadioField(_l("How the owner came"), default=Channel.VISIT.value, validate_choice=False)
    #: the estate's owner picker: the words typed and the radio button picked
    unit_query = StringField(_l("Owner's unit"), validators=[Length(max=100)], filters=[strip])
    owner_choice = StringField(validators=[Length(max=40)], filters=[strip])
    contact = StringField(_l("Contact"), validators=[Length(max=rules.CONTACT_LIMIT)], filters=[strip])
    content = text_area(4, _l("What the owner said"), limit=rules.CONTENT_LIMIT)
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"})
    category = RadioField(_l("Category"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [(c.value, CHANNEL_LABELS[c]) for c in rules.STAFF_CHANNELS]
        self.category.choices = label_choices(CATEGORY_LABELS)

    def files(self) -> list:
        return [f for f in (self.photos.data or []) if getattr(f, "filename", None)]

    def values(self) -> dict:
        category = self.category.data or None
        return {
            "channel": self.channel.data,
            "contact": self.contact.data,
            "content": self.content.data,
            "category": category,
            "follow_up": None,
        }


class StepForm(FlaskForm):
    """A step on an entry; `version` refuses one based on what someone changed meanwhile."""

    version = HiddenField()


class NoteForm(StepForm):
    """其它 settled at the desk: the entry itself is the record."""


class MatchForm(StepForm):
    """An owner's QR form matched to the unit and person on record."""

    unit_query = StringField(_l("Owner's unit"), validators=[Length(max=100)], filters=[strip])
    owner_choice = StringField(validators=[Length(max=40)], filters=[strip])


class CloseForm(StepForm):
    remark = text_area(2, _l("How the matter was settled"), limit=rules.REMARK_LIMIT)


class DiscardForm(StepForm):
    reason = text_area(2, _l("Why it is discarded"), limit=rules.REMARK_LIMIT)
