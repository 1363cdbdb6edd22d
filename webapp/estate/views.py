"""Estate pages: buildings, units, owners, facilities and their QR codes (EST-01..03).

Reads need a login only: the project scope hides every other project's records (404).
Actions check the permission in the record's project with access.require().
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import quote

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, idempotency, qr
from webapp.core.htmx import render, wants_fragment
from webapp.core.locking import EditConflict, conflict_message
from webapp.core.locking import commit as commit_edit
from webapp.core.models import AuditEvent
from webapp.core.rulekit import RuleViolation
from webapp.core.web import message, public
from webapp.estate import operations, queries
from webapp.estate.forms import FacilityForm, ImportForm, NewFacilityForm
from webapp.estate.imports import ImportFileError, check_sheet, read_sheet, template_workbook
from webapp.estate.labels import FACILITY_FIELD_LABELS, facility_kind_label, relation_label
from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit
from webapp.estate.rules import floor_groups, unit_sort_key
from webapp.extensions import db
from webapp.org.access import can, permission_required, require
from webapp.org.models import Project
from webapp.org.rules import Permission

bp = Blueprint("estate", __name__, url_prefix="/estate")

#: search results shown at most; more means "type more"
SEARCH_LIMIT = 30
#: labels per A4 sheet: 3 columns × 4 rows keeps each QR over 35 mm wide
LABELS_PER_PAGE = 12
#: the import template's file name as the browser saves it
TEMPLATE_FILENAME = "房号业主导入模板.xlsx"
#: longest QR token accepted in a short URL (new_qr_token() gives 22 characters)
MAX_TOKEN_LENGTH = 64


# ---------------------------------------------------------------------------- helpers


def short_url(facility: Facility) -> str:
    """The absolute URL printed in a facility's QR code: /f/<token> on PUBLIC_BASE_URL
    when configured, else on the host this request came to."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("estate.facility_by_token", token=facility.qr_token)
    return url_for("estate.facility_by_token", token=facility.qr_token, _external=True)


@bp.context_processor
def _estate_helpers():
    return {
        "relation_label": relation_label,
        "facility_kind_label": facility_kind_label,
        "short_url": short_url,
        "qr_svg": qr.svg,
    }


def _one_or_404(statement):
    """A record of the user's projects, else 404 (the scope filters the statement)."""
    found = db.session.scalars(statement).unique().first()
    if found is None:
        abort(404)
    return found


def _visible_projects() -> list[Project]:
    return list(
        db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.name, Project.id))
    )


def _editable_projects() -> list[Project]:
    return [p for p in _visible_projects() if can(Permission.EDIT_ESTATE, p.id)]


def _units_with_people(statement) -> list[Unit]:
    """Units with their occupants and owners in two more queries, however many units."""
    return queries.units_with_people(db.session, statement)


def _search(query: str) -> tuple[list[Unit], bool]:
    """Units whose number, building or occupant name contains every word typed."""
    return queries.search_units(db.session, query, SEARCH_LIMIT)


# ---------------------------------------------------------------------------- estate


@bp.get("/")
def index():
    """Projects and their buildings, and the unit/owner search (HTMX: the results only)."""
    query = (request.args.get("q") or "").strip()
    results, more = _search(query)
    if wants_fragment():
        return render("estate/index.html", "estate/_search_results.html", query=query, results=results, more=more)
    projects = _visible_projects()
    buildings = db.session.scalars(
        sa.select(Building).order_by(Building.project_id, Building.sort_order, Building.name)
    ).all()
    unit_counts = dict(
        db.session.execute(sa.select(Unit.building_id, sa.func.count()).group_by(Unit.building_id)).all()
    )
    by_project: dict[int, list[Building]] = defaultdict(list)
    for building in buildings:
        by_project[building.project_id].append(building)
    return render(
        "estate/index.html",
        "estate/_search_results.html",
        query=query,
        results=results,
        more=more,
        projects=projects,
        buildings=by_project,
        unit_counts=unit_counts,
    )


