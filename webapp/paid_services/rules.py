"""Rules of paid services 有偿服务 (篇5). Pure: standard library only; time is a parameter;
money is integer fen (分), never a float.

The price list (SVC-01, §3.1–3.2): a department supervisor proposes an item with its price,
or a new price for an item; the GM approves or refuses. An item is offered only while it
is active and an approved price is in force; every proposal and decision is kept, so the
price in force at any moment can be told afterwards. An order copies the price in force
when it is registered and keeps it.

Life cycle of an order::

    registered ──dispatch (SVC-03: cleared staff only)──▶ dispatched ──start──▶ in_progress
        │                                                     │                  │ SVC-04 and SVC-05
        └────────────────── cancelled ◀───────────────────────┴──────────────────┤ ticked, then
                                                                                 ▼ work done + charge
                                              signature_refused ◀─ owner ─── completed (SVC-06)
                                                    │   ╲ signs later           │ owner signs
                                                    │    ╲──────────────────▶ signed ◀─┐ signs again
                                                    ▼                           │      │ after a change
                                                  closed ◀─quality check────────┴──────┘ (SVC-09)
                                                          (SVC-07)

A signature binds the canonical content of the order at the moment of signing (SVC-09):
the SHA-256 of a stable serialisation of exactly what the owner approves. A later edit of
that content leaves the signature in place but no longer matching; the order cannot be
closed on a signature that does not match, only on a fresh one (or a recorded refusal).

Rental commission (SVC-08, §4.6, 房屋委托出租申请表)::

    applied ──▶ listed ──▶ let
       │           │
       └───────────┴──▶ withdrawn
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import IntEnum, StrEnum

from webapp.core.clock import local_date, local_midnight
from webapp.core.rulekit import N_, RuleViolation

# ---------------------------------------------------------------------------- money


#: a unit price above 100 000 yuan is a typing mistake, not a housekeeping job
MAX_PRICE_FEN = 100_000_00
#: materials bought for one job
MAX_MATERIALS_FEN = 100_000_00
#: quantities are kept in hundredths (1.5 hours → 150), like unit areas
QUANTITY_SCALE = 100
MAX_QUANTITY_CENTI = 1_000 * QUANTITY_SCALE

_CURRENCY_MARKS = ("¥", "￥", "元", ",", "，", " ")


def _decimal(text: str | int | None) -> Decimal | None:
    value = str(text if text is not None else "").strip()
    for mark in _CURRENCY_MARKS:
        value = value.replace(mark, "")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_yuan(text: str | int | None, field: str = "price") -> int:
    """"12.5", "¥1,200", "80元" → fen. At most two decimals (no fractions of a fen);
    whether zero is acceptable is for the caller's check (a price never, materials yes)."""
    number = _decimal(text)
    if number is None:
        raise RuleViolation(N_("Enter an amount in yuan, such as 80 or 12.50."), field=field)
    fen = number * 100
    if fen != fen.to_integral_value():
        raise RuleViolation(N_("At most two decimals (fen)."), field=field)
    return int(fen)


