"""Rules of owner reception 业主接待 (篇3) and its registers. Pure: standard library only;
time is a parameter.

Every contact from an owner is an entry in the ledger 业主接待记录表 (RCP-01). Its
category (RCP-02, §4.4) decides the follow-up it starts (RCP-03/04, §4.5–4.6)::

    售后 after-sales ──▶ return-for-repair slip 物业返修联系单 to the developer's after-sales team
    报修 repair      ──▶ repair work order (dispatch to maintenance, done, call-back)
    投诉 complaint   ──▶ complaint (webapp.complaints, 篇4)
    服务 service     ──▶ paid-service order (webapp.paid_services, 篇5)
    表扬 praise      ──▶ praise record: verified, then credited to the staff member
    建议 suggestion  ──▶ forwarded to the PM, whose answer is recorded
    其它 other       ──▶ an item in the lost-property register 失物招领登记表, or a note

The entry's own life (RCP-08, §4.11)::

    new ──route (category + follow-up started)──▶ open ──follow-up done, close out (注销)──▶ closed
     │
     └──discard (duplicate, nonsense; with a reason)──▶ discarded

A staff member logging a contact at the desk routes it in the same step; an owner's QR
form waits as ``new`` until a receptionist routes it. The open ledger (``new`` and
``open``) lists what is pending, oldest first, with its age.

The follow-ups kept here::

    return-for-repair slip:  drafted ──send (same day)──▶ sent ──▶ answered ──▶ completed
                                │                           │  ╲______________▲  │
                                └──────── withdrawn ◀───────┴──────────────────┘
    repair work order:       dispatched ──▶ done ──call-back, fixed──▶ called_back ──▶ closed
                                │   ▲        │ call-back: not fixed
                                │   └────────┘ (rework, every round kept)
                                └──▶ cancelled
    praise:                  recorded ──▶ verified ──▶ credited;  recorded ──▶ not_confirmed
    suggestion:              forwarded ──▶ answered
    found item:              held ──▶ claimed | handed_over

Also here: the major / sudden events register 重大(突发)事件处理记录表 (RCP-07, §4.10) and
the owners' public QR form (RCP-01: its validation, reference number, status token and a
spam check that needs no captcha service). Phone masking (EST-03) lives in
webapp.estate.rules (mask_phone, normalise_phone): callers pass those in, nothing is
copied here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

from webapp.core.clock import end_of_day, local_date, local_midnight
from webapp.core.rulekit import N_, RuleViolation, clean_text

# ---------------------------------------------------------------------------- RCP-01/02 what is logged


class Channel(StrEnum):
    """RCP-01 (§4.2): how the owner reached the centre."""

    VISIT = "visit"  # 来访
    PHONE = "phone"  # 来电
    EMAIL = "email"  # 电子信箱
    LETTER = "letter"  # 信函
    QR_FORM = "qr_form"  # the owners' own form, from the QR poster on the notice boards


#: what a staff member may choose; "QR form" is set by the public form alone, so the
#: ledger can tell what owners sent themselves
STAFF_CHANNELS = (Channel.VISIT, Channel.PHONE, Channel.EMAIL, Channel.LETTER)


class Category(StrEnum):
    """RCP-02 (§4.4): the word written in 业主接待记录表."""

    AFTER_SALES = "after_sales"  # 售后: construction legacy, the developer's to repair
    REPAIR = "repair"  # 报修
    COMPLAINT = "complaint"  # 投诉: service quality
    SERVICE = "service"  # 服务: special (paid) service, e.g. housekeeping
    PRAISE = "praise"  # 表扬
    SUGGESTION = "suggestion"  # 建议
    OTHER = "other"  # 其它: lost property, pets, …


class FollowUp(StrEnum):
    """RCP-03/04: the process an entry starts."""

    RETURN_SLIP = "return_slip"  # 物业返修联系单
    WORK_ORDER = "work_order"  # repair work order
    COMPLAINT = "complaint"  # webapp.complaints
    SERVICE_ORDER = "service_order"  # webapp.paid_services
    PRAISE = "praise"
    SUGGESTION = "suggestion"
    LOST_PROPERTY = "lost_property"  # 失物招领登记表
    NOTE = "note"  # other matters (pets…): the entry itself is the record


#: RCP-03/04: the follow-ups each category may start, the usual one first
FOLLOW_UPS: dict[Category, tuple[FollowUp, ...]] = {
    Category.AFTER_SALES: (FollowUp.RETURN_SLIP,),
    Category.REPAIR: (FollowUp.WORK_ORDER,),
    Category.COMPLAINT: (FollowUp.COMPLAINT,),
    Category.SERVICE: (FollowUp.SERVICE_ORDER,),
    Category.PRAISE: (FollowUp.PRAISE,),
    Category.SUGGESTION: (FollowUp.SUGGESTION,),
    Category.OTHER: (FollowUp.NOTE, FollowUp.LOST_PROPERTY),
}

#: what the receptionist writes down (characters)
CONTENT_LIMIT = 2000
CONTACT_LIMIT = 100
REMARK_LIMIT = 1000


def default_follow_up(category: str) -> FollowUp:
    return FOLLOW_UPS[Category(category)][0]


def check_follow_up(category: str, follow_up: str) -> None:
    """RCP-03/04: a category starts only its own process (a repair is no complaint)."""
    if FollowUp(follow_up) not in FOLLOW_UPS[Category(category)]:
        raise RuleViolation(N_("This category does not start that follow-up."), field="follow_up")


def check_entry(
    channel: str,
    content: str | None,
    *,
    owner_id: int | None,
    unit_id: int | None,
    contact: str | None,
    owner_unit_ids: Collection[int] | None = None,
    from_public_form: bool = False,
) -> str:
    """RCP-01 (§4.1–4.2): what every entry records; the staff member and the time come from
    the login and the clock. Returns the trimmed content.

    Someone must be reachable for the answer: an owner, a unit or at least a contact (an
    anonymous caller's number, a letter's return address). `owner_unit_ids`: the units the
    chosen owner is recorded at; when given, the owner must be one of the unit's people."""
    channel = Channel(channel)
    if from_public_form != (channel is Channel.QR_FORM):
        raise RuleViolation(N_("Choose how the owner contacted the centre."), field="channel")
    text = clean_text(content, "content", N_("Write down what the owner said."), CONTENT_LIMIT)
    clean_text(contact, "contact", None, CONTACT_LIMIT)
    if owner_id is None and unit_id is None and not (contact or "").strip():
        raise RuleViolation(N_("Choose the owner or the unit, or write down a contact."), field="unit")
    if owner_id is not None and unit_id is not None and owner_unit_ids is not None and unit_id not in owner_unit_ids:
        raise RuleViolation(N_("This person is not recorded at the chosen unit."), field="owner")
    return text


