"""The demo estate: one company, two projects, a user for every role, 200+ units each.

Idempotent: records are looked up by their natural keys and only missing ones are made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit
from webapp.estate.rules import FacilityKind, OccupantRelation, facility_code, new_qr_token
from webapp.org.models import Company, Department, Project, RoleAssignment, User
from webapp.org.rules import DepartmentKind, Role
from webapp.paid_services.models import InHomeClearance, ServiceItem, ServicePrice

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo, never used in production

COMPANY_NAME = "示例物业服务有限公司"
PROJECTS = [
    # code, name, address, buildings, floors, doors per floor
    ("CH", "翠湖花园", "滨江路 88 号", ["1栋", "2栋", "3栋", "5栋"], 15, 4),
    ("JX", "锦绣华庭", "人民北路 201 号", ["A座", "B座", "C座"], 18, 4),
]
DEPARTMENTS = [
    (DepartmentKind.CUSTOMER_SERVICE, "客服中心"),
    (DepartmentKind.SECURITY, "安全部"),
    (DepartmentKind.MAINTENANCE, "维修部"),
    (DepartmentKind.CLEANING, "保洁部"),
    (DepartmentKind.LANDSCAPING, "绿化部"),
    (DepartmentKind.HOUSEKEEPING, "家政部"),
]
COMPANY_USERS = [
    ("admin", "系统管理员", Role.ADMIN),
    ("gm", "周总", Role.GM),
    ("vp", "吴副总", Role.VP),
    ("qa", "郑品质", Role.QA),
]
# suffix, name stem, role, department kind
PROJECT_USERS = [
    ("pm", "项目经理", Role.PM, None),
    ("assistant", "经理助理", Role.PM_ASSISTANT, None),
    ("cs", "客服主管", Role.CS_SUPERVISOR, None),
    ("reception", "接待员", Role.RECEPTIONIST, None),
    ("publicist", "宣传员", Role.PUBLICIST, None),
    ("security.lead", "安全主管", Role.DEPT_SUPERVISOR, DepartmentKind.SECURITY),
    ("patrol", "巡逻员", Role.STAFF, DepartmentKind.SECURITY),
    ("maint.lead", "维修主管", Role.DEPT_SUPERVISOR, DepartmentKind.MAINTENANCE),
    ("tech", "维修技工", Role.STAFF, DepartmentKind.MAINTENANCE),
    ("clean.lead", "保洁主管", Role.DEPT_SUPERVISOR, DepartmentKind.CLEANING),
    ("green.lead", "绿化主管", Role.DEPT_SUPERVISOR, DepartmentKind.LANDSCAPING),
    ("house.lead", "家政主管", Role.DEPT_SUPERVISOR, DepartmentKind.HOUSEKEEPING),
    ("housekeeper", "家政员", Role.STAFF, DepartmentKind.HOUSEKEEPING),
]
BUILDING_FACILITIES = [
    ("消防栓", "B1", FacilityKind.EQUIPMENT),
    ("水泵房", "B1", FacilityKind.EQUIPMENT),
    ("配电房", "B1", FacilityKind.EQUIPMENT),
    ("电梯机房", "屋面", FacilityKind.EQUIPMENT),
    ("大堂", "1F", FacilityKind.PATROL_POINT),
    ("消防通道", "1F", FacilityKind.PATROL_POINT),
]
SITE_FACILITIES = [
    ("南大门岗亭", FacilityKind.PATROL_POINT),
    ("地下车库入口", FacilityKind.PATROL_POINT),
    ("儿童游乐区", FacilityKind.PUBLIC_AREA),
    ("垃圾收集站", FacilityKind.PUBLIC_AREA),
]
# 有偿服务项目及收费标准 (SVC-01): department, item, unit of charge, price in fen
SERVICE_ITEMS = [
    (DepartmentKind.HOUSEKEEPING, "日常保洁", "小时", 4000),
    (DepartmentKind.HOUSEKEEPING, "新房开荒保洁", "平方米", 800),
    (DepartmentKind.HOUSEKEEPING, "油烟机清洗", "台", 15000),
    (DepartmentKind.HOUSEKEEPING, "空调清洗", "台", 8000),
    (DepartmentKind.MAINTENANCE, "更换水龙头", "次", 5000),
    (DepartmentKind.MAINTENANCE, "疏通下水道", "次", 8000),
    (DepartmentKind.MAINTENANCE, "更换灯具", "盏", 3000),
]
#: staff trained and cleared for work in owners' homes (SVC-03)
CLEARED_STAFF = ["housekeeper", "tech"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美兰霞平刚桂英玉兰萍建华建国红梅海燕志强晓东晓明丹丹婷婷"


@dataclass
class DemoSummary:
    usernames: list[tuple[str, str]]
    units: int
    owners: int
    facilities: int


def _get_or_add(session: so.Session, model, where: dict, **values):
    found = session.scalar(sa.select(model).filter_by(**where))
    if found is None:
        found = model(**where, **values)
        session.add(found)
        session.flush()
    return found


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def load_demo(session: so.Session, hash_password) -> DemoSummary:
    password_hash = hash_password(DEMO_PASSWORD)
    company = _get_or_add(session, Company, {"name": COMPANY_NAME})
    usernames: list[tuple[str, str]] = []

    def ensure_user(username: str, display_name: str) -> User:
        return _get_or_add(
            session, User, {"username": username}, display_name=display_name, password_hash=password_hash
        )

    def ensure_role(user: User, role: Role, project: Project | None, department: Department | None):
        _get_or_add(
            session,
            RoleAssignment,
            {
                "user_id": user.id,
                "role": role.value,
                "project_id": project.id if project else None,
                "department_id": department.id if department else None,
            },
        )

    for username, name, role in COMPANY_USERS:
        ensure_role(ensure_user(username, name), role, None, None)
        usernames.append((username, str(role)))

    units = owners = facilities = 0
    for code, name, address, building_names, floors, doors in PROJECTS:
        project = _get_or_add(session, Project, {"code": code}, company_id=company.id, name=name, address=address)
        departments = {
            kind: _get_or_add(session, Department, {"project_id": project.id, "kind": kind.value}, name=dept_name)
            for kind, dept_name in DEPARTMENTS
        }
        users: dict[str, User] = {}
        for suffix, stem, role, kind in PROJECT_USERS:
            username = f"{code.lower()}.{suffix}"
            user = users[suffix] = ensure_user(username, f"{name[:2]}{stem}")
            ensure_role(user, role, project, departments[kind] if kind else None)
            usernames.append((username, str(role)))

        _ensure_price_list(session, project, departments, users)

        rng = random.Random(code)  # the same people on every run
        for position, building_name in enumerate(building_names):
            building = _get_or_add(
                session, Building, {"project_id": project.id, "name": building_name}, floors=floors, sort_order=position
            )
            has_units = session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.building_id == building.id))
            if not has_units:
                for floor in range(1, floors + 1):
                    for door in range(1, doors + 1):
                        unit = Unit(project_id=project.id, building=building, number=f"{floor}{door:02d}", floor=floor, area_centi_m2=rng.choice([8950, 10420, 12860, 14400]))
                        session.add(unit)
                        owner = Owner(project_id=project.id, name=_name(rng), phone=_phone(rng))
                        session.add(owner)
                        session.add(Occupancy(project_id=project.id, unit=unit, owner=owner, relation=OccupantRelation.OWNER.value))
                        if rng.random() < 0.15:
                            tenant = Owner(project_id=project.id, name=_name(rng), phone=_phone(rng))
                            session.add(tenant)
                            session.add(Occupancy(project_id=project.id, unit=unit, owner=tenant, relation=OccupantRelation.TENANT.value))
                session.flush()
            for sequence, (facility_name, floor_label, kind) in enumerate(BUILDING_FACILITIES, start=1):
                fcode = facility_code(code, building_name, sequence)
                _get_or_add(
                    session, Facility, {"project_id": project.id, "code": fcode},
                    building_id=building.id, name=f"{building_name}{facility_name}", floor=floor_label,
                    kind=kind.value, qr_token=new_qr_token(),
                )
        for sequence, (facility_name, kind) in enumerate(SITE_FACILITIES, start=1):
            fcode = facility_code(code, None, sequence)
            _get_or_add(
                session, Facility, {"project_id": project.id, "code": fcode},
                name=facility_name, kind=kind.value, qr_token=new_qr_token(),
            )
    session.commit()
    units = session.scalar(sa.select(sa.func.count()).select_from(Unit))
    owners = session.scalar(sa.select(sa.func.count()).select_from(Owner))
    facilities = session.scalar(sa.select(sa.func.count()).select_from(Facility))
    return DemoSummary(usernames=usernames, units=units, owners=owners, facilities=facilities)


def _ensure_price_list(session: so.Session, project: Project, departments: dict, users: dict[str, User]) -> None:
    """The approved price list and the cleared staff, so an order can be taken at once."""
    gm = session.scalar(sa.select(User).where(User.username == "gm"))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    leads = {DepartmentKind.HOUSEKEEPING: users["house.lead"], DepartmentKind.MAINTENANCE: users["maint.lead"]}
    for kind, item_name, unit_of_charge, price_fen in SERVICE_ITEMS:
        department = departments[kind]
        proposer = leads[kind]
        item = _get_or_add(
            session, ServiceItem, {"project_id": project.id, "department_id": department.id, "name": item_name},
            unit_of_charge=unit_of_charge, created_by_id=proposer.id, created_at=moment,
        )
        _get_or_add(
            session, ServicePrice, {"project_id": project.id, "item_id": item.id},
            price_fen=price_fen, proposed_by_id=proposer.id, proposed_at=moment, decision="approved",
            decided_by_id=gm.id, decided_at=moment, effective_from=moment,
        )
    for suffix in CLEARED_STAFF:
        _get_or_add(
            session, InHomeClearance, {"project_id": project.id, "user_id": users[suffix].id},
            trained_on=moment.date(), cleared_by_id=users["pm"].id, cleared_at=moment,
        )
