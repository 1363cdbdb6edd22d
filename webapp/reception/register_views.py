"""The reception registers' pages (篇3 §4.6, §4.10): praise, suggestions, the lost-property
register 失物招领登记表 and the major / sudden events register 重大(突发)事件处理记录表.

GET, POST /reception/<entry>/start/praise         the desk records whom the owner praised
GET, POST /reception/<entry>/start/suggestion     the desk forwards a suggestion to the PM
GET, POST /reception/<entry>/start/lost-property  the desk enters an item in the register
GET       /reception/praises                      the month's praises and the staff credited
GET       /reception/praises/<id>                 one praise: check it, then credit it
GET       /reception/suggestions/<id>             one suggestion: the PM's answer
GET       /reception/lost-property                失物招领登记表 (held first), printable
GET, POST /reception/lost-property/new            an item staff found themselves
GET       /reception/lost-property/<id>           one item: claimed (ID checked) or handed over
GET       /reception/events                       重大(突发)事件处理记录表 of a month, printable
GET, POST /reception/events/new                   record an event
GET       /reception/events/<id>                  one event: handling, follow-up, closing

Rules in webapp.reception.rules, steps in webapp.reception.registers.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.core import audit
from webapp.core.actions import field_error, take_step
from webapp.core.clock import now as clock_now
from webapp.core.clock import to_local
from webapp.core.forms import (
    label_choices,
    local_datetime_field,
    local_input,
    optional_int,
    strip,
    text_area,
)
from webapp.core.idempotency import new_key
from webapp.core.rulekit import N_, RuleViolation
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, permitted_projects, project_for
from webapp.org.models import Project, User
from webapp.org.rules import Permission
from webapp.reception import registers, rules, starting
from webapp.reception.models import (
    FoundItem,
    MajorEvent,
    Praise,
    PraiseCredit,
    ReceptionEntry,
    Suggestion,
)
from webapp.reception.rules import (
    Category,
    EventStatus,
    FollowUp,
    IdDocument,
    LostPropertyStatus,
    PraiseStatus,
    SuggestionStatus,
)
from webapp.reception.views import bp, record_page, step_forms

PRAISE_STATUS_LABELS = {
    PraiseStatus.RECORDED: _l("Recorded, to be checked"),
    PraiseStatus.VERIFIED: _l("Confirmed, to be credited"),
    PraiseStatus.CREDITED: _l("Credited"),
    PraiseStatus.NOT_CONFIRMED: _l("Not confirmed"),
}
SUGGESTION_STATUS_LABELS = {
    SuggestionStatus.FORWARDED: _l("With the project manager"),
    SuggestionStatus.ANSWERED: _l("Answered"),
}
FOUND_ITEM_STATUS_LABELS = {
    LostPropertyStatus.HELD: _l("Held"),
    LostPropertyStatus.CLAIMED: _l("Claimed"),
    LostPropertyStatus.HANDED_OVER: _l("Handed over"),
}
EVENT_STATUS_LABELS = {EventStatus.OPEN: _l("Open"), EventStatus.CLOSED: _l("Closed")}
DOCUMENT_LABELS = {
    IdDocument.RESIDENT_ID: _l("Resident ID card"),
    IdDocument.PASSPORT: _l("Passport"),
    IdDocument.HK_MACAO_PERMIT: _l("Mainland travel permit for Hong Kong and Macao residents"),
    IdDocument.TAIWAN_PERMIT: _l("Mainland travel permit for Taiwan residents"),
    IdDocument.OTHER: _l("Other valid document"),
}
for _labels in (PRAISE_STATUS_LABELS, SUGGESTION_STATUS_LABELS, FOUND_ITEM_STATUS_LABELS, EVENT_STATUS_LABELS):
    for _state, _label in _labels.items():
        audit.STATE_LABELS.setdefault(str(_state), _label)
del _labels, _state, _label

_LABELS = {
    "praise": PRAISE_STATUS_LABELS,
    "suggestion": SUGGESTION_STATUS_LABELS,
    "found_item": FOUND_ITEM_STATUS_LABELS,
    "major_event": EVENT_STATUS_LABELS,
}


@bp.app_template_global()
def register_status_label(kind: str, status: str) -> str:
    return str(_LABELS[kind].get(status, status))


@bp.app_template_global()
def event_kind_label(kind: str) -> str:
    return str(registers.EVENT_KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def id_document_label(document: str | None) -> str:
    return str(DOCUMENT_LABELS.get(document, document or ""))


def _short(label, limit: int, **render_kw) -> StringField:
    return StringField(label, validators=[Length(max=limit)], filters=[strip], render_kw=render_kw or None)


# ---------------------------------------------------------------------------- forms


class PraiseStartForm(FlaskForm):
    praised_as = _short(_l("Whom the owner praised, as they said it"), registers.PRAISED_AS_LIMIT)


class SuggestionStartForm(FlaskForm):
    """Nothing to add: the entry holds the owner's words."""