# ---------------------------------------------------------------------------- RCP-08 the ledger


class LedgerStatus(StrEnum):
    NEW = "new"  # logged, not yet routed (an owner's QR form waits here)
    OPEN = "open"  # routed: its follow-up is under way
    CLOSED = "closed"  # 注销: the follow-up is done and CS closed the entry
    DISCARDED = "discarded"  # never routed: a duplicate or nonsense, with the reason


LEDGER_TRANSITIONS: dict[LedgerStatus, frozenset[LedgerStatus]] = {
    LedgerStatus.NEW: frozenset({LedgerStatus.OPEN, LedgerStatus.DISCARDED}),
    LedgerStatus.OPEN: frozenset({LedgerStatus.CLOSED}),
    LedgerStatus.CLOSED: frozenset(),
    LedgerStatus.DISCARDED: frozenset(),
}

#: RCP-08: the open ledger, what CS still tracks
PENDING_STATUSES = frozenset({LedgerStatus.NEW, LedgerStatus.OPEN})


def check_ledger_transition(current: str, target: str) -> None:
    if LedgerStatus(target) not in LEDGER_TRANSITIONS[LedgerStatus(current)]:
        raise RuleViolation(
            N_("A reception entry that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def check_route(status: str, category: str, follow_up: str) -> None:
    """RCP-02..04: a new entry gets its category and starts that category's follow-up,
    once: a routed entry keeps its follow-up (start a new entry for a new matter)."""
    if LedgerStatus(status) is not LedgerStatus.NEW:
        raise RuleViolation(N_("This entry has already been routed."))
    check_follow_up(category, follow_up)


def check_discard(status: str, reason: str | None) -> None:
    """Only an entry nobody has acted on may be discarded, and the reason is kept."""
    check_ledger_transition(status, LedgerStatus.DISCARDED)
    clean_text(reason, "reason", N_("Say why the entry is discarded."), REMARK_LIMIT)


def check_close(status: str, follow_up: str | None, follow_up_status: str | None, remark: str | None) -> None:
    """RCP-08 (§4.11): CS closes out (注销) an entry once its follow-up is done. A note has
    no process behind it, so closing it says how the matter was settled."""
    check_ledger_transition(status, LedgerStatus.CLOSED)
    if follow_up is None or not follow_up_done(follow_up, follow_up_status):
        raise RuleViolation(N_("The entry can be closed out only when its follow-up is done."))
    required = N_("Say how the matter was settled.") if FollowUp(follow_up) is FollowUp.NOTE else None
    clean_text(remark, "remark", required, REMARK_LIMIT)


def entry_age(received_at: datetime, now: datetime) -> timedelta:
    """How long the owner has been waiting (shown in the open ledger); never negative."""
    return max(now - received_at, timedelta(0))


T = TypeVar("T")


def ledger_order_key(received_at: datetime, entry_id: int) -> tuple[datetime, int]:
    """RCP-08: oldest first; entries of the same moment by their id (their logging order)."""
    return (received_at, entry_id)


def oldest_first(
    entries: Iterable[T],
    received_at: Callable[[T], datetime] = attrgetter("received_at"),
    entry_id: Callable[[T], int] = attrgetter("id"),
) -> list[T]:
    return sorted(entries, key=lambda entry: ledger_order_key(received_at(entry), entry_id(entry)))


def is_overdue(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """A clock is late once past its due moment: at the due second it is still in time."""
    if due_at is None:
        return False
    return (done_at if done_at is not None else now) > due_at


def _check_step(table: dict, status_type: type[StrEnum], current: str, target: str, message: str) -> None:
    if status_type(target) not in table[status_type(current)]:
        raise RuleViolation(message, current=current, target=target)


# ---------------------------------------------------------------------------- RCP-03 return slip


class ReturnSlipStatus(StrEnum):
    DRAFTED = "drafted"  # filled in and printable, not yet handed over
    SENT = "sent"  # handed to the developer's on-site after-sales team, due date set
    ANSWERED = "answered"  # the developer replied (what they will do, perhaps by when)
    COMPLETED = "completed"  # the developer's repair is done (or refused, with the outcome)
    WITHDRAWN = "withdrawn"  # no longer needed (the owner withdrew, made in error)


RETURN_SLIP_TRANSITIONS: dict[ReturnSlipStatus, frozenset[ReturnSlipStatus]] = {
    ReturnSlipStatus.DRAFTED: frozenset({ReturnSlipStatus.SENT, ReturnSlipStatus.WITHDRAWN}),
    ReturnSlipStatus.SENT: frozenset(
        {ReturnSlipStatus.ANSWERED, ReturnSlipStatus.COMPLETED, ReturnSlipStatus.WITHDRAWN}
    ),
    # a later answer replaces the promise CS chases
    ReturnSlipStatus.ANSWERED: frozenset(
        {ReturnSlipStatus.ANSWERED, ReturnSlipStatus.COMPLETED, ReturnSlipStatus.WITHDRAWN}
    ),
    ReturnSlipStatus.COMPLETED: frozenset(),
    ReturnSlipStatus.WITHDRAWN: frozenset(),
}

#: CS chases the developer in these states
CHASED_STATUSES = frozenset({ReturnSlipStatus.SENT, ReturnSlipStatus.ANSWERED})
#: the due date CS proposes when sending; §4.5 says only 在规定的时间内, so the centre's
#: habit, changed per slip
DEFAULT_DEVELOPER_DAYS = 3
#: a due date further away than this is a typing mistake (waterproofing waits for the dry
#: season, so it is generous)
MAX_DEVELOPER_DAYS = 180


def check_return_slip_transition(current: str, target: str) -> None:
    _check_step(RETURN_SLIP_TRANSITIONS, ReturnSlipStatus, current, target,
                N_("A return-for-repair slip that is %(current)s cannot become %(target)s."))


def check_return_slip(unit_id: int | None, location: str | None, problem: str | None) -> str:
    """What the slip tells the developer: where (the unit, or a common area) and the
    problem. Returns the trimmed problem."""
    if unit_id is None and not (location or "").strip():
        raise RuleViolation(N_("Choose the unit or say where the problem is."), field="location")
    clean_text(location, "location", None, 200)
    return clean_text(problem, "problem", N_("Describe the problem for the developer."), CONTENT_LIMIT)


def return_slip_send_due(classified_at: datetime) -> datetime:
    """RCP-03 (§4.5 当天返给现场售后部门): the slip reaches the developer the same local day
    the entry was classified as after-sales. At the desk that is the moment it is logged;
    an owner's QR form is classified when a receptionist routes it, and the wait before
    that is the entry's age at the top of the open ledger."""
    return end_of_day(classified_at)


def default_developer_due(sent_at: datetime) -> datetime:
    """The due date proposed on the slip: the end of the local day DEFAULT_DEVELOPER_DAYS
    days after it was sent."""
    return end_of_day(sent_at + timedelta(days=DEFAULT_DEVELOPER_DAYS))


def check_developer_due(due_at: datetime | None, sent_at: datetime) -> None:
    """RCP-03 (在规定的时间内, 督促落实): a slip is sent with the date CS will chase."""
    if due_at is None:
        raise RuleViolation(N_("Set the date the developer must deal with it by."), field="due_at")
    if due_at <= sent_at:
        raise RuleViolation(N_("The due date must be later than the time the slip is sent."), field="due_at")
    if due_at > sent_at + timedelta(days=MAX_DEVELOPER_DAYS):
        raise RuleViolation(N_("A due date more than %(days)s days away is not accepted."), field="due_at",
                            days=MAX_DEVELOPER_DAYS)


def check_developer_answer(answer: str | None, promised_by: datetime | None, answered_at: datetime) -> str:
    """The developer's reply, and the date they promise if they give one."""
    text = clean_text(answer, "answer", N_("Write down the developer's answer."), CONTENT_LIMIT)
    if promised_by is not None and promised_by <= answered_at:
        raise RuleViolation(N_("The promised date must be later than the answer."), field="promised_by")
    return text


def chase_due(developer_due: datetime, promised_by: datetime | None) -> datetime:
    """What CS chases against: the developer's own promise once given (earlier or later:
    the promise is what the owner was told), otherwise the due date set when sending."""
    return promised_by if promised_by is not None else developer_due


def needs_chasing(status: str, due_at: datetime, now: datetime) -> bool:
    """RCP-03 督促落实: a sent slip past its date, not yet completed, goes into CS's work."""
    return ReturnSlipStatus(status) in CHASED_STATUSES and now > due_at


def check_return_slip_outcome(outcome: str | None) -> str:
    return clean_text(outcome, "outcome", N_("Say what the developer did."), CONTENT_LIMIT)


def check_reason(reason: str | None) -> str:
    """Withdrawing a slip or cancelling a work order keeps its reason."""
    return clean_text(reason, "reason", N_("Give the reason."), REMARK_LIMIT)


def check_developer_receiver(name: str | None) -> str:
    """RCP-03: a sent slip names who at the developer's after-sales team took it, so CS
    knows whom to chase."""
    return clean_text(name, "received_by", N_("Write down who at the developer's team received the slip."), 100)


def needs_chase_reminder(status: str, chase_due_at: datetime | None, last_chased_at: datetime | None,
                         now: datetime) -> bool:
    """RCP-03 督促落实: CS is reminded of a slip past its date once a local day, however
    often the sweep runs."""
    if chase_due_at is None or not needs_chasing(status, chase_due_at, now):
        return False
    return last_chased_at is None or local_date(last_chased_at) < local_date(now)


def chase_reminder_key(slip_id: int, now: datetime) -> str:
    """One reminder per slip and local day: the dedupe key of its notices."""
    return f"return_slip:{slip_id}:chase:{local_date(now):%Y%m%d}"


# ---------------------------------------------------------------------------- RCP-04 repair work order


class WorkOrderStatus(StrEnum):
    DISPATCHED = "dispatched"  # sent to the maintenance department
    DONE = "done"  # maintenance reports the repair done
    CALLED_BACK = "called_back"  # CS called the owner back: fixed (回访)
    CLOSED = "closed"
    CANCELLED = "cancelled"  # the owner cancelled, or it was a duplicate (with the reason)


WORK_ORDER_TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    WorkOrderStatus.DISPATCHED: frozenset({WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED}),
    # the call-back finds it not fixed: back to maintenance
    WorkOrderStatus.DONE: frozenset({WorkOrderStatus.CALLED_BACK, WorkOrderStatus.DISPATCHED}),
    WorkOrderStatus.CALLED_BACK: frozenset({WorkOrderStatus.CLOSED}),
    WorkOrderStatus.CLOSED: frozenset(),
    WorkOrderStatus.CANCELLED: frozenset(),
}


class CallbackMethod(StrEnum):
    VISIT = "visit"  # 上门回访
    PHONE = "phone"  # 电话回访


#: 篇3 §4.6 hands repairs to 《业主报修标准作业规程》, which is not among the SOPs: the
#: centre's defaults, kept here so they change in one place. A repair is done within a
#: day of dispatch unless a time was agreed with the owner, and the owner is called back
#: within a day of the repair.
REPAIR_DONE_LIMIT = timedelta(days=1)
REPAIR_CALLBACK_LIMIT = timedelta(days=1)


def check_work_order_transition(current: str, target: str) -> None:
    _check_step(WORK_ORDER_TRANSITIONS, WorkOrderStatus, current, target,
                N_("A repair work order that is %(current)s cannot become %(target)s."))


def check_dispatch(department_id: int | None, agreed_at: datetime | None, dispatched_at: datetime) -> None:
    """RCP-04: a repair goes to a department (maintenance, as a rule); a time agreed with
    the owner lies after the dispatch."""
    if department_id is None:
        raise RuleViolation(N_("Choose the department that does the repair."), field="department")
    if agreed_at is not None and agreed_at <= dispatched_at:
        raise RuleViolation(N_("The agreed time must be later than now."), field="agreed_at")


def repair_done_due(dispatched_at: datetime, agreed_at: datetime | None = None) -> datetime:
    """The time agreed with the owner wins (both ways: an owner away until Saturday wants
    Saturday); otherwise a day after the dispatch."""
    return agreed_at if agreed_at is not None else dispatched_at + REPAIR_DONE_LIMIT


def repair_callback_due(done_at: datetime) -> datetime:
    return done_at + REPAIR_CALLBACK_LIMIT


def check_work_done(work_done: str | None) -> str:
    return clean_text(work_done, "work_done", N_("Say what was done."), CONTENT_LIMIT)


def check_callback(method: str | None, owner_response: str | None) -> str:
    """A call-back (回访) is a visit or a phone call, with what the owner said."""
    if method not in set(CallbackMethod):
        raise RuleViolation(N_("Choose how the owner was called back."), field="method")
    return clean_text(owner_response, "owner_response", N_("Write down what the owner said."), REMARK_LIMIT)


def status_after_callback(fixed: bool) -> WorkOrderStatus:
    """Fixed → called back; not fixed → back to maintenance for another round."""
    return WorkOrderStatus.CALLED_BACK if fixed else WorkOrderStatus.DISPATCHED


def check_work_order(unit_id: int | None, location: str | None, problem: str | None) -> str:
    """What maintenance needs to find and fix it: where (the unit, or a common area) and
    the problem. Returns the trimmed problem."""
    if unit_id is None and not (location or "").strip():
        raise RuleViolation(N_("Choose the unit or say where the problem is."), field="location")
    clean_text(location, "location", None, 200)
    return clean_text(problem, "problem", N_("Describe what needs repairing."), CONTENT_LIMIT)


def check_callback_fixed(fixed: bool | None) -> bool:
    """A call-back ends in a plain answer: fixed, or back to maintenance."""
    if fixed is None:
        raise RuleViolation(N_("Say whether the owner confirmed it is fixed."), field="fixed")
    return fixed


def work_order_due(status: str, done_due_at: datetime | None, callback_due_at: datetime | None) -> datetime | None:
    """The clock of the order's current step: the repair while dispatched, the call-back
    once done; none after."""
    current = WorkOrderStatus(status)
    if current is WorkOrderStatus.DISPATCHED:
        return done_due_at
    if current is WorkOrderStatus.DONE:
        return callback_due_at
    return None


# ---------------------------------------------------------------------------- RCP-04 praise, suggestion


class PraiseStatus(StrEnum):
    RECORDED = "recorded"
    VERIFIED = "verified"  # 查证属实: the staff member(s) praised are named
    CREDITED = "credited"  # written to their record (《员工手册》)
    NOT_CONFIRMED = "not_confirmed"  # the check found nothing to credit


PRAISE_TRANSITIONS: dict[PraiseStatus, frozenset[PraiseStatus]] = {
    PraiseStatus.RECORDED: frozenset({PraiseStatus.VERIFIED, PraiseStatus.NOT_CONFIRMED}),
    PraiseStatus.VERIFIED: frozenset({PraiseStatus.CREDITED}),
    PraiseStatus.CREDITED: frozenset(),
    PraiseStatus.NOT_CONFIRMED: frozenset(),
}


def check_praise_transition(current: str, target: str) -> None:
    _check_step(PRAISE_TRANSITIONS, PraiseStatus, current, target,
                N_("A praise that is %(current)s cannot become %(target)s."))


def check_praise_verification(confirmed: bool, staff_ids: Collection[int], note: str | None) -> str:
    """RCP-04 (§4.6 查证属实): verifying names who is credited (the owner may not have known
    the name) and says how it was checked; a praise that was not confirmed says why."""
    if confirmed and not staff_ids:
        raise RuleViolation(N_("Choose the staff member praised."), field="staff")
    return clean_text(note, "note", N_("Say how the praise was checked."), REMARK_LIMIT)


class SuggestionStatus(StrEnum):
    FORWARDED = "forwarded"  # 收集上报项目经理
    ANSWERED = "answered"  # the PM's answer recorded


SUGGESTION_TRANSITIONS: dict[SuggestionStatus, frozenset[SuggestionStatus]] = {
    SuggestionStatus.FORWARDED: frozenset({SuggestionStatus.ANSWERED}),
    SuggestionStatus.ANSWERED: frozenset(),
}

#: §4.6 sets no time for the PM's answer; a week, so the owner hears back and the PM's
#: work list shows a due time
SUGGESTION_ANSWER_LIMIT = timedelta(days=7)


def check_suggestion_transition(current: str, target: str) -> None:
    _check_step(SUGGESTION_TRANSITIONS, SuggestionStatus, current, target,
                N_("A suggestion that is %(current)s cannot become %(target)s."))


def suggestion_answer_due(forwarded_at: datetime) -> datetime:
    return forwarded_at + SUGGESTION_ANSWER_LIMIT


def check_suggestion_answer(answer: str | None) -> str:
    return clean_text(answer, "answer", N_("Write down the project manager's answer."), CONTENT_LIMIT)


# ---------------------------------------------------------------------------- RCP-04 lost property


class LostPropertyStatus(StrEnum):
    HELD = "held"  # in the register, kept by the holder named
    CLAIMED = "claimed"  # handed to its owner, whose ID was checked
    HANDED_OVER = "handed_over"  # unclaimed, passed on (e.g. to the police station)


LOST_PROPERTY_TRANSITIONS: dict[LostPropertyStatus, frozenset[LostPropertyStatus]] = {
    LostPropertyStatus.HELD: frozenset({LostPropertyStatus.CLAIMED, LostPropertyStatus.HANDED_OVER}),
    LostPropertyStatus.CLAIMED: frozenset(),
    LostPropertyStatus.HANDED_OVER: frozenset(),
}


class IdDocument(StrEnum):
    """What a claimant shows (§4.12: the number is kept masked)."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (and the 18-digit residence permits)
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    OTHER = "other"  # 其他有效证件


#: GB 11643: weights of the first 17 characters, and the check character by sum mod 11
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9-]{5,30}$")
#: the digits a stored (masked) document number keeps
ID_VISIBLE_DIGITS = 4


def check_lost_property_transition(current: str, target: str) -> None:
    _check_step(LOST_PROPERTY_TRANSITIONS, LostPropertyStatus, current, target,
                N_("A found item that is %(current)s cannot become %(target)s."))


def check_found_item(
    item: str | None, found_place: str | None, found_at: datetime | None, holder: str | None, now: datetime
) -> None:
    """RCP-04 失物招领登记表: the item, where and when it was found, who holds it."""
    clean_text(item, "item", N_("Describe the item."), 200)
    clean_text(found_place, "found_place", N_("Say where it was found."), 200)
    if found_at is None:
        raise RuleViolation(N_("Say when it was found."), field="found_at")
    if found_at > now:
        raise RuleViolation(N_("That time has not come yet."), field="found_at")
    clean_text(holder, "holder", N_("Say who holds the item."), 100)


def resident_id_is_valid(number: str) -> bool:
    """An 18-character mainland ID: 17 digits, a real birth date, and the check character."""
    if not _RESIDENT_ID.match(number):
        return False
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if birth.year < 1900:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def clean_document_number(document: str, number: str | None) -> str:
    """The claimant's document number, spaces removed and upper-cased, when plausible: a
    mainland ID by its checksum, another document by its shape (5–30 letters and digits)."""
    kind = IdDocument(document)
    text = re.sub(r"\s", "", number or "").upper()
    if not text:
        raise RuleViolation(N_("Enter the number of the document shown."), field="document_number")
    if kind is IdDocument.RESIDENT_ID:
        if not resident_id_is_valid(text):
            raise RuleViolation(N_("This is not a valid ID card number; check it against the card."),
                                field="document_number")
    elif not _OTHER_DOCUMENT.match(text) or not re.search(r"\d", text):
        raise RuleViolation(N_("This does not look like a document number."), field="document_number")
    return text


def mask_document_number(number: str) -> str:
    """EST-03 / §4.12: only the last four characters are kept, the length shows the kind."""
    hidden = max(len(number) - ID_VISIBLE_DIGITS, 0)
    return "*" * hidden + number[hidden:]


def check_claim(
    claimant_name: str | None,
    document: str | None,
    document_number: str | None,
    claimed_at: datetime | None,
    found_at: datetime,
    now: datetime,
) -> str:
    """RCP-04: claimed by whom and when, the claimant's ID checked. Returns the document
    number masked: the register keeps only that, never the full number."""
    clean_text(claimant_name, "claimant_name", N_("Write down who claimed the item."), 50)
    if document not in set(IdDocument):
        raise RuleViolation(N_("Choose the document the claimant showed."), field="document")
    number = clean_document_number(document, document_number)
    if claimed_at is None:
        raise RuleViolation(N_("Say when the item was claimed."), field="claimed_at")
    if claimed_at > now:
        raise RuleViolation(N_("That time has not come yet."), field="claimed_at")
    if claimed_at < found_at:
        raise RuleViolation(N_("An item cannot be claimed before it was found."), field="claimed_at")
    return mask_document_number(number)


def check_handover(note: str | None) -> str:
    """An unclaimed item passed on says to whom."""
    return clean_text(note, "note", N_("Say to whom the item was handed over."), REMARK_LIMIT)


# ---------------------------------------------------------------------------- RCP-08 follow-ups done


#: RCP-08: the follow-up states in which the entry may be closed out. Complaint and order
#: states are webapp.complaints / webapp.paid_services values, written out because rules
#: import no other slice (a test keeps them in step). A found item is followed up once it
#: is in the register, which then tracks it until claimed; a note needs no process.
FOLLOW_UP_DONE: dict[FollowUp, frozenset[str]] = {
    FollowUp.RETURN_SLIP: frozenset({ReturnSlipStatus.COMPLETED, ReturnSlipStatus.WITHDRAWN}),
    FollowUp.WORK_ORDER: frozenset({WorkOrderStatus.CLOSED, WorkOrderStatus.CANCELLED}),
    FollowUp.COMPLAINT: frozenset({"closed"}),
    FollowUp.SERVICE_ORDER: frozenset({"closed", "cancelled"}),
    FollowUp.PRAISE: frozenset({PraiseStatus.CREDITED, PraiseStatus.NOT_CONFIRMED}),
    FollowUp.SUGGESTION: frozenset({SuggestionStatus.ANSWERED}),
    FollowUp.LOST_PROPERTY: frozenset(LostPropertyStatus),
    FollowUp.NOTE: frozenset(),
}


def follow_up_done(follow_up: str, status: str | None) -> bool:
    """RCP-08: whether the entry's follow-up is finished (a note always is)."""
    kind = FollowUp(follow_up)
    if kind is FollowUp.NOTE:
        return True
    return status in FOLLOW_UP_DONE[kind]


# ---------------------------------------------------------------------------- RCP-07 major events


class EventKind(StrEnum):
    """RCP-07 (§4.10) 重大(突发)事件处理记录表."""

    SECURITY_INCIDENT = "security_incident"  # 重大治安事件
    EQUIPMENT_FAILURE = "equipment_failure"  # 重大设备、设施情况
    OFFICIAL_VISIT = "official_visit"  # 政府部门重要领导参观来访


class EventStatus(StrEnum):
    OPEN = "open"  # recorded, handling or follow-up still going on
    CLOSED = "closed"  # handling and follow-up written down


EVENT_TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.OPEN: frozenset({EventStatus.CLOSED}),
    EventStatus.CLOSED: frozenset(),
}

#: what must be written when the event is recorded. A failure need not involve anyone
#: beyond those who fixed it (the handling says who); an incident and a visit do.
EVENT_REQUIRED_FIELDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.SECURITY_INCIDENT: ("place", "description", "people_involved"),
    EventKind.EQUIPMENT_FAILURE: ("place", "description"),
    EventKind.OFFICIAL_VISIT: ("place", "description", "people_involved"),
}
#: what must be written before the record is closed
EVENT_CLOSING_FIELDS = ("handling", "follow_up")

