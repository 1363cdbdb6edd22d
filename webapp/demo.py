"""The demo estate: one company, two projects, a user for every role, 200+ units each;
in the first project the year of community activities (篇1) under way.

Idempotent: records are looked up by their natural keys and only missing ones are made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import operations as activity_operations
from webapp.activities import rules as activity_rules
from webapp.activities import summary as activity_summary
from webapp.activities.models import (
    Activity,
    ActivityDetailedPlan,
    ActivityMoneyLine,
    ActivityPlan,
    ActivityRsvp,
    ActivitySurvey,
    ActivitySurveyAnswer,
)
from webapp.core.clock import local_date, local_midnight
from webapp.core.clock import now as clock_now
from webapp.core.rulekit import RuleViolation
from webapp.demo_history import ensure_history
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
        ensure_history(session, project, departments, users, clock_now())  # after the price list and the units
        if code == PROJECTS[0][0]:
            _ensure_activities(session, project, users)
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


# ---------------------------------------------------------------------------- community activities (篇1)

#: the owners' survey options (ACT-01) and how often the demo households pick each
SURVEY_OPTIONS = ["文艺晚会", "亲子运动会", "书画摄影展", "露天电影", "健康讲座", "邻里美食节"]
SURVEY_WEIGHTS = [0.7, 0.5, 0.2, 0.45, 0.3, 0.35]
SURVEY_ANSWERS = 30
SURVEY_COMMENTS = ["希望多办亲子活动", "晚上七点以后比较方便", "", "", "可以请社区医院来义诊", ""]
PLAN_TEXT = {
    "purpose": "丰富业主业余文化生活,增进邻里交流,营造和谐社区氛围",
    "facilities": "中心广场、会所多功能厅;音响一套、LED 屏一块、桌椅五十套、帐篷四顶",
    "organisation": "客服中心牵头组织,安全部负责人流疏导,维修部负责设施与用电保障,保洁部负责场地清洁",
}
#: name, method, place, weeks from the reference day, important, start, end, budget lines (item, fen)
NEXT_YEAR_ACTIVITIES = [
    ("亲子游园会", "猜谜、套圈、亲子手工等游园项目", "中心广场", 18, True, time(9, 30), time(11, 30),
     [("奖品", 300000), ("手工材料", 40000)]),
    ("夏夜露天电影", "露天放映家庭影片两场", "中心广场", 30, False, time(19, 30), time(21, 30),
     [("影片放映服务", 120000)]),
]


def _user_for_role(users: dict[str, User], company: dict[str, User], role: str, department: str | None) -> User:
    """Who of the demo staff does a milestone of `role` (a department supervisor: of its kind)."""
    by_role = {"cs_supervisor": "cs", "pm": "pm", "pm_assistant": "assistant", "receptionist": "reception",
               "publicist": "publicist"}
    by_department = {DepartmentKind.SECURITY.value: "security.lead", DepartmentKind.MAINTENANCE.value: "maint.lead"}
    if role in company:
        return company[role]
    if role == Role.DEPT_SUPERVISOR.value:
        return users[by_department[department]]
    return users[by_role[role]]


def _weekend_on_or_after(day: date, calendar) -> date:
    """ACT-11: the first Saturday or Sunday from `day` owners have free (not a 调休 working day)."""
    while True:
        if activity_rules.is_weekend(day):
            try:
                if activity_rules.check_activity_date(day, calendar).basis == activity_rules.DateBasis.WEEKEND:
                    return day
            except RuleViolation:
                pass
        day += timedelta(days=1)


def _ensure_plan(session: so.Session, project: Project, year: int, publicist: User, status: str,
                 survey: ActivitySurvey | None = None, approvals: dict | None = None) -> ActivityPlan:
    plan = _get_or_add(session, ActivityPlan, {"project_id": project.id, "year": year}, status=status,
                       created_by_id=publicist.id, survey_id=survey.id if survey else None, **PLAN_TEXT,
                       **(approvals or {}))
    return plan


def _ensure_activity(session: so.Session, plan: ActivityPlan, position: int, name: str, method: str, place: str,
                     day: date, important: bool, start: time, end: time, calendar) -> tuple[Activity, bool]:
    found = session.scalar(sa.select(Activity).where(Activity.plan_id == plan.id, Activity.name == name))
    if found is not None:
        return found, False
    activity_rules.check_times(activity_rules.activity_start(day, start), activity_rules.activity_start(day, end))
    verdict = activity_rules.check_activity_date(day, calendar)
    activity = Activity(
        project_id=plan.project_id, plan_id=plan.id, position=position, name=name, method=method,
        description=f"{method}。欢迎全体业主携家人参加!", day=day, start_time=start, end_time=end, place=place,
        date_basis=verdict.basis.value, important=important, status=activity_rules.ActivityStatus.SCHEDULED.value,
        public_token=activity_operations.new_public_token(),
    )
    session.add(activity)
    session.flush()
    return activity, True


def _detailed_plan(session: so.Session, activity: Activity, cs: User, host: str, purchases) -> None:
    _get_or_add(session, ActivityDetailedPlan, {"activity_id": activity.id}, project_id=activity.project_id,
                status=activity_rules.PlanStatus.DRAFT.value, host=host, created_by_id=cs.id,
                organisation=PLAN_TEXT["organisation"])
    for position, (item, fen) in enumerate(purchases):
        session.add(ActivityMoneyLine(project_id=activity.project_id, kind=activity_summary.PURCHASE,
                                      activity_id=activity.id, position=position, item=item, amount_fen=fen))


def _done_until(session: so.Session, activity: Activity, moment: datetime, users: dict[str, User],
                company: dict[str, User]) -> None:
    """The activity's milestones due before `moment` done on time by whoever holds their role;
    the detailed plan's status follows its approvals."""
    department_kinds = activity_operations.department_kinds(session, activity.project_id)
    done = set()
    for row in activity.milestones:
        if row.due_at >= moment or row.code == activity_rules.MilestoneCode.SUMMARY:
            continue
        actor = _user_for_role(users, company, row.role, row.department_kind)
        if not activity_operations.holds_milestone_role(actor, row, department_kinds):
            continue
        at = max(row.due_at - timedelta(days=1), row.earliest_at or row.due_at - timedelta(days=1))
        activity_operations.complete_milestone(session, row, actor_id=actor.id, now=at, note="按计划完成(示例)")
        done.add(row.code)
    plan = activity.detailed_plan
    if plan is not None:
        codes = activity_rules.MilestoneCode
        if codes.VP_APPROVAL in done:
            plan.status = activity_rules.PlanStatus.APPROVED.value
        elif codes.PM_APPROVAL in done:
            plan.status = activity_rules.PlanStatus.PM_CONFIRMED.value
        elif codes.DETAILED_PLAN in done:
            plan.status = activity_rules.PlanStatus.SUBMITTED.value