@bp.get("/buildings/<int:building_id>")
def building(building_id: int):
    """Units floor by floor with their occupants (phones masked). A fixed number of
    queries however tall the building."""
    found = _one_or_404(sa.select(Building).where(Building.id == building_id))
    units = _units_with_people(sa.select(Unit).where(Unit.building_id == found.id))
    units.sort(key=lambda unit: unit_sort_key(unit.number))
    facility_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Facility).where(Facility.building_id == found.id)
    )
    project = _one_or_404(sa.select(Project).where(Project.id == found.project_id))
    return render_template(
        "estate/building.html",
        building=found,
        project=project,
        floors=floor_groups(units, lambda unit: unit.floor),
        unit_total=len(units),
        facility_count=facility_count,
    )


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int):
    found = _one_or_404(
        sa.select(Unit)
        .where(Unit.id == unit_id)
        .options(
            so.joinedload(Unit.building),
            so.selectinload(Unit.occupancies).joinedload(Occupancy.owner),
        )
    )
    return render_template("estate/unit.html", unit=found)


def _owner_or_404(owner_id: int) -> Owner:
    return _one_or_404(
        sa.select(Owner)
        .where(Owner.id == owner_id)
        .options(
            so.selectinload(Owner.occupancies).joinedload(Occupancy.unit).joinedload(Unit.building)
        )
    )


@bp.get("/owners/<int:owner_id>")
def owner(owner_id: int):
    found = _owner_or_404(owner_id)
    return render_template(
        "estate/owner.html", owner=found, revealed=False, events=audit.timeline(db.session, found)
    )


@bp.post("/owners/<int:owner_id>/reveal-phone")
def reveal_phone(owner_id: int):
    """EST-03: the full number for a role allowed to see it, written to the history.
    HTMX gets the phone widget; without JavaScript, the owner page with the number."""
    found = _owner_or_404(owner_id)
    require(Permission.REVEAL_PHONE, found.project_id)
    operations.reveal_phone(db.session, current_user, found)
    db.session.commit()
    return render(
        "estate/owner.html",
        "estate/_owner_phone.html",
        owner=found,
        revealed=True,
        events=[] if wants_fragment() else audit.timeline(db.session, found),
    )


@bp.get("/owners/search")
def owner_search():
    """The owner picker of the slip and complaint forms (SLIP-02, CMP-03), an HTMX
    fragment: up to 10 units matching what was typed, each with its people as radio
    buttons, phones masked (EST-03). `project` narrows it to the form's project; another
    project's is not found. A fixed number of queries however many units match."""
    projects = [p for p in _visible_projects() if can(Permission.VIEW_ESTATE, p.id)]
    project_id = request.args.get("project", type=int) or request.args.get("project_id", type=int)
    if project_id is not None:
        projects = [p for p in projects if p.id == project_id]
        if not projects:
            abort(404)
    query = (request.args.get("q") or request.args.get("unit_query") or "").strip()
    units, more = queries.search_units(
        db.session, query, queries.OWNER_CHOICES_LIMIT, project_ids=[p.id for p in projects]
    )
    picker = queries.picker_context(units, more, query, request.args.get("owner_choice"))
    return render_template("estate/_owner_choices.html", picker=picker), 200, {"Vary": "HX-Request"}


# ---------------------------------------------------------------------------- facilities


@bp.get("/facilities")
def facilities():
    """Facilities and patrol points by project and building (?project=, ?building=)."""
    statement = sa.select(Facility).options(so.joinedload(Facility.building))
    building_id = request.args.get("building", type=int)
    project_id = request.args.get("project", type=int)
    chosen_building = chosen_project = None
    if building_id:
        chosen_building = _one_or_404(sa.select(Building).where(Building.id == building_id))
        statement = statement.where(Facility.building_id == building_id)
        project_id = chosen_building.project_id
    if project_id:
        chosen_project = _one_or_404(sa.select(Project).where(Project.id == project_id))
        statement = statement.where(Facility.project_id == project_id)
    rows = db.session.scalars(statement).all()
    projects = {p.id: p for p in _visible_projects()}
    if chosen_project is not None:
        projects.setdefault(chosen_project.id, chosen_project)
    groups: dict[tuple[int, int | None], list[Facility]] = defaultdict(list)
    for facility in rows:
        groups[(facility.project_id, facility.building_id)].append(facility)

    def group_order(key):
        project, building_id = key
        building = groups[key][0].building
        return (
            projects[project].name if project in projects else "",
            project,
            building is None,
            building.sort_order if building else 0,
            building.name if building else "",
        )

    ordered = []
    for key in sorted(groups, key=group_order):
        items = sorted(groups[key], key=lambda f: (not f.active, unit_sort_key(f.code)))
        ordered.append((projects.get(key[0]), groups[key][0].building, items))
    return render_template(
        "estate/facilities.html",
        groups=ordered,
        chosen_building=chosen_building,
        chosen_project=chosen_project,
        can_create=bool(_editable_projects()),
    )