def format_yuan(fen: int) -> str:
    """1250 → "12.50"; -5 → "-0.05"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def parse_quantity(text: str | int | None, field: str = "quantity") -> int:
    """"1.5" → 150 (hundredths of the unit of charge)."""
    number = _decimal(text)
    if number is None:
        raise RuleViolation(N_("Enter a quantity, such as 1 or 2.5."), field=field)
    centi = number * QUANTITY_SCALE
    if centi != centi.to_integral_value():
        raise RuleViolation(N_("At most two decimals."), field=field)
    value = int(centi)
    check_quantity_centi(value, field)
    return value


def format_quantity(centi: int) -> str:
    """150 → "1.5"; 200 → "2"; 125 → "1.25"."""
    whole, part = divmod(centi, QUANTITY_SCALE)
    if not part:
        return str(whole)
    return f"{whole}.{part:02d}".rstrip("0")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_price_fen(price_fen: object, field: str = "price") -> int:
    """A unit price: whole fen, more than zero, not absurd."""
    if not _is_int(price_fen):
        raise RuleViolation(N_("A price is a whole number of fen."), field=field)
    if price_fen <= 0:
        raise RuleViolation(N_("A price must be more than zero."), field=field)
    if price_fen > MAX_PRICE_FEN:
        raise RuleViolation(N_("A price above %(limit)s yuan is not accepted."), field=field,
                            limit=format_yuan(MAX_PRICE_FEN))
    return price_fen


def check_quantity_centi(quantity_centi: object, field: str = "quantity") -> int:
    if not _is_int(quantity_centi) or quantity_centi <= 0:
        raise RuleViolation(N_("The quantity must be more than zero."), field=field)
    if quantity_centi > MAX_QUANTITY_CENTI:
        raise RuleViolation(N_("A quantity above %(limit)s is not accepted."), field=field,
                            limit=format_quantity(MAX_QUANTITY_CENTI))
    return quantity_centi


def check_materials_fen(materials_fen: object, field: str = "materials") -> int:
    """Extra materials: zero when none were used, never negative."""
    if not _is_int(materials_fen):
        raise RuleViolation(N_("An amount is a whole number of fen."), field=field)
    if materials_fen < 0:
        raise RuleViolation(N_("The materials cannot cost less than nothing."), field=field)
    if materials_fen > MAX_MATERIALS_FEN:
        raise RuleViolation(N_("Materials above %(limit)s yuan are not accepted."), field=field,
                            limit=format_yuan(MAX_MATERIALS_FEN))
    return materials_fen


def line_amount_fen(price_fen: int, quantity_centi: int) -> int:
    """Quantity × unit price, rounded to the fen half up (1.5 h × 33.33 = 49.995 → 50.00)."""
    check_price_fen(price_fen)
    check_quantity_centi(quantity_centi)
    return (price_fen * quantity_centi + QUANTITY_SCALE // 2) // QUANTITY_SCALE


@dataclass(frozen=True)
class ChargeLine:
    """One line of an order as the owner sees it: the item's name and unit of charge and
    the unit price copied when the order was registered."""

    item_name: str
    unit_of_charge: str
    price_fen: int
    quantity_centi: int

    @property
    def amount_fen(self) -> int:
        return line_amount_fen(self.price_fen, self.quantity_centi)


@dataclass(frozen=True)
class Charge:
    lines_fen: int
    materials_fen: int
    total_fen: int


def compute_charge(lines: Iterable[ChargeLine], materials_fen: int = 0) -> Charge:
    """SVC-06: the charge of a job: the lines' amounts plus extra materials."""
    lines = list(lines)
    if not lines:
        raise RuleViolation(N_("Add at least one service item."), field="lines")
    lines_fen = sum(line.amount_fen for line in lines)
    materials_fen = check_materials_fen(materials_fen)
    return Charge(lines_fen=lines_fen, materials_fen=materials_fen, total_fen=lines_fen + materials_fen)


# ---------------------------------------------------------------------------- SVC-01 price list


