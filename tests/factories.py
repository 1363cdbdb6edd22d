"""Plain builders of records; the fixtures in conftest.py wrap them as callables.

Each takes the session first and flushes, so ids are known; callers commit.
"""

from __future__ import annotations

import itertools

import sqlalchemy.orm as so
from werkzeug.security import generate_password_hash

from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit
from webapp.estate.rules import new_qr_token
from webapp.org.models import Company, Department, Project, RoleAssignment, User

PASSWORD = "correct-horse-9"
# Hashing once keeps the suite fast; the real method is exercised by the login tests.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def make_company(session: so.Session, name: str = "测试物业") -> Company:
    company = Company(name=name)
    session.add(company)
    session.flush()
    return company


def make_project(session: so.Session, company: Company, code: str | None = None, name: str | None = None) -> Project:
    n = _next()
    project = Project(company_id=company.id, code=code or f"P{n}", name=name or f"项目{n}")
    session.add(project)
    session.flush()
    return project


def make_department(session: so.Session, project: Project, kind: str = "security", name: str | None = None) -> Department:
    department = Department(project_id=project.id, kind=kind, name=name or f"{kind}-{project.code}")
    session.add(department)
    session.flush()
    return department


def make_user(
    session: so.Session,
    username: str | None = None,
    *,
    roles: list[tuple[str, Project | None, Department | None]] = (),
    display_name: str | None = None,
    active: bool = True,
) -> User:
    username = username or f"user{_next()}"
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=PASSWORD_HASH,
        active=active,
    )
    for role, project, department in roles:
        user.roles.append(
            RoleAssignment(
                role=role,
                project_id=project.id if project else None,
                department_id=department.id if department else None,
            )
        )
    session.add(user)
    session.flush()
    return user


def make_building(session: so.Session, project: Project, name: str | None = None) -> Building:
    building = Building(project_id=project.id, name=name or f"{_next()}栋", floors=18)
    session.add(building)
    session.flush()
    return building


def make_unit(session: so.Session, building: Building, number: str | None = None, floor: int | None = 5) -> Unit:
    unit = Unit(project_id=building.project_id, building_id=building.id, number=number or f"{_next():04d}", floor=floor)
    session.add(unit)
    session.flush()
    return unit


def make_owner(
    session: so.Session, unit: Unit, name: str = "张三", phone: str = "13812341234", relation: str = "owner"
) -> Owner:
    owner = Owner(project_id=unit.project_id, name=name, phone=phone)
    session.add(owner)
    session.flush()
    session.add(Occupancy(project_id=unit.project_id, unit_id=unit.id, owner_id=owner.id, relation=relation))
    session.flush()
    return owner


def make_facility(session: so.Session, project: Project, building: Building | None = None, name: str = "水泵房") -> Facility:
    facility = Facility(
        project_id=project.id,
        building_id=building.id if building else None,
        name=name,
        floor="B1",
        qr_token=new_qr_token(),
        code=f"{project.code}-{_next():03d}",
    )
    session.add(facility)
    session.flush()
    return facility


def make_slip(session: so.Session, project: Project, filed_by: User, **values):
    """A slip as filed on patrol; override any column (status, urgent, filed_at…)."""
    from webapp.core.clock import now
    from webapp.slips.models import Slip

    moment = values.pop("filed_at", None) or now()
    slip = Slip(
        project_id=project.id,
        number=values.pop("number", None) or f"{project.code}-XD-{_next():06d}",
        status=values.pop("status", "filed"),
        category=values.pop("category", "facility"),
        source=values.pop("source", "seen_on_site"),
        description=values.pop("description", "消防通道堆放杂物"),
        filed_by_id=filed_by.id,
        captured_at=values.pop("captured_at", moment),
        filed_at=moment,
        place_text=values.pop("place_text", "1栋大堂"),
        **values,
    )
    session.add(slip)
    session.flush()
    return slip


