"""The access matrix as data (tests/security/access_matrix.toml) and the test world it is
requested in: two projects, a user of every role in each, and one record of every kind per
project (`arrange`), so that every URL of the app can be built for either project.

Used by the access matrix itself and by the other security tests that must visit every
route (the CSRF, GET-crawl, header and injection tests).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from webapp.core import notify
from webapp.core.media import store_from_app
from webapp.extensions import db
from webapp.org.models import Department, Project, User
from webapp.org.rules import COMPANY_ROLES, Role

MATRIX_FILE = Path(__file__).with_name("access_matrix.toml")
PUBLIC = "public"
#: the other project's complaint text: no response to the own project's users may hold it
COMPLAINT_CANARY = "其他项目投诉金丝雀：电梯困人两小时"
#: bookkeeping methods every rule answers; the matrix lists the methods a view implements
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    #: the URL with `{name}` standing for an id of one project of the test world
    url: str
    allowed: frozenset | str
    #: whether the URL names a record of one project (else "other" is not meaningful)
    project_bound: bool = True
    data: dict = field(default_factory=dict)
    #: what a project role allowed on its own project gets with the other project's ids:
    #: 404 unless the id is a choice of a form, which refuses it as not a valid choice
    other: int = 404

    def url_for(self, ids: SimpleNamespace) -> str:
        return self.url.format(**vars(ids))


def _roles(spec, groups: dict, seen: tuple = ()) -> frozenset | str:
    """A line's or a group's `allowed`: "public", a group's name, a role, or a list of those
    where "-role" takes a role out."""
    if spec == PUBLIC:
        return PUBLIC
    if isinstance(spec, str):
        if spec in groups:
            assert spec not in seen, f"group {spec} refers to itself"
            return _roles(groups[spec], groups, (*seen, spec))
        return frozenset({Role(spec)})
    granted, withheld = set(), set()
    for item in spec:
        if item.startswith("-"):
            withheld.add(Role(item[1:]))
        else:
            granted |= _roles(item, groups, seen)
    return frozenset(granted - withheld)


def load_matrix(path: Path = MATRIX_FILE) -> dict[tuple[str, str], Route]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = data["groups"]
    routes = {}
    for endpoint, methods in data["route"].items():
        for method, line in methods.items():
            unknown = set(line) - {"url", "allowed", "project_bound", "data", "other"}
            assert not unknown, f"{endpoint} {method}: unknown keys {sorted(unknown)}"
            routes[(endpoint, method)] = Route(
                endpoint, method, line["url"], _roles(line["allowed"], groups),
                line.get("project_bound", True), line.get("data", {}), line.get("other", 404),
            )
    return routes


ROUTES = load_matrix()
REFUSED = {403, 404}
SIGNED_IN_ROLES = sorted(Role)


def _service_job(session, world, key: str, project: Project, department: Department):
    """-- paid service job rows --: a job the project's staff member did, awaiting the owner."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.estate.models import Unit
    from webapp.paid_services.models import ServiceAssignment

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    moment = now()
    supervisor = user("dept_supervisor")
    item = factories.make_service_item(session, project, department, supervisor)
    order = factories.make_service_order(
        session, project, item, session.get(Unit, world.projects[key].unit_id), user("receptionist"),
        status="completed", owner_id=world.projects[key].owner_id, contact=None, work_done="保洁",
        started_at=moment - timedelta(hours=2), finished_at=moment - timedelta(hours=1),
    )
    session.add(ServiceAssignment(project_id=project.id, order_id=order.id, technician_id=user("staff").id,
                                  assigned_by_id=supervisor.id, assigned_at=moment))
    session.flush()
    return order