class PriceDecision(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class PriceVersion:
    """One proposal of a price for an item, as stored."""

    price_fen: int
    decision: str | None  # a PriceDecision; None while waiting for the GM
    effective_from: datetime | None  # set on approval
    #: the caller's record this version stands for (not compared)
    ref: object = field(default=None, compare=False)


def check_price_proposal(
    price_fen: object,
    reason: str | None,
    *,
    price_in_force_fen: int | None,
    has_pending: bool,
    is_first: bool,
) -> None:
    """SVC-01: a supervisor proposes an item's first price or a change. One proposal at a
    time per item; a change names its reason and actually changes the price."""
    check_price_fen(price_fen)
    if has_pending:
        raise RuleViolation(N_("A price for this item is already waiting for the general manager."), field="price")
    if not is_first:
        if price_in_force_fen is not None and price_fen == price_in_force_fen:
            raise RuleViolation(N_("That is already the price in force."), field="price")
        if not (reason or "").strip():
            raise RuleViolation(N_("Say why the price changes."), field="reason")


def check_requested_effective_from(requested: datetime | None, proposed_at: datetime) -> None:
    if requested is not None and requested < proposed_at:
        raise RuleViolation(N_("A price takes effect from now on, not in the past."), field="effective_from")


def check_price_decision(already_decided: bool, approved: bool, note: str | None) -> None:
    """The GM decides once; a refusal says why, so the supervisor can propose again."""
    if already_decided:
        raise RuleViolation(N_("This price has already been decided."))
    if not approved and not (note or "").strip():
        raise RuleViolation(N_("Say why the price is refused."), field="note")


def effective_from(requested: datetime | None, decided_at: datetime) -> datetime:
    """An approved price applies from the requested moment, but never before the approval:
    an order registered earlier was priced by the list as it stood then."""
    if requested is None or requested < decided_at:
        return decided_at
    return requested


def price_in_force(versions: Iterable[PriceVersion], at: datetime) -> PriceVersion | None:
    """The approved price with the latest start at or before `at`; pending and refused
    proposals never count. Of two approved with the same start, the later listed wins."""
    found: PriceVersion | None = None
    for version in versions:
        if version.decision != PriceDecision.APPROVED or version.effective_from is None:
            continue
        if version.effective_from > at:
            continue
        if found is None or version.effective_from >= found.effective_from:
            found = version
    return found


def is_offered(active: bool, versions: Iterable[PriceVersion], at: datetime) -> bool:
    """SVC-01: an item is offered only once the GM approved a price that is in force."""
    return active and price_in_force(versions, at) is not None


# ---------------------------------------------------------------------------- order states


class ServiceStatus(StrEnum):
    REGISTERED = "registered"  # logged at the service centre, the department told (SVC-02)
    DISPATCHED = "dispatched"  # technicians named (SVC-03)
    IN_PROGRESS = "in_progress"  # under way: checklists SVC-04/05, the work
    COMPLETED = "completed"  # work done and charge recorded (SVC-06), awaiting the owner
    SIGNED = "signed"  # the owner accepted and signed
    SIGNATURE_REFUSED = "signature_refused"  # the owner refused to sign, with a reason
    CLOSED = "closed"  # quality checked by the supervisor (SVC-07)
    CANCELLED = "cancelled"


S = ServiceStatus

TRANSITIONS: dict[ServiceStatus, frozenset[ServiceStatus]] = {
    S.REGISTERED: frozenset({S.DISPATCHED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.SIGNED, S.SIGNATURE_REFUSED}),
    S.SIGNED: frozenset({S.CLOSED}),
    S.SIGNATURE_REFUSED: frozenset({S.SIGNED, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(ServiceStatus) - {S.CLOSED, S.CANCELLED}
#: the team may be named or changed until the work starts
DISPATCHABLE_STATUSES = frozenset({S.REGISTERED, S.DISPATCHED})
#: the owner has been asked to sign: the order's content now matters to a signature
SIGNING_STATUSES = frozenset({S.COMPLETED, S.SIGNED, S.SIGNATURE_REFUSED})

#: what may be edited in each state. Before the work starts: what was agreed at the desk;
#: once done: what the owner approves (editing it after signing breaks the signature).
REGISTRATION_FIELDS = frozenset(
    {"contact", "appointment_at", "requirements", "cautions", "key_authorised", "key_note", "quantities"}
)
WORK_FIELDS = frozenset(
    {"work_done", "quantities", "materials_fen", "materials_note", "started_at", "finished_at"}
)
EDITABLE_FIELDS: dict[ServiceStatus, frozenset[str]] = {
    S.REGISTERED: REGISTRATION_FIELDS,
    S.DISPATCHED: REGISTRATION_FIELDS,
    S.IN_PROGRESS: frozenset({"requirements", "cautions"}),
    S.COMPLETED: WORK_FIELDS,
    S.SIGNED: WORK_FIELDS,
    S.SIGNATURE_REFUSED: WORK_FIELDS,
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

del S


def check_transition(current: str, target: str) -> None:
    if ServiceStatus(target) not in TRANSITIONS[ServiceStatus(current)]:
        raise RuleViolation(
            N_("An order that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def check_editable(status: str, fields: Iterable[str]) -> None:
    allowed = EDITABLE_FIELDS[ServiceStatus(status)]
    if not allowed:
        raise RuleViolation(N_("A closed or cancelled order cannot be changed."))
    for name in fields:
        if name not in allowed:
            raise RuleViolation(N_("This cannot be changed at this stage of the order."), field=name)


# ---------------------------------------------------------------------------- who does what


class Step(StrEnum):
    PROPOSE_PRICE = "propose_price"
    DECIDE_PRICE = "decide_price"
    REGISTER = "register"
    DISPATCH = "dispatch"
    WORK = "work"  # start, tick the checklists, complete, present the order for signing
    EDIT = "edit"
    CHECK_QUALITY = "check_quality"
    CANCEL = "cancel"
    RENTAL = "rental"
    CLEAR_STAFF = "clear_staff"


#: permission values (webapp.org.rules.Permission), one of which lets a user take the step.
#: A department role counts only for its own department's items and orders.
STEP_PERMISSIONS: dict[Step, tuple[str, ...]] = {
    Step.PROPOSE_PRICE: ("paid_services.propose_prices",),
    Step.DECIDE_PRICE: ("paid_services.approve_prices",),
    Step.REGISTER: ("paid_services.register",),
    Step.DISPATCH: ("paid_services.dispatch",),
    Step.WORK: ("paid_services.work",),
    Step.EDIT: ("paid_services.register", "paid_services.dispatch", "paid_services.work"),
    Step.CHECK_QUALITY: ("paid_services.check_quality",),
    Step.CANCEL: ("paid_services.register", "paid_services.dispatch"),
    Step.RENTAL: ("paid_services.rentals",),
    Step.CLEAR_STAFF: ("paid_services.clear_staff",),
}
#: this permission counts only for a technician dispatched on the order
ASSIGNED_ONLY_PERMISSION = "paid_services.work"


# ---------------------------------------------------------------------------- SVC-02 registration


def check_appointment(appointment_at: datetime | None, registered_at: datetime) -> None:
    """SVC-02: the time agreed with the owner, after the request was logged."""
    if appointment_at is None:
        raise RuleViolation(N_("Agree a time with the owner."), field="appointment_at")
    if appointment_at <= registered_at:
        raise RuleViolation(N_("The appointment must be later than now."), field="appointment_at")


def check_order_items(item_ids: Sequence[int], department_ids: Iterable[int]) -> None:
    """At least one item, each once, all of one department (the one that is told, and
    whose supervisor dispatches and checks)."""
    if not item_ids:
        raise RuleViolation(N_("Add at least one service item."), field="lines")
    if len(set(item_ids)) != len(item_ids):
        raise RuleViolation(N_("List each item once, with its quantity."), field="lines")
    if len(set(department_ids)) > 1:
        raise RuleViolation(
            N_("An order holds the items of one department: register the others separately."), field="lines"
        )


# ---------------------------------------------------------------------------- SVC-03 dispatch


@dataclass(frozen=True)
class Candidate:
    """A technician the supervisor names: whether they may do paid jobs in the project and
    whether they are trained and cleared for in-home work (§4.5.1)."""

    name: str
    may_work: bool
    cleared: bool


def check_dispatch(status: str, candidates: Sequence[Candidate]) -> None:
    if ServiceStatus(status) not in DISPATCHABLE_STATUSES:
        raise RuleViolation(N_("The team can only be chosen before the work starts."))
    if not candidates:
        raise RuleViolation(N_("Choose at least one technician."), field="technicians")
    for candidate in candidates:
        if not candidate.may_work:
            raise RuleViolation(N_("%(name)s does not do paid jobs in this project."), field="technicians",
                                name=candidate.name)
        if not candidate.cleared:
            raise RuleViolation(
                N_("%(name)s is not trained and cleared for work in owners' homes."),
                field="technicians",
                name=candidate.name,
            )


def check_clearance(trained_on: date | None, today: date) -> None:
    """§4.5.1: cleared only after the discipline training, which has taken place."""
    if trained_on is None:
        raise RuleViolation(N_("Enter the date of the discipline training."), field="trained_on")
    if trained_on > today:
        raise RuleViolation(N_("The training date cannot be in the future."), field="trained_on")


# ---------------------------------------------------------------------------- SVC-04/05 checklists


class Checklist(StrEnum):
    PRE_DEPARTURE = "pre_departure"  # SVC-04, §4.2: each technician for themselves
    ON_SITE = "on_site"  # SVC-05, §4.3: once per order, by whoever of the team does it


class CheckItem(StrEnum):
    # SVC-04 §4.2
    APPEARANCE = "appearance"  # 4.2.1 检查自己的仪容仪表
    TOOLS = "tools"  # 4.2.2 工具、材料、鞋套
    REQUIREMENTS = "requirements"  # 4.2.3 牢记工作要求、注意事项及服务标准
    ON_TIME = "on_time"  # 4.2.4 准时到达指定地点 (ticked on arrival; its time shows lateness)
    # SVC-05 §4.3
    KNOCK = "knock"  # 4.3.1 轻敲门并自报身份说明来意
    OWNER_ADMITTED = "owner_admitted"  # 得到住户允许后方可进入
    NOBODY_HOME = "nobody_home"  # 留下锁匙: 进门前先敲门, 确认无人
    KEY_ENTRY = "key_entry"  # 方可用锁匙将门轻轻打开
    SHOE_COVERS = "shoe_covers"  # 入户前应先戴上自备鞋套
    SCOPE_CONFIRMED = "scope_confirmed"  # 4.3.2 与业主确认服务范围与项目
    VALUABLES = "valuables"  # 4.3.2 提示住户将贵重物品存放妥当


I = CheckItem  # noqa: E741

CHECKLISTS: dict[Checklist, tuple[CheckItem, ...]] = {
    Checklist.PRE_DEPARTURE: (I.APPEARANCE, I.TOOLS, I.REQUIREMENTS, I.ON_TIME),
    Checklist.ON_SITE: (
        I.KNOCK, I.OWNER_ADMITTED, I.NOBODY_HOME, I.KEY_ENTRY, I.SHOE_COVERS, I.SCOPE_CONFIRMED, I.VALUABLES,
    ),
}

#: what must already be ticked (all of it). The SOP's order: prepared before setting off;
#: knock before anything at the door; confirm nobody is home before using the key; shoe
#: covers on before stepping in; scope and valuables once inside.
PREREQUISITES: dict[CheckItem, frozenset[CheckItem]] = {
    I.APPEARANCE: frozenset(),
    I.TOOLS: frozenset(),
    I.REQUIREMENTS: frozenset(),
    I.ON_TIME: frozenset({I.APPEARANCE, I.TOOLS, I.REQUIREMENTS}),
    I.KNOCK: frozenset(),
    I.OWNER_ADMITTED: frozenset({I.KNOCK}),
    I.NOBODY_HOME: frozenset({I.KNOCK}),
    I.KEY_ENTRY: frozenset({I.NOBODY_HOME}),
    I.SHOE_COVERS: frozenset({I.KNOCK}),
    I.SCOPE_CONFIRMED: frozenset({I.SHOE_COVERS}),
    I.VALUABLES: frozenset({I.SHOE_COVERS}),
}
#: what the technician's phone shows for each item (msgids, translated by the caller)
CHECK_ITEM_LABELS: dict[CheckItem, str] = {
    I.APPEARANCE: N_("Appearance checked: neat, badge worn"),
    I.TOOLS: N_("Tools, materials and shoe covers ready"),
    I.REQUIREMENTS: N_("Job requirements, cautions and service standard understood"),
    I.ON_TIME: N_("Arrived at the appointed place on time"),
    I.KNOCK: N_("Knocked gently and said who I am and why I came"),
    I.OWNER_ADMITTED: N_("The occupant allowed me in"),
    I.NOBODY_HOME: N_("Knocked again and confirmed nobody is home"),
    I.KEY_ENTRY: N_("Opened the door gently with the key left at the service centre"),
    I.SHOE_COVERS: N_("Put on my own shoe covers before stepping in"),
    I.SCOPE_CONFIRMED: N_("Confirmed the scope and items with the owner (by phone if away)"),
    I.VALUABLES: N_("Reminded the occupant to put valuables away"),
}

#: the two ways in: the occupant lets the technician in, or nobody is home and the key is used
OWNER_ENTRY = frozenset({I.OWNER_ADMITTED})
KEY_ENTRY_PATH = frozenset({I.NOBODY_HOME, I.KEY_ENTRY})

del I


def checklist_of(item: str) -> Checklist:
    code = CheckItem(item)
    return next(checklist for checklist, items in CHECKLISTS.items() if code in items)


def entry_mode(on_site_ticked: Iterable[str]) -> str | None:
    """"owner", "key", or None while nobody has entered."""
    ticked = {CheckItem(t) for t in on_site_ticked}
    if ticked & OWNER_ENTRY:
        return "owner"
    if ticked & KEY_ENTRY_PATH:
        return "key"
    return None


def check_tick(
    item: str,
    *,
    ticked: Iterable[str],
    pre_departure_done: bool,
    key_authorised: bool,
) -> None:
    """May `item` be ticked now? `ticked`: what is already ticked on the same list (the
    technician's own pre-departure list, or the order's on-site list);
    `pre_departure_done`: the ticking technician's SVC-04 list is complete."""
    try:
        code = CheckItem(item)
    except ValueError:
        raise RuleViolation(N_("Unknown checklist item."), field="item") from None
    done = {CheckItem(t) for t in ticked}
    if checklist_of(code) is Checklist.ON_SITE and not pre_departure_done:
        raise RuleViolation(N_("Finish the pre-departure checklist first."), field="item")
    if code in (CheckItem.NOBODY_HOME, CheckItem.KEY_ENTRY) and not key_authorised:
        raise RuleViolation(
            N_("The owner has not authorised entry with a key: wait for the owner or call the service centre."),
            field="item",
        )
    mode = entry_mode(done)
    if code in OWNER_ENTRY and mode == "key":
        raise RuleViolation(N_("Entry has already been recorded with the key."), field="item")
    if code in KEY_ENTRY_PATH and mode == "owner":
        raise RuleViolation(N_("The occupant has already let you in."), field="item")
    if code is CheckItem.SHOE_COVERS and not done & {CheckItem.OWNER_ADMITTED, CheckItem.KEY_ENTRY}:
        raise RuleViolation(
            N_("Be let in, or open with the key after confirming nobody is home, before the shoe covers."),
            field="item",
        )
    if not PREREQUISITES[code] <= done:
        raise RuleViolation(N_("Tick the earlier steps of the checklist first."), field="item")


def required_items(checklist: str, on_site_ticked: Iterable[str] = ()) -> tuple[CheckItem, ...]:
    """What a complete list holds. On site: the key path replaces the occupant's
    permission when the key was used, and nobody is there to remind about valuables."""
    checklist = Checklist(checklist)
    if checklist is Checklist.PRE_DEPARTURE:
        return CHECKLISTS[checklist]
    if entry_mode(on_site_ticked) == "key":
        skip = OWNER_ENTRY | {CheckItem.VALUABLES}
    else:
        skip = KEY_ENTRY_PATH
    return tuple(item for item in CHECKLISTS[checklist] if item not in skip)


def missing_items(checklist: str, ticked: Iterable[str]) -> tuple[CheckItem, ...]:
    done = {CheckItem(t) for t in ticked}
    return tuple(item for item in required_items(checklist, done) if item not in done)


def check_work_under_way(status: str) -> None:
    """Checklists are ticked while the job is under way: after the start, before completion."""
    if ServiceStatus(status) is not ServiceStatus.IN_PROGRESS:
        raise RuleViolation(N_("Checklists are ticked while the job is under way."), field="item")


def is_late(appointment_at: datetime, arrived_at: datetime) -> bool:
    """SVC-04 §4.2.4: on time means by the appointed minute."""
    return arrived_at > appointment_at.replace(second=59, microsecond=999999)


# ---------------------------------------------------------------------------- SVC-06 completion


def check_work_times(started_at: datetime | None, finished_at: datetime | None, now: datetime) -> None:
    """The work ends after it started and not later than now."""
    if started_at is None:
        raise RuleViolation(N_("Enter when the work started."), field="started_at")
    if finished_at is None:
        raise RuleViolation(N_("Enter when the work finished."), field="finished_at")
    if finished_at <= started_at:
        raise RuleViolation(N_("The work cannot finish before it started."), field="finished_at")
    if finished_at > now or started_at > now:
        raise RuleViolation(N_("The work cannot finish in the future."), field="finished_at")


class Conduct(StrEnum):
    """SVC-06, §4.4.1 a–b: what the technician confirms when recording the work, before
    handing the phone to the owner."""

    NO_GIFTS = "no_gifts"  # a) 不得坐业主家沙发、床等家俱, 不得接受业主任何馈赠 (包括茶水、香烟)
    TOOLS_COUNTED = "tools_counted"  # b) 清点、整理好设备、用具, 不可有遗漏, 不可长时间逗留


CONDUCT_LABELS: dict[Conduct, str] = {
    Conduct.NO_GIFTS: N_("I sat on none of the owner's furniture and accepted no gift, not even tea or cigarettes"),
    Conduct.TOOLS_COUNTED: N_("Equipment and tools counted and packed, nothing left behind; I leave without lingering"),
}


def check_conduct_confirmed(confirmed: Iterable[str]) -> tuple[Conduct, ...]:
    """Every §4.4.1 a–b confirmation is given; returns them in the SOP's order."""
    given = set()
    for value in confirmed:
        try:
            given.add(Conduct(value))
        except ValueError:
            raise RuleViolation(N_("Unknown confirmation."), field="conduct") from None
    if set(Conduct) - given:
        raise RuleViolation(
            N_("Confirm that you accepted no gifts and counted your tools before handing over to the owner."),
            field="conduct",
        )
    return tuple(Conduct)


def check_checklists_complete(pre_departure_missing: int, on_site_missing: int) -> None:
    if pre_departure_missing:
        raise RuleViolation(
            N_("The pre-departure checklist is not complete: %(count)s items left."), count=pre_departure_missing
        )
    if on_site_missing:
        raise RuleViolation(N_("The on-site checklist is not complete: %(count)s items left."), count=on_site_missing)


# ---------------------------------------------------------------------------- SVC-09 signing


#: a change of this serialisation changes every hash: bump it, never edit it silently
CONTENT_VERSION = 1


def _instant(moment: datetime | None) -> str | None:
    """UTC to the second: the same on every database and after a round trip."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signing_content(
    *,
    number: str,
    unit_id: int,
    owner_id: int | None,
    appointment_at: datetime,
    lines: Iterable[ChargeLine],
    materials_fen: int,
    materials_note: str | None,
    work_done: str | None,
    technician_ids: Iterable[int],
    started_at: datetime | None,
    finished_at: datetime | None,
) -> dict:
    """SVC-09: exactly what the owner approves by signing: the items with quantities and
    prices, the charge, the work done, the technicians and the times. People and places are
    named by id (a later correction of a name is no change to the order); lines and
    technicians are sorted, so the order rows are listed in makes no difference."""
    lines = sorted(lines, key=lambda x: (x.item_name, x.unit_of_charge, x.price_fen, x.quantity_centi))
    charge = compute_charge(lines, materials_fen)
    return {
        "v": CONTENT_VERSION,
        "number": number,
        "unit_id": unit_id,
        "owner_id": owner_id,
        "appointment_at": _instant(appointment_at),
        "lines": [
            {
                "item": line.item_name,
                "unit": line.unit_of_charge,
                "price_fen": line.price_fen,
                "quantity_centi": line.quantity_centi,
                "amount_fen": line.amount_fen,
            }
            for line in lines
        ],
        "materials_fen": charge.materials_fen,
        "materials_note": materials_note or None,
        "lines_fen": charge.lines_fen,
        "total_fen": charge.total_fen,
        "work_done": work_done or None,
        "technician_ids": sorted(set(technician_ids)),
        "started_at": _instant(started_at),
        "finished_at": _instant(finished_at),
    }


def serialise_content(content: dict) -> str:
    """Stable text: sorted keys, no spaces, Chinese kept as it is (UTF-8)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(content: dict) -> str:
    return hashlib.sha256(serialise_content(content).encode("utf-8")).hexdigest()


def signature_matches(stored_hash: str, current_hash: str) -> bool:
    """SVC-09: the signature still covers the order as it is now."""
    return hmac.compare_digest(stored_hash.encode(), current_hash.encode())


def check_can_sign(status: str, current_signature_matches: bool | None) -> None:
    """The owner signs a completed order; after a refusal (the problem fixed) or a change
    of a signed order, signs again. A valid signature is not replaced."""
    status = ServiceStatus(status)
    if status is ServiceStatus.SIGNED:
        if current_signature_matches:
            raise RuleViolation(N_("The owner has already signed this order."))
        return
    check_transition(status, ServiceStatus.SIGNED)


def check_can_refuse(status: str) -> None:
    check_transition(status, ServiceStatus.SIGNATURE_REFUSED)


def check_signer_name(name: str | None) -> None:
    if not (name or "").strip():
        raise RuleViolation(N_("Write down the name of the person signing."), field="signer_name")


def check_refusal_reason(reason: str | None) -> None:
    if not (reason or "").strip():
        raise RuleViolation(N_("Write down why the owner will not sign."), field="reason")


#: a drawn signature: enough dark pixels, spread over enough of the pad that a tap or a
#: stray dot is not taken for one
MIN_INK_PIXELS = 150
MIN_INK_EXTENT_PX = 40


def check_signature_ink(ink_pixels: int, extent_px: int) -> None:
    if ink_pixels < MIN_INK_PIXELS or extent_px < MIN_INK_EXTENT_PX:
        raise RuleViolation(N_("The signature is empty: ask the owner to sign in the box."), field="signature")


class Satisfaction(IntEnum):
    """The owner's rating when signing (SVC-06); averaged in 家政服务汇总表 (SVC-07)."""

    VERY_DISSATISFIED = 1  # 非常不满意
    DISSATISFIED = 2  # 不满意
    NEUTRAL = 3  # 一般
    SATISFIED = 4  # 满意
    VERY_SATISFIED = 5  # 非常满意


def check_satisfaction(value: object, *, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            raise RuleViolation(N_("Ask the owner how satisfied they are."), field="satisfaction")
        return None
    try:
        return Satisfaction(int(value)).value  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RuleViolation(N_("Choose a rating from 1 to 5."), field="satisfaction") from None


def average_satisfaction(values: Iterable[int | None]) -> Decimal | None:
    """The mean of the ratings given, to one decimal (half up); None when nobody rated."""
    rated = [v for v in values if v is not None]
    if not rated:
        return None
    return (Decimal(sum(rated)) / Decimal(len(rated))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------- SVC-07 quality


class QualityResult(StrEnum):
    QUALIFIED = "qualified"  # 合格
    UNQUALIFIED = "unqualified"  # 不合格


def check_quality(result: str | None, note: str | None) -> QualityResult:
    try:
        quality = QualityResult(result or "")
    except ValueError:
        raise RuleViolation(N_("Choose the result of the quality check."), field="result") from None
    if quality is QualityResult.UNQUALIFIED and not (note or "").strip():
        raise RuleViolation(N_("Say what was wrong with the work."), field="note")
    return quality


def check_can_close(status: str, signature_matches: bool | None) -> None:
    """SVC-07/09: closed after the owner signed (a signature that still matches the order)
    or refused with a reason."""
    check_transition(status, ServiceStatus.CLOSED)
    if ServiceStatus(status) is ServiceStatus.SIGNED and not signature_matches:
        raise RuleViolation(N_("The order changed after the owner signed: the owner must sign again."))


def check_cancel_reason(reason: str | None) -> None:
    if not (reason or "").strip():
        raise RuleViolation(N_("Say why the order is cancelled."), field="reason")


# ---------------------------------------------------------------------------- SVC-08 rental commission


class RentalStatus(StrEnum):
    APPLIED = "applied"  # 房屋委托出租申请表 received
    LISTED = "listed"  # offered to prospective tenants
    LET = "let"  # a lease signed: the commission is due
    WITHDRAWN = "withdrawn"  # the owner took the flat back, or the company declined


RENTAL_TRANSITIONS: dict[RentalStatus, frozenset[RentalStatus]] = {
    RentalStatus.APPLIED: frozenset({RentalStatus.LISTED, RentalStatus.WITHDRAWN}),
    RentalStatus.LISTED: frozenset({RentalStatus.LET, RentalStatus.WITHDRAWN}),
    RentalStatus.LET: frozenset(),
    RentalStatus.WITHDRAWN: frozenset(),
}

#: 10 000 basis points = 100 %
BASIS_POINTS = 10_000
MAX_LEASE_MONTHS = 120


def check_rental_transition(current: str, target: str) -> None:
    if RentalStatus(target) not in RENTAL_TRANSITIONS[RentalStatus(current)]:
        raise RuleViolation(
            N_("A rental that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def check_rent_fen(rent_fen: object, field: str = "rent") -> int:
    if not _is_int(rent_fen) or rent_fen <= 0:
        raise RuleViolation(N_("The monthly rent must be more than zero."), field=field)
    if rent_fen > MAX_PRICE_FEN:
        raise RuleViolation(N_("A rent above %(limit)s yuan a month is not accepted."), field=field,
                            limit=format_yuan(MAX_PRICE_FEN))
    return rent_fen


def check_commission_rate_bp(rate_bp: object) -> int:
    """The company's share (从中提取相应提成), in basis points of the rent of the lease."""
    if not _is_int(rate_bp) or not 0 < rate_bp <= BASIS_POINTS:
        raise RuleViolation(N_("The commission rate must be above zero and at most 100 percent."), field="commission_rate")
    return rate_bp


def parse_percent(text: str | None, field: str = "commission_rate") -> int:
    """"8.33" (%) → 833 basis points."""
    number = _decimal((text or "").replace("%", ""))
    if number is None:
        raise RuleViolation(N_("Enter a percentage, such as 8.33."), field=field)
    bp = number * 100
    if bp != bp.to_integral_value():
        raise RuleViolation(N_("At most two decimals."), field=field)
    return int(bp)


def check_lease_months(months: object) -> int:
    if not _is_int(months) or not 0 < months <= MAX_LEASE_MONTHS:
        raise RuleViolation(N_("The lease runs from 1 to %(limit)s months."), field="lease_months",
                            limit=MAX_LEASE_MONTHS)
    return months


def commission_fen(monthly_rent_fen: int, lease_months: int, rate_bp: int) -> int:
    """The commission on a lease: the rent over the whole lease × the rate, to the fen half
    up. 3 000 yuan × 12 months at 8.33 % = 2 998.80 yuan."""
    check_rent_fen(monthly_rent_fen)
    check_lease_months(lease_months)
    check_commission_rate_bp(rate_bp)
    base = monthly_rent_fen * lease_months * rate_bp
    return (base + BASIS_POINTS // 2) // BASIS_POINTS


# ---------------------------------------------------------------------------- SVC-07 the month


def summary_period(month_of: date) -> tuple[date, date]:
    """家政服务汇总表 covers a calendar month (篇5 names no cut-off day): first to last day,
    local dates, both included."""
    last = calendar.monthrange(month_of.year, month_of.month)[1]
    return month_of.replace(day=1), month_of.replace(day=last)


def summary_bounds(month_of: date) -> tuple[datetime, datetime]:
    """The month as UTC instants [the 1st 00:00 local, the next month's 1st 00:00 local)."""
    first, last = summary_period(month_of)
    return local_midnight(first), local_midnight(last + timedelta(days=1))


def summary_month_of(moment: datetime) -> date:
    """The first day of the local month a moment (a job's finish) counts in."""
    return local_date(moment).replace(day=1)
