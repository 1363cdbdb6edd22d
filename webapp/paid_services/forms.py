"""Forms of the service centre's paid-service orders: registration (SVC-02), dispatch
(SVC-03), cancellation, the quality check (SVC-07) and edits (SVC-09). They parse; the
rules and operations decide.

The items of an order and the quantities of its lines are as many as the price list and
the order have, so they are read from the request by name (`item`, `quantity-<id>`)
rather than declared as fields; money and quantities go through rules.parse_yuan and
rules.parse_quantity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.core.forms import (
    label_choices,
    local_datetime_field,
    local_input,
    optional_int,
    strip,
    text_area,
)
from webapp.core.idempotency import new_key
from webapp.core.rulekit import RuleViolation
from webapp.paid_services import rules
from webapp.paid_services.labels import QUALITY_LABELS


class OrderForm(FlaskForm):
    """家政服务登记表 at the desk (SVC-02). The items chosen and their quantities are read
    by `chosen_items`."""

    submission_key = HiddenField(default=new_key)
    project_id = HiddenField(filters=[optional_int])
    #: RCP-04: the ledger entry this order is started from (paid_services.new?entry=<id>)
    entry_id = HiddenField(filters=[optional_int])
    #: the estate's owner picker: the words typed and the radio button picked
    unit_query = StringField(_l("Owner's unit"), validators=[Length(max=100)], filters=[strip])
    owner_choice = StringField(validators=[Length(max=40)], filters=[strip])
    contact = StringField(_l("Contact for this job"), validators=[Length(max=100)], filters=[strip])
    appointment_at = local_datetime_field(_l("Appointment agreed with the owner"))
    requirements = text_area(3, _l("Requirements"))
    cautions = text_area(2, _l("Cautions"))
    key_authorised = BooleanField(_l("The owner leaves a key at the service centre and authorises entry with it"))
    key_note = StringField(_l("Where the key is and who hands it over"), validators=[Length(max=200)], filters=[strip])

    def fill_from_entry(self, entry) -> None:
        """RCP-04 / SVC-02: what the desk already wrote in the ledger, carried over: the
        owner and unit and the request in the owner's words. The contact as given stays
        out of the page (a phone, EST-03): the operation carries it over when the field
        is left empty."""
        self.entry_id.data = entry.id
        self.requirements.data = entry.content
        if entry.unit is not None:
            self.unit_query.data = entry.unit.label
            self.owner_choice.data = f"{entry.unit_id}:{entry.owner_id or ''}"

    def values(self) -> dict:
        """What the operation takes, but for the unit, the owner and the lines."""
        return {
            "contact": self.contact.data or "",
            "appointment_at": local_input(self.appointment_at),
            "requirements": self.requirements.data or "",
            "cautions": self.cautions.data or "",
            "key_authorised": bool(self.key_authorised.data),
            "key_note": self.key_note.data or "",
        }


def quantity_field(record_id: int) -> str:
    """The name of a quantity input: of a price-list item on registration, of an order's
    line on the edit form."""
    return f"quantity-{record_id}"


def chosen_items(formdata, offered_ids) -> tuple[list[int], list[dict], dict[int, str], dict[int, RuleViolation]]:
    """The items ticked on the registration form with their quantities.

    Returns the ids ticked, the lines for the operation, the quantities as typed by item
    id (to show again) and the refusals of quantities that cannot be read, by item id."""
    ticked: list[int] = []
    for raw in formdata.getlist("item"):
        item_id = optional_int(raw)
        if item_id is not None and item_id not in ticked:
            ticked.append(item_id)
    typed = {item_id: (formdata.get(quantity_field(item_id)) or "").strip() for item_id in [*offered_ids, *ticked]}
    lines, errors = [], {}
    for item_id in ticked:
        try:
            quantity = rules.parse_quantity(typed[item_id], quantity_field(item_id))
        except RuleViolation as exc:
            errors[item_id] = exc
            continue
        lines.append({"item_id": item_id, "quantity_centi": quantity})
    return ticked, lines, typed, errors


class ActionForm(FlaskForm):
    """A step on an order; `version` refuses a step based on what someone changed meanwhile."""

    version = HiddenField()


class DispatchForm(ActionForm):
    """SVC-03: one or more technicians, each trained and cleared for in-home work. Only the
    cleared are offered; a posted id of anyone else reaches the operation, which refuses it."""

    technicians = SelectMultipleField(
        _l("Technicians"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )


class CancelForm(ActionForm):
    reason = text_area(2, _l("Why the order is cancelled"))


class QualityForm(ActionForm):
    """SVC-07: the supervisor's check; it closes the order."""

    result = RadioField(_l("Quality of the work"), validate_choice=False)
    note = text_area(2, _l("Note"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result.choices = label_choices(QUALITY_LABELS)


class EditForm(ActionForm):
    """What the stage of the order allows to change (rules.EDITABLE_FIELDS); the quantities
    of the lines are read by name (`quantity-<line id>`)."""

    contact = StringField(_l("Contact for this job"), validators=[Length(max=100)], filters=[strip])
    appointment_at = local_datetime_field(_l("Appointment agreed with the owner"))
    requirements = text_area(3, _l("Requirements"))
    cautions = text_area(2, _l("Cautions"))
    key_authorised = BooleanField(_l("The owner leaves a key at the service centre and authorises entry with it"))
    key_note = StringField(_l("Where the key is and who hands it over"), validators=[Length(max=200)], filters=[strip])
    work_done = text_area(3, _l("Work done"))
    materials = StringField(_l("Extra materials (yuan)"), validators=[Length(max=20)], filters=[strip],
                            render_kw={"inputmode": "decimal"})
    materials_note = StringField(_l("Materials used"), validators=[Length(max=200)], filters=[strip])
    started_at = local_datetime_field(_l("Work started"))
    finished_at = local_datetime_field(_l("Work finished"))