_EVENT_FIELD_MESSAGES = {
    "place": N_("Say where it happened."),
    "description": N_("Say what happened."),
    "people_involved": N_("Name the people involved."),
    "handling": N_("Say how it was handled."),
    "follow_up": N_("Say what follow-up was done."),
}
_EVENT_FIELD_LIMITS = {"place": 200, "description": CONTENT_LIMIT, "people_involved": 500,
                       "handling": CONTENT_LIMIT, "follow_up": CONTENT_LIMIT}


def check_event_transition(current: str, target: str) -> None:
    _check_step(EVENT_TRANSITIONS, EventStatus, current, target,
                N_("An event record that is %(current)s cannot become %(target)s."))


def _check_event_fields(values: dict[str, str | None], required: Iterable[str]) -> None:
    required = set(required)
    for name, limit in _EVENT_FIELD_LIMITS.items():
        clean_text(values.get(name), name, _EVENT_FIELD_MESSAGES[name] if name in required else None, limit)


def check_major_event(kind: str | None, occurred_at: datetime | None, values: dict[str, str | None], now: datetime) -> None:
    """RCP-07: the kind, when and the fields its kind needs (EVENT_REQUIRED_FIELDS);
    `values` by field name: place, description, people_involved, handling, follow_up."""
    if kind not in set(EventKind):
        raise RuleViolation(N_("Choose the kind of event."), field="kind")
    if occurred_at is None:
        raise RuleViolation(N_("Say when it happened."), field="occurred_at")
    if occurred_at > now:
        raise RuleViolation(N_("That time has not come yet."), field="occurred_at")
    _check_event_fields(values, EVENT_REQUIRED_FIELDS[EventKind(kind)])


