"""Owner reception pages (篇3): log a contact (RCP-01), the entry with its routing to a
category and follow-up (RCP-02..04), the open ledger and closing out (RCP-08), the
monthly ledger 业主接待记录表 for printing and as a sheet, and the entry's photos.

Reads need VIEW_RECEPTION in the entry's project (the staff member who logged an entry
sees it too); the project scope hides every other project's entries (404). Each step
checks the role first (403), then the operation checks it again with the state. Phone
numbers are masked everywhere (EST-03) unless revealed on purpose, which is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, media
from webapp.core.actions import field_error, take_step
from webapp.core.clock import local_date, local_midnight
from webapp.core.clock import now as clock_now
from webapp.core.htmx import render, wants_fragment
from webapp.core.media_responses import send_media
from webapp.core.photo_uploads import MAX_PHOTOS_PER_UPLOAD
from webapp.core.privacy import mask_phones
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.spreadsheets import PAPERWORK_LOCALE, book_bytes, write_table, xlsx_response
from webapp.core.web import local_time
from webapp.estate import queries as estate_queries
from webapp.estate.labels import relation_label
from webapp.estate.models import Unit
from webapp.estate.rules import mask_phone
from webapp.extensions import db
from webapp.org.access import NotPermitted, can, permitted_projects, project_for
from webapp.org.models import Project
from webapp.org.rules import Permission
from webapp.reception import operations, photos, rules
from webapp.reception.forms import (
    CATEGORY_HINTS,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    FOLLOW_UP_LABELS,
    LEDGER_STATUS_LABELS,
    CloseForm,
    DiscardForm,
    EntryForm,
    MatchForm,
    NoteForm,
)
from webapp.reception.models import ReceptionEntry, ReceptionPhoto
from webapp.reception.rules import Category, FollowUp, LedgerStatus

bp = Blueprint("reception", __name__, url_prefix="/reception")

#: what an owner brought to the desk: no cache, not even the phone's own, may keep it
PHOTO_MAX_AGE = None

#: RCP-03/04: where each follow-up is started for an entry (its id as `entry_id`, or as
#: `?entry=` for the complaint and service-order forms)
START_ENDPOINTS: dict[FollowUp, tuple[str, str]] = {
    FollowUp.RETURN_SLIP: ("reception.start_return_slip", "entry_id"),
    FollowUp.WORK_ORDER: ("reception.start_work_order", "entry_id"),
    FollowUp.COMPLAINT: ("complaints.new", "entry"),
    FollowUp.SERVICE_ORDER: ("paid_services.new", "entry"),
    FollowUp.PRAISE: ("reception.start_praise", "entry_id"),
    FollowUp.SUGGESTION: ("reception.start_suggestion", "entry_id"),
    FollowUp.LOST_PROPERTY: ("reception.start_lost_property", "entry_id"),
}

#: the page of the record an entry started, by its table
RECORD_ENDPOINTS: dict[str, tuple[str, str]] = {
    "return_slips": ("reception.return_slip", "slip_id"),
    "repair_work_orders": ("reception.work_order", "order_id"),
    "praises": ("reception.praise", "praise_id"),
    "suggestions": ("reception.suggestion", "suggestion_id"),
    "found_items": ("reception.found_item", "item_id"),
    "complaints": ("complaints.detail", "complaint_id"),
    "service_orders": ("paid_services.detail", "order_id"),
}

audit.ACTION_LABELS.setdefault(
    "reception_register_exported_with_phones", N_("downloaded the reception ledger with full phone numbers")
)

#: the owner picker's refusals next to its search field
_PICKER_ALIASES = {"owner_id": "unit_query", "unit_id": "unit_query", "owner": "unit_query", "unit": "unit_query"}


# ---------------------------------------------------------------------------- labels and links


@bp.app_template_global()
def reception_category_label(value: str | None) -> str:
    return str(CATEGORY_LABELS.get(value, value or "")) if value else ""


@bp.app_template_global()
def reception_channel_label(value: str | None) -> str:
    return str(CHANNEL_LABELS.get(value, value or "")) if value else ""


@bp.app_template_global()
def reception_follow_up_label(value: str | None) -> str:
    return str(FOLLOW_UP_LABELS.get(value, value or "")) if value else ""


@bp.app_template_global()
def reception_status_label(value: str | None) -> str:
    return str(LEDGER_STATUS_LABELS.get(value, value or "")) if value else ""


@bp.context_processor
def _reception_helpers():
    return {"relation_label": relation_label}


def start_url(follow_up: str, entry_id: int) -> str | None:
    """The page that starts `follow_up` for the entry; None for a note (a button on the
    entry page)."""
    found = START_ENDPOINTS.get(FollowUp(follow_up))
    if found is None:
        return None
    endpoint, arg = found
    return url_for(endpoint, **{arg: entry_id})


def record_url(entry: ReceptionEntry) -> str | None:
    """The page of the record the entry started, when there is one."""
    found = RECORD_ENDPOINTS.get(entry.follow_up_type or "")
    if found is None or entry.follow_up_id is None:
        return None
    endpoint, arg = found
    return url_for(endpoint, **{arg: entry.follow_up_id})


def age_text(age: timedelta) -> str:
    """How long an entry has waited, as the open ledger shows it ("3 天 2 小时")."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return gettext("%(minutes)s min", minutes=minutes)


