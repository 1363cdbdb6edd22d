"""The demo estate's history: the current local month so far and the two before it, so the
staff evaluation (绩效考评), the company view and the SOP summaries have something to show.

Every project gets information-transfer slips (篇2) with their rectification rounds,
complaints (篇4) with their clocks and call-backs, finished paid jobs (篇5) signed and
checked, praise credited to staff (篇3 §4.6) and the work items all of these put in
people's "My work". The records are made directly (no audit events, no notifications:
they are the past), but the way the operations make them: numbers from each series'
daily counter, deadlines from the SOPs' rules, charges from the price list, signed
content hashed as SVC-09 does. Nothing lies after `now`; a step that would is not taken
yet, so the latest records are still open.

The same records on every run (random.Random(f"{code}-history")); a project that has any
slip already is left alone. The projects differ on purpose: 翠湖花园 keeps its deadlines,
锦绣华庭 has more complaints and more late work, so the company view's worst-first order
means something.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.complaints import rules as complaint_rules
from webapp.complaints.models import Complaint, ComplaintCallback, CorrectiveAction
from webapp.core.clock import end_of_day, local_date, local_midnight
from webapp.core.models import RecordCounter, WorkItem
from webapp.core.numbering import format_number
from webapp.estate.models import Occupancy, Owner
from webapp.estate.rules import OccupantRelation
from webapp.org.models import Department, Project, User
from webapp.org.rules import DepartmentKind, Role
from webapp.paid_services import rules as service_rules
from webapp.paid_services.models import (
    QualityCheck,
    ServiceAssignment,
    ServiceItem,
    ServiceOrder,
    ServiceOrderLine,
    ServicePrice,
    ServiceSignature,
)
from webapp.reception import rules as reception_rules
from webapp.reception.models import Praise, PraiseCredit, ReceptionEntry
from webapp.slips import rules as slip_rules
from webapp.slips.models import RectificationRound, Slip

#: how many months of history: the current one so far and the ones before it
MONTHS = 3

# the series the operations number their records in (webapp.core.numbering)
SLIP_SERIES = "XD"
COMPLAINT_SERIES = "TS"
ORDER_SERIES = "FW"

# the work item kinds the operations open (webapp.slips/complaints/paid_services.operations)
SLIP_RECTIFY = "slip_rectify"
COMPLAINT_HANDLE = "complaint_handle"
SERVICE_QUALITY = "service_quality"


@dataclass(frozen=True)
class Profile:
    """How a project runs: events per day and how often deadlines are kept."""

    slips_per_day: float
    slip_on_time: float
    complaints_per_day: float
    commitment_on_time: float
    resolution_on_time: float
    #: weights of major, important, minor, invalid
    classes: tuple[float, float, float, float]
    #: weights of satisfied, basically satisfied, dissatisfied
    satisfaction: tuple[float, float, float]
    jobs_per_day: float
    unqualified: float
    praise_per_day: float
    #: share of the last days' slips and complaints left stuck (open and overdue)
    stuck: float


PROFILES = {
    "CH": Profile(
        slips_per_day=1.1,
        slip_on_time=0.92,
        complaints_per_day=0.22,
        commitment_on_time=0.95,
        resolution_on_time=0.9,
        classes=(0.04, 0.16, 0.66, 0.14),
        satisfaction=(0.72, 0.23, 0.05),
        jobs_per_day=0.33,
        unqualified=0.06,
        praise_per_day=0.13,
        stuck=0.05,
    ),
    "JX": Profile(
        slips_per_day=1.0,
        slip_on_time=0.7,
        complaints_per_day=0.34,
        commitment_on_time=0.78,
        resolution_on_time=0.66,
        classes=(0.1, 0.26, 0.52, 0.12),
        satisfaction=(0.48, 0.3, 0.22),
        jobs_per_day=0.33,
        unqualified=0.18,
        praise_per_day=0.07,
        stuck=0.25,
    ),
}

#: the responsible department of a slip and what it is about, by category
SLIP_TOPICS = [
    (
        DepartmentKind.SECURITY,
        slip_rules.SlipCategory.SECURITY,
        ["单元门禁损坏常开", "消防通道堆放杂物", "外来人员尾随进入单元"],
    ),
    (
        DepartmentKind.SECURITY,
        slip_rules.SlipCategory.PARKING,
        ["车辆占用消防车道", "地库车位被电动车占用"],
    ),
    (
        DepartmentKind.MAINTENANCE,
        slip_rules.SlipCategory.FACILITY,
        ["楼道声控灯不亮", "电梯按钮失灵", "水泵房漏水", "消火栓箱玻璃破损"],
    ),
    (
        DepartmentKind.CLEANING,
        slip_rules.SlipCategory.CLEANING,
        ["垃圾收集站未及时清运", "大堂地面有污渍", "楼梯间有烟头"],
    ),
    (
        DepartmentKind.LANDSCAPING,
        slip_rules.SlipCategory.LANDSCAPING,
        ["草坪有枯黄斑块", "绿篱过高遮挡路灯", "树枝折断悬挂"],
    ),
]
PLACES = [
    "大堂",
    "消防通道",
    "地下车库入口",
    "南大门岗亭",
    "儿童游乐区",
    "垃圾收集站",
    "电梯厅",
    "中心广场",
]
#: who files slips, and how often
FILERS = [("patrol", 5), ("security.lead", 2), ("tech", 2), ("reception", 1)]
#: the department supervisor (or the CS supervisor) of each department kind
LEADS = {
    DepartmentKind.CUSTOMER_SERVICE: "cs",
    DepartmentKind.SECURITY: "security.lead",
    DepartmentKind.MAINTENANCE: "maint.lead",
    DepartmentKind.CLEANING: "clean.lead",
    DepartmentKind.LANDSCAPING: "green.lead",
    DepartmentKind.HOUSEKEEPING: "house.lead",
}
MEASURES_HOW = [
    "现场清理并拍照留存",
    "更换损坏部件",
    "安排人员现场处理并加强巡查",
    "联系相关业主整改",
]

#: what owners complain about: the department, the staff member named (or None), the words
COMPLAINT_TOPICS = [
    (DepartmentKind.SECURITY, "patrol", "巡逻员夜间巡查时态度生硬"),
    (DepartmentKind.SECURITY, None, "外来车辆随意进出小区"),
    (DepartmentKind.MAINTENANCE, "tech", "维修师傅上门迟到一个多小时"),
    (DepartmentKind.MAINTENANCE, None, "楼道灯坏了三天没人修"),
    (DepartmentKind.CLEANING, None, "楼道卫生差,垃圾过夜不清"),
    (DepartmentKind.HOUSEKEEPING, "housekeeper", "家政保洁后厨房仍有油污"),
    (DepartmentKind.CUSTOMER_SERVICE, "reception", "前台电话长时间无人接听"),
    (DepartmentKind.LANDSCAPING, None, "绿化修剪噪音过早扰民"),
]
PRAISE_WORDS = [
    ("patrol", "夜班巡逻的小伙子帮我把醉酒的家人扶回家", "夜班巡逻的小伙子"),
    ("housekeeper", "家政阿姨做事细致,厨房打扫得很干净", "家政阿姨"),
    ("tech", "维修师傅冒雨来修水管,很负责", "维修师傅"),
    ("reception", "前台小姑娘热情耐心,帮老人办好了手续", "前台的小姑娘"),
]
SIGNING_TECHNICIANS = {
    DepartmentKind.HOUSEKEEPING: "housekeeper",
    DepartmentKind.MAINTENANCE: "tech",
}


def ensure_history(
    session: so.Session, project: Project, departments: dict, users: dict[str, User], now: datetime
) -> None:
    """Make the project's history unless it has any slip already (see the module docstring)."""
    if session.scalar(sa.select(Slip.id).where(Slip.project_id == project.id).limit(1)) is not None:
        return
    _History(session, project, departments, users, now).make()