def _facility_or_404(facility_id: int) -> Facility:
    return _one_or_404(
        sa.select(Facility).where(Facility.id == facility_id).options(so.joinedload(Facility.building))
    )


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    found = _facility_or_404(facility_id)
    return render_template(
        "estate/facility.html",
        facility=found,
        qr_url=short_url(found),
        events=audit.timeline(db.session, found),
    )


@bp.get("/facilities/<int:facility_id>/qr.png")
def facility_qr_png(facility_id: int):
    found = _facility_or_404(facility_id)
    response = Response(qr.png(short_url(found)), mimetype="image/png")
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", found.code)
    response.headers["Content-Disposition"] = f'inline; filename="{safe_name}.png"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def facility_by_token(token: str):
    """EST-02: what a phone's camera opens. Signed out: sign in first, then come back.
    Signed in: the facility of the user's projects; anything else is an invalid code."""
    if not current_user.is_authenticated:
        return redirect(url_for("org.login", next=request.path))
    found = None
    if len(token) <= MAX_TOKEN_LENGTH:
        found = db.session.scalar(sa.select(Facility).where(Facility.qr_token == token))
    if found is None:
        title = gettext("QR code not valid")
        detail = gettext(
            "This QR code is not valid, or the place belongs to a project you do not work in. "
            "Tell the customer-service centre where you found it."
        )
        return render_template("errors/error.html", status=404, title=title, detail=detail), 404
    return redirect(url_for("estate.facility", facility_id=found.id), code=303)


# The printed short URL lives at the site root, outside the blueprint's /estate prefix.
bp.record_once(
    lambda state: state.app.add_url_rule(
        "/f/<token>", endpoint="estate.facility_by_token", view_func=public(facility_by_token)
    )
)


def _building_choices(projects: list[Project]) -> list[tuple[int, str]]:
    ids = [p.id for p in projects]
    buildings = db.session.scalars(
        sa.select(Building)
        .where(Building.project_id.in_(ids))
        .order_by(Building.project_id, Building.sort_order, Building.name)
    ).all()
    names = {p.id: p.name for p in projects}
    several = len(projects) > 1
    choices = [(0, gettext("No building (site-wide)"))]
    choices += [
        (b.id, f"{names[b.project_id]} · {b.name}" if several else b.name) for b in buildings
    ]
    return choices


def _chosen_building(form: FacilityForm, project_id: int) -> Building | None:
    if not form.building.data:
        return None
    building = db.session.scalar(sa.select(Building).where(Building.id == form.building.data))
    if building is None or building.project_id != project_id:
        form.building.errors.append(gettext("This building belongs to another project."))
        return None
    return building