_DIGITS = re.compile(r"\+?\d[\d -]{5,}\d")


def masked(text: str | None) -> str:
    """Free text with every phone number in it masked (EST-03)."""
    return _DIGITS.sub(lambda m: mask_phone(m.group(0)), text or "")


def owner_text(entry: ReceptionEntry, *, full: bool = False) -> str:
    """Unit, owner with phone and the contact as given; phones masked unless `full`."""
    show = (lambda t: t or "") if full else masked
    parts = []
    if entry.unit is not None:
        parts.append(entry.unit.label)
    elif entry.reported_unit:
        parts.append(entry.reported_unit)
    if entry.owner is not None:
        parts.append(f"{entry.owner.name} {show(entry.owner.phone)}".strip())
    if entry.contact:
        parts.append(show(entry.contact))
    return " · ".join(parts)


# ---------------------------------------------------------------------------- who may see what


def may_view(entry: ReceptionEntry) -> bool:
    return can(Permission.VIEW_RECEPTION, entry.project_id) or (
        current_user.is_authenticated and entry.received_by_id == current_user.id
    )


def may_see_photo(photo: ReceptionPhoto) -> bool:
    """Whoever reads the project's reception, or works on what an entry starts there
    (complaints, repairs), and whoever took the photo."""
    return (
        (photo.uploaded_by_id is not None and photo.uploaded_by_id == current_user.id)
        or can(Permission.VIEW_RECEPTION, photo.project_id)
        or can(Permission.HANDLE_COMPLAINT, photo.project_id)
        or can(Permission.WORK_REPAIR_ORDERS, photo.project_id)
    )


def step_forms(record, actions: dict[str, bool], forms: dict | None, factories: dict, prefill=None) -> dict:
    """The form of every step the user may take now on `record`, carrying its version;
    `forms` already posted (with their errors) are kept. `prefill(name, form)` proposes
    values in a fresh form."""
    forms = dict(forms or {})
    for name, allowed in actions.items():
        if allowed and name not in forms:
            forms[name] = factories[name](formdata=None)
            if prefill is not None:
                prefill(name, forms[name])
        if name in forms:
            forms[name].version.data = record.version
    return forms


def record_page(page: str, panel: str, record, status: int = 200, **context):
    """A follow-up record's page with its timeline, or only its panel for HTMX."""
    if not wants_fragment():
        context["events"] = audit.timeline(db.session, record)
    return render(page, panel, status, **context)


# ---------------------------------------------------------------------------- the open ledger


@dataclass(frozen=True)
class LedgerRow:
    entry: ReceptionEntry
    age: timedelta
    follow_up_status: str | None


def _entry_options():
    return (
        so.joinedload(ReceptionEntry.owner),
        so.joinedload(ReceptionEntry.unit).joinedload(Unit.building),
        so.joinedload(ReceptionEntry.received_by),
    )