def _service_order(session, world, key: str, project: Project, department: Department, store) -> tuple[int, int]:
    """-- paid service order rows --: an order registered at the desk, nobody dispatched yet,
    and the id of an owner's signature (its image stored) on another order."""
    import io

    from PIL import Image, ImageDraw

    from webapp.core.clock import now
    from webapp.core.media import new_key
    from webapp.estate.models import Unit
    from webapp.paid_services.models import ServiceSignature

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    unit = session.get(Unit, world.projects[key].unit_id)
    item = factories.make_service_item(session, project, department, user("dept_supervisor"))
    order = factories.make_service_order(session, project, item, unit, user("receptionist"),
                                         owner_id=world.projects[key].owner_id)
    signed = factories.make_service_order(session, project, item, unit, user("receptionist"), status="signed")
    image = Image.new("L", (300, 100), 255)
    ImageDraw.Draw(image).line([(20, 80), (120, 20), (280, 70)], fill=0, width=4)
    png = io.BytesIO()
    image.save(png, "PNG")
    image_key = new_key(".png")
    store.save(image_key, png.getvalue())
    signature = ServiceSignature(
        project_id=project.id, order_id=signed.id, signer_name=f"{key}业主", signed_at=now(), content_hash="0" * 64,
        signed_content="{}", image_key=image_key, refused=False, satisfaction=5, recorded_by_id=user("staff").id,
    )
    session.add(signature)
    session.flush()
    return order.id, signature.id


def _service_catalogue(session, world, key: str, project: Project, department: Department) -> tuple[int, int, int]:
    """-- paid service catalogue rows --: an approved item of the department, the project's
    staff member cleared for work in homes, and a rental commission just applied for."""
    from webapp.core.clock import now
    from webapp.paid_services.models import RentalCommission

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    item = factories.make_service_item(session, project, department, user("dept_supervisor"))
    clearance = factories.make_service_clearance(session, project, user("staff"), user("pm"))
    rental = RentalCommission(
        project_id=project.id, number=f"{project.code}-WT-0001", status="applied", unit_id=world.projects[key].unit_id,
        owner_id=world.projects[key].owner_id, asking_rent_fen=300000, commission_rate_bp=800, applied_at=now(),
        recorded_by_id=user("receptionist").id,
    )
    session.add(rental)
    session.flush()
    return item.id, clearance.id, rental.id


def _reception_follow_ups(session, world, key: str, project: Project, department: Department) -> tuple[int, int, int]:
    """-- reception follow-ups rows --: an entry not yet routed (for the start pages), a
    return slip with the developer and a work order dispatched to the world department."""

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    receptionist = user("receptionist")
    ids = world.projects[key]
    fresh = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    slip_entry = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    slip = factories.make_return_slip(session, slip_entry, receptionist)
    order_entry = factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)
    order = factories.make_work_order(session, order_entry, receptionist, department)
    return fresh.id, slip.id, order.id


def _reception_registers(session, world, key: str, project: Project) -> tuple[int, int, int, int, int]:
    """-- reception registers rows --: an entry not yet routed (for the start pages), a praise
    waiting to be checked, a suggestion with the PM, an item held and an open event."""

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    receptionist = user("receptionist")
    ids = world.projects[key]

    def entry():
        return factories.make_reception_entry(session, project, receptionist, unit_id=ids.unit_id, owner_id=ids.owner_id)

    fresh = entry()
    praise = factories.make_praise(session, entry(), receptionist)
    suggestion = factories.make_suggestion(session, entry(), receptionist)
    item = factories.make_found_item(session, project, receptionist)
    event = factories.make_major_event(session, project, receptionist)
    return fresh.id, praise.id, suggestion.id, item.id, event.id


def _activities(session, world, key: str, project: Project) -> dict[str, object]:
    """-- activities rows --: an open survey, a draft annual plan for the year after next,
    and next year's approved plan with an important activity on its timeline."""
    from webapp.core.clock import local_date, now

    def user(role: str) -> User:
        return session.scalar(sa.select(User).where(User.username == world.users[(role, key)]))

    publicist = user("publicist")
    year = local_date(now()).year
    survey = factories.make_activity_survey(session, project, publicist)
    draft = factories.make_activity_plan(session, project, publicist, year=year + 2)
    approved = factories.make_activity_plan(session, project, publicist, year=year + 1, status="approved")
    activity = factories.make_activity(session, approved, important=True, scheduled=True)
    return {
        "survey_id": survey.id,
        "survey_token": survey.public_token,
        "activity_plan_id": draft.id,
        "approved_plan_id": approved.id,
        "activity_id": activity.id,
        "activity_token": activity.public_token,
        "activity_year": approved.year,
        # a year with no annual plan yet, for the page that starts one
        "unplanned_plan_year": approved.year + 3,
    }


