"""The annual activity plan's forms (ACT-03): the plan with its repeatable activity rows and
budget lines (named ``activities-0-name``, ``budget_lines-0-item`` as the rules name their
fields), and the approval steps. They parse; webapp.activities.plans decides."""

from __future__ import annotations

from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, StringField
from wtforms.validators import Length

from webapp.activities import rules
from webapp.activities.plans import ActivityRow, PlanInput
from webapp.core.forms import strip, text_area
from webapp.core.idempotency import new_key
from webapp.core.rulekit import N_, RuleViolation
from webapp.paid_services.rules import format_yuan, parse_yuan

#: a budget line above ten million yuan is a typing mistake
MAX_AMOUNT_FEN = 1_000_000_000


def _short(label, limit: int, **render_kw) -> StringField:
    return StringField(label, validators=[Length(max=limit)], filters=[strip], render_kw=render_kw or None)


class ActivityRowForm(Form):
    name = _short(_l("Activity"), rules.NAME_LIMIT)
    method = text_area(2, _l("How it is run"), rules.TEXT_LIMIT)
    day = _short(_l("Date"), 10, type="date")
    start_time = _short(_l("Starts"), 8, type="time")
    end_time = _short(_l("Ends (by 22:00)"), 8, type="time")
    place = _short(_l("Place"), rules.NAME_LIMIT)
    important = BooleanField(_l("Important: every household is notified"))
    description = text_area(2, _l("What the poster tells owners"), rules.TEXT_LIMIT)
    date_reason = _short(_l("Reason for the date (when it is not a weekend or the eve of a major holiday)"),
                         rules.REASON_LIMIT)


class BudgetLineForm(Form):
    item = _short(_l("Item"), rules.NAME_LIMIT)
    amount = _short(_l("Amount (yuan)"), 20, inputmode="decimal", autocomplete="off")


class PlanForm(FlaskForm):
    submission_key = HiddenField(default=new_key)
    version = HiddenField()
    purpose = text_area(3, _l("Purpose of the activities"), rules.TEXT_LIMIT)
    activities = FieldList(FormField(ActivityRowForm), min_entries=1, max_entries=60)
    facilities = text_area(3, _l("Facilities and equipment needed"), rules.TEXT_LIMIT)
    budget_lines = FieldList(FormField(BudgetLineForm), min_entries=1, max_entries=100)
    organisation = text_area(4, _l("Organisation and implementation"), rules.TEXT_LIMIT)


# ---------------------------------------------------------------------------- reading the form


def _blank(row: dict) -> bool:
    return not any((value or "").strip() if isinstance(value, str) else value for value in row.values())


def read_date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise RuleViolation(N_("Choose the date."), field=field) from exc


def _time(text: str | None, field: str) -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text.strip()).replace(second=0, microsecond=0)
    except ValueError as exc:
        raise RuleViolation(N_("Enter a time such as 19:30."), field=field) from exc


def _amount(text: str | None, field: str) -> int | None:
    """A budget line's amount in yuan as fen (paid_services.rules.parse_yuan); None when
    nothing was typed (the rules say what is missing)."""
    if not (text or "").strip():
        return None
    fen = parse_yuan(text, field)
    if abs(fen) > MAX_AMOUNT_FEN:
        raise RuleViolation(N_("That amount is too large for one budget line."), field=field)
    return fen


def read_plan(form: PlanForm) -> tuple[PlanInput, dict[str, RuleViolation], list[int], list[int]]:
    """The plan as typed: blank rows left out. Returns the values, the refusals of what
    could not be read (keyed by the form's field names), and for each activity and budget
    line read the index of its row in the form (for placing the rules' refusals)."""
    errors: dict[str, RuleViolation] = {}
    rows, row_index = [], []
    for i, entry in enumerate(form.activities.entries):
        data = entry.form.data
        if _blank({k: v for k, v in data.items() if k != "important"}):
            continue
        prefix = f"activities-{i}"
        values = {}
        for name, parse in (("day", read_date), ("start_time", _time), ("end_time", _time)):
            try:
                values[name] = parse(data[name], f"{prefix}-{name}")
            except RuleViolation as violation:
                errors[violation.field] = violation
                values[name] = None
        rows.append(ActivityRow(data["name"], data["method"], values["day"], values["start_time"],
                                values["end_time"], data["place"], bool(data["important"]), data["description"],
                                data["date_reason"]))
        row_index.append(i)
    lines, line_index = [], []
    for i, entry in enumerate(form.budget_lines.entries):
        data = entry.form.data
        if _blank(data):
            continue
        amount = None
        try:
            amount = _amount(data["amount"], f"budget_lines-{i}-amount")
        except RuleViolation as violation:
            errors[violation.field] = violation
        lines.append(rules.MoneyLine(data["item"] or "", amount if amount is not None else ""))  # type: ignore[arg-type]
        line_index.append(i)
    values = PlanInput(form.purpose.data, rows, form.facilities.data, lines, form.organisation.data)
    return values, errors, row_index, line_index


def form_field_name(field: str, row_index: list[int], line_index: list[int]) -> str:
    """The rules' field name (for the rows read) → the form's (for the rows shown)."""
    parts = field.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        prefix, position, name = parts[0], int(parts[1]), parts[2]
        index = row_index if prefix == "activities" else line_index if prefix == "budget_lines" else None
        if index is not None and position < len(index):
            if name == "amount_fen":
                name = "amount"
            return f"{prefix}-{index[position]}-{name}"
    return field


def fill_plan(form: PlanForm, values: PlanInput) -> None:
    """A form showing a stored plan (editing)."""
    form.purpose.data, form.facilities.data, form.organisation.data = values.purpose, values.facilities, values.organisation
    while form.activities.entries:
        form.activities.pop_entry()
    for row in values.activities or [None]:
        entry = form.activities.append_entry()
        if row is None:
            continue
        entry.form.name.data = row.name
        entry.form.method.data = row.method
        entry.form.day.data = row.day.isoformat() if row.day else ""
        entry.form.start_time.data = row.start_time.strftime("%H:%M") if row.start_time else ""
        entry.form.end_time.data = row.end_time.strftime("%H:%M") if row.end_time else ""
        entry.form.place.data = row.place
        entry.form.important.data = row.important
        entry.form.description.data = row.description
        entry.form.date_reason.data = row.date_reason
    while form.budget_lines.entries:
        form.budget_lines.pop_entry()
    for line in values.budget_lines or [None]:
        entry = form.budget_lines.append_entry()
        if line is not None:
            entry.form.item.data = line.item
            entry.form.amount.data = format_yuan(line.amount_fen)