@bp.get("/")
def ledger():
    """RCP-08: what CS still tracks, oldest first with its age; a fixed number of queries
    however long the ledger is (follow-up statuses are read per kind of record)."""
    projects = permitted_projects(Permission.VIEW_RECEPTION)
    if not projects:
        abort(403)
    ids = [p.id for p in projects]
    project_id = request.args.get("project", type=int)
    if project_id is not None and project_id not in ids:
        abort(404)
    state = request.args.get("state", "")
    category = request.args.get("category", "")
    statuses = [s.value for s in rules.PENDING_STATUSES]
    if state in (LedgerStatus.NEW.value, LedgerStatus.OPEN.value):
        statuses = [state]
    query = (
        sa.select(ReceptionEntry)
        .where(
            ReceptionEntry.project_id.in_([project_id] if project_id else ids),
            ReceptionEntry.status.in_(statuses),
        )
        .options(*_entry_options())
        .order_by(ReceptionEntry.received_at, ReceptionEntry.id)
    )
    if category in {c.value for c in Category}:
        query = query.where(ReceptionEntry.category == category)
    entries = list(db.session.scalars(query))
    now = clock_now()
    statuses_by_entry = operations.follow_up_statuses(db.session, entries)
    rows = [
        LedgerRow(entry, rules.entry_age(entry.received_at, now), statuses_by_entry.get(entry.id))
        for entry in rules.oldest_first(entries)
    ]
    names = {p.id: p.name for p in projects}
    summary_project = project_id or ids[0]
    return render_template(
        "reception/ledger.html",
        rows=rows,
        projects=projects,
        project_names=names if len(projects) > 1 else {},
        filters={"project": project_id or "", "state": state, "category": category},
        categories=list(Category),
        may_log=bool(permitted_projects(Permission.LOG_OWNER_CONTACTS)),
        summary_url=(
            url_for("complaints.summary", project=summary_project)
            if can(Permission.VIEW_COMPLAINT_REPORTS, summary_project)
            else None
        ),
        register_url=url_for("reception.register", project=project_id) if project_id else url_for("reception.register"),
        follow_up_links=[
            ("return-slips-link", gettext("Return-for-repair slips"), url_for("reception.return_slips")),
            ("work-orders-link", gettext("Repair work orders"), url_for("reception.work_orders")),
            ("praises-link", gettext("Praise"), url_for("reception.praises")),
            ("found-items-link", gettext("Lost-property register"), url_for("reception.found_items")),
            ("major-events-link", gettext("Major events register"), url_for("reception.major_events")),
            ("poster-link", gettext("QR poster for owners"), url_for("reception.poster", project=summary_project)),
        ],
        age_text=age_text,
        owner_text=owner_text,
    ), 200, {"Vary": "HX-Request"}


# ---------------------------------------------------------------------------- logging a contact


def _new_form(projects: list[Project]) -> EntryForm:
    form = EntryForm()
    form.project_id.choices = [(p.id, p.name) for p in projects]
    return form


def _render_new(form: EntryForm, projects: list[Project], status: int = 200):
    ids = [p.id for p in projects]
    picker_ids = [form.project_id.data] if len(ids) > 1 and form.project_id.data in ids else ids
    picker = estate_queries.owner_picker(db.session, form.unit_query.data or "", form.owner_choice.data, picker_ids)
    return render_template(
        "reception/new.html",
        form=form,
        projects=projects,
        picker=picker,
        picker_project=ids[0] if len(ids) == 1 else None,
        may_route=any(can(Permission.ROUTE_OWNER_CONTACTS, p.id) for p in projects),
        category_hints={c.value: CATEGORY_HINTS[c] for c in Category},
        max_photos=MAX_PHOTOS_PER_UPLOAD,
    ), status


def _upload_sizes(files) -> list[int]:
    sizes = []
    for upload in files:
        stream = upload.stream
        try:
            position = stream.tell()
            stream.seek(0, 2)
            sizes.append(stream.tell())
            stream.seek(position)
        except (AttributeError, OSError):
            sizes.append(0)
    return sizes