def _ensure_activities(session: so.Session, project: Project, users: dict[str, User]) -> None:
    """篇1 under way: the owners' survey for next year open with answers, next year's plan in
    draft by the publicist, this year's approved plan with one activity held and summarised
    and one coming up on a weekend a few weeks from today (its timeline so far done, a few
    households replied). Dates follow the clock and ACT-11; nothing is made twice."""
    now = clock_now()
    today = local_date(now)
    calendar = activity_operations.calendar(session)
    company = {role.value: session.scalar(sa.select(User).where(User.username == username))
               for username, _name_, role in COMPANY_USERS}
    publicist, cs = users["publicist"], users["cs"]
    rng = random.Random(f"{project.code}-activities")
    unit_ids = list(session.scalars(sa.select(Unit.id).where(Unit.project_id == project.id).order_by(Unit.id)))

    past_day = _weekend_on_or_after(today - timedelta(days=24), calendar)
    coming_day = _weekend_on_or_after(today + timedelta(days=24), calendar)
    year = past_day.year
    next_year = max(today.year, coming_day.year) + 1

    # ACT-01: the owners' survey for next year, open, ~30 households answered
    survey = _get_or_add(
        session, ActivitySurvey, {"project_id": project.id, "year": next_year},
        title=f"{next_year}年社区文化活动意向调查", intro="请选择您和家人喜欢的活动,可多选。",
        options=list(activity_rules.check_survey_options(SURVEY_OPTIONS)),
        status=activity_rules.SurveyStatus.OPEN.value, public_token=activity_operations.new_public_token(),
        created_by_id=publicist.id, created_at=now - timedelta(days=10), opened_at=now - timedelta(days=9),
    )
    if not session.scalar(sa.select(sa.func.count()).select_from(ActivitySurveyAnswer)
                          .where(ActivitySurveyAnswer.survey_id == survey.id)):
        for n, unit_id in enumerate(rng.sample(unit_ids, SURVEY_ANSWERS)):
            picked = [o for o, weight in zip(SURVEY_OPTIONS, SURVEY_WEIGHTS, strict=True) if rng.random() < weight]
            choices = activity_rules.check_survey_answer(survey.status, survey.options, picked or [SURVEY_OPTIONS[0]],
                                                         unit_already_answered=False)
            session.add(ActivitySurveyAnswer(
                project_id=project.id, survey_id=survey.id, unit_id=unit_id, choices=list(choices),
                comment=SURVEY_COMMENTS[n % len(SURVEY_COMMENTS)] or None,
                answered_at=now - timedelta(days=8) + timedelta(hours=5 * n),
            ))

    # ACT-01…03: next year's annual plan, drafted by the publicist from the survey
    draft = _ensure_plan(session, project, next_year, publicist, activity_rules.PlanStatus.DRAFT.value, survey)
    reference = date(next_year, 1, 1)
    for position, (name, method, place, weeks, important, start, end, _lines) in enumerate(NEXT_YEAR_ACTIVITIES):
        day = _weekend_on_or_after(reference + timedelta(weeks=weeks), calendar)
        _ensure_activity(session, draft, position, name, method, place, day, important, start, end, calendar)
    if not draft.budget_lines:
        for position, (item, fen) in enumerate(line for *_rest, lines in NEXT_YEAR_ACTIVITIES for line in lines):
            session.add(ActivityMoneyLine(project_id=project.id, kind="budget", plan_id=draft.id, position=position,
                                          item=item, amount_fen=fen))

    # this year's plan, approved at the start of the year (or two months before the first day)
    approved_at = min(local_midnight(date(year, 1, 1)) - timedelta(days=5),
                      local_midnight(past_day) - timedelta(days=60))
    approvals = {
        "submitted_at": approved_at - timedelta(days=6), "submitted_by_id": publicist.id,
        "pm_confirmed_at": approved_at - timedelta(days=3), "pm_confirmed_by_id": users["pm"].id,
        "approved_at": approved_at, "approved_by_id": company["vp"].id, "content_confirmed": True,
    }
    for plan_year in sorted({year, coming_day.year}):
        plan = _ensure_plan(session, project, plan_year, publicist, activity_rules.PlanStatus.APPROVED.value,
                            approvals=approvals)
        if not plan.budget_lines:
            session.add(ActivityMoneyLine(project_id=project.id, kind="budget", plan_id=plan.id, position=0,
                                          item="全年活动经费", amount_fen=1500000))

    # held and summarised (ACT-15)
    plan = session.scalar(sa.select(ActivityPlan).where(ActivityPlan.project_id == project.id,
                                                         ActivityPlan.year == past_day.year))
    held, new = _ensure_activity(session, plan, 0, "邻里趣味运动会", "拔河、跳绳、亲子接力等趣味比赛", "中心广场",
                                 past_day, False, time(9, 0), time(11, 30), calendar)
    if new:
        activity_operations.schedule(session, held, now=approved_at)
        _detailed_plan(session, held, cs, "客服部 陈主持", [("奖品", 180000), ("饮用水与点心", 60000)])
        session.flush()
        session.refresh(held)
        start = activity_rules.activity_start(held.day, held.start_time)
        _done_until(session, held, start, users, company)
        milestones = {row.code: row for row in held.milestones}
        activity_rules.check_ready_for_day(
            held.status, security_plan_done_at=milestones[activity_rules.MilestoneCode.SECURITY_PLAN].done_at,
            facility_check_done_at=milestones[activity_rules.MilestoneCode.FACILITY_CHECK].done_at)
        held.status, held.ready_at = activity_rules.ActivityStatus.READY.value, start - timedelta(days=3)
        activity_rules.check_activity_transition(held.status, activity_rules.ActivityStatus.HELD)
        held.status = activity_rules.ActivityStatus.HELD.value
        held.held_at = activity_rules.activity_start(held.day, held.end_time)
        for n, unit_id in enumerate(rng.sample(unit_ids, 12)):
            at = start - timedelta(days=6, hours=n)
            session.add(ActivityRsvp(project_id=project.id, activity_id=held.id, unit_id=unit_id,
                                     head_count=rng.randint(1, 4), first_at=at, changed_at=at))
        session.flush()
        activity_summary.summarise(
            session, cs, held, attendance=64, went_well="参与家庭多,亲子接力气氛热烈,秩序良好",
            shortcomings="报名户数比实到少,签到处排队较长;下次增设一个签到台并提前一天短信提醒",
            cost_lines=[activity_rules.MoneyLine("奖品", 172000), activity_rules.MoneyLine("饮用水与点心", 75500)],
            now=local_midnight(past_day + timedelta(days=2)) + timedelta(hours=10),
        )

    # coming up on a weekend a few weeks from today: its timeline so far done, replies coming in
    plan = session.scalar(sa.select(ActivityPlan).where(ActivityPlan.project_id == project.id,
                                                         ActivityPlan.year == coming_day.year))
    coming, new = _ensure_activity(session, plan, 1, "邻里文艺晚会", "业主才艺表演与社区乐队演出", "会所多功能厅", coming_day, False, time(19, 0),
                                   time(21, 0), calendar)
    if new:
        activity_operations.schedule(session, coming, now=approved_at)
        _detailed_plan(session, coming, cs, "客服部 林主持", [("演出音响租赁", 150000), ("纪念品", 80000)])
        session.flush()
        session.refresh(coming)
        _done_until(session, coming, now, users, company)
        for n, unit_id in enumerate(rng.sample(unit_ids, 5)):
            at = now - timedelta(days=2, hours=3 * n)
            session.add(ActivityRsvp(project_id=project.id, activity_id=coming.id, unit_id=unit_id,
                                     head_count=rng.randint(1, 4), first_at=at, changed_at=at))