def arrange(app, world):
    """Per project: a notification to its PM, and a staff member with one grant whom the
    admin routes act on (not one of the users signing in here)."""
    with app.app_context():
        for key, ids in world.projects.items():
            pm = db.session.scalar(sa.select(User).where(User.username == world.users[("pm", key)]))
            note = notify.notify(db.session, [pm.id], project_id=ids.id, title=f"{key} notice", link="/")[0]
            db.session.flush()
            ids.notification_id = note.id
            project = db.session.get(Project, ids.id)
            department = db.session.get(Department, ids.department_id)
            staff = factories.make_user(db.session, f"{key}.target", roles=[("staff", project, department)])
            ids.staff_user_id = staff.id
            ids.grant_id = staff.roles[0].id
            patrol = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", key)]))
            ids.slip_id = factories.make_slip(
                db.session, project, patrol, responsible_department_id=department.id
            ).id
            photo_slip = factories.make_slip(db.session, project, staff)
            ids.photo_id = factories.make_slip_photos(db.session, photo_slip, staff, store_from_app(app))[0].id
            receptionist = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", key)]))
            complaint_text = COMPLAINT_CANARY if ids is world.other else "楼道灯坏了三天没人修"
            ids.complaint_id = factories.make_complaint(
                db.session, project, receptionist, description=complaint_text
            ).id
            # -- paid service job rows --
            ids.job_order_id = _service_job(db.session, world, key, project, department).id
            # -- paid service order rows --
            ids.service_order_id, ids.service_signature_id = _service_order(
                db.session, world, key, project, department, store_from_app(app)
            )
            # -- paid service catalogue rows --
            ids.service_item_id, ids.clearance_id, ids.rental_id = _service_catalogue(
                db.session, world, key, project, department
            )
            # -- reception follow-ups rows --
            ids.follow_up_entry_id, ids.return_slip_id, ids.work_order_id = _reception_follow_ups(
                db.session, world, key, project, department
            )
            # -- reception ledger rows --
            entry = factories.make_reception_entry(
                db.session, project, receptionist, owner_id=ids.owner_id, unit_id=ids.unit_id
            )
            ids.entry_id = entry.id
            ids.reception_photo_id = factories.make_reception_photos(
                db.session, entry, receptionist, store_from_app(app)
            )[0].id
            # -- reception registers rows --
            (ids.register_entry_id, ids.praise_id, ids.suggestion_id, ids.found_item_id,
             ids.major_event_id) = _reception_registers(db.session, world, key, project)
            # -- reception public rows --
            ids.owner_status_token = factories.make_owner_request(db.session, project).public_token
            # -- activities rows --
            for name, value in _activities(db.session, world, key, project).items():
                setattr(ids, name, value)
        db.session.commit()




def username_for(world, role: Role) -> str:
    return world.users[(role.value, None)] if role in COMPANY_ROLES else world.users[(role.value, "own")]


def request(client, route: Route, ids):
    url = route.url_for(ids)
    if route.method == "GET":
        return client.get(url)
    data = {name: str(value).format(**vars(ids)) for name, value in route.data.items()}
    return client.open(url, method=route.method, data={"csrf_token": csrf_token(client), **data})


def signed_in(app, username):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303, username
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


def leaks(response, other) -> list[str]:
    body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
    canaries = {"owner name": other.owner_name, "owner phone": other.owner_phone, "complaint text": COMPLAINT_CANARY}
    return [name for name, value in canaries.items() if value in body]