def _after_logging(entry: ReceptionEntry, category: str | None) -> str:
    """With a category, the desk goes on to the category's usual start page; a note or a
    page not built yet leads to the entry's routing panel."""
    if category:
        follow_up = rules.default_follow_up(category)
        url = start_url(follow_up.value, entry.id)
        if url:
            return url
        return url_for("reception.detail", entry_id=entry.id) + "#routing"
    return url_for("reception.detail", entry_id=entry.id)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """RCP-01: any staff member logs an owner's contact in seconds; the time and the
    receiver are automatic, the desk may choose the category at once."""
    projects = permitted_projects(Permission.LOG_OWNER_CONTACTS)
    if not projects:
        abort(403)
    form = _new_form(projects)
    if request.method == "GET":
        return _render_new(form, projects)
    files = form.files()
    if request.form.get("find_owner"):  # the owner picker's search without scripts: nothing saved
        form.owner_choice.data = ""
        if files:
            form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, projects)
    if not form.validate_on_submit():
        if files:
            form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, projects, 422)
    project = projects[0] if len(projects) == 1 else next((p for p in projects if p.id == form.project_id.data), None)
    if project is None:
        form.project_id.errors = [gettext("Choose the project.")]
        return _render_new(form, projects, 422)
    values = form.values()
    if values["category"] and not can(Permission.ROUTE_OWNER_CONTACTS, project.id):
        refusal = gettext("Only the desk classifies a contact; leave the category empty.")
        if any(can(Permission.ROUTE_OWNER_CONTACTS, p.id) for p in projects):
            form.category.errors = [refusal]
        else:  # the form offers no category to this user: the message goes on top
            form.form_errors.append(refusal)
        return _render_new(form, projects, 422)
    values["photo_sizes"] = _upload_sizes(files)
    now = clock_now()
    try:
        # resolved before logging: the ids are part of the submission's fingerprint
        unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
            db.session, form.unit_query.data, form.owner_choice.data, project.id
        )
        form.owner_choice.data = choice
        values["unit_id"], values["owner_id"] = unit_id, owner_id
        if not values.get("contact"):
            contact = estate_queries.chosen_contact(db.session, unit_id, owner_id, project.id)
            if contact:
                form.contact.data = values["contact"] = contact
        for attempt in range(3):
            entry, created = operations.log_entry(
                db.session, current_user, project, values, now, form.submission_key.data
            )
            if not created:  # a second tap, or the phone sending again
                return redirect(url_for("reception.detail", entry_id=entry.id), code=303)
            photos.attach_photos(
                db.session, entry, files, actor=current_user, store=media.store_from_app(current_app), now=now
            )
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    raise
                continue
            break
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except RuleViolation as exc:
        db.session.rollback()
        field_error(form, exc, _PICKER_ALIASES)
        if files:
            form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, projects, 422)
    except media.MediaError as exc:
        db.session.rollback()
        field_error(form, exc, fallback="photos")
        form.photos.errors.append(gettext("Nothing was saved: choose the photos again."))
        return _render_new(form, projects, 422)
    flash(gettext("Contact %(number)s logged.", number=entry.number), "success")
    return redirect(_after_logging(entry, values["category"]), code=303)


# ---------------------------------------------------------------------------- one entry


def _entry_or_404(entry_id: int) -> ReceptionEntry:
    entry = (
        db.session.scalars(
            sa.select(ReceptionEntry)
            .where(ReceptionEntry.id == entry_id)
            .options(
                *_entry_options(),
                so.joinedload(ReceptionEntry.routed_by),
                so.joinedload(ReceptionEntry.closed_by),
                so.selectinload(ReceptionEntry.photos),
            )
        )
        .unique()
        .first()
    )
    if entry is None:
        abort(404)
    return entry


@dataclass(frozen=True)
class RouteChoice:
    category: Category
    label: str
    hint: str
    #: (follow-up, its label, the start page's URL or None) in the category's order
    follow_ups: list[tuple[str, str, str | None]]


def routing_choices(entry: ReceptionEntry) -> list[RouteChoice]:
    """RCP-02: the seven categories, each offering only its own follow-ups (RCP-03/04)."""
    return [
        RouteChoice(
            category,
            str(CATEGORY_LABELS[category]),
            str(CATEGORY_HINTS[category]),
            [(f.value, str(FOLLOW_UP_LABELS[f]), start_url(f.value, entry.id)) for f in follow_ups],
        )
        for category, follow_ups in rules.FOLLOW_UPS.items()
    ]