class FoundItemForm(FlaskForm):
    submission_key = HiddenField(default=new_key)
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    item = _short(_l("Item"), 200)
    found_place = _short(_l("Where it was found"), 200)
    found_at = local_datetime_field(_l("When it was found"))
    found_by = _short(_l("Found or handed in by"), 100)
    holder = _short(_l("Who holds it now"), 100)


class ActionForm(FlaskForm):
    version = HiddenField()


class VerifyPraiseForm(ActionForm):
    confirmed = RadioField(_l("Is the praise confirmed?"), validate_choice=False,
                           choices=[("yes", _l("Yes, confirmed")), ("no", _l("No, not confirmed"))])
    staff = SelectMultipleField(_l("Staff members praised"), coerce=int, widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput(), validate_choice=False)
    note = text_area(2, _l("How it was checked"))


class AnswerForm(ActionForm):
    answer = text_area(4, _l("The project manager's answer"))


class ClaimForm(ActionForm):
    claimant_name = _short(_l("Claimed by"), 50)
    document = SelectField(_l("Document shown"), validate_choice=False)
    document_number = _short(_l("Document number"), 40, autocomplete="off")
    claimed_at = local_datetime_field(_l("When it was claimed"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.document.choices = [("", gettext("Choose the document"))] + label_choices(DOCUMENT_LABELS)


class HandOverForm(ActionForm):
    note = text_area(2, _l("Handed over to whom"))


class MajorEventForm(FlaskForm):
    submission_key = HiddenField(default=new_key)
    project_id = SelectField(_l("Project"), coerce=optional_int, validate_choice=False)
    kind = RadioField(_l("Kind of event"), validate_choice=False)
    occurred_at = local_datetime_field(_l("When it happened"))
    place = _short(_l("Where"), 200)
    description = text_area(4, _l("What happened"))
    people_involved = text_area(2, _l("People involved"), 500)
    handling = text_area(3, _l("Handling"))
    follow_up = text_area(3, _l("Follow-up"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = label_choices(registers.EVENT_KIND_LABELS)


class EventUpdateForm(ActionForm):
    handling = text_area(3, _l("Handling"))
    follow_up = text_area(3, _l("Follow-up"))


def _now_input() -> str:
    return to_local(clock_now()).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------------------- shared


def _start(entry_id: int, template: str, form: FlaskForm, category: Category, follow_up: FollowUp, table: str,
           endpoint: str, arg: str, do, prefill, done_message):
    """A start page: GET shows the form prefilled from the entry; POST creates the record
    and classifies the entry in one transaction (registers.start_*)."""
    entry = starting.entry_to_route(entry_id)
    existing = starting.started_record(entry, table, endpoint, arg)
    if existing is not None:
        return existing

    def show(status=200):
        return render_template(template, entry=entry, form=form), status

    if request.method == "GET":
        prefill(entry, form)
        refusal = starting.refusal(entry, category, follow_up)
        if refusal:
            form.form_errors.append(refusal)
        return show(422 if refusal else 200)
    if not form.validate_on_submit():
        return show(422)
    try:
        record = starting.commit_with_retry(lambda: do(entry, form, clock_now()))
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        entry = starting.entry_to_route(entry_id)
        field_error(form, exc)
        return show(422)
    flash(done_message(record), "success")
    return redirect(url_for(endpoint, **{arg: record.id}), code=303)


def _month_choice(permission: Permission) -> tuple[Project, list[Project], date]:
    project, projects = project_for(permission, request.args.get("project", type=int))
    match = re.match(r"^(\d{4})-(\d{2})$", request.args.get("month", ""))
    month_of = rules.register_month_of(clock_now())
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 2000:
        month_of = date(int(match.group(1)), int(match.group(2)), 1)
    return project, projects, month_of


def _month_navigation(endpoint: str, project: Project, month_of: date) -> dict:
    current = rules.register_month_of(clock_now())
    later = rules.shift_month(month_of, 1)

    def link(month: date) -> str:
        return url_for(endpoint, project=project.id, month=f"{month.year:04d}-{month.month:02d}")

    return {
        "month": f"{month_of.year:04d}-{month_of.month:02d}",
        "previous_url": link(rules.shift_month(month_of, -1)),
        "next_url": link(later) if later <= current else None,
        "current_url": url_for(endpoint, project=project.id) if month_of != current else None,
    }


# ---------------------------------------------------------------------------- praise


@bp.route("/<int:entry_id>/start/praise", methods=["GET", "POST"])
def start_praise(entry_id: int):
    """RCP-04 表扬: whom the owner praised, as they said it; then it is checked."""

    def prefill(entry, form):
        form.praised_as.data = entry.content[: registers.PRAISED_AS_LIMIT]

    def do(entry, form, now):
        return registers.start_praise(db.session, current_user, entry, form.praised_as.data, now)

    return _start(entry_id, "reception/praise_start.html", PraiseStartForm(), Category.PRAISE, FollowUp.PRAISE,
                  Praise.__tablename__, "reception.praise", "praise_id", do, prefill,
                  lambda record: gettext("The praise is recorded; it will be checked."))


def _praise_or_404(praise_id: int) -> Praise:
    praise = db.session.scalar(
        sa.select(Praise)
        .where(Praise.id == praise_id)
        .options(so.joinedload(Praise.entry).joinedload(ReceptionEntry.owner),
                 so.joinedload(Praise.entry).joinedload(ReceptionEntry.unit),
                 so.selectinload(Praise.credits).joinedload(PraiseCredit.user))
    )
    if praise is None:
        abort(404)
    return praise


PRAISE_FORMS = {"verify": VerifyPraiseForm, "credit": ActionForm}


def _praise_actions(praise: Praise) -> dict[str, bool]:
    checker = can(Permission.VERIFY_PRAISE, praise.project_id)
    return {
        "verify": checker and praise.status == PraiseStatus.RECORDED,
        "credit": checker and praise.status == PraiseStatus.VERIFIED,
    }


def _staff_choices(form: FlaskForm, praise: Praise) -> None:
    if isinstance(form, VerifyPraiseForm):
        form.staff.choices = [(u.id, u.display_name) for u in registers.project_staff(db.session, praise.project_id)]


def _render_praise(praise: Praise, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    forms = step_forms(praise, _praise_actions(praise), forms, PRAISE_FORMS)
    for form in forms.values():
        _staff_choices(form, praise)
    people = {uid: db.session.get(User, uid) for uid in (praise.recorded_by_id, praise.verified_by_id,
                                                         praise.credited_by_id) if uid}
    context = {"praise": praise, "entry": praise.entry, "forms": forms, "conflict": conflict, "people": people}
    return record_page("reception/praise.html", "reception/_praise_panel.html", praise, status, **context)


@bp.get("/praises/<int:praise_id>")
def praise(praise_id: int):
    found = _praise_or_404(praise_id)
    if not can(Permission.VIEW_RECEPTION, found.project_id):
        abort(403)
    return _render_praise(found)


def _praise_step(praise_id: int, name: str, do, done_message: str):
    return take_step(
        name,
        load=lambda: _praise_or_404(praise_id),
        allowed=lambda praise: can(Permission.VERIFY_PRAISE, praise.project_id),
        form=lambda praise: PRAISE_FORMS[name](),
        do=do,
        show=_render_praise,
        done_url=url_for("reception.praise", praise_id=praise_id),
        done_message=done_message,
    )


@bp.post("/praises/<int:praise_id>/verify")
def praise_verify(praise_id: int):
    """查证属实: confirmed with the staff praised, or not; how it was checked."""

    def do(praise, form, now):
        if form.confirmed.data not in ("yes", "no"):
            raise RuleViolation(N_("Say whether the praise is confirmed."), field="confirmed")
        registers.verify_praise(db.session, current_user, praise, form.confirmed.data == "yes",
                                form.staff.data or [], form.note.data, now)

    return _praise_step(praise_id, "verify", do, gettext("The praise is checked."))


@bp.post("/praises/<int:praise_id>/credit")
def praise_credit(praise_id: int):
    def do(praise, form, now):
        registers.credit_praise(db.session, current_user, praise, now)

    return _praise_step(praise_id, "credit", do, gettext("The praise is on the staff members' records."))


@bp.get("/praises")
def praises():
    """The month's praises with the staff credited: three queries however many."""
    project, projects, month_of = _month_choice(Permission.VIEW_RECEPTION)
    start, end = rules.register_bounds(month_of)
    rows = registers.month_praises(db.session, project.id, start, end)
    return render_template("reception/praises.html", praises=rows, project=project, projects=projects,
                           **_month_navigation("reception.praises", project, month_of))


# ---------------------------------------------------------------------------- suggestion


@bp.route("/<int:entry_id>/start/suggestion", methods=["GET", "POST"])
def start_suggestion(entry_id: int):
    """RCP-04 建议: forwarded to the project manager, who answers within a week."""

    def do(entry, form, now):
        return registers.start_suggestion(db.session, current_user, entry, now)

    return _start(entry_id, "reception/suggestion_start.html", SuggestionStartForm(), Category.SUGGESTION,
                  FollowUp.SUGGESTION, Suggestion.__tablename__, "reception.suggestion", "suggestion_id", do,
                  lambda entry, form: None,
                  lambda record: gettext("The suggestion is forwarded to the project manager."))


def _suggestion_or_404(suggestion_id: int) -> Suggestion:
    suggestion = db.session.scalar(
        sa.select(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .options(so.joinedload(Suggestion.entry).joinedload(ReceptionEntry.owner),
                 so.joinedload(Suggestion.entry).joinedload(ReceptionEntry.unit),
                 so.joinedload(Suggestion.answered_by))
    )
    if suggestion is None:
        abort(404)
    return suggestion


def _render_suggestion(suggestion: Suggestion, forms: dict | None = None, status: int = 200,
                       conflict: str | None = None):
    actions = {"answer": can(Permission.ANSWER_SUGGESTIONS, suggestion.project_id)
               and suggestion.status == SuggestionStatus.FORWARDED}
    forms = step_forms(suggestion, actions, forms, {"answer": AnswerForm})
    context = {"suggestion": suggestion, "entry": suggestion.entry, "forms": forms, "conflict": conflict,
               "forwarded_by": db.session.get(User, suggestion.forwarded_by_id),
               "late": rules.is_overdue(suggestion.answer_due_at, suggestion.answered_at, clock_now())}
    return record_page("reception/suggestion.html", "reception/_suggestion_panel.html", suggestion, status, **context)


def _may_read_suggestion(suggestion: Suggestion) -> bool:
    return can(Permission.VIEW_RECEPTION, suggestion.project_id) or can(
        Permission.ANSWER_SUGGESTIONS, suggestion.project_id
    )


@bp.get("/suggestions/<int:suggestion_id>")
def suggestion(suggestion_id: int):
    found = _suggestion_or_404(suggestion_id)
    if not _may_read_suggestion(found):
        abort(403)
    return _render_suggestion(found)


@bp.post("/suggestions/<int:suggestion_id>/answer")
def suggestion_answer(suggestion_id: int):
    def do(suggestion, form, now):
        registers.answer_suggestion(db.session, current_user, suggestion, form.answer.data, now)

    return take_step(
        "answer",
        load=lambda: _suggestion_or_404(suggestion_id),
        allowed=lambda suggestion: can(Permission.ANSWER_SUGGESTIONS, suggestion.project_id),
        form=lambda suggestion: AnswerForm(),
        do=do,
        show=_render_suggestion,
        done_url=url_for("reception.suggestion", suggestion_id=suggestion_id),
        done_message=gettext("The answer is recorded; the desk will tell the owner."),
    )


# ---------------------------------------------------------------------------- lost property


def _found_values(form: FoundItemForm) -> dict:
    return {
        "item": form.item.data,
        "found_place": form.found_place.data,
        "found_at": local_input(form.found_at),
        "found_by": form.found_by.data,
        "holder": form.holder.data,
    }


@bp.route("/<int:entry_id>/start/lost-property", methods=["GET", "POST"])
def start_lost_property(entry_id: int):
    """RCP-04 其它: the item the owner brought or reported, into 失物招领登记表."""

    def prefill(entry, form):
        form.item.data = entry.content[:200]
        form.found_at.data = to_local(entry.received_at).replace(tzinfo=None, second=0, microsecond=0)
        if entry.owner is not None:
            form.found_by.data = entry.owner.name

    def do(entry, form, now):
        return registers.start_lost_property(db.session, current_user, entry, _found_values(form), now)

    return _start(entry_id, "reception/found_item_start.html", FoundItemForm(), Category.OTHER,
                  FollowUp.LOST_PROPERTY, FoundItem.__tablename__, "reception.found_item", "item_id", do, prefill,
                  lambda record: gettext("Item %(number)s is in the lost-property register.", number=record.number))


@bp.get("/lost-property")
def found_items():
    """失物招领登记表 of a project: held first, then claimed and handed over; one query."""
    project, projects = project_for(Permission.VIEW_RECEPTION, request.args.get("project", type=int))
    rows = registers.found_item_register(db.session, project.id)
    return render_template("reception/found_items.html", items=rows, project=project, projects=projects,
                           may_register=can(Permission.KEEP_LOST_PROPERTY, project.id), now=clock_now())


def _render_found_item_new(form: FoundItemForm, projects: list[Project], status: int = 200):
    form.project_id.choices = [(p.id, p.name) for p in projects]
    return render_template("reception/found_item_new.html", form=form, projects=projects), status


@bp.route("/lost-property/new", methods=["GET", "POST"])
def found_item_new():
    """An item staff found on their rounds, with no owner contact behind it."""
    projects = permitted_projects(Permission.KEEP_LOST_PROPERTY)
    if not projects:
        abort(403)
    form = FoundItemForm()
    if request.method == "GET":
        form.found_at.data = to_local(clock_now()).replace(tzinfo=None, second=0, microsecond=0)
        return _render_found_item_new(form, projects)
    if not form.validate_on_submit():
        return _render_found_item_new(form, projects, 422)
    project = projects[0] if len(projects) == 1 else next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_found_item_new(form, projects, 422)
    try:
        item, _ = starting.commit_with_retry(lambda: registers.register_found_item(
            db.session, current_user, project, _found_values(form), clock_now(), form.submission_key.data))
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _render_found_item_new(form, projects, 422)
    flash(gettext("Item %(number)s is in the lost-property register.", number=item.number), "success")
    return redirect(url_for("reception.found_item", item_id=item.id), code=303)


def _found_item_or_404(item_id: int) -> FoundItem:
    item = db.session.scalar(
        sa.select(FoundItem)
        .where(FoundItem.id == item_id)
        .options(so.joinedload(FoundItem.entry).joinedload(ReceptionEntry.owner),
                 so.joinedload(FoundItem.entry).joinedload(ReceptionEntry.unit),
                 so.joinedload(FoundItem.registered_by), so.joinedload(FoundItem.released_by))
    )
    if item is None:
        abort(404)
    return item


FOUND_ITEM_FORMS = {"claim": ClaimForm, "hand_over": HandOverForm}


def _render_found_item(item: FoundItem, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    keeper = can(Permission.KEEP_LOST_PROPERTY, item.project_id)
    held = item.status == LostPropertyStatus.HELD
    actions = {"claim": keeper and held, "hand_over": keeper and held}

    def prefill(name, form):
        if name == "claim":
            form.claimed_at.data = to_local(clock_now()).replace(tzinfo=None, second=0, microsecond=0)

    forms = step_forms(item, actions, forms, FOUND_ITEM_FORMS, prefill)
    context = {"item": item, "entry": item.entry, "forms": forms, "conflict": conflict}
    return record_page("reception/found_item.html", "reception/_found_item_panel.html", item, status, **context)


@bp.get("/lost-property/<int:item_id>")
def found_item(item_id: int):
    found = _found_item_or_404(item_id)
    if not can(Permission.VIEW_RECEPTION, found.project_id):
        abort(403)
    return _render_found_item(found)


def _found_item_step(item_id: int, name: str, do, done_message: str):
    return take_step(
        name,
        load=lambda: _found_item_or_404(item_id),
        allowed=lambda item: can(Permission.KEEP_LOST_PROPERTY, item.project_id),
        form=lambda item: FOUND_ITEM_FORMS[name](),
        do=do,
        show=_render_found_item,
        done_url=url_for("reception.found_item", item_id=item_id),
        done_message=done_message,
    )


@bp.post("/lost-property/<int:item_id>/claim")
def found_item_claim(item_id: int):
    """Claimed: who, when, the document checked; only its masked number is kept."""

    def do(item, form, now):
        registers.claim_found_item(db.session, current_user, item, {
            "claimant_name": form.claimant_name.data,
            "document": form.document.data or None,
            "document_number": form.document_number.data,
            "claimed_at": local_input(form.claimed_at),
        }, now)

    return _found_item_step(item_id, "claim", do, gettext("The item is handed to its owner."))


@bp.post("/lost-property/<int:item_id>/hand-over")
def found_item_hand_over(item_id: int):
    def do(item, form, now):
        registers.hand_over_found_item(db.session, current_user, item, form.note.data, now)

    return _found_item_step(item_id, "hand_over", do, gettext("The unclaimed item is handed over."))


# ---------------------------------------------------------------------------- major events


@bp.get("/events")
def major_events():
    """重大(突发)事件处理记录表 of a month, open first; one query however many."""
    project, projects, month_of = _month_choice(Permission.VIEW_RECEPTION)
    start, end = rules.register_bounds(month_of)
    rows = registers.major_event_register(db.session, project.id, start, end)
    return render_template("reception/major_events.html", events_list=rows, project=project, projects=projects,
                           may_record=can(Permission.RECORD_MAJOR_EVENTS, project.id),
                           **_month_navigation("reception.major_events", project, month_of))


def _event_values(form: FlaskForm) -> dict:
    return {name: getattr(form, name).data for name in registers.EVENT_FIELDS if hasattr(form, name)}


def _render_event_new(form: MajorEventForm, projects: list[Project], status: int = 200):
    form.project_id.choices = [(p.id, p.name) for p in projects]
    return render_template("reception/major_event_new.html", form=form, projects=projects,
                           required=rules.EVENT_REQUIRED_FIELDS), status


@bp.route("/events/new", methods=["GET", "POST"])
def major_event_new():
    """RCP-07: record a major security incident, equipment failure or official visit."""
    projects = permitted_projects(Permission.RECORD_MAJOR_EVENTS)
    if not projects:
        abort(403)
    form = MajorEventForm()
    if request.method == "GET":
        form.occurred_at.data = to_local(clock_now()).replace(tzinfo=None, second=0, microsecond=0)
        return _render_event_new(form, projects)
    if not form.validate_on_submit():
        return _render_event_new(form, projects, 422)
    project = projects[0] if len(projects) == 1 else next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_event_new(form, projects, 422)
    values = {"kind": form.kind.data or None, "occurred_at": local_input(form.occurred_at), **_event_values(form)}
    try:
        event, _ = registers.record_major_event(db.session, current_user, project, values, clock_now(),
                                                form.submission_key.data)
        db.session.commit()
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc)
        return _render_event_new(form, projects, 422)
    flash(gettext("The event is recorded; the project manager is told."), "success")
    return redirect(url_for("reception.major_event", event_id=event.id), code=303)


def _event_or_404(event_id: int) -> MajorEvent:
    event = db.session.scalar(
        sa.select(MajorEvent)
        .where(MajorEvent.id == event_id)
        .options(so.joinedload(MajorEvent.recorded_by), so.joinedload(MajorEvent.closed_by))
    )
    if event is None:
        abort(404)
    return event


EVENT_FORMS = {"write_in": EventUpdateForm, "close": ActionForm}


def _render_event(event: MajorEvent, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    recorder = can(Permission.RECORD_MAJOR_EVENTS, event.project_id)
    is_open = event.status == EventStatus.OPEN
    actions = {"write_in": recorder and is_open, "close": recorder and is_open}

    def prefill(name, form):
        if name == "write_in":
            form.handling.data = event.handling
            form.follow_up.data = event.follow_up

    forms = step_forms(event, actions, forms, EVENT_FORMS, prefill)
    context = {"event": event, "forms": forms, "conflict": conflict}
    return record_page("reception/major_event.html", "reception/_major_event_panel.html", event, status, **context)


@bp.get("/events/<int:event_id>")
def major_event(event_id: int):
    found = _event_or_404(event_id)
    if not can(Permission.VIEW_RECEPTION, found.project_id):
        abort(403)
    return _render_event(found)


def _event_step(event_id: int, name: str, do, done_message: str):
    return take_step(
        name,
        load=lambda: _event_or_404(event_id),
        allowed=lambda event: can(Permission.RECORD_MAJOR_EVENTS, event.project_id),
        form=lambda event: EVENT_FORMS[name](),
        do=do,
        show=_render_event,
        done_url=url_for("reception.major_event", event_id=event_id),
        done_message=done_message,
        # closing refuses missing handling or follow-up: shown at the top of the close form
        aliases={"handling": None, "follow_up": None} if name == "close" else None,
    )


@bp.post("/events/<int:event_id>/update")
def major_event_update(event_id: int):
    def do(event, form, now):
        registers.update_major_event(db.session, current_user, event, _event_values(form), now)

    return _event_step(event_id, "write_in", do, gettext("The handling and follow-up are saved."))


@bp.post("/events/<int:event_id>/close")
def major_event_close(event_id: int):
    def do(event, form, now):
        registers.close_major_event(db.session, current_user, event, {}, now)

    return _event_step(event_id, "close", do, gettext("The event record is closed."))