def make_slip_photos(session: so.Session, slip, uploaded_by: User, store, *, count: int = 1, kind: str = "report",
                     size: tuple[int, int] = (800, 600)) -> list:
    """Photos attached to a slip the way the app does it (webapp.slips.photos.attach_photos)."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from webapp.core.clock import now
    from webapp.slips.photos import attach_photos

    files = []
    for n in range(count):
        data = io.BytesIO()
        Image.new("RGB", size, (90, 140, 200 - n)).save(data, "JPEG")
        files.append(FileStorage(io.BytesIO(data.getvalue()), filename=f"photo{n}.jpg"))
    photos = attach_photos(session, slip, files, kind=kind, actor=uploaded_by, store=store, now=now())
    session.flush()
    return photos


def make_complaint(session: so.Session, project: Project, received_by: User, **values):
    """A complaint as recorded at the desk, clocks from the rules; override any column
    (complaint_class, status, received_at…)."""
    from webapp.complaints import rules
    from webapp.complaints.models import Complaint
    from webapp.core.clock import now

    moment = values.pop("received_at", None) or now()
    cls = values.pop("complaint_class", "minor")
    complaint = Complaint(
        project_id=project.id,
        number=values.pop("number", None) or f"{project.code}-TS-{_next():06d}",
        status=values.pop("status", "received"),
        complaint_class=cls,
        description=values.pop("description", "楼道灯坏了三天没人修"),
        owner_contact=values.pop("owner_contact", "13900001111"),
        complained_person=values.pop("complained_person", "维修部"),
        received_at=moment,
        received_by_id=received_by.id,
        commitment_due_at=values.pop("commitment_due_at", None) or rules.commitment_due(cls, moment),
        handling_start_due_at=values.pop("handling_start_due_at", None) or rules.handling_start_due(cls, moment),
        resolution_due_at=values.pop("resolution_due_at", None) or rules.resolution_due(cls, moment),
        **values,
    )
    session.add(complaint)
    session.flush()
    return complaint


def make_service_item(session: so.Session, project: Project, department: Department, proposed_by: User, **values):
    """A paid service item with a price the GM approved (SVC-01); `price_fen`,
    `approved_by` (default: the proposer), `effective_from` (default: now) override."""
    from webapp.core.clock import now
    from webapp.paid_services.models import ServiceItem, ServicePrice

    moment = values.pop("effective_from", None) or now()
    price_fen = values.pop("price_fen", 8000)
    approved_by = values.pop("approved_by", None) or proposed_by
    item = ServiceItem(
        project_id=project.id,
        department_id=department.id,
        name=values.pop("name", None) or f"日常保洁{_next()}",
        unit_of_charge=values.pop("unit_of_charge", "小时"),
        created_by_id=proposed_by.id,
        created_at=moment,
        **values,
    )
    session.add(item)
    session.flush()
    price = ServicePrice(
        project_id=project.id, item_id=item.id, price_fen=price_fen, proposed_by_id=proposed_by.id,
        proposed_at=moment, decision="approved", decided_by_id=approved_by.id, decided_at=moment,
        effective_from=moment,
    )
    item.prices.append(price)
    session.add(price)
    session.flush()
    return item


def make_service_clearance(session: so.Session, project: Project, user: User, cleared_by: User, **values):
    """User `user` trained and cleared for in-home work in `project` (SVC-03)."""
    from webapp.core.clock import now
    from webapp.paid_services.models import InHomeClearance

    moment = values.pop("cleared_at", None) or now()
    clearance = InHomeClearance(
        project_id=project.id, user_id=user.id, trained_on=values.pop("trained_on", moment.date()),
        cleared_by_id=cleared_by.id, cleared_at=moment, **values,
    )
    session.add(clearance)
    session.flush()
    return clearance


def make_service_order(session: so.Session, project: Project, item, unit: Unit, registered_by: User, **values):
    """A registered paid service order of one line of `item` at its approved price;
    override any column (status, appointment_at, key_authorised…)."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.paid_services.models import ServiceOrder, ServiceOrderLine

    moment = values.pop("registered_at", None) or now()
    quantity = values.pop("quantity_centi", 200)
    price = item.prices[-1]
    amount = (price.price_fen * quantity + 50) // 100
    order = ServiceOrder(
        project_id=project.id,
        number=values.pop("number", None) or f"{project.code}-FW-{_next():06d}",
        status=values.pop("status", "registered"),
        department_id=item.department_id,
        unit_id=unit.id,
        contact=values.pop("contact", "13900001111"),
        appointment_at=values.pop("appointment_at", None) or moment + timedelta(days=1),
        registered_by_id=registered_by.id,
        registered_at=moment,
        lines_fen=amount,
        total_fen=amount,
        **values,
    )
    session.add(order)
    session.flush()
    order.lines.append(
        ServiceOrderLine(
            project_id=project.id, order_id=order.id, item_id=item.id, price_id=price.id, item_name=item.name,
            unit_of_charge=item.unit_of_charge, price_fen=price.price_fen, quantity_centi=quantity, amount_fen=amount,
        )
    )
    session.flush()
    return order