def _actions(entry: ReceptionEntry, follow_up_status: str | None) -> dict[str, bool]:
    status = LedgerStatus(entry.status)
    desk = can(Permission.ROUTE_OWNER_CONTACTS, entry.project_id)
    closer = can(Permission.CLOSE_OWNER_CONTACTS, entry.project_id)
    done = entry.follow_up is not None and rules.follow_up_done(entry.follow_up, follow_up_status)
    return {
        "route": desk and status is LedgerStatus.NEW,
        "match": desk and status is LedgerStatus.NEW,
        "close": closer and status is LedgerStatus.OPEN and done,
        "discard": closer and status is LedgerStatus.NEW,
        "reveal": can(Permission.REVEAL_PHONE, entry.project_id),
    }


FORMS = {"note": NoteForm, "match": MatchForm, "close": CloseForm, "discard": DiscardForm}


def _context(entry: ReceptionEntry, forms: dict | None = None, conflict: str | None = None) -> dict:
    status = operations.follow_up_status(db.session, entry)
    actions = _actions(entry, status)
    forms = dict(forms or {})
    wanted = {"note": actions["route"], "match": actions["match"], "close": actions["close"],
              "discard": actions["discard"]}
    for name, allowed in wanted.items():
        if allowed and name not in forms:
            forms[name] = FORMS[name](formdata=None)
        if name in forms:
            forms[name].version.data = entry.version
    picker = None
    if actions["match"]:
        match = forms["match"]
        picker = estate_queries.owner_picker(
            db.session, match.unit_query.data or entry.reported_unit or "", match.owner_choice.data, [entry.project_id]
        )
        if not match.unit_query.data and entry.unit_id is None:
            match.unit_query.data = entry.reported_unit or ""
    return {
        "entry": entry,
        "actions": actions,
        "forms": forms,
        "conflict": conflict,
        "follow_up_status": status,
        "follow_up_done": entry.follow_up is not None and rules.follow_up_done(entry.follow_up, status),
        "record_url": record_url(entry),
        "routing": routing_choices(entry) if actions["route"] else [],
        "picker": picker,
        "owner_text": owner_text,
        "revealed": False,
    }


#: the codes an entry's trail keeps as its note, in words
_NOTE_LABELS = {"reception_logged": reception_channel_label, "reception_routed": reception_follow_up_label}


def _readable_events(entry: ReceptionEntry) -> list[SimpleNamespace]:
    """The entry's trail for the shared timeline macro, with the channel and follow-up
    codes its notes keep in words (values in `changes` read through audit.VALUE_LABELS)."""
    shown = []
    for event in audit.timeline(db.session, entry):
        label = _NOTE_LABELS.get(event.action)
        shown.append(SimpleNamespace(
            entity_type=event.entity_type, at=event.at, actor=event.actor, action=event.action,
            from_state=event.from_state, to_state=event.to_state, changes=event.changes,
            note=label(event.note) if label and event.note else event.note,
        ))
    return shown


def _render_detail(entry: ReceptionEntry, forms: dict | None = None, status: int = 200, conflict: str | None = None):
    context = _context(entry, forms, conflict)
    if wants_fragment():
        return render_template("reception/_entry.html", **context), status, {"Vary": "HX-Request"}
    context["events"] = _readable_events(entry)
    return render_template("reception/detail.html", **context), status, {"Vary": "HX-Request"}


@bp.get("/<int:entry_id>")
def detail(entry_id: int):
    entry = _entry_or_404(entry_id)
    if not may_view(entry):
        abort(403)
    return _render_detail(entry)


def _step(entry_id: int, name: str, permission: Permission, do, done_message: str, aliases: dict | None = None):
    """Every step on an entry (webapp.core.actions.take_step)."""
    return take_step(
        name,
        load=lambda: _entry_or_404(entry_id),
        allowed=lambda entry: can(permission, entry.project_id),
        form=lambda entry: FORMS[name](),
        do=do,
        show=_render_detail,
        done_url=url_for("reception.detail", entry_id=entry_id),
        done_message=done_message,
        aliases=aliases,
    )


@bp.post("/<int:entry_id>/start/note")
def start_note(entry_id: int):
    """其它 settled at the desk (pets, a question answered): the entry is its own record."""

    def do(entry, form, now):
        operations.classify(
            db.session, current_user, entry, Category.OTHER.value, FollowUp.NOTE.value, now
        )

    return _step(entry_id, "note", Permission.ROUTE_OWNER_CONTACTS, do, gettext("Recorded as a note."))