def check_event_close(status: str, kind: str, values: dict[str, str | None]) -> None:
    """An event record is closed once its handling and follow-up are written down."""
    check_event_transition(status, EventStatus.CLOSED)
    _check_event_fields(values, EVENT_REQUIRED_FIELDS[EventKind(kind)] + EVENT_CLOSING_FIELDS)


def check_event_open(status: str) -> None:
    """Handling and follow-up are filled in while the record is open; a closed one stays
    as it was signed off."""
    if EventStatus(status) is not EventStatus.OPEN:
        raise RuleViolation(N_("This event record is closed."))


# ---------------------------------------------------------------------------- the registers by month


def register_month_of(moment: datetime) -> date:
    """The first day of the local calendar month a moment falls in: the month the praise
    list and the events register show it under."""
    return local_date(moment).replace(day=1)


def shift_month(month_of: date, months: int) -> date:
    """The first day of the month `months` before (negative) or after `month_of`."""
    index = month_of.year * 12 + month_of.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def register_bounds(month_of: date) -> tuple[datetime, datetime]:
    """A calendar month as UTC instants: [the 1st 00:00 local, the next month's 1st 00:00 local)."""
    first = month_of.replace(day=1)
    return local_midnight(first), local_midnight(shift_month(first, 1))


# ---------------------------------------------------------------------------- the owners' QR form