def make_reception_entry(session: so.Session, project: Project, received_by: User | None, **values):
    """A ledger entry as logged at the desk, not yet routed; override any column (status,
    category, follow_up, received_at…)."""
    from webapp.core.clock import now
    from webapp.reception.models import ReceptionEntry

    entry = ReceptionEntry(
        project_id=project.id,
        number=values.pop("number", None) or f"{project.code}-JD-{_next():06d}",
        channel=values.pop("channel", "phone"),
        status=values.pop("status", "new"),
        received_at=values.pop("received_at", None) or now(),
        received_by_id=received_by.id if received_by is not None else None,
        contact=values.pop("contact", "13900001111"),
        content=values.pop("content", "楼上漏水到我家卫生间"),
        **values,
    )
    session.add(entry)
    session.flush()
    return entry


def make_reception_photos(session: so.Session, entry, uploaded_by: User | None, store, *, count: int = 1,
                          size: tuple[int, int] = (800, 600)) -> list:
    """Photos attached to a reception entry the way the app does it (uploaded_by None:
    the owner's QR form)."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from webapp.core.clock import now
    from webapp.reception.photos import attach_photos

    files = []
    for n in range(count):
        data = io.BytesIO()
        Image.new("RGB", size, (200 - n, 140, 90)).save(data, "JPEG")
        files.append(FileStorage(io.BytesIO(data.getvalue()), filename=f"evidence{n}.jpg"))
    photos = attach_photos(session, entry, files, actor=uploaded_by, store=store, now=now())
    session.flush()
    return photos


def make_return_slip(session: so.Session, entry, drafted_by: User, **values):
    """A return-for-repair slip drafted from `entry` (which is marked routed to it);
    override any column (status, sent_at, chase_due_at…)."""
    from webapp.core.clock import now
    from webapp.reception.models import ReturnSlip
    from webapp.reception.rules import return_slip_send_due

    moment = values.pop("drafted_at", None) or now()
    slip = ReturnSlip(
        project_id=entry.project_id,
        number=values.pop("number", None) or f"FX-{_next():06d}",
        entry_id=entry.id,
        status=values.pop("status", "drafted"),
        unit_id=values.pop("unit_id", entry.unit_id),
        location=values.pop("location", None if entry.unit_id else "地下车库"),
        problem=values.pop("problem", entry.content),
        drafted_at=moment,
        drafted_by_id=drafted_by.id,
        send_due_at=values.pop("send_due_at", None) or return_slip_send_due(moment),
        **values,
    )
    session.add(slip)
    session.flush()
    entry.status, entry.category, entry.follow_up = "open", "after_sales", "return_slip"
    entry.follow_up_type, entry.follow_up_id = "return_slips", slip.id
    session.flush()
    return slip


def make_work_order(session: so.Session, entry, created_by: User, department, **values):
    """A repair work order dispatched from `entry` to `department`, with its first round;
    override any column of the order (status…)."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.reception.models import RepairRound, RepairWorkOrder

    moment = values.pop("created_at", None) or now()
    order = RepairWorkOrder(
        project_id=entry.project_id,
        number=values.pop("number", None) or f"BX-{_next():06d}",
        entry_id=entry.id,
        status=values.pop("status", "dispatched"),
        department_id=department.id,
        unit_id=values.pop("unit_id", entry.unit_id),
        location=values.pop("location", None if entry.unit_id else "地下车库"),
        problem=values.pop("problem", entry.content),
        created_at=moment,
        created_by_id=created_by.id,
        **values,
    )
    session.add(order)
    session.flush()
    session.add(RepairRound(project_id=order.project_id, work_order_id=order.id, round_number=1, dispatched_at=moment,
                            dispatched_by_id=created_by.id, done_due_at=moment + timedelta(days=1)))
    entry.status, entry.category, entry.follow_up = "open", "repair", "work_order"
    entry.follow_up_type, entry.follow_up_id = "repair_work_orders", order.id
    session.flush()
    return order