@bp.post("/<int:entry_id>/match")
def match(entry_id: int):
    """An owner's QR form matched to the unit and person on record."""

    def do(entry, form, now):
        unit_id, owner_id, choice = estate_queries.resolve_owner_choice(
            db.session, form.unit_query.data, form.owner_choice.data, entry.project_id
        )
        form.owner_choice.data = choice
        operations.match_owner(db.session, current_user, entry, unit_id, owner_id, now)

    if request.form.get("find_owner"):  # the picker's search without scripts: nothing saved
        entry = _entry_or_404(entry_id)
        if not can(Permission.ROUTE_OWNER_CONTACTS, entry.project_id):
            abort(403)
        form = MatchForm()
        form.owner_choice.data = ""
        return _render_detail(entry, {"match": form})
    return _step(entry_id, "match", Permission.ROUTE_OWNER_CONTACTS, do, gettext("Matched to the unit."),
                 _PICKER_ALIASES)


@bp.post("/<int:entry_id>/close")
def close(entry_id: int):
    """RCP-08 (§4.11): closed out (注销) once its follow-up is done."""

    def do(entry, form, now):
        operations.close(db.session, current_user, entry, form.remark.data, now)

    return _step(entry_id, "close", Permission.CLOSE_OWNER_CONTACTS, do, gettext("The entry is closed out."))


@bp.post("/<int:entry_id>/discard")
def discard(entry_id: int):
    """A duplicate or nonsense nobody acted on leaves the ledger, with the reason."""

    def do(entry, form, now):
        operations.discard(db.session, current_user, entry, form.reason.data, now)

    return _step(entry_id, "discard", Permission.CLOSE_OWNER_CONTACTS, do, gettext("The entry is discarded."))


@bp.post("/<int:entry_id>/reveal-contact")
def reveal_contact(entry_id: int):
    """EST-03: the full phone numbers, on purpose, written to the entry's history. HTMX
    gets the contact block; without JavaScript, the entry page with the numbers."""
    entry = _entry_or_404(entry_id)
    if not can(Permission.REVEAL_PHONE, entry.project_id):
        abort(403)
    try:
        operations.reveal_contact(db.session, current_user, entry)
    except NotPermitted:
        db.session.rollback()
        abort(403)
    db.session.commit()
    context = _context(entry)
    context["revealed"] = True
    if wants_fragment():
        return render_template("reception/_contact.html", **context), 200, {"Vary": "HX-Request"}
    context["events"] = _readable_events(entry)
    return render_template("reception/detail.html", **context), 200, {"Vary": "HX-Request"}


# ---------------------------------------------------------------------------- photos


@bp.get("/photos/<int:photo_id>/<variant>")
def photo(photo_id: int, variant: str):
    """An entry's photo; the clean original (no watermark) only for the desk."""
    if variant not in photos.VARIANTS:
        abort(404)
    found = db.first_or_404(sa.select(ReceptionPhoto).where(ReceptionPhoto.id == photo_id))
    if not may_see_photo(found):
        abort(403)
    if variant == "original" and not can(Permission.ROUTE_OWNER_CONTACTS, found.project_id):
        abort(403)
    return send_media(
        photos.variant_key(found, variant), mimetype="image/jpeg", etag=f"{found.sha256}-{variant}",
        max_age=PHOTO_MAX_AGE, label=f"reception photo {found.id} ({variant})",
    )


# ---------------------------------------------------------------------------- the monthly ledger

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(text: str | None, today: date) -> date:
    found = _MONTH.match(text or "")
    if found and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 2000:
        return date(int(found.group(1)), int(found.group(2)), 1)
    return today.replace(day=1)


def _next_month(first: date, step: int) -> date:
    months = first.year * 12 + first.month - 1 + step
    return date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class RegisterChoice:
    project: Project
    projects: list[Project]
    month_of: date
    now: datetime

    @property
    def month(self) -> str:
        return f"{self.month_of:%Y-%m}"


def _register_choice() -> RegisterChoice:
    project, projects = project_for(Permission.VIEW_RECEPTION, request.args.get("project", type=int))
    now = clock_now()
    return RegisterChoice(project, projects, _month(request.args.get("month"), local_date(now)), now)