#: what an owner may choose. Whether a defect is construction legacy (售后) is for the
#: centre to judge: an owner reports it as a repair and the receptionist reclassifies it.
OWNER_CATEGORIES = (
    Category.REPAIR,
    Category.COMPLAINT,
    Category.SERVICE,
    Category.PRAISE,
    Category.SUGGESTION,
    Category.OTHER,
)
OWNER_DESCRIPTION_MIN = 4  # "电梯坏了"
OWNER_DESCRIPTION_MAX = 500
UNIT_TEXT_MAX = 40

#: the record-number series of ledger entries (webapp.core.numbering): CH-JD-20261128-0007
REFERENCE_SERIES = "JD"  # 接待
#: the numbering series of the records an entry starts (webapp.core.numbering)
RETURN_SLIP_SERIES = "FX"  # 返修
WORK_ORDER_SERIES = "BX"  # 报修
FOUND_ITEM_SERIES = "SW"  # 失物
_REFERENCE = re.compile(r"^[A-Z0-9]{1,10}-" + REFERENCE_SERIES + r"-\d{8}-\d{4,}$")
#: 128 bits from the OS: one owner's status link says nothing about another's
STATUS_TOKEN_BYTES = 16
_STATUS_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def check_owner_category(category: str | None) -> Category:
    if category not in {c.value for c in OWNER_CATEGORIES}:
        raise RuleViolation(N_("Choose what your message is about."), field="category")
    return Category(category)