# -- reception registers --


def make_praise(session: so.Session, entry, recorded_by: User, **values):
    """A praise recorded from `entry` (which is routed to it); override any column."""
    from webapp.core.clock import now
    from webapp.reception.models import Praise

    praise = Praise(
        project_id=entry.project_id, entry_id=entry.id, status=values.pop("status", "recorded"),
        praised_as=values.pop("praised_as", "夜班的小伙子"), recorded_at=values.pop("recorded_at", None) or now(),
        recorded_by_id=recorded_by.id, **values,
    )
    session.add(praise)
    session.flush()
    entry.status, entry.category, entry.follow_up = "open", "praise", "praise"
    entry.follow_up_type, entry.follow_up_id = "praises", praise.id
    session.flush()
    return praise


def make_suggestion(session: so.Session, entry, forwarded_by: User, **values):
    """A suggestion forwarded from `entry` (which is routed to it)."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.reception.models import Suggestion

    moment = values.pop("forwarded_at", None) or now()
    suggestion = Suggestion(
        project_id=entry.project_id, entry_id=entry.id, status=values.pop("status", "forwarded"),
        forwarded_at=moment, forwarded_by_id=forwarded_by.id,
        answer_due_at=values.pop("answer_due_at", None) or moment + timedelta(days=7), **values,
    )
    session.add(suggestion)
    session.flush()
    entry.status, entry.category, entry.follow_up = "open", "suggestion", "suggestion"
    entry.follow_up_type, entry.follow_up_id = "suggestions", suggestion.id
    session.flush()
    return suggestion


def make_found_item(session: so.Session, project: Project, registered_by: User, **values):
    """An item held in the lost-property register, found an hour ago."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.reception.models import FoundItem

    moment = now()
    item = FoundItem(
        project_id=project.id, number=values.pop("number", None) or f"{project.code}-SW-{_next():06d}",
        status=values.pop("status", "held"), item=values.pop("item", "黑色钱包"),
        found_place=values.pop("found_place", "2栋大堂"), found_at=values.pop("found_at", None) or moment - timedelta(hours=1),
        holder=values.pop("holder", "客服中心"), registered_at=moment, registered_by_id=registered_by.id, **values,
    )
    session.add(item)
    session.flush()
    return item


def make_major_event(session: so.Session, project: Project, recorded_by: User, **values):
    """An open equipment failure recorded an hour after it happened."""
    from datetime import timedelta

    from webapp.core.clock import now
    from webapp.reception.models import MajorEvent

    moment = now()
    event = MajorEvent(
        project_id=project.id, kind=values.pop("kind", "equipment_failure"), status=values.pop("status", "open"),
        occurred_at=values.pop("occurred_at", None) or moment - timedelta(hours=1),
        place=values.pop("place", "3栋电梯"), description=values.pop("description", "电梯困人"),
        recorded_at=moment, recorded_by_id=recorded_by.id, **values,
    )
    session.add(event)
    session.flush()
    return event