@bp.route("/facilities/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ESTATE)
def new_facility():
    projects = _editable_projects()
    if not projects:
        abort(403)
    form = NewFacilityForm()
    form.project.choices = [(p.id, p.name) for p in projects]
    form.building.choices = _building_choices(projects)
    if request.method == "GET":
        preset = request.args.get("building", type=int)
        if preset:
            building = _one_or_404(sa.select(Building).where(Building.id == preset))
            require(Permission.EDIT_ESTATE, building.project_id)
            form.building.data, form.project.data = building.id, building.project_id
        elif request.args.get("project", type=int):
            project = _one_or_404(sa.select(Project).where(Project.id == request.args.get("project", type=int)))
            require(Permission.EDIT_ESTATE, project.id)
            form.project.data = project.id
        return render_template("estate/facility_form.html", form=form, facility=None)
    if form.validate_on_submit():
        project = next(p for p in projects if p.id == form.project.data)
        building = _chosen_building(form, project.id)
        if not form.building.errors:
            values = form.values()
            key = form.submission_key.data
            body = idempotency.fingerprint(
                {"project": project.id, "building": building.id if building else None, **values}
            )
            try:
                for attempt in range(3):
                    earlier = idempotency.previous(db.session, key, current_user.id, body)
                    if earlier is not None:  # a second tap on "save": show the first result
                        return redirect(url_for("estate.facility", facility_id=earlier.entity_id), code=303)
                    created = operations.create_facility(db.session, current_user, project, building, values)
                    idempotency.remember(db.session, key, current_user.id, created, body)
                    try:
                        db.session.commit()
                    except IntegrityError:
                        # The same code taken at the same moment (take the next one), or the
                        # same submission racing in (the loop then finds it).
                        db.session.rollback()
                        if attempt == 2:
                            raise
                        continue
                    break
            except RuleViolation as exc:
                form.form_errors.append(message(exc))
            else:
                flash(gettext("Facility %(code)s added.", code=created.code), "success")
                return redirect(url_for("estate.facility", facility_id=created.id), code=303)
    return render_template("estate/facility_form.html", form=form, facility=None), 422


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
def edit_facility(facility_id: int):
    """Edit with optimistic locking: a save based on an older version is refused with
    "changed by X meanwhile", the typed values kept and nothing overwritten."""
    found = _facility_or_404(facility_id)
    require(Permission.EDIT_ESTATE, found.project_id)
    project = _one_or_404(sa.select(Project).where(Project.id == found.project_id))
    form = FacilityForm(obj=None if request.method == "POST" else found)
    form.building.choices = _building_choices([project])
    if request.method == "GET":
        form.building.data = found.building_id or 0
        form.latitude.data = _coordinate_text(found.latitude)
        form.longitude.data = _coordinate_text(found.longitude)
        form.version.data = found.version
        return render_template("estate/facility_form.html", form=form, facility=found)
    conflict = None
    if form.validate_on_submit():
        building = _chosen_building(form, found.project_id)
        if not form.building.errors:
            try:
                changes = operations.update_facility(
                    db.session, current_user, found, building, form.values(), form.version.data
                )
                commit_edit(db.session, found)
            except EditConflict as exc:
                db.session.rollback()
                conflict = exc
            else:
                if changes:
                    flash(gettext("Saved."), "success")
                else:
                    flash(gettext("Nothing was changed."), "info")
                return redirect(url_for("estate.facility", facility_id=found.id), code=303)
    if conflict is not None:
        found = _facility_or_404(facility_id)
        # The next save is a deliberate choice over what is stored now.
        form.version.data = found.version
        return render_template(
            "estate/facility_form.html",
            form=form,
            facility=found,
            conflict=conflict_message(conflict),
            current=_readable(found),
        ), 409
    return render_template("estate/facility_form.html", form=form, facility=found), 422


def _coordinate_text(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def _readable(facility: Facility) -> list[tuple[str, str]]:
    """The stored values shown next to a refused save."""
    return [
        (str(FACILITY_FIELD_LABELS["name"]), facility.name),
        (str(FACILITY_FIELD_LABELS["kind"]), facility_kind_label(facility.kind)),
        (str(FACILITY_FIELD_LABELS["building"]), facility.building.name if facility.building else "—"),
        (str(FACILITY_FIELD_LABELS["floor"]), facility.floor or "—"),
        (str(FACILITY_FIELD_LABELS["description"]), facility.description or "—"),
        (str(FACILITY_FIELD_LABELS["latitude"]), _coordinate_text(facility.latitude) or "—"),
        (str(FACILITY_FIELD_LABELS["longitude"]), _coordinate_text(facility.longitude) or "—"),
    ]


# ---------------------------------------------------------------------------- labels


def _label_sheet(facilities: list[Facility], title: str, back: str):
    facilities = sorted(facilities, key=lambda f: unit_sort_key(f.code))
    pages = [facilities[i : i + LABELS_PER_PAGE] for i in range(0, len(facilities), LABELS_PER_PAGE)]
    return render_template("print/labels.html", pages=pages, title=title, back=back, count=len(facilities))


@bp.get("/buildings/<int:building_id>/labels")
def building_labels(building_id: int):
    """EST-02: an A4 sheet of QR labels, one per facility in use in the building."""
    found = _one_or_404(sa.select(Building).where(Building.id == building_id))
    require(Permission.PRINT_LABELS, found.project_id)
    rows = db.session.scalars(
        sa.select(Facility).where(Facility.building_id == found.id, Facility.active)
    ).all()
    return _label_sheet(
        list(rows),
        gettext("QR labels · %(building)s", building=found.name),
        url_for("estate.facilities", building=found.id),
    )


@bp.get("/projects/<int:project_id>/labels")
def site_labels(project_id: int):
    """Labels for the facilities of a project that belong to no building (gates, car park)."""
    project = _one_or_404(sa.select(Project).where(Project.id == project_id))
    require(Permission.PRINT_LABELS, project.id)
    rows = db.session.scalars(
        sa.select(Facility).where(
            Facility.project_id == project.id, Facility.building_id.is_(None), Facility.active
        )
    ).all()
    return _label_sheet(
        list(rows),
        gettext("QR labels · %(project)s site-wide", project=project.name),
        url_for("estate.facilities", project=project.id),
    )


# ---------------------------------------------------------------------------- import


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ESTATE)
def import_units():
    """EST-01: units and owners from a sheet. Every row is checked first; one bad row and
    nothing is imported, the report names line, column and problem."""
    chosen = request.values.get("project", type=int)
    if chosen:
        # Another project's id is simply not found.
        project = _one_or_404(sa.select(Project).where(Project.id == chosen))
        require(Permission.EDIT_ESTATE, project.id)
    projects = _editable_projects()
    form = ImportForm()
    form.project.choices = [(p.id, p.name) for p in projects]
    if request.method == "GET":
        if chosen:
            form.project.data = chosen
        return render_template("estate/import.html", form=form, errors=None, done=_import_done())
    file_error = None
    errors = None
    if form.validate_on_submit():
        project = next(p for p in projects if p.id == form.project.data)
        upload = form.sheet.data
        try:
            sheet = read_sheet(
                upload.filename or "",
                upload.read(),
                max_rows=current_app.config["MAX_IMPORT_ROWS"],
            )
            checked = check_sheet(sheet)
        except ImportFileError as exc:
            file_error = message(exc)
        else:
            errors = checked.errors
            if not errors:
                # One transaction: the whole sheet lands, or (on any failure) nothing.
                event = operations.import_units(
                    db.session, current_user, project, checked.rows, source=upload.filename
                )
                db.session.commit()
                return redirect(
                    url_for("estate.import_units", project=project.id, imported=event.id), code=303
                )
    if file_error:
        form.sheet.errors = [*form.sheet.errors, file_error]
    return render_template(
        "estate/import.html",
        form=form,
        errors=[(line, column, gettext(msg, **params)) for line, column, msg, params in errors or []],
    ), 422


def _import_done() -> tuple[AuditEvent, Project] | None:
    """The import just made (?imported=<event id>), for its counts; survives a reload."""
    event_id = request.args.get("imported", type=int)
    if not event_id:
        return None
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.id == event_id,
            AuditEvent.action == "imported",
            AuditEvent.entity_type == Project.__tablename__,
        )
    )
    if event is None:
        return None
    project = db.session.scalar(sa.select(Project).where(Project.id == event.project_id))
    return event, project


@bp.get("/import/template.xlsx")
@permission_required(Permission.EDIT_ESTATE)
def import_template():
    response = Response(
        template_workbook(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = (
        "attachment; filename=estate-import-template.xlsx; "
        f"filename*=UTF-8''{quote(TEMPLATE_FILENAME)}"
    )
    return response