def register_entries(choice: RegisterChoice) -> tuple[list[ReceptionEntry], dict[int, str]]:
    """业主接待记录表: every entry received in the local month, whatever its status, in the
    order received; with the status of each follow-up record."""
    start = local_midnight(choice.month_of)
    end = local_midnight(_next_month(choice.month_of, 1))
    entries = list(
        db.session.scalars(
            sa.select(ReceptionEntry)
            .where(
                ReceptionEntry.project_id == choice.project.id,
                ReceptionEntry.received_at >= start,
                ReceptionEntry.received_at < end,
            )
            .options(*_entry_options(), so.joinedload(ReceptionEntry.closed_by))
            .order_by(ReceptionEntry.received_at, ReceptionEntry.id)
        )
    )
    return entries, operations.follow_up_statuses(db.session, entries)


def _register_url(endpoint: str, choice: RegisterChoice, month_of: date | None = None, **extra) -> str:
    return url_for(endpoint, project=choice.project.id, month=f"{month_of or choice.month_of:%Y-%m}", **extra)


def follow_up_text(entry: ReceptionEntry, status: str | None) -> str:
    if not entry.follow_up:
        return ""
    text = reception_follow_up_label(entry.follow_up)
    if status:
        text += f" · {audit.STATE_LABELS.get(status, status)}"
    return text


def closing_text(entry: ReceptionEntry) -> str:
    if entry.status == LedgerStatus.CLOSED.value:
        who = entry.closed_by.display_name if entry.closed_by else ""
        return " · ".join(p for p in (local_time(entry.closed_at), who, entry.closing_note) if p)
    if entry.status == LedgerStatus.DISCARDED.value:
        return " · ".join(p for p in (reception_status_label(entry.status), entry.discard_reason) if p)
    return ""


@bp.get("/register")
def register():
    """业主接待记录表 of one month (every status), for printing."""
    choice = _register_choice()
    entries, statuses = register_entries(choice)
    current = local_date(choice.now).replace(day=1)
    following = _next_month(choice.month_of, 1)
    return render_template(
        "reception/register.html",
        choice=choice,
        project=choice.project,
        projects=choice.projects,
        entries=entries,
        statuses=statuses,
        owner_text=owner_text,
        follow_up_text=follow_up_text,
        closing_text=closing_text,
        previous_url=_register_url("reception.register", choice, _next_month(choice.month_of, -1)),
        next_url=_register_url("reception.register", choice, following) if following <= current else None,
        xlsx_url=_register_url("reception.register_xlsx", choice),
        full_xlsx_url=(
            _register_url("reception.register_xlsx", choice, full_phones=1)
            if can(Permission.REVEAL_PHONE, choice.project.id)
            else None
        ),
    )


@bp.get("/register.xlsx")
def register_xlsx():
    """The month's ledger as a sheet; phones masked unless a REVEAL_PHONE holder asks for
    the full numbers, which is written to the history (EST-03)."""
    choice = _register_choice()
    full = request.args.get("full_phones") == "1"
    if full:
        if not can(Permission.REVEAL_PHONE, choice.project.id):
            abort(403)
        audit.record(
            db.session, choice.project, "reception_register_exported_with_phones", actor_id=current_user.id,
            project_id=choice.project.id, note=choice.month,
        )
        db.session.commit()
    entries, statuses = register_entries(choice)
    with force_locale(PAPERWORK_LOCALE):
        title = gettext("Owner reception ledger")
        header = [
            gettext("Number"), gettext("Received at"), gettext("Channel"), gettext("Received by"),
            gettext("Owner and unit"), gettext("What the owner said"), gettext("Category"),
            gettext("Follow-up"), gettext("Status"), gettext("Closed out"),
        ]
        rows = [
            [
                entry.number,
                local_time(entry.received_at),
                reception_channel_label(entry.channel),
                entry.received_by.display_name if entry.received_by else "",
                owner_text(entry, full=full),
                entry.content if full else mask_phones(entry.content),
                reception_category_label(entry.category),
                follow_up_text(entry, statuses.get(entry.id)),
                reception_status_label(entry.status),
                closing_text(entry),
            ]
            for entry in entries
        ]
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = title
        write_table(sheet, f"{title} · {choice.project.name} · {choice.month}", header, rows)
        data = book_bytes(book)
    return xlsx_response(
        data,
        f"reception-ledger-{choice.project.code}-{choice.month}.xlsx",
        f"{title}-{choice.project.name}-{choice.month}.xlsx",
    )