# -- reception public --
def make_owner_request(session: so.Session, project: Project, **values):
    """A message an owner sent with the QR form: new, received by nobody, with its status
    link's token; override any column."""
    from webapp.reception.rules import new_status_token

    values.setdefault("channel", "qr_form")
    values.setdefault("content", "【报修】楼道灯不亮")
    values.setdefault("reported_unit", "3栋1502")
    values.setdefault("public_token", new_status_token())
    return make_reception_entry(session, project, None, **values)


def make_activity_plan(session: so.Session, project: Project, drafted_by: User | None, **values):
    """An annual activity plan (draft unless `status` says otherwise) for next year by
    default, with one budget line."""
    from webapp.activities.models import ActivityMoneyLine, ActivityPlan
    from webapp.core.clock import local_date, now

    plan = ActivityPlan(
        project_id=project.id,
        year=values.pop("year", None) or local_date(now()).year + 1,
        status=values.pop("status", "draft"),
        purpose=values.pop("purpose", "丰富业主文化生活,增进邻里交流"),
        facilities=values.pop("facilities", "中心广场、音响一套、桌椅五十套"),
        organisation=values.pop("organisation", "客服中心组织,安全部、维修部配合"),
        created_by_id=drafted_by.id if drafted_by is not None else None,
        **values,
    )
    session.add(plan)
    session.flush()
    session.add(ActivityMoneyLine(project_id=project.id, kind="budget", plan_id=plan.id, position=0,
                                  item="奖品", amount_fen=300000))
    session.flush()
    return plan


def make_activity(session: so.Session, plan, **values):
    """An activity of `plan` (a Saturday in the plan's year unless `day` is given), 19:00 to
    21:00 on the central square. `scheduled=True` generates its timeline as the plan's
    approval does (at `scheduled_at`, default now); `status` is set after that."""
    from datetime import date, time, timedelta

    from webapp.activities import operations
    from webapp.activities.models import Activity
    from webapp.core.clock import now

    scheduled = values.pop("scheduled", False)
    scheduled_at = values.pop("scheduled_at", None) or now()
    status = values.pop("status", "scheduled")
    day = values.pop("day", None)
    if day is None:
        day = date(plan.year, 6, 1)
        day += timedelta(days=(5 - day.weekday()) % 7)
    activity = Activity(
        project_id=plan.project_id,
        plan_id=plan.id,
        position=values.pop("position", _next()),
        name=values.pop("name", "邻里中秋晚会"),
        method=values.pop("method", "文艺表演与游园猜谜"),
        description=values.pop("description", "欢迎全体业主携家人参加"),
        day=day,
        start_time=values.pop("start_time", time(19, 0)),
        end_time=values.pop("end_time", time(21, 0)),
        place=values.pop("place", "中心广场"),
        date_basis=values.pop("date_basis", "weekend"),
        important=values.pop("important", False),
        status=status,
        public_token=values.pop("public_token", None) or operations.new_public_token(),
        **values,
    )
    session.add(activity)
    session.flush()
    if scheduled:
        operations.schedule(session, activity, now=scheduled_at)
        activity.status = status
        session.flush()
    return activity


def make_activity_survey(session: so.Session, project: Project, created_by: User | None, **values):
    """An owners' activity-preference survey for next year, open unless `status` says
    otherwise."""
    from webapp.activities import operations
    from webapp.activities.models import ActivitySurvey
    from webapp.core.clock import local_date, now

    status = values.pop("status", "open")
    survey = ActivitySurvey(
        project_id=project.id,
        year=values.pop("year", None) or local_date(now()).year + 1,
        title=values.pop("title", "明年社区文化活动意向调查"),
        intro=values.pop("intro", "请选择您和家人喜欢的活动"),
        options=values.pop("options", ["文艺晚会", "亲子运动会", "书画展", "电影之夜"]),
        status=status,
        public_token=values.pop("public_token", None) or operations.new_public_token(),
        created_by_id=created_by.id if created_by is not None else None,
        opened_at=values.pop("opened_at", now() if status != "draft" else None),
        **values,
    )
    session.add(survey)
    session.flush()
    return survey