def clean_owner_description(description: str | None) -> str:
    text = clean_text(description, "description", N_("Tell us what it is about."), OWNER_DESCRIPTION_MAX)
    if len(text) < OWNER_DESCRIPTION_MIN:
        raise RuleViolation(N_("Please say a little more (at least %(count)s characters)."),
                            field="description", count=OWNER_DESCRIPTION_MIN)
    return text


def clean_unit_text(unit_text: str | None) -> str:
    """The unit as the owner writes it ("3栋1502"); the receptionist matches it to a unit."""
    return clean_text(unit_text, "unit_text", N_("Enter your building and unit number."), UNIT_TEXT_MAX)


def clean_owner_phone(phone: str | None, normalise_phone: Callable[[str], str | None]) -> str:
    """A mainland mobile or landline, normalised by webapp.estate.rules.normalise_phone
    (passed in: rules import no other slice)."""
    if not (phone or "").strip():
        raise RuleViolation(N_("Enter a phone number we can call you back on."), field="phone")
    normal = normalise_phone(phone)
    if normal is None:
        raise RuleViolation(N_("Enter a mainland mobile number (11 digits) or a landline."), field="phone")
    return normal


@dataclass(frozen=True)
class OwnerRequest:
    category: Category
    description: str
    unit_text: str
    phone: str