def _months_start(today: date) -> date:
    index = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1)


class _Numbers:
    """Record numbers from the same daily counters as webapp.core.numbering.next_number,
    read once and written back once."""

    def __init__(self, session: so.Session, project: Project):
        self.session, self.project = session, project
        self.counters = {
            (row.series, row.day): row
            for row in session.scalars(
                sa.select(RecordCounter).where(RecordCounter.project_id == project.id)
            )
        }

    def next(self, series: str, at: datetime) -> str:
        day = local_date(at)
        counter = self.counters.get((series, day))
        if counter is None:
            counter = self.counters[(series, day)] = RecordCounter(
                project_id=self.project.id, series=series, day=day, last=0
            )
            self.session.add(counter)
        counter.last += 1
        return format_number(self.project.code, series, day, counter.last)


class _History:
    def __init__(
        self,
        session: so.Session,
        project: Project,
        departments: dict,
        users: dict[str, User],
        now: datetime,
    ):
        self.session, self.project, self.now = session, project, now
        self.departments: dict[DepartmentKind, Department] = departments
        self.users = users
        self.profile = PROFILES.get(project.code, PROFILES["CH"])
        self.rng = random.Random(f"{project.code}-history")
        self.numbers = _Numbers(session, project)
        self.qa = session.scalar(sa.select(User).where(User.username == "qa")) or users["pm"]
        self.households = session.execute(
            sa.select(Occupancy.unit_id, Owner.id, Owner.name, Owner.phone)
            .join(Owner, Owner.id == Occupancy.owner_id)
            .where(
                Occupancy.project_id == project.id,
                Occupancy.relation == OccupantRelation.OWNER.value,
            )
            .order_by(Occupancy.unit_id)
        ).all()
        self.pending_work: list[tuple[object, dict]] = []
        self.seen: dict[str, int] = {}
        self.totals: dict[str, float] = {}
        self.offsets: dict[str, float] = {}
        self.praise_entries: list[tuple[ReceptionEntry, Praise]] = []

    # ------------------------------------------------------------------ helpers

    def lead(self, kind: DepartmentKind) -> User:
        return self.users[LEADS[kind]]

    def at_on(self, day: date, earliest: int = 8, latest: int = 20) -> datetime:
        """A moment of a local working day between the hours given."""
        minutes = self.rng.randrange(earliest * 60, latest * 60)
        return local_midnight(day) + timedelta(minutes=minutes)

    def done(self, moment: datetime | None) -> datetime | None:
        """The moment if it has come, else None (the step is not taken yet)."""
        return moment if moment is not None and moment <= self.now else None

    def evenly(self, key: str, share: float) -> bool:
        """True for `share` of the calls with this key, spread evenly over them (a small
        month gets its fair part of late work, not a run of bad luck)."""
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        offset = self.offsets.setdefault(key, self.rng.random())
        return int((n + 1) * share + offset) > int(n * share + offset)

    def how_many(self, key: str, rate: float) -> int:
        """How many events of this key a day brings at `rate` a day: busier on some days
        than on others, adding up over a month to about `rate` times its days."""
        before = self.totals.get(key)
        if before is None:
            before = self.rng.random()
        after = self.totals[key] = before + rate * self.rng.uniform(0.5, 1.5)
        return int(after) - int(before)

    def weighted(self, choices, weights):
        return self.rng.choices(choices, weights=weights)[0]

    def work_for(self, record, **values) -> None:
        """A work item about `record` (its id is known after the flush)."""
        self.pending_work.append((record, values))

    def days(self) -> list[date]:
        today = local_date(self.now)
        first = _months_start(today)
        return [first + timedelta(days=n) for n in range((today - first).days + 1)]

    # ------------------------------------------------------------------ all of it

    def make(self) -> None:
        today = local_date(self.now)
        for day in self.days():
            recent = (today - day).days <= 10
            for _ in range(self.how_many("slips", self.profile.slips_per_day)):
                self.slip(day, recent)
            for _ in range(self.how_many("complaints", self.profile.complaints_per_day)):
                self.complaint(day, recent)
            for _ in range(self.how_many("jobs", self.profile.jobs_per_day)):
                self.paid_job(day)
            for _ in range(self.how_many("praise", self.profile.praise_per_day)):
                self.praise(day)
        self.session.flush()
        for record, values in self.pending_work:
            self.session.add(
                WorkItem(
                    project_id=self.project.id,
                    entity_type=record.__tablename__,
                    entity_id=record.id,
                    title=f"{record.number} · {values.pop('what')}"[:200],
                    link=values.pop("link").format(id=record.id),
                    **values,
                )
            )
        for entry, praise in self.praise_entries:
            entry.follow_up_id = praise.id
        self.session.flush()

    # ------------------------------------------------------------------ 篇2 slips

    def slip(self, day: date, recent: bool) -> None:
        rng, profile = self.rng, self.profile
        filed_at = self.at_on(day, 7, 21)
        if filed_at > self.now - timedelta(minutes=30):
            return
        filer = self.users[self.weighted([s for s, _ in FILERS], [w for _, w in FILERS])]
        kind, category, problems = rng.choice(SLIP_TOPICS)
        department = self.departments[kind]
        filer_department = next(
            (d.id for d in self.departments.values() if d.id in {g[2] for g in filer.grants}), None
        )
        slip = Slip(
            project_id=self.project.id,
            number=self.numbers.next(SLIP_SERIES, filed_at),
            status=slip_rules.SlipStatus.FILED.value,
            urgent=rng.random() < 0.05,
            category=category.value,
            source=slip_rules.SlipSource.SEEN_ON_SITE.value,
            description=rng.choice(problems),
            filed_by_id=filer.id,
            filer_department_id=filer_department,
            captured_at=filed_at - timedelta(minutes=rng.randrange(0, 3)),
            filed_at=filed_at,
            place_text=rng.choice(PLACES),
        )
        self.session.add(slip)
        if self.evenly("withdrawn", 0.05):
            slip.status = slip_rules.SlipStatus.WITHDRAWN.value
            return
        received = self.done(
            filed_at + timedelta(minutes=rng.randrange(3, 14 if slip.urgent else 50))
        )
        if received is None:
            return
        cs, lead = self.users["cs"], self.lead(kind)
        slip.received_at, slip.received_by_id = received, self.users["reception"].id
        slip.responsible_department_id = department.id
        slip.rectification_due_at = slip_rules.rectification_due(received)
        slip.status = slip_rules.SlipStatus.ASSIGNED.value
        if self.evenly("escalated", 0.04):
            # SLIP-05: not possible today; the PM approves a plan with a new deadline
            escalated = received + timedelta(hours=2)
            if self.done(escalated):
                slip.escalated_at = escalated
                slip.escalation_plan = "需采购配件,两天内完成整改"
                slip.rectification_due_at = end_of_day(escalated + timedelta(days=2))
                slip.status = slip_rules.SlipStatus.ESCALATED.value
        due = slip.rectification_due_at
        measures_when = received + timedelta(minutes=rng.randrange(30, 150))
        stuck = recent and self.evenly("slip_stuck", profile.stuck)
        on_time = not self.evenly("slip_late", 1 - profile.slip_on_time)
        rounds = []
        fail_first = self.evenly("slip_failed", 0.07)
        completed = (
            measures_when + (due - measures_when) * rng.uniform(0.2, 0.8)
            if on_time
            else due + timedelta(hours=rng.randrange(2, 30))
        )
        if fail_first:
            first_done = measures_when + (completed - measures_when) * 0.4
            rounds.append((measures_when, first_done, slip_rules.Verification.FAIL))
            measures_when = first_done + timedelta(minutes=70)
        rounds.append((measures_when, None if stuck else completed, slip_rules.Verification.PASS))
        for number, (when, finished, verdict) in enumerate(rounds, start=1):
            if not self.done(when):
                break
            row = RectificationRound(
                project_id=self.project.id,
                number=number,
                measures_who=lead.display_name,
                measures_when=when,
                measures_how=rng.choice(MEASURES_HOW),
                recorded_by_id=lead.id,
                recorded_at=when,
            )
            slip.rounds.append(row)
            slip.status = slip_rules.SlipStatus.RECTIFYING.value
            if not self.done(finished):
                break
            row.completed_at = finished
            slip.status = slip_rules.SlipStatus.AWAITING_VERIFICATION.value
            verified = self.done(finished + timedelta(minutes=rng.randrange(20, 90)))
            if verified is None:
                break
            row.verification, row.verified_at, row.verified_by_id = verdict.value, verified, cs.id
            if verdict is slip_rules.Verification.FAIL:
                row.verification_note = "现场查验仍未整改到位"
                slip.status = slip_rules.SlipStatus.ASSIGNED.value
            else:
                row.verification_note = "现场查验合格"
                slip.status = slip_rules.SlipStatus.CLOSED.value
                slip.closed_at = verified
        # the department's duty to rectify (SLIP-04), addressed to its supervisor's role: done
        # when the round that passed was reported done
        last = slip.rounds[-1] if len(slip.rounds) == len(rounds) else None
        passed = last.completed_at if last is not None else None
        self.work_for(
            slip,
            kind=SLIP_RECTIFY,
            what="整改",
            link="/slips/{id}",
            assignee_role=Role.DEPT_SUPERVISOR.value,
            department_id=department.id,
            due_at=due,
            created_at=received,
            done_at=passed,
            done_by_id=lead.id if passed else None,
        )

    # ------------------------------------------------------------------ 篇4 complaints

    def complaint(self, day: date, recent: bool) -> None:
        rng, profile = self.rng, self.profile
        received_at = self.at_on(day, 8, 19)
        if received_at > self.now - timedelta(minutes=30):
            return
        classes = [c.value for c in complaint_rules.ComplaintClass]
        cls = self.weighted(classes, profile.classes)
        kind, person, words = rng.choice(COMPLAINT_TOPICS)
        unit_id, owner_id, owner_name, phone = rng.choice(self.households)
        named = self.users[person] if person and rng.random() < 0.7 else None
        complaint = Complaint(
            project_id=self.project.id,
            number=self.numbers.next(COMPLAINT_SERIES, received_at),
            status=complaint_rules.ComplaintStatus.RECEIVED.value,
            complaint_class=cls,
            suggested_class=cls,
            description=words,
            owner_request="尽快处理并给予答复",
            owner_contact=phone,
            owner_id=owner_id,
            unit_id=unit_id,
            channel=rng.choice(["visit", "phone"]),
            complained_department_id=self.departments[kind].id,
            complained_user_id=named.id if named else None,
            complained_person=named.display_name if named else self.departments[kind].name,
            received_at=received_at,
            received_by_id=self.users["reception"].id,
            event_time=received_at - timedelta(hours=rng.randrange(2, 30)),
            commitment_due_at=complaint_rules.commitment_due(cls, received_at),
            handling_start_due_at=complaint_rules.handling_start_due(cls, received_at),
            resolution_due_at=complaint_rules.resolution_due(cls, received_at),
        )
        self.session.add(complaint)
        invalid = cls == complaint_rules.ComplaintClass.INVALID.value
        if invalid:
            complaint.invalid_reason = complaint_rules.InvalidReason.DEVELOPER_LEGACY.value
        if cls == complaint_rules.ComplaintClass.MAJOR.value:
            complaint.major_grounds = complaint_rules.MajorGround.UNDELIVERED_REPEATED.value
        statuses = complaint_rules.ComplaintStatus

        # CMP-04: taken into handling by the people it goes to
        due = complaint.commitment_due_at
        if not self.evenly("commitment_late", 1 - profile.commitment_on_time):
            committed = received_at + (due - received_at) * rng.uniform(0.1, 0.6)
        else:
            committed = due + timedelta(minutes=rng.randrange(20, 600))
        to = {
            complaint_rules.ComplaintClass.MAJOR.value: self.qa,
            complaint_rules.ComplaintClass.IMPORTANT.value: self.lead(kind),
        }.get(cls, self.users["pm"])
        resolution_due = complaint.resolution_due_at
        if not self.evenly("resolution_late", 1 - profile.resolution_on_time):
            resolved = committed + max(
                resolution_due - committed, timedelta(hours=2)
            ) * rng.uniform(0.2, 0.85)
        else:
            resolved = resolution_due + timedelta(hours=rng.randrange(3, 40))
        stuck = recent and self.evenly("complaint_stuck", profile.stuck)
        self.work_for(
            complaint,
            kind=COMPLAINT_HANDLE,
            what="处理投诉",
            link="/complaints/{id}",
            assignee_id=to.id,
            due_at=resolution_due,
            created_at=received_at,
            done_at=None if stuck else self.done(resolved),
            done_by_id=to.id if not stuck and self.done(resolved) else None,
        )
        if not self.done(committed):
            return
        complaint.commitment_done_at, complaint.commitment_to_id = committed, to.id
        complaint.status = statuses.COMMITTED.value
        if cls == complaint_rules.ComplaintClass.MAJOR.value:
            self.session.add(
                CorrectiveAction(
                    project_id=self.project.id,
                    complaint=complaint,
                    opened_at=committed,
                    root_cause="服务承诺未落实,同一问题多次反映",
                    owner_user_id=self.lead(kind).id,
                    due_on=local_date(committed) + timedelta(days=14),
                )
            )
        started = committed + timedelta(minutes=rng.randrange(20, 120))
        if not self.done(started):
            return
        if invalid:
            complaint.explanation = "属房屋质量问题,由开发商负责维修"
            complaint.forwarded_to = "开发商售后服务部"
            complaint.forwarded_at = started
            complaint.status = statuses.FORWARDED.value
        else:
            complaint.handling_started_at = started
            complaint.status = statuses.IN_PROGRESS.value
        complaint.measures = "部门主管现场核实,落实整改并向业主致歉"
        complaint.cause = "人员责任心不强" if complaint.complained_user_id else "巡查不到位"
        if stuck or not self.done(resolved):
            return
        complaint.answer = "已向业主说明处理结果并致歉"
        complaint.answered_at = min(resolved, max(started, resolved - timedelta(hours=1)))
        if invalid or cls == complaint_rules.ComplaintClass.MAJOR.value:
            complaint.answered_at = resolved
        complaint.resolved_at = resolved
        complaint.status = statuses.AWAITING_CALLBACK.value
        complaint.desk_apologised = True
        called = self.done(
            local_midnight(local_date(resolved) + timedelta(days=1))
            + timedelta(hours=rng.randrange(9, 17))
        )
        if called is None:
            return
        satisfied, basically, dissatisfied = self.profile.satisfaction
        if self.evenly("dissatisfied", dissatisfied):
            satisfaction = complaint_rules.Satisfaction.DISSATISFIED.value
        else:
            satisfaction = self.weighted(
                [
                    complaint_rules.Satisfaction.SATISFIED.value,
                    complaint_rules.Satisfaction.BASICALLY_SATISFIED.value,
                ],
                [satisfied, basically],
            )
        complaint.callbacks.append(
            ComplaintCallback(
                project_id=self.project.id,
                method=rng.choice(["phone", "visit"]),
                satisfaction=satisfaction,
                comment="处理及时,态度也好" if satisfaction != "dissatisfied" else "拖得太久了",
                called_by_id=self.users["cs"].id,
                called_at=called,
            )
        )
        complaint.status, complaint.closed_at = statuses.CLOSED.value, called
        for action in complaint.corrective_actions:
            action.correction = "相关人员培训,增加巡查频次"
            action.recorded_by_id, action.recorded_at = self.lead(kind).id, called
            action.verification, action.verified_by_id, action.verified_at = (
                "effective",
                self.qa.id,
                called,
            )

    # ------------------------------------------------------------------ 篇5 paid jobs

    def price_list(self) -> list[tuple[ServiceItem, ServicePrice, DepartmentKind]]:
        if not hasattr(self, "_price_list"):
            kinds = {d.id: kind for kind, d in self.departments.items()}
            rows = self.session.execute(
                sa.select(ServiceItem, ServicePrice)
                .join(ServicePrice, ServicePrice.item_id == ServiceItem.id)
                .where(
                    ServiceItem.project_id == self.project.id, ServicePrice.decision == "approved"
                )
                .order_by(ServiceItem.id, ServicePrice.id)
            ).all()
            latest = {item.id: (item, price) for item, price in rows}
            self._price_list = [
                (item, price, kinds[item.department_id]) for item, price in latest.values()
            ]
        return self._price_list

    def paid_job(self, day: date) -> None:
        rng = self.rng
        items = self.price_list()
        if not items:
            return
        item, price, kind = rng.choice(items)
        appointment = self.at_on(day, 9, 16)
        finished = appointment + timedelta(minutes=rng.randrange(60, 200))
        if finished > self.now - timedelta(hours=1):
            return
        technician, lead = self.users[SIGNING_TECHNICIANS[kind]], self.lead(kind)
        unit_id, owner_id, owner_name, phone = rng.choice(self.households)
        registered = appointment - timedelta(days=rng.randrange(1, 3), hours=rng.randrange(0, 4))
        quantity = {
            "小时": rng.choice([200, 300, 400]),
            "平方米": rng.randrange(80, 130) * 100,
        }.get(item.unit_of_charge, rng.choice([100, 100, 200]))
        chosen = [(item, price, quantity)]
        same = [(i, p) for i, p, k in items if k is kind and i.id != item.id]
        if same and rng.random() < 0.25:
            other, other_price = rng.choice(same)
            chosen.append((other, other_price, 100))
        materials = (
            rng.randrange(15, 40) * 100
            if kind is DepartmentKind.MAINTENANCE and rng.random() < 0.5
            else 0
        )
        lines = [
            service_rules.ChargeLine(i.name, i.unit_of_charge, p.price_fen, q) for i, p, q in chosen
        ]
        charge = service_rules.compute_charge(lines, materials)
        order = ServiceOrder(
            project_id=self.project.id,
            number=self.numbers.next(ORDER_SERIES, registered),
            status=service_rules.ServiceStatus.COMPLETED.value,
            department_id=item.department_id,
            unit_id=unit_id,
            owner_id=owner_id,
            contact=phone,
            appointment_at=appointment,
            registered_by_id=self.users["reception"].id,
            registered_at=registered,
            dispatched_by_id=lead.id,
            dispatched_at=registered + timedelta(hours=1),
            started_at=appointment + timedelta(minutes=rng.randrange(0, 10)),
            finished_at=finished,
            work_done="按要求完成" + "、".join(line.item_name for line in lines),
            lines_fen=charge.lines_fen,
            materials_fen=charge.materials_fen,
            materials_note="更换配件" if materials else None,
            total_fen=charge.total_fen,
            completed_by_id=technician.id,
        )
        for (i, p, _q), line in zip(chosen, lines, strict=True):
            order.lines.append(
                ServiceOrderLine(
                    project_id=self.project.id,
                    item_id=i.id,
                    price_id=p.id,
                    item_name=line.item_name,
                    unit_of_charge=line.unit_of_charge,
                    price_fen=line.price_fen,
                    quantity_centi=line.quantity_centi,
                    amount_fen=line.amount_fen,
                )
            )
        order.assignments.append(
            ServiceAssignment(
                project_id=self.project.id,
                technician_id=technician.id,
                assigned_by_id=lead.id,
                assigned_at=order.dispatched_at,
            )
        )
        self.session.add(order)
        content = service_rules.signing_content(
            number=order.number,
            unit_id=unit_id,
            owner_id=owner_id,
            appointment_at=appointment,
            lines=lines,
            materials_fen=charge.materials_fen,
            materials_note=order.materials_note,
            work_done=order.work_done,
            technician_ids=[technician.id],
            started_at=order.started_at,
            finished_at=finished,
        )
        signed_at = finished + timedelta(minutes=5)
        if self.evenly("refused", 0.08):
            # the owner would not sign until a detail was put right, then signed
            order.signatures.append(self.signature(content, signed_at, technician, refused=True))
            signed_at += timedelta(hours=2)
        order.signatures.append(self.signature(content, signed_at, technician, signer=owner_name))
        order.status = service_rules.ServiceStatus.SIGNED.value
        checked = self.done(signed_at + timedelta(hours=rng.randrange(2, 26)))
        self.work_for(
            order,
            kind=SERVICE_QUALITY,
            what="质量检查",
            link="/services/orders/{id}",
            assignee_id=lead.id,
            due_at=end_of_day(finished + timedelta(days=1)),
            created_at=signed_at,
            done_at=checked,
            done_by_id=lead.id if checked else None,
        )
        if checked is None:
            return
        unqualified = self.evenly("unqualified", self.profile.unqualified)
        order.quality_checks.append(
            QualityCheck(
                project_id=self.project.id,
                checked_by_id=lead.id,
                checked_at=checked,
                result=(
                    service_rules.QualityResult.UNQUALIFIED
                    if unqualified
                    else service_rules.QualityResult.QUALIFIED
                ).value,
                note="边角未清理干净,已批评教育" if unqualified else "回访抽查合格",
            )
        )
        order.status, order.closed_at = service_rules.ServiceStatus.CLOSED.value, checked

    def signature(
        self,
        content: dict,
        at: datetime,
        technician: User,
        *,
        refused: bool = False,
        signer: str | None = None,
    ) -> ServiceSignature:
        return ServiceSignature(
            project_id=self.project.id,
            signer_name=None if refused else signer,
            signed_at=at,
            content_hash=service_rules.content_hash(content),
            signed_content=service_rules.serialise_content(content),
            refused=refused,
            refusal_reason="地面还有水渍,处理好再签" if refused else None,
            satisfaction=None
            if refused
            else self.weighted(
                [3, 4, 5], [1, 3, 4] if self.profile.unqualified < 0.1 else [3, 4, 3]
            ),
            recorded_by_id=technician.id,
        )

    # ------------------------------------------------------------------ 篇3 §4.6 praise

    def praise(self, day: date) -> None:
        rng = self.rng
        received_at = self.at_on(day, 9, 18)
        credited = received_at + timedelta(days=1, hours=2)
        if credited > self.now:
            return
        staff, words, praised_as = rng.choice(PRAISE_WORDS)
        cs, desk = self.users["cs"], self.users["reception"]
        unit_id, owner_id, _name, phone = rng.choice(self.households)
        entry = ReceptionEntry(
            project_id=self.project.id,
            number=self.numbers.next(reception_rules.REFERENCE_SERIES, received_at),
            channel=rng.choice(
                [reception_rules.Channel.VISIT.value, reception_rules.Channel.PHONE.value]
            ),
            category=reception_rules.Category.PRAISE.value,
            status=reception_rules.LedgerStatus.CLOSED.value,
            received_at=received_at,
            received_by_id=desk.id,
            owner_id=owner_id,
            unit_id=unit_id,
            contact=phone,
            content=words,
            follow_up=reception_rules.FollowUp.PRAISE.value,
            follow_up_type=Praise.__tablename__,
            routed_at=received_at,
            routed_by_id=desk.id,
            closed_at=credited + timedelta(hours=1),
            closed_by_id=cs.id,
            closing_note="表扬已查证并记入员工档案",
        )
        praise = Praise(
            project_id=self.project.id,
            entry=entry,
            status=reception_rules.PraiseStatus.CREDITED.value,
            praised_as=praised_as,
            recorded_at=received_at,
            recorded_by_id=desk.id,
            verified_at=credited - timedelta(hours=1),
            verified_by_id=cs.id,
            verification_note="经向当班人员及业主核实,情况属实",
            credited_at=credited,
            credited_by_id=cs.id,
        )
        praise.credits.append(
            PraiseCredit(
                project_id=self.project.id, user_id=self.users[staff].id, credited_at=credited
            )
        )
        self.session.add_all([entry, praise])
        self.praise_entries.append((entry, praise))