def clean_owner_form(
    category: str | None,
    description: str | None,
    unit_text: str | None,
    phone: str | None,
    normalise_phone: Callable[[str], str | None],
) -> tuple[OwnerRequest | None, dict[str, RuleViolation]]:
    """Every field checked at once, so a phone shows each message next to its field:
    (the cleaned request, {}) or (None, {field: problem})."""
    checks = {
        "category": lambda: check_owner_category(category),
        "description": lambda: clean_owner_description(description),
        "unit_text": lambda: clean_unit_text(unit_text),
        "phone": lambda: clean_owner_phone(phone, normalise_phone),
    }
    values: dict[str, object] = {}
    problems: dict[str, RuleViolation] = {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except RuleViolation as problem:
            problems[name] = problem
    if problems:
        return None, problems
    return OwnerRequest(**values), {}


def is_reference_number(text: str | None) -> bool:
    """A ledger entry's number as printed and read out (CH-JD-20261128-0007)."""
    return bool(_REFERENCE.match((text or "").strip().upper()))


def new_status_token() -> str:
    """The owner's status link: unguessable, and it names nobody."""
    return secrets.token_urlsafe(STATUS_TOKEN_BYTES)


def is_status_token(text: str | None) -> bool:
    """Shaped like new_status_token(): anything else is refused before any lookup."""
    return bool(_STATUS_TOKEN.match(text or ""))


class PublicStatus(StrEnum):
    """What an owner's status page says: no names, no phones, no staff (EST-03)."""

    RECEIVED = "received"  # 已收到
    IN_PROGRESS = "in_progress"  # 处理中
    DONE = "done"  # 已办结
    NOT_PURSUED = "not_pursued"  # 已关闭 (a duplicate or not a request)


@dataclass(frozen=True)
class PublicView:
    """Everything the public status page may show."""

    reference: str
    category: Category
    status: PublicStatus
    received_on: date


def public_status(ledger_status: str, follow_up_is_done: bool) -> PublicStatus:
    status = LedgerStatus(ledger_status)
    if status is LedgerStatus.NEW:
        return PublicStatus.RECEIVED
    if status is LedgerStatus.DISCARDED:
        return PublicStatus.NOT_PURSUED
    if status is LedgerStatus.CLOSED or follow_up_is_done:
        return PublicStatus.DONE
    return PublicStatus.IN_PROGRESS


def public_view(
    reference: str, category: str, ledger_status: str, follow_up_is_done: bool, received_at: datetime
) -> PublicView:
    return PublicView(reference, Category(category), public_status(ledger_status, follow_up_is_done),
                      local_date(received_at))


#: the words of 业主接待记录表 (§4.4). An owner's choice is written into the entry's text
#: in these words: it is the desk's record, the same whatever the reader's language, and
#: the entry's category stays empty until a receptionist confirms it by routing
CATEGORY_WORDS: dict[Category, str] = {
    Category.AFTER_SALES: "售后",
    Category.REPAIR: "报修",
    Category.COMPLAINT: "投诉",
    Category.SERVICE: "服务",
    Category.PRAISE: "表扬",
    Category.SUGGESTION: "建议",
    Category.OTHER: "其它",
}


def follow_up_done_for_owner(follow_up: str | None, follow_up_status: str | None) -> bool:
    """Whether the owner's status page may say "done" before the entry is closed out: once
    the record the entry started is finished. A note has no record: the matter is done
    for the owner only when the desk closes the entry out saying how it was settled."""
    if follow_up is None or FollowUp(follow_up) is FollowUp.NOTE:
        return False
    return follow_up_done(follow_up, follow_up_status)


def owner_request_content(request: OwnerRequest) -> str:
    """The entry's text for an owner's QR form: "【报修】电梯坏了"."""
    return f"【{CATEGORY_WORDS[request.category]}】{request.description}"


_UNIT_SEPARATORS = re.compile(r"[\s\-_.,/\\·、，。()（）#＃]+")
_BUILDING_WORDS = re.compile(r"号楼|幢|座|号栋")
_UNIT_SUFFIX = re.compile(r"(室|号|房)$")


def unit_text_key(text: str | None) -> str:
    """A typed unit reduced to what identifies it: full-width characters made plain,
    separators dropped, 号楼/幢/座 read as 栋, a trailing 室/号 dropped, so "3号楼 1502室"
    and "3栋1502" compare equal. A dash is dropped, not read as 栋: "3-1502" stays apart."""
    plain = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in (text or ""))
    key = _UNIT_SEPARATORS.sub("", plain.lower())
    key = _BUILDING_WORDS.sub("栋", key)
    return _UNIT_SUFFIX.sub("", key)


def match_unit(unit_text: str | None, units: Iterable[tuple[int, str, str]]) -> int | None:
    """The unit an owner typed, among (unit_id, building name, unit number): only when
    exactly one unit reads the same (unit_text_key); anything doubtful stays for the desk
    to match."""
    wanted = unit_text_key(unit_text)
    if not wanted:
        return None
    found = {unit_id for unit_id, building, number in units if unit_text_key(f"{building}{number}") == wanted}
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------------------- spam without a captcha

#: no person picks a category, types a description, unit and phone faster than this
MIN_FILL_TIME = timedelta(seconds=3)
#: a form open longer than this is stale: send it again with a fresh stamp
MAX_FORM_AGE = timedelta(hours=2)
#: several servers' clocks may differ a little
STAMP_SKEW = timedelta(seconds=30)
_STAMP_PURPOSE = "reception-owner-form"


class SpamVerdict(StrEnum):
    ACCEPT = "accept"
    RETRY = "retry"  # perhaps a person: show the form again, values kept, with a fresh stamp
    DROP = "drop"  # a bot: answer as if accepted and store nothing


@dataclass(frozen=True)
class SpamCheck:
    verdict: SpamVerdict
    message: str | None = None  # msgid for RETRY


def _stamp_mac(seconds: int, secret: str | bytes, scope: str) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = f"{_STAMP_PURPOSE}\n{scope}\n{seconds}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_render_stamp(rendered_at: datetime, secret: str | bytes, scope: str) -> str:
    """The hidden field of a rendered form: when it was rendered, signed with the app's
    secret for one `scope` (the project's poster), so it can be neither forged nor moved
    to another project's form."""
    seconds = int(rendered_at.timestamp())
    return f"{seconds}.{_stamp_mac(seconds, secret, scope)}"


def read_render_stamp(stamp: str | None, secret: str | bytes, scope: str) -> datetime | None:
    """The render time of a genuine stamp; None when missing, malformed or forged."""
    seconds_text, _, mac = (stamp or "").partition(".")
    if not seconds_text.isdigit() or not mac:
        return None
    seconds = int(seconds_text)
    if not hmac.compare_digest(mac, _stamp_mac(seconds, secret, scope)):
        return None
    return datetime.fromtimestamp(seconds, UTC)


def spam_check(honeypot: str | None, rendered_at: datetime | None, now: datetime) -> SpamCheck:
    """The owners' form without a captcha service: a hidden field only bots fill (dropped
    silently, so they learn nothing), and a signed render time (read_render_stamp) that
    must be genuine, neither too fresh for a person nor stale. A doubtful but possibly
    human sender is asked to send again, never silently lost."""
    if (honeypot or "").strip():
        return SpamCheck(SpamVerdict.DROP)
    if rendered_at is None or rendered_at > now + STAMP_SKEW or now - rendered_at > MAX_FORM_AGE:
        return SpamCheck(SpamVerdict.RETRY, N_("This form has expired. Please check it and send it again."))
    if now - rendered_at < MIN_FILL_TIME:
        return SpamCheck(SpamVerdict.RETRY, N_("That was very quick. Please check the form and send it again."))
    return SpamCheck(SpamVerdict.ACCEPT)
